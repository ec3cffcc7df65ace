//! The storage seam: the domain operations every command reaches the ledger
//! through, defined once and implemented by each backend (SQLite, PostgreSQL).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::error::{Result, StoreError};
use super::outbox;
use crate::model::{Case, CaseStatus, Escalation, Event, OpeningBound, Pause, Priority};
use crate::roster::{Account, Shift};

/// Which cases `list_cases` returns; every filter given narrows the answer.
#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub customer: Option<String>,
    pub tier: Option<String>,
    pub severity: Option<u32>,
    pub priority: Option<Priority>,
}

/// Which escalations `list_escalations` returns.
#[derive(Debug, Default, Clone)]
pub struct EscalationFilter {
    /// Only those whose state is one of these (all when empty).
    pub states: Vec<crate::model::EscState>,
    pub level: Option<u32>,
    pub destination: Option<String>,
    pub case_id: Option<String>,
    /// Only the active escalations that can have a deadline within these bounds.
    pub due: Option<crate::model::DueBounds>,
    /// Only those requested at or after this instant (to the second: a few more may come).
    pub requested_since: Option<DateTime<Utc>>,
    /// Only those requested before this instant (to the second: a few more may come).
    pub requested_before: Option<DateTime<Utc>>,
}

/// What a command appends to the log; `seq` is assigned by the ledger.
pub struct NewEvent<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub case_id: &'a str,
    pub escalation: Option<i64>,
    pub kind: &'a str,
    /// The event's data as JSON text.
    pub data: &'a str,
    pub policy_digest: &'a str,
}

/// A new case for `import_cases`: the data of its case-added event (the case, its
/// pauses, where it came from) and, when it waits on the customer, the data of its
/// wait's event; both written as JSON when it is made (an import makes it on the
/// thread that reads its input, beside the writer).
#[derive(Debug)]
pub struct NewCase {
    added: crate::events::CaseAdded,
    events: Vec<WrittenEvent>,
}

/// An event of a new case, written: its kind and its JSON data, stored as it is
/// in the canonical form the chain hashes (`chain::canonical_data`), so that
/// the data is written once and hashed as it lies.
#[derive(Debug)]
pub struct WrittenEvent {
    pub kind: &'static str,
    pub data: String,
}

impl NewCase {
    /// The case of `added`, waiting on the customer when `waiting` says since when.
    pub fn new(added: crate::events::CaseAdded, waiting: Option<crate::events::Paused>) -> Result<NewCase> {
        let mut events =
            vec![WrittenEvent { kind: crate::events::CaseAdded::KIND, data: crate::chain::case_added(&added) }];
        if let Some(w) = &waiting {
            let data =
                serde_json::to_string(w).map_err(|e| StoreError::Data(format!("case {}: {e}", added.case.id)))?;
            let data = crate::chain::canonical_data(&data).map_err(StoreError::Data)?;
            events.push(WrittenEvent { kind: crate::events::Paused::KIND, data });
        }
        Ok(NewCase { added, events })
    }

    pub fn case(&self) -> &Case {
        &self.added.case
    }

    /// The data of its case-added event.
    pub fn added(&self) -> &crate::events::CaseAdded {
        &self.added
    }

    pub fn pauses(&self) -> &[Pause] {
        &self.added.pauses
    }

    /// Its events in order.
    pub fn events(&self) -> &[WrittenEvent] {
        &self.events
    }
}

/// The seq of each case's case-added event when `rows` are written in order
/// after the log's event `last`: each case's events follow one another.
pub(crate) fn added_seqs(rows: &[NewCase], last: i64) -> Vec<i64> {
    let mut next = last + 1;
    rows.iter()
        .map(|r| {
            let seq = next;
            next += r.events.len() as i64;
            seq
        })
        .collect()
}

