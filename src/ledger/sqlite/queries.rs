//! SQLite rows to and from the domain records: the column lists, the row
//! readers and writers the transaction uses. Times are stored as RFC 3339
//! text, JSON values as text.
use chrono::{DateTime, Utc};
use rusqlite::types::{Type, Value};
use rusqlite::{Row, params_from_iter};

use crate::ledger::error::Result;
use crate::ledger::json;
use crate::ledger::store::CaseFilter;
use crate::model::{Case, Escalation, Event};
use crate::time::rfc3339;

pub struct SqliteTxn<'a> {
    /// The import's prepared statements, reset after each run: finalized before a rollback
    /// (declared first), after a commit, and always before the connection closes.
    pub stmts: super::bulk::Statements<'a>,
    pub tx: rusqlite::Transaction<'a>,
}

pub(super) fn conv<E: std::fmt::Display>(idx: usize, e: E) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, e.to_string().into())
}

pub(super) fn time_at(row: &Row, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = row.get(idx)?;
    DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(|e| conv(idx, e))
}

pub(super) fn opt_time_at(row: &Row, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(|e| conv(idx, e))).transpose()
}

pub(super) fn parsed<T: std::str::FromStr>(row: &Row, idx: usize) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.get(idx)?;
    s.parse().map_err(|e| conv(idx, e))
}

pub(super) fn json_at<T: serde::de::DeserializeOwned>(row: &Row, idx: usize) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s).map_err(|e| conv(idx, e))
}

