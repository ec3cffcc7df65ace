//! `escalate export`: cases, escalations or events as NDJSON, CSV or a JSON
//! array, streamed from the ledger; `case import` reads back `export cases`.

use std::io::Write;

use crate::app::Ctx;
use crate::cli::{DataFormat, ExportArgs, ExportWhat};
use crate::render::io_error;
use crate::transfer::CASE_FIELDS;
use crate::transfer::write::Sink;

/// The columns of each export, in order (also the CSV header when nothing matches).
pub const ESCALATION_FIELDS: &[&str] = &[
    "id",
    "case",
    "level",
    "state",
    "destination",
    "reason",
    "description",
    "fields",
    "requested_by",
    "requested_at",
    "level_since",
    "review_due_at",
    "owner",
    "raised_by",
    "decision",
    "decided_by",
    "decided_at",
    "decision_note",
    "closed_at",
    "last_update_at",
    "next_touch_at",
    "handoff_note",
    "touch_since",
    "package",
    "account",
    "linked",
];
pub const EVENT_FIELDS: &[&str] = &["seq", "at", "actor", "case", "escalation", "kind", "data", "policy_digest"];

/// A case as `export cases` writes it: the stored fields and its pauses.
#[derive(serde::Serialize)]
struct ExportedCase<'a> {
    #[serde(flatten)]
    case: &'a crate::model::Case,
    pauses: Vec<crate::model::Pause>,
}

pub fn run(ctx: &Ctx, a: &ExportArgs) -> anyhow::Result<u8> {
    let since = a.since.as_deref().map(|s| ctx.parse_time("--since", s)).transpose()?;
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let stdout = std::io::stdout().lock();
    let w = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let header = match a.what {
        ExportWhat::Cases => CASE_FIELDS,
        ExportWhat::Escalations => ESCALATION_FIELDS,
        ExportWhat::Events => EVENT_FIELDS,
    };
    let format = a.format.unwrap_or(if ctx.out.json { DataFormat::Json } else { DataFormat::Ndjson });
    let mut sink = Sink::new(w, format, Some(header)).map_err(io_error)?;
    match a.what {
        // The pause history goes with the case: the wait window depends on it.
        ExportWhat::Cases => {
            tx.each_case(since, &mut |(c, pauses)| sink.row(&ExportedCase { case: &c, pauses }).map_err(io_error))?
        }
        ExportWhat::Escalations => tx.each_escalation(since, &mut |e| sink.row(&e).map_err(io_error))?,
        ExportWhat::Events => tx.each_event(since, &mut |e| sink.row(&e).map_err(io_error))?,
    }
    sink.finish().map_err(io_error)?;
    std::io::stdout().flush().map_err(io_error)?;
    Ok(0)
}
