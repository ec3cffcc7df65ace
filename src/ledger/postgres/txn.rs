//! The storage seam on PostgreSQL: `Txn` for `PgTxn`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::queries::{
    CASE_COLS, CaseValues, DueValues, ESC_COLS, ESC_WRITE, EVENT_COLS, EscValues, Param, PgTxn, bad, case_row,
    case_where, esc_row, event_row, stored_event,
};
use crate::ledger::error::{Result, StoreError};
use crate::ledger::store::{
    CaseFilter, CaseRow, Counts, Each, EscalationFilter, EventMeta, NewCase, NewEvent, PolicyRow, Row as AnyRow, Txn,
};
use crate::model::{Case, Escalation, Event, OpeningBound, Pause};

/// A case's pauses as JSON text, beside its columns.
const PAUSES_JSON: &str =
    "(SELECT COALESCE(json_agg(json_build_object('started_at', p.started_at, 'ended_at', p.ended_at)
     ORDER BY p.id), '[]')::text FROM pauses p WHERE p.case_id = cases.id)";

fn pauses_from(text: &str) -> Result<Vec<Pause>> {
    #[derive(serde::Deserialize)]
    struct Raw {
        started_at: DateTime<Utc>,
        ended_at: Option<DateTime<Utc>>,
    }
    let raw: Vec<Raw> = serde_json::from_str(text).map_err(|e| bad("a case's pauses", e))?;
    Ok(raw.into_iter().map(|r| Pause { start: r.started_at, end: r.ended_at }).collect())
}

fn pause_row(r: &postgres::Row, from: usize) -> Pause {
    Pause { start: r.get(from), end: r.get(from + 1) }
}

