//! The command line of accounts, account escalations and the on-call roster.

use clap::{Args, Subcommand};

use super::{AssignArgs, DecideArgs, HandoffArgs, NoteArgs, PromoteArgs, RcaArgs, UpdateArgs, WhyArgs};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Name an account's people: customer success manager, account executive, escalation DRI
    Set(AccountSetArgs),
    /// An account: its people, its open cases and its account escalations
    Show(CustomerArg),
    /// Every account with its people
    List,
    /// Request an account escalation spanning cases of one customer (guided on a terminal)
    Request(AccountRequestArgs),
    /// Link a case of the customer to its open account escalation
    Link(AccountLinkArgs),
    /// Unlink a case from the customer's open account escalation
    Unlink(AccountLinkArgs),
    /// Approve or reject the account escalation's current level (ID is the customer)
    Decide(DecideArgs),
    /// Raise the account escalation one level (ID is the customer)
    Promote(PromoteArgs),
    /// Withdraw the account escalation (ID is the customer)
    Withdraw(WhyArgs),
    /// Make someone the owner of the account escalation (ID is the customer)
    Assign(AssignArgs),
    /// Hand the account escalation over at the end of a shift (ID is the customer)
    Handoff(HandoffArgs),
    /// Record a customer update and the next touch-point (ID is the customer)
    Update(UpdateArgs),
    /// Close the account escalation, once its DRI agrees (ID is the customer)
    Close(NoteArgs),
    /// Reopen the customer's latest, closed account escalation (ID is the customer)
    Reopen(WhyArgs),
    /// Mark the account escalation's root-cause analysis done, with a link to it (ID is the customer)
    Rca(RcaArgs),
}

#[derive(Debug, Args)]
pub struct CustomerArg {
    /// The customer (account) name, as its cases give it
    pub customer: String,
}

#[derive(Debug, Args)]
pub struct AccountSetArgs {
    /// The customer (account) name, as its cases give it
    pub customer: String,
    /// The customer success manager (the escalation DRI unless --dri names another)
    #[arg(long, value_name = "NAME")]
    pub csm: Option<String>,
    /// The account executive (the DRI when there is no CSM)
    #[arg(long, value_name = "NAME")]
    pub ae: Option<String>,
    /// The escalation DRI, when not the CSM
    #[arg(long, value_name = "NAME")]
    pub dri: Option<String>,
}

#[derive(Debug, Args)]
pub struct AccountRequestArgs {
    /// The customer (account) name, as its cases give it
    pub customer: String,
    /// A case of the customer the escalation spans (repeatable; the first is where its events are kept)
    #[arg(long = "case", value_name = "ID")]
    pub cases: Vec<String>,
    /// Why: one of the policy's reasons
    #[arg(long, value_name = "KEY")]
    pub reason: Option<String>,
    /// What the account escalation is about
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Where to: one of the policy's destinations [default: leadership, the only one when there is one]
    #[arg(long = "to", value_name = "DEST")]
    pub to: Option<String>,
    /// A package field the destination requires (repeatable)
    #[arg(long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// Start at this level, when the policy allows it
    #[arg(long, value_name = "N")]
    pub level: Option<u32>,
    /// Do not prompt
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct AccountLinkArgs {
    /// The customer (account) name
    pub customer: String,
    /// The case id
    pub id: String,
}

#[derive(Debug, Args)]
pub struct OncallArgs {
    #[command(subcommand)]
    pub command: Option<OncallCommand>,
}

#[derive(Debug, Subcommand)]
pub enum OncallCommand {
    /// Put someone on call for a role, from now (or --from) until --until (open-ended without)
    Set(OncallSetArgs),
    /// Who is on call now, for each role
    Show,
    /// Every shift ever set, oldest first
    History,
}

#[derive(Debug, Args)]
pub struct OncallSetArgs {
    /// One of the policy's on-call roles
    pub role: String,
    /// Who is on call
    pub name: String,
    /// When the shift starts [default: now]
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// When the shift ends [default: until someone else is set]
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}
