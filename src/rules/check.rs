//! May this case be escalated now? Every rule with its verdict, and when the
//! answer turns to yes if time alone will do it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Case, Escalation, Pause};
use crate::model::{CaseStatus, EscState, ser_opt_time};
use crate::policy::{AfterRejection, Policy};
use crate::rules::finding::{Finding, OpenOne};
use crate::rules::pause::{deadline, paused_clock};

/// The rules `check` evaluates, by the names they are shown under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    CaseOpen,
    Severity,
    WaitWindow,
    NoOpenEscalation,
    Reason,
    Destination,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::CaseOpen => "case-open",
            Rule::Severity => "severity",
            Rule::WaitWindow => "wait-window",
            Rule::NoOpenEscalation => "no-open-escalation",
            Rule::Reason => "reason",
            Rule::Destination => "destination",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule's verdict and what it found; the renderers word the finding
/// (its JSON carries the words as `detail`).
#[derive(Debug, Clone)]
pub struct RuleOutcome {
    pub rule: Rule,
    pub passed: bool,
    pub finding: Finding,
    /// For a failed rule that time will pass: when. Null otherwise.
    pub passes_at: Option<DateTime<Utc>>,
    /// The policy's zone and the time of the check, for the words.
    pub tz: chrono_tz::Tz,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Eligibility {
    pub case: String,
    pub eligible: bool,
    /// When the case became or becomes eligible; null when no time will make it eligible.
    #[serde(serialize_with = "ser_opt_time")]
    pub eligible_at: Option<DateTime<Utc>>,
    pub destination: Option<String>,
    pub reason: Option<String>,
    /// Since when the case waits on the customer; null when it does not.
    #[serde(serialize_with = "ser_opt_time")]
    pub waiting_since: Option<DateTime<Utc>>,
    /// Clock minutes the case has waited on the customer since it was opened.
    pub paused_minutes: i64,
    pub rules: Vec<RuleOutcome>,
}

/// What `check --json` prints: the verdict, then what informs it.
#[derive(Debug, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub verdict: Eligibility,
    pub sla: super::sla::Sla,
    pub signals: Vec<super::signals::Signal>,
    /// The account-escalation triggers the case meets (listed only when it meets one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub account_triggers: Vec<super::signals::Signal>,
    /// The customer's open account escalation that spans the case, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_escalation: Option<Spanning>,
}

/// An open account escalation spanning a case, as `check` names it.
#[derive(Debug, Clone, Serialize)]
pub struct Spanning {
    pub id: i64,
    pub customer: String,
    pub level: u32,
    pub state: EscState,
    pub owner: String,
}

impl Spanning {
    /// The customer's open account escalation, if it spans `case`.
    pub fn of(case: &str, account_escalations: &[Escalation]) -> Option<Spanning> {
        let e = crate::model::open_spanning(account_escalations, case)?;
        Some(Spanning {
            id: e.id,
            customer: e.account.clone().unwrap_or_default(),
            level: e.level,
            state: e.state,
            owner: e.owner.clone(),
        })
    }
}

impl Eligibility {
    pub fn failures(&self) -> impl Iterator<Item = &RuleOutcome> {
        self.rules.iter().filter(|r| !r.passed)
    }
}

/// No escalation may be open, but for a rejected one its requester may replace
/// with new facts, when the policy allows requesting anew after a rejection.
fn open_rule(policy: &Policy, case: &Case, escalations: &[Escalation], actor: &str) -> (bool, Finding) {
    let Some(e) = crate::model::open_escalation(escalations) else {
        return (true, Finding::NoneOpen);
    };
    let open = OpenOne {
        id: e.id,
        state: e.state,
        level: e.level,
        raised_by: e.raised_by.clone(),
        since: e.level_since,
        requested_by: e.requested_by.clone(),
        decided: e.decided_by.clone().zip(e.decided_at),
        promotable: policy.routed_directly(&e.destination).is_none() && e.level < policy.top_level(),
    };
    let case = case.id.clone();
    if e.state == EscState::Rejected {
        let promote_only = policy.after_rejection == AfterRejection::PromoteOnly;
        let mine = !promote_only && crate::model::same_actor(actor, &e.requested_by);
        return (mine, Finding::Rejected { case, open, actor_may_replace: mine, promote_only });
    }
    (false, Finding::AlreadyOpen { case, open })
}

