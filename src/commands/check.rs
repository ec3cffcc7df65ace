//! `escalate check ID`: may this case be escalated now, and if not, when and
//! why not; with the case's SLA position and the signals that say escalate.

use crate::app::{Ctx, key_of};
use crate::cli::CheckArgs;
use crate::render;
use crate::rules::check::{Ask, Report, check};
use crate::rules::{account, signals, sla};

pub fn run(ctx: &Ctx, a: &CheckArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let dest = a.to.as_deref().map(|d| key_of(&p.destinations, "--to", "destination", d)).transpose()?;
    let reason = a.reason.as_deref().map(|r| key_of(&p.reasons, "--reason", "reason", r)).transpose()?;
    let deadline = super::start::deadline(ctx, reason.as_deref(), a.deadline.as_deref())?;
    let start_level = super::start::level(p, reason.as_deref(), None)?;
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    if let Some(c) = &a.account {
        return account(ctx, &mut *tx, c, reason.as_deref());
    }
    let Some(id) = &a.id else { return Err(crate::error::bad_input("give a case ID, or --account CUSTOMER")) };
    let case = ctx.case(&mut *tx, id)?;
    let escalations = tx.escalations_of(&case.id)?;
    let pauses = tx.pauses_of(&case.id)?;
    let events = tx.events_of(&case.id)?;
    let window = p.signals.recurring_window;
    let since = (window.counting == crate::policy::Counting::Clock)
        .then(|| ctx.now - chrono::Duration::minutes(window.minutes));
    let peers = tx.open_cases_tagged(&case.tags, since)?;

    let verdict = check(
        p,
        &case,
        &escalations,
        &pauses,
        ctx.now,
        Ask { actor: &ctx.actor, destination: dest.as_deref(), reason: reason.as_deref(), deadline },
    );
    let sla = sla::position(p, &case, ctx.now);
    let signals = vec![
        signals::recurring(p, &case, &peers, ctx.now),
        signals::first_response(&sla),
        // Activity is what happened to the case up to now; entering it in the ledger is not.
        signals::stalled(
            p,
            &case,
            events
                .iter()
                .filter(|e| !matches!(e.body, crate::events::EventBody::CaseAdded(_)) && e.at <= ctx.now)
                .map(|e| e.at)
                .max(),
            ctx.now,
        ),
        signals::severity_trend(&events),
    ];
    let code = if verdict.eligible { 0 } else { 1 };
    // The account triggers this case meets, when any: said only then.
    let mine = tx.list_cases(&crate::ledger::CaseFilter {
        customer: Some(case.customer.clone()),
        status: Some(crate::model::CaseStatus::Open),
        ..Default::default()
    })?;
    let since = super::account::severity_since(ctx, &mut *tx, std::slice::from_ref(&case))?;
    let account_triggers: Vec<signals::Signal> =
        account::triggers(p, (std::slice::from_ref(&case), &since), &mine, reason.as_deref(), ctx.now)
            .into_iter()
            .filter(|t| t.raised && case.status == crate::model::CaseStatus::Open)
            .collect();
    let spanning = crate::rules::check::Spanning::of(&case.id, &tx.account_escalations(&case.customer)?);
    let report = Report { verdict, sla, signals, account_triggers, account_escalation: spanning };
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else {
        let mut text = render::check::report(&ctx.out, &report, p, ctx.now);
        if let Some(l) = p.level(start_level).filter(|_| start_level > 1) {
            let r = reason.as_deref().unwrap_or_default();
            text.push_str(&format!("A request for {r} starts at level {start_level} ({}).\n", l.name));
        }
        ctx.out.print(&text)?;
    }
    Ok(code)
}

/// `check --account CUSTOMER`: each account trigger over the customer's open cases; exit 0 when any is met.
fn account(ctx: &Ctx, tx: &mut dyn crate::ledger::Txn, customer: &str, reason: Option<&str>) -> anyhow::Result<u8> {
    let customer = crate::app::one_line("--account", customer)?;
    let all = super::account::cases_of(tx, &customer)?;
    let open: Vec<_> = all.into_iter().filter(|c| c.status == crate::model::CaseStatus::Open).collect();
    let since = super::account::severity_since(ctx, tx, &open)?;
    let triggers = account::triggers(ctx.policy(), (&open, &since), &open, reason, ctx.now);
    let open_escalation = crate::model::open_escalation(&tx.account_escalations(&customer)?).map(|e| e.id);
    let r = account::AccountCheck {
        qualifies: triggers.iter().any(|t| t.raised),
        cases: open.iter().map(|c| c.id.clone()).collect(),
        customer,
        triggers,
        open_escalation,
    };
    if ctx.out.json {
        ctx.out.json(&r)?;
    } else {
        ctx.out.print(&render::check::account(&ctx.out, &r))?;
    }
    Ok(if r.qualifies { 0 } else { 1 })
}
