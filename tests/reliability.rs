//! Reliability: nothing lost, nothing hangs. Racing creators of a new ledger,
//! readers during writes, reads that touch nothing, a full disk, kill -9 in
//! the middle of an import, corrupt, foreign and newer files, closed output.

mod common;
use std::time::Duration;

use common::{Backend, Env};

fn add(id: &str) -> Vec<String> {
    ["case", "add", id, "--customer", "x", "--severity", "3", "--tier", "standard"].map(String::from).to_vec()
}

fn racing_creators(b: Backend) {
    for round in 0..if b == Backend::Sqlite { 12 } else { 4 } {
        let env = Env::on(b);
        let results = env.race(8, |i| format!("w{i}"), |i| add(&format!("R{round}-{i}")));
        for (code, _, err) in &results {
            assert_eq!(*code, 0, "round {round}: every creator commits: {err}");
        }
        assert_eq!(env.json(&["ledger", "info"])["cases"], 8);
    }
}

#[test]
fn racing_creators_of_a_new_sqlite_ledger_all_commit() {
    racing_creators(Backend::Sqlite);
}

#[test]
fn racing_creators_of_a_new_postgresql_ledger_all_commit() {
    racing_creators(Backend::Postgres);
}

/// Every file beside the ledger, with its bytes.
fn files(env: &Env) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn read_commands_change_no_byte_and_create_no_file() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T00:00:00Z");
    env.ok(&Env::request_args("C-1"));
    let before = files(&env);
    assert_eq!(before.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["ledger.db"]);
    for args in [
        &["check", "C-1"][..],
        &["show", "C-1"],
        &["list"],
        &["due"],
        &["report"],
        &["package", "C-1"],
        &["case", "list", "--eligible"],
        &["export", "cases"],
        &["export", "escalations"],
        &["export", "events"],
        &["ledger", "info"],
    ] {
        let (code, _, err) = env.run(args);
        assert!(code == 0 || (code == 1 && args[0] == "check"), "{args:?}: {err}");
        assert_eq!(files(&env), before, "{args:?} changed or created a file");
    }
}

#[test]
fn readers_during_writes_never_fail() {
    let env = Env::new();
    env.case("SEED", 3, "standard", "2026-11-20T08:00:00Z");
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for i in 0..40 {
                let (code, _, err) = env.run(&add(&format!("W-{i}")).iter().map(String::as_str).collect::<Vec<_>>());
                assert_eq!(code, 0, "{err}");
            }
        });
        for _ in 0..40 {
            let (code, _, err) = env.run(&["case", "list"]);
            assert_eq!(code, 0, "a reader failed during writes: {err}");
        }
        writer.join().unwrap();
    });
    assert_eq!(env.json(&["ledger", "info"])["cases"], 41);
}

