//! May this case be escalated now? Every rule with its verdict, and when the
//! answer turns to yes if time alone will do it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Case, Escalation, Pause};
use crate::model::{CaseStatus, EscState, ser_opt_time};
use crate::policy::{AfterRejection, Policy};
use crate::rules::pause::{deadline, paused_clock};
use crate::time::{human, human_relative};

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

#[derive(Debug, Clone, Serialize)]
pub struct RuleOutcome {
    pub rule: Rule,
    pub passed: bool,
    pub detail: String,
    /// For a failed rule that time will pass: when. Null otherwise.
    #[serde(serialize_with = "ser_opt_time")]
    pub passes_at: Option<DateTime<Utc>>,
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
}

impl Eligibility {
    pub fn failures(&self) -> impl Iterator<Item = &RuleOutcome> {
        self.rules.iter().filter(|r| !r.passed)
    }
}

/// No escalation may be open, but for a rejected one its requester may replace
/// with new facts, when the policy allows requesting anew after a rejection.
fn open_rule(policy: &Policy, case: &Case, escalations: &[Escalation], actor: &str) -> RuleOutcome {
    let tz = policy.calendar.tz;
    let Some(e) = crate::model::open_escalation(escalations) else {
        return pass(Rule::NoOpenEscalation, "no escalation is open for this case".into());
    };
    let promotable = policy.routed_directly(&e.destination).is_none() && e.level < policy.top_level();
    if e.state == EscState::Rejected {
        let by = match (&e.decided_by, e.decided_at) {
            (Some(who), Some(at)) => format!(" by {who} at {}", human(at, tz)),
            _ => String::new(),
        };
        let promote =
            if promotable { format!("promote it with `escalate promote {}`, or ", case.id) } else { String::new() };
        let rejected = format!("escalation #{} was rejected at level {}{by}", e.id, e.level);
        return match policy.after_rejection {
            AfterRejection::NewRequest if crate::model::same_actor(actor, &e.requested_by) => pass(
                Rule::NoOpenEscalation,
                format!("{rejected}: as its requester you may request anew with new facts (#{} then ends)", e.id),
            ),
            AfterRejection::NewRequest => fail(
                Rule::NoOpenEscalation,
                format!(
                    "{rejected}: only its requester ({}) may request anew with new facts; {promote}its requester or owner may withdraw it",
                    e.requested_by
                ),
                None,
            ),
            AfterRejection::PromoteOnly => fail(
                Rule::NoOpenEscalation,
                format!(
                    "{rejected}: the policy allows only to {promote}withdraw it (`escalate withdraw {} --why TEXT`)",
                    case.id
                ),
                None,
            ),
        };
    }
    // Point to the way forward that exists: promote, unless there is no level to promote to.
    let next = if promotable {
        format!("use `escalate promote {}` to raise it", case.id)
    } else {
        format!("follow it through, or withdraw it with `escalate withdraw {} --why TEXT`", case.id)
    };
    fail(
        Rule::NoOpenEscalation,
        format!(
            "escalation #{} is already {} at level {} by {} since {}: {next}",
            e.id,
            e.state,
            e.level,
            e.raised_by,
            human(e.level_since, tz)
        ),
        None,
    )
}

fn pass(rule: Rule, detail: String) -> RuleOutcome {
    RuleOutcome { rule, passed: true, detail, passes_at: None }
}

fn fail(rule: Rule, detail: String, passes_at: Option<DateTime<Utc>>) -> RuleOutcome {
    RuleOutcome { rule, passed: false, detail, passes_at }
}

/// What is asked: for whom, to where, for what reason. `destination` and
/// `reason` must be keys of the policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ask<'a> {
    pub actor: &'a str,
    pub destination: Option<&'a str>,
    pub reason: Option<&'a str>,
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
        CaseStatus::Open => pass(Rule::CaseOpen, format!("case {} is open", case.id)),
        CaseStatus::Closed => {
            fail(Rule::CaseOpen, format!("case {} is closed: reopen it before escalating", case.id), None)
        }
    });

    match policy.severities.get(&case.severity) {
        None => rules.push(fail(
            Rule::Severity,
            format!("severity {} is not in the policy (severities: {})", case.severity, policy.severity_keys()),
            None,
        )),
        Some(sev) if !sev.escalable && !immediate => rules.push(fail(
            Rule::Severity,
            format!("{} is not escalated. {}", sev.named(case.severity), sev.redirect),
            None,
        )),
        Some(sev) => {
            rules.push(if sev.escalable {
                pass(Rule::Severity, format!("{} may be escalated", sev.named(case.severity)))
            } else {
                let (key, d) = dest.map(|(k, d)| (k, d.label.as_str())).unwrap_or_default();
                pass(
                    Rule::Severity,
                    format!(
                        "{} is normally not escalated, but {} ({key}) routes immediately",
                        sev.named(case.severity),
                        d
                    ),
                )
            });
            rules.push(wait_rule(policy, case, pauses, now, dest, &mut time_gate));
        }
    }

    rules.push(open_rule(policy, case, escalations, ask.actor));

    if let Some(key) = reason
        && let Some(r) = policy.reasons.get(key)
    {
        rules.push(reason_rule(policy, case, now, key, r));
    }
    if let Some((key, d)) = dest {
        let fields = d.fields.join(", ");
        rules.push(pass(
            Rule::Destination,
            format!(
                "{key}: {}; the package needs {}",
                d.label,
                if fields.is_empty() { "no fields".into() } else { fields }
            ),
        ));
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
        rules,
    }
}

