//! Bulk import on SQLite: the cases, tags, pauses and events of a batch through
//! statements prepared once that take many rows each; into an empty ledger the
//! secondary indexes of `cases` are built once, at the end, instead of row by row.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rusqlite::{Connection, OptionalExtension, params};

use super::queries::count_rows;
use super::raw::{Stmt, Val};
use crate::ledger::StoreError;
use crate::ledger::error::Result;
use crate::ledger::json;
use crate::ledger::store::{EventMeta, NewCase};
use crate::time::{push_rfc3339, rfc3339};

/// Rows per multi-row INSERT: fewer statement runs, well under SQLite's limit of bound values.
const ROWS: usize = 64;

/// The indexes of `cases` built after the load instead of row by row, once the
/// import is large beside the ledger: at once into an empty ledger, after a
/// batch that brings the import to an eighth of the cases already there (and at
/// least `LARGE`) otherwise. Inserting into an index of many rows touches pages
/// all over it; one pass over the table at the end does not, but costs the whole
/// table, so a small import keeps its indexes. (`events_case` stays: the import
/// looks events up by case while it runs.)
const DEFERRED: &[&str] = &["cases_customer", "cases_opened", "cases_open_by"];
const LARGE: i64 = 50_000;

/// Set an import up: its page cache, its temporary tables (the ids it has seen, the
/// indexes it deferred, how many cases the ledger held as it began); the indexes
/// deferred at once into an empty ledger. Where the import starts: its cases are
/// looked up by their key, kept through the load.
pub fn begin(tx: &Connection) -> Result<crate::ledger::ImportStart> {
    // A 24 MiB page cache keeps the indexes' hot pages in memory and the peak under 64 MiB
    // (32 MiB took an import into a ledger of 1,000,000 cases to 65 MiB).
    tx.execute_batch(
        "PRAGMA cache_size = -24576; PRAGMA temp_store = FILE; PRAGMA defer_foreign_keys = ON;
         CREATE TEMP TABLE import_seen (id TEXT PRIMARY KEY, line INTEGER) STRICT;
         CREATE TEMP TABLE import_indexes (sql TEXT NOT NULL) STRICT;
         CREATE TEMP TABLE import_state (before INTEGER NOT NULL) STRICT;
         INSERT INTO temp.import_state (before) SELECT n FROM main.row_counts WHERE name = 'cases';",
    )?;
    if before(tx)? == 0 {
        defer_indexes(tx)?;
    }
    let last_seq = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
    Ok(crate::ledger::ImportStart { last_seq, repeats_only: false })
}

/// Remember ids of the input (with their lines) for later batches.
pub fn remember(tx: &Connection, seen: &[(String, u64)]) -> Result<()> {
    let mut stmt = tx.prepare_cached("INSERT OR IGNORE INTO temp.import_seen (id, line) VALUES (?1, ?2)")?;
    for (id, line) in seen {
        stmt.execute(params![id, *line as i64])?;
    }
    Ok(())
}