/// Where a bulk import starts.
#[derive(Debug, Clone, Copy)]
pub struct ImportStart {
    /// The event log's last seq before the import.
    pub last_seq: i64,
    /// Look up only the ids read before in this import: the ledger held no case as it
    /// began, no other command adds one until it ends, and its key of cases is built
    /// after the load (a lookup before builds it then).
    pub repeats_only: bool,
}

/// What the events of one command share: when, who, under which policy.
pub struct EventMeta<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub policy_digest: &'a str,
}

/// An event row as stored: the kind and its JSON data as text.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub case_id: String,
    pub escalation: Option<i64>,
    pub kind: String,
    pub data: String,
    pub policy_digest: String,
    /// The hash chain: the previous event's hash and this one's (None only if never chained).
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl StoredEvent {
    /// The event as it was appended, for recomputing its hash.
    pub fn as_new(&self) -> NewEvent<'_> {
        NewEvent {
            at: self.at,
            actor: &self.actor,
            case_id: &self.case_id,
            escalation: self.escalation,
            kind: &self.kind,
            data: &self.data,
            policy_digest: &self.policy_digest,
        }
    }

    /// Walk this event in a chain verifier.
    pub fn feed(&self, v: &mut crate::chain::verify::Verifier) -> std::result::Result<(), crate::chain::verify::Break> {
        let at = crate::time::rfc3339(self.at);
        let link = crate::chain::Link {
            seq: self.seq,
            at: &at,
            actor: &self.actor,
            case_id: &self.case_id,
            escalation: self.escalation,
            kind: &self.kind,
            data: &self.data,
            policy_digest: &self.policy_digest,
        };
        v.feed(&crate::chain::verify::Stored { link, prev_hash: self.prev_hash.as_deref(), hash: self.hash.as_deref() })
    }
}

/// A policy text kept by digest, as cited by events.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRow {
    pub digest: String,
    pub origin: String,
    pub text: String,
    pub first_used_at: DateTime<Utc>,
}

/// A case row with its bookkeeping times, for `ledger copy`.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub case: Case,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One row of any table, in the order `ledger copy` moves them.
#[derive(Debug, Clone)]
pub enum Row {
    Policy(PolicyRow),
    Case(Box<CaseRow>),
    Escalation(Box<Escalation>),
    Pause {
        id: i64,
        case_id: String,
        pause: Pause,
    },
    Event(StoredEvent),
    Account(crate::roster::Account),
    Shift(crate::roster::Shift),
    /// A notification of the outbox, sent or not (a copy tells nobody twice).
    Delivery(Box<super::outbox::Delivery>),
}

/// What `ledger info` counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub cases: i64,
    pub escalations: i64,
    pub events: i64,
}

/// Rows keyed by their case, in the order they came.
pub fn by_case<T>(rows: Vec<(String, T)>) -> HashMap<String, Vec<T>> {
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    for (id, row) in rows {
        out.entry(id).or_default().push(row);
    }
    out
}

/// Callbacks that receive streamed rows may fail (a closed pipe, a full disk).
pub type Each<'a, T> = &'a mut dyn FnMut(T) -> anyhow::Result<()>;

/// One transaction on the ledger. Reads see one consistent snapshot. In a write
/// transaction `case` locks the case's row until commit, so the checks a
/// command makes after loading it hold when it writes.
pub trait Txn {
    // ---- cases
    fn case(&mut self, id: &str) -> Result<Option<Case>>;
    /// The cases with these ids that exist, in no particular order.
    fn cases(&mut self, ids: &[String]) -> Result<Vec<Case>>;
    fn insert_case(&mut self, c: &Case, now: DateTime<Utc>) -> Result<()>;
    fn update_case(&mut self, c: &Case, now: DateTime<Utc>) -> Result<()>;
    /// Cases matching the filter, by opening time then id.
    fn list_cases(&mut self, f: &CaseFilter) -> Result<Vec<Case>>;
    /// Open cases carrying any of `tags`, opened at or after `since` when given.
    fn open_cases_tagged(&mut self, tags: &[String], since: Option<DateTime<Utc>>) -> Result<Vec<Case>>;

