//! `escalate request ID`: the guided request on a terminal, flags for scripts.
//! Prompts run before the write transaction; the rules are checked again inside it.

use indexmap::IndexMap;

use crate::app::{Ctx, key_of, text};
use crate::cli::RequestArgs;
use crate::error;
use crate::events::{EventBody, Requested};
use crate::model::{EscState, Escalation};
use crate::prompt::prompter;
use crate::render;
use crate::rules::check::{Ask, Eligibility, Rule, check};
use crate::rules::package::{IMPACT, SCREENS, item};

use super::request_guided::{gather, offer_override, screen};

/// `--field KEY=VALUE` pairs, in order; a key given twice is refused.
pub(super) fn parse_fields(raw: &[String]) -> anyhow::Result<IndexMap<String, String>> {
    let mut out = IndexMap::new();
    for f in raw {
        let Some((k, v)) = f.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(error::bad_input(format!(
                "--field {f:?} is not KEY=VALUE (for example --field summary=\"login fails\")"
            )));
        };
        let k = k.trim().to_string();
        text(&format!("--field {k}"), v)?;
        if out.insert(k.clone(), v.to_string()).is_some() {
            return Err(error::bad_input(format!("--field {k} is given twice: give each field once")));
        }
    }
    Ok(out)
}

/// `--screen CHECK=yes|no` answers, by check key.
fn parse_screens(raw: &[String]) -> anyhow::Result<IndexMap<String, bool>> {
    let keys: Vec<&str> = SCREENS.iter().map(|(k, _, _)| *k).collect();
    let mut out = IndexMap::new();
    for s in raw {
        let (k, v) = s.split_once('=').unwrap_or((s.as_str(), ""));
        let k = k.trim();
        if !keys.contains(&k) {
            return Err(error::bad_input(format!("--screen {s:?}: unknown check {k:?} (checks: {})", keys.join(", "))));
        }
        let yes = match v.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => true,
            "no" | "n" | "false" => false,
            _ => return Err(error::bad_input(format!("--screen {s:?}: answer yes or no, like --screen {k}=no"))),
        };
        if out.insert(k.to_string(), yes).is_some() {
            return Err(error::bad_input(format!("--screen {k} is given twice")));
        }
    }
    Ok(out)
}

/// Every field must belong to the destination's package.
pub(super) fn check_fields(
    p: &crate::policy::Policy,
    dest: &str,
    fields: &IndexMap<String, String>,
) -> anyhow::Result<()> {
    let wanted = &p.destinations[dest].fields;
    match fields.keys().find(|k| !wanted.contains(k)) {
        None => Ok(()),
        Some(k) => Err(error::bad_input(format!(
            "--field {k:?} is not part of the {dest} package (fields: {})",
            if wanted.is_empty() { "none".to_string() } else { wanted.join(", ") }
        ))),
    }
}

fn refusal(verdict: &Eligibility, ctx: &Ctx) -> anyhow::Error {
    let why: Vec<String> =
        verdict.failures().map(|r| format!("  {}: {}", r.rule, render::clean(&render::finding::detail(r)))).collect();
    let mut msg = format!("case {} may not be escalated now:\n{}", verdict.case, why.join("\n"));
    // Said once: a failing wait window that time will pass already names the time.
    let named = verdict.failures().any(|r| r.rule == Rule::WaitWindow && r.passes_at.is_some());
    if let Some(at) = verdict.eligible_at.filter(|_| !named) {
        msg.push_str(&format!("\nit becomes eligible at {}", crate::time::human_relative(at, ctx.now, ctx.tz())));
    }
    let hint = ctx.policy().destinations.iter().find(|(_, d)| d.immediate);
    if let (Some((key, _)), None) = (hint, verdict.destination.as_deref())
        && verdict.failures().any(|r| matches!(r.rule, Rule::WaitWindow | Rule::Severity))
    {
        msg.push_str(&format!("\n(a {key} escalation routes immediately: --to {key})"));
    }
    error::refused(msg)
}

/// What the request has so far: from its flags, then the prompts.
struct Draft {
    reason: Option<String>,
    dest: Option<String>,
    description: Option<String>,
    fields: IndexMap<String, String>,
    /// Package items given (impact and the like), by key.
    items: IndexMap<String, String>,
    screening: IndexMap<String, bool>,
    /// The customer's deadline, when the reason may skip the wait for one.
    deadline: Option<chrono::DateTime<chrono::Utc>>,
}

