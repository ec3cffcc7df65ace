//! Clap definitions for data in and out: list formats, import, export, completions.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// How a list prints: a table for people, or one of the machine formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Ndjson,
    Csv,
}

#[derive(Debug, Args)]
pub struct ListFormat {
    /// table, json (one array, as --json), ndjson (one object per line) or csv (a header row)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportWhat {
    Cases,
    Escalations,
    Events,
}

/// The formats `export` writes and `case import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    Ndjson,
    Csv,
    Json,
}

/// The formats `case import` reads: one record per line (NDJSON, CSV), or one
/// JSON array of records (what `export cases --format json` writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    Ndjson,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to read, or - for standard input
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,
    /// ndjson or csv [default: from the file's extension]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ImportFormat>,
    /// Import the valid records and report the invalid ones, instead of importing nothing
    #[arg(long)]
    pub skip_invalid: bool,
    /// Check every record and report, but write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Update cases that already exist instead of refusing them
    #[arg(long)]
    pub upsert: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export
    #[arg(value_enum, default_value = "cases")]
    pub what: ExportWhat,
    /// ndjson (one object per line), csv (a header row) or json (one array) [default: ndjson; json with --json]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<DataFormat>,
    /// Only what changed at or after this time (events at or after it; cases and escalations with such events)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write escalate.1 and a page per command (escalate-case.1, ...) into this directory
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The escalation document's items (impact, narrative, reproduction, actions, request), one flag each.
#[derive(Debug, Default, Args)]
pub struct PackageItems {
    /// One-line summary
    #[arg(long, value_name = "TEXT")]
    pub summary: Option<String>,
    /// Severity of the document: critical, high or medium (overrides the policy's rating)
    #[arg(long, value_name = "RATING")]
    pub rating: Option<String>,
    /// Affected customers: count and names
    #[arg(long, value_name = "TEXT")]
    pub affected: Option<String>,
    /// Operational effect: what is broken for them
    #[arg(long, value_name = "TEXT")]
    pub effect: Option<String>,
    /// Revenue: the ARR exposed, pipeline deals at risk
    #[arg(long, value_name = "TEXT")]
    pub revenue: Option<String>,
    /// Breadth: how many customers or end users, and is it growing
    #[arg(long, value_name = "TEXT")]
    pub breadth: Option<String>,
    /// Depth: fully blocked or merely inconvenienced
    #[arg(long, value_name = "TEXT")]
    pub depth: Option<String>,
    /// Duration: how long it has persisted, when it becomes critical
    #[arg(long, value_name = "TEXT")]
    pub duration: Option<String>,
    /// Reputation: press or social media exposure, reference accounts
    #[arg(long, value_name = "TEXT")]
    pub reputation: Option<String>,
    /// Contractual: SLA terms violated, penalties
    #[arg(long, value_name = "TEXT")]
    pub contractual: Option<String>,
    /// Problem narrative: what, since when, how it presents, how wide
    #[arg(long, value_name = "TEXT")]
    pub narrative: Option<String>,
    /// Reproduction steps, one per line
    #[arg(long, value_name = "TEXT")]
    pub steps: Option<String>,
    /// Expected outcome
    #[arg(long, value_name = "TEXT")]
    pub expected: Option<String>,
    /// Observed outcome
    #[arg(long, value_name = "TEXT")]
    pub observed: Option<String>,
    /// Environment: browser, OS, plan tier, feature flags
    #[arg(long, value_name = "TEXT")]
    pub environment: Option<String>,
    /// Customer expectation: what they believe will happen, and by when
    #[arg(long, value_name = "TEXT")]
    pub customer_expectation: Option<String>,
    /// Further escalation risk
    #[arg(long, value_name = "TEXT")]
    pub escalation_risk: Option<String>,
    /// The request: investigate, ship a fix, make a decision, approve an exception
    #[arg(long, value_name = "TEXT")]
    pub ask: Option<String>,
    /// Hard deadline
    #[arg(long, value_name = "TIME")]
    pub deadline: Option<String>,
}

/// How `package` prints the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    Markdown,
    Json,
    Text,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The case id (its open escalation, or the latest)
    pub id: String,
    /// markdown (pastes into a ticket or chat), json or text [default: markdown; json with --json]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<DocFormat>,
    /// Complete the package item by item on the terminal
    #[arg(long)]
    pub edit: bool,
    /// Remove an item set earlier, such as rating or deadline (repeatable)
    #[arg(long, value_name = "ITEM")]
    pub clear: Vec<String>,
    #[command(flatten)]
    pub items: PackageItems,
}

#[derive(Debug, Args)]
pub struct NoteCmdArgs {
    /// The case id
    pub id: String,
    /// A troubleshooting step taken
    #[arg(long, value_name = "TEXT")]
    pub action: Option<String>,
    /// What that step gave
    #[arg(long, value_name = "TEXT", requires = "action")]
    pub outcome: Option<String>,
    /// A reference: a ticket URL, a thread, a log file or a screenshot (repeatable)
    #[arg(long, value_name = "PATH_OR_URL")]
    pub attach: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Only escalations requested at or after this time
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only escalations requested before this time
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// table, json, csv, or html (one self-contained page with charts) [default: table; json with --json]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReportFormat>,
    /// Write the report to this file instead of standard output (with --format html, json, csv or ndjson)
    #[arg(long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// How `report` prints: the list formats, or a page with charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Ndjson,
    Csv,
    Html,
}
