//! The words for what `check`'s rules found (`rules::finding`), and the JSON
//! of a rule's outcome, whose `detail` is those words.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::ser::SerializeStruct;

use crate::rules::check::RuleOutcome;
use crate::rules::finding::{Finding, OpenOne};
use crate::time::{human, human_relative};

fn wait_what(severity: u32, tier: &str, span: &crate::policy::Span) -> String {
    format!("severity {severity} cases of the {tier} tier wait {span} after opening")
}

fn open_words(case: &str, o: &OpenOne, tz: Tz) -> String {
    // Point to the way forward that exists: promote, unless there is no level to promote to.
    let next = if o.promotable {
        format!("use `escalate promote {case}` to raise it")
    } else {
        format!("follow it through, or withdraw it with `escalate withdraw {case} --why TEXT`")
    };
    match &o.decided {
        // Decided: who decided it and when, not who raised the level.
        Some((who, at)) => {
            format!("escalation #{} was {} at level {} by {who} at {}: {next}", o.id, o.state, o.level, human(*at, tz))
        }
        None => format!(
            "escalation #{} is already {} at level {} by {} since {}: {next}",
            o.id,
            o.state,
            o.level,
            o.raised_by,
            human(o.since, tz)
        ),
    }
}

fn rejected_words(case: &str, o: &OpenOne, mine: bool, promote_only: bool, tz: Tz) -> String {
    let by = o.decided.as_ref().map(|(who, at)| format!(" by {who} at {}", human(*at, tz))).unwrap_or_default();
    let rejected = format!("escalation #{} was rejected at level {}{by}", o.id, o.level);
    let promote = if o.promotable { format!("promote it with `escalate promote {case}`, or ") } else { String::new() };
    if promote_only {
        format!("{rejected}: the policy allows only to {promote}withdraw it (`escalate withdraw {case} --why TEXT`)")
    } else if mine {
        format!("{rejected}: as its requester you may request anew with new facts (#{} then ends)", o.id)
    } else {
        format!(
            "{rejected}: only its requester ({}) may request anew with new facts; {promote}its requester or owner may withdraw it",
            o.requested_by
        )
    }
}

