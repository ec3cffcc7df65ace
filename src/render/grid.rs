//! Tables of lists. Rows are collected as text and drawn at the end: on a
//! terminal or with COLUMNS, by the table crate, fitted to the width; when the
//! width cannot hold every column readably, as one record per row (a line per
//! column, "Header: value"); without a width to fit, a long list is drawn here
//! directly with the same characters (nothing wraps then), at a fraction of
//! the cost.

use super::Out;

pub struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    whole: Vec<usize>,
}

/// Above this many rows, a list with no width to fit is drawn directly.
const DIRECT: usize = 200;

impl Grid {
    pub fn new(header: &[&str]) -> Grid {
        Grid { header: header.iter().map(|h| h.to_string()).collect(), rows: Vec::new(), whole: Vec::new() }
    }

    pub fn add_row(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Keep these columns at their content's width when the table is narrowed.
    pub fn keep_whole(&mut self, columns: &[usize]) {
        self.whole = columns.to_vec();
    }

    pub fn render(self, out: &Out) -> String {
        if let Some(w) = out.width.filter(|w| usize::from(*w) < self.readable_width()) {
            return self.records(usize::from(w));
        }
        if out.width.is_some() || self.rows.len() < DIRECT {
            let headers: Vec<&str> = self.header.iter().map(String::as_str).collect();
            let mut t = out.table(&headers);
            for r in self.rows {
                t.add_row(r);
            }
            Out::keep_whole(&mut t, &self.whole);
            return t.to_string();
        }
        self.draw()
    }

    /// The narrowest table in which no column is squeezed below what reads:
    /// whole columns at their content's width, the others at up to `NARROWEST`.
    fn readable_width(&self) -> usize {
        const NARROWEST: usize = 8;
        let n = self.header.len();
        let widest = |i: usize| {
            let header = self
                .header
                .get(i)
                .map_or(0, |h| h.split_whitespace().map(console::measure_text_width).max().unwrap_or(0));
            let cells =
                self.rows.iter().filter_map(|r| r.get(i)).flat_map(|c| c.lines()).map(console::measure_text_width);
            cells.max().unwrap_or(0).max(header)
        };
        let content: usize =
            (0..n).map(|i| if self.whole.contains(&i) { widest(i) } else { widest(i).min(NARROWEST) }).sum();
        content + 3 * n + 1
    }

    /// One record per row, a line per column, values wrapped to `width`.
    fn records(&self, width: usize) -> String {
        let label = self.header.iter().map(|h| console::measure_text_width(h)).max().unwrap_or(0) + 1;
        let room = width.saturating_sub(label + 1).max(20);
        let mut s = String::new();
        for (n, row) in self.rows.iter().enumerate() {
            if n > 0 {
                s.push('\n');
            }
            for (h, cell) in self.header.iter().zip(row).filter(|(_, c)| !c.trim().is_empty()) {
                let mut lines = cell.lines().flat_map(|l| wrap(l, room));
                let first = lines.next().unwrap_or_default();
                let pad = label - console::measure_text_width(h);
                s.push_str(format!("{h}:{} {first}", " ".repeat(pad - 1)).trim_end());
                s.push('\n');
                for more in lines {
                    s.push_str(&format!("{} {more}\n", " ".repeat(label)));
                }
            }
        }
        s.pop();
        s
    }

    /// The table crate's UTF8_FULL_CONDENSED preset, unwrapped.
    fn draw(&self) -> String {
        let n = self.header.len().max(self.rows.iter().map(Vec::len).max().unwrap_or(0));
        let measure = |r: &[String]| -> Vec<usize> { r.iter().map(|c| console::measure_text_width(c)).collect() };
        let header_w = measure(&self.header);
        let rows_w: Vec<Vec<usize>> = self.rows.iter().map(|r| measure(r)).collect();
        let mut widths = vec![0usize; n];
        for ws in std::iter::once(&header_w).chain(rows_w.iter()) {
            for (i, w) in ws.iter().enumerate() {
                widths[i] = widths[i].max(*w);
            }
        }
        let total: usize = widths.iter().map(|w| w + 3).sum::<usize>() + 1;
        let mut s = String::with_capacity(total * 4 * (self.rows.len() + 4));
        let rule = |s: &mut String, l: char, fill: char, mid: char, r: char| {
            s.push(l);
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    s.push(mid);
                }
                s.extend(std::iter::repeat_n(fill, w + 2));
            }
            s.push(r);
            s.push('\n');
        };
        let line = |s: &mut String, cells: &[String], ws: &[usize]| {
            s.push('│');
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    s.push('┆');
                }
                s.push(' ');
                s.push_str(cells.get(i).map_or("", String::as_str));
                s.extend(std::iter::repeat_n(' ', w - ws.get(i).copied().unwrap_or(0) + 1));
            }
            s.push_str("│\n");
        };
        rule(&mut s, '┌', '─', '┬', '┐');
        if !self.header.is_empty() {
            line(&mut s, &self.header, &header_w);
            rule(&mut s, '╞', '═', '╪', '╡');
        }
        for (r, ws) in self.rows.iter().zip(&rows_w) {
            line(&mut s, r, ws);
        }
        rule(&mut s, '└', '─', '┴', '┘');
        s.pop();
        s
    }
}

/// A line broken at spaces into pieces at most `room` wide (a longer word stands alone).
fn wrap(line: &str, room: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in line.split(' ') {
        let fits = console::measure_text_width(&cur) + 1 + console::measure_text_width(word) <= room;
        if cur.is_empty() || fits {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        } else {
            out.push(std::mem::take(&mut cur));
            cur.push_str(word);
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_drawn_directly_reads_as_the_table_crate_draws_it() {
        let out = Out { json: false, color: false, width: None };
        let mut g = Grid::new(&["Case", "Cüstomer", "Detail"]);
        let mut t = out.table(&["Case", "Cüstomer", "Detail"]);
        for i in 0..250 {
            let row = vec![format!("C-{i}"), "Ünïcode 字".repeat(i % 3), "x".repeat(i % 17)];
            t.add_row(row.clone());
            g.add_row(row);
        }
        assert_eq!(g.render(&out), t.to_string());
    }

    #[test]
    fn a_list_too_wide_for_the_terminal_reads_as_records() {
        let mut g = Grid::new(&["Case", "Owner", "Detail"]);
        g.keep_whole(&[0]);
        g.add_row(vec!["ACME-1042".into(), String::new(), "the review of level 1 is due in four hours".into()]);
        g.add_row(vec!["B-2".into(), "lee".into(), "short".into()]);
        let narrow = Out { json: false, color: false, width: Some(30) };
        assert_eq!(
            g.render(&narrow),
            "Case:   ACME-1042\nDetail: the review of level 1\n        is due in four hours\n\nCase:   B-2\nOwner:  lee\nDetail: short"
        );
        let mut g = Grid::new(&["Case", "Detail"]);
        g.add_row(vec!["B-2".into(), "short".into()]);
        let wide = Out { json: false, color: false, width: Some(30) };
        assert!(g.render(&wide).starts_with('┌'), "a list that fits stays a table");
    }
}
