//! The escalation document (business impact, problem narrative, reproduction,
//! actions taken, customer communication, the request, references), assembled
//! from what the ledger holds: the package items, the destination's fields, the
//! case, its SLA position, the actions and references noted, and the customer
//! updates. Every text given appears once, in the section it means.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::Serialize;

use super::sla;
use crate::events::EventBody;
use crate::model::{Case, Escalation, Event, Package};
use crate::policy::{Policy, Rating};

/// A package item: its key (also its flag), what it asks, and the destination
/// fields that mean the same thing. The document shows the item and each of
/// those fields given, the item first.
pub struct Item {
    pub key: &'static str,
    pub label: &'static str,
    pub from_fields: &'static [&'static str],
}

pub const ITEMS: &[Item] = &[
    Item { key: "summary", label: "One-line summary", from_fields: &["summary"] },
    Item { key: "rating", label: "Severity: critical, high or medium (overrides the policy's)", from_fields: &[] },
    Item { key: "affected", label: "Affected customers: count and names", from_fields: &["affected"] },
    Item { key: "effect", label: "Operational effect: what is broken for them", from_fields: &["effect", "impact"] },
    Item {
        key: "revenue",
        label: "Revenue: what ARR is exposed, are pipeline deals at risk",
        from_fields: &["revenue", "revenue-exposure"],
    },
    Item {
        key: "breadth",
        label: "Breadth: how many customers or end users, and is it growing",
        from_fields: &["breadth"],
    },
    Item { key: "depth", label: "Depth: fully blocked or merely inconvenienced", from_fields: &["depth"] },
    Item {
        key: "duration",
        label: "Duration: how long it has persisted, when it becomes critical",
        from_fields: &["duration"],
    },
    Item {
        key: "reputation",
        label: "Reputation: could it reach press or social media, is a reference account involved",
        from_fields: &["reputation"],
    },
    Item {
        key: "contractual",
        label: "Contractual: are SLA terms violated, do penalties apply",
        from_fields: &["contractual"],
    },
    Item {
        key: "narrative",
        label: "Problem narrative: what, since when, how it presents, how wide",
        from_fields: &["narrative", "context", "use-case", "observations"],
    },
    Item { key: "steps", label: "Reproduction steps, one per line", from_fields: &["steps", "reproduction"] },
    Item { key: "expected", label: "Expected outcome", from_fields: &["expected"] },
    Item { key: "observed", label: "Observed outcome", from_fields: &["observed"] },
    Item {
        key: "environment",
        label: "Environment: browser, OS, plan tier, feature flags",
        from_fields: &["environment"],
    },
    Item {
        key: "customer-expectation",
        label: "Customer expectation: what they believe will happen, and by when",
        from_fields: &["customer-expectation"],
    },
    Item {
        key: "escalation-risk",
        label: "Further escalation risk: how likely the customer escalates beyond you",
        from_fields: &["escalation-risk"],
    },
    Item {
        key: "ask",
        label: "The request: investigate, ship a fix, make a decision or approve an exception",
        from_fields: &["ask", "decision-needed"],
    },
    Item { key: "deadline", label: "Hard deadline", from_fields: &["deadline"] },
];

/// The impact dimensions of the business impact section, asked by the guided request.
pub const IMPACT: &[&str] = &["breadth", "depth", "duration", "revenue", "reputation", "contractual"];

/// The "when not to escalate" checks: (key, question, why it should not be escalated).
pub const SCREENS: &[(&str, &str, &str)] = &[
    (
        "documented-fix",
        "Does a documented fix or known workaround address the problem?",
        "a documented fix or workaround addresses it: apply it",
    ),
    (
        "configuration-error",
        "Is the root cause a configuration or setup error you can correct?",
        "it is a configuration or setup error you can correct",
    ),
    (
        "coaching",
        "Does the customer need coaching or training rather than a product change?",
        "the customer needs coaching or training, not a product change",
    ),
    (
        "documented-limitation",
        "Is the limitation documented, with an alternative path?",
        "the limitation is documented and an alternative path exists",
    ),
    (
        "resolved-before",
        "Were past tickets with the same profile resolved at the support tier?",
        "tickets with the same profile were resolved at the support tier",
    ),
];

