//! Reading and writing ledger rows. Every write also appends to the event log
//! through `append_event`, inside the caller's transaction.

use chrono::{DateTime, Utc};
use rusqlite::types::{Type, Value};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::model::{Case, Escalation, Event};
use crate::time::rfc3339;

fn conv<E: std::fmt::Display>(idx: usize, e: E) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, e.to_string().into())
}

fn time_at(row: &Row, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = row.get(idx)?;
    DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(|e| conv(idx, e))
}

fn opt_time_at(row: &Row, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(|e| conv(idx, e))).transpose()
}

fn parsed<T: std::str::FromStr>(row: &Row, idx: usize) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.get(idx)?;
    s.parse().map_err(|e| conv(idx, e))
}

fn json_at<T: serde::de::DeserializeOwned>(row: &Row, idx: usize) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s).map_err(|e| conv(idx, e))
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

// ---- policies -------------------------------------------------------------

pub fn remember_policy(
    conn: &Connection,
    digest: &str,
    origin: &str,
    text: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO policies (digest, origin, text, first_used_at) VALUES (?1, ?2, ?3, ?4)",
        params![digest, origin, text, rfc3339(now)],
    )?;
    Ok(())
}

// ---- cases ----------------------------------------------------------------

const CASE_COLS: &str =
    "id, customer, severity, tier, title, opened_at, priority, tags, status, first_response_at, closed_at";
pub(crate) const CASE_SELECT: &str = "SELECT id, customer, severity, tier, title, opened_at, priority, tags, status,
    (SELECT started_at FROM pauses p WHERE p.case_id = cases.id AND p.ended_at IS NULL ORDER BY p.id DESC LIMIT 1),
    first_response_at, closed_at
    FROM cases";

pub(crate) fn case_row(row: &Row) -> rusqlite::Result<Case> {
    Ok(Case {
        id: row.get(0)?,
        customer: row.get(1)?,
        severity: row.get(2)?,
        tier: row.get(3)?,
        title: row.get(4)?,
        opened_at: time_at(row, 5)?,
        priority: parsed(row, 6)?,
        tags: json_at(row, 7)?,
        status: parsed(row, 8)?,
        waiting_since: opt_time_at(row, 9)?,
        first_response_at: opt_time_at(row, 10)?,
        closed_at: opt_time_at(row, 11)?,
    })
}

/// Just a case's customer, for lists of escalations.
pub fn customer_of(conn: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT customer FROM cases WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()
}

pub fn get_case(conn: &Connection, id: &str) -> rusqlite::Result<Option<Case>> {
    conn.prepare_cached(&format!("{CASE_SELECT} WHERE id = ?1"))?.query_row([id], case_row).optional()
}

/// A case's columns in `CASE_COLS` order.
fn case_values(c: &Case) -> Vec<Value> {
    vec![
        c.id.clone().into(),
        c.customer.clone().into(),
        i64::from(c.severity).into(),
        c.tier.clone().into(),
        c.title.clone().into(),
        rfc3339(c.opened_at).into(),
        c.priority.as_str().to_string().into(),
        json(&c.tags).into(),
        c.status.as_str().to_string().into(),
        c.first_response_at.map(rfc3339).into(),
        c.closed_at.map(rfc3339).into(),
    ]
}

pub fn insert_case(conn: &Connection, c: &Case, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let mut values = case_values(c);
    values.push(rfc3339(now).into());
    conn.prepare_cached(&format!(
        "INSERT INTO cases ({CASE_COLS}, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)"
    ))?
    .execute(params_from_iter(values))?;
    add_tags(conn, c)
}

/// A case's tags into `case_tags` (its old ones removed first on update).
fn add_tags(conn: &Connection, c: &Case) -> rusqlite::Result<()> {
    let mut add = conn.prepare_cached("INSERT OR IGNORE INTO case_tags (tag, case_id) VALUES (?1, ?2)")?;
    for t in &c.tags {
        add.execute([t, &c.id])?;
    }
    Ok(())
}

