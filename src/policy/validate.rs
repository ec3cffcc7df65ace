//! From the raw TOML to a validated `Policy`: every cross-check, each error
//! naming the file, line and column of the offending entry.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use chrono::NaiveDate;
use chrono_tz::Tz;
use indexmap::IndexMap;
use toml::Spanned;

use super::raw::{PauseClock, PromoteAfter, RawPolicy};
use super::{Calendar, Counting, Decider, Destination, Level, Policy, Rating, Reason, Severity, Tier};
use crate::error;

struct Problems<'a> {
    text: &'a str,
    file: &'a str,
    found: Vec<String>,
}

impl Problems<'_> {
    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.found.push(locate(self.text, self.file, span, &message.into()));
    }

    /// Only "file:line:col: message": the line holds something not to repeat (a secret).
    fn at_unquoted(&mut self, span: Range<usize>, message: impl Into<String>) {
        let full = locate(self.text, self.file, span, &message.into());
        self.found.push(full.lines().next().unwrap_or_default().to_string());
    }
}

/// The widest source line quoted under an error, in characters.
const MAX_QUOTE: usize = 200;
/// The longest message, in characters: a message quotes what the file holds.
const MAX_MESSAGE: usize = 500;
/// The most problems listed at once; the rest are counted.
const MAX_PROBLEMS: usize = 50;

/// "file:line:col: message" and the source line, caret under the column.
/// A span that points nowhere (an empty one at 0: a whole table missing)
/// points at the top of the file. A long line is quoted in part, around the
/// column, and a long message is cut, so an error stays readable.
pub fn locate(text: &str, file: &str, span: Range<usize>, message: &str) -> String {
    let message = cut(message, MAX_MESSAGE);
    if span.is_empty() && span.start == 0 {
        return format!("{file}:1:1: {message}");
    }
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let before = &text[..start];
    let line_no = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..start].chars().count() + 1;
    let line = text[line_start..].split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (quoted, caret) = window(line, col - 1, MAX_QUOTE);
    let gutter = " ".repeat(line_no.to_string().len());
    format!("{file}:{line_no}:{col}: {message}\n{gutter} |\n{line_no} | {quoted}\n{gutter} | {}^", " ".repeat(caret))
}

/// At most `max` characters of `s`, with an ellipsis when cut.
fn cut(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]).into(),
        None => s.into(),
    }
}

/// The part of `line` to quote, at most `max` characters around character
/// `col` (ellipses marking what is left out), and where `col` falls in it.
fn window(line: &str, col: usize, max: usize) -> (String, usize) {
    let len = line.chars().count();
    if len <= max {
        return (line.to_string(), col);
    }
    let from = col.saturating_sub(max / 2).min(len - max);
    let part: String = line.chars().skip(from).take(max).collect();
    let (lead, tail) = (if from > 0 { "…" } else { "" }, if from + max < len { "…" } else { "" });
    (format!("{lead}{part}{tail}"), col - from + lead.chars().count())
}

/// A duplicate key, named with the table it is in.
fn duplicate_key(text: &str, at: usize) -> String {
    let line = text.get(at..).and_then(|t| t.lines().next()).unwrap_or("");
    let key = line.split('=').next().unwrap_or("").trim().trim_matches('"');
    let before = text.get(..at).unwrap_or("");
    let table = before.lines().rev().map(str::trim).find(|l| l.starts_with('['));
    let place = table.map_or(String::new(), |t| format!(" in {}", t.split('#').next().unwrap_or(t).trim()));
    format!("duplicate key `{key}`{place}: give each key once")
}

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

fn check_key(p: &mut Problems, span: &Range<usize>, what: &str, key: &str) {
    let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        p.at(span.clone(), format!("{what} key {key:?} may hold only letters, digits, '-' and '_'"));
    }
}

fn numbered<T>(
    p: &mut Problems,
    what: &str,
    table: &Spanned<IndexMap<String, Spanned<T>>>,
) -> BTreeMap<u32, Range<usize>> {
    let mut out = BTreeMap::new();
    for (key, value) in table.get_ref() {
        match key.parse::<u32>() {
            Ok(n) if n >= 1 => {
                out.insert(n, value.span());
            }
            _ => p.at(value.span(), format!("{what} key {key:?} must be a whole number from 1")),
        }
    }
    out
}

