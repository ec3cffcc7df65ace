//! The outbox on SQLite: queue, claim, settle and list notifications.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use super::queries::{SqliteTxn, conv, opt_time_at, time_at};
use crate::ledger::error::{Result, StoreError};
use crate::ledger::outbox::{Claim, Delivery, DeliveryState, Listing, NewDelivery, Requeued, Settled};
use crate::time::rfc3339;

const COLS: &str = "id, key, channel, topic, case_id, escalation_id, event_seq, message, created_at, state, \
                    attempts, next_attempt_at, last_error, sent_at";

fn row(r: &Row) -> rusqlite::Result<Delivery> {
    let state: String = r.get(9)?;
    Ok(Delivery {
        id: r.get(0)?,
        key: r.get(1)?,
        channel: r.get(2)?,
        topic: r.get(3)?,
        case_id: r.get(4)?,
        escalation: r.get(5)?,
        event_seq: r.get(6)?,
        message: r.get(7)?,
        created_at: time_at(r, 8)?,
        state: DeliveryState::parse(&state).ok_or_else(|| conv(9, format!("unknown delivery state {state:?}")))?,
        attempts: r.get(10)?,
        next_attempt_at: time_at(r, 11)?,
        last_error: r.get(12)?,
        sent_at: opt_time_at(r, 13)?,
    })
}

/// Every notification of the outbox, by id, for `ledger copy`.
pub(super) fn all(conn: &rusqlite::Connection, each: crate::ledger::store::Each<Delivery>) -> anyhow::Result<()> {
    let mut stmt = conn.prepare(&format!("SELECT {COLS} FROM outbox ORDER BY id"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        each(row(r)?)?;
    }
    Ok(())
}

/// A notification as it was, id kept (no flush holds it in the copy).
pub(super) fn put(conn: &rusqlite::Connection, d: &Delivery) -> Result<()> {
    let sql =
        format!("INSERT INTO outbox ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    conn.prepare_cached(&sql)?.execute(params![
        d.id,
        d.key,
        d.channel,
        d.topic,
        d.case_id,
        d.escalation,
        d.event_seq,
        d.message,
        rfc3339(d.created_at),
        d.state.as_str(),
        d.attempts,
        rfc3339(d.next_attempt_at),
        d.last_error,
        d.sent_at.map(rfc3339),
    ])?;
    Ok(())
}

impl SqliteTxn<'_> {
    pub(super) fn outbox_enqueue(&mut self, d: &NewDelivery) -> Result<Option<i64>> {
        let sql = "INSERT INTO outbox (key, channel, topic, case_id, escalation_id, event_seq, message, created_at,
                   next_attempt_at, held_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)
                   ON CONFLICT (key) DO NOTHING RETURNING id";
        let at = rfc3339(d.created_at);
        let id = self
            .tx
            .prepare_cached(sql)?
            .query_row(
                params![
                    d.key,
                    d.channel,
                    d.topic,
                    d.case_id,
                    d.escalation,
                    d.event_seq,
                    d.message,
                    at,
                    rfc3339(d.held_until)
                ],
                |r| r.get(0),
            )
            .optional()?;
        Ok(id)
    }

    /// SQLite has one writer at a time: the claim and its hold are one write.
    pub(super) fn outbox_claim(&mut self, which: Claim, until: DateTime<Utc>) -> Result<Vec<Delivery>> {
        let found: Vec<Delivery> = match which {
            Claim::Own(ids) => {
                let sql = format!(
                    "SELECT {COLS} FROM outbox WHERE id IN (SELECT value FROM json_each(?1)) AND state = 'pending' ORDER BY id"
                );
                let mut stmt = self.tx.prepare_cached(&sql)?;
                stmt.query_map([crate::ledger::json(&ids)], row)?.collect::<rusqlite::Result<_>>()?
            }
            Claim::Due { now, limit } => {
                let sql = format!(
                    "SELECT {COLS} FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1
                     AND (held_until IS NULL OR held_until <= ?1) ORDER BY next_attempt_at, id LIMIT ?2"
                );
                let mut stmt = self.tx.prepare_cached(&sql)?;
                stmt.query_map(params![rfc3339(now), limit], row)?.collect::<rusqlite::Result<_>>()?
            }
        };
        let mut hold = self.tx.prepare_cached("UPDATE outbox SET held_until = ?2 WHERE id = ?1")?;
        for d in &found {
            hold.execute(params![d.id, rfc3339(until)])?;
        }
        Ok(found)
    }

    pub(super) fn outbox_settle(&mut self, s: &Settled) -> Result<()> {
        let sql = "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_at = ?4, last_error = ?5,
                   sent_at = ?6, held_until = NULL WHERE id = ?1";
        self.tx.prepare_cached(sql)?.execute(params![
            s.id,
            s.state.as_str(),
            s.attempts,
            rfc3339(s.next_attempt_at),
            s.last_error,
            s.sent_at.map(rfc3339)
        ])?;
        Ok(())
    }

    /// One write transaction at a time: the state read is the state changed.
    pub(super) fn outbox_requeue(&mut self, id: i64, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<Requeued> {
        let state: Option<String> = self
            .tx
            .prepare_cached("SELECT state FROM outbox WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let Some(state) = state else { return Ok(Requeued::Unknown) };
        match DeliveryState::parse(&state) {
            Some(DeliveryState::Failed) => {}
            Some(other) => return Ok(Requeued::Was(other)),
            None => {
                return Err(StoreError::Data(format!("cannot read a delivery's state from the ledger: {state:?}")));
            }
        }
        let sql = "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2, held_until = ?3
                   WHERE id = ?1";
        self.tx.prepare_cached(sql)?.execute(params![id, rfc3339(now), rfc3339(until)])?;
        Ok(Requeued::Done)
    }

    pub(super) fn outbox_list(&mut self, which: Listing, limit: i64) -> Result<Vec<Delivery>> {
        let filter = match which {
            Listing::All => "",
            Listing::Pending => "WHERE state = 'pending'",
            Listing::Failed => "WHERE state = 'failed'",
        };
        let sql = format!("SELECT {COLS} FROM outbox {filter} ORDER BY id DESC LIMIT ?1");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        Ok(stmt.query_map([limit], row)?.collect::<rusqlite::Result<_>>()?)
    }
}