/// Open cases carrying any of `tags`, opened at or after `since` when given.
pub fn open_cases_tagged(
    conn: &Connection,
    tags: &[String],
    since: Option<DateTime<Utc>>,
) -> rusqlite::Result<Vec<Case>> {
    // With a window, the recent cases are few: walk them by opening time. Without one,
    // walk the tag's cases.
    let sql = match since {
        Some(_) => format!(
            // `+status` keeps the planner off the status index, onto the opening time's.
            "{CASE_SELECT} WHERE opened_at >= ?2 AND +status = 'open'
               AND EXISTS (SELECT 1 FROM case_tags t WHERE t.tag = ?1 AND t.case_id = cases.id)"
        ),
        None => format!(
            "{CASE_SELECT} WHERE status = 'open' AND ?2 IS NULL
               AND id IN (SELECT case_id FROM case_tags WHERE tag = ?1)"
        ),
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out: Vec<Case> = Vec::new();
    for t in tags {
        for c in stmt.query_map(params![t, since.map(rfc3339)], case_row)? {
            let c = c?;
            if !out.iter().any(|o| o.id == c.id) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

pub fn update_case(conn: &Connection, c: &Case, now: DateTime<Utc>) -> rusqlite::Result<()> {
    // The stored tags say which `case_tags` rows to remove, before the row changes.
    conn.prepare_cached(
        "DELETE FROM case_tags WHERE case_id = ?1
           AND tag IN (SELECT value FROM json_each((SELECT tags FROM cases WHERE id = ?1)))",
    )?
    .execute([&c.id])?;
    let mut values = case_values(c);
    values.push(rfc3339(now).into());
    conn.prepare_cached(
        "UPDATE cases SET customer = ?2, severity = ?3, tier = ?4, title = ?5, opened_at = ?6, priority = ?7,
         tags = ?8, status = ?9, first_response_at = ?10, closed_at = ?11, updated_at = ?12 WHERE id = ?1",
    )?
    .execute(params_from_iter(values))?;
    add_tags(conn, c)
}

#[derive(Debug, Default)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub customer: Option<String>,
    pub tier: Option<String>,
    pub severity: Option<u32>,
}

pub fn list_cases(conn: &Connection, f: &CaseFilter) -> rusqlite::Result<Vec<Case>> {
    let mut stmt = conn.prepare(&format!(
        "{CASE_SELECT}
         WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR customer = ?2)
           AND (?3 IS NULL OR tier = ?3) AND (?4 IS NULL OR severity = ?4)
         ORDER BY opened_at, id"
    ))?;
    stmt.query_map(params![f.status, f.customer, f.tier, f.severity], case_row)?.collect()
}

// ---- escalations ----------------------------------------------------------

pub(crate) const ESC_COLS: &str = "id, case_id, level, state, destination, reason, description, fields, requested_by, \
    requested_at, level_since, review_due_at, owner, decided_by, decided_at, decision_note, closed_at, \
    raised_by, decision, last_update_at, next_touch_at, handoff_note, package";

pub(crate) fn esc_row(row: &Row) -> rusqlite::Result<Escalation> {
    Ok(Escalation {
        id: row.get(0)?,
        case_id: row.get(1)?,
        level: row.get(2)?,
        state: parsed(row, 3)?,
        destination: row.get(4)?,
        reason: row.get(5)?,
        description: row.get(6)?,
        fields: json_at(row, 7)?,
        requested_by: row.get(8)?,
        requested_at: time_at(row, 9)?,
        level_since: time_at(row, 10)?,
        review_due_at: opt_time_at(row, 11)?,
        owner: row.get(12)?,
        decided_by: row.get(13)?,
        decided_at: opt_time_at(row, 14)?,
        decision_note: row.get(15)?,
        closed_at: opt_time_at(row, 16)?,
        raised_by: row.get::<_, Option<String>>(17)?.unwrap_or_else(|| row.get(8).unwrap_or_default()),
        decision: row.get(18)?,
        last_update_at: opt_time_at(row, 19)?,
        next_touch_at: opt_time_at(row, 20)?,
        handoff_note: row.get(21)?,
        package: json_at(row, 22)?,
    })
}

pub fn escalations_of(conn: &Connection, case_id: &str) -> rusqlite::Result<Vec<Escalation>> {
    let mut stmt = conn.prepare(&format!("SELECT {ESC_COLS} FROM escalations WHERE case_id = ?1 ORDER BY id"))?;
    stmt.query_map([case_id], esc_row)?.collect()
}

/// Insert a new escalation; its `id` field is ignored and the new id returned.
/// An escalation's columns in `ESC_COLS` order, without `id`.
fn esc_values(e: &Escalation) -> Vec<Value> {
    vec![
        e.case_id.clone().into(),
        i64::from(e.level).into(),
        e.state.as_str().to_string().into(),
        e.destination.clone().into(),
        e.reason.clone().into(),
        e.description.clone().into(),
        json(&e.fields).into(),
        e.requested_by.clone().into(),
        rfc3339(e.requested_at).into(),
        rfc3339(e.level_since).into(),
        e.review_due_at.map(rfc3339).into(),
        e.owner.clone().into(),
        e.decided_by.clone().into(),
        e.decided_at.map(rfc3339).into(),
        e.decision_note.clone().into(),
        e.closed_at.map(rfc3339).into(),
        e.raised_by.clone().into(),
        e.decision.clone().into(),
        e.last_update_at.map(rfc3339).into(),
        e.next_touch_at.map(rfc3339).into(),
        e.handoff_note.clone().into(),
        json(&e.package).into(),
    ]
}

/// `ESC_COLS` without `id`.
fn esc_cols() -> impl Iterator<Item = &'static str> {
    ESC_COLS.split(',').map(str::trim).filter(|c| *c != "id")
}

pub fn insert_escalation(conn: &Connection, e: &Escalation) -> rusqlite::Result<i64> {
    let cols: Vec<&str> = esc_cols().collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    conn.execute(
        &format!("INSERT INTO escalations ({}) VALUES ({})", cols.join(", "), marks.join(", ")),
        params_from_iter(esc_values(e)),
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn update_escalation(conn: &Connection, e: &Escalation) -> rusqlite::Result<()> {
    let sets: Vec<String> = esc_cols().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 2)).collect();
    let mut values = vec![Value::from(e.id)];
    values.extend(esc_values(e));
    conn.execute(&format!("UPDATE escalations SET {} WHERE id = ?1", sets.join(", ")), params_from_iter(values))?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct EscalationFilter {
    pub state: Option<String>,
    pub level: Option<u32>,
    pub destination: Option<String>,
    pub case_id: Option<String>,
}

pub fn list_escalations(conn: &Connection, f: &EscalationFilter) -> rusqlite::Result<Vec<Escalation>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ESC_COLS} FROM escalations
         WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR level = ?2)
           AND (?3 IS NULL OR destination = ?3) AND (?4 IS NULL OR case_id = ?4)
         ORDER BY id"
    ))?;
    stmt.query_map(params![f.state, f.level, f.destination, f.case_id], esc_row)?.collect()
}

