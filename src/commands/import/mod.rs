//! `escalate case import`: cases from NDJSON or CSV, streamed, every record
//! checked, all or nothing unless `--skip-invalid`, in one write transaction.

mod fresh;
mod input;
mod plan;
mod update;
use update::waiting;

use std::collections::HashMap;
use std::path::Path;

use crate::events::{CaseAdded, Change, EventBody, ImportedFrom};
use crate::ledger::{EventMeta, NewCase, Txn};
use indexmap::IndexMap;
use serde::Serialize;

use crate::app::Ctx;
use crate::cli::ImportArgs;
use crate::error;
use crate::model::{Case, Pause};
use crate::notify::outbox::queue_case_event;
use crate::notify::route::pages;
use crate::transfer::ahead::{Bin, ReadAhead};
use crate::transfer::read::Record;
use input::{guess_format, open};

/// At most this many invalid records are listed; the rest are counted.
const MAX_LISTED: usize = 100;

#[derive(Debug, Serialize)]
struct Invalid {
    line: u64,
    id: Option<String>,
    error: String,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    source: String,
    dry_run: bool,
    read: u64,
    imported: u64,
    updated: u64,
    unchanged: u64,
    skipped: u64,
    invalid: u64,
    errors: Vec<Invalid>,
}

/// What one valid record does to the ledger.
enum Plan {
    Insert(Box<NewCase>),
    Update { before: Box<Case>, after: Box<Case>, changes: IndexMap<String, Change> },
    Unchanged,
}

pub fn run(ctx: &Ctx, a: &ImportArgs) -> anyhow::Result<u8> {
    let format = guess_format(&a.file, a.format)?;
    let (input, bar) = open(&a.file, ctx.out.json)?;
    // Each record is checked as a new case where it is read, beside the writer.
    let (policy, now) = (ctx.policy().clone(), ctx.now);
    let source = if a.file == Path::new("-") { "standard input".to_string() } else { a.file.display().to_string() };
    let from = source.clone();
    let check: crate::transfer::ahead::Checker = Box::new(move |raw, line| {
        let (case, pauses) = crate::transfer::checked(raw, &policy, now)?;
        new_case(case, pauses, &from, line)
    });
    let check = crate::transfer::ahead::Check { check, keep: a.upsert };
    let records = ReadAhead::new(input, format, Some(check));
    let mut sum = Summary { source: source.clone(), dry_run: a.dry_run, ..Summary::default() };
    // A refused import leaves the ledger as it was: when it did not exist, it still does not.
    let path = match &ctx.location {
        crate::ledger::Location::File(p) => Some(p.clone()),
        crate::ledger::Location::Postgres(_) => None,
    };
    let new_dir = path.as_deref().and_then(Path::parent).filter(|d| !d.as_os_str().is_empty() && !d.exists());
    let new_dir = new_dir.map(Path::to_path_buf);
    let new_file = path.as_ref().filter(|p| !a.dry_run && !p.exists());
    match import(ctx, a, records, &mut sum, bar) {
        Ok(()) => report(ctx, &sum),
        Err(e) => {
            if let Some(path) = new_file {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
                if let Some(dir) = new_dir {
                    let _ = std::fs::remove_dir(dir);
                }
            }
            if ctx.out.json && sum.invalid > 0 {
                // Refused: nothing was written (a dry run: would be), whatever the valid
                // records would have done.
                if !a.skip_invalid {
                    (sum.imported, sum.updated, sum.unchanged) = (0, 0, 0);
                }
                ctx.out.json(&sum)?;
            }
            Err(e)
        }
    }
}

/// Records are checked and written a batch at a time: one lookup of the
/// batch's ids, one bulk write of its new cases (round trips cost on a server).
const BATCH: usize = 2000;

/// Read every record and apply the valid ones in one transaction, committed
/// only when nothing is refused (or invalid records may be skipped).
fn import(
    ctx: &Ctx,
    a: &ImportArgs,
    records: ReadAhead,
    sum: &mut Summary,
    bar: Option<indicatif::ProgressBar>,
) -> anyhow::Result<()> {
    let source = sum.source.clone();
    let mut ledger = if a.dry_run { ctx.read_ledger()? } else { ctx.write_ledger()? };
    let mut tx = if a.dry_run { ledger.scratch()? } else { ledger.begin_bulk()? };
    let start = tx.import_begin()?;
    if !a.dry_run {
        tx.remember_policy(&ctx.policy_row())?;
    }
    let mut run = Run {
        ctx,
        a,
        source,
        start_seq: start.last_seq,
        fresh: fresh::FreshIds::new(start.repeats_only),
        any_listed: false,
        bin: records.bin(),
        warnings: Vec::new(),
        waits_ignored: (0, None),
    };
    let mut batch = Vec::with_capacity(BATCH);
    for rec in records {
        batch.push(rec.map_err(|e| error::bad_input(format!("cannot read {}: {e}", run.source)))?);
        if batch.len() == BATCH {
            run.batch(&mut *tx, std::mem::replace(&mut batch, Vec::with_capacity(BATCH)), sum)?;
        }
    }
    run.batch(&mut *tx, batch, sum)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    tx.import_end()?;
    if sum.invalid > 0 && !a.skip_invalid {
        return Err(refused_import(sum));
    }
    sum.skipped = sum.invalid;
    if !a.dry_run {
        tx.commit()?;
    }
    for w in &run.warnings {
        eprintln!("warning: {w}");
    }
    if let (n @ 1.., Some(first)) = &run.waits_ignored {
        eprintln!(
            "warning: {} of cases already in the ledger gave another wait on the customer (waiting_since), first {}: \
             left as it was; `escalate case update ID --waiting|--resume` changes it",
            crate::render::count(*n, "record"),
            crate::render::clean(first)
        );
    }
    Ok(())
}

