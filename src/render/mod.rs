//! Output for people and for pipelines: stdout writing that survives a closed
//! pipe, JSON documents, tables sized to the terminal, colour and escaping.

pub mod cases;
pub mod changes;
pub mod channels;
pub mod charts;
pub mod check;
pub mod diff;
pub mod finding;
pub mod grid;
pub mod html;
pub mod notify;
pub mod package;
pub mod policy;
pub mod replay;
pub mod report;

use std::io::{IsTerminal, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

/// How this command prints.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
    pub color: bool,
    pub width: Option<u16>,
}

/// Raised when stdout is closed under us (`escalate list | head -1`): the
/// command ends quietly with success.
#[derive(Debug)]
pub struct ClosedPipe;

impl std::fmt::Display for ClosedPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for ClosedPipe {}

pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) || std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

/// An output error: a closed pipe ends the command quietly, anything else fails it.
pub fn io_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        anyhow::Error::new(ClosedPipe)
    } else {
        anyhow::Error::new(e).context("cannot write the output")
    }
}

impl Out {
    pub fn from_env(json: bool) -> Out {
        let tty = std::io::stdout().is_terminal();
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|w| *w >= 20)
            .or_else(|| tty.then(|| console::Term::stdout().size_checked().map(|(_, w)| w)).flatten());
        Out { json, color: tty && !no_color_env(), width }
    }

    /// Prose fitted to the terminal (or COLUMNS): each line longer than the width is
    /// broken at spaces, what follows indented under the line's text. Not for tables
    /// or data, which are printed as they are.
    pub fn wrap(&self, text: &str) -> String {
        let Some(width) = self.width.map(usize::from) else { return text.to_string() };
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
            out.push_str(&wrap_line(body, width));
            out.push_str(end);
        }
        out
    }

    /// Write text to stdout as is.
    pub fn print(&self, text: &str) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        let res = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush());
        match res {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(anyhow::Error::new(ClosedPipe)),
            Err(e) => Err(anyhow::Error::new(e).context("cannot write the output")),
            Ok(()) => Ok(()),
        }
    }

    /// One JSON document, pretty-printed, newline-terminated.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> anyhow::Result<()> {
        let mut s = serde_json::to_string_pretty(value)?;
        s.push('\n');
        self.print(&s)
    }

    /// The format a list prints in: `--format`, else `--json`, else a table.
    pub fn list_format(&self, f: Option<crate::cli::Format>) -> anyhow::Result<crate::cli::Format> {
        use crate::cli::Format;
        match f {
            Some(f) if self.json && f != Format::Json => Err(crate::error::bad_input(format!(
                "--json and --format {} disagree: give one of them",
                format!("{f:?}").to_ascii_lowercase()
            ))),
            Some(f) => Ok(f),
            None => Ok(if self.json { Format::Json } else { Format::Table }),
        }
    }

    /// Print a list: `table()` for people, or the rows in a machine format.
    /// `header` names the CSV columns even when there are no rows.
    pub fn rows<T: Serialize>(
        &self,
        format: crate::cli::Format,
        rows: &[T],
        header: Option<&[&str]>,
        table: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        use crate::cli::{DataFormat, Format};
        let data = match format {
            Format::Table => return self.print(&table()),
            Format::Json => return self.json(rows),
            Format::Ndjson => DataFormat::Ndjson,
            Format::Csv => DataFormat::Csv,
        };
        let w = std::io::BufWriter::new(std::io::stdout().lock());
        let mut sink = crate::transfer::write::Sink::new(w, data, header).map_err(io_error)?;
        for r in rows {
            sink.row(r).map_err(io_error)?;
        }
        sink.finish().map_err(io_error)
    }

    /// A list's table: rows first, drawn when complete (see `grid`).
    pub fn grid(&self, header: &[&str]) -> grid::Grid {
        grid::Grid::new(header)
    }

    pub fn table(&self, header: &[&str]) -> Table {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        t.set_header(header.iter().copied());
        if let Some(w) = self.width {
            t.set_width(w);
            t.set_content_arrangement(ContentArrangement::Dynamic);
        }
        t
    }

    /// Keep these columns at their content's width: ids and keywords must not
    /// be split across lines when the table is narrowed to the terminal.
    pub fn keep_whole(t: &mut Table, columns: &[usize]) {
        for &i in columns {
            if let Some(c) = t.column_mut(i) {
                c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
            }
        }
    }

    pub fn green(&self, s: &str) -> String {
        self.paint(s, console::Style::new().green().bold())
    }

    pub fn red(&self, s: &str) -> String {
        self.paint(s, console::Style::new().red().bold())
    }

    pub fn bold(&self, s: &str) -> String {
        self.paint(s, console::Style::new().bold())
    }

    fn paint(&self, s: &str, style: console::Style) -> String {
        if self.color { style.force_styling(true).apply_to(s).to_string() } else { s.to_string() }
    }
}

