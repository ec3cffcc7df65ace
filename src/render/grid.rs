//! Tables of lists. Rows are collected as text and drawn at the end: on a
//! terminal or with COLUMNS, by the table crate, fitted to the width; without
//! a width to fit, a long list is drawn here directly with the same characters
//! (nothing wraps then), at a fraction of the cost.

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
}
