//! The signals that say escalate, reported by `check` beside its
//! rules: a recurring pattern, the first-response SLA, stalled progress and a
//! rising severity. They inform; they do not change eligibility.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sla::{Position, Sla};
use crate::events::EventBody;
use crate::model::{Case, CaseStatus, Event};
use crate::policy::Policy;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signal {
    pub signal: &'static str,
    /// The signal is present: a reason to escalate.
    pub raised: bool,
    pub detail: String,
}

/// Open cases sharing one of the case's tags, opened within the policy's
/// window, from at least `recurring_cases` different customers (the case
/// itself included). `others` may hold any cases; the rest are ignored.
pub fn recurring(policy: &Policy, case: &Case, others: &[Case], now: DateTime<Utc>) -> Signal {
    let s = &policy.signals;
    let within = |c: &Case| {
        c.opened_at <= now
            && policy.calendar.elapsed(c.opened_at, now, s.recurring_window.counting).num_minutes()
                <= s.recurring_window.minutes
    };
    let mut best: Option<(usize, &str, BTreeSet<&str>)> = None;
    for tag in &case.tags {
        let mut customers: BTreeSet<&str> = BTreeSet::new();
        let mut ids: BTreeSet<&str> = BTreeSet::new();
        for c in std::iter::once(case).chain(others.iter().filter(|o| o.id != case.id)) {
            if c.status == CaseStatus::Open && c.tags.contains(tag) && within(c) {
                customers.insert(&c.customer);
                ids.insert(&c.id);
            }
        }
        if best.as_ref().is_none_or(|(n, _, _)| customers.len() > *n) {
            best = Some((customers.len(), tag, ids));
        }
    }
    let need = s.recurring_cases as usize;
    match best {
        None => Signal { signal: "recurring-pattern", raised: false, detail: "the case has no tags to compare".into() },
        Some((n, tag, ids)) => Signal {
            signal: "recurring-pattern",
            raised: n >= need,
            detail: {
                let listed = if ids.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", ids.into_iter().collect::<Vec<_>>().join(", "))
                };
                format!(
                    "{} with open cases tagged {tag:?} opened within {}{listed}; {need} make a pattern",
                    crate::render::count(n as u64, "customer"),
                    s.recurring_window,
                )
            },
        },
    }
}

/// The first-response SLA breached or at risk.
pub fn first_response(sla: &Sla) -> Signal {
    Signal {
        signal: "first-response-sla",
        raised: matches!(sla.position, Position::AtRisk | Position::Breached),
        detail: format!("{}: {}", sla.position.label(), sla.detail),
    }
}

