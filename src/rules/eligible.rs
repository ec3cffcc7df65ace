//! Which open cases can be eligible now, as a bound on their opening time per
//! severity and tier: the wait window inverted on the calendar. Pauses only
//! delay the end of a wait, so every eligible case is within its bound; the
//! full check (`check::check`) then decides on those candidates alone.

use chrono::{DateTime, Duration, Utc};

use crate::model::{Case, CaseStatus, OpeningBound};
use crate::policy::{Calendar, Policy, Span};
use crate::rules::pause::deadline;

/// How far back the inversion looks for a wait that has ended: a calendar that
/// accrues no time for longer says no case of the pair is eligible.
const HORIZON_DAYS: i64 = 3660;

/// For each severity that may be escalated and each tier it sets a wait for:
/// the open cases opened before `before` (any time when None) are the only
/// ones whose wait window can have ended at `now`. Pairs no case can pass are left out.
pub fn opening_bounds(policy: &Policy, now: DateTime<Utc>) -> Vec<OpeningBound> {
    let mut out = Vec::new();
    for (&severity, sev) in &policy.severities {
        if !sev.escalable {
            continue;
        }
        for (tier, span) in &sev.wait {
            if !policy.tiers.contains_key(tier) {
                continue;
            }
            let before = if span.minutes == 0 {
                None
            } else {
                match latest_start(&policy.calendar, *span, now) {
                    Some(t) => Some(t + Duration::seconds(1)),
                    None => continue,
                }
            };
            out.push(OpeningBound { severity, tier: tier.clone(), before });
        }
    }
    out
}

/// Whether a case is within one of the bounds (what the ledger's query selects).
pub fn is_candidate(bounds: &[OpeningBound], case: &Case) -> bool {
    case.status == CaseStatus::Open
        && bounds
            .iter()
            .any(|b| b.severity == case.severity && b.tier == case.tier && b.before.is_none_or(|t| case.opened_at < t))
}

