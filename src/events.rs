//! The event log's kinds, each with its typed payload. Stored as a kind and
//! the payload's JSON; older ledgers' events load as they were written.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use crate::model::{Case, EscState, Package, Pause, ser_opt_time};

/// A changed field of a case: its value before and after, as JSON values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

/// Where an imported case came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedFrom {
    pub source: String,
    pub line: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseAdded {
    #[serde(flatten)]
    pub case: Case,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<Pause>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_from: Option<ImportedFrom>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requested {
    pub level: u32,
    pub destination: String,
    pub reason: String,
    pub description: String,
    #[serde(default)]
    pub fields: IndexMap<String, String>,
    #[serde(default, serialize_with = "ser_opt_time")]
    pub review_due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub package: Package,
    /// The wait window skipped for a stated deadline, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_wait: Option<SkippedWait>,
}

/// The same-day override: a reason that may skip the wait, a deadline before the wait ends, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedWait {
    #[serde(serialize_with = "crate::model::ser_time")]
    pub deadline: DateTime<Utc>,
    #[serde(serialize_with = "crate::model::ser_time")]
    pub wait_ended_at: DateTime<Utc>,
    pub justification: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decided {
    pub decision: EscState,
    pub level: u32,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Promoted {
    pub from: u32,
    pub to: u32,
    pub why: String,
    /// What allowed the promotion, in words.
    #[serde(default)]
    pub because: String,
    #[serde(default, serialize_with = "ser_opt_time")]
    pub review_due_at: Option<DateTime<Utc>>,
}

/// A new owner: by `assign` or by a `handoff` at the end of a shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnerChange {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub note: Option<String>,
    /// The support manager on call at a handoff, per the roster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerUpdated {
    pub note: String,
    #[serde(default, serialize_with = "ser_opt_time")]
    pub next: Option<DateTime<Utc>>,
}

impl CaseAdded {
    /// Its kind as stored: `EventBody::CaseAdded(..).kind()`, for code that holds the payload alone.
    pub const KIND: &'static str = "case-added";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paused {
    pub note: String,
    /// When the wait began, when not at the event's time (imports).
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "ser_opt_time")]
    pub since: Option<DateTime<Utc>>,
}

impl Paused {
    /// Its kind as stored: `EventBody::Paused(..).kind()`.
    pub const KIND: &'static str = "paused";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resumed {
    pub paused_minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Why {
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reopened {
    pub why: String,
    pub state: EscState,
    #[serde(default, serialize_with = "ser_opt_time")]
    pub review_due_at: Option<DateTime<Utc>>,
}

/// No payload.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Empty {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageUpdated {
    /// The items set, key to text.
    #[serde(default)]
    pub items: IndexMap<String, String>,
    /// The items removed.
    #[serde(default)]
    pub cleared: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionNoted {
    pub action: String,
    #[serde(default)]
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attached {
    pub reference: String,
}

/// An account escalation requested for cases of one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRequested {
    pub customer: String,
    pub cases: Vec<String>,
    pub level: u32,
    pub destination: String,
    pub reason: String,
    pub description: String,
    /// The destination's package fields.
    #[serde(default)]
    pub fields: IndexMap<String, String>,
    pub owner: String,
    /// The account triggers that were met when it was requested.
    #[serde(default)]
    pub triggers: Vec<String>,
    #[serde(default, serialize_with = "ser_opt_time")]
    pub review_due_at: Option<DateTime<Utc>>,
}

/// A case linked to (or unlinked from) a customer's account escalation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseLink {
    pub customer: String,
    pub case: String,
}

/// An account's people named while an account escalation of it is open (who the
/// escalation DRI is decides who may close it): the account as it now stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountPeople {
    pub customer: String,
    pub csm: Option<String>,
    pub ae: Option<String>,
    pub dri: Option<String>,
    /// The escalation DRI before and after: named, or the CSM, the AE or the fallback.
    pub dri_was: Option<String>,
    pub dri_now: Option<String>,
}

/// The outage process was used for a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutageRecorded {
    pub reference: String,
}

/// A root-cause analysis completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RcaDone {
    pub link: String,
    /// The escalation that owed it. Recorded before it was named: the analysis of
    /// the case's own escalations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owed_by: Option<i64>,
}

impl RcaDone {
    /// Its kind as stored: `EventBody::RcaDone(..).kind()` (the ledgers index these events apart).
    pub const KIND: &'static str = "rca-done";
}

