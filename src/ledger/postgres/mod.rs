//! The PostgreSQL backend, for a ledger a team shares: connecting (see
//! `connect`), the version check and migrations under an advisory lock, and
//! transactions whose writes lock the case they act on.

mod accounts;
mod bulk;
mod chain;
mod connect;
mod copy;
mod filters;
mod log;
pub mod migrations;
mod outbox;
mod pgpass;
mod queries;
mod txn;

use postgres::{Client, IsolationLevel};

use super::error::{Result, StoreError};
use super::location::PgUrl;
use super::store::Txn;
use migrations::{MIGRATIONS, current_version};

/// An advisory lock key only escalate's migrations take ("ESC1").
const MIGRATION_LOCK: i64 = 0x4553_4331;

/// An open PostgreSQL ledger.
pub struct Db {
    client: Client,
    write: bool,
    label: String,
}

/// A PostgreSQL error in words: the server's own message when it sent one.
pub fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{}: {}", db.severity(), db.message());
        if let Some(d) = db.detail() {
            s.push_str(&format!(" ({d})"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(&format!(": {c}"));
        }
        source = cause.source();
    }
    if e.is_closed() && !s.contains("closed") {
        s.push_str(" (the connection was closed)");
    }
    s
}

/// The schema version, or None when the database holds no escalate ledger yet.
fn version(client: &mut impl postgres::GenericClient, label: &str) -> Result<Option<i64>> {
    // One statement, one snapshot: another process may be creating the schema right now.
    let row = client.query_one(
        "SELECT count(*) FILTER (WHERE tablename = 'escalate_meta') > 0, count(*)
         FROM pg_tables WHERE schemaname = current_schema()",
        &[],
    )?;
    let (has_meta, tables): (bool, i64) = (row.get(0), row.get(1));
    if !has_meta {
        if tables > 0 {
            return Err(StoreError::Unusable(format!(
                "{label} holds tables but is not an escalate ledger: refusing to touch it"
            )));
        }
        return Ok(None);
    }
    let row = client.query_opt("SELECT value FROM escalate_meta WHERE key = 'schema_version'", &[])?;
    let text: String = row.map(|r| r.get(0)).unwrap_or_default();
    text.parse()
        .map(Some)
        .map_err(|_| StoreError::Unusable(format!("{label} has an unreadable schema version {text:?}")))
}

fn migrate(client: &mut Client, label: &str) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| StoreError::Unusable(format!("cannot migrate ledger {label}: {e}"));
    let mut tx = client.transaction().map_err(|e| fail(&describe(&e)))?;
    // One migrator at a time; re-read the version under the lock.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(|e| fail(&describe(&e)))?;
    let from = version(&mut tx, label)?;
    super::refuse_newer(from.unwrap_or(0), current_version(), label)?;
    if from.is_none() {
        tx.batch_execute("CREATE TABLE escalate_meta (key text PRIMARY KEY, value text NOT NULL)")
            .map_err(|e| fail(&describe(&e)))?;
    }
    let from = from.unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        tx.batch_execute(sql).map_err(|e| fail(&format!("migration {}: {}", i + 1, describe(&e))))?;
        if i + 1 == migrations::CHAIN {
            chain::chain_existing(&mut tx).map_err(|e| fail(&format!("chaining the event log: {e}")))?;
        }
    }
    tx.execute(
        "INSERT INTO escalate_meta (key, value) VALUES ('schema_version', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&current_version().to_string()],
    )
    .map_err(|e| fail(&describe(&e)))?;
    tx.commit().map_err(|e| fail(&describe(&e)))
}

fn open(url: &PgUrl) -> Result<(Client, String)> {
    let label = url.masked();
    let target = connect::parse(url)?;
    let mut client = connect::connect(&target, &label)?;
    client
        // A row another command holds is waited for as long as SQLite's busy timeout, no longer.
        .batch_execute("SET client_min_messages = warning; SET TIME ZONE 'UTC'; SET lock_timeout = '10s'")
        .map_err(|e| StoreError::Unusable(format!("cannot set up the session on {label}: {}", describe(&e))))?;
    Ok((client, label))
}

impl Db {
    /// Connect for reading; None when the database holds no ledger yet.
    pub fn open_read(url: &PgUrl) -> Result<Option<Db>> {
        let (mut client, label) = open(url)?;
        let Some(v) = version(&mut client, &label)? else { return Ok(None) };
        super::refuse_newer(v, current_version(), &label)?;
        super::refuse_older(v, current_version(), &label)?;
        Ok(Some(Db { client, write: false, label }))
    }

    /// Connect for writing, creating or upgrading the schema when needed.
    pub fn open_write(url: &PgUrl) -> Result<Db> {
        let (mut client, label) = open(url)?;
        let v = version(&mut client, &label)?;
        super::refuse_newer(v.unwrap_or(0), current_version(), &label)?;
        if v.is_none_or(|v| v < current_version()) {
            migrate(&mut client, &label)?;
        }
        Ok(Db { client, write: true, label })
    }

    /// Begin the command's transaction: read-only and repeatable for reads; for a
    /// write, read committed whatever the server's default (each statement sees what
    /// committed before it, which the checks on locked rows rely on).
    pub fn begin(&mut self) -> Result<Box<dyn Txn + '_>> {
        let tx = if self.write {
            self.client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start()
        } else {
            self.client.build_transaction().read_only(true).isolation_level(IsolationLevel::RepeatableRead).start()
        };
        let tx =
            tx.map_err(|e| StoreError::Db(format!("cannot begin a transaction on {}: {}", self.label, describe(&e))))?;
        Ok(Box::new(queries::PgTxn::new(tx, self.write)))
    }

    /// A writable transaction that is never committed (dry runs).
    pub fn begin_scratch(&mut self) -> Result<Box<dyn Txn + '_>> {
        let tx = self.client.transaction()?;
        Ok(Box::new(queries::PgTxn::new(tx, false)))
    }

    pub fn schema_version(&mut self) -> Result<i64> {
        Ok(version(&mut self.client, &self.label)?.unwrap_or(0))
    }
}
