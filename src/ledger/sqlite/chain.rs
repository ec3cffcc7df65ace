//! The hash chain on SQLite: the head an append continues from, and chaining
//! the events of a ledger written before the chain, once, by migration.

use rusqlite::{Connection, OptionalExtension, params};

use super::queries::stored_event_row;
use crate::chain::GENESIS;
use crate::ledger::chain_hash;
use crate::ledger::error::{Result, StoreError};

/// The last event's seq and hash: what the next event follows. SQLite has one
/// writer at a time, so the head cannot move under a write transaction.
pub(super) fn head(conn: &Connection) -> Result<(i64, String)> {
    let row: Option<(i64, Option<String>)> = conn
        .prepare_cached("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok((0, GENESIS.to_string())),
        Some((seq, Some(hash))) => Ok((seq, hash)),
        Some((seq, None)) => {
            Err(StoreError::Data(format!("event {seq} has no chain hash: run `escalate ledger verify` to see where")))
        }
    }
}

/// Chain every event in seq order (a migration, run once in its transaction).
pub(super) fn chain_existing(conn: &Connection) -> Result<()> {
    const BATCH: i64 = 5000;
    let (mut after, mut prev) = (0i64, GENESIS.to_string());
    let mut read = conn.prepare(&format!(
        "SELECT seq, at, actor, case_id, escalation_id, kind, data, policy_digest, prev_hash, hash
         FROM events WHERE seq > ?1 ORDER BY seq LIMIT {BATCH}"
    ))?;
    let mut write = conn.prepare("UPDATE events SET prev_hash = ?2, hash = ?3 WHERE seq = ?1")?;
    loop {
        let rows = read.query_map([after], stored_event_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        if rows.is_empty() {
            break;
        }
        for e in &rows {
            let hash = chain_hash(&prev, e.seq, &e.as_new())?;
            write.execute(params![e.seq, prev, hash])?;
            prev = hash;
            after = e.seq;
        }
    }
    conn.execute_batch(super::migrations::RESTORE_APPEND_ONLY)?;
    Ok(())
}