/// No activity on the case (any event) for the policy's `stalled_after`.
pub fn stalled(policy: &Policy, case: &Case, last_activity: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Signal {
    let s = policy.signals.stalled_after;
    let since = last_activity.unwrap_or(case.opened_at).max(case.opened_at);
    let quiet = policy.calendar.elapsed(since, now.max(since), s.counting);
    Signal {
        signal: "stalled-progress",
        raised: quiet.num_minutes() >= s.minutes,
        detail: format!(
            "the last activity was {} ({} of quiet; {s} means stalled)",
            crate::time::human(since, policy.calendar.tz),
            crate::time::span(quiet)
        ),
    }
}

/// The severity raised (made more urgent) to a new high at least twice: a
/// lowering and raising back does not count again.
pub fn severity_trend(events: &[Event]) -> Signal {
    let changes: Vec<(u64, u64)> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::CaseUpdated(changes) => {
                let change = changes.get("severity")?;
                Some((change.from.as_u64()?, change.to.as_u64()?))
            }
            _ => None,
        })
        .collect();
    let mut most_urgent = changes.first().map_or(u64::MAX, |(from, _)| *from);
    let mut raises = 0;
    let now = changes.last().map(|(_, to)| *to);
    for (_, to) in changes {
        if to < most_urgent {
            raises += 1;
            most_urgent = to;
        }
    }
    let times = match raises {
        0 => "never raised".to_string(),
        1 => "raised once".to_string(),
        n => format!("raised {n} times"),
    };
    // Trending upward: raised again and again, and not lowered since.
    let lowered = now.filter(|n| raises > 0 && *n > most_urgent);
    Signal {
        signal: "severity-trend",
        raised: raises >= 2 && lowered.is_none(),
        detail: match lowered {
            Some(n) => format!("the severity was {times}, then lowered to {n}"),
            None => format!("the severity was {times}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Priority;
    use proptest::prelude::*;

    fn policy() -> Policy {
        Policy::parse(crate::policy::BUILT_IN, "policy.toml").expect("built-in policy")
    }

    fn at(hours: i64) -> DateTime<Utc> {
        crate::time::utc(2026, 11, 23, 12, 0).unwrap() - chrono::Duration::hours(hours)
    }

    /// A change of the case's severity, `from` to `to`.
    fn severity(from: u32, to: u32) -> Event {
        Event {
            seq: 0,
            at: at(1),
            actor: "ana".into(),
            case_id: "C-1".into(),
            escalation: None,
            body: EventBody::CaseUpdated(
                [("severity".to_string(), crate::events::Change { from: from.into(), to: to.into() })].into(),
            ),
            policy_digest: "d".into(),
        }
    }

    #[test]
    fn the_severity_trends_upward_when_raised_twice_and_not_lowered_since() {
        let trend = |changes: &[(u32, u32)]| {
            let s = severity_trend(&changes.iter().map(|(f, t)| severity(*f, *t)).collect::<Vec<_>>());
            (s.raised, s.detail)
        };
        assert_eq!(trend(&[]), (false, "the severity was never raised".into()));
        assert_eq!(trend(&[(4, 3)]), (false, "the severity was raised once".into()));
        assert_eq!(trend(&[(4, 3), (3, 2)]), (true, "the severity was raised 2 times".into()));
        assert_eq!(
            trend(&[(4, 3), (3, 2), (2, 4)]),
            (false, "the severity was raised 2 times, then lowered to 4".into())
        );
        // Lowered, then raised back to the most urgent: upward again.
        assert_eq!(trend(&[(4, 3), (3, 2), (2, 3), (3, 2)]), (true, "the severity was raised 2 times".into()));
        assert_eq!(trend(&[(3, 4)]), (false, "the severity was never raised".into()));
    }

    fn case(id: &str, customer: &str, tags: &[&str], hours_ago: i64, open: bool) -> Case {
        Case {
            id: id.into(),
            customer: customer.into(),
            severity: 2,
            tier: "premium".into(),
            title: String::new(),
            opened_at: at(hours_ago),
            priority: Priority::Normal,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            status: if open { CaseStatus::Open } else { CaseStatus::Closed },
            waiting_since: None,
            first_response_at: None,
            closed_at: None,
        }
    }

    #[test]
    fn three_customers_sharing_a_tag_this_week_are_a_pattern() {
        let p = policy();
        let me = case("A", "acme", &["sso"], 1, true);
        let two = [case("B", "globex", &["sso"], 30, true), case("C", "acme", &["sso"], 2, true)];
        assert!(!recurring(&p, &me, &two, at(0)).raised);
        let old = case("D", "initech", &["sso"], 24 * 8, true);
        let closed = case("E", "umbrella", &["sso"], 3, false);
        let other_tag = case("F", "hooli", &["billing"], 3, true);
        let noise = [two[0].clone(), two[1].clone(), old, closed, other_tag];
        assert!(!recurring(&p, &me, &noise, at(0)).raised);
        let third = case("G", "initech", &["sso"], 5, true);
        let s = recurring(&p, &me, &[two[0].clone(), third], at(0));
        assert!(s.raised, "{s:?}");
        assert!(s.detail.contains("3 customers"), "{}", s.detail);
    }

    proptest! {
        /// Raised exactly when the open, recent cases sharing the tag come from
        /// enough different customers, whatever else is in the list and in what order.
        #[test]
        fn a_pattern_counts_distinct_customers(
            others in proptest::collection::vec((0usize..5, any::<bool>(), any::<bool>(), 0i64..400), 0..12),
            reversed in any::<bool>(),
        ) {
            let p = policy();
            let me = case("me", "c0", &["x"], 1, true);
            let mut list: Vec<Case> = others
                .iter()
                .enumerate()
                .map(|(i, (cust, tagged, open, hours))| {
                    let tags: &[&str] = if *tagged { &["x"] } else { &["y"] };
                    case(&format!("o{i}"), &format!("c{cust}"), tags, *hours, *open)
                })
                .collect();
            if reversed {
                list.reverse();
            }
            let mut customers: BTreeSet<String> = BTreeSet::from(["c0".to_string()]);
            for (cust, tagged, open, hours) in &others {
                if *tagged && *open && *hours <= 7 * 24 {
                    customers.insert(format!("c{cust}"));
                }
            }
            let s = recurring(&p, &me, &list, at(0));
            prop_assert_eq!(s.raised, customers.len() >= 3, "{:?}", s);
        }
    }
}
