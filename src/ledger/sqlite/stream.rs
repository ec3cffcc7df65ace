//! Whole-table reads, one row at a time, for `export` and `ledger copy`:
//! memory stays flat however large the ledger.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params, params_from_iter};

use super::queries::{
    CASE_SELECT, ESC_COLS, EVENT_SELECT, case_row, esc_row, event_row, insert_case_at, insert_escalation_with_id,
    opt_time_at, stored_event_row, time_at,
};
use crate::ledger::store::{CaseRow, Each, PolicyRow, Row};
use crate::model::{Case, Escalation, Event, Pause};
use crate::time::rfc3339;

/// The pauses of the row's case as JSON, beside the case's columns.
const PAUSES_JSON: &str = "(SELECT json_group_array(json_object('started_at', started_at, 'ended_at', ended_at))
     FROM (SELECT started_at, ended_at FROM pauses p WHERE p.case_id = cases.id ORDER BY p.id))";

fn pauses_from(text: &str) -> rusqlite::Result<Vec<Pause>> {
    #[derive(serde::Deserialize)]
    struct Raw {
        started_at: String,
        ended_at: Option<String>,
    }
    let parse = |s: &str| {
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(12, rusqlite::types::Type::Text, e.to_string().into())
        })
    };
    let raw: Vec<Raw> = serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(12, rusqlite::types::Type::Text, e.into()))?;
    raw.iter()
        .map(|r| Ok(Pause { start: parse(&r.started_at)?, end: r.ended_at.as_deref().map(parse).transpose()? }))
        .collect()
}

/// `?1` when `since` is given, nothing otherwise.
fn since_param(since: Option<DateTime<Utc>>) -> Vec<String> {
    since.map(rfc3339).into_iter().collect()
}

/// Every case with its pauses, in id order; with `since`, only cases with an event at or after it.
pub fn cases(conn: &Connection, since: Option<DateTime<Utc>>, each: Each<(Case, Vec<Pause>)>) -> anyhow::Result<()> {
    let select = CASE_SELECT.replacen("closed_at\n", &format!("closed_at, {PAUSES_JSON}\n"), 1);
    // Only the filter given is written: `?1 IS NULL OR ...` would keep the planner off every index.
    let filter = if since.is_some() { "WHERE id IN (SELECT case_id FROM events WHERE at >= ?1)" } else { "" };
    let mut stmt = conn.prepare(&format!("{select} {filter} ORDER BY id"))?;
    let mut rows = stmt.query(params_from_iter(since_param(since)))?;
    while let Some(row) = rows.next()? {
        let pauses = pauses_from(&row.get::<_, String>(12)?)?;
        each((case_row(row)?, pauses))?;
    }
    Ok(())
}

/// Every escalation in id order; with `since`, only those with an event at or after it.
pub fn escalations(conn: &Connection, since: Option<DateTime<Utc>>, each: Each<Escalation>) -> anyhow::Result<()> {
    let filter = if since.is_some() {
        "WHERE id IN (SELECT escalation_id FROM events WHERE at >= ?1 AND escalation_id IS NOT NULL)"
    } else {
        ""
    };
    let mut stmt = conn.prepare(&format!("SELECT {ESC_COLS} FROM escalations {filter} ORDER BY id"))?;
    let mut rows = stmt.query(params_from_iter(since_param(since)))?;
    while let Some(row) = rows.next()? {
        each(esc_row(row)?)?;
    }
    Ok(())
}

/// Every event in log order; with `since`, only those at or after it.
pub fn events(conn: &Connection, since: Option<DateTime<Utc>>, each: Each<Event>) -> anyhow::Result<()> {
    let filter = if since.is_some() { "WHERE at >= ?1" } else { "" };
    let mut stmt = conn.prepare(&format!("{EVENT_SELECT} {filter} ORDER BY seq"))?;
    let mut rows = stmt.query(params_from_iter(since_param(since)))?;
    while let Some(row) = rows.next()? {
        each(event_row(row)?)?;
    }
    Ok(())
}