/// A request complete and checked, ready to be written.
struct Ready {
    reason: String,
    dest: String,
    description: String,
    /// The destination's fields, in its package's order.
    fields: IndexMap<String, String>,
    start: u32,
    justification: Option<String>,
    anyway_why: Option<String>,
}

/// What the write did: the new escalation, the rejected one it replaced, and the
/// review due after the customer's deadline (due, deadline), when it is.
struct Written {
    /// The case as the write found it.
    case: crate::model::Case,
    esc: Escalation,
    replaced: Option<Escalation>,
    late_review: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
    /// The customer's open account escalation that spans the case too.
    beside: Option<crate::rules::check::Spanning>,
}

pub fn run(ctx: &Ctx, a: RequestArgs) -> anyhow::Result<u8> {
    let ask = prompter(a.yes, ctx.no_input);
    let mut draft = Draft::from_flags(ctx, &a, ask.is_none())?;
    // The check first: nothing is asked when the answer is already no.
    let (case, escalations, pauses) = {
        let mut ledger = ctx.read_ledger()?;
        let mut tx = ledger.begin()?;
        let case = ctx.case(&mut *tx, &a.id)?;
        let escalations = tx.escalations_of(&case.id)?;
        let pauses = tx.pauses_of(&case.id)?;
        (case, escalations, pauses)
    };
    let verdict = draft.judged(ctx, ask.as_ref(), (&case, &escalations, &pauses))?;
    let anyway_why = match screen(ask.as_ref(), &mut draft.screening, a.escalate_anyway)? {
        Some(why) => Some(why),
        None => a.anyway_why.as_deref().map(|w| text("--anyway-why", w)).transpose()?,
    };
    draft.complete(ctx, ask.as_ref(), &case)?;
    let ready = draft.ready(ctx, ask.as_ref(), &a, &verdict, anyway_why)?;
    let p = ctx.policy();
    if let Some(ask) = &ask
        && !ask.confirm(&format!(
            "Request a level {} escalation of case {} to {} (reason: {})?",
            ready.start,
            render::clean(&case.id),
            p.destinations[&ready.dest].label,
            p.reasons.get(&ready.reason).map_or(ready.reason.as_str(), |r| r.label.as_str())
        ))?
    {
        return Err(error::refused("request not submitted"));
    }
    let w = write(ctx, &case.id, &draft, ready)?;
    if let Some((due, deadline)) = w.late_review {
        eprintln!(
            "warning: the review is due {}, after the customer's deadline ({}): tell the reviewer now rather than wait for it",
            crate::time::human(due, ctx.tz()),
            crate::time::human(deadline, ctx.tz())
        );
    }
    if let Some(a) = &w.beside {
        eprintln!(
            "warning: case {} is also spanned by {}'s account escalation #{} (level {}, owner {}): tell its owner, so that the two are not worked twice",
            render::clean(&w.case.id),
            render::clean(&a.customer),
            a.id,
            a.level,
            render::clean(&a.owner)
        );
    }
    print(ctx, &w)
}

impl Draft {
    /// The flags read and checked; bad input is reported before the policy is asked anything.
    fn from_flags(ctx: &Ctx, a: &RequestArgs, no_terminal: bool) -> anyhow::Result<Draft> {
        let p = ctx.policy();
        let mut dest = a.to.as_deref().map(|d| key_of(&p.destinations, "--to", "destination", d)).transpose()?;
        // With one destination in the policy there is nothing to choose.
        if dest.is_none() && p.destinations.len() == 1 {
            dest = p.destinations.keys().next().cloned();
        }
        let reason = a.reason.as_deref().map(|r| key_of(&p.reasons, "--reason", "reason", r)).transpose()?;
        let fields = parse_fields(&a.fields)?;
        let description = a.description.as_deref().map(|d| text("--description", d)).transpose()?;
        let items = super::package::items_of(&a.package, ctx)?;
        let mut screening = parse_screens(&a.screen)?;
        if a.escalate_anyway {
            screening.insert("escalated-anyway".into(), true);
        }
        let deadline = super::start::request_deadline(ctx, reason.as_deref(), a.package.deadline.as_deref())?;
        if let Some(l) = a.level {
            super::start::level(p, reason.as_deref(), Some(l))?;
        }
        if let Some(d) = dest.as_deref() {
            check_fields(p, d, &fields)?;
        } else if !fields.is_empty() && no_terminal {
            return Err(error::bad_input("--field needs --to DEST: the fields belong to a destination's package"));
        }
        Ok(Draft { reason, dest, description, fields, items, screening, deadline })
    }