/// `?1, ?2, ...` for a list of `n` values.
pub(super) fn marks(n: usize) -> String {
    (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

// ---- cases ----------------------------------------------------------------

pub(super) const CASE_COLS: &str =
    "id, customer, severity, tier, title, opened_at, priority, tags, status, first_response_at, closed_at";
pub(super) const CASE_SELECT: &str = "SELECT id, customer, severity, tier, title, opened_at, priority, tags, status,
    (SELECT started_at FROM pauses p WHERE p.case_id = cases.id AND p.ended_at IS NULL ORDER BY p.id DESC LIMIT 1),
    first_response_at, closed_at
    FROM cases";

pub(super) fn case_row(row: &Row) -> rusqlite::Result<Case> {
    Ok(Case {
        id: row.get(0)?,
        customer: row.get(1)?,
        severity: row.get(2)?,
        tier: row.get(3)?,
        title: row.get(4)?,
        opened_at: time_at(row, 5)?,
        priority: parsed(row, 6)?,
        tags: json_at(row, 7)?,
        status: parsed(row, 8)?,
        waiting_since: opt_time_at(row, 9)?,
        first_response_at: opt_time_at(row, 10)?,
        closed_at: opt_time_at(row, 11)?,
    })
}

/// A case's columns in `CASE_COLS` order.
pub(super) fn case_values(c: &Case) -> Vec<Value> {
    vec![
        c.id.clone().into(),
        c.customer.clone().into(),
        i64::from(c.severity).into(),
        c.tier.clone().into(),
        c.title.clone().into(),
        rfc3339(c.opened_at).into(),
        c.priority.as_str().to_string().into(),
        json(&c.tags).into(),
        c.status.as_str().to_string().into(),
        c.first_response_at.map(rfc3339).into(),
        c.closed_at.map(rfc3339).into(),
    ]
}

pub(super) fn insert_case_at(
    tx: &rusqlite::Connection,
    c: &Case,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> Result<()> {
    crate::ledger::storable_case(c)?;
    let mut values = case_values(c);
    values.push(rfc3339(created).into());
    values.push(rfc3339(updated).into());
    tx.prepare_cached(&format!("INSERT INTO cases ({CASE_COLS}, created_at, updated_at) VALUES ({})", marks(13)))?
        .execute(params_from_iter(values))?;
    count_rows(tx, "cases", 1)?;
    Ok(add_tags(tx, c)?)
}

/// Move the kept row count of `table` by `n`, in the writing transaction.
pub(super) fn count_rows(tx: &rusqlite::Connection, table: &str, n: i64) -> rusqlite::Result<()> {
    if n != 0 {
        tx.prepare_cached("UPDATE row_counts SET n = n + ?2 WHERE name = ?1")?.execute(rusqlite::params![table, n])?;
    }
    Ok(())
}

/// A case's tags into `case_tags`, which holds the open cases' only.
pub(super) fn add_tags(tx: &rusqlite::Connection, c: &Case) -> rusqlite::Result<()> {
    if c.status != crate::model::CaseStatus::Open {
        return Ok(());
    }
    let mut add = tx.prepare_cached("INSERT OR IGNORE INTO case_tags (tag, case_id) VALUES (?1, ?2)")?;
    for t in &c.tags {
        add.execute([t, &c.id])?;
    }
    Ok(())
}

/// `WHERE` clauses for the filters given, and their values: an index serves each.
pub(super) fn case_where(f: &CaseFilter) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = Vec::new();
    // The status as a literal, one of the enum's own words: only then can SQLite use
    // the index of the open cases alone (`cases_open_by`, a partial index).
    let mut clauses: Vec<String> = f.status.iter().map(|s| format!("status = '{}'", s.as_str())).collect();
    let mut add = |clause: &str, v: Value| {
        values.push(v);
        clauses.push(format!("{clause} ?{}", values.len()));
    };
    if let Some(c) = &f.customer {
        add("customer =", c.clone().into());
    }
    if let Some(t) = &f.tier {
        add("tier =", t.clone().into());
    }
    if let Some(s) = f.severity {
        add("severity =", i64::from(s).into());
    }
    if let Some(p) = f.priority {
        add("priority =", p.as_str().to_string().into());
    }
    let sql = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (sql, values)
}

/// The open cases with the tag `?1`. With a window (opened at or after `?2`) the
/// recent cases are few: walk them by opening time (the open cases' partial index).
/// Without one (`?2` null), walk the tag's cases.
pub(super) fn tagged(window: bool) -> String {
    if window {
        format!(
            "{CASE_SELECT} WHERE opened_at >= ?2 AND status = 'open'
               AND EXISTS (SELECT 1 FROM case_tags t WHERE t.tag = ?1 AND t.case_id = cases.id)"
        )
    } else {
        format!(
            "{CASE_SELECT} WHERE status = 'open' AND ?2 IS NULL AND id IN (SELECT case_id FROM case_tags WHERE tag = ?1)"
        )
    }
}

// ---- escalations ----------------------------------------------------------

/// A case without a requested or approved case escalation: one that a check can pass.
pub(super) const NOT_ESCALATED: &str = "NOT EXISTS (SELECT 1 FROM escalations e WHERE e.case_id = cases.id \
    AND e.account IS NULL AND e.state IN ('requested', 'approved'))";

/// The condition `rules::due::is_candidate` states, on the stored columns (whole-second
/// RFC 3339 text, whose order is the time order), its values appended to `values`.
pub(super) fn due_where(b: &crate::model::DueBounds, values: &mut Vec<Value>) -> String {
    let mut arg = |v: Value| {
        values.push(v);
        format!("?{}", values.len())
    };
    let horizon = arg(rfc3339(b.horizon).into());
    let mut any =
        vec![format!("(state = 'requested' AND review_due_at <= {horizon})"), format!("next_touch_at <= {horizon}")];
    if let Some(top) = b.rejected_below {
        any.push(format!("(state = 'rejected' AND level < {})", arg(i64::from(top).into())));
    }
    let base = "max(level_since, coalesce(last_update_at, level_since), coalesce(touch_since, level_since))";
    // Each level's bounds, and the top level's for the levels above it.
    let levels = b.levels.iter().map(|l| ("=", l)).chain(b.above_top.iter().map(|l| (">", l)));
    for (op, l) in levels {
        let level = arg(i64::from(l.level).into());
        if let Some(t) = l.review_before {
            any.push(format!(
                "(state = 'requested' AND level {op} {level} AND level_since < {})",
                arg(rfc3339(t).into())
            ));
        }
        if let Some(t) = l.touch_before {
            any.push(format!("(level {op} {level} AND {base} < {})", arg(rfc3339(t).into())));
        }
    }
    for (destination, t) in &b.destinations {
        let (d, t) = (arg(destination.clone().into()), arg(rfc3339(*t).into()));
        any.push(format!("(state = 'requested' AND destination = {d} AND level_since < {t})"));
    }
    format!("state IN ('requested', 'approved', 'rejected') AND ({})", any.join(" OR "))
}

pub(super) const ESC_COLS: &str = "id, case_id, level, state, destination, reason, description, fields, requested_by, \
    requested_at, level_since, review_due_at, owner, decided_by, decided_at, decision_note, closed_at, \
    raised_by, decision, last_update_at, next_touch_at, handoff_note, package, touch_since, account, linked";

pub(super) fn esc_row(row: &Row) -> rusqlite::Result<Escalation> {
    Ok(Escalation {
        id: row.get(0)?,
        case_id: row.get(1)?,
        level: row.get(2)?,
        state: parsed(row, 3)?,
        destination: row.get(4)?,
        reason: row.get(5)?,
        description: row.get(6)?,
        fields: json_at(row, 7)?,
        requested_by: row.get(8)?,
        requested_at: time_at(row, 9)?,
        level_since: time_at(row, 10)?,
        review_due_at: opt_time_at(row, 11)?,
        owner: row.get(12)?,
        decided_by: row.get(13)?,
        decided_at: opt_time_at(row, 14)?,
        decision_note: row.get(15)?,
        closed_at: opt_time_at(row, 16)?,
        raised_by: row.get::<_, Option<String>>(17)?.unwrap_or_else(|| row.get(8).unwrap_or_default()),
        decision: row.get(18)?,
        last_update_at: opt_time_at(row, 19)?,
        next_touch_at: opt_time_at(row, 20)?,
        handoff_note: row.get(21)?,
        package: json_at(row, 22)?,
        touch_since: opt_time_at(row, 23)?,
        account: row.get(24)?,
        linked: json_at(row, 25)?,
    })
}

/// An escalation's columns in `ESC_COLS` order, with `id`.
pub(super) fn esc_values(e: &Escalation) -> Vec<Value> {
    vec![
        e.id.into(),
        e.case_id.clone().into(),
        i64::from(e.level).into(),
        e.state.as_str().to_string().into(),
        e.destination.clone().into(),
        e.reason.clone().into(),
        e.description.clone().into(),
        json(&e.fields).into(),
        e.requested_by.clone().into(),
        rfc3339(e.requested_at).into(),
        rfc3339(e.level_since).into(),
        e.review_due_at.map(rfc3339).into(),
        e.owner.clone().into(),
        e.decided_by.clone().into(),
        e.decided_at.map(rfc3339).into(),
        e.decision_note.clone().into(),
        e.closed_at.map(rfc3339).into(),
        e.raised_by.clone().into(),
        e.decision.clone().into(),
        e.last_update_at.map(rfc3339).into(),
        e.next_touch_at.map(rfc3339).into(),
        e.handoff_note.clone().into(),
        json(&e.package).into(),
        e.touch_since.map(rfc3339).into(),
        e.account.clone().into(),
        json(&e.linked).into(),
    ]
}

pub(super) fn esc_cols() -> impl Iterator<Item = &'static str> {
    ESC_COLS.split(',').map(str::trim)
}

pub(super) fn insert_escalation_with_id(tx: &rusqlite::Connection, e: &Escalation) -> Result<()> {
    crate::ledger::storable_escalation(e)?;
    let cols: Vec<&str> = esc_cols().collect();
    tx.prepare_cached(&format!("INSERT INTO escalations ({}) VALUES ({})", cols.join(", "), marks(cols.len())))?
        .execute(params_from_iter(esc_values(e)))?;
    Ok(count_rows(tx, "escalations", 1)?)
}

// ---- events ---------------------------------------------------------------

pub(super) const EVENT_SELECT: &str =
    "SELECT seq, at, actor, case_id, escalation_id, kind, data, policy_digest, prev_hash, hash FROM events";

pub(super) fn stored_event_row(row: &Row) -> rusqlite::Result<crate::ledger::store::StoredEvent> {
    Ok(crate::ledger::store::StoredEvent {
        seq: row.get(0)?,
        at: time_at(row, 1)?,
        actor: row.get(2)?,
        case_id: row.get(3)?,
        escalation: row.get(4)?,
        kind: row.get(5)?,
        data: row.get(6)?,
        policy_digest: row.get(7)?,
        prev_hash: row.get(8)?,
        hash: row.get(9)?,
    })
}

pub(super) fn event_row(row: &Row) -> rusqlite::Result<Event> {
    let s = stored_event_row(row)?;
    Event::from_stored(s).map_err(|e| conv(6, e))
}

pub(super) fn in_list(n: usize) -> String {
    format!("SELECT value FROM json_each(?{n})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::CaseFilter;
    use crate::model::CaseStatus;

    /// How SQLite would run `sql` with `values` on a ledger of the current schema.
    fn plan_of(sql: &str, values: Vec<Value>) -> String {
        let db = super::super::Db::empty("plan".into()).unwrap();
        let mut stmt = db.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(3)).unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    }

    /// How SQLite would run `list_cases` with `f`.
    fn plan(f: &CaseFilter) -> String {
        let (clause, values) = case_where(f);
        plan_of(&format!("{CASE_SELECT}{clause} ORDER BY opened_at, id"), values)
    }

    #[test]
    fn recent_open_cases_with_a_tag_are_walked_by_opening_time() {
        let p = plan_of(&tagged(true), vec!["api".to_string().into(), "2026-11-01T00:00:00Z".to_string().into()]);
        assert!(p.contains("INDEX cases_opened (opened_at>?)"), "{p}");
    }

    #[test]
    fn a_customers_open_cases_are_found_by_customer_and_status() {
        let f = CaseFilter { customer: Some("Acme".into()), status: Some(CaseStatus::Open), ..CaseFilter::default() };
        assert!(plan(&f).contains("INDEX cases_customer (customer=? AND status=?)"), "{}", plan(&f));
        let all = CaseFilter { customer: Some("Acme".into()), ..CaseFilter::default() };
        assert!(plan(&all).contains("INDEX cases_customer (customer=?)"), "{}", plan(&all));
    }

    #[test]
    fn open_cases_are_found_in_the_index_of_open_cases_alone() {
        let open = CaseFilter { status: Some(CaseStatus::Open), ..CaseFilter::default() };
        // In opening order from the open cases' own index, no sort of the opening times.
        assert!(plan(&open).starts_with("SCAN cases USING INDEX cases_opened"), "{}", plan(&open));
        let by = CaseFilter { severity: Some(2), tier: Some("premium".into()), ..open };
        assert!(plan(&by).contains("INDEX cases_open_by (severity=? AND tier=?)"), "{}", plan(&by));
        let closed = CaseFilter { status: Some(CaseStatus::Closed), ..CaseFilter::default() };
        assert!(!plan(&closed).contains("cases_open"), "{}", plan(&closed));
    }
}
