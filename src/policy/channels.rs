//! Notification channels, the people messages mention, who is told of what
//! (routes on levels, destinations and severities) and how delivery retries.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use super::raw::RawPolicy;

/// `[channels.NAME]` as written. Secrets are tables naming where to read them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub kind: Spanned<String>,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub url: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub secret: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub routing_key: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub endpoint: Option<Spanned<String>>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub command: Option<Spanned<Vec<String>>>,
}

/// `[notify]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    #[serde(default = "five")]
    pub budget_seconds: u64,
    #[serde(default = "eight")]
    pub max_attempts: u32,
    #[serde(default = "sixty")]
    pub retry_seconds: u64,
}

impl Default for RawNotify {
    fn default() -> Self {
        RawNotify { budget_seconds: five(), max_attempts: eight(), retry_seconds: sixty() }
    }
}

fn five() -> u64 {
    5
}
fn eight() -> u32 {
    8
}
fn sixty() -> u64 {
    60
}

/// Where a secret is read at delivery time: never from the policy itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// An environment variable.
    Env(String),
    /// A key of `[secrets]` in the user's config file.
    Config(String),
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Env(v) => write!(f, "environment variable {v}"),
            Secret::Config(k) => write!(f, "secrets.{k} in the config file"),
        }
    }
}

/// The default PagerDuty Events API v2 endpoint.
pub const PAGERDUTY_EVENTS: &str = "https://events.pagerduty.com/v2/enqueue";

/// What a channel delivers to, with what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A JSON POST of the event, signed (Standard Webhooks) when a secret is set.
    Webhook { url: Secret, signing: Option<Secret> },
    /// A Slack incoming webhook.
    Slack { url: Secret },
    /// A Microsoft Teams Workflows webhook (an Adaptive Card).
    Teams { url: Secret },
    /// PagerDuty Events API v2.
    PagerDuty { routing_key: Secret, endpoint: String, source: Option<String> },
    /// A program run with the event JSON on stdin.
    Command { argv: Vec<String> },
}

impl Target {
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Webhook { .. } => "webhook",
            Target::Slack { .. } => "slack",
            Target::Teams { .. } => "teams",
            Target::PagerDuty { .. } => "pagerduty",
            Target::Command { .. } => "command",
        }
    }
}

/// The kinds a channel may be, for error messages.
pub const KINDS: &str = "webhook, slack, teams, pagerduty, command";

#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub label: String,
    pub target: Target,
}

/// A person: how messages mention them, and their own channels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person {
    pub handle: Option<String>,
    pub channels: Vec<String>,
}

/// Who hears of an escalation at a level, to a destination, or of a case of a severity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route {
    pub channels: Vec<String>,
    pub page: Option<String>,
}

/// Everything about telling people: channels, people, routes, delivery settings.
#[derive(Debug, Clone, Default)]
pub struct Notifications {
    pub channels: IndexMap<String, Channel>,
    pub people: IndexMap<String, Person>,
    pub levels: BTreeMap<u32, Route>,
    pub destinations: IndexMap<String, Route>,
    pub severities: BTreeMap<u32, Route>,
    /// The time all deliveries of one command may take together.
    pub budget: Duration,
    /// Attempts before a delivery is given up (a dead letter).
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles with each failure.
    pub retry: Duration,
}

impl Notifications {
    /// The person named `actor`, if the policy lists them (names compare as actors do).
    pub fn person(&self, actor: &str) -> Option<&Person> {
        self.people.iter().find(|(name, _)| crate::model::same_actor(name, actor)).map(|(_, p)| p)
    }
}

/// Why `url` may not be used, if it may not: only https, or http to this machine.
pub fn url_problem(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("https://") && lower.len() > "https://".len() {
        return None;
    }
    if let Some(rest) = lower.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let host = if host.starts_with('[') {
            host.split(']').next().map_or(host, |h| &h[1..])
        } else {
            host.split(':').next().unwrap_or(host)
        };
        let loopback = host.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
        if host == "localhost" || loopback {
            return None;
        }
        return Some("plain http is allowed only to this machine (127.0.0.1, localhost, [::1]): use https".into());
    }
    Some("a URL here starts with https:// (or http:// to this machine)".into())
}

