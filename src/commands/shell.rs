//! `escalate completions SHELL` and `escalate man`: generated from the clap
//! definitions, so they never drift from the real command line.

use clap::CommandFactory;

use anyhow::Context as _;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::render::io_error;

pub fn completions(a: &CompletionsArgs) -> anyhow::Result<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "escalate", &mut out);
    write_out(&out)
}

pub fn man(a: &ManArgs) -> anyhow::Result<u8> {
    if let Some(dir) = &a.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        clap_mangen::generate_to(Cli::command(), dir).with_context(|| format!("cannot write to {}", dir.display()))?;
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.starts_with("escalate") && n.ends_with(".1"))
            .collect();
        names.sort();
        return write_out(
            format!("Wrote {} man pages to {}: {}\n", names.len(), dir.display(), names.join(", ")).as_bytes(),
        );
    }
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
