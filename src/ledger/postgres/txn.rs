//! The storage seam on PostgreSQL: `Txn` for `PgTxn`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::filters::{DueValues, case_where};
use super::queries::{
    CASE_COLS, CaseValues, ESC_COLS, ESC_WRITE, EVENT_COLS, EscValues, Param, PgTxn, bad, case_row, esc_row, event_row,
};
use crate::ledger::error::{Result, StoreError};
use crate::ledger::store::{
    CaseFilter, Counts, Each, EscalationFilter, EventMeta, NewCase, NewEvent, PolicyRow, Row as AnyRow, Txn,
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

pub(super) fn pause_row(r: &postgres::Row, from: usize) -> Pause {
    Pause { start: r.get(from), end: r.get(from + 1) }
}

impl Txn for PgTxn<'_> {
    fn case(&mut self, id: &str) -> Result<Option<Case>> {
        self.cases_key()?;
        // A writer holds the case's row until it commits: the checks it makes stay true.
        let lock = if self.write { " FOR UPDATE OF cases" } else { "" };
        let sql = format!("SELECT {CASE_COLS} FROM cases WHERE id = $1{lock}");
        Ok(self.rows(&sql, &[&id], case_row)?.into_iter().next())
    }

    fn cases(&mut self, ids: &[String]) -> Result<Vec<Case>> {
        self.cases_key()?;
        if let Some((low, high)) = crate::ledger::key_range(ids) {
            let sql = "SELECT EXISTS (SELECT 1 FROM cases WHERE id BETWEEN $1 AND $2)";
            let any = self.rows(sql, &[low, high], |r| Ok(r.get::<_, bool>(0)))?;
            if any.first() == Some(&false) {
                return Ok(Vec::new());
            }
        }
        // The open ones from the open cases' own index (a few pages, where each case looked
        // up among all of them costs pages of the key), then the others: one statement, so
        // that both see one snapshot (each statement its own, as a write reads committed).
        let sql = format!(
            "WITH open AS (SELECT {CASE_COLS} FROM cases WHERE status = 'open' AND id = ANY($1))
             SELECT * FROM open UNION ALL
             SELECT {CASE_COLS} FROM cases WHERE status <> 'open'
               AND id = ANY(ARRAY(SELECT unnest($1::text[]) EXCEPT SELECT id FROM open))"
        );
        self.rows(&sql, &[&ids], case_row)
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
        let mut add = |v, cond: &str| {
            params.push(v);
            clauses.push(format!("{cond} ${}", params.len()));
        };
        if let Some(l) = &level {
            add(l, "level =");
        }
        if let Some(d) = &f.destination {
            add(d, "destination =");
        }
        if let Some(c) = &f.case_id {
            add(c, "case_id =");
        }
        if let Some(t) = &f.requested_since {
            add(t, "requested_at >=");
        }
        if let Some(t) = &f.requested_before {
            add(t, "requested_at <");
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

    fn each_case_event(&mut self, each: Each<Event>) -> anyhow::Result<()> {
        // Byte order, as cases' ids are kept (COLLATE "C"), whatever the database's collation.
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events WHERE kind IN ('case-added', 'case-updated', 'case-closed', 'case-reopened', 'paused', 'resumed')
             ORDER BY case_id COLLATE \"C\", seq"
        );
        self.stream(&sql, &[], |r| each(event_row(r)?))
    }

    fn each_case_tag(&mut self, each: Each<(String, String)>) -> anyhow::Result<()> {
        self.stream("SELECT case_id, tag FROM case_tags", &[], |r| each((r.get(0), r.get(1))))
    }

    fn import_begin(&mut self) -> Result<crate::ledger::ImportStart> {
        self.begin_import()
    }

    fn import_remember(&mut self, seen: &[(String, u64)]) -> Result<()> {
        self.remember_seen(seen)
    }

    fn import_seen(&mut self, ids: &[String]) -> Result<HashMap<String, i64>> {
        self.seen_before(ids)
    }

    fn import_written(&mut self, ids: &[String], start_seq: i64) -> Result<HashMap<String, Option<i64>>> {
        self.written_since(ids, start_seq)
    }

    fn import_cases(&mut self, rows: &[NewCase], meta: &EventMeta) -> Result<Vec<i64>> {
        self.copy_cases(rows, meta)
    }

    fn import_end(&mut self) -> Result<()> {
        self.end_import()
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
        self.rows_out(each)
    }

    fn put_row(&mut self, row: &AnyRow) -> Result<()> {
        self.row_in(row)
    }

    fn finish_copy(&mut self) -> Result<()> {
        self.rows_in_done()
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
        let rows =
            self.rows("SELECT hash FROM events ORDER BY seq LIMIT 1", &[], |r| Ok(r.get::<_, Option<String>>(0)))?;
        Ok(rows.into_iter().next().flatten())
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

    fn hold_account(&mut self, customer: &str) -> Result<()> {
        self.lock_account(customer)
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
