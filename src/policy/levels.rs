//! The levels of a policy: numbered from 1 without gaps, each with an audience
//! and a review window; who decides each, and where a reason's request starts.

use indexmap::IndexMap;

use super::people::{DecidersOf, held_deciders};
use super::problems::{Problems, numbered};
use super::raw::RawPolicy;
use super::{Counting, Level};

/// The levels in order, and whether any counts business time.
pub(super) fn build(p: &mut Problems, raw: &RawPolicy) -> (Vec<Level>, bool) {
    let mut uses_business = false;
    let level_spans = numbered(p, "level", &raw.levels);
    for (expected, (n, span)) in (1u32..).zip(&level_spans) {
        if *n != expected {
            let found: Vec<String> = level_spans.keys().map(u32::to_string).collect();
            p.at(
                span.clone(),
                format!(
                    "levels must be numbered 1, 2, 3… without gaps: level {expected} is missing (found {})",
                    found.join(", ")
                ),
            );
            break;
        }
    }
    if level_spans.is_empty() {
        p.at(raw.levels.span(), "the policy needs at least one level");
    }
    let mut levels: Vec<Level> = Vec::new();
    for (key, level) in raw.levels.get_ref() {
        let Ok(n) = key.parse::<u32>() else { continue };
        let l = level.get_ref();
        if l.audience.is_empty() {
            p.at(level.span(), format!("level {n} needs an `audience`: who is alerted at this level"));
        }
        if l.review.minutes <= 0 {
            p.at(
                level.span(),
                format!(
                    "level {n}'s review window is {}: nobody could review in time; give one like \"4h business\"",
                    l.review
                ),
            );
        }
        if let Some(every) = l.update_every.filter(|u| u.minutes <= 0) {
            p.at(
                level.span(),
                format!(
                    "level {n}'s update_every is {every}: every touch-point would be overdue as it is promised; give one like \"1d business\", or leave it out"
                ),
            );
        }
        uses_business |= l.review.counting == Counting::Business;
        uses_business |= l.update_every.is_some_and(|u| u.counting == Counting::Business);
        levels.push(Level {
            number: n,
            name: l.name.clone(),
            audience: l.audience.clone(),
            reviewer: if l.reviewer.is_empty() { "reviewer".into() } else { l.reviewer.clone() },
            review: l.review,
            update_every: l.update_every,
            root_cause_analysis: l.root_cause_analysis,
            deciders: None,
            may_start: l.may_start || n == 1,
        });
    }
    levels.sort_by_key(|l| l.number);
    (levels, uses_business)
}

/// Each level's own deciders: names or roles someone holds.
pub(super) fn deciders(p: &mut Problems, raw: &RawPolicy, roles: &IndexMap<String, Vec<String>>, levels: &mut [Level]) {
    let named = super::people::named(raw, roles);
    for (key, level) in raw.levels.get_ref() {
        let (Ok(n), Some(list)) = (key.parse::<u32>(), level.get_ref().deciders.as_ref()) else { continue };
        let (what, whose) = (format!("levels.{n}.deciders entry"), format!("level {n}"));
        let of = DecidersOf {
            what: &what,
            whose: &whose,
            decides: "it",
            otherwise: "[decisions] deciders",
            table: level.span(),
            named: &named,
        };
        let Some(found) = held_deciders(p, list, &of, roles) else { continue };
        if let Some(l) = levels.iter_mut().find(|l| l.number == n) {
            l.deciders = Some(found);
        }
    }
}

/// A reason's start level must be a level a request may start at.
pub(super) fn start_levels(p: &mut Problems, raw: &RawPolicy, levels: &[Level]) {
    let allowed: Vec<u32> = levels.iter().filter(|l| l.may_start).map(|l| l.number).collect();
    let list = allowed.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    for (key, r) in raw.reasons.get_ref() {
        let Some(s) = &r.start_level else { continue };
        if !allowed.contains(s.get_ref()) {
            p.at(
                s.span(),
                format!(
                    "reason {key:?} starts at level {}, which a request may not start at (levels that may: {list}); \
                     mark the level `may_start = true`",
                    s.get_ref()
                ),
            );
        }
    }
}