/// A CSV of `n` new cases.
fn csv(env: &Env, n: usize) -> std::path::PathBuf {
    let mut text = String::from("id,customer,severity,tier,opened_at,title\n");
    for i in 0..n {
        text.push_str(&format!(
            "K-{i},Customer {},3,standard,2026-11-{:02}T10:00:00Z,Title number {i}\n",
            i % 50,
            1 + i % 20
        ));
    }
    let path = env.dir.path().join("big.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_full_disk_fails_cleanly_and_loses_nothing() {
    let env = Env::new();
    env.case("BEFORE", 3, "standard", "2026-11-20T08:00:00Z");
    let file = csv(&env, 20_000);
    let before = env.dump();
    // A file size limit stands in for a full disk; the signal it raises is ignored, as a full disk raises none.
    let bin = assert_cmd::cargo::cargo_bin!("escalate");
    let script = format!("trap '' XFSZ; ulimit -f 64; exec '{}' case import '{}'", bin.display(), file.display());
    let out = env.program("bash").args(["-c", &script]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains(&env.ledger().display().to_string()), "the error names the ledger: {err}");
    // A reader cannot replay what the cut-short write left; it says how to recover.
    let (code, _, err) = env.run(&["list"]);
    if code != 0 {
        assert!(err.contains("run a writing command, such as `escalate ledger migrate`, to recover it"), "{err}");
    }
    env.ok(&["ledger", "migrate"]);
    assert_eq!(env.dump(), before, "nothing half-written, nothing lost");
    env.case("AFTER", 3, "standard", "2026-11-20T08:00:00Z");
}

#[test]
fn kill_9_during_an_import_is_all_or_nothing() {
    let env = Env::new();
    env.case("BEFORE", 3, "standard", "2026-11-20T08:00:00Z");
    let file = csv(&env, 150_000);
    for wait in [300, 900] {
        let mut child = env.std_cmd().args(["case", "import", "--upsert", file.to_str().unwrap()]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap();
        child.wait().unwrap();
        // Killed after its page cache spilled into the file, the import left a hot journal:
        // a reader refuses it and says how to recover, and a writing command rolls it back.
        let (code, _, err) = env.run(&["ledger", "info"]);
        if code != 0 {
            assert!(err.contains("run a writing command, such as `escalate ledger migrate`, to recover it"), "{err}");
            env.ok(&["ledger", "migrate"]);
        }
        let cases = env.json(&["ledger", "info"])["cases"].as_i64().unwrap();
        assert!(cases == 1 || cases == 150_001, "all or nothing, not {cases}");
    }
    // The ledger is whole and takes writes.
    env.case("AFTER", 3, "standard", "2026-11-20T08:00:00Z");
    let conn = rusqlite::Connection::open(env.ledger()).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn corrupt_empty_and_negative_version_files() {
    let env = Env::new();
    env.unverified();
    std::fs::write(env.ledger(), b"this is not a database, just some bytes that fill a page or so ........").unwrap();
    let bytes = std::fs::read(env.ledger()).unwrap();
    for args in [&["list"][..], &add("C-1").iter().map(String::as_str).collect::<Vec<_>>()] {
        let (_, err) = env.expect(4, args);
        assert!(err.contains(&env.ledger().display().to_string()), "{err}");
    }
    assert_eq!(std::fs::read(env.ledger()).unwrap(), bytes);
    // An empty file is adopted as a new ledger, and made private.
    let empty = Env::new();
    std::fs::write(empty.ledger(), b"").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(empty.ledger(), std::fs::Permissions::from_mode(0o644)).unwrap();
    empty.case("C-1", 3, "standard", "2026-11-20T08:00:00Z");
    assert_eq!(std::fs::metadata(empty.ledger()).unwrap().permissions().mode() & 0o777, 0o600);
    // A negative schema version is no version escalate writes: refused, untouched.
    empty.unverified();
    {
        let conn = rusqlite::Connection::open(empty.ledger()).unwrap();
        conn.pragma_update(None, "user_version", -3).unwrap();
    }
    let bytes = std::fs::read(empty.ledger()).unwrap();
    let (_, err) = empty.expect(4, &["ledger", "migrate"]);
    assert!(err.contains("schema version -3"), "{err}");
    assert_eq!(std::fs::read(empty.ledger()).unwrap(), bytes);
}

#[test]
fn output_that_cannot_be_written_is_an_error() {
    let env = Env::new();
    let bin = assert_cmd::cargo::cargo_bin!("escalate");
    // Closed standard output: nothing is done, exit 5; /dev/null opened as subprocesses open it is fine.
    let script = format!("exec '{}' case add C-1 --customer x --severity 3 --tier standard >&-", bin.display());
    let out = env.program("bash").args(["-c", &script]).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!env.ledger().exists(), "nothing was written");
    let script = format!("exec '{}' list 1<>/dev/null", bin.display());
    let out = env.program("bash").args(["-c", &script]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // Output to a full device after the write: exit 5, and the message says it was recorded.
    let script = format!("exec '{}' case add C-2 --customer x --severity 3 --tier standard >/dev/full", bin.display());
    let out = env.program("bash").args(["-c", &script]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("the change was recorded in the ledger"), "{err}");
    assert_eq!(env.json(&["ledger", "info"])["cases"], 1);
    let (_, err) = env.expect(2, &["list", "--now", ""]);
    assert!(err.contains("--now is empty"), "{err}");
}

#[test]
fn an_instant_past_the_year_9999_is_refused_and_poisons_nothing() {
    for b in [Backend::Sqlite, Backend::Postgres] {
        let mut env = Env::on(b);
        env.at("9999-12-31T16:30:00Z");
        env.case("Y-1", 2, "premium", "9999-12-20T08:00:00Z");
        let before = env.dump();
        let (_, err) = env.expect(2, &Env::request_args("Y-1"));
        assert!(err.contains("past the last instant a ledger stores"), "{b:?}: {err}");
        assert_eq!(env.dump(), before);
        for args in [&["list"][..], &["due"], &["report"], &["export", "escalations"], &["check", "Y-1"]] {
            let (code, _, err) = env.run(args);
            assert!(code == 0 || (code == 1 && args[0] == "check"), "{b:?} {args:?}: {err}");
        }
    }
}

#[test]
fn ids_are_trimmed_and_unicode_forms_are_one_id() {
    let env = Env::new();
    env.ok(&["case", "add", " padded ", "--customer", "x", "--severity", "3", "--tier", "standard"]);
    env.ok(&["case", "show", "padded"]);
    env.ok(&["case", "show", " padded "]);
    let (code, _, err) = env.run(&["check", " padded "]);
    assert!(code == 0 || code == 1, "{err}");
    // "Café" composed (NFC) and decomposed (NFD) are one id.
    env.ok(&["case", "add", "Caf\u{e9}-1", "--customer", "x", "--severity", "3", "--tier", "standard"]);
    let (_, err) =
        env.expect(2, &["case", "add", "Cafe\u{301}-1", "--customer", "x", "--severity", "3", "--tier", "standard"]);
    assert!(err.contains("already exists (the id you typed differs from it only in its Unicode form)"), "{err}");
    env.ok(&["case", "show", "Cafe\u{301}-1"]);
    let file = env.dir.path().join("in.ndjson");
    std::fs::write(&file, "{\"id\":\"Cafe\u{301}-1\",\"customer\":\"x\",\"severity\":3,\"tier\":\"standard\"}\n")
        .unwrap();
    let (_, err) = env.expect(2, &["case", "import", file.to_str().unwrap()]);
    assert!(err.contains("already exists in the ledger"), "{err}");
}

#[test]
fn a_held_lock_gives_exit_4_after_the_busy_timeout() {
    let env = Env::new();
    env.case("C-1", 3, "standard", "2026-11-20T08:00:00Z");
    let conn = rusqlite::Connection::open(env.ledger()).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let (_, err) = env.expect(4, &["case", "add", "C-2", "--customer", "x", "--severity", "3", "--tier", "standard"]);
    assert!(started.elapsed() >= Duration::from_secs(5), "it waited for the lock first");
    assert!(
        err.contains("another command has been writing ledger") && err.contains(&env.ledger().display().to_string()),
        "{err}"
    );
    // Readers are not held up by a writer that has not committed.
    env.ok(&["case", "list"]);
    conn.execute_batch("ROLLBACK").unwrap();
    env.case("C-2", 3, "standard", "2026-11-20T08:00:00Z");
}

#[test]
fn a_read_only_copy_in_a_read_only_directory_can_be_read() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    // As root, permissions do not bind: read as the unprivileged `postgres` user instead,
    // with a copy of the binary it can reach wherever the checkout is.
    let root = unsafe { libc::geteuid() } == 0;
    let bin = tempfile::Builder::new().prefix("escalate-bin").tempdir().unwrap();
    let copy = bin.path().join("escalate");
    std::fs::copy(assert_cmd::cargo::cargo_bin!("escalate"), &copy).unwrap();
    std::fs::set_permissions(bin.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = files(&env);
    std::fs::set_permissions(env.ledger(), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    for args in [&["list"][..], &["show", "C-1"], &["due"], &["report"], &["export", "events"]] {
        let mut cmd = if root {
            let mut c = env.program("runuser");
            c.args(["-u", "postgres", "--"]).arg(&copy);
            c
        } else {
            env.std_cmd()
        };
        let out = cmd.args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(env.ledger(), std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(files(&env), before, "nothing was created or changed beside the ledger");
}

#[test]
fn an_empty_ledger_variable_counts_as_unset_but_an_empty_flag_is_refused() {
    let env = Env::new();
    let out = env.cmd().env("ESCALATE_LEDGER", "").args(["case", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, err) = env.expect(2, &["--ledger", "", "case", "list"]);
    assert!(err.contains("--ledger is empty"), "{err}");
}
