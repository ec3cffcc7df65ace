//! The escalations and cases tables held against the event log. The log is
//! chained and verified; the tables are what commands read and act on. Each
//! escalation's case, level, state, owner, decision, deadlines and touch-points,
//! and each case's fields, follow from its events alone, so a table edited around
//! escalate (an approval forged, an owner changed, a review deadline or a promised
//! touch-point moved, a case's opening moved) disagrees with them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::model::{Case, Escalation, Event, Pause};
use crate::rules::history::{self, Past};

/// Where the table and the log part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disagreement {
    /// In the table, never requested in the log.
    NotInLog { id: i64 },
    /// Requested in the log, gone from the table.
    NotInTable { id: i64 },
    /// A field the table holds otherwise than the log leaves it.
    Field { id: i64, field: &'static str, table: String, log: String },
    /// A case in the cases table that the log never added.
    CaseNotInLog { id: String },
    /// A case the log added, gone from the cases table.
    CaseNotInTable { id: String },
    /// A case whose row is not what its events leave it (`field`, when named).
    CaseField { id: String, field: Option<(String, String, String)> },
    /// A row of the tags index (`indexed`) that no open case has, or an open
    /// case's tag the index lacks.
    CaseTag { id: String, tag: String, indexed: bool },
    /// A policy kept under a digest its text no longer has.
    PolicyText { digest: String },
}

/// The escalations as the log tells them, folded in log order as the commands
/// that recorded each event wrote it (`rules::history`).
#[derive(Debug, Default)]
pub struct Tally {
    told: HashMap<i64, Escalation>,
}

impl Tally {
    /// Fold in one event (events of no escalation change nothing).
    pub fn apply(&mut self, ev: &Event) {
        let Some(id) = ev.escalation else { return };
        if let Some(e) = history::requested(ev) {
            self.told.insert(id, e);
        } else if let Some(e) = self.told.get_mut(&id) {
            history::apply_to(e, ev);
        }
    }

    /// Hold one row of the table against the log; call `rest` after the last.
    pub fn check(&mut self, e: &Escalation) -> Option<Disagreement> {
        let Some(t) = self.told.remove(&e.id) else { return Some(Disagreement::NotInLog { id: e.id }) };
        let field = |field: &'static str, table: String, log: String| {
            (table != log).then_some(Disagreement::Field { id: e.id, field, table, log })
        };
        let time = |t: Option<DateTime<Utc>>| t.map_or_else(|| "none".to_string(), crate::time::rfc3339);
        // A deadline only the table holds may be one an older escalate wrote
        // without its event: held to the log only where the log has one.
        let due = t.review_due_at.map(|_| e.review_due_at);
        let text = |t: &Option<String>| t.clone().unwrap_or_else(|| "none".to_string());
        field("case", e.case_id.clone(), t.case_id)
            .or_else(|| field("level", e.level.to_string(), t.level.to_string()))
            .or_else(|| field("state", e.state.to_string(), t.state.to_string()))
            .or_else(|| field("owner", e.owner.clone(), t.owner))
            .or_else(|| field("requested_by", e.requested_by.clone(), t.requested_by))
            .or_else(|| field("destination", e.destination.clone(), t.destination))
            .or_else(|| field("reason", e.reason.clone(), t.reason))
            .or_else(|| field("level_since", time(Some(e.level_since)), time(Some(t.level_since))))
            .or_else(|| due.and_then(|d| field("review_due_at", time(d), time(t.review_due_at))))
            .or_else(|| field("description", e.description.clone(), t.description))
            .or_else(|| field("requested_at", time(Some(e.requested_at)), time(Some(t.requested_at))))
            .or_else(|| field("raised_by", e.raised_by.clone(), t.raised_by))
            .or_else(|| field("decision", text(&e.decision), text(&t.decision)))
            .or_else(|| field("decided_by", text(&e.decided_by), text(&t.decided_by)))
            .or_else(|| field("decided_at", time(e.decided_at), time(t.decided_at)))
            .or_else(|| field("decision_note", text(&e.decision_note), text(&t.decision_note)))
            .or_else(|| field("closed_at", time(e.closed_at), time(t.closed_at)))
            .or_else(|| field("last_update_at", time(e.last_update_at), time(t.last_update_at)))
            .or_else(|| field("next_touch_at", time(e.next_touch_at), time(t.next_touch_at)))
            .or_else(|| field("handoff_note", text(&e.handoff_note), text(&t.handoff_note)))
            .or_else(|| field("account", text(&e.account), text(&t.account)))
            .or_else(|| field("linked", e.linked.join(", "), t.linked.join(", ")))
            .or_else(|| field("fields", sorted_json(&e.fields), sorted_json(&t.fields)))
    }

    /// Escalations the log requested that no row of the table was checked against.
    pub fn rest(&self) -> Option<Disagreement> {
        self.told.keys().min().map(|&id| Disagreement::NotInTable { id })
    }
}

