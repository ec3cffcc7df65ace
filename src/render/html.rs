//! The report as one self-contained HTML page: the charts as inline SVG beside
//! the tables `report` prints. No scripts, no external resources (a content
//! security policy forbids them), and a print style sheet.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::charts::Chart;
use crate::rules::report::{Count, Report, Times};
use crate::time::human;

/// Text made safe inside HTML elements and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:60em;color:#111;padding:0 1em}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em}\
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #999;padding:.25em .6em;text-align:left}\
td.n{text-align:right}figure{margin:1em 0;break-inside:avoid;page-break-inside:avoid}\
figure svg{max-width:100%;height:auto}figcaption{font-weight:bold;margin-bottom:.3em}\
section{break-inside:avoid}p.meta{color:#444}\
@media print{body{margin:0;max-width:none}a{color:#111}}";

fn count_table(title: &str, counts: &[Count]) -> String {
    if counts.is_empty() {
        return format!("<p>{}: none.</p>\n", esc(title));
    }
    let mut s =
        format!("<table><caption>{}</caption><tr><th>Key</th><th>Label</th><th>Escalations</th></tr>\n", esc(title));
    for c in counts {
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n",
            esc(&c.key),
            esc(&c.label),
            c.count
        ));
    }
    s.push_str("</table>\n");
    s
}

fn minutes(m: Option<i64>) -> String {
    m.map_or_else(|| "-".into(), |m| crate::time::span_exact(chrono::Duration::minutes(m)))
}

fn times_row(name: &str, t: &Times) -> String {
    format!(
        "<tr><td>{name}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
        t.count,
        minutes(t.median_minutes),
        minutes(t.p90_minutes)
    )
}

fn rca(r: &Report) -> String {
    if r.root_cause_analysis.is_empty() {
        return "<p>No escalation reached a level that calls for a root-cause analysis.</p>\n".into();
    }
    let mut s = String::from("<table><tr><th>Case</th><th>Escalation</th><th>Level</th><th>Analysis</th></tr>\n");
    for x in &r.root_cause_analysis {
        let done = x.done.as_deref().map_or_else(|| "due".to_string(), |l| format!("done: {}", esc(l)));
        s.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">#{}</td><td class=\"n\">{}</td><td>{done}</td></tr>\n",
            esc(&x.case),
            x.escalation,
            x.level
        ));
    }
    s.push_str("</table>\n");
    s
}

fn tables(r: &Report) -> String {
    let mut s = count_table("By reason", &r.by_reason);
    s.push_str(&count_table("By destination", &r.by_destination));
    s.push_str(&count_table("By highest level", &r.by_highest_level));
    let rate = r.approval_rate.map_or_else(|| "-".into(), |x| format!("{:.0}%", x * 100.0));
    let per = r.promotions_per_escalation.map_or_else(|| "-".into(), |x| format!("{x:.2}"));
    s.push_str(&format!(
        "<p>Decisions: {} approved, {} rejected; approval rate {rate}. Promotions: {} ({per} per escalation).</p>\n",
        r.approved, r.rejected, r.promotions
    ));
    s.push_str("<table><tr><th>From request</th><th>Count</th><th>Median</th><th>90th percentile</th></tr>\n");
    s.push_str(&times_row("to the first decision", &r.to_decision));
    s.push_str(&times_row("to close", &r.to_close));
    s.push_str("</table>\n");
    s
}

/// The whole page.
pub fn page(r: &Report, charts: &[Chart], tz: Tz, now: DateTime<Utc>) -> String {
    let period = match (r.since, r.until) {
        (None, None) => "all time".to_string(),
        (Some(s), None) => format!("since {}", human(s, tz)),
        (None, Some(u)) => format!("until {}", human(u, tz)),
        (Some(s), Some(u)) => format!("{} to {}", human(s, tz), human(u, tz)),
    };
    let mut s = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    s.push_str(&format!(
        "<title>Escalation report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&period)
    ));
    s.push_str(&format!(
        "<h1>Escalation report</h1>\n<p class=\"meta\">Escalations requested {}: <strong>{}</strong>. Made {}; every time is in {tz}, the calendar's time zone.</p>\n",
        esc(&period),
        r.escalations,
        human(now, tz)
    ));
    for c in charts {
        s.push_str(&format!(
            "<figure id=\"{}\">\n<figcaption><h2>{}</h2></figcaption>\n<p>{}</p>\n{}\n</figure>\n",
            c.id,
            esc(&c.title),
            esc(&c.note),
            c.svg
        ));
    }
    s.push_str("<section id=\"rca\">\n<h2>Root-cause analyses</h2>\n");
    s.push_str(&rca(r));
    s.push_str("</section>\n<section id=\"tables\">\n<h2>The report's tables</h2>\n");
    s.push_str(&tables(r));
    s.push_str("</section>\n</body>\n</html>\n");
    s
}
