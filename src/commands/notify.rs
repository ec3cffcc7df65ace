//! `escalate notify`: send what is pending (`flush`), show the outbox (`list`),
//! try a channel (`test`) and send failed notifications again (`retry`).

use std::time::Duration;

use crate::app::Ctx;
use crate::cli::{FlushArgs, NotifyCommand, NotifyListArgs, NotifyRetryArgs, NotifyTestArgs};
use crate::error;
use crate::ledger::outbox::{DeliveryState, Listing};
use crate::notify::outbox::{self, Again, Tried};
use crate::notify::send::Outcome;
use crate::policy::Policy;
use crate::render;

pub fn run(ctx: &Ctx, cmd: &NotifyCommand) -> anyhow::Result<u8> {
    match cmd {
        NotifyCommand::Flush(a) => flush(ctx, a),
        NotifyCommand::List(a) => list(ctx, a),
        NotifyCommand::Test(a) => test(ctx, a),
        NotifyCommand::Retry(a) => retry(ctx, a),
    }
}

/// The time deliveries may take together: `--budget`, or the policy's.
fn budget_of(ctx: &Ctx, given: Option<u64>) -> anyhow::Result<Duration> {
    match given {
        Some(0) => Err(error::bad_input("--budget 0 leaves no time to send: give 1 second or more")),
        Some(s) => Ok(Duration::from_secs(s.min(3600))),
        None => Ok(ctx.policy().notify.budget),
    }
}

/// Print what was tried; exit 6 when some of it was not delivered.
fn report(ctx: &Ctx, format: crate::cli::Format, tried: &[Tried], nothing: &str) -> anyhow::Result<u8> {
    let rows: Vec<render::notify::Attempt> = tried.iter().map(render::notify::Attempt::of).collect();
    ctx.out.rows(format, &rows, Some(render::notify::ATTEMPT_COLUMNS), || {
        if rows.is_empty() { nothing.to_string() } else { render::notify::attempts(&ctx.out, &rows, ctx.tz()) }
    })?;
    let failed = tried.iter().filter(|t| t.state != DeliveryState::Sent).count();
    if failed > 0 {
        return Err(error::delivery(format!(
            "{failed} of {} notifications were not delivered; see `escalate notify list --pending` and `--failed`",
            tried.len()
        )));
    }
    Ok(0)
}

fn retry(ctx: &Ctx, a: &NotifyRetryArgs) -> anyhow::Result<u8> {
    let budget = budget_of(ctx, a.budget)?;
    let format = ctx.out.list_format(a.format.format)?;
    let mut ids = a.ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let which = if a.all { Again::All { channel: a.channel.as_deref() } } else { Again::Ids(&ids) };
    let tried = outbox::retry(ctx, which, budget)?;
    let nothing = match &a.channel {
        Some(c) => format!("Nothing to send again: no notification to channel {:?} has failed.\n", render::clean(c)),
        None => "Nothing to send again: no notification has failed.\n".to_string(),
    };
    report(ctx, format, &tried, &nothing)
}

fn flush(ctx: &Ctx, a: &FlushArgs) -> anyhow::Result<u8> {
    if a.limit < 1 {
        return Err(error::bad_input(format!("--limit {} sends nothing: give 1 or more", a.limit)));
    }
    let budget = budget_of(ctx, a.budget)?;
    let format = ctx.out.list_format(a.format.format)?;
    let tried = outbox::flush(ctx, budget, a.limit)?;
    report(ctx, format, &tried, "Nothing to send: no notification is due.\n")
}

fn list(ctx: &Ctx, a: &NotifyListArgs) -> anyhow::Result<u8> {
    let which = match (a.pending, a.failed) {
        (true, _) => Listing::Pending,
        (_, true) => Listing::Failed,
        _ => Listing::All,
    };
    if a.limit < 1 {
        return Err(error::bad_input(format!("--limit {} shows nothing: give 1 or more", a.limit)));
    }
    let format = ctx.out.list_format(a.format.format)?;
    let mut ledger = ctx.read_ledger()?;
    let rows = ledger.begin()?.deliveries(which, a.limit)?;
    ctx.out.rows(format, &rows, Some(render::notify::DELIVERY_COLUMNS), || {
        render::notify::outbox(&ctx.out, &rows, ctx.tz())
    })?;
    Ok(0)
}

fn test(ctx: &Ctx, a: &NotifyTestArgs) -> anyhow::Result<u8> {
    let Some(channel) = ctx.policy().notify.channels.get(&a.channel) else {
        let names = Policy::keys(&ctx.policy().notify.channels);
        let names = if names.is_empty() { "the policy defines none under [channels]".to_string() } else { names };
        return Err(error::bad_input(format!("unknown channel {:?} (channels: {names})", a.channel)));
    };
    let kind = channel.target.kind();
    match outbox::test(ctx, &a.channel) {
        Outcome::Sent => {
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({"channel": a.channel, "kind": kind, "delivered": true}))?;
            } else {
                ctx.out.print(&format!("Sent a test message to channel {} ({kind}).\n", a.channel))?;
            }
            Ok(0)
        }
        Outcome::Retry(why) | Outcome::Permanent(why) => {
            Err(error::delivery(format!("the test message to channel {} ({kind}) was not delivered: {why}", a.channel)))
        }
    }
}
