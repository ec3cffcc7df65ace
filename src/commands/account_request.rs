//! `escalate account request CUSTOMER --case ID... --reason KEY --description TEXT`:
//! an account escalation spanning cases of one customer, owned by its DRI.
//! Guided on a terminal; the triggers are checked again inside the transaction.

use crate::app::{Ctx, key_of, one_line, text};
use crate::cli::AccountRequestArgs;
use crate::error;
use crate::events::{AccountRequested, CaseLink, EventBody};
use crate::model::{Case, Escalation, case_key};
use crate::prompt::prompter;
use crate::render::clean;
use crate::rules::account::triggers;

/// The request's values, asked on a terminal when flags leave them out.
struct Given {
    cases: Vec<String>,
    reason: String,
    description: String,
    destination: String,
    /// The destination's package fields, in its order.
    fields: indexmap::IndexMap<String, String>,
    level: u32,
}

fn gather(ctx: &Ctx, a: &AccountRequestArgs, customer: &str, open: &[Case]) -> anyhow::Result<Given> {
    let p = ctx.policy();
    let ask = prompter(a.yes, ctx.no_input);
    let mut cases: Vec<String> = a.cases.iter().map(|c| case_key(c)).collect();
    let mut reason = a.reason.clone();
    let mut description = a.description.clone();
    // Where it goes first: a policy without a leadership destination asks before anything else.
    let mut destination = match &a.to {
        Some(_) => Some(destination_of(ctx, a)?),
        None => destination_of(ctx, a).ok(),
    };
    if let Some(ask) = &ask {
        if destination.is_none() {
            let items: Vec<(String, String)> =
                p.destinations.iter().map(|(k, d)| (k.clone(), d.label.clone())).collect();
            destination = Some(ask.select("Where should it go? (the policy has no leadership destination)", &items)?);
        }
        if cases.is_empty() {
            let all: Vec<&str> = open.iter().map(|c| c.id.as_str()).collect();
            let answer = ask.text_with_default(
                &format!("Cases of {customer} the escalation spans (comma-separated)"),
                &all.join(", "),
            )?;
            cases = answer.split(',').map(case_key).filter(|c| !c.is_empty()).collect();
        }
        if reason.is_none() {
            let items: Vec<(String, String)> = p.reasons.iter().map(|(k, r)| (k.clone(), r.label.clone())).collect();
            reason = Some(ask.select("Reason", &items)?);
        }
        if description.is_none() {
            description = Some(ask.long_text("What is the account escalation about?")?);
        }
    }
    let mut missing = Vec::new();
    if cases.is_empty() {
        missing.push("  --case ID (repeatable: the customer's cases it spans)".to_string());
    }
    if reason.is_none() {
        missing.push(format!("  --reason KEY (one of: {})", crate::policy::Policy::keys(&p.reasons)));
    }
    if description.is_none() {
        missing.push("  --description TEXT".to_string());
    }
    if destination.is_none() {
        missing.push(format!("  --to DEST (one of: {})", crate::policy::Policy::keys(&p.destinations)));
    }
    if !missing.is_empty() {
        // The package's fields too, so that one error names everything to give.
        if let Some(dest) = &destination {
            let given = super::request::parse_fields(&a.fields).unwrap_or_default();
            let blank = |k: &str| given.get(k).is_none_or(|v: &String| v.trim().is_empty());
            let fields = p.destinations[dest].fields.iter().filter(|k| blank(k));
            missing.extend(fields.map(|k| format!("  --field {k}=... ({})", p.field_label(k))));
        }
        return Err(error::bad_input(format!(
            "missing values, and no terminal to ask on (or --yes/--no-input was given):\n{}",
            missing.join("\n")
        )));
    }
    let reason = key_of(&p.reasons, "--reason", "reason", reason.as_deref().unwrap_or_default())?;
    let description = text("--description", description.as_deref().unwrap_or_default())?;
    let destination = match destination {
        Some(d) => d,
        None => destination_of(ctx, a)?,
    };
    let level = a.level.unwrap_or(p.reasons[&reason].start_level);
    let allowed = p.start_levels();
    if !allowed.contains(&level) {
        let list = crate::render::either(&allowed.iter().map(u32::to_string).collect::<Vec<_>>());
        return Err(error::refused(format!(
            "an escalation may not start at level {level}: the policy lets requests start at level {list}"
        )));
    }
    let fields = package_fields(ctx, a, &destination)?;
    Ok(Given { cases, reason, description, destination, fields, level })
}