impl Txn for PgTxn<'_> {
    fn case(&mut self, id: &str) -> Result<Option<Case>> {
        // A writer holds the case's row until it commits: the checks it makes stay true.
        let lock = if self.write { " FOR UPDATE OF cases" } else { "" };
        let sql = format!("SELECT {CASE_COLS} FROM cases WHERE id = $1{lock}");
        Ok(self.rows(&sql, &[&id], case_row)?.into_iter().next())
    }

    fn cases(&mut self, ids: &[String]) -> Result<Vec<Case>> {
        self.rows(&format!("SELECT {CASE_COLS} FROM cases WHERE id = ANY($1)"), &[&ids], case_row)
    }

    fn insert_case(&mut self, c: &Case, now: DateTime<Utc>) -> Result<()> {
        self.insert_case_at(c, now, now)
    }

    fn update_case(&mut self, c: &Case, now: DateTime<Utc>) -> Result<()> {
        crate::ledger::storable_case(c)?;
        self.exec("DELETE FROM case_tags WHERE case_id = $1", &[&c.id])?;
        let v = CaseValues::of(c);
        let mut params = v.params(c);
        params.push(&now);
        self.exec(
            "UPDATE cases SET customer = $2, severity = $3, tier = $4, title = $5, opened_at = $6, priority = $7,
             tags = $8::text::json, status = $9, first_response_at = $10, closed_at = $11, updated_at = $12 WHERE id = $1",
            &params,
        )?;
        self.add_tags(c)
    }

    fn list_cases(&mut self, f: &CaseFilter) -> Result<Vec<Case>> {
        let (clause, values) = case_where(f);
        let params: Vec<Param> = values.iter().map(|v| v.as_ref() as Param).collect();
        self.rows(&format!("SELECT {CASE_COLS} FROM cases{clause} ORDER BY opened_at, id"), &params, case_row)
    }

    fn open_cases_tagged(&mut self, tags: &[String], since: Option<DateTime<Utc>>) -> Result<Vec<Case>> {
        let tagged = "id IN (SELECT case_id FROM case_tags WHERE tag = ANY($1))";
        match since {
            Some(since) => self.rows(
                &format!("SELECT {CASE_COLS} FROM cases WHERE status = 'open' AND opened_at >= $2 AND {tagged}"),
                &[&tags, &since],
                case_row,
            ),
            None => self.rows(
                &format!("SELECT {CASE_COLS} FROM cases WHERE status = 'open' AND {tagged}"),
                &[&tags],
                case_row,
            ),
        }
    }

    fn escalations_of(&mut self, case_id: &str) -> Result<Vec<Escalation>> {
        self.rows(
            &format!("SELECT {ESC_COLS} FROM escalations WHERE case_id = $1 AND account IS NULL ORDER BY id"),
            &[&case_id],
            esc_row,
        )
    }

    fn escalations_of_cases(&mut self, ids: &[String]) -> Result<Vec<Escalation>> {
        self.rows(
            &format!("SELECT {ESC_COLS} FROM escalations WHERE case_id = ANY($1) AND account IS NULL ORDER BY id"),
            &[&ids],
            esc_row,
        )
    }

    fn insert_escalation(&mut self, e: &Escalation) -> Result<i64> {
        self.insert_escalation_row(e)
    }

    fn update_escalation(&mut self, e: &Escalation) -> Result<()> {
        crate::ledger::storable_escalation(e)?;
        let v = EscValues::of(e);
        let mut params = v.params(e);
        let sets: Vec<String> =
            ESC_WRITE.iter().enumerate().map(|(i, (c, cast))| format!("{c} = ${}{cast}", i + 1)).collect();
        params.push(&e.id);
        let sql = format!("UPDATE escalations SET {} WHERE id = ${}", sets.join(", "), params.len());
        self.exec(&sql, &params)?;
        Ok(())
    }

    fn list_escalations(&mut self, f: &EscalationFilter) -> Result<Vec<Escalation>> {
        let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
        let level = f.level.map(|l| l as i32);
        let mut clauses: Vec<String> = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        if !states.is_empty() {
            params.push(&states);
            clauses.push(format!("state = ANY(${})", params.len()));
        }
        if let Some(l) = &level {
            params.push(l);
            clauses.push(format!("level = ${}", params.len()));
        }
        if let Some(d) = &f.destination {
            params.push(d);
            clauses.push(format!("destination = ${}", params.len()));
        }
        if let Some(c) = &f.case_id {
            params.push(c);
            clauses.push(format!("case_id = ${}", params.len()));
        }
        if let Some(t) = &f.requested_since {
            params.push(t);
            clauses.push(format!("requested_at >= ${}", params.len()));
        }
        if let Some(t) = &f.requested_before {
            params.push(t);
            clauses.push(format!("requested_at < ${}", params.len()));
        }
        let due = f.due.as_ref().map(DueValues::new);
        if let Some(d) = &due {
            clauses.push(d.clause(&mut params));
        }
        let clause = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        self.rows(&format!("SELECT {ESC_COLS} FROM escalations{clause} ORDER BY id"), &params, esc_row)
    }

    fn pauses_of(&mut self, case_id: &str) -> Result<Vec<Pause>> {
        self.rows("SELECT started_at, ended_at FROM pauses WHERE case_id = $1 ORDER BY id", &[&case_id], |r| {
            Ok(pause_row(r, 0))
        })
    }

    fn pauses_of_cases(&mut self, ids: &[String]) -> Result<HashMap<String, Vec<Pause>>> {
        let sql = "SELECT case_id, started_at, ended_at FROM pauses WHERE case_id = ANY($1) ORDER BY id";
        let rows = self.rows(sql, &[&ids], |r| Ok((r.get::<_, String>(0), pause_row(r, 1))))?;
        Ok(crate::ledger::store::by_case(rows))
    }

    fn start_pause(&mut self, case_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.insert_pause(case_id, &Pause { start: at, end: None })
    }

    fn insert_pause(&mut self, case_id: &str, p: &Pause) -> Result<()> {
        crate::ledger::storable(&format!("a pause of case {case_id}"), &[Some(p.start), p.end])?;
        self.exec(
            "INSERT INTO pauses (case_id, started_at, ended_at) VALUES ($1, $2, $3)",
            &[&case_id, &p.start, &p.end],
        )?;
        Ok(())
    }

    fn end_pause(&mut self, case_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.exec("UPDATE pauses SET ended_at = $2 WHERE case_id = $1 AND ended_at IS NULL", &[&case_id, &at])?;
        Ok(())
    }

    fn remember_policy(&mut self, p: &PolicyRow) -> Result<()> {
        self.exec(
            "INSERT INTO policies (digest, origin, text, first_used_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&p.digest, &p.origin, &p.text, &p.first_used_at],
        )?;
        Ok(())
    }

    fn append_event(&mut self, e: &NewEvent) -> Result<i64> {
        crate::ledger::storable(&format!("an event of case {}", e.case_id), &[Some(e.at)])?;
        // The chain head is locked until commit: appends are one after another.
        let (last, prev) = super::chain::head(&mut self.tx)?;
        let seq = last + 1;
        let hash = crate::ledger::chain_hash(&prev, seq, e)?;
        let sql =
            "INSERT INTO events (seq, at, actor, case_id, escalation_id, kind, data, policy_digest, prev_hash, hash)
                   VALUES ($1, $2, $3, $4, $5, $6, $7::text::json, $8, $9, $10)";
        let params: [Param; 10] =
            [&seq, &e.at, &e.actor, &e.case_id, &e.escalation, &e.kind, &e.data, &e.policy_digest, &prev, &hash];
        self.exec(sql, &params)?;
        super::chain::set_head(&mut self.tx, &(seq, hash))?;
        Ok(seq)
    }

    fn last_event_at(&mut self, case_id: &str) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT at FROM events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1";
        Ok(self.rows(sql, &[&case_id], |r| Ok(r.get::<_, DateTime<Utc>>(0)))?.into_iter().next())
    }

    fn last_events_at(&mut self, ids: &[String]) -> Result<HashMap<String, DateTime<Utc>>> {
        let sql =
            "SELECT DISTINCT ON (case_id) case_id, at FROM events WHERE case_id = ANY($1) ORDER BY case_id, seq DESC";
        Ok(self.rows(sql, &[&ids], |r| Ok((r.get(0), r.get(1))))?.into_iter().collect())
    }

    fn events_of(&mut self, case_id: &str) -> Result<Vec<Event>> {
        self.rows(&format!("SELECT {EVENT_COLS} FROM events WHERE case_id = $1 ORDER BY seq"), &[&case_id], event_row)
    }

    fn events_of_cases(&mut self, ids: &[String]) -> Result<Vec<Event>> {
        self.rows(&format!("SELECT {EVENT_COLS} FROM events WHERE case_id = ANY($1) ORDER BY seq"), &[&ids], event_row)
    }

    fn each_case(&mut self, since: Option<DateTime<Utc>>, each: Each<(Case, Vec<Pause>)>) -> anyhow::Result<()> {
        let filter = if since.is_some() { " WHERE id IN (SELECT case_id FROM events WHERE at >= $1)" } else { "" };
        let sql = format!("SELECT {CASE_COLS}, {PAUSES_JSON} FROM cases{filter} ORDER BY id");
        let params: Vec<Param> = since.as_ref().map(|s| vec![s as Param]).unwrap_or_default();
        self.stream(&sql, &params, |r| each((case_row(r)?, pauses_from(r.get(12))?)))
    }

    fn each_escalation(&mut self, since: Option<DateTime<Utc>>, each: Each<Escalation>) -> anyhow::Result<()> {
        let filter = if since.is_some() {
            " WHERE id IN (SELECT escalation_id FROM events WHERE at >= $1 AND escalation_id IS NOT NULL)"
        } else {
            ""
        };
        let params: Vec<Param> = since.as_ref().map(|s| vec![s as Param]).unwrap_or_default();
        self.stream(&format!("SELECT {ESC_COLS} FROM escalations{filter} ORDER BY id"), &params, |r| each(esc_row(r)?))
    }

    fn each_event(&mut self, since: Option<DateTime<Utc>>, each: Each<Event>) -> anyhow::Result<()> {
        let filter = if since.is_some() { " WHERE at >= $1" } else { "" };
        let params: Vec<Param> = since.as_ref().map(|s| vec![s as Param]).unwrap_or_default();
        self.stream(&format!("SELECT {EVENT_COLS} FROM events{filter} ORDER BY seq"), &params, |r| each(event_row(r)?))
    }

    fn import_begin(&mut self) -> Result<i64> {
        self.tx.batch_execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_seen (id text PRIMARY KEY, line bigint) ON COMMIT DROP;
             CREATE TEMP TABLE IF NOT EXISTS import_indexes (def text NOT NULL) ON COMMIT DROP;",
        )?;
        // Into a ledger without cases, the cases' secondary indexes and the tags' key are
        // built once at the end (import_end) instead of row by row. Until the import commits,
        // the lock of the dropping holds other commands on `cases` and `case_tags` back; in a
        // ledger being filled for the first time.
        let empty = self.rows("SELECT NOT EXISTS (SELECT 1 FROM cases)", &[], |r| Ok(r.get::<_, bool>(0)))?[0];
        if self.write && empty {
            self.tx.batch_execute(
                "INSERT INTO import_indexes (def) SELECT indexdef FROM pg_indexes
                   WHERE schemaname = current_schema() AND tablename = 'cases'
                     AND indexname IN ('cases_customer', 'cases_opened', 'cases_open_by');
                 DROP INDEX IF EXISTS cases_customer, cases_opened, cases_open_by;
                 INSERT INTO import_indexes (def)
                   SELECT 'ALTER TABLE case_tags ADD CONSTRAINT case_tags_pkey ' || pg_get_constraintdef(c.oid)
                   FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                   WHERE t.relname = 'case_tags' AND t.relnamespace = current_schema()::regnamespace
                     AND c.conname = 'case_tags_pkey';
                 ALTER TABLE case_tags DROP CONSTRAINT IF EXISTS case_tags_pkey;",
            )?;
        }
        Ok(self.rows("SELECT COALESCE(MAX(seq), 0) FROM events", &[], |r| Ok(r.get::<_, i64>(0)))?[0])
    }

    fn import_remember(&mut self, seen: &[(String, u64)]) -> Result<()> {
        let ids: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
        let lines: Vec<i64> = seen.iter().map(|(_, l)| *l as i64).collect();
        self.exec(
            "INSERT INTO import_seen (id, line) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING",
            &[&ids, &lines],
        )?;
        Ok(())
    }

    fn import_seen(&mut self, ids: &[String]) -> Result<HashMap<String, i64>> {
        let rows =
            self.rows("SELECT id, line FROM import_seen WHERE id = ANY($1)", &[&ids], |r| Ok((r.get(0), r.get(1))))?;
        Ok(rows.into_iter().collect())
    }

    fn import_written(&mut self, ids: &[String], start_seq: i64) -> Result<HashMap<String, Option<i64>>> {
        let sql = "SELECT DISTINCT ON (case_id) case_id, (data->'imported_from'->>'line')::bigint FROM events
                   WHERE case_id = ANY($1) AND seq > $2 ORDER BY case_id, seq";
        let rows = self.rows(sql, &[&ids, &start_seq], |r| Ok((r.get(0), r.get(1))))?;
        Ok(rows.into_iter().collect())
    }

    fn import_cases(&mut self, rows: &[NewCase], meta: &EventMeta) -> Result<()> {
        let mut head = super::chain::head(&mut self.tx)?;
        super::copy::cases(&mut self.tx, rows, meta, &mut head)?;
        super::chain::set_head(&mut self.tx, &head)
    }

    fn import_end(&mut self) -> Result<()> {
        let defs = self.rows("SELECT def FROM import_indexes", &[], |r| Ok(r.get::<_, String>(0)))?;
        for def in defs {
            self.tx.batch_execute(&def)?;
        }
        Ok(self.tx.batch_execute("DROP TABLE IF EXISTS import_seen; DROP TABLE IF EXISTS import_indexes")?)
    }

    fn counts(&mut self) -> Result<Counts> {
        // Kept by triggers on every insert (migration 3), so no table is scanned.
        let sql = "SELECT (SELECT coalesce(sum(n), 0)::bigint FROM row_counts WHERE name = 'cases'),
                          (SELECT coalesce(sum(n), 0)::bigint FROM row_counts WHERE name = 'escalations'),
                          (SELECT coalesce(sum(n), 0)::bigint FROM row_counts WHERE name = 'events')";
        let c = self.rows(sql, &[], |r| Ok(Counts { cases: r.get(0), escalations: r.get(1), events: r.get(2) }))?;
        c.into_iter().next().ok_or_else(|| StoreError::Db("the counts query returned no row".into()))
    }

    fn each_row(&mut self, each: Each<AnyRow>) -> anyhow::Result<()> {
        self.stream("SELECT digest, origin, text, first_used_at FROM policies ORDER BY digest", &[], |r| {
            each(AnyRow::Policy(PolicyRow {
                digest: r.get(0),
                origin: r.get(1),
                text: r.get(2),
                first_used_at: r.get(3),
            }))
        })?;
        let sql = format!("SELECT {CASE_COLS}, created_at, updated_at FROM cases ORDER BY id");
        self.stream(&sql, &[], |r| {
            each(AnyRow::Case(Box::new(CaseRow { case: case_row(r)?, created_at: r.get(12), updated_at: r.get(13) })))
        })?;
        self.each_escalation(None, &mut |e| each(AnyRow::Escalation(Box::new(e))))?;
        self.stream("SELECT id, case_id, started_at, ended_at FROM pauses ORDER BY id", &[], |r| {
            each(AnyRow::Pause { id: r.get(0), case_id: r.get(1), pause: pause_row(r, 2) })
        })?;
        self.stream(&format!("SELECT {EVENT_COLS} FROM events ORDER BY seq"), &[], |r| {
            each(AnyRow::Event(stored_event(r)))
        })?;
        for a in self.all_accounts()? {
            each(AnyRow::Account(a))?;
        }
        for s in self.all_shifts()? {
            each(AnyRow::Shift(s))?;
        }
        Ok(())
    }

    fn put_row(&mut self, row: &AnyRow) -> Result<()> {
        // Rows of one table go out together, in one COPY per batch.
        let same = self.pending.first().is_none_or(|p| std::mem::discriminant(p) == std::mem::discriminant(row));
        if !same || self.pending.len() >= 5000 {
            self.flush_copy()?;
        }
        self.pending.push(row.clone());
        Ok(())
    }

    fn finish_copy(&mut self) -> Result<()> {
        self.flush_copy()?;
        for (table, col) in [("escalations", "id"), ("pauses", "id"), ("events", "seq"), ("oncall", "id")] {
            self.tx.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{col}'), COALESCE(MAX({col}), 0) + 1, false) FROM {table}"
            ))?;
        }
        super::chain::head_from_log(&mut self.tx)
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

    fn deliveries(
        &mut self,
        which: crate::ledger::outbox::Listing,
        limit: i64,
    ) -> Result<Vec<crate::ledger::outbox::Delivery>> {
        self.outbox_list(which, limit)
    }

    fn each_stored_event(&mut self, each: Each<crate::ledger::StoredEvent>) -> anyhow::Result<()> {
        self.stream(&format!("SELECT {EVENT_COLS} FROM events ORDER BY seq"), &[], |r| {
            each(super::queries::stored_event(r))
        })
    }

    fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit()?;
        crate::ledger::note_commit();
        Ok(())
    }

    fn account(&mut self, customer: &str) -> Result<Option<crate::roster::Account>> {
        self.get_account(customer)
    }

    fn put_account(&mut self, a: &crate::roster::Account) -> Result<()> {
        self.write_account(a)
    }

    fn accounts(&mut self) -> Result<Vec<crate::roster::Account>> {
        self.all_accounts()
    }

    fn add_shift(&mut self, s: &crate::roster::Shift) -> Result<i64> {
        self.insert_shift(s)
    }

    fn shifts(&mut self) -> Result<Vec<crate::roster::Shift>> {
        self.all_shifts()
    }

    fn account_escalations(&mut self, customer: &str) -> Result<Vec<Escalation>> {
        self.escalations_of_account(customer)
    }

    fn policies(&mut self) -> Result<Vec<PolicyRow>> {
        self.rows("SELECT digest, origin, text, first_used_at FROM policies ORDER BY digest", &[], |r| {
            Ok(PolicyRow { digest: r.get(0), origin: r.get(1), text: r.get(2), first_used_at: r.get(3) })
        })
    }

    fn open_cases_within(&mut self, f: &CaseFilter, bounds: &[OpeningBound]) -> Result<Vec<Case>> {
        let open = CaseFilter { status: Some(crate::model::CaseStatus::Open), ..f.clone() };
        let (clause, values) = case_where(&open);
        let n = values.len();
        let mut out = Vec::new();
        for b in bounds {
            let severity = b.severity as i32;
            let mut params: Vec<Param> = values.iter().map(|v| v.as_ref() as Param).collect();
            params.push(&severity);
            params.push(&b.tier);
            // Not a case with a requested or approved case escalation: no check passes it.
            let mut sql = format!(
                "SELECT {CASE_COLS} FROM cases{clause} AND severity = ${} AND tier = ${} AND NOT EXISTS (SELECT 1 FROM \
                 escalations e WHERE e.case_id = cases.id AND e.account IS NULL AND e.state IN ('requested', 'approved'))",
                n + 1,
                n + 2
            );
            if let Some(before) = &b.before {
                params.push(before);
                sql.push_str(&format!(" AND opened_at < ${}", n + 3));
            }
            out.extend(self.rows(&sql, &params, case_row)?);
        }
        crate::ledger::store::by_opening(&mut out);
        Ok(out)
    }
}