/// A rule's verdict, built as the rules are evaluated.
struct Verdict {
    rule: Rule,
    passed: bool,
    finding: Finding,
    passes_at: Option<DateTime<Utc>>,
}

fn pass(rule: Rule, finding: Finding) -> Verdict {
    Verdict { rule, passed: true, finding, passes_at: None }
}

fn fail(rule: Rule, finding: Finding, passes_at: Option<DateTime<Utc>>) -> Verdict {
    Verdict { rule, passed: false, finding, passes_at }
}

/// What is asked: for whom, to where, for what reason. `destination` and
/// `reason` must be keys of the policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ask<'a> {
    pub actor: &'a str,
    pub destination: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// A deadline the requester states: a reason that `may_skip_wait` skips
    /// the wait window when it falls before the window ends.
    pub deadline: Option<DateTime<Utc>>,
}

/// Evaluate every rule.
pub fn check(
    policy: &Policy,
    case: &Case,
    escalations: &[Escalation],
    pauses: &[Pause],
    now: DateTime<Utc>,
    ask: Ask,
) -> Eligibility {
    let (destination, reason) = (ask.destination, ask.reason);
    let dest = destination.and_then(|d| policy.destinations.get(d).map(|v| (d, v)));
    let immediate = dest.is_some_and(|(_, d)| d.immediate);
    let mut rules = Vec::new();
    let mut time_gate: Option<DateTime<Utc>> = None;

    rules.push(match case.status {
        CaseStatus::Open => pass(Rule::CaseOpen, Finding::CaseOpen { case: case.id.clone() }),
        CaseStatus::Closed => fail(Rule::CaseOpen, Finding::CaseClosed { case: case.id.clone() }, None),
    });

    match policy.severities.get(&case.severity) {
        None => rules.push(fail(
            Rule::Severity,
            Finding::SeverityUnknown { severity: case.severity, accepted: policy.severity_keys() },
            None,
        )),
        Some(sev) if !sev.escalable && !immediate => rules.push(fail(
            Rule::Severity,
            Finding::NotEscalated { named: sev.named(case.severity), redirect: sev.redirect.clone() },
            None,
        )),
        Some(sev) => {
            rules.push(if sev.escalable {
                pass(Rule::Severity, Finding::Escalable { named: sev.named(case.severity) })
            } else {
                let (key, d) = dest.map(|(k, d)| (k, d.label.as_str())).unwrap_or_default();
                let (destination, key) = (d.to_string(), key.to_string());
                pass(Rule::Severity, Finding::RoutedAnyway { named: sev.named(case.severity), destination, key })
            });
            let wait = wait_rule(policy, case, pauses, now, dest, &mut time_gate);
            rules.push(skip_wait(policy, wait, reason, ask.deadline, &mut time_gate));
        }
    }

    let (free, finding) = open_rule(policy, case, escalations, ask.actor);
    rules.push(if free { pass(Rule::NoOpenEscalation, finding) } else { fail(Rule::NoOpenEscalation, finding, None) });

    if let Some(key) = reason
        && let Some(r) = policy.reasons.get(key)
    {
        rules.push(reason_rule(policy, case, now, key, r));
    }
    if let Some((key, d)) = dest {
        let (key, label, fields) = (key.to_string(), d.label.clone(), d.fields.clone());
        rules.push(pass(Rule::Destination, Finding::Destination { key, label, fields }));
    }

    let eligible = rules.iter().all(|r| r.passed);
    let eligible_at = if eligible {
        Some(time_gate.unwrap_or(case.opened_at).min(now))
    } else if rules.iter().filter(|r| !r.passed).all(|r| r.passes_at.is_some()) {
        rules.iter().filter_map(|r| r.passes_at).max()
    } else {
        None
    };
    Eligibility {
        case: case.id.clone(),
        eligible,
        eligible_at,
        destination: destination.map(str::to_string),
        reason: reason.map(str::to_string),
        waiting_since: pauses.iter().find(|p| p.end.is_none()).map(|p| p.start),
        paused_minutes: paused_clock(pauses, case.opened_at, now).num_minutes(),
        rules: rules
            .into_iter()
            .map(|v| RuleOutcome {
                rule: v.rule,
                passed: v.passed,
                finding: v.finding,
                passes_at: v.passes_at,
                tz: policy.calendar.tz,
                now,
            })
            .collect(),
    }
}

