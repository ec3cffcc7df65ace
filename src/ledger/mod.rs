//! The SQLite ledger: opening it safely (private files, WAL, busy timeout,
//! version checks), one immediate transaction per writing command.

pub mod migrations;
pub mod queries;
pub mod stream;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error;
use migrations::{APPLICATION_ID, MIGRATIONS, current_version};

pub struct Ledger {
    pub conn: Connection,
    pub path: PathBuf,
}

/// The default ledger path in the user's data dir.
pub fn default_path() -> anyhow::Result<PathBuf> {
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy().map_err(|e| {
        error::ledger(format!("cannot find a data dir for the ledger ({e}): pass --ledger PATH or set ESCALATE_LEDGER"))
    })?;
    Ok(base.data_dir().join("escalate").join("ledger.db"))
}

fn version(conn: &Connection) -> rusqlite::Result<(i64, i32, i64)> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    Ok((v, app, tables))
}

/// Refuse a database that is not ours or is newer than this build.
fn vet(conn: &Connection, path: &Path) -> anyhow::Result<i64> {
    let (v, app, tables) =
        version(conn).map_err(|e| error::ledger(format!("cannot read ledger {}: {e}", path.display())))?;
    if app != APPLICATION_ID && (app != 0 || tables > 0) {
        return Err(error::ledger(format!("{} is not an escalate ledger: refusing to touch it", path.display())));
    }
    if v > current_version() {
        return Err(error::ledger(format!(
            "ledger {} has schema version {v}, newer than this escalate understands ({}): upgrade escalate; the ledger was left untouched",
            path.display(),
            current_version()
        )));
    }
    Ok(v)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")
}

fn migrate(conn: &mut Connection, from: i64) -> anyhow::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read inside the lock: another process may have migrated meanwhile.
    let (now_at, _, _) = version(&tx)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(now_at.max(from) as usize) {
        tx.execute_batch(sql).with_context(|| format!("applying ledger migration {}", i + 1))?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", current_version())?;
    tx.commit()?;
    Ok(())
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

/// A directory where the ledger file should be gets a message that says so.
fn refuse_directory(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        return Err(error::ledger(format!(
            "cannot open ledger {}: it is a directory; name a file, for example {}",
            path.display(),
            path.join("ledger.db").display()
        )));
    }
    Ok(())
}

impl Ledger {
    /// Open for writing, creating the ledger (private) and migrating it if needed.
    pub fn open_write(path: &Path) -> anyhow::Result<Ledger> {
        let fail = |e: &dyn std::fmt::Display| error::ledger(format!("cannot open ledger {}: {e}", path.display()));
        refuse_directory(path)?;
        if !path.exists() {
            create_private(path).map_err(|e| fail(&e))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| fail(&e))?;
        configure(&conn).map_err(|e| fail(&e))?;
        let v = vet(&conn, path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(|e| fail(&e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(fail(&format!("could not switch to WAL (journal mode is {mode})")));
        }
        if v < current_version() {
            migrate(&mut conn, v)
                .map_err(|e| error::ledger(format!("cannot migrate ledger {}: {e:#}", path.display())))?;
        }
        Ok(Ledger { conn, path: path.to_path_buf() })
    }

    /// Open for reading only. A ledger that does not exist yet reads as empty
    /// and is not created.
    pub fn open_read(path: &Path) -> anyhow::Result<Ledger> {
        let fail = |e: &dyn std::fmt::Display| error::ledger(format!("cannot open ledger {}: {e}", path.display()));
        refuse_directory(path)?;
        if !path.exists() {
            return Self::empty(path);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| fail(&e))?;
        configure(&conn).map_err(|e| fail(&e))?;
        let v = vet(&conn, path)?;
        if v == 0 {
            return Self::empty(path);
        }
        if v < current_version() {
            return Err(error::ledger(format!(
                "ledger {} has schema version {v}; this escalate uses {}: run a writing command (such as `escalate ledger migrate`) to upgrade it",
                path.display(),
                current_version()
            )));
        }
        Ok(Ledger { conn, path: path.to_path_buf() })
    }

    fn empty(path: &Path) -> anyhow::Result<Ledger> {
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn, 0)?;
        Ok(Ledger { conn, path: path.to_path_buf() })
    }

    /// Begin the command's one write transaction.
    pub fn begin(&mut self) -> anyhow::Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| error::ledger(format!("cannot lock ledger {}: {e}", self.path.display())))
    }

    pub fn schema_version(&self) -> anyhow::Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}
