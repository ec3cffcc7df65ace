//! `escalate case ...`: recording and inspecting cases, as clap definitions.

use clap::{Args, Subcommand};

use super::*;

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Record a new case
    Add(CaseAddArgs),
    /// List cases
    List(CaseListArgs),
    /// One case
    Show(CaseIdArg),
    /// Change a case's fields
    Update(CaseUpdateArgs),
    /// Close a case
    Close(CaseIdArg),
    /// Reopen a closed case
    Reopen(CaseIdArg),
    /// Import cases from NDJSON or CSV (the fields of `case show --json`)
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct CaseIdArg {
    /// The case id
    pub id: String,
}

#[derive(Debug, Args)]
pub struct CaseAddArgs {
    /// The case id, as your ticketing system knows it
    pub id: String,
    /// The customer (account) name
    #[arg(long)]
    pub customer: String,
    /// Severity, one of the policy's (default 1-4; 1 is an outage)
    #[arg(long)]
    pub severity: String,
    /// Support tier, one of the policy's (default: premium, standard)
    #[arg(long)]
    pub tier: String,
    /// A one-line title
    #[arg(long, default_value = "")]
    pub title: String,
    /// When the case was opened [default: now]
    #[arg(long, value_name = "TIME")]
    pub opened_at: Option<String>,
    /// When the customer first heard back (for the first-response SLA)
    #[arg(long, value_name = "TIME")]
    pub first_response: Option<String>,
    /// The customer's priority: low, normal or high
    #[arg(long, default_value = "normal")]
    pub priority: String,
    /// A tag (repeatable), such as a symptom
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CaseListArgs {
    /// open, closed or all
    #[arg(long, default_value = "open")]
    pub status: String,
    /// Only this customer's cases
    #[arg(long)]
    pub customer: Option<String>,
    /// Only cases of this tier
    #[arg(long)]
    pub tier: Option<String>,
    /// Only cases of this severity
    #[arg(long)]
    pub severity: Option<String>,
    /// Only cases that may be escalated now (by `check` with no destination)
    #[arg(long)]
    pub eligible: bool,
    /// Only cases of this customer priority: low, normal or high
    #[arg(long, value_name = "PRIORITY")]
    pub priority: Option<String>,
    #[command(flatten)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct CaseUpdateArgs {
    /// The case id
    pub id: String,
    /// The customer (account) the case is for
    #[arg(long)]
    pub customer: Option<String>,
    /// Severity, one of the policy's (a raise may make the case an outage)
    #[arg(long)]
    pub severity: Option<String>,
    /// Support tier, one of the policy's
    #[arg(long)]
    pub tier: Option<String>,
    /// A one-line title
    #[arg(long)]
    pub title: Option<String>,
    /// When the case was opened
    #[arg(long, value_name = "TIME")]
    pub opened_at: Option<String>,
    /// When the customer first heard back (for the first-response SLA; "" takes it back)
    #[arg(long, value_name = "TIME")]
    pub first_response: Option<String>,
    /// The customer's priority: low, normal or high
    #[arg(long)]
    pub priority: Option<String>,
    /// Add a tag (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub add_tags: Vec<String>,
    /// Remove a tag (repeatable)
    #[arg(long = "untag", value_name = "TAG")]
    pub remove_tags: Vec<String>,
    /// The case now waits on the customer: paused clocks stop
    #[arg(long, conflicts_with = "resume")]
    pub waiting: bool,
    /// The customer answered: paused clocks run again
    #[arg(long)]
    pub resume: bool,
}
