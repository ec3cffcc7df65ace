//! Bulk writes with `COPY ... FROM STDIN` in PostgreSQL's text format: one
//! round trip per table for a whole batch of imported cases.

use std::io::Write;

use postgres::Transaction;

use crate::ledger::error::{Result, StoreError};
use crate::ledger::store::{EventMeta, NewCase};
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

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// The cases, their tags, pauses and events of a batch, one COPY per table.
pub fn cases(tx: &mut Transaction, rows: &[NewCase], meta: &EventMeta) -> Result<()> {
    let (mut cases, mut tags, mut pauses, mut events) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let at = rfc3339(meta.at);
    for r in rows {
        let c = &r.case;
        let (severity, opened, tag_list) = (c.severity.to_string(), rfc3339(c.opened_at), json(&c.tags));
        let (first, closed) = (c.first_response_at.map(rfc3339), c.closed_at.map(rfc3339));
        row(
            &mut cases,
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
                Some(&at),
                Some(&at),
            ],
        );
        let mut distinct: Vec<&String> = c.tags.iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        for t in distinct {
            row(&mut tags, &[Some(t), Some(&c.id)]);
        }
        for p in &r.pauses {
            let (start, end) = (rfc3339(p.start), p.end.map(rfc3339));
            row(&mut pauses, &[Some(&c.id), Some(&start), end.as_deref()]);
        }
        for (kind, data) in &r.events {
            row(
                &mut events,
                &[Some(&at), Some(meta.actor), Some(&c.id), Some(kind), Some(data), Some(meta.policy_digest)],
            );
        }
    }
    send(
        tx,
        "COPY cases (id, customer, severity, tier, title, opened_at, priority, tags, status, first_response_at, \
         closed_at, created_at, updated_at) FROM STDIN",
        &cases,
    )?;
    send(tx, "COPY case_tags (tag, case_id) FROM STDIN", &tags)?;
    send(tx, "COPY pauses (case_id, started_at, ended_at) FROM STDIN", &pauses)?;
    send(tx, "COPY events (at, actor, case_id, kind, data, policy_digest) FROM STDIN", &events)
}

#[cfg(test)]
mod tests {
    use super::row;

    #[test]
    fn copy_text_escapes_what_would_split_a_row() {
        let mut out = Vec::new();
        row(&mut out, &[Some("a\tb\nc\\d\re"), None, Some("")]);
        assert_eq!(out, b"a\\tb\\nc\\\\d\\re\t\\N\t\n");
    }
}
