//! The escalation document as Markdown (to paste into a ticket or a chat) and
//! as plain text, in the layout of seed 004. Empty sections say so.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::clean;
use crate::rules::package::Document;

const NOTHING: &str = "Nothing recorded.";

/// One line of stored text, safe for a terminal and a Markdown list item.
fn line(s: &str) -> String {
    clean(&s.replace(['\n', '\r'], " ")).trim().to_string()
}

/// A block of stored text: its own lines kept, control characters escaped.
fn block(s: &str) -> String {
    super::clean_block(s.trim())
}

fn or_nothing(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| NOTHING.to_string(), line)
}

fn when(t: DateTime<Utc>, tz: Tz) -> String {
    crate::time::human(t, tz)
}

fn deadline(d: &Document, tz: Tz) -> String {
    match d.hard_deadline.as_deref().map(|s| (s, crate::time::parse_stored(s))) {
        Some((_, Ok(t))) => when(t, tz),
        Some((s, Err(_))) => line(s),
        None => NOTHING.to_string(),
    }
}

/// The sections, in order, as (heading, lines of body) with `bullet` and
/// numbered-list markers supplied by the format.
fn sections(d: &Document, tz: Tz, bullet: &str) -> Vec<(&'static str, Vec<String>)> {
    let mut impact = vec![
        format!("{bullet}Affected customers: {}", or_nothing(&d.affected_customers)),
        format!("{bullet}Operational effect: {}", or_nothing(&d.operational_effect)),
        format!("{bullet}Revenue exposure: {}", or_nothing(&d.revenue_exposure)),
        format!("{bullet}SLA position: {} ({})", d.sla_position, line(&d.sla_detail)),
    ];
    for (k, v) in &d.impact {
        if k != "revenue" {
            let mut name = k.clone();
            name[..1].make_ascii_uppercase();
            impact.push(format!("{bullet}{name}: {}", or_nothing(v)));
        }
    }
    let narrative = match &d.narrative {
        Some(n) => vec![block(n)],
        None => vec![format!("{NOTHING} (The request said: {})", line(&d.description))],
    };
    let mut repro: Vec<String> = d.steps.iter().enumerate().map(|(i, s)| format!("{}. {}", i + 1, line(s))).collect();
    if repro.is_empty() {
        repro.push(format!("Steps: {NOTHING}"));
    } else {
        repro.push(String::new()); // ends the list before the outcomes
    }
    repro.push(format!("Expected outcome: {}", or_nothing(&d.expected)));
    repro.push(format!("Observed outcome: {}", or_nothing(&d.observed)));
    repro.push(format!("Environment: {}", or_nothing(&d.environment)));
    let mut actions: Vec<String> = d
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let outcome = a.outcome.as_deref().map_or_else(|| "outcome not recorded".to_string(), line);
            format!("{}. {} -> {} ({}, {})", i + 1, line(&a.action), outcome, line(&a.by), when(a.at, tz))
        })
        .collect();
    if actions.is_empty() {
        actions.push(NOTHING.to_string());
    }
    let update = match &d.most_recent_update {
        Some(u) => format!("{}: {}", when(u.at, tz), line(&u.note)),
        None => NOTHING.to_string(),
    };
    let mut comms = vec![
        format!("{bullet}Most recent update: {update}"),
        format!("{bullet}Customer expectation: {}", or_nothing(&d.customer_expectation)),
        format!("{bullet}Further escalation risk: {}", or_nothing(&d.escalation_risk)),
    ];
    if let Some(next) = d.next_touch_point {
        comms.insert(1, format!("{bullet}Next touch-point: {}", when(next, tz)));
    }
    let request = vec![
        format!(
            "{bullet}{}",
            d.ask.as_deref().map_or_else(|| format!("{NOTHING} (reason: {})", line(&d.reason)), line)
        ),
        format!("{bullet}Hard deadline: {}", deadline(d, tz)),
    ];
    let mut refs: Vec<String> = d
        .references
        .iter()
        .map(|r| format!("{bullet}{} ({}, {})", line(&r.reference), line(&r.by), when(r.at, tz)))
        .collect();
    if refs.is_empty() {
        refs.push(NOTHING.to_string());
    }
    vec![
        ("Business impact", impact),
        ("Problem narrative", narrative),
        ("Reproduction procedure", repro),
        ("Actions already taken", actions),
        ("Customer communication status", comms),
        ("Request", request),
        ("Attachments and references", refs),
    ]
}

fn header(d: &Document) -> String {
    format!(
        "Case {} ({}), escalation #{} at level {}, {}; reason: {}",
        line(&d.case),
        line(&d.customer),
        d.escalation,
        d.level,
        d.state,
        line(&d.reason)
    )
}

pub fn markdown(d: &Document, tz: Tz) -> String {
    let mut s = format!("# ESCALATION: {}\n\n", line(&d.summary));
    s.push_str(&format!("**Severity:** {}  \n**Routed to:** {}  \n{}\n", d.severity, line(&d.routed_to), header(d)));
    for (title, body) in sections(d, tz, "- ") {
        s.push_str(&format!("\n## {title}\n\n"));
        for l in body {
            // Lines of a paragraph or a list end with two spaces where Markdown would join them.
            let hard_break =
                !(l.is_empty() || l.starts_with("- ") || l.chars().next().is_some_and(|c| c.is_ascii_digit()));
            s.push_str(&l);
            s.push_str(if hard_break { "  \n" } else { "\n" });
        }
    }
    s
}

pub fn text(d: &Document, tz: Tz) -> String {
    let mut s = format!(
        "ESCALATION: {}\nSeverity: {}\nRouted to: {}\n{}\n",
        line(&d.summary),
        d.severity,
        line(&d.routed_to),
        header(d)
    );
    for (title, body) in sections(d, tz, "- ") {
        s.push_str(&format!("\n{}\n", title.to_uppercase()));
        for l in body {
            s.push_str(&l);
            s.push('\n');
        }
    }
    s
}
