//! Cases, escalations and timelines as tables and text for people.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{Out, clean, clean_block};
use crate::events::EventBody;
use crate::model::{Case, Escalation, Event};
use crate::policy::Policy;
use crate::time::{human, human_relative, relative, short};

/// An escalation as printed: the ledger row plus what the policy says of its level.
#[derive(Debug, Serialize)]
pub struct EscalationView<'a> {
    #[serde(flatten)]
    pub esc: &'a Escalation,
    pub customer: Option<&'a str>,
    /// The case's customer priority.
    pub priority: Option<crate::model::Priority>,
    pub level_name: String,
    pub audience: Vec<String>,
    pub reviewer: String,
    /// The destination skips the level progression: its receiver reviews it directly.
    pub routed_immediately: bool,
}

impl<'a> EscalationView<'a> {
    pub fn new(esc: &'a Escalation, p: &Policy, case: Option<&'a Case>) -> Self {
        let customer = case.map(|c| c.customer.as_str());
        let priority = case.map(|c| c.priority);
        if let Some(d) = p.routed_directly(&esc.destination) {
            return EscalationView {
                esc,
                customer,
                priority,
                level_name: format!("routed immediately to {}", d.receiver),
                audience: vec![d.receiver.clone()],
                reviewer: d.receiver.clone(),
                routed_immediately: true,
            };
        }
        let level = p.level(esc.level);
        EscalationView {
            esc,
            customer,
            priority,
            level_name: level.map_or_else(|| "not in the current policy".to_string(), |l| l.name.clone()),
            audience: level.map(|l| l.audience.clone()).unwrap_or_default(),
            reviewer: level.map(|l| l.reviewer.clone()).unwrap_or_default(),
            routed_immediately: false,
        }
    }
}

/// A table cell for the customer priority: high or low; normal, the default, is left blank.
pub fn priority_cell(p: crate::model::Priority) -> String {
    if p == crate::model::Priority::Normal { String::new() } else { p.to_string() }
}

fn severity_label(p: &Policy, n: u32) -> String {
    // "2 (High)", or "3" when the label says no more than "Severity 3".
    p.severities.get(&n).map_or_else(|| format!("{n}"), |s| s.named(n).trim_start_matches("severity ").to_string())
}

fn tier_label(p: &Policy, t: &str) -> String {
    p.tiers.get(t).map_or_else(|| clean(t), |x| x.label.clone())
}

pub fn case_added(c: &Case, p: &Policy, now: DateTime<Utc>) -> String {
    let id = clean(&c.id);
    // A severity the policy does not escalate goes to the outage process instead.
    let next = match crate::rules::records::outage_fit(p, c) {
        crate::rules::records::OutageFit::Fits => format!(
            "this severity is not escalated: it goes to the outage process (`escalate outage {id} --ref TEXT` records that it was used)"
        ),
        crate::rules::records::OutageFit::Escalable { .. } => {
            format!("`escalate check {id}` says when it may be escalated")
        }
    };
    format!(
        "Added case {id} for {}: severity {}, {}, opened {}.\nNext: {next}.\n",
        clean(&c.customer),
        severity_label(p, c.severity),
        tier_label(p, &c.tier),
        human_relative(c.opened_at, now, p.calendar.tz),
    )
}

/// A case as printed: the ledger row plus its first-response SLA position.
#[derive(Debug, Serialize)]
pub struct CaseView<'a> {
    #[serde(flatten)]
    pub case: &'a Case,
    pub sla: crate::rules::sla::Sla,
}

impl<'a> CaseView<'a> {
    pub fn new(case: &'a Case, p: &Policy, now: DateTime<Utc>) -> Self {
        CaseView { case, sla: crate::rules::sla::position(p, case, now) }
    }
}

pub fn case_table(out: &Out, cases: &[CaseView], p: &Policy, now: DateTime<Utc>) -> String {
    if cases.is_empty() {
        return "No cases.\n".into();
    }
    // The status is in `case show` and the JSON; a closed case is marked.
    let opened = format!("Opened ({})", p.calendar.tz.name());
    let mut t = out.grid(&["Case", "Customer", "Sev", "Pri", "Tier", &opened, "SLA", "Title", "Tags"]);
    for v in cases {
        let c = v.case;
        let id = if c.status == crate::model::CaseStatus::Closed {
            format!("{} (closed)", clean(&c.id))
        } else {
            clean(&c.id)
        };
        t.add_row(vec![
            id,
            clean(&c.customer),
            c.severity.to_string(),
            priority_cell(c.priority),
            clean(&c.tier),
            short(c.opened_at, now, p.calendar.tz),
            v.sla.position.label().to_string(),
            clean(&c.title),
            clean(&c.tags.join(", ")),
        ]);
    }
    t.keep_whole(&[0, 2, 3, 4, 5, 6]);
    format!("{}\n", t.render(out))
}

