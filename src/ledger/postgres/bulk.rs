//! Bulk writes on PostgreSQL: an import's temporary tables, the indexes and key
//! built after a load into an empty ledger and its batches sent by COPY; the
//! rows `ledger copy` streams out of a ledger and into another.

use std::collections::HashMap;

use super::queries::{CASE_COLS, EVENT_COLS, PgTxn, case_row, stored_event};
use super::txn::pause_row;
use crate::ledger::error::Result;
use crate::ledger::store::{CaseRow, Each, EventMeta, ImportStart, NewCase, PolicyRow, Row as AnyRow, Txn};

impl PgTxn<'_> {
    /// Set up an import: its temporary tables and, into an empty ledger, the indexes
    /// and keys dropped until `end_import` (the event log's by case, and the cases'
    /// key, until they are needed); where the import starts.
    pub(super) fn begin_import(&mut self) -> Result<ImportStart> {
        self.tx.batch_execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_seen (id text PRIMARY KEY, line bigint) ON COMMIT DROP;
             CREATE TEMP TABLE IF NOT EXISTS import_indexes (n serial, name text NOT NULL, def text NOT NULL,
               foreign_key boolean NOT NULL DEFAULT false) ON COMMIT DROP;",
        )?;
        let mut empty = self.no_cases()?;
        if self.write && empty {
            // Other writers of cases wait from here until the import commits, so that a
            // ledger found empty holds no case but the import's (readers wait too once
            // the keys below are dropped: a ledger being filled for the first time).
            self.tx.batch_execute("LOCK TABLE cases IN SHARE ROW EXCLUSIVE MODE")?;
            empty = self.no_cases()?;
        }
        // Into a ledger without cases, the cases' secondary indexes, their key and the
        // tags' key are built once at the end (import_end) instead of row by row, and so
        // are the event log's key and index when it is empty too. Until the import
        // commits, the lock of the dropping holds other commands on these tables back;
        // in a ledger being filled for the first time.
        if self.write && empty {
            self.tx.batch_execute(
                "INSERT INTO import_indexes (name, def) SELECT indexname, indexdef FROM pg_indexes
                   WHERE schemaname = current_schema() AND tablename = 'cases'
                     AND indexname IN ('cases_customer', 'cases_opened', 'cases_open_by');
                 DROP INDEX IF EXISTS cases_customer, cases_opened, cases_open_by;",
            )?;
            self.defer_key("case_tags", "case_tags_pkey")?;
            // What refers to the key first (put back after it).
            self.defer_key("pauses", "pauses_case_id_fkey")?;
            self.defer_key("escalations", "escalations_case_id_fkey")?;
            self.defer_key("cases", "cases_pkey")?;
            self.cases_key_deferred = true;
        }
        // Read after the dropping, which waits for an import that got there first to end.
        let last = self.rows("SELECT COALESCE(MAX(seq), 0) FROM events", &[], |r| Ok(r.get::<_, i64>(0)))?[0];
        if self.write && empty && last == 0 {
            self.defer_key("events", "events_pkey")?;
            self.tx.batch_execute(
                "INSERT INTO import_indexes (name, def) SELECT indexname, indexdef FROM pg_indexes
                   WHERE schemaname = current_schema() AND tablename = 'events' AND indexname = 'events_case';
                 DROP INDEX IF EXISTS events_case;",
            )?;
        }
        Ok(ImportStart { last_seq: last, repeats_only: self.cases_key_deferred })
    }

    fn no_cases(&mut self) -> Result<bool> {
        Ok(self.rows("SELECT NOT EXISTS (SELECT 1 FROM cases)", &[], |r| Ok(r.get::<_, bool>(0)))?[0])
    }

    /// The cases' key and what refers to it, built now if `begin_import` dropped them:
    /// before cases are looked up by id.
    pub(super) fn cases_key(&mut self) -> Result<()> {
        if std::mem::take(&mut self.cases_key_deferred) {
            for name in ["cases_pkey", "pauses_case_id_fkey", "escalations_case_id_fkey"] {
                self.restore(name)?;
            }
        }
        Ok(())
    }

    /// Drop the key `name` of `table` until `end_import`, keeping how to add it back.
    fn defer_key(&mut self, table: &str, name: &str) -> Result<()> {
        self.exec(
            "INSERT INTO import_indexes (name, def, foreign_key)
               SELECT c.conname, format('ALTER TABLE %I ADD CONSTRAINT %I ', t.relname, c.conname)
                                 || pg_get_constraintdef(c.oid), c.contype = 'f'
               FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
               WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND c.conname = $2",
            &[&table, &name],
        )?;
        self.tx.batch_execute(&format!("ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"))?;
        Ok(())
    }

    /// Build the index or key `name` now, if `begin_import` dropped it.
    fn restore(&mut self, name: &str) -> Result<()> {
        let defs = self.rows("DELETE FROM import_indexes WHERE name = $1 RETURNING def", &[&name], |r| {
            Ok(r.get::<_, String>(0))
        })?;
        for def in defs {
            self.tx.batch_execute(&def)?;
        }
        Ok(())
    }

    /// Remember ids of the input (with their lines) for later batches.
    pub(super) fn remember_seen(&mut self, seen: &[(String, u64)]) -> Result<()> {
        let ids: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
        let lines: Vec<i64> = seen.iter().map(|(_, l)| *l as i64).collect();
        self.exec(
            "INSERT INTO import_seen (id, line) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING",
            &[&ids, &lines],
        )?;
        Ok(())
    }

    /// Of `ids`, those remembered, with their first lines.
    pub(super) fn seen_before(&mut self, ids: &[String]) -> Result<HashMap<String, i64>> {
        let rows =
            self.rows("SELECT id, line FROM import_seen WHERE id = ANY($1)", &[&ids], |r| Ok((r.get(0), r.get(1))))?;
        Ok(rows.into_iter().collect())
    }

    /// Of `ids`, the cases this import wrote (after `start_seq`), with their lines.
    pub(super) fn written_since(&mut self, ids: &[String], start_seq: i64) -> Result<HashMap<String, Option<i64>>> {
        // Looked up by case: the index is needed from here on (and `last_events_at` after
        // this, for an update, finds it built).
        self.restore("events_case")?;
        let sql = "SELECT DISTINCT ON (case_id) case_id, (data::json->'imported_from'->>'line')::bigint FROM events
                   WHERE case_id = ANY($1) AND seq > $2 ORDER BY case_id, seq";
        let rows = self.rows(sql, &[&ids, &start_seq], |r| Ok((r.get(0), r.get(1))))?;
        Ok(rows.into_iter().collect())
    }

    /// A batch of new cases with their events, continuing the chain.
    pub(super) fn copy_cases(&mut self, rows: &[NewCase], meta: &EventMeta) -> Result<Vec<i64>> {
        let mut head = super::chain::head(&mut self.tx)?;
        let seqs = crate::ledger::store::added_seqs(rows, head.0);
        super::copy::cases(&mut self.tx, rows, meta, &mut head)?;
        super::chain::set_head(&mut self.tx, &head)?;
        Ok(seqs)
    }

    /// Build what `begin_import` dropped; drop the temporary tables.
    pub(super) fn end_import(&mut self) -> Result<()> {
        self.cases_key_deferred = false;
        let defs =
            self.rows("SELECT def FROM import_indexes ORDER BY foreign_key, n", &[], |r| Ok(r.get::<_, String>(0)))?;
        for def in defs {
            self.tx.batch_execute(&def)?;
        }
        Ok(self.tx.batch_execute("DROP TABLE IF EXISTS import_seen; DROP TABLE IF EXISTS import_indexes")?)
    }

    /// Every row of the ledger, table by table, for `ledger copy`.
    pub(super) fn rows_out(&mut self, each: Each<AnyRow>) -> anyhow::Result<()> {
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
        Txn::each_escalation(self, None, &mut |e| each(AnyRow::Escalation(Box::new(e))))?;
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
        let sql = format!("SELECT {} FROM outbox ORDER BY id", super::outbox::COLS);
        self.stream(&sql, &[], |r| each(AnyRow::Delivery(Box::new(super::outbox::row(r)?))))
    }

    /// A row `ledger copy` brings in, held until its table's batch is sent.
    pub(super) fn row_in(&mut self, row: &AnyRow) -> Result<()> {
        // Rows of one table go out together, in one COPY per batch.
        let same = self.pending.first().is_none_or(|p| std::mem::discriminant(p) == std::mem::discriminant(row));
        if !same || self.pending.len() >= 5000 {
            self.flush_copy()?;
        }
        self.pending.push(row.clone());
        Ok(())
    }

    /// The last batch sent; the sequences and the chain head set from the rows.
    pub(super) fn rows_in_done(&mut self) -> Result<()> {
        self.flush_copy()?;
        for (table, col) in
            [("escalations", "id"), ("pauses", "id"), ("events", "seq"), ("oncall", "id"), ("outbox", "id")]
        {
            self.tx.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{col}'), COALESCE(MAX({col}), 0) + 1, false) FROM {table}"
            ))?;
        }
        super::chain::head_from_log(&mut self.tx)
    }
}
