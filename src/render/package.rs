//! The escalation document as Markdown (to paste into a ticket or a chat) and
//! as plain text: business impact, problem narrative, reproduction procedure,
//! actions taken, customer communication status, the request, references.
//! Empty sections say so.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::clean;
use crate::rules::package::{Document, Texts};

const NOTHING: &str = "Nothing recorded.";

/// One line of stored text, safe for a terminal and a Markdown list item.
fn line(s: &str) -> String {
    clean(&s.replace(['\n', '\r'], " ")).trim().to_string()
}

/// A block of stored text: its own lines kept, control characters escaped.
fn block(s: &str) -> String {
    super::clean_block(s.trim())
}

/// Markdown's special characters in user text, escaped so the text reads as written.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        let at_start = i == 0;
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~')
            || (at_start && matches!(c, '#' | '-' | '+' | '='))
        {
            out.push('\\');
        }
        out.push(c);
    }
    // "1. " at the start of a line would start a numbered list.
    if let Some(pos) = out.find(". ")
        && pos > 0
        && out[..pos].chars().all(|c| c.is_ascii_digit())
    {
        out.insert(pos, '\\');
    }
    out
}

/// How user text is written: as is (text) or escaped (Markdown).
struct Style {
    md: bool,
}

impl Style {
    fn one(&self, s: &str) -> String {
        if self.md { md_escape(&line(s)) } else { line(s) }
    }

    /// Every text given, each on the one line, joined by "; ".
    fn or_nothing(&self, v: &Texts) -> String {
        if v.is_empty() { NOTHING.to_string() } else { v.iter().map(|s| self.one(s)).collect::<Vec<_>>().join("; ") }
    }

    /// A block's lines, each kept a line of its own.
    fn lines(&self, s: &str) -> Vec<String> {
        block(s)
            .lines()
            .map(|l| if self.md { md_escape(l.trim()) } else { l.trim().to_string() })
            .filter(|l| !l.is_empty())
            .collect()
    }
}

fn when(t: DateTime<Utc>, tz: Tz) -> String {
    crate::time::human(t, tz)
}

/// Each deadline given: a time as a time in the zone, other text as written.
fn deadline(d: &Document, tz: Tz, st: &Style) -> String {
    if d.hard_deadline.is_empty() {
        return NOTHING.to_string();
    }
    let one = |s: &String| crate::time::parse_stored(s).map_or_else(|_| st.one(s), |t| when(t, tz));
    d.hard_deadline.iter().map(one).collect::<Vec<_>>().join("; ")
}

fn sla_label(key: &str) -> &str {
    match key {
        "compliant" => "Compliant",
        "at-risk" => "At risk",
        "breached" => "Breached",
        _ => "No target",
    }
}

