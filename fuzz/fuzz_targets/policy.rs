//! The policy parser on any input: it never panics, and every error names
//! the file, a line of the text and a column.
//!
//! cargo +nightly fuzz run policy -- -dict=fuzz/policy.dict

#![no_main]

use escalate::policy::Policy;
use libfuzzer_sys::fuzz_target;

const FILE: &str = "fuzz.toml";

fuzz_target!(|data: &[u8]| {
    // Bytes that are not UTF-8 are refused before parsing (by `load::read_policy`,
    // naming where); the parser itself takes text.
    let text = String::from_utf8_lossy(data);
    let Err(e) = Policy::parse(&text, FILE) else { return };
    let msg = format!("{e:#}");
    let first = msg.lines().next().unwrap_or("");
    let at = first
        .strip_prefix("invalid policy: ")
        .and_then(|r| r.strip_prefix(FILE))
        .and_then(|r| r.strip_prefix(':'))
        .unwrap_or_else(|| panic!("the error names no file: {msg}"));
    let mut parts = at.splitn(3, ':');
    let line: usize = parts.next().and_then(|l| l.parse().ok()).unwrap_or_else(|| panic!("no line: {msg}"));
    let col: usize = parts.next().and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no column: {msg}"));
    assert!(line >= 1 && line <= text.split('\n').count(), "line {line} is not in the text: {msg}");
    assert!(col >= 1, "{msg}");
});
