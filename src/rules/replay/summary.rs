//! The replay in figures: how many acts the new policy would refuse, how far
//! eligibility and deadlines move, by reason, destination and level.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Act, Moved, Replayed};
use crate::policy::Policy;
use crate::rules::report::nearest_rank;

/// How many acts of one kind were replayed, and how many the new policy refuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub total: usize,
    pub refused: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub key: String,
    pub count: usize,
}

/// How many times move earlier and later, and the median move of each, in minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Shifts {
    pub compared: usize,
    pub earlier: usize,
    pub later: usize,
    pub earlier_median_minutes: Option<i64>,
    pub later_median_minutes: Option<i64>,
}

fn shifts<'a>(moves: impl Iterator<Item = &'a Moved>) -> Shifts {
    let (mut compared, mut earlier, mut later) = (0, Vec::new(), Vec::new());
    for m in moves.filter(|m| m.before.is_some() || m.after.is_some()) {
        compared += 1;
        match m.minutes {
            Some(x) if x < 0 => earlier.push(-x),
            Some(x) if x > 0 => later.push(x),
            _ => {}
        }
    }
    earlier.sort_unstable();
    later.sort_unstable();
    Shifts {
        compared,
        earlier: earlier.len(),
        later: later.len(),
        earlier_median_minutes: nearest_rank(&earlier, 0.5),
        later_median_minutes: nearest_rank(&later, 0.5),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupBy {
    Reason,
    Destination,
    Level,
}

/// The acts of one reason, destination or level, and what the new policy changes of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub by: GroupBy,
    pub key: String,
    pub label: String,
    pub acts: usize,
    pub refused: usize,
    pub eligible_earlier: usize,
    pub eligible_later: usize,
    /// Review deadlines and touch-points that move.
    pub deadlines_moved: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub requests: Tally,
    pub promotions: Tally,
    pub decisions: Tally,
    /// The reasons for refusals, most frequent first.
    pub refused_by: Vec<Count>,
    pub eligible_at: Shifts,
    pub review_due: Shifts,
    pub touch_due: Shifts,
    pub groups: Vec<Group>,
    /// Acts recorded under a policy the ledger does not hold (or no longer parses):
    /// only the recorded review deadline is compared.
    pub recorded_policy_unknown: usize,
    /// Cases with at least one change.
    pub cases_changed: usize,
    /// Requests, promotions and decisions of account escalations, which are not
    /// replayed (whether one qualifies depends on every case of its customer).
    pub account_acts_not_replayed: usize,
}

fn label(p: &Policy, by: GroupBy, key: &str) -> String {
    let found = match by {
        GroupBy::Reason => p.reasons.get(key).map(|r| r.label.clone()),
        GroupBy::Destination => p.destinations.get(key).map(|d| d.label.clone()),
        GroupBy::Level => key.parse().ok().and_then(|n| p.level(n)).map(|l| l.name.clone()),
    };
    found.unwrap_or_else(|| "(not in the new policy)".into())
}

pub fn summarize(new: &Policy, items: &[Replayed]) -> Summary {
    let tally = |act: Act| Tally {
        total: items.iter().filter(|r| r.act == act).count(),
        refused: items.iter().filter(|r| r.act == act && !r.allowed).count(),
    };
    let mut refused: BTreeMap<&str, usize> = BTreeMap::new();
    for b in items.iter().flat_map(|r| &r.blocked) {
        *refused.entry(b.key()).or_default() += 1;
    }
    let mut refused_by: Vec<Count> = refused.into_iter().map(|(k, count)| Count { key: k.into(), count }).collect();
    refused_by.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    let mut groups: BTreeMap<(GroupBy, String), Vec<&Replayed>> = BTreeMap::new();
    for r in items {
        for (by, key) in [
            (GroupBy::Reason, r.reason.clone()),
            (GroupBy::Destination, r.destination.clone()),
            (GroupBy::Level, r.level.to_string()),
        ] {
            groups.entry((by, key)).or_default().push(r);
        }
    }
    let mut groups: Vec<Group> = groups
        .into_iter()
        .map(|((by, key), rs)| Group {
            by,
            label: label(new, by, &key),
            acts: rs.len(),
            refused: rs.iter().filter(|r| !r.allowed).count(),
            eligible_earlier: rs.iter().filter(|r| r.eligible_at.minutes.is_some_and(|m| m < 0)).count(),
            eligible_later: rs.iter().filter(|r| r.eligible_at.minutes.is_some_and(|m| m > 0)).count(),
            deadlines_moved: rs.iter().map(|r| r.review_due.changed() as usize + r.touch_due.changed() as usize).sum(),
            key,
        })
        .collect();
    groups.sort_by(|a, b| a.by.cmp(&b.by).then_with(|| level_order(a).cmp(&level_order(b))).then(a.key.cmp(&b.key)));
    let requests: Vec<&Replayed> = items.iter().filter(|r| r.act == Act::Request).collect();
    let cases: BTreeSet<&str> = items.iter().filter(|r| r.changed()).map(|r| r.case.as_str()).collect();
    Summary {
        requests: tally(Act::Request),
        promotions: tally(Act::Promotion),
        decisions: tally(Act::Decision),
        refused_by,
        eligible_at: shifts(requests.iter().map(|r| &r.eligible_at)),
        review_due: shifts(items.iter().map(|r| &r.review_due)),
        touch_due: shifts(items.iter().map(|r| &r.touch_due)),
        groups,
        recorded_policy_unknown: items.iter().filter(|r| !r.recorded_policy_known).count(),
        cases_changed: cases.len(),
        account_acts_not_replayed: 0,
    }
}

/// How many of `events` in [since, until) are requests, promotions or decisions of
/// account escalations.
pub fn account_acts(
    events: &[crate::model::Event],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> usize {
    use crate::events::EventBody;
    let accounts: std::collections::HashSet<i64> = events
        .iter()
        .filter(|e| matches!(e.body, EventBody::AccountRequested(_)))
        .filter_map(|e| e.escalation)
        .collect();
    events
        .iter()
        .filter(|e| since.is_none_or(|s| e.at >= s) && until.is_none_or(|u| e.at < u))
        .filter(|e| matches!(e.body, EventBody::AccountRequested(_) | EventBody::Promoted(_) | EventBody::Decided(_)))
        .filter(|e| e.escalation.is_some_and(|id| accounts.contains(&id)))
        .count()
}

/// Levels sort by number, other groups by key.
fn level_order(g: &Group) -> u32 {
    if g.by == GroupBy::Level { g.key.parse().unwrap_or(u32::MAX) } else { 0 }
}
