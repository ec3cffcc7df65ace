//! Bulk writes with `COPY ... FROM STDIN` in PostgreSQL's text format: one
//! round trip per table for a whole batch of imported cases.

use std::io::Write;

use chrono::{DateTime, Utc};
use postgres::Transaction;

use crate::ledger::error::{Result, StoreError};
use crate::ledger::json;
use crate::ledger::store::{EventMeta, NewCase, Row};
use crate::time::rfc3339;

/// One field in COPY's text format: backslash, tab and line breaks escaped.
fn field(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => out.push(b),
        }
    }
}

/// A row of fields (None is NULL), tab-separated, ending the line.
fn row(out: &mut Vec<u8>, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match f {
            Some(s) => field(out, s),
            None => out.extend_from_slice(b"\\N"),
        }
    }
    out.push(b'\n');
}

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

/// The cases, their tags, pauses and events of a batch, one COPY per table.
/// The events continue the chain from `head` (seq, hash), which is moved on.
pub fn cases(tx: &mut Transaction, rows: &[NewCase], meta: &EventMeta, head: &mut (i64, String)) -> Result<()> {
    let (mut cases, mut tags, mut pauses, mut events) = (Binary::new(), Binary::new(), Binary::new(), Binary::new());
    // The events are hashed on another thread while the cases, tags and pauses are sent.
    let (mut links, ()) = crate::ledger::chain_links_beside(rows, meta, head.clone(), || {
        for r in rows {
            let c = r.case();
            binary_case(&mut cases, &mut tags, c, meta.at)?;
            for p in r.pauses() {
                pauses.row(3);
                pauses.text(&c.id)?;
                pauses.time(p.start)?;
                pauses.opt_time(p.end)?;
            }
        }
        cases.send(tx, CASES_COPY_COLUMNS)?;
        tags.send(tx, "case_tags (tag, case_id)")?;
        pauses.send(tx, "pauses (case_id, started_at, ended_at)")
    })?;
    for (l, prev) in crate::ledger::with_prev(&head.1, &links) {
        let Some(r) = rows.get(l.row) else { continue };
        events.row(9);
        events.int8(l.seq)?;
        events.time(meta.at)?;
        for text in [meta.actor, &r.case().id, l.kind, l.data, meta.policy_digest, prev, &l.hash] {
            events.text(text)?;
        }
    }
    if let Some(last) = links.pop() {
        *head = (last.seq, last.hash);
    }
    events.send(tx, "events (seq, at, actor, case_id, kind, data, policy_digest, prev_hash, hash)")
}

