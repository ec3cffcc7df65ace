//! Accounts and the people behind them (customer success manager, account
//! executive, escalation DRI), and the on-call roster's shifts.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{ser_opt_time, ser_time};
use crate::policy::{Decider, Policy};

/// A customer account and its people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub customer: String,
    /// The customer success manager.
    pub csm: Option<String>,
    /// The account executive.
    pub ae: Option<String>,
    /// The escalation DRI, when named; otherwise the CSM, the AE, then the policy's fallback.
    pub dri: Option<String>,
    #[serde(serialize_with = "ser_time")]
    pub updated_at: DateTime<Utc>,
}

/// Where the escalation DRI comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriSource {
    Named,
    Csm,
    Ae,
    RegionalManager,
    Nobody,
}

impl DriSource {
    pub fn words(self) -> &'static str {
        match self {
            DriSource::Named => "named",
            DriSource::Csm => "the customer success manager",
            DriSource::Ae => "the account executive",
            DriSource::RegionalManager => "the regional manager (no CSM or AE)",
            DriSource::Nobody => "no CSM, AE or regional manager is known",
        }
    }
}

/// The escalation DRI of an account: named, else the CSM, else the AE, else the
/// policy's fallback (a name, or the first holder of a role).
pub fn dri(policy: &Policy, account: Option<&Account>) -> (Option<String>, DriSource) {
    if let Some(a) = account {
        for (who, source) in [(&a.dri, DriSource::Named), (&a.csm, DriSource::Csm), (&a.ae, DriSource::Ae)] {
            if let Some(w) = who {
                return (Some(w.clone()), source);
            }
        }
    }
    let fallback = match &policy.accounts.dri_fallback {
        Some(Decider::Actor(a)) => Some(a.clone()),
        Some(Decider::Role(r)) => policy.holders(r).first().cloned(),
        None => None,
    };
    match fallback {
        Some(f) => (Some(f), DriSource::RegionalManager),
        None => (None, DriSource::Nobody),
    }
}

/// A shift of the on-call roster: who holds a role from when, until when (open-ended when None).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    pub id: i64,
    pub role: String,
    pub name: String,
    #[serde(serialize_with = "ser_time")]
    pub starts_at: DateTime<Utc>,
    #[serde(serialize_with = "ser_opt_time")]
    pub ends_at: Option<DateTime<Utc>>,
    pub set_by: String,
    #[serde(serialize_with = "ser_time")]
    pub set_at: DateTime<Utc>,
}

impl Shift {
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && self.ends_at.is_none_or(|e| at < e)
    }
}

/// Who holds `role` at `at`: the latest shift set that covers it.
pub fn on_call<'a>(shifts: &'a [Shift], role: &str, at: DateTime<Utc>) -> Option<&'a Shift> {
    shifts.iter().filter(|s| s.role == role && s.covers(at)).max_by_key(|s| (s.set_at, s.id))
}

/// The people behind an escalation: the account's, and who is on call now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct People {
    pub csm: Option<String>,
    pub ae: Option<String>,
    pub dri: Option<String>,
    /// Where the DRI comes from, in words.
    pub dri_from: String,
    /// Each roster role held now: (role label, who).
    pub on_call: Vec<(String, String)>,
}

/// The people of `account` and the roster's holders at `now`.
pub fn people(policy: &Policy, account: Option<&Account>, shifts: &[Shift], now: DateTime<Utc>) -> People {
    let (dri, source) = dri(policy, account);
    let on_call = policy
        .oncall
        .roles
        .iter()
        .filter_map(|(role, label)| on_call(shifts, role, now).map(|s| (label.clone(), s.name.clone())))
        .collect();
    People {
        csm: account.and_then(|a| a.csm.clone()),
        ae: account.and_then(|a| a.ae.clone()),
        dri,
        dri_from: source.words().to_string(),
        on_call,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap()
    }

    fn shift(id: i64, name: &str, from: u32, until: Option<u32>, set: u32) -> Shift {
        let ends_at = until.map(t);
        Shift {
            id,
            role: "support-manager".into(),
            name: name.into(),
            starts_at: t(from),
            ends_at,
            set_by: "x".into(),
            set_at: t(set),
        }
    }

    #[test]
    fn the_latest_shift_covering_now_is_on_call() {
        let shifts = [shift(1, "mia", 0, None, 0), shift(2, "noah", 8, Some(16), 1)];
        assert_eq!(on_call(&shifts, "support-manager", t(9)).map(|s| s.name.as_str()), Some("noah"));
        assert_eq!(on_call(&shifts, "support-manager", t(17)).map(|s| s.name.as_str()), Some("mia"));
        assert!(on_call(&shifts, "support-engineer", t(9)).is_none());
    }

    #[test]
    fn the_dri_is_named_else_csm_else_ae_else_the_fallback() {
        let p = Policy::parse(crate::policy::BUILT_IN, "policy.toml").unwrap();
        let mut a = Account { customer: "Acme".into(), csm: None, ae: Some("ann".into()), dri: None, updated_at: t(0) };
        assert_eq!(dri(&p, Some(&a)), (Some("ann".into()), DriSource::Ae));
        a.csm = Some("cat".into());
        assert_eq!(dri(&p, Some(&a)), (Some("cat".into()), DriSource::Csm));
        a.dri = Some("dan".into());
        assert_eq!(dri(&p, Some(&a)), (Some("dan".into()), DriSource::Named));
        assert_eq!(dri(&p, None), (None, DriSource::Nobody));
        let text = crate::policy::BUILT_IN.replace("regional-managers = []", "regional-managers = [\"rhea\"]");
        let p = Policy::parse(&text, "policy.toml").unwrap();
        assert_eq!(dri(&p, None), (Some("rhea".into()), DriSource::RegionalManager));
    }
}
