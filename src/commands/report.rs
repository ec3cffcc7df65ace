//! `escalate report`: how escalations went over a period, as tables, JSON or
//! CSV (one `section,key,label,value` row per figure).

use crate::app::Ctx;
use crate::cli::{Format, ReportArgs};
use crate::error;
use crate::ledger::EscalationFilter;
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
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let all = tx.list_escalations(&EscalationFilter::default())?;
    let mut cases: Vec<String> = all.iter().map(|e| e.case_id.clone()).collect();
    cases.sort_unstable();
    cases.dedup();
    let events = tx.events_of_cases(&cases)?;
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
