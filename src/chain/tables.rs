//! The escalations table held against the event log. The log is chained and
//! verified; the table is what commands read and act on. Each escalation's case,
//! level, state and owner follow from its events alone, so a table edited
//! around escalate (an approval forged, an owner changed) disagrees with them.

use std::collections::HashMap;

use crate::events::EventBody;
use crate::model::{EscState, Escalation, Event};

/// An escalation as its events leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Told {
    pub case_id: String,
    pub level: u32,
    pub state: EscState,
    pub owner: String,
}

/// Where the table and the log part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disagreement {
    /// In the table, never requested in the log.
    NotInLog { id: i64 },
    /// Requested in the log, gone from the table.
    NotInTable { id: i64 },
    /// A field the table holds otherwise than the log leaves it.
    Field { id: i64, field: &'static str, table: String, log: String },
}

/// The escalations as the log tells them, folded in log order.
#[derive(Debug, Default)]
pub struct Tally {
    told: HashMap<i64, Told>,
}

impl Tally {
    /// Fold in one event (events of no escalation change nothing).
    pub fn apply(&mut self, ev: &Event) {
        let Some(id) = ev.escalation else { return };
        let new = |level: u32, owner: &str| Told {
            case_id: ev.case_id.clone(),
            level,
            state: EscState::Requested,
            owner: owner.to_string(),
        };
        match &ev.body {
            EventBody::Requested(r) => {
                self.told.insert(id, new(r.level, &ev.actor));
            }
            EventBody::AccountRequested(r) => {
                self.told.insert(id, new(r.level, &r.owner));
            }
            body => {
                if let Some(t) = self.told.get_mut(&id) {
                    change(t, body);
                }
            }
        }
    }

    /// Hold one row of the table against the log; call `rest` after the last.
    pub fn check(&mut self, e: &Escalation) -> Option<Disagreement> {
        let Some(t) = self.told.remove(&e.id) else { return Some(Disagreement::NotInLog { id: e.id }) };
        let field = |field: &'static str, table: String, log: String| {
            (table != log).then_some(Disagreement::Field { id: e.id, field, table, log })
        };
        field("case", e.case_id.clone(), t.case_id)
            .or_else(|| field("level", e.level.to_string(), t.level.to_string()))
            .or_else(|| field("state", e.state.to_string(), t.state.to_string()))
            .or_else(|| field("owner", e.owner.clone(), t.owner))
    }

    /// Escalations the log requested that no row of the table was checked against.
    pub fn rest(&self) -> Option<Disagreement> {
        self.told.keys().min().map(|&id| Disagreement::NotInTable { id })
    }
}

/// What an event of an escalation does to what the table must hold.
fn change(t: &mut Told, body: &EventBody) {
    match body {
        EventBody::Decided(d) => t.state = d.decision,
        EventBody::Promoted(p) => (t.level, t.state) = (p.to, EscState::Requested),
        EventBody::Withdrawn(_) => t.state = EscState::Withdrawn,
        EventBody::Closed(_) => t.state = EscState::Closed,
        EventBody::Reopened(r) => t.state = r.state,
        EventBody::Assigned(o) | EventBody::HandedOff(o) => t.owner.clone_from(&o.to),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(escalation: i64, kind: &str, data: &str, actor: &str) -> Event {
        let stored = crate::ledger::StoredEvent {
            seq: 1,
            at: crate::time::utc(2026, 11, 23, 12, 0).unwrap(),
            actor: actor.into(),
            case_id: "C-1".into(),
            escalation: Some(escalation),
            kind: kind.into(),
            data: data.into(),
            policy_digest: "d".into(),
            prev_hash: None,
            hash: None,
        };
        Event::from_stored(stored).unwrap()
    }

    #[test]
    fn the_table_is_held_to_what_the_events_leave() {
        let mut t = Tally::default();
        let requested = r#"{"level":1,"destination":"l2","reason":"r","description":"d"}"#;
        t.apply(&event(1, "requested", requested, "alice"));
        t.apply(&event(1, "decided", r#"{"decision":"rejected","level":1,"note":"no"}"#, "rita"));
        t.apply(&event(1, "assigned", r#"{"from":"alice","to":"lee"}"#, "alice"));
        t.apply(&event(2, "requested", requested, "bob"));
        let when = crate::time::utc(2026, 11, 23, 12, 0).unwrap();
        let row = |id: i64, state: EscState, owner: &str| {
            let mut e =
                Escalation::new("C-1", "l2".into(), "r".into(), "d".into(), Default::default(), owner, when, None);
            (e.id, e.state) = (id, state);
            e
        };
        assert_eq!(t.check(&row(1, EscState::Rejected, "lee")), None);
        let forged = Disagreement::Field { id: 2, field: "state", table: "approved".into(), log: "requested".into() };
        assert_eq!(t.check(&row(2, EscState::Approved, "bob")), Some(forged));
        assert_eq!(t.check(&row(3, EscState::Requested, "bob")), Some(Disagreement::NotInLog { id: 3 }));
        assert_eq!(t.rest(), None);
        t.apply(&event(4, "requested", requested, "bob"));
        assert_eq!(t.rest(), Some(Disagreement::NotInTable { id: 4 }));
    }
}
