//! Bulk writes with `COPY ... FROM STDIN` in PostgreSQL's binary format: one
//! round trip per table for a whole batch of imported cases, or of the rows
//! `ledger copy` brings over.

use std::io::Write;

use chrono::{DateTime, Utc};
use postgres::Transaction;

use crate::ledger::error::{Result, StoreError};
use crate::ledger::json;
use crate::ledger::store::{EventMeta, NewCase, Row};

fn send(tx: &mut Transaction, sql: &str, data: &[u8]) -> Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    let mut w = tx.copy_in(sql)?;
    w.write_all(data).map_err(|e| StoreError::Db(format!("bulk write failed: {e}")))?;
    w.finish()?;
    Ok(())
}

/// Rows in COPY's binary format: the server takes each field as it is, with no
/// text to scan for escapes and no times to parse (half its work on an import's
/// cases and events, against the text format).
struct Binary {
    buf: Vec<u8>,
    rows: usize,
}

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl Binary {
    fn new() -> Binary {
        let mut buf = Vec::with_capacity(1 << 16);
        // Signature, flags (no OIDs), no header extension.
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes());
        buf.extend_from_slice(&0i32.to_be_bytes());
        Binary { buf, rows: 0 }
    }

    /// Start a row of `fields` fields.
    fn row(&mut self, fields: i16) {
        self.rows += 1;
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    fn field(&mut self, bytes: &[u8]) -> Result<()> {
        let len = i32::try_from(bytes.len()).map_err(|_| StoreError::Data("a value over 2 GiB".into()))?;
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// A text (or json) field.
    fn text(&mut self, s: &str) -> Result<()> {
        self.field(s.as_bytes())
    }

    fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    fn int4(&mut self, v: i32) -> Result<()> {
        self.field(&v.to_be_bytes())
    }

    fn int8(&mut self, v: i64) -> Result<()> {
        self.field(&v.to_be_bytes())
    }

    fn opt_text(&mut self, s: Option<&str>) -> Result<()> {
        match s {
            Some(s) => self.text(s),
            None => {
                self.null();
                Ok(())
            }
        }
    }

    fn opt_int8(&mut self, v: Option<i64>) -> Result<()> {
        match v {
            Some(v) => self.int8(v),
            None => {
                self.null();
                Ok(())
            }
        }
    }

    /// A timestamptz: microseconds since PostgreSQL's epoch, of the whole second (the
    /// ledger keeps times to the second, as `time::rfc3339` writes them).
    fn time(&mut self, t: DateTime<Utc>) -> Result<()> {
        let micros = t.timestamp().checked_mul(1_000_000).ok_or_else(|| StoreError::Data(format!("the time {t}")))?;
        self.int8(micros - PG_EPOCH_MICROS)
    }

    fn opt_time(&mut self, t: Option<DateTime<Utc>>) -> Result<()> {
        match t {
            Some(t) => self.time(t),
            None => {
                self.null();
                Ok(())
            }
        }
    }

    /// Send the rows (none: nothing) with `COPY {head} FROM STDIN (FORMAT binary)`.
    fn send(mut self, tx: &mut Transaction, head: &str) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        send(tx, &format!("COPY {head} FROM STDIN (FORMAT binary)"), &self.buf)
    }
}

/// Rows written into an open COPY as they are made, a chunk at a time: the server
/// reads each chunk while the next is made (made whole first, a batch left the
/// server waiting meanwhile).
struct Streamed<'t> {
    rows: Binary,
    copy: postgres::CopyInWriter<'t>,
}

/// What `Streamed` hands over at once.
const CHUNK: usize = 64 << 10;

