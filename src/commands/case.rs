//! `escalate case add|list|show|update|close|reopen`.

use crate::app::{Ctx, key_of, one_line, severity_of};
use crate::cli::{CaseAddArgs, CaseCommand, CaseListArgs, CaseUpdateArgs};
use crate::error;
use crate::events::{CaseAdded, Empty, EventBody, Paused, Resumed};
use crate::ledger::CaseFilter;
use crate::model::{Case, CaseStatus, Priority};
use crate::render::cases as view;
use crate::transfer;

pub(crate) use super::case_guard::{close_blocked, diff, held_by_account, opening_passed};

pub fn run(ctx: &Ctx, cmd: CaseCommand) -> anyhow::Result<u8> {
    match cmd {
        CaseCommand::Add(a) => add(ctx, a),
        CaseCommand::List(a) => list(ctx, &a),
        CaseCommand::Show(a) => show(ctx, &a.id),
        CaseCommand::Update(a) => update(ctx, a),
        CaseCommand::Close(a) => set_status(ctx, &a.id, CaseStatus::Closed),
        CaseCommand::Reopen(a) => set_status(ctx, &a.id, CaseStatus::Open),
        CaseCommand::Import(a) => super::import::run(ctx, &a),
    }
}

pub(super) fn priority(s: &str) -> anyhow::Result<Priority> {
    s.parse().map_err(|e: String| error::bad_input(format!("{e} for --priority")))
}

fn tags(raw: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let t = transfer::tag_rule("--tag", one_line("--tag", t)?).map_err(error::bad_input)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// A new case's id: one line, not starting with '-' (it would read as a flag).
fn case_id(s: &str) -> anyhow::Result<String> {
    let id = crate::model::case_key(&one_line("the case id", s)?);
    transfer::id_rule("case id", id).map_err(error::bad_input)
}

fn opened_at(ctx: &Ctx, s: Option<&str>) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let Some(s) = s else { return Ok(ctx.now) };
    transfer::opened_rule("--opened-at", ctx.parse_time("--opened-at", s)?, ctx.now, ctx.tz()).map_err(error::bad_input)
}

/// The first response: between the case's opening and now; none when not given or
/// given empty (`--first-response ""` takes a wrong one back).
fn first_response(ctx: &Ctx, case: &Case, s: Option<&str>) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    let Some(s) = s.filter(|s| !s.trim().is_empty()) else { return Ok(None) };
    let t = ctx.parse_time("--first-response", s)?;
    transfer::during_rule("--first-response", t, case.opened_at, ctx.now, ctx.tz()).map(Some).map_err(error::bad_input)
}

fn title(s: &str) -> anyhow::Result<String> {
    if s.is_empty() { Ok(String::new()) } else { one_line("--title", s) }
}

fn add(ctx: &Ctx, a: CaseAddArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let case = Case {
        id: case_id(&a.id)?,
        customer: one_line("--customer", &a.customer)?,
        severity: severity_of(p, "--severity", &a.severity)?,
        tier: key_of(&p.tiers, "--tier", "tier", a.tier.trim())?,
        title: title(&a.title)?,
        opened_at: opened_at(ctx, a.opened_at.as_deref())?,
        priority: priority(&a.priority)?,
        tags: tags(&a.tags)?,
        status: CaseStatus::Open,
        waiting_since: None,
        first_response_at: None,
        closed_at: None,
    };
    let case = Case { first_response_at: first_response(ctx, &case, a.first_response.as_deref())?, ..case };
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    // An id typed in another Unicode form is the same id: say why it matched.
    let form = if a.id.trim() != case.id { " (the id you typed differs from it only in its Unicode form)" } else { "" };
    let exists = || {
        error::bad_input(format!(
            "case {} already exists{form}: use `escalate case update {}` to change it",
            case.id, case.id
        ))
    };
    if tx.case(&case.id)?.is_some() {
        return Err(exists());
    }
    // Two people adding the same id at once: the second finds it on insert.
    match tx.insert_case(&case, ctx.now) {
        Err(crate::ledger::StoreError::Duplicate(_)) => return Err(exists()),
        r => r?,
    }
    let added = CaseAdded { case: case.clone(), pauses: Vec::new(), imported_from: None };
    ctx.record(&mut *tx, &case.id, None, &EventBody::CaseAdded(Box::new(added)))?;
    tx.commit()?;
    if ctx.out.json {
        ctx.out.json(&view::CaseView::new(&case, ctx.policy(), ctx.now))?;
    } else {
        ctx.out.print(&view::case_added(&case, ctx.policy(), ctx.now))?;
    }
    Ok(0)
}

