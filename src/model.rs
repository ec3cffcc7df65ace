//! Domain records held in the ledger: cases, escalations and events.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::{Serialize, Serializer};

use crate::events::EventBody;
use crate::time::rfc3339;

pub fn ser_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

pub fn ser_opt_time<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

macro_rules! keyword_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn accepted() -> String {
                [$($text),+].join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("unknown {} {:?} (accepted: {})", $what, s, Self::accepted())),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

keyword_enum!(
    /// The customer's priority for a case (low, normal, high), separate from severity.
    Priority, "priority" { Low => "low", Normal => "normal", High => "high" }
);

impl Priority {
    /// Sort key: high first, then normal, then low.
    pub fn rank(self) -> u8 {
        match self {
            Priority::High => 0,
            Priority::Normal => 1,
            Priority::Low => 2,
        }
    }
}

keyword_enum!(
    CaseStatus, "case status" { Open => "open", Closed => "closed" }
);

keyword_enum!(
    /// Where an escalation stands. Requested, approved and rejected ones are active:
    /// they block a new request and may be promoted.
    EscState, "escalation state" {
        Requested => "requested",
        Approved => "approved",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        Closed => "closed",
    }
);

impl EscState {
    pub fn is_active(self) -> bool {
        matches!(self, EscState::Requested | EscState::Approved | EscState::Rejected)
    }

    pub fn is_decided(self) -> bool {
        matches!(self, EscState::Approved | EscState::Rejected)
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Case {
    pub id: String,
    pub customer: String,
    pub severity: u32,
    pub tier: String,
    pub title: String,
    #[serde(serialize_with = "ser_time")]
    pub opened_at: DateTime<Utc>,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub status: CaseStatus,
    /// Since when the case waits on the customer; null when it does not.
    #[serde(default, serialize_with = "ser_opt_time")]
    pub waiting_since: Option<DateTime<Utc>>,
    /// When the customer first heard back from support; the first-response SLA counts to here.
    #[serde(default, serialize_with = "ser_opt_time")]
    pub first_response_at: Option<DateTime<Utc>>,
    /// When the case was closed; null while it is open. The SLA clock stops here.
    #[serde(default, serialize_with = "ser_opt_time")]
    pub closed_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
impl Case {
    /// For tests: an open severity 2 case of Acme on the premium tier, untitled, untagged.
    pub fn open(id: &str, opened_at: DateTime<Utc>) -> Case {
        Case {
            id: id.into(),
            customer: "Acme".into(),
            severity: 2,
            tier: "premium".into(),
            title: String::new(),
            opened_at,
            priority: Priority::Normal,
            tags: Vec::new(),
            status: CaseStatus::Open,
            waiting_since: None,
            first_response_at: None,
            closed_at: None,
        }
    }
}

/// What the reviewer gets (the escalation document): the package items by key, and the
/// answers to the "when not to escalate" checks (true: that check applies).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Package {
    #[serde(default)]
    pub items: IndexMap<String, String>,
    #[serde(default)]
    pub screening: IndexMap<String, bool>,
    /// Why it was escalated although a "when not to escalate" check said yes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_anyway_why: Option<String>,
}

/// The open cases of one severity and tier opened before `before` (at any time
/// when None): where `case list --eligible` looks for eligible cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningBound {
    pub severity: u32,
    pub tier: String,
    pub before: Option<DateTime<Utc>>,
}

/// Where `due` looks for deadlines up to `horizon`: the active escalations that
/// can have one by then, as bounds on their stored times (`rules::due::bounds`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueBounds {
    /// Stored deadlines (a review's, a promised touch-point) up to this count.
    pub horizon: DateTime<Utc>,
    pub levels: Vec<LevelDue>,
    /// The top level's bounds, for escalations at a level above it (one the policy
    /// no longer has): they are timed as at the policy's highest level.
    pub above_top: Option<LevelDue>,
    /// Per destination with a review window of its own: a requested escalation sent
    /// there whose level began before this can have its review due.
    pub destinations: Vec<(String, DateTime<Utc>)>,
    /// Rejected escalations below this level may be promoted; None when a decision never allows it.
    pub rejected_below: Option<u32>,
}

/// Per level: when the clocks that run from a stored time can have run out by the horizon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelDue {
    pub level: u32,
    /// A requested escalation whose level began before this can have its review due.
    pub review_before: Option<DateTime<Utc>>,
    /// An escalation whose update cadence began before this (the latest of its level's
    /// start, its last update and its reopening) can owe the customer an update.
    pub touch_before: Option<DateTime<Utc>>,
}