impl<'t> Streamed<'t> {
    fn open(tx: &'t mut Transaction, head: &str) -> Result<Streamed<'t>> {
        let copy = tx.copy_in(&format!("COPY {head} FROM STDIN (FORMAT binary)"))?;
        Ok(Streamed { rows: Binary::new(), copy })
    }

    /// After a row: hand the rows over once they fill a chunk (flushed: the writer
    /// would otherwise hold the chunk until the next one comes).
    fn spill(&mut self) -> Result<()> {
        if self.rows.buf.len() >= CHUNK {
            let failed = |e: std::io::Error| StoreError::Db(format!("bulk write failed: {e}"));
            self.copy.write_all(&self.rows.buf).map_err(failed)?;
            self.copy.flush().map_err(failed)?;
            self.rows.buf.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.rows.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.copy.write_all(&self.rows.buf).map_err(|e| StoreError::Db(format!("bulk write failed: {e}")))?;
        self.copy.finish()?;
        Ok(())
    }
}

/// The cases, their tags, pauses and events of a batch, one COPY per table.
/// The events continue the chain from `head` (seq, hash), which is moved on.
pub fn cases(tx: &mut Transaction, rows: &[NewCase], meta: &EventMeta, head: &mut (i64, String)) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let (mut tags, mut pauses) = (Binary::new(), Binary::new());
    // The events are hashed on another thread while the cases, tags and pauses are sent.
    let (mut links, ()) = crate::ledger::chain_links_beside(rows, meta, head.clone(), || {
        let mut cases = Streamed::open(tx, CASES_COPY_COLUMNS)?;
        for r in rows {
            let c = r.case();
            binary_case(&mut cases.rows, &mut tags, c, [meta.at, meta.at])?;
            for p in r.pauses() {
                pauses.row(3);
                pauses.text(&c.id)?;
                pauses.time(p.start)?;
                pauses.opt_time(p.end)?;
            }
            cases.spill()?;
        }
        cases.finish()?;
        tags.send(tx, "case_tags (tag, case_id)")?;
        pauses.send(tx, "pauses (case_id, started_at, ended_at)")
    })?;
    let mut events =
        Streamed::open(tx, "events (seq, at, actor, case_id, kind, data, policy_digest, prev_hash, hash)")?;
    for (l, prev) in crate::ledger::with_prev(&head.1, &links) {
        let Some(r) = rows.get(l.row) else { continue };
        events.rows.row(9);
        events.rows.int8(l.seq)?;
        events.rows.time(meta.at)?;
        for text in [meta.actor, &r.case().id, l.kind, l.data, meta.policy_digest, prev, &l.hash] {
            events.rows.text(text)?;
        }
        events.spill()?;
    }
    if let Some(last) = links.pop() {
        *head = (last.seq, last.hash);
    }
    events.finish()
}

/// A case's row (created and updated `at`) and, for an open case, its tags' rows
/// (`case_tags` holds the open cases' only).
fn binary_case(cases: &mut Binary, tags: &mut Binary, c: &crate::model::Case, at: [DateTime<Utc>; 2]) -> Result<()> {
    let severity = i32::try_from(c.severity).map_err(|_| StoreError::Data(format!("case {}: severity", c.id)))?;
    cases.row(13);
    for text in [&c.id, &c.customer] {
        cases.text(text)?;
    }
    cases.int4(severity)?;
    for text in [&c.tier, &c.title] {
        cases.text(text)?;
    }
    cases.time(c.opened_at)?;
    cases.text(c.priority.as_str())?;
    cases.text(&json(&c.tags))?;
    cases.text(c.status.as_str())?;
    cases.opt_time(c.first_response_at)?;
    cases.opt_time(c.closed_at)?;
    cases.time(at[0])?;
    cases.time(at[1])?;
    if c.status != crate::model::CaseStatus::Open {
        return Ok(());
    }
    let mut distinct: Vec<&String> = c.tags.iter().collect();
    distinct.sort_unstable();
    distinct.dedup();
    for t in distinct {
        tags.row(2);
        tags.text(t)?;
        tags.text(&c.id)?;
    }
    Ok(())
}

/// Rows of one table, as `ledger copy` hands them over, in one COPY each
/// (ids kept). The rows must all be of the same kind.
pub fn rows(tx: &mut Transaction, rows: &[Row]) -> Result<()> {
    let Some(first) = rows.first() else { return Ok(()) };
    let (mut data, mut tags) = (Binary::new(), Binary::new());
    for r in rows {
        match r {
            Row::Policy(p) => {
                data.row(4);
                for text in [&p.digest, &p.origin, &p.text] {
                    data.text(text)?;
                }
                data.time(p.first_used_at)?;
            }
            Row::Case(c) => binary_case(&mut data, &mut tags, &c.case, [c.created_at, c.updated_at])?,
            Row::Escalation(e) => escalation_row(&mut data, e)?,
            Row::Pause { id, case_id, pause } => {
                data.row(4);
                data.int8(*id)?;
                data.text(case_id)?;
                data.time(pause.start)?;
                data.opt_time(pause.end)?;
            }
            Row::Account(a) => {
                data.row(5);
                data.text(&a.customer)?;
                for person in [&a.csm, &a.ae, &a.dri] {
                    data.opt_text(person.as_deref())?;
                }
                data.time(a.updated_at)?;
            }
            Row::Shift(s) => {
                data.row(7);
                data.int8(s.id)?;
                data.text(&s.role)?;
                data.text(&s.name)?;
                data.time(s.starts_at)?;
                data.opt_time(s.ends_at)?;
                data.text(&s.set_by)?;
                data.time(s.set_at)?;
            }
            Row::Delivery(d) => delivery_row(&mut data, d)?,
            Row::Event(e) => {
                data.row(10);
                data.int8(e.seq)?;
                data.time(e.at)?;
                data.text(&e.actor)?;
                data.text(&e.case_id)?;
                data.opt_int8(e.escalation)?;
                for text in [&e.kind, &e.data, &e.policy_digest] {
                    data.text(text)?;
                }
                data.opt_text(e.prev_hash.as_deref())?;
                data.opt_text(e.hash.as_deref())?;
            }
        }
    }
    let head = match first {
        Row::Policy(_) => "policies (digest, origin, text, first_used_at)",
        Row::Case(_) => CASES_COPY_COLUMNS,
        Row::Escalation(_) => ESCALATIONS_COPY_COLUMNS,
        Row::Pause { .. } => "pauses (id, case_id, started_at, ended_at)",
        Row::Event(_) => "events (seq, at, actor, case_id, escalation_id, kind, data, policy_digest, prev_hash, hash)",
        Row::Account(_) => "accounts (customer, csm, ae, dri, updated_at)",
        Row::Shift(_) => "oncall (id, role, name, starts_at, ends_at, set_by, set_at)",
        Row::Delivery(_) => {
            "outbox (id, key, channel, topic, case_id, escalation_id, event_seq, message, created_at, \
                             state, attempts, next_attempt_at, last_error, sent_at)"
        }
    };
    data.send(tx, head)?;
    tags.send(tx, "case_tags (tag, case_id)")
}

const CASES_COPY_COLUMNS: &str = "cases (id, customer, severity, tier, title, opened_at, priority, tags, status, \
     first_response_at, closed_at, created_at, updated_at)";

const ESCALATIONS_COPY_COLUMNS: &str = "escalations (id, case_id, level, state, destination, reason, description, \
     fields, requested_by, requested_at, level_since, review_due_at, owner, decided_by, decided_at, decision_note, \
     closed_at, raised_by, decision, last_update_at, next_touch_at, handoff_note, package, touch_since, account, linked)";

/// A notification of the outbox, as `ledger copy` brings it.
fn delivery_row(out: &mut Binary, d: &crate::ledger::outbox::Delivery) -> Result<()> {
    let attempts =
        i32::try_from(d.attempts).map_err(|_| StoreError::Data(format!("notification {}: attempts", d.id)))?;
    out.row(14);
    out.int8(d.id)?;
    for text in [&d.key, &d.channel, &d.topic, &d.case_id] {
        out.text(text)?;
    }
    out.opt_int8(d.escalation)?;
    out.opt_int8(d.event_seq)?;
    out.text(&d.message)?;
    out.time(d.created_at)?;
    out.text(d.state.as_str())?;
    out.int4(attempts)?;
    out.time(d.next_attempt_at)?;
    out.opt_text(d.last_error.as_deref())?;
    out.opt_time(d.sent_at)
}

fn escalation_row(out: &mut Binary, e: &crate::model::Escalation) -> Result<()> {
    let level = i32::try_from(e.level).map_err(|_| StoreError::Data(format!("escalation #{}: level", e.id)))?;
    out.row(26);
    out.int8(e.id)?;
    out.text(&e.case_id)?;
    out.int4(level)?;
    for text in [e.state.as_str(), &e.destination, &e.reason, &e.description, &json(&e.fields), &e.requested_by] {
        out.text(text)?;
    }
    out.time(e.requested_at)?;
    out.time(e.level_since)?;
    out.opt_time(e.review_due_at)?;
    out.text(&e.owner)?;
    out.opt_text(e.decided_by.as_deref())?;
    out.opt_time(e.decided_at)?;
    out.opt_text(e.decision_note.as_deref())?;
    out.opt_time(e.closed_at)?;
    out.text(&e.raised_by)?;
    out.opt_text(e.decision.as_deref())?;
    out.opt_time(e.last_update_at)?;
    out.opt_time(e.next_touch_at)?;
    out.opt_text(e.handoff_note.as_deref())?;
    out.text(&json(&e.package))?;
    out.opt_time(e.touch_since)?;
    out.opt_text(e.account.as_deref())?;
    out.text(&json(&e.linked))
}

#[cfg(test)]
mod tests {
    use super::Binary;

