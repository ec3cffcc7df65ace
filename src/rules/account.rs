//! When cases of one customer may become an account escalation: each of the
//! policy's triggers evaluated on its own (an emergency running too long,
//! fallout of several cases sharing a tag, a reason that needs no wait).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::signals::Signal;
use crate::events::EventBody;
use crate::model::{Case, CaseStatus, Event};
use crate::policy::Policy;

/// When each case reached the severity it has now, by id (`severity_since`); a case
/// left out counts from its opening.
pub type SeveritySince = HashMap<String, DateTime<Utc>>;

/// When `case` reached the severity it has now: the last change of its severity to
/// it among its `events`, else its opening (it was opened at that severity).
pub fn severity_since(case: &Case, events: &[Event]) -> DateTime<Utc> {
    let changed = events.iter().rev().find_map(|e| match &e.body {
        EventBody::CaseUpdated(changes) => {
            changes.get("severity").filter(|c| c.to.as_u64() == Some(u64::from(case.severity))).map(|_| e.at)
        }
        _ => None,
    });
    changed.map_or(case.opened_at, |at| at.max(case.opened_at))
}

/// Every trigger the policy sets (a trigger the policy leaves out is not
/// listed): an emergency among `given` (timed from when each reached its
/// severity, `since`), fallout among all of the customer's cases `all`, and the
/// reason, when one is given.
pub fn triggers(
    policy: &Policy,
    (given, since): (&[Case], &SeveritySince),
    all: &[Case],
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<Signal> {
    let a = &policy.accounts;
    let mut out = Vec::new();
    if let Some((severity, after)) = a.emergency {
        out.push(emergency(policy, (given, since), severity, after, now));
    }
    if let Some((n, window)) = a.fallout {
        out.push(fallout(policy, all, n, window, now));
    }
    if !a.reasons.is_empty() {
        let met = reason.is_some_and(|r| a.reasons.iter().any(|x| x == r));
        let detail = match reason {
            Some(r) if met => format!("reason {r:?} needs no wait: the account may be escalated now"),
            Some(r) => format!("reason {r:?} is not one that needs no wait ({})", a.reasons.join(", ")),
            None => format!("no reason given; these need no wait: {}", a.reasons.join(", ")),
        };
        out.push(Signal { signal: "account-reason", raised: met, detail });
    }
    out
}

fn open(c: &&Case) -> bool {
    c.status == CaseStatus::Open
}

fn emergency(
    policy: &Policy,
    (cases, since): (&[Case], &SeveritySince),
    severity: u32,
    after: crate::policy::Span,
    now: DateTime<Utc>,
) -> Signal {
    let ran = |c: &Case| {
        let from = since.get(&c.id).copied().unwrap_or(c.opened_at);
        policy.calendar.elapsed(from, now.max(from), after.counting)
    };
    let longest = cases.iter().filter(open).filter(|c| c.severity == severity).max_by_key(|c| ran(c));
    let name = policy.severities.get(&severity).map_or(format!("severity {severity}"), |s| s.named(severity));
    match longest {
        None => Signal {
            signal: "account-emergency",
            raised: false,
            detail: format!("no open {name} case; an emergency running longer than {after} qualifies"),
        },
        Some(c) => {
            let d = ran(c);
            let raised = d.num_minutes() > after.minutes;
            let word = if raised { "longer than" } else { "not yet longer than" };
            Signal {
                signal: "account-emergency",
                raised,
                detail: format!("{} ({name}) has run {}, {word} {after}", c.id, crate::time::span(d)),
            }
        }
    }
}

/// Fallout: `need` open cases sharing a tag, opened within `window` of each other
/// (however long ago: an upgrade's fallout of Friday evening is fallout on Monday).
fn fallout(policy: &Policy, cases: &[Case], need: u32, window: crate::policy::Span, now: DateTime<Utc>) -> Signal {
    let mut by_tag: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    for c in cases.iter().filter(open).filter(|c| c.opened_at <= now) {
        for t in &c.tags {
            by_tag.entry(t).or_default().push(c);
        }
    }
    let within = |a: &Case, b: &Case| {
        policy.calendar.elapsed(a.opened_at, b.opened_at, window.counting).num_minutes() <= window.minutes
    };
    // For each tag, the most cases opened within the window of each other (the
    // window starting at each case's opening in turn); the largest group of all.
    let mut best: Option<(&str, Vec<&Case>)> = None;
    for (tag, mut tagged) in by_tag {
        tagged.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.id.cmp(&b.id)));
        for (i, first) in tagged.iter().enumerate() {
            let group: Vec<&Case> = tagged[i..].iter().take_while(|c| within(first, c)).copied().collect();
            if best.as_ref().is_none_or(|(_, b)| group.len() > b.len()) {
                best = Some((tag, group));
            }
        }
    }
    let Some((tag, group)) = best else {
        return Signal {
            signal: "account-fallout",
            raised: false,
            detail: format!(
                "no open case of the customer has a tag; {need} sharing one, opened within {window} of each other, qualify"
            ),
        };
    };
    // In the order of their ids, as lists show cases.
    let mut ids: Vec<&str> = group.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    let n = ids.len();
    let detail = if n == 1 {
        format!(
            "1 open case of the customer tagged {tag:?} ({}); {need} opened within {window} of each other qualify",
            ids[0]
        )
    } else {
        format!(
            "{n} open cases of the customer tagged {tag:?} opened within {window} of each other ({}); {need} qualify",
            ids.join(", ")
        )
    };
    Signal { signal: "account-fallout", raised: n >= need as usize, detail }
}

