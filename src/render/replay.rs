//! The policy replay for people (a summary, the groups and the acts that
//! change) and as rows for CSV.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{Out, clean};
use crate::model::ser_opt_time;
use crate::rules::replay::{Act, Blocked, Group, GroupBy, Moved, Replayed, Shifts, Summary, Tally};
use crate::time::{human, span};

/// What `policy replay --json` prints.
#[derive(Serialize)]
pub struct Replay<'a> {
    pub policy: String,
    pub digest: &'a str,
    #[serde(serialize_with = "ser_opt_time")]
    pub since: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_opt_time")]
    pub until: Option<DateTime<Utc>>,
    pub summary: &'a Summary,
    /// The acts the new policy changes, in log order.
    pub changes: &'a [Replayed],
}

fn act(a: Act) -> &'static str {
    match a {
        Act::Request => "request",
        Act::Promotion => "promotion",
        Act::Decision => "decision",
    }
}

fn minutes(m: i64) -> String {
    span(Duration::minutes(m.abs()))
}

fn tally(name: &str, t: &Tally) -> String {
    let refused = match t.refused {
        0 => "none would be refused".to_string(),
        n => format!("{n} would be refused"),
    };
    format!("{name}: {} replayed, {refused}.\n", t.total)
}

fn shifts(name: &str, what: &str, s: &Shifts) -> String {
    if s.compared == 0 {
        return format!("{name}: none to compare.\n");
    }
    let side = |n: usize, median: Option<i64>, word: &str| match (n, median) {
        (0, _) => format!("0 {word}"),
        (n, Some(m)) => format!("{n} {word} (median {})", minutes(m)),
        (n, None) => format!("{n} {word}"),
    };
    format!(
        "{name}: {} of {} {what} move: {}, {}.\n",
        s.earlier + s.later,
        s.compared,
        side(s.earlier, s.earlier_median_minutes, "earlier"),
        side(s.later, s.later_median_minutes, "later")
    )
}

fn period(since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>, tz: Tz) -> String {
    match (since, until) {
        (None, None) => "all recorded history".to_string(),
        (Some(s), None) => format!("history since {}", human(s, tz)),
        (None, Some(u)) => format!("history until {}", human(u, tz)),
        (Some(s), Some(u)) => format!("history from {} to {}", human(s, tz), human(u, tz)),
    }
}

pub fn table(out: &Out, r: &Replay, tz: Tz) -> String {
    let s = r.summary;
    let mut text = format!(
        "{} of {} under {} ({}):\n",
        out.bold("Replay"),
        period(r.since, r.until, tz),
        clean(&r.policy),
        r.digest.get(..19).unwrap_or(r.digest)
    );
    text.push_str(&tally("Requests", &s.requests));
    text.push_str(&tally("Promotions", &s.promotions));
    text.push_str(&tally("Decisions", &s.decisions));
    if !s.refused_by.is_empty() {
        let by: Vec<String> = s.refused_by.iter().map(|c| format!("{} {}", c.key, c.count)).collect();
        text.push_str(&format!("Refused by: {}.\n", by.join(", ")));
    }
    text.push_str(&shifts("Eligibility", "requests", &s.eligible_at));
    text.push_str(&shifts("Review deadlines", "deadlines", &s.review_due));
    text.push_str(&shifts("Customer touch-points", "touch-points", &s.touch_due));
    if s.recorded_policy_unknown > 0 {
        text.push_str(&format!(
            "{} acts were recorded under a policy the ledger does not hold: only their recorded review deadline is compared.\n",
            s.recorded_policy_unknown
        ));
    }
    if s.account_acts_not_replayed > 0 {
        text.push_str(&format!(
            "{} of account escalations (requests, promotions, decisions) are not replayed: whether one qualifies depends on every case of its customer.\n",
            crate::render::count(s.account_acts_not_replayed as u64, "act")
        ));
    }
    if !s.groups.is_empty() {
        text.push_str(&format!("{}\n", groups(out, &s.groups)));
    }
    if r.changes.is_empty() {
        text.push_str("No case changes under the new policy.\n");
        return text;
    }
    text.push_str(&format!("Cases that change ({}):\n", s.cases_changed));
    let mut t = out.table(&["Case", "Act", "At", "Under the new policy"]);
    for c in r.changes {
        let who = match c.escalation {
            Some(id) => format!("{} #{id} level {} by {}", act(c.act), c.level, clean(&c.actor)),
            None => format!("{} by {}", act(c.act), clean(&c.actor)),
        };
        t.add_row(vec![clean(&c.case), who, human(c.at, tz), change(c, tz).join("\n")]);
    }
    text.push_str(&format!("{t}\n"));
    text
}