fn list(ctx: &Ctx, a: &CaseListArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let status = match a.status.as_str() {
        "all" => None,
        s => Some(s.parse::<CaseStatus>().map_err(|e| error::bad_input(format!("{e} for --status (or all)")))?),
    };
    let filter = CaseFilter {
        status,
        customer: a.customer.clone(),
        tier: a.tier.as_deref().map(|t| key_of(&p.tiers, "--tier", "tier", t)).transpose()?,
        severity: a.severity.as_deref().map(|s| severity_of(p, "--severity", s)).transpose()?,
        priority: a.priority.as_deref().map(priority).transpose()?,
    };
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let mut cases = if a.eligible && filter.status.is_some_and(|s| s != CaseStatus::Open) {
        Vec::new() // only open cases are eligible
    } else if a.eligible {
        // Only the open cases whose wait can have ended are candidates: one range query per
        // severity and tier, then every rule on those alone.
        tx.open_cases_within(&filter, &crate::rules::eligible::opening_bounds(p, ctx.now))?
    } else {
        tx.list_cases(&filter)?
    };
    if a.eligible {
        // The escalations and pauses of many cases at a time: one query each, not one per case.
        let mut keep = Vec::new();
        let ask = crate::rules::check::Ask { actor: &ctx.actor, ..Default::default() };
        for chunk in cases.chunks(500) {
            let ids: Vec<String> = chunk.iter().map(|c| c.id.clone()).collect();
            let escalations = tx.escalations_of_cases(&ids)?;
            let mut pauses = tx.pauses_of_cases(&ids)?;
            for c in chunk {
                let of_case: Vec<_> = escalations.iter().filter(|e| e.case_id == c.id).cloned().collect();
                let paused = pauses.remove(&c.id).unwrap_or_default();
                if crate::rules::check::check(p, c, &of_case, &paused, ctx.now, ask).eligible {
                    keep.push(c.clone());
                }
            }
        }
        cases = keep;
    }
    // Within the list's own order, high priority comes first, then normal, then low.
    cases.sort_by_key(|c| c.priority.rank());
    let format = ctx.out.list_format(a.format.format)?;
    let views: Vec<view::CaseView> = cases.iter().map(|c| view::CaseView::new(c, p, ctx.now)).collect();
    ctx.out.rows(format, &views, None, || view::case_table(&ctx.out, &views, p, ctx.now))?;
    Ok(0)
}

fn show(ctx: &Ctx, id: &str) -> anyhow::Result<u8> {
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, id)?;
    if ctx.out.json {
        ctx.out.json(&view::CaseView::new(&case, ctx.policy(), ctx.now))?;
    } else {
        ctx.out.print(&view::case_detail(&ctx.out, &case, ctx.policy(), ctx.now))?;
    }
    Ok(0)
}

fn update(ctx: &Ctx, a: CaseUpdateArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let before = ctx.case(&mut *tx, &a.id)?;
    let mut after = changed(ctx, &mut *tx, &a, &before)?;

    let changes = diff(&before, &after)?;
    let pausing = a.waiting || a.resume;
    if changes.is_empty() && !pausing {
        return Err(error::bad_input(
            "nothing to update: pass at least one of --customer, --severity, --tier, --title, --opened-at, --first-response, --priority, \
             --tag, --untag, --waiting, --resume with a new value",
        ));
    }
    let mut said: Vec<String> = changes.iter().map(|(k, c)| crate::render::changes::words(k, c, ctx.tz())).collect();
    if !changes.is_empty() {
        tx.update_case(&after, ctx.now)?;
        ctx.record(&mut *tx, &after.id, None, &EventBody::CaseUpdated(changes))?;
    }
    if a.waiting {
        said.push("waiting on the customer from now".into());
    }
    if a.resume {
        said.push("no longer waiting on the customer".into());
    }
    if a.waiting {
        if let Some(since) = before.waiting_since {
            return Err(error::bad_input(format!(
                "case {} already waits on the customer since {}",
                before.id,
                crate::time::human(since, ctx.tz())
            )));
        }
        tx.start_pause(&after.id, ctx.now)?;
        let paused = Paused { note: "waiting on the customer".into(), since: None };
        ctx.record(&mut *tx, &after.id, None, &EventBody::Paused(paused))?;
        after.waiting_since = Some(ctx.now);
    }
    if a.resume {
        let Some(since) = before.waiting_since else {
            return Err(error::bad_input(format!(
                "case {} is not waiting on the customer: nothing to resume",
                before.id
            )));
        };
        tx.end_pause(&after.id, ctx.now)?;
        let minutes = (ctx.now - since).num_minutes();
        ctx.record(&mut *tx, &after.id, None, &EventBody::Resumed(Resumed { paused_minutes: minutes }))?;
        after.waiting_since = None;
    }
    // A case with an open escalation raised to a severity that is not escalated
    // (an outage): the outage process takes over; said on stderr, as a warning.
    let escalated = crate::model::open_escalation(&tx.escalations_of(&after.id)?).is_some();
    let outage = p.severities.get(&after.severity).filter(|s| !s.escalable && after.severity != before.severity);
    let cleared = opening_clears_wait(ctx, &mut *tx, &before, &after)?;
    tx.commit()?;
    if let Some(w) = cleared {
        eprintln!("warning: {w}");
    }
    if let (true, Some(s)) = (escalated, outage) {
        eprintln!("warning: {}", crate::render::changes::escalated_outage(&after, s));
    }
    if ctx.out.json {
        ctx.out.json(&view::CaseView::new(&after, ctx.policy(), ctx.now))?;
    } else {
        let headline = format!("Updated case {}: {}.\n", crate::render::clean(&after.id), said.join("; "));
        ctx.out.print(&(ctx.out.wrap(&headline) + &view::case_detail(&ctx.out, &after, p, ctx.now)))?;
    }
    Ok(0)
}

