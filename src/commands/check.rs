//! `escalate check ID`: may this case be escalated now, and if not, when and why not.

use crate::app::{Ctx, key_of};
use crate::cli::CheckArgs;
use crate::ledger::queries;
use crate::render;
use crate::rules::check::check;

pub fn run(ctx: &Ctx, a: &CheckArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let dest = a.to.as_deref().map(|d| key_of(&p.destinations, "--to", "destination", d)).transpose()?;
    let reason = a.reason.as_deref().map(|r| key_of(&p.reasons, "--reason", "reason", r)).transpose()?;
    let ledger = ctx.read_ledger()?;
    let case = ctx.case(&ledger.conn, &a.id)?;
    let escalations = queries::escalations_of(&ledger.conn, &case.id)?;
    let pauses = queries::pauses_of(&ledger.conn, &case.id)?;
    let verdict = check(p, &case, &escalations, &pauses, ctx.now, dest.as_deref(), reason.as_deref());
    if ctx.out.json {
        ctx.out.json(&verdict)?;
    } else {
        ctx.out.print(&render::check::eligibility(&ctx.out, &verdict, p, ctx.now))?;
    }
    Ok(if verdict.eligible { 0 } else { 1 })
}
