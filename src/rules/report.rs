//! The escalation report: counts by reason, destination and highest level,
//! the approval rate, times to decision and to close, promotions, and the
//! cases whose level calls for a root-cause analysis.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::events::EventBody;
use crate::model::{Escalation, Event, ser_opt_time};
use crate::policy::Policy;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub count: usize,
}

/// Durations in minutes: how many, the median and the 90th percentile (nearest rank).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Times {
    pub count: usize,
    pub median_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rca {
    pub case: String,
    pub escalation: i64,
    pub level: u32,
    /// Where the completed analysis is (`escalate rca --done`); null while it is due.
    pub done: Option<String>,
}

/// A request that skipped the wait window for a stated deadline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedWait {
    pub case: String,
    pub escalation: i64,
    pub reason: String,
    #[serde(serialize_with = "crate::model::ser_time")]
    pub deadline: DateTime<Utc>,
    /// How long before the wait would have ended the request was made.
    pub minutes_early: i64,
    pub justification: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    #[serde(serialize_with = "ser_opt_time")]
    pub since: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_opt_time")]
    pub until: Option<DateTime<Utc>>,
    pub escalations: usize,
    pub by_reason: Vec<Count>,
    pub by_destination: Vec<Count>,
    pub by_highest_level: Vec<Count>,
    pub approved: usize,
    pub rejected: usize,
    /// Approvals over decisions, each level's decision counted; null without decisions.
    pub approval_rate: Option<f64>,
    pub to_decision: Times,
    pub to_close: Times,
    pub promotions: usize,
    pub promotions_per_escalation: Option<f64>,
    pub root_cause_analysis: Vec<Rca>,
    /// The requests that skipped the wait window for a deadline (the same-day override).
    pub skipped_wait: Vec<SkippedWait>,
}

/// The value at `q` (0 < q <= 1) of sorted values, by nearest rank.
pub fn nearest_rank(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

fn times(mut minutes: Vec<i64>) -> Times {
    minutes.sort_unstable();
    Times {
        count: minutes.len(),
        median_minutes: nearest_rank(&minutes, 0.5),
        p90_minutes: nearest_rank(&minutes, 0.9),
    }
}

fn counts(keys: impl Iterator<Item = String>, label: impl Fn(&str) -> String) -> Vec<Count> {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for k in keys {
        *m.entry(k).or_default() += 1;
    }
    let mut v: Vec<Count> = m.into_iter().map(|(key, count)| Count { label: label(&key), key, count }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v
}

/// The report over the escalations requested in [since, until); `events` are
/// their events and their cases' root-cause analyses (others are ignored).
pub fn report(
    policy: &Policy,
    all: &[Escalation],
    events: &[Event],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Report {
    let chosen: Vec<&Escalation> = all
        .iter()
        .filter(|e| since.is_none_or(|s| e.requested_at >= s) && until.is_none_or(|u| e.requested_at < u))
        .collect();
    let mut approved = 0;
    let mut rejected = 0;
    let mut promotions = 0;
    let mut to_decision = Vec::new();
    let mut to_close = Vec::new();
    let mut skipped_wait = Vec::new();
    // Each escalation's events, and the analyses recorded, found once.
    let mut of_escalation: HashMap<i64, Vec<&Event>> = HashMap::new();
    for ev in events {
        if let Some(id) = ev.escalation {
            of_escalation.entry(id).or_default().push(ev);
        }
    }
    let rca_done = super::records::rcas_done(events, all);
    for e in &chosen {
        let mut first_decision = None;
        for ev in of_escalation.get(&e.id).into_iter().flatten() {
            match &ev.body {
                EventBody::Decided(d) => {
                    match d.decision {
                        crate::model::EscState::Approved => approved += 1,
                        crate::model::EscState::Rejected => rejected += 1,
                        _ => {}
                    }
                    first_decision = first_decision.or(Some(ev.at));
                }
                EventBody::Promoted(_) => promotions += 1,
                EventBody::Requested(r) => skipped_wait.extend(r.skipped_wait.as_ref().map(|s| SkippedWait {
                    case: e.case_id.clone(),
                    escalation: e.id,
                    reason: e.reason.clone(),
                    deadline: s.deadline,
                    minutes_early: (s.wait_ended_at - ev.at).num_minutes(),
                    justification: s.justification.clone(),
                })),
                _ => {}
            }
        }
        if let Some(at) = first_decision {
            to_decision.push((at - e.requested_at).num_minutes());
        }
        if let Some(at) = e.closed_at.filter(|_| e.state == crate::model::EscState::Closed) {
            to_close.push((at - e.requested_at).num_minutes());
        }
    }
    let n = chosen.len();
    let decided = approved + rejected;
    Report {
        since,
        until,
        escalations: n,
        by_reason: counts(chosen.iter().map(|e| e.reason.clone()), |k| {
            policy.reasons.get(k).map_or(k.to_string(), |r| r.label.clone())
        }),
        by_destination: counts(chosen.iter().map(|e| e.destination.clone()), |k| {
            policy.destinations.get(k).map_or(k.to_string(), |d| d.label.clone())
        }),
        by_highest_level: {
            // A route that skips the levels (security) reached none of them.
            let level = |e: &&Escalation| match policy.routed_directly(&e.destination) {
                Some(_) => "routed-immediately".to_string(),
                None => e.level.to_string(),
            };
            let mut v = counts(chosen.iter().map(level), |k| match k.parse().ok() {
                Some(n) => policy.level(n).map_or(format!("level {k}"), |l| l.name.clone()),
                None => "Routed immediately, past the levels".to_string(),
            });
            v.sort_by_key(|c| c.key.parse::<u32>().unwrap_or(u32::MAX));
            v
        },
        approved,
        rejected,
        approval_rate: (decided > 0).then(|| approved as f64 / decided as f64),
        to_decision: times(to_decision),
        to_close: times(to_close),
        promotions,
        promotions_per_escalation: (n > 0).then(|| promotions as f64 / n as f64),
        root_cause_analysis: chosen
            .iter()
            .filter(|e| policy.routed_directly(&e.destination).is_none())
            .filter(|e| policy.level(e.level).is_some_and(|l| l.root_cause_analysis))
            .map(|e| {
                let done = rca_done.get(&e.id).cloned();
                Rca { case: e.case_id.clone(), escalation: e.id, level: e.level, done }
            })
            .collect(),
        skipped_wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 0.5), Some(5));
        assert_eq!(nearest_rank(&v, 0.9), Some(9));
        assert_eq!(nearest_rank(&[7], 0.9), Some(7));
        assert_eq!(nearest_rank(&[], 0.5), None);
        assert_eq!(nearest_rank(&[1, 2, 3], 0.5), Some(2));
    }
}
