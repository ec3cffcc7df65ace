//! An upsert's change to a case already in the ledger: the row, its event
//! (and the outage page or warning it may bring), and a wait that begins.

use indexmap::IndexMap;

use super::Run;
use crate::events::{Change, EventBody, Paused};
use crate::ledger::{NewEvent, Txn};
use crate::model::Case;
use crate::notify::outbox::queue_case_event;

impl Run<'_> {
    /// An escalated case raised to a severity that is not escalated but handled as
    /// an outage: said once the import is over (the outage process is by hand).
    pub(super) fn outage_warning(
        &self,
        tx: &mut dyn Txn,
        before: &Case,
        after: &Case,
    ) -> anyhow::Result<Option<String>> {
        let outage = self.ctx.policy().severities.get(&after.severity).filter(|s| !s.escalable);
        let Some(s) = outage.filter(|_| after.severity != before.severity) else { return Ok(None) };
        let escalated = crate::model::open_escalation(&tx.escalations_of(&after.id)?).is_some();
        Ok(escalated.then(|| crate::render::changes::escalated_outage(after, s)))
    }

    pub(super) fn update(
        &mut self,
        tx: &mut dyn Txn,
        before: &Case,
        after: &Case,
        changes: IndexMap<String, Change>,
    ) -> anyhow::Result<()> {
        let ctx = self.ctx;
        let event = |tx: &mut dyn Txn, body: &EventBody| -> anyhow::Result<i64> {
            let data = body.data_json()?;
            Ok(tx.append_event(&NewEvent {
                at: ctx.now,
                actor: &ctx.actor,
                case_id: &after.id,
                escalation: None,
                kind: body.kind(),
                data: &data,
                policy_digest: &ctx.loaded.digest,
            })?)
        };
        tx.update_case(after, ctx.now)?;
        let body = EventBody::CaseUpdated(changes);
        let seq = event(tx, &body)?;
        // Raised to a severity that pages, or reopened at one: an outage, as by hand.
        queue_case_event(ctx, tx, seq, after, None, &body)?;
        if let Some(w) = self.outage_warning(tx, before, after)? {
            self.warnings.push(w);
        }
        if before.waiting_since.is_none()
            && let Some(since) = after.waiting_since
        {
            tx.start_pause(&after.id, since)?;
            event(tx, &EventBody::Paused(waiting(since)))?;
        }
        Ok(())
    }
}

/// The event of a case that waits on the customer since `since`.
pub(super) fn waiting(since: chrono::DateTime<chrono::Utc>) -> Paused {
    Paused { note: "waiting on the customer".into(), since: Some(since) }
}
