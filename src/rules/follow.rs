//! Follow-through rules: every deadline that needs attention (reviews,
//! customer touch-points, promotions that became possible); who may act is in
//! `permit`.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::pause::{deadline, paused_clock};
use crate::model::{Case, EscState, Escalation, Pause, ser_time};
use crate::policy::Policy;

pub use super::permit::{Denied, Standing, may_close, may_decide, may_take_over, may_withdraw};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DueKind {
    Review,
    TouchPoint,
    Promotion,
}

#[derive(Debug, Clone, Serialize)]
pub struct DueItem {
    #[serde(serialize_with = "ser_time")]
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    /// Minutes past due (positive) or until due (negative).
    pub late_minutes: i64,
    pub kind: DueKind,
    pub case: String,
    pub customer: String,
    /// The case's customer priority.
    pub priority: crate::model::Priority,
    pub escalation: i64,
    /// The customer of an account escalation (its cases are `linked`); null for a case escalation.
    pub account: Option<String>,
    pub linked: Vec<String>,
    pub level: u32,
    /// Sent to a destination past the levels (security): its level is none of theirs.
    pub routed_immediately: bool,
    pub owner: String,
    /// Clock minutes the case waited on the customer while this clock ran.
    pub paused_minutes: i64,
    pub detail: String,
}

/// One case's open escalation, with what the rules need to know of it.
pub struct Open<'a> {
    pub case: &'a Case,
    pub esc: &'a Escalation,
    pub pauses: &'a [Pause],
}

/// `paused_since`: where the item's clock started, when that clock pauses; None when it never does.
fn item(
    o: &Open,
    kind: DueKind,
    due_at: DateTime<Utc>,
    paused_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    detail: String,
) -> DueItem {
    DueItem {
        due_at,
        // A promotion that became possible is an option, not a missed deadline.
        overdue: kind != DueKind::Promotion && due_at < now,
        late_minutes: (now - due_at).num_minutes(),
        kind,
        case: o.case.id.clone(),
        customer: o.case.customer.clone(),
        priority: o.case.priority,
        escalation: o.esc.id,
        account: o.esc.account.clone(),
        linked: o.esc.linked.clone(),
        level: o.esc.level,
        routed_immediately: false,
        owner: o.esc.owner.clone(),
        paused_minutes: paused_since.map_or(0, |since| paused_clock(o.pauses, since, now.max(since)).num_minutes()),
        detail,
    }
}

/// Every deadline of these escalations, sorted by when it falls.
pub fn due_items(policy: &Policy, open: &[Open], now: DateTime<Utc>) -> Vec<DueItem> {
    let cal = &policy.calendar;
    let none: &[Pause] = &[];
    let mut out = Vec::new();
    for o in open {
        let e = o.esc;
        if !e.state.is_active() {
            continue;
        }
        let start = out.len();
        // A level the policy no longer has is timed as its highest, and said so.
        let top = policy.top_level();
        let Some(level) = policy.level(e.level).or_else(|| policy.level(top).filter(|_| e.level > top)) else {
            continue;
        };
        let gone = if policy.level(e.level).is_none() {
            format!(", not in the policy: timed as level {top}")
        } else {
            String::new()
        };
        let direct = policy.routed_directly(&e.destination);
        let review = policy.destinations.get(&e.destination).and_then(|d| d.review).unwrap_or(level.review);
        let review_due =
            if policy.pause_review { deadline(cal, e.level_since, review, o.pauses) } else { e.review_due_at };
        if e.state == EscState::Requested
            && let Some(due) = review_due
        {
            let detail = match direct {
                Some(d) => format!("{} reviews it (routed immediately)", d.receiver),
                None => format!("{} reviews level {} ({}{gone})", level.reviewer, e.level, level.name),
            };
            out.push(item(o, DueKind::Review, due, policy.pause_review.then_some(e.level_since), now, detail));
        }
        // The cadence counts from the latest of: the level, the last update, a reopening.
        let base =
            [Some(e.level_since), e.last_update_at, e.touch_since].into_iter().flatten().max().unwrap_or(e.level_since);
        // The level's cadence holds whatever was promised: a touch-point promised later
        // than the cadence allows does not put the update off.
        let pauses = if policy.pause_touch { o.pauses } else { none };
        let cadence = level.update_every.and_then(|every| deadline(cal, base, every, pauses).map(|d| (d, every)));
        let touch = match (e.next_touch_at, cadence) {
            (Some(promised), Some((d, _))) if promised <= d => Some((promised, None)),
            (Some(promised), None) => Some((promised, None)),
            (promised, Some((d, every))) => {
                let later = promised.map_or(String::new(), |t| {
                    format!("; the touch-point promised for {} is later", crate::time::human(t, cal.tz))
                });
                let detail = match direct {
                    // A route that skips the levels has no level to speak of.
                    Some(r) => format!("customer update every {every} (routed immediately to {}){later}", r.receiver),
                    None => format!("customer update every {every} at level {}{gone}{later}", e.level),
                };
                Some((d, Some(detail)))
            }
            (None, None) => None,
        };
        if let Some((due, detail)) = touch {
            let since = (policy.pause_touch && detail.is_some()).then_some(base);
            let detail = detail.unwrap_or_else(|| "promised customer touch-point".to_string());
            out.push(item(o, DueKind::TouchPoint, due, since, now, detail));
        }
        if e.level < policy.top_level() && direct.is_none() {
            let by_review =
                (policy.promote_after_review && e.state == EscState::Requested).then_some(review_due).flatten();
            let by_decision =
                (policy.promote_after_decision && e.state == EscState::Rejected).then_some(e.decided_at).flatten();
            if let Some(possible) = [by_review, by_decision].into_iter().flatten().min().filter(|t| *t <= now) {
                let why = if Some(possible) == by_decision { "it was rejected" } else { "its review window passed" };
                let detail = format!("level {} may be promoted to {}: {why}", e.level, e.level + 1);
                out.push(item(o, DueKind::Promotion, possible, None, now, detail));
            }
        }
        if direct.is_some() {
            out[start..].iter_mut().for_each(|i| i.routed_immediately = true);
        }
    }
    // High priority first; within a priority, soonest first.
    out.sort_by(|a, b| {
        a.priority.rank().cmp(&b.priority.rank()).then(a.due_at.cmp(&b.due_at)).then_with(|| a.case.cmp(&b.case))
    });
    out
}