/// A URL with a user or password before its host, or a query: where credentials go.
fn carries_credentials(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.contains('@') || url.contains('?')
}

/// Records a problem at a span; `false` when the line must not be quoted (it holds a secret).
type Problem<'a> = &'a mut dyn FnMut(Range<usize>, String, bool);

/// A secret field: `{ env = "NAME" }` or `{ config = "KEY" }`, never the value itself.
fn secret(field: &str, channel: &str, v: &Spanned<toml::Value>, problem: Problem) -> Option<Secret> {
    let how = format!(
        "channel {channel:?}: {field} is a secret and is never written in the policy: \
         name where to read it, {field} = {{ env = \"VARIABLE\" }} or {field} = {{ config = \"KEY\" }} \
         (a key of [secrets] in the user config file)"
    );
    let table = match v.get_ref() {
        toml::Value::Table(t) if t.len() == 1 => t,
        _ => {
            problem(v.span(), how, false);
            return None;
        }
    };
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match table.iter().next() {
        Some((k, toml::Value::String(name))) if k == "env" && ok(name) => Some(Secret::Env(name.clone())),
        Some((k, toml::Value::String(name))) if k == "config" && ok(name) => Some(Secret::Config(name.clone())),
        _ => {
            problem(v.span(), how, false);
            None
        }
    }
}

fn channel(name: &str, raw: &Spanned<RawChannel>, problem: Problem) -> Option<Channel> {
    let c = raw.get_ref();
    let kind = c.kind.get_ref().as_str();
    let need = |field: &str, v: &Option<Spanned<toml::Value>>, problem: Problem| match v {
        Some(v) => secret(field, name, v, problem),
        None => {
            problem(
                raw.span(),
                format!("channel {name:?} of kind {kind} needs {field} = {{ env = \"VARIABLE\" }}"),
                true,
            );
            None
        }
    };
    let unused = |field: &str, given: bool, problem: Problem| {
        if given {
            problem(raw.span(), format!("channel {name:?} of kind {kind} takes no {field}"), true);
        }
    };
    let target = match kind {
        "webhook" | "slack" | "teams" => {
            unused("routing_key", c.routing_key.is_some(), problem);
            unused("command", c.command.is_some(), problem);
            unused("endpoint", c.endpoint.is_some(), problem);
            if kind != "webhook" {
                unused("secret", c.secret.is_some(), problem);
            }
            let url = need("url", &c.url, problem)?;
            match kind {
                "webhook" => {
                    let signing = c.secret.as_ref().and_then(|s| secret("secret", name, s, problem));
                    Target::Webhook { url, signing }
                }
                "slack" => Target::Slack { url },
                _ => Target::Teams { url },
            }
        }
        "pagerduty" => {
            unused("url", c.url.is_some(), problem);
            unused("secret", c.secret.is_some(), problem);
            unused("command", c.command.is_some(), problem);
            let endpoint = c.endpoint.as_ref().map_or(PAGERDUTY_EVENTS.to_string(), |e| e.get_ref().clone());
            if let Some(e) = &c.endpoint
                && carries_credentials(&endpoint)
            {
                let why = format!(
                    "channel {name:?}: endpoint carries credentials (a user, a password or a query): \
                     the policy file is no place for secrets; give the endpoint alone (the routing key comes from routing_key)"
                );
                problem(e.span(), why, false);
            } else if let (Some(e), Some(why)) = (&c.endpoint, url_problem(&endpoint)) {
                problem(e.span(), format!("channel {name:?}: endpoint {endpoint:?}: {why}"), true);
            }
            let routing_key = need("routing_key", &c.routing_key, problem)?;
            Target::PagerDuty { routing_key, endpoint, source: c.source.clone() }
        }
        "command" => {
            for (f, given) in [("url", c.url.is_some()), ("secret", c.secret.is_some())] {
                unused(f, given, problem);
            }
            unused("routing_key", c.routing_key.is_some(), problem);
            let argv = c.command.as_ref().map(|a| a.get_ref().clone()).unwrap_or_default();
            if argv.first().is_none_or(|p| p.trim().is_empty()) {
                let span = c.command.as_ref().map_or(raw.span(), Spanned::span);
                problem(span, format!("channel {name:?} needs command = [\"program\", \"arg\", ...]"), true);
                return None;
            }
            Target::Command { argv }
        }
        other => {
            problem(c.kind.span(), format!("channel {name:?} has unknown kind {other:?} (kinds: {KINDS})"), true);
            return None;
        }
    };
    let label = if c.label.trim().is_empty() { name.to_string() } else { c.label.clone() };
    Some(Channel { label, target })
}

