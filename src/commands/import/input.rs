//! The input of `case import`: the file (or standard input), its format, and a
//! progress bar on a terminal that counts what has been read.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::Path;

use crate::cli::ImportFormat;
use crate::error;

pub(super) fn guess_format(path: &Path, given: Option<ImportFormat>) -> anyhow::Result<ImportFormat> {
    if let Some(f) = given {
        return Ok(f);
    }
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(ImportFormat::Csv),
        Some("ndjson" | "jsonl") => Ok(ImportFormat::Ndjson),
        Some("json") => Ok(ImportFormat::Json),
        _ if path == Path::new("-") => Err(error::bad_input(
            "reading standard input: name its format with --format ndjson, --format csv or --format json",
        )),
        _ => Err(error::bad_input(format!(
            "cannot tell the format of {} from its extension: pass --format ndjson, --format csv or --format json",
            path.display()
        ))),
    }
}

fn progress(len: Option<u64>, quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match len {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} [{bar:30}] {eta} left")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// The input, counted by the progress bar when there is one.
fn counted(r: impl Read + Send + 'static, bar: &Option<indicatif::ProgressBar>) -> Box<dyn BufRead + Send> {
    match bar {
        Some(bar) => Box::new(BufReader::with_capacity(1 << 16, bar.wrap_read(r))),
        None => Box::new(BufReader::with_capacity(1 << 16, r)),
    }
}

pub(super) fn open(
    path: &Path,
    quiet: bool,
) -> anyhow::Result<(Box<dyn BufRead + Send>, Option<indicatif::ProgressBar>)> {
    if path == Path::new("-") {
        let bar = progress(None, quiet);
        return Ok((counted(std::io::stdin(), &bar), bar));
    }
    if path.is_dir() {
        return Err(error::bad_input(format!("{} is a directory: name a file to import", path.display())));
    }
    let file = File::open(path).map_err(|e| error::bad_input(format!("cannot read {}: {e}", path.display())))?;
    let bar = progress(file.metadata().ok().map(|m| m.len()), quiet);
    Ok((counted(file, &bar), bar))
}
