//! Records read ahead on a thread of their own, a chunk at a time, so that
//! parsing the input (and checking each record as a new case) overlaps writing
//! what was read before it; what the writer is done with goes back to that
//! thread to be let go there.

use std::io::{self, BufRead};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use super::read::{Record, Records};

/// Records a message carries, and messages in flight: a few thousand records ahead at most.
const CHUNK: usize = 500;
const IN_FLIGHT: usize = 4;

type Chunk = Vec<io::Result<Record>>;

/// What checks a record (on its line) and makes it a new case, on the reading
/// thread (see `Record::checked`).
pub type Checker = Box<dyn Fn(super::RawCase, u64) -> Result<crate::ledger::NewCase, String> + Send>;

/// How records are checked where they are read.
pub struct Check {
    pub check: Checker,
    /// Keep the whole of a record that checks as a new case (an update merges it
    /// into the case it updates); otherwise only its id is kept.
    pub keep: bool,
}

/// Where the writer leaves what it is done with, let go on the reading thread,
/// which made most of it and has time to spare: memory is freed faster on the
/// thread that allocated it, and the writer is the import's slowest thread.
#[derive(Clone)]
pub struct Bin(Sender<Box<dyn Send>>);

impl Bin {
    /// Let `spent` go on the reading thread (here, once that thread has ended).
    pub fn put<T: Send + 'static>(&self, spent: T) {
        let _ = self.0.send(Box::new(spent));
    }
}

/// The records of an input, in order, parsed on another thread.
pub struct ReadAhead {
    recv: Receiver<Chunk>,
    chunk: std::vec::IntoIter<io::Result<Record>>,
    reader: Option<JoinHandle<()>>,
    bin: Bin,
}

impl ReadAhead {
    /// Records of a CSV input (see `Records::csv`), of NDJSON, or of a JSON array; each checked
    /// as well, when `check` is given.
    pub fn new(input: Box<dyn BufRead + Send>, format: crate::cli::ImportFormat, check: Option<Check>) -> ReadAhead {
        // An upsert keeps whole records: they may name the id and only what changes.
        let required = if check.as_ref().is_some_and(|c| c.keep) { &["id"][..] } else { super::read::NEW_CASE_COLUMNS };
        let (send, recv) = sync_channel(IN_FLIGHT);
        let (bin, spent) = channel::<Box<dyn Send>>();
        let reader = std::thread::spawn(move || {
            let check = |mut r: io::Result<Record>| {
                if let (Ok(rec), Some(c)) = (&mut r, &check)
                    && let Ok(raw) = &mut rec.raw
                {
                    // The record's text becomes the case's; only its id is kept, unless
                    // the whole record is (an update merges it into the case it updates).
                    rec.checked = Some(if c.keep {
                        (c.check)(raw.clone(), rec.line)
                    } else {
                        let id = raw.id.clone();
                        let checked = (c.check)(std::mem::take(raw), rec.line);
                        raw.id = id;
                        checked
                    });
                }
                r
            };
            match format {
                crate::cli::ImportFormat::Csv => match Records::csv_requiring(input, required) {
                    Ok(records) => pump(records.map(check), &send, &spent),
                    Err(e) => {
                        let _ = send.send(vec![Err(io::Error::other(e))]);
                    }
                },
                crate::cli::ImportFormat::Ndjson => pump(Records::ndjson(input).map(check), &send, &spent),
                crate::cli::ImportFormat::Json => {
                    pump(super::json_array::JsonArray::new(input).map(check), &send, &spent)
                }
            }
        });
        ReadAhead { recv, chunk: Vec::new().into_iter(), reader: Some(reader), bin: Bin(bin) }
    }

    /// Where to leave what the records became once written (see `Bin`).
    pub fn bin(&self) -> Bin {
        self.bin.clone()
    }
}

/// Send the records a chunk at a time until they end or nobody listens; let go
/// of what has come back between chunks.
fn pump(records: impl Iterator<Item = io::Result<Record>>, send: &SyncSender<Chunk>, spent: &Receiver<Box<dyn Send>>) {
    let mut chunk = Vec::with_capacity(CHUNK);
    for r in records {
        chunk.push(r);
        if chunk.len() == CHUNK {
            if send.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))).is_err() {
                return;
            }
            spent.try_iter().for_each(drop);
        }
    }
    if !chunk.is_empty() {
        let _ = send.send(chunk);
    }
}

impl Iterator for ReadAhead {
    type Item = io::Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.chunk.next() {
                return Some(r);
            }
            match self.recv.recv() {
                Ok(chunk) => self.chunk = chunk.into_iter(),
                // The reader is done: the input ended, unless the reader failed, which
                // must not pass for the end of the input.
                Err(_) => {
                    let reader = self.reader.take()?;
                    return reader
                        .join()
                        .err()
                        .map(|_| Err(io::Error::other("the input reader stopped before the end of the input")));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_comes_through_in_order() {
        let mut csv = String::from("id,customer,severity,tier,opened_at\n");
        for i in 0..1234 {
            csv.push_str(&format!("C-{i},Acme,2,premium,2026-11-02T09:00:00Z\n"));
        }
        let input: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(csv.into_bytes()));
        let lines: Vec<u64> =
            ReadAhead::new(input, crate::cli::ImportFormat::Csv, None).map(|r| r.unwrap().line).collect();
        assert_eq!(lines, (2..1236).collect::<Vec<u64>>());
    }

    #[test]
    fn a_reader_that_fails_is_not_the_end_of_the_input() {
        struct Panics;
        impl io::Read for Panics {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                panic!("the reader fails")
            }
        }
        let input: Box<dyn BufRead + Send> = Box::new(io::BufReader::new(Panics));
        let items: Vec<io::Result<Record>> = ReadAhead::new(input, crate::cli::ImportFormat::Ndjson, None).collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].as_ref().is_err_and(|e| e.to_string().contains("stopped before the end")));
    }
}
