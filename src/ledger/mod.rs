//! The ledger: cases, escalations, pauses and the append-only event log, kept
//! in an embedded SQLite file or a shared PostgreSQL database. Commands reach
//! it only through the `Txn` trait; nothing outside this module writes SQL.

pub mod error;
pub mod location;
pub mod outbox;
pub mod postgres;
pub mod sqlite;
pub mod store;

pub use error::{Result, StoreError};
pub use location::Location;
pub use store::{
    CaseFilter, Counts, EscalationFilter, EventMeta, ImportStart, NewCase, NewEvent, PolicyRow, Row, StoredEvent, Txn,
};

/// The chain hash of a new event at `seq` after `prev`, as both backends store it.
pub(crate) fn chain_hash(prev: &str, seq: i64, e: &NewEvent) -> Result<String> {
    let at = crate::time::rfc3339(e.at);
    let link = crate::chain::Link {
        seq,
        at: &at,
        actor: e.actor,
        case_id: e.case_id,
        escalation: e.escalation,
        kind: e.kind,
        data: e.data,
        policy_digest: e.policy_digest,
    };
    crate::chain::hash(prev, &link).map_err(StoreError::Data)
}

/// The range of keys to probe before looking up many ids (an import's batch): new
/// ids in order, as exports write them, fall in a range that holds no case, and
/// one probe of the key says so where looking up each id makes one probe per id.
/// Keys order bytewise on both backends (SQLite's BINARY, PostgreSQL's "C"), as
/// Rust orders strings.
pub(crate) fn key_range(ids: &[String]) -> Option<(&String, &String)> {
    let (low, high) = (ids.iter().min()?, ids.iter().max()?);
    (ids.len() > 16).then_some((low, high))
}

/// One event of a bulk load, ready to store: the case it belongs to (its place in
/// the load's rows), its kind and JSON data, its seq and hash. (The hash before
/// it is the previous link's, or the head's for the first: `with_prev`.)
pub(crate) struct ChainLink<'a> {
    pub row: usize,
    pub kind: &'static str,
    pub data: &'a str,
    pub seq: i64,
    pub hash: String,
}

/// Each link with the hash it follows: `head`'s for the first, then the link before's.
pub(crate) fn with_prev<'a>(
    head: &'a str,
    links: &'a [ChainLink<'a>],
) -> impl Iterator<Item = (&'a ChainLink<'a>, &'a str)> {
    let prevs = std::iter::once(head).chain(links.iter().map(|l| l.hash.as_str()));
    links.iter().zip(prevs)
}

/// The events of a bulk load's cases, chained in order after `head` (seq, hash).
/// Their data was written in canonical form with each `NewCase`; what is left
/// here is the part that must go in order.
pub(crate) fn chain_links<'a>(
    rows: &'a [NewCase],
    meta: &EventMeta,
    head: (i64, String),
) -> Result<Vec<ChainLink<'a>>> {
    let (mut seq, head) = head;
    let at = crate::time::rfc3339(meta.at);
    let mut links: Vec<ChainLink> = Vec::with_capacity(rows.len());
    for (row, r) in rows.iter().enumerate() {
        for e in r.events() {
            seq += 1;
            let link = crate::chain::Link {
                seq,
                at: &at,
                actor: meta.actor,
                case_id: &r.case().id,
                escalation: None,
                kind: e.kind,
                data: &e.data,
                policy_digest: meta.policy_digest,
            };
            let prev = links.last().map_or(head.as_str(), |l| l.hash.as_str());
            let hash = crate::chain::hash_canonical(prev, &link, &e.data);
            links.push(ChainLink { row, kind: e.kind, data: &e.data, seq, hash });
        }
    }
    Ok(links)
}

/// `chain_links` on a thread of its own while `meanwhile` runs on this one: a
/// bulk load hashes its events while it writes the cases.
pub(crate) fn chain_links_beside<'a, T>(
    rows: &'a [NewCase],
    meta: &EventMeta,
    head: (i64, String),
    meanwhile: impl FnOnce() -> Result<T>,
) -> Result<(Vec<ChainLink<'a>>, T)> {
    std::thread::scope(|s| {
        let hashing = s.spawn(|| chain_links(rows, meta, head));
        let done = meanwhile();
        let links =
            hashing.join().map_err(|_| StoreError::Data("hashing the event log's new entries failed".into()))?;
        Ok((links?, done?))
    })
}

/// A value as the JSON text the ledger stores (tags, fields, packages).
pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// The last instant a ledger stores: RFC 3339 (and so the SQLite ledger) has four-digit years.
pub fn last_storable() -> chrono::DateTime<chrono::Utc> {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map_or(chrono::DateTime::<chrono::Utc>::MAX_UTC, |t| t.and_utc())
}

/// Refuse to write an instant the ledger cannot store (a deadline past the year 9999).
pub(crate) fn storable(what: &str, times: &[Option<chrono::DateTime<chrono::Utc>>]) -> Result<()> {
    match times.iter().flatten().find(|t| **t > last_storable()) {
        Some(t) => Err(StoreError::OutOfRange(format!(
            "{what} would hold {}, past the last instant a ledger stores (9999-12-31T23:59:59Z): nothing was written",
            t.to_rfc3339()
        ))),
        None => Ok(()),
    }
}

pub(crate) fn storable_case(c: &crate::model::Case) -> Result<()> {
    let times = [Some(c.opened_at), c.first_response_at, c.closed_at, c.waiting_since];
    // Named only when refused: an import checks a million cases.
    if times.iter().flatten().all(|t| *t <= last_storable()) {
        return Ok(());
    }
    storable(&format!("case {}", c.id), &times)
}