/// A case's row (created and updated `at`) and its tags' rows, in binary.
fn binary_case(cases: &mut Binary, tags: &mut Binary, c: &crate::model::Case, at: DateTime<Utc>) -> Result<()> {
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
    cases.time(at)?;
    cases.time(at)?;
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

fn opt(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(rfc3339)
}

/// Rows of one table, as `ledger copy` hands them over, in one COPY each
/// (ids kept). The rows must all be of the same kind.
pub fn rows(tx: &mut Transaction, rows: &[Row]) -> Result<()> {
    let Some(first) = rows.first() else { return Ok(()) };
    let mut data = Vec::new();
    let mut tags = Vec::new();
    for r in rows {
        match r {
            Row::Policy(p) => {
                let at = rfc3339(p.first_used_at);
                row(&mut data, &[Some(&p.digest), Some(&p.origin), Some(&p.text), Some(&at)]);
            }
            Row::Case(c) => {
                let (created, updated) = (rfc3339(c.created_at), rfc3339(c.updated_at));
                case_row(&mut data, &mut tags, &c.case, &created, &updated);
            }
            Row::Escalation(e) => escalation_row(&mut data, e),
            Row::Pause { id, case_id, pause } => {
                let (id, start, end) = (id.to_string(), rfc3339(pause.start), opt(pause.end));
                row(&mut data, &[Some(&id), Some(case_id), Some(&start), end.as_deref()]);
            }
            Row::Account(a) => {
                let at = rfc3339(a.updated_at);
                row(&mut data, &[Some(&a.customer), a.csm.as_deref(), a.ae.as_deref(), a.dri.as_deref(), Some(&at)]);
            }
            Row::Shift(s) => {
                let (id, from, until, set) =
                    (s.id.to_string(), rfc3339(s.starts_at), opt(s.ends_at), rfc3339(s.set_at));
                let fields = [Some(id.as_str()), Some(&s.role), Some(&s.name), Some(&from), until.as_deref()];
                row(&mut data, &[&fields[..], &[Some(s.set_by.as_str()), Some(&set)][..]].concat());
            }
            Row::Event(e) => {
                let (seq, at, esc) = (e.seq.to_string(), rfc3339(e.at), e.escalation.map(|x| x.to_string()));
                let fields = [Some(seq.as_str()), Some(&at), Some(&e.actor), Some(&e.case_id), esc.as_deref()];
                let rest = [
                    Some(e.kind.as_str()),
                    Some(&e.data),
                    Some(&e.policy_digest),
                    e.prev_hash.as_deref(),
                    e.hash.as_deref(),
                ];
                row(&mut data, &[&fields[..], &rest[..]].concat());
            }
        }
    }
    let cases = format!("COPY {CASES_COPY_COLUMNS} FROM STDIN");
    let sql = match first {
        Row::Policy(_) => "COPY policies (digest, origin, text, first_used_at) FROM STDIN",
        Row::Case(_) => &cases,
        Row::Escalation(_) => ESCALATIONS_COPY,
        Row::Pause { .. } => "COPY pauses (id, case_id, started_at, ended_at) FROM STDIN",
        Row::Event(_) => {
            "COPY events (seq, at, actor, case_id, escalation_id, kind, data, policy_digest, prev_hash, hash) FROM STDIN"
        }
        Row::Account(_) => "COPY accounts (customer, csm, ae, dri, updated_at) FROM STDIN",
        Row::Shift(_) => "COPY oncall (id, role, name, starts_at, ends_at, set_by, set_at) FROM STDIN",
    };
    send(tx, sql, &data)?;
    send(tx, "COPY case_tags (tag, case_id) FROM STDIN", &tags)
}

const CASES_COPY_COLUMNS: &str = "cases (id, customer, severity, tier, title, opened_at, priority, tags, status, \
     first_response_at, closed_at, created_at, updated_at)";

const ESCALATIONS_COPY: &str = "COPY escalations (id, case_id, level, state, destination, reason, description, \
     fields, requested_by, requested_at, level_since, review_due_at, owner, decided_by, decided_at, decision_note, \
     closed_at, raised_by, decision, last_update_at, next_touch_at, handoff_note, package, touch_since, account, linked) \
     FROM STDIN";

fn escalation_row(out: &mut Vec<u8>, e: &crate::model::Escalation) {
    let (id, level, fields, package) = (e.id.to_string(), e.level.to_string(), json(&e.fields), json(&e.package));
    let linked = json(&e.linked);
    let times = [e.requested_at, e.level_since].map(rfc3339);
    let (review, decided, closed) = (opt(e.review_due_at), opt(e.decided_at), opt(e.closed_at));
    let (update, next, since) = (opt(e.last_update_at), opt(e.next_touch_at), opt(e.touch_since));
    row(
        out,
        &[
            Some(&id),
            Some(&e.case_id),
            Some(&level),
            Some(e.state.as_str()),
            Some(&e.destination),
            Some(&e.reason),
            Some(&e.description),
            Some(&fields),
            Some(&e.requested_by),
            Some(&times[0]),
            Some(&times[1]),
            review.as_deref(),
            Some(&e.owner),
            e.decided_by.as_deref(),
            decided.as_deref(),
            e.decision_note.as_deref(),
            closed.as_deref(),
            Some(&e.raised_by),
            e.decision.as_deref(),
            update.as_deref(),
            next.as_deref(),
            e.handoff_note.as_deref(),
            Some(&package),
            since.as_deref(),
            e.account.as_deref(),
            Some(&linked),
        ],
    );
}

/// A case's row and its tags' rows.
fn case_row(cases: &mut Vec<u8>, tags: &mut Vec<u8>, c: &crate::model::Case, created: &str, updated: &str) {
    let (severity, opened, tag_list) = (c.severity.to_string(), rfc3339(c.opened_at), json(&c.tags));
    let (first, closed) = (opt(c.first_response_at), opt(c.closed_at));
    row(
        cases,
        &[
            Some(&c.id),
            Some(&c.customer),
            Some(&severity),
            Some(&c.tier),
            Some(&c.title),
            Some(&opened),
            Some(c.priority.as_str()),
            Some(&tag_list),
            Some(c.status.as_str()),
            first.as_deref(),
            closed.as_deref(),
            Some(created),
            Some(updated),
        ],
    );
    let mut distinct: Vec<&String> = c.tags.iter().collect();
    distinct.sort_unstable();
    distinct.dedup();
    for t in distinct {
        row(tags, &[Some(t), Some(&c.id)]);
    }
}

#[cfg(test)]
mod tests {
    use super::{Binary, row};

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

    #[test]
    fn copy_text_escapes_what_would_split_a_row() {
        let mut out = Vec::new();
        row(&mut out, &[Some("a\tb\nc\\d\re"), None, Some("")]);
        assert_eq!(out, b"a\\tb\\nc\\\\d\\re\t\\N\t\n");
    }
}