/// Stored text made safe for a terminal: control characters shown as escapes.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_invisible(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// Characters that reorder, hide or break text on a terminal without being
/// control characters: every bidi control (the marks U+061C, U+200E, U+200F,
/// the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069),
/// the line and paragraph separators U+2028 and U+2029, zero-width characters
/// (U+180E, U+200B–U+200D, U+2060–U+2065) and the BOM.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Like `clean`, but keeps line breaks: for long text printed as a block.
pub fn clean_block(s: &str) -> String {
    s.split('\n').map(clean).collect::<Vec<_>>().join("\n")
}

/// Write `bytes` to `path` whole or not at all: a temporary file beside it,
/// synced, then renamed over it. A failure names the path (exit 5) and leaves nothing behind.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let failed = |e: std::io::Error| anyhow::anyhow!("cannot write {}: {e}", path.display());
    let name = path.file_name().ok_or_else(|| anyhow::anyhow!("cannot write {}: it names no file", path.display()))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("a\x1b[31mb\nc"), "a\\u{1b}[31mb\\nc");
        assert_eq!(clean_block("one\ntwo\x07"), "one\ntwo\\u{7}");
        assert_eq!(clean("plain – text"), "plain – text");

        assert_eq!(clean("evil\u{202E}txt.exe\u{200B}"), "evil\\u{202e}txt.exe\\u{200b}");
    }

    #[test]
    fn every_line_separator_and_bidi_control_is_escaped() {
        let bidi = ['\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}'];
        let isolates = ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'];
        let separators = ['\u{2028}', '\u{2029}', '\u{0085}', '\u{000B}', '\u{000C}'];
        let zero_width = ['\u{180E}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];
        for c in bidi.iter().chain(&isolates).chain(&separators).chain(&zero_width) {
            let want = format!("a{}b", c.escape_unicode());
            let s = format!("a{c}b");
            assert_eq!(clean(&s), want, "{:?}", c.escape_unicode().to_string());
            assert_eq!(clean_block(&s), want, "{:?}", c.escape_unicode().to_string());
        }
    }

    #[test]
    fn clean_block_keeps_line_feeds_only() {
        assert_eq!(clean_block("one\ntwo\u{2028}three\r\n"), "one\ntwo\\u{2028}three\\r\n");
        assert_eq!(clean("one\u{2029}two"), "one\\u{2029}two");
        assert_eq!(clean("עברית and العربية"), "עברית and العربية");
    }
}

/// One line broken at spaces to `width` columns (escape sequences take none), the
/// continuation indented two past the line's own indent. A word longer than the
/// width stays whole.
fn wrap_line(line: &str, width: usize) -> String {
    if console::measure_text_width(line) <= width {
        return line.to_string();
    }
    let indent = line.len() - line.trim_start_matches(' ').len();
    let hang = " ".repeat((indent + 2).min(width / 2));
    let (mut out, mut used) = (" ".repeat(indent), indent);
    let mut first = true;
    for word in line.trim_start_matches(' ').split(' ') {
        let w = console::measure_text_width(word);
        if !first && used + 1 + w > width {
            out.push('\n');
            out.push_str(&hang);
            used = hang.len();
        } else if !first {
            out.push(' ');
            used += 1;
        }
        out.push_str(word);
        used += w;
        first = false;
    }
    out
}

#[cfg(test)]
mod wrap_tests {
    use super::wrap_line;

    #[test]
    fn long_lines_break_at_spaces_under_their_indent() {
        assert_eq!(wrap_line("  Audience: a, b, c", 40), "  Audience: a, b, c");
        assert_eq!(wrap_line("  Audience: alpha, beta, gamma", 16), "  Audience:\n    alpha, beta,\n    gamma");
        // Colour takes no columns; a word wider than the line stays whole.
        assert_eq!(wrap_line("\u{1b}[1mBold\u{1b}[0m word", 9), "\u{1b}[1mBold\u{1b}[0m word");
        assert_eq!(
            wrap_line("x https://example.com/a/very/long/path", 10),
            "x\n  https://example.com/a/very/long/path"
        );
    }
}

/// "1 event", "3 events": a count with its noun (one that takes an s).
pub fn count(n: u64, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// "1", "1 or 2", "1, 2 or 3": alternatives in words.
pub fn either(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => items.concat(),
    }
}
