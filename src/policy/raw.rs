//! The policy file exactly as written: serde structs that refuse unknown keys.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use super::Rating;
use super::span::Span;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    #[serde(default)]
    pub policy: RawMeta,
    /// None when the policy has no [calendar] table (the default calendar then).
    #[serde(default)]
    pub calendar: Option<RawCalendar>,
    pub tiers: Spanned<IndexMap<String, RawTier>>,
    pub severities: Spanned<IndexMap<String, Spanned<RawSeverity>>>,
    pub reasons: Spanned<IndexMap<String, RawReason>>,
    pub levels: Spanned<IndexMap<String, Spanned<RawLevel>>>,
    #[serde(default)]
    pub promotion: RawPromotion,
    pub destinations: Spanned<IndexMap<String, Spanned<RawDestination>>>,
    #[serde(default)]
    pub fields: IndexMap<String, String>,
    #[serde(default)]
    pub decisions: RawDecisions,
    #[serde(default)]
    pub ownership: RawOwnership,
    #[serde(default)]
    pub roles: IndexMap<String, Vec<String>>,
    #[serde(default)]
    pub pause: RawPause,
    #[serde(default = "default_signals")]
    pub signals: Spanned<RawSignals>,
    /// Where notifications go: `[channels.NAME]`.
    #[serde(default)]
    pub channels: IndexMap<String, Spanned<super::channels::RawChannel>>,
    /// How notifications are delivered: the time budget, retries.
    #[serde(default = "default_notify")]
    pub notify: Spanned<super::channels::RawNotify>,
    /// Who holds which roles, and their chat handles.
    #[serde(default)]
    pub people: IndexMap<String, super::people::RawPerson>,
    /// The roles of the on-call roster.
    #[serde(default)]
    pub oncall: super::people::RawOnCall,
    /// When cases may become an account escalation, and its DRI by default.
    #[serde(default = "super::accounts::default_accounts")]
    pub accounts: Spanned<super::accounts::RawAccounts>,
}

fn default_notify() -> Spanned<super::channels::RawNotify> {
    Spanned::new(0..0, super::channels::RawNotify::default())
}

/// The signals that say escalate and the SLA warning threshold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSignals {
    /// So many open cases of different customers sharing a tag make a recurring pattern.
    #[serde(default = "three")]
    pub recurring_cases: Spanned<u32>,
    /// ... when they were opened within this window.
    #[serde(default = "week")]
    pub recurring_window: Span,
    /// No activity on a case for this long: progress has stalled.
    #[serde(default = "two_days")]
    pub stalled_after: Span,
    /// The first-response SLA is at risk once this share of its target is used.
    #[serde(default = "seventy_five")]
    pub sla_at_risk_percent: Spanned<u32>,
}

impl Default for RawSignals {
    fn default() -> Self {
        RawSignals {
            recurring_cases: three(),
            recurring_window: week(),
            stalled_after: two_days(),
            sla_at_risk_percent: seventy_five(),
        }
    }
}

fn default_signals() -> Spanned<RawSignals> {
    Spanned::new(0..0, RawSignals::default())
}