/// The same-day override: a reason that may skip the wait window does, when
/// the deadline stated falls before the window ends.
fn skip_wait(
    policy: &Policy,
    wait: Verdict,
    reason: Option<&str>,
    deadline: Option<DateTime<Utc>>,
    time_gate: &mut Option<DateTime<Utc>>,
) -> Verdict {
    let Finding::Wait { ends, ended: false, .. } = wait.finding else { return wait };
    let Some((key, r)) = reason.and_then(|k| policy.reasons.get_key_value(k)).filter(|(_, r)| r.may_skip_wait) else {
        return wait;
    };
    let (key, label) = (key.clone(), r.label.clone());
    match deadline {
        Some(deadline) if deadline < ends => {
            *time_gate = None;
            pass(Rule::WaitWindow, Finding::WaitSkipped { key, label, deadline, ends })
        }
        Some(deadline) => {
            let Verdict { passes_at, .. } = wait;
            fail(Rule::WaitWindow, Finding::DeadlineAfterWait { key, deadline, ends }, passes_at)
        }
        None => {
            let Verdict { passes_at, .. } = wait;
            fail(Rule::WaitWindow, Finding::WaitSkippable { key, label, ends }, passes_at)
        }
    }
}

/// A reason that needs a late first response passes only when the SLA says so.
fn reason_rule(policy: &Policy, case: &Case, now: DateTime<Utc>, key: &str, r: &crate::policy::Reason) -> Verdict {
    let key = key.to_string();
    if !r.needs_late_first_response {
        return pass(Rule::Reason, Finding::Reason { key, label: r.label.clone() });
    }
    let sla = super::sla::position(policy, case, now);
    let detail = sla.detail.clone();
    match sla.position {
        super::sla::Position::Breached => {
            pass(Rule::Reason, Finding::ReasonLateResponse { key, label: r.label.clone(), sla: detail })
        }
        super::sla::Position::NoTarget => fail(Rule::Reason, Finding::ReasonNeedsTarget { key, sla: detail }, None),
        _ if case.first_response_at.is_some() => {
            fail(Rule::Reason, Finding::ReasonNotApplicable { key, sla: detail }, None)
        }
        _ => fail(
            Rule::Reason,
            Finding::ReasonNotYet { key, sla: detail },
            sla.due_at.map(|d| d + chrono::Duration::minutes(1)),
        ),
    }
}