/// A reason that needs a late first response passes only when the SLA says so.
fn reason_rule(policy: &Policy, case: &Case, now: DateTime<Utc>, key: &str, r: &crate::policy::Reason) -> RuleOutcome {
    if !r.needs_late_first_response {
        return pass(Rule::Reason, format!("{key}: {}", r.label));
    }
    let sla = super::sla::position(policy, case, now);
    match sla.position {
        super::sla::Position::Breached => pass(Rule::Reason, format!("{key}: {}; {}", r.label, sla.detail)),
        super::sla::Position::NoTarget => {
            fail(Rule::Reason, format!("{key} needs a first-response target: {}", sla.detail), None)
        }
        _ if case.first_response_at.is_some() => {
            fail(Rule::Reason, format!("{key} does not apply: {}", sla.detail), None)
        }
        _ => fail(
            Rule::Reason,
            format!("{key} does not apply yet: {}", sla.detail),
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
) -> RuleOutcome {
    let tz = policy.calendar.tz;
    if let Some((key, d)) = dest.filter(|(_, d)| d.immediate) {
        return pass(Rule::WaitWindow, format!("{} ({key}) routes immediately: no wait window", d.label));
    }
    let Some(tier) = policy.tiers.get(&case.tier) else {
        return fail(
            Rule::WaitWindow,
            format!("tier {:?} is not in the policy (tiers: {})", case.tier, Policy::keys(&policy.tiers)),
            None,
        );
    };
    let Some(span) = policy.severities.get(&case.severity).and_then(|s| s.wait.get(&case.tier)) else {
        return fail(
            Rule::WaitWindow,
            format!("the policy sets no wait window for severity {}, tier {}", case.severity, case.tier),
            None,
        );
    };
    if span.minutes == 0 {
        let what = format!("severity {} cases of the {} tier have no wait", case.severity, tier.label);
        return pass(Rule::WaitWindow, format!("{what}: they may be escalated as soon as they are opened"));
    }
    let what = format!("severity {} cases of the {} tier wait {span} after opening", case.severity, tier.label);
    let counted: &[Pause] = if policy.pause_wait { pauses } else { &[] };
    let Some(ends) = deadline(&policy.calendar, case.opened_at, *span, counted) else {
        if let Some(p) = counted.iter().find(|p| p.end.is_none()) {
            let detail = format!(
                "{what}, but the wait is paused: the case waits on the customer since {} \
                 (resume it with `escalate case update {} --resume`)",
                human(p.start, tz),
                case.id
            );
            return fail(Rule::WaitWindow, detail, None);
        }
        return fail(
            Rule::WaitWindow,
            format!(
                "the {span} wait does not end within {} of the calendar, the furthest escalate looks ahead",
                crate::policy::calendar::HORIZON_WORDS
            ),
            None,
        );
    };
    *time_gate = Some(ends);
    let paused = paused_clock(counted, case.opened_at, ends.min(now));
    let what = if paused > chrono::Duration::zero() {
        format!("{what} (plus {} paused waiting on the customer)", crate::time::span(paused))
    } else {
        what
    };
    if now >= ends {
        pass(Rule::WaitWindow, format!("{what}: the wait ended {}", human_relative(ends, now, tz)))
    } else {
        fail(Rule::WaitWindow, format!("{what}: eligible at {}", human_relative(ends, now, tz)), Some(ends))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::{Escalation, Priority};

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap()
    }

    fn case() -> Case {
        Case {
            id: "C-1".into(),
            customer: "Acme".into(),
            severity: 2,
            tier: "premium".into(),
            title: String::new(),
            opened_at: at(8),
            priority: Priority::Normal,
            tags: Vec::new(),
            status: CaseStatus::Open,
            waiting_since: None,
            first_response_at: None,
            closed_at: None,
        }
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
        assert!(!r.passed && r.detail.contains("only its requester (alice) may request anew"), "{}", r.detail);
        let strict =
            policy(|t| t.replace("self_decision = false", "self_decision = false\nafter_rejection = \"promote-only\""));
        let none = check(&strict, &case(), &e, &[], at(13), Ask { actor: "alice", ..Ask::default() });
        assert!(!rule(&none, "no-open-escalation").passed);
    }
}
