//! The escalation report for people (tables) and as flat rows for CSV.

use chrono_tz::Tz;
use serde::Serialize;

use super::{Out, clean};
use crate::rules::report::{Count, Report, Times};

/// One figure of the report, for CSV and NDJSON.
#[derive(Debug, Serialize)]
pub struct Row {
    pub section: &'static str,
    pub key: String,
    pub label: String,
    pub value: String,
}

fn minutes(m: Option<i64>) -> String {
    m.map_or_else(|| "-".into(), |m| crate::time::span_exact(chrono::Duration::minutes(m)))
}

fn ratio(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{x:.2}"))
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{:.0}%", x * 100.0))
}

pub fn rows(r: &Report) -> Vec<Row> {
    let row =
        |section, key: &str, label: &str, value: String| Row { section, key: key.into(), label: label.into(), value };
    let mut out = vec![row("total", "escalations", "Escalations", r.escalations.to_string())];
    for (section, counts) in
        [("reason", &r.by_reason), ("destination", &r.by_destination), ("highest-level", &r.by_highest_level)]
    {
        out.extend(counts.iter().map(|c| row(section, &c.key, &c.label, c.count.to_string())));
    }
    out.push(row("decisions", "approved", "Approved", r.approved.to_string()));
    out.push(row("decisions", "rejected", "Rejected", r.rejected.to_string()));
    out.push(row(
        "decisions",
        "approval-rate",
        "Approval rate",
        r.approval_rate.map_or(String::new(), |x| format!("{x:.4}")),
    ));
    for (section, t) in [("to-decision", &r.to_decision), ("to-close", &r.to_close)] {
        out.push(row(section, "count", "Count", t.count.to_string()));
        out.push(row(
            section,
            "median-minutes",
            "Median (minutes)",
            t.median_minutes.map_or(String::new(), |m| m.to_string()),
        ));
        out.push(row(
            section,
            "p90-minutes",
            "90th percentile (minutes)",
            t.p90_minutes.map_or(String::new(), |m| m.to_string()),
        ));
    }
    out.push(row("promotions", "total", "Promotions", r.promotions.to_string()));
    out.push(row(
        "promotions",
        "per-escalation",
        "Per escalation",
        r.promotions_per_escalation.map_or(String::new(), |x| format!("{x:.4}")),
    ));
    out.extend(r.root_cause_analysis.iter().map(|x| {
        let label = format!("escalation #{}, level {}", x.escalation, x.level);
        row("root-cause-analysis", &x.case, &label, x.done.clone().unwrap_or_else(|| "due".into()))
    }));
    out.extend(r.skipped_wait.iter().map(|x| {
        let label = format!("escalation #{} ({}): {}", x.escalation, x.reason, x.justification);
        row("skipped-wait", &x.case, &label, x.minutes_early.to_string())
    }));
    out
}

fn count_table(out: &Out, title: &str, counts: &[Count]) -> String {
    if counts.is_empty() {
        return format!("{title}: none\n");
    }
    let mut t = out.table(&[title, "Label", "Escalations"]);
    for c in counts {
        t.add_row(vec![clean(&c.key), clean(&c.label), c.count.to_string()]);
    }
    format!("{t}\n")
}

fn times_line(name: &str, t: &Times) -> Vec<String> {
    vec![name.to_string(), t.count.to_string(), minutes(t.median_minutes), minutes(t.p90_minutes)]
}

pub fn tables(out: &Out, r: &Report, tz: Tz) -> String {
    let period = match (r.since, r.until) {
        (None, None) => "all time".to_string(),
        (Some(s), None) => format!("since {}", crate::time::human(s, tz)),
        (None, Some(u)) => format!("until {}", crate::time::human(u, tz)),
        (Some(s), Some(u)) => format!("{} to {}", crate::time::human(s, tz), crate::time::human(u, tz)),
    };
    let mut s = format!("{} requested {period}: {}\n\n", out.bold("Escalations"), r.escalations);
    s.push_str(&count_table(out, "Reason", &r.by_reason));
    s.push_str(&count_table(out, "Destination", &r.by_destination));
    s.push_str(&count_table(out, "Highest level", &r.by_highest_level));
    s.push_str(&format!(
        "\nDecisions: {} approved, {} rejected; approval rate {}.\nPromotions: {} ({} per escalation).\n",
        r.approved,
        r.rejected,
        percent(r.approval_rate),
        r.promotions,
        ratio(r.promotions_per_escalation)
    ));
    let mut t = out.table(&["From request", "Count", "Median", "90th percentile"]);
    t.add_row(times_line("to the first decision", &r.to_decision));
    t.add_row(times_line("to close", &r.to_close));
    s.push_str(&format!("{t}\n"));
    if r.root_cause_analysis.is_empty() {
        s.push_str("No escalation reached a level that calls for a root-cause analysis.\n");
    } else {
        let due: Vec<String> = r
            .root_cause_analysis
            .iter()
            .filter(|x| x.done.is_none())
            .map(|x| format!("{} (#{}, level {})", clean(&x.case), x.escalation, x.level))
            .collect();
        let done: Vec<String> = r
            .root_cause_analysis
            .iter()
            .filter_map(|x| x.done.as_ref().map(|l| format!("{} (#{}: {})", clean(&x.case), x.escalation, clean(l))))
            .collect();
        if !due.is_empty() {
            s.push_str(&format!("A root-cause analysis is due for: {}.\n", due.join(", ")));
        }
        if !done.is_empty() {
            s.push_str(&format!("Root-cause analyses done: {}.\n", done.join(", ")));
        }
    }
    s.push_str(&skipped_wait(out, r, tz));
    s
}

/// The same-day overrides: requests that skipped the wait window for a deadline.
fn skipped_wait(out: &Out, r: &Report, tz: Tz) -> String {
    if r.skipped_wait.is_empty() {
        return "No request skipped the wait window.\n".into();
    }
    let mut t = out.table(&["Case", "Escalation", "Reason", "Deadline", "Early by", "Justification"]);
    for x in &r.skipped_wait {
        t.add_row(vec![
            clean(&x.case),
            format!("#{}", x.escalation),
            clean(&x.reason),
            crate::time::human(x.deadline, tz),
            crate::time::span(chrono::Duration::minutes(x.minutes_early)),
            clean(&x.justification),
        ]);
    }
    let n = r.skipped_wait.len();
    let what = if n == 1 { "1 request".to_string() } else { format!("{n} requests") };
    format!("{what} skipped the wait window for a deadline:\n{t}\n")
}
