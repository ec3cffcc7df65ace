//! The SQLite transaction: the storage seam's operations as SQL. Times are
//! stored as RFC 3339 text, JSON values as text.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::types::{Type, Value};
use rusqlite::{OptionalExtension, Row, params, params_from_iter};

use crate::ledger::error::Result;
use crate::ledger::store::{
    CaseFilter, Counts, Each, EscalationFilter, EventMeta, NewCase, NewEvent, PolicyRow, Row as AnyRow, Txn,
};
use crate::model::{Case, Escalation, Event, Pause};
use crate::time::rfc3339;

pub struct SqliteTxn<'a> {
    pub tx: rusqlite::Transaction<'a>,
}

fn conv<E: std::fmt::Display>(idx: usize, e: E) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, e.to_string().into())
}

pub(super) fn time_at(row: &Row, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = row.get(idx)?;
    DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(|e| conv(idx, e))
}

pub(super) fn opt_time_at(row: &Row, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(|e| conv(idx, e))).transpose()
}

fn parsed<T: std::str::FromStr>(row: &Row, idx: usize) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.get(idx)?;
    s.parse().map_err(|e| conv(idx, e))
}

fn json_at<T: serde::de::DeserializeOwned>(row: &Row, idx: usize) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s).map_err(|e| conv(idx, e))
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// `?1, ?2, ...` for a list of `n` values.
fn marks(n: usize) -> String {
    (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

// ---- cases ----------------------------------------------------------------

const CASE_COLS: &str =
    "id, customer, severity, tier, title, opened_at, priority, tags, status, first_response_at, closed_at";
pub(super) const CASE_SELECT: &str = "SELECT id, customer, severity, tier, title, opened_at, priority, tags, status,
    (SELECT started_at FROM pauses p WHERE p.case_id = cases.id AND p.ended_at IS NULL ORDER BY p.id DESC LIMIT 1),
    first_response_at, closed_at
    FROM cases";

pub(super) fn case_row(row: &Row) -> rusqlite::Result<Case> {
    Ok(Case {
        id: row.get(0)?,
        customer: row.get(1)?,
        severity: row.get(2)?,
        tier: row.get(3)?,
        title: row.get(4)?,
        opened_at: time_at(row, 5)?,
        priority: parsed(row, 6)?,
        tags: json_at(row, 7)?,
        status: parsed(row, 8)?,
        waiting_since: opt_time_at(row, 9)?,
        first_response_at: opt_time_at(row, 10)?,
        closed_at: opt_time_at(row, 11)?,
    })
}

/// A case's columns in `CASE_COLS` order.
pub(super) fn case_values(c: &Case) -> Vec<Value> {
    vec![
        c.id.clone().into(),
        c.customer.clone().into(),
        i64::from(c.severity).into(),
        c.tier.clone().into(),
        c.title.clone().into(),
        rfc3339(c.opened_at).into(),
        c.priority.as_str().to_string().into(),
        json(&c.tags).into(),
        c.status.as_str().to_string().into(),
        c.first_response_at.map(rfc3339).into(),
        c.closed_at.map(rfc3339).into(),
    ]
}

pub(super) fn insert_case_at(
    tx: &rusqlite::Connection,
    c: &Case,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> Result<()> {
    crate::ledger::storable_case(c)?;
    let mut values = case_values(c);
    values.push(rfc3339(created).into());
    values.push(rfc3339(updated).into());
    tx.prepare_cached(&format!("INSERT INTO cases ({CASE_COLS}, created_at, updated_at) VALUES ({})", marks(13)))?
        .execute(params_from_iter(values))?;
    Ok(add_tags(tx, c)?)
}

/// A case's tags into `case_tags`.
fn add_tags(tx: &rusqlite::Connection, c: &Case) -> rusqlite::Result<()> {
    let mut add = tx.prepare_cached("INSERT OR IGNORE INTO case_tags (tag, case_id) VALUES (?1, ?2)")?;
    for t in &c.tags {
        add.execute([t, &c.id])?;
    }
    Ok(())
}

/// `WHERE` clauses for the filters given, and their values: an index serves each.
fn case_where(f: &CaseFilter) -> (String, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut add = |clause: &str, v: Value| {
        values.push(v);
        clauses.push(format!("{clause} ?{}", values.len()));
    };
    if let Some(s) = f.status {
        add("status =", s.as_str().to_string().into());
    }
    if let Some(c) = &f.customer {
        add("customer =", c.clone().into());
    }
    if let Some(t) = &f.tier {
        add("tier =", t.clone().into());
    }
    if let Some(s) = f.severity {
        add("severity =", i64::from(s).into());
    }
    if let Some(p) = f.priority {
        add("priority =", p.as_str().to_string().into());
    }
    let sql = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (sql, values)
}

// ---- escalations ----------------------------------------------------------

pub(super) const ESC_COLS: &str = "id, case_id, level, state, destination, reason, description, fields, requested_by, \
    requested_at, level_since, review_due_at, owner, decided_by, decided_at, decision_note, closed_at, \
    raised_by, decision, last_update_at, next_touch_at, handoff_note, package, touch_since";

pub(super) fn esc_row(row: &Row) -> rusqlite::Result<Escalation> {
    Ok(Escalation {
        id: row.get(0)?,
        case_id: row.get(1)?,
        level: row.get(2)?,
        state: parsed(row, 3)?,
        destination: row.get(4)?,
        reason: row.get(5)?,
        description: row.get(6)?,
        fields: json_at(row, 7)?,
        requested_by: row.get(8)?,
        requested_at: time_at(row, 9)?,
        level_since: time_at(row, 10)?,
        review_due_at: opt_time_at(row, 11)?,
        owner: row.get(12)?,
        decided_by: row.get(13)?,
        decided_at: opt_time_at(row, 14)?,
        decision_note: row.get(15)?,
        closed_at: opt_time_at(row, 16)?,
        raised_by: row.get::<_, Option<String>>(17)?.unwrap_or_else(|| row.get(8).unwrap_or_default()),
        decision: row.get(18)?,
        last_update_at: opt_time_at(row, 19)?,
        next_touch_at: opt_time_at(row, 20)?,
        handoff_note: row.get(21)?,
        package: json_at(row, 22)?,
        touch_since: opt_time_at(row, 23)?,
    })
}

/// An escalation's columns in `ESC_COLS` order, with `id`.
pub(super) fn esc_values(e: &Escalation) -> Vec<Value> {
    vec![
        e.id.into(),
        e.case_id.clone().into(),
        i64::from(e.level).into(),
        e.state.as_str().to_string().into(),
        e.destination.clone().into(),
        e.reason.clone().into(),
        e.description.clone().into(),
        json(&e.fields).into(),
        e.requested_by.clone().into(),
        rfc3339(e.requested_at).into(),
        rfc3339(e.level_since).into(),
        e.review_due_at.map(rfc3339).into(),
        e.owner.clone().into(),
        e.decided_by.clone().into(),
        e.decided_at.map(rfc3339).into(),
        e.decision_note.clone().into(),
        e.closed_at.map(rfc3339).into(),
        e.raised_by.clone().into(),
        e.decision.clone().into(),
        e.last_update_at.map(rfc3339).into(),
        e.next_touch_at.map(rfc3339).into(),
        e.handoff_note.clone().into(),
        json(&e.package).into(),
        e.touch_since.map(rfc3339).into(),
    ]
}

fn esc_cols() -> impl Iterator<Item = &'static str> {
    ESC_COLS.split(',').map(str::trim)
}

pub(super) fn insert_escalation_with_id(tx: &rusqlite::Connection, e: &Escalation) -> Result<()> {
    crate::ledger::storable_escalation(e)?;
    let cols: Vec<&str> = esc_cols().collect();
    tx.prepare_cached(&format!("INSERT INTO escalations ({}) VALUES ({})", cols.join(", "), marks(cols.len())))?
        .execute(params_from_iter(esc_values(e)))?;
    Ok(())
}

// ---- events ---------------------------------------------------------------

pub(super) const EVENT_SELECT: &str =
    "SELECT seq, at, actor, case_id, escalation_id, kind, data, policy_digest FROM events";

pub(super) fn stored_event_row(row: &Row) -> rusqlite::Result<crate::ledger::store::StoredEvent> {
    Ok(crate::ledger::store::StoredEvent {
        seq: row.get(0)?,
        at: time_at(row, 1)?,
        actor: row.get(2)?,
        case_id: row.get(3)?,
        escalation: row.get(4)?,
        kind: row.get(5)?,
        data: row.get(6)?,
        policy_digest: row.get(7)?,
    })
}

pub(super) fn event_row(row: &Row) -> rusqlite::Result<Event> {
    let s = stored_event_row(row)?;
    Event::from_stored(s).map_err(|e| conv(6, e))
}

fn in_list(n: usize) -> String {
    format!("SELECT value FROM json_each(?{n})")
}

impl SqliteTxn<'_> {
    fn query<T>(&self, sql: &str, values: Vec<Value>, f: fn(&Row) -> rusqlite::Result<T>) -> Result<Vec<T>> {
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
        self.query(&format!("{CASE_SELECT} WHERE id IN ({})", in_list(1)), vec![json(&ids).into()], case_row)
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
        // With a window, the recent cases are few: walk them by opening time. Without one,
        // walk the tag's cases.
        let sql = match since {
            Some(_) => format!(
                // `+status` keeps the planner off the status index, onto the opening time's.
                "{CASE_SELECT} WHERE opened_at >= ?2 AND +status = 'open'
                   AND EXISTS (SELECT 1 FROM case_tags t WHERE t.tag = ?1 AND t.case_id = cases.id)"
            ),
            None => format!(
                "{CASE_SELECT} WHERE status = 'open' AND ?2 IS NULL
                   AND id IN (SELECT case_id FROM case_tags WHERE tag = ?1)"
            ),
        };
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
        let sql = format!("SELECT {ESC_COLS} FROM escalations WHERE case_id = ?1 ORDER BY id");
        self.query(&sql, vec![case_id.to_string().into()], esc_row)
    }

    fn escalations_of_cases(&mut self, ids: &[String]) -> Result<Vec<Escalation>> {
        let sql = format!("SELECT {ESC_COLS} FROM escalations WHERE case_id IN ({}) ORDER BY id", in_list(1));
        self.query(&sql, vec![json(&ids).into()], esc_row)
    }

    fn insert_escalation(&mut self, e: &Escalation) -> Result<i64> {
        crate::ledger::storable_escalation(e)?;
        let cols: Vec<&str> = esc_cols().skip(1).collect();
        let sql = format!("INSERT INTO escalations ({}) VALUES ({})", cols.join(", "), marks(cols.len()));
        self.tx.prepare_cached(&sql)?.execute(params_from_iter(esc_values(e).into_iter().skip(1)))?;
        Ok(self.tx.last_insert_rowid())
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
        if let Some(l) = f.level {
            values.push(i64::from(l).into());
            clauses.push(format!("level = ?{}", values.len()));
        }
        if let Some(d) = &f.destination {
            values.push(d.clone().into());
            clauses.push(format!("destination = ?{}", values.len()));
        }
        if let Some(c) = &f.case_id {
            values.push(c.clone().into());
            clauses.push(format!("case_id = ?{}", values.len()));
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
        let mut out: HashMap<String, Vec<Pause>> = HashMap::new();
        for (id, p) in rows {
            out.entry(id).or_default().push(p);
        }
        Ok(out)
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
        crate::ledger::storable(&format!("an event of case {}", e.case_id), &[Some(e.at)])?;
        self.tx
            .prepare_cached(
                "INSERT INTO events (at, actor, case_id, escalation_id, kind, data, policy_digest)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![rfc3339(e.at), e.actor, e.case_id, e.escalation, e.kind, e.data, e.policy_digest])?;
        Ok(self.tx.last_insert_rowid())
    }

    fn last_event_at(&mut self, case_id: &str) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT at FROM events WHERE case_id = ?1 ORDER BY seq DESC LIMIT 1";
        Ok(self.tx.prepare_cached(sql)?.query_row([case_id], |r| time_at(r, 0)).optional()?)
    }

    fn last_events_at(&mut self, ids: &[String]) -> Result<HashMap<String, DateTime<Utc>>> {
        let sql =
            "SELECT case_id, (SELECT at FROM events e WHERE e.case_id = ids.value ORDER BY seq DESC LIMIT 1) AS at
             FROM (SELECT value, value AS case_id FROM json_each(?1)) AS ids WHERE at IS NOT NULL";
        let rows = self.query(sql, vec![json(&ids).into()], |r| Ok((r.get::<_, String>(0)?, time_at(r, 1)?)))?;
        Ok(rows.into_iter().collect())
    }

    fn events_of(&mut self, case_id: &str) -> Result<Vec<Event>> {
        self.query(
            &format!("{EVENT_SELECT} WHERE case_id = ?1 ORDER BY seq"),
            vec![case_id.to_string().into()],
            event_row,
        )
    }

    fn events_of_cases(&mut self, ids: &[String]) -> Result<Vec<Event>> {
        let sql = format!("{EVENT_SELECT} WHERE case_id IN ({}) ORDER BY seq", in_list(1));
        self.query(&sql, vec![json(&ids).into()], event_row)
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

    fn import_begin(&mut self) -> Result<i64> {
        // A 32 MiB page cache keeps the indexes' hot pages in memory; memory stays bounded.
        self.tx.execute_batch(
            "PRAGMA cache_size = -32768; PRAGMA temp_store = FILE;
             CREATE TEMP TABLE import_seen (id TEXT PRIMARY KEY, line INTEGER) STRICT;",
        )?;
        Ok(self.tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?)
    }

    fn import_remember(&mut self, seen: &[(String, u64)]) -> Result<()> {
        let mut stmt = self.tx.prepare_cached("INSERT OR IGNORE INTO temp.import_seen (id, line) VALUES (?1, ?2)")?;
        for (id, line) in seen {
            stmt.execute(params![id, *line as i64])?;
        }
        Ok(())
    }

    fn import_seen(&mut self, ids: &[String]) -> Result<HashMap<String, i64>> {
        let sql = format!("SELECT id, line FROM temp.import_seen WHERE id IN ({})", in_list(1));
        Ok(self.query(&sql, vec![json(&ids).into()], |r| Ok((r.get(0)?, r.get(1)?)))?.into_iter().collect())
    }

    fn import_written(&mut self, ids: &[String], start_seq: i64) -> Result<HashMap<String, Option<i64>>> {
        let sql = "SELECT json_extract(data, '$.imported_from.line') FROM events
                   WHERE case_id = ?1 AND seq > ?2 ORDER BY seq LIMIT 1";
        let mut stmt = self.tx.prepare_cached(sql)?;
        let mut out = HashMap::new();
        for id in ids {
            if let Some(line) = stmt.query_row(params![id, start_seq], |r| r.get::<_, Option<i64>>(0)).optional()? {
                out.insert(id.clone(), line);
            }
        }
        Ok(out)
    }

    fn import_cases(&mut self, rows: &[NewCase], meta: &EventMeta) -> Result<()> {
        let at = rfc3339(meta.at);
        for r in rows {
            insert_case_at(&self.tx, &r.case, meta.at, meta.at)?;
            for p in &r.pauses {
                self.insert_pause(&r.case.id, p)?;
            }
            let mut add = self.tx.prepare_cached(
                "INSERT INTO events (at, actor, case_id, escalation_id, kind, data, policy_digest)
                 VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6)",
            )?;
            for (kind, data) in &r.events {
                add.execute(params![at, meta.actor, r.case.id, kind, data, meta.policy_digest])?;
            }
        }
        Ok(())
    }

    fn import_end(&mut self) -> Result<()> {
        Ok(self.tx.execute_batch("DROP TABLE temp.import_seen")?)
    }

    fn counts(&mut self) -> Result<Counts> {
        let count = |t: &str| self.tx.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0));
        Ok(Counts { cases: count("cases")?, escalations: count("escalations")?, events: count("events")? })
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

    fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit()?;
        crate::ledger::note_commit();
        Ok(())
    }
}