/// Where the account escalation goes: `--to`, else leadership, else the policy's only
/// destination; with several and no leadership, `--to` must say.
fn destination_of(ctx: &Ctx, a: &AccountRequestArgs) -> anyhow::Result<String> {
    let p = ctx.policy();
    Ok(match &a.to {
        Some(d) => key_of(&p.destinations, "--to", "destination", d)?,
        None if p.destinations.contains_key("leadership") => "leadership".to_string(),
        None if p.destinations.len() == 1 => p.destinations.keys().next().cloned().unwrap_or_default(),
        None => {
            let keys = p.destinations.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
            return Err(error::bad_input(format!(
                "give --to DEST: an account escalation goes to leadership unless told otherwise, and the policy has no \
                 destination \"leadership\" (its destinations: {keys})"
            )));
        }
    })
}

/// The destination's package fields: from `--field`, the rest asked on a
/// terminal; without one, every field missing is named.
fn package_fields(ctx: &Ctx, a: &AccountRequestArgs, dest: &str) -> anyhow::Result<indexmap::IndexMap<String, String>> {
    let p = ctx.policy();
    let mut fields = super::request::parse_fields(&a.fields)?;
    super::request::check_fields(p, dest, &fields)?;
    let wanted = &p.destinations[dest].fields;
    let blank = |f: &indexmap::IndexMap<String, String>, k: &str| f.get(k).is_none_or(|v| v.trim().is_empty());
    if let Some(ask) = prompter(a.yes, ctx.no_input) {
        for key in wanted {
            if blank(&fields, key) {
                fields.insert(key.clone(), ask.required(&format!("{} [{key}]", p.field_label(key)))?);
            }
        }
    }
    let missing: Vec<String> = wanted
        .iter()
        .filter(|k| blank(&fields, k))
        .map(|k| format!("  --field {k}=... ({})", p.field_label(k)))
        .collect();
    if !missing.is_empty() {
        let label = &p.destinations[dest].label;
        return Err(error::bad_input(format!(
            "the {label} package needs these fields, and there is no terminal to ask on (or --yes/--no-input was given):\n{}",
            missing.join("\n")
        )));
    }
    Ok(wanted.iter().filter_map(|k| fields.get(k).map(|v| (k.clone(), v.clone()))).collect())
}

pub fn run(ctx: &Ctx, a: AccountRequestArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let customer = one_line("CUSTOMER", &a.customer)?;
    let open: Vec<Case> = {
        let mut ledger = ctx.read_ledger()?;
        let mut tx = ledger.begin()?;
        let all = super::account::cases_of(&mut *tx, &customer)?;
        all.into_iter().filter(|c| c.status == crate::model::CaseStatus::Open).collect()
    };
    let g = gather(ctx, &a, &customer, &open)?;

    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    // Two requests for one account (of different cases) or a change of its people
    // at the same time: one after the other, each seeing what the first wrote.
    tx.hold_account(&customer)?;
    let cases = held_cases(ctx, &mut *tx, &customer, &g.cases)?;
    let replaced = replacing(ctx, &mut *tx, &customer)?;
    let met = qualifying(ctx, &mut *tx, &customer, &cases, &g.reason)?;
    let account = tx.account(&customer)?;
    let owner = crate::roster::dri(p, account.as_ref()).0.unwrap_or_else(|| ctx.actor.clone());
    let level = p.level(g.level).ok_or_else(|| error::policy(format!("the policy has no level {}", g.level)))?;
    let review_due_at = p.review_window(level.number, &g.destination).and_then(|r| p.calendar.add(ctx.now, r));
    let anchor = cases[0].id.clone();
    let mut esc = Escalation::new(
        &anchor,
        g.destination.clone(),
        g.reason.clone(),
        g.description.clone(),
        g.fields.clone(),
        &ctx.actor,
        ctx.now,
        review_due_at,
    );
    esc.level = g.level;
    esc.owner = owner.clone();
    esc.account = Some(customer.clone());
    esc.linked = cases.iter().map(|c| c.id.clone()).collect();
    if let Some(old) = &replaced {
        super::follow::end_replaced(ctx, &mut *tx, old.clone())?;
    }
    esc.id = tx.insert_escalation(&esc)?;
    let body = EventBody::AccountRequested(Box::new(AccountRequested {
        customer: customer.clone(),
        cases: esc.linked.clone(),
        level: g.level,
        destination: g.destination,
        reason: g.reason,
        description: g.description,
        fields: g.fields,
        owner,
        triggers: met.iter().map(|t| t.signal.to_string()).collect(),
        review_due_at,
    }));
    ctx.record(&mut *tx, &anchor, Some(esc.id), &body)?;
    for c in cases.iter().skip(1) {
        let link = EventBody::CaseLinked(CaseLink { customer: customer.clone(), case: c.id.clone() });
        ctx.record(&mut *tx, &c.id, Some(esc.id), &link)?;
    }
    tx.commit()?;
    let sentence = requested_sentence(ctx, &esc, &met, replaced.as_ref());
    super::follow::report(ctx, &cases[0], &esc, &sentence)
}