/// The account-level view `check --account` prints.
#[derive(Debug, Serialize)]
pub struct AccountCheck {
    pub customer: String,
    pub qualifies: bool,
    pub cases: Vec<String>,
    pub triggers: Vec<Signal>,
    /// The open account escalation, when there is one.
    pub open_escalation: Option<i64>,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn case(id: &str, severity: u32, opened_h: u32, tags: &[&str]) -> Case {
        let opened = Utc.with_ymd_and_hms(2026, 11, 23, opened_h, 0, 0).unwrap();
        Case { severity, tags: tags.iter().map(|t| t.to_string()).collect(), ..Case::open(id, opened) }
    }

    #[test]
    fn each_trigger_counts_on_its_own() {
        let p = Policy::parse(crate::policy::BUILT_IN, "policy.toml").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let none = SeveritySince::new();
        let t = triggers(&p, (&[case("E-1", 1, 9, &[])], &none), &[], None, now);
        assert_eq!(
            t.iter().map(|s| (s.signal, s.raised)).collect::<Vec<_>>(),
            [("account-emergency", false), ("account-fallout", false), ("account-reason", false)]
        );
        assert!(t[0].detail.contains("has run 3h, not yet longer than 3h clock"), "{}", t[0].detail);
        let t = triggers(&p, (&[case("E-1", 1, 8, &[])], &none), &[], None, now);
        assert!(t[0].raised);
        // Opened at 08:00, an outage only since 11:00: it has run an hour.
        let since = SeveritySince::from([("E-1".to_string(), Utc.with_ymd_and_hms(2026, 11, 23, 11, 0, 0).unwrap())]);
        let t = triggers(&p, (&[case("E-1", 1, 8, &[])], &since), &[], None, now);
        assert!(!t[0].raised && t[0].detail.contains("has run 1h, not yet"), "{}", t[0].detail);
        let up: Vec<Case> = (0..3).map(|i| case(&format!("U-{i}"), 3, 10, &["upgrade"])).collect();
        let t = triggers(&p, (&up, &none), &up, Some("customer-deadline"), now);
        assert!(!t[0].raised && t[1].raised && t[2].raised, "{t:?}");
        assert!(!triggers(&p, (&up[..2], &none), &up[..2], None, now)[1].raised);
    }

    #[test]
    fn fallout_is_cases_opened_close_together_however_long_ago() {
        let p = Policy::parse(crate::policy::BUILT_IN, "policy.toml").unwrap();
        let none = SeveritySince::new();
        let later = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let up: Vec<Case> = (0..3).map(|i| case(&format!("U-{i}"), 3, 10 + i, &["upgrade"])).collect();
        let t = triggers(&p, (&up, &none), &up, None, later);
        assert!(t[1].raised, "{t:?}");
        assert!(
            t[1].detail.starts_with(
                "3 open cases of the customer tagged \"upgrade\" opened within 2d clock of each other (U-0, U-1, U-2)"
            ),
            "{}",
            t[1].detail
        );
        // Three days apart: never three within two days of each other.
        let mut apart = up.clone();
        apart[0].opened_at -= chrono::Duration::days(3);
        let t = triggers(&p, (&apart, &none), &apart, None, later);
        assert!(!t[1].raised && t[1].detail.starts_with("2 open cases"), "{t:?}");
        let untagged = [case("U-9", 3, 10, &[])];
        let t = triggers(&p, (&untagged, &none), &untagged, None, later);
        assert!(t[1].detail.starts_with("no open case of the customer has a tag"), "{t:?}");
    }

    #[test]
    fn an_emergency_counts_from_the_last_change_to_its_severity() {
        let mut c = case("E-1", 1, 8, &[]);
        let at = |h: u32| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
        let updated = |h: u32, from: u32, to: u32| Event {
            seq: 0,
            at: at(h),
            actor: "ana".into(),
            case_id: "E-1".into(),
            escalation: None,
            body: EventBody::CaseUpdated(
                [("severity".to_string(), crate::events::Change { from: from.into(), to: to.into() })].into(),
            ),
            policy_digest: "d".into(),
        };
        assert_eq!(severity_since(&c, &[]), at(8));
        assert_eq!(severity_since(&c, &[updated(9, 2, 1)]), at(9));
        // Down and up again: the emergency began again.
        assert_eq!(severity_since(&c, &[updated(9, 2, 1), updated(10, 1, 2), updated(11, 2, 1)]), at(11));
        c.severity = 2;
        assert_eq!(severity_since(&c, &[updated(9, 2, 1), updated(10, 1, 2)]), at(10));
    }
}