pub fn case_detail(out: &Out, c: &Case, p: &Policy, now: DateTime<Utc>) -> String {
    let mut t = out.table(&["Case", &clean(&c.id)]);
    t.add_row(vec!["Customer".to_string(), clean(&c.customer)]);
    t.add_row(vec!["Title".to_string(), clean(&c.title)]);
    t.add_row(vec!["Severity".to_string(), severity_label(p, c.severity)]);
    t.add_row(vec!["Tier".to_string(), tier_label(p, &c.tier)]);
    t.add_row(vec!["Priority".to_string(), c.priority.to_string()]);
    t.add_row(vec!["Status".to_string(), c.status.to_string()]);
    t.add_row(vec!["Opened".to_string(), human_relative(c.opened_at, now, p.calendar.tz)]);
    t.add_row(vec!["Tags".to_string(), clean(&c.tags.join(", "))]);
    let sla = crate::rules::sla::position(p, c, now);
    t.add_row(vec!["First response".to_string(), format!("{}: {}", sla.position.label(), clean(&sla.detail))]);
    if let Some(since) = c.waiting_since {
        t.add_row(vec![
            "Waiting".to_string(),
            format!("on the customer since {}", human_relative(since, now, p.calendar.tz)),
        ]);
    }
    format!("{t}\n")
}

fn due_text(e: &Escalation, p: &Policy, now: DateTime<Utc>) -> String {
    match (e.state.is_active(), e.review_due_at) {
        (true, Some(due)) if e.state == crate::model::EscState::Requested => {
            format!("{} ({})", short(due, now, p.calendar.tz), relative(due, now))
        }
        (true, None) if e.state == crate::model::EscState::Requested => "never (no working time)".into(),
        _ => "-".into(),
    }
}

pub fn escalation_table(out: &Out, views: &[EscalationView], p: &Policy, now: DateTime<Utc>) -> String {
    if views.is_empty() {
        return "No escalations.\n".into();
    }
    let due = format!("Review due ({})", p.calendar.tz.name());
    let mut t = out.grid(&["#", "Case", "Customer", "Pri", "Level", "State", "To", "Reason", "Owner", &due]);
    for v in views {
        let e = v.esc;
        t.add_row(vec![
            e.id.to_string(),
            case_cell(e),
            clean(v.customer.unwrap_or("")),
            v.priority.map(priority_cell).unwrap_or_default(),
            // A route past the levels (security) is at none of them.
            if v.routed_immediately { "-".to_string() } else { e.level.to_string() },
            e.state.to_string(),
            clean(&e.destination),
            clean(&e.reason),
            clean(&e.owner),
            due_text(e, p, now),
        ]);
    }
    t.keep_whole(&[0, 1, 3, 4, 5, 6]);
    format!("{}\n", t.render(out))
}

/// The case column of an escalation: its case, or an account escalation's cases.
pub fn case_cell(e: &Escalation) -> String {
    match &e.account {
        Some(_) if !e.linked.is_empty() => format!("account: {}", clean(&e.linked.join(", "))),
        Some(_) => format!("account: {}", clean(&e.case_id)),
        None => clean(&e.case_id),
    }
}

/// A JSON value as people read it: strings unquoted, times in the calendar's
/// zone, null as "none".
fn plain(v: Option<&serde_json::Value>, tz: Tz) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "none".into(),
        Some(serde_json::Value::String(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => human(t.with_timezone(&chrono::Utc), tz),
            Err(_) => s.clone(),
        },
        Some(v) => v.to_string(),
    }
}

