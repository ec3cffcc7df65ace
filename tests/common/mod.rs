//! Test harness: the real binary in a temp dir, with a fixed clock and actor.
#![allow(dead_code)]

/// Run each named `fn(Backend)` as a test on SQLite and on PostgreSQL: one
/// conformance story, both backends (`#[macro_use] mod common;` to use it).
#[allow(unused_macros)]
macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(super::Backend::Sqlite) })+
        }
        mod postgres {
            $(#[test] fn $name() { super::$name(super::Backend::Postgres) })+
        }
    };
}

pub mod pg;
pub mod receiver;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub struct Env {
    pub dir: TempDir,
    pub now: String,
    pub policy: Option<PathBuf>,
    /// The PostgreSQL URL of this test's own database; None for a SQLite file.
    pub pg: Option<String>,
    /// Whether the ledger a test leaves must pass `ledger verify` (its chain, and
    /// its escalations table against the log): off once SQL edits it around escalate.
    pub verify_at_end: std::sync::atomic::AtomicBool,
}

/// Every ledger a test leaves verifies, unless the test edited it around
/// escalate: whatever the commands did, the event log tells the same story as
/// the tables. A test that fails says so itself first.
impl Drop for Env {
    fn drop(&mut self) {
        let exists = self.pg.is_some() || self.ledger().exists();
        if std::thread::panicking() || !self.verify_at_end.load(std::sync::atomic::Ordering::Relaxed) || !exists {
            return;
        }
        // Whatever clock the test last set (verify reads none, and a test may end on a bad one).
        let out = self.std_cmd().env("ESCALATE_NOW", DEFAULT_NOW).args(["ledger", "verify", "--cases"]).output();
        let out = out.expect("run ledger verify");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "the ledger this test left does not verify:\n{err}");
    }
}

