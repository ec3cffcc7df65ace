//! Verdicts for people: the check's rules, and what a request or promotion did.

use chrono::{DateTime, Utc};

use super::cases::EscalationView;
use super::{Out, clean};
use crate::policy::Policy;
use crate::rules::check::Eligibility;
use crate::time::human_relative;

pub fn eligibility(out: &Out, e: &Eligibility, p: &Policy, now: DateTime<Utc>) -> String {
    let tz = p.calendar.tz;
    let headline = if e.eligible {
        format!("Case {}: {} to escalate now.", clean(&e.case), out.green("ELIGIBLE"))
    } else {
        match e.eligible_at {
            Some(at) => format!(
                "Case {}: {} yet. Eligible at {}.",
                clean(&e.case),
                out.red("NOT ELIGIBLE"),
                human_relative(at, now, tz)
            ),
            None if e.waiting_since.is_some()
                && e.failures().all(|r| r.rule == crate::rules::check::Rule::WaitWindow) =>
            {
                format!(
                    "Case {}: {} while it waits on the customer: the wait window is paused.",
                    clean(&e.case),
                    out.red("NOT ELIGIBLE")
                )
            }
            None => format!(
                "Case {}: {}. Waiting alone does not change that: see the rules that fail.",
                clean(&e.case),
                out.red("NOT ELIGIBLE")
            ),
        }
    };
    let mut t = out.table(&["Rule", "Result", "Detail"]);
    for r in &e.rules {
        t.add_row(vec![
            r.rule.to_string(),
            if r.passed { "pass".into() } else { "FAIL".into() },
            clean(&super::finding::detail(r)),
        ]);
    }
    format!("{}\n{t}\n", out.wrap(&headline))
}

/// The verdict, then the SLA position and the signals (informational).
pub fn report(out: &Out, r: &crate::rules::check::Report, p: &Policy, now: DateTime<Utc>) -> String {
    let mut s = eligibility(out, &r.verdict, p, now);
    s.push_str(&out.wrap(&format!("First-response SLA: {} ({})\n", r.sla.position.label(), clean(&r.sla.detail))));
    let mut t = out.table(&["Signal", "Raised", "Detail"]);
    for sig in &r.signals {
        t.add_row(vec![
            sig.signal.to_string(),
            if sig.raised { "YES".into() } else { "no".into() },
            clean(&sig.detail),
        ]);
    }
    s.push_str(&format!("Signals that say escalate (informational: they do not change eligibility)\n{t}\n"));
    if let Some(a) = &r.account_escalation {
        s.push_str(&out.wrap(&format!(
            "It is spanned by {}'s account escalation #{} (level {}, {}; owner {}): a case escalation would run \
             beside it; the commands under `escalate account` follow that one through (`escalate account show {:?}`).\n",
            clean(&a.customer),
            a.id,
            a.level,
            a.state,
            clean(&a.owner),
            clean(&a.customer)
        )));
    } else if !r.account_triggers.is_empty() {
        let met: Vec<String> =
            r.account_triggers.iter().map(|t| format!("{} ({})", t.signal, clean(&t.detail))).collect();
        s.push_str(&out.wrap(&format!(
            "It qualifies for an account escalation: {}. Consult the support manager on call; \
             `escalate account request` opens one.\n",
            met.join("; ")
        )));
    }
    s
}

/// `check --account`: each trigger, met or not.
pub fn account(out: &Out, r: &crate::rules::account::AccountCheck) -> String {
    let headline = if r.qualifies {
        format!("Account {}: QUALIFIES for an account escalation.", clean(&r.customer))
    } else {
        format!("Account {}: does not qualify for an account escalation.", clean(&r.customer))
    };
    if r.triggers.is_empty() {
        return format!(
            "{headline}\nThe policy sets no trigger for an account escalation (see `[accounts]` in the policy).\n"
        );
    }
    let mut t = out.table(&["Trigger", "Met", "Detail"]);
    for sig in &r.triggers {
        t.add_row(vec![
            sig.signal.to_string(),
            if sig.raised { "YES".into() } else { "no".into() },
            clean(&sig.detail),
        ]);
    }
    let open = match r.open_escalation {
        Some(id) => format!("Account escalation #{id} is open: link cases to it with `escalate account link`.\n"),
        None => String::new(),
    };
    format!("{headline}\n{t}\n{open}")
}

