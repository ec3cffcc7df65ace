//! `escalate account set|show|list|link|unlink` and the follow-through on an
//! account escalation (the same commands as on a case escalation).

use serde_json::json;

use super::follow::{self, Target};
use crate::app::{Ctx, one_line};
use crate::cli::{AccountCommand, AccountLinkArgs, AccountSetArgs, CustomerArg};
use crate::error;
use crate::events::{AccountPeople, CaseLink, EventBody};
use crate::ledger::CaseFilter;
use crate::render::clean;
use crate::roster::{Account, dri};

pub fn run(ctx: &Ctx, cmd: AccountCommand) -> anyhow::Result<u8> {
    let t = |id: &str| Target::Account(id.to_string());
    match cmd {
        AccountCommand::Set(a) => set(ctx, &a),
        AccountCommand::Show(a) => show(ctx, &a),
        AccountCommand::List => list(ctx),
        AccountCommand::Request(a) => super::account_request::run(ctx, a),
        AccountCommand::Link(a) => link(ctx, &a, true),
        AccountCommand::Unlink(a) => link(ctx, &a, false),
        AccountCommand::Decide(a) => {
            let target = t(&a.id);
            super::decide::run(ctx, a, target)
        }
        AccountCommand::Promote(a) => {
            let target = t(&a.id);
            super::promote::run(ctx, a, target)
        }
        AccountCommand::Withdraw(a) => follow::withdraw(ctx, &a, t(&a.id)),
        AccountCommand::Assign(a) => follow::assign(ctx, &a, t(&a.id)),
        AccountCommand::Handoff(a) => follow::handoff(ctx, &a, t(&a.id)),
        AccountCommand::Update(a) => follow::update(ctx, &a, t(&a.id)),
        AccountCommand::Close(a) => follow::close(ctx, &a, t(&a.id)),
        AccountCommand::Reopen(a) => follow::reopen(ctx, &a, t(&a.id)),
        AccountCommand::Rca(a) => super::outage::rca(ctx, &a, t(&a.id)),
    }
}

/// The customer's cases, or exit 2: an account is known by its cases.
pub fn cases_of(tx: &mut dyn crate::ledger::Txn, customer: &str) -> anyhow::Result<Vec<crate::model::Case>> {
    let cases = tx.list_cases(&CaseFilter { customer: Some(customer.to_string()), ..Default::default() })?;
    if cases.is_empty() {
        // The same name in another case, among the customers of open cases and of
        // accounts (a few rows, however large the ledger).
        let open = tx.list_cases(&CaseFilter { status: Some(crate::model::CaseStatus::Open), ..Default::default() })?;
        let known = open.into_iter().map(|c| c.customer).chain(tx.accounts()?.into_iter().map(|a| a.customer));
        let lower = customer.to_lowercase();
        let hint = match known.into_iter().find(|c| c.to_lowercase() == lower) {
            Some(name) => {
                format!("did you mean {:?}? A customer's name is matched exactly, case included", clean(&name))
            }
            None => "a new customer's first case is added with `escalate case add ID --customer NAME`".to_string(),
        };
        return Err(error::bad_input(format!(
            "customer {customer:?} has no cases in the ledger: an account is known by its cases ({hint})"
        )));
    }
    Ok(cases)
}

/// When each open case of `cases` at the policy's emergency severity reached it,
/// read from its events: an emergency runs from then, not from the case's opening.
pub fn severity_since(
    ctx: &Ctx,
    tx: &mut dyn crate::ledger::Txn,
    cases: &[crate::model::Case],
) -> anyhow::Result<crate::rules::account::SeveritySince> {
    let mut since = crate::rules::account::SeveritySince::new();
    let Some((severity, _)) = ctx.policy().accounts.emergency else { return Ok(since) };
    let open = |c: &&crate::model::Case| c.severity == severity && c.status == crate::model::CaseStatus::Open;
    for c in cases.iter().filter(open) {
        since.insert(c.id.clone(), crate::rules::account::severity_since(c, &tx.events_of(&c.id)?));
    }
    Ok(since)
}

