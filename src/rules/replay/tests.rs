//! Replay of a built history: a policy replayed over itself changes nothing, and a
//! clock wait window moves eligibility by exactly its change.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;
use crate::events::{CaseAdded, Requested};
use crate::model::Case;

fn policy(wait_hours: i64) -> Policy {
    let text = crate::policy::BUILT_IN.replace(
        "wait = { premium = \"4h clock\", standard = \"8h clock\" }",
        &format!("wait = {{ premium = \"{wait_hours}h clock\", standard = \"8h clock\" }}"),
    );
    Policy::parse(&text, "policy.toml").expect("a valid policy")
}

fn base() -> DateTime<Utc> {
    crate::time::utc(2026, 11, 23, 0, 0).expect("a time")
}

fn event(seq: i64, at: DateTime<Utc>, escalation: Option<i64>, body: EventBody) -> Event {
    Event { seq, at, actor: "alice".into(), case_id: "C-1".into(), escalation, body, policy_digest: "old".into() }
}

/// A severity 2 premium case opened at `base`, requested `after` minutes later under `old`.
fn log(old: &Policy, after: i64) -> CaseLog {
    let case = Case::open("C-1", base());
    let at = base() + Duration::minutes(after);
    let requested = Requested {
        level: 1,
        destination: "l2".into(),
        reason: "lack-of-progress".into(),
        description: "d".into(),
        fields: Default::default(),
        review_due_at: review_due(old, at, (1, "l2"), &[]),
        package: Default::default(),
        skipped_wait: None,
    };
    let added = CaseAdded { case, pauses: Vec::new(), imported_from: None };
    CaseLog {
        events: vec![
            event(1, base(), None, EventBody::CaseAdded(Box::new(added))),
            event(2, at, Some(1), EventBody::Requested(Box::new(requested))),
        ],
        pauses: Vec::new(),
    }
}

fn replay(old: &Policy, new: &Policy, after: i64) -> Replayed {
    let recorded = HashMap::from([("old".to_string(), old.clone())]);
    let items = replay_case(&Policies { new, recorded: &recorded }, &log(old, after), None, None);
    assert_eq!(items.len(), 1, "one request replayed");
    items.into_iter().next().expect("the request")
}

#[test]
fn a_policy_replayed_over_its_own_history_changes_nothing() {
    let p = policy(4);
    let r = replay(&p, &p, 5 * 60);
    assert!(r.allowed && !r.changed(), "{r:?}");
    assert_eq!(r.eligible_at.after, Some(base() + Duration::hours(4)));
}

#[test]
fn an_unknown_recorded_policy_compares_the_recorded_review_deadline_only() {
    let p = policy(4);
    let items = replay_case(&Policies { new: &p, recorded: &HashMap::new() }, &log(&p, 300), None, None);
    assert!(!items[0].recorded_policy_known && !items[0].changed(), "{:?}", items[0]);
    let until = Some(base() + Duration::minutes(300));
    assert!(replay_case(&Policies { new: &p, recorded: &HashMap::new() }, &log(&p, 300), None, until).is_empty());
}

proptest! {
    #[test]
    fn a_clock_wait_moves_eligibility_by_its_change(old_h in 1i64..24, new_h in 1i64..24, extra in 0i64..600) {
        let (old, new) = (policy(old_h), policy(new_h));
        // Requested once the old wait had passed, as it must have been.
        let after = old_h * 60 + extra;
        let r = replay(&old, &new, after);
        prop_assert_eq!(r.eligible_at.minutes, Some((new_h - old_h) * 60));
        let allowed = after >= new_h * 60;
        prop_assert_eq!(r.allowed, allowed);
        prop_assert_eq!(r.allowed_at, (!allowed).then(|| base() + Duration::hours(new_h)));
        prop_assert_eq!(r.review_due.changed(), false);
    }
}
