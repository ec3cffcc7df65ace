//! `escalate package ID`: the escalation document (impact, narrative,
//! reproduction, actions, request), completed with flags or `--edit`;
//! `escalate note ID`: actions taken and references.

use indexmap::IndexMap;

use crate::app::{Ctx, text};
use crate::cli::{DocFormat, NoteCmdArgs, PackageArgs, PackageItems};
use crate::error;
use crate::events::{ActionNoted, Attached, EventBody, PackageUpdated};
use crate::model::{Case, Escalation};
use crate::prompt::prompter;
use crate::render;
use crate::rules::package::{self, ITEMS};

/// The items given as flags, by key; each checked as text.
pub fn items_of(p: &PackageItems, ctx: &Ctx) -> anyhow::Result<IndexMap<String, String>> {
    let given = [
        ("summary", &p.summary),
        ("rating", &p.rating),
        ("affected", &p.affected),
        ("effect", &p.effect),
        ("revenue", &p.revenue),
        ("breadth", &p.breadth),
        ("depth", &p.depth),
        ("duration", &p.duration),
        ("reputation", &p.reputation),
        ("contractual", &p.contractual),
        ("narrative", &p.narrative),
        ("steps", &p.steps),
        ("expected", &p.expected),
        ("observed", &p.observed),
        ("environment", &p.environment),
        ("customer-expectation", &p.customer_expectation),
        ("escalation-risk", &p.escalation_risk),
        ("ask", &p.ask),
        ("deadline", &p.deadline),
    ];
    let mut out = IndexMap::new();
    for (key, v) in given {
        let Some(v) = v else { continue };
        out.insert(key.to_string(), check_item(ctx, key, v, &format!("--{key}"))?);
    }
    Ok(out)
}

/// An item's text as stored: not blank; a rating the policy knows; a deadline as a time.
fn check_item(ctx: &Ctx, key: &str, v: &str, name: &str) -> anyhow::Result<String> {
    let v = text(name, v)?;
    Ok(match key {
        "rating" => match crate::policy::Rating::parse(&v) {
            Some(r) => format!("{r:?}").to_ascii_lowercase(),
            None => return Err(error::bad_input(format!("{name} {v:?} is not critical, high or medium"))),
        },
        "deadline" => crate::time::rfc3339(ctx.parse_time(name, &v)?),
        _ => v,
    })
}

/// The escalation whose package a case shows, with the case its events are kept on:
/// the case's open escalation, else the open account escalation spanning it, else
/// the latest of either (the case's own first); exit 1 when there is none.
fn pick(ctx: &Ctx, tx: &mut dyn crate::ledger::Txn, case: Case) -> anyhow::Result<(Case, Escalation)> {
    let own = tx.escalations_of(&case.id)?;
    let spanning: Vec<Escalation> =
        tx.account_escalations(&case.customer)?.into_iter().filter(|e| e.linked.contains(&case.id)).collect();
    let open = |all: &[Escalation]| all.iter().rev().find(|e| e.state.is_active()).cloned();
    let chosen = open(&own).or_else(|| open(&spanning)).or_else(|| own.last().or(spanning.last()).cloned());
    match chosen {
        Some(e) if e.case_id == case.id => Ok((case, e)),
        Some(e) => Ok((ctx.case(tx, &e.case_id)?, e)),
        None => Err(error::refused(format!(
            "case {} has no escalation, so there is no package: request one with `escalate request {}`",
            case.id, case.id
        ))),
    }
}

