//! `WHERE` clauses on PostgreSQL built from the filters a command gives, each
//! term one an index serves: the case filters and the escalations that can come
//! due by a horizon.

use chrono::{DateTime, Utc};
use postgres::types::ToSql;

use super::queries::Param;
use crate::ledger::store::CaseFilter;

/// `WHERE` clauses for the filters given: each can use an index.
pub(super) fn case_where(f: &CaseFilter) -> (String, Vec<Box<dyn ToSql + Sync>>) {
    let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    // The status as a literal, one of the enum's own words, so that a plan made for any
    // value can use the index of the open cases alone (`cases_open_by`, a partial index).
    let mut clauses: Vec<String> = f.status.iter().map(|s| format!("status = '{}'", s.as_str())).collect();
    let mut add = |col: &str, v: Box<dyn ToSql + Sync>| {
        values.push(v);
        clauses.push(format!("{col} = ${}", values.len()));
    };
    if let Some(c) = &f.customer {
        add("customer", Box::new(c.clone()));
    }
    if let Some(t) = &f.tier {
        add("tier", Box::new(t.clone()));
    }
    if let Some(s) = f.severity {
        add("severity", Box::new(s as i32));
    }
    if let Some(p) = f.priority {
        add("priority", Box::new(p.as_str()));
    }
    let sql = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (sql, values)
}

/// `rules::due::is_candidate` as a condition, with the values it binds.
pub(super) struct DueValues {
    horizon: DateTime<Utc>,
    rejected_below: Option<i32>,
    /// Per level: how the level compares ("=", or ">" for the levels above the
    /// top), the level, and the bounds on its review and update clocks.
    levels: Vec<(&'static str, i32, Bound, Bound)>,
    /// Per destination with a review window of its own: the bound on its review clock.
    destinations: Vec<(String, DateTime<Utc>)>,
}

type Bound = Option<DateTime<Utc>>;

impl DueValues {
    pub(super) fn new(b: &crate::model::DueBounds) -> DueValues {
        DueValues {
            horizon: b.horizon,
            rejected_below: b.rejected_below.map(|t| t as i32),
            levels: (b.levels.iter().map(|l| ("=", l)))
                .chain(b.above_top.iter().map(|l| (">", l)))
                .map(|(op, l)| (op, l.level as i32, l.review_before, l.touch_before))
                .collect(),
            destinations: b.destinations.clone(),
        }
    }

    /// The condition, its values appended to `params`.
    pub(super) fn clause<'a>(&'a self, params: &mut Vec<Param<'a>>) -> String {
        params.push(&self.horizon);
        let h = params.len();
        let mut any =
            vec![format!("(state = 'requested' AND review_due_at <= ${h})"), format!("next_touch_at <= ${h}")];
        if let Some(top) = &self.rejected_below {
            params.push(top);
            any.push(format!("(state = 'rejected' AND level < ${})", params.len()));
        }
        for (op, level, review, touch) in &self.levels {
            params.push(level);
            let l = params.len();
            if let Some(t) = review {
                params.push(t);
                any.push(format!("(state = 'requested' AND level {op} ${l} AND level_since < ${})", params.len()));
            }
            if let Some(t) = touch {
                params.push(t);
                // GREATEST passes over nulls.
                any.push(format!(
                    "(level {op} ${l} AND GREATEST(level_since, last_update_at, touch_since) < ${})",
                    params.len()
                ));
            }
        }
        for (destination, t) in &self.destinations {
            params.push(destination);
            params.push(t);
            let n = params.len();
            any.push(format!("(state = 'requested' AND destination = ${} AND level_since < ${n})", n - 1));
        }
        format!("state IN ('requested', 'approved', 'rejected') AND ({})", any.join(" OR "))
    }
}
