//! `escalate list`: escalations, filtered by state, level and destination.

use crate::app::{Ctx, key_of};
use crate::cli::ListArgs;
use crate::error;
use crate::ledger::EscalationFilter;
use crate::model::{Case, EscState};
use crate::render::cases::{EscalationView, escalation_table};

pub fn run(ctx: &Ctx, a: &ListArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let states = match a.state.as_str() {
        "all" => Vec::new(),
        "open" => EscState::ALL.iter().copied().filter(|s| s.is_active()).collect(),
        s => vec![s.parse().map_err(|e| error::bad_input(format!("{e} for --state (or open, all)")))?],
    };
    if let Some(l) = a.level
        && p.level(l).is_none()
    {
        return Err(error::bad_input(format!("unknown level {l} for --level (accepted: 1 to {})", p.top_level())));
    }
    let filter = EscalationFilter {
        states,
        level: a.level,
        destination: a.to.as_deref().map(|d| key_of(&p.destinations, "--to", "destination", d)).transpose()?,
        ..EscalationFilter::default()
    };
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let priority = a.priority.as_deref().map(super::case::priority).transpose()?;
    let mut escalations = tx.list_escalations(&filter)?;
    let mut ids: Vec<String> = escalations.iter().map(|e| e.case_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let cases: std::collections::HashMap<String, Case> =
        tx.cases(&ids)?.into_iter().map(|c| (c.id.clone(), c)).collect();
    // A review clock that stops while the case waits shows the deadline it counts to.
    if p.pause_review {
        let mut pauses = tx.pauses_of_cases(&ids)?;
        for e in &mut escalations {
            let of_case = pauses.entry(e.case_id.clone()).or_default();
            e.review_due_at = crate::rules::pause::review_due(p, e, of_case);
        }
    }
    let priority_of = |e: &crate::model::Escalation| cases.get(&e.case_id).map(|c| c.priority);
    if let Some(want) = priority {
        escalations.retain(|e| priority_of(e) == Some(want));
    }
    let views: Vec<EscalationView> =
        escalations.iter().map(|e| EscalationView::new(e, p, cases.get(&e.case_id))).collect();
    let format = ctx.out.list_format(a.format.format)?;
    ctx.out.rows(format, &views, None, || escalation_table(&ctx.out, &views, p, ctx.now))?;
    Ok(0)
}