/// Of `ids`, those remembered, with their first lines.
pub fn seen(tx: &Connection, ids: &[String]) -> Result<HashMap<String, i64>> {
    let sql = format!("SELECT id, line FROM temp.import_seen WHERE id IN ({})", super::queries::in_list(1));
    let mut stmt = tx.prepare(&sql)?;
    let rows = stmt.query_map([json(&ids)], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Of `ids`, the cases this import wrote (after `start_seq`), with their lines.
pub fn written(tx: &Connection, ids: &[String], start_seq: i64) -> Result<HashMap<String, Option<i64>>> {
    let sql = "SELECT json_extract(data, '$.imported_from.line') FROM events
               WHERE case_id = ?1 AND seq > ?2 ORDER BY seq LIMIT 1";
    let mut stmt = tx.prepare_cached(sql)?;
    let mut out = HashMap::new();
    for id in ids {
        if let Some(line) = stmt.query_row(params![id, start_seq], |r| r.get::<_, Option<i64>>(0)).optional()? {
            out.insert(id.clone(), line);
        }
    }
    Ok(out)
}

/// Build the deferred indexes; drop the temporary tables.
pub fn end(tx: &Connection) -> Result<()> {
    restore_indexes(tx)?;
    Ok(tx.execute_batch("DROP TABLE temp.import_seen; DROP TABLE temp.import_indexes; DROP TABLE temp.import_state")?)
}

fn before(tx: &Connection) -> rusqlite::Result<i64> {
    tx.query_row("SELECT coalesce((SELECT before FROM temp.import_state), 0)", [], |r| r.get(0))
}

/// Before a batch of `adding` cases: defer the indexes when the import grows large.
fn maybe_defer(tx: &Connection, adding: usize) -> Result<()> {
    let (now, deferred): (i64, bool) = tx.query_row(
        "SELECT (SELECT n FROM main.row_counts WHERE name = 'cases'), EXISTS (SELECT 1 FROM temp.import_indexes)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let before = before(tx)?;
    let written = now - before + adding as i64;
    if !deferred && written >= (before / 8).max(LARGE) {
        defer_indexes(tx)?;
    }
    Ok(())
}

/// Drop the deferred indexes, keeping their definitions in `temp.import_indexes`
/// for `restore_indexes`. All in the import's transaction: a refused import puts
/// them back by rolling back. A read-only (dry run) import keeps them.
fn defer_indexes(tx: &Connection) -> Result<()> {
    if tx.is_readonly("main")? {
        return Ok(());
    }
    for name in DEFERRED {
        let kept = tx.execute(
            "INSERT INTO temp.import_indexes (sql)
             SELECT sql FROM main.sqlite_master WHERE type = 'index' AND name = ?1 AND sql IS NOT NULL",
            [name],
        )?;
        if kept == 1 {
            tx.execute_batch(&format!("DROP INDEX main.{name}"))?;
        }
    }
    Ok(())
}

/// Build the indexes `defer_indexes` dropped, each in one pass over the table.
fn restore_indexes(tx: &Connection) -> Result<()> {
    // Building an index sorts in memory up to about the page cache's size, besides the
    // cache itself: a smaller cache keeps the peak where the load left it.
    // Two sorter threads: the machine's second core sorts while the first reads the table.
    tx.execute_batch("PRAGMA cache_size = -2048; PRAGMA threads = 2")?;
    let sqls: Vec<String> = {
        let mut stmt = tx.prepare("SELECT sql FROM temp.import_indexes ORDER BY rowid")?;
        stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    for sql in sqls {
        tx.execute_batch(&sql)?;
    }
    Ok(())
}

/// A column of a multi-row INSERT: a value of each row's own, or the `k`-th of
/// the values every row shares (bound once per statement, not once per row).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Own,
    Shared(usize),
}

/// A multi-row INSERT's head, columns, shared values and rows.
type Shape = (String, Vec<Col>, usize, usize);

/// The multi-row INSERTs of a transaction's import, prepared once each (a
/// statement of 64 rows has hundreds of parameters to number and parse) and
/// finalized with the transaction.
pub struct Statements<'c> {
    conn: &'c Connection,
    by_shape: HashMap<Shape, Stmt<'c>>,
}

impl<'c> Statements<'c> {
    pub fn new(conn: &'c Connection) -> Self {
        Statements { conn, by_shape: HashMap::new() }
    }

    /// `INSERT {head} VALUES (...), ...` for `n` rows: the shared values first (`?1`...),
    /// then each row's own, numbered on.
    fn get(&mut self, head: &str, cols: &[Col], shared: usize, n: usize) -> rusqlite::Result<&mut Stmt<'c>> {
        let key = (head.to_string(), cols.to_vec(), shared, n);
        match self.by_shape.entry(key) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(e) => Ok(e.insert(Stmt::prepare(self.conn, &statement_text(head, cols, shared, n))?)),
        }
    }
}

