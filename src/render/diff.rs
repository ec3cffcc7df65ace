//! `policy diff` in words: the changes grouped by the policy's tables, each key
//! named as a person would say it.

use crate::policy::diff::{KeyChange, Kind};

/// The heading of a policy table.
fn section(s: &str) -> String {
    match s {
        "policy" => "Policy".into(),
        "calendar" => "Business calendar".into(),
        "tiers" => "Tiers".into(),
        "severities" => "Severities, wait windows and first-response targets".into(),
        "reasons" => "Reasons".into(),
        "levels" => "Levels".into(),
        "promotion" => "Promotion".into(),
        "decisions" => "Decisions".into(),
        "ownership" => "Ownership".into(),
        "roles" => "Roles".into(),
        "pause" => "Clocks that pause".into(),
        "signals" => "Signals".into(),
        "destinations" => "Destinations".into(),
        "accounts" => "Account escalations".into(),
        "oncall" => "On-call".into(),
        "people" => "People".into(),
        other => format!("[{other}]"),
    }
}

/// The key, in words: "the wait of severity 2 on the premium tier".
fn key(c: &KeyChange) -> String {
    let p: Vec<&str> = c.path.iter().map(String::as_str).collect();
    match (c.section.as_str(), p.as_slice()) {
        ("calendar", ["timezone"]) => "the time zone".into(),
        ("calendar", ["working_days"]) => "the working days".into(),
        ("calendar", ["working_hours", rest @ ..]) if !rest.is_empty() => format!("working hours {}", rest.join(".")),
        ("calendar", ["holidays"]) => "the holidays".into(),
        ("decisions", ["deciders"]) => "who may decide".into(),
        ("decisions", ["self_decision"]) => "whether who raised a level may decide it".into(),
        ("promotion", ["allowed_after"]) => "what allows a promotion".into(),
        ("severities", [n]) => format!("severity {n}"),
        ("severities", [n, "wait", tier]) => format!("the wait window of severity {n} on the {tier} tier"),
        ("severities", [n, "first_response", tier]) => {
            format!("the first-response target of severity {n} on the {tier} tier")
        }
        ("severities", [n, rest @ ..]) => format!("severity {n}'s {}", rest.join(".")),
        ("levels", [n]) => format!("level {n}"),
        ("levels", [n, "review"]) => format!("level {n}'s review window"),
        ("levels", [n, "update_every"]) => format!("level {n}'s customer update cadence"),
        ("levels", [n, rest @ ..]) => format!("level {n}'s {}", rest.join(".")),
        ("reasons", [k]) => format!("reason {k}"),
        ("reasons", [k, rest @ ..]) => format!("reason {k}'s {}", rest.join(".")),
        ("destinations", [k]) => format!("destination {k}"),
        ("destinations", [k, rest @ ..]) => format!("destination {k}'s {}", rest.join(".")),
        ("tiers", [k]) => format!("tier {k}"),
        ("tiers", [k, rest @ ..]) => format!("tier {k}'s {}", rest.join(".")),
        (_, []) => format!("the whole [{}] table", c.section),
        (_, rest) => rest.join("."),
    }
}

/// A value as it reads in the policy: strings bare, the rest as compact JSON.
fn value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!("\"{}\"", super::clean(s)),
        other => super::clean(&other.to_string()),
    }
}

/// A list of plain values changed by adding or removing some (holidays,
/// working days, package fields), in those words; None when the change is of
/// another kind (an order, a nested value).
fn list_change(before: &serde_json::Value, after: &serde_json::Value) -> Option<String> {
    let (old, new) = (before.as_array()?, after.as_array()?);
    if old.iter().chain(new).any(|v| v.is_array() || v.is_object()) {
        return None;
    }
    let words = |vs: Vec<&serde_json::Value>| vs.into_iter().map(value).collect::<Vec<_>>().join(", ");
    let added: Vec<&serde_json::Value> = new.iter().filter(|v| !old.contains(v)).collect();
    let removed: Vec<&serde_json::Value> = old.iter().filter(|v| !new.contains(v)).collect();
    match (added.is_empty(), removed.is_empty()) {
        (true, true) => None,
        (false, true) => Some(format!("{} added", words(added))),
        (true, false) => Some(format!("{} removed", words(removed))),
        (false, false) => Some(format!("{} added; {} removed", words(added), words(removed))),
    }
}

fn line(c: &KeyChange) -> String {
    let shown = |v: &Option<serde_json::Value>| v.as_ref().map_or_else(String::new, value);
    let listed = match (&c.before, &c.after) {
        (Some(b), Some(a)) => list_change(b, a),
        _ => None,
    };
    match c.kind {
        Kind::Changed if listed.is_some() => format!("  {}: {}", key(c), listed.unwrap_or_default()),
        Kind::Changed => format!("  {}: {} -> {}", key(c), shown(&c.before), shown(&c.after)),
        Kind::Added => format!("  {} is added: {}", key(c), shown(&c.after)),
        Kind::Removed => format!("  {} is removed (it was {})", key(c), shown(&c.before)),
    }
}

/// The changes for people, one section of the policy after another.
pub fn words(old: &str, new: &str, changes: &[KeyChange]) -> String {
    if changes.is_empty() {
        return format!("{old} and {new} are the same policy: no key differs.\n");
    }
    let n = changes.len();
    let mut s = format!("{n} {} from {old} to {new}:\n", if n == 1 { "change" } else { "changes" });
    let mut sections: Vec<&str> = Vec::new();
    for c in changes {
        if !sections.contains(&c.section.as_str()) {
            sections.push(&c.section);
        }
    }
    for sec in sections {
        s.push_str(&format!("{}\n", section(sec)));
        for c in changes.iter().filter(|c| c.section == sec) {
            s.push_str(&line(c));
            s.push('\n');
        }
    }
    s
}
