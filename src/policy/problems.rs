//! Problems found in a policy file, each located: "file:line:col: message" with
//! the line quoted and a caret under the column.

use std::collections::BTreeMap;
use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

pub(super) struct Problems<'a> {
    pub(super) text: &'a str,
    pub(super) file: &'a str,
    pub(super) found: Vec<String>,
}

impl Problems<'_> {
    pub(super) fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.found.push(locate(self.text, self.file, span, &message.into()));
    }

    /// Only "file:line:col: message": the line holds something not to repeat (a secret).
    pub(super) fn at_unquoted(&mut self, span: Range<usize>, message: impl Into<String>) {
        let full = locate(self.text, self.file, span, &message.into());
        self.found.push(full.lines().next().unwrap_or_default().to_string());
    }
}

/// The widest source line quoted under an error, in characters.
const MAX_QUOTE: usize = 200;
/// The longest message, in characters: a message quotes what the file holds.
const MAX_MESSAGE: usize = 500;
/// The most problems listed at once; the rest are counted.
pub(super) const MAX_PROBLEMS: usize = 50;

/// "file:line:col: message" and the source line, caret under the column.
/// A span that points nowhere (an empty one at 0: a whole table missing)
/// points at the top of the file. A long line is quoted in part, around the
/// column, and a long message is cut, so an error stays readable.
pub fn locate(text: &str, file: &str, span: Range<usize>, message: &str) -> String {
    let message = cut(message, MAX_MESSAGE);
    if span.is_empty() && span.start == 0 {
        return format!("{file}:1:1: {message}");
    }
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let before = &text[..start];
    let line_no = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..start].chars().count() + 1;
    let line = text[line_start..].split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (quoted, caret) = window(line, col - 1, MAX_QUOTE);
    let gutter = " ".repeat(line_no.to_string().len());
    format!("{file}:{line_no}:{col}: {message}\n{gutter} |\n{line_no} | {quoted}\n{gutter} | {}^", " ".repeat(caret))
}

/// At most `max` characters of `s`, with an ellipsis when cut.
fn cut(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]).into(),
        None => s.into(),
    }
}

/// The part of `line` to quote, at most `max` characters around character
/// `col` (ellipses marking what is left out), and where `col` falls in it.
fn window(line: &str, col: usize, max: usize) -> (String, usize) {
    let len = line.chars().count();
    if len <= max {
        return (line.to_string(), col);
    }
    let from = col.saturating_sub(max / 2).min(len - max);
    let part: String = line.chars().skip(from).take(max).collect();
    let (lead, tail) = (if from > 0 { "…" } else { "" }, if from + max < len { "…" } else { "" });
    (format!("{lead}{part}{tail}"), col - from + lead.chars().count())
}

/// A duplicate key, named with the table it is in.
pub(super) fn duplicate_key(text: &str, at: usize) -> String {
    // A table's header given twice: the error points into the header.
    let start = text.get(..at).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let whole = text.get(start..).and_then(|t| t.lines().next()).unwrap_or("").trim();
    if whole.starts_with('[') {
        let header = whole.split('#').next().unwrap_or(whole).trim();
        return format!("the table {header} is defined twice: define each table once");
    }
    let line = text.get(at..).and_then(|t| t.lines().next()).unwrap_or("");
    let key = line.split('=').next().unwrap_or("").trim().trim_matches('"');
    let before = text.get(..at).unwrap_or("");
    let table = before.lines().rev().map(str::trim).find(|l| l.starts_with('['));
    let place = table.map_or(String::new(), |t| format!(" in {}", t.split('#').next().unwrap_or(t).trim()));
    format!("duplicate key `{key}`{place}: give each key once")
}

/// Where `key` is first set in `text` (at the start of a line), for a value with no span of its own.
pub(super) fn text_span(text: &str, key: &str) -> Option<Range<usize>> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(key) {
            let start = at + (line.len() - line.trim_start().len());
            return Some(start..start + key.len());
        }
        at += line.len();
    }
    None
}

/// A key of a table that names things (tiers, reasons, destinations).
pub(super) fn check_key(p: &mut Problems, span: &Range<usize>, what: &str, key: &str) {
    let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        p.at(span.clone(), format!("{what} key {key:?} may hold only letters, digits, '-' and '_'"));
    }
}

/// The numbers of a table keyed by whole numbers from 1 (severities, levels), each with its span.
pub(super) fn numbered<T>(
    p: &mut Problems,
    what: &str,
    table: &Spanned<IndexMap<String, Spanned<T>>>,
) -> BTreeMap<u32, Range<usize>> {
    let mut out = BTreeMap::new();
    for (key, value) in table.get_ref() {
        match key.parse::<u32>() {
            Ok(n) if n >= 1 => {
                out.insert(n, value.span());
            }
            _ => p.at(value.span(), format!("{what} key {key:?} must be a whole number from 1")),
        }
    }
    out
}
