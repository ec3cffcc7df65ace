//! The outbox for people: deliveries and what became of each attempt.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{Out, clean};
use crate::ledger::outbox::{Delivery, DeliveryState};
use crate::model::ser_time;
use crate::notify::outbox::Tried;
use crate::notify::send::Outcome;
use crate::time::human;

pub const DELIVERY_COLUMNS: &[&str] = &[
    "id",
    "key",
    "channel",
    "topic",
    "case_id",
    "escalation",
    "event_seq",
    "created_at",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "sent_at",
];

pub fn outbox(out: &Out, rows: &[Delivery], tz: Tz) -> String {
    if rows.is_empty() {
        return "The outbox is empty: no notification matches.\n".into();
    }
    let mut t = out.table(&["#", "Channel", "Told of", "Case", "State", "Tries", "When", "Last error"]);
    for d in rows {
        let when = match d.state {
            DeliveryState::Sent => format!("sent {}", d.sent_at.map(|t| human(t, tz)).unwrap_or_default()),
            DeliveryState::Pending => format!("next try {}", human(d.next_attempt_at, tz)),
            DeliveryState::Failed => format!("gave up {}", human(d.next_attempt_at, tz)),
        };
        let case = match d.escalation {
            Some(e) => format!("{} #{e}", d.case_id),
            None => d.case_id.clone(),
        };
        t.add_row(vec![
            d.id.to_string(),
            clean(&d.channel),
            d.topic.clone(),
            clean(&case),
            d.state.as_str().to_string(),
            d.attempts.to_string(),
            when,
            clean(d.last_error.as_deref().unwrap_or("")),
        ]);
    }
    Out::keep_whole(&mut t, &[0, 3, 4]);
    format!("{t}\n")
}

/// One attempt of `notify flush`, as printed and as data.
#[derive(Debug, Serialize)]
pub struct Attempt {
    pub id: i64,
    pub key: String,
    pub channel: String,
    pub topic: String,
    pub case_id: String,
    pub escalation: Option<i64>,
    pub state: DeliveryState,
    pub attempts: u32,
    #[serde(serialize_with = "ser_time")]
    pub next_attempt_at: DateTime<Utc>,
    pub error: Option<String>,
}

pub const ATTEMPT_COLUMNS: &[&str] =
    &["id", "key", "channel", "topic", "case_id", "escalation", "state", "attempts", "next_attempt_at", "error"];

impl Attempt {
    pub fn of(t: &Tried) -> Attempt {
        let d = &t.delivery;
        Attempt {
            id: d.id,
            key: d.key.clone(),
            channel: d.channel.clone(),
            topic: d.topic.clone(),
            case_id: d.case_id.clone(),
            escalation: d.escalation,
            state: t.state,
            attempts: d.attempts + 1,
            next_attempt_at: t.next_attempt_at,
            error: match &t.outcome {
                Outcome::Sent => None,
                Outcome::Retry(w) | Outcome::Permanent(w) => Some(w.clone()),
            },
        }
    }
}

/// What was tried and became of it (the caller words an empty list).
pub fn attempts(out: &Out, rows: &[Attempt], tz: Tz) -> String {
    let mut t = out.table(&["#", "Channel", "Told of", "Case", "Result"]);
    for a in rows {
        let result = match (a.state, &a.error) {
            (DeliveryState::Sent, _) => "sent".to_string(),
            (DeliveryState::Pending, e) => {
                format!("pending, next try {}: {}", human(a.next_attempt_at, tz), e.as_deref().unwrap_or(""))
            }
            (DeliveryState::Failed, e) => format!("failed after {} tries: {}", a.attempts, e.as_deref().unwrap_or("")),
        };
        let case = match a.escalation {
            Some(e) => format!("{} #{e}", a.case_id),
            None => a.case_id.clone(),
        };
        t.add_row(vec![a.id.to_string(), clean(&a.channel), a.topic.clone(), clean(&case), clean(&result)]);
    }
    Out::keep_whole(&mut t, &[0, 3]);
    let sent = rows.iter().filter(|a| a.state == DeliveryState::Sent).count();
    format!("{t}\nSent {sent} of {} notifications.\n", rows.len())
}