/// One import in progress.
///
/// Duplicate ids in the input are found without holding every id in memory: a
/// real import finds an earlier valid record in the ledger itself (it was just
/// written) and remembers only the ids of bad records in a temporary table; a
/// dry run writes nothing, and an update may leave a case unchanged, so those
/// remember every id there.
struct Run<'a> {
    ctx: &'a Ctx,
    a: &'a ImportArgs,
    source: String,
    /// The event log's last entry before this import.
    start_seq: i64,
    /// The ids read so far, when the ledger asks to look up only repeats: a batch of
    /// ids never read before is not looked up.
    fresh: Option<fresh::FreshIds>,
    /// Some id is in the temporary table.
    any_listed: bool,
    /// Where records and cases go once written.
    bin: Bin,
    /// Said on stderr once the import is committed.
    warnings: Vec<String>,
    /// Records of cases in the ledger that gave another wait on the customer
    /// (waiting_since), which an import leaves as it is: how many, and the first case.
    waits_ignored: (u64, Option<String>),
}

/// What a batch knows of its ids before its records are checked.
#[derive(Default)]
struct Known {
    /// Cases in the ledger now.
    existing: HashMap<String, Case>,
    /// Of those, the ones this import wrote (the line, when known).
    written: HashMap<String, Option<i64>>,
    /// The latest event of each existing case (for upserts).
    last_event: HashMap<String, chrono::DateTime<chrono::Utc>>,
    /// Ids remembered by earlier batches, with their first line.
    listed: HashMap<String, i64>,
    /// Ids of this batch so far, with their first line.
    here: HashMap<String, u64>,
}

/// A record's id as the ledger keys it (trimmed, Unicode form C), if it has one.
fn trimmed(id: Option<&String>) -> Option<String> {
    id.map(|s| crate::model::case_key(s)).filter(|s| !s.is_empty())
}

/// A new case with its events: added (with where it came from, `line` of `source`),
/// and waiting when its last pause has not ended.
fn new_case(case: Case, pauses: Vec<Pause>, source: &str, line: u64) -> Result<NewCase, String> {
    let open = pauses.last().filter(|p| p.end.is_none()).map(|p| p.start);
    let imported_from = Some(ImportedFrom { source: source.to_string(), line });
    NewCase::new(CaseAdded { case, pauses, imported_from }, open.map(waiting)).map_err(|e| e.to_string())
}