/// One line saying what an event did, from its data, times in `tz`.
pub fn event_summary(e: &Event, tz: Tz) -> String {
    // "text: note", or just "text" when no note was given.
    let with = |text: String, note: Option<&String>| match note.filter(|n| !n.is_empty()) {
        Some(n) => format!("{text}: {n}"),
        None => text,
    };
    match &e.body {
        EventBody::CaseAdded(a) => {
            format!("opened: severity {}, tier {}, customer {}", a.case.severity, a.case.tier, a.case.customer)
        }
        EventBody::CaseUpdated(changes) => changes
            .iter()
            .map(|(k, c)| format!("{k}: {} -> {}", plain(Some(&c.from), tz), plain(Some(&c.to), tz)))
            .collect::<Vec<_>>()
            .join("; "),
        EventBody::Requested(r) => {
            format!("level {} to {} for {}: {}", r.level, r.destination, r.reason, r.description)
        }
        EventBody::Promoted(p) => format!("level {} -> {}: {}", p.from, p.to, p.why),
        EventBody::Decided(d) => with(format!("{} level {}", d.decision, d.level), d.note.as_ref()),
        EventBody::Assigned(o) => with(format!("owner {} -> {}", o.from, o.to), o.note.as_ref()),
        EventBody::HandedOff(o) => match &o.manager {
            Some(m) => with(format!("{} -> {} (manager on call: {m})", o.from, o.to), o.note.as_ref()),
            None => with(format!("{} -> {}", o.from, o.to), o.note.as_ref()),
        },
        EventBody::CustomerUpdated(u) => match u.next {
            Some(next) => format!("{} (next touch-point {})", u.note, human(next, tz)),
            None => u.note.clone(),
        },
        EventBody::Resumed(r) => {
            format!("after {} waiting on the customer", crate::time::span(chrono::Duration::minutes(r.paused_minutes)))
        }
        EventBody::Paused(p) => p.note.clone(),
        EventBody::Withdrawn(w) => w.why.clone(),
        EventBody::Closed(n) => n.note.clone(),
        EventBody::Reopened(r) => r.why.clone(),
        EventBody::CaseClosed(_) | EventBody::CaseReopened(_) => String::new(),
        EventBody::PackageUpdated(p) => {
            let mut parts: Vec<String> = p.items.keys().map(|k| format!("set {k}")).collect();
            parts.extend(p.cleared.iter().map(|k| format!("cleared {k}")));
            parts.join(", ")
        }
        EventBody::ActionNoted(a) => match &a.outcome {
            Some(o) => format!("{} -> {o}", a.action),
            None => a.action.clone(),
        },
        EventBody::Attached(a) => a.reference.clone(),
        EventBody::AccountRequested(r) => format!(
            "account escalation of {} at level {} for {}, spanning {}; owner {}: {}",
            r.customer,
            r.level,
            r.reason,
            r.cases.join(", "),
            r.owner,
            r.description
        ),
        EventBody::CaseLinked(l) => format!("case {} linked to the account escalation of {}", l.case, l.customer),
        EventBody::CaseUnlinked(l) => {
            format!("case {} unlinked from the account escalation of {}", l.case, l.customer)
        }
        EventBody::AccountPeopleSet(a) => {
            let name = |v: &Option<String>| v.clone().unwrap_or_else(|| "not set".into());
            format!(
                "people of {}: CSM {}, AE {}, DRI named {}; escalation DRI {} -> {}",
                a.customer,
                name(&a.csm),
                name(&a.ae),
                name(&a.dri),
                a.dri_was.as_deref().unwrap_or("nobody"),
                a.dri_now.as_deref().unwrap_or("nobody")
            )
        }
        EventBody::OutageRecorded(o) => format!("the outage process was used: {}", o.reference),
        EventBody::RcaDone(r) => format!("root-cause analysis done: {}", r.link),
    }
}

pub fn timeline(out: &Out, events: &[Event], p: &Policy) -> String {
    let mut t = out.grid(&["#", "When", "Who", "What", "Detail"]);
    for e in events {
        t.add_row(vec![
            e.seq.to_string(),
            human(e.at, p.calendar.tz),
            clean(&e.actor),
            e.body.kind().to_string(),
            clean_block(&event_summary(e, p.calendar.tz)),
        ]);
    }
    format!("{}\n", t.render(out))
}