fn set(ctx: &Ctx, a: &AccountSetArgs) -> anyhow::Result<u8> {
    let customer = one_line("CUSTOMER", &a.customer)?;
    let name = |flag: &str, v: &Option<String>| {
        v.as_deref().map(|v| one_line(flag, v).map(|n| ctx.given_person(flag, n))).transpose()
    };
    let (csm, ae, named) = (name("--csm", &a.csm)?, name("--ae", &a.ae)?, name("--dri", &a.dri)?);
    if csm.is_none() && ae.is_none() && named.is_none() {
        return Err(error::bad_input("give at least one of --csm NAME, --ae NAME, --dri NAME"));
    }
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    // The account held first: a request opening an escalation of it waits, or is waited for.
    tx.hold_account(&customer)?;
    cases_of(&mut *tx, &customer)?;
    // The open account escalation's anchor case held next, as the follow-through
    // commands hold it: the account and the escalation are read as they stay.
    if let Some(open) = tx.account_escalations(&customer)?.into_iter().find(|e| e.state.is_active()) {
        tx.case(&open.case_id)?;
    }
    let old = tx.account(&customer)?;
    let keep = |new: Option<String>, old: Option<&String>| new.or_else(|| old.cloned());
    let account = Account {
        csm: keep(csm, old.as_ref().and_then(|o| o.csm.as_ref())),
        ae: keep(ae, old.as_ref().and_then(|o| o.ae.as_ref())),
        dri: keep(named, old.as_ref().and_then(|o| o.dri.as_ref())),
        customer,
        updated_at: ctx.now,
    };
    let owned = guard_open_escalation(ctx, &mut *tx, old.as_ref(), &account)?;
    tx.put_account(&account)?;
    tx.commit()?;
    let (who, source) = dri(ctx.policy(), Some(&account));
    if ctx.out.json {
        let owner = owned.map(|e| json!({ "escalation": e.id, "owner": e.owner }));
        return ctx
            .out
            .json(&json!({ "account": account, "dri": who, "dri_source": source, "now_owns": owner }))
            .map(|_| 0);
    }
    let who = who.map_or("nobody".to_string(), |w| clean(&w));
    let owns = owned.map_or(String::new(), |e| format!(" {who} now owns account escalation #{}.", e.id));
    ctx.out.print(&format!(
        "Set the people of {}. Escalation DRI: {who} ({}).{owns}\n",
        clean(&account.customer),
        source.words()
    ))?;
    Ok(0)
}

/// While an account escalation of the customer is open, its DRI decides who may
/// close it: changing who the DRI is takes as much as taking the escalation over,
/// and the account's people are recorded in its log. The escalation, when the new
/// DRI now owns it.
fn guard_open_escalation(
    ctx: &Ctx,
    tx: &mut dyn crate::ledger::Txn,
    old: Option<&Account>,
    new: &Account,
) -> anyhow::Result<Option<crate::model::Escalation>> {
    let open = tx.account_escalations(&new.customer)?.into_iter().find(|e| e.state.is_active());
    let Some(esc) = open else { return Ok(None) };
    let (dri_was, dri_now) = (dri(ctx.policy(), old).0, dri(ctx.policy(), Some(new)).0);
    let same = match (&dri_was, &dri_now) {
        (Some(a), Some(b)) => crate::model::same_actor(a, b),
        (a, b) => a == b,
    };
    if !same {
        let standing = follow::standing(ctx, tx, &esc)?;
        crate::rules::follow::may_take_over(ctx.policy(), &esc, &ctx.actor, &standing).map_err(|d| match d {
            crate::rules::follow::Denied::NotOwnerOrTakeOver { owner, take_over, .. } => error::refused(format!(
                "{} may not change who is the escalation DRI of {} while its account escalation #{} is open: \
                 only {} may",
                ctx.actor,
                new.customer,
                esc.id,
                crate::render::finding::who_may(&owner, &take_over)
            )),
            other => follow::refused(ctx, &other),
        })?;
    }
    // The DRI owns the escalation: one that its old DRI owned passes to the new one
    // (one handed over or assigned to someone else stays theirs).
    // (With no DRI before, its owner stood in for one: the requester, unless it was
    // handed over or assigned since.)
    let owned_by_dri = match &dri_was {
        Some(was) => crate::model::same_actor(was, &esc.owner),
        None => crate::model::same_actor(&esc.requested_by, &esc.owner),
    };
    let new_owner = dri_now.clone().filter(|now| !same && owned_by_dri && !crate::model::same_actor(now, &esc.owner));
    let body = EventBody::AccountPeopleSet(AccountPeople {
        customer: new.customer.clone(),
        csm: new.csm.clone(),
        ae: new.ae.clone(),
        dri: new.dri.clone(),
        dri_was,
        dri_now,
    });
    ctx.record(tx, &esc.case_id, Some(esc.id), &body)?;
    let Some(to) = new_owner else { return Ok(None) };
    let change = crate::events::OwnerChange {
        from: esc.owner.clone(),
        to: to.clone(),
        note: Some(format!("{to} is now the account's escalation DRI")),
        manager: None,
    };
    let mut owned = esc.clone();
    owned.owner = to;
    tx.update_escalation(&owned)?;
    ctx.record(tx, &esc.case_id, Some(esc.id), &EventBody::Assigned(change))?;
    Ok(Some(owned))
}

fn people_rows(ctx: &Ctx, account: &Account) -> Vec<(String, String)> {
    let (who, source) = dri(ctx.policy(), Some(account));
    let shown = |v: &Option<String>| v.as_deref().map_or("-".to_string(), clean);
    vec![
        ("Customer success manager".into(), shown(&account.csm)),
        ("Account executive".into(), shown(&account.ae)),
        ("Escalation DRI".into(), format!("{} ({})", who.as_deref().map_or("nobody".into(), clean), source.words())),
    ]
}