impl Run<'_> {
    /// What the ledger knows of a batch's ids, looked up once for the whole batch.
    fn known(&mut self, tx: &mut dyn Txn, ids: &[String]) -> anyhow::Result<Known> {
        let unseen = self.fresh.as_mut().is_some_and(|f| f.all_new(ids));
        let mut known = Known {
            existing: if unseen {
                HashMap::new()
            } else {
                tx.cases(ids)?.into_iter().map(|c| (c.id.clone(), c)).collect()
            },
            here: HashMap::with_capacity(ids.len()),
            ..Known::default()
        };
        let existing: Vec<String> = known.existing.keys().cloned().collect();
        if !self.a.dry_run && !existing.is_empty() {
            known.written = tx.import_written(&existing, self.start_seq)?;
        }
        if self.a.upsert && !existing.is_empty() {
            known.last_event = tx.last_events_at(&existing)?;
        }
        if self.a.dry_run || self.any_listed {
            known.listed = tx.import_seen(ids)?;
        }
        Ok(known)
    }

    fn batch(&mut self, tx: &mut dyn Txn, records: Vec<Record>, sum: &mut Summary) -> anyhow::Result<()> {
        // Each record's id as the ledger keys it, made once.
        let keys: Vec<Option<String>> = records
            .iter()
            .map(|r| trimmed(r.raw.as_ref().ok().and_then(|r| r.id.as_ref()).or(r.id.as_ref())))
            .collect();
        let ids: Vec<String> = keys.iter().flatten().cloned().collect();
        let mut known = self.known(tx, &ids)?;
        let mut new = Vec::with_capacity(records.len());
        let (mut remember, mut spent) = (Vec::new(), Vec::with_capacity(records.len()));
        for (rec, key) in records.into_iter().zip(keys) {
            sum.read += 1;
            let outcome = match &rec.raw {
                // The key is the record's own id's, unless the record has none.
                Ok(raw) => {
                    let id = key.as_deref().filter(|_| raw.id.is_some());
                    self.plan(tx, (raw, rec.line), id, rec.checked, &known)
                }
                Err(e) => Err(e.clone()),
            };
            if let Some(k) = key {
                // A dry run or an upsert remembers every id; an import of new cases
                // the ids of bad records.
                if self.a.dry_run || self.a.upsert || outcome.is_err() {
                    remember.push((k.clone(), rec.line));
                }
                known.here.entry(k).or_insert(rec.line);
            }
            match outcome {
                Err(error) => {
                    sum.invalid += 1;
                    if sum.errors.len() < MAX_LISTED {
                        let id = rec.raw.as_ref().ok().and_then(|r| r.id.clone()).or(rec.id.clone());
                        // An empty id is no id: null, as the README says.
                        let id = id.filter(|i| !i.trim().is_empty());
                        sum.errors.push(Invalid { line: rec.line, id, error });
                    }
                }
                Ok(Plan::Unchanged) => sum.unchanged += 1,
                Ok(p) if self.a.dry_run => match p {
                    Plan::Insert(..) => sum.imported += 1,
                    Plan::Update { before, after, .. } => {
                        if let Some(w) = self.outage_warning(tx, &before, &after)? {
                            self.warnings.push(format!("once imported, {w}"));
                        }
                        sum.updated += 1;
                    }
                    Plan::Unchanged => sum.unchanged += 1,
                },
                Ok(Plan::Insert(case)) => {
                    new.push(*case);
                    sum.imported += 1;
                }
                Ok(Plan::Update { before, after, changes }) => {
                    self.update(tx, &before, &after, changes)?;
                    sum.updated += 1;
                }
            }
            spent.push(rec.raw);
        }
        if !remember.is_empty() {
            tx.import_remember(&remember)?;
            self.any_listed = true;
        }
        let meta = EventMeta { at: self.ctx.now, actor: &self.ctx.actor, policy_digest: &self.ctx.loaded.digest };
        let seqs = tx.import_cases(&new, &meta)?;
        // A new case of a severity that pages is an outage, as when added by hand.
        for (c, seq) in new.iter().zip(seqs).filter(|(c, _)| pages(self.ctx.policy(), c.case().severity)) {
            let body = EventBody::CaseAdded(Box::new(c.added().clone()));
            queue_case_event(self.ctx, tx, seq, c.case(), None, &body)?;
        }
        self.bin.put((spent, new));
        Ok(())
    }
}

fn error_lines(sum: &Summary) -> String {
    let mut s: Vec<String> = sum
        .errors
        .iter()
        .map(|i| match i.id.as_deref().filter(|id| !id.trim().is_empty()) {
            Some(id) => {
                format!("  line {} (case {}): {}", i.line, crate::render::clean(id), crate::render::clean(&i.error))
            }
            None => format!("  line {}: {}", i.line, crate::render::clean(&i.error)),
        })
        .collect();
    if sum.invalid > sum.errors.len() as u64 {
        s.push(format!("  ... and {} more", sum.invalid - sum.errors.len() as u64));
    }
    s.join("\n")
}

fn refused_import(sum: &Summary) -> anyhow::Error {
    let rest = if sum.invalid < sum.read { " (pass --skip-invalid to import the rest)" } else { "" };
    let nothing = if sum.dry_run { "nothing would be imported" } else { "nothing was imported" };
    error::bad_input(format!(
        "{} of {} records in {} are invalid; {nothing}{rest}:\n{}",
        sum.invalid,
        sum.read,
        sum.source,
        error_lines(sum)
    ))
}

fn report(ctx: &Ctx, sum: &Summary) -> anyhow::Result<u8> {
    if ctx.out.json {
        ctx.out.json(sum)?;
        return Ok(0);
    }
    if sum.invalid > 0 {
        eprintln!("skipped {} invalid records:\n{}", sum.invalid, error_lines(sum));
    }
    let verb = if sum.dry_run { "Dry run, nothing written: would import" } else { "Imported" };
    ctx.out.print(&format!(
        "{verb} {} of {} records from {}: {} new, {} updated, {} unchanged, {} skipped.\n",
        sum.imported + sum.updated,
        sum.read,
        crate::render::clean(&sum.source),
        sum.imported,
        sum.updated,
        sum.unchanged,
        sum.skipped
    ))?;
    Ok(0)
}
