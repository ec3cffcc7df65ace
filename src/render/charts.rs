//! The HTML report's charts, drawn as inline SVG with plotters' SVG backend:
//! text is emitted as SVG text elements (no font files are read).

use plotters::coord::types::RangedCoordi32;
use plotters::prelude::*;

use crate::policy::{Counting, Span};
use crate::rules::charts::{Figures, Took};
use crate::rules::sla::Position;

const SIZE: (u32, u32) = (760, 340);
const FONT: &str = "sans-serif";

/// A chart: its id (for the page), its title, a line that reads it, and its SVG.
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub note: String,
    pub svg: String,
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type Bars<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::ranged1d::SegmentedCoord<RangedCoordi32>, RangedCoordi32>,
>;

fn draw(f: impl FnOnce(&Area) -> anyhow::Result<()>) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        f(&root)?;
        root.present()?;
    }
    Ok(svg)
}

/// A bar chart's frame: `n` categories, counts up to `max`, labels from `label`.
fn bars<'a, 'b>(
    root: &'a Area<'b>,
    n: usize,
    max: usize,
    axes: (&str, &str),
    label: &'a dyn Fn(usize) -> String,
) -> anyhow::Result<Bars<'a, 'b>> {
    let top = (max as i32 + 1).max(2);
    // Segments 0..=last: one per category (two at least: one alone is a degenerate axis).
    let last = (n as i32 - 1).max(1);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(44)
        .build_cartesian_2d((0..last).into_segmented(), 0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(axes.0)
        .y_desc(axes.1)
        .x_labels(n.max(1))
        .y_labels(top.min(10) as usize)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if (*i as usize) < n => label(*i as usize),
            _ => String::new(),
        })
        .axis_desc_style((FONT, 13))
        .label_style((FONT, 12))
        .draw()?;
    Ok(chart)
}

fn bar(x: usize, from: usize, to: usize, color: RGBColor) -> Rectangle<(SegmentValue<i32>, i32)> {
    let x = x as i32;
    let mut r = Rectangle::new(
        [(SegmentValue::Exact(x), from as i32), (SegmentValue::Exact(x + 1), to as i32)],
        color.filled(),
    );
    r.set_margin(0, 0, 6, 6);
    r
}

fn color(i: usize) -> RGBColor {
    const C: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    C[i % C.len()]
}

fn legend<'a, 'b: 'a>(chart: &mut Bars<'a, 'b>) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

pub fn weekly(f: &Figures) -> anyhow::Result<Chart> {
    let title = "Escalations per week by reason".to_string();
    let tz = f.tz;
    let labels: Vec<String> = f.weeks.iter().map(|w| w.start.format("%b %d").to_string()).collect();
    let max = f.weeks.iter().map(|w| w.counts.iter().sum::<usize>()).max().unwrap_or(0);
    let x = format!("Week starting Monday ({tz})");
    let svg = draw(|root| {
        let label = |i: usize| labels.get(i).cloned().unwrap_or_default();
        let mut chart = bars(root, f.weeks.len(), max, (&x, "Escalations requested"), &label)?;
        for (r, (_, name)) in f.reasons.iter().enumerate() {
            let rects = f.weeks.iter().enumerate().map(|(i, w)| {
                let below: usize = w.counts[..r].iter().sum();
                bar(i, below, below + w.counts[r], color(r))
            });
            let c = color(r);
            chart
                .draw_series(rects)?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled()));
        }
        if !f.reasons.is_empty() {
            legend(&mut chart)?;
        }
        Ok(())
    })?;
    let total: usize = f.weeks.iter().flat_map(|w| &w.counts).sum();
    let note = format!(
        "{} requested over {} (weeks begin on Monday, {tz}).",
        super::count(total as u64, "escalation"),
        super::count(f.weeks.len() as u64, "week")
    );
    Ok(Chart { id: "chart-weekly", title, note, svg })
}

pub fn funnel(f: &Figures) -> anyhow::Result<Chart> {
    let title = "Level funnel: the levels the escalations reached".to_string();
    let max = f.funnel.iter().map(|s| s.reached).max().unwrap_or(0);
    let x = format!("Level reached (escalations requested in the period; {})", f.tz);
    let svg = draw(|root| {
        let label = |i: usize| f.funnel.get(i).map_or(String::new(), |s| format!("level {}", s.level));
        let mut chart = bars(root, f.funnel.len(), max, (&x, "Escalations"), &label)?;
        chart.draw_series(f.funnel.iter().enumerate().map(|(i, s)| bar(i, 0, s.reached, color(0))))?;
        Ok(())
    })?;
    let requested = f.funnel.first().map_or(0, |s| s.reached);
    // Each level above the first: how many reached it, and how (promoted, or requested there).
    let steps: Vec<String> = f
        .funnel
        .iter()
        .skip(1)
        .map(|s| {
            let how = match (s.promoted, s.reached.saturating_sub(s.promoted)) {
                (_, 0) => String::new(),
                (0, _) => ", requested there".to_string(),
                (p, started) => format!(": {p} promoted, {started} requested there"),
            };
            format!("{} reached {} ({}){how}", s.reached, s.level, s.name)
        })
        .collect();
    let note = format!(
        "{}; {}.",
        crate::render::count(requested as u64, "escalation"),
        if steps.is_empty() { "no level above".into() } else { steps.join("; ") }
    );
    Ok(Chart { id: "chart-funnel", title, note, svg })
}