/// The latest whole second a wait of `span` can start at and have ended by `now`,
/// with no pause; None when no start within the horizon has. The wait's end
/// never moves back when its start moves forward, so a bisection finds it.
pub(crate) fn latest_start(cal: &Calendar, span: Span, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let ended = |secs: i64| {
        DateTime::from_timestamp(secs, 0).and_then(|t| deadline(cal, t, span, &[])).is_some_and(|end| end <= now)
    };
    let mut hi = now.timestamp() + 1; // a wait of some time starting at or after now has not ended
    let floor = hi - HORIZON_DAYS * 86_400;
    let mut step = span.minutes.max(1) * 60;
    let mut lo = hi - step;
    while !ended(lo) {
        hi = lo;
        if lo <= floor {
            return None;
        }
        step = step.saturating_mul(2);
        lo = (hi - step).max(floor);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ended(mid) { lo = mid } else { hi = mid }
    }
    DateTime::from_timestamp(lo, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EscState, Escalation, Pause, Priority};
    use crate::rules::check::{Ask, check};
    use crate::time::utc;
    use proptest::prelude::*;

    fn policy(business: bool, pause_wait: bool, holidays: &str) -> Policy {
        // Severity 4 on the premium tier waits not at all.
        let mut t = crate::policy::BUILT_IN.replace("premium = \"16h clock\"", "premium = \"0m clock\"");
        if business {
            t = t.replace("h clock\"", "h business\"");
        }
        if !pause_wait {
            t = t.replace("clocks = [\"wait-window\", ", "clocks = [");
        }
        t = t.replace("holidays = []", &format!("holidays = [{holidays}]"));
        Policy::parse(&t, "policy.toml").expect("a valid policy")
    }

    #[test]
    fn the_bound_is_the_last_opening_whose_wait_has_ended() {
        let p = policy(true, true, "");
        // Monday 2026-11-23 12:00: the working day began at 09:00, so 4 business hours
        // back is Friday 16:00 (1h on Friday, 3h on Monday).
        let now = utc(2026, 11, 23, 12, 0).unwrap();
        let b = opening_bounds(&p, now);
        let sev2 = b.iter().find(|b| b.severity == 2 && b.tier == "premium").expect("a bound");
        assert_eq!(sev2.before, Some(utc(2026, 11, 20, 16, 0).unwrap() + Duration::seconds(1)));
        let zero = b.iter().find(|b| b.severity == 4 && b.tier == "premium").expect("a bound");
        assert_eq!(zero.before, None);
        assert!(b.iter().all(|b| b.severity != 1), "severity 1 is not escalated");
    }

    fn arb_case() -> impl Strategy<Value = (Case, Vec<Pause>, Option<EscState>)> {
        let start = utc(2026, 11, 10, 0, 0).unwrap().timestamp();
        (
            0..40u32,
            prop::sample::select(vec![1u32, 2, 3, 4, 7]),
            prop::sample::select(vec!["premium", "standard", "gold"]),
            0..(30 * 24 * 60i64),
            prop::bool::weighted(0.85),
            prop::collection::vec((0..(30 * 24 * 60i64), prop::option::of(0..(4 * 24 * 60i64))), 0..3),
            prop::option::of(prop::sample::select(vec![EscState::Requested, EscState::Rejected, EscState::Closed])),
        )
            .prop_map(move |(n, severity, tier, opened, open, pauses, esc)| {
                let opened_at = DateTime::from_timestamp(start + opened * 60, 0).expect("a time");
                let case = Case {
                    id: format!("C-{n}"),
                    customer: "Acme".into(),
                    severity,
                    tier: tier.into(),
                    title: String::new(),
                    opened_at,
                    priority: Priority::Normal,
                    tags: Vec::new(),
                    status: if open { CaseStatus::Open } else { CaseStatus::Closed },
                    waiting_since: None,
                    first_response_at: None,
                    closed_at: None,
                };
                let pauses = pauses
                    .into_iter()
                    .map(|(s, len)| {
                        let start = DateTime::from_timestamp(start + s * 60, 0).expect("a time");
                        Pause { start, end: len.map(|l| start + Duration::minutes(l + 1)) }
                    })
                    .collect();
                (case, pauses, esc)
            })
    }

    fn escalation(case: &Case, state: EscState) -> Escalation {
        let mut e = Escalation::new(
            &case.id,
            "l2".into(),
            "r".into(),
            "d".into(),
            Default::default(),
            "alice",
            case.opened_at,
            None,
        );
        e.id = 1;
        e.state = state;
        e
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Evaluating the candidates alone finds exactly the cases evaluating every case finds.
        #[test]
        fn candidates_hold_every_eligible_case(
            cases in prop::collection::vec(arb_case(), 0..40),
            nears in prop::collection::vec(prop::option::weighted(0.5, (0..16usize, prop::sample::select(vec![
                -7200i64, -1800, -60, -2, -1, 0, 1, 2, 60, 1800, 7200,
            ]))), 40),
            now_min in 0..(40 * 24 * 60i64),
            business: bool,
            pause_wait: bool,
            holiday: bool,
        ) {
            let holidays = if holiday { "\"2026-11-24\", \"2026-11-27\"" } else { "" };
            let p = policy(business, pause_wait, holidays);
            let now = utc(2026, 11, 10, 0, 0).unwrap() + Duration::minutes(now_min);
            let bounds = opening_bounds(&p, now);
            let ask = Ask { actor: "alice", ..Ask::default() };
            // Some cases open right about a bound: of their severity and tier, seconds to hours away.
            let mut cases = cases;
            for ((case, _, _), near) in cases.iter_mut().zip(&nears) {
                if let (Some((i, secs)), false) = (near, bounds.is_empty()) {
                    let b = &bounds[i % bounds.len()];
                    (case.severity, case.tier) = (b.severity, b.tier.clone());
                    case.opened_at = b.before.unwrap_or(now) + Duration::seconds(*secs);
                }
            }
            let eligible = |(case, pauses, esc): &&(Case, Vec<Pause>, Option<EscState>)| {
                let escs: Vec<Escalation> = esc.iter().map(|s| escalation(case, *s)).collect();
                check(&p, case, &escs, pauses, now, ask).eligible
            };
            let every: Vec<&str> = cases.iter().filter(eligible).map(|c| c.0.id.as_str()).collect();
            let found: Vec<&str> =
                cases.iter().filter(|c| is_candidate(&bounds, &c.0)).filter(eligible).map(|c| c.0.id.as_str()).collect();
            prop_assert_eq!(found, every, "at {} with {:?}", now, bounds);
        }
    }
}
