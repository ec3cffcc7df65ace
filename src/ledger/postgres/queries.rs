//! The PostgreSQL transaction: the storage seam's operations as SQL. JSON
//! values travel as text and are stored as `json`; a write transaction locks
//! the case it loads (`FOR UPDATE`) so concurrent commands on one case queue.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};

use crate::ledger::error::{Result, StoreError};
use crate::ledger::json;
use crate::ledger::store::StoredEvent;
use crate::model::{Case, Escalation, Event};

pub struct PgTxn<'a> {
    pub(super) tx: Transaction<'a>,
    pub(super) write: bool,
    prepared: HashMap<String, Statement>,
    /// Rows `ledger copy` handed over, written a table at a time in bulk.
    pub(super) pending: Vec<crate::ledger::store::Row>,
    /// An import into an empty ledger dropped the cases' key until it is needed.
    pub(super) cases_key_deferred: bool,
}

pub(super) type Param<'a> = &'a (dyn ToSql + Sync);

pub(super) fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Data(format!("cannot read {what} from the ledger: {e}"))
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| bad(what, e))
}

pub(super) fn parsed<T: std::str::FromStr>(what: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| bad(what, e))
}

pub(super) fn unsigned(what: &str, n: i32) -> Result<u32> {
    u32::try_from(n).map_err(|e| bad(what, e))
}

pub(super) const CASE_COLS: &str = "id, customer, severity, tier, title, opened_at, priority, tags::text, status, \
    (SELECT started_at FROM pauses p WHERE p.case_id = cases.id AND p.ended_at IS NULL ORDER BY p.id DESC LIMIT 1), \
    first_response_at, closed_at";

pub(super) fn case_row(r: &Row) -> Result<Case> {
    let id: String = r.get(0);
    Ok(Case {
        customer: r.get(1),
        severity: unsigned("a case's severity", r.get(2))?,
        tier: r.get(3),
        title: r.get(4),
        opened_at: r.get(5),
        priority: parsed("a case's priority", r.get::<_, &str>(6))?,
        tags: from_json("a case's tags", r.get::<_, &str>(7))?,
        status: parsed("a case's status", r.get::<_, &str>(8))?,
        waiting_since: r.get(9),
        first_response_at: r.get(10),
        closed_at: r.get(11),
        id,
    })
}

/// Owned values of a case's columns, in the order of the cases table.
pub(super) struct CaseValues {
    severity: i32,
    tags: String,
    priority: &'static str,
    status: &'static str,
}

impl CaseValues {
    pub(super) fn of(c: &Case) -> CaseValues {
        CaseValues {
            severity: c.severity as i32,
            tags: json(&c.tags),
            priority: c.priority.as_str(),
            status: c.status.as_str(),
        }
    }

    /// id, customer, severity, tier, title, opened_at, priority, tags, status, first_response_at, closed_at.
    pub(super) fn params<'a>(&'a self, c: &'a Case) -> Vec<Param<'a>> {
        vec![
            &c.id,
            &c.customer,
            &self.severity,
            &c.tier,
            &c.title,
            &c.opened_at,
            &self.priority,
            &self.tags,
            &self.status,
            &c.first_response_at,
            &c.closed_at,
        ]
    }
}

pub(super) const ESC_COLS: &str = "id, case_id, level, state, destination, reason, description, fields::text, requested_by, \
    requested_at, level_since, review_due_at, owner, decided_by, decided_at, decision_note, closed_at, \
    raised_by, decision, last_update_at, next_touch_at, handoff_note, package::text, touch_since, account, linked::text";

/// The columns written, in `esc_params` order, with their placeholders' casts.
pub(super) const ESC_WRITE: &[(&str, &str)] = &[
    ("case_id", ""),
    ("level", ""),
    ("state", ""),
    ("destination", ""),
    ("reason", ""),
    ("description", ""),
    ("fields", "::text::json"),
    ("requested_by", ""),
    ("requested_at", ""),
    ("level_since", ""),
    ("review_due_at", ""),
    ("owner", ""),
    ("decided_by", ""),
    ("decided_at", ""),
    ("decision_note", ""),
    ("closed_at", ""),
    ("raised_by", ""),
    ("decision", ""),
    ("last_update_at", ""),
    ("next_touch_at", ""),
    ("handoff_note", ""),
    ("package", "::text::json"),
    ("touch_since", ""),
    ("account", ""),
    ("linked", "::text::json"),
];

pub(super) fn esc_row(r: &Row) -> Result<Escalation> {
    let requested_by: String = r.get(8);
    Ok(Escalation {
        id: r.get(0),
        case_id: r.get(1),
        level: unsigned("an escalation's level", r.get(2))?,
        state: parsed("an escalation's state", r.get::<_, &str>(3))?,
        destination: r.get(4),
        reason: r.get(5),
        description: r.get(6),
        fields: from_json("an escalation's fields", r.get::<_, &str>(7))?,
        requested_at: r.get(9),
        level_since: r.get(10),
        review_due_at: r.get(11),
        owner: r.get(12),
        decided_by: r.get(13),
        decided_at: r.get(14),
        decision_note: r.get(15),
        closed_at: r.get(16),
        raised_by: r.get::<_, Option<String>>(17).unwrap_or_else(|| requested_by.clone()),
        decision: r.get(18),
        last_update_at: r.get(19),
        next_touch_at: r.get(20),
        handoff_note: r.get(21),
        package: from_json("an escalation's package", r.get::<_, &str>(22))?,
        touch_since: r.get(23),
        account: r.get(24),
        linked: from_json("an escalation's linked cases", r.get::<_, &str>(25))?,
        requested_by,
    })
}

