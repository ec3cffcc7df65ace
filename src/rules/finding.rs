//! What each rule of `check` found, as data: the renderers word it
//! (`render::finding`). The instants involved travel with it.

use chrono::{DateTime, Duration, Utc};

use crate::model::EscState;
use crate::policy::Span;

/// The escalation a rule found open, as the words about it need it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenOne {
    pub id: i64,
    pub state: EscState,
    pub level: u32,
    pub raised_by: String,
    pub since: DateTime<Utc>,
    pub requested_by: String,
    /// Who decided its level and when, once decided (approved or rejected).
    pub decided: Option<(String, DateTime<Utc>)>,
    /// It may be promoted (a level above, no immediate route).
    pub promotable: bool,
}

/// One rule's finding.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    CaseOpen {
        case: String,
    },
    CaseClosed {
        case: String,
    },
    SeverityUnknown {
        severity: u32,
        accepted: String,
    },
    NotEscalated {
        named: String,
        redirect: String,
    },
    Escalable {
        named: String,
    },
    RoutedAnyway {
        named: String,
        destination: String,
        key: String,
    },
    RoutesImmediately {
        destination: String,
        key: String,
    },
    TierUnknown {
        tier: String,
        accepted: String,
    },
    NoWaitSet {
        severity: u32,
        tier: String,
    },
    NoWait {
        severity: u32,
        tier: String,
    },
    /// The wait is paused while the case waits on the customer since `since`.
    WaitPaused {
        severity: u32,
        tier: String,
        span: Span,
        since: DateTime<Utc>,
        case: String,
    },
    WaitBeyondHorizon {
        span: Span,
    },
    /// The wait ends (or ended) at `ends`, `paused` longer for the time waiting on the customer.
    Wait {
        severity: u32,
        tier: String,
        span: Span,
        paused: Duration,
        ends: DateTime<Utc>,
        ended: bool,
    },
    /// The wait window was skipped: reason `key` may skip it, and the deadline falls before it ends.
    WaitSkipped {
        key: String,
        label: String,
        deadline: DateTime<Utc>,
        ends: DateTime<Utc>,
    },
    /// The wait has not ended, but reason `key` may skip it given a deadline before `ends`.
    WaitSkippable {
        key: String,
        label: String,
        ends: DateTime<Utc>,
    },
    /// Reason `key` may skip the wait, but the deadline given falls when it has ended.
    DeadlineAfterWait {
        key: String,
        deadline: DateTime<Utc>,
        ends: DateTime<Utc>,
    },
    NoneOpen,
    /// A rejected escalation: `actor_may_replace` when the actor is its requester and the policy allows it.
    Rejected {
        case: String,
        open: OpenOne,
        actor_may_replace: bool,
        promote_only: bool,
    },
    AlreadyOpen {
        case: String,
        open: OpenOne,
    },
    Reason {
        key: String,
        label: String,
    },
    ReasonLateResponse {
        key: String,
        label: String,
        sla: String,
    },
    ReasonNeedsTarget {
        key: String,
        sla: String,
    },
    ReasonNotApplicable {
        key: String,
        sla: String,
    },
    ReasonNotYet {
        key: String,
        sla: String,
    },
    Destination {
        key: String,
        label: String,
        fields: Vec<String>,
    },
}
