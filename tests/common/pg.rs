//! Throwaway PostgreSQL servers for the integration tests: one shared per test process, or one of your own.
#![allow(dead_code)]

use std::ffi::CString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The password of the `postgres` user, needed over TCP (scram-sha-256); the socket trusts.
pub const PASSWORD: &str = "hunter2-test-pw";

const INSTALL: &str = "install PostgreSQL (Debian/Ubuntu: `apt-get install -y postgresql`)";

/// A running server in its own temp dir, reached as `postgres` over a unix socket or 127.0.0.1.
pub struct PgServer {
    root: PathBuf,
    bin: PathBuf,
    sock: PathBuf,
    port: u16,
    as_postgres: bool,
}

static SHARED: OnceLock<Result<PgServer, String>> = OnceLock::new();

/// The server shared by every test of this process: started on first use, stopped at exit.
pub fn server() -> &'static PgServer {
    let shared = SHARED.get_or_init(|| {
        let server = PgServer::launch()?;
        // SAFETY: registers a plain extern "C" fn that never unwinds.
        unsafe { libc::atexit(stop_shared) };
        Ok(server)
    });
    shared.as_ref().unwrap_or_else(|e| panic!("{e}"))
}

extern "C" fn stop_shared() {
    if let Some(Ok(server)) = SHARED.get() {
        server.teardown();
    }
}

impl PgServer {
    fn launch() -> Result<PgServer, String> {
        let bin =
            bin_dir().ok_or_else(|| format!("no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin: {INSTALL}"))?;
        let port = free_port()?;
        let root = temp_root()?;
        // SAFETY: geteuid has no preconditions.
        let as_postgres = unsafe { libc::geteuid() } == 0;
        let server = PgServer { sock: root.join("s"), root, bin, port, as_postgres };
        match server.init().and_then(|()| server.pg_ctl_start()) {
            Ok(()) => Ok(server),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&server.root);
                Err(format!("cannot start a test PostgreSQL server: {e}"))
            }
        }
    }

    /// Make the directories (owned by `postgres` when we are root) and run initdb.
    fn init(&self) -> Result<(), String> {
        std::fs::create_dir(&self.sock).map_err(|e| format!("mkdir {}: {e}", self.sock.display()))?;
        let pwfile = self.root.join("pw");
        std::fs::write(&pwfile, PASSWORD).map_err(|e| format!("write {}: {e}", pwfile.display()))?;
        if self.as_postgres {
            let (uid, gid) = postgres_user()?;
            for p in [&self.root, &self.sock, &pwfile] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid)).map_err(|e| format!("chown {}: {e}", p.display()))?;
            }
        }
        let mut initdb = self.pg("initdb");
        initdb.arg("-D").arg(self.data()).args(["-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
        initdb.args(["--auth-local=trust", "--auth-host=scram-sha-256"]).arg(format!("--pwfile={}", pwfile.display()));
        self.run(initdb)
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let opts = format!(
            "-k '{}' -p {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            self.sock.display(),
            self.port
        );
        let mut c = self.pg("pg_ctl");
        c.arg("-D").arg(self.data()).args(["-w", "-t", "60", "-l"]).arg(self.log()).args(["-o", &opts, "start"]);
        self.run(c)
    }

    fn pg_ctl_stop(&self, mode: &str) -> Result<(), String> {
        let mut c = self.pg("pg_ctl");
        c.arg("-D").arg(self.data()).args(["-w", "-m", mode, "stop"]);
        self.run(c)
    }

    /// Stop at once and delete everything; errors are ignored (runs at exit and in Drop).
    fn teardown(&self) {
        let _ = self.pg_ctl_stop("immediate");
        let _ = std::fs::remove_dir_all(&self.root);
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    fn log(&self) -> PathBuf {
        self.root.join("server.log")
    }

    /// A PostgreSQL program, run as `postgres` through runuser when we are root.
    fn pg(&self, program: &str) -> Command {
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(program));
            c
        } else {
            Command::new(self.bin.join(program))
        };
        c.current_dir(&self.root).stdin(Stdio::null());
        c
    }

    fn run(&self, mut c: Command) -> Result<(), String> {
        let out =
            c.output().map_err(|e| format!("cannot run {c:?}: {e} (runuser comes with util-linux; {INSTALL})"))?;
        if out.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.log()).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let mut msg = format!("{c:?} failed ({})\n", out.status);
        msg.push_str(&String::from_utf8_lossy(&out.stdout));
        msg.push_str(&String::from_utf8_lossy(&out.stderr));
        if !tail.is_empty() {
            let tail = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
            let _ = write!(msg, "\n--- server log (tail) ---\n{tail}");
        }
        Err(msg)
    }

    /// A new, empty database with a unique name.
    pub fn create_db(&self) -> String {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!("t_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        self.client("postgres").batch_execute(&format!("CREATE DATABASE {name}")).expect("CREATE DATABASE");
        name
    }

    /// Unix-socket URL (trust auth, no password).
    pub fn url(&self, db: &str) -> String {
        format!("postgresql://postgres@/{db}?host={}&port={}", self.sock.display(), self.port)
    }

    /// TCP URL on 127.0.0.1, where a password is required.
    pub fn tcp_url(&self, db: &str, with_password: bool) -> String {
        let pw = if with_password { format!(":{PASSWORD}") } else { String::new() };
        format!("postgresql://postgres{pw}@127.0.0.1:{}/{db}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn socket_dir(&self) -> &Path {
        &self.sock
    }

    pub fn client(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(db), postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to test database {db}: {e}"))
    }

    /// Run SQL; every row as a line, its columns joined by '|' (NULL as empty).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let msgs = self.client(db).simple_query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let rows = msgs.iter().filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).unwrap_or("")).collect::<Vec<_>>().join("|"))
            }
            _ => None,
        });
        rows.collect::<Vec<_>>().join("\n")
    }
}

