//! Policy replay: every recorded request, promotion and decision evaluated again
//! under another policy, at the moment it happened, with the same rules; when the
//! case would have become eligible and where its deadlines would have fallen.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use super::check::{Ask, RuleOutcome, check};
use super::history::{Past, pauses_at};
use super::pause::deadline;
use super::permit::{Denied, may_decide};
use super::promote::{Promotion, Refusal, can_promote};
use crate::events::EventBody;
use crate::model::{Event, Pause, ser_opt_time, ser_time};
use crate::policy::Policy;

mod summary;
pub use summary::{Count, Group, GroupBy, Shifts, Summary, Tally, account_acts, summarize};

/// One case's recorded history: its events in log order and every pause it had.
pub struct CaseLog {
    pub events: Vec<Event>,
    pub pauses: Vec<Pause>,
}

/// What was done, as the log recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Act {
    Request,
    Promotion,
    Decision,
}

/// Why the new policy would not have allowed it.
#[derive(Debug, Clone)]
pub enum Blocked {
    /// A rule of `check` fails, with what it found.
    Rule(Box<RuleOutcome>),
    UnknownDestination(String),
    UnknownReason(String),
    Promotion(Refusal),
    Decision(Denied),
}

impl Blocked {
    /// A short stable key, for counts and machine output.
    pub fn key(&self) -> &'static str {
        match self {
            Blocked::Rule(r) => r.rule.as_str(),
            Blocked::UnknownDestination(_) => "unknown-destination",
            Blocked::UnknownReason(_) => "unknown-reason",
            Blocked::Promotion(Refusal::NoneOpen { .. }) => "none-open",
            Blocked::Promotion(Refusal::RoutedDirectly { .. }) => "routed-directly",
            Blocked::Promotion(Refusal::TopLevel { .. }) => "top-level",
            Blocked::Promotion(Refusal::NotYet { .. }) => "review-not-over",
            Blocked::Decision(Denied::NotRequested { .. }) => "not-requested",
            Blocked::Decision(Denied::NotADecider { .. }) => "not-a-decider",
            Blocked::Decision(Denied::SelfDecision { .. }) => "self-decision",
            Blocked::Decision(_) => "not-permitted",
        }
    }
}

impl Serialize for Blocked {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

/// A time before (as recorded, or under the policy recorded with the event) and
/// after (under the new policy); `minutes` is how far it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Moved {
    #[serde(serialize_with = "ser_opt_time")]
    pub before: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_opt_time")]
    pub after: Option<DateTime<Utc>>,
    pub minutes: Option<i64>,
}

impl Moved {
    pub fn new(before: Option<DateTime<Utc>>, after: Option<DateTime<Utc>>) -> Moved {
        let minutes = before.zip(after).map(|(b, a)| (a - b).num_minutes());
        Moved { before, after, minutes }
    }

    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// One recorded act, evaluated again.
#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    pub seq: i64,
    #[serde(serialize_with = "ser_time")]
    pub at: DateTime<Utc>,
    pub case: String,
    pub escalation: Option<i64>,
    pub act: Act,
    pub actor: String,
    /// The level requested, promoted to, or decided.
    pub level: u32,
    pub reason: String,
    pub destination: String,
    /// Whether the policy the event was recorded under is in the ledger and valid.
    pub recorded_policy_known: bool,
    pub allowed: bool,
    pub blocked: Vec<Blocked>,
    /// When time alone would have allowed it under the new policy, if it would.
    #[serde(serialize_with = "ser_opt_time")]
    pub allowed_at: Option<DateTime<Utc>>,
    /// Requests: when the case became eligible.
    pub eligible_at: Moved,
    /// Requests and promotions: the new level's review deadline.
    pub review_due: Moved,
    /// Requests and promotions: the first customer touch-point of the new level.
    pub touch_due: Moved,
}

impl Replayed {
    /// Whether the new policy changes anything about it.
    pub fn changed(&self) -> bool {
        !self.allowed || self.eligible_at.changed() || self.review_due.changed() || self.touch_due.changed()
    }
}

/// The review deadline of a level reached at `since` by an escalation sent to
/// `destination`, under `p`.
pub fn review_due(
    p: &Policy,
    since: DateTime<Utc>,
    (level, destination): (u32, &str),
    pauses: &[Pause],
) -> Option<DateTime<Utc>> {
    let review = p.review_window(level, destination)?;
    if p.pause_review { deadline(&p.calendar, since, review, pauses) } else { p.calendar.add(since, review) }
}

/// The first customer touch-point of a level reached at `since`, under `p`.
pub fn touch_due(p: &Policy, since: DateTime<Utc>, level: u32, pauses: &[Pause]) -> Option<DateTime<Utc>> {
    let every = p.level(level)?.update_every?;
    deadline(&p.calendar, since, every, if p.pause_touch { pauses } else { &[] })
}

/// What the replay knows: the new policy, and the policies the events were recorded under, by digest.
pub struct Policies<'a> {
    pub new: &'a Policy,
    pub recorded: &'a HashMap<String, Policy>,
}

