//! The command line, as clap definitions only: no logic lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod accounts;
mod admin;
mod cases;
mod data;
mod notify;
pub use accounts::*;
pub use admin::*;
pub use cases::*;
pub use data::*;
pub use notify::*;

#[derive(Debug, Parser)]
#[command(
    name = "escalate",
    version,
    about = "May I escalate this case now? Policy as code and a local ledger for support escalations.",
    after_help = "Exit codes: 0 ok or eligible, 1 the policy says no, 2 usage error or bad input, \
                  3 invalid policy, 4 ledger failure, 5 any other failure, 6 a notification could not be delivered, 7 the ledger was altered.",
    after_long_help = "Exit codes: 0 ok or eligible, 1 the policy says no, 2 usage error or bad input, \
                  3 invalid policy, 4 ledger failure, 5 any other failure, 6 a notification could not be delivered, 7 the ledger was altered.\n\n\
                  Environment: ESCALATE_LEDGER (the ledger file or URL), ESCALATE_POLICY (the policy file), \
                  ESCALATE_NOW (evaluate as of this time), ESCALATE_ACTOR (who is acting); an empty \
                  value counts as unset. NO_COLOR turns colour off; COLUMNS sets the table width."
)]
pub struct Cli {
    #[command(flatten, next_help_heading = "Global options")]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    // The four below also come from ESCALATE_* variables, read after parsing
    // (`commands::run`): clap's own `env` would list a variable that is set as
    // if it were a required flag in every usage error.
    /// The ledger: a SQLite file, or a postgres:// URL for a team's shared ledger (or ESCALATE_LEDGER)
    /// [default: `ledger` in escalate/config.toml in your config dir, else escalate/ledger.db in your data dir]
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub ledger: Option<std::ffi::OsString>,
    /// The policy file (or ESCALATE_POLICY) [default: ./policy.toml, then your config dir, then built in]
    #[arg(long, global = true, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Evaluate as of this time instead of the clock (or ESCALATE_NOW): RFC 3339, or "YYYY-MM-DD HH:MM" in the policy's zone
    #[arg(long, global = true, value_name = "TIME")]
    pub now: Option<String>,
    /// Who is acting, for the event log (or ESCALATE_ACTOR) [default: your login name]
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,
    /// Print one JSON document instead of tables
    #[arg(long, global = true)]
    pub json: bool,
    /// Never prompt; fail naming the missing flags instead
    #[arg(long, global = true)]
    pub no_input: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record and inspect cases
    #[command(subcommand)]
    Case(CaseCommand),
    /// May this case be escalated now? Every rule, and when if not yet
    Check(CheckArgs),
    /// Request an escalation (guided on a terminal, flags for scripts)
    Request(RequestArgs),
    /// Raise the case's open escalation one level
    Promote(PromoteArgs),
    /// Approve or reject the open escalation's current level
    Decide(DecideArgs),
    /// Withdraw the open escalation (the requester or owner)
    Withdraw(WhyArgs),
    /// Make someone the owner (DRI) of the open escalation
    Assign(AssignArgs),
    /// Hand the open escalation over, with a note for the next owner
    Handoff(HandoffArgs),
    /// Record a customer update and the promised next touch-point
    Update(UpdateArgs),
    /// Close the open escalation, once its owner agrees
    Close(NoteArgs),
    /// Reopen the case's latest, closed escalation
    Reopen(WhyArgs),
    /// Every deadline that is past or near: reviews, touch-points, promotions
    Due(DueArgs),
    /// List escalations
    List(ListArgs),
    /// A case with its escalations and its event timeline
    Show(ShowArgs),
    /// Validate and inspect the policy
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Inspect or upgrade the ledger
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Write cases, escalations or events as NDJSON, CSV or JSON
    Export(ExportArgs),
    /// The escalation document (impact, narrative, reproduction, actions, request); complete it with flags or --edit
    Package(PackageArgs),
    /// Record a troubleshooting step and its outcome, or attach a reference
    Note(NoteCmdArgs),
    /// Escalations by reason, destination and level; approval rate and times
    Report(ReportArgs),
    /// Notifications: send what is pending, list the outbox, test a channel
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Accounts, their people, and account escalations spanning several cases
    #[command(subcommand)]
    Account(AccountCommand),
    /// Who is on call now; set the on-call roster
    Oncall(OncallArgs),
    /// Record that the outage process was used for a case (the call, the outage alias)
    Outage(OutageArgs),
    /// Mark a case's root-cause analysis done, with a link to it
    Rca(RcaArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write every page into a directory
    Man(ManArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Decision {
    Approve,
    Reject,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The case id (the customer, under `escalate account`)
    pub id: String,
    /// approve or reject
    #[arg(value_enum)]
    pub decision: Decision,
    /// The reason; required to reject
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Do not prompt
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The case id (the customer, under `escalate account`)
    pub id: String,
    /// Why
    #[arg(long, value_name = "TEXT")]
    pub why: String,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    /// The case id (the customer, under `escalate account`)
    pub id: String,
    /// A note for the record
    #[arg(long, value_name = "TEXT")]
    pub note: String,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The case id (the customer, under `escalate account`)
    pub id: String,
    /// The new owner
    #[arg(long = "to", value_name = "NAME")]
    pub to: String,
    /// An optional note
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct HandoffArgs {
    /// The case id (the customer, under `escalate account`)
    pub id: String,
    /// The next owner
    #[arg(long = "to", value_name = "NAME")]
    pub to: String,
    /// What the next owner must know first
    #[arg(long, value_name = "TEXT")]
    pub note: String,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The case id (the customer, under `escalate account`)
    pub id: String,
    /// What the customer was told
    #[arg(long, value_name = "TEXT")]
    pub note: String,
    /// The next touch-point promised to the customer [default: the level's cadence]
    #[arg(long, value_name = "TIME")]
    pub next: Option<String>,
}

#[derive(Debug, Args)]
pub struct DueArgs {
    /// How far ahead to look, like 4h, 2d or 1h30m
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub within: String,
    /// Only this owner's escalations
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// Only what is past due; exit 1 when anything is
    #[arg(long)]
    pub overdue: bool,
    /// Tell each overdue item's channels (once per deadline); for cron, with --overdue
    #[arg(long, requires = "overdue")]
    pub notify: bool,
    /// Only escalations of cases of this customer priority: low, normal or high
    #[arg(long, value_name = "PRIORITY")]
    pub priority: Option<String>,
    #[command(flatten)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The case id
    #[arg(required_unless_present = "account", conflicts_with = "account")]
    pub id: Option<String>,
    /// Evaluate the account-escalation triggers of this customer's open cases instead
    #[arg(long, value_name = "CUSTOMER")]
    pub account: Option<String>,
    /// Check for this destination (some skip the wait)
    #[arg(long = "to", value_name = "DEST")]
    pub to: Option<String>,
    /// Check with this reason
    #[arg(long, value_name = "KEY")]
    pub reason: Option<String>,
    /// A deadline the customer faces: a reason that may skip the wait does when it falls before the wait ends
    #[arg(long, value_name = "TIME", requires = "reason")]
    pub deadline: Option<String>,
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The case id
    pub id: String,
    /// Why: one of the policy's reasons
    #[arg(long, value_name = "KEY")]
    pub reason: Option<String>,
    /// Where to: one of the policy's destinations
    #[arg(long = "to", value_name = "DEST")]
    pub to: Option<String>,
    /// What the reviewer needs to know to approve it
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// A package field the destination requires (repeatable)
    #[arg(long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// An answer to a "when not to escalate" check, yes or no (repeatable): documented-fix,
    /// configuration-error, coaching, documented-limitation, resolved-before
    #[arg(long = "screen", value_name = "CHECK=yes|no")]
    pub screen: Vec<String>,
    /// Start at this level, where the policy lets a request start there [default: the reason's start_level, else 1].
    /// With a reason that may skip the wait, a hard deadline (--deadline) before the wait ends skips it
    #[arg(long, value_name = "N")]
    pub level: Option<u32>,
    /// Why the hard deadline (--deadline) justifies skipping the wait (required when it does; shown in the document and report)
    #[arg(long, value_name = "TEXT")]
    pub justification: Option<String>,
    /// Escalate although a "when not to escalate" check says yes
    #[arg(long)]
    pub escalate_anyway: bool,
    /// Why it goes ahead although a "when not to escalate" check says yes (shown in the document)
    #[arg(long, value_name = "TEXT", requires = "escalate_anyway")]
    pub anyway_why: Option<String>,
    /// Do not prompt or ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten, next_help_heading = "Escalation document items")]
    pub package: PackageItems,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The case id (the customer, under `escalate account`)
    pub id: String,
    /// Why the escalation must go higher
    #[arg(long, value_name = "TEXT")]
    pub why: Option<String>,
    /// Do not prompt or ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// requested, approved, rejected, withdrawn, closed, open (the first three) or all
    #[arg(long, default_value = "open")]
    pub state: String,
    /// Only escalations at this level
    #[arg(long)]
    pub level: Option<u32>,
    /// Only escalations to this destination
    #[arg(long = "to", value_name = "DEST")]
    pub to: Option<String>,
    /// Only escalations of cases of this customer priority: low, normal or high
    #[arg(long, value_name = "PRIORITY")]
    pub priority: Option<String>,
    #[command(flatten)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct OutageArgs {
    /// The case id
    pub id: String,
    /// Where the outage process was started: the call, the outage alias thread, an incident id
    #[arg(long = "ref", value_name = "TEXT")]
    pub reference: String,
}

#[derive(Debug, Args)]
pub struct RcaArgs {
    /// The case id (the customer, under `escalate account`)
    pub id: String,
    /// The root-cause analysis is complete
    #[arg(long)]
    pub done: bool,
    /// Where the analysis is
    #[arg(long, value_name = "URL")]
    pub link: String,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The case id
    pub id: String,
}