/// Which ledger backend a conformance test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const DEFAULT_NOW: &str = "2026-11-23T12:00:00Z"; // a Monday

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
            now: DEFAULT_NOW.into(),
            policy: None,
            pg: None,
            verify_at_end: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// A test whose ledger is a fresh database on the shared throwaway PostgreSQL server.
    pub fn postgres() -> Env {
        let server = pg::server();
        let url = server.url(&server.create_db());
        Env::at_url(url)
    }

    /// A test whose ledger is the PostgreSQL database at `url`.
    pub fn at_url(url: String) -> Env {
        let mut env = Env::new();
        env.pg = Some(url);
        env
    }

    pub fn on(backend: Backend) -> Env {
        match backend {
            Backend::Sqlite => Env::new(),
            Backend::Postgres => Env::postgres(),
        }
    }

    /// The ledger was made something other than an escalate ledger on purpose: not verified at the end.
    pub fn unverified(&self) -> &Env {
        self.verify_at_end.store(false, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// The ledger as `--ledger` takes it: the SQLite file's path or the PostgreSQL URL.
    pub fn location(&self) -> String {
        match &self.pg {
            Some(url) => url.clone(),
            None => self.ledger().display().to_string(),
        }
    }

    /// A policy file in the temp dir, built from the default with replacements.
    pub fn with_policy(mut self, edit: impl Fn(String) -> String) -> Env {
        let text = edit(std::fs::read_to_string(repo().join("policy.toml")).expect("policy.toml"));
        let path = self.dir.path().join("custom-policy.toml");
        std::fs::write(&path, text).expect("write policy");
        self.policy = Some(path);
        self
    }

    pub fn ledger(&self) -> PathBuf {
        self.dir.path().join("ledger.db")
    }

    pub fn at(&mut self, now: &str) -> &mut Env {
        self.now = now.into();
        self
    }

    /// The binary as a plain std Command, with the test environment.
    pub fn std_cmd(&self) -> std::process::Command {
        self.program(assert_cmd::cargo::cargo_bin!("escalate"))
    }

    /// Any program, with the test environment (and ESCALATE_BIN for scripts).
    pub fn program(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        c.current_dir(self.dir.path())
            .env_clear()
            .env("ESCALATE_BIN", assert_cmd::cargo::cargo_bin!("escalate"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("ESCALATE_LEDGER", self.location())
            .env("ESCALATE_NOW", &self.now)
            .env("ESCALATE_ACTOR", "alice")
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100");
        if let Some(p) = &self.policy {
            c.env("ESCALATE_POLICY", p);
        }
        c
    }

    /// Run with stdout a pipe that is closed at once, as `escalate ... | head -0`.
    pub fn run_into_closed_pipe(&self, args: &[&str]) -> std::process::Output {
        let mut child = self
            .std_cmd()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn escalate");
        drop(child.stdout.take());
        child.wait_with_output().expect("wait for escalate")
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::from_std(self.std_cmd());
        c.timeout(std::time::Duration::from_secs(30));
        c
    }

    /// Run with args; returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().expect("run escalate");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Run as another actor; returns (exit code, stdout, stderr).
    pub fn run_as(&self, actor: &str, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().env("ESCALATE_ACTOR", actor).args(args).output().expect("run escalate");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Start `n` copies of the binary at once, the i-th with `args(i)` as actor `actor(i)`,
    /// and wait for them all: (exit code, stdout, stderr) each, in order.
    pub fn race(
        &self,
        n: usize,
        actor: impl Fn(usize) -> String,
        args: impl Fn(usize) -> Vec<String>,
    ) -> Vec<(i32, String, String)> {
        let barrier = std::sync::Barrier::new(n);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    let (barrier, actor, args) = (&barrier, actor(i), args(i));
                    s.spawn(move || {
                        let mut c = self.std_cmd();
                        c.env("ESCALATE_ACTOR", actor).args(&args);
                        barrier.wait();
                        let out = c.output().expect("run escalate");
                        (
                            out.status.code().unwrap_or(-1),
                            String::from_utf8_lossy(&out.stdout).into_owned(),
                            String::from_utf8_lossy(&out.stderr).into_owned(),
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a racing thread")).collect()
        })
    }

    /// Run and expect `code`; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.expect(0, args).0
    }

    pub fn expect(&self, code: i32, args: &[&str]) -> (String, String) {
        let (got, out, err) = self.run(args);
        assert_eq!(got, code, "escalate {args:?} exited {got}, wanted {code}\nstdout:\n{out}\nstderr:\n{err}");
        (out, err)
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        let (_, out, err) = self.run(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"))
    }

    /// Add a case opened at `opened` (RFC 3339).
    pub fn case(&self, id: &str, severity: u32, tier: &str, opened: &str) {
        self.ok(&[
            "case",
            "add",
            id,
            "--customer",
            "Acme",
            "--severity",
            &severity.to_string(),
            "--tier",
            tier,
            "--opened-at",
            opened,
        ]);
    }

    /// A complete non-interactive request to l2.
    pub fn request_args(id: &str) -> Vec<&str> {
        vec![
            "request",
            id,
            "--reason",
            "lack-of-progress",
            "--to",
            "l2",
            "--description",
            "No update for two days",
            "--field",
            "summary=Login fails",
            "--field",
            "troubleshooting=Cleared caches",
            "--field",
            "customer-context=Launch Friday",
        ]
    }

    /// Every row of every table, as text: what "unchanged" means for the ledger.
    pub fn dump(&self) -> String {
        match &self.pg {
            Some(url) => pg::dump(url),
            None => dump(&self.ledger()),
        }
    }
}

/// Run SQL on the ledger around escalate, as someone with database access would
/// (the ledger is then no longer expected to verify).
pub fn sql(env: &Env, statement: &str) {
    env.verify_at_end.store(false, std::sync::atomic::Ordering::Relaxed);
    match &env.pg {
        Some(url) => {
            let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
            client.batch_execute(statement).expect("sql");
        }
        None => {
            let conn = rusqlite::Connection::open(env.ledger()).expect("open");
            conn.execute_batch(statement).expect("sql");
            conn.pragma_update(None, "journal_mode", "DELETE").expect("journal");
        }
    }
}

/// A query's one number, on either backend (a count, say).
pub fn sql_number(env: &Env, query: &str) -> i64 {
    match &env.pg {
        Some(url) => {
            let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
            client.query_one(query, &[]).expect("sql").get(0)
        }
        None => {
            rusqlite::Connection::open(env.ledger()).expect("open").query_row(query, [], |r| r.get(0)).expect("sql")
        }
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn dump(path: &Path) -> String {
    if !path.exists() {
        return "<no ledger>".into();
    }
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let mut out = String::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("list tables")
        .query_map([], |r| r.get(0))
        .expect("list tables")
        .collect::<Result<_, _>>()
        .expect("table names");
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1")).expect("prepare");
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut line = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push(format!("{v:?}"));
                }
                Ok(line.join("|"))
            })
            .expect("query");
        for row in rows {
            out.push_str(&format!("{table}: {}\n", row.expect("row")));
        }
    }
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
    out.push_str(&format!("user_version: {v}\n"));
    out
}
