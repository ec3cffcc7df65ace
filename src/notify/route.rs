//! Who hears of what: an event's topic, and the channels the policy routes it
//! to (the level's audience, the destination, pagers, people). Pure.

use crate::events::EventBody;
use crate::model::{Case, EscState, Escalation};
use crate::policy::Policy;
use crate::policy::channels::Route;

use super::Topic;

/// Whether a case of severity `sev` is told to channels as an outage.
pub fn pages(policy: &Policy, sev: u32) -> bool {
    policy.notify.severities.get(&sev).is_some_and(|r| r.page.is_some() || !r.channels.is_empty())
}

/// The topic of an event, if it is one that is told; `case` is the case after the event.
pub fn topic_of(policy: &Policy, body: &EventBody, case: &Case) -> Option<Topic> {
    Some(match body {
        EventBody::Requested(_) | EventBody::AccountRequested(_) => Topic::Requested,
        EventBody::Promoted(_) => Topic::Promoted,
        EventBody::Decided(d) if d.decision == EscState::Approved => Topic::Approved,
        EventBody::Decided(_) => Topic::Rejected,
        EventBody::Assigned(_) => Topic::Assigned,
        EventBody::HandedOff(_) => Topic::HandedOff,
        EventBody::CustomerUpdated(_) => Topic::Updated,
        EventBody::Closed(_) => Topic::Closed,
        EventBody::Reopened(_) => Topic::Reopened,
        EventBody::Withdrawn(_) => Topic::Withdrawn,
        EventBody::CaseAdded(_) if pages(policy, case.severity) => Topic::Outage,
        EventBody::CaseUpdated(changes) if pages(policy, case.severity) => {
            let raised = changes.get("severity").is_some_and(|c| c.from.as_u64() != Some(u64::from(case.severity)));
            let reopened = changes.get("status").is_some_and(|c| c.to.as_str() == Some("open"));
            if !(raised || reopened) {
                return None;
            }
            Topic::Outage
        }
        EventBody::CaseReopened(_) if pages(policy, case.severity) => Topic::Outage,
        EventBody::CaseClosed(_) if pages(policy, case.severity) => Topic::OutageEnded,
        _ => return None,
    })
}

/// Why a channel hears of something, for `notify list` and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Because {
    Level(u32),
    Destination(String),
    Severity(u32),
    /// Paged: by the level, destination or severity named.
    Page,
    Person(String),
}

/// A channel to tell, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub channel: String,
    pub because: Because,
}

struct Collect(Vec<Recipient>);

impl Collect {
    fn add(&mut self, channel: &str, because: Because) {
        if !self.0.iter().any(|r| r.channel == channel) {
            self.0.push(Recipient { channel: channel.to_string(), because });
        }
    }

    fn route(&mut self, r: Option<&Route>, because: Because) {
        for c in r.map(|r| r.channels.as_slice()).unwrap_or_default() {
            self.add(c, because.clone());
        }
    }

    fn page(&mut self, r: Option<&Route>) {
        if let Some(p) = r.and_then(|r| r.page.as_deref()) {
            self.add(p, Because::Page);
        }
    }

    fn person(&mut self, policy: &Policy, name: &str) {
        for c in policy.notify.person(name).map(|p| p.channels.as_slice()).unwrap_or_default() {
            self.add(c, Because::Person(name.to_string()));
        }
    }
}

/// The channels told of `topic` on this case and escalation, each once.
pub fn recipients(policy: &Policy, topic: Topic, case: &Case, esc: Option<&Escalation>) -> Vec<Recipient> {
    let n = &policy.notify;
    let mut out = Collect(Vec::new());
    let severity = n.severities.get(&case.severity);
    let Some(esc) = esc else {
        if matches!(topic, Topic::Outage | Topic::OutageEnded) {
            out.page(severity);
            out.route(severity, Because::Severity(case.severity));
        }
        return out.0;
    };
    let level = n.levels.get(&esc.level);
    let destination = n.destinations.get(&esc.destination);
    // Pages first: they are what wakes someone.
    match topic {
        Topic::Requested | Topic::Reopened => {
            out.page(destination);
            out.page(severity);
            for l in 1..=esc.level {
                out.page(n.levels.get(&l));
            }
        }
        Topic::Promoted => out.page(level),
        t if t.resolves() => {
            out.page(destination);
            out.page(severity);
            for l in 1..=esc.level {
                out.page(n.levels.get(&l));
            }
        }
        _ => {}
    }
    // Each level's audience includes the levels' below it: their channels hear too.
    out.route(level, Because::Level(esc.level));
    for l in (1..esc.level).rev() {
        out.route(n.levels.get(&l), Because::Level(l));
    }
    out.route(destination, Because::Destination(esc.destination.clone()));
    match topic {
        Topic::Rejected => out.person(policy, &esc.requested_by),
        Topic::Assigned | Topic::HandedOff | Topic::Overdue => out.person(policy, &esc.owner),
        // An account escalation is owned from its request by the account's DRI, who
        // did not ask for it: told as an owner is.
        Topic::Requested if esc.account.is_some() && !crate::model::same_actor(&esc.owner, &esc.requested_by) => {
            out.person(policy, &esc.owner);
        }
        _ => {}
    }
    out.0
}
