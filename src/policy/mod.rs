//! The validated policy model: tiers, severities and wait windows, the business
//! calendar, reasons, levels, promotion rules and destinations.

pub mod accounts;
pub mod calendar;
pub mod channels;
pub mod diff;
mod levels;
pub mod load;
pub mod people;
mod problems;
mod raw;
pub mod signals;
pub mod span;
mod validate;

use std::collections::BTreeMap;

use indexmap::IndexMap;

pub use calendar::Calendar;
pub use load::{Loaded, Origin};
pub use span::{Counting, Span};

/// The default policy, compiled in as the fallback.
pub const BUILT_IN: &str = include_str!("../../policy.toml");

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub description: String,
    pub calendar: Calendar,
    pub tiers: IndexMap<String, Tier>,
    pub severities: BTreeMap<u32, Severity>,
    pub reasons: IndexMap<String, Reason>,
    /// Index 0 is level 1.
    pub levels: Vec<Level>,
    pub promote_after_review: bool,
    pub promote_after_decision: bool,
    pub destinations: IndexMap<String, Destination>,
    pub fields: IndexMap<String, String>,
    /// Who may approve or reject; empty means anyone.
    pub deciders: Vec<Decider>,
    pub roles: IndexMap<String, Vec<String>>,
    /// May the actor who raised a level decide it?
    pub self_decision: bool,
    /// What a rejected escalation allows next.
    pub after_rejection: AfterRejection,
    /// Who besides the owner may hand off or assign an escalation (empty: the owner alone).
    pub take_over: Vec<Decider>,
    /// Which clocks stop while a case waits on the customer.
    pub pause_wait: bool,
    pub pause_touch: bool,
    pub pause_review: bool,
    pub signals: Signals,
    /// Channels, people, who is told of what, and how delivery retries.
    pub notify: channels::Notifications,
    /// The people the policy names: their roles and chat handles.
    pub people: IndexMap<String, people::Person>,
    /// The on-call roster's roles.
    pub oncall: people::OnCall,
    /// When cases may become an account escalation.
    pub accounts: accounts::Accounts,
}

/// After a rejection: may the requester request anew (the rejected escalation
/// ends), or may the escalation only be promoted or withdrawn?
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AfterRejection {
    #[default]
    NewRequest,
    PromoteOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decider {
    Actor(String),
    Role(String),
}

impl std::fmt::Display for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decider::Actor(a) => f.write_str(a),
            Decider::Role(r) => write!(f, "role:{r}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tier {
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Severity {
    pub label: String,
    pub escalable: bool,
    pub redirect: String,
    /// Wait window per tier key; complete for every tier when escalable.
    pub wait: IndexMap<String, Span>,
    pub rating: Rating,
    /// First-response target per tier key; a tier without one has no SLA position.
    pub first_response: IndexMap<String, Span>,
}

impl Severity {
    /// "severity 2 (High)", or "severity 3" when the label says no more than that.
    pub fn named(&self, n: u32) -> String {
        let plain = format!("severity {n}");
        if self.label.trim().is_empty() || self.label.trim().eq_ignore_ascii_case(&plain) {
            plain
        } else {
            format!("{plain} ({})", self.label)
        }
    }
}

/// The escalation document's severity rating: critical, high or medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Critical,
    High,
    Medium,
}

impl Rating {
    pub fn label(self) -> &'static str {
        match self {
            Rating::Critical => "Critical",
            Rating::High => "High",
            Rating::Medium => "Medium",
        }
    }

    pub fn parse(s: &str) -> Option<Rating> {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Some(Rating::Critical),
            "high" => Some(Rating::High),
            "medium" => Some(Rating::Medium),
            _ => None,
        }
    }
}

/// Thresholds of the signals `check` reports.
#[derive(Debug, Clone, Copy)]
pub struct Signals {
    pub recurring_cases: u32,
    pub recurring_window: Span,
    pub stalled_after: Span,
    pub sla_at_risk_percent: u32,
}

#[derive(Debug, Clone)]
pub struct Reason {
    pub label: String,
    pub help: String,
    pub needs_late_first_response: bool,
    /// The level a request for this reason starts at (1 unless the policy says).
    pub start_level: u32,
    /// Skips the wait window when a stated deadline falls before it ends.
    pub may_skip_wait: bool,
}

#[derive(Debug, Clone)]
pub struct Level {
    pub number: u32,
    pub name: String,
    pub audience: Vec<String>,
    pub reviewer: String,
    pub review: Span,
    /// How often the customer hears from us at this level, unless a touch-point was promised.
    pub update_every: Option<Span>,
    pub root_cause_analysis: bool,
    /// Who may decide this level; None: the policy's `[decisions] deciders`.
    pub deciders: Option<Vec<Decider>>,
    /// May a request start at this level?
    pub may_start: bool,
}

