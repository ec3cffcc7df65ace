//! `escalate outage CASE --ref TEXT` (the outage process was used) and
//! `escalate rca CASE --done --link URL` (a root-cause analysis completed).

use serde_json::json;

use super::follow::Target;
use crate::app::{Ctx, one_line};
use crate::cli::{OutageArgs, RcaArgs};
use crate::error;
use crate::events::{EventBody, OutageRecorded, RcaDone};
use crate::model::{Case, Escalation};
use crate::policy::Policy;
use crate::render::clean;
use crate::rules::records::{OutageFit, RcaFit, outage_fit, rca_fit, rcas_done};

/// Why a case whose severity is escalated gets no outage record.
fn not_an_outage(policy: &Policy, case: &Case, raise_to: Option<u32>) -> String {
    let sev = policy.severity_named(case.severity);
    let head = format!("case {} is {sev}, which is escalated, not sent to the outage process", clean(&case.id));
    match raise_to {
        Some(n) => format!(
            "{head}; if it is an outage, raise its severity first: `escalate case update {} --severity {n}`",
            clean(&case.id)
        ),
        None => format!("{head}; the policy sends no severity to the outage process"),
    }
}

/// Why no analysis is owed by `what` ("case C-1", "Acme's account escalations"): none of
/// its escalations reached a level that requires one.
fn no_rca_owed(what: &str, highest: Option<u32>, requiring: &[u32]) -> String {
    let plural = if requiring.len() > 1 { "s" } else { "" };
    let levels = match requiring.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("{} and {last}", rest.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))
        }
        _ => requiring.iter().map(u32::to_string).collect(),
    };
    match (highest, requiring.is_empty()) {
        (_, true) => format!("no root-cause analysis is owed for {what}: the policy asks for one at no level"),
        (None, false) => format!(
            "no root-cause analysis is owed for {what}: it was never escalated, and the policy asks for one at level{plural} {levels}"
        ),
        (Some(h), false) => format!(
            "no root-cause analysis is owed for {what}: its escalations reached level {h} at most, and the policy asks for one at level{plural} {levels}"
        ),
    }
}

/// Record `body` on the case, if `fits` finds it fits the case and its escalations.
fn record(
    ctx: &Ctx,
    id: &str,
    body: EventBody,
    fits: impl FnOnce(&Case, &[Escalation]) -> anyhow::Result<()>,
) -> anyhow::Result<(String, i64)> {
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, id)?;
    let escalations = tx.escalations_of(&case.id)?;
    fits(&case, &escalations)?;
    let esc = crate::model::open_escalation(&escalations).map(|e| e.id);
    let seq = ctx.record(&mut *tx, &case.id, esc, &body)?;
    tx.commit()?;
    Ok((case.id, seq))
}

pub fn outage(ctx: &Ctx, a: &OutageArgs) -> anyhow::Result<u8> {
    let reference = one_line("--ref", &a.reference)?;
    let body = EventBody::OutageRecorded(OutageRecorded { reference: reference.clone() });
    let (case, seq) = record(ctx, &a.id, body, |case, _| match outage_fit(ctx.policy(), case) {
        OutageFit::Fits => Ok(()),
        OutageFit::Escalable { raise_to } => Err(error::refused(not_an_outage(ctx.policy(), case, raise_to))),
    })?;
    if ctx.out.json {
        return ctx.out.json(&json!({ "case": case, "event": seq, "reference": reference })).map(|_| 0);
    }
    ctx.out.print(&format!(
        "Recorded that the outage process was used for case {}: {}.\n",
        clean(&case),
        clean(&reference)
    ))?;
    Ok(0)
}

/// `escalate rca CASE` and `escalate account rca CUSTOMER`: the analysis is recorded
/// for the escalation that owes it (the highest level that requires one), so that
/// a case's own escalation and an account escalation kept on it are told apart.
pub fn rca(ctx: &Ctx, a: &RcaArgs, target: Target) -> anyhow::Result<u8> {
    if !a.done {
        let usage = match target {
            Target::Case(_) => "escalate rca CASE --done --link URL",
            Target::Account(_) => "escalate account rca CUSTOMER --done --link URL",
        };
        return Err(error::bad_input(format!("give --done: `{usage}` marks the analysis complete")));
    }
    let link = one_line("--link", &a.link)?;
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let (case, escalations) = super::follow::load(ctx, &mut *tx, &target)?;
    // The analyses recorded so far: by their escalation, and (older ones) on its case.
    let ids: Vec<i64> = escalations.iter().map(|e| e.id).collect();
    let mut cases: Vec<String> = escalations.iter().map(|e| e.case_id.clone()).collect();
    cases.dedup();
    let done = rcas_done(&tx.escalation_events(&ids, &cases)?, &escalations);
    let owing = match rca_fit(ctx.policy(), &escalations, &done) {
        RcaFit::Owed { escalation, .. } => escalations.iter().find(|e| e.id == escalation).cloned(),
        RcaFit::NotOwed { highest, requiring } => {
            let what = match &target {
                Target::Case(_) => format!("case {}", clean(&case.id)),
                Target::Account(customer) => format!("{}'s account escalations", clean(customer)),
            };
            let mut why = no_rca_owed(&what, highest, &requiring);
            let spanning = tx.account_escalations(&case.customer)?.into_iter().any(|e| e.linked.contains(&case.id));
            if matches!(target, Target::Case(_)) && spanning {
                why.push_str(&format!(
                    "; an account escalation spanning it records its own: `escalate account rca {:?} --done --link URL`",
                    clean(&case.customer)
                ));
            }
            return Err(error::refused(why));
        }
    };
    let Some(owing) = owing else { return Err(error::refused("the escalation owing the analysis is gone")) };
    let body = EventBody::RcaDone(RcaDone { link: link.clone(), owed_by: Some(owing.id) });
    // On the case the escalation keeps its events on (an account escalation's anchor).
    let seq = ctx.record(&mut *tx, &owing.case_id, Some(owing.id), &body)?;
    tx.commit()?;
    if ctx.out.json {
        let shown = json!({ "case": owing.case_id, "escalation": owing.id, "event": seq, "link": link });
        return ctx.out.json(&shown).map(|_| 0);
    }
    let again = if done.contains_key(&owing.id) { " (again: this link replaces the last)" } else { "" };
    ctx.out.print(&format!(
        "Marked the root-cause analysis of {} done{again}: {}.\n",
        clean(&super::follow::named(&owing)),
        clean(&link)
    ))?;
    Ok(0)
}