/// A finding in words, in the policy's zone, relative to `now`.
pub fn words(f: &Finding, tz: Tz, now: DateTime<Utc>) -> String {
    match f {
        Finding::CaseOpen { case } => format!("case {case} is open"),
        Finding::CaseClosed { case } => format!("case {case} is closed: reopen it before escalating"),
        Finding::SeverityUnknown { severity, accepted } => {
            format!("severity {severity} is not in the policy (severities: {accepted})")
        }
        Finding::NotEscalated { named, redirect } => format!("{named} is not escalated. {redirect}"),
        Finding::Escalable { named } => format!("{named} may be escalated"),
        Finding::RoutedAnyway { named, destination, key } => {
            format!("{named} is normally not escalated, but {destination} ({key}) routes immediately")
        }
        Finding::RoutesImmediately { destination, key } => {
            format!("{destination} ({key}) routes immediately: no wait window")
        }
        Finding::TierUnknown { tier, accepted } => format!("tier {tier:?} is not in the policy (tiers: {accepted})"),
        Finding::NoWaitSet { severity, tier } => {
            format!("the policy sets no wait window for severity {severity}, tier {tier}")
        }
        Finding::NoWait { severity, tier } => {
            format!(
                "severity {severity} cases of the {tier} tier have no wait: they may be escalated as soon as they are opened"
            )
        }
        Finding::WaitPaused { severity, tier, span, since, case } => format!(
            "{}, but the wait is paused: the case waits on the customer since {} (resume it with `escalate case update {case} --resume`)",
            wait_what(*severity, tier, span),
            human(*since, tz)
        ),
        Finding::WaitBeyondHorizon { span } => format!(
            "the {span} wait does not end within {} of the calendar, the furthest escalate looks ahead",
            crate::policy::calendar::HORIZON_WORDS
        ),
        Finding::Wait { severity, tier, span, paused, ends, ended } => {
            let mut what = wait_what(*severity, tier, span);
            if *paused > chrono::Duration::zero() {
                what = format!("{what} (plus {} paused waiting on the customer)", crate::time::span(*paused));
            }
            if *ended {
                format!("{what}: the wait ended {}", human_relative(*ends, now, tz))
            } else {
                format!("{what}: eligible at {}", human_relative(*ends, now, tz))
            }
        }
        Finding::WaitSkipped { key, label, deadline, ends } => format!(
            "skipped: the reason {key} ({label}) may skip the wait when a deadline falls before it ends; \
             the deadline {} is before the wait ends {} (the request needs --justification TEXT: why the \
             deadline cannot wait)",
            human_relative(*deadline, now, tz),
            human_relative(*ends, now, tz)
        ),
        Finding::WaitSkippable { key, label, ends } => format!(
            "the wait ends {}; the reason {key} ({label}) may skip it: give --deadline TIME (before then) and \
             --justification TEXT",
            human_relative(*ends, now, tz)
        ),
        Finding::DeadlineAfterWait { key, deadline, ends } => format!(
            "the wait ends {}, {} the deadline of {}: the reason {key} skips the wait only for a deadline that \
             falls before it ends; request then",
            human_relative(*ends, now, tz),
            if deadline == ends { "at" } else { "before" },
            human(*deadline, tz)
        ),
        Finding::NoneOpen => "no escalation is open for this case".into(),
        Finding::Rejected { case, open, actor_may_replace, promote_only } => {
            rejected_words(case, open, *actor_may_replace, *promote_only, tz)
        }
        Finding::AlreadyOpen { case, open } => open_words(case, open, tz),
        Finding::Reason { key, label } => format!("{key}: {label}"),
        Finding::ReasonLateResponse { key, label, sla } => format!("{key}: {label}; {sla}"),
        Finding::ReasonNeedsTarget { key, sla } => format!("{key} needs a first-response target: {sla}"),
        Finding::ReasonNotApplicable { key, sla } => format!("{key} does not apply: {sla}"),
        Finding::ReasonNotYet { key, sla } => format!("{key} does not apply yet: {sla}"),
        Finding::Destination { key, label, fields } => format!(
            "{key}: {label}; the package needs {}",
            if fields.is_empty() { "no fields".to_string() } else { fields.join(", ") }
        ),
    }
}

/// A rule's outcome in words.
pub fn detail(r: &RuleOutcome) -> String {
    words(&r.finding, r.tz, r.now)
}

/// The JSON of a rule's outcome: `detail` is its finding in words.
impl serde::Serialize for RuleOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Rule", 4)?;
        st.serialize_field("rule", &self.rule)?;
        st.serialize_field("passed", &self.passed)?;
        st.serialize_field("detail", &detail(self))?;
        st.serialize_field("passes_at", &self.passes_at.map(crate::time::rfc3339))?;
        st.end()
    }
}

/// Why a promotion is allowed, in words (also kept in the `promoted` event).
pub fn because(b: &crate::rules::promote::Because, tz: Tz, now: DateTime<Utc>) -> String {
    use crate::rules::promote::Because;
    match b {
        Because::Decided { level, state } => format!("level {level} was {state}"),
        Because::ReviewEnded { level, due } => {
            format!("the level {level} review window ended {}", human_relative(*due, now, tz))
        }
    }
}