/// A package's fields as JSON, in key order (the order they were given in is no part of them).
fn sorted_json(fields: &indexmap::IndexMap<String, String>) -> String {
    let sorted: std::collections::BTreeMap<&String, &String> = fields.iter().collect();
    serde_json::to_string(&sorted).unwrap_or_default()
}

/// The cases as the log tells them, from their events grouped by case (in the
/// order of `Txn::each_case_event`): for each case its id and a fingerprint of
/// its fields, so that a million cases are held in a few dozen megabytes.
#[derive(Debug, Default)]
pub struct CaseTally {
    current: Option<(String, Past)>,
    /// The cases told so far: their ids end to end (`ends` marks where each ends)
    /// and each one's fingerprint.
    ids: String,
    ends: Vec<usize>,
    prints: Vec<u64>,
    next: usize,
}

impl CaseTally {
    /// Fold in one event of a case; the events of one case come together.
    pub fn apply(&mut self, ev: &Event) {
        if self.current.as_ref().is_none_or(|(id, _)| *id != ev.case_id) {
            self.close();
            self.current = Some((ev.case_id.clone(), Past::default()));
        }
        if let Some((_, past)) = &mut self.current {
            past.apply(ev);
        }
    }

    fn close(&mut self) {
        if let Some((id, Past { case: Some(case), pauses, .. })) = self.current.take() {
            self.ids.push_str(&id);
            self.ends.push(self.ids.len());
            self.prints.push(fingerprint(&case, &pauses));
        }
    }

    /// The `i`th case told, and its fingerprint.
    fn told(&self, i: usize) -> Option<(&str, u64)> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some((self.ids.get(start..end)?, self.prints[i]))
    }

    /// Hold one row of the cases table against the log, rows in id order; call
    /// `rest` after the last.
    pub fn check(&mut self, c: &Case, pauses: &[Pause]) -> Option<Disagreement> {
        self.close();
        let Some((id, print)) = self.told(self.next) else {
            return Some(Disagreement::CaseNotInLog { id: c.id.clone() });
        };
        match c.id.as_bytes().cmp(id.as_bytes()) {
            std::cmp::Ordering::Less => Some(Disagreement::CaseNotInLog { id: c.id.clone() }),
            std::cmp::Ordering::Greater => Some(Disagreement::CaseNotInTable { id: id.to_string() }),
            std::cmp::Ordering::Equal => {
                self.next += 1;
                (fingerprint(c, pauses) != print).then(|| Disagreement::CaseField { id: c.id.clone(), field: None })
            }
        }
    }

    /// A case the log added that no row of the table was checked against.
    pub fn rest(&mut self) -> Option<Disagreement> {
        self.close();
        self.told(self.next).map(|(id, _)| Disagreement::CaseNotInTable { id: id.to_string() })
    }
}

/// A case's stored fields as JSON, without what is kept elsewhere (its wait on the customer).
fn fields(c: &Case) -> serde_json::Map<String, serde_json::Value> {
    let mut v = match serde_json::to_value(c) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    v.remove("waiting_since");
    v
}

/// The case's stored fields hashed (all of `fields`, field by field), with its pauses.
fn fingerprint(c: &Case, pauses: &[Pause]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&c.id, &c.customer, c.severity, &c.tier, &c.title, c.opened_at).hash(&mut h);
    (c.priority.as_str(), &c.tags, c.status.as_str(), c.first_response_at, c.closed_at).hash(&mut h);
    for p in pauses {
        (p.start, p.end).hash(&mut h);
    }
    h.finish()
}

