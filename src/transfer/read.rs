//! Streaming readers of case records from NDJSON and CSV: one record at a time
//! with its line number, so memory stays flat however large the input.

use std::io::{self, BufRead};

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::lf::LfOnly;
use super::{CASE_FIELDS, RawCase, unknown_field};

/// One record of the input: its line, and the fields or what is wrong with them.
#[derive(Debug)]
pub struct Record {
    pub line: u64,
    /// The record's case id, when it could be read even if the record is bad.
    pub id: Option<String>,
    pub raw: Result<RawCase, String>,
    /// The record checked and made a new case, ready to write (or what is wrong),
    /// when it was checked where it was read (`ReadAhead` with a checker).
    pub checked: Option<Result<crate::ledger::NewCase, String>>,
}

pub struct Records<R: BufRead> {
    kind: Kind<R>,
}

enum Kind<R: BufRead> {
    Ndjson {
        r: R,
        line: u64,
        buf: Vec<u8>,
    },
    Csv {
        r: csv::Reader<LfOnly<R>>,
        /// The header's columns; empty until the header row is read.
        columns: Vec<String>,
        rec: csv::ByteRecord,
        ends: Rc<RefCell<VecDeque<u64>>>,
        line: u64,
        /// The columns the header must name.
        required: &'static [&'static str],
    },
    /// Reading stopped at an error already reported.
    Done,
}

pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The longest line accepted: a longer one is not a record of a case.
pub const MAX_LINE: usize = 1 << 20;

impl<R: BufRead> Records<R> {
    pub fn ndjson(r: R) -> Self {
        Records { kind: Kind::Ndjson { r, line: 0, buf: Vec::new() } }
    }

    /// Records of a CSV file. Its header row is read first: a header that
    /// names unknown or repeated columns, or lacks the required ones, refuses
    /// the whole file. That refusal is the first item read, an error naming
    /// the line like any other read error, so that the caller names the file
    /// as it does for those; reading stops there. (Hence this never fails
    /// itself; the `Result` stays for the callers that expect one.)
    pub fn csv(r: R) -> Result<Self, String> {
        Self::csv_requiring(r, NEW_CASE_COLUMNS)
    }

    /// `csv`, with a header that must name only `required` (an upsert's
    /// records may give the id and just the fields they change).
    pub fn csv_requiring(r: R, required: &'static [&'static str]) -> Result<Self, String> {
        let (lf, ends) = LfOnly::new(r);
        let r = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(lf);
        let rec = csv::ByteRecord::new();
        Ok(Records { kind: Kind::Csv { r, columns: Vec::new(), rec, ends, line: 1, required } })
    }
}

/// The line `LfOnly` is writing: where a read error happened.
fn reading_line<R: BufRead>(r: &csv::Reader<LfOnly<R>>) -> u64 {
    r.get_ref().lines + 1
}

/// The columns a header must name for new cases.
pub const NEW_CASE_COLUMNS: &[&str] = &["id", "customer", "severity", "tier"];

/// The columns a CSV header row names, or what is wrong with it ("line N: ...").
fn read_header<R: BufRead>(
    r: &mut csv::Reader<LfOnly<R>>,
    ends: &RefCell<VecDeque<u64>>,
    required: &[&str],
) -> Result<Vec<String>, String> {
    let header = match r.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(format!("line {}: cannot read the header row: {e}", reading_line(r))),
    };
    // The header's first line: as for a record (see `next`), though blank lines before it are rare.
    let end = r.position().byte().saturating_sub(1);
    let last = ends.borrow().iter().take_while(|&&e| e < end).count() as u64 + 1;
    let inside = header.iter().map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64).sum::<u64>();
    let at = last.saturating_sub(inside).max(1);
    if header.is_empty() || (header.len() == 1 && header.get(0).is_some_and(<[u8]>::is_empty)) {
        return Err(format!("line {at}: the file is empty: a CSV import needs a header row naming the fields"));
    }
    let mut columns: Vec<String> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.strip_prefix(BOM).unwrap_or(h);
        let name = std::str::from_utf8(h)
            .map_err(|_| format!("line {at}: column {} of the header is not valid UTF-8", i + 1))?
            .trim()
            .to_string();
        if !CASE_FIELDS.contains(&name.as_str()) && !super::DERIVED_FIELDS.contains(&name.as_str()) {
            return Err(format!("line {at}: {}", unknown_field(&cut(&name))));
        }
        if columns.contains(&name) {
            return Err(format!("line {at}: column {name:?} appears twice in the header"));
        }
        columns.push(name);
    }
    if let Some(missing) = required.iter().find(|c| !columns.iter().any(|x| x == *c)) {
        return Err(format!(
            "line {at}: the header has no {missing:?} column (a header row names the fields: {})",
            CASE_FIELDS.join(",")
        ));
    }
    Ok(columns)
}