/// The sections, in order, as (heading, lines of body) with `bullet` and
/// numbered-list markers supplied by the format.
fn sections(d: &Document, tz: Tz, bullet: &str, st: &Style) -> Vec<(&'static str, Vec<String>)> {
    let or_nothing = |v: &Texts| st.or_nothing(v);
    let line = |s: &str| st.one(s);
    let mut impact = vec![
        format!("{bullet}Affected customers: {}", or_nothing(&d.affected_customers)),
        format!("{bullet}Operational effect: {}", or_nothing(&d.operational_effect)),
        format!("{bullet}Revenue exposure: {}", or_nothing(&d.revenue_exposure)),
        format!("{bullet}SLA position: {} ({})", sla_label(&d.sla_position), line(&d.sla_detail)),
    ];
    for (k, v) in &d.impact {
        if k != "revenue" {
            let mut name = k.clone();
            name[..1].make_ascii_uppercase();
            impact.push(format!("{bullet}{name}: {}", or_nothing(v)));
        }
    }
    // Each text given for the narrative is a paragraph of its own.
    let mut narrative = Vec::new();
    for n in d.narrative.iter() {
        if !narrative.is_empty() {
            narrative.push(String::new());
        }
        narrative.extend(st.lines(n));
    }
    if narrative.is_empty() {
        narrative.push(NOTHING.to_string());
    }
    narrative.push(String::new());
    narrative.push("The request said:".to_string());
    narrative.extend(st.lines(&d.description));
    if !d.other_fields.is_empty() {
        narrative.push(String::new());
        narrative.extend(d.other_fields.iter().map(|(k, v)| format!("{bullet}{}: {}", line(k), line(v))));
    }
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
            let (by, at) = (line(&a.by), when(a.at, tz));
            if a.as_written {
                return format!("{}. {} ({by}, {at})", i + 1, line(&a.action));
            }
            let outcome = a.outcome.as_deref().map_or_else(|| "outcome not recorded".to_string(), line);
            format!("{}. {} -> {outcome} ({by}, {at})", i + 1, line(&a.action))
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
    let mut request: Vec<String> = d.ask.iter().map(|a| format!("{bullet}{}", line(a))).collect();
    if request.is_empty() {
        request.push(format!("{bullet}{NOTHING} (reason: {})", line(&d.reason)));
    }
    request.push(format!("{bullet}Hard deadline: {}", deadline(d, tz, st)));
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

fn header(d: &Document, st: &Style) -> String {
    let which = match &d.account {
        Some(customer) => format!(
            "Account escalation #{} of {} (spanning {})",
            d.escalation,
            st.one(customer),
            st.one(&d.linked.join(", "))
        ),
        None => format!("Case {} ({}), escalation #{}", st.one(&d.case), st.one(&d.customer), d.escalation),
    };
    let at = if d.routed_immediately { "routed immediately".to_string() } else { format!("at level {}", d.level) };
    let mut s = format!("{which} {at}, {}; reason: {}", d.state, st.one(&d.reason));
    let yes: Vec<&str> = d.screening.iter().filter(|(_, v)| **v).map(|(k, _)| k.as_str()).collect();
    let answered = if d.screening.is_empty() {
        "not screened (no answers were given to the when-not-to-escalate checks)".to_string()
    } else if yes.is_empty() {
        "every check answered no".to_string()
    } else {
        format!("yes to {}", yes.join(", "))
    };
    s.push_str(&format!("\nWhen not to escalate: {answered}"));
    if let Some(why) = &d.escalated_anyway_why {
        s.push_str(&format!("\nEscalated anyway because: {}", st.one(why)));
    }
    s.push_str(&format!("\n{}", people(&d.people, st)));
    s
}

/// The account's people and who is on call, in a line.
fn people(p: &crate::roster::People, st: &Style) -> String {
    let name = |n: &Option<String>| n.as_deref().map_or("not set".to_string(), |n| st.one(n));
    let dri = match &p.dri {
        Some(d) => format!("{} ({})", st.one(d), p.dri_from),
        None => format!("nobody ({})", p.dri_from),
    };
    let on_call = if p.on_call.is_empty() {
        "nobody on the roster".to_string()
    } else {
        p.on_call.iter().map(|(role, who)| format!("{role}: {}", st.one(who))).collect::<Vec<_>>().join(", ")
    };
    format!("Account: CSM {}; AE {}; escalation DRI {dri}. On call: {on_call}", name(&p.csm), name(&p.ae))
}

pub fn markdown(d: &Document, tz: Tz) -> String {
    let st = Style { md: true };
    let mut s = format!("# ESCALATION: {}\n\n", st.one(&d.summary));
    s.push_str(&format!(
        "**Severity:** {} ({})  \n**Routed to:** {}  \n{}\n",
        d.severity,
        st.one(&d.severity_source),
        st.one(&d.routed_to),
        header(d, &st).replace('\n', "  \n")
    ));
    for (title, body) in sections(d, tz, "- ", &st) {
        s.push_str(&format!("\n## {title}\n\n"));
        for l in body {
            // Lines of a paragraph or a list end with two spaces where Markdown would join them.
            let digits = l.chars().take_while(char::is_ascii_digit).count();
            let numbered = digits > 0 && l[digits..].starts_with(". ");
            let hard_break = !(l.is_empty() || l.starts_with("- ") || numbered);
            s.push_str(&l);
            s.push_str(if hard_break { "  \n" } else { "\n" });
        }
    }
    s
}

pub fn text(d: &Document, tz: Tz) -> String {
    let st = Style { md: false };
    let mut s = format!(
        "ESCALATION: {}\nSeverity: {} ({})\nRouted to: {}\n{}\n",
        line(&d.summary),
        d.severity,
        line(&d.severity_source),
        line(&d.routed_to),
        header(d, &st)
    );
    for (title, body) in sections(d, tz, "- ", &st) {
        s.push_str(&format!("\n{}\n", title.to_uppercase()));
        for l in body {
            s.push_str(&l);
            s.push('\n');
        }
    }
    s
}