fn wait_rule(
    policy: &Policy,
    case: &Case,
    pauses: &[Pause],
    now: DateTime<Utc>,
    dest: Option<(&str, &crate::policy::Destination)>,
    time_gate: &mut Option<DateTime<Utc>>,
) -> Verdict {
    if let Some((key, d)) = dest.filter(|(_, d)| d.immediate) {
        let (destination, key) = (d.label.clone(), key.to_string());
        return pass(Rule::WaitWindow, Finding::RoutesImmediately { destination, key });
    }
    let Some(tier) = policy.tiers.get(&case.tier) else {
        let finding = Finding::TierUnknown { tier: case.tier.clone(), accepted: Policy::keys(&policy.tiers) };
        return fail(Rule::WaitWindow, finding, None);
    };
    let Some(span) = policy.severities.get(&case.severity).and_then(|s| s.wait.get(&case.tier)) else {
        return fail(Rule::WaitWindow, Finding::NoWaitSet { severity: case.severity, tier: case.tier.clone() }, None);
    };
    let (severity, label) = (case.severity, tier.label.clone());
    if span.minutes == 0 {
        return pass(Rule::WaitWindow, Finding::NoWait { severity, tier: label });
    }
    let counted: &[Pause] = if policy.pause_wait { pauses } else { &[] };
    let Some(ends) = deadline(&policy.calendar, case.opened_at, *span, counted) else {
        if let Some(p) = counted.iter().find(|p| p.end.is_none()) {
            let finding =
                Finding::WaitPaused { severity, tier: label, span: *span, since: p.start, case: case.id.clone() };
            return fail(Rule::WaitWindow, finding, None);
        }
        return fail(Rule::WaitWindow, Finding::WaitBeyondHorizon { span: *span }, None);
    };
    *time_gate = Some(ends);
    let paused = paused_clock(counted, case.opened_at, ends.min(now));
    let ended = now >= ends;
    let finding = Finding::Wait { severity, tier: label, span: *span, paused, ends, ended };
    if ended { pass(Rule::WaitWindow, finding) } else { fail(Rule::WaitWindow, finding, Some(ends)) }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::Escalation;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap()
    }

    fn case() -> Case {
        Case::open("C-1", at(8))
    }

    fn policy(edit: impl Fn(String) -> String) -> Policy {
        Policy::parse(&edit(crate::policy::BUILT_IN.to_string()), "policy.toml").expect("a valid policy")
    }

    fn rejected() -> Escalation {
        let mut e =
            Escalation::new("C-1", "l2".into(), "r".into(), "d".into(), Default::default(), "alice", at(9), None);
        e.id = 1;
        e.state = EscState::Rejected;
        e.decided_by = Some("rita".into());
        e.decided_at = Some(at(10));
        e
    }

    fn rule<'a>(e: &'a Eligibility, name: &str) -> &'a RuleOutcome {
        e.rules.iter().find(|r| r.rule.as_str() == name).expect("the rule")
    }

    #[test]
    fn the_wait_window_passes_at_its_end_and_not_before() {
        let p = policy(|t| t);
        let ask = Ask { actor: "alice", ..Ask::default() };
        let before = check(&p, &case(), &[], &[], at(11), ask);
        assert!(!before.eligible);
        assert_eq!(rule(&before, "wait-window").passes_at, Some(at(12)));
        assert!(check(&p, &case(), &[], &[], at(12), ask).eligible);
    }

    #[test]
    fn after_a_rejection_the_policy_says_who_may_request_anew() {
        let p = policy(|t| t);
        let e = [rejected()];
        let mine = check(&p, &case(), &e, &[], at(13), Ask { actor: "alice", ..Ask::default() });
        assert!(rule(&mine, "no-open-escalation").passed);
        let theirs = check(&p, &case(), &e, &[], at(13), Ask { actor: "rita", ..Ask::default() });
        let r = rule(&theirs, "no-open-escalation");
        let others = matches!(&r.finding, Finding::Rejected { actor_may_replace: false, promote_only: false, open, .. }
            if open.requested_by == "alice" && open.decided == Some(("rita".into(), at(10))));
        assert!(!r.passed && others, "{:?}", r.finding);
        let strict =
            policy(|t| t.replace("self_decision = false", "self_decision = false\nafter_rejection = \"promote-only\""));
        let none = check(&strict, &case(), &e, &[], at(13), Ask { actor: "alice", ..Ask::default() });
        assert!(!rule(&none, "no-open-escalation").passed);
    }
}