pub fn item(key: &str) -> Option<&'static Item> {
    ITEMS.iter().find(|i| i.key == key)
}

/// Why the answers say this should not be escalated, if they do.
pub fn screened_out(screening: &IndexMap<String, bool>) -> Vec<&'static str> {
    SCREENS.iter().filter(|(k, _, _)| screening.get(*k) == Some(&true)).map(|(_, _, why)| *why).collect()
}

/// Text worth showing: not blank.
fn given(s: &str) -> Option<String> {
    Some(s.to_string()).filter(|s| !s.trim().is_empty())
}

/// The item's own text, as the package records it.
pub fn own(esc: &Escalation, key: &str) -> Option<String> {
    esc.package.items.get(key).and_then(|v| given(v))
}

/// The destination fields given that hold the item, by key.
pub fn fields_of<'a>(esc: &'a Escalation, key: &str) -> Vec<(&'static str, &'a str)> {
    let Some(it) = item(key) else { return Vec::new() };
    it.from_fields
        .iter()
        .filter_map(|f| esc.fields.get(*f).filter(|v| !v.trim().is_empty()).map(|v| (*f, v.as_str())))
        .collect()
}

/// Every text given for an item: the package's own, then each destination
/// field that holds it, in order; a text given twice is shown once.
pub fn values(esc: &Escalation, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let texts = own(esc, key).into_iter().chain(fields_of(esc, key).into_iter().map(|(_, v)| v.to_string()));
    for t in texts {
        if !out.iter().any(|o| o.trim() == t.trim()) {
            out.push(t);
        }
    }
    out
}

/// The rating and where it comes from: the package's override, the
/// destination's, or the severity's.
pub fn rating(policy: &Policy, case: &Case, esc: &Escalation) -> (Rating, String) {
    if let Some(r) = esc.package.items.get("rating").and_then(|r| Rating::parse(r)) {
        return (r, "set on the package".into());
    }
    if let Some(r) = policy.destinations.get(&esc.destination).and_then(|d| d.rating) {
        return (r, format!("the policy rates {} escalations so", esc.destination));
    }
    let r = policy.severities.get(&case.severity).map_or(Rating::Medium, |s| s.rating);
    (r, format!("the policy rates severity {} so", case.severity))
}

#[derive(Debug, Serialize)]
pub struct Action {
    pub action: String,
    pub outcome: Option<String>,
    #[serde(serialize_with = "crate::model::ser_time")]
    pub at: DateTime<Utc>,
    pub by: String,
    /// Written in a destination field of the request (`actions-taken`, ...):
    /// shown as written, with no outcome of its own.
    #[serde(skip)]
    pub as_written: bool,
}

#[derive(Debug, Serialize)]
pub struct Reference {
    pub reference: String,
    #[serde(serialize_with = "crate::model::ser_time")]
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Serialize)]
pub struct Update {
    #[serde(serialize_with = "crate::model::ser_time")]
    pub at: DateTime<Utc>,
    pub note: String,
}

/// The texts given for one part of the document, in order. As JSON: null when
/// none was given, else the texts joined by "; ".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts(pub Vec<String>);

impl Texts {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }

    pub fn joined(&self, sep: &str) -> Option<String> {
        Some(self.0.join(sep)).filter(|_| !self.0.is_empty())
    }
}

impl Serialize for Texts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.joined("; ").serialize(s)
    }
}

/// Paragraphs as JSON: null when none was given, else separated by a blank line.
fn ser_paragraphs<S: serde::Serializer>(t: &Texts, s: S) -> Result<S::Ok, S::Error> {
    t.joined("\n\n").serialize(s)
}