fn statement_text(head: &str, cols: &[Col], shared: usize, n: usize) -> String {
    let own = cols.iter().filter(|c| matches!(c, Col::Own)).count();
    let tuple = |i: usize| {
        let mut next = shared + i * own;
        let params: Vec<String> = cols
            .iter()
            .map(|c| match c {
                Col::Shared(k) => format!("?{}", k + 1),
                Col::Own => {
                    next += 1;
                    format!("?{next}")
                }
            })
            .collect();
        format!("({})", params.join(", "))
    };
    format!("{head} VALUES {}", (0..n).map(tuple).collect::<Vec<_>>().join(", "))
}

/// Run `INSERT {head} VALUES (...), (...)` over `values`, a row every `Col::Own` of
/// `cols`, `ROWS` rows a statement; the values bound where they lie (`raw`).
fn insert_many<'v>(
    stmts: &mut Statements,
    head: &str,
    cols: &[Col],
    shared: &[Val<'v>],
    values: &[Val<'v>],
) -> rusqlite::Result<()> {
    let own = cols.iter().filter(|c| matches!(c, Col::Own)).count().max(1);
    let mut bound: Vec<Val<'v>> = Vec::with_capacity(shared.len() + ROWS * own);
    let mut run = |stmt: &mut Stmt, chunk: &[Val<'v>]| {
        bound.clear();
        bound.extend_from_slice(shared);
        bound.extend_from_slice(chunk);
        stmt.run(&bound)
    };
    let mut chunks = values.chunks_exact(ROWS * own);
    if chunks.len() > 0 {
        let full = stmts.get(head, cols, shared.len(), ROWS)?;
        for chunk in chunks.by_ref() {
            run(full, chunk)?;
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        run(stmts.get(head, cols, shared.len(), rest.len() / own)?, rest)?;
    }
    Ok(())
}

/// The text columns of a batch's cases (opened, tags, first response, closed),
/// written one after another into one buffer: not four strings a case.
struct CaseTexts {
    buf: Vec<u8>,
    spans: Vec<Option<(usize, usize)>>,
}

impl CaseTexts {
    fn new(rows: &[NewCase]) -> Result<Self> {
        let mut t = CaseTexts { buf: Vec::with_capacity(rows.len() * 64), spans: Vec::with_capacity(rows.len() * 4) };
        let span = |t: &mut CaseTexts, at: Option<chrono::DateTime<chrono::Utc>>| {
            let start = t.buf.len();
            if let Some(at) = at {
                push_rfc3339(&mut t.buf, at);
            }
            t.spans.push(at.map(|_| (start, t.buf.len())));
        };
        for r in rows {
            let c = r.case();
            span(&mut t, Some(c.opened_at));
            let start = t.buf.len();
            serde_json::to_writer(&mut t.buf, &c.tags).map_err(|e| StoreError::Data(e.to_string()))?;
            t.spans.push(Some((start, t.buf.len())));
            span(&mut t, c.first_response_at);
            span(&mut t, c.closed_at);
        }
        Ok(t)
    }

    /// The four values of each case, in order, as text.
    fn values(&self) -> Result<Vec<Val<'_>>> {
        let text = std::str::from_utf8(&self.buf).map_err(|e| StoreError::Data(e.to_string()))?;
        Ok(self
            .spans
            .iter()
            .map(|s| s.map_or(Val::Null, |(a, b)| Val::Text(text.get(a..b).unwrap_or_default())))
            .collect())
    }
}

/// The cases of a batch with their tags, pauses and events; the row counts moved
/// once. Returns the seq of each case's case-added event.
pub fn cases(tx: &Connection, stmts: &mut Statements, rows: &[NewCase], meta: &EventMeta) -> Result<Vec<i64>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    maybe_defer(tx, rows.len())?;
    let at = rfc3339(meta.at);
    for r in rows {
        crate::ledger::storable_case(r.case())?;
        for p in r.pauses() {
            crate::ledger::storable(&format!("a pause of case {}", r.case().id), &[Some(p.start), p.end])?;
        }
    }
    let texts = CaseTexts::new(rows)?;
    let texts = texts.values()?;
    // The events are hashed on another thread while the cases, tags and pauses are written.
    let head = super::chain::head(tx)?;
    let seqs = crate::ledger::store::added_seqs(rows, head.0);
    let head_hash = head.1.clone();
    let (links, ()) =
        crate::ledger::chain_links_beside(rows, meta, head, || write_cases(tx, stmts, rows, &texts, &at))?;
    let mut event_rows: Vec<Val> = Vec::with_capacity(links.len() * 6);
    for (l, prev) in crate::ledger::with_prev(&head_hash, &links) {
        let Some(r) = rows.get(l.row) else { continue };
        event_rows.extend([Val::Int(l.seq), (&r.case().id).into(), l.kind.into(), l.data.into()]);
        event_rows.extend([Val::from(prev), Val::from(&l.hash)]);
    }
    // When, who and under which policy: the same for every event of the import.
    let events = "INSERT OR FAIL INTO events (seq, at, actor, case_id, kind, data, policy_digest, prev_hash, hash)";
    let (own, shared) = (Col::Own, Col::Shared);
    let cols = [own, shared(0), shared(1), own, own, own, shared(2), own, own];
    insert_many(stmts, events, &cols, &[Val::from(&at), meta.actor.into(), meta.policy_digest.into()], &event_rows)?;
    count_rows(tx, "cases", rows.len() as i64)?;
    count_rows(tx, "events", (event_rows.len() / 6) as i64)?;
    Ok(seqs)
}