/// Keep what is past due or falls within `within` from now.
pub fn within(items: Vec<DueItem>, now: DateTime<Utc>, within: Duration) -> Vec<DueItem> {
    items.into_iter().filter(|i| i.due_at <= now + within).collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::Escalation;

    fn policy(edit: impl Fn(String) -> String) -> Policy {
        Policy::parse(&edit(crate::policy::BUILT_IN.to_string()), "policy.toml").expect("a valid policy")
    }

    fn esc() -> Escalation {
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let mut e = Escalation::new("C-1", "l2".into(), "r".into(), "d".into(), Default::default(), "alice", at, None);
        e.id = 1;
        e.owner = "lee".into();
        e
    }

    #[test]
    fn the_owner_and_the_take_over_roles_may_hand_off() {
        let p = policy(|t| {
            t.replace("escalation-managers = []", "escalation-managers = [\"erin\"]")
                .replace("take_over = []", "take_over = [\"role:escalation-managers\", \"vp\"]")
        });
        let (e, none) = (esc(), Standing::default());
        assert!(may_take_over(&p, &e, "lee", &none).is_ok());
        assert!(may_take_over(&p, &e, "erin", &none).is_ok());
        assert!(may_take_over(&p, &e, "vp", &none).is_ok());
        let no = may_take_over(&p, &e, "mallory", &none).unwrap_err();
        let take_over = vec!["role:escalation-managers".to_string(), "vp".to_string()];
        assert_eq!(no, Denied::NotOwnerOrTakeOver { actor: "mallory".into(), id: 1, owner: "lee".into(), take_over });
        // Without take-over roles, the owner alone.
        assert!(may_take_over(&policy(|t| t), &e, "erin", &none).is_err());
    }

    #[test]
    fn whoever_is_on_call_and_an_accounts_dri_may_take_over() {
        let (p, e) = (policy(|t| t), esc());
        let on_call = vec![("Support manager on call".to_string(), "Noah".to_string())];
        let standing = Standing { on_call, dri: Some("cat".into()) };
        assert!(may_take_over(&p, &e, "noah", &standing).is_ok());
        assert!(may_take_over(&p, &e, "cat", &standing).is_ok());
        let no = may_take_over(&p, &e, "mallory", &standing).unwrap_err();
        let take_over =
            vec!["support manager on call (Noah)".to_string(), "the account's escalation DRI (cat)".to_string()];
        assert_eq!(no, Denied::NotOwnerOrTakeOver { actor: "mallory".into(), id: 1, owner: "lee".into(), take_over });
        let cat = may_close(&p, &e, "cat", &standing).unwrap_err();
        assert!(matches!(cat, Denied::NotOwner { take_over: Some(ref a), .. } if a == "cat"), "{cat:?}");
    }

    #[test]
    fn only_the_owner_closes_and_only_those_who_may_are_told_to_take_over() {
        let p = policy(|t| {
            t.replace("escalation-managers = []", "escalation-managers = [\"erin\"]")
                .replace("take_over = []", "take_over = [\"role:escalation-managers\"]")
        });
        let (e, none) = (esc(), Standing::default());
        assert!(may_close(&p, &e, "lee", &none).is_ok());
        let erin = may_close(&p, &e, "erin", &none).unwrap_err();
        assert!(matches!(erin, Denied::NotOwner { take_over: Some(ref a), .. } if a == "erin"), "{erin:?}");
        let alice = may_close(&p, &e, "alice", &none).unwrap_err();
        assert!(matches!(alice, Denied::NotOwner { take_over: None, .. }), "{alice:?}");
        assert!(may_withdraw(&e, "alice").is_ok() && may_withdraw(&e, "lee").is_ok());
        assert!(may_withdraw(&e, "rita").is_err());
    }

    #[test]
    fn a_decided_level_names_who_decided_it() {
        let p = policy(|t| t);
        let mut e = esc();
        e.state = EscState::Approved;
        e.decision = Some("approved".into());
        e.decided_by = Some("rita".into());
        e.decided_at = Some(chrono::Utc.with_ymd_and_hms(2026, 11, 23, 13, 0, 0).unwrap());
        let no = may_decide(&p, &e, "sam").unwrap_err();
        let when = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 13, 0, 0).unwrap();
        assert!(matches!(no, Denied::NotRequested { decided: Some((ref who, at)), .. } if who == "rita" && at == when));
        e.state = EscState::Requested;
        assert!(matches!(may_decide(&p, &e, "alice"), Err(Denied::SelfDecision { .. })));
        assert!(may_decide(&p, &e, "rita").is_ok());
    }

    #[test]
    fn a_destination_with_its_own_deciders_is_decided_by_them_at_any_level() {
        let p = policy(|t| {
            t.replace("deciders = []", "deciders = [\"role:escalation-managers\"]")
                .replace(
                    "review = \"1h clock\"  # and demands",
                    "deciders = [\"role:security\"]\nreview = \"1h clock\"  # and demands",
                )
                .replace("escalation-managers = []", "escalation-managers = [\"erin\"]\nsecurity = [\"sol\"]")
        });
        let mut e = esc();
        assert!(may_decide(&p, &e, "erin").is_ok() && may_decide(&p, &e, "sol").is_err());
        e.destination = "security".into();
        let no = may_decide(&p, &e, "erin").unwrap_err();
        let named = vec![("role:security".to_string(), vec!["sol".to_string()])];
        let want = Denied::NotADecider {
            actor: "erin".into(),
            level: 1,
            destination: Some("security".into()),
            deciders: named,
        };
        assert_eq!(no, want);
        assert_eq!(
            crate::render::finding::denied(&no, chrono_tz::UTC),
            "erin may not decide an escalation sent to security: the policy names role:security (sol) to decide those"
        );
        assert!(may_decide(&p, &e, "Sol").is_ok());
        // An unknown role is a policy error where it is named.
        let bad = crate::policy::BUILT_IN.replace(
            "review = \"1h clock\"  # and demands",
            "deciders = [\"role:secops\"]\nreview = \"1h clock\"  # and demands",
        );
        let e = format!("{:#}", Policy::parse(&bad, "p.toml").unwrap_err());
        assert!(
            e.contains("destinations.security.deciders entry \"role:secops\" names unknown role \"secops\""),
            "{e}"
        );
        // An empty list would let anyone decide: refused, pointing at the level's.
        let bad = crate::policy::BUILT_IN
            .replace("review = \"1h clock\"  # and demands", "deciders = []\nreview = \"1h clock\"  # and demands");
        let e = format!("{:#}", Policy::parse(&bad, "p.toml").unwrap_err());
        assert!(e.contains("destination \"security\" has deciders = []: name who decides"), "{e}");
    }

    #[test]
    fn a_level_with_its_own_deciders_is_decided_by_them_alone() {
        let p = policy(|t| {
            t.replace("# deciders = [\"role:vp-support\"]", "deciders = [\"role:vp-support\"]")
                + "\n[people.dana]\nroles = [\"vp-support\"]\nhandle = \"@dana\"\n"
        });
        let mut e = esc();
        assert!(may_decide(&p, &e, "rita").is_ok(), "level 1 falls back to the decisions table: anyone");
        e.level = 4;
        let no = may_decide(&p, &e, "rita").unwrap_err();
        let named = vec![("role:vp-support".to_string(), vec!["dana".to_string()])];
        assert_eq!(no, Denied::NotADecider { actor: "rita".into(), level: 4, destination: None, deciders: named });
        assert!(may_decide(&p, &e, "Dana").is_ok());
        assert_eq!(p.handle("dana"), Some("@dana"));
        // A role nobody holds is a policy error naming the level.
        let bad =
            crate::policy::BUILT_IN.replace("# deciders = [\"role:vp-support\"]", "deciders = [\"role:vp-support\"]");
        let e = format!("{:#}", Policy::parse(&bad, "p.toml").unwrap_err());
        assert!(e.contains("unknown role \"vp-support\""), "{e}");
        let bad = bad.replace("escalation-managers = []", "escalation-managers = []\nvp-support = []");
        let e = format!("{:#}", Policy::parse(&bad, "p.toml").unwrap_err());
        assert!(e.contains("level 4 is decided by role \"vp-support\", which nobody holds"), "{e}");
    }
}
