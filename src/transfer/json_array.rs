//! Case records from one JSON array of objects (what `export cases --format json`
//! writes): read an element at a time, each with the line it starts on, so that
//! memory stays flat however long the array.

use std::io::{self, BufRead};

use serde_json::Value;

use super::read::{BOM, MAX_LINE, Record, at_line, from_object, kind_of};

pub struct JsonArray<R: BufRead> {
    r: R,
    /// The line being read (1-based).
    line: u64,
    state: State,
    buf: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening bracket.
    Start,
    /// Inside the array; `first` until an element has been read.
    Inside { first: bool },
    /// After the closing bracket, or an error already reported.
    Done,
}

impl<R: BufRead> JsonArray<R> {
    pub fn new(r: R) -> Self {
        JsonArray { r, line: 1, state: State::Start, buf: Vec::new() }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }

    fn take(&mut self) -> io::Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.r.consume(1);
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(b)
    }

    /// The next byte that is not white space, not taken.
    fn skip_space(&mut self) -> io::Result<Option<u8>> {
        while let Some(b) = self.peek()? {
            if !b.is_ascii_whitespace() {
                return Ok(Some(b));
            }
            self.take()?;
        }
        Ok(None)
    }

    fn bad(&self, what: impl std::fmt::Display) -> io::Error {
        at_line(self.line, io::ErrorKind::InvalidData, what)
    }

    fn step(&mut self) -> io::Result<Option<Record>> {
        if self.state == State::Start {
            if self.r.fill_buf()?.starts_with(BOM) {
                self.r.consume(BOM.len());
            }
            if self.skip_space()? != Some(b'[') {
                return Err(self.bad("expected a JSON array of case objects: [{\"id\": ...}, ...]"));
            }
            self.take()?;
            self.state = State::Inside { first: true };
        }
        let State::Inside { first } = self.state else { return Ok(None) };
        match self.skip_space()? {
            None => return Err(self.bad("the array ends without its closing ]")),
            Some(b']') => {
                self.take()?;
                self.state = State::Done;
                return match self.skip_space()? {
                    None => Ok(None),
                    Some(_) => Err(self.bad("text after the end of the array")),
                };
            }
            Some(b',') if !first => {
                self.take()?;
                match self.skip_space()? {
                    None => return Err(self.bad("the array ends without its closing ]")),
                    Some(b']') => return Err(self.bad("a comma before the closing ]: JSON allows none")),
                    Some(_) => {}
                }
            }
            Some(_) if first => {}
            Some(_) => return Err(self.bad("expected , or ] after an element")),
        }
        self.state = State::Inside { first: false };
        let line = self.line;
        self.element()?;
        let mut id = None;
        let raw = match serde_json::from_slice::<Value>(&self.buf) {
            Ok(Value::Object(map)) => {
                id = map.get("id").and_then(|v| v.as_str()).map(str::to_string);
                from_object(map)
            }
            Ok(other) => Err(format!("expected a JSON object, found {}", kind_of(&other))),
            Err(e) => Err(format!("not valid JSON: {e}")),
        };
        Ok(Some(Record { line, id, raw, checked: None }))
    }

    /// One element's bytes into `buf`: an object or array to its matching bracket
    /// (brackets in strings do not count), anything else to the next , or ].
    fn element(&mut self) -> io::Result<()> {
        self.buf.clear();
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        loop {
            if self.buf.len() > MAX_LINE {
                return Err(self.bad("an element of the array is longer than 1 MiB: not a record of a case"));
            }
            let Some(b) = self.peek()? else { return Err(self.bad("the array ends inside an element")) };
            if !in_string && depth == 0 && (b == b',' || b == b']') {
                return Ok(());
            }
            self.take()?;
            self.buf.push(b);
            match (in_string, b) {
                (true, _) if escaped => escaped = false,
                (true, b'\\') => escaped = true,
                (true, b'"') => in_string = false,
                (true, _) => {}
                (false, b'"') => in_string = true,
                (false, b'{' | b'[') => depth += 1,
                (false, b'}' | b']') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                (false, _) => {}
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonArray<R> {
    type Item = io::Result<Record>;

    /// The next element, or an error naming its line, after which there is nothing more.
    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(rec) => rec.map(Ok),
            Err(e) => {
                self.state = State::Done;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each element's line and id (or what is wrong with it), or the error reading stopped at.
    type Read = Result<(u64, Result<String, String>), String>;

    fn read(input: &str) -> Vec<Read> {
        JsonArray::new(input.as_bytes())
            .map(|r| r.map(|r| (r.line, r.raw.map(|c| c.id.unwrap_or_default()))).map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn elements_are_read_one_by_one_with_their_lines() {
        let input = "\u{feff}[\n  {\"id\": \"A-1\", \"title\": \"a ] and a } in text\"},\n  {\"id\": \"A-2\",\n   \"tags\": [\"x\"]}\n]\n";
        assert_eq!(read(input), vec![Ok((2, Ok("A-1".into()))), Ok((3, Ok("A-2".into())))]);
        assert_eq!(read("[]"), vec![]);
        let bad = read("[{\"id\": \"A-1\"}, 5, {\"id\": \"A-3\"}]");
        assert_eq!(bad[1], Ok((1, Err("expected a JSON object, found a number".into()))));
        assert_eq!(bad[2], Ok((1, Ok("A-3".into()))));
    }

    #[test]
    fn a_broken_array_is_named_where_it_breaks() {
        for (input, want) in [
            ("{\"id\": \"A-1\"}", "line 1: expected a JSON array"),
            ("[{\"id\": \"A-1\"}\n{\"id\": \"A-2\"}]", "line 2: expected , or ]"),
            ("[{\"id\": \"A-1\"},\n", "line 2: the array ends without its closing ]"),
            ("[{\"id\": \"A-1\"", "line 1: the array ends inside an element"),
            ("[]\n[]", "line 2: text after the end of the array"),
            ("[{\"id\": \"A-1\"},]", "line 1: a comma before the closing ]"),
        ] {
            let got = read(input);
            let err = got.iter().find_map(|r| r.as_ref().err()).unwrap_or_else(|| panic!("{input:?}: {got:?}"));
            assert!(err.starts_with(want), "{input:?}: {err}");
            assert!(got.last().is_some_and(Result::is_err), "reading stops at the error: {got:?}");
        }
    }
}
