//! The event log on SQLite: appending an event to the hash chain, and reading it
//! by case and by escalation (what `Txn`'s event methods hand over to).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::queries::{EVENT_SELECT, SqliteTxn, count_rows, event_row, in_list, time_at};
use crate::events::RcaDone;
use crate::ledger::error::Result;
use crate::ledger::json;
use crate::ledger::store::NewEvent;
use crate::model::Event;
use crate::time::rfc3339;

/// A row of the log, counted: `e` at `seq`, after the hash `chain.0` with the hash
/// `chain.1` (none only in a copy of a ledger's events from before the chain).
pub(super) fn insert(conn: &Connection, seq: i64, e: &NewEvent, chain: (Option<&str>, Option<&str>)) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO events (seq, at, actor, case_id, escalation_id, kind, data, policy_digest, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        seq,
        rfc3339(e.at),
        e.actor,
        e.case_id,
        e.escalation,
        e.kind,
        e.data,
        e.policy_digest,
        chain.0,
        chain.1
    ])?;
    Ok(count_rows(conn, "events", 1)?)
}

impl SqliteTxn<'_> {
    pub(super) fn log_append(&mut self, e: &NewEvent) -> Result<i64> {
        crate::ledger::storable(&format!("an event of case {}", e.case_id), &[Some(e.at)])?;
        let (last, prev) = super::chain::head(&self.tx)?;
        let seq = last + 1;
        let hash = crate::ledger::chain_hash(&prev, seq, e)?;
        insert(&self.tx, seq, e, (Some(&prev), Some(&hash)))?;
        Ok(seq)
    }

    pub(super) fn log_last_at(&mut self, case_id: &str) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT at FROM events WHERE case_id = ?1 ORDER BY seq DESC LIMIT 1";
        Ok(self.tx.prepare_cached(sql)?.query_row([case_id], |r| time_at(r, 0)).optional()?)
    }

    pub(super) fn log_last_policy(&mut self) -> Result<Option<(String, String, DateTime<Utc>)>> {
        let sql = "SELECT policy_digest, actor, at FROM events ORDER BY seq DESC LIMIT 1";
        let mut stmt = self.tx.prepare_cached(sql)?;
        Ok(stmt.query_row([], |r| Ok((r.get(0)?, r.get(1)?, time_at(r, 2)?))).optional()?)
    }

    pub(super) fn log_last_at_of(&mut self, ids: &[String]) -> Result<HashMap<String, DateTime<Utc>>> {
        let sql =
            "SELECT case_id, (SELECT at FROM events e WHERE e.case_id = ids.value ORDER BY seq DESC LIMIT 1) AS at
             FROM (SELECT value, value AS case_id FROM json_each(?1)) AS ids WHERE at IS NOT NULL";
        let rows = self.query(sql, vec![json(&ids).into()], |r| Ok((r.get::<_, String>(0)?, time_at(r, 1)?)))?;
        Ok(rows.into_iter().collect())
    }

    pub(super) fn log_of_case(&mut self, case_id: &str) -> Result<Vec<Event>> {
        self.query(
            &format!("{EVENT_SELECT} WHERE case_id = ?1 ORDER BY seq"),
            vec![case_id.to_string().into()],
            event_row,
        )
    }

    pub(super) fn log_of_escalations(&mut self, escalations: &[i64], cases: &[String]) -> Result<Vec<Event>> {
        // Each from its partial index (`events_escalation`, `events_rca`): their terms as written there.
        let sql = format!("{EVENT_SELECT} WHERE escalation_id IS NOT NULL AND escalation_id IN ({})", in_list(1));
        let mut events = self.query(&sql, vec![json(&escalations).into()], event_row)?;
        let sql = format!("{EVENT_SELECT} WHERE kind = '{}' AND case_id IN ({})", RcaDone::KIND, in_list(1));
        events.extend(self.query(&sql, vec![json(&cases).into()], event_row)?);
        events.sort_unstable_by_key(|e| e.seq);
        events.dedup_by_key(|e| e.seq);
        Ok(events)
    }
}
