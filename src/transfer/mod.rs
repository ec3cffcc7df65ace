//! Cases in and out of the ledger: the record shape shared by `case import`,
//! `export cases` and `case list --format`, and its pure validation.

pub mod ahead;
pub mod json_array;
mod lf;
pub mod read;
pub mod write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::model::{Case, CaseStatus, Pause, Priority};
use crate::policy::Policy;
use crate::time::human;

/// The fields of a case record, in the order export writes them; the same
/// names as `case show --json`.
pub const CASE_FIELDS: &[&str] = &[
    "id",
    "customer",
    "severity",
    "tier",
    "title",
    "opened_at",
    "priority",
    "tags",
    "status",
    "waiting_since",
    "first_response_at",
    "closed_at",
    "pauses",
];

/// A case record as read, before validation: every field as text, absent or
/// empty fields as `None`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RawCase {
    pub id: Option<String>,
    pub customer: Option<String>,
    pub severity: Option<String>,
    pub tier: Option<String>,
    pub title: Option<String>,
    pub opened_at: Option<String>,
    pub priority: Option<String>,
    pub tags: Option<Vec<String>>,
    pub status: Option<String>,
    pub waiting_since: Option<String>,
    pub first_response_at: Option<String>,
    pub closed_at: Option<String>,
    /// The spans the case waited on the customer, as JSON: `[{"started_at", "ended_at"}]`.
    pub pauses: Option<String>,
}

impl RawCase {
    /// A stored case as a record, for an update to fill in what a record leaves out.
    pub fn from_case(c: &Case) -> RawCase {
        RawCase {
            id: Some(c.id.clone()),
            customer: Some(c.customer.clone()),
            severity: Some(c.severity.to_string()),
            tier: Some(c.tier.clone()),
            title: Some(c.title.clone()).filter(|t| !t.is_empty()),
            opened_at: Some(crate::time::rfc3339(c.opened_at)),
            priority: Some(c.priority.to_string()),
            tags: Some(c.tags.clone()),
            status: Some(c.status.to_string()),
            waiting_since: None,
            first_response_at: c.first_response_at.map(crate::time::rfc3339),
            closed_at: c.closed_at.map(crate::time::rfc3339),
            pauses: None,
        }
    }

    /// Take every field `other` gives.
    pub fn fill_from(&mut self, other: &RawCase) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f.clone(); } )* };
        }
        take!(
            id,
            customer,
            severity,
            tier,
            title,
            opened_at,
            priority,
            tags,
            status,
            waiting_since,
            first_response_at,
            closed_at
        );
    }

    /// Set a text field by its record name; `tags` is split on `;`. An empty value
    /// is not given, except for what a case may be without: an empty title, tags or
    /// first response are given as none (an update clears them).
    pub fn set(&mut self, name: &str, value: String) -> Result<(), String> {
        if CLEARABLE.contains(&name) && value.trim().is_empty() {
            match name {
                "title" => self.title = Some(String::new()),
                "tags" => self.tags = Some(Vec::new()),
                _ => self.first_response_at = Some(String::new()),
            }
            return Ok(());
        }
        let v = Some(value).filter(|v| !v.trim().is_empty());
        match name {
            "id" => self.id = v,
            "customer" => self.customer = v,
            "severity" => self.severity = v,
            "tier" => self.tier = v,
            "title" => self.title = v,
            "opened_at" => self.opened_at = v,
            "priority" => self.priority = v,
            "tags" => self.tags = v.map(|s| s.split(';').map(str::to_string).collect()),
            "status" => self.status = v,
            "waiting_since" => self.waiting_since = v,
            "first_response_at" => self.first_response_at = v,
            "closed_at" => self.closed_at = v,
            "pauses" => self.pauses = v,
            // Derived by `case list`; read back without complaint, and ignored.
            "sla" => {}
            other => return Err(unknown_field(other)),
        }
        Ok(())
    }
}

/// The fields a case may be without: given empty (or null), they are given as none.
pub const CLEARABLE: &[&str] = &["title", "tags", "first_response_at"];

/// Fields `case list` adds that import reads past.
pub const DERIVED_FIELDS: &[&str] = &["sla"];

pub fn unknown_field(name: &str) -> String {
    format!("unknown field {name:?} (accepted: {})", CASE_FIELDS.join(", "))
}

// ---- the rules of a case's fields, wherever they come from ----------------
// `case add`, `case update` and `case import` all check a case with these;
// `name` is how the caller's user wrote the field (a flag, or a record's field).

