//! The storage seam on SQLite: `Txn` for `SqliteTxn`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};

use super::queries::{
    CASE_SELECT, ESC_COLS, EVENT_SELECT, SqliteTxn, add_tags, case_row, case_values, case_where, count_rows, esc_cols,
    esc_row, esc_values, in_list, insert_case_at, marks, opt_time_at, time_at,
};
use crate::ledger::error::Result;
use crate::ledger::json;
use crate::ledger::store::{
    CaseFilter, Counts, Each, EscalationFilter, EventMeta, NewCase, NewEvent, PolicyRow, Row as AnyRow, Txn,
};
use crate::model::{Case, Escalation, Event, OpeningBound, Pause};
use crate::time::rfc3339;

impl SqliteTxn<'_> {
    pub(super) fn query<T>(&self, sql: &str, values: Vec<Value>, f: fn(&Row) -> rusqlite::Result<T>) -> Result<Vec<T>> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt.query_map(params_from_iter(values), f)?.collect::<rusqlite::Result<Vec<T>>>()?;
        Ok(rows)
    }
}

impl Txn for SqliteTxn<'_> {
    fn case(&mut self, id: &str) -> Result<Option<Case>> {
        Ok(self.tx.prepare_cached(&format!("{CASE_SELECT} WHERE id = ?1"))?.query_row([id], case_row).optional()?)
    }

    fn cases(&mut self, ids: &[String]) -> Result<Vec<Case>> {
        if let Some((low, high)) = crate::ledger::key_range(ids) {
            let sql = "SELECT EXISTS (SELECT 1 FROM cases WHERE id BETWEEN ?1 AND ?2)";
            let any: bool = self.tx.prepare_cached(sql)?.query_row(params![low, high], |r| r.get(0))?;
            if !any {
                return Ok(Vec::new());
            }
        }
        // The open ones first, from the open cases' own index (a few pages, where each
        // case looked up among all of them costs a page of the key and one of the table).
        let open = format!("{CASE_SELECT} INDEXED BY cases_open WHERE status = 'open' AND id IN ({})", in_list(1));
        let mut found = self.query(&open, vec![json(&ids).into()], case_row)?;
        let seen: std::collections::HashSet<&str> = found.iter().map(|c| c.id.as_str()).collect();
        let rest: Vec<&String> = ids.iter().filter(|id| !seen.contains(id.as_str())).collect();
        if !rest.is_empty() {
            let sql = format!("{CASE_SELECT} WHERE status <> 'open' AND id IN ({})", in_list(1));
            let closed = self.query(&sql, vec![json(&rest).into()], case_row)?;
            found.extend(closed);
        }
        Ok(found)
    }

    fn insert_case(&mut self, c: &Case, now: DateTime<Utc>) -> Result<()> {
        insert_case_at(&self.tx, c, now, now)
    }

    fn update_case(&mut self, c: &Case, now: DateTime<Utc>) -> Result<()> {
        crate::ledger::storable_case(c)?;
        // The stored tags say which `case_tags` rows to remove, before the row changes.
        self.tx
            .prepare_cached(
                "DELETE FROM case_tags WHERE case_id = ?1
                   AND tag IN (SELECT value FROM json_each((SELECT tags FROM cases WHERE id = ?1)))",
            )?
            .execute([&c.id])?;
        let mut values = case_values(c);
        values.push(rfc3339(now).into());
        self.tx
            .prepare_cached(
                "UPDATE cases SET customer = ?2, severity = ?3, tier = ?4, title = ?5, opened_at = ?6, priority = ?7,
                 tags = ?8, status = ?9, first_response_at = ?10, closed_at = ?11, updated_at = ?12 WHERE id = ?1",
            )?
            .execute(params_from_iter(values))?;
        Ok(add_tags(&self.tx, c)?)
    }

    fn list_cases(&mut self, f: &CaseFilter) -> Result<Vec<Case>> {
        let (clause, values) = case_where(f);
        self.query(&format!("{CASE_SELECT}{clause} ORDER BY opened_at, id"), values, case_row)
    }

    fn open_cases_tagged(&mut self, tags: &[String], since: Option<DateTime<Utc>>) -> Result<Vec<Case>> {
        let sql = super::queries::tagged(since.is_some());
        let mut stmt = self.tx.prepare_cached(&sql)?;
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

    fn escalations_of(&mut self, case_id: &str) -> Result<Vec<Escalation>> {
        let sql = format!("SELECT {ESC_COLS} FROM escalations WHERE case_id = ?1 AND account IS NULL ORDER BY id");
        self.query(&sql, vec![case_id.to_string().into()], esc_row)
    }

    fn escalations_of_cases(&mut self, ids: &[String]) -> Result<Vec<Escalation>> {
        let sql = format!(
            "SELECT {ESC_COLS} FROM escalations WHERE case_id IN ({}) AND account IS NULL ORDER BY id",
            in_list(1)
        );
        self.query(&sql, vec![json(&ids).into()], esc_row)
    }

    fn insert_escalation(&mut self, e: &Escalation) -> Result<i64> {
        crate::ledger::storable_escalation(e)?;
        let cols: Vec<&str> = esc_cols().skip(1).collect();
        let sql = format!("INSERT INTO escalations ({}) VALUES ({})", cols.join(", "), marks(cols.len()));
        self.tx.prepare_cached(&sql)?.execute(params_from_iter(esc_values(e).into_iter().skip(1)))?;
        let id = self.tx.last_insert_rowid();
        count_rows(&self.tx, "escalations", 1)?;
        Ok(id)
    }

    fn update_escalation(&mut self, e: &Escalation) -> Result<()> {
        crate::ledger::storable_escalation(e)?;
        let sets: Vec<String> = esc_cols().enumerate().skip(1).map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
        let sql = format!("UPDATE escalations SET {} WHERE id = ?1", sets.join(", "));
        self.tx.prepare_cached(&sql)?.execute(params_from_iter(esc_values(e)))?;
        Ok(())
    }

    fn list_escalations(&mut self, f: &EscalationFilter) -> Result<Vec<Escalation>> {
        let mut clauses = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        if !f.states.is_empty() {
            let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
            values.push(json(&states).into());
            clauses.push(format!("state IN ({})", in_list(values.len())));
        }
        if let Some(b) = &f.due {
            clauses.push(super::queries::due_where(b, &mut values));
        }
        let mut add = |v: Value, cond: &str| {
            values.push(v);
            clauses.push(format!("{cond} ?{}", values.len()));
        };
        if let Some(l) = f.level {
            add(i64::from(l).into(), "level =");
        }
        if let Some(d) = &f.destination {
            add(d.clone().into(), "destination =");
        }
        if let Some(c) = &f.case_id {
            add(c.clone().into(), "case_id =");
        }
        // Stored to the second: the bounds are too, rounded outwards.
        if let Some(t) = f.requested_since {
            add(rfc3339(t).into(), "requested_at >=");
        }
        if let Some(t) = f.requested_before {
            add(rfc3339(t + chrono::Duration::seconds(1)).into(), "requested_at <");
        }
        let clause = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        self.query(&format!("SELECT {ESC_COLS} FROM escalations{clause} ORDER BY id"), values, esc_row)
    }

    fn pauses_of(&mut self, case_id: &str) -> Result<Vec<Pause>> {
        let sql = "SELECT started_at, ended_at FROM pauses WHERE case_id = ?1 ORDER BY id";
        self.query(sql, vec![case_id.to_string().into()], |r| {
            Ok(Pause { start: time_at(r, 0)?, end: opt_time_at(r, 1)? })
        })
    }

    fn pauses_of_cases(&mut self, ids: &[String]) -> Result<HashMap<String, Vec<Pause>>> {
        let sql =
            format!("SELECT case_id, started_at, ended_at FROM pauses WHERE case_id IN ({}) ORDER BY id", in_list(1));
        let rows = self.query(&sql, vec![json(&ids).into()], |r| {
            Ok((r.get::<_, String>(0)?, Pause { start: time_at(r, 1)?, end: opt_time_at(r, 2)? }))
        })?;
        Ok(crate::ledger::store::by_case(rows))
    }

    fn start_pause(&mut self, case_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.insert_pause(case_id, &Pause { start: at, end: None })
    }

    fn insert_pause(&mut self, case_id: &str, p: &Pause) -> Result<()> {
        crate::ledger::storable(&format!("a pause of case {case_id}"), &[Some(p.start), p.end])?;
        self.tx
            .prepare_cached("INSERT INTO pauses (case_id, started_at, ended_at) VALUES (?1, ?2, ?3)")?
            .execute(params![case_id, rfc3339(p.start), p.end.map(rfc3339)])?;
        Ok(())
    }

    fn end_pause(&mut self, case_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.tx.execute(
            "UPDATE pauses SET ended_at = ?2 WHERE case_id = ?1 AND ended_at IS NULL",
            params![case_id, rfc3339(at)],
        )?;
        Ok(())
    }

    fn remember_policy(&mut self, p: &PolicyRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO policies (digest, origin, text, first_used_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![p.digest, p.origin, p.text, rfc3339(p.first_used_at)])?;
        Ok(())
    }

    fn append_event(&mut self, e: &NewEvent) -> Result<i64> {
        self.log_append(e)
    }

    fn last_event_at(&mut self, case_id: &str) -> Result<Option<DateTime<Utc>>> {
        self.log_last_at(case_id)
    }

    fn last_policy_use(&mut self) -> Result<Option<(String, String, DateTime<Utc>)>> {
        self.log_last_policy()
    }

    fn last_events_at(&mut self, ids: &[String]) -> Result<HashMap<String, DateTime<Utc>>> {
        self.log_last_at_of(ids)
    }

    fn events_of(&mut self, case_id: &str) -> Result<Vec<Event>> {
        self.log_of_case(case_id)
    }

    fn escalation_events(&mut self, escalations: &[i64], cases: &[String]) -> Result<Vec<Event>> {
        self.log_of_escalations(escalations, cases)
    }

    fn each_case(&mut self, since: Option<DateTime<Utc>>, each: Each<(Case, Vec<Pause>)>) -> anyhow::Result<()> {
        super::stream::cases(&self.tx, since, each)
    }

    fn each_escalation(&mut self, since: Option<DateTime<Utc>>, each: Each<Escalation>) -> anyhow::Result<()> {
        super::stream::escalations(&self.tx, since, each)
    }

    fn each_event(&mut self, since: Option<DateTime<Utc>>, each: Each<Event>) -> anyhow::Result<()> {
        super::stream::events(&self.tx, since, each)
    }

    fn each_case_event(&mut self, each: Each<Event>) -> anyhow::Result<()> {
        super::stream::case_events(&self.tx, each)
    }

    fn each_case_tag(&mut self, each: Each<(String, String)>) -> anyhow::Result<()> {
        super::stream::case_tags(&self.tx, each)
    }

    fn import_begin(&mut self) -> Result<crate::ledger::ImportStart> {
        super::bulk::begin(&self.tx)
    }

    fn import_remember(&mut self, seen: &[(String, u64)]) -> Result<()> {
        super::bulk::remember(&self.tx, seen)
    }

    fn import_seen(&mut self, ids: &[String]) -> Result<HashMap<String, i64>> {
        super::bulk::seen(&self.tx, ids)
    }

    fn import_written(&mut self, ids: &[String], start_seq: i64) -> Result<HashMap<String, Option<i64>>> {
        super::bulk::written(&self.tx, ids, start_seq)
    }

    fn import_cases(&mut self, rows: &[NewCase], meta: &EventMeta) -> Result<Vec<i64>> {
        super::bulk::cases(&self.tx, &mut self.stmts, rows, meta)
    }

    fn import_end(&mut self) -> Result<()> {
        super::bulk::end(&self.tx)
    }

    fn counts(&mut self) -> Result<Counts> {
        // Kept by every write (migration 5), so no table is scanned.
        let sql = "SELECT (SELECT n FROM row_counts WHERE name = 'cases'),
                          (SELECT n FROM row_counts WHERE name = 'escalations'),
                          (SELECT n FROM row_counts WHERE name = 'events')";
        let (cases, escalations, events): (Option<i64>, Option<i64>, Option<i64>) =
            self.tx.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(Counts {
            cases: cases.unwrap_or_default(),
            escalations: escalations.unwrap_or_default(),
            events: events.unwrap_or_default(),
        })
    }

    fn each_row(&mut self, each: Each<AnyRow>) -> anyhow::Result<()> {
        super::stream::rows(&self.tx, each)
    }

    fn put_row(&mut self, row: &AnyRow) -> Result<()> {
        super::stream::put_row(&self.tx, row)
    }

    fn finish_copy(&mut self) -> Result<()> {
        Ok(())
    }

    fn enqueue(&mut self, d: &crate::ledger::outbox::NewDelivery) -> Result<Option<i64>> {
        self.outbox_enqueue(d)
    }

    fn claim_deliveries(
        &mut self,
        which: crate::ledger::outbox::Claim,
        until: DateTime<Utc>,
    ) -> Result<Vec<crate::ledger::outbox::Delivery>> {
        self.outbox_claim(which, until)
    }

    fn settle_delivery(&mut self, s: &crate::ledger::outbox::Settled) -> Result<()> {
        self.outbox_settle(s)
    }

    fn requeue_delivery(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<crate::ledger::outbox::Requeued> {
        self.outbox_requeue(id, now, until)
    }

    fn deliveries(
        &mut self,
        which: crate::ledger::outbox::Listing,
        limit: i64,
    ) -> Result<Vec<crate::ledger::outbox::Delivery>> {
        self.outbox_list(which, limit)
    }

    fn first_hash(&mut self) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        let hash = self.tx.query_row("SELECT hash FROM events ORDER BY seq LIMIT 1", [], |r| r.get(0)).optional()?;
        Ok(hash.flatten())
    }

    fn each_stored_event(&mut self, each: Each<crate::ledger::StoredEvent>) -> anyhow::Result<()> {
        let mut stmt = self.tx.prepare(&format!("{EVENT_SELECT} ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(super::queries::stored_event_row(r)?)?;
        }
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit()?;
        crate::ledger::note_commit();
        Ok(())
    }

    fn hold_account(&mut self, _customer: &str) -> Result<()> {
        // A writing transaction holds the whole file already (begun immediate).
        Ok(())
    }

    fn account(&mut self, customer: &str) -> Result<Option<crate::roster::Account>> {
        super::accounts::account(&self.tx, customer)
    }

    fn put_account(&mut self, a: &crate::roster::Account) -> Result<()> {
        super::accounts::put_account(&self.tx, a)
    }

    fn accounts(&mut self) -> Result<Vec<crate::roster::Account>> {
        super::accounts::accounts(&self.tx)
    }

    fn add_shift(&mut self, s: &crate::roster::Shift) -> Result<i64> {
        super::accounts::add_shift(&self.tx, s, false)
    }

    fn shifts(&mut self) -> Result<Vec<crate::roster::Shift>> {
        super::accounts::shifts(&self.tx)
    }

    fn account_escalations(&mut self, customer: &str) -> Result<Vec<Escalation>> {
        super::accounts::account_escalations(&self.tx, customer)
    }

    fn policies(&mut self) -> Result<Vec<PolicyRow>> {
        self.query("SELECT digest, origin, text, first_used_at FROM policies ORDER BY digest", vec![], |r| {
            Ok(PolicyRow { digest: r.get(0)?, origin: r.get(1)?, text: r.get(2)?, first_used_at: time_at(r, 3)? })
        })
    }

    fn open_cases_within(&mut self, f: &CaseFilter, bounds: &[OpeningBound]) -> Result<Vec<Case>> {
        let open = CaseFilter { status: Some(crate::model::CaseStatus::Open), ..f.clone() };
        let (clause, values) = case_where(&open);
        let n = values.len();
        let mut out = Vec::new();
        for b in bounds {
            let mut values = values.clone();
            values.push(i64::from(b.severity).into());
            values.push(b.tier.clone().into());
            let mut sql = format!(
                "{CASE_SELECT}{clause} AND severity = ?{} AND tier = ?{} AND {}",
                n + 1,
                n + 2,
                super::queries::NOT_ESCALATED
            );
            if let Some(before) = b.before {
                // Whole seconds: the text order of the stored times is their time order.
                values.push(rfc3339(before).into());
                sql.push_str(&format!(" AND opened_at < ?{}", n + 3));
            }
            out.extend(self.query(&sql, values, case_row)?);
        }
        crate::ledger::store::by_opening(&mut out);
        Ok(out)
    }
}
