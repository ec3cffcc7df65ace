//! A case opens before anything happens to it: before its escalations are
//! requested and before it waits on the customer. Moving an opening later
//! (`case update --opened-at`, `case import --upsert`) may not pass either, or
//! the wait windows a request was allowed by would be rewritten after the fact.

use chrono::{DateTime, Utc};

use crate::model::{Escalation, Pause};

/// What an opening would come after: the earliest of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passed {
    /// An escalation of the case, requested at `at`.
    Request { escalation: i64, at: DateTime<Utc> },
    /// A span the case waited on the customer, from `at`.
    Pause { at: DateTime<Utc> },
}

impl Passed {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Passed::Request { at, .. } | Passed::Pause { at } => *at,
        }
    }
}

/// The earliest request or pause of the case that an opening at `opened_at` would
/// come after; None when the opening comes first.
pub fn passed(opened_at: DateTime<Utc>, escalations: &[Escalation], pauses: &[Pause]) -> Option<Passed> {
    let requests = escalations.iter().map(|e| Passed::Request { escalation: e.id, at: e.requested_at });
    let waits = pauses.iter().map(|p| Passed::Pause { at: p.start });
    requests.chain(waits).filter(|p| p.at() < opened_at).min_by_key(Passed::at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32) -> DateTime<Utc> {
        crate::time::utc(2026, 11, 23, h, 0).unwrap()
    }

    #[test]
    fn the_earliest_thing_passed_is_named() {
        let pauses = [Pause { start: t(9), end: Some(t(10)) }];
        assert_eq!(passed(t(8), &[], &pauses), None);
        assert_eq!(passed(t(9), &[], &pauses), None, "a wait may start as the case opens");
        assert_eq!(passed(t(11), &[], &pauses), Some(Passed::Pause { at: t(9) }));
    }
}
