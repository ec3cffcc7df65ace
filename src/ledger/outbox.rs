//! The outbox of notifications: what each event must tell which channel,
//! written in the event's transaction and delivered after the commit.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryState {
    /// Not delivered yet: tried again by `notify flush`.
    Pending,
    /// Delivered.
    Sent,
    /// Given up: refused for good, or out of attempts.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryState> {
        match s {
            "pending" => Some(DeliveryState::Pending),
            "sent" => Some(DeliveryState::Sent),
            "failed" => Some(DeliveryState::Failed),
            _ => None,
        }
    }
}

/// A notification to queue. `key` is its stable delivery id: queuing a key
/// already in the outbox does nothing (an overdue item is told once per deadline).
pub struct NewDelivery<'a> {
    pub key: &'a str,
    pub channel: &'a str,
    pub topic: &'a str,
    pub case_id: &'a str,
    pub escalation: Option<i64>,
    pub event_seq: Option<i64>,
    /// The message as JSON text.
    pub message: &'a str,
    pub created_at: DateTime<Utc>,
    /// Left to the command that queued it until then; `notify flush` takes it after.
    pub held_until: DateTime<Utc>,
}

/// A notification in the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub key: String,
    pub channel: String,
    pub topic: String,
    pub case_id: String,
    pub escalation: Option<i64>,
    pub event_seq: Option<i64>,
    #[serde(skip)]
    pub message: String,
    #[serde(serialize_with = "crate::model::ser_time")]
    pub created_at: DateTime<Utc>,
    pub state: DeliveryState,
    pub attempts: u32,
    #[serde(serialize_with = "crate::model::ser_time")]
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::model::ser_opt_time")]
    pub sent_at: Option<DateTime<Utc>>,
}

/// Which deliveries to take for sending.
pub enum Claim<'a> {
    /// These, queued by this command, whatever their hold.
    Own(&'a [i64]),
    /// Those due by `now` and held by nobody; at most `limit`.
    Due { now: DateTime<Utc>, limit: i64 },
}

/// What became of a delivery attempt.
pub struct Settled<'a> {
    pub id: i64,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<&'a str>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// What asking to send a failed delivery again found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeued {
    /// It was failed and is pending again, attempts counted from zero.
    Done,
    /// No delivery has that id.
    Unknown,
    /// It was not failed: pending still, or sent.
    Was(DeliveryState),
}

/// Which deliveries `notify list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    All,
    Pending,
    Failed,
}