// ---- pauses (waiting on the customer) ------------------------------------

pub fn pauses_of(conn: &Connection, case_id: &str) -> rusqlite::Result<Vec<crate::model::Pause>> {
    let mut stmt = conn.prepare_cached("SELECT started_at, ended_at FROM pauses WHERE case_id = ?1 ORDER BY id")?;
    stmt.query_map([case_id], |r| Ok(crate::model::Pause { start: time_at(r, 0)?, end: opt_time_at(r, 1)? }))?.collect()
}

pub fn start_pause(conn: &Connection, case_id: &str, at: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute("INSERT INTO pauses (case_id, started_at) VALUES (?1, ?2)", params![case_id, rfc3339(at)])?;
    Ok(())
}

/// A whole pause at once, as an import restores it.
pub fn insert_pause(conn: &Connection, case_id: &str, p: &crate::model::Pause) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO pauses (case_id, started_at, ended_at) VALUES (?1, ?2, ?3)",
        params![case_id, rfc3339(p.start), p.end.map(rfc3339)],
    )?;
    Ok(())
}

pub fn end_pause(conn: &Connection, case_id: &str, at: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE pauses SET ended_at = ?2 WHERE case_id = ?1 AND ended_at IS NULL",
        params![case_id, rfc3339(at)],
    )?;
    Ok(())
}

// ---- events ---------------------------------------------------------------

/// What a command appends to the log; `seq` is assigned by the ledger.
pub struct NewEvent<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub case_id: &'a str,
    pub escalation: Option<i64>,
    pub kind: &'a str,
    pub data: serde_json::Value,
    pub policy_digest: &'a str,
}

/// Append an event whose data is already JSON text (the import's fast path).
pub fn append_event_json(conn: &Connection, e: &NewEvent, data: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO events (at, actor, case_id, escalation_id, kind, data, policy_digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![rfc3339(e.at), e.actor, e.case_id, e.escalation, e.kind, data, e.policy_digest])?;
    Ok(conn.last_insert_rowid())
}

pub fn append_event(conn: &Connection, e: &NewEvent) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO events (at, actor, case_id, escalation_id, kind, data, policy_digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        rfc3339(e.at),
        e.actor,
        e.case_id,
        e.escalation,
        e.kind,
        e.data.to_string(),
        e.policy_digest
    ])?;
    Ok(conn.last_insert_rowid())
}

/// When the latest event of a case was recorded, if it has any.
pub fn last_event_at(conn: &Connection, case_id: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    conn.query_row("SELECT at FROM events WHERE case_id = ?1 ORDER BY seq DESC LIMIT 1", [case_id], |r| time_at(r, 0))
        .optional()
}

pub(crate) fn event_row(row: &Row) -> rusqlite::Result<Event> {
    Ok(Event {
        seq: row.get(0)?,
        at: time_at(row, 1)?,
        actor: row.get(2)?,
        case_id: row.get(3)?,
        escalation: row.get(4)?,
        kind: row.get(5)?,
        data: json_at(row, 6)?,
        policy_digest: row.get(7)?,
    })
}

pub fn events_of(conn: &Connection, case_id: &str) -> rusqlite::Result<Vec<Event>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, case_id, escalation_id, kind, data, policy_digest FROM events WHERE case_id = ?1 ORDER BY seq",
    )?;
    stmt.query_map([case_id], event_row)?.collect()
}