/// Why a promotion is refused, in words.
pub fn refusal(r: &crate::rules::promote::Refusal, tz: Tz, now: DateTime<Utc>) -> String {
    use crate::rules::promote::Refusal;
    match r {
        Refusal::NoneOpen { case } => {
            format!("case {case} has no open escalation to promote: request one with `escalate request {case}`")
        }
        Refusal::RoutedDirectly { id, receiver, label } => format!(
            "escalation #{id} went straight to {receiver}: {label} escalations skip the level progression, so there is no level to promote it to"
        ),
        Refusal::TopLevel { id, top, name } => {
            format!("escalation #{id} is already at the top level, {top} ({name}): there is no level above it")
        }
        Refusal::NotYet { id, level, raised, review_due, after_decision } => {
            let mut conditions = Vec::new();
            if let Some(due) = review_due {
                conditions.push(format!("once its review window ends at {}", human_relative(*due, now, tz)));
            }
            if *after_decision {
                conditions.push("once it has been decided".to_string());
            }
            let raised = raised
                .as_ref()
                .map(|(who, at)| format!(" (raised by {who} at {})", human(*at, tz)))
                .unwrap_or_default();
            format!("level {level} of escalation #{id}{raised} may be promoted only {}", conditions.join(" or "))
        }
    }
}

/// Why someone may not act on an escalation, in words: never suggesting a
/// command they may not run.
pub fn denied(d: &crate::rules::permit::Denied, tz: Tz) -> String {
    use crate::rules::permit::Denied;
    match d {
        Denied::NotRequested { id, state, level, decided, promotable } => {
            let by = decided
                .as_ref()
                .map(|(who, at)| format!(" (decided by {who} at {})", human(*at, tz)))
                .unwrap_or_default();
            let next = if *promotable { " (promote it to ask the next level)" } else { "" };
            format!("escalation #{id} is {state} at level {level}{by}: only a requested level can be decided{next}")
        }
        Denied::NotADecider { actor, level, destination, deciders } => {
            let who: Vec<String> = deciders
                .iter()
                .map(|(d, holders)| match holders.is_empty() {
                    true => d.clone(),
                    false => format!("{d} ({})", holders.join(", ")),
                })
                .collect();
            match destination {
                Some(d) => format!(
                    "{actor} may not decide an escalation sent to {d}: the policy names {} to decide those",
                    who.join(", ")
                ),
                None => {
                    format!("{actor} may not decide level {level}: the policy names {} to decide it", who.join(", "))
                }
            }
        }
        Denied::SelfDecision { actor, id, raised: None } => format!(
            "{actor} requested escalation #{id} and may not decide it too: the policy does not allow self-decision"
        ),
        Denied::SelfDecision { actor, id, raised: Some(level) } => format!(
            "{actor} raised escalation #{id} to level {level} and may not decide that level too: the policy does not \
             allow self-decision"
        ),
        Denied::NotOwnerOrTakeOver { actor, id, owner, take_over } => {
            format!("{actor} may not hand off or assign escalation #{id}: only {} may", who_may(owner, take_over))
        }
        Denied::NotOwner { id, case, account, owner, take_over } => {
            let assign = match account {
                Some(customer) => format!("escalate account assign {customer:?}"),
                None => format!("escalate assign {case}"),
            };
            let take = take_over
                .as_ref()
                .map(|actor| format!(", or take it over first with `{assign} --to {actor}`"))
                .unwrap_or_default();
            format!(
                "only the owner ({owner}) may close escalation #{id}: it closes once its owner agrees; ask them{take}"
            )
        }
        Denied::NotRequesterOrOwner { id, requested_by, owner } => {
            if requested_by == owner {
                format!("only its requester and owner ({owner}) may withdraw escalation #{id}")
            } else {
                format!("only the requester ({requested_by}) or the owner ({owner}) may withdraw escalation #{id}")
            }
        }
    }
}

/// "its owner (sam), support manager on call (noah) or ...": who may take an escalation over.
pub fn who_may(owner: &str, take_over: &[String]) -> String {
    let mut who = vec![format!("its owner ({owner})")];
    who.extend(take_over.iter().cloned());
    let last = who.pop().unwrap_or_default();
    if who.is_empty() { last } else { format!("{} or {last}", who.join(", ")) }
}