/// The events that shape a case's row, by case id (byte order) then seq.
pub fn case_events(conn: &Connection, each: Each<Event>) -> anyhow::Result<()> {
    let kinds = "'case-added', 'case-updated', 'case-closed', 'case-reopened', 'paused', 'resumed'";
    let mut stmt = conn.prepare(&format!("{EVENT_SELECT} WHERE kind IN ({kinds}) ORDER BY case_id, seq"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        each(event_row(row)?)?;
    }
    Ok(())
}

/// The tags index's rows, (case id, tag).
pub fn case_tags(conn: &Connection, each: Each<(String, String)>) -> anyhow::Result<()> {
    let mut stmt = conn.prepare("SELECT case_id, tag FROM case_tags")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        each((row.get(0)?, row.get(1)?))?;
    }
    Ok(())
}

/// Every row of every table, parents before children.
pub fn rows(conn: &Connection, each: Each<Row>) -> anyhow::Result<()> {
    let mut stmt = conn.prepare("SELECT digest, origin, text, first_used_at FROM policies ORDER BY digest")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let p = PolicyRow { digest: r.get(0)?, origin: r.get(1)?, text: r.get(2)?, first_used_at: time_at(r, 3)? };
        each(Row::Policy(p))?;
    }
    let select = CASE_SELECT.replacen("closed_at\n", "closed_at, created_at, updated_at\n", 1);
    let mut stmt = conn.prepare(&format!("{select} ORDER BY id"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        each(Row::Case(Box::new(CaseRow {
            case: case_row(r)?,
            created_at: time_at(r, 12)?,
            updated_at: time_at(r, 13)?,
        })))?;
    }
    escalations(conn, None, &mut |e| each(Row::Escalation(Box::new(e))))?;
    let mut stmt = conn.prepare("SELECT id, case_id, started_at, ended_at FROM pauses ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let pause = Pause { start: time_at(r, 2)?, end: opt_time_at(r, 3)? };
        each(Row::Pause { id: r.get(0)?, case_id: r.get(1)?, pause })?;
    }
    let mut stmt = conn.prepare(&format!("{EVENT_SELECT} ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        each(Row::Event(stored_event_row(r)?))?;
    }
    for a in super::accounts::accounts(conn)? {
        each(Row::Account(a))?;
    }
    for s in super::accounts::shifts(conn)? {
        each(Row::Shift(s))?;
    }
    super::outbox::all(conn, &mut |d| each(Row::Delivery(Box::new(d))))
}

/// Insert one row as it was, ids kept.
pub fn put_row(conn: &Connection, row: &Row) -> crate::ledger::Result<()> {
    match row {
        Row::Policy(p) => {
            conn.prepare_cached("INSERT INTO policies (digest, origin, text, first_used_at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![p.digest, p.origin, p.text, rfc3339(p.first_used_at)])?;
        }
        Row::Case(c) => insert_case_at(conn, &c.case, c.created_at, c.updated_at)?,
        Row::Escalation(e) => insert_escalation_with_id(conn, e)?,
        Row::Pause { id, case_id, pause } => {
            conn.prepare_cached("INSERT INTO pauses (id, case_id, started_at, ended_at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![id, case_id, rfc3339(pause.start), pause.end.map(rfc3339)])?;
        }
        Row::Account(a) => super::accounts::put_account(conn, a)?,
        Row::Delivery(d) => super::outbox::put(conn, d)?,
        Row::Shift(s) => {
            super::accounts::add_shift(conn, s, true)?;
        }
        Row::Event(e) => {
            let event = crate::ledger::store::NewEvent {
                at: e.at,
                actor: &e.actor,
                case_id: &e.case_id,
                escalation: e.escalation,
                kind: &e.kind,
                data: &e.data,
                policy_digest: &e.policy_digest,
            };
            super::log::insert(conn, e.seq, &event, (e.prev_hash.as_deref(), e.hash.as_deref()))?;
        }
    }
    Ok(())
}
