//! May the open escalation be raised a level? When, and to whom.

use chrono::{DateTime, Utc};

use crate::model::{EscState, Escalation};
use crate::policy::Policy;

/// The outcome of asking to promote; the renderers word it (`render::finding`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Promotion {
    /// Allowed: to this level, because of this.
    Allowed { to: u32, because: Because },
    /// Refused, with the reason; `possible_at` when time alone will allow it.
    Refused { why: Refusal, possible_at: Option<DateTime<Utc>> },
}

/// What allows a promotion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Because {
    /// The level was decided (approved or rejected).
    Decided { level: u32, state: EscState },
    /// The level's review window ended at `due`.
    ReviewEnded { level: u32, due: DateTime<Utc> },
}

/// Why a promotion is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoneOpen {
        case: String,
    },
    /// The destination skips the level progression.
    RoutedDirectly {
        id: i64,
        receiver: String,
        label: String,
    },
    TopLevel {
        id: i64,
        top: u32,
        name: String,
    },
    /// Not yet: the review window (when it has one) has not ended and it is not
    /// decided; `raised` says who raised this level and when, above level 1.
    NotYet {
        id: i64,
        level: u32,
        raised: Option<(String, DateTime<Utc>)>,
        review_due: Option<DateTime<Utc>>,
        after_decision: bool,
    },
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
    let refused = |why| Promotion::Refused { why, possible_at: None };
    let Some(esc) = esc.filter(|e| e.state.is_active()) else {
        return refused(Refusal::NoneOpen { case: case_id.to_string() });
    };
    if let Some(d) = policy.routed_directly(&esc.destination) {
        return refused(Refusal::RoutedDirectly { id: esc.id, receiver: d.receiver.clone(), label: d.label.clone() });
    }
    let top = policy.top_level();
    if esc.level >= top {
        let name = policy.level(top).map_or("", |l| l.name.as_str()).to_string();
        return refused(Refusal::TopLevel { id: esc.id, top, name });
    }
    let to = esc.level + 1;
    if policy.promote_after_decision && esc.state.is_decided() {
        return Promotion::Allowed { to, because: Because::Decided { level: esc.level, state: esc.state } };
    }
    let review_due = esc.review_due_at.filter(|_| policy.promote_after_review);
    if let Some(due) = review_due
        && now >= due
    {
        return Promotion::Allowed { to, because: Because::ReviewEnded { level: esc.level, due } };
    }
    // After a promotion, name who raised the level: two people may have promoted at once.
    let raised = (esc.level > 1).then(|| (esc.raised_by.clone(), esc.level_since));
    let why = Refusal::NotYet {
        id: esc.id,
        level: esc.level,
        raised,
        review_due,
        after_decision: policy.promote_after_decision,
    };
    Promotion::Refused { why, possible_at: promotable_at(policy, esc) }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

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
            Promotion::Refused { why: Refusal::NotYet { raised, .. }, .. } => {
                assert_eq!(raised, Some(("bob".to_string(), at(23, 12))))
            }
            other => panic!("{other:?}"),
        }
    }
}
