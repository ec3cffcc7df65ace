//! The `[signals]` table: thresholds of the signals that say escalate and of
//! the first-response SLA warning, checked and defaulted.

use std::ops::Range;

use toml::Spanned;

use super::Signals;
use super::raw::RawSignals;

/// Check the thresholds; `problem` records what is wrong at a span.
pub fn build(raw: &Spanned<RawSignals>, problem: &mut dyn FnMut(Range<usize>, String)) -> Signals {
    let s = raw.get_ref();
    if s.recurring_cases < 2 {
        problem(
            raw.span(),
            format!("signals.recurring_cases is {}: a pattern needs at least 2 cases", s.recurring_cases),
        );
    }
    if !(1..=100).contains(&s.sla_at_risk_percent) {
        problem(
            raw.span(),
            format!("signals.sla_at_risk_percent is {}: give a percentage from 1 to 100", s.sla_at_risk_percent),
        );
    }
    for (name, span) in [("recurring_window", s.recurring_window), ("stalled_after", s.stalled_after)] {
        if span.minutes <= 0 {
            problem(raw.span(), format!("signals.{name} must be longer than zero"));
        }
    }
    Signals {
        recurring_cases: s.recurring_cases,
        recurring_window: s.recurring_window,
        stalled_after: s.stalled_after,
        sla_at_risk_percent: s.sla_at_risk_percent,
    }
}
