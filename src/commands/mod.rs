//! One file per command; `run` dispatches the parsed command line. Each command
//! returns its exit code (0, or 1 when the policy says no without an error).

mod account;
mod account_request;
mod case;
mod case_guard;
mod check;
mod decide;
mod due;
mod export;
mod follow;
mod import;
mod ledger;
mod list;
mod notify;
mod oncall;
mod outage;
mod package;
mod policy;
mod policy_diff;
mod promote;
mod replay;
mod report;
mod request;
mod request_guided;
mod shell;
mod show;
mod start;
mod verify;

use crate::app::Ctx;
use crate::cli::{Cli, Command};
use follow::Target;

pub fn run(mut cli: Cli) -> anyhow::Result<u8> {
    // An empty ESCALATE_* variable means unset, as shells usually intend.
    let g = &mut cli.global;
    // ... but an empty --now on the command line is a mistake, not the clock.
    if flag_given_empty("--now") {
        return Err(crate::error::bad_input(
            "--now is empty: give a time like 2026-11-23T09:30:00Z or \"2026-11-23 09:30\", or leave it out for the clock",
        ));
    }
    // A flag wins over its variable.
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let text = |name: &str| var(name).map(|v| v.to_string_lossy().into_owned());
    g.now = g.now.take().or_else(|| text("ESCALATE_NOW")).filter(|s| !s.trim().is_empty());
    g.actor = g.actor.take().or_else(|| text("ESCALATE_ACTOR")).filter(|s| !s.trim().is_empty());
    g.policy = g.policy.take().or_else(|| var("ESCALATE_POLICY").map(Into::into)).filter(|p| !p.as_os_str().is_empty());
    if flag_given_empty("--ledger") {
        return Err(crate::error::bad_input("--ledger is empty: name a file or a postgres:// URL"));
    }
    g.ledger = g.ledger.take().or_else(|| var("ESCALATE_LEDGER")).filter(|p| !p.is_empty());
    // Policy commands must work even when the policy in force is broken;
    // completions and the man page need neither policy nor ledger.
    match &cli.command {
        Command::Policy(cmd) => return policy::run(&cli.global, cmd),
        Command::Completions(a) => return shell::completions(a),
        Command::Man(a) => return shell::man(a),
        _ => {}
    }
    let ctx = Ctx::build(&cli.global)?;
    let result = dispatch(&ctx, cli.command).map_err(|e| name_the_ledger(e, &ctx.location));
    // What the command queued is sent once it is committed; a failure leaves it pending.
    if crate::ledger::committed() {
        crate::notify::outbox::after_command(&ctx);
    }
    result
}

/// Whether `flag` was given on the command line with an empty value.
fn flag_given_empty(flag: &str) -> bool {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).take_while(|a| a != "--").collect();
    let with_eq = format!("{flag}=");
    args.windows(2).any(|w| w[0] == flag && w[1].to_str().is_some_and(|v| v.trim().is_empty()))
        || args
            .iter()
            .any(|a| a.to_str().is_some_and(|a| a.strip_prefix(&with_eq).is_some_and(|v| v.trim().is_empty())))
}

/// A database failure mid-command says which ledger it was.
pub(crate) fn name_the_ledger(e: anyhow::Error, location: &crate::ledger::Location) -> anyhow::Error {
    let store = e.chain().find_map(|c| c.downcast_ref::<crate::ledger::StoreError>());
    match store {
        Some(crate::ledger::StoreError::Db(_) | crate::ledger::StoreError::Data(_)) => {
            e.context(format!("ledger {location}"))
        }
        _ => e,
    }
}

fn dispatch(ctx: &Ctx, command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Case(cmd) => case::run(ctx, cmd),
        Command::Check(args) => check::run(ctx, &args),
        Command::Request(args) => request::run(ctx, args),
        Command::Promote(args) => {
            let t = Target::case(&args.id);
            promote::run(ctx, args, t)
        }
        Command::Decide(args) => {
            let t = Target::case(&args.id);
            decide::run(ctx, args, t)
        }
        Command::Withdraw(args) => follow::withdraw(ctx, &args, Target::case(&args.id)),
        Command::Assign(args) => follow::assign(ctx, &args, Target::case(&args.id)),
        Command::Handoff(args) => follow::handoff(ctx, &args, Target::case(&args.id)),
        Command::Update(args) => follow::update(ctx, &args, Target::case(&args.id)),
        Command::Close(args) => follow::close(ctx, &args, Target::case(&args.id)),
        Command::Reopen(args) => follow::reopen(ctx, &args, Target::case(&args.id)),
        Command::Account(cmd) => account::run(ctx, cmd),
        Command::Oncall(args) => oncall::run(ctx, args),
        Command::Outage(args) => outage::outage(ctx, &args),
        Command::Rca(args) => outage::rca(ctx, &args, follow::Target::case(&args.id)),
        Command::Due(args) => due::run(ctx, &args),
        Command::List(args) => list::run(ctx, &args),
        Command::Show(args) => show::run(ctx, &args),
        Command::Ledger(cmd) => ledger::run(ctx, &cmd),
        Command::Export(args) => export::run(ctx, &args),
        Command::Package(args) => package::run(ctx, &args),
        Command::Note(args) => package::note(ctx, &args),
        Command::Report(args) => report::run(ctx, &args),
        Command::Notify(cmd) => notify::run(ctx, &cmd),
        Command::Policy(_) | Command::Completions(_) | Command::Man(_) => unreachable!("handled above"),
    }
}
