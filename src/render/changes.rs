//! A case's changes in words, as `case update` says them: "priority normal -> high".

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
