//! What one record of an import does to the ledger: a new case, a change to a
//! case already there (only with --upsert), nothing, or what is wrong with it.

use super::super::case::{close_blocked, held_by_account, opening_passed};
use super::{Known, Plan, Run, new_case};
use crate::ledger::{NewCase, Txn};
use crate::model::{Case, CaseStatus};
use crate::transfer::RawCase;

impl Run<'_> {
    /// Decide what a record does, or say what is wrong with it.
    pub(super) fn plan(
        &mut self,
        tx: &mut dyn Txn,
        (raw, line): (&RawCase, u64),
        id: Option<&str>,
        checked: Option<Result<NewCase, String>>,
        known: &Known,
    ) -> Result<Plan, String> {
        let (ctx, upsert) = (self.ctx, self.a.upsert);
        // Duplicates are caught by id first, even when the first record was invalid.
        if let Some(id) = id {
            let first = known.listed.get(id).copied().or_else(|| known.here.get(id).map(|l| *l as i64));
            if let Some(first) = first {
                return Err(format!("case {id} appears twice in the input (first on line {first})"));
            }
        }
        let Some(before) = id.and_then(|id| known.existing.get(id)) else {
            let new = checked.unwrap_or_else(|| {
                let (case, pauses) = crate::transfer::checked(raw.clone(), ctx.policy(), ctx.now)?;
                new_case(case, pauses, &self.source, line)
            });
            // An upsert's partial record of an id the ledger lacks would add a case: say
            // so, as the record meant to change one.
            let partial = raw.customer.is_none() || raw.severity.is_none() || raw.tier.is_none();
            let new = match (new, id) {
                (Err(e), Some(id)) if upsert && partial => {
                    Err(format!("case {id} is not in the ledger; as a new case, {e}"))
                }
                (new, _) => new,
            }?;
            return Ok(Plan::Insert(Box::new(new)));
        };
        if let Some(first) = known.written.get(&before.id) {
            return Err(match first {
                Some(first) => format!("case {} appears twice in the input (first on line {first})", before.id),
                None => format!("case {} appears twice in the input (an earlier record updated it)", before.id),
            });
        }
        if !upsert {
            return Err(format!("case {} already exists in the ledger (pass --upsert to update it)", before.id));
        }
        // An update changes the fields the record gives; the others keep their values.
        crate::transfer::open_yet_closed(raw, false)?;
        let mut merged = crate::transfer::RawCase::from_case(before);
        merged.fill_from(raw);
        let mut after = crate::transfer::validate(merged, ctx.policy(), ctx.now)?;
        // Waiting on the customer is changed with `case update --waiting/--resume`, not by
        // import: a record that says otherwise is told of, once the import is done.
        after.waiting_since = before.waiting_since;
        let waits = raw.waiting_since.as_deref().map(str::trim).filter(|w| !w.is_empty());
        let said = before.waiting_since.map(crate::time::rfc3339);
        if waits.is_some_and(|w| Some(w) != said.as_deref()) {
            self.waits_ignored.0 += 1;
            self.waits_ignored.1.get_or_insert_with(|| before.id.clone());
        }
        if let Some(&last) = known.last_event.get(&before.id)
            && last > ctx.now
        {
            return Err(format!(
                "case {} has events after now ({}): the ledger's timeline only moves forward",
                before.id,
                crate::time::rfc3339(last)
            ));
        }
        self.may_update(tx, before, &after)?;
        let changes = super::super::case::diff(before, &after).map_err(|e| e.to_string())?;
        if changes.is_empty() {
            return Ok(Plan::Unchanged);
        }
        Ok(Plan::Update { before: Box::new(before.clone()), after: Box::new(after), changes })
    }

    /// What stands in the way of changing `before` into `after`: a customer change or a
    /// close of a case the customer's account escalation holds, an opening moved past
    /// what the case already went through, a close under an open escalation.
    fn may_update(&self, tx: &mut dyn Txn, before: &Case, after: &Case) -> Result<(), String> {
        let ledger = |e: anyhow::Error| format!("ledger: {e:#}");
        if after.customer != before.customer
            && let Some(why) = held_by_account(tx, before, "changes customer").map_err(ledger)?
        {
            return Err(why);
        }
        if after.opened_at > before.opened_at
            && let Some(p) = opening_passed(tx, after).map_err(ledger)?
        {
            return Err(crate::render::changes::opening_passed("opened_at", after.opened_at, &p, self.ctx.tz()));
        }
        if after.status == CaseStatus::Closed
            && before.status == CaseStatus::Open
            && let Some(why) = close_blocked(tx, before).map_err(ledger)?
        {
            return Err(why);
        }
        Ok(())
    }
}
