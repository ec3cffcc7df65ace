//! `escalate policy ...` and `escalate ledger ...`: the policy and the ledger themselves, as clap definitions.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::*;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file (default: the policy in force)
    Check {
        /// The file to validate
        file: Option<PathBuf>,
    },
    /// Print the policy in force as tables
    Show,
    /// Which policy file is in force, and the lookup order
    Path,
    /// Replay the ledger's history under another policy: what it would refuse or allow earlier, how deadlines move
    Replay(PolicyReplayArgs),
    /// The changes from one policy to another, key by key: OLD NEW, or NEW against the policy in force
    Diff {
        /// OLD NEW, or NEW alone to compare with the policy in force
        #[arg(value_name = "FILE", num_args = 1..=2, required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct PolicyReplayArgs {
    /// The policy to replay the history under
    pub file: PathBuf,
    /// Only acts recorded at or after this time
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only acts recorded before this time
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// table, json or csv (one row per act that changes) [default: table; json with --json]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Where the ledger is, its schema version and what it holds
    Info,
    /// Create the ledger or upgrade it to this version's schema
    Migrate,
    /// Copy everything in the ledger in use into another, empty one (SQLite or PostgreSQL)
    Copy(LedgerCopyArgs),
    /// Recompute the event log's hash chain; name the first event that does not match (exit 7)
    Verify(LedgerVerifyArgs),
    /// Print a signed checkpoint of the event log (origin, size, head hash) to keep outside the ledger
    Checkpoint(LedgerCheckpointArgs),
}

#[derive(Debug, Args)]
pub struct LedgerVerifyArgs {
    /// Also prove the ledger extends this checkpoint (nothing it saw was removed)
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// With --checkpoint: require it to be signed with this public key (the `key`
    /// line of a checkpoint you trust), so that a re-signed one is refused
    #[arg(long, value_name = "BASE64", requires = "checkpoint")]
    pub key: Option<String>,
    /// Also hold every case's row to the events that added and changed it (a
    /// second pass over the log: about three times as long on a large ledger)
    #[arg(long)]
    pub cases: bool,
}

#[derive(Debug, Args)]
pub struct LedgerCheckpointArgs {
    /// Write it to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LedgerCopyArgs {
    /// Where to copy to: a SQLite file or a postgres:// URL; it must hold no ledger data yet
    #[arg(long, value_name = "PATH|URL")]
    pub to: String,
}
