//! Inputs that are not what they should be: a policy that is a FIFO, a device,
//! a directory, a dangling link, huge, one endless line or not UTF-8; text
//! holding invisible characters; import files whose errors must say where.
//! And property tests feeding arbitrary input to the policy parser and the
//! import readers: no panic, and every error names its file and line.

mod common;
use common::Env;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use escalate::policy::Policy;
use escalate::policy::load::{self, Origin};
use escalate::transfer::read::Records;
use proptest::prelude::*;

fn built_in() -> String {
    std::fs::read_to_string(common::repo().join("policy.toml")).expect("policy.toml")
}

/// A policy's text without the tables whose names start with `name`.
fn without_tables(text: &str, name: &str) -> String {
    let kept: Vec<&str> = text.split("\n[").filter(|t| !t.starts_with(name)).collect();
    assert!(kept.len() < text.split("\n[").count(), "no table {name}");
    kept.join("\n[")
}

fn write(env: &Env, name: &str, bytes: &[u8]) -> PathBuf {
    let path = env.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

/// Run, expecting `code` quickly and a short stderr; returns stderr.
fn refused(env: &Env, code: i32, args: &[&str]) -> String {
    let started = Instant::now();
    let (got, out, err) = env.run(args);
    assert_eq!(got, code, "escalate {args:?} exited {got}, wanted {code}\nstdout:\n{out}\nstderr:\n{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "escalate {args:?} took {:?}", started.elapsed());
    assert!(err.len() < 4096, "escalate {args:?} wrote {} bytes of errors:\n{}", err.len(), &err[..2000]);
    err
}

// 1. The policy file: only a regular file, not too large, errors kept short.

#[test]
fn a_named_fifo_is_refused_without_blocking() {
    let env = Env::new();
    let fifo = env.dir.path().join("pipe.toml");
    mkfifo(&fifo);
    let f = fifo.to_str().unwrap();
    for args in [vec!["policy", "check", f], vec!["--policy", f, "case", "list"], vec!["--policy", f, "policy", "show"]]
    {
        let err = refused(&env, 3, &args);
        assert!(
            err.contains(&format!("cannot read policy {f}: it is a FIFO (named pipe), not a regular file")),
            "{err}"
        );
    }
}

#[test]
fn a_device_is_refused() {
    let env = Env::new();
    let err = refused(&env, 3, &["policy", "check", "/dev/zero"]);
    assert!(err.contains("cannot read policy /dev/zero: it is a character device, not a regular file"), "{err}");
    let err = refused(&env, 3, &["--policy", "/dev/null", "case", "list"]);
    assert!(err.contains("/dev/null"), "{err}");
}

#[test]
fn a_policy_over_the_size_limit_is_refused_by_its_size() {
    let env = Env::new();
    // Sparse: a gigabyte that takes no room, and must not be read.
    let huge = env.dir.path().join("huge.toml");
    std::fs::File::create(&huge).unwrap().set_len(1 << 30).unwrap();
    let err = refused(&env, 3, &["policy", "check", huge.to_str().unwrap()]);
    assert!(err.contains("huge.toml: it is 1.0 GiB (1073741824 bytes), larger than the limit of 1.0 MiB"), "{err}");
    // Just over the limit: a valid policy padded with a comment.
    let mut text = built_in();
    text.push('#');
    text.push_str(&"x".repeat((1 << 20) + 1 - text.len()));
    text.push('\n');
    let big = write(&env, "big.toml", text.as_bytes());
    let err = refused(&env, 3, &["policy", "check", big.to_str().unwrap()]);
    assert!(err.contains("big.toml: it is 1.0 MiB (1048578 bytes), larger than the limit of 1.0 MiB"), "{err}");
    // At the limit it is read.
    text.truncate((1 << 20) - 1);
    text.push('\n');
    let at = write(&env, "at.toml", text.as_bytes());
    let out = env.ok(&["policy", "check", at.to_str().unwrap()]);
    assert!(out.starts_with("ok: "), "{out}");
}

#[test]
fn a_long_line_is_quoted_in_part() {
    let env = Env::new();
    // A zone name of 900,000 characters on one line, 111 characters before it.
    let zone = format!("{}é{}", "A".repeat(450_000), "B".repeat(450_000));
    let rest = without_tables(&built_in(), "calendar");
    let text = format!("[calendar]\n{}timezone = \"{zone}\"\n{rest}", " ".repeat(100));
    write(&env, "long.toml", text.as_bytes());
    let err = refused(&env, 3, &["policy", "check", "long.toml"]);
    assert!(err.contains("long.toml:2:112: unknown time zone \"AAAA"), "{err}");
    assert!(err.contains("…"), "{err}");
    // The line is quoted around the error, cut at both ends; the caret is under the value.
    let quoted = err.lines().find(|l| l.starts_with("2 | ")).unwrap();
    assert!(quoted.chars().count() < 220, "{quoted}");
    let caret = err.lines().find(|l| l.trim_end().ends_with('^')).unwrap();
    let column = |l: &str, at: usize| l.char_indices().position(|(i, _)| i == at).unwrap();
    assert_eq!(column(caret, caret.find('^').unwrap()), column(quoted, quoted.find("\"AAA").unwrap()), "{err}");
    insta::assert_snapshot!("long_line_error", err.replace(&"A".repeat(50), "A50").replace(&"B".repeat(50), "B50"));

    // One line of 1 MiB less a byte: an unknown key, the whole file.
    let key = "k".repeat((1 << 20) - 10);
    write(&env, "one-line.toml", format!("{key} = 1\n").as_bytes());
    let err = refused(&env, 3, &["policy", "check", "one-line.toml"]);
    assert!(err.contains("one-line.toml:1:1: unknown field `kkkk"), "{err}");
}

#[test]
fn a_policy_that_is_not_utf8_names_where() {
    let env = Env::new();
    write(&env, "latin1.toml", b"[calendar]\ntimezone = \"Europe/Z\xfcrich\"\n");
    let err = refused(&env, 3, &["policy", "check", "latin1.toml"]);
    assert!(err.contains("invalid policy: latin1.toml:2:21: not valid UTF-8"), "{err}");
}

#[test]
fn a_working_dir_policy_that_is_no_file_is_an_error_not_the_built_in() {
    let env = Env::new();
    let here = env.dir.path().join("policy.toml");
    // With nothing there, the built-in policy.
    let out = env.ok(&["policy", "check"]);
    assert!(out.starts_with("ok: built-in is a valid policy"), "{out}");

    mkfifo(&here);
    for args in [["policy", "check"], ["case", "list"], ["policy", "show"]] {
        let err = refused(&env, 3, &args);
        assert!(err.contains("cannot read policy policy.toml: it is a FIFO (named pipe), not a regular file"), "{err}");
    }
    let out = env.ok(&["policy", "path"]);
    assert!(out.starts_with("In force: policy.toml\n"), "{out}");
    std::fs::remove_file(&here).unwrap();

    std::fs::create_dir(&here).unwrap();
    let err = refused(&env, 3, &["case", "list"]);
    assert!(err.contains("cannot read policy policy.toml: it is a directory, not a regular file"), "{err}");
    std::fs::remove_dir(&here).unwrap();

    std::os::unix::fs::symlink("elsewhere.toml", &here).unwrap();
    let err = refused(&env, 3, &["case", "list"]);
    assert!(
        err.contains("cannot read policy policy.toml: it is a symbolic link to elsewhere.toml, which does not exist"),
        "{err}"
    );
    // A link to a good policy is followed.
    std::fs::write(env.dir.path().join("elsewhere.toml"), built_in()).unwrap();
    let out = env.ok(&["policy", "check"]);
    assert!(out.starts_with("ok: policy.toml is a valid policy"), "{out}");
}

#[test]
fn a_config_dir_policy_that_is_no_file_is_an_error() {
    let env = Env::new();
    let path = env.dir.path().join("config/escalate/policy.toml");
    std::fs::create_dir_all(&path).unwrap();
    let err = refused(&env, 3, &["case", "list"]);
    assert!(err.contains("escalate/policy.toml: it is a directory, not a regular file"), "{err}");
}

// 2. Invisible characters are shown as escapes.

#[test]
fn line_separators_and_bidi_controls_in_a_title_are_escaped() {
    let env = Env::new();
    let hidden = [
        '\u{2028}', '\u{2029}', '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
        '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200B}', '\u{FEFF}',
    ];
    let title: String = hidden.iter().map(|c| format!("x{c}")).collect::<String>() + "end";
    env.ok(&["case", "add", "C-1", "--customer", "Acme", "--severity", "2", "--tier", "premium", "--title", &title]);
    for args in [&["case", "show", "C-1"][..], &["case", "list", "--status", "all"]] {
        let out = env.ok(args);
        for c in hidden {
            assert!(!out.contains(c), "{args:?} printed {:?} raw:\n{out}", c.escape_unicode().to_string());
        }
    }
    // Wide enough that the title is not wrapped.
    let out = env.cmd().env("COLUMNS", "400").args(["case", "show", "C-1"]).output().unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let escaped: String = hidden.iter().map(|c| format!("x{}", c.escape_unicode())).collect::<String>() + "end";
    assert!(out.contains(&escaped), "{out}");
    // The JSON keeps the text as it is.
    assert_eq!(env.json(&["case", "show", "C-1"])["title"], title.as_str());
}

// 3. Every error names its file and, where it has one, its line.

#[test]
fn a_bad_csv_header_names_the_file_and_line_and_leaves_no_ledger() {
    let env = Env::new();
    write(&env, "cases.csv", b"id,customer,severity,colour\nA,Acme,2,red\n");
    let err = refused(&env, 2, &["case", "import", "cases.csv"]);
    assert!(err.contains("cases.csv: line 1: unknown field \"colour\""), "{err}");
    write(&env, "cases.csv", b"\xEF\xBB\xBFid,customer,tier\n");
    let err = refused(&env, 2, &["case", "import", "cases.csv"]);
    assert!(err.contains("cases.csv: line 1: the header has no \"severity\" column"), "{err}");
    write(&env, "empty.csv", b"");
    let err = refused(&env, 2, &["case", "import", "empty.csv", "--dry-run"]);
    assert!(err.contains("empty.csv: line 1: the file is empty"), "{err}");
    assert_eq!(env.dump(), "<no ledger>");
    assert!(!env.dir.path().join("data").exists());
}

#[test]
fn a_line_over_1_mib_names_the_file_and_line() {
    let env = Env::new();
    let mut csv = b"id,customer,severity,tier\r\nA,Acme,2,premium\r\nB,".to_vec();
    csv.extend(std::iter::repeat_n(b'x', (1 << 20) + 1));
    csv.extend(b"\r\nC,Acme,2,premium\r\n");
    write(&env, "long.csv", &csv);
    let err = refused(&env, 2, &["case", "import", "long.csv"]);
    assert!(err.contains("long.csv: line 3: the line is longer than 1 MiB"), "{err}");

    let mut nd = b"{\"id\":\"A\",\"customer\":\"Acme\",\"severity\":2,\"tier\":\"premium\"}\n{\"id\":\"".to_vec();
    nd.extend(std::iter::repeat_n(b'x', (1 << 20) + 1));
    nd.extend(b"\"}\n");
    write(&env, "long.ndjson", &nd);
    let err = refused(&env, 2, &["case", "import", "long.ndjson"]);
    assert!(err.contains("long.ndjson are invalid"), "{err}");
    assert!(err.contains("line 2: the line is longer than 1 MiB"), "{err}");
    assert_eq!(env.dump(), "<no ledger>");
}

#[test]
fn a_policy_missing_a_whole_table_points_at_the_top_of_the_file() {
    let env = Env::new();
    // No [levels.N] at all: the table is missing.
    let text = without_tables(&built_in(), "levels.");
    write(&env, "no-levels.toml", text.as_bytes());
    let err = refused(&env, 3, &["policy", "check", "no-levels.toml"]);
    assert!(err.contains("invalid policy: no-levels.toml:1:1: missing field `levels`"), "{err}");
    // An empty [tiers] is at its own line.
    let text = format!("[tiers]\n{}", without_tables(&built_in(), "tiers."));
    write(&env, "no-tiers.toml", text.as_bytes());
    let err = refused(&env, 3, &["policy", "check", "no-tiers.toml"]);
    assert!(err.contains("no-tiers.toml:1:1: the policy needs at least one tier"), "{err}");
    // An empty file.
    write(&env, "empty.toml", b"");
    let err = refused(&env, 3, &["policy", "check", "empty.toml"]);
    assert!(err.contains("invalid policy: empty.toml:1:1: missing field `tiers`"), "{err}");
}

#[test]
fn many_problems_are_counted_not_all_listed() {
    let env = Env::new();
    let days = vec!["\"someday\""; 5000].join(", ");
    let text = built_in().replacen("working_days = [", &format!("working_days = [{days}, "), 1);
    assert_ne!(text, built_in());
    write(&env, "many.toml", text.as_bytes());
    let (_, err) = env.expect(3, &["policy", "check", "many.toml"]);
    assert!(err.len() < 100_000, "{} bytes of errors", err.len());
    assert_eq!(err.matches("unknown working day \"someday\"").count(), 50, "{err}");
    assert!(err.contains("... and 4950 more problems in many.toml"), "{err}");
}

// 4. Arbitrary input: no panic, every error names its file and line.

/// The policy error's first problem names the file, a line and a column within the text.
fn names_file_and_line(err: &str, file: &str, text: &str) -> Result<(), TestCaseError> {
    let first = err.lines().next().unwrap_or("");
    let rest =
        first.strip_prefix("invalid policy: ").and_then(|r| r.strip_prefix(file)).and_then(|r| r.strip_prefix(':'));
    let Some(rest) = rest else {
        return Err(TestCaseError::fail(format!("the error does not name {file}: {err}")));
    };
    let mut parts = rest.splitn(3, ':');
    let line: usize = parts.next().and_then(|l| l.parse().ok()).ok_or_else(|| TestCaseError::fail(err.to_string()))?;
    let col: usize = parts.next().and_then(|c| c.parse().ok()).ok_or_else(|| TestCaseError::fail(err.to_string()))?;
    prop_assert!(line >= 1 && line <= text.split('\n').count(), "line {line} of {} lines: {err}", text.lines().count());
    prop_assert!(col >= 1, "{err}");
    prop_assert!(err.len() < 60 * 2000, "{} bytes of errors", err.len());
    Ok(())
}

/// Pieces of policy text to splice into the built-in one.
const PIECES: &[&str] = &[
    "\n",
    "[",
    "]",
    "\"",
    "=",
    "{",
    "}",
    ",",
    "#",
    "'''",
    "\n[tiers]\n",
    "\n[tiers.x]\n",
    "\n[severities.0]\n",
    "\n[levels.7]\n",
    "\n[levels.1]\n",
    "\n[destinations.a]\nfields = [\"nope\"]\n",
    "wait = { premium = \"4h\" }\n",
    "review = \"1d business\"\n",
    "timezone = \"Mars/Olympus\"\n",
    "working_hours = { start = \"18:00\", end = \"09:00\" }\n",
    "deciders = [\"role:nobody\", \"\"]\n",
    "holidays = [\"2026-13-01\"]\n",
    "label = \"\u{202E}é\u{2028}\"\n",
    "x = 1\n",
    "99999999999999999999",
    "\u{0}",
    "\r",
    "é",
];

fn mutated_policy() -> impl Strategy<Value = String> {
    let edit = (any::<prop::sample::Index>(), 0usize..40, prop::sample::select(PIECES), any::<bool>());
    prop::collection::vec(edit, 1..6).prop_map(|edits| {
        let mut text: Vec<char> = built_in().chars().collect();
        for (at, len, piece, delete) in edits {
            let at = at.index(text.len() + 1);
            if delete {
                let end = (at + len).min(text.len());
                text.drain(at..end);
            } else {
                text.splice(at..at, piece.chars());
            }
        }
        text.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_policy_parser_takes_any_text(text in any::<String>()) {
        if let Err(e) = Policy::parse(&text, "any.toml") {
            names_file_and_line(&format!("{e:#}"), "any.toml", &text)?;
        }
    }

    #[test]
    fn the_policy_parser_takes_any_edit_of_a_good_policy(text in mutated_policy()) {
        if let Err(e) = Policy::parse(&text, "edited.toml") {
            names_file_and_line(&format!("{e:#}"), "edited.toml", &text)?;
        }
    }

    #[test]
    fn a_policy_file_of_any_bytes_is_read_or_refused_by_name(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        splice in prop::option::of((any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 0..8))),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bytes.toml");
        let bytes = match splice {
            // Mostly a good policy with a few bytes changed: a UTF-8 error deep in it.
            Some((at, junk)) => {
                let mut b = built_in().into_bytes();
                let at = at.index(b.len());
                b.splice(at..at, junk);
                b
            }
            None => bytes,
        };
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = load::load_from(Origin::Named(path.clone())) {
            let err = format!("{e:#}");
            let text = String::from_utf8_lossy(&bytes);
            names_file_and_line(&err, &path.display().to_string(), &text)?;
            prop_assert_eq!(escalate::error::exit_code_of(&e), 3);
        }
    }
}

/// Read every record: none after an error, lines in order, every error naming a line.
fn read_all<R: std::io::BufRead>(records: Records<R>) -> Result<(), TestCaseError> {
    let mut records = records;
    let mut last = 0;
    while let Some(item) = records.next() {
        match item {
            Ok(r) => {
                prop_assert!(r.line >= 1 && r.line >= last, "line {} after {last}", r.line);
                last = r.line;
                if let Err(e) = &r.raw {
                    prop_assert!(!e.is_empty());
                    prop_assert!(e.len() < 2000, "{} bytes: {e}", e.len());
                }
            }
            Err(e) => {
                let msg = e.to_string();
                let n = msg.strip_prefix("line ").and_then(|r| r.split(':').next()).and_then(|n| n.parse::<u64>().ok());
                prop_assert!(n.is_some_and(|n| n >= 1 && n + 1 >= last), "{msg:?} names no line (after line {last})");
                prop_assert!(records.next().is_none(), "reading went on after {msg}");
                break;
            }
        }
    }
    Ok(())
}

/// Bytes that look like CSV or NDJSON more often than noise does.
fn recordish() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"id,customer,severity,tier,title,tags,pauses\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"{\"id\":\"A\",\"customer\":\"Acme\",\"severity\":2,\"tier\":\"premium\"}".to_vec()),
        Just(b"{\"tags\":[1,{}],\"pauses\":[{}],\"x\":null}".to_vec()),
        Just(b"A,Acme,2,premium,t,a;b,[]".to_vec()),
        Just("é\u{2028}".as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..16),
    ];
    prop::collection::vec(token, 0..24).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_ndjson_reader_takes_any_bytes(bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..600), recordish()], cap in 1usize..64) {
        read_all(Records::ndjson(std::io::BufReader::with_capacity(cap, bytes.as_slice())))?;
    }

    #[test]
    fn the_csv_reader_takes_any_bytes(bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..600), recordish()], cap in 1usize..64) {
        let records = Records::csv(std::io::BufReader::with_capacity(cap, bytes.as_slice()));
        prop_assert!(records.is_ok());
        read_all(records.unwrap())?;
    }
}

#[test]
fn import_errors_name_the_file_and_line_whatever_the_input() {
    // A handful of hostile inputs through the real command.
    let env = Env::new();
    let inputs: [(&str, &[u8]); 6] = [
        ("a.csv", b"\"id,customer\nseverity,tier\n"),
        ("b.csv", b"\xff\xfe,id\n"),
        ("c.csv", b"id,customer,severity,tier,id\n"),
        ("d.ndjson", b"{\"id\":\"A\"\n\xff\n[1]\n"),
        ("e.ndjson", b"\x00\x00\x00"),
        ("f.csv", b"id,customer,severity,tier\nA,\"Acme\n"),
    ];
    for (name, bytes) in inputs {
        write(&env, name, bytes);
        let err = refused(&env, 2, &["case", "import", name]);
        assert!(err.contains(name), "{name}: {err}");
        assert!(err.contains("line "), "{name}: {err}");
    }
}
