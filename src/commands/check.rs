//! `escalate check ID`: may this case be escalated now, and if not, when and
//! why not; with the case's SLA position and the signals that say escalate.

use crate::app::{Ctx, key_of};
use crate::cli::CheckArgs;
use crate::render;
use crate::rules::check::{Ask, Report, check};
use crate::rules::{signals, sla};

pub fn run(ctx: &Ctx, a: &CheckArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let dest = a.to.as_deref().map(|d| key_of(&p.destinations, "--to", "destination", d)).transpose()?;
    let reason = a.reason.as_deref().map(|r| key_of(&p.reasons, "--reason", "reason", r)).transpose()?;
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, &a.id)?;
    let escalations = tx.escalations_of(&case.id)?;
    let pauses = tx.pauses_of(&case.id)?;
    let events = tx.events_of(&case.id)?;
    let window = p.signals.recurring_window;
    let since = (window.counting == crate::policy::Counting::Clock)
        .then(|| ctx.now - chrono::Duration::minutes(window.minutes));
    let peers = tx.open_cases_tagged(&case.tags, since)?;

    let verdict = check(
        p,
        &case,
        &escalations,
        &pauses,
        ctx.now,
        Ask { actor: &ctx.actor, destination: dest.as_deref(), reason: reason.as_deref() },
    );
    let sla = sla::position(p, &case, ctx.now);
    let signals = vec![
        signals::recurring(p, &case, &peers, ctx.now),
        signals::first_response(&sla),
        // Activity is what happened to the case up to now; entering it in the ledger is not.
        signals::stalled(
            p,
            &case,
            events
                .iter()
                .filter(|e| !matches!(e.body, crate::events::EventBody::CaseAdded(_)) && e.at <= ctx.now)
                .map(|e| e.at)
                .max(),
            ctx.now,
        ),
        signals::severity_trend(&events),
    ];
    let code = if verdict.eligible { 0 } else { 1 };
    let report = Report { verdict, sla, signals };
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else {
        ctx.out.print(&render::check::report(&ctx.out, &report, p, ctx.now))?;
    }
    Ok(code)
}
