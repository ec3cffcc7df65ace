//! The embedded SQLite backend: opening a ledger file safely (private files, a
//! rollback journal so that readers create nothing, busy timeout, version
//! checks, creation under a file lock), one immediate transaction per write.

mod accounts;
mod bulk;
mod chain;
mod log;
pub mod migrations;
mod outbox;
mod queries;
mod raw;
mod stream;
mod txn;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::error::{Result, StoreError};
use super::store::Txn;
use migrations::{APPLICATION_ID, MIGRATIONS, current_version};

/// An open SQLite ledger.
pub struct Db {
    conn: Connection,
    write: bool,
    label: String,
}

/// The schema version, the application id and the number of schema objects,
/// read in one statement: one consistent snapshot, even while another process migrates.
fn version(conn: &Connection) -> rusqlite::Result<(i64, i32, i64)> {
    conn.query_row(
        "SELECT v.user_version, a.application_id, (SELECT count(*) FROM sqlite_master)
         FROM pragma_user_version AS v, pragma_application_id AS a",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Refuse a database that is not ours or is newer than this build.
fn vet(conn: &Connection, label: &str) -> Result<i64> {
    let (v, app, tables) = version(conn).map_err(|e| match e.sqlite_error() {
        // A hot journal: a write was cut short (a crash, a full disk). A reader may not replay it.
        Some(f) if f.extended_code == rusqlite::ffi::SQLITE_READONLY_ROLLBACK => StoreError::Unusable(format!(
            "ledger {label} was left in the middle of a write (a crash or a full disk): run a writing command, \
             such as `escalate ledger migrate`, to recover it; nothing committed was lost"
        )),
        _ => StoreError::Unusable(format!("cannot read ledger {label}: {e}")),
    })?;
    if app != APPLICATION_ID && (app != 0 || tables > 0) {
        return Err(StoreError::Unusable(format!("{label} is not an escalate ledger: refusing to touch it")));
    }
    super::refuse_newer(v, current_version(), label)?;
    Ok(v)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")
}

fn migrate(conn: &mut Connection, from: i64, label: &str) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| StoreError::Unusable(format!("cannot migrate ledger {label}: {e}"));
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| fail(&e))?;
    // Re-read inside the lock: another process may have migrated meanwhile.
    let (now_at, _, _) = version(&tx).map_err(|e| fail(&e))?;
    super::refuse_newer(now_at, current_version(), label)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(now_at.max(from) as usize) {
        tx.execute_batch(sql).map_err(|e| fail(&format!("migration {}: {e}", i + 1)))?;
        if i + 1 == migrations::CHAIN {
            chain::chain_existing(&tx).map_err(|e| fail(&format!("chaining the event log: {e}")))?;
        }
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(|e| fail(&e))?;
    tx.pragma_update(None, "user_version", current_version()).map_err(|e| fail(&e))?;
    tx.commit().map_err(|e| fail(&e))
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Ok(())
}

/// A ledger file is private to its owner, including one that was adopted empty.
#[cfg(unix)]
fn private(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = file.metadata()?;
    if meta.permissions().mode() & 0o077 != 0 && meta.len() == 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn private(_: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

/// A directory where the ledger file should be gets a message that says so.
fn refuse_directory(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Err(StoreError::Unusable(format!(
            "cannot open ledger {}: it is a directory; name a file, for example {}",
            path.display(),
            path.join("ledger.db").display()
        )));
    }
    Ok(())
}

impl Db {
    /// Open for writing, creating the ledger (private) and migrating it if needed.
    /// Writers set the ledger up one at a time, under an exclusive lock on the
    /// file, so that several creating a new ledger at once all succeed.
    pub fn open_write(path: &Path) -> Result<Db> {
        let label = path.display().to_string();
        let fail = |e: &dyn std::fmt::Display| StoreError::Unusable(format!("cannot open ledger {label}: {e}"));
        refuse_directory(path)?;
        if !path.exists() {
            create_private(path).map_err(|e| fail(&e))?;
        }
        let setup = std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(|e| fail(&e))?;
        setup.lock().map_err(|e| fail(&format!("cannot lock the file: {e}")))?;
        private(&setup).map_err(|e| fail(&e))?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| fail(&e))?;
        configure(&conn).map_err(|e| fail(&e))?;
        let v = vet(&conn, &label)?;
        // A rollback journal: readers then need no side files, so they work in a
        // read-only directory and leave nothing behind. Older ledgers in WAL switch here.
        let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0)).map_err(|e| fail(&e))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(fail(&format!("could not use a rollback journal (journal mode is {mode})")));
        }
        if v < current_version() {
            migrate(&mut conn, v, &label)?;
        }
        drop(setup);
        Ok(Db { conn, write: true, label })
    }

    /// Open for reading only. A ledger that does not exist yet reads as empty
    /// and is not created.
    pub fn open_read(path: &Path) -> Result<Db> {
        let label = path.display().to_string();
        let fail = |e: &dyn std::fmt::Display| StoreError::Unusable(format!("cannot open ledger {label}: {e}"));
        refuse_directory(path)?;
        if !path.exists() {
            return Self::empty(label);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| fail(&e))?;
        configure(&conn).map_err(|e| fail(&e))?;
        let v = vet(&conn, &label).map_err(|e| match e {
            // SQLite reads a ledger in WAL mode through files beside it, made on the read.
            StoreError::Unusable(m) | StoreError::Db(m) if in_wal_mode(path) && m.contains("readonly") => {
                StoreError::Unusable(format!(
                    "{m}: ledger {label} is in WAL mode (an older escalate's), which SQLite reads only where it may write beside it; run one writing command on it where it is writable (`escalate ledger migrate`) and it switches to a mode read-only copies can be read in"
                ))
            }
            e => e,
        })?;
        if v == 0 {
            return Self::empty(label);
        }
        super::refuse_older(v, current_version(), &label)?;
        Ok(Db { conn, write: false, label })
    }

    /// An empty ledger in memory, for reading a ledger that does not exist yet.
    pub fn empty(label: String) -> Result<Db> {
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn, 0, &label)?;
        Ok(Db { conn, write: false, label })
    }

    /// Begin the command's one transaction: immediate (locking) for writes.
    pub fn begin(&mut self) -> Result<Box<dyn Txn + '_>> {
        let behavior = if self.write { TransactionBehavior::Immediate } else { TransactionBehavior::Deferred };
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, behavior).map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy) => StoreError::Db(format!(
                "another command has been writing ledger {} for 10 seconds: nothing was written; try again once it is done",
                self.label
            )),
            _ => StoreError::Db(format!("cannot lock ledger {}: {e}", self.label)),
        })?;
        Ok(Box::new(queries::SqliteTxn { stmts: bulk::Statements::new(&self.conn), tx }))
    }

    /// `begin` for a bulk load: foreign keys are not enforced on this connection
    /// from here on (the pragma takes effect only outside a transaction).
    pub fn begin_bulk(&mut self) -> Result<Box<dyn Txn + '_>> {
        if self.write {
            self.conn
                .pragma_update(None, "foreign_keys", "OFF")
                .map_err(|e| StoreError::Db(format!("cannot set up the load into ledger {}: {e}", self.label)))?;
        }
        self.begin()
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

/// The SQLite file at `path` is in WAL mode (its header's read version is 2).
fn in_wal_mode(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 20];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head[18] == 2
}