/// The whole document as data: `package --format json` prints it as is.
#[derive(Debug, Serialize)]
pub struct Document {
    pub case: String,
    pub customer: String,
    pub escalation: i64,
    /// An account escalation's customer, and the cases it spans (null and empty for
    /// a case escalation).
    pub account: Option<String>,
    pub linked: Vec<String>,
    /// Routed straight to its destination, past the levels (a security escalation).
    pub routed_immediately: bool,
    pub level: u32,
    pub state: String,
    pub summary: String,
    pub severity: String,
    pub severity_source: String,
    pub routed_to: String,
    pub reason: String,
    pub description: String,
    pub affected_customers: Texts,
    pub operational_effect: Texts,
    pub revenue_exposure: Texts,
    pub sla_position: String,
    pub sla_detail: String,
    pub impact: IndexMap<String, Texts>,
    #[serde(serialize_with = "ser_paragraphs")]
    pub narrative: Texts,
    pub steps: Vec<String>,
    pub expected: Texts,
    pub observed: Texts,
    pub environment: Texts,
    pub actions: Vec<Action>,
    pub most_recent_update: Option<Update>,
    #[serde(serialize_with = "crate::model::ser_opt_time")]
    pub next_touch_point: Option<DateTime<Utc>>,
    pub customer_expectation: Texts,
    pub escalation_risk: Texts,
    pub ask: Texts,
    pub hard_deadline: Texts,
    pub references: Vec<Reference>,
    pub screening: IndexMap<String, bool>,
    /// Why it was escalated although a "when not to escalate" check said yes.
    pub escalated_anyway_why: Option<String>,
    pub fields: IndexMap<String, String>,
    /// The destination's fields that no section of the document holds.
    pub other_fields: IndexMap<String, String>,
    /// The account's people and who is on call, when the command knows them.
    pub people: crate::roster::People,
}

/// Destination fields that say what was already done: each of their lines is
/// an action taken, shown as written.
const ACTION_FIELDS: &[&str] = &["actions-taken", "troubleshooting", "containment"];

/// A step without its list marker ("1. ", "2) ", "- ", "* "); the rest kept.
fn strip_marker(line: &str) -> String {
    let l = line.trim();
    let digits = l.chars().take_while(char::is_ascii_digit).count();
    let rest = &l[digits..];
    let rest = if digits > 0 && (rest.starts_with(". ") || rest.starts_with(") ")) {
        &rest[2..]
    } else if digits == 0 && (l.starts_with("- ") || l.starts_with("* ")) {
        &l[2..]
    } else {
        l
    };
    rest.trim().to_string()
}

/// The lines of a list as written, without their markers.
fn list_lines(s: &str) -> impl Iterator<Item = String> + '_ {
    s.lines().map(strip_marker).filter(|l| !l.is_empty())
}

