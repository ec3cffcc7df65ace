//! Who may act on an escalation: decide a level, take it over (hand off,
//! assign), close it, withdraw it. Refusals are data; `render::finding` words them.

use chrono::{DateTime, Utc};

use crate::model::{EscState, Escalation, same_actor};
use crate::policy::Policy;

/// Why someone may not act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Only a requested level can be decided; `decided` names who did, when it was decided.
    NotRequested {
        id: i64,
        state: EscState,
        level: u32,
        decided: Option<(String, DateTime<Utc>)>,
        promotable: bool,
    },
    NotADecider {
        actor: String,
        level: u32,
        /// The destination whose own deciders decide it, when it has them.
        destination: Option<String>,
        /// Each decider as the policy names it, with the people who hold it when it is a role.
        deciders: Vec<(String, Vec<String>)>,
    },
    /// The actor requested the escalation, or raised its current level (`raised`, at `level`).
    SelfDecision {
        actor: String,
        id: i64,
        raised: Option<u32>,
    },
    NotOwnerOrTakeOver {
        actor: String,
        id: i64,
        owner: String,
        take_over: Vec<String>,
    },
    /// Only the owner closes; `take_over` is the actor when they may take it over first.
    NotOwner {
        id: i64,
        case: String,
        /// The customer, for an account escalation (taken over with `account assign`).
        account: Option<String>,
        owner: String,
        take_over: Option<String>,
    },
    NotRequesterOrOwner {
        id: i64,
        requested_by: String,
        owner: String,
    },
}

/// May `actor` approve or reject this escalation's current level?
pub fn may_decide(policy: &Policy, esc: &Escalation, actor: &str) -> Result<(), Denied> {
    if esc.state != EscState::Requested {
        // Name who acted first: two reviewers may have decided at the same moment.
        let decided = esc.decided_by.clone().zip(esc.decided_at).filter(|_| esc.state.is_decided());
        let promotable = esc.state.is_decided()
            && esc.level < policy.top_level()
            && policy.routed_directly(&esc.destination).is_none();
        return Err(Denied::NotRequested { id: esc.id, state: esc.state, level: esc.level, decided, promotable });
    }
    if !policy.may_decide(esc.level, &esc.destination, actor) {
        let deciders = policy
            .deciders_of(esc.level, &esc.destination)
            .iter()
            .map(|d| match d {
                crate::policy::Decider::Role(r) => (d.to_string(), policy.holders(r).to_vec()),
                crate::policy::Decider::Actor(_) => (d.to_string(), Vec::new()),
            })
            .collect();
        let destination = (policy.destinations.get(&esc.destination).is_some_and(|d| d.deciders.is_some()))
            .then(|| esc.destination.clone());
        return Err(Denied::NotADecider { actor: actor.to_string(), level: esc.level, destination, deciders });
    }
    if !policy.self_decision && (same_actor(actor, &esc.raised_by) || same_actor(actor, &esc.requested_by)) {
        let raised = (!same_actor(actor, &esc.requested_by)).then_some(esc.level);
        return Err(Denied::SelfDecision { actor: actor.to_string(), id: esc.id, raised });
    }
    Ok(())
}

/// Who may take an escalation over besides its owner and the policy's
/// `[ownership] take_over`, as the ledger has it now: whoever is on call (the
/// next shift picks up what the last one owned), and the account's escalation
/// DRI for an account escalation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// Who is on call now: the role's label and the holder.
    pub on_call: Vec<(String, String)>,
    /// The account's escalation DRI (for an account escalation).
    pub dri: Option<String>,
}

impl Standing {
    fn holds(&self, actor: &str) -> bool {
        self.on_call.iter().any(|(_, name)| same_actor(name, actor))
            || self.dri.as_deref().is_some_and(|d| same_actor(d, actor))
    }

    /// Who the standing names, in words.
    fn named(&self) -> Vec<String> {
        let on_call = self.on_call.iter().map(|(label, name)| format!("{} ({name})", label.to_lowercase()));
        on_call.chain(self.dri.iter().map(|d| format!("the account's escalation DRI ({d})"))).collect()
    }
}

/// The owner hands off or assigns an escalation, and so may those the policy
/// names to take over and those `standing` names.
pub fn may_take_over(policy: &Policy, esc: &Escalation, actor: &str, standing: &Standing) -> Result<(), Denied> {
    if same_actor(actor, &esc.owner) || policy.names(&policy.take_over, actor) || standing.holds(actor) {
        return Ok(());
    }
    let mut take_over: Vec<String> = policy.take_over.iter().map(ToString::to_string).collect();
    // The owner named once: an account's DRI who owns it is not named again.
    let others = Standing { dri: standing.dri.clone().filter(|d| !same_actor(d, &esc.owner)), ..standing.clone() };
    take_over.extend(others.named());
    Err(Denied::NotOwnerOrTakeOver { actor: actor.to_string(), id: esc.id, owner: esc.owner.clone(), take_over })
}

/// Only the owner closes an escalation: it closes once its owner agrees. The
/// refusal suggests taking it over only to those who may.
pub fn may_close(policy: &Policy, esc: &Escalation, actor: &str, standing: &Standing) -> Result<(), Denied> {
    if same_actor(actor, &esc.owner) {
        return Ok(());
    }
    let may = policy.names(&policy.take_over, actor) || standing.holds(actor);
    Err(Denied::NotOwner {
        id: esc.id,
        case: esc.case_id.clone(),
        account: esc.account.clone(),
        owner: esc.owner.clone(),
        take_over: may.then(|| actor.to_string()),
    })
}

/// The requester or the owner may withdraw an escalation.
pub fn may_withdraw(esc: &Escalation, actor: &str) -> Result<(), Denied> {
    if same_actor(actor, &esc.requested_by) || same_actor(actor, &esc.owner) {
        return Ok(());
    }
    Err(Denied::NotRequesterOrOwner { id: esc.id, requested_by: esc.requested_by.clone(), owner: esc.owner.clone() })
}
