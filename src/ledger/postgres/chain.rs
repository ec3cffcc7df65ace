//! The hash chain on PostgreSQL: a one-row head that each append locks, so
//! appends from many writers follow one another; and chaining the events of
//! a ledger written before the chain, once, by migration.

use postgres::Transaction;

use super::queries::stored_event;
use crate::chain::GENESIS;
use crate::ledger::chain_hash;
use crate::ledger::error::{Result, StoreError};

/// The head (last seq, its hash), locked until the transaction ends.
pub(super) fn head(tx: &mut Transaction) -> Result<(i64, String)> {
    let row = tx.query_opt("SELECT seq, hash FROM chain_head FOR UPDATE", &[])?;
    row.map(|r| (r.get(0), r.get(1)))
        .ok_or_else(|| StoreError::Data("the chain head is missing: run `escalate ledger verify`".into()))
}

pub(super) fn set_head(tx: &mut Transaction, head: &(i64, String)) -> Result<()> {
    tx.execute("UPDATE chain_head SET seq = $1, hash = $2", &[&head.0, &head.1])?;
    Ok(())
}

/// After `ledger copy`: the head is the copied log's last event.
pub(super) fn head_from_log(tx: &mut Transaction) -> Result<()> {
    let last = tx.query_opt("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &[])?;
    let head = match last {
        Some(r) => (r.get(0), r.get::<_, Option<String>>(1).unwrap_or_else(|| GENESIS.to_string())),
        None => (0, GENESIS.to_string()),
    };
    set_head(tx, &head)
}

/// Chain every event in seq order (a migration, run once in its transaction).
pub(super) fn chain_existing(tx: &mut Transaction) -> Result<()> {
    const BATCH: i64 = 5000;
    let (mut after, mut prev) = (0i64, GENESIS.to_string());
    let sql = format!("SELECT {} FROM events WHERE seq > $1 ORDER BY seq LIMIT {BATCH}", super::queries::EVENT_COLS);
    let update = tx.prepare("UPDATE events SET prev_hash = $2, hash = $3 WHERE seq = $1")?;
    loop {
        let rows = tx.query(&sql, &[&after])?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let e = stored_event(r);
            let hash = chain_hash(&prev, e.seq, &e.as_new())?;
            tx.execute(&update, &[&e.seq, &prev, &hash])?;
            prev = hash;
            after = e.seq;
        }
    }
    set_head(tx, &(after, prev))?;
    tx.batch_execute("ALTER TABLE events ENABLE TRIGGER events_append_only")?;
    Ok(())
}
