//! `escalate outage CASE --ref TEXT` (the outage process was used) and
//! `escalate rca CASE --done --link URL` (a root-cause analysis completed).

use serde_json::json;

use crate::app::{Ctx, one_line};
use crate::cli::{OutageArgs, RcaArgs};
use crate::error;
use crate::events::{EventBody, OutageRecorded, RcaDone};

fn record(ctx: &Ctx, id: &str, body: EventBody) -> anyhow::Result<(String, i64)> {
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, id)?;
    let esc = crate::model::open_escalation(&tx.escalations_of(&case.id)?).map(|e| e.id);
    let seq = ctx.record(&mut *tx, &case.id, esc, &body)?;
    tx.commit()?;
    Ok((case.id, seq))
}

pub fn outage(ctx: &Ctx, a: &OutageArgs) -> anyhow::Result<u8> {
    let reference = one_line("--ref", &a.reference)?;
    let (case, seq) = record(ctx, &a.id, EventBody::OutageRecorded(OutageRecorded { reference: reference.clone() }))?;
    if ctx.out.json {
        return ctx.out.json(&json!({ "case": case, "event": seq, "reference": reference })).map(|_| 0);
    }
    ctx.out.print(&format!(
        "Recorded that the outage process was used for case {}: {}.\n",
        crate::render::clean(&case),
        crate::render::clean(&reference)
    ))?;
    Ok(0)
}

pub fn rca(ctx: &Ctx, a: &RcaArgs) -> anyhow::Result<u8> {
    if !a.done {
        return Err(error::bad_input("give --done: `escalate rca CASE --done --link URL` marks the analysis complete"));
    }
    let link = one_line("--link", &a.link)?;
    let (case, seq) = record(ctx, &a.id, EventBody::RcaDone(RcaDone { link: link.clone() }))?;
    if ctx.out.json {
        return ctx.out.json(&json!({ "case": case, "event": seq, "link": link })).map(|_| 0);
    }
    ctx.out.print(&format!(
        "Marked the root-cause analysis of case {} done: {}.\n",
        crate::render::clean(&case),
        crate::render::clean(&link)
    ))?;
    Ok(0)
}