    /// The rules' answer for the case as read; on a terminal, an override of the wait
    /// for a deadline offered when only the wait stands in the way. Refused if not eligible.
    fn judged(
        &mut self,
        ctx: &Ctx,
        ask: Option<&crate::prompt::Prompter>,
        (case, escalations, pauses): (&crate::model::Case, &[Escalation], &[crate::model::Pause]),
    ) -> anyhow::Result<Eligibility> {
        let judge = |reason: Option<&str>, deadline| {
            let asked = Ask { actor: &ctx.actor, destination: self.dest.as_deref(), reason, deadline };
            check(ctx.policy(), case, escalations, pauses, ctx.now, asked)
        };
        let mut verdict = judge(self.reason.as_deref(), self.deadline);
        if let Some(ask) = ask {
            ask.say(&render::check::eligibility(
                &render::Out { json: false, ..ctx.out },
                &verdict,
                ctx.policy(),
                ctx.now,
            ));
            if self.deadline.is_none() && offer_override(ask, ctx, &verdict, &mut self.reason, &mut self.deadline)? {
                if let Some(at) = self.deadline {
                    self.items.entry("deadline".into()).or_insert_with(|| crate::time::rfc3339(at));
                }
                verdict = judge(self.reason.as_deref(), self.deadline);
            }
        }
        if !verdict.eligible {
            return Err(refusal(&verdict, ctx));
        }
        Ok(verdict)
    }

    /// The values still missing: asked on a terminal, else named as the flags to give.
    fn complete(
        &mut self,
        ctx: &Ctx,
        ask: Option<&crate::prompt::Prompter>,
        case: &crate::model::Case,
    ) -> anyhow::Result<()> {
        let Some(ask) = ask else {
            let (reason, dest, description) =
                (self.reason.as_deref(), self.dest.as_deref(), self.description.as_deref());
            return missing_flags(ctx, reason, dest, description, &self.fields);
        };
        gather(ask, ctx, case, &mut self.reason, &mut self.dest, &mut self.description, &mut self.fields)?;
        for key in IMPACT {
            if self.items.contains_key(*key) {
                continue;
            }
            let label = item(key).map_or(*key, |i| i.label);
            let answer = ask.text(&format!("{label} (optional)"))?;
            if !answer.trim().is_empty() {
                self.items.insert(key.to_string(), answer);
            }
        }
        Ok(())
    }

    /// The request made whole: its level, the destination's fields in order, and the
    /// justification a skipped wait needs.
    fn ready(
        &self,
        ctx: &Ctx,
        ask: Option<&crate::prompt::Prompter>,
        a: &RequestArgs,
        verdict: &Eligibility,
        anyway_why: Option<String>,
    ) -> anyhow::Result<Ready> {
        let p = ctx.policy();
        let (Some(reason), Some(dest), Some(description)) = (&self.reason, &self.dest, &self.description) else {
            return Err(error::bad_input("reason, destination and description are required"));
        };
        let description = text("--description", description)?;
        let start = super::start::level(p, Some(reason), a.level)?;
        // Skipping the wait window for a deadline is justified, in words that are kept.
        let justification = match skipped(verdict) {
            Some(_) => Some(super::start::justification(ask, a.justification.as_deref())?),
            None => None,
        };
        check_fields(p, dest, &self.fields)?;
        let wanted = &p.destinations[dest].fields;
        let fields = wanted.iter().filter_map(|k| self.fields.get(k).map(|v| (k.clone(), v.clone()))).collect();
        Ok(Ready { reason: reason.clone(), dest: dest.clone(), description, fields, start, justification, anyway_why })
    }
}

