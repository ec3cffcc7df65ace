//! The policy's notification channels and routes, for `policy show`: where
//! each secret is read from, never its value.

use serde_json::{Value, json};

use super::Out;
use crate::policy::Policy;
use crate::policy::channels::{Route, Target};

/// Where a channel delivers, in words; secrets by their source only.
fn target(t: &Target) -> String {
    match t {
        Target::Webhook { url, signing: Some(s) } => format!("POST to the URL in {url}, signed with {s}"),
        Target::Webhook { url, signing: None } => format!("POST to the URL in {url}, unsigned"),
        Target::Slack { url } | Target::Teams { url } => format!("the webhook URL in {url}"),
        Target::PagerDuty { routing_key, endpoint, .. } => format!("{endpoint}, routing key in {routing_key}"),
        Target::Command { argv } => format!("runs {}", argv.join(" ")),
    }
}

fn route(r: &Route) -> String {
    let mut parts = Vec::new();
    if !r.channels.is_empty() {
        parts.push(r.channels.join(", "));
    }
    if let Some(p) = &r.page {
        parts.push(format!("pages {p}"));
    }
    parts.join("; ")
}

/// The routes that name anything: (what, whom).
fn routes(p: &Policy) -> Vec<(String, String)> {
    let n = &p.notify;
    let levels = n.levels.iter().map(|(l, r)| (format!("level {l}"), route(r)));
    let dests = n.destinations.iter().map(|(d, r)| (format!("destination {d}"), route(r)));
    let sevs = n.severities.iter().map(|(s, r)| (format!("severity {s}"), route(r)));
    let people = n.people.iter().map(|(name, person)| {
        let handle = person.handle.as_deref().map(|h| format!("mentioned as {h}")).unwrap_or_default();
        let own = if person.channels.is_empty() { String::new() } else { person.channels.join(", ") };
        (format!("person {name}"), [own, handle].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; "))
    });
    levels.chain(dests).chain(sevs).chain(people).filter(|(_, w)| !w.is_empty()).collect()
}

pub fn json(p: &Policy) -> Value {
    let n = &p.notify;
    json!({
        "channels": n.channels.iter().map(|(k, c)| json!({
            "name": k, "label": c.label, "kind": c.target.kind(), "delivers": target(&c.target),
        })).collect::<Vec<_>>(),
        "routes": routes(p).into_iter().map(|(what, to)| json!({"for": what, "to": to})).collect::<Vec<_>>(),
        "budget_seconds": n.budget.as_secs(),
        "max_attempts": n.max_attempts,
        "retry_seconds": n.retry.as_secs(),
    })
}

pub fn tables(out: &Out, p: &Policy) -> String {
    let n = &p.notify;
    if n.channels.is_empty() {
        return "Notifications: no channels; nobody is told of escalations beyond this terminal.\n".into();
    }
    let mut t = out.table(&["Channel", "Kind", "Delivers to"]);
    for (k, c) in &n.channels {
        t.add_row(vec![k.clone(), c.target.kind().to_string(), target(&c.target)]);
    }
    let mut r = out.table(&["Who hears", "Channels"]);
    for (what, to) in routes(p) {
        r.add_row(vec![what, to]);
    }
    format!(
        "{}\n{t}\n{r}\nDelivered after each command within {}s; retried by `escalate notify flush` up to {} attempts, \
         the wait doubling from {}s.\n",
        out.bold("Notifications"),
        n.budget.as_secs(),
        n.max_attempts,
        n.retry.as_secs()
    )
}
