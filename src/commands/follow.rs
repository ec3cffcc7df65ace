//! Follow-through on an open escalation: withdraw, assign, handoff, customer
//! updates, close and reopen. Each is one transaction and one event.

use crate::app::{Ctx, one_line, text};
use crate::cli::{AssignArgs, HandoffArgs, NoteArgs, UpdateArgs, WhyArgs};
use crate::error;
use crate::events::{CustomerUpdated, EventBody, Note, OwnerChange, Reopened, Why};
use crate::model::{Case, CaseStatus, EscState, Escalation};
use crate::render::{self, cases::EscalationView};
use crate::rules::follow::{Standing, may_close, may_take_over, may_withdraw};

/// Which of the case's escalations a command acts on.
#[derive(Clone, Copy)]
pub enum Pick {
    /// The open one (requested, approved or rejected).
    Open,
    /// The latest one, whatever its state (for reopen).
    Latest,
}

/// What a follow-through command acts on: a case's escalation, or a customer's
/// account escalation.
#[derive(Debug, Clone)]
pub enum Target {
    Case(String),
    Account(String),
}

impl Target {
    pub fn case(id: &str) -> Target {
        Target::Case(id.to_string())
    }
}

/// "escalation #1 of case C-1", or "account escalation #2 of Acme".
pub fn named(e: &Escalation) -> String {
    match &e.account {
        Some(customer) => format!("account escalation #{} of {customer}", e.id),
        None => format!("escalation #{} of case {}", e.id, e.case_id),
    }
}

/// The target's escalations and the case its events are kept on (locked in a write).
pub(super) fn load(
    ctx: &Ctx,
    tx: &mut dyn crate::ledger::Txn,
    target: &Target,
) -> anyhow::Result<(Case, Vec<Escalation>)> {
    match target {
        Target::Case(id) => {
            let case = ctx.case(tx, id)?;
            let all = tx.escalations_of(&case.id)?;
            Ok((case, all))
        }
        Target::Account(customer) => {
            let customer = crate::app::one_line("CUSTOMER", customer)?;
            let all = tx.account_escalations(&customer)?;
            let Some(anchor) = all.last().map(|e| e.case_id.clone()) else {
                // A customer the ledger does not know is a typo (exit 2), not a refusal.
                super::account::cases_of(tx, &customer)?;
                return Err(error::refused(format!(
                    "{customer} has no account escalation: request one with `escalate account request {customer:?} --case ID...`"
                )));
            };
            let case = ctx.case(tx, &anchor)?;
            // Locked the anchor case: read again so that the checks hold at commit.
            let all = tx.account_escalations(&customer)?;
            Ok((case, all))
        }
    }
}

/// Apply `change` to the target's escalation inside one write transaction, then
/// record the event it returns. Returns the case and the changed escalation.
pub fn act(
    ctx: &Ctx,
    target: &Target,
    pick: Pick,
    change: impl FnOnce(&Case, &mut Escalation, &Standing) -> anyhow::Result<EventBody>,
) -> anyhow::Result<(Case, Escalation)> {
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let (case, all) = load(ctx, &mut *tx, target)?;
    let latest = all.last().cloned();
    let mut esc = match (pick, target) {
        (Pick::Latest, _) => latest.ok_or_else(|| error::refused(format!("case {} has no escalation", case.id)))?,
        (Pick::Open, _) if crate::model::open_escalation(&all).is_some() => {
            crate::model::open_escalation(&all).cloned().unwrap_or_else(|| unreachable!("just found"))
        }
        (Pick::Open, Target::Case(_)) => return Err(no_open(ctx, &mut *tx, &case.id, latest.as_ref())),
        (Pick::Open, Target::Account(customer)) => return Err(no_open_account(customer, latest.as_ref())),
    };
    let standing = standing(ctx, &mut *tx, &esc)?;
    let mut body = change(&case, &mut esc, &standing)?;
    if let EventBody::HandedOff(h) = &mut body {
        h.manager = manager_on_call(ctx, &mut *tx)?;
    }
    tx.update_escalation(&esc)?;
    ctx.record(&mut *tx, &case.id, Some(esc.id), &body)?;
    tx.commit()?;
    Ok((case, esc))
}

/// A permission refused, in words (exit 1).
pub fn refused(ctx: &Ctx, d: &crate::rules::follow::Denied) -> anyhow::Error {
    error::refused(render::finding::denied(d, ctx.tz()))
}

fn no_open_account(customer: &str, latest: Option<&Escalation>) -> anyhow::Error {
    match latest {
        Some(e) => error::refused(format!(
            "account escalation #{} of {customer} is {}: nothing is open (`escalate account reopen {customer:?} --why TEXT` reopens a closed one)",
            e.id, e.state
        )),
        None => error::refused(format!("{customer} has no account escalation")),
    }
}

