//! Follow-through on an open escalation: withdraw, assign, handoff, customer
//! updates, close and reopen. Each is one transaction and one event.

use crate::app::{Ctx, one_line, text};
use crate::cli::{AssignArgs, HandoffArgs, NoteArgs, UpdateArgs, WhyArgs};
use crate::error;
use crate::events::{CustomerUpdated, EventBody, Note, OwnerChange, Reopened, Why};
use crate::model::{Case, CaseStatus, EscState, Escalation};
use crate::render::{self, cases::EscalationView};
use crate::rules::follow::{may_close, may_take_over, may_withdraw};

/// Which of the case's escalations a command acts on.
#[derive(Clone, Copy)]
pub enum Pick {
    /// The open one (requested, approved or rejected).
    Open,
    /// The latest one, whatever its state (for reopen).
    Latest,
}

/// Apply `change` to the case's escalation inside one write transaction, then
/// record the event it returns. Returns the case and the changed escalation.
pub fn act(
    ctx: &Ctx,
    case_id: &str,
    pick: Pick,
    change: impl FnOnce(&Case, &mut Escalation) -> anyhow::Result<EventBody>,
) -> anyhow::Result<(Case, Escalation)> {
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, case_id)?;
    let all = tx.escalations_of(&case.id)?;
    let latest = all.last().cloned();
    let mut esc = match pick {
        Pick::Latest => latest.ok_or_else(|| error::refused(format!("case {case_id} has no escalation")))?,
        Pick::Open => match crate::model::open_escalation(&all) {
            Some(e) => e.clone(),
            None => return Err(no_open(case_id, latest.as_ref())),
        },
    };
    let body = change(&case, &mut esc)?;
    tx.update_escalation(&esc)?;
    ctx.record(&mut *tx, &case.id, Some(esc.id), &body)?;
    tx.commit()?;
    Ok((case, esc))
}

/// A permission refused, in words (exit 1).
pub fn refused(ctx: &Ctx, d: &crate::rules::follow::Denied) -> anyhow::Error {
    error::refused(render::finding::denied(d, ctx.tz()))
}

pub fn no_open(case_id: &str, latest: Option<&Escalation>) -> anyhow::Error {
    match latest {
        Some(e) if e.state == EscState::Closed => error::refused(format!(
            "escalation #{} of case {case_id} is closed: reopen it first with `escalate reopen {case_id} --why TEXT`",
            e.id
        )),
        Some(e) => error::refused(format!("escalation #{} of case {case_id} is {}: nothing is open", e.id, e.state)),
        None => error::refused(format!(
            "case {case_id} has no open escalation: request one with `escalate request {case_id}`"
        )),
    }
}

/// Print the outcome: a sentence for people, the escalation for JSON.
pub fn report(ctx: &Ctx, case: &Case, esc: &Escalation, sentence: &str) -> anyhow::Result<u8> {
    let view = EscalationView::new(esc, ctx.policy(), Some(case));
    if ctx.out.json {
        ctx.out.json(&view)?;
    } else {
        ctx.out.print(&format!("{}\n", render::clean(sentence)))?;
    }
    Ok(0)
}

pub fn withdraw(ctx: &Ctx, a: &WhyArgs) -> anyhow::Result<u8> {
    let why = text("--why", &a.why)?;
    let (case, esc) = act(ctx, &a.id, Pick::Open, |_, e| {
        may_withdraw(e, &ctx.actor).map_err(|d| refused(ctx, &d))?;
        e.state = EscState::Withdrawn;
        e.closed_at = Some(ctx.now);
        Ok(EventBody::Withdrawn(Why { why }))
    })?;
    report(ctx, &case, &esc, &format!("Withdrew escalation #{} of case {}.", esc.id, case.id))
}

pub fn assign(ctx: &Ctx, a: &AssignArgs) -> anyhow::Result<u8> {
    let to = one_line("--to", &a.to)?;
    let note = a.note.as_deref().map(|n| text("--note", n)).transpose()?;
    let (case, esc) = act(ctx, &a.id, Pick::Open, |_, e| {
        may_take_over(ctx.policy(), e, &ctx.actor).map_err(|d| refused(ctx, &d))?;
        // Assigning the owner again with a note keeps the note: it is recorded.
        if e.owner == to && note.is_none() {
            return Err(error::bad_input(format!("escalation #{} is already owned by {to}", e.id)));
        }
        let from = std::mem::replace(&mut e.owner, to.clone());
        Ok(EventBody::Assigned(OwnerChange { from, to: to.clone(), note }))
    })?;
    report(ctx, &case, &esc, &format!("{} now owns escalation #{} of case {}.", esc.owner, esc.id, case.id))
}

