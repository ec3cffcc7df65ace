//! `escalate due`: every deadline past or within a window, soonest first.

use crate::app::Ctx;
use crate::cli::DueArgs;
use crate::error;
use crate::ledger::EscalationFilter;
use crate::model::{Case, EscState};
use crate::notify::{self, Topic};
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
    // Telling people writes the outbox; only then is the ledger opened for writing.
    let mut ledger = if a.notify { ctx.write_ledger()? } else { ctx.read_ledger()? };
    let mut tx = ledger.begin()?;
    let active = EscState::ALL.iter().copied().filter(|s| s.is_active()).collect();
    // Only the escalations that can have a deadline by the horizon, found by the ledger.
    let horizon = ctx.now + chrono::Duration::minutes(minutes);
    let due = Some(crate::rules::due::bounds(ctx.policy(), horizon));
    let mut escalations =
        tx.list_escalations(&EscalationFilter { states: active, due, ..EscalationFilter::default() })?;
    escalations.retain(|e| a.owner.as_deref().is_none_or(|o| crate::model::same_actor(o, &e.owner)));
    let priority = a.priority.as_deref().map(super::case::priority).transpose()?;
    // Their cases and pauses in one query each, not one per escalation.
    let mut ids: Vec<String> = escalations.iter().map(|e| e.case_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let cases: std::collections::HashMap<String, Case> =
        tx.cases(&ids)?.into_iter().map(|c| (c.id.clone(), c)).collect();
    let mut pauses = tx.pauses_of_cases(&ids)?;
    let mut rows = Vec::new();
    for e in escalations {
        let Some(case) = cases.get(&e.case_id).cloned() else { continue };
        if priority.is_some_and(|p| p != case.priority) {
            continue;
        }
        let paused = pauses.get_mut(&case.id).map(std::mem::take).unwrap_or_default();
        rows.push((case, e, paused));
    }
    let open: Vec<Open> = rows.iter().map(|(case, esc, pauses)| Open { case, esc, pauses }).collect();
    let mut items = within(due_items(ctx.policy(), &open, ctx.now), ctx.now, chrono::Duration::minutes(minutes));
    if a.overdue {
        items.retain(|i| i.overdue);
    }
    if a.notify {
        if ctx.policy().notify.channels.is_empty() && !items.is_empty() {
            eprintln!(
                "warning: --notify told nobody: the policy defines no channels (see [channels] and the `channels` of its levels and destinations)"
            );
        }
        for item in &items {
            let Some((case, esc, _)) = rows.iter().find(|(_, e, _)| e.id == item.escalation) else { continue };
            let p = ctx.policy();
            if !p.notify.channels.is_empty() && notify::route::recipients(p, Topic::Overdue, case, Some(esc)).is_empty()
            {
                eprintln!(
                    "warning: no channel is routed for escalation #{} of case {} (level {}, {}): nobody was told it is overdue",
                    esc.id,
                    render::clean(&case.id),
                    esc.level,
                    esc.destination
                );
            }
            let key = notify::message::overdue_key(item);
            let details = notify::message::overdue_details(item, ctx.tz());
            let channel_key = |channel: &str| format!("{key}-{channel}");
            notify::outbox::queue(ctx, &mut *tx, Topic::Overdue, case, Some(esc), details, &channel_key, None)?;
        }
        tx.commit()?;
    }
    let format = ctx.out.list_format(a.format.format)?;
    ctx.out.rows(format, &items, None, || render::check::due(&ctx.out, &items, ctx.policy(), ctx.now, a.overdue))?;
    Ok(if a.overdue && !items.is_empty() { 1 } else { 0 })
}