    // ---- escalations
    fn escalations_of(&mut self, case_id: &str) -> Result<Vec<Escalation>>;
    /// The escalations of these cases, by id.
    fn escalations_of_cases(&mut self, ids: &[String]) -> Result<Vec<Escalation>>;
    /// Insert a new escalation; its `id` is ignored and the new one returned.
    fn insert_escalation(&mut self, e: &Escalation) -> Result<i64>;
    fn update_escalation(&mut self, e: &Escalation) -> Result<()>;
    fn list_escalations(&mut self, f: &EscalationFilter) -> Result<Vec<Escalation>>;

    // ---- pauses (waiting on the customer)
    fn pauses_of(&mut self, case_id: &str) -> Result<Vec<Pause>>;
    /// The pauses of these cases, keyed by case id, each oldest first.
    fn pauses_of_cases(&mut self, ids: &[String]) -> Result<HashMap<String, Vec<Pause>>>;
    fn start_pause(&mut self, case_id: &str, at: DateTime<Utc>) -> Result<()>;
    fn insert_pause(&mut self, case_id: &str, p: &Pause) -> Result<()>;
    fn end_pause(&mut self, case_id: &str, at: DateTime<Utc>) -> Result<()>;

    // ---- the event log
    fn remember_policy(&mut self, p: &PolicyRow) -> Result<()>;
    fn append_event(&mut self, e: &NewEvent) -> Result<i64>;
    fn last_event_at(&mut self, case_id: &str) -> Result<Option<DateTime<Utc>>>;
    /// The log's last event: the digest of its policy, who recorded it and when.
    fn last_policy_use(&mut self) -> Result<Option<(String, String, DateTime<Utc>)>>;
    /// The latest event time of each of these cases that has events.
    fn last_events_at(&mut self, ids: &[String]) -> Result<HashMap<String, DateTime<Utc>>>;
    fn events_of(&mut self, case_id: &str) -> Result<Vec<Event>>;
    /// What a report reads of the log: the events of these escalations and the
    /// root-cause analyses of these cases, in log order. Both are indexed apart
    /// from the rest of the log (a case's own events, years of them).
    fn escalation_events(&mut self, escalations: &[i64], cases: &[String]) -> Result<Vec<Event>>;

    // ---- whole tables, streamed (memory stays flat however large the ledger)
    /// Every case with its pauses, in id order; with `since`, only cases with an event at or after it.
    fn each_case(&mut self, since: Option<DateTime<Utc>>, each: Each<(Case, Vec<Pause>)>) -> anyhow::Result<()>;
    fn each_escalation(&mut self, since: Option<DateTime<Utc>>, each: Each<Escalation>) -> anyhow::Result<()>;
    fn each_event(&mut self, since: Option<DateTime<Utc>>, each: Each<Event>) -> anyhow::Result<()>;
    /// The events that shape a case's row and its pauses (added, updated, closed,
    /// reopened, paused, resumed), by
    /// case id in byte order (the order of `each_case`), then seq: for `ledger verify`.
    fn each_case_event(&mut self, each: Each<Event>) -> anyhow::Result<()>;
    /// The tags index's rows, (case id, tag): for `ledger verify`.
    fn each_case_tag(&mut self, each: Each<(String, String)>) -> anyhow::Result<()>;

    // ---- bulk import, a batch of records at a time
    /// Prepare for a bulk import: where it starts.
    fn import_begin(&mut self) -> Result<ImportStart>;
    /// Remember that these ids were seen on these lines (an id seen already keeps its first line).
    fn import_remember(&mut self, seen: &[(String, u64)]) -> Result<()>;
    /// The first line each of these ids was remembered on, for those remembered.
    fn import_seen(&mut self, ids: &[String]) -> Result<HashMap<String, i64>>;
    /// Of these cases, those this import (events after `start_seq`) wrote: the line each came from, if known.
    fn import_written(&mut self, ids: &[String], start_seq: i64) -> Result<HashMap<String, Option<i64>>>;
    /// Insert new cases with their pauses and events, as one bulk write;
    /// returns the seq of each case's case-added event, in order.
    fn import_cases(&mut self, rows: &[NewCase], meta: &EventMeta) -> Result<Vec<i64>>;
    fn import_end(&mut self) -> Result<()>;