/// Who holds the manager's on-call role now, per the roster.
/// Who may take `esc` over as the ledger has it now, besides its owner and the
/// policy's `take_over`: whoever is on call, and an account's escalation DRI.
pub(super) fn standing(ctx: &Ctx, tx: &mut dyn crate::ledger::Txn, esc: &Escalation) -> anyhow::Result<Standing> {
    let shifts = tx.shifts()?;
    let on_call = ctx.policy().oncall.roles.iter().filter_map(|(role, label)| {
        crate::roster::on_call(&shifts, role, ctx.now).map(|s| (label.clone(), s.name.clone()))
    });
    let dri = match &esc.account {
        Some(customer) => crate::roster::dri(ctx.policy(), tx.account(customer)?.as_ref()).0,
        None => None,
    };
    Ok(Standing { on_call: on_call.collect(), dri })
}

fn manager_on_call(ctx: &Ctx, tx: &mut dyn crate::ledger::Txn) -> anyhow::Result<Option<String>> {
    let Some(role) = ctx.policy().oncall.manager.as_deref() else { return Ok(None) };
    let shifts = tx.shifts()?;
    Ok(crate::roster::on_call(&shifts, role, ctx.now).map(|s| s.name.clone()))
}

/// Refuse an act on the open escalation of a case that has none, naming how
/// the latest one ended, by whom and when (a colleague may just have ended it).
pub fn no_open(
    ctx: &Ctx,
    tx: &mut dyn crate::ledger::Txn,
    case_id: &str,
    latest: Option<&Escalation>,
) -> anyhow::Error {
    let Some(e) = latest else {
        return error::refused(format!(
            "case {case_id} has no open escalation: request one with `escalate request {case_id}`"
        ));
    };
    let ended = match tx.events_of(case_id) {
        Ok(events) => events
            .into_iter()
            .rev()
            .find(|ev| {
                ev.escalation == Some(e.id)
                    && matches!(ev.body, EventBody::Withdrawn(_) | EventBody::Closed(_) | EventBody::Decided(_))
            })
            .map(|ev| format!(" by {} at {}", render::clean(&ev.actor), crate::time::human(ev.at, ctx.tz()))),
        Err(err) => return err.into(),
    }
    .unwrap_or_default();
    match e.state {
        EscState::Closed => error::refused(format!(
            "escalation #{} of case {case_id} was closed{ended}: reopen it first with `escalate reopen {case_id} --why TEXT`",
            e.id
        )),
        _ => error::refused(format!(
            "escalation #{} of case {case_id} was {}{ended}: nothing is open (`escalate request {case_id}` asks anew)",
            e.id, e.state
        )),
    }
}

/// Print the outcome: a sentence for people, the escalation for JSON.
/// A rejected escalation that its requester's new request replaces ends, withdrawn
/// (recorded on the case it keeps its events on).
pub fn end_replaced(ctx: &Ctx, tx: &mut dyn crate::ledger::Txn, mut old: Escalation) -> anyhow::Result<()> {
    old.state = EscState::Withdrawn;
    old.closed_at = Some(ctx.now);
    tx.update_escalation(&old)?;
    let why = Why { why: "rejected; its requester replaced it with a new request".into() };
    ctx.record(tx, &old.case_id, Some(old.id), &EventBody::Withdrawn(why))?;
    Ok(())
}

pub fn report(ctx: &Ctx, case: &Case, esc: &Escalation, sentence: &str) -> anyhow::Result<u8> {
    let view = EscalationView::new(esc, ctx.policy(), Some(case));
    if ctx.out.json {
        ctx.out.json(&view)?;
    } else {
        ctx.out.print(&format!("{}\n", render::clean(sentence)))?;
    }
    Ok(0)
}

pub fn withdraw(ctx: &Ctx, a: &WhyArgs, target: Target) -> anyhow::Result<u8> {
    let why = text("--why", &a.why)?;
    let (case, esc) = act(ctx, &target, Pick::Open, |_, e, _| {
        may_withdraw(e, &ctx.actor).map_err(|d| refused(ctx, &d))?;
        e.state = EscState::Withdrawn;
        e.closed_at = Some(ctx.now);
        Ok(EventBody::Withdrawn(Why { why }))
    })?;
    report(ctx, &case, &esc, &format!("Withdrew {}.", named(&esc)))
}

pub fn assign(ctx: &Ctx, a: &AssignArgs, target: Target) -> anyhow::Result<u8> {
    let to = ctx.given_person("--to", one_line("--to", &a.to)?);
    let note = a.note.as_deref().map(|n| text("--note", n)).transpose()?;
    let (case, esc) = act(ctx, &target, Pick::Open, |_, e, standing| {
        may_take_over(ctx.policy(), e, &ctx.actor, standing).map_err(|d| refused(ctx, &d))?;
        // Assigning the owner again with a note keeps the note: it is recorded.
        if crate::model::same_actor(&e.owner, &to) && note.is_none() {
            return Err(error::bad_input(format!("escalation #{} is already owned by {to}", e.id)));
        }
        let from = std::mem::replace(&mut e.owner, to.clone());
        Ok(EventBody::Assigned(OwnerChange { from, to: to.clone(), note, manager: None }))
    })?;
    report(ctx, &case, &esc, &format!("{} now owns {}.", esc.owner, named(&esc)))
}

