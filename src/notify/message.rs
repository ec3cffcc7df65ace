//! What a notification says: enough to act on without opening anything else.
//! The message is versioned JSON (the webhook and command payload); chat
//! channels word it from the same data. Pure.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Topic;
use crate::model::{Case, Escalation, ser_opt_time, ser_time};
use crate::policy::Policy;
use crate::rules::follow::{DueItem, DueKind};
use crate::rules::package::Document;
use crate::time::{human, rfc3339};

/// The payload version: bumped when a field changes meaning or goes away.
pub const VERSION: u32 = 1;

/// A person named in a message, with the chat handle that mentions them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Who {
    pub name: String,
    pub mention: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseInfo {
    pub id: String,
    pub customer: String,
    pub title: String,
    pub severity: u32,
    pub severity_label: String,
    pub tier: String,
    pub tier_label: String,
    pub priority: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EscalationInfo {
    pub id: i64,
    pub level: u32,
    pub level_name: String,
    pub audience: Vec<String>,
    pub state: String,
    pub reason: String,
    pub reason_label: String,
    pub destination: String,
    pub destination_label: String,
    pub receiver: String,
    pub rating: String,
    pub requester: Who,
    pub owner: Who,
    #[serde(serialize_with = "ser_opt_time")]
    pub review_due_at: Option<DateTime<Utc>>,
    /// The review deadline in the calendar's zone, for people.
    pub review_due: Option<String>,
    #[serde(serialize_with = "ser_opt_time")]
    pub next_touch_at: Option<DateTime<Utc>>,
    pub next_touch: Option<String>,
}

/// The escalation document in brief.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct PackageSummary {
    pub summary: String,
    pub sla_position: String,
    pub actions_taken: usize,
    pub ask: String,
    pub hard_deadline: String,
}

/// The message: one per event, told to every channel routed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub version: u32,
    pub topic: Topic,
    #[serde(serialize_with = "ser_time")]
    pub at: DateTime<Utc>,
    /// The time zone the words use (the policy calendar's).
    pub timezone: String,
    pub actor: Who,
    /// One line saying what happened.
    pub headline: String,
    /// More lines: a note, a reason, what is overdue.
    pub details: Vec<String>,
    pub case: CaseInfo,
    pub escalation: Option<EscalationInfo>,
    pub package: Option<PackageSummary>,
    /// The command to run next, when there is one.
    pub next: Option<String>,
    /// The PagerDuty-style key grouping all messages of one escalation (or outage).
    pub dedup_key: String,
}

/// What a message is built from.
pub struct Facts<'a> {
    pub policy: &'a Policy,
    pub topic: Topic,
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub case: &'a Case,
    pub esc: Option<&'a Escalation>,
    pub document: Option<&'a Document>,
    /// Lines specific to the event: a decision note, a handoff note, the overdue item.
    pub details: Vec<String>,
    /// The ledger's name (its origin), so that ids stay apart between ledgers that
    /// tell one receiver.
    pub ledger: &'a str,
}

pub fn who(policy: &Policy, name: &str) -> Who {
    let handle = policy.notify.person(name).and_then(|p| p.handle.clone()).filter(|h| !h.trim().is_empty());
    Who { name: name.to_string(), mention: handle.unwrap_or_else(|| name.to_string()) }
}

fn case_info(policy: &Policy, c: &Case) -> CaseInfo {
    CaseInfo {
        id: c.id.clone(),
        customer: c.customer.clone(),
        title: c.title.clone(),
        severity: c.severity,
        severity_label: policy.severities.get(&c.severity).map(|s| s.label.clone()).unwrap_or_default(),
        tier: c.tier.clone(),
        tier_label: policy.tiers.get(&c.tier).map_or(c.tier.clone(), |t| t.label.clone()),
        priority: c.priority.to_string(),
    }
}

