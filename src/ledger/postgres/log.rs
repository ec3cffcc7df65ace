//! The event log on PostgreSQL: appending an event to the hash chain, and reading
//! it by case and by escalation (what `Txn`'s event methods hand over to).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::queries::{EVENT_COLS, Param, PgTxn, event_row};
use crate::ledger::error::Result;
use crate::ledger::store::NewEvent;
use crate::model::Event;

impl PgTxn<'_> {
    pub(super) fn log_append(&mut self, e: &NewEvent) -> Result<i64> {
        crate::ledger::storable(&format!("an event of case {}", e.case_id), &[Some(e.at)])?;
        // The chain head is locked until commit: appends are one after another.
        let (last, prev) = super::chain::head(&mut self.tx)?;
        let seq = last + 1;
        let hash = crate::ledger::chain_hash(&prev, seq, e)?;
        let sql =
            "INSERT INTO events (seq, at, actor, case_id, escalation_id, kind, data, policy_digest, prev_hash, hash)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        let params: [Param; 10] =
            [&seq, &e.at, &e.actor, &e.case_id, &e.escalation, &e.kind, &e.data, &e.policy_digest, &prev, &hash];
        self.exec(sql, &params)?;
        super::chain::set_head(&mut self.tx, &(seq, hash))?;
        Ok(seq)
    }

    pub(super) fn log_last_at(&mut self, case_id: &str) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT at FROM events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1";
        Ok(self.rows(sql, &[&case_id], |r| Ok(r.get::<_, DateTime<Utc>>(0)))?.into_iter().next())
    }

    pub(super) fn log_last_policy(&mut self) -> Result<Option<(String, String, DateTime<Utc>)>> {
        let sql = "SELECT policy_digest, actor, at FROM events ORDER BY seq DESC LIMIT 1";
        Ok(self.rows(sql, &[], |r| Ok((r.get(0), r.get(1), r.get(2))))?.into_iter().next())
    }

    pub(super) fn log_last_at_of(&mut self, ids: &[String]) -> Result<HashMap<String, DateTime<Utc>>> {
        let sql =
            "SELECT DISTINCT ON (case_id) case_id, at FROM events WHERE case_id = ANY($1) ORDER BY case_id, seq DESC";
        Ok(self.rows(sql, &[&ids], |r| Ok((r.get(0), r.get(1))))?.into_iter().collect())
    }

    pub(super) fn log_of_case(&mut self, case_id: &str) -> Result<Vec<Event>> {
        self.rows(&format!("SELECT {EVENT_COLS} FROM events WHERE case_id = $1 ORDER BY seq"), &[&case_id], event_row)
    }

    pub(super) fn log_of_escalations(&mut self, escalations: &[i64], cases: &[String]) -> Result<Vec<Event>> {
        // Each term from its partial index (`events_escalation`, `events_rca`), as written there.
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events WHERE (escalation_id IS NOT NULL AND escalation_id = ANY($1))
               OR (kind = '{}' AND case_id = ANY($2)) ORDER BY seq",
            crate::events::RcaDone::KIND
        );
        self.rows(&sql, &[&escalations, &cases], event_row)
    }
}
