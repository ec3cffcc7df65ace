//! What the outage and root-cause records may be made for: the outage process
//! serves the severities the policy does not escalate; a root-cause analysis is
//! owed by a case whose escalation reached a level that requires one.

use crate::model::{Case, Escalation};
use crate::policy::Policy;

/// Whether `escalate outage` fits the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutageFit {
    /// Its severity goes to the outage process.
    Fits,
    /// Its severity is escalated instead; `raise_to` is the first severity the
    /// outage process serves, when the policy has one.
    Escalable { raise_to: Option<u32> },
}

pub fn outage_fit(policy: &Policy, case: &Case) -> OutageFit {
    match policy.severities.get(&case.severity) {
        Some(s) if s.escalable => OutageFit::Escalable {
            raise_to: policy.severities.iter().filter(|(_, s)| !s.escalable).map(|(n, _)| *n).min(),
        },
        _ => OutageFit::Fits,
    }
}

/// Whether `escalate rca` fits the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RcaFit {
    /// Escalation `escalation` reached level `level`, which requires an analysis.
    Owed { escalation: i64, level: u32 },
    /// No escalation of the case reached such a level: `highest` is the highest
    /// level any reached (None: never escalated), `requiring` the levels that do.
    NotOwed { highest: Option<u32>, requiring: Vec<u32> },
}

pub fn rca_fit(policy: &Policy, escalations: &[Escalation]) -> RcaFit {
    let owed = escalations
        .iter()
        .filter(|e| policy.level(e.level).is_some_and(|l| l.root_cause_analysis))
        .max_by_key(|e| (e.level, e.id));
    match owed {
        Some(e) => RcaFit::Owed { escalation: e.id, level: e.level },
        None => RcaFit::NotOwed {
            highest: escalations.iter().map(|e| e.level).max(),
            requiring: policy.levels.iter().filter(|l| l.root_cause_analysis).map(|l| l.number).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn policy() -> Policy {
        Policy::parse(crate::policy::BUILT_IN, "policy.toml").expect("the built-in policy")
    }

    fn case(severity: u32) -> Case {
        let opened = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        Case { severity, ..Case::open("C-1", opened) }
    }

    fn escalation(id: i64, level: u32) -> Escalation {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let mut e = Escalation::new("C-1", "l2".into(), "r".into(), "d".into(), Default::default(), "alice", at, None);
        (e.id, e.level) = (id, level);
        e
    }

    #[test]
    fn the_outage_process_fits_the_severities_not_escalated() {
        let p = policy();
        assert_eq!(outage_fit(&p, &case(1)), OutageFit::Fits);
        assert_eq!(outage_fit(&p, &case(2)), OutageFit::Escalable { raise_to: Some(1) });
    }

    #[test]
    fn an_analysis_is_owed_from_the_level_that_requires_it() {
        let p = policy();
        let requiring: Vec<u32> = p.levels.iter().filter(|l| l.root_cause_analysis).map(|l| l.number).collect();
        assert!(!requiring.is_empty());
        let top = *requiring.iter().min().unwrap_or(&1);
        assert_eq!(rca_fit(&p, &[]), RcaFit::NotOwed { highest: None, requiring: requiring.clone() });
        assert_eq!(
            rca_fit(&p, &[escalation(1, top - 1)]),
            RcaFit::NotOwed { highest: Some(top - 1), requiring: requiring.clone() }
        );
        assert_eq!(rca_fit(&p, &[escalation(1, 1), escalation(2, top)]), RcaFit::Owed { escalation: 2, level: top });
    }
}