/// Bins of whole hours, at most 12, wide enough for the longest duration.
fn bins(took: &[Took]) -> (i64, usize) {
    let longest = took.iter().map(|t| t.minutes).max().unwrap_or(0).max(1);
    let hours = (longest + 59) / 60;
    let width = [1, 2, 4, 8, 12, 24, 48, 72, 168, 336, 720].into_iter().find(|w| hours / w < 12).unwrap_or(720);
    (width, (hours / width + 1) as usize)
}

fn review_words(review: Option<Span>) -> String {
    match review {
        Some(s) if s.counting == Counting::Business => {
            format!("review window {s} (business hours: longer on the clock)")
        }
        Some(s) => format!("review window {s}"),
        None => "no review window".to_string(),
    }
}

/// A distribution of durations from request, split by whether each ended within the review deadline.
pub fn distribution(f: &Figures, id: &'static str, what: &str, took: &[Took]) -> anyhow::Result<Chart> {
    let title = format!("Time from request to {what}, against the review window");
    let (width, n) = bins(took);
    // The review window's bin shows on the axis, however quick every escalation was.
    let review_bin = f.review.map_or(0, |s| (s.minutes / 60 / width) as usize);
    let n = n.max(review_bin + 2);
    let mut counts = vec![(0usize, 0usize); n];
    for t in took {
        let b = ((t.minutes.max(0) / 60) / width) as usize;
        let slot = &mut counts[b.min(n - 1)];
        if t.within_review { slot.0 += 1 } else { slot.1 += 1 }
    }
    let max = counts.iter().map(|(a, b)| a + b).max().unwrap_or(0);
    let x = format!("Hours from request, in bins of {width}h; {} (times in {})", review_words(f.review), f.tz);
    let svg = draw(|root| {
        let label = |i: usize| format!("{}-{}h", i as i64 * width, (i as i64 + 1) * width);
        let mut chart = bars(root, n, max, (&x, "Escalations"), &label)?;
        let (ok, late) = (RGBColor(44, 160, 44), RGBColor(214, 39, 40));
        chart
            .draw_series(counts.iter().enumerate().map(|(i, c)| bar(i, 0, c.0, ok)))?
            .label("within the review deadline")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], ok.filled()));
        chart
            .draw_series(counts.iter().enumerate().map(|(i, c)| bar(i, c.0, c.0 + c.1, late)))?
            .label("after the review deadline")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], late.filled()));
        if let Some(s) = f.review.filter(|s| s.minutes > 0) {
            let at = (s.minutes as f64 / 60.0 / width as f64).floor() as i32;
            // On a bin's edge when the window ends there, else through the bin it ends in.
            let x = if s.minutes % (width * 60) == 0 { SegmentValue::Exact(at) } else { SegmentValue::CenterOf(at) };
            let top = (max as i32 + 1).max(2);
            let line = [(x.clone(), 0), (x, top)];
            chart
                .draw_series(std::iter::once(PathElement::new(line, BLACK.stroke_width(2))))?
                .label("the review window")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 10, y)], BLACK.stroke_width(2)));
        }
        legend(&mut chart)
    })?;
    let within = took.iter().filter(|t| t.within_review).count();
    let note = match took.len() {
        0 => format!("No escalation of the period reached {what}."),
        n => format!("{within} of {n} within level 1's review deadline; {}.", review_words(f.review)),
    };
    Ok(Chart { id, title, note, svg })
}

pub fn sla(f: &Figures) -> anyhow::Result<Chart> {
    let title = "First-response SLA position of open cases".to_string();
    let order = [Position::Compliant, Position::AtRisk, Position::Breached, Position::NoTarget];
    let counts: Vec<usize> = order.iter().map(|p| f.sla.iter().find(|(q, _)| q == p).map_or(0, |(_, n)| *n)).collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    let x = format!("Position now ({})", f.tz);
    let svg = draw(|root| {
        let label = |i: usize| order.get(i).map_or(String::new(), |p| p.label().to_string());
        let mut chart = bars(root, order.len(), max, (&x, "Open cases"), &label)?;
        let colors = [RGBColor(44, 160, 44), RGBColor(255, 160, 0), RGBColor(214, 39, 40), RGBColor(127, 127, 127)];
        chart.draw_series(counts.iter().enumerate().map(|(i, n)| bar(i, 0, *n, colors[i])))?;
        Ok(())
    })?;
    let words: Vec<String> =
        order.iter().zip(&counts).map(|(p, n)| format!("{n} {}", p.label().to_lowercase())).collect();
    let note = format!("{}: {}.", super::count(counts.iter().sum::<usize>() as u64, "open case"), words.join(", "));
    Ok(Chart { id: "chart-sla", title, note, svg })
}

/// Every chart of the report, in page order.
pub fn all(f: &Figures) -> anyhow::Result<Vec<Chart>> {
    Ok(vec![
        weekly(f)?,
        funnel(f)?,
        distribution(f, "chart-decision", "the first decision", &f.to_decision)?,
        distribution(f, "chart-close", "close", &f.to_close)?,
        sla(f)?,
    ])
}
