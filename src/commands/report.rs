//! `escalate report`: how escalations went over a period, as tables, JSON or
//! CSV (one `section,key,label,value` row per figure).

use crate::app::Ctx;
use crate::cli::{Format, ReportArgs};
use crate::error;
use crate::ledger::queries::{self, EscalationFilter};
use crate::render;
use crate::rules::report::report;

pub fn run(ctx: &Ctx, a: &ReportArgs) -> anyhow::Result<u8> {
    let since = a.since.as_deref().map(|s| ctx.parse_time("--since", s)).transpose()?;
    let until = a.until.as_deref().map(|s| ctx.parse_time("--until", s)).transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && u <= s
    {
        return Err(error::bad_input("--until must come after --since"));
    }
    let ledger = ctx.read_ledger()?;
    let all = queries::list_escalations(&ledger.conn, &EscalationFilter::default())?;
    let mut cases: Vec<&str> = all.iter().map(|e| e.case_id.as_str()).collect();
    cases.sort_unstable();
    cases.dedup();
    let mut events = Vec::new();
    for c in cases {
        events.extend(queries::events_of(&ledger.conn, c)?);
    }
    let r = report(ctx.policy(), &all, &events, since, until);
    match a.format.unwrap_or(if ctx.out.json { Format::Json } else { Format::Table }) {
        Format::Json => ctx.out.json(&r)?,
        Format::Table => ctx.out.print(&render::report::tables(&ctx.out, &r, ctx.tz()))?,
        Format::Csv | Format::Ndjson => {
            let rows = render::report::rows(&r);
            let format = a.format.unwrap_or(Format::Csv);
            ctx.out.rows(format, &rows, Some(&["section", "key", "label", "value"]), String::new)?;
        }
    }
    Ok(0)
}