fn groups(out: &Out, groups: &[Group]) -> comfy_table::Table {
    let mut t = out.table(&["By", "Key", "Acts", "Refused", "Eligible earlier", "Eligible later", "Deadlines moved"]);
    for g in groups {
        let (by, key) = match g.by {
            GroupBy::Reason => ("reason", clean(&g.key)),
            GroupBy::Destination => ("destination", clean(&g.key)),
            GroupBy::Level => ("level", format!("{} ({})", clean(&g.key), clean(&g.label))),
        };
        t.add_row(vec![
            by.to_string(),
            key,
            g.acts.to_string(),
            g.refused.to_string(),
            g.eligible_earlier.to_string(),
            g.eligible_later.to_string(),
            g.deadlines_moved.to_string(),
        ]);
    }
    t
}

/// What the new policy says of the act, in words, one finding a line.
pub fn change(c: &Replayed, tz: Tz) -> Vec<String> {
    let mut parts: Vec<String> = c.blocked.iter().map(|b| format!("refused: {}", blocked(b, tz, c.at))).collect();
    // A failing rule that time passes names the time already.
    let named = c.blocked.iter().any(|b| matches!(b, Blocked::Rule(r) if r.passes_at == c.allowed_at));
    if let Some(at) = c.allowed_at.filter(|_| !named) {
        parts.push(format!("allowed from {}", human(at, tz)));
    }
    for (name, m) in [("eligible", &c.eligible_at), ("review due", &c.review_due), ("touch-point", &c.touch_due)] {
        if m.changed() {
            parts.push(format!("{name} {}", moved(m, tz)));
        }
    }
    parts
}

fn moved(m: &Moved, tz: Tz) -> String {
    let at = |t: Option<DateTime<Utc>>| t.map_or_else(|| "none".to_string(), |t| human(t, tz));
    let by = match m.minutes {
        Some(x) if x < 0 => format!(" ({} earlier)", minutes(x)),
        Some(x) if x > 0 => format!(" ({} later)", minutes(x)),
        _ => String::new(),
    };
    format!("{} -> {}{by}", at(m.before), at(m.after))
}

fn blocked(b: &Blocked, tz: Tz, at: DateTime<Utc>) -> String {
    match b {
        Blocked::Rule(r) => format!("{}: {}", r.rule, clean(&super::finding::detail(r))),
        Blocked::UnknownDestination(d) => format!("the new policy has no destination {}", clean(d)),
        Blocked::UnknownReason(r) => format!("the new policy has no reason {}", clean(r)),
        Blocked::Promotion(why) => clean(&super::finding::refusal(why, tz, at)),
        Blocked::Decision(d) => clean(&super::finding::denied(d, tz)),
    }
}

/// One act that changes, for CSV and NDJSON.
#[derive(Debug, Serialize)]
pub struct Row {
    pub seq: i64,
    pub at: String,
    pub case: String,
    pub escalation: String,
    pub act: &'static str,
    pub level: u32,
    pub reason: String,
    pub destination: String,
    pub allowed: bool,
    pub refused_by: String,
    pub eligible_moved_minutes: String,
    pub review_moved_minutes: String,
    pub touch_moved_minutes: String,
    pub detail: String,
}

pub const CSV_HEADER: &[&str] = &[
    "seq",
    "at",
    "case",
    "escalation",
    "act",
    "level",
    "reason",
    "destination",
    "allowed",
    "refused_by",
    "eligible_moved_minutes",
    "review_moved_minutes",
    "touch_moved_minutes",
    "detail",
];

pub fn rows(changes: &[Replayed], tz: Tz) -> Vec<Row> {
    let m = |m: &Moved| m.minutes.filter(|_| m.changed()).map_or(String::new(), |x| x.to_string());
    changes
        .iter()
        .map(|c| Row {
            seq: c.seq,
            at: crate::time::rfc3339(c.at),
            case: c.case.clone(),
            escalation: c.escalation.map_or(String::new(), |e| e.to_string()),
            act: act(c.act),
            level: c.level,
            reason: c.reason.clone(),
            destination: c.destination.clone(),
            allowed: c.allowed,
            refused_by: c.blocked.iter().map(Blocked::key).collect::<Vec<_>>().join(" "),
            eligible_moved_minutes: m(&c.eligible_at),
            review_moved_minutes: m(&c.review_due),
            touch_moved_minutes: m(&c.touch_due),
            detail: change(c, tz).join("; "),
        })
        .collect()
}
