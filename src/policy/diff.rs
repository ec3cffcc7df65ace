//! The changes from one policy text to another, key by key: every value that is
//! added, removed or changed, under the table it belongs to. Both texts are valid
//! policies (the caller loads them first); the renderers word the changes.

use serde::Serialize;

/// What became of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Added,
    Removed,
    Changed,
}

/// One key that differs. `path` is the key's dotted path below its section
/// (`["2", "wait", "premium"]` in `severities`); a table only one side has is
/// one change, with the whole table as its value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyChange {
    pub section: String,
    pub path: Vec<String>,
    pub kind: Kind,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Keys whose values are never shown: they may hold credentials.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "token", "password"].iter().any(|s| k.contains(s))
}

fn json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => s.clone().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Datetime(d) => d.to_string().into(),
        toml::Value::Array(a) => a.iter().map(json).collect(),
        toml::Value::Table(t) => {
            t.iter().map(|(k, v)| (k.clone(), if is_secret(k) { "(hidden)".into() } else { json(v) })).collect()
        }
    }
}

fn shown(path: &[String], v: &toml::Value) -> serde_json::Value {
    if path.last().is_some_and(|k| is_secret(k)) { "(hidden)".into() } else { json(v) }
}

/// The changes from `old` to `new`, in the new text's order, removals after.
pub fn diff(old: &str, new: &str) -> Result<Vec<KeyChange>, String> {
    let old: toml::Table = old.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let new: toml::Table = new.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut out = Vec::new();
    walk(&mut out, &[], Some(&old), Some(&new));
    Ok(out)
}

fn walk(out: &mut Vec<KeyChange>, at: &[String], old: Option<&toml::Table>, new: Option<&toml::Table>) {
    let empty = toml::Table::new();
    let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let keys = new.keys().chain(old.keys().filter(|k| !new.contains_key(*k)));
    for key in keys {
        let mut path = at.to_vec();
        path.push(key.clone());
        match (old.get(key), new.get(key)) {
            (Some(toml::Value::Table(a)), Some(toml::Value::Table(b))) => walk(out, &path, Some(a), Some(b)),
            (Some(a), Some(b)) if a == b => {}
            (a, b) => {
                let kind = match (a, b) {
                    (None, _) => Kind::Added,
                    (_, None) => Kind::Removed,
                    _ => Kind::Changed,
                };
                let (section, rest) =
                    path.split_first().map_or((String::new(), Vec::new()), |(s, r)| (s.clone(), r.to_vec()));
                out.push(KeyChange {
                    section,
                    before: a.map(|v| shown(&path, v)),
                    after: b.map(|v| shown(&path, v)),
                    path: rest,
                    kind,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_added_and_removed_keys_are_found_by_path() {
        let old = "[levels.1]\nreview = \"4h business\"\n[reasons.a]\nlabel = \"A\"\n[x]\ntoken = \"s\"\n";
        let new = "[levels.1]\nreview = \"2h business\"\n[reasons.b]\nlabel = \"B\"\n[x]\ntoken = \"t\"\n";
        let d = diff(old, new).unwrap();
        let brief: Vec<(String, String, Kind)> =
            d.iter().map(|c| (c.section.clone(), c.path.join("."), c.kind)).collect();
        assert_eq!(
            brief,
            vec![
                ("levels".into(), "1.review".into(), Kind::Changed),
                ("reasons".into(), "b".into(), Kind::Added),
                ("reasons".into(), "a".into(), Kind::Removed),
                ("x".into(), "token".into(), Kind::Changed),
            ]
        );
        assert_eq!(d[3].after, Some("(hidden)".into()));
        assert!(diff(old, old).unwrap().is_empty());
    }
}