/// A name from the input as quoted in an error: at most 100 characters.
fn cut(s: &str) -> String {
    match s.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A JSON object's fields as a record.
pub(super) fn from_object(map: Map<String, Value>) -> Result<RawCase, String> {
    let mut raw = RawCase::default();
    for (k, v) in map {
        if super::DERIVED_FIELDS.contains(&k.as_str()) {
            continue;
        }
        if !CASE_FIELDS.contains(&k.as_str()) {
            return Err(unknown_field(&cut(&k)));
        }
        match (k.as_str(), v) {
            // A null is no value: for what a case may be without, none.
            (k, Value::Null) if super::CLEARABLE.contains(&k) => raw.set(k, String::new())?,
            (_, Value::Null) => {}
            ("pauses", v @ Value::Array(_)) => raw.pauses = Some(v.to_string()),
            ("tags", Value::Array(items)) => {
                let tags = items
                    .into_iter()
                    .map(|t| match t {
                        Value::String(s) => Ok(s),
                        other => Err(format!("tags must be strings, not {}", cut(&other.to_string()))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                raw.tags = Some(tags);
            }
            (k, Value::String(s)) => raw.set(k, s)?,
            (k, Value::Number(n)) => raw.set(k, n.to_string())?,
            (k, other) => return Err(format!("{k} must be text or a number, not {}", cut(&other.to_string()))),
        }
    }
    Ok(raw)
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = io::Result<Record>;

    /// The next record, or an error naming its line ("line N: ..."), after
    /// which there is nothing more.
    fn next(&mut self) -> Option<Self::Item> {
        let item = self.step();
        if matches!(item, Some(Err(_))) {
            self.kind = Kind::Done;
        }
        item
    }
}

/// A read error, naming the line where it happened.
pub(super) fn at_line(line: u64, kind: io::ErrorKind, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(kind, format!("line {line}: {e}"))
}

impl<R: BufRead> Records<R> {
    fn step(&mut self) -> Option<io::Result<Record>> {
        match &mut self.kind {
            Kind::Done => None,
            Kind::Ndjson { r, line, buf } => ndjson_next(r, line, buf),
            Kind::Csv { r, columns, rec, ends, line, required } => csv_next(r, (columns, rec), ends, line, required),
        }
    }
}

/// The next record of an NDJSON input (blank lines skipped).
fn ndjson_next<R: BufRead>(r: &mut R, line: &mut u64, buf: &mut Vec<u8>) -> Option<io::Result<Record>> {
    loop {
        buf.clear();
        match (&mut *r).take(MAX_LINE as u64 + 1).read_until(b'\n', buf) {
            Err(e) => return Some(Err(at_line(*line + 1, e.kind(), e))),
            Ok(0) => return None,
            Ok(_) => {}
        }
        *line += 1;
        if buf.len() > MAX_LINE && !buf.ends_with(b"\n") {
            // Skip the rest of the line without holding it.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                match (&mut *r).take(1 << 16).read_until(b'\n', &mut sink) {
                    Ok(0) => break,
                    Ok(_) if sink.ends_with(b"\n") => break,
                    Ok(_) => {}
                    Err(e) => return Some(Err(at_line(*line, e.kind(), e))),
                }
            }
            let raw = Err("the line is longer than 1 MiB".to_string());
            return Some(Ok(Record { line: *line, id: None, raw, checked: None }));
        }
        let complete = buf.ends_with(b"\n");
        let mut bytes: &[u8] = buf;
        if *line == 1 {
            bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        }
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut id = None;
        let raw = match std::str::from_utf8(bytes) {
            Err(e) => Err(format!("not valid UTF-8 (at byte {})", e.valid_up_to() + 1)),
            Ok(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => {
                    id = map.get("id").and_then(|v| v.as_str()).map(str::to_string);
                    from_object(map)
                }
                Ok(other) => Err(format!("expected a JSON object, found {}", kind_of(&other))),
                Err(e) if !complete && e.is_eof() => Err(format!("the last line is cut short: {e}")),
                Err(e) => Err(format!("not valid JSON: {e}")),
            },
        };
        return Some(Ok(Record { line: *line, id, raw, checked: None }));
    }
}

/// The next record of a CSV input, its header read first.
fn csv_next<R: BufRead>(
    r: &mut csv::Reader<LfOnly<R>>,
    (columns, rec): (&mut Vec<String>, &mut csv::ByteRecord),
    ends: &Rc<RefCell<VecDeque<u64>>>,
    line: &mut u64,
    required: &'static [&'static str],
) -> Option<io::Result<Record>> {
    if columns.is_empty() {
        match read_header(r, ends, required) {
            Ok(c) => *columns = c,
            Err(e) => return Some(Err(io::Error::new(io::ErrorKind::InvalidData, e))),
        }
    }
    match r.read_byte_record(rec) {
        Err(e) => {
            let kind = match e.kind() {
                csv::ErrorKind::Io(io) => io.kind(),
                _ => io::ErrorKind::InvalidData,
            };
            return Some(Err(at_line(reading_line(r), kind, e)));
        }
        Ok(false) => return None,
        Ok(true) => {}
    }
    // The record's last line: one more than the line feeds before its
    // terminator; its first line: less the line feeds inside its fields.
    let end = r.position().byte().saturating_sub(1);
    let mut ends = ends.borrow_mut();
    while ends.front().is_some_and(|&e| e < end) {
        ends.pop_front();
        *line += 1;
    }
    let inside = rec.iter().map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64).sum::<u64>();
    let line = line.saturating_sub(inside).max(2);
    let id = columns
        .iter()
        .position(|c| c == "id")
        .and_then(|i| rec.get(i))
        .and_then(|f| std::str::from_utf8(f).ok())
        .map(str::to_string);
    let raw = if rec.len() != columns.len() {
        let hint = if rec.iter().any(|f| f.contains(&b'\n')) { " (a quote left open?)" } else { "" };
        Err(format!("has {} fields, the header has {}{hint}", rec.len(), columns.len()))
    } else {
        let mut raw = RawCase::default();
        let mut res = Ok(());
        for (name, field) in columns.iter().zip(rec.iter()) {
            res = match std::str::from_utf8(field) {
                Ok(s) => raw.set(name, s.to_string()),
                Err(_) => Err(format!("{name} is not valid UTF-8")),
            };
            if res.is_err() {
                break;
            }
        }
        res.map(|()| raw)
    };
    Some(Ok(Record { line, id, raw, checked: None }))
}

pub(super) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
