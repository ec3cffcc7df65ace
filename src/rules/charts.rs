//! The figures the HTML report draws: escalations per week by reason, the level
//! funnel, times to decision and to close against the review window, and the
//! first-response SLA position of open cases. Pure: the renderers draw them.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::sla::Position;
use crate::events::EventBody;
use crate::model::{Case, EscState, Escalation, Event};
use crate::policy::{Policy, Span};

/// One week (starting on Monday in the calendar's zone) and its escalations per reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    pub start: NaiveDate,
    /// Counts in the order of `Figures::reasons`.
    pub counts: Vec<usize>,
}

/// A duration from request, and whether it ended within the level's review deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Took {
    pub minutes: i64,
    pub within_review: bool,
}

/// One level of the funnel: the escalations that reached it (the highest level
/// each reached is its level now), of them those promoted to it; the rest were
/// requested there.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub level: u32,
    pub name: String,
    pub reached: usize,
    pub promoted: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub tz: Tz,
    /// (key, label) of each reason that occurs, most frequent first.
    pub reasons: Vec<(String, String)>,
    pub weeks: Vec<Week>,
    /// How many escalations reached each level, and how.
    pub funnel: Vec<Step>,
    pub to_decision: Vec<Took>,
    pub to_close: Vec<Took>,
    /// Level 1's review window.
    pub review: Option<Span>,
    /// Open cases by first-response SLA position.
    pub sla: Vec<(Position, usize)>,
}

/// The Monday that starts `t`'s week in `tz`.
pub fn week_of(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let day = t.with_timezone(&tz).date_naive();
    day - Duration::days(day.weekday().num_days_from_monday() as i64)
}

/// The figures over the escalations requested in [since, until) and the open cases at `now`.
pub fn figures(
    policy: &Policy,
    all: &[Escalation],
    events: &[Event],
    open_cases: &[Case],
    window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    now: DateTime<Utc>,
) -> Figures {
    let tz = policy.calendar.tz;
    let (since, until) = window;
    let chosen: Vec<&Escalation> = all
        .iter()
        .filter(|e| since.is_none_or(|s| e.requested_at >= s) && until.is_none_or(|u| e.requested_at < u))
        .collect();
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &chosen {
        *by_reason.entry(&e.reason).or_default() += 1;
    }
    let mut reasons: Vec<(&str, usize)> = by_reason.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let reasons: Vec<(String, String)> = reasons
        .into_iter()
        .map(|(k, _)| (k.to_string(), policy.reasons.get(k).map_or(k.to_string(), |r| r.label.clone())))
        .collect();
    let mut weeks: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for e in &chosen {
        let i = reasons.iter().position(|(k, _)| *k == e.reason).unwrap_or(0);
        weeks.entry(week_of(e.requested_at, tz)).or_insert_with(|| vec![0; reasons.len()])[i] += 1;
    }
    let ids: std::collections::HashSet<i64> = chosen.iter().map(|e| e.id).collect();
    let mut promoted_to: BTreeMap<u32, std::collections::HashSet<i64>> = BTreeMap::new();
    for ev in events {
        if let (crate::events::EventBody::Promoted(p), Some(id)) = (&ev.body, ev.escalation)
            && ids.contains(&id)
        {
            promoted_to.entry(p.to).or_default().insert(id);
        }
    }
    let funnel = (1..=policy.top_level().max(1))
        .map(|n| Step {
            level: n,
            name: policy.level(n).map_or(format!("level {n}"), |l| l.name.clone()),
            reached: chosen.iter().filter(|e| e.level >= n).count(),
            promoted: promoted_to.get(&n).map_or(0, |p| p.len()),
        })
        .collect();
    let (to_decision, to_close) = times(&chosen, events);
    let mut sla: BTreeMap<Position, usize> = BTreeMap::new();
    for c in open_cases {
        *sla.entry(super::sla::position(policy, c, now).position).or_default() += 1;
    }
    Figures {
        tz,
        reasons,
        weeks: weeks.into_iter().map(|(start, counts)| Week { start, counts }).collect(),
        funnel,
        to_decision,
        to_close,
        review: policy.level(1).map(|l| l.review),
        sla: sla.into_iter().collect(),
    }
}

/// From request to the first decision and to close, each against level 1's review deadline.
fn times(chosen: &[&Escalation], events: &[Event]) -> (Vec<Took>, Vec<Took>) {
    let mut first_decision: BTreeMap<i64, DateTime<Utc>> = BTreeMap::new();
    let mut first_review: BTreeMap<i64, Option<DateTime<Utc>>> = BTreeMap::new();
    for ev in events {
        let Some(id) = ev.escalation else { continue };
        match &ev.body {
            EventBody::Decided(_) => {
                first_decision.entry(id).or_insert(ev.at);
            }
            EventBody::Requested(r) => {
                first_review.entry(id).or_insert(r.review_due_at);
            }
            EventBody::AccountRequested(r) => {
                first_review.entry(id).or_insert(r.review_due_at);
            }
            _ => {}
        }
    }
    let took = |e: &Escalation, at: DateTime<Utc>| {
        let due = first_review.get(&e.id).copied().flatten();
        Took { minutes: (at - e.requested_at).num_minutes(), within_review: due.is_some_and(|d| at <= d) }
    };
    let decided = chosen.iter().filter_map(|e| first_decision.get(&e.id).map(|at| took(e, *at))).collect();
    let closed = chosen
        .iter()
        .filter(|e| e.state == EscState::Closed)
        .filter_map(|e| e.closed_at.map(|at| took(e, at)))
        .collect();
    (decided, closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_in_the_calendar_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // Sunday 23:30 UTC is already Monday in Berlin.
        let t = crate::time::utc(2026, 11, 29, 23, 30).unwrap();
        assert_eq!(week_of(t, berlin), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(week_of(t, chrono_tz::UTC), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    }
}