/// A new case's id: not starting with '-' (it would read as a flag), and one
/// word, so that the commands escalate suggests can be pasted as printed.
pub fn id_rule(name: &str, id: String) -> Result<String, String> {
    if id.starts_with('-') {
        return Err(format!("{name} {id:?} starts with '-', which reads as a flag"));
    }
    if id.chars().any(char::is_whitespace) {
        return Err(format!(
            "{name} {id:?} holds a space: a case id is one word, as ticket systems number them (ACME-1042)"
        ));
    }
    Ok(id)
}

/// A tag: not holding ';', which separates tags in CSV; kept in lower case, as
/// ticket systems keep them, so that "Payments" and "payments" are one tag (the
/// recurring-pattern signal counts the cases that share one).
pub fn tag_rule(name: &str, tag: String) -> Result<String, String> {
    if tag.contains(';') {
        return Err(format!("{name} {tag:?} contains ';', which separates tags in CSV"));
    }
    Ok(tag.to_lowercase())
}

/// When a case was opened: not later than now (times worded in `tz`).
pub fn opened_rule(name: &str, t: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, String> {
    if t > now {
        return Err(format!(
            "{name} {} is in the future (now is {}): a case cannot be opened later than now",
            human(t, tz),
            human(now, tz)
        ));
    }
    Ok(t)
}

/// A time in the case's life: between its opening and now (worded in `tz`).
pub fn during_rule(
    name: &str,
    t: DateTime<Utc>,
    opened: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<DateTime<Utc>, String> {
    if t > now || t < opened {
        return Err(format!(
            "{name} {} must fall between the case's opening ({}) and now ({})",
            human(t, tz),
            human(opened, tz),
            human(now, tz)
        ));
    }
    Ok(t)
}

/// One line of text, already trimmed: not blank, no control characters.
fn check_line(name: &str, s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!("{name} is missing"));
    }
    // ASCII text (most of it) is checked by the byte: its controls are C0 and DEL.
    let (control, n) = if s.is_ascii() {
        (s.bytes().any(|b| b < 0x20 || b == 0x7f), s.len())
    } else {
        (s.chars().any(char::is_control), s.chars().count())
    };
    if control {
        return Err(format!("{name} {s:?} contains control characters"));
    }
    if n > crate::app::MAX_ONE_LINE {
        return Err(format!("{name} is {n} characters long; the limit is {}", crate::app::MAX_ONE_LINE));
    }
    Ok(())
}

/// One line of text: trimmed, not blank, no control characters. The text is
/// kept as it came when there is nothing to trim (an import checks a million).
fn line_of(name: &str, v: Option<String>) -> Result<String, String> {
    let s = v.unwrap_or_default();
    let trimmed = s.trim();
    check_line(name, trimmed)?;
    if trimmed.len() == s.len() {
        return Ok(s);
    }
    Ok(trimmed.to_string())
}

fn time_of(name: &str, s: &str, policy: &Policy) -> Result<DateTime<Utc>, String> {
    crate::time::parse_user(name, s.trim(), policy.calendar.tz).map_err(|e| format!("{e:#}"))
}

/// The record's pauses, checked: each within the case's life and up to now,
/// in order without overlap, only the last one open, and agreeing with
/// `waiting_since`. Without `pauses`, `waiting_since` alone opens one.
pub fn pauses(text: Option<&str>, case: &Case, policy: &Policy, now: DateTime<Utc>) -> Result<Vec<Pause>, String> {
    let Some(text) = text else {
        return Ok(case.waiting_since.map(|s| Pause { start: s, end: None }).into_iter().collect());
    };
    let items: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(text)
        .map_err(|e| format!("pauses must be a JSON array of {{\"started_at\", \"ended_at\"}}: {e}"))?;
    let mut out: Vec<Pause> = Vec::new();
    for item in items {
        let at = |k: &str| -> Result<Option<DateTime<Utc>>, String> {
            match item.get(k) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => time_of(&format!("pauses.{k}"), s, policy).map(Some),
                Some(other) => Err(format!("pauses.{k} must be a time, not {other}")),
            }
        };
        let start = at("started_at")?.ok_or("a pause needs started_at")?;
        let end = at("ended_at")?;
        let tz = policy.calendar.tz;
        if let Some(e) = end.filter(|e| *e < start) {
            return Err(format!("the pause from {} ends before it starts ({})", human(start, tz), human(e, tz)));
        }
        if start < case.opened_at || start > now || end.is_some_and(|e| e > now) {
            return Err(format!(
                "the pause from {} must fall between the case's opening ({}) and now ({})",
                human(start, tz),
                human(case.opened_at, tz),
                human(now, tz)
            ));
        }
        if let Some(prev) = out.last()
            && prev.end.is_none_or(|e| e > start)
        {
            return Err("pauses must be in order, without overlap, and only the last may be open".into());
        }
        out.push(Pause { start, end });
    }
    let open = out.last().filter(|p| p.end.is_none()).map(|p| p.start);
    if case.waiting_since.is_some() && case.waiting_since != open {
        return Err("waiting_since does not match the open pause in pauses".into());
    }
    Ok(out)
}