/// The events a document is made of: its case's; for an account escalation, the
/// notes of every case it spans too (`note` records on the case it names).
fn document_events(
    tx: &mut dyn crate::ledger::Txn,
    case: &Case,
    esc: &Escalation,
) -> anyhow::Result<Vec<crate::model::Event>> {
    let mut events = tx.events_of(&case.id)?;
    for other in esc.linked.iter().filter(|c| **c != case.id) {
        let notes = tx.events_of(other)?.into_iter();
        events.extend(notes.filter(|e| matches!(e.body, EventBody::ActionNoted(_) | EventBody::Attached(_))));
    }
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

pub fn run(ctx: &Ctx, a: &PackageArgs) -> anyhow::Result<u8> {
    let mut items = items_of(&a.items, ctx)?;
    if a.edit {
        let Some(ask) = prompter(false, ctx.no_input) else {
            return Err(error::bad_input(format!(
                "--edit needs a terminal; set the items with flags instead: {}",
                ITEMS.iter().map(|i| format!("--{}", i.key)).collect::<Vec<_>>().join(" ")
            )));
        };
        let (case, esc) = read(ctx, &a.id)?;
        ask.say(&format!("The package of escalation #{} of case {} (leave a line empty to keep it):", esc.id, case.id));
        for it in ITEMS {
            if items.contains_key(it.key) {
                continue;
            }
            let now = package::own(&esc, it.key).unwrap_or_default();
            // The request's fields that fill the same place stay in the document.
            let fields: Vec<&str> = package::fields_of(&esc, it.key).into_iter().map(|(f, _)| f).collect();
            let label = if fields.is_empty() {
                it.label.to_string()
            } else {
                format!("{} (shown with the request's field {})", it.label, fields.join(", "))
            };
            loop {
                let answer = ask.text_with_default(&label, &now)?;
                if answer.trim().is_empty() || answer == now {
                    break;
                }
                // A bad answer is asked again rather than ending the session.
                match check_item(ctx, it.key, &answer, it.key) {
                    Ok(v) => {
                        items.insert(it.key.to_string(), v);
                        break;
                    }
                    Err(e) => ask.say(&format!("{e:#}")),
                }
            }
        }
    }
    for k in &a.clear {
        if package::item(k).is_none() {
            return Err(error::bad_input(format!(
                "--clear {k:?}: unknown package item (items: {})",
                ITEMS.iter().map(|i| i.key).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let (case, esc, events) = if items.is_empty() && a.clear.is_empty() {
        let (case, esc) = read(ctx, &a.id)?;
        let mut ledger = ctx.read_ledger()?;
        let mut tx = ledger.begin()?;
        let events = document_events(&mut *tx, &case, &esc)?;
        (case, esc, events)
    } else {
        let mut ledger = ctx.write_ledger()?;
        let mut tx = ledger.begin()?;
        let case = ctx.case(&mut *tx, &a.id)?;
        let (case, mut esc) = pick(ctx, &mut *tx, case)?;
        let changed = package::merge(&mut esc.package, &items).map_err(error::bad_input)?;
        let cleared: Vec<&String> = a.clear.iter().filter(|k| esc.package.items.shift_remove(*k).is_some()).collect();
        if !changed.is_empty() || !cleared.is_empty() {
            tx.update_escalation(&esc)?;
            let items: IndexMap<String, String> =
                changed.iter().filter_map(|k| Some((k.clone(), esc.package.items.get(k)?.clone()))).collect();
            let body =
                EventBody::PackageUpdated(PackageUpdated { items, cleared: cleared.into_iter().cloned().collect() });
            ctx.record(&mut *tx, &case.id, Some(esc.id), &body)?;
        }
        let events = document_events(&mut *tx, &case, &esc)?;
        tx.commit()?;
        (case, esc, events)
    };
    let mut doc = package::document(ctx.policy(), &case, &esc, &events, ctx.now);
    // The people behind it: the account's, and who is on call now.
    let (account, shifts) = {
        let mut ledger = ctx.read_ledger()?;
        let mut tx = ledger.begin()?;
        (tx.account(&case.customer)?, tx.shifts()?)
    };
    doc.people = crate::roster::people(ctx.policy(), account.as_ref(), &shifts, ctx.now);
    let format = a.format.unwrap_or(if ctx.out.json { DocFormat::Json } else { DocFormat::Markdown });
    match format {
        DocFormat::Json => ctx.out.json(&doc)?,
        DocFormat::Markdown => ctx.out.print(&render::package::markdown(&doc, ctx.tz()))?,
        DocFormat::Text => ctx.out.print(&render::package::text(&doc, ctx.tz()))?,
    }
    Ok(0)
}

fn read(ctx: &Ctx, id: &str) -> anyhow::Result<(Case, Escalation)> {
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, id)?;
    pick(ctx, &mut *tx, case)
}

/// An event `note` recorded, as its JSON shows it.
#[derive(serde::Serialize)]
struct Recorded {
    seq: i64,
    escalation: Option<i64>,
    #[serde(flatten)]
    body: EventBody,
}

pub fn note(ctx: &Ctx, a: &NoteCmdArgs) -> anyhow::Result<u8> {
    if a.action.is_none() && a.attach.is_empty() {
        return Err(error::bad_input("nothing to note: give --action TEXT [--outcome TEXT], or --attach PATH_OR_URL"));
    }
    let action = a.action.as_deref().map(|s| text("--action", s)).transpose()?;
    let outcome = a.outcome.as_deref().map(|s| text("--outcome", s)).transpose()?;
    let refs = a.attach.iter().map(|r| crate::app::one_line("--attach", r)).collect::<anyhow::Result<Vec<_>>>()?;
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let case = ctx.case(&mut *tx, &a.id)?;
    let all = tx.escalations_of(&case.id)?;
    // Notes go to the open escalation; without one they belong to the case, and every
    // later escalation's document shows them.
    let esc = crate::model::open_escalation(&all).map(|e| e.id);
    let mut recorded = Vec::new();
    if let Some(action) = &action {
        let body = EventBody::ActionNoted(ActionNoted { action: action.clone(), outcome: outcome.clone() });
        let seq = ctx.record(&mut *tx, &case.id, esc, &body)?;
        recorded.push(Recorded { seq, escalation: esc, body });
    }
    for r in &refs {
        let body = EventBody::Attached(Attached { reference: r.clone() });
        let seq = ctx.record(&mut *tx, &case.id, esc, &body)?;
        recorded.push(Recorded { seq, escalation: esc, body });
    }
    tx.commit()?;
    if ctx.out.json {
        ctx.out.json(&recorded)?;
    } else {
        let what = match (action.is_some(), refs.len()) {
            (true, 0) => "an action".to_string(),
            (false, n) => crate::render::count(n as u64, "reference"),
            (true, n) => format!("an action and {}", crate::render::count(n as u64, "reference")),
        };
        let to = esc.map_or(String::new(), |id| format!(" (escalation #{id})"));
        ctx.out.print(&format!(
            "Noted {what} on case {}{to}. `escalate package {}` shows them in the document.\n",
            render::clean(&case.id),
            render::clean(&case.id)
        ))?;
    }
    Ok(0)
}