/// A server of your own, for tests that stop and start it; stopped and deleted on drop.
pub struct OwnServer(PgServer);

impl OwnServer {
    pub fn start() -> OwnServer {
        OwnServer(PgServer::launch().unwrap_or_else(|e| panic!("{e}")))
    }

    /// Stop it (`-m fast`): clients are disconnected, new connections refused.
    pub fn stop(&self) {
        self.0.pg_ctl_stop("fast").unwrap_or_else(|e| panic!("stop test server: {e}"));
    }

    /// Start it again after `stop`, on the same port and socket.
    pub fn start_again(&self) {
        self.0.pg_ctl_start().unwrap_or_else(|e| panic!("restart test server: {e}"));
    }
}

impl std::ops::Deref for OwnServer {
    type Target = PgServer;
    fn deref(&self) -> &PgServer {
        &self.0
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.0.teardown();
    }
}

/// Every row of every table in schema public, by table name then first column: "unchanged" for a PG ledger.
pub fn dump(url: &str) -> String {
    let mut client = match postgres::Client::connect(url, postgres::NoTls) {
        Err(e) if e.code() == Some(&postgres::error::SqlState::INVALID_CATALOG_NAME) => return "<no database>".into(),
        other => other.unwrap_or_else(|e| panic!("connect to {url}: {e}")),
    };
    let tables = client
        .query(
            "SELECT quote_ident(c.relname), quote_ident(a.attname) FROM pg_class c \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1 \
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname",
            &[],
        )
        .expect("list tables");
    let mut out = String::new();
    for t in tables {
        let (table, first): (String, String) = (t.get(0), t.get(1));
        let sql = format!("SELECT t::text FROM public.{table} t ORDER BY t.{first}, 1");
        for row in client.query(&sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")) {
            let _ = writeln!(out, "{table}: {}", row.get::<_, String>(0));
        }
    }
    if out.is_empty() { "<no tables>".into() } else { out }
}

/// The directory holding initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/N/bin.
fn bin_dir() -> Option<PathBuf> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(d) = std::env::split_paths(&path).find(|d| has_both(d)) {
        return Some(d);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin")))
        })
        .filter(|(_, d)| has_both(d))
        .collect();
    versions.sort();
    versions.pop().map(|(_, d)| d)
}

/// A fresh temp dir, kept (teardown removes it), short enough for a socket path (~107 bytes).
fn temp_root() -> Result<PathBuf, String> {
    let tmp = std::env::temp_dir();
    let base = if tmp.as_os_str().len() > 60 { PathBuf::from("/tmp") } else { tmp };
    let dir = tempfile::Builder::new().prefix("escalate-pg").tempdir_in(&base);
    dir.map(|d| d.keep()).map_err(|e| format!("cannot make a temp dir in {}: {e}", base.display()))
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// uid and gid of the `postgres` user, created (system, no home) if missing.
fn postgres_user() -> Result<(u32, u32), String> {
    let lookup = || {
        let name = CString::new("postgres").expect("no NUL");
        // SAFETY: getpwnam returns null or a pointer to static storage, read at once.
        let pw = unsafe { libc::getpwnam(name.as_ptr()) };
        (!pw.is_null()).then(|| unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
    };
    if let Some(ids) = lookup() {
        return Ok(ids);
    }
    let status = Command::new("useradd").args(["--system", "--no-create-home", "postgres"]).status();
    let hint = "running as root, the server needs a `postgres` user";
    status.map_err(|e| format!("{hint}; useradd: {e}"))?;
    lookup().ok_or_else(|| format!("{hint} and useradd did not make one; {INSTALL}"))
}
