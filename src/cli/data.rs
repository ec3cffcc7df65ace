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

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to read, or - for standard input
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,
    /// ndjson or csv [default: from the file's extension]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<DataFormat>,
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
    /// ndjson (one object per line), csv (a header row) or json (one array)
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "ndjson")]
    pub format: DataFormat,
    /// Only what changed at or after this time (events at or after it; cases and escalations with such events)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