fn show(ctx: &Ctx, a: &CustomerArg) -> anyhow::Result<u8> {
    let customer = one_line("CUSTOMER", &a.customer)?;
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let cases = cases_of(&mut *tx, &customer)?;
    let account = tx.account(&customer)?;
    let escalations = tx.account_escalations(&customer)?;
    let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
    let of_cases = tx.escalations_of_cases(&ids)?;
    let (who, source) = dri(ctx.policy(), account.as_ref());
    if ctx.out.json {
        let value = json!({ "customer": customer, "account": account, "dri": who, "dri_source": source,
            "cases": ids, "account_escalations": escalations, "case_escalations": of_cases });
        return ctx.out.json(&value).map(|_| 0);
    }
    let blank = Account { customer: customer.clone(), csm: None, ae: None, dri: None, updated_at: ctx.now };
    let mut t = ctx.out.table(&["Account", &clean(&customer)]);
    for (k, v) in people_rows(ctx, account.as_ref().unwrap_or(&blank)) {
        t.add_row(vec![k, v]);
    }
    let open: Vec<String> =
        cases.iter().filter(|c| c.status == crate::model::CaseStatus::Open).map(|c| clean(&c.id)).collect();
    t.add_row(vec!["Open cases".into(), open.join(", ")]);
    let mut s = format!("{t}\n");
    for e in &escalations {
        s.push_str(&format!(
            "Account escalation #{}: level {}, {}, owner {}, for {}; spans {}\n",
            e.id,
            e.level,
            e.state,
            clean(&e.owner),
            clean(&e.reason),
            clean(&e.linked.join(", "))
        ));
    }
    for e in of_cases.iter().filter(|e| e.state.is_active()) {
        s.push_str(&format!(
            "Case escalation #{} of case {}: level {}, {}, owner {}\n",
            e.id,
            clean(&e.case_id),
            e.level,
            e.state,
            clean(&e.owner)
        ));
    }
    ctx.out.print(&s)?;
    Ok(0)
}

fn list(ctx: &Ctx) -> anyhow::Result<u8> {
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let accounts = tx.accounts()?;
    if ctx.out.json {
        let rows: Vec<_> = accounts
            .iter()
            .map(|a| {
                let (who, source) = dri(ctx.policy(), Some(a));
                json!({ "account": a, "dri": who, "dri_source": source })
            })
            .collect();
        return ctx.out.json(&rows).map(|_| 0);
    }
    let mut t = ctx.out.table(&["Customer", "CSM", "AE", "Escalation DRI"]);
    for a in &accounts {
        let rows = people_rows(ctx, a);
        t.add_row(vec![clean(&a.customer), rows[0].1.clone(), rows[1].1.clone(), rows[2].1.clone()]);
    }
    ctx.out.print(&format!("{t}\n"))?;
    Ok(0)
}

fn link(ctx: &Ctx, a: &AccountLinkArgs, linking: bool) -> anyhow::Result<u8> {
    let customer = one_line("CUSTOMER", &a.customer)?;
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, &a.id)?;
    if case.customer != customer {
        return Err(error::bad_input(format!(
            "case {} is a case of {:?}, not of {customer:?}: link only the customer's own cases",
            case.id, case.customer
        )));
    }
    let (_, all) = follow::load(ctx, &mut *tx, &Target::Account(customer.clone()))?;
    let Some(mut esc) = crate::model::open_escalation(&all).cloned() else {
        return Err(error::refused(format!("{customer} has no open account escalation to link a case to")));
    };
    let linked = esc.linked.contains(&case.id);
    if linked == linking {
        let state = if linking { "already linked to" } else { "not linked to" };
        return Err(error::bad_input(format!("case {} is {state} {}", case.id, follow::named(&esc))));
    }
    if !linking && esc.case_id == case.id {
        return Err(error::bad_input(format!(
            "case {} is where {} keeps its events: it stays linked (close or withdraw the account escalation instead)",
            case.id,
            follow::named(&esc)
        )));
    }
    if linking {
        esc.linked.push(case.id.clone());
    } else {
        esc.linked.retain(|c| c != &case.id);
    }
    tx.update_escalation(&esc)?;
    let l = CaseLink { customer: customer.clone(), case: case.id.clone() };
    let body = if linking { EventBody::CaseLinked(l) } else { EventBody::CaseUnlinked(l) };
    ctx.record(&mut *tx, &case.id, Some(esc.id), &body)?;
    tx.commit()?;
    let word = if linking { "Linked" } else { "Unlinked" };
    let dir = if linking { "to" } else { "from" };
    let sentence =
        format!("{word} case {} {dir} {}; it spans {}.", case.id, follow::named(&esc), esc.linked.join(", "));
    follow::report(ctx, &case, &esc, &sentence)
}