/// Every request, promotion and decision of one case recorded in [since, until), evaluated again.
pub fn replay_case(
    p: &Policies,
    log: &CaseLog,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Vec<Replayed> {
    let mut past = Past::default();
    let mut out = Vec::new();
    for ev in &log.events {
        let inside = since.is_none_or(|s| ev.at >= s) && until.is_none_or(|u| ev.at < u);
        if inside && let Some(r) = evaluate(p, &past, ev, &log.pauses) {
            out.push(r);
        }
        past.apply(ev);
    }
    out
}

fn evaluate(p: &Policies, past: &Past, ev: &Event, pauses: &[Pause]) -> Option<Replayed> {
    let old = p.recorded.get(&ev.policy_digest);
    let (new, at) = (p.new, ev.at);
    let case = past.case.as_ref()?;
    let seen = pauses_at(pauses, at);
    let (act, level, blocked, mut allowed_at) = match &ev.body {
        EventBody::Requested(r) => {
            let mut blocked = Vec::new();
            if !new.destinations.contains_key(&r.destination) {
                blocked.push(Blocked::UnknownDestination(r.destination.clone()));
            }
            if !new.reasons.contains_key(&r.reason) {
                blocked.push(Blocked::UnknownReason(r.reason.clone()));
            }
            let deadline = r.skipped_wait.as_ref().map(|s| s.deadline);
            let ask = Ask { actor: &ev.actor, destination: Some(&r.destination), reason: Some(&r.reason), deadline };
            let verdict = check(new, case, &past.escalations, &seen, at, ask);
            blocked.extend(verdict.failures().map(|f| Blocked::Rule(Box::new(f.clone()))));
            (Act::Request, r.level, blocked, verdict.eligible_at.filter(|_| !verdict.eligible))
        }
        EventBody::Promoted(pr) => {
            let mut esc = past.escalation(ev.escalation)?.clone();
            esc.review_due_at = review_due(new, esc.level_since, (esc.level, &esc.destination), pauses);
            match can_promote(new, &ev.case_id, Some(&esc), at) {
                Promotion::Allowed { .. } => (Act::Promotion, pr.to, Vec::new(), None),
                Promotion::Refused { why, possible_at } => {
                    (Act::Promotion, pr.to, vec![Blocked::Promotion(why)], possible_at)
                }
            }
        }
        EventBody::Decided(d) => {
            let esc = past.escalation(ev.escalation)?;
            let blocked = may_decide(new, esc, &ev.actor).err().map(Blocked::Decision).into_iter().collect();
            (Act::Decision, d.level, blocked, None)
        }
        _ => return None,
    };
    let esc = past.escalation(ev.escalation);
    let (reason, destination) = match (&ev.body, esc) {
        (EventBody::Requested(r), _) => (r.reason.clone(), r.destination.clone()),
        (_, Some(e)) => (e.reason.clone(), e.destination.clone()),
        (_, None) => return None,
    };
    if blocked.is_empty() {
        allowed_at = None;
    }
    let mut r = Replayed {
        seq: ev.seq,
        at,
        case: ev.case_id.clone(),
        escalation: ev.escalation,
        act,
        actor: ev.actor.clone(),
        level,
        reason,
        destination,
        recorded_policy_known: old.is_some(),
        allowed: blocked.is_empty(),
        blocked,
        allowed_at,
        eligible_at: Moved::default(),
        review_due: Moved::default(),
        touch_due: Moved::default(),
    };
    deadlines(&mut r, p, old, past, ev, pauses);
    Some(r)
}

/// When the case became eligible, and the new level's deadlines, before and after.
fn deadlines(r: &mut Replayed, p: &Policies, old: Option<&Policy>, past: &Past, ev: &Event, pauses: &[Pause]) {
    let (new, at) = (p.new, ev.at);
    let recorded_review = match &ev.body {
        EventBody::Requested(q) => q.review_due_at,
        EventBody::Promoted(pr) => pr.review_due_at,
        _ => return,
    };
    if let (EventBody::Requested(q), Some(case)) = (&ev.body, &past.case) {
        let seen = pauses_at(pauses, at);
        let deadline = q.skipped_wait.as_ref().map(|s| s.deadline);
        let ask = Ask { actor: &ev.actor, destination: Some(&q.destination), reason: Some(&q.reason), deadline };
        let before = old.and_then(|o| check(o, case, &past.escalations, &seen, at, ask).eligible_at);
        let after = check(new, case, &past.escalations, &seen, at, ask).eligible_at;
        if before.is_some() {
            r.eligible_at = Moved::new(before, after);
        }
    }
    let destination = match &ev.body {
        EventBody::Requested(q) => q.destination.clone(),
        _ => past.escalation(ev.escalation).map(|e| e.destination.clone()).unwrap_or_default(),
    };
    let to = (r.level, destination.as_str());
    let before = old.map_or(recorded_review, |o| review_due(o, at, to, pauses));
    r.review_due = Moved::new(before, review_due(new, at, to, pauses));
    if let Some(o) = old {
        r.touch_due = Moved::new(touch_due(o, at, r.level, pauses), touch_due(new, at, r.level, pauses));
    }
}

#[cfg(test)]
mod tests;
