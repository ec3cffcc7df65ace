//! `escalate ledger info|migrate|copy`.

use crate::app::Ctx;
use crate::cli::{LedgerCommand, LedgerCopyArgs};
use crate::error;
use crate::ledger::{Counts, Info, Ledger, Location, Row};

#[derive(serde::Serialize)]
struct Shown {
    #[serde(flatten)]
    info: Info,
    #[serde(flatten)]
    counts: Counts,
}

pub fn run(ctx: &Ctx, cmd: &LedgerCommand) -> anyhow::Result<u8> {
    let mut ledger = match cmd {
        LedgerCommand::Info => ctx.read_ledger()?,
        LedgerCommand::Migrate => ctx.write_ledger()?,
        LedgerCommand::Copy(a) => return copy(ctx, a),
        LedgerCommand::Verify(a) => return super::verify::verify(ctx, a),
        LedgerCommand::Checkpoint(a) => return super::verify::checkpoint(ctx, a),
    };
    let info = ledger.info()?;
    let counts = ledger.begin()?.counts()?;
    let shown = Shown { info, counts };
    if ctx.out.json {
        ctx.out.json(&shown)?;
    } else {
        let mut t = ctx.out.table(&["Ledger", ""]);
        if let Some(m) = serde_json::to_value(&shown)?.as_object() {
            for (k, v) in m {
                t.add_row(vec![k.replace('_', " "), v.to_string().trim_matches('"').to_string()]);
            }
        }
        ctx.out.print(&format!("{t}\n"))?;
    }
    Ok(0)
}

/// Copy every row of the ledger in use into an empty ledger elsewhere, in one
/// transaction on each side: the target gets all of it or none.
fn copy(ctx: &Ctx, a: &LedgerCopyArgs) -> anyhow::Result<u8> {
    let to = a.to.trim();
    if to.is_empty() {
        return Err(error::bad_input("--to is empty: name a file or a postgres:// URL"));
    }
    let target = Location::parse(to).map_err(error::bad_input)?;
    if target == ctx.location {
        return Err(error::bad_input(format!("--to {target} is the ledger in use: name another")));
    }
    if let Location::File(p) = &ctx.location
        && !p.exists()
    {
        return Err(error::bad_input(format!("ledger {} does not exist: there is nothing to copy", p.display())));
    }
    let mut source = ctx.read_ledger()?;
    let mut from = source.begin()?;
    let mut dest = Ledger::open_write(&target)?;
    let mut into = dest.begin()?;
    let held = into.counts()?;
    if held != Counts::default() {
        return Err(error::bad_input(format!(
            "{target} already holds {} cases, {} escalations and {} events: copy into an empty ledger",
            held.cases, held.escalations, held.events
        )));
    }
    let mut copied = Counts::default();
    from.each_row(&mut |row| {
        match &row {
            Row::Case(_) => copied.cases += 1,
            Row::Escalation(_) => copied.escalations += 1,
            Row::Event(_) => copied.events += 1,
            Row::Policy(_) | Row::Pause { .. } | Row::Account(_) | Row::Shift(_) | Row::Delivery(_) => {}
        }
        Ok(into.put_row(&row)?)
    })?;
    into.finish_copy()?;
    into.commit()?;
    if ctx.out.json {
        ctx.out.json(
            &serde_json::json!({ "from": ctx.location.to_string(), "to": target.to_string(), "copied": copied }),
        )?;
    } else {
        ctx.out.print(&format!(
            "Copied {}, {} and {} from {} to {}.\n",
            crate::render::count(copied.cases as u64, "case"),
            crate::render::count(copied.escalations as u64, "escalation"),
            crate::render::count(copied.events as u64, "event"),
            crate::render::clean(&ctx.location.to_string()),
            crate::render::clean(&target.to_string())
        ))?;
    }
    Ok(0)
}
