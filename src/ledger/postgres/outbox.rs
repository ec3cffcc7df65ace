//! The outbox on PostgreSQL: queue, claim (each row by one flush, with
//! `FOR UPDATE SKIP LOCKED`), settle and list notifications.

use chrono::{DateTime, Utc};
use postgres::Row;

use super::queries::{PgTxn, bad};
use crate::ledger::error::Result;
use crate::ledger::outbox::{Claim, Delivery, DeliveryState, Listing, NewDelivery, Requeued, Settled};

pub(super) const COLS: &str = "id, key, channel, topic, case_id, escalation_id, event_seq, message, created_at, state, \
                    attempts, next_attempt_at, last_error, sent_at";

pub(super) fn row(r: &Row) -> Result<Delivery> {
    let state: String = r.get(9);
    let attempts: i32 = r.get(10);
    Ok(Delivery {
        id: r.get(0),
        key: r.get(1),
        channel: r.get(2),
        topic: r.get(3),
        case_id: r.get(4),
        escalation: r.get(5),
        event_seq: r.get(6),
        message: r.get(7),
        created_at: r.get(8),
        state: DeliveryState::parse(&state).ok_or_else(|| bad("a delivery's state", &state))?,
        attempts: u32::try_from(attempts).map_err(|e| bad("a delivery's attempts", e))?,
        next_attempt_at: r.get(11),
        last_error: r.get(12),
        sent_at: r.get(13),
    })
}

impl PgTxn<'_> {
    pub(super) fn outbox_enqueue(&mut self, d: &NewDelivery) -> Result<Option<i64>> {
        let sql = "INSERT INTO outbox (key, channel, topic, case_id, escalation_id, event_seq, message, created_at,
                   next_attempt_at, held_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
                   ON CONFLICT (key) DO NOTHING RETURNING id";
        let rows = self.rows(
            sql,
            &[
                &d.key,
                &d.channel,
                &d.topic,
                &d.case_id,
                &d.escalation,
                &d.event_seq,
                &d.message,
                &d.created_at,
                &d.held_until,
            ],
            |r| Ok(r.get::<_, i64>(0)),
        )?;
        Ok(rows.into_iter().next())
    }

    /// Rows another flush holds locked are skipped, not waited for: two flushes never take the same row.
    pub(super) fn outbox_claim(&mut self, which: Claim, until: DateTime<Utc>) -> Result<Vec<Delivery>> {
        let found = match which {
            Claim::Own(ids) => {
                let sql = format!(
                    "SELECT {COLS} FROM outbox WHERE id = ANY($1) AND state = 'pending' ORDER BY id FOR UPDATE SKIP LOCKED"
                );
                self.rows(&sql, &[&ids], row)?
            }
            Claim::Due { now, limit } => {
                let sql = format!(
                    "SELECT {COLS} FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1
                     AND (held_until IS NULL OR held_until <= $1) ORDER BY next_attempt_at, id LIMIT $2
                     FOR UPDATE SKIP LOCKED"
                );
                self.rows(&sql, &[&now, &limit], row)?
            }
        };
        let ids: Vec<i64> = found.iter().map(|d| d.id).collect();
        self.exec("UPDATE outbox SET held_until = $2 WHERE id = ANY($1)", &[&ids, &until])?;
        Ok(found)
    }

    pub(super) fn outbox_settle(&mut self, s: &Settled) -> Result<()> {
        let attempts = i32::try_from(s.attempts).unwrap_or(i32::MAX);
        self.exec(
            "UPDATE outbox SET state = $2, attempts = $3, next_attempt_at = $4, last_error = $5,
             sent_at = $6, held_until = NULL WHERE id = $1",
            &[&s.id, &s.state.as_str(), &attempts, &s.next_attempt_at, &s.last_error, &s.sent_at],
        )?;
        Ok(())
    }

    /// The row is locked first: a flush holding it is waited for, and what it
    /// settled is what is judged.
    pub(super) fn outbox_requeue(&mut self, id: i64, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<Requeued> {
        let found =
            self.rows("SELECT state FROM outbox WHERE id = $1 FOR UPDATE", &[&id], |r| Ok(r.get::<_, String>(0)))?;
        let Some(state) = found.into_iter().next() else { return Ok(Requeued::Unknown) };
        match DeliveryState::parse(&state) {
            Some(DeliveryState::Failed) => {}
            Some(other) => return Ok(Requeued::Was(other)),
            None => return Err(bad("a delivery's state", &state)),
        }
        self.exec(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $2, held_until = $3 WHERE id = $1",
            &[&id, &now, &until],
        )?;
        Ok(Requeued::Done)
    }

    pub(super) fn outbox_list(&mut self, which: Listing, limit: i64) -> Result<Vec<Delivery>> {
        let filter = match which {
            Listing::All => "",
            Listing::Pending => "WHERE state = 'pending'",
            Listing::Failed => "WHERE state = 'failed'",
        };
        self.rows(&format!("SELECT {COLS} FROM outbox {filter} ORDER BY id DESC LIMIT $1"), &[&limit], row)
    }
}
