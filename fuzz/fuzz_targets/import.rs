//! The import readers (NDJSON and CSV) on any input, read through buffers of
//! any size: they never panic, lines only go forward, every error names its
//! line ("line N: ..."), and nothing is read after an error.
//!
//! cargo +nightly fuzz run import

#![no_main]

use std::io::{BufRead, BufReader};

use escalate::transfer::read::Records;
use libfuzzer_sys::fuzz_target;

fn read_all<R: BufRead>(mut records: Records<R>) {
    let mut last = 0;
    while let Some(item) = records.next() {
        match item {
            Ok(r) => {
                assert!(r.line >= 1 && r.line >= last, "line {} after line {last}", r.line);
                last = r.line;
                if let Err(e) = &r.raw {
                    assert!(!e.is_empty(), "an empty error on line {}", r.line);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                let n = msg.strip_prefix("line ").and_then(|r| r.split(':').next()).and_then(|n| n.parse::<u64>().ok());
                assert!(n.is_some_and(|n| n >= 1), "the error names no line: {msg}");
                assert!(records.next().is_none(), "reading went on after: {msg}");
                return;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the format and the read buffer's size.
    let Some((&choice, input)) = data.split_first() else { return };
    let cap = usize::from(choice >> 1) + 1;
    let reader = BufReader::with_capacity(cap, input);
    if choice & 1 == 0 {
        read_all(Records::ndjson(reader));
    } else {
        read_all(Records::csv(reader).expect("a CSV reader"));
    }
});