fn build(raw: RawPolicy, p: &mut Problems) -> Option<Policy> {
    let calendar = build_calendar(&raw, p);
    let mut uses_business = false;

    let mut tiers = IndexMap::new();
    for (key, t) in raw.tiers.get_ref() {
        check_key(p, &raw.tiers.span(), "tier", key);
        let label = if t.label.is_empty() { key.clone() } else { t.label.clone() };
        tiers.insert(key.clone(), Tier { label });
    }
    if tiers.is_empty() {
        p.at(raw.tiers.span(), "the policy needs at least one tier");
    }

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
                        Policy::keys(&tiers)
                    ),
                );
            }
        }
        uses_business |= sev.first_response.values().any(|s| s.counting == Counting::Business);
        for tier in sev.wait.keys() {
            if !tiers.contains_key(tier) {
                p.at(
                    span.clone(),
                    format!("severity {n}: wait names unknown tier {tier:?} (tiers: {})", Policy::keys(&tiers)),
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

    let after = raw.promotion.allowed_after.get_ref();
    if after.is_empty() {
        p.at(
            raw.promotion.allowed_after.span(),
            "promotion.allowed_after needs \"review-elapsed\", \"decided\" or both",
        );
    }
    let promote_after_review = after.iter().any(|a| matches!(a, PromoteAfter::ReviewElapsed));
    let promote_after_decision = after.iter().any(|a| matches!(a, PromoteAfter::Decided));

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
            },
        );
    }
    if destinations.is_empty() {
        p.at(raw.destinations.span(), "the policy needs at least one destination");
    }
    for key in raw.fields.keys() {
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || key.is_empty() {
            p.at(0..0, format!("field key {key:?} may hold only letters, digits, '-' and '_'"));
        }
    }

    let (persons, roles) = super::people::build(&raw.people, &raw.roles, &mut |span, msg| p.at(span, msg));
    let deciders = people(p, &raw.decisions.deciders, "decider", &roles);
    let take_over = people(p, &raw.ownership.take_over, "ownership.take_over entry", &roles);
    let nobody = |d: &Decider| matches!(d, Decider::Role(r) if roles.get(r).is_none_or(Vec::is_empty));
    level_deciders(p, &raw, &roles, &mut levels);
    start_levels(p, &raw, &levels);
    let oncall = super::people::build_oncall(&raw.oncall, &mut |span, msg| p.at(span, msg));
    let accounts = super::accounts::build(&raw.accounts, &severities, &reasons, &mut |span, msg| p.at(span, msg));
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
    if uses_business && !calendar.has_working_time() {
        // Said where the working time is set: the working days, when they are none.
        let days = text_span(p.text, "working_days").filter(|_| raw.calendar.working_days.is_empty());
        let (span, why) = match days {
            Some(span) => (
                span,
                "working_days is empty: name the working days, like [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]",
            ),
            None => (raw.calendar.timezone.span(), "the calendar has no working time"),
        };
        p.at(span, format!("business durations are used, and {why}"));
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

/// Each level's own deciders: names or roles someone holds.
fn level_deciders(p: &mut Problems, raw: &RawPolicy, roles: &IndexMap<String, Vec<String>>, levels: &mut [Level]) {
    for (key, level) in raw.levels.get_ref() {
        let (Ok(n), Some(list)) = (key.parse::<u32>(), level.get_ref().deciders.as_ref()) else { continue };
        let what = format!("levels.{n}.deciders entry");
        let found = people(p, list, &what, roles);
        for (d, at) in found.iter().zip(list) {
            if let Decider::Role(r) = d
                && roles.get(r).is_none_or(Vec::is_empty)
            {
                p.at(
                    at.span(),
                    format!(
                        "level {n} is decided by role {r:?}, which nobody holds: name its members under [roles] or \
                         give someone `roles = [\"{r}\"]` under [people]"
                    ),
                );
            }
        }
        if let Some(l) = levels.iter_mut().find(|l| l.number == n) {
            l.deciders = Some(found);
        }
    }
}

/// A reason's start level must be a level a request may start at.
fn start_levels(p: &mut Problems, raw: &RawPolicy, levels: &[Level]) {
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

/// Actor names or "role:NAME" entries, each role defined under [roles].
fn people(
    p: &mut Problems,
    list: &[Spanned<String>],
    what: &str,
    roles: &IndexMap<String, Vec<String>>,
) -> Vec<Decider> {
    let mut out = Vec::new();
    for d in list {
        let name = d.get_ref().trim();
        match name.strip_prefix("role:") {
            Some(role) if roles.contains_key(role) => out.push(Decider::Role(role.to_string())),
            Some(role) => p.at(
                d.span(),
                format!(
                    "{what} {name:?} names unknown role {role:?}: define it under [roles] or give it to someone under [people] (roles: {})",
                    Policy::keys(roles)
                ),
            ),
            None if name.is_empty() => p.at(d.span(), format!("a {what} is an actor name or \"role:NAME\", not empty")),
            None => out.push(Decider::Actor(name.to_string())),
        }
    }
    out
}

/// Where `key` is first set in `text` (at the start of a line), for a value with no span of its own.
fn text_span(text: &str, key: &str) -> Option<Range<usize>> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(key) {
            let start = at + (line.len() - line.trim_start().len());
            return Some(start..start + key.len());
        }
        at += line.len();
    }
    None
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
    let c = &raw.calendar;
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
        match NaiveDate::parse_from_str(h.get_ref(), "%Y-%m-%d") {
            Ok(d) => {
                holidays.insert(d);
            }
            Err(_) => p.at(h.span(), format!("holiday {:?} is not a date like \"2026-12-25\"", h.get_ref())),
        }
    }
    Some(Calendar { tz: tz?, working_days, start_min, end_min, holidays })
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