pub fn handoff(ctx: &Ctx, a: &HandoffArgs, target: Target) -> anyhow::Result<u8> {
    let to = ctx.given_person("--to", one_line("--to", &a.to)?);
    let note = text("--note", &a.note)?;
    let (case, esc) = act(ctx, &target, Pick::Open, |_, e, standing| {
        may_take_over(ctx.policy(), e, &ctx.actor, standing).map_err(|d| refused(ctx, &d))?;
        if crate::model::same_actor(&e.owner, &to) {
            return Err(error::bad_input(format!("escalation #{} is already owned by {to}", e.id)));
        }
        let from = std::mem::replace(&mut e.owner, to.clone());
        e.handoff_note = Some(note.clone());
        Ok(EventBody::HandedOff(OwnerChange { from, to: to.clone(), note: Some(note), manager: None }))
    })?;
    report(
        ctx,
        &case,
        &esc,
        &format!("Handed {} to {}.{}", named(&esc), esc.owner, manager_words(ctx, &case.id, esc.id)?),
    )
}

pub fn update(ctx: &Ctx, a: &UpdateArgs, target: Target) -> anyhow::Result<u8> {
    let note = text("--note", &a.note)?;
    let next = a.next.as_deref().map(|n| ctx.parse_time("--next", n)).transpose()?;
    if let Some(n) = next.filter(|n| *n <= ctx.now) {
        return Err(error::bad_input(format!(
            "--next {} is not in the future: promise the customer a time after now",
            crate::time::human(n, ctx.tz())
        )));
    }
    let (case, esc) = act(ctx, &target, Pick::Open, |_, e, _| {
        e.last_update_at = Some(ctx.now);
        e.next_touch_at = next;
        Ok(EventBody::CustomerUpdated(CustomerUpdated { note, next }))
    })?;
    let tz = ctx.tz();
    let mut when = match next {
        Some(n) => format!(" Next touch-point promised for {}.", crate::time::human_relative(n, ctx.now, tz)),
        None => String::new(),
    };
    // The level's cadence still holds: an update is due by then all the same (unless
    // its clock stops while the case waits on the customer).
    let p = ctx.policy();
    let level = p.level(esc.level).or_else(|| p.level(p.top_level()));
    let stopped = p.pause_touch && case.waiting_since.is_some();
    if let (Some(n), Some(every), false) = (next, level.and_then(|l| l.update_every), stopped)
        && let Some(due) = p.calendar.add(ctx.now, every).filter(|d| *d < n)
    {
        when.push_str(&format!(
            " Level {} asks for a customer update every {every}: the next is due by {}, before the promised time.",
            esc.level,
            crate::time::human_relative(due, ctx.now, tz)
        ));
    }
    report(ctx, &case, &esc, &format!("Recorded a customer update on {}.{when}", named(&esc)))
}

pub fn close(ctx: &Ctx, a: &NoteArgs, target: Target) -> anyhow::Result<u8> {
    let note = text("--note", &a.note)?;
    let (case, esc) = act(ctx, &target, Pick::Open, |_, e, standing| {
        may_close(ctx.policy(), e, &ctx.actor, standing).map_err(|d| refused(ctx, &d))?;
        e.state = EscState::Closed;
        e.closed_at = Some(ctx.now);
        Ok(EventBody::Closed(Note { note }))
    })?;
    report(ctx, &case, &esc, &format!("Closed {}.", named(&esc)))
}

pub fn reopen(ctx: &Ctx, a: &WhyArgs, target: Target) -> anyhow::Result<u8> {
    let why = text("--why", &a.why)?;
    let (case, esc) = act(ctx, &target, Pick::Latest, |case, e, _| {
        if e.state != EscState::Closed {
            return Err(error::refused(format!("escalation #{} is {}, not closed: nothing to reopen", e.id, e.state)));
        }
        if case.status == CaseStatus::Closed && e.account.is_none() {
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
            let review = ctx.policy().review_window(e.level, &e.destination);
            e.level_since = ctx.now;
            e.review_due_at = review.and_then(|r| ctx.policy().calendar.add(ctx.now, r));
        }
        Ok(EventBody::Reopened(Reopened { why, state: e.state, review_due_at: e.review_due_at }))
    })?;
    report(ctx, &case, &esc, &format!("Reopened {}: {} at level {}.", named(&esc), esc.state, esc.level))
}

/// " The support manager on call, NAME, is named in the handoff.", from the event just recorded.
fn manager_words(ctx: &Ctx, case_id: &str, esc: i64) -> anyhow::Result<String> {
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let events = tx.events_of(case_id)?;
    let manager = events.iter().rev().filter(|e| e.escalation == Some(esc)).find_map(|e| match &e.body {
        EventBody::HandedOff(h) => Some(h.manager.clone()),
        _ => None,
    });
    let label = ctx.policy().oncall.manager.as_ref().and_then(|m| ctx.policy().oncall.roles.get(m));
    Ok(match (manager.flatten(), label) {
        (Some(m), Some(label)) => format!(" {label}: {m}."),
        _ => String::new(),
    })
}
