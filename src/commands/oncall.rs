//! `escalate oncall [set ROLE NAME [--from TIME] [--until TIME] | show | history]`:
//! the on-call roster, every shift kept in the ledger.

use serde_json::json;

use crate::app::{Ctx, one_line};
use crate::cli::{OncallArgs, OncallCommand, OncallSetArgs};
use crate::error;
use crate::render::clean;
use crate::roster::{Shift, on_call};
use crate::time::{human, human_relative};

pub fn run(ctx: &Ctx, a: OncallArgs) -> anyhow::Result<u8> {
    match a.command {
        Some(OncallCommand::Set(s)) => set(ctx, &s),
        Some(OncallCommand::History) => history(ctx),
        Some(OncallCommand::Show) | None => now(ctx),
    }
}

fn set(ctx: &Ctx, a: &OncallSetArgs) -> anyhow::Result<u8> {
    let roles = &ctx.policy().oncall.roles;
    let role = crate::app::key_of(roles, "ROLE", "on-call role", a.role.trim())?;
    let name = ctx.given_person("the name", one_line("NAME", &a.name)?);
    let starts_at = a.from.as_deref().map(|t| ctx.parse_time("--from", t)).transpose()?.unwrap_or(ctx.now);
    let ends_at = a.until.as_deref().map(|t| ctx.parse_time("--until", t)).transpose()?;
    if let Some(end) = ends_at.filter(|e| *e <= starts_at) {
        return Err(error::bad_input(format!(
            "--until {} is not after the shift's start ({}): give an end after the start",
            human(end, ctx.tz()),
            human(starts_at, ctx.tz())
        )));
    }
    let mut shift = Shift { id: 0, role, name, starts_at, ends_at, set_by: ctx.actor.clone(), set_at: ctx.now };
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    shift.id = tx.add_shift(&shift)?;
    tx.commit()?;
    if ctx.out.json {
        return ctx.out.json(&shift).map(|_| 0);
    }
    let until = match shift.ends_at {
        Some(e) => format!(" until {}", human_relative(e, ctx.now, ctx.tz())),
        None => String::new(),
    };
    ctx.out.print(&format!(
        "{} on call as {} from {}{until}.\n",
        clean(&shift.name),
        clean(&roles[&shift.role]),
        human(shift.starts_at, ctx.tz())
    ))?;
    Ok(0)
}

fn now(ctx: &Ctx) -> anyhow::Result<u8> {
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let shifts = tx.shifts()?;
    let roles = &ctx.policy().oncall.roles;
    let current: Vec<(&String, &String, Option<&Shift>)> =
        roles.iter().map(|(k, label)| (k, label, on_call(&shifts, k, ctx.now))).collect();
    if ctx.out.json {
        let rows: Vec<_> = current
            .iter()
            .map(|(k, label, s)| json!({ "role": k, "label": label, "name": s.map(|s| &s.name), "shift": s }))
            .collect();
        return ctx.out.json(&rows).map(|_| 0);
    }
    let mut t = ctx.out.table(&["Role", "On call", "Since", "Until", "Handle"]);
    for (k, label, s) in current {
        let handle = s.and_then(|s| ctx.policy().handle(&s.name)).unwrap_or("");
        t.add_row(vec![
            format!("{} ({})", clean(label), clean(k)),
            s.map_or("nobody".into(), |s| clean(&s.name)),
            s.map_or(String::new(), |s| human(s.starts_at, ctx.tz())),
            s.and_then(|s| s.ends_at).map_or(String::new(), |e| human(e, ctx.tz())),
            clean(handle),
        ]);
    }
    ctx.out.print(&format!("{t}\n"))?;
    Ok(0)
}

fn history(ctx: &Ctx) -> anyhow::Result<u8> {
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let shifts = tx.shifts()?;
    if ctx.out.json {
        return ctx.out.json(&shifts).map(|_| 0);
    }
    let mut t = ctx.out.table(&["#", "Role", "Name", "From", "Until", "Set by"]);
    for s in &shifts {
        t.add_row(vec![
            s.id.to_string(),
            clean(&s.role),
            clean(&s.name),
            human(s.starts_at, ctx.tz()),
            s.ends_at.map_or("-".into(), |e| human(e, ctx.tz())),
            format!("{} at {}", clean(&s.set_by), human(s.set_at, ctx.tz())),
        ]);
    }
    ctx.out.print(&format!("{t}\n"))?;
    Ok(0)
}