fn esc_info(policy: &Policy, case: &Case, e: &Escalation, tz: Tz) -> EscalationInfo {
    let level = policy.level(e.level);
    let dest = policy.destinations.get(&e.destination);
    EscalationInfo {
        id: e.id,
        level: e.level,
        level_name: level.map(|l| l.name.clone()).unwrap_or_default(),
        audience: level.map(|l| l.audience.clone()).unwrap_or_default(),
        state: e.state.to_string(),
        reason: e.reason.clone(),
        reason_label: policy.reasons.get(&e.reason).map_or(e.reason.clone(), |r| r.label.clone()),
        destination: e.destination.clone(),
        destination_label: dest.map_or(e.destination.clone(), |d| d.label.clone()),
        receiver: dest.map(|d| d.receiver.clone()).unwrap_or_default(),
        rating: crate::rules::package::rating(policy, case, e).0.label().to_string(),
        requester: who(policy, &e.requested_by),
        owner: who(policy, &e.owner),
        review_due_at: e.review_due_at,
        review_due: e.review_due_at.map(|t| human(t, tz)),
        next_touch_at: e.next_touch_at,
        next_touch: e.next_touch_at.map(|t| human(t, tz)),
    }
}

fn package_summary(d: &Document) -> PackageSummary {
    PackageSummary {
        summary: d.summary.clone(),
        sla_position: d.sla_position.clone(),
        actions_taken: d.actions.len(),
        ask: d.ask.joined(" ").unwrap_or_default(),
        hard_deadline: d.hard_deadline.joined(" ").unwrap_or_default(),
    }
}

/// "escalation #3 of case ACME-1 (Acme Corp)".
fn of(e: &Escalation, c: &Case) -> String {
    match &e.account {
        Some(customer) => format!("account escalation #{} of {customer} (cases {})", e.id, e.linked.join(", ")),
        None => format!("escalation #{} of case {} ({})", e.id, c.id, c.customer),
    }
}

fn headline(f: &Facts, tz: Tz) -> String {
    let (p, c, actor) = (f.policy, f.case, f.actor);
    let Some(e) = f.esc else {
        let sev = p.severity_named(c.severity);
        return match f.topic {
            Topic::OutageEnded => format!("Case {} ({}) is closed: the {sev} page is resolved", c.id, c.customer),
            _ => format!("Case {} ({}) is {sev}: use the outage process now", c.id, c.customer),
        };
    };
    let level = p.level(e.level).map_or(format!("level {}", e.level), |l| format!("level {} ({})", e.level, l.name));
    let dest = p.destinations.get(&e.destination).map_or(e.destination.as_str(), |d| d.label.as_str());
    let reason = p.reasons.get(&e.reason).map_or(e.reason.as_str(), |r| r.label.as_str());
    let owner = &e.owner;
    match f.topic {
        Topic::Requested => format!("{actor} requested {} at {level}, to {dest}: {reason}", of(e, c)),
        Topic::Promoted => format!("{actor} promoted {} to {level}", of(e, c)),
        Topic::Approved => format!("{actor} approved {} at {level}", of(e, c)),
        Topic::Rejected => format!("{actor} rejected {} at {level}", of(e, c)),
        Topic::Assigned => format!("{actor} assigned {} to {owner}", of(e, c)),
        Topic::HandedOff => format!("{actor} handed {} over to {owner}", of(e, c)),
        Topic::Updated => format!("{actor} updated the customer on {}", of(e, c)),
        Topic::Closed => format!("{actor} closed {}", of(e, c)),
        Topic::Reopened => format!("{actor} reopened {}", of(e, c)),
        Topic::Withdrawn => format!("{actor} withdrew {}", of(e, c)),
        Topic::Overdue => format!("Overdue at {level}: {}, owned by {owner}", of(e, c)),
        Topic::Test => "A test message from escalate".to_string(),
        Topic::Outage | Topic::OutageEnded => {
            format!("Case {} ({}) went to the outage process at {}", c.id, c.customer, human(f.at, tz))
        }
    }
}

