//! The imperative shell's context: the clock read once, the policy in force,
//! the actor, the ledger location and how to print, resolved from global flags.

use std::path::PathBuf;

use crate::cli::Global;
use crate::config;
use crate::error;
use crate::events::EventBody;
use crate::ledger::{Ledger, Location, NewEvent, PolicyRow, Txn};
use crate::policy::{self, Loaded, Policy};
use crate::render::Out;
use crate::time;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub struct Ctx {
    pub now: DateTime<Utc>,
    pub loaded: Loaded,
    pub actor: String,
    pub out: Out,
    pub location: Location,
    pub no_input: bool,
    /// The outbox rows this command queued, sent after its commit.
    pub queued: std::cell::RefCell<Vec<i64>>,
    /// The policy in force was held to the ledger's last event already.
    pub policy_compared: std::cell::Cell<bool>,
}

/// The login name, for the event log, when no `--actor` is given: `$USER`,
/// `$LOGNAME`, then the operating system's account name.
fn login_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .or_else(|| whoami::username().ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// The ledger in use: the flag or `ESCALATE_LEDGER`, then the config file, then the default file.
pub fn ledger_location(flag: Option<&std::path::Path>) -> anyhow::Result<Location> {
    if let Some(p) = flag {
        if p.as_os_str().is_empty() {
            return Err(error::bad_input("--ledger is empty: name a file or a postgres:// URL"));
        }
        return Ok(match p.to_str() {
            Some(s) => Location::parse(s).map_err(error::bad_input)?,
            None => Location::File(p.to_path_buf()),
        });
    }
    let (config, file) = config::load()?;
    match config.ledger {
        Some(l) if l.trim().is_empty() => Err(error::bad_input(format!(
            "the config file {} names an empty ledger: name a file or a postgres:// URL",
            file.map(|f| f.display().to_string()).unwrap_or_default()
        ))),
        Some(l) => config::location(l.trim(), file.as_deref()),
        None => Ok(Location::File(default_path()?)),
    }
}

/// The default ledger path in the user's data dir.
pub fn default_path() -> anyhow::Result<PathBuf> {
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy().map_err(|e| {
        error::ledger(format!("cannot find a data dir for the ledger ({e}): pass --ledger PATH or set ESCALATE_LEDGER"))
    })?;
    Ok(base.data_dir().join("escalate").join("ledger.db"))
}

impl Ctx {
    pub fn build(g: &Global) -> anyhow::Result<Ctx> {
        let loaded = policy::load::load(g.policy.as_deref())?;
        let tz = loaded.policy.calendar.tz;
        let now = match &g.now {
            Some(s) => time::parse_user("--now (or ESCALATE_NOW)", s, tz)?,
            None => time::now_utc(),
        };
        let actor = match &g.actor {
            Some(a) => one_line("--actor (or ESCALATE_ACTOR)", a)?,
            None => login_name(),
        };
        let location = ledger_location(g.ledger.as_deref().map(std::path::Path::new))?;
        let mut ctx = Ctx {
            now: time::trunc_secs(now),
            loaded,
            actor,
            out: Out::from_env(g.json),
            location,
            no_input: g.no_input,
            queued: Default::default(),
            policy_compared: Default::default(),
        };
        // Names match whatever their case: the actor too is recorded as the policy spells it.
        let typed = std::mem::take(&mut ctx.actor);
        ctx.actor = ctx.person(typed);
        Ok(ctx)
    }

    pub fn policy(&self) -> &Policy {
        &self.loaded.policy
    }

    /// A person's name as the policy spells it, when the policy names them in another
    /// case; otherwise as given: one person, one name in the ledger.
    pub fn person(&self, name: String) -> String {
        self.policy().spelling_of(&name).map_or(name, |known| known.trim().to_string())
    }

    /// `person`, for a name given to own or hold something (`what`): a name the policy
    /// does not know, where it names people, is warned of (a typo would leave the
    /// escalation to nobody real).
    pub fn given_person(&self, what: &str, name: String) -> String {
        let p = self.policy();
        if p.spelling_of(&name).is_none() {
            let mut known: Vec<&str> = p.people_named().map(str::trim).collect();
            known.sort_unstable();
            known.dedup();
            if !known.is_empty() {
                let more = if known.len() > 12 { ", ..." } else { "" };
                known.truncate(12);
                eprintln!(
                    "warning: {what} {} is not one of the people the policy names ({}{more}): check the spelling",
                    crate::render::clean(&name),
                    known.join(", ")
                );
            }
        }
        self.person(name)
    }

    pub fn tz(&self) -> Tz {
        self.loaded.policy.calendar.tz
    }

    /// The ledger opened for reading: nothing is created or changed.
    pub fn read_ledger(&self) -> anyhow::Result<Ledger> {
        // A mistyped path reads as an empty ledger: said, so that a monitor that finds
        // nothing due is not silently watching no ledger at all.
        // (Not with --json: its stderr holds JSON alone.)
        if let crate::ledger::Location::File(path) = &self.location
            && !path.exists()
            && !self.out.json
        {
            eprintln!(
                "warning: there is no ledger at {} yet: nothing is recorded there (the first command that writes creates it)",
                path.display()
            );
        }
        Ok(Ledger::open_read(&self.location)?)
    }

    /// The ledger opened for writing, created or upgraded when needed.
    pub fn write_ledger(&self) -> anyhow::Result<Ledger> {
        Ok(Ledger::open_write(&self.location)?)
    }

    pub fn parse_time(&self, flag: &str, s: &str) -> anyhow::Result<DateTime<Utc>> {
        time::parse_user(flag, s, self.tz())
    }

    /// Append an event stamped with this command's time, actor and policy.
    pub fn record(
        &self,
        tx: &mut dyn Txn,
        case_id: &str,
        escalation: Option<i64>,
        body: &EventBody,
    ) -> anyhow::Result<i64> {
        // The timeline only moves forward: a what-if --now in the past may be
        // asked of read commands, but it may not be written behind history.
        if let Some(last) = tx.last_event_at(case_id)?
            && last > self.now
        {
            return Err(error::bad_input(format!(
                "now ({}) is before the last recorded event of case {case_id} ({}): the ledger's timeline only moves forward; give a later --now",
                time::human(self.now, self.tz()),
                time::human(last, self.tz()),
            )));
        }
        if !self.policy_compared.replace(true) {
            self.warn_of_another_policy(tx)?;
        }
        tx.remember_policy(&self.policy_row())?;
        let (kind, data) = (body.kind(), body.data_json()?);
        let seq = tx
            .append_event(&NewEvent {
                at: self.now,
                actor: &self.actor,
                case_id,
                escalation,
                kind,
                data: &data,
                policy_digest: &self.loaded.digest,
            })
            .with_context(|| format!("recording the {kind} event"))?;
        crate::notify::outbox::queue_event(self, tx, seq, case_id, escalation, body)
            .with_context(|| format!("queuing the notifications of the {kind} event"))?;
        Ok(seq)
    }

    /// A shared ledger's events are judged by one policy: when the last event
    /// was recorded under another (a teammate's file, while this command fell
    /// back to the built-in one), say so on stderr before writing.
    fn warn_of_another_policy(&self, tx: &mut dyn Txn) -> anyhow::Result<()> {
        let Some((digest, who, at)) = tx.last_policy_use()? else { return Ok(()) };
        if digest == self.loaded.digest {
            return Ok(());
        }
        let theirs = tx.policies()?.into_iter().find(|p| p.digest == digest).map(|p| p.origin);
        let short = |d: &str| d.get(..19).unwrap_or(d).to_string();
        eprintln!(
            "warning: this command runs under the policy {} ({}), but the ledger's last event was recorded under {} ({}) by {} at {}; give --policy FILE (or ESCALATE_POLICY) to act under the same one, and `escalate policy diff` compares them",
            crate::render::clean(&self.loaded.origin.to_string()),
            short(&self.loaded.digest),
            crate::render::clean(theirs.as_deref().unwrap_or("a policy this ledger does not hold")),
            short(&digest),
            crate::render::clean(&who),
            time::human(at, self.tz()),
        );
        Ok(())
    }

    /// The policy in force, as the ledger keeps it by digest.
    pub fn policy_row(&self) -> PolicyRow {
        PolicyRow {
            digest: self.loaded.digest.clone(),
            origin: self.loaded.origin.to_string(),
            text: self.loaded.text.clone(),
            first_used_at: self.now,
        }
    }

    /// The case, or exit 2 "no case X".
    pub fn case(&self, tx: &mut dyn Txn, id: &str) -> anyhow::Result<crate::model::Case> {
        let key = crate::model::case_key(id);
        tx.case(&key)?.ok_or_else(|| error::bad_input(format!("no case {key}")))
    }
}

/// Free text from a flag: no control characters except newlines and tabs, not blank.
pub fn text(flag: &str, s: &str) -> anyhow::Result<String> {
    if s.trim().is_empty() {
        return Err(error::bad_input(format!("{flag} is empty: give it some text")));
    }
    Ok(s.to_string())
}

/// An identifier or a one-line value: not blank, no control characters.
pub fn one_line(flag: &str, s: &str) -> anyhow::Result<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(error::bad_input(format!("{flag} is empty")));
    }
    if s.chars().any(char::is_control) {
        return Err(error::bad_input(format!("{flag} {s:?} contains control characters")));
    }
    let n = s.chars().count();
    if n > MAX_ONE_LINE {
        return Err(error::bad_input(format!("{flag} is {n} characters long; the limit is {MAX_ONE_LINE}")));
    }
    Ok(s.to_string())
}

/// The longest one-line value (an id, a customer, a title, a tag).
pub const MAX_ONE_LINE: usize = 1000;

/// A key of the policy's table `what`, or exit 2 listing the accepted keys.
pub fn key_of<V>(map: &indexmap::IndexMap<String, V>, flag: &str, what: &str, key: &str) -> anyhow::Result<String> {
    if map.contains_key(key) {
        Ok(key.to_string())
    } else {
        Err(error::bad_input(format!("unknown {what} {key:?} for {flag} (accepted: {})", Policy::keys(map))))
    }
}

/// A severity the policy knows, or exit 2 listing them.
pub fn severity_of(policy: &Policy, flag: &str, s: &str) -> anyhow::Result<u32> {
    match s.trim().parse::<u32>() {
        Ok(n) if policy.severities.contains_key(&n) => Ok(n),
        _ => Err(error::bad_input(format!("unknown severity {s:?} for {flag} (accepted: {})", policy.severity_keys()))),
    }
}
