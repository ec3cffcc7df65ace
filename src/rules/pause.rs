//! Clocks that stop while a case waits on the customer: when a policy span has
//! run from a start, not counting the paused spans; and how much was paused.

use chrono::{DateTime, Duration, Utc};

use crate::model::Pause;
use crate::policy::{Calendar, Counting, Span};

fn add(cal: &Calendar, t: DateTime<Utc>, d: Duration, counting: Counting) -> Option<DateTime<Utc>> {
    match counting {
        Counting::Clock => t.checked_add_signed(d),
        Counting::Business => cal.add_business(t, d),
    }
}

/// Time paused within [a, b), as `counting` counts it. An open pause runs to `b`.
pub fn paused_within(
    cal: &Calendar,
    pauses: &[Pause],
    a: DateTime<Utc>,
    b: DateTime<Utc>,
    counting: Counting,
) -> Duration {
    let mut total = Duration::zero();
    let mut covered_to = a;
    let mut sorted: Vec<Pause> = pauses.to_vec();
    sorted.sort_by_key(|p| p.start);
    for p in sorted {
        let from = p.start.max(covered_to);
        let to = p.end.unwrap_or(b).min(b);
        if from < to {
            total += cal.elapsed(from, to, counting);
            covered_to = to;
        }
    }
    total
}

/// When `span` has run since `start` without counting paused time. None when a
/// pause that is still open stops the clock before it runs out, or when the
/// calendar never accrues the time.
pub fn deadline(cal: &Calendar, start: DateTime<Utc>, span: Span, pauses: &[Pause]) -> Option<DateTime<Utc>> {
    let mut sorted: Vec<Pause> = pauses.to_vec();
    sorted.sort_by_key(|p| p.start);
    let mut remaining = Duration::minutes(span.minutes);
    let mut t = start;
    // Run the clock from `t` to each pause, skip over the pause, and so on.
    for p in sorted {
        if p.end.is_some_and(|end| end <= t) {
            continue;
        }
        if p.start > t {
            let available = cal.elapsed(t, p.start, span.counting);
            if remaining <= available {
                return add(cal, t, remaining, span.counting);
            }
            remaining -= available;
        }
        t = p.end?.max(t);
    }
    add(cal, t, remaining, span.counting)
}

/// Clock time paused within [a, b), for display.
pub fn paused_clock(pauses: &[Pause], a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
    paused_within(&Calendar::default(), pauses, a, b, Counting::Clock)
}

/// A requested escalation's review deadline as the policy counts it: when the
/// review clock stops while the case waits, from the level's start with the
/// case's pauses taken out (None while a pause is open); otherwise as stored.
pub fn review_due(
    policy: &crate::policy::Policy,
    e: &crate::model::Escalation,
    pauses: &[Pause],
) -> Option<DateTime<Utc>> {
    if !policy.pause_review || e.state != crate::model::EscState::Requested {
        return e.review_due_at;
    }
    crate::rules::replay::review_due(policy, e.level_since, (e.level, &e.destination), pauses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::utc;
    use proptest::prelude::*;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        utc(2026, 11, d, h, 0).unwrap()
    }

    #[test]
    fn a_closed_pause_moves_the_deadline_by_its_length() {
        let cal = Calendar::default();
        let pauses = [Pause { start: t(23, 10), end: Some(t(23, 12)) }];
        assert_eq!(deadline(&cal, t(23, 8), Span::clock_minutes(240), &pauses), Some(t(23, 14)));
        // A pause after the deadline changes nothing.
        let later = [Pause { start: t(24, 10), end: Some(t(24, 12)) }];
        assert_eq!(deadline(&cal, t(23, 8), Span::clock_minutes(240), &later), Some(t(23, 12)));
    }

    #[test]
    fn an_open_pause_stops_the_clock() {
        let cal = Calendar::default();
        let open = [Pause { start: t(23, 10), end: None }];
        assert_eq!(deadline(&cal, t(23, 8), Span::clock_minutes(240), &open), None);
        let open_after = [Pause { start: t(23, 13), end: None }];
        assert_eq!(deadline(&cal, t(23, 8), Span::clock_minutes(240), &open_after), Some(t(23, 12)));
    }

    #[test]
    fn business_pauses_count_only_working_time() {
        let cal = Calendar::default();
        // Paused from Friday 16:00 to Monday 10:00: one business hour on each side.
        let pauses = [Pause { start: t(20, 16), end: Some(t(23, 10)) }];
        assert_eq!(deadline(&cal, t(20, 15), Span::business_minutes(120), &pauses), Some(t(23, 11)));
    }

    proptest! {
        #[test]
        fn the_clock_runs_exactly_the_span_outside_pauses(
            start in 0i64..(30 * 24 * 60),
            minutes in 1i64..(3 * 24 * 60),
            business in any::<bool>(),
            raw in prop::collection::vec((0i64..(40 * 24 * 60), 1i64..(2 * 24 * 60)), 0..5),
        ) {
            let cal = Calendar::default();
            let base = utc(2026, 11, 1, 0, 0).unwrap();
            let start = base + Duration::minutes(start);
            let span = if business { Span::business_minutes(minutes) } else { Span::clock_minutes(minutes) };
            let pauses: Vec<Pause> = raw.iter().map(|(s, len)| Pause {
                start: base + Duration::minutes(*s),
                end: Some(base + Duration::minutes(s + len)),
            }).collect();
            let plain = cal.add(start, span).unwrap();
            let d = deadline(&cal, start, span, &pauses).unwrap();
            prop_assert!(d >= plain, "pauses never make a deadline earlier");
            let ran = cal.elapsed(start, d, span.counting) - paused_within(&cal, &pauses, start, d, span.counting);
            prop_assert_eq!(ran, Duration::minutes(minutes));
        }
    }
}
