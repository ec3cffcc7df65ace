//! `escalate case import`: cases from NDJSON or CSV, streamed, every record
//! checked, all or nothing unless `--skip-invalid`, in one write transaction.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::Path;

use crate::events::{CaseAdded, Change, EventBody, ImportedFrom, Paused};
use crate::ledger::{NewEvent, Txn};
use serde::Serialize;

use crate::app::Ctx;
use crate::cli::{ImportArgs, ImportFormat};
use crate::error;
use crate::model::{Case, CaseStatus, Pause};
use crate::transfer::RawCase;
use crate::transfer::read::{Record, Records};

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
    Insert(Case, Vec<Pause>),
    Update { before: Box<Case>, after: Box<Case>, changes: indexmap::IndexMap<String, Change> },
    Unchanged,
}

fn guess_format(path: &Path, given: Option<ImportFormat>) -> anyhow::Result<ImportFormat> {
    if let Some(f) = given {
        return Ok(f);
    }
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(ImportFormat::Csv),
        Some("ndjson" | "jsonl") => Ok(ImportFormat::Ndjson),
        _ if path == Path::new("-") => {
            Err(error::bad_input("reading standard input: name its format with --format ndjson or --format csv"))
        }
        _ => Err(error::bad_input(format!(
            "cannot tell the format of {} from its extension: pass --format ndjson or --format csv",
            path.display()
        ))),
    }
}

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    bar: Option<indicatif::ProgressBar>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }
}

fn progress(len: Option<u64>, quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match len {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} [{bar:30}] {eta} left")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

fn open(path: &Path, quiet: bool) -> anyhow::Result<(Box<dyn BufRead>, Option<indicatif::ProgressBar>)> {
    if path == Path::new("-") {
        let bar = progress(None, quiet);
        let r = Counting { inner: std::io::stdin(), bar: bar.clone() };
        return Ok((Box::new(BufReader::with_capacity(1 << 16, r)), bar));
    }
    if path.is_dir() {
        return Err(error::bad_input(format!("{} is a directory: name a file to import", path.display())));
    }
    let file = File::open(path).map_err(|e| error::bad_input(format!("cannot read {}: {e}", path.display())))?;
    let bar = progress(file.metadata().ok().map(|m| m.len()), quiet);
    let r = Counting { inner: file, bar: bar.clone() };
    Ok((Box::new(BufReader::with_capacity(1 << 16, r)), bar))
}

pub fn run(ctx: &Ctx, a: &ImportArgs) -> anyhow::Result<u8> {
    let format = guess_format(&a.file, a.format)?;
    let (input, bar) = open(&a.file, ctx.out.json)?;
    let records: Box<dyn Iterator<Item = std::io::Result<Record>>> = match format {
        ImportFormat::Csv => Box::new(Records::csv(input).map_err(error::bad_input)?),
        ImportFormat::Ndjson => Box::new(Records::ndjson(input)),
    };
    let source = if a.file == Path::new("-") { "standard input".to_string() } else { a.file.display().to_string() };
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
                ctx.out.json(&sum)?;
            }
            Err(e)
        }
    }
}

/// Read every record and apply the valid ones in one transaction, committed
/// only when nothing is refused (or invalid records may be skipped).
fn import(
    ctx: &Ctx,
    a: &ImportArgs,
    records: Box<dyn Iterator<Item = std::io::Result<Record>>>,
    sum: &mut Summary,
    bar: Option<indicatif::ProgressBar>,
) -> anyhow::Result<()> {
    let source = sum.source.clone();
    let mut ledger = if a.dry_run { ctx.read_ledger()? } else { ctx.write_ledger()? };
    let mut tx = if a.dry_run { ledger.scratch()? } else { ledger.begin()? };
    let start_seq = tx.import_begin()?;
    if !a.dry_run {
        tx.remember_policy(&ctx.policy_row())?;
    }
    let mut dups = Dups { dry: a.dry_run, start_seq, any_listed: false };
    for rec in records {
        let rec = rec.map_err(|e| error::bad_input(format!("cannot read {source}: {e}")))?;
        sum.read += 1;
        let id = rec.raw.as_ref().ok().and_then(|r| r.id.clone()).or(rec.id.clone());
        let outcome = rec.raw.and_then(|raw| plan(ctx, &mut *tx, &raw, rec.line, a.upsert, &dups));
        if outcome.is_err() && !dups.dry {
            // A bad record's id is remembered, so that a later record with it is a duplicate.
            if let Some(id) = id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
                dups.remember(&mut *tx, id, rec.line)?;
            }
        }
        match outcome {
            Err(error) => {
                sum.invalid += 1;
                if sum.errors.len() < MAX_LISTED {
                    sum.errors.push(Invalid { line: rec.line, id, error });
                }
            }
            Ok(Plan::Unchanged) => sum.unchanged += 1,
            Ok(p) if a.dry_run => match p {
                Plan::Insert(..) => sum.imported += 1,
                _ => sum.updated += 1,
            },
            Ok(p) => apply(ctx, &mut *tx, p, rec.line, &source, sum)?,
        }
    }
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
    Ok(())
}

/// How duplicate ids within the input are found. A dry run writes nothing, so
/// every id goes into a temporary table; a real import finds a valid earlier
/// record in the ledger itself (it was just written), and keeps only the ids
/// of bad records in the table: the common, all-good file pays nothing extra.
struct Dups {
    dry: bool,
    /// The event log's last entry before this import.
    start_seq: i64,
    /// Some id is in the temporary table.
    any_listed: bool,
}

