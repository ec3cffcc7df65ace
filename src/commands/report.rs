//! `escalate report`: how escalations went over a period, as tables, JSON, CSV
//! (one `section,key,label,value` row per figure), or one HTML page with charts.

use crate::app::Ctx;
use crate::cli::{Format, ReportArgs, ReportFormat};
use crate::error;
use crate::ledger::{CaseFilter, EscalationFilter};
use crate::model::CaseStatus;
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
    if let Some(f) = a.format.filter(|f| ctx.out.json && *f != ReportFormat::Json) {
        let name = clap::ValueEnum::to_possible_value(&f).map_or_else(String::new, |v| v.get_name().to_string());
        return Err(error::bad_input(format!("--json and --format {name} disagree: give one of them")));
    }
    let format = a.format.unwrap_or(if ctx.out.json { ReportFormat::Json } else { ReportFormat::Table });
    if a.output.is_some() && format == ReportFormat::Table {
        return Err(error::bad_input(
            "--output writes a file for other tools: give it with --format html, json, csv or ndjson",
        ));
    }
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    // The window's escalations only (the rules keep to it as well), their events and
    // their cases' root-cause analyses.
    let window = EscalationFilter { requested_since: since, requested_before: until, ..EscalationFilter::default() };
    let all = tx.list_escalations(&window)?;
    let mut cases: Vec<String> = all.iter().map(|e| e.case_id.clone()).collect();
    cases.sort_unstable();
    cases.dedup();
    let ids: Vec<i64> = all.iter().map(|e| e.id).collect();
    let events = tx.escalation_events(&ids, &cases)?;
    let r = report(ctx.policy(), &all, &events, since, until);
    let list = match format {
        ReportFormat::Json => Format::Json,
        ReportFormat::Table => Format::Table,
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Ndjson => Format::Ndjson,
        ReportFormat::Html => {
            let open = tx.list_cases(&CaseFilter { status: Some(CaseStatus::Open), ..CaseFilter::default() })?;
            drop(tx);
            let figures = crate::rules::charts::figures(ctx.policy(), &all, &events, &open, (since, until), ctx.now);
            let charts = render::charts::all(&figures)?;
            let page = render::html::page(&r, &charts, ctx.tz(), ctx.now);
            match &a.output {
                Some(path) => render::write_file(path, page.as_bytes())?,
                None => ctx.out.print(&page)?,
            }
            return Ok(0);
        }
    };
    if let Some(path) = &a.output {
        render::write_file(path, &data(&r, list)?)?;
        return Ok(0);
    }
    match list {
        Format::Json => ctx.out.json(&r)?,
        Format::Table => ctx.out.print(&render::report::tables(&ctx.out, &r, ctx.tz()))?,
        Format::Csv | Format::Ndjson => {
            let rows = render::report::rows(&r);
            ctx.out.rows(list, &rows, Some(&["section", "key", "label", "value"]), String::new)?;
        }
    }
    Ok(0)
}

/// The report as a file holds it: JSON, or its figures as CSV or NDJSON rows.
fn data(r: &crate::rules::report::Report, format: Format) -> anyhow::Result<Vec<u8>> {
    let data = match format {
        Format::Csv => crate::cli::DataFormat::Csv,
        Format::Ndjson => crate::cli::DataFormat::Ndjson,
        _ => return Ok(format!("{}\n", serde_json::to_string_pretty(r)?).into_bytes()),
    };
    let mut out = Vec::new();
    let mut sink = crate::transfer::write::Sink::new(&mut out, data, Some(&["section", "key", "label", "value"]))?;
    for row in render::report::rows(r) {
        sink.row(&row)?;
    }
    sink.finish()?;
    Ok(out)
}
