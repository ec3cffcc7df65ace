//! From the raw TOML to a validated `Policy`: every cross-check, each error
//! naming the file, line and column of the offending entry.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use chrono_tz::Tz;
use indexmap::IndexMap;

use super::problems::{MAX_PROBLEMS, Problems, check_key, duplicate_key, locate, numbered, text_span};
use super::raw::{PauseClock, PromoteAfter, RawPolicy};
use super::{Calendar, Counting, Decider, Destination, Policy, Rating, Reason, Severity, Tier};
use crate::error;

pub fn parse(text: &str, file: &str) -> anyhow::Result<Policy> {
    let raw: RawPolicy = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = match e.message().trim() {
            "duplicate key" => duplicate_key(text, span.start),
            other => other.to_string(),
        };
        error::policy(format!("invalid policy: {}", locate(text, file, span, &message)))
    })?;
    let mut p = Problems { text, file, found: Vec::new() };
    let policy = build(raw, &mut p);
    match (policy, p.found.is_empty()) {
        (Some(policy), true) => Ok(policy),
        _ => {
            let (file, more) = (p.file, p.found.len().saturating_sub(MAX_PROBLEMS));
            let mut listed = p.found;
            listed.truncate(MAX_PROBLEMS);
            if more > 0 {
                listed.push(format!("... and {more} more problems in {file}"));
            }
            Err(error::policy(format!("invalid policy: {}", listed.join("\n"))))
        }
    }
}

fn build(raw: RawPolicy, p: &mut Problems) -> Option<Policy> {
    let calendar = build_calendar(&raw, p);
    let mut uses_business = false;

    let tiers = build_tiers(&raw, p);

    let (severities, severities_business) = build_severities(&raw, &tiers, p);
    uses_business |= severities_business;

    let reasons = build_reasons(&raw, p);

    let (mut levels, levels_business) = super::levels::build(p, &raw);
    uses_business |= levels_business;

    let after = raw.promotion.allowed_after.get_ref();
    if after.is_empty() {
        p.at(
            raw.promotion.allowed_after.span(),
            "promotion.allowed_after needs \"review-elapsed\", \"decided\" or both",
        );
    }
    let promote_after_review = after.iter().any(|a| matches!(a, PromoteAfter::ReviewElapsed));
    let promote_after_decision = after.iter().any(|a| matches!(a, PromoteAfter::Decided));

    let (mut destinations, destinations_business) = build_destinations(&raw, p);
    uses_business |= destinations_business;
    for key in raw.fields.keys() {
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || key.is_empty() {
            p.at(0..0, format!("field key {key:?} may hold only letters, digits, '-' and '_'"));
        }
    }

    let (persons, roles) = super::people::build(&raw.people, &raw.roles, &mut |span, msg| p.at(span, msg));
    let deciders = super::people::deciders(p, &raw.decisions.deciders, "decider", &roles);
    let take_over = super::people::deciders(p, &raw.ownership.take_over, "ownership.take_over entry", &roles);
    let nobody = |d: &Decider| matches!(d, Decider::Role(r) if roles.get(r).is_none_or(Vec::is_empty));
    super::levels::deciders(p, &raw, &roles, &mut levels);
    destination_deciders(p, &raw, &roles, &mut destinations);
    super::levels::start_levels(p, &raw, &levels);
    let oncall = super::people::build_oncall(&raw.oncall, &mut |span, msg| p.at(span, msg));
    let accounts = super::accounts::build(&raw.accounts, &severities, &reasons, &mut |span, msg| p.at(span, msg));
    let account_spans = [accounts.emergency.map(|e| e.1), accounts.fallout.map(|f| f.1)];
    uses_business |= account_spans.iter().flatten().any(|s| s.counting == Counting::Business);
    if let Some(fallback) = &raw.accounts.get_ref().dri_fallback {
        // A role the policy defines (held by nobody yet, the DRI falls to nobody).
        super::people::deciders(p, std::slice::from_ref(fallback), "accounts.dri_fallback", &roles);
    }
    if let Some(first) = raw.decisions.deciders.first()
        && !deciders.is_empty()
        && deciders.iter().all(nobody)
    {
        p.at(
            first.span(),
            "the deciders name only roles without members: no one could decide; list members under [roles], \
             or leave deciders = [] so that anyone may",
        );
    }
    let clocks = &raw.pause.clocks;
    let signals = super::signals::build(&raw.signals, &mut |span, msg| p.at(span, msg));
    uses_business |= signals.stalled_after.counting == Counting::Business;
    uses_business |= signals.recurring_window.counting == Counting::Business;

    let notify = super::channels::build(&raw, &mut |span, msg, quote| {
        if quote { p.at(span, msg) } else { p.at_unquoted(span, msg) }
    });
    let calendar = calendar?;
    if uses_business {
        working_time_needed(&raw, &calendar, p);
    }
    Some(Policy {
        name: raw.policy.name,
        description: raw.policy.description,
        calendar,
        tiers,
        severities,
        reasons,
        levels,
        promote_after_review,
        promote_after_decision,
        destinations,
        fields: raw.fields,
        deciders,
        roles,
        self_decision: raw.decisions.self_decision,
        after_rejection: raw.decisions.after_rejection,
        take_over,
        pause_wait: clocks.contains(&PauseClock::WaitWindow),
        pause_touch: clocks.contains(&PauseClock::TouchPoint),
        pause_review: clocks.contains(&PauseClock::Review),
        signals,
        notify,
        people: persons,
        oncall,
        accounts,
    })
}

