//! Which active escalations can have a deadline by a horizon, as bounds on their
//! stored times per level: each clock inverted on the calendar, as for
//! eligibility. Pauses only delay a deadline, so every escalation with one is
//! within the bounds; `follow::due_items` then decides on those candidates alone.

use chrono::{DateTime, Duration, Utc};

use crate::model::{DueBounds, EscState, Escalation, LevelDue};
use crate::policy::Policy;
use crate::rules::eligible::latest_start;

/// The bounds for deadlines up to `horizon` (now and what `--within` adds).
pub fn bounds(policy: &Policy, horizon: DateTime<Utc>) -> DueBounds {
    let cal = &policy.calendar;
    let after = |t: Option<DateTime<Utc>>| t.map(|t| t + Duration::seconds(1));
    let levels = (1..=policy.top_level())
        .filter_map(|n| policy.level(n).map(|l| (n, l)))
        .map(|(level, l)| LevelDue {
            level,
            review_before: after(latest_start(cal, l.review, horizon)),
            touch_before: l.update_every.and_then(|every| after(latest_start(cal, every, horizon))),
        })
        .collect::<Vec<_>>();
    let above_top = levels.last().cloned();
    let destinations = (policy.destinations.iter())
        .filter_map(|(key, d)| Some((key.clone(), after(latest_start(cal, d.review?, horizon))?)))
        .collect();
    let rejected_below = policy.promote_after_decision.then_some(policy.top_level());
    DueBounds { horizon, levels, above_top, destinations, rejected_below }
}

