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
