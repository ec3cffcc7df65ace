//! `escalate promote ID --why TEXT`: raise the case's open escalation one level.

use crate::app::{Ctx, text};
use crate::cli::PromoteArgs;
use crate::error;
use crate::events::{EventBody, Promoted};
use crate::model::{EscState, Escalation};
use crate::prompt::prompter;
use crate::render;
use crate::rules::promote::{Promotion, can_promote};

fn open_escalation(escalations: Vec<Escalation>) -> Option<Escalation> {
    crate::model::open_escalation(&escalations).cloned()
}

pub fn run(ctx: &Ctx, a: PromoteArgs, target: super::follow::Target) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let ask = prompter(a.yes, ctx.no_input);

    // Refuse before asking anything.
    let judged = {
        let mut ledger = ctx.read_ledger()?;
        let mut tx = ledger.begin()?;
        let (case, all) = super::follow::load(ctx, &mut *tx, &target)?;
        let latest = all.last().cloned();
        match open_escalation(all) {
            Some(e) => as_judged(ctx, &mut *tx, Some(&e))?,
            None => return Err(super::follow::no_open(ctx, &mut *tx, &case.id, latest.as_ref())),
        }
    };
    if let Promotion::Refused { why, .. } = can_promote(p, &a.id, judged.as_ref(), ctx.now) {
        return Err(error::refused(render::finding::refusal(&why, ctx.tz(), ctx.now)));
    }

    let why = match (&a.why, &ask) {
        (Some(w), _) => text("--why", w)?,
        (None, Some(ask)) => text("--why", &ask.long_text("Why must this escalation go higher?")?)?,
        (None, None) => {
            return Err(error::bad_input(
                "missing --why TEXT (why the escalation must go higher), and no terminal to ask on (or --yes/--no-input was given)",
            ));
        }
    };

    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let (case, all) = super::follow::load(ctx, &mut *tx, &target)?;
    let current = open_escalation(all);
    let judged = as_judged(ctx, &mut *tx, current.as_ref())?;
    let (mut esc, to, because) = match (can_promote(p, &case.id, judged.as_ref(), ctx.now), current) {
        (Promotion::Allowed { to, because }, Some(esc)) => {
            (esc, to, render::finding::because(&because, ctx.tz(), ctx.now))
        }
        (Promotion::Refused { why, .. }, _) => {
            return Err(error::refused(render::finding::refusal(&why, ctx.tz(), ctx.now)));
        }
        (Promotion::Allowed { .. }, None) => {
            return Err(error::refused(format!("case {} has no open escalation", case.id)));
        }
    };
    let level = p.level(to).ok_or_else(|| error::policy(format!("the policy has no level {to}")))?;
    if let Some(ask) = &ask {
        let question =
            format!("Promote {} to level {to} ({})?", render::clean(&super::follow::named(&esc)), level.name);
        if !ask.confirm(&question)? {
            return Err(error::refused("promotion not submitted"));
        }
    }
    let from = esc.level;
    esc.level = to;
    esc.state = EscState::Requested;
    esc.level_since = ctx.now;
    esc.review_due_at = p.review_window(level.number, &esc.destination).and_then(|r| p.calendar.add(ctx.now, r));
    esc.raised_by = ctx.actor.clone();
    esc.decision = None;
    esc.decided_by = None;
    esc.decided_at = None;
    esc.decision_note = None;
    tx.update_escalation(&esc)?;
    let promoted = Promoted { from, to, why, because, review_due_at: esc.review_due_at };
    ctx.record(&mut *tx, &case.id, Some(esc.id), &EventBody::Promoted(promoted))?;
    tx.commit()?;

    let shown = render::cases::EscalationView::new(&esc, p, Some(&case));
    if ctx.out.json {
        ctx.out.json(&shown)?;
    } else {
        ctx.out.print(&render::check::promoted(&ctx.out, &shown, from, p, ctx.now))?;
    }
    Ok(0)
}

/// The escalation as a promotion is judged: its review deadline counted as the
/// policy counts it (moved by the case's pauses when the review clock stops).
/// Only judged: what is written keeps the stored deadline.
fn as_judged(
    ctx: &Ctx,
    tx: &mut dyn crate::ledger::Txn,
    esc: Option<&crate::model::Escalation>,
) -> anyhow::Result<Option<crate::model::Escalation>> {
    let Some(e) = esc else { return Ok(None) };
    let mut e = e.clone();
    if ctx.policy().pause_review {
        let pauses = tx.pauses_of(&e.case_id)?;
        e.review_due_at = crate::rules::pause::review_due(ctx.policy(), &e, &pauses);
    }
    Ok(Some(e))
}
