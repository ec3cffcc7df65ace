//! `escalate completions SHELL` and `escalate man`: generated from the clap
//! definitions, so they never drift from the real command line.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::render::io_error;

pub fn completions(a: &CompletionsArgs) -> anyhow::Result<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "escalate", &mut out);
    write_out(&out)
}

pub fn man() -> anyhow::Result<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    write_out(&out)
}

fn write_out(bytes: &[u8]) -> anyhow::Result<u8> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes).and_then(|()| stdout.flush()).map_err(io_error)?;
    Ok(0)
}