pub(crate) fn storable_escalation(e: &crate::model::Escalation) -> Result<()> {
    let times = [
        Some(e.requested_at),
        Some(e.level_since),
        e.review_due_at,
        e.decided_at,
        e.closed_at,
        e.last_update_at,
        e.next_touch_at,
        e.touch_since,
    ];
    storable(&format!("escalation #{} of case {}", e.id, e.case_id), &times)
}

static COMMITTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process committed a write to a ledger: a failure after it
/// (printing the outcome, say) must not read as if nothing was recorded.
pub fn committed() -> bool {
    COMMITTED.load(std::sync::atomic::Ordering::SeqCst)
}

pub(crate) fn note_commit() {
    COMMITTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// An open ledger of either backend.
pub struct Ledger {
    location: Location,
    db: Db,
}

enum Db {
    Sqlite(sqlite::Db),
    Postgres(postgres::Db),
}

/// What `ledger info` says about the ledger and its schema.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Info {
    pub backend: &'static str,
    pub location: String,
    pub exists: bool,
    pub schema_version: i64,
    pub supported_version: i64,
}

/// Refuse a schema newer than this build understands; nothing is written.
pub(crate) fn refuse_newer(v: i64, supported: i64, label: &str) -> Result<()> {
    if v > supported {
        return Err(StoreError::Unusable(format!(
            "ledger {label} has schema version {v}, newer than this escalate understands ({supported}): \
             upgrade escalate; the ledger was left untouched"
        )));
    }
    if v < 0 {
        return Err(StoreError::Unusable(format!(
            "ledger {label} has schema version {v}, which no escalate writes: the ledger was left untouched"
        )));
    }
    Ok(())
}

/// A read of a ledger whose schema is older than this build: it must be upgraded first.
pub(crate) fn refuse_older(v: i64, supported: i64, label: &str) -> Result<()> {
    if v < supported {
        return Err(StoreError::Unusable(format!(
            "ledger {label} has schema version {v}; this escalate uses {supported}: run a writing command \
             (such as `escalate ledger migrate`) to upgrade it"
        )));
    }
    Ok(())
}

impl Ledger {
    /// Open for reading: never creates or changes anything.
    pub fn open_read(location: &Location) -> Result<Ledger> {
        let db = match location {
            Location::File(p) => Db::Sqlite(sqlite::Db::open_read(p)?),
            Location::Postgres(url) => match postgres::Db::open_read(url)? {
                Some(db) => Db::Postgres(db),
                // A database without the schema reads as an empty ledger.
                None => Db::Sqlite(sqlite::Db::empty(url.masked())?),
            },
        };
        Ok(Ledger { location: location.clone(), db })
    }

    /// Open for writing: creates the ledger and upgrades its schema when needed.
    pub fn open_write(location: &Location) -> Result<Ledger> {
        let db = match location {
            Location::File(p) => Db::Sqlite(sqlite::Db::open_write(p)?),
            Location::Postgres(url) => Db::Postgres(postgres::Db::open_write(url)?),
        };
        Ok(Ledger { location: location.clone(), db })
    }

    /// Begin the command's one transaction (locking, for a ledger opened to write).
    pub fn begin(&mut self) -> Result<Box<dyn Txn + '_>> {
        match &mut self.db {
            Db::Sqlite(db) => db.begin(),
            Db::Postgres(db) => db.begin(),
        }
    }

    /// Begin a bulk load (an import): like `begin`, but the rows' references are
    /// the loader's own (cases it writes in the same batch, the policy it records
    /// first), so SQLite does not check each row's foreign keys as it is written.
    /// Checking them kept a journal of every multi-row statement to undo it alone.
    pub fn begin_bulk(&mut self) -> Result<Box<dyn Txn + '_>> {
        match &mut self.db {
            Db::Sqlite(db) => db.begin_bulk(),
            Db::Postgres(db) => db.begin(),
        }
    }

    /// A transaction whose writes are never kept (a dry run): it is dropped, not committed.
    pub fn scratch(&mut self) -> Result<Box<dyn Txn + '_>> {
        match &mut self.db {
            Db::Sqlite(db) => db.begin(),
            Db::Postgres(db) => db.begin_scratch(),
        }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn info(&mut self) -> Result<Info> {
        let (exists, schema_version, supported_version) = match (&mut self.db, &self.location) {
            (Db::Sqlite(db), Location::File(p)) => {
                let exists = p.exists();
                (exists, if exists { db.schema_version()? } else { 0 }, sqlite::migrations::current_version())
            }
            // A PostgreSQL database without the schema is read through an empty in-memory ledger.
            (Db::Sqlite(_), Location::Postgres(_)) => (false, 0, postgres::migrations::current_version()),
            (Db::Postgres(db), _) => (true, db.schema_version()?, postgres::migrations::current_version()),
        };
        let backend = self.location.backend();
        Ok(Info { backend, location: self.location.to_string(), exists, schema_version, supported_version })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_case_is_refused_past_the_last_instant_and_named() {
        let text = r#"{"id":"Y-1","customer":"Acme","severity":2,"tier":"standard","title":"","opened_at":"9999-12-31T23:59:59Z","priority":"normal","tags":[],"status":"open"}"#;
        let mut case: crate::model::Case = serde_json::from_str(text).unwrap();
        assert!(super::storable_case(&case).is_ok(), "the last instant itself is stored");
        case.closed_at = Some(super::last_storable() + chrono::Duration::seconds(1));
        let err = super::storable_case(&case).unwrap_err().to_string();
        assert!(err.starts_with("case Y-1 would hold +10000-01-01T00:00:00"), "{err}");
    }
}