/// The case as the flags of `case update` change it, each value checked; a change
/// that the case's escalations or pauses rule out is refused.
fn changed(ctx: &Ctx, tx: &mut dyn crate::ledger::Txn, a: &CaseUpdateArgs, before: &Case) -> anyhow::Result<Case> {
    let p = ctx.policy();
    let mut after = before.clone();
    if let Some(c) = &a.customer {
        after.customer = one_line("--customer", c)?;
    }
    if let Some(s) = &a.severity {
        after.severity = severity_of(p, "--severity", s)?;
    }
    if let Some(t) = &a.tier {
        after.tier = key_of(&p.tiers, "--tier", "tier", t.trim())?;
    }
    if let Some(t) = &a.title {
        after.title = title(t)?;
    }
    if let Some(o) = &a.opened_at {
        after.opened_at = opened_at(ctx, Some(o))?;
    }
    if let Some(f) = &a.first_response {
        after.first_response_at = first_response(ctx, &after, Some(f))?;
    }
    if let Some(f) = after.first_response_at.filter(|f| *f < after.opened_at) {
        return Err(error::bad_input(format!(
            "the first response ({}) would come before the case was opened ({}): give --first-response too",
            crate::time::human(f, ctx.tz()),
            crate::time::human(after.opened_at, ctx.tz())
        )));
    }
    if after.customer != before.customer
        && let Some(why) = held_by_account(tx, before, "changes customer")?
    {
        return Err(error::bad_input(why));
    }
    if after.opened_at > before.opened_at {
        let passed = opening_passed(tx, &after)?;
        if let Some(p) = passed {
            return Err(error::bad_input(crate::render::changes::opening_passed(
                "--opened-at",
                after.opened_at,
                &p,
                ctx.tz(),
            )));
        }
    }
    if let Some(pr) = &a.priority {
        after.priority = priority(pr)?;
    }
    for t in tags(&a.add_tags)? {
        if !after.tags.contains(&t) {
            after.tags.push(t);
        }
    }
    let remove = tags(&a.remove_tags)?;
    after.tags.retain(|t| !remove.contains(t));
    Ok(after)
}

/// An opening moved earlier that makes the case eligible now when it was not:
/// the wait window no longer holds it back. Said, so that it is never silent
/// (the case-updated event records both times).
fn opening_clears_wait(
    ctx: &Ctx,
    tx: &mut dyn crate::ledger::Txn,
    before: &Case,
    after: &Case,
) -> anyhow::Result<Option<String>> {
    if after.opened_at >= before.opened_at {
        return Ok(None);
    }
    let (escalations, pauses) = (tx.escalations_of(&after.id)?, tx.pauses_of(&after.id)?);
    let judge = |c: &Case| {
        let ask = crate::rules::check::Ask { actor: &ctx.actor, destination: None, reason: None, deadline: None };
        crate::rules::check::check(ctx.policy(), c, &escalations, &pauses, ctx.now, ask)
    };
    let (was, is) = (judge(before), judge(after));
    if was.eligible || !is.eligible {
        return Ok(None);
    }
    let tz = ctx.tz();
    let until = was.eligible_at.map(|t| format!(" until {}", crate::time::human(t, tz))).unwrap_or_default();
    Ok(Some(format!(
        "case {} opened at {} instead of {} may be escalated now: its wait window held it back{until}",
        crate::render::clean(&after.id),
        crate::time::human(after.opened_at, tz),
        crate::time::human(before.opened_at, tz),
    )))
}

fn set_status(ctx: &Ctx, id: &str, status: CaseStatus) -> anyhow::Result<u8> {
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let mut case = ctx.case(&mut *tx, id)?;
    if case.status == status {
        return Err(error::bad_input(format!("case {id} is already {status}")));
    }
    if status == CaseStatus::Closed
        && let Some(why) = close_blocked(&mut *tx, &case)?
    {
        return Err(error::refused(why));
    }
    case.status = status;
    case.closed_at = (status == CaseStatus::Closed).then_some(ctx.now);
    tx.update_case(&case, ctx.now)?;
    let body =
        if status == CaseStatus::Closed { EventBody::CaseClosed(Empty {}) } else { EventBody::CaseReopened(Empty {}) };
    ctx.record(&mut *tx, id, None, &body)?;
    tx.commit()?;
    if ctx.out.json {
        ctx.out.json(&view::CaseView::new(&case, ctx.policy(), ctx.now))?;
    } else {
        ctx.out.print(&format!("Case {} is now {status}.\n", crate::render::clean(&case.id)))?;
    }
    Ok(0)
}