pub fn handoff(ctx: &Ctx, a: &HandoffArgs) -> anyhow::Result<u8> {
    let to = one_line("--to", &a.to)?;
    let note = text("--note", &a.note)?;
    let (case, esc) = act(ctx, &a.id, Pick::Open, |_, e| {
        may_take_over(ctx.policy(), e, &ctx.actor).map_err(|d| refused(ctx, &d))?;
        if e.owner == to {
            return Err(error::bad_input(format!("escalation #{} is already owned by {to}", e.id)));
        }
        let from = std::mem::replace(&mut e.owner, to.clone());
        e.handoff_note = Some(note.clone());
        Ok(EventBody::HandedOff(OwnerChange { from, to: to.clone(), note: Some(note) }))
    })?;
    report(ctx, &case, &esc, &format!("Handed escalation #{} of case {} to {}.", esc.id, case.id, esc.owner))
}

pub fn update(ctx: &Ctx, a: &UpdateArgs) -> anyhow::Result<u8> {
    let note = text("--note", &a.note)?;
    let next = a.next.as_deref().map(|n| ctx.parse_time("--next", n)).transpose()?;
    if let Some(n) = next.filter(|n| *n <= ctx.now) {
        return Err(error::bad_input(format!(
            "--next {} is not in the future: promise the customer a time after now",
            crate::time::rfc3339(n)
        )));
    }
    let (case, esc) = act(ctx, &a.id, Pick::Open, |_, e| {
        e.last_update_at = Some(ctx.now);
        e.next_touch_at = next;
        Ok(EventBody::CustomerUpdated(CustomerUpdated { note, next }))
    })?;
    let tz = ctx.tz();
    let when = match next {
        Some(n) => format!(" Next touch-point promised for {}.", crate::time::human_relative(n, ctx.now, tz)),
        None => String::new(),
    };
    report(
        ctx,
        &case,
        &esc,
        &format!("Recorded a customer update on escalation #{} of case {}.{when}", esc.id, case.id),
    )
}

pub fn close(ctx: &Ctx, a: &NoteArgs) -> anyhow::Result<u8> {
    let note = text("--note", &a.note)?;
    let (case, esc) = act(ctx, &a.id, Pick::Open, |_, e| {
        may_close(ctx.policy(), e, &ctx.actor).map_err(|d| refused(ctx, &d))?;
        e.state = EscState::Closed;
        e.closed_at = Some(ctx.now);
        Ok(EventBody::Closed(Note { note }))
    })?;
    report(ctx, &case, &esc, &format!("Closed escalation #{} of case {}.", esc.id, case.id))
}

pub fn reopen(ctx: &Ctx, a: &WhyArgs) -> anyhow::Result<u8> {
    let why = text("--why", &a.why)?;
    let (case, esc) = act(ctx, &a.id, Pick::Latest, |case, e| {
        if e.state != EscState::Closed {
            return Err(error::refused(format!("escalation #{} is {}, not closed: nothing to reopen", e.id, e.state)));
        }
        if case.status == CaseStatus::Closed {
            return Err(error::refused(format!(
                "case {} is closed: reopen it first with `escalate case reopen`",
                case.id
            )));
        }
        e.state = match e.decision.as_deref() {
            Some("approved") => EscState::Approved,
            Some("rejected") => EscState::Rejected,
            _ => EscState::Requested,
        };
        e.closed_at = None;
        // Time spent closed is not missed: the touch-point cadence restarts now, and a
        // touch-point promised before the close is void once past.
        e.touch_since = Some(ctx.now);
        e.next_touch_at = e.next_touch_at.filter(|t| *t > ctx.now);
        // An undecided level is reviewed afresh: its review window restarts now.
        if e.state == EscState::Requested {
            let review = ctx.policy().level(e.level).map(|l| l.review);
            e.level_since = ctx.now;
            e.review_due_at = review.and_then(|r| ctx.policy().calendar.add(ctx.now, r));
        }
        Ok(EventBody::Reopened(Reopened { why, state: e.state, review_due_at: e.review_due_at }))
    })?;
    report(
        ctx,
        &case,
        &esc,
        &format!("Reopened escalation #{} of case {}: {} at level {}.", esc.id, case.id, esc.state, esc.level),
    )
}
