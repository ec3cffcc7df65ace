//! `escalate notify`: the outbox of notifications, as clap definitions.

use clap::{Args, Subcommand};

use super::ListFormat;

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send the notifications that are due (pending, past their retry time), with retries
    Flush(FlushArgs),
    /// The outbox: every notification and where it stands
    List(NotifyListArgs),
    /// Send a test message to a channel now
    Test(NotifyTestArgs),
    /// Send failed notifications again, once their channel is fixed: by id, or all of them
    Retry(NotifyRetryArgs),
}

#[derive(Debug, Args)]
pub struct FlushArgs {
    /// The time all deliveries may take together, in seconds [default: the policy's notify.budget_seconds]
    #[arg(long, value_name = "SECONDS")]
    pub budget: Option<u64>,
    /// Send at most this many
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub limit: i64,
    #[command(flatten)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct NotifyListArgs {
    /// Only those not delivered yet
    #[arg(long, conflicts_with = "failed")]
    pub pending: bool,
    /// Only those given up (dead letters)
    #[arg(long)]
    pub failed: bool,
    /// Show at most this many, newest first
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: i64,
    #[command(flatten)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct NotifyTestArgs {
    /// The channel, as named under [channels] in the policy
    pub channel: String,
}

#[derive(Debug, Args)]
pub struct NotifyRetryArgs {
    /// The failed notifications to send again, by id (`escalate notify list --failed` shows them)
    #[arg(value_name = "ID", required_unless_present = "all", conflicts_with = "all")]
    pub ids: Vec<i64>,
    /// Every failed notification (those to one channel with --channel)
    #[arg(long)]
    pub all: bool,
    /// With --all: only the failed notifications to this channel
    #[arg(long, value_name = "NAME", requires = "all")]
    pub channel: Option<String>,
    /// The time all deliveries may take together, in seconds [default: the policy's notify.budget_seconds]
    #[arg(long, value_name = "SECONDS")]
    pub budget: Option<u64>,
    #[command(flatten)]
    pub format: ListFormat,
}
