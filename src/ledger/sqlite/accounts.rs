//! Accounts, the on-call roster and account escalations on SQLite.

use rusqlite::{Connection, Row, params};

use super::queries::{ESC_COLS, esc_row, opt_time_at, time_at};
use crate::ledger::error::Result;
use crate::model::Escalation;
use crate::roster::{Account, Shift};
use crate::time::rfc3339;

const ACCOUNT_COLS: &str = "customer, csm, ae, dri, updated_at";
const SHIFT_COLS: &str = "id, role, name, starts_at, ends_at, set_by, set_at";

fn account_row(r: &Row) -> rusqlite::Result<Account> {
    Ok(Account { customer: r.get(0)?, csm: r.get(1)?, ae: r.get(2)?, dri: r.get(3)?, updated_at: time_at(r, 4)? })
}

fn shift_row(r: &Row) -> rusqlite::Result<Shift> {
    Ok(Shift {
        id: r.get(0)?,
        role: r.get(1)?,
        name: r.get(2)?,
        starts_at: time_at(r, 3)?,
        ends_at: opt_time_at(r, 4)?,
        set_by: r.get(5)?,
        set_at: time_at(r, 6)?,
    })
}

pub fn account(c: &Connection, customer: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE customer = ?1");
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query_map([customer], account_row)?;
    Ok(rows.next().transpose()?)
}

pub fn put_account(c: &Connection, a: &Account) -> Result<()> {
    crate::ledger::storable(&format!("account {}", a.customer), &[Some(a.updated_at)])?;
    c.prepare_cached(&format!("INSERT OR REPLACE INTO accounts ({ACCOUNT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5)"))?
        .execute(params![a.customer, a.csm, a.ae, a.dri, rfc3339(a.updated_at)])?;
    Ok(())
}

pub fn accounts(c: &Connection) -> Result<Vec<Account>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {ACCOUNT_COLS} FROM accounts ORDER BY customer"))?;
    Ok(stmt.query_map([], account_row)?.collect::<rusqlite::Result<_>>()?)
}

/// Insert a shift; with `keep_id`, as it was (for `ledger copy`).
pub fn add_shift(c: &Connection, s: &Shift, keep_id: bool) -> Result<i64> {
    crate::ledger::storable(&format!("a shift of {}", s.name), &[Some(s.starts_at), s.ends_at, Some(s.set_at)])?;
    c.prepare_cached(&format!("INSERT INTO oncall ({SHIFT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"))?.execute(
        params![
            keep_id.then_some(s.id),
            s.role,
            s.name,
            rfc3339(s.starts_at),
            s.ends_at.map(rfc3339),
            s.set_by,
            rfc3339(s.set_at)
        ],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn shifts(c: &Connection) -> Result<Vec<Shift>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {SHIFT_COLS} FROM oncall ORDER BY id"))?;
    Ok(stmt.query_map([], shift_row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn account_escalations(c: &Connection, customer: &str) -> Result<Vec<Escalation>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {ESC_COLS} FROM escalations WHERE account = ?1 ORDER BY id"))?;
    Ok(stmt.query_map([customer], esc_row)?.collect::<rusqlite::Result<_>>()?)
}