/// Business durations are used: the calendar must be the policy's own (UTC office
/// hours taken silently would move every window by the zone's offset), with working time.
fn working_time_needed(raw: &RawPolicy, calendar: &Calendar, p: &mut Problems) {
    let Some(given) = &raw.calendar else {
        let at = text_span(p.text, "[").unwrap_or(0..0);
        p.at_unquoted(
            at,
            "business durations are used, and the policy has no [calendar]: add one with the team's timezone, \
             working_days and working_hours (like timezone = \"Europe/Vienna\", working_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], \
             working_hours = { start = \"09:00\", end = \"17:00\" }), or count in clock time"
                .to_string(),
        );
        return;
    };
    if calendar.has_working_time() {
        return;
    }
    // Said where the working time is set: the working days, when they are none.
    let days = text_span(p.text, "working_days").filter(|_| given.working_days.is_empty());
    let (span, why) = match days {
        Some(span) => {
            (span, "working_days is empty: name the working days, like [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]")
        }
        None => (given.timezone.span(), "the calendar has no working time"),
    };
    p.at(span, format!("business durations are used, and {why}"));
}

/// The tiers, each labelled (its key when the label is empty).
fn build_tiers(raw: &RawPolicy, p: &mut Problems) -> IndexMap<String, Tier> {
    let mut tiers = IndexMap::new();
    for (key, t) in raw.tiers.get_ref() {
        check_key(p, &raw.tiers.span(), "tier", key);
        let label = if t.label.is_empty() { key.clone() } else { t.label.clone() };
        tiers.insert(key.clone(), Tier { label });
    }
    if tiers.is_empty() {
        p.at(raw.tiers.span(), "the policy needs at least one tier");
    }
    tiers
}

/// The severities, each with a wait window for every tier when escalable (a
/// redirect otherwise); and whether any window counts business time.
fn build_severities(
    raw: &RawPolicy,
    tiers: &IndexMap<String, Tier>,
    p: &mut Problems,
) -> (BTreeMap<u32, Severity>, bool) {
    let mut uses_business = false;
    let sev_spans = numbered(p, "severity", &raw.severities);
    let mut severities = BTreeMap::new();
    for (key, sev) in raw.severities.get_ref() {
        let Ok(n) = key.parse::<u32>() else { continue };
        let span = sev.span();
        let sev = sev.get_ref();
        for tier in sev.first_response.keys() {
            if !tiers.contains_key(tier) {
                p.at(
                    span.clone(),
                    format!(
                        "severity {n}: first_response names unknown tier {tier:?} (tiers: {})",
                        Policy::keys(tiers)
                    ),
                );
            }
        }
        uses_business |= sev.first_response.values().any(|s| s.counting == Counting::Business);
        for tier in sev.wait.keys() {
            if !tiers.contains_key(tier) {
                p.at(
                    span.clone(),
                    format!("severity {n}: wait names unknown tier {tier:?} (tiers: {})", Policy::keys(tiers)),
                );
            }
        }
        if sev.escalable {
            for tier in tiers.keys() {
                if !sev.wait.contains_key(tier) {
                    p.at(span.clone(), format!("severity {n} has no wait window for tier {tier:?}: add it to `wait`"));
                }
            }
        } else if sev.redirect.as_deref().is_none_or(str::is_empty) {
            p.at(span.clone(), format!("severity {n} is not escalable, so it needs a `redirect` message telling the user where to go instead"));
        }
        uses_business |= sev.wait.values().any(|s| s.counting == Counting::Business);
        severities.insert(
            n,
            Severity {
                label: if sev.label.is_empty() { format!("Severity {n}") } else { sev.label.clone() },
                escalable: sev.escalable,
                redirect: sev.redirect.clone().unwrap_or_default(),
                wait: sev.wait.clone(),
                rating: sev.rating.unwrap_or(if n <= 1 { Rating::Critical } else { Rating::Medium }),
                first_response: sev.first_response.clone(),
            },
        );
    }
    if sev_spans.is_empty() {
        p.at(raw.severities.span(), "the policy needs at least one severity");
    }
    (severities, uses_business)
}

/// Each destination's own deciders, when it names them: names or roles someone holds.
fn destination_deciders(
    p: &mut Problems,
    raw: &RawPolicy,
    roles: &IndexMap<String, Vec<String>>,
    destinations: &mut IndexMap<String, Destination>,
) {
    let named = super::people::named(raw, roles);
    for (key, d) in raw.destinations.get_ref() {
        let Some(list) = d.get_ref().deciders.as_ref() else { continue };
        let (what, whose) = (format!("destinations.{key}.deciders entry"), format!("destination {key:?}"));
        let of = super::people::DecidersOf {
            what: &what,
            whose: &whose,
            decides: "escalations sent there",
            otherwise: "their level's",
            table: d.span(),
            named: &named,
        };
        let Some(found) = super::people::held_deciders(p, list, &of, roles) else { continue };
        if let Some(dest) = destinations.get_mut(key) {
            dest.deciders = Some(found);
        }
    }
}