impl Dups {
    fn remember(&mut self, tx: &mut dyn Txn, id: &str, line: u64) -> crate::ledger::Result<()> {
        tx.import_remember(id, line)?;
        self.any_listed = true;
        Ok(())
    }

    fn listed(&self, tx: &mut dyn Txn, id: &str) -> crate::ledger::Result<Option<i64>> {
        if !self.dry && !self.any_listed {
            return Ok(None);
        }
        tx.import_seen(id)
    }

    /// Whether this import already wrote the case, and from which line.
    fn written(&self, tx: &mut dyn Txn, id: &str) -> crate::ledger::Result<Option<Option<i64>>> {
        tx.import_written(id, self.start_seq)
    }
}

/// Decide what a record does, or say what is wrong with it.
fn plan(ctx: &Ctx, tx: &mut dyn Txn, raw: &RawCase, line: u64, upsert: bool, dups: &Dups) -> Result<Plan, String> {
    let db = |e: crate::ledger::StoreError| format!("ledger: {e}");
    let id = raw.id.as_deref().map(str::trim).filter(|id| !id.is_empty());
    // Duplicates are caught by id first, even when the first record was invalid.
    if let Some(id) = id {
        if let Some(first) = dups.listed(tx, id).map_err(db)? {
            return Err(format!("case {id} appears twice in the input (first on line {first})"));
        }
        if dups.dry {
            tx.import_remember(id, line).map_err(db)?;
        }
    }
    let existing = match id {
        Some(id) => tx.case(id).map_err(db)?,
        None => None,
    };
    if let Some(before) = &existing
        && !dups.dry
        && let Some(first) = dups.written(tx, &before.id).map_err(db)?
    {
        return Err(match first {
            Some(first) => format!("case {} appears twice in the input (first on line {first})", before.id),
            None => format!("case {} appears twice in the input (an earlier record updated it)", before.id),
        });
    }
    let Some(before) = existing else {
        let case = crate::transfer::validate(raw, ctx.policy(), ctx.now)?;
        let pauses = crate::transfer::pauses(raw, &case, ctx.policy(), ctx.now)?;
        return Ok(Plan::Insert(case, pauses));
    };
    if !upsert {
        return Err(format!("case {} already exists in the ledger (pass --upsert to update it)", before.id));
    }
    // An update changes the fields the record gives; the others keep their values.
    let mut merged = crate::transfer::RawCase::from_case(&before);
    merged.fill_from(raw);
    let mut after = crate::transfer::validate(&merged, ctx.policy(), ctx.now)?;
    // Waiting on the customer is changed with `case update --waiting/--resume`, not by import.
    after.waiting_since = before.waiting_since;
    if let Some(last) = tx.last_event_at(&before.id).map_err(db)?
        && last > ctx.now
    {
        return Err(format!(
            "case {} has events after now ({}): the ledger's timeline only moves forward",
            before.id,
            crate::time::rfc3339(last)
        ));
    }
    if after.status == CaseStatus::Closed && before.status == CaseStatus::Open {
        let open = tx.escalations_of(&before.id).map_err(db)?.into_iter().find(|e| e.state.is_active());
        if let Some(e) = open {
            return Err(format!(
                "case {} has escalation #{} {}: close or withdraw it before the case is closed",
                before.id, e.id, e.state
            ));
        }
    }
    let changes = super::case::diff(&before, &after).map_err(|e| e.to_string())?;
    if changes.is_empty() {
        return Ok(Plan::Unchanged);
    }
    Ok(Plan::Update { before: Box::new(before), after: Box::new(after), changes })
}

fn apply(ctx: &Ctx, tx: &mut dyn Txn, p: Plan, line: u64, source: &str, sum: &mut Summary) -> anyhow::Result<()> {
    let event = |tx: &mut dyn Txn, case_id: &str, body: &EventBody| -> anyhow::Result<i64> {
        let data = body.data_json()?;
        Ok(tx.append_event(&NewEvent {
            at: ctx.now,
            actor: &ctx.actor,
            case_id,
            escalation: None,
            kind: body.kind(),
            data: &data,
            policy_digest: &ctx.loaded.digest,
        })?)
    };
    let waiting = |since| EventBody::Paused(Paused { note: "waiting on the customer".into(), since: Some(since) });
    match p {
        Plan::Insert(case, pauses) => {
            tx.insert_case(&case, ctx.now)?;
            for p in &pauses {
                tx.insert_pause(&case.id, p)?;
            }
            let open = pauses.last().filter(|p| p.end.is_none()).map(|p| p.start);
            let imported_from = Some(ImportedFrom { source: source.to_string(), line });
            let id = case.id.clone();
            event(tx, &id, &EventBody::CaseAdded(Box::new(CaseAdded { case, pauses, imported_from })))?;
            if let Some(since) = open {
                event(tx, &id, &waiting(since))?;
            }
            sum.imported += 1;
        }
        Plan::Update { before, after, changes } => {
            tx.update_case(&after, ctx.now)?;
            event(tx, &after.id, &EventBody::CaseUpdated(changes))?;
            if before.waiting_since.is_none()
                && let Some(since) = after.waiting_since
            {
                tx.start_pause(&after.id, since)?;
                event(tx, &after.id, &waiting(since))?;
            }
            sum.updated += 1;
        }
        Plan::Unchanged => sum.unchanged += 1,
    }
    Ok(())
}

fn error_lines(sum: &Summary) -> String {
    let mut s: Vec<String> = sum
        .errors
        .iter()
        .map(|i| match &i.id {
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
    error::bad_input(format!(
        "{} of {} records in {} are invalid; nothing was imported{rest}:\n{}",
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
