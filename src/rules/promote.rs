//! May the open escalation be raised a level? When, and to whom.

use chrono::{DateTime, Utc};

use crate::model::Escalation;
use crate::policy::Policy;
use crate::time::human_relative;

/// The outcome of asking to promote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Promotion {
    /// Allowed: to this level, because of this.
    Allowed { to: u32, because: String },
    /// Refused, with the reason; `possible_at` when time alone will allow it.
    Refused { why: String, possible_at: Option<DateTime<Utc>> },
}

/// When the escalation's current level may be promoted by time alone, if ever.
pub fn promotable_at(policy: &Policy, esc: &Escalation) -> Option<DateTime<Utc>> {
    if !esc.state.is_active()
        || esc.level >= policy.top_level()
        || !policy.promote_after_review
        || policy.routed_directly(&esc.destination).is_some()
    {
        return None;
    }
    esc.review_due_at
}

pub fn can_promote(policy: &Policy, case_id: &str, esc: Option<&Escalation>, now: DateTime<Utc>) -> Promotion {
    let tz = policy.calendar.tz;
    let Some(esc) = esc.filter(|e| e.state.is_active()) else {
        return Promotion::Refused {
            why: format!(
                "case {case_id} has no open escalation to promote: request one with `escalate request {case_id}`"
            ),
            possible_at: None,
        };
    };
    if let Some(d) = policy.routed_directly(&esc.destination) {
        return Promotion::Refused {
            why: format!(
                "escalation #{} went straight to {}: {} escalations skip the level progression, so there is no level to promote it to",
                esc.id, d.receiver, d.label
            ),
            possible_at: None,
        };
    }
    let top = policy.top_level();
    if esc.level >= top {
        let name = policy.level(top).map_or("", |l| l.name.as_str());
        return Promotion::Refused {
            why: format!(
                "escalation #{} is already at the top level, {top} ({name}): there is no level above it",
                esc.id
            ),
            possible_at: None,
        };
    }
    let to = esc.level + 1;
    if policy.promote_after_decision && esc.state.is_decided() {
        return Promotion::Allowed { to, because: format!("level {} was {}", esc.level, esc.state) };
    }
    if policy.promote_after_review
        && let Some(due) = esc.review_due_at
        && now >= due
    {
        return Promotion::Allowed {
            to,
            because: format!("the level {} review window ended {}", esc.level, human_relative(due, now, tz)),
        };
    }
    let mut conditions = Vec::new();
    if policy.promote_after_review
        && let Some(due) = esc.review_due_at
    {
        conditions.push(format!("once its review window ends at {}", human_relative(due, now, tz)));
    }
    if policy.promote_after_decision {
        conditions.push("once it has been decided".to_string());
    }
    // After a promotion, name who raised the level: two people may have promoted at once.
    let raised = if esc.level > 1 {
        format!(" (raised by {} at {})", esc.raised_by, crate::time::human(esc.level_since, tz))
    } else {
        String::new()
    };
    Promotion::Refused {
        why: format!(
            "level {} of escalation #{}{raised} may be promoted only {}",
            esc.level,
            esc.id,
            conditions.join(" or ")
        ),
        possible_at: promotable_at(policy, esc),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::EscState;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn esc(level: u32, dest: &str) -> Escalation {
        let mut e =
            Escalation::new("C-1", dest.into(), "r".into(), "d".into(), Default::default(), "alice", at(23, 12), None);
        e.id = 1;
        e.level = level;
        e.review_due_at = Some(at(23, 16));
        e
    }

    fn policy() -> Policy {
        Policy::parse(crate::policy::BUILT_IN, "policy.toml").expect("the built-in policy")
    }

    #[test]
    fn a_level_is_promoted_once_its_review_window_ends_or_it_is_decided() {
        let p = policy();
        let e = esc(1, "l2");
        match can_promote(&p, "C-1", Some(&e), at(23, 15)) {
            Promotion::Refused { possible_at, .. } => assert_eq!(possible_at, Some(at(23, 16))),
            other => panic!("refused before the window ends, not {other:?}"),
        }
        assert!(matches!(can_promote(&p, "C-1", Some(&e), at(23, 16)), Promotion::Allowed { to: 2, .. }));
        let mut decided = e.clone();
        decided.state = EscState::Rejected;
        assert!(matches!(can_promote(&p, "C-1", Some(&decided), at(23, 13)), Promotion::Allowed { to: 2, .. }));
    }

    #[test]
    fn nothing_above_the_top_level_or_an_immediate_route_and_a_raised_level_names_who_raised_it() {
        let p = policy();
        let top = esc(p.top_level(), "l2");
        assert!(matches!(can_promote(&p, "C-1", Some(&top), at(30, 12)), Promotion::Refused { possible_at: None, .. }));
        let security = esc(1, "security");
        assert!(matches!(can_promote(&p, "C-1", Some(&security), at(30, 12)), Promotion::Refused { .. }));
        assert!(matches!(can_promote(&p, "C-1", None, at(30, 12)), Promotion::Refused { .. }));
        let mut raised = esc(2, "l2");
        raised.raised_by = "bob".into();
        raised.review_due_at = Some(at(24, 16));
        match can_promote(&p, "C-1", Some(&raised), at(24, 12)) {
            Promotion::Refused { why, .. } => assert!(why.contains("(raised by bob at"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