/// The command to run next, as a person would type it.
fn next(f: &Facts) -> Option<String> {
    let (c, e) = (f.case, f.esc?);
    // An account escalation's commands live under `escalate account`, by customer.
    let (esc, id) = match &e.account {
        Some(customer) => ("escalate account", shell_word(customer)),
        None => ("escalate", shell_word(&c.id)),
    };
    Some(match f.topic {
        Topic::Requested | Topic::Promoted | Topic::Reopened if e.state == crate::model::EscState::Requested => {
            format!("{esc} decide {id} approve")
        }
        Topic::Rejected => format!("{esc} promote {id} --why TEXT   (or withdraw it)"),
        Topic::Overdue | Topic::Assigned | Topic::HandedOff | Topic::Approved => {
            format!("{esc} update {id} --note TEXT --next TIME")
        }
        Topic::Closed | Topic::Withdrawn if e.account.is_some() => format!("{esc} show {id}"),
        Topic::Closed | Topic::Withdrawn => format!("escalate show {id}"),
        _ => return None,
    })
}

/// `s` quoted for a POSIX shell when it needs to be.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/@+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub fn build(f: Facts) -> Message {
    let tz = f.policy.calendar.tz;
    let dedup_key = match f.esc {
        Some(e) => format!("{}-escalation-{}", f.ledger, e.id),
        None => format!("{}-outage-{}", f.ledger, f.case.id),
    };
    Message {
        version: VERSION,
        topic: f.topic,
        at: f.at,
        timezone: tz.name().to_string(),
        actor: who(f.policy, f.actor),
        headline: headline(&f, tz),
        details: f.details.clone(),
        case: case_info(f.policy, f.case),
        escalation: f.esc.map(|e| esc_info(f.policy, f.case, e, tz)),
        package: f.document.map(package_summary),
        next: next(&f),
        dedup_key,
    }
}

/// The lines an overdue item adds: what was due, when, and how late.
pub fn overdue_details(item: &DueItem, tz: Tz) -> Vec<String> {
    let what = match item.kind {
        DueKind::Review => "The review",
        DueKind::TouchPoint => "The customer touch-point",
        DueKind::Promotion => "A promotion",
    };
    // Late as of when it was found, said with that time: a delivery may come later.
    let late = chrono::Duration::minutes(item.late_minutes);
    vec![format!(
        "{what} was due {}: {} late when found overdue at {}.",
        human(item.due_at, tz),
        crate::time::span(late),
        human(item.due_at + late, tz)
    )]
}

/// The stable key of an overdue item: one message per deadline.
pub fn overdue_key(item: &DueItem) -> String {
    let kind = match item.kind {
        DueKind::Review => "review",
        DueKind::TouchPoint => "touch-point",
        DueKind::Promotion => "promotion",
    };
    format!("overdue-{}-{kind}-{}", item.escalation, rfc3339(item.due_at))
}

/// The lines an event adds: its note, reason or promise, as written.
pub fn event_details(policy: &Policy, body: &crate::events::EventBody, tz: Tz) -> Vec<String> {
    use crate::events::EventBody as B;
    let line = |label: &str, text: &str| format!("{label}: {}", text.trim());
    match body {
        B::Requested(r) => vec![line("Description", &r.description)],
        B::AccountRequested(r) => vec![line("Description", &r.description), format!("Cases: {}", r.cases.join(", "))],
        B::Promoted(p) => vec![line("Why", &p.why)],
        B::Decided(d) => d.note.iter().map(|n| line("Note", n)).collect(),
        B::Assigned(o) | B::HandedOff(o) => {
            let mut v = vec![format!("Owner: {} → {}", who(policy, &o.from).mention, who(policy, &o.to).mention)];
            v.extend(o.note.iter().map(|n| line("Handoff note", n)));
            v.extend(o.manager.iter().map(|m| format!("Support manager on call: {}", who(policy, m).mention)));
            v
        }
        B::CustomerUpdated(u) => {
            let mut v = vec![line("Update", &u.note)];
            v.extend(u.next.map(|n| format!("Next touch-point promised for {}", human(n, tz))));
            v
        }
        B::Closed(n) => vec![line("Note", &n.note)],
        B::Reopened(r) => vec![line("Why", &r.why)],
        B::Withdrawn(w) => vec![line("Why", &w.why)],
        _ => Vec::new(),
    }
}