/// Owned values of an escalation's written columns, in `ESC_WRITE` order.
pub(super) struct EscValues {
    level: i32,
    state: &'static str,
    fields: String,
    package: String,
    linked: String,
}

impl EscValues {
    pub(super) fn of(e: &Escalation) -> EscValues {
        EscValues {
            level: e.level as i32,
            state: e.state.as_str(),
            fields: json(&e.fields),
            package: json(&e.package),
            linked: json(&e.linked),
        }
    }

    pub(super) fn params<'a>(&'a self, e: &'a Escalation) -> Vec<Param<'a>> {
        vec![
            &e.case_id,
            &self.level,
            &self.state,
            &e.destination,
            &e.reason,
            &e.description,
            &self.fields,
            &e.requested_by,
            &e.requested_at,
            &e.level_since,
            &e.review_due_at,
            &e.owner,
            &e.decided_by,
            &e.decided_at,
            &e.decision_note,
            &e.closed_at,
            &e.raised_by,
            &e.decision,
            &e.last_update_at,
            &e.next_touch_at,
            &e.handoff_note,
            &self.package,
            &e.touch_since,
            &e.account,
            &self.linked,
        ]
    }
}

pub(super) const EVENT_COLS: &str =
    "seq, at, actor, case_id, escalation_id, kind, data::text, policy_digest, prev_hash, hash";

pub(super) fn stored_event(r: &Row) -> StoredEvent {
    StoredEvent {
        seq: r.get(0),
        at: r.get(1),
        actor: r.get(2),
        case_id: r.get(3),
        escalation: r.get(4),
        kind: r.get(5),
        data: r.get(6),
        policy_digest: r.get(7),
        prev_hash: r.get(8),
        hash: r.get(9),
    }
}

pub(super) fn event_row(r: &Row) -> Result<Event> {
    let s = stored_event(r);
    let seq = s.seq;
    Event::from_stored(s).map_err(|e| bad(&format!("event {seq}"), e))
}

impl<'a> PgTxn<'a> {
    pub fn new(tx: Transaction<'a>, write: bool) -> PgTxn<'a> {
        PgTxn { tx, write, prepared: HashMap::new(), pending: Vec::new(), cases_key_deferred: false }
    }

    /// A statement prepared once per transaction.
    pub(super) fn stmt(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql)?;
        self.prepared.insert(sql.to_string(), s.clone());
        Ok(s)
    }

    pub(super) fn rows<T>(&mut self, sql: &str, params: &[Param], f: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
        let stmt = self.stmt(sql)?;
        self.tx.query(&stmt, params)?.iter().map(f).collect()
    }

    pub(super) fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        let stmt = self.stmt(sql)?;
        Ok(self.tx.execute(&stmt, params)?)
    }

    /// Stream the rows of a query to `each`, without holding them all.
    pub(super) fn stream(
        &mut self,
        sql: &str,
        params: &[Param],
        mut each: impl FnMut(&Row) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let stmt = self.stmt(sql)?;
        let mut it = self.tx.query_raw(&stmt, params.iter().copied()).map_err(StoreError::from)?;
        while let Some(row) = it.next().map_err(StoreError::from)? {
            each(&row)?;
        }
        Ok(())
    }

    /// Write the rows `put_row` holds.
    pub(super) fn flush_copy(&mut self) -> Result<()> {
        let rows = std::mem::take(&mut self.pending);
        super::copy::rows(&mut self.tx, &rows)
    }

    /// A case's tags into `case_tags`, which holds the open cases' only.
    pub(super) fn add_tags(&mut self, c: &Case) -> Result<()> {
        if c.status != crate::model::CaseStatus::Open {
            return Ok(());
        }
        for t in &c.tags {
            self.exec("INSERT INTO case_tags (tag, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[t, &c.id])?;
        }
        Ok(())
    }

    pub(super) fn insert_case_at(&mut self, c: &Case, created: DateTime<Utc>, updated: DateTime<Utc>) -> Result<()> {
        crate::ledger::storable_case(c)?;
        let v = CaseValues::of(c);
        let mut params = v.params(c);
        params.extend([&created as Param, &updated]);
        self.exec(
            "INSERT INTO cases (id, customer, severity, tier, title, opened_at, priority, tags, status,
               first_response_at, closed_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::json, $9, $10, $11, $12, $13)",
            &params,
        )
        .map_err(|e| match e {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("case {}", c.id)),
            e => e,
        })?;
        self.add_tags(c)
    }

    /// Insert a new escalation; the database numbers it.
    pub(super) fn insert_escalation_row(&mut self, e: &Escalation) -> Result<i64> {
        crate::ledger::storable_escalation(e)?;
        let v = EscValues::of(e);
        let cols: Vec<&str> = ESC_WRITE.iter().map(|(c, _)| *c).collect();
        let marks: Vec<String> =
            ESC_WRITE.iter().enumerate().map(|(i, (_, cast))| format!("${}{cast}", i + 1)).collect();
        let sql = format!("INSERT INTO escalations ({}) VALUES ({}) RETURNING id", cols.join(", "), marks.join(", "));
        let stmt = self.stmt(&sql)?;
        Ok(self.tx.query_one(&stmt, &v.params(e))?.get(0))
    }
}
