//! Streaming writers of rows as NDJSON, CSV or a JSON array: one row at a
//! time, for `export` and the machine formats of the list commands.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use crate::cli::DataFormat;

/// A csv error as the I/O error it wraps, so a closed pipe stays a closed pipe.
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

pub struct Sink<W: Write> {
    kind: Kind<W>,
}

enum Kind<W: Write> {
    Ndjson(W),
    Json { w: W, rows: usize },
    Csv { w: Box<csv::Writer<W>>, header: Option<Vec<String>> },
}

/// A value as one CSV cell: text as is, null empty, a list of strings joined
/// with `;` (as `tags` is read back), anything else as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(";")
        }
        other => other.to_string(),
    }
}

impl<W: Write> Sink<W> {
    /// `header`: the CSV columns, written even when there are no rows; without
    /// it the first row's fields are the columns.
    pub fn new(w: W, format: DataFormat, header: Option<&[&str]>) -> io::Result<Self> {
        let kind = match format {
            DataFormat::Ndjson => Kind::Ndjson(w),
            DataFormat::Json => Kind::Json { w, rows: 0 },
            DataFormat::Csv => {
                let mut w = csv::Writer::from_writer(w);
                if let Some(h) = header {
                    w.write_record(h).map_err(csv_io)?;
                }
                Kind::Csv { w: Box::new(w), header: header.map(|h| h.iter().map(|s| s.to_string()).collect()) }
            }
        };
        Ok(Sink { kind })
    }

    pub fn row<T: Serialize + ?Sized>(&mut self, row: &T) -> io::Result<()> {
        match &mut self.kind {
            Kind::Ndjson(w) => {
                serde_json::to_writer(&mut *w, row)?;
                w.write_all(b"\n")
            }
            Kind::Json { w, rows } => {
                w.write_all(if *rows == 0 { b"[\n" } else { b",\n" })?;
                *rows += 1;
                serde_json::to_writer(&mut *w, row).map_err(io::Error::from)
            }
            Kind::Csv { w, header } => {
                let v = serde_json::to_value(row)?;
                let Value::Object(map) = v else {
                    return w.write_record([cell(&v)]).map_err(csv_io);
                };
                if header.is_none() {
                    let names: Vec<String> = map.keys().cloned().collect();
                    w.write_record(&names).map_err(csv_io)?;
                    *header = Some(names);
                }
                let columns = header.as_deref().unwrap_or_default();
                let cells: Vec<String> = columns.iter().map(|c| map.get(c).map_or_else(String::new, cell)).collect();
                w.write_record(&cells).map_err(csv_io)
            }
        }
    }

    pub fn finish(self) -> io::Result<()> {
        match self.kind {
            Kind::Ndjson(mut w) => w.flush(),
            Kind::Json { mut w, rows } => {
                w.write_all(if rows == 0 { b"[]\n" } else { b"\n]\n" })?;
                w.flush()
            }
            Kind::Csv { mut w, .. } => w.flush(),
        }
    }
}
