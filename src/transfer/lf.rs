//! The bytes of a CSV input as the csv reader gets them: line ends read as LF, a
//! leading BOM dropped, every line end counted (line numbers are what the user is
//! told), a line without end refused, and a file that ends inside a quoted field
//! refused rather than taken as a record cut short.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::rc::Rc;

use super::read::{BOM, MAX_LINE};

/// Line ends read as LF (CRLF and a lone CR alike) and a leading BOM dropped,
/// counting where each line ends: the csv crate's own line count goes wrong
/// after blank lines and CRLF, and line numbers are what the user is told.
pub(super) struct LfOnly<R> {
    inner: R,
    /// A carriage return seen but not yet written: a line feed after it is dropped.
    cr: bool,
    /// Bytes written so far, and the offsets of the line feeds not yet counted.
    out: u64,
    ends: Rc<RefCell<VecDeque<u64>>>,
    started: bool,
    /// Bytes since the last line feed, to refuse a line without end.
    run: usize,
    /// Line feeds written so far: the line being written is one more.
    pub(super) lines: u64,
    quotes: Quotes,
}

/// Where the CSV's quoting stands after the bytes so far, as the csv reader reads
/// it: a quote opens a quoted field only at the field's start; inside one, two
/// quotes are a quote and one closes it.
#[derive(Debug, Clone, Copy)]
struct Quotes {
    quoted: bool,
    /// Inside a quoted field, a quote just seen: the next byte says which it was.
    pending: bool,
    field_start: bool,
}

impl Quotes {
    fn new() -> Quotes {
        Quotes { quoted: false, pending: false, field_start: true }
    }

    fn step(&mut self, b: u8) {
        if self.quoted {
            if !self.pending {
                self.pending = b == b'"';
                return;
            }
            self.pending = false;
            if b == b'"' {
                return;
            }
            self.quoted = false;
        }
        match b {
            b',' | b'\n' => self.field_start = true,
            b'"' if self.field_start => (self.quoted, self.field_start) = (true, false),
            _ => self.field_start = false,
        }
    }

    /// Follow a run of bytes, skipping those that cannot change the state.
    fn run(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            let skip_to = match (self.quoted, self.pending, self.field_start) {
                (true, false, _) => Some(b'"'),
                (false, _, false) => Some(b','),
                _ => None,
            };
            if let Some(c) = skip_to {
                match memchr::memchr(c, &bytes[i..]) {
                    Some(j) => i += j,
                    None => return,
                }
            }
            self.step(bytes[i]);
            i += 1;
        }
    }

    /// The input ended inside a quoted field that was never closed.
    fn open(&self) -> bool {
        self.quoted && !self.pending
    }
}

impl<R: BufRead> LfOnly<R> {
    pub(super) fn new(inner: R) -> (Self, Rc<RefCell<VecDeque<u64>>>) {
        let ends = Rc::new(RefCell::new(VecDeque::new()));
        let lf = LfOnly {
            inner,
            cr: false,
            out: 0,
            ends: ends.clone(),
            started: false,
            run: 0,
            lines: 0,
            quotes: Quotes::new(),
        };
        (lf, ends)
    }
}

/// Where `LfOnly` writes, and what it counts while writing.
struct Sink<'a> {
    buf: &'a mut [u8],
    n: usize,
    out: &'a mut u64,
    run: &'a mut usize,
    lines: &'a mut u64,
    ends: &'a RefCell<VecDeque<u64>>,
    quotes: &'a mut Quotes,
}

impl Sink<'_> {
    fn full(&self) -> bool {
        self.n == self.buf.len()
    }

    fn put(&mut self, b: u8) -> io::Result<()> {
        self.buf[self.n] = b;
        self.n += 1;
        self.quotes.step(b);
        if b == b'\n' {
            self.ends.borrow_mut().push_back(*self.out);
            *self.run = 0;
            *self.lines += 1;
        } else {
            *self.run += 1;
            if *self.run > MAX_LINE {
                return Err(too_long());
            }
        }
        *self.out += 1;
        Ok(())
    }

    /// Write a run of bytes holding no line end (no CR, no LF), at once.
    fn put_run(&mut self, run: &[u8]) -> io::Result<()> {
        self.buf[self.n..self.n + run.len()].copy_from_slice(run);
        self.n += run.len();
        self.quotes.run(run);
        *self.out += run.len() as u64;
        *self.run += run.len();
        if *self.run > MAX_LINE {
            return Err(too_long());
        }
        Ok(())
    }
}

fn too_long() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "the line is longer than 1 MiB: is this a CSV file?")
}

impl<R: BufRead> std::io::Read for LfOnly<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if !self.started {
            self.started = true;
            if self.inner.fill_buf()?.starts_with(BOM) {
                self.inner.consume(BOM.len());
            }
        }
        let LfOnly { inner, cr, out: written, ends, run, lines, quotes, .. } = self;
        let mut sink = Sink { buf: out, n: 0, out: written, run, lines, ends, quotes };
        loop {
            let buf = inner.fill_buf()?;
            if buf.is_empty() {
                if *cr {
                    *cr = false;
                    sink.put(b'\n')?;
                }
                if sink.n == 0 && sink.quotes.open() {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file ends inside a quoted field: a closing quote is missing, or the file was cut short",
                    ));
                }
                return Ok(sink.n);
            }
            let mut used = 0;
            while used < buf.len() && !sink.full() {
                let b = buf[used];
                if *cr {
                    // A lone CR ends a line as well: write it as LF (and the LF of a CRLF is dropped).
                    *cr = false;
                    sink.put(b'\n')?;
                    used += usize::from(b == b'\n');
                } else if b == b'\r' {
                    *cr = true;
                    used += 1;
                } else if b == b'\n' {
                    sink.put(b)?;
                    used += 1;
                } else {
                    // The bytes up to the next line end, or as many as there is room for.
                    let span = &buf[used..buf.len().min(used + sink.buf.len() - sink.n)];
                    let plain = memchr::memchr2(b'\r', b'\n', span).unwrap_or(span.len());
                    sink.put_run(&span[..plain])?;
                    used += plain;
                }
            }
            inner.consume(used);
            if sink.n > 0 {
                return Ok(sink.n);
            }
        }
    }
}
