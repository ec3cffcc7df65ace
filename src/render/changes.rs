//! A case's changes in words, as `case update` says them ("priority normal -> high"),
//! and what a change runs into: an opening it may not move to, an escalated outage.

use chrono_tz::Tz;

use crate::time::human;

/// "priority normal -> high": a field's change in words, times in the policy's zone.
pub fn words(key: &str, c: &crate::events::Change, tz: chrono_tz::Tz) -> String {
    // The case's times, by their keys: a title that reads like a time stays a title.
    let time = key.ends_with("_at") || key == "waiting_since";
    let word = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "none".to_string(),
        serde_json::Value::String(s) if s.is_empty() => "\"\"".to_string(),
        serde_json::Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s).ok().filter(|_| time) {
            Some(t) => crate::time::human(t.to_utc(), tz),
            None if s.contains(' ') || s.contains('"') => format!("{:?}", crate::render::clean(s)),
            None => crate::render::clean(s),
        },
        serde_json::Value::Array(items) if items.is_empty() => "none".to_string(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), crate::render::clean))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    format!("{} {} -> {}", key.replace('_', " "), word(&c.from), word(&c.to))
}

/// A case with an open escalation now at a severity the outage process takes
/// (`s`), in words that point there.
pub fn escalated_outage(case: &crate::model::Case, s: &crate::policy::Severity) -> String {
    let id = crate::render::clean(&case.id);
    format!(
        "case {id} is escalated and is now {}: {} Record it with `escalate outage {id} --ref TEXT`.",
        s.named(case.severity),
        crate::render::clean(&s.redirect),
    )
}

/// Why an opening cannot move where `name` would put it (see `rules::opening`).
pub fn opening_passed(
    name: &str,
    opened: chrono::DateTime<chrono::Utc>,
    p: &crate::rules::opening::Passed,
    tz: Tz,
) -> String {
    use crate::rules::opening::Passed;
    let what = match p {
        Passed::Request { escalation, at } => format!("escalation #{escalation} was requested ({})", human(*at, tz)),
        Passed::Pause { at } => format!("the case began waiting on the customer ({})", human(*at, tz)),
    };
    format!(
        "{name} {} would come after {what}: a case opens before it is escalated or waits on the customer",
        human(opened, tz)
    )
}
