//! What the outage and root-cause records may be made for: the outage process
//! serves the severities the policy does not escalate; a root-cause analysis is
//! owed by a case whose escalation reached a level that requires one.

use std::collections::HashMap;

use crate::events::EventBody;
use crate::model::{Case, Escalation, Event};
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

/// The escalation of `escalations` an analysis is recorded for: of those that reached
/// a level requiring one, the highest not `done` yet (the highest of all, when every
/// one is done: recorded again, its link changes).
pub fn rca_fit(policy: &Policy, escalations: &[Escalation], done: &HashMap<i64, String>) -> RcaFit {
    let owing = || escalations.iter().filter(|e| policy.level(e.level).is_some_and(|l| l.root_cause_analysis));
    let owed = owing().filter(|e| !done.contains_key(&e.id)).max_by_key(|e| (e.level, e.id));
    match owed.or_else(|| owing().max_by_key(|e| (e.level, e.id))) {
        Some(e) => RcaFit::Owed { escalation: e.id, level: e.level },
        None => RcaFit::NotOwed {
            highest: escalations.iter().map(|e| e.level).max(),
            requiring: policy.levels.iter().filter(|l| l.root_cause_analysis).map(|l| l.number).collect(),
        },
    }
}

/// The analyses recorded, by the escalation each is for, with its link (the latest
/// when recorded again). One recorded before analyses named their escalation stands
/// for each of its case's own escalations.
pub fn rcas_done(events: &[Event], escalations: &[Escalation]) -> HashMap<i64, String> {
    let mut done = HashMap::new();
    for ev in events {
        let EventBody::RcaDone(r) = &ev.body else { continue };
        match r.owed_by {
            Some(id) => {
                done.insert(id, r.link.clone());
            }
            None => {
                let own = escalations.iter().filter(|e| e.account.is_none() && e.case_id == ev.case_id);
                for e in own {
                    done.insert(e.id, r.link.clone());
                }
            }
        }
    }
    done
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

    fn rca(case: &str, escalation: Option<i64>, owed_by: Option<i64>, link: &str) -> Event {
        Event {
            seq: 0,
            at: Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
            actor: "ana".into(),
            case_id: case.into(),
            escalation,
            body: EventBody::RcaDone(crate::events::RcaDone { link: link.into(), owed_by }),
            policy_digest: "d".into(),
        }
    }

    #[test]
    fn an_analysis_is_for_the_escalation_it_names_and_an_older_one_for_the_cases_own() {
        let mut account = escalation(3, 3);
        (account.account, account.linked) = (Some("Acme".into()), vec!["C-1".into()]);
        let all = [escalation(1, 3), escalation(2, 1), account];
        // Recorded before analyses named their escalation, with the open one (#2): all the case's own.
        let done = rcas_done(&[rca("C-1", Some(2), None, "old")], &all);
        assert_eq!(done, HashMap::from([(1, "old".to_string()), (2, "old".to_string())]));
        let done = rcas_done(&[rca("C-1", Some(3), Some(3), "acct"), rca("C-1", Some(1), Some(1), "one")], &all);
        assert_eq!(done, HashMap::from([(3, "acct".to_string()), (1, "one".to_string())]));
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
        assert_eq!(rca_fit(&p, &[], &HashMap::new()), RcaFit::NotOwed { highest: None, requiring: requiring.clone() });
        assert_eq!(
            rca_fit(&p, &[escalation(1, top - 1)], &HashMap::new()),
            RcaFit::NotOwed { highest: Some(top - 1), requiring: requiring.clone() }
        );
        let both = [escalation(1, top), escalation(2, top)];
        assert_eq!(rca_fit(&p, &both, &HashMap::new()), RcaFit::Owed { escalation: 2, level: top });
        // The one not done yet, then the latest again.
        let done = HashMap::from([(2, "l".to_string())]);
        assert_eq!(rca_fit(&p, &both, &done), RcaFit::Owed { escalation: 1, level: top });
        let all = HashMap::from([(1, "l".to_string()), (2, "l".to_string())]);
        assert_eq!(rca_fit(&p, &both, &all), RcaFit::Owed { escalation: 2, level: top });
        assert_eq!(
            rca_fit(&p, &[escalation(1, 1), escalation(2, top)], &all),
            RcaFit::Owed { escalation: 2, level: top }
        );
    }
}