fn level_lines(v: &EscalationView, p: &Policy, now: DateTime<Utc>) -> String {
    let e = v.esc;
    let mut s = format!("Audience: {}\n", clean(&v.audience.join(", ")));
    match e.review_due_at {
        Some(due) => {
            s.push_str(&format!("{} reviews it by {}.\n", clean(&v.reviewer), human_relative(due, now, p.calendar.tz)))
        }
        None => s.push_str(&format!(
            "The review window does not end within {} of the calendar, the furthest escalate looks ahead: \
             shorten it in the policy, or give the calendar working time.\n",
            crate::policy::calendar::HORIZON_WORDS
        )),
    }
    if v.routed_immediately {
        s.push_str("It skips the level progression: there is no level to promote it to.\n");
    } else if p.level(e.level).is_some_and(|l| l.root_cause_analysis) {
        s.push_str("A full root-cause analysis follows an escalation at this level.\n");
    }
    s
}

pub fn requested(out: &Out, v: &EscalationView, p: &Policy, now: DateTime<Utc>) -> String {
    let e = v.esc;
    let dest = p.destinations.get(&e.destination).map_or(e.destination.as_str(), |d| d.label.as_str());
    if v.routed_immediately {
        return out.wrap(&format!(
            "{} escalation #{} of case {}: routed immediately to {}, for {}.\n{}",
            out.green("Requested"),
            e.id,
            clean(&e.case_id),
            clean(dest),
            clean(&e.reason),
            level_lines(v, p, now)
        ));
    }
    out.wrap(&format!(
        "{} escalation #{} of case {}: level {} ({}), to {}, for {}.\n{}",
        out.green("Requested"),
        e.id,
        clean(&e.case_id),
        e.level,
        clean(&v.level_name),
        clean(dest),
        clean(&e.reason),
        level_lines(v, p, now)
    ))
}

pub fn promoted(out: &Out, v: &EscalationView, from: u32, p: &Policy, now: DateTime<Utc>) -> String {
    let e = v.esc;
    let what = match &e.account {
        Some(customer) => format!("account escalation #{} of {}", e.id, clean(customer)),
        None => format!("escalation #{} of case {}", e.id, clean(&e.case_id)),
    };
    out.wrap(&format!(
        "{} {what} from level {from} to level {} ({}).\n{}",
        out.green("Promoted"),
        e.level,
        clean(&v.level_name),
        level_lines(v, p, now)
    ))
}

pub fn due(
    out: &Out,
    items: &[crate::rules::follow::DueItem],
    p: &Policy,
    now: DateTime<Utc>,
    overdue_only: bool,
) -> String {
    if items.is_empty() {
        return if overdue_only { "Nothing is overdue.\n".into() } else { "Nothing is due.\n".into() };
    }
    let due = format!("Due ({})", p.calendar.tz.name());
    let mut t = out.grid(&[&due, "When", "What", "Case", "Pri", "#", "Level", "Owner", "Detail"]);
    for i in items {
        let when = if i.overdue {
            format!("{} late", crate::time::span(now - i.due_at))
        } else if i.kind == crate::rules::follow::DueKind::Promotion {
            format!("possible {}", crate::time::relative(i.due_at, now))
        } else {
            crate::time::relative(i.due_at, now)
        };
        let kind = match i.kind {
            crate::rules::follow::DueKind::Review => "review",
            crate::rules::follow::DueKind::TouchPoint => "touch-point",
            crate::rules::follow::DueKind::Promotion => "promotion",
        };
        let mut detail = clean(&i.detail);
        if i.paused_minutes > 0 {
            detail.push_str(&format!(
                " (paused {} waiting on the customer)",
                crate::time::span(chrono::Duration::minutes(i.paused_minutes))
            ));
        }
        t.add_row(vec![
            crate::time::short(i.due_at, now, p.calendar.tz),
            if i.overdue { out.red(&when) } else { when },
            kind.to_string(),
            if i.account.is_some() { format!("account: {}", clean(&i.linked.join(", "))) } else { clean(&i.case) },
            super::cases::priority_cell(i.priority),
            i.escalation.to_string(),
            if i.routed_immediately { "-".to_string() } else { i.level.to_string() },
            clean(&i.owner),
            detail,
        ]);
    }
    t.keep_whole(&[0, 1, 2, 3, 4, 5, 6]);
    format!("{}\n", t.render(out))
}