/// A span during which a case waited on the customer; `end` is None while it still waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Pause {
    #[serde(rename = "started_at", serialize_with = "ser_time")]
    pub start: DateTime<Utc>,
    #[serde(rename = "ended_at", default, serialize_with = "ser_opt_time")]
    pub end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    pub id: i64,
    #[serde(rename = "case")]
    pub case_id: String,
    pub level: u32,
    pub state: EscState,
    pub destination: String,
    pub reason: String,
    pub description: String,
    pub fields: IndexMap<String, String>,
    pub requested_by: String,
    #[serde(serialize_with = "ser_time")]
    pub requested_at: DateTime<Utc>,
    /// When the current level was reached (the request, or the latest promotion).
    #[serde(serialize_with = "ser_time")]
    pub level_since: DateTime<Utc>,
    #[serde(serialize_with = "ser_opt_time")]
    pub review_due_at: Option<DateTime<Utc>>,
    pub owner: String,
    /// Who raised the current level: the requester, or whoever promoted it.
    pub raised_by: String,
    /// "approved" or "rejected" for the current level, kept through close and reopen.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    #[serde(serialize_with = "ser_opt_time")]
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    #[serde(serialize_with = "ser_opt_time")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The latest customer update.
    #[serde(serialize_with = "ser_opt_time")]
    pub last_update_at: Option<DateTime<Utc>>,
    /// The next customer touch-point, when one was promised.
    #[serde(serialize_with = "ser_opt_time")]
    pub next_touch_at: Option<DateTime<Utc>>,
    /// The latest handoff note, for the next engineer on shift.
    pub handoff_note: Option<String>,
    /// When the customer touch-point cadence restarted (a reopening); null when it counts
    /// from the level or the latest update.
    #[serde(serialize_with = "ser_opt_time")]
    pub touch_since: Option<DateTime<Utc>>,
    /// The escalation document's contents beyond the destination's fields.
    pub package: Package,
    /// The customer of an account escalation; None for a case escalation.
    pub account: Option<String>,
    /// The cases an account escalation spans (its `case` is the first it was requested for).
    pub linked: Vec<String>,
}

/// A case id as the ledger keys it: trimmed, in Unicode normal form C, so that
/// ids that look the same are the same id.
pub fn case_key(id: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let id = id.trim();
    // ASCII is its own normal form.
    if id.is_ascii() { id.to_string() } else { id.nfc().collect() }
}

/// `case_key` of an id given whole: kept as it is when it is already its key.
pub fn into_case_key(id: String) -> String {
    if id.is_ascii() && id.trim().len() == id.len() { id } else { case_key(&id) }
}

/// Whether two actor names are one person: names compare without regard to case
/// ("Sam" is "sam"), so that no rule about who may act is passed by capitals.
pub fn same_actor(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The case's open escalation (requested, approved or rejected): the latest such.
/// The one place that decides which escalation a command acts on.
pub fn open_escalation(escalations: &[Escalation]) -> Option<&Escalation> {
    escalations.iter().rev().find(|e| e.state.is_active())
}

/// Of a customer's account escalations, the open one, if it spans case `case`.
pub fn open_spanning<'e>(account_escalations: &'e [Escalation], case: &str) -> Option<&'e Escalation> {
    open_escalation(account_escalations).filter(|e| e.linked.iter().any(|c| c == case))
}

impl Escalation {
    /// A new level 1 escalation requested now by `actor`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        case_id: &str,
        destination: String,
        reason: String,
        description: String,
        fields: IndexMap<String, String>,
        actor: &str,
        now: DateTime<Utc>,
        review_due_at: Option<DateTime<Utc>>,
    ) -> Escalation {
        Escalation {
            id: 0,
            case_id: case_id.to_string(),
            level: 1,
            state: EscState::Requested,
            destination,
            reason,
            description,
            fields,
            requested_by: actor.to_string(),
            requested_at: now,
            level_since: now,
            review_due_at,
            owner: actor.to_string(),
            raised_by: actor.to_string(),
            decision: None,
            decided_by: None,
            decided_at: None,
            decision_note: None,
            closed_at: None,
            last_update_at: None,
            next_touch_at: None,
            handoff_note: None,
            touch_since: None,
            package: Package::default(),
            account: None,
            linked: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub seq: i64,
    #[serde(serialize_with = "ser_time")]
    pub at: DateTime<Utc>,
    pub actor: String,
    #[serde(rename = "case")]
    pub case_id: String,
    pub escalation: Option<i64>,
    /// What happened: `kind` and `data` in JSON.
    #[serde(flatten)]
    pub body: EventBody,
    pub policy_digest: String,
}

impl Event {
    /// An event as the ledger stored it: its kind and JSON data become a typed body.
    pub fn from_stored(s: crate::ledger::StoredEvent) -> Result<Event, String> {
        let body = EventBody::from_parts(&s.kind, &s.data).map_err(|e| format!("event {}: {e}", s.seq))?;
        Ok(Event {
            seq: s.seq,
            at: s.at,
            actor: s.actor,
            case_id: s.case_id,
            escalation: s.escalation,
            body,
            policy_digest: s.policy_digest,
        })
    }
}