/// Channel names in a route, each defined under [channels].
fn route(
    what: &str,
    channels: &[Spanned<String>],
    page: &Option<Spanned<String>>,
    known: &IndexMap<String, Spanned<RawChannel>>,
    problem: Problem,
) -> Route {
    let mut check = |n: &Spanned<String>| {
        if !known.contains_key(n.get_ref()) {
            let names = known.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
            let names = if names.is_empty() { "none are defined".to_string() } else { names };
            problem(
                n.span(),
                format!(
                    "{what} names unknown channel {:?}: define it under [channels] (channels: {names})",
                    n.get_ref()
                ),
                true,
            );
        }
    };
    channels.iter().for_each(&mut check);
    page.iter().for_each(&mut check);
    Route {
        channels: channels.iter().map(|c| c.get_ref().clone()).collect(),
        page: page.as_ref().map(|p| p.get_ref().clone()),
    }
}

/// Check and type the notification tables; `problem` records what is wrong at a span.
pub fn build(raw: &RawPolicy, problem: Problem) -> Notifications {
    let mut channels = IndexMap::new();
    for (name, c) in &raw.channels {
        if let Some(ch) = channel(name, c, problem) {
            channels.insert(name.clone(), ch);
        }
    }
    let known = &raw.channels;
    let mut people = IndexMap::new();
    for (name, p) in &raw.people {
        let r = route(&format!("person {name:?}"), &p.channels, &None, known, problem);
        people.insert(name.clone(), Person { handle: p.handle.clone(), channels: r.channels });
    }
    let mut out = Notifications { channels, people, ..Notifications::default() };
    for (key, l) in raw.levels.get_ref() {
        if let Ok(n) = key.parse::<u32>() {
            let l = l.get_ref();
            out.levels.insert(n, route(&format!("level {n}"), &l.channels, &l.page, known, problem));
        }
    }
    for (key, d) in raw.destinations.get_ref() {
        let d = d.get_ref();
        out.destinations
            .insert(key.clone(), route(&format!("destination {key:?}"), &d.channels, &d.page, known, problem));
    }
    for (key, s) in raw.severities.get_ref() {
        if let Ok(n) = key.parse::<u32>() {
            let s = s.get_ref();
            out.severities.insert(n, route(&format!("severity {n}"), &s.channels, &s.page, known, problem));
        }
    }
    let n = raw.notify.get_ref();
    if !(1..=600).contains(&n.budget_seconds) {
        problem(raw.notify.span(), format!("notify.budget_seconds is {}: give 1 to 600", n.budget_seconds), true);
    }
    if !(1..=100).contains(&n.max_attempts) {
        problem(raw.notify.span(), format!("notify.max_attempts is {}: give 1 to 100", n.max_attempts), true);
    }
    if !(1..=86_400).contains(&n.retry_seconds) {
        problem(raw.notify.span(), format!("notify.retry_seconds is {}: give 1 to 86400", n.retry_seconds), true);
    }
    out.budget = Duration::from_secs(n.budget_seconds);
    out.max_attempts = n.max_attempts;
    out.retry = Duration::from_secs(n.retry_seconds);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert_eq!(url_problem("https://hooks.slack.com/x"), None);
        assert_eq!(url_problem("http://127.0.0.1:8080/hook"), None);
        assert_eq!(url_problem("http://localhost/hook"), None);
        assert_eq!(url_problem("http://[::1]:9/x"), None);
        assert!(url_problem("http://example.com/hook").is_some());
        assert!(url_problem("http://127.0.0.1.evil.com/x").is_some());
        assert!(url_problem("http://user@evil.com/x").is_some());
        assert!(url_problem("ftp://x").is_some());
        assert!(url_problem("https://").is_some());
    }
}