    #[test]
    fn binary_rows_are_what_the_server_reads() {
        let mut b = Binary::new();
        b.row(4);
        b.text("é").unwrap();
        b.null();
        b.int4(-2).unwrap();
        let t = chrono::DateTime::parse_from_rfc3339("2000-01-01T00:00:01Z").unwrap().to_utc();
        b.time(t).unwrap();
        let mut want = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0".to_vec();
        want.extend_from_slice(&[0, 4, 0, 0, 0, 2, 0xc3, 0xa9, 0xff, 0xff, 0xff, 0xff]);
        want.extend_from_slice(&[0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40]);
        assert_eq!(b.buf, want);
        assert_eq!(b.rows, 1);
        // Times are kept to the second, as `time::rfc3339` writes them.
        let mut b = Binary::new();
        b.time(chrono::DateTime::parse_from_rfc3339("2000-01-01T00:00:01.75Z").unwrap().to_utc()).unwrap();
        assert_eq!(b.buf[23..], 1_000_000i64.to_be_bytes());
        // Before PostgreSQL's epoch, negative.
        let mut b = Binary::new();
        b.time(chrono::DateTime::UNIX_EPOCH).unwrap();
        assert_eq!(b.buf[19..23], 8i32.to_be_bytes());
        assert_eq!(b.buf[23..], (-946_684_800_000_000i64).to_be_bytes());
    }
}