/// Assemble the document of `esc` from the ledger's rows for its case.
pub fn document(policy: &Policy, case: &Case, esc: &Escalation, events: &[Event], now: DateTime<Utc>) -> Document {
    let v = |k: &str| Texts(values(esc, k));
    let (rating, source) = rating(policy, case, esc);
    let sla = sla::position(policy, case, now);
    let mine = |e: &&Event| e.escalation.is_none_or(|id| id == esc.id);
    // What the request's fields say was done, as the requester wrote it, at the request.
    let mut actions: Vec<Action> = ACTION_FIELDS
        .iter()
        .filter_map(|f| esc.fields.get(*f))
        .flat_map(|done| list_lines(done))
        .map(|action| Action {
            action,
            outcome: None,
            at: esc.requested_at,
            by: esc.requested_by.clone(),
            as_written: true,
        })
        .collect();
    actions.extend(events.iter().filter(mine).filter_map(|e| match &e.body {
        EventBody::ActionNoted(a) => Some(Action {
            action: given(&a.action)?,
            outcome: a.outcome.as_deref().and_then(given),
            at: e.at,
            by: e.actor.clone(),
            as_written: false,
        }),
        _ => None,
    }));
    // Oldest first: what the request says was done sits at the request, before
    // the notes made since (and after those noted on the case before it).
    actions.sort_by_key(|a| a.at);
    let references = events
        .iter()
        .filter(mine)
        .filter_map(|e| match &e.body {
            EventBody::Attached(a) => {
                Some(Reference { reference: given(&a.reference)?, at: e.at, by: e.actor.clone() })
            }
            _ => None,
        })
        .collect();
    let most_recent_update = events
        .iter()
        .rev()
        .filter(|e| e.escalation == Some(esc.id))
        .find_map(|e| match &e.body {
            EventBody::CustomerUpdated(u) => Some((e.at, u)),
            _ => None,
        })
        .and_then(|(at, u)| Some(Update { at, note: given(&u.note)? }));
    let summary = v("summary")
        .joined("; ")
        .or_else(|| Some(case.title.clone()).filter(|t| !t.trim().is_empty()))
        .unwrap_or_else(|| esc.description.lines().next().unwrap_or_default().to_string());
    let steps = values(esc, "steps").iter().flat_map(|s| list_lines(s).collect::<Vec<_>>()).collect();
    // The destination's fields that no section holds are shown as they are.
    let used: Vec<&str> =
        ITEMS.iter().flat_map(|i| i.from_fields.iter().copied()).chain(ACTION_FIELDS.iter().copied()).collect();
    let other_fields: IndexMap<String, String> =
        esc.fields.iter().filter(|(k, _)| !used.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    Document {
        case: case.id.clone(),
        customer: case.customer.clone(),
        escalation: esc.id,
        account: esc.account.clone(),
        linked: esc.linked.clone(),
        routed_immediately: policy.routed_directly(&esc.destination).is_some(),
        level: esc.level,
        state: esc.state.to_string(),
        summary,
        severity: rating.label().to_string(),
        severity_source: source,
        routed_to: policy.destinations.get(&esc.destination).map_or(esc.destination.clone(), |d| d.label.clone()),
        reason: policy.reasons.get(&esc.reason).map_or(esc.reason.clone(), |r| r.label.clone()),
        description: esc.description.clone(),
        affected_customers: v("affected"),
        operational_effect: v("effect"),
        revenue_exposure: v("revenue"),
        sla_position: serde_json::to_value(sla.position)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        sla_detail: sla.detail,
        impact: IMPACT.iter().map(|k| (k.to_string(), v(k))).collect(),
        narrative: v("narrative"),
        steps,
        expected: v("expected"),
        observed: v("observed"),
        environment: v("environment"),
        actions,
        most_recent_update,
        next_touch_point: esc.next_touch_at,
        customer_expectation: v("customer-expectation"),
        escalation_risk: v("escalation-risk"),
        ask: v("ask"),
        hard_deadline: v("deadline"),
        references,
        screening: esc.package.screening.clone(),
        escalated_anyway_why: esc.package.escalated_anyway_why.clone(),
        fields: esc.fields.clone(),
        other_fields,
        people: Default::default(),
    }
}

/// Items set by flags, checked: a known key, a rating the policy knows, a
/// deadline as a time. Returns the items to merge into the package.
pub fn merge(pkg: &mut Package, items: &IndexMap<String, String>) -> Result<Vec<String>, String> {
    let mut changed = Vec::new();
    for (k, v) in items {
        if item(k).is_none() {
            return Err(format!("unknown package item {k:?}"));
        }
        if k == "rating" && Rating::parse(v).is_none() {
            return Err(format!("--rating {v:?} is not critical, high or medium"));
        }
        if pkg.items.get(k) != Some(v) {
            pkg.items.insert(k.clone(), v.clone());
            changed.push(k.clone());
        }
    }
    Ok(changed)
}

#[cfg(test)]
#[path = "package_tests.rs"]
mod tests;