/// A record that says a case is open (its `status`, or for a new case the default)
/// and gives it a closing time: refused, rather than its `closed_at` dropped.
pub fn open_yet_closed(raw: &RawCase, new: bool) -> Result<(), String> {
    let status = raw.status.as_deref().map(str::trim);
    let open = match status {
        Some(s) => s.eq_ignore_ascii_case("open"),
        None => new,
    };
    match &raw.closed_at {
        Some(at) if open => Err(format!(
            "closed_at is {at} but the status is open{}: give status closed, or no closed_at",
            if status.is_none() { " (the default)" } else { "" }
        )),
        _ => Ok(()),
    }
}

/// A record checked as a new case (`validate`, then `pauses`): the case and its pauses.
pub fn checked(mut raw: RawCase, policy: &Policy, now: DateTime<Utc>) -> Result<(Case, Vec<Pause>), String> {
    open_yet_closed(&raw, true)?;
    let text = raw.pauses.take();
    let case = validate(raw, policy, now)?;
    let pauses = pauses(text.as_deref(), &case, policy, now)?;
    Ok((case, pauses))
}

/// Check a record against the policy and make it a case (of the record's own
/// text, where it needs no change). `now` bounds the times.
pub fn validate(raw: RawCase, policy: &Policy, now: DateTime<Utc>) -> Result<Case, String> {
    let id = id_rule("id", crate::model::into_case_key(line_of("id", raw.id)?))?;
    let customer = line_of("customer", raw.customer)?;
    let sev = raw.severity.as_deref().map_or("", str::trim);
    check_line("severity", sev)?;
    let severity = sev
        .parse::<u32>()
        .ok()
        .filter(|n| policy.severities.contains_key(n))
        .ok_or_else(|| format!("unknown severity {sev:?} (accepted: {})", policy.severity_keys()))?;
    let tier = line_of("tier", raw.tier)?;
    if !policy.tiers.contains_key(&tier) {
        return Err(format!("unknown tier {tier:?} (accepted: {})", Policy::keys(&policy.tiers)));
    }
    let title = match raw.title.filter(|t| !t.trim().is_empty()) {
        None => String::new(),
        Some(t) => line_of("title", Some(t))?,
    };
    let opened_at = match raw.opened_at.as_deref() {
        None => now,
        Some(s) => time_of("opened_at", s, policy)?,
    };
    let opened_at = opened_rule("opened_at", opened_at, now, policy.calendar.tz)?;
    let priority = match raw.priority.as_deref() {
        None => Priority::Normal,
        Some(s) => s.trim().parse::<Priority>()?,
    };
    let mut tags: Vec<String> = Vec::new();
    for t in raw.tags.into_iter().flatten() {
        if t.trim().is_empty() {
            continue;
        }
        let t = tag_rule("tag", line_of("a tag", Some(t))?)?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let status = match raw.status.as_deref() {
        None => CaseStatus::Open,
        Some(s) => s.trim().parse::<CaseStatus>()?,
    };
    // A time in the case's life: between its opening and now.
    let during = |name: &str, v: Option<&str>| -> Result<Option<DateTime<Utc>>, String> {
        let Some(s) = v.filter(|s| !s.trim().is_empty()) else { return Ok(None) };
        during_rule(name, time_of(name, s, policy)?, opened_at, now, policy.calendar.tz).map(Some)
    };
    let waiting_since = during("waiting_since", raw.waiting_since.as_deref())?;
    let first_response_at = during("first_response_at", raw.first_response_at.as_deref())?;
    // A closed case keeps its closing time (now, when the record has none); an open one has none.
    let closed_at = match status {
        CaseStatus::Open => None,
        CaseStatus::Closed => Some(during("closed_at", raw.closed_at.as_deref())?.unwrap_or(now)),
    };
    Ok(Case {
        closed_at,
        id,
        customer,
        severity,
        tier,
        title,
        opened_at,
        priority,
        tags,
        status,
        waiting_since,
        first_response_at,
    })
}

#[cfg(test)]
mod tests;
