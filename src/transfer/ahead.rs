//! Records read ahead on a thread of their own, a chunk at a time, so that
//! parsing the input (and checking each record as a new case) overlaps writing
//! what was read before it.

use std::io::{self, BufRead};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::read::{Record, Records};

/// Records a message carries, and messages in flight: a few thousand records ahead at most.
const CHUNK: usize = 500;
const IN_FLIGHT: usize = 4;

type Chunk = Vec<io::Result<Record>>;

/// What checks a record as a new case, on the reading thread (see `Record::checked`).
pub type Checker = Box<dyn Fn(&super::RawCase) -> Result<super::Checked, String> + Send>;

/// The records of an input, in order, parsed on another thread.
pub struct ReadAhead {
    recv: Receiver<Chunk>,
    chunk: std::vec::IntoIter<io::Result<Record>>,
    reader: Option<JoinHandle<()>>,
}

impl ReadAhead {
    /// Records of a CSV input (see `Records::csv`), or of NDJSON; each checked
    /// by `check` as well, when given.
    pub fn new(input: Box<dyn BufRead + Send>, csv: bool, check: Option<Checker>) -> ReadAhead {
        let (send, recv) = sync_channel(IN_FLIGHT);
        let reader = std::thread::spawn(move || {
            let check = |mut r: io::Result<Record>| {
                if let (Ok(rec), Some(check)) = (&mut r, &check)
                    && let Ok(raw) = &rec.raw
                {
                    rec.checked = Some(check(raw));
                }
                r
            };
            if csv {
                match Records::csv(input) {
                    Ok(records) => pump(records.map(check), &send),
                    Err(e) => {
                        let _ = send.send(vec![Err(io::Error::other(e))]);
                    }
                }
            } else {
                pump(Records::ndjson(input).map(check), &send);
            }
        });
        ReadAhead { recv, chunk: Vec::new().into_iter(), reader: Some(reader) }
    }
}

/// Send the records a chunk at a time until they end or nobody listens.
fn pump(records: impl Iterator<Item = io::Result<Record>>, send: &SyncSender<Chunk>) {
    let mut chunk = Vec::with_capacity(CHUNK);
    for r in records {
        chunk.push(r);
        if chunk.len() == CHUNK && send.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))).is_err() {
            return;
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
        let lines: Vec<u64> = ReadAhead::new(input, true, None).map(|r| r.unwrap().line).collect();
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
        let items: Vec<io::Result<Record>> = ReadAhead::new(input, false, None).collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].as_ref().is_err_and(|e| e.to_string().contains("stopped before the end")));
    }
}
