//! escalate: policy-as-code case escalation with a ledger in SQLite or PostgreSQL.
//! `run` is the whole program; `main.rs` only hands it the process's arguments.

pub mod app;
pub mod chain;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod events;
pub mod ledger;
pub mod model;
pub mod notify;
pub mod policy;
pub mod prompt;
pub mod render;
pub mod roster;
pub mod rules;
pub mod stdio;
pub mod time;
pub mod transfer;

use std::io::Write;

use clap::Parser;

/// Whether `--json` was asked for, judged from the raw arguments, for errors
/// that happen before the command line could be parsed.
fn wants_json() -> bool {
    std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| a == "--json")
}

/// Parse arguments, run the command, report errors; returns the exit code.
pub fn run() -> u8 {
    if stdio::stdout_was_closed() {
        let _ = writeln!(std::io::stderr(), "error: standard output is closed: nothing was done");
        return error::EXIT_OTHER;
    }
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors.
            if !e.use_stderr() {
                let _ = e.print();
                return 0;
            }
            let code = error::Kind::BadInput.exit_code();
            if wants_json() {
                let message = e.render().to_string();
                let doc = serde_json::json!({ "error": error::Kind::BadInput.name(), "code": code, "message": message.trim_end() });
                let _ = writeln!(std::io::stderr().lock(), "{doc}");
            } else {
                let _ = e.print();
            }
            return code;
        }
    };
    let json = cli.global.json;
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) if e.chain().any(|c| c.downcast_ref::<render::ClosedPipe>().is_some()) => 0,
        Err(e) => {
            let code = error::exit_code_of(&e);
            // The write stood: say so, so nobody records it twice. (A delivery that failed is
            // the outcome of `notify`, which records no change of its own.)
            let e = if ledger::committed() && error::kind_of(&e) != Some(error::Kind::Delivery) {
                e.context("the change was recorded in the ledger, but what followed failed")
            } else {
                e
            };
            let mut stderr = std::io::stderr().lock();
            if json {
                let kind = error::kind_of(&e).map_or("error", error::Kind::name);
                let doc = serde_json::json!({ "error": kind, "code": code, "message": format!("{e:#}") });
                let _ = writeln!(stderr, "{doc}");
            } else {
                let _ = writeln!(stderr, "error: {}", render::clean_block(&format!("{e:#}")));
            }
            code
        }
    }
}