/// "  Closed by lee at ...: note" for a closed or withdrawn escalation, from its event.
fn ended(e: &Escalation, events: &[Event], p: &Policy) -> Option<String> {
    let at = e.closed_at.filter(|_| !e.state.is_active())?;
    let found = events.iter().rev().filter(|ev| ev.escalation == Some(e.id)).find_map(|ev| match &ev.body {
        EventBody::Closed(n) => Some((ev, &n.note)),
        EventBody::Withdrawn(w) => Some((ev, &w.why)),
        _ => None,
    });
    let word = if e.state == crate::model::EscState::Closed { "Closed" } else { "Withdrawn" };
    Some(match found {
        Some((ev, why)) => {
            format!("  {word} by {} at {}: {}\n", clean(&ev.actor), human(ev.at, p.calendar.tz), clean(why))
        }
        None => format!("  {word} at {}\n", human(at, p.calendar.tz)),
    })
}

pub fn show(out: &Out, c: &Case, views: &[EscalationView], events: &[Event], p: &Policy, now: DateTime<Utc>) -> String {
    let mut s = String::new();
    // The next engineer on shift reads the latest handoff note first.
    let handoff = events.iter().rev().find_map(|e| match &e.body {
        EventBody::HandedOff(h) => Some((e.at, h)),
        _ => None,
    });
    if let Some((at, h)) = handoff {
        s.push_str(&format!(
            "{} from {} to {} at {}:\n  {}\n\n",
            out.bold("Latest handoff"),
            clean(&h.from),
            clean(&h.to),
            human(at, p.calendar.tz),
            clean_block(h.note.as_deref().unwrap_or("")).replace('\n', "\n  ")
        ));
    }
    s.push_str(&case_detail(out, c, p, now));
    s.push_str(&escalations(out, views, events, p, now));
    s.push_str(&format!("\n{}\n", out.bold("Timeline")));
    s.push_str(&timeline(out, events, p));
    s
}

/// Each escalation of the case, in lines of prose.
fn escalations(out: &Out, views: &[EscalationView], events: &[Event], p: &Policy, now: DateTime<Utc>) -> String {
    let mut out_text = String::new();
    for v in views {
        let e = v.esc;
        let mut s = String::new();
        let heading = match &e.account {
            Some(customer) => format!("Account escalation #{} of {}", e.id, clean(customer)),
            None => format!("Escalation #{}", e.id),
        };
        let at = if v.routed_immediately {
            // Its level name says where it went ("routed immediately to Security team").
            clean(&v.level_name)
        } else {
            format!("level {} ({})", e.level, clean(&v.level_name))
        };
        s.push_str(&format!(
            "\n{} — {at}, {}, to {} for {}\n",
            out.bold(&heading),
            e.state,
            clean(&e.destination),
            clean(&e.reason)
        ));
        if e.account.is_some() {
            s.push_str(&format!("  Spans cases: {}\n", clean(&e.linked.join(", "))));
        }
        s.push_str(&format!("  Audience: {}\n", clean(&v.audience.join(", "))));
        s.push_str(&format!(
            "  Owner: {}; requested by {} at {}\n",
            clean(&e.owner),
            clean(&e.requested_by),
            human(e.requested_at, p.calendar.tz)
        ));
        if let (crate::model::EscState::Requested, Some(due)) = (e.state, e.review_due_at) {
            s.push_str(&format!("  Review due: {}\n", human_relative(due, now, p.calendar.tz)));
        }
        // The decision and the state are two things: a rejected escalation may be withdrawn.
        if let (Some(decision), Some(by), Some(at)) = (&e.decision, &e.decided_by, e.decided_at) {
            let note = e.decision_note.as_deref().filter(|n| !n.trim().is_empty());
            s.push_str(&format!(
                "  Decided: {} by {} at {}{}\n",
                clean(decision),
                clean(by),
                human(at, p.calendar.tz),
                note.map(|n| format!(": {}", clean(n))).unwrap_or_default()
            ));
        }
        if let Some(line) = ended(e, events, p) {
            s.push_str(&line);
        }
        // The lines about it fitted to the width; what the requester wrote as written.
        out_text.push_str(&out.wrap(&s));
        out_text.push_str(&format!("  Description: {}\n", clean_block(&e.description).replace('\n', "\n    ")));
        for (k, v) in &e.fields {
            out_text.push_str(&format!("  {}: {}\n", clean(k), clean_block(v).replace('\n', "\n    ")));
        }
    }
    out_text
}