/// The request written in the command's one transaction, the rules checked again on
/// the case as it is now (held); a rejected escalation it replaces ends, recorded.
fn write(ctx: &Ctx, case_id: &str, draft: &Draft, r: Ready) -> anyhow::Result<Written> {
    let p = ctx.policy();
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, case_id)?;
    let escalations = tx.escalations_of(&case.id)?;
    let pauses = tx.pauses_of(&case.id)?;
    let asked =
        Ask { actor: &ctx.actor, destination: Some(&r.dest), reason: Some(&r.reason), deadline: draft.deadline };
    let verdict = check(p, &case, &escalations, &pauses, ctx.now, asked);
    if !verdict.eligible {
        return Err(refusal(&verdict, ctx));
    }
    let skipped_wait = skipped(&verdict).map(|(deadline, wait_ended_at)| crate::events::SkippedWait {
        deadline,
        wait_ended_at,
        justification: r.justification.clone().unwrap_or_default(),
    });
    if skipped_wait.is_some() && r.justification.is_none() {
        return Err(error::bad_input("skipping the wait window for a deadline needs --justification TEXT"));
    }
    let replaced = crate::model::open_escalation(&escalations).filter(|e| e.state == EscState::Rejected).cloned();
    if let Some(old) = replaced.clone() {
        super::follow::end_replaced(ctx, &mut *tx, old)?;
    }
    let level = p.level(r.start).ok_or_else(|| error::policy(format!("the policy has no level {}", r.start)))?;
    let review_due_at = p.review_window(level.number, &r.dest).and_then(|w| p.calendar.add(ctx.now, w));
    let mut esc =
        Escalation::new(&case.id, r.dest, r.reason, r.description, r.fields, &ctx.actor, ctx.now, review_due_at);
    esc.level = r.start;
    crate::rules::package::merge(&mut esc.package, &draft.items).map_err(error::bad_input)?;
    esc.package.screening = draft.screening.clone();
    esc.package.escalated_anyway_why = r.anyway_why;
    esc.id = tx.insert_escalation(&esc)?;
    // The customer's deadline passes before the review is due: said, so that
    // the requester reaches the reviewer some other way too.
    let late_review = skipped_wait
        .as_ref()
        .and_then(|s| esc.review_due_at.filter(|due| *due > s.deadline).map(|due| (due, s.deadline)));
    let requested = Requested {
        level: esc.level,
        destination: esc.destination.clone(),
        reason: esc.reason.clone(),
        description: esc.description.clone(),
        fields: esc.fields.clone(),
        review_due_at: esc.review_due_at,
        package: esc.package.clone(),
        skipped_wait,
    };
    ctx.record(&mut *tx, &case.id, Some(esc.id), &EventBody::Requested(Box::new(requested)))?;
    let beside = crate::rules::check::Spanning::of(&case.id, &tx.account_escalations(&case.customer)?);
    tx.commit()?;
    Ok(Written { case, esc, replaced, late_review, beside })
}

fn print(ctx: &Ctx, w: &Written) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let shown = render::cases::EscalationView::new(&w.esc, p, Some(&w.case));
    if ctx.out.json {
        ctx.out.json(&shown)?;
        return Ok(0);
    }
    if let Some(old) = &w.replaced {
        let by = old.decided_by.as_deref().map(|w| format!(" by {}", render::clean(w))).unwrap_or_default();
        ctx.out.print(&format!(
            "Escalation #{} (rejected at level {}{by}) ends: this request replaces it.\n",
            old.id, old.level
        ))?;
    }
    ctx.out.print(&render::check::requested(&ctx.out, &shown, p, ctx.now))?;
    Ok(0)
}

/// The deadline and the wait's end, when the wait window was skipped for a deadline.
fn skipped(verdict: &Eligibility) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    verdict.rules.iter().find_map(|r| match r.finding {
        crate::rules::finding::Finding::WaitSkipped { deadline, ends, .. } => Some((deadline, ends)),
        _ => None,
    })
}

/// Without a terminal nothing is asked: name every missing flag and stop.
fn missing_flags(
    ctx: &Ctx,
    reason: Option<&str>,
    dest: Option<&str>,
    description: Option<&str>,
    fields: &IndexMap<String, String>,
) -> anyhow::Result<()> {
    let p = ctx.policy();
    let mut missing = Vec::new();
    if reason.is_none() {
        missing.push(format!("--reason KEY (one of: {})", crate::policy::Policy::keys(&p.reasons)));
    }
    match dest {
        None => missing.push(format!(
            "--to DEST (one of: {}) and a --field KEY=VALUE for each field that destination requires",
            crate::policy::Policy::keys(&p.destinations)
        )),
        Some(d) => {
            for key in &p.destinations[d].fields {
                if fields.get(key).is_none_or(|v| v.trim().is_empty()) {
                    missing.push(format!("--field {key}=... ({})", p.field_label(key)));
                }
            }
        }
    }
    if description.is_none_or(|d| d.trim().is_empty()) {
        missing.push("--description TEXT".into());
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(error::bad_input(format!(
        "missing values, and no terminal to ask on (or --yes/--no-input was given):\n  {}",
        missing.join("\n  ")
    )))
}