/// Whether an escalation is within the bounds (what the ledger's query selects).
pub fn is_candidate(b: &DueBounds, e: &Escalation) -> bool {
    if !e.state.is_active() {
        return false;
    }
    let above = b.above_top.as_ref().filter(|top| e.level > top.level);
    let level = b.levels.iter().find(|l| l.level == e.level).or(above);
    let requested = e.state == EscState::Requested;
    let own = b.destinations.iter().find(|(d, _)| *d == e.destination).map(|(_, t)| *t);
    let review = requested
        && (e.review_due_at.is_some_and(|t| t <= b.horizon)
            || level.and_then(|l| l.review_before).is_some_and(|t| e.level_since < t)
            || own.is_some_and(|t| e.level_since < t));
    let base = [Some(e.level_since), e.last_update_at, e.touch_since].into_iter().flatten().max();
    let touch = e.next_touch_at.is_some_and(|t| t <= b.horizon)
        || level.and_then(|l| l.touch_before).zip(base).is_some_and(|(t, base)| base < t);
    let promotion = e.state == EscState::Rejected && b.rejected_below.is_some_and(|top| e.level < top);
    review || touch || promotion
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Case, Pause};
    use crate::rules::follow::{Open, due_items, within};
    use crate::time::utc;
    use proptest::prelude::*;

    fn policy(business: bool, pause_review: bool, after_decision: bool) -> Policy {
        let mut t = crate::policy::BUILT_IN.to_string();
        if !business {
            t = t.replace("h business\"", "h clock\"");
        }
        if pause_review {
            t = t.replace(
                "clocks = [\"wait-window\", \"touch-point\"]",
                "clocks = [\"wait-window\", \"touch-point\", \"review\"]",
            );
        }
        if !after_decision {
            t = t.replace("allowed_after = [\"review-elapsed\", \"decided\"]", "allowed_after = [\"review-elapsed\"]");
        }
        Policy::parse(&t, "policy.toml").expect("a valid policy")
    }

    #[test]
    fn the_policy_variants_parse_as_meant() {
        let p = policy(false, true, false);
        assert!(p.pause_review && !p.promote_after_decision);
        let b = bounds(&p, utc(2026, 11, 23, 12, 0).unwrap());
        // Level 1 reviews within 4 hours of the clock: a level begun by 08:00 has its review due.
        assert_eq!(b.levels[0].review_before, Some(utc(2026, 11, 23, 8, 0).unwrap() + Duration::seconds(1)));
        assert_eq!(b.rejected_below, None);
    }

    /// One second either side of a bound decides whether the deadline is due: a
    /// review (and the promotion it allows), and a customer update, each alone.
    #[test]
    fn the_bounds_are_tight() {
        let p = policy(false, true, false);
        let now = utc(2026, 11, 23, 12, 0).unwrap();
        let b = bounds(&p, now);
        let c = case(1);
        let updated = Some(utc(2026, 11, 23, 11, 59).unwrap());
        // Level 2 reviews within 4 hours and updates every 4 hours of the clock.
        for (state, last_update_at, kinds) in
            [(EscState::Requested, updated, 2), (EscState::Approved, None, 1), (EscState::Rejected, None, 1)]
        {
            for (late, due) in [(0, true), (1, false)] {
                let mut e = Escalation::new(
                    "C-1",
                    "engineering".into(),
                    "r".into(),
                    "d".into(),
                    Default::default(),
                    "a",
                    now,
                    None,
                );
                (e.id, e.level, e.state) = (1, 2, state);
                (e.level_since, e.last_update_at) =
                    (utc(2026, 11, 23, 8, 0).unwrap() + Duration::seconds(late), last_update_at);
                let open = [Open { case: &c, esc: &e, pauses: &[] }];
                let items = within(due_items(&p, &open, now), now, Duration::zero());
                let found: Vec<_> = items.iter().map(|i| i.kind).collect();
                assert_eq!(found.len(), if due { kinds } else { 0 }, "{state:?} {late}: {found:?}");
                assert_eq!(is_candidate(&b, &e), due, "{state:?} {late}");
            }
        }
    }

    fn case(n: u32) -> Case {
        Case::open(&format!("C-{n}"), utc(2026, 11, 1, 9, 0).unwrap())
    }

    fn arb_escalation() -> impl Strategy<Value = (Escalation, Vec<Pause>)> {
        let start = utc(2026, 11, 10, 0, 0).unwrap().timestamp();
        let at = move |m: i64| DateTime::from_timestamp(start + m * 60, 0).expect("a time");
        // A few days, so that deadlines often fall near the horizon.
        let span = 4 * 24 * 60i64;
        (
            (0..40u32, 1..6u32),
            prop::sample::select(vec![
                EscState::Requested,
                EscState::Approved,
                EscState::Rejected,
                EscState::Closed,
                EscState::Withdrawn,
            ]),
            0..span,
            (
                prop::option::weighted(0.3, 0..span),
                prop::option::of(0..span),
                prop::option::of(0..span),
                prop::option::weighted(0.3, 0..span),
                prop::option::of(0..span),
            ),
            prop::collection::vec((0..span, prop::option::of(0..(4 * 24 * 60i64))), 0..3),
            prop::sample::select(vec!["engineering", "security"]),
        )
            .prop_map(
                move |((n, level), state, since, (review, update, touch, promised, decided), pauses, dest)| {
                    let mut e = Escalation::new(
                        &format!("C-{n}"),
                        dest.into(),
                        "r".into(),
                        "d".into(),
                        Default::default(),
                        "alice",
                        at(since),
                        None,
                    );
                    e.id = i64::from(n);
                    e.level = level;
                    e.state = state;
                    e.level_since = at(since);
                    e.review_due_at = review.map(at);
                    e.last_update_at = update.map(at);
                    e.touch_since = touch.map(at);
                    e.next_touch_at = promised.map(at);
                    e.decided_at = decided.map(at);
                    let pauses = pauses
                        .into_iter()
                        .map(|(s, len)| Pause { start: at(s), end: len.map(|l| at(s + l)) })
                        .collect();
                    (e, pauses)
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// The candidates' due items are exactly every escalation's due items.
        #[test]
        fn candidates_hold_every_due_item(
            escs in prop::collection::vec(arb_escalation(), 0..12),
            (business, pause_review, after_decision) in (any::<bool>(), any::<bool>(), any::<bool>()),
            now in 0..(5 * 24 * 60i64),
            ahead in prop::sample::select(vec![0i64, 60, 24 * 60, 7 * 24 * 60]),
        ) {
            let p = policy(business, pause_review, after_decision);
            let now = utc(2026, 11, 10, 0, 0).unwrap() + Duration::minutes(now);
            let cases: Vec<Case> = escs.iter().map(|(e, _)| case(e.id as u32)).collect();
            let open: Vec<Open> =
                escs.iter().zip(&cases).map(|((esc, pauses), case)| Open { case, esc, pauses }).collect();
            let ahead = Duration::minutes(ahead);
            let b = bounds(&p, now + ahead);
            let chosen: Vec<Open> = open.iter().filter(|o| is_candidate(&b, o.esc)).map(|o| Open { ..*o }).collect();
            let key = |items: Vec<crate::rules::follow::DueItem>| {
                items.into_iter().map(|i| (i.escalation, i.kind, i.due_at)).collect::<Vec<_>>()
            };
            let every = key(within(due_items(&p, &open, now), now, ahead));
            let some = key(within(due_items(&p, &chosen, now), now, ahead));
            prop_assert_eq!(every, some);
        }
    }
}
