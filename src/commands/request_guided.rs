//! The guided request's questions on a terminal: the "when not to escalate"
//! screen, the deadline override when only the wait stands in the way, and
//! the reason, destination, description and package fields.

use indexmap::IndexMap;

use crate::app::Ctx;
use crate::error;
use crate::prompt::Prompter;
use crate::rules::check::{Eligibility, Rule};
use crate::rules::package::{SCREENS, screened_out};

/// The "when not to escalate" checks: asked on a terminal, taken
/// from `--screen` otherwise. A yes stops the request unless the user insists.
pub(super) fn screen(
    ask: Option<&Prompter>,
    answers: &mut IndexMap<String, bool>,
    anyway: bool,
) -> anyhow::Result<Option<String>> {
    if let Some(ask) = ask {
        for (key, question, _) in SCREENS {
            if !answers.contains_key(*key) {
                answers.insert(key.to_string(), ask.yes_no(question)?);
            }
        }
    }
    let why = screened_out(answers);
    if why.is_empty() || anyway {
        return Ok(None);
    }
    let because = why.join("; ");
    if let Some(ask) = ask {
        ask.say(&format!("This should not be escalated: {because}."));
        if ask.yes_no("Escalate anyway?")? {
            answers.insert("escalated-anyway".into(), true);
            // The reviewer is owed the reason: asked until one is given.
            loop {
                let given = ask.long_text("Why does it need escalating all the same?")?;
                if !given.trim().is_empty() {
                    return Ok(Some(given));
                }
                ask.say("Please give the reason: the reviewer reads it in the escalation document.");
            }
        }
    }
    Err(error::refused(format!(
        "request stopped: this should not be escalated: {because} (pass --escalate-anyway to escalate all the same)"
    )))
}

/// "Label: what it is for", or the label alone when there is nothing to add.
fn labelled(label: &str, what: &str) -> String {
    if what.trim().is_empty() { label.to_string() } else { format!("{label}: {what}") }
}

/// On a terminal, when the wait window alone refuses the request and a reason
/// may skip it: ask whether the customer faces a deadline before the wait ends,
/// and if so for the reason and the deadline. True when both were given.
pub(super) fn offer_override(
    ask: &Prompter,
    ctx: &Ctx,
    verdict: &Eligibility,
    reason: &mut Option<String>,
    deadline: &mut Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<bool> {
    let p = ctx.policy();
    let only_the_wait = !verdict.eligible && verdict.failures().all(|r| r.rule == Rule::WaitWindow);
    let skippers: Vec<(String, String)> = p
        .reasons
        .iter()
        .filter(|(k, r)| r.may_skip_wait && reason.as_deref().is_none_or(|given| given == k.as_str()))
        .map(|(k, r)| (k.clone(), labelled(&r.label, &r.help)))
        .collect();
    if !only_the_wait || skippers.is_empty() {
        return Ok(false);
    }
    let question = "The wait window has not passed. Does the customer face a hard deadline before it ends (a certificate expiring, a release, an event)?";
    if !ask.yes_no(question)? {
        return Ok(false);
    }
    *reason = Some(match skippers.as_slice() {
        [(only, _)] => only.clone(),
        _ => ask.select("Which reason is it?", &skippers)?,
    });
    let prompt = format!("When is the deadline? (YYYY-MM-DD HH:MM in {}, or RFC 3339)", ctx.tz().name());
    loop {
        let answer = ask.text(&prompt)?;
        match super::start::deadline(ctx, reason.as_deref(), Some(answer.trim())) {
            Ok(at) => {
                *deadline = at;
                return Ok(true);
            }
            Err(e) => ask.say(&format!("{e:#}")),
        }
    }
}

pub(super) fn gather(
    ask: &Prompter,
    ctx: &Ctx,
    case: &crate::model::Case,
    reason: &mut Option<String>,
    dest: &mut Option<String>,
    description: &mut Option<String>,
    fields: &mut IndexMap<String, String>,
) -> anyhow::Result<()> {
    let p = ctx.policy();
    if reason.is_none() {
        // Only the reasons that apply: first-response-missed needs a late first response.
        let late = crate::rules::sla::position(p, case, ctx.now).position == crate::rules::sla::Position::Breached;
        let items: Vec<(String, String)> = p
            .reasons
            .iter()
            .filter(|(_, r)| !r.needs_late_first_response || late)
            .map(|(k, r)| {
                (
                    k.clone(),
                    if r.help.trim().is_empty() { r.label.clone() } else { format!("{} ({})", r.label, r.help) },
                )
            })
            .collect();
        *reason = Some(ask.select("Why does this case need escalating?", &items)?);
    }
    if dest.is_none() {
        let items: Vec<(String, String)> =
            p.destinations.iter().map(|(k, d)| (k.clone(), labelled(&d.label, &d.trigger))).collect();
        *dest = Some(ask.select("Where should it go?", &items)?);
    }
    while description.as_deref().is_none_or(|d| d.trim().is_empty()) {
        *description = Some(ask.long_text("Describe why this escalation should be approved")?);
    }
    let Some(d) = dest.as_deref() else {
        return Ok(());
    };
    for key in &p.destinations[d].fields {
        if fields.get(key).is_none_or(|v| v.trim().is_empty()) {
            let v = ask.required(&format!("{} [{key}]", p.field_label(key)))?;
            fields.insert(key.clone(), v);
        }
    }
    Ok(())
}