#[derive(Debug, Clone)]
pub struct Destination {
    pub label: String,
    pub receiver: String,
    pub trigger: String,
    pub fields: Vec<String>,
    /// Routed immediately: skips wait windows, the severity redirect and the
    /// level progression (004: security goes straight to its receiver).
    pub immediate: bool,
    /// The review window of escalations sent here, instead of their level's
    /// (an active security incident is reviewed within the hour).
    pub review: Option<Span>,
    pub rating: Option<Rating>,
    /// Who decides escalations sent here (the security team its reports), instead of
    /// their level's deciders; None: the level's.
    pub deciders: Option<Vec<Decider>>,
}

impl Policy {
    pub fn parse(text: &str, file: &str) -> anyhow::Result<Policy> {
        validate::parse(text, file)
    }

    /// The review window of an escalation at `level` sent to `destination`: the
    /// destination's own, else the level's.
    pub fn review_window(&self, level: u32, destination: &str) -> Option<Span> {
        let own = self.destinations.get(destination).and_then(|d| d.review);
        own.or_else(|| self.level(level).map(|l| l.review))
    }

    /// "severity 2 (High)", or "severity 7" for one the policy does not define.
    pub fn severity_named(&self, n: u32) -> String {
        self.severities.get(&n).map_or(format!("severity {n}"), |s| s.named(n))
    }

    pub fn level(&self, n: u32) -> Option<&Level> {
        n.checked_sub(1).and_then(|i| self.levels.get(i as usize))
    }

    /// The destination of an escalation that skips the level progression, if it is one.
    pub fn routed_directly(&self, destination: &str) -> Option<&Destination> {
        self.destinations.get(destination).filter(|d| d.immediate)
    }

    pub fn top_level(&self) -> u32 {
        self.levels.len() as u32
    }

    pub fn field_label<'a>(&'a self, key: &'a str) -> &'a str {
        self.fields.get(key).map_or(key, String::as_str)
    }

    /// "a, b, c": the accepted keys, for error messages.
    pub fn keys<V>(map: &IndexMap<String, V>) -> String {
        map.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
    }

    /// Whether `actor` is named in `list`, directly or by a role.
    pub fn names(&self, list: &[Decider], actor: &str) -> bool {
        list.iter().any(|d| match d {
            Decider::Actor(a) => crate::model::same_actor(a, actor),
            Decider::Role(r) => self.roles.get(r).is_some_and(|m| m.iter().any(|x| crate::model::same_actor(x, actor))),
        })
    }

    /// Who may decide an escalation at `level` sent to `destination`: the destination's
    /// own deciders, else the level's, else `[decisions] deciders` (empty: anyone).
    pub fn deciders_of(&self, level: u32, destination: &str) -> &[Decider] {
        let own = self.destinations.get(destination).and_then(|d| d.deciders.as_deref());
        own.or_else(|| self.level(level).and_then(|l| l.deciders.as_deref())).unwrap_or(&self.deciders)
    }

    /// Whether `actor` may decide such an escalation (named directly or by a role it holds).
    pub fn may_decide(&self, level: u32, destination: &str, actor: &str) -> bool {
        let list = self.deciders_of(level, destination);
        list.is_empty() || self.names(list, actor)
    }

    /// The members of a role, as `[roles]` and `[people]` give them.
    pub fn holders(&self, role: &str) -> &[String] {
        self.roles.get(role).map_or(&[], Vec::as_slice)
    }

    /// The chat handle of a person, when the policy gives one.
    pub fn handle(&self, name: &str) -> Option<&str> {
        self.people.values().find(|p| crate::model::same_actor(&p.name, name)).and_then(|p| p.handle.as_deref())
    }

    /// How the policy spells `actor`'s name, when it names them (as a person, a role's
    /// member, a decider or a taker-over) in another case: one person, one name in the log.
    pub fn spelling_of(&self, actor: &str) -> Option<&str> {
        self.people_named().find(|n| crate::model::same_actor(n, actor))
    }

    /// Every person the policy names: its people, the members of its roles, and
    /// those named as deciders or with take-over rights.
    pub fn people_named(&self) -> impl Iterator<Item = &str> {
        fn direct(list: &[Decider]) -> impl Iterator<Item = &str> {
            list.iter().filter_map(|d| if let Decider::Actor(a) = d { Some(a.as_str()) } else { None })
        }
        let levels = self.levels.iter().filter_map(|l| l.deciders.as_deref()).flat_map(direct);
        let levels = levels.chain(self.destinations.values().filter_map(|d| d.deciders.as_deref()).flat_map(direct));
        let people = self.people.values().map(|p| p.name.as_str());
        let members = self.roles.values().flatten().map(String::as_str);
        people.chain(members).chain(direct(&self.deciders)).chain(direct(&self.take_over)).chain(levels)
    }

    /// The levels a request may start at: 1, and those marked `may_start`.
    pub fn start_levels(&self) -> Vec<u32> {
        self.levels.iter().filter(|l| l.number == 1 || l.may_start).map(|l| l.number).collect()
    }

    pub fn severity_keys(&self) -> String {
        self.severities.keys().map(u32::to_string).collect::<Vec<_>>().join(", ")
    }
}