    // ---- the ledger as a whole
    fn counts(&mut self) -> Result<Counts>;
    /// Every row of every table, in an order that can be inserted as it comes.
    fn each_row(&mut self, each: Each<Row>) -> anyhow::Result<()>;
    /// Insert a row as it was (ids kept), for `ledger copy`.
    fn put_row(&mut self, row: &Row) -> Result<()>;
    /// After `put_row`s: the ledger's counters continue after the copied ids.
    fn finish_copy(&mut self) -> Result<()>;

    // ---- the outbox of notifications
    /// Queue a notification; None when its key is queued already.
    fn enqueue(&mut self, d: &outbox::NewDelivery) -> Result<Option<i64>>;
    /// Take deliveries for sending: each is held until `until` so no one else sends it meanwhile.
    fn claim_deliveries(&mut self, which: outbox::Claim, until: DateTime<Utc>) -> Result<Vec<outbox::Delivery>>;
    /// Record what became of an attempt, releasing the hold.
    fn settle_delivery(&mut self, s: &outbox::Settled) -> Result<()>;
    /// Put a failed delivery back to pending, due at `now`, attempts from zero,
    /// held until `until` for the command that sends it.
    fn requeue_delivery(&mut self, id: i64, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<outbox::Requeued>;
    /// The outbox, newest first, at most `limit` rows.
    fn deliveries(&mut self, which: outbox::Listing, limit: i64) -> Result<Vec<outbox::Delivery>>;

    /// Every event as stored, with its chain fields, in seq order.
    fn each_stored_event(&mut self, each: Each<StoredEvent>) -> anyhow::Result<()>;
    /// The first event's chain hash, which names the ledger (`chain::checkpoint::origin`).
    fn first_hash(&mut self) -> Result<Option<String>>;

    /// Make the transaction's writes durable. Dropping without commit rolls back.
    fn commit(self: Box<Self>) -> Result<()>;

    // ---- accounts, the on-call roster and account escalations
    /// Hold the account of `customer` until the transaction ends: the commands that
    /// change its people or open an escalation of it take it in turn (an account
    /// escalation spans cases, so holding its cases does not serialize them).
    fn hold_account(&mut self, customer: &str) -> Result<()>;
    fn account(&mut self, customer: &str) -> Result<Option<Account>>;
    /// Insert or replace the account's people.
    fn put_account(&mut self, a: &Account) -> Result<()>;
    /// Every account, by customer.
    fn accounts(&mut self) -> Result<Vec<Account>>;
    /// Add a shift to the roster; its `id` is ignored and the new one returned.
    fn add_shift(&mut self, s: &Shift) -> Result<i64>;
    /// Every shift ever set, oldest first.
    fn shifts(&mut self) -> Result<Vec<Shift>>;
    /// The account escalations of a customer, by id.
    fn account_escalations(&mut self, customer: &str) -> Result<Vec<Escalation>>;

    // ---- the policies events cite
    /// Every policy text the log cites, by digest.
    fn policies(&mut self) -> Result<Vec<PolicyRow>>;

    // ---- eligibility
    /// The open cases matching the filter within any of the bounds (one indexed range
    /// query per bound), by opening time then id; not those with a requested or approved
    /// case escalation, which no check passes (a rejected one may be replaced).
    fn open_cases_within(&mut self, f: &CaseFilter, bounds: &[OpeningBound]) -> Result<Vec<Case>>;
}

/// Cases by opening time then id, the order `list_cases` gives.
pub fn by_opening(cases: &mut [Case]) {
    cases.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then_with(|| a.id.cmp(&b.id)));
}
