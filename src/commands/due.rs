//! `escalate due`: every deadline past or within a window, soonest first.

use crate::app::Ctx;
use crate::cli::DueArgs;
use crate::error;
use crate::ledger::queries::{self, EscalationFilter};
use crate::policy::span::{Counting, parse_amount};
use crate::render;
use crate::rules::follow::{Open, due_items, within};

pub fn run(ctx: &Ctx, a: &DueArgs) -> anyhow::Result<u8> {
    if a.within.trim().contains(char::is_whitespace) {
        return Err(error::bad_input(format!(
            "invalid --within {:?}: it is clock time from now, given as an amount only; for example 4h, 2d or 1h30m",
            a.within
        )));
    }
    let minutes = parse_amount(a.within.trim(), Counting::Clock).map_err(|why| {
        error::bad_input(format!("invalid --within {:?}: {why}; for example 4h, 2d or 1h30m", a.within))
    })?;
    let ledger = ctx.read_ledger()?;
    let escalations = queries::list_escalations(&ledger.conn, &EscalationFilter::default())?;
    let mut rows = Vec::new();
    for e in escalations.into_iter().filter(|e| e.state.is_active()) {
        if a.owner.as_deref().is_some_and(|o| o != e.owner) {
            continue;
        }
        let Some(case) = queries::get_case(&ledger.conn, &e.case_id)? else { continue };
        let pauses = queries::pauses_of(&ledger.conn, &case.id)?;
        rows.push((case, e, pauses));
    }
    let open: Vec<Open> = rows.iter().map(|(case, esc, pauses)| Open { case, esc, pauses }).collect();
    let mut items = within(due_items(ctx.policy(), &open, ctx.now), ctx.now, chrono::Duration::minutes(minutes));
    if a.overdue {
        items.retain(|i| i.overdue);
    }
    let format = ctx.out.list_format(a.format.format)?;
    ctx.out.rows(format, &items, None, || render::check::due(&ctx.out, &items, ctx.policy(), ctx.now, a.overdue))?;
    Ok(if a.overdue && !items.is_empty() { 1 } else { 0 })
}
