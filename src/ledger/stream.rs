//! Whole-table reads, one row at a time, for `export`: memory stays flat
//! however large the ledger.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::queries::{CASE_SELECT, ESC_COLS, case_row, esc_row, event_row};
use crate::model::{Case, Escalation, Event};
use crate::time::rfc3339;

/// Call `each` for every case, in id order; with `since`, only cases with an event at or after it.
pub fn cases(
    conn: &Connection,
    since: Option<DateTime<Utc>>,
    mut each: impl FnMut(Case) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut stmt = conn.prepare(&format!(
        "{CASE_SELECT} WHERE ?1 IS NULL OR id IN (SELECT case_id FROM events WHERE at >= ?1) ORDER BY id"
    ))?;
    let mut rows = stmt.query(params![since.map(rfc3339)])?;
    while let Some(row) = rows.next()? {
        each(case_row(row)?)?;
    }
    Ok(())
}

/// Every escalation in id order; with `since`, only those with an event at or after it.
pub fn escalations(
    conn: &Connection,
    since: Option<DateTime<Utc>>,
    mut each: impl FnMut(Escalation) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ESC_COLS} FROM escalations
         WHERE ?1 IS NULL OR id IN (SELECT escalation_id FROM events WHERE at >= ?1 AND escalation_id IS NOT NULL)
         ORDER BY id"
    ))?;
    let mut rows = stmt.query(params![since.map(rfc3339)])?;
    while let Some(row) = rows.next()? {
        each(esc_row(row)?)?;
    }
    Ok(())
}

/// Every event in log order; with `since`, only those at or after it.
pub fn events(
    conn: &Connection,
    since: Option<DateTime<Utc>>,
    mut each: impl FnMut(Event) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, case_id, escalation_id, kind, data, policy_digest FROM events
         WHERE ?1 IS NULL OR at >= ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![since.map(rfc3339)])?;
    while let Some(row) = rows.next()? {
        each(event_row(row)?)?;
    }
    Ok(())
}
