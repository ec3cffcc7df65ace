//! `escalate ledger verify` and `ledger checkpoint`: walk the event log's hash
//! chain, name the first event that does not match, and sign or check a
//! checkpoint of its head kept outside the ledger.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::app::Ctx;
use crate::chain::checkpoint::{self, Checkpoint};
use crate::chain::tables::{CaseTally, Disagreement, Tally};
use crate::chain::verify::{Break, Verifier};
use crate::cli::{LedgerCheckpointArgs, LedgerVerifyArgs};
use crate::error;

/// The chain as walked: its size, head, origin, and the hash at a size asked about.
#[derive(Debug, Serialize)]
struct Walked {
    events: u64,
    head: String,
    origin: String,
    #[serde(skip)]
    hash_at: Option<String>,
    /// Where the escalations table parts from the log, if it does.
    #[serde(skip)]
    parted: Option<Disagreement>,
}

impl Walked {
    /// The table agrees with the log, or the ledger was altered around escalate.
    fn tables_agree(&self) -> anyhow::Result<()> {
        self.parted.as_ref().map_or(Ok(()), |d| Err(error::altered(disagreement(d))))
    }
}

/// Walk the whole chain, then hold the escalations table (and with `cases`, the
/// cases table) to what the chain tells; `at` asks for the hash after that many events.
fn walk(ctx: &Ctx, at: Option<u64>, cases: bool) -> anyhow::Result<Walked> {
    let mut ledger = ctx.read_ledger()?;
    let mut tx = ledger.begin()?;
    let mut v = Verifier::default();
    let mut tally = Tally::default();
    let (mut first, mut hash_at, mut broke) = (None, None, None);
    tx.each_stored_event(&mut |e| {
        if broke.is_some() {
            return Ok(());
        }
        match e.feed(&mut v) {
            Ok(()) => {
                if first.is_none() {
                    first = Some(v.head.clone());
                }
                if at == Some(v.count) {
                    hash_at = Some(v.head.clone());
                }
            }
            Err(b) => broke = Some(b),
        }
        // Only an escalation's events tell of the table (the data of the rest is not read).
        if broke.is_none() && e.escalation.is_some() {
            let seq = e.seq;
            match crate::model::Event::from_stored(e) {
                Ok(ev) => tally.apply(&ev),
                Err(why) => broke = Some(Break::Unreadable { seq, why }),
            }
        }
        Ok(())
    })?;
    if let Some(b) = broke {
        return Err(error::altered(words(&b, v.count)));
    }
    let mut parted = None;
    tx.each_escalation(None, &mut |e| {
        if parted.is_none() {
            parted = tally.check(&e);
        }
        Ok(())
    })?;
    let parted = match parted.or_else(|| tally.rest()) {
        None => policies_part(&mut *tx)?,
        other => other,
    };
    let parted = match parted {
        None if cases => cases_part(&mut *tx)?,
        other => other,
    };
    Ok(Walked { events: v.count, origin: checkpoint::origin(first.as_deref()), head: v.head, hash_at, parted })
}

/// A policy the ledger keeps whose text no longer has its digest: the events name
/// the policy they were recorded under by digest, and `policy replay` reads its text.
fn policies_part(tx: &mut dyn crate::ledger::Txn) -> anyhow::Result<Option<Disagreement>> {
    let changed = tx.policies()?.into_iter().find(|p| crate::policy::load::digest(&p.text) != p.digest);
    Ok(changed.map(|p| Disagreement::PolicyText { digest: p.digest }))
}

/// Where the cases table parts from the log, if it does: each case's row against
/// what its events leave it, the field named when one differs.
fn cases_part(tx: &mut dyn crate::ledger::Txn) -> anyhow::Result<Option<Disagreement>> {
    let mut tally = CaseTally::default();
    tx.each_case_event(&mut |ev| {
        tally.apply(&ev);
        Ok(())
    })?;
    let mut parted = None;
    // The open cases' tags, as the tags index must list them.
    let mut tagged: HashMap<String, BTreeSet<String>> = HashMap::new();
    tx.each_case(None, &mut |(c, pauses)| {
        if c.status == crate::model::CaseStatus::Open && !c.tags.is_empty() {
            tagged.insert(c.id.clone(), c.tags.iter().cloned().collect());
        }
        if parted.is_none() {
            parted = tally.check(&c, &pauses).map(|d| (d, (c, pauses)));
        }
        Ok(())
    })?;
    let Some((d, (table, pauses))) = parted else {
        return Ok(match tally.rest() {
            None => tags_part(tx, tagged)?,
            rest => rest,
        });
    };
    let Disagreement::CaseField { id, .. } = &d else { return Ok(Some(d)) };
    // Which field: the case's events folded again, alone.
    let mut past = crate::rules::history::Past::default();
    for ev in tx.events_of(id)? {
        past.apply(&ev);
    }
    let field =
        past.case.as_ref().and_then(|log| crate::chain::tables::differing((&table, &pauses), (log, &past.pauses)));
    Ok(Some(Disagreement::CaseField { id: id.clone(), field }))
}

