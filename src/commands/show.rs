//! `escalate show ID`: the case, its escalations and its event timeline.

use serde_json::json;

use crate::app::Ctx;
use crate::cli::ShowArgs;
use crate::render::cases::{EscalationView, show};

pub fn run(ctx: &Ctx, a: &ShowArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, &a.id)?;
    let mut escalations = tx.escalations_of(&case.id)?;
    // The account escalations of the case's customer show beside the case's own.
    escalations.extend(tx.account_escalations(&case.customer)?);
    let events = tx.events_of(&case.id)?;
    // A review clock that stops while the case waits shows the deadline it counts to.
    if p.pause_review {
        let pauses = tx.pauses_of(&case.id)?;
        for e in escalations.iter_mut().filter(|e| e.case_id == case.id) {
            e.review_due_at = crate::rules::pause::review_due(p, e, &pauses);
        }
    }
    let views: Vec<EscalationView> = escalations.iter().map(|e| EscalationView::new(e, p, Some(&case))).collect();
    if ctx.out.json {
        let case = crate::render::cases::CaseView::new(&case, ctx.policy(), ctx.now);
        ctx.out.json(&json!({ "case": case, "escalations": views, "events": events }))?;
    } else {
        ctx.out.print(&show(&ctx.out, &case, &views, &events, p, ctx.now))?;
    }
    Ok(0)
}
