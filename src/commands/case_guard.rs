//! What stands in the way of changing a case, shared by `case update`, `case close`
//! and an import's updates: an open escalation or the customer's open account
//! escalation holding it, an opening moved past what the case went through; and a case's changes, field by field.

use indexmap::IndexMap;

use crate::events::Change;
use crate::model::Case;

/// Why the case cannot leave its customer (`doing`: "changes customer") or be closed
/// ("is closed"): it belongs to the customer's open account escalation (None when it does not).
pub(crate) fn held_by_account(
    tx: &mut dyn crate::ledger::Txn,
    case: &Case,
    doing: &str,
) -> anyhow::Result<Option<String>> {
    let all = tx.account_escalations(&case.customer)?;
    let Some(esc) = crate::model::open_spanning(&all, &case.id) else {
        return Ok(None);
    };
    let (customer, id) = (&case.customer, &case.id);
    Ok(Some(if esc.case_id == case.id {
        format!(
            "case {id} is where {customer}'s account escalation #{} keeps its events: close or withdraw that escalation before the case {doing}",
            esc.id
        )
    } else {
        format!(
            "case {id} is linked to {customer}'s account escalation #{}: unlink it first (`escalate account unlink {customer:?} {id}`)",
            esc.id
        )
    }))
}

/// Why the open case cannot be closed, if it cannot: an escalation of its own still
/// open, or the customer's open account escalation holding it.
pub(crate) fn close_blocked(tx: &mut dyn crate::ledger::Txn, case: &Case) -> anyhow::Result<Option<String>> {
    let id = &case.id;
    if let Some(e) = crate::model::open_escalation(&tx.escalations_of(id)?) {
        return Ok(Some(format!(
            "case {id} has escalation #{} still {}: close it once its owner agrees (`escalate close {id} --note TEXT`) \
             or withdraw it (`escalate withdraw {id} --why TEXT`) before the case is closed",
            e.id, e.state
        )));
    }
    held_by_account(tx, case, "is closed")
}

/// What of the case's requests and waits its opening would come after (see `rules::opening`).
pub(crate) fn opening_passed(
    tx: &mut dyn crate::ledger::Txn,
    case: &Case,
) -> anyhow::Result<Option<crate::rules::opening::Passed>> {
    let escalations = tx.escalations_of(&case.id)?;
    let pauses = tx.pauses_of_cases(std::slice::from_ref(&case.id))?.remove(&case.id).unwrap_or_default();
    Ok(crate::rules::opening::passed(case.opened_at, &escalations, &pauses))
}

/// `{"field": {"from": .., "to": ..}}` for every field that changed.
pub(crate) fn diff(before: &Case, after: &Case) -> anyhow::Result<IndexMap<String, Change>> {
    let (b, a) = (serde_json::to_value(before)?, serde_json::to_value(after)?);
    let mut changes = IndexMap::new();
    if let (Some(b), Some(a)) = (b.as_object(), a.as_object()) {
        for (k, new) in a {
            let old = b.get(k).cloned().unwrap_or(serde_json::Value::Null);
            if &old != new {
                changes.insert(k.clone(), Change { from: old, to: new.clone() });
            }
        }
    }
    Ok(changes)
}