/// What a request says it did: the escalation it replaced, the one it opened and why it qualifies.
fn requested_sentence(
    ctx: &Ctx,
    esc: &Escalation,
    met: &[crate::rules::signals::Signal],
    replaced: Option<&Escalation>,
) -> String {
    let p = ctx.policy();
    let because: Vec<String> = met.iter().map(|t| format!("{} ({})", t.signal, clean(&t.detail))).collect();
    let ends = replaced.map_or(String::new(), |old| {
        let by = old.decided_by.as_deref().map(|w| format!(" by {}", clean(w))).unwrap_or_default();
        format!("Account escalation #{} (rejected at level {}{by}) ends: this request replaces it. ", old.id, old.level)
    });
    format!(
        "{ends}Requested account escalation #{} of {}: level {} ({}), spanning {}; owner (DRI) {}; to {}. Qualifies by {}.",
        esc.id,
        clean(esc.account.as_deref().unwrap_or_default()),
        esc.level,
        clean(&p.level(esc.level).map_or(String::new(), |l| l.name.clone())),
        clean(&esc.linked.join(", ")),
        clean(&esc.owner),
        clean(p.destinations.get(&esc.destination).map_or(esc.destination.as_str(), |d| d.label.as_str())),
        because.join("; ")
    )
}

/// The cases named, held, each the customer's (a case named twice once), while no
/// account escalation of the customer is open.
fn held_cases(ctx: &Ctx, tx: &mut dyn crate::ledger::Txn, customer: &str, ids: &[String]) -> anyhow::Result<Vec<Case>> {
    let mut cases: Vec<Case> = Vec::new();
    for id in ids {
        let c = ctx.case(&mut *tx, id)?;
        if c.customer != customer {
            return Err(error::bad_input(format!(
                "case {} is a case of {:?}, not of {customer:?}: an account escalation spans one customer's cases",
                c.id, c.customer
            )));
        }
        if !cases.iter().any(|x| x.id == c.id) {
            cases.push(c);
        }
    }
    Ok(cases)
}

/// The customer's open account escalation that this request replaces (a rejected one,
/// replaced by its requester where the policy allows it), or why none may be requested.
fn replacing(ctx: &Ctx, tx: &mut dyn crate::ledger::Txn, customer: &str) -> anyhow::Result<Option<Escalation>> {
    let all = tx.account_escalations(customer)?;
    let Some(e) = crate::model::open_escalation(&all) else { return Ok(None) };
    let (id, level) = (e.id, e.level);
    if e.state != crate::model::EscState::Rejected {
        return Err(error::refused(format!(
            "account escalation #{id} of {customer} is already open at level {level}: link more cases with `escalate account link {customer:?} ID`"
        )));
    }
    if ctx.policy().after_rejection == crate::policy::AfterRejection::PromoteOnly {
        return Err(error::refused(format!(
            "account escalation #{id} of {customer} was rejected at level {level}, and the policy lets a rejected \
             escalation go on only by promotion: `escalate account promote {customer:?} --why TEXT`"
        )));
    }
    if !crate::model::same_actor(&ctx.actor, &e.requested_by) {
        return Err(error::refused(format!(
            "account escalation #{id} of {customer} was rejected at level {level}: only its requester, {}, may replace it \
             with a new request (or withdraw it: `escalate account withdraw {customer:?} --why TEXT`)",
            clean(&e.requested_by)
        )));
    }
    Ok(Some(e.clone()))
}

/// The account triggers the request meets, or why it does not qualify.
fn qualifying(
    ctx: &Ctx,
    tx: &mut dyn crate::ledger::Txn,
    customer: &str,
    cases: &[Case],
    reason: &str,
) -> anyhow::Result<Vec<crate::rules::signals::Signal>> {
    // Fallout counts every open case of the customer, not only those given.
    let all_open = super::account::cases_of(&mut *tx, customer)?;
    let all_open: Vec<Case> = all_open.into_iter().filter(|c| c.status == crate::model::CaseStatus::Open).collect();
    let since = super::account::severity_since(ctx, &mut *tx, cases)?;
    let evaluated = triggers(ctx.policy(), (cases, &since), &all_open, Some(reason), ctx.now);
    let met: Vec<_> = evaluated.iter().filter(|t| t.raised).cloned().collect();
    if evaluated.is_empty() {
        return Err(error::refused(format!(
            "{customer} cannot have an account escalation: the policy sets no trigger for one (see `[accounts]`: emergency_severity and emergency_after, fallout_cases and fallout_window, reasons)"
        )));
    }
    if met.is_empty() {
        let why: Vec<String> = evaluated.iter().map(|t| format!("  {}: {}", t.signal, clean(&t.detail))).collect();
        return Err(error::refused(format!(
            "{customer} does not qualify for an account escalation: no trigger of the policy is met:\n{}",
            why.join("\n")
        )));
    }
    Ok(met)
}
