//! `escalate decide ID approve|reject --note TEXT`: the reviewer's decision.

use super::follow::{Pick, act, report};
use crate::app::{Ctx, text};
use crate::cli::{DecideArgs, Decision};
use crate::error;
use crate::events::{Decided, EventBody};
use crate::model::EscState;
use crate::prompt::prompter;
use crate::rules::follow::may_decide;

pub fn run(ctx: &Ctx, a: DecideArgs, target: super::follow::Target) -> anyhow::Result<u8> {
    let note = match (&a.note, a.decision) {
        (Some(n), _) => Some(text("--note", n)?),
        (None, Decision::Approve) => None,
        (None, Decision::Reject) => match prompter(a.yes, ctx.no_input) {
            // A blank answer asks again: the requester is owed a reason.
            Some(ask) => loop {
                let answer = ask.long_text("Why is it rejected? The requester is owed a reason")?;
                if !answer.trim().is_empty() {
                    break Some(answer);
                }
                ask.say("A rejection needs a reason; please give one.");
            },
            None => {
                return Err(error::bad_input(
                    "a rejection needs --note TEXT: the requester is told why the escalation did not proceed",
                ));
            }
        },
    };
    let (case, esc) = act(ctx, &target, Pick::Open, |_, e, _| {
        may_decide(ctx.policy(), e, &ctx.actor).map_err(|d| super::follow::refused(ctx, &d))?;
        let (state, word) = match a.decision {
            Decision::Approve => (EscState::Approved, "approved"),
            Decision::Reject => (EscState::Rejected, "rejected"),
        };
        e.state = state;
        e.decision = Some(word.to_string());
        e.decided_by = Some(ctx.actor.clone());
        e.decided_at = Some(ctx.now);
        e.decision_note = note.clone();
        Ok(EventBody::Decided(Decided { decision: state, level: e.level, note: note.clone() }))
    })?;
    let word = if esc.state == EscState::Approved { "Approved" } else { "Rejected" };
    // An escalation routed immediately skips the levels: no level is named.
    let sentence = match ctx.policy().routed_directly(&esc.destination) {
        Some(d) => format!("{word} {} (routed immediately to {}).", super::follow::named(&esc), d.receiver),
        None => format!("{word} level {} of {}.", esc.level, super::follow::named(&esc)),
    };
    report(ctx, &case, &esc, &sentence)
}