/// Where the tags index parts from the open cases' tags (`tagged`, taken away
/// as the index's rows are read), if it does.
fn tags_part(
    tx: &mut dyn crate::ledger::Txn,
    mut tagged: HashMap<String, BTreeSet<String>>,
) -> anyhow::Result<Option<Disagreement>> {
    let mut extra = None;
    tx.each_case_tag(&mut |(id, tag)| {
        let listed = tagged.get_mut(&id).is_some_and(|tags| tags.remove(&tag));
        if !listed && extra.is_none() {
            extra = Some(Disagreement::CaseTag { id, tag, indexed: true });
        }
        Ok(())
    })?;
    if extra.is_some() {
        return Ok(extra);
    }
    let mut missing: Vec<(String, String)> =
        tagged.into_iter().flat_map(|(id, tags)| tags.into_iter().map(move |t| (id.clone(), t))).collect();
    missing.sort();
    Ok(missing.into_iter().next().map(|(id, tag)| Disagreement::CaseTag { id, tag, indexed: false }))
}

/// Where the escalations or cases table parts from the log, in words.
fn disagreement(d: &Disagreement) -> String {
    let what = match d {
        Disagreement::NotInLog { id } => {
            format!("escalation #{id} is in the escalations table, and the event log never requested it")
        }
        Disagreement::NotInTable { id } => {
            format!("escalation #{id} was requested in the event log, and the escalations table does not hold it")
        }
        Disagreement::Field { id, field, table, log } => {
            format!("escalation #{id}'s {field} is {table:?} in the escalations table, and its events leave it {log:?}")
        }
        Disagreement::CaseNotInLog { id } => {
            format!("case {id} is in the cases table, and the event log never added it")
        }
        Disagreement::CaseNotInTable { id } => {
            format!("case {id} was added in the event log, and the cases table does not hold it")
        }
        Disagreement::CaseField { id, field: Some((field, table, log)) } if field == "pauses" => {
            format!(
                "case {id}'s waits on the customer are {table} in the pauses table, and its events leave them {log}"
            )
        }
        Disagreement::CaseField { id, field: Some((field, table, log)) } => {
            format!("case {id}'s {field} is {table} in the cases table, and its events leave it {log}")
        }
        Disagreement::CaseField { id, field: None } => {
            format!("case {id}'s row in the cases table is not what its events leave it")
        }
        Disagreement::CaseTag { id, tag, indexed: true } => {
            format!("the tags index lists case {id} under the tag {tag:?}, and the case is not open with that tag")
        }
        Disagreement::CaseTag { id, tag, indexed: false } => {
            format!("case {id} is open with the tag {tag:?}, and the tags index does not list it under that tag")
        }
        Disagreement::PolicyText { digest } => {
            format!("the policy kept as {digest} has a text with another digest: it was edited after it was recorded")
        }
    };
    format!("the ledger was altered around escalate: {what} (the event log itself verifies)")
}

/// The break in words: which event, and what it means.
fn words(b: &Break, good: u64) -> String {
    let after = match good {
        0 => "from the start".to_string(),
        1 => "after 1 good event".to_string(),
        n => format!("after {n} good events"),
    };
    let what = match b {
        Break::Missing { expected, found } => {
            format!("event {expected} is missing: the log goes on at {found} (events were deleted or renumbered)")
        }
        Break::OutOfPlace { seq } => {
            format!("event {seq} does not follow the event before it (events were moved, inserted or reordered)")
        }
        Break::Altered { seq, case_id, kind } => {
            format!(
                "event {seq} ({kind} of case {case_id}) does not match its hash: it was changed after it was written"
            )
        }
        Break::Unchained { seq } => format!("event {seq} has no hash: it was written around escalate"),
        Break::Unreadable { seq, why } => format!("event {seq} cannot be read: {why}"),
    };
    format!("the ledger was altered: {what} ({after})")
}

pub fn verify(ctx: &Ctx, a: &LedgerVerifyArgs) -> anyhow::Result<u8> {
    let cp = a.checkpoint.as_deref().map(read_checkpoint).transpose()?;
    if let (Some(c), Some(want)) = (&cp, a.key.as_deref()) {
        use base64::Engine as _;
        let key = base64::engine::general_purpose::STANDARD.decode(want.trim());
        if key.as_ref().map_or(true, |k| k.len() != 32) {
            return Err(error::bad_input(format!(
                "--key {:?} is not a public key: give the base64 Ed25519 key of a checkpoint you trust (its `key` line)",
                crate::render::clean(want.trim())
            )));
        }
        let signed = base64::engine::general_purpose::STANDARD.encode(&c.public_key);
        if signed != want.trim() {
            return Err(error::altered(format!(
                "the checkpoint is signed with key {signed}, not with the key given ({}): it may have been re-signed",
                crate::render::clean(want.trim())
            )));
        }
    }
    let walked = walk(ctx, cp.as_ref().map(|c| c.size), a.cases)?;
    // What a checkpoint says of the log comes first: it names what was removed.
    if let Some(c) = &cp {
        extends(&walked, c)?;
    }
    walked.tables_agree()?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "verified": true,
            "events": walked.events,
            "head": walked.head,
            "origin": walked.origin,
            "checkpoint": cp.as_ref().map(|c| serde_json::json!({"size": c.size, "head": c.head})),
        }))?;
    } else {
        let mut s = format!(
            "The event log verifies: {}, each following the one before; head {}.\nOrigin {}.\nThe escalations table agrees with it{}.\n",
            crate::render::count(walked.events, "event"),
            walked.head,
            walked.origin,
            if a.cases { ", and so does the cases table" } else { "" }
        );
        if let Some(c) = &cp {
            s.push_str(&format!(
                "It extends the checkpoint of {}{}: nothing the checkpoint saw was removed or changed.\n",
                crate::render::count(c.size, "event"),
                if a.key.is_some() { " (signed with the key given)".to_string() } else { signer(c) }
            ));
        }
        ctx.out.print(&s)?;
    }
    Ok(0)
}