/// The first field in which a case's row (`table`, with its pauses) differs from what
/// its events leave (`log`): its pauses last.
pub fn differing(table: (&Case, &[Pause]), log: (&Case, &[Pause])) -> Option<(String, String, String)> {
    let (t, l) = (fields(table.0), fields(log.0));
    let field = t.iter().find(|(k, v)| l.get(*k) != Some(v)).map(|(k, v)| {
        let shown = |v: Option<&serde_json::Value>| v.map_or("nothing".to_string(), ToString::to_string);
        (k.clone(), shown(Some(v)), shown(l.get(k)))
    });
    let shown = |p: &[Pause]| serde_json::to_string(p).unwrap_or_default();
    field.or_else(|| (table.1 != log.1).then(|| ("pauses".to_string(), shown(table.1), shown(log.1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EscState;

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
    fn a_forged_approver_or_a_moved_touch_point_is_named() {
        let when = crate::time::utc(2026, 11, 23, 12, 0).unwrap();
        let requested = r#"{"level":1,"destination":"l2","reason":"r","description":"d"}"#;
        let story = |t: &mut Tally| {
            t.apply(&event(1, "requested", requested, "alice"));
            t.apply(&event(1, "decided", r#"{"decision":"approved","level":1}"#, "rita"));
            t.apply(&event(1, "customer-updated", r#"{"note":"n","next":"2026-11-24T10:00:00Z"}"#, "alice"));
        };
        let honest = || {
            let mut e =
                Escalation::new("C-1", "l2".into(), "r".into(), "d".into(), Default::default(), "alice", when, None);
            (e.id, e.state, e.decision, e.decided_by) =
                (1, EscState::Approved, Some("approved".into()), Some("rita".into()));
            (e.decided_at, e.last_update_at) = (Some(when), Some(when));
            e.next_touch_at = crate::time::utc(2026, 11, 24, 10, 0);
            e
        };
        let mut t = Tally::default();
        story(&mut t);
        assert_eq!(t.check(&honest()), None);
        let mut t = Tally::default();
        story(&mut t);
        let mut forged = honest();
        forged.decided_by = Some("mallory".into());
        let said = Disagreement::Field { id: 1, field: "decided_by", table: "mallory".into(), log: "rita".into() };
        assert_eq!(t.check(&forged), Some(said));
        let mut t = Tally::default();
        story(&mut t);
        let mut moved = honest();
        moved.next_touch_at = crate::time::utc(2026, 12, 30, 0, 0);
        let (table, log) = ("2026-12-30T00:00:00Z".to_string(), "2026-11-24T10:00:00Z".to_string());
        assert_eq!(t.check(&moved), Some(Disagreement::Field { id: 1, field: "next_touch_at", table, log }));
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
        let row = |id: i64, state: EscState, by: &str, owner: &str| {
            let mut e = Escalation::new("C-1", "l2".into(), "r".into(), "d".into(), Default::default(), by, when, None);
            (e.id, e.state, e.owner) = (id, state, owner.to_string());
            e
        };
        let mut decided = row(1, EscState::Rejected, "alice", "lee");
        (decided.decision, decided.decided_by) = (Some("rejected".into()), Some("rita".into()));
        (decided.decided_at, decided.decision_note) = (Some(when), Some("no".into()));
        assert_eq!(t.check(&decided), None);
        let forged = Disagreement::Field { id: 2, field: "state", table: "approved".into(), log: "requested".into() };
        assert_eq!(t.check(&row(2, EscState::Approved, "bob", "bob")), Some(forged));
        assert_eq!(t.check(&row(3, EscState::Requested, "bob", "bob")), Some(Disagreement::NotInLog { id: 3 }));
        // A review deadline moved, a level begun earlier, another requester: each is named.
        let due = |h: u32| crate::time::utc(2026, 11, 23, h, 0);
        t.apply(&event(5, "requested", &requested.replace('}', r#","review_due_at":"2026-11-23T16:00:00Z"}"#), "bob"));
        let mut moved = row(5, EscState::Requested, "bob", "bob");
        moved.review_due_at = due(10);
        let log = "2026-11-23T16:00:00Z".to_string();
        let said = Disagreement::Field { id: 5, field: "review_due_at", table: "2026-11-23T10:00:00Z".into(), log };
        assert_eq!(t.check(&moved), Some(said));
        t.apply(&event(6, "requested", requested, "bob"));
        let mut earlier = row(6, EscState::Requested, "bob", "bob");
        earlier.level_since = due(8).unwrap();
        assert!(matches!(t.check(&earlier), Some(Disagreement::Field { field: "level_since", .. })));
        t.apply(&event(7, "requested", requested, "bob"));
        let other = row(7, EscState::Requested, "sam", "bob");
        assert!(matches!(t.check(&other), Some(Disagreement::Field { field: "requested_by", .. })));
        assert_eq!(t.rest(), None);
        t.apply(&event(4, "requested", requested, "bob"));
        assert_eq!(t.rest(), Some(Disagreement::NotInTable { id: 4 }));
    }
}
