//! The policy in force as tables and as JSON (`escalate policy show`).

use serde_json::{Value, json};

use super::Out;
use crate::policy::{Loaded, Policy};

fn days(p: &Policy) -> String {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    NAMES.iter().zip(p.calendar.working_days).filter(|(_, on)| *on).map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

fn hhmm(min: u32) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// The clocks that stop while a case waits on the customer, as the policy names them.
fn paused_clocks(p: &Policy) -> Vec<&'static str> {
    [(p.pause_wait, "wait-window"), (p.pause_touch, "touch-point"), (p.pause_review, "review")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
}

pub fn as_json(l: &Loaded) -> Value {
    let p = &l.policy;
    let c = &p.calendar;
    json!({
        "name": p.name,
        "origin": l.origin.to_string(),
        "digest": l.digest,
        "calendar": {
            "timezone": c.tz.name(),
            "working_days": days(p).split(", ").collect::<Vec<_>>(),
            "working_hours": { "start": hhmm(c.start_min), "end": hhmm(c.end_min) },
            "holidays": c.holidays.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        },
        "tiers": p.tiers.iter().map(|(k, t)| json!({ "key": k, "label": t.label })).collect::<Vec<_>>(),
        "severities": p.severities.iter().map(|(n, s)| json!({
            "severity": n,
            "label": s.label,
            "escalable": s.escalable,
            "redirect": if s.escalable { Value::Null } else { json!(s.redirect) },
            "wait": s.wait.iter().map(|(t, w)| (t.clone(), json!(w.to_string()))).collect::<serde_json::Map<_, _>>(),
            "first_response": s.first_response.iter().map(|(t, w)| (t.clone(), json!(w.to_string()))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
        "reasons": p.reasons.iter().map(|(k, r)| json!({ "key": k, "label": r.label, "help": r.help })).collect::<Vec<_>>(),
        "levels": p.levels.iter().map(|l| json!({
            "level": l.number,
            "name": l.name,
            "audience": l.audience,
            "reviewer": l.reviewer,
            "review": l.review.to_string(),
            "update_every": l.update_every.map(|u| u.to_string()),
            "root_cause_analysis": l.root_cause_analysis,
            "deciders": l.deciders.as_ref().map(|d| d.iter().map(ToString::to_string).collect::<Vec<_>>()),
            "may_start": l.may_start,
        })).collect::<Vec<_>>(),
        "promotion": {
            "after_review": p.promote_after_review,
            "after_decision": p.promote_after_decision,
        },
        "decisions": {
            "deciders": p.deciders.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "self_decision": p.self_decision,
        },
        "roles": p.roles,
        "pause": { "clocks": paused_clocks(p) },
        "destinations": p.destinations.iter().map(|(k, d)| json!({
            "key": k,
            "label": d.label,
            "receiver": d.receiver,
            "trigger": d.trigger,
            "fields": d.fields,
            "immediate": d.immediate,
            "review": d.review.map(|r| r.to_string()),
            "deciders": d.deciders.as_ref().map(|d| d.iter().map(ToString::to_string).collect::<Vec<_>>()),
        })).collect::<Vec<_>>(),
        "notifications": super::channels::json(p),
    })
}

pub fn tables(out: &Out, l: &Loaded) -> String {
    let p = &l.policy;
    let mut s = heading(out, l);
    s.push_str(&waits(out, p));
    s.push_str(&first_response(out, p));
    s.push_str(&levels(out, p));
    s.push_str(&reasons_and_destinations(out, p));
    s.push_str(&super::channels::tables(out, p));
    s
}

/// The policy's name, origin and digest, and its business calendar.
fn heading(out: &Out, l: &Loaded) -> String {
    let (p, c) = (&l.policy, &l.policy.calendar);
    format!(
        "{} ({}; {})\nCalendar: {}, {} {}-{}{}\n\n",
        out.bold(&format!("Policy {}", if p.name.is_empty() { "(unnamed)" } else { &p.name })),
        l.origin,
        l.digest,
        c.tz.name(),
        days(p),
        hhmm(c.start_min),
        hhmm(c.end_min),
        if c.holidays.is_empty() {
            String::new()
        } else {
            format!(", holidays {}", c.holidays.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))
        }
    )
}

/// The wait windows by severity and tier, and where a severity that is not escalable goes.
fn waits(out: &Out, p: &Policy) -> String {
    let t = by_severity_and_tier(out, p, "Wait", |sev, key| match (sev.escalable, sev.wait.get(key)) {
        (false, _) => "not escalable".into(),
        (true, Some(w)) => w.to_string(),
        (true, None) => "-".into(),
    });
    let mut s = format!("{}\n{t}\n", out.bold("Wait windows (from when the case was opened)"));
    for (n, sev) in p.severities.iter().filter(|(_, s)| !s.escalable) {
        s.push_str(&format!("Severity {n} ({}): {}\n", sev.label, sev.redirect));
    }
    s.push('\n');
    s
}

/// The levels, when one may be promoted, who decides, where a request may start and
/// which clocks stop while a case waits on the customer.
fn levels(out: &Out, p: &Policy) -> String {
    let mut t = out.table(&["Level", "Name", "Audience", "Reviewer", "Review window", "Customer updates"]);
    for l in &p.levels {
        t.add_row(vec![
            l.number.to_string(),
            l.name.clone(),
            l.audience.join(", "),
            l.reviewer.clone(),
            l.review.to_string(),
            l.update_every.map_or_else(|| "-".to_string(), |u| format!("every {u}")),
        ]);
    }
    let mut when = Vec::new();
    if p.promote_after_review {
        when.push("its review window has passed");
    }
    if p.promote_after_decision {
        when.push("it has been decided");
    }
    let promotion = if p.levels.len() < 2 {
        "There is one level: nothing to promote to.".to_string()
    } else {
        format!("A level may be promoted once {}.", when.join(" or "))
    };
    let mut s = format!("{}\n{t}\n{promotion}\n", out.bold("Levels"));
    let rca: Vec<String> = p.levels.iter().filter(|l| l.root_cause_analysis).map(|l| l.number.to_string()).collect();
    if !rca.is_empty() {
        s.push_str(&format!(
            "A full root-cause analysis follows an escalation that reaches level {}.\n",
            rca.join(" or ")
        ));
    }
    s.push_str(&deciders(p));
    let starts: Vec<String> = p.levels.iter().filter(|l| l.may_start).map(|l| l.number.to_string()).collect();
    if starts != ["1"] {
        s.push_str(&format!("A request may start at level {}.\n", starts.join(" or ")));
    }
    let paused = paused_clocks(p);
    s.push_str(&if paused.is_empty() {
        "No clock stops while a case waits on the customer.\n\n".to_string()
    } else {
        format!("While a case waits on the customer these clocks stop: {}.\n\n", paused.join(", "))
    });
    s
}

/// Who decides each level, and whether a requester may decide their own request.
fn deciders(p: &Policy) -> String {
    let who = if p.deciders.is_empty() {
        "anyone".to_string()
    } else {
        p.deciders.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    };
    let mut s = String::new();
    for l in &p.levels {
        if let Some(d) = &l.deciders {
            let d: Vec<String> = d.iter().map(ToString::to_string).collect();
            s.push_str(&format!("Level {} is decided by {}.\n", l.number, d.join(", ")));
        }
    }
    let own = if p.self_decision { "a requester may decide their own request" } else { "never by the requester" };
    s.push_str(&if p.levels.iter().any(|l| l.deciders.is_some()) {
        format!("Other levels are decided by {who}; at every level, {own}.\n")
    } else {
        format!("Decided by {who}; {own}.\n")
    });
    s
}

/// The reasons a case may be escalated for, and the destinations with their routing.
fn reasons_and_destinations(out: &Out, p: &Policy) -> String {
    let mut t = out.table(&["Reason", "Label", "Help"]);
    for (k, r) in &p.reasons {
        t.add_row(vec![k.clone(), r.label.clone(), r.help.clone()]);
    }
    let mut s = format!("{}\n{t}\n\n", out.bold("Reasons"));
    let mut t = out.table(&["Destination", "Label", "Receiver", "Package fields", "Routing"]);
    for (k, d) in &p.destinations {
        let how = if d.immediate {
            "immediate: skips wait windows, the severity redirect and the levels"
        } else {
            "after the wait window"
        };
        let mut routing = match d.review {
            Some(r) => format!("{how}; reviewed within {r}"),
            None => how.to_string(),
        };
        if let Some(list) = &d.deciders {
            let who = list.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            routing.push_str(&format!("; decided by {who}"));
        }
        t.add_row(vec![k.clone(), d.label.clone(), d.receiver.clone(), d.fields.join(", "), routing]);
    }
    s.push_str(&format!("{}\n{t}\n\n", out.bold("Destinations")));
    s
}

/// The first-response targets by severity and tier, when the policy sets any.
fn first_response(out: &Out, p: &Policy) -> String {
    if p.severities.values().all(|s| s.first_response.is_empty()) {
        return String::new();
    }
    let t = by_severity_and_tier(out, p, "First response", |sev, key| {
        sev.first_response.get(key).map_or_else(|| "-".into(), ToString::to_string)
    });
    format!("{}\n{t}\n\n", out.bold("First-response targets (from when the case was opened)"))
}

/// A table of severities by tier, each cell `cell(severity, tier key)`.
fn by_severity_and_tier(
    out: &Out,
    p: &Policy,
    what: &str,
    cell: impl Fn(&crate::policy::Severity, &str) -> String,
) -> comfy_table::Table {
    let mut header = vec!["Severity".to_string()];
    header.extend(p.tiers.values().map(|t| format!("{what}: {}", t.label)));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = out.table(&header);
    for (n, sev) in &p.severities {
        let mut row = vec![format!("{n} ({})", sev.label)];
        row.extend(p.tiers.keys().map(|k| cell(sev, k)));
        t.add_row(row);
    }
    t
}