fn three() -> Spanned<u32> {
    Spanned::new(0..0, 3)
}
fn seventy_five() -> Spanned<u32> {
    Spanned::new(0..0, 75)
}
fn week() -> Span {
    Span::clock_minutes(7 * 24 * 60)
}
fn two_days() -> Span {
    Span::clock_minutes(2 * 24 * 60)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDecisions {
    /// Actor names, or "role:NAME"; empty means anyone may decide.
    #[serde(default)]
    pub deciders: Vec<Spanned<String>>,
    #[serde(default)]
    pub self_decision: bool,
    /// What a rejected escalation allows next.
    #[serde(default)]
    pub after_rejection: super::AfterRejection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOwnership {
    /// Who besides the owner may hand off or assign an escalation: actor names or "role:NAME".
    #[serde(default)]
    pub take_over: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PauseClock {
    WaitWindow,
    TouchPoint,
    Review,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPause {
    pub clocks: Vec<PauseClock>,
}

impl Default for RawPause {
    fn default() -> Self {
        RawPause { clocks: vec![PauseClock::WaitWindow, PauseClock::TouchPoint] }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    #[serde(default = "default_tz")]
    pub timezone: Spanned<String>,
    #[serde(default = "default_days")]
    pub working_days: Vec<Spanned<String>>,
    #[serde(default)]
    pub working_hours: Option<Spanned<RawHours>>,
    #[serde(default)]
    pub holidays: Vec<Spanned<DateText>>,
}

/// A date as the policy gives it: a string ("2026-12-25") or a TOML date (2026-12-25).
#[derive(Debug, Clone)]
pub enum DateText {
    Text(String),
    Date(toml::value::Datetime),
}

impl<'de> Deserialize<'de> for DateText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = DateText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a date like \"2026-12-25\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DateText, E> {
                Ok(DateText::Text(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<DateText, A::Error> {
                // A TOML date comes as a map that only a Datetime reads.
                let date = toml::value::Datetime::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(DateText::Date(date))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl DateText {
    /// The date as written, "2026-12-25".
    pub fn text(&self) -> String {
        match self {
            DateText::Text(s) => s.clone(),
            DateText::Date(d) => d.to_string(),
        }
    }
}

impl Default for RawCalendar {
    fn default() -> Self {
        RawCalendar { timezone: default_tz(), working_days: default_days(), working_hours: None, holidays: Vec::new() }
    }
}

fn default_tz() -> Spanned<String> {
    Spanned::new(0..0, "UTC".to_string())
}

fn default_days() -> Vec<Spanned<String>> {
    ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| Spanned::new(0..0, d.to_string())).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "working hours like { start = \"09:00\", end = \"17:00\" }")]
pub struct RawHours {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTier {
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSeverity {
    #[serde(default)]
    pub label: String,
    #[serde(default = "yes")]
    pub escalable: bool,
    #[serde(default)]
    pub redirect: Option<String>,
    #[serde(default)]
    pub wait: IndexMap<String, Span>,
    /// How the escalation document rates this severity: critical, high or medium.
    #[serde(default)]
    pub rating: Option<Rating>,
    /// The first-response target per tier, for the SLA position.
    #[serde(default)]
    pub first_response: IndexMap<String, Span>,
    /// The notification channels told of this one's escalations.
    #[serde(default)]
    pub channels: Vec<Spanned<String>>,
    /// The channel paged for this one's escalations (or cases, for a severity).
    #[serde(default)]
    pub page: Option<Spanned<String>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReason {
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub help: String,
    /// Accept this reason only when the first response really was late.
    #[serde(default)]
    pub needs_late_first_response: bool,
    /// The level a request for this reason starts at.
    #[serde(default)]
    pub start_level: Option<Spanned<u32>>,
    /// Skips the wait window when a stated deadline falls before it ends.
    #[serde(default)]
    pub may_skip_wait: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLevel {
    pub name: String,
    #[serde(default)]
    pub audience: Vec<String>,
    #[serde(default)]
    pub reviewer: String,
    pub review: Span,
    #[serde(default)]
    pub update_every: Option<Span>,
    #[serde(default)]
    pub root_cause_analysis: bool,
    /// The notification channels told of this one's escalations.
    #[serde(default)]
    pub channels: Vec<Spanned<String>>,
    /// The channel paged for this one's escalations (or cases, for a severity).
    #[serde(default)]
    pub page: Option<Spanned<String>>,
    /// Who may decide this level; without it, `[decisions] deciders`.
    #[serde(default)]
    pub deciders: Option<Vec<Spanned<String>>>,
    /// May a request start at this level (`request --level N`)?
    #[serde(default)]
    pub may_start: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PromoteAfter {
    ReviewElapsed,
    Decided,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPromotion {
    pub allowed_after: Spanned<Vec<PromoteAfter>>,
}

impl Default for RawPromotion {
    fn default() -> Self {
        RawPromotion { allowed_after: Spanned::new(0..0, vec![PromoteAfter::ReviewElapsed, PromoteAfter::Decided]) }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDestination {
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub trigger: String,
    #[serde(default)]
    pub fields: Vec<Spanned<String>>,
    #[serde(default)]
    pub immediate: bool,
    /// The review window of escalations sent here, instead of their level's.
    #[serde(default)]
    pub review: Option<super::Span>,
    /// Overrides the severity's rating for escalations sent here.
    #[serde(default)]
    pub rating: Option<Rating>,
    /// The notification channels told of this one's escalations.
    #[serde(default)]
    pub channels: Vec<Spanned<String>>,
    /// The channel paged for this one's escalations (or cases, for a severity).
    #[serde(default)]
    pub page: Option<Spanned<String>>,
    /// Who decides escalations sent here, instead of their level's deciders.
    #[serde(default)]
    pub deciders: Option<Vec<Spanned<String>>>,
}
