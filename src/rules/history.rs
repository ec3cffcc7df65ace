//! A case as it stood at a moment of its history: its fields, its pauses and its
//! escalations, rebuilt by folding its recorded events in log order.

use chrono::{DateTime, Utc};

use crate::events::EventBody;
use crate::model::{Case, CaseStatus, EscState, Escalation, Event, Pause};

/// The case and its escalations after the events folded so far.
#[derive(Debug, Clone, Default)]
pub struct Past {
    pub case: Option<Case>,
    pub escalations: Vec<Escalation>,
    /// Its waits on the customer, oldest first (the last open while it waits).
    pub pauses: Vec<Pause>,
}

impl Past {
    /// The escalation with this id, as it stands.
    pub fn escalation(&self, id: Option<i64>) -> Option<&Escalation> {
        id.and_then(|id| self.escalations.iter().find(|e| e.id == id))
    }

    fn escalation_mut(&mut self, id: Option<i64>) -> Option<&mut Escalation> {
        id.and_then(|id| self.escalations.iter_mut().find(|e| e.id == id))
    }

    /// Fold one more event in.
    pub fn apply(&mut self, ev: &Event) {
        match &ev.body {
            EventBody::CaseAdded(a) => {
                self.case = Some(a.case.clone());
                self.pauses.clone_from(&a.pauses);
            }
            // A wait begins unless one is open (an import's open wait is among its
            // pauses already); it ends when the case resumes.
            EventBody::Paused(w) => {
                if self.pauses.last().is_none_or(|p| p.end.is_some()) {
                    self.pauses.push(Pause { start: w.since.unwrap_or(ev.at), end: None });
                }
            }
            EventBody::Resumed(_) => {
                if let Some(open) = self.pauses.last_mut().filter(|p| p.end.is_none()) {
                    open.end = Some(ev.at);
                }
            }
            EventBody::CaseUpdated(changes) => {
                if let Some(case) = &self.case
                    && let Ok(serde_json::Value::Object(mut fields)) = serde_json::to_value(case)
                {
                    for (k, c) in changes {
                        fields.insert(k.clone(), c.to.clone());
                    }
                    if let Ok(changed) = serde_json::from_value(serde_json::Value::Object(fields)) {
                        self.case = Some(changed);
                    }
                }
            }
            EventBody::CaseClosed(_) => self.set_status(CaseStatus::Closed, Some(ev.at)),
            EventBody::CaseReopened(_) => self.set_status(CaseStatus::Open, None),
            // (An account escalation is not one of its anchor case's own.)
            EventBody::Requested(_) => {
                if let Some(e) = requested(ev) {
                    self.escalations.push(e);
                }
            }
            _ => {
                if let Some(e) = self.escalation_mut(ev.escalation) {
                    apply_to(e, ev);
                }
            }
        }
    }

    fn set_status(&mut self, status: CaseStatus, closed_at: Option<DateTime<Utc>>) {
        if let Some(c) = &mut self.case {
            c.status = status;
            c.closed_at = closed_at;
        }
    }
}

/// The escalation a request event (of a case, or of an account) opens.
pub fn requested(ev: &Event) -> Option<Escalation> {
    let id = ev.escalation?;
    let (level, destination, reason, description, fields, due) = match &ev.body {
        EventBody::Requested(r) => (r.level, &r.destination, &r.reason, &r.description, &r.fields, r.review_due_at),
        EventBody::AccountRequested(r) => {
            (r.level, &r.destination, &r.reason, &r.description, &r.fields, r.review_due_at)
        }
        _ => return None,
    };
    let (destination, reason, description) = (destination.clone(), reason.clone(), description.clone());
    let mut e = Escalation::new(&ev.case_id, destination, reason, description, fields.clone(), &ev.actor, ev.at, due);
    (e.id, e.level) = (id, level);
    if let EventBody::AccountRequested(r) = &ev.body {
        (e.owner, e.account, e.linked) = (r.owner.clone(), Some(r.customer.clone()), r.cases.clone());
    }
    Some(e)
}

/// What an event of an escalation does to it, as the command that recorded it wrote it.
pub fn apply_to(e: &mut Escalation, ev: &Event) {
    match &ev.body {
        EventBody::Decided(d) => {
            e.state = d.decision;
            (e.decision, e.decided_by, e.decided_at) =
                (Some(d.decision.to_string()), Some(ev.actor.clone()), Some(ev.at));
            e.decision_note.clone_from(&d.note);
        }
        EventBody::Promoted(p) => {
            e.level = p.to;
            e.state = EscState::Requested;
            e.level_since = ev.at;
            e.review_due_at = p.review_due_at;
            e.raised_by = ev.actor.clone();
            (e.decision, e.decided_by, e.decided_at, e.decision_note) = (None, None, None, None);
        }
        EventBody::Withdrawn(_) => (e.state, e.closed_at) = (EscState::Withdrawn, Some(ev.at)),
        EventBody::Closed(_) => (e.state, e.closed_at) = (EscState::Closed, Some(ev.at)),
        EventBody::Reopened(r) => {
            (e.state, e.review_due_at, e.closed_at, e.touch_since) = (r.state, r.review_due_at, None, Some(ev.at));
            // As `reopen` writes it: an undecided level is reviewed afresh, and a
            // touch-point promised before the close is void once past.
            if r.state == EscState::Requested {
                e.level_since = ev.at;
            }
            e.next_touch_at = e.next_touch_at.filter(|t| *t > ev.at);
        }
        EventBody::Assigned(o) => e.owner = o.to.clone(),
        EventBody::HandedOff(o) => (e.owner, e.handoff_note) = (o.to.clone(), o.note.clone()),
        EventBody::CustomerUpdated(u) => (e.last_update_at, e.next_touch_at) = (Some(ev.at), u.next),
        EventBody::CaseLinked(l) if !e.linked.contains(&l.case) => e.linked.push(l.case.clone()),
        EventBody::CaseUnlinked(l) => e.linked.retain(|c| c != &l.case),
        _ => {}
    }
}

/// The pauses as they were known at `t`: those begun by then, a pause that ended
/// later still open.
pub fn pauses_at(pauses: &[Pause], t: DateTime<Utc>) -> Vec<Pause> {
    pauses
        .iter()
        .filter(|p| p.start <= t)
        .map(|p| Pause { start: p.start, end: p.end.filter(|end| *end <= t) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::utc;

    #[test]
    fn a_pause_that_ended_later_was_still_open_then() {
        let t = |h| utc(2026, 11, 23, h, 0).unwrap();
        let pauses = [Pause { start: t(9), end: Some(t(11)) }, Pause { start: t(12), end: None }];
        assert_eq!(pauses_at(&pauses, t(10)), vec![Pause { start: t(9), end: None }]);
        assert_eq!(pauses_at(&pauses, t(11)), vec![Pause { start: t(9), end: Some(t(11)) }]);
        assert_eq!(pauses_at(&pauses, t(8)), vec![]);
    }
}