macro_rules! events {
    ($($variant:ident($payload:ty) => $kind:literal),+ $(,)?) => {
        /// What happened, with its data. Serialized as `"kind"` and `"data"`.
        #[derive(Debug, Clone)]
        pub enum EventBody { $($variant($payload)),+ }

        impl EventBody {
            /// Every kind, as stored.
            pub const KINDS: &'static [&'static str] = &[$($kind),+];

            /// The kind as stored, such as `handed-off`.
            pub fn kind(&self) -> &'static str {
                match self { $(EventBody::$variant(_) => $kind),+ }
            }

            /// The payload as JSON text, as stored.
            pub fn data_json(&self) -> serde_json::Result<String> {
                match self { $(EventBody::$variant(p) => serde_json::to_string(p)),+ }
            }

            /// An event from its stored kind and JSON data.
            pub fn from_parts(kind: &str, data: &str) -> Result<EventBody, String> {
                match kind {
                    $($kind => serde_json::from_str(data)
                        .map(EventBody::$variant)
                        .map_err(|e| format!("its {kind} data cannot be read: {e}")),)+
                    other => Err(format!("unknown event kind {other:?}")),
                }
            }
        }

        impl Serialize for EventBody {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct("Event", 2)?;
                st.serialize_field("kind", self.kind())?;
                match self { $(EventBody::$variant(p) => st.serialize_field("data", p)?),+ }
                st.end()
            }
        }
    };
}

events! {
    CaseAdded(Box<CaseAdded>) => "case-added",
    CaseUpdated(IndexMap<String, Change>) => "case-updated",
    Requested(Box<Requested>) => "requested",
    Decided(Decided) => "decided",
    Promoted(Promoted) => "promoted",
    Assigned(OwnerChange) => "assigned",
    HandedOff(OwnerChange) => "handed-off",
    CustomerUpdated(CustomerUpdated) => "customer-updated",
    Paused(Paused) => "paused",
    Resumed(Resumed) => "resumed",
    Withdrawn(Why) => "withdrawn",
    Closed(Note) => "closed",
    Reopened(Reopened) => "reopened",
    CaseClosed(Empty) => "case-closed",
    CaseReopened(Empty) => "case-reopened",
    PackageUpdated(PackageUpdated) => "package-updated",
    ActionNoted(ActionNoted) => "action-noted",
    Attached(Attached) => "attached",
    AccountRequested(Box<AccountRequested>) => "account-requested",
    CaseLinked(CaseLink) => "case-linked",
    CaseUnlinked(CaseLink) => "case-unlinked",
    AccountPeopleSet(AccountPeople) => "account-people-set",
    OutageRecorded(OutageRecorded) => "outage-recorded",
    RcaDone(RcaDone) => "rca-done",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_named_on_payloads_are_their_events_kinds() {
        let paused = Paused { note: String::new(), since: None };
        assert_eq!(EventBody::Paused(paused).kind(), Paused::KIND);
        assert_eq!(EventBody::RcaDone(RcaDone { link: String::new(), owed_by: None }).kind(), RcaDone::KIND);
        let case = r#"{"id":"A-1","customer":"Acme","severity":2,"tier":"standard","title":"","opened_at":"2026-11-23T12:00:00Z","priority":"normal","tags":[],"status":"open"}"#;
        let added: CaseAdded = serde_json::from_str(case).unwrap();
        assert_eq!(EventBody::CaseAdded(Box::new(added)).kind(), CaseAdded::KIND);
    }

    #[test]
    fn the_readme_names_every_kind_of_event() {
        let readme = include_str!("../README.md");
        let row = readme
            .lines()
            .find(|l| l.starts_with("| `kind` | string | `case-added`"))
            .expect("the README's event kinds");
        let missing: Vec<&&str> = EventBody::KINDS.iter().filter(|k| !row.contains(&format!("`{k}`"))).collect();
        assert!(missing.is_empty(), "the README's event table leaves out {missing:?}");
    }

    #[test]
    fn old_shapes_still_load_and_every_kind_round_trips() {
        let old = [
            ("decided", r#"{"decision":"approved","level":1,"note":null}"#),
            ("promoted", r#"{"from":1,"to":2,"why":"slow","because":"x","review_due_at":"2026-11-24T12:45:00Z"}"#),
            ("customer-updated", r#"{"note":"called","next":null}"#),
            ("paused", r#"{"note":"waiting on the customer"}"#),
            ("case-closed", "{}"),
            (
                "requested",
                r#"{"level":1,"destination":"l2","reason":"r","description":"d","fields":{},"review_due_at":null}"#,
            ),
            ("case-updated", r#"{"severity":{"from":3,"to":2}}"#),
        ];
        for (kind, data) in old {
            let e = EventBody::from_parts(kind, data).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(e.kind(), kind);
            let again = EventBody::from_parts(kind, &e.data_json().unwrap()).unwrap();
            assert_eq!(again.data_json().unwrap(), e.data_json().unwrap());
        }
        assert!(EventBody::from_parts("exploded", "{}").is_err());
        assert!(EventBody::from_parts("decided", r#"{"decision":"maybe","level":1}"#).is_err());
    }
}
