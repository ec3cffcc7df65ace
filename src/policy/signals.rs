//! The `[signals]` table: thresholds of the signals that say escalate and of
//! the first-response SLA warning, checked and defaulted.

use std::ops::Range;

use toml::Spanned;

use super::Signals;
use super::raw::RawSignals;

/// Check the thresholds; `problem` records what is wrong at a span.
pub fn build(raw: &Spanned<RawSignals>, problem: &mut dyn FnMut(Range<usize>, String)) -> Signals {
    let s = raw.get_ref();
    let (cases, percent) = (*s.recurring_cases.get_ref(), *s.sla_at_risk_percent.get_ref());
    if cases < 2 {
        problem(
            s.recurring_cases.span(),
            format!("signals.recurring_cases is {cases}: a pattern needs at least 2 cases"),
        );
    }
    if !(1..=100).contains(&percent) {
        problem(
            s.sla_at_risk_percent.span(),
            format!("signals.sla_at_risk_percent is {percent}: give a percentage from 1 to 100"),
        );
    }
    for (name, span) in [("recurring_window", s.recurring_window), ("stalled_after", s.stalled_after)] {
        if span.minutes <= 0 {
            problem(raw.span(), format!("signals.{name} must be longer than zero"));
        }
    }
    Signals {
        recurring_cases: cases,
        recurring_window: s.recurring_window,
        stalled_after: s.stalled_after,
        sla_at_risk_percent: percent,
    }
}
