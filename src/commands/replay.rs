//! `escalate policy replay NEW.toml`: the ledger's history evaluated again under
//! another policy. Read-only: the ledger is opened for reading and never written.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::cli::{Format, Global, PolicyReplayArgs};
use crate::error;
use crate::ledger::Ledger;
use crate::model::Event;
use crate::policy::Policy;
use crate::policy::load::{self, Origin};
use crate::render::{self, Out};
use crate::rules::replay::{CaseLog, Policies, Replayed, replay_case, summarize};

pub fn run(g: &Global, a: &PolicyReplayArgs) -> anyhow::Result<u8> {
    let out = Out::from_env(g.json);
    // The new policy first: an invalid one is exit 3 before the ledger is opened.
    let loaded = load::load_from(Origin::Named(a.file.clone()))?;
    let new = &loaded.policy;
    let tz = new.calendar.tz;
    let since = a.since.as_deref().map(|s| crate::time::parse_user("--since", s, tz)).transpose()?;
    let until = a.until.as_deref().map(|s| crate::time::parse_user("--until", s, tz)).transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && u <= s
    {
        return Err(error::bad_input("--until must come after --since"));
    }
    let location = crate::app::ledger_location(g.ledger.as_deref().map(std::path::Path::new))?;
    let (items, account_acts) =
        history(&location, new, since, until).map_err(|e| super::name_the_ledger(e, &location))?;
    let mut summary = summarize(new, &items);
    summary.account_acts_not_replayed = account_acts;
    let changes: Vec<Replayed> = items.into_iter().filter(Replayed::changed).collect();
    let replay = render::replay::Replay {
        policy: loaded.origin.to_string(),
        digest: &loaded.digest,
        since,
        until,
        summary: &summary,
        changes: &changes,
    };
    match a.format.unwrap_or(if out.json { Format::Json } else { Format::Table }) {
        Format::Json => out.json(&replay)?,
        Format::Table => out.print(&render::replay::table(&out, &replay, tz))?,
        format @ (Format::Csv | Format::Ndjson) => {
            let rows = render::replay::rows(&changes, tz);
            out.rows(format, &rows, Some(render::replay::CSV_HEADER), String::new)?;
        }
    }
    Ok(0)
}

/// Every recorded act in [since, until), evaluated again, in log order; and how many
/// acts of account escalations were left out.
fn history(
    location: &crate::ledger::Location,
    new: &Policy,
    since: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<(Vec<Replayed>, usize)> {
    let mut ledger = Ledger::open_read(location)?;
    let mut tx = ledger.begin()?;
    // The policies the events were recorded under; one that no longer parses is left out.
    let recorded: HashMap<String, Policy> = tx
        .policies()?
        .into_iter()
        .filter_map(|row| Policy::parse(&row.text, &row.origin).ok().map(|p| (row.digest, p)))
        .collect();
    // The whole log is read: an act's context (the case, its escalations) begins before --since.
    let mut by_case: IndexMap<String, Vec<Event>> = IndexMap::new();
    tx.each_event(None, &mut |e| {
        by_case.entry(e.case_id.clone()).or_default().push(e);
        Ok(())
    })?;
    let ids: Vec<String> = by_case.keys().cloned().collect();
    let mut pauses = tx.pauses_of_cases(&ids)?;
    drop(tx);
    let policies = Policies { new, recorded: &recorded };
    let mut items = Vec::new();
    let account_acts = by_case.values().map(|events| crate::rules::replay::account_acts(events, since, until)).sum();
    for (id, events) in by_case {
        let log = CaseLog { events, pauses: pauses.remove(&id).unwrap_or_default() };
        items.extend(replay_case(&policies, &log, since, until));
    }
    items.sort_by_key(|r| r.seq);
    Ok((items, account_acts))
}