/// The reasons a case may be escalated for.
fn build_reasons(raw: &RawPolicy, p: &mut Problems) -> IndexMap<String, Reason> {
    let mut reasons = IndexMap::new();
    for (key, r) in raw.reasons.get_ref() {
        check_key(p, &raw.reasons.span(), "reason", key);
        let label = if r.label.is_empty() { key.clone() } else { r.label.clone() };
        let needs_late_first_response = r.needs_late_first_response;
        let start_level = r.start_level.as_ref().map_or(1, |s| *s.get_ref());
        reasons.insert(
            key.clone(),
            Reason {
                label,
                help: r.help.clone(),
                needs_late_first_response,
                start_level,
                may_skip_wait: r.may_skip_wait,
            },
        );
    }
    if reasons.is_empty() {
        p.at(raw.reasons.span(), "the policy needs at least one reason");
    }
    reasons
}

/// The destinations, each requiring only fields described under [fields]; and
/// whether any review window counts business time.
fn build_destinations(raw: &RawPolicy, p: &mut Problems) -> (IndexMap<String, Destination>, bool) {
    let mut uses_business = false;
    let mut destinations = IndexMap::new();
    for (key, d) in raw.destinations.get_ref() {
        check_key(p, &d.span(), "destination", key);
        let dv = d.get_ref();
        uses_business |= dv.review.is_some_and(|r| r.counting == Counting::Business);
        if let Some(r) = dv.review.filter(|r| r.minutes <= 0) {
            p.at(d.span(), format!("destination {key:?}'s review window is {r}: nobody could review in time; give one like \"1h clock\""));
        }
        let mut seen = BTreeSet::new();
        for f in &dv.fields {
            if !raw.fields.contains_key(f.get_ref()) {
                p.at(
                    f.span(),
                    format!("destination {key:?} requires unknown field {:?}: describe it under [fields]", f.get_ref()),
                );
            }
            if !seen.insert(f.get_ref().clone()) {
                p.at(f.span(), format!("destination {key:?} lists field {:?} twice", f.get_ref()));
            }
        }
        destinations.insert(
            key.clone(),
            Destination {
                label: if dv.label.is_empty() { key.clone() } else { dv.label.clone() },
                receiver: dv.receiver.clone(),
                trigger: dv.trigger.clone(),
                fields: dv.fields.iter().map(|f| f.get_ref().clone()).collect(),
                immediate: dv.immediate,
                review: dv.review,
                rating: dv.rating,
                deciders: None,
            },
        );
    }
    if destinations.is_empty() {
        p.at(raw.destinations.span(), "the policy needs at least one destination");
    }
    (destinations, uses_business)
}

fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn build_calendar(raw: &RawPolicy, p: &mut Problems) -> Option<Calendar> {
    let default = super::raw::RawCalendar::default();
    let c = raw.calendar.as_ref().unwrap_or(&default);
    let tz: Option<Tz> = c.timezone.get_ref().parse().ok();
    if tz.is_none() {
        p.at(
            c.timezone.span(),
            format!(
                "unknown time zone {:?}: use an IANA name like \"UTC\", \"Europe/Berlin\" or \"America/New_York\"",
                c.timezone.get_ref()
            ),
        );
    }
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut working_days = [false; 7];
    for d in &c.working_days {
        match DAYS.iter().position(|x| x.eq_ignore_ascii_case(d.get_ref())) {
            Some(i) if working_days[i] => p.at(d.span(), format!("working day {:?} is listed twice", d.get_ref())),
            Some(i) => working_days[i] = true,
            None => {
                p.at(d.span(), format!("unknown working day {:?}: use mon, tue, wed, thu, fri, sat, sun", d.get_ref()))
            }
        }
    }
    let (mut start_min, mut end_min) = (9 * 60, 17 * 60);
    if let Some(h) = &c.working_hours {
        match (parse_hhmm(&h.get_ref().start), parse_hhmm(&h.get_ref().end)) {
            (Some(s), Some(e)) if s < e && s < 1440 => (start_min, end_min) = (s, e),
            (Some(_), Some(_)) => p.at(h.span(), "working_hours.start must come before working_hours.end"),
            _ => p.at(
                h.span(),
                "working hours are \"HH:MM\" from 00:00 to 24:00, like { start = \"09:00\", end = \"17:00\" }",
            ),
        }
    }
    let mut holidays = BTreeSet::new();
    for h in &c.holidays {
        let text = h.get_ref().text();
        match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => {
                holidays.insert(d);
            }
            Err(_) => p.at(h.span(), format!("holiday {text:?} is not a date like \"2026-12-25\"")),
        }
    }
    Some(Calendar { tz: tz?, working_days, start_min, end_min, holidays })
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
