//! `report --format html`: one self-contained page with the charts, on both
//! backends; rendered in headless Chromium (screenshot not blank, every chart
//! and its title in the DOM); an unwritable --output is exit 5, nothing written.
#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::{Backend, Env};

on_both!(the_page_is_self_contained_and_holds_every_chart);

/// The charts' ids and titles, in page order.
const CHARTS: &[(&str, &str)] = &[
    ("chart-weekly", "Escalations per week by reason"),
    ("chart-funnel", "Level funnel: the levels the escalations reached"),
    ("chart-decision", "Time from request to the first decision, against the review window"),
    ("chart-close", "Time from request to close, against the review window"),
    ("chart-sla", "First-response SLA position of open cases"),
];

/// Three cases over two weeks: requested, decided, promoted, one closed, one RCA due.
fn history(b: Backend) -> Env {
    let mut env = Env::on(b);
    env.at("2026-11-17T12:00:00Z");
    env.case("C-1", 2, "premium", "2026-11-16T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    env.at("2026-11-17T13:00:00Z");
    assert_eq!(env.run_as("rita", &["decide", "C-1", "approve"]).0, 0);
    env.at("2026-11-17T15:00:00Z");
    env.ok(&["close", "C-1", "--note", "Fixed"]);
    env.at("2026-11-23T12:00:00Z");
    env.case("C-2", 2, "premium", "2026-11-20T08:00:00Z");
    env.case("C-3", 3, "standard", "2026-11-23T11:00:00Z");
    env.ok(&Env::request_args("C-2"));
    for (at, to) in [("2026-11-24T12:00:00Z", 2), ("2026-11-25T12:00:00Z", 3)] {
        env.at(at);
        let (code, out, err) = env.run(&["promote", "C-2", "--why", "Still down"]);
        assert_eq!(code, 0, "promote to {to}: {out}{err}");
    }
    env.at("2026-11-25T13:00:00Z");
    // One requested at level 2: it reached 2 without a promotion.
    let mut args = Env::request_args("C-3");
    args.extend(["--level", "2", "--yes"]);
    let (code, out, err) = env.run(&args);
    assert_eq!(code, 0, "{out}{err}");
    env
}

fn the_page_is_self_contained_and_holds_every_chart(b: Backend) {
    let env = history(b);
    let before = env.dump();
    env.ok(&["report", "--format", "html", "--output", "report.html"]);
    assert_eq!(env.dump(), before, "the report wrote to the ledger");
    let page = std::fs::read_to_string(env.dir.path().join("report.html")).expect("the page");
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..100]);
    for (id, title) in CHARTS {
        let figure = page.split(&format!("<figure id=\"{id}\">")).nth(1).unwrap_or_else(|| panic!("no {id}"));
        let figure = figure.split("</figure>").next().unwrap_or_default();
        assert!(figure.contains(&format!("<h2>{title}</h2>")) && figure.contains("<svg"), "{id}: {figure}");
    }
    for forbidden in ["<script", " src=", "href=", "url(", "@import", "<link", "<iframe"] {
        assert!(!page.contains(forbidden), "the page must load nothing: found {forbidden}");
    }
    assert!(page.contains("(UTC)") && page.contains("C-2</td>"), "the time zone on the axes, the RCA list");
    let funnel = "<p>3 escalations; 2 reached 2 (Support management): 1 promoted, 1 requested there; 1 reached 3";
    assert!(page.contains(funnel), "{page}");
    // Standard output, without --output, is the same page.
    assert_eq!(env.ok(&["report", "--format", "html"]), page);
}

#[test]
fn an_unwritable_output_is_exit_5_naming_the_path_and_nothing_is_written() {
    let env = history(Backend::Sqlite);
    std::fs::write(env.dir.path().join("plain-file"), "x").unwrap();
    let (code, out, err) = env.run(&["report", "--format", "html", "--output", "plain-file/report.html"]);
    assert_eq!((code, out.as_str()), (5, ""), "{err}");
    assert!(err.contains("cannot write plain-file/report.html"), "{err}");
    // A directory in the way: the page is written aside, and the rename fails: nothing is left.
    std::fs::create_dir(env.dir.path().join("taken")).unwrap();
    let (code, _, err) = env.run(&["report", "--format", "html", "--output", "taken"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("cannot write taken"), "{err}");
    let left: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    assert!(std::fs::read_dir(env.dir.path().join("taken")).unwrap().next().is_none());
    let (code, _, err) = env.run(&["report", "--output", "x.txt"]);
    assert_eq!(code, 2, "--output of a table: {err}");
    // The other formats are written as they print.
    for format in ["json", "csv", "ndjson"] {
        let file = format!("report.{format}");
        env.ok(&["report", "--format", format, "--output", &file]);
        let written = std::fs::read_to_string(env.dir.path().join(&file)).unwrap();
        assert_eq!(written, env.ok(&["report", "--format", format]), "{format}");
    }
}

/// Debian's chromium, or the one on PATH; the test fails without it.
fn chromium() -> PathBuf {
    let candidates = [PathBuf::from("/usr/bin/chromium"), PathBuf::from("/usr/bin/chromium-browser")];
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("chromium")).collect::<Vec<_>>())
        .unwrap_or_default();
    candidates.into_iter().chain(on_path).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!(
            "chromium is not installed: this test renders the HTML report in headless Chromium. \
             Install it with `apt-get install -y chromium` (bash .ci/run does so when it is missing)"
        )
    })
}

fn headless(profile: &Path, page: &Path, extra: &[&str]) -> std::process::Output {
    let mut c = assert_cmd::Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .timeout(std::time::Duration::from_secs(90));
    let out = c.output().expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Distinct pixel values, and the share of pixels that are not white.
fn pixels(png_file: &Path) -> (usize, f64) {
    let decoder = png::Decoder::new(std::fs::File::open(png_file).expect("the screenshot"));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let step = info.color_type.samples();
    let px: Vec<&[u8]> = buf[..info.buffer_size()].chunks(step).collect();
    let distinct: std::collections::HashSet<&[u8]> = px.iter().copied().collect();
    let inked = px.iter().filter(|p| p.iter().take(3).any(|v| *v < 240)).count();
    (distinct.len(), inked as f64 / px.len() as f64)
}

#[test]
fn chromium_renders_the_page_with_every_chart_and_title() {
    let env = history(Backend::Sqlite);
    env.ok(&["report", "--format", "html", "--output", "report.html"]);
    let page = env.dir.path().join("report.html");
    let profile = tempfile::tempdir().expect("a profile dir");
    let shot = env.dir.path().join("shot.png");
    headless(profile.path(), &page, &[&format!("--screenshot={}", shot.display()), "--window-size=1000,3000"]);
    let (distinct, inked) = pixels(&shot);
    assert!(distinct > 20 && inked > 0.02, "a blank screenshot: {distinct} pixel values, {inked:.4} inked");
    let dom = String::from_utf8(headless(profile.path(), &page, &["--dump-dom"]).stdout).expect("UTF-8 DOM");
    for (id, title) in CHARTS {
        let figure =
            dom.split(&format!("<figure id=\"{id}\">")).nth(1).unwrap_or_else(|| panic!("{id} not in the DOM"));
        let figure = figure.split("</figure>").next().unwrap_or_default();
        assert!(figure.contains(&format!("<h2>{title}</h2>")), "{id}: no title in the DOM");
        assert!(figure.contains("<svg") && figure.contains("<rect"), "{id}: no chart drawn in the DOM");
    }
    assert!(dom.contains("Root-cause analyses") && dom.contains("The report's tables"), "the RCA list and the tables");
}