/// Whose key signed a checkpoint, in words.
fn signer(c: &Checkpoint) -> String {
    match key_path().and_then(|p| std::fs::read_to_string(p).ok()).and_then(|k| decode_key(&k).ok()) {
        Some(key) if checkpoint::public_key(&key).ok().as_deref() == Some(c.public_key.as_slice()) => {
            " (signed with this user's key)".into()
        }
        _ => " (signed with a key that is not this user's)".into(),
    }
}

/// The ledger extends the checkpoint: same origin, at least as long, the same hash at its size.
fn extends(w: &Walked, c: &Checkpoint) -> anyhow::Result<()> {
    if c.origin != w.origin {
        return Err(error::bad_input(format!(
            "the checkpoint is of ledger {}, and this is ledger {}: check it against the ledger it was made of",
            c.origin, w.origin
        )));
    }
    if w.events < c.size {
        let gone = if w.events + 1 == c.size {
            format!("event {} was removed", c.size)
        } else {
            format!("events {} to {} were removed", w.events + 1, c.size)
        };
        return Err(error::altered(format!(
            "the ledger was altered: it holds {} events, and the checkpoint saw {}: {gone}",
            w.events, c.size
        )));
    }
    if w.hash_at.as_deref() != Some(c.head.as_str()) {
        return Err(error::altered(format!(
            "the ledger was altered: its first {} events are not the ones the checkpoint saw (history was rewritten)",
            c.size
        )));
    }
    Ok(())
}

fn read_checkpoint(path: &Path) -> anyhow::Result<Checkpoint> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| error::bad_input(format!("cannot read checkpoint {shown}: {e}")))?;
    if !meta.is_file() || meta.len() > 64 * 1024 {
        return Err(error::bad_input(format!("checkpoint {shown} is not a checkpoint file (a small text file)")));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| error::bad_input(format!("cannot read checkpoint {shown}: {e}")))?;
    checkpoint::parse(&text).map_err(|why| {
        error::bad_input(format!(
            "{shown} is not a valid checkpoint: {why} (make one with `escalate ledger checkpoint`)"
        ))
    })
}

/// The signing key's file: `escalate/checkpoint.key` in the config dir.
fn key_path() -> Option<PathBuf> {
    crate::config::path().and_then(|p| p.parent().map(|d| d.join("checkpoint.key")))
}

fn decode_key(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|e| e.to_string())
}

/// The user's signing key, made on first use (mode 0600, never printed).
fn signing_key() -> anyhow::Result<Vec<u8>> {
    use base64::Engine as _;
    let path = key_path().ok_or_else(|| error::bad_input("cannot find a config dir for the signing key"))?;
    let shown = path.display().to_string();
    if let Ok(text) = std::fs::read_to_string(&path) {
        return decode_key(&text).map_err(|e| {
            error::bad_input(format!("the signing key {shown} cannot be read ({e}): move it away to make a new one"))
        });
    }
    let key = checkpoint::new_key().map_err(error::bad_input)?;
    let text = format!("{}\n", base64::engine::general_purpose::STANDARD.encode(&key));
    write_private(&path, text.as_bytes())
        .map_err(|e| error::bad_input(format!("cannot write the signing key {shown}: {e}")))?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)
}

pub fn checkpoint(ctx: &Ctx, a: &LedgerCheckpointArgs) -> anyhow::Result<u8> {
    // Only a chain that verifies is signed.
    let walked = walk(ctx, None, false)?;
    walked.tables_agree()?;
    let key = signing_key()?;
    let text = checkpoint::sign(&key, &walked.origin, walked.events, &walked.head).map_err(error::bad_input)?;
    match &a.output {
        None => ctx.out.print(&text)?,
        Some(path) => {
            crate::render::write_file(path, text.as_bytes())?;
            if ctx.out.json {
                let o = serde_json::json!({"file": path.display().to_string(), "events": walked.events, "head": walked.head});
                ctx.out.json(&o)?;
            } else {
                ctx.out.print(&format!(
                    "Wrote a signed checkpoint of the {} of the log (head {}) to {}.\n",
                    crate::render::count(walked.events, "event"),
                    walked.head,
                    crate::render::clean(&path.display().to_string())
                ))?;
            }
        }
    }
    Ok(0)
}