/// The rows of `cases`, `case_tags` and `pauses` for a batch.
fn write_cases(tx: &Connection, stmts: &mut Statements, rows: &[NewCase], texts: &[Val], at: &str) -> Result<()> {
    let mut case_rows: Vec<Val> = Vec::with_capacity(rows.len() * 11);
    let mut tag_rows: Vec<Val> = Vec::with_capacity(rows.len() * 4);
    for (r, t) in rows.iter().zip(texts.chunks_exact(4)) {
        let c = r.case();
        case_rows.extend([(&c.id).into(), (&c.customer).into(), Val::Int(i64::from(c.severity)), (&c.tier).into()]);
        case_rows.extend([Val::from(&c.title), t[0], c.priority.as_str().into(), t[1]]);
        case_rows.extend([Val::from(c.status.as_str()), t[2], t[3]]);
        // The open cases' tags only: the tags' index serves a case's open peers.
        if c.status == crate::model::CaseStatus::Open {
            for tag in &c.tags {
                tag_rows.extend([Val::from(tag), Val::from(&c.id)]);
            }
        }
    }
    let cols = "id, customer, severity, tier, title, opened_at, priority, tags, status, first_response_at, \
                closed_at, created_at, updated_at";
    // OR FAIL, and foreign keys not checked row by row (`Ledger::begin_bulk`): a statement
    // that fails ends the import, which rolls back whole, so none needs a journal to undo it.
    // Created and updated now, every one.
    let mut columns = [Col::Own; 13];
    columns[11..].copy_from_slice(&[Col::Shared(0), Col::Shared(0)]);
    insert_many(stmts, &format!("INSERT OR FAIL INTO cases ({cols})"), &columns, &[at.into()], &case_rows)?;
    insert_many(stmts, "INSERT OR IGNORE INTO case_tags (tag, case_id)", &[Col::Own; 2], &[], &tag_rows)?;
    let mut pause = tx.prepare_cached("INSERT INTO pauses (case_id, started_at, ended_at) VALUES (?1, ?2, ?3)")?;
    for r in rows {
        for p in r.pauses() {
            pause.execute(params![r.case().id, rfc3339(p.start), p.end.map(rfc3339)])?;
        }
    }
    Ok(())
}
