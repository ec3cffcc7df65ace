//! Notifications: who must hear of an event (routes), what they are told (the
//! message and each channel's form of it), and getting it there (the outbox,
//! delivered after the commit and retried by `notify flush`).

pub mod deliver;
pub mod format;
pub mod message;
pub mod outbox;
pub mod route;
pub mod secret;
pub mod send;

use serde::{Deserialize, Serialize};

/// What a notification tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    Requested,
    Promoted,
    Approved,
    Rejected,
    Assigned,
    HandedOff,
    Updated,
    Closed,
    Reopened,
    Withdrawn,
    /// A deadline `due --overdue --notify` found past.
    Overdue,
    /// A case of a severity that goes to the outage process (paged).
    Outage,
    /// That case was closed: the page is resolved.
    OutageEnded,
    /// `notify test`.
    Test,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Requested => "requested",
            Topic::Promoted => "promoted",
            Topic::Approved => "approved",
            Topic::Rejected => "rejected",
            Topic::Assigned => "assigned",
            Topic::HandedOff => "handed-off",
            Topic::Updated => "updated",
            Topic::Closed => "closed",
            Topic::Reopened => "reopened",
            Topic::Withdrawn => "withdrawn",
            Topic::Overdue => "overdue",
            Topic::Outage => "outage",
            Topic::OutageEnded => "outage-ended",
            Topic::Test => "test",
        }
    }

    /// Whether this ends what a page started (PagerDuty resolves its incident).
    pub fn resolves(self) -> bool {
        matches!(self, Topic::Closed | Topic::Withdrawn | Topic::OutageEnded)
    }
}
