//! The `[accounts]` table: when cases of a customer may become an account
//! escalation (each trigger independent), and who is its DRI when an account
//! has neither a customer success manager nor an account executive.

use serde::Deserialize;
use toml::Spanned;

use super::span::Span;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccounts {
    /// The severity that is an emergency, and how long one may run before it qualifies.
    #[serde(default)]
    pub emergency_severity: Option<Spanned<u32>>,
    #[serde(default)]
    pub emergency_after: Option<Span>,
    /// So many open cases of one customer sharing a tag...
    #[serde(default)]
    pub fallout_cases: Option<Spanned<u32>>,
    /// ... opened within this window of each other (fallout after an upgrade).
    #[serde(default)]
    pub fallout_window: Option<Span>,
    /// Reasons that make an account escalation without a wait (a blocked initiative).
    #[serde(default)]
    pub reasons: Vec<Spanned<String>>,
    /// The DRI when an account has neither CSM nor AE: a name or "role:NAME".
    #[serde(default)]
    pub dri_fallback: Option<Spanned<String>>,
}

/// The account-escalation triggers, each independent; None: that trigger is off.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    /// An emergency of this severity running longer than this.
    pub emergency: Option<(u32, Span)>,
    /// So many open cases of one customer sharing a tag, opened within this window of each other.
    pub fallout: Option<(u32, Span)>,
    /// Reasons that qualify at once.
    pub reasons: Vec<String>,
    /// The DRI when an account has neither CSM nor AE.
    pub dri_fallback: Option<super::Decider>,
}

/// Check the triggers against the policy's severities and reasons.
pub fn build(
    raw: &Spanned<RawAccounts>,
    severities: &std::collections::BTreeMap<u32, super::Severity>,
    reasons: &indexmap::IndexMap<String, super::Reason>,
    problem: &mut dyn FnMut(std::ops::Range<usize>, String),
) -> Accounts {
    let a = raw.get_ref();
    let emergency = match (&a.emergency_severity, a.emergency_after) {
        (Some(s), Some(after)) => {
            let (span, s) = (s.span(), *s.get_ref());
            if !severities.contains_key(&s) {
                let known: Vec<String> = severities.keys().map(u32::to_string).collect();
                problem(
                    span,
                    format!(
                        "accounts.emergency_severity {s} is not one of the policy's severities ({})",
                        known.join(", ")
                    ),
                );
            }
            Some((s, after))
        }
        (None, None) => None,
        _ => {
            problem(raw.span(), "accounts.emergency_severity and accounts.emergency_after go together".into());
            None
        }
    };
    let fallout = match (&a.fallout_cases, a.fallout_window) {
        (Some(n), Some(w)) => {
            let (span, n) = (n.span(), *n.get_ref());
            if n < 2 {
                problem(span, format!("accounts.fallout_cases is {n}: fallout needs at least 2 cases"));
            }
            Some((n, w))
        }
        (None, None) => None,
        _ => {
            problem(raw.span(), "accounts.fallout_cases and accounts.fallout_window go together".into());
            None
        }
    };
    for r in &a.reasons {
        if !reasons.contains_key(r.get_ref()) {
            problem(
                r.span(),
                format!("accounts.reasons names unknown reason {:?}: define it under [reasons]", r.get_ref()),
            );
        }
    }
    let dri_fallback = a.dri_fallback.as_ref().map(|d| {
        let d = d.get_ref().trim();
        match d.strip_prefix("role:") {
            Some(r) => super::Decider::Role(r.to_string()),
            None => super::Decider::Actor(d.to_string()),
        }
    });
    Accounts { emergency, fallout, reasons: a.reasons.iter().map(|r| r.get_ref().clone()).collect(), dri_fallback }
}

pub fn default_accounts() -> Spanned<RawAccounts> {
    Spanned::new(0..0, RawAccounts::default())
}
