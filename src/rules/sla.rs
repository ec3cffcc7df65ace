//! The first-response SLA position of a case: compliant, at risk
//! or breached, from the policy's target for its severity and tier.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Case, ser_opt_time};
use crate::policy::Policy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// The policy sets no first-response target for this severity and tier.
    NoTarget,
    Compliant,
    AtRisk,
    Breached,
}

impl Position {
    pub fn label(self) -> &'static str {
        match self {
            Position::NoTarget => "no target",
            Position::Compliant => "Compliant",
            Position::AtRisk => "At risk",
            Position::Breached => "Breached",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Sla {
    pub position: Position,
    /// The target, like "2h clock"; null without one.
    pub target: Option<String>,
    /// When the first response is or was due.
    #[serde(serialize_with = "ser_opt_time")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_opt_time")]
    pub responded_at: Option<DateTime<Utc>>,
    /// How much of the target was used, in percent (to the response, or to now).
    pub used_percent: Option<i64>,
    pub detail: String,
}

/// Where the case stands against its first-response target at `now`.
pub fn position(policy: &Policy, case: &Case, now: DateTime<Utc>) -> Sla {
    let target = policy.severities.get(&case.severity).and_then(|s| s.first_response.get(&case.tier)).copied();
    let Some(target) = target else {
        return Sla {
            position: Position::NoTarget,
            target: None,
            due_at: None,
            responded_at: case.first_response_at,
            used_percent: None,
            detail: format!(
                "the policy sets no first-response target for severity {}, tier {}",
                case.severity, case.tier
            ),
        };
    };
    let cal = &policy.calendar;
    let due_at = cal.add(case.opened_at, target);
    // The clock runs to the first response, or to the close, or to now.
    let closed = case.closed_at.filter(|_| case.status == crate::model::CaseStatus::Closed);
    let until = case.first_response_at.or(closed).unwrap_or(now).min(now.max(case.opened_at)).max(case.opened_at);
    let used = cal.elapsed(case.opened_at, until, target.counting).num_minutes();
    let used_percent = if target.minutes > 0 {
        used * 100 / target.minutes
    } else if used > 0 {
        100
    } else {
        0
    };
    // Late once strictly past the due time (as for every deadline here).
    let late = due_at.is_some_and(|d| until > d);
    let tz = cal.tz;
    let (position, detail) = match (case.first_response_at, late) {
        (Some(at), true) => (
            Position::Breached,
            format!("the first response came {} against a {target} target", crate::time::human(at, tz)),
        ),
        (Some(at), false) => (
            Position::Compliant,
            format!("the first response came {} within the {target} target", crate::time::human(at, tz)),
        ),
        (None, true) if closed.is_some() => {
            (Position::Breached, format!("the case closed without a first response within the {target} target"))
        }
        (None, false) if closed.is_some() => {
            (Position::Compliant, format!("the case closed within the {target} target ({used_percent}% used)"))
        }
        (None, true) => (Position::Breached, format!("no first response yet, and the {target} target has passed")),
        (None, false) if used_percent >= i64::from(policy.signals.sla_at_risk_percent) => {
            (Position::AtRisk, format!("no first response yet: {used_percent}% of the {target} target is used"))
        }
        (None, false) => {
            (Position::Compliant, format!("no first response yet: {used_percent}% of the {target} target is used"))
        }
    };
    Sla {
        position,
        target: Some(target.to_string()),
        due_at,
        responded_at: case.first_response_at,
        used_percent: Some(used_percent),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn policy() -> Policy {
        Policy::parse(crate::policy::BUILT_IN, "policy.toml").expect("built-in policy")
    }

    fn case(severity: u32, opened: DateTime<Utc>, responded: Option<DateTime<Utc>>) -> Case {
        Case { severity, first_response_at: responded, ..Case::open("C", opened) }
    }

    fn t(mins: i64) -> DateTime<Utc> {
        crate::time::utc(2026, 11, 23, 8, 0).unwrap() + chrono::Duration::minutes(mins)
    }

    #[test]
    fn severity_2_premium_has_a_two_hour_clock_target() {
        let p = policy();
        assert_eq!(position(&p, &case(2, t(0), None), t(89)).position, Position::Compliant);
        assert_eq!(position(&p, &case(2, t(0), None), t(90)).position, Position::AtRisk);
        assert_eq!(position(&p, &case(2, t(0), None), t(120)).position, Position::AtRisk);
        assert_eq!(position(&p, &case(2, t(0), None), t(121)).position, Position::Breached);
        assert_eq!(position(&p, &case(2, t(0), Some(t(120))), t(500)).position, Position::Compliant);
        assert_eq!(position(&p, &case(2, t(0), Some(t(121))), t(500)).position, Position::Breached);
    }

    #[test]
    fn a_closed_case_stops_the_clock() {
        let p = policy();
        let mut c = case(2, t(0), None);
        c.status = crate::model::CaseStatus::Closed;
        c.closed_at = Some(t(60));
        let s = position(&p, &c, t(100_000));
        assert_eq!(s.position, Position::Compliant, "{s:?}");
        assert_eq!(s.used_percent, Some(50));
        c.closed_at = Some(t(121));
        assert_eq!(position(&p, &c, t(100_000)).position, Position::Breached);
    }

    proptest! {
        /// Without a response, the position only ever gets worse as time passes,
        /// and it is breached exactly when the target is used up.
        #[test]
        fn the_position_never_improves_without_a_response(sev in 2u32..=4, a in 0i64..6000, b in 0i64..6000) {
            let p = policy();
            let c = case(sev, t(0), None);
            let (early, late) = (a.min(b), a.max(b));
            let x = position(&p, &c, t(early));
            let y = position(&p, &c, t(late));
            prop_assert!(x.position <= y.position, "{:?} at {early} then {:?} at {late}", x.position, y.position);
            let due = x.due_at.expect("a target");
            prop_assert_eq!(y.position == Position::Breached, t(late) > due);
        }

        /// Once the response is recorded, the position is fixed whatever the clock says.
        #[test]
        fn a_recorded_response_fixes_the_position(sev in 2u32..=4, r in 0i64..6000, n1 in 0i64..9000, n2 in 0i64..9000) {
            let p = policy();
            let c = case(sev, t(0), Some(t(r)));
            let x = position(&p, &c, t(r + n1));
            let y = position(&p, &c, t(r + n2));
            prop_assert_eq!(x.position, y.position);
            prop_assert!(x.position != Position::AtRisk);
        }
    }
}
