//! The imperative shell's context: the clock read once, the policy in force,
//! the actor, the ledger location and how to print, resolved from global flags.

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::Connection;

use crate::cli::Global;
use crate::error;
use crate::ledger::{self, Ledger, queries};
use crate::policy::{self, Loaded, Policy};
use crate::render::Out;
use crate::time;

pub struct Ctx {
    pub now: DateTime<Utc>,
    pub loaded: Loaded,
    pub actor: String,
    pub out: Out,
    pub ledger_path: PathBuf,
    pub no_input: bool,
}

/// The login name, for the event log, when no `--actor` is given: `$USER`,
/// `$LOGNAME`, then the password database entry of the effective user.
fn login_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .or_else(passwd_name)
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(unix)]
fn passwd_name() -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer refers to live, correctly sized storage owned here;
    // getpwuid_r writes only within `buf` and `pwd`.
    let rc = unsafe { libc::getpwuid_r(libc::geteuid(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points to a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    name.to_str().ok().filter(|s| !s.is_empty()).map(str::to_string)
}

#[cfg(not(unix))]
fn passwd_name() -> Option<String> {
    None
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
        let ledger_path = match &g.ledger {
            Some(p) if p.as_os_str().is_empty() => {
                return Err(error::bad_input("--ledger is empty: name a file"));
            }
            Some(p) => p.clone(),
            None => ledger::default_path()?,
        };
        Ok(Ctx {
            now: time::trunc_secs(now),
            loaded,
            actor,
            out: Out::from_env(g.json),
            ledger_path,
            no_input: g.no_input,
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.loaded.policy
    }

    pub fn tz(&self) -> Tz {
        self.loaded.policy.calendar.tz
    }

    pub fn read_ledger(&self) -> anyhow::Result<Ledger> {
        Ledger::open_read(&self.ledger_path)
    }

    pub fn write_ledger(&self) -> anyhow::Result<Ledger> {
        Ledger::open_write(&self.ledger_path)
    }

    pub fn parse_time(&self, flag: &str, s: &str) -> anyhow::Result<DateTime<Utc>> {
        time::parse_user(flag, s, self.tz())
    }

    /// Append an event stamped with this command's time, actor and policy.
    pub fn record(
        &self,
        conn: &Connection,
        case_id: &str,
        escalation: Option<i64>,
        kind: &str,
        data: serde_json::Value,
    ) -> anyhow::Result<i64> {
        // The timeline only moves forward: a what-if --now in the past may be
        // asked of read commands, but it may not be written behind history.
        if let Some(last) = queries::last_event_at(conn, case_id)?
            && last > self.now
        {
            return Err(error::bad_input(format!(
                "now ({}) is before the last recorded event of case {case_id} ({}): the ledger's timeline only moves forward; give a later --now",
                time::human(self.now, self.tz()),
                time::human(last, self.tz()),
            )));
        }
        queries::remember_policy(
            conn,
            &self.loaded.digest,
            &self.loaded.origin.to_string(),
            &self.loaded.text,
            self.now,
        )?;
        let seq = queries::append_event(
            conn,
            &queries::NewEvent {
                at: self.now,
                actor: &self.actor,
                case_id,
                escalation,
                kind,
                data,
                policy_digest: &self.loaded.digest,
            },
        )
        .with_context(|| format!("recording the {kind} event"))?;
        Ok(seq)
    }

    /// The case, or exit 2 "no case X".
    pub fn case(&self, conn: &Connection, id: &str) -> anyhow::Result<crate::model::Case> {
        queries::get_case(conn, id)?.ok_or_else(|| error::bad_input(format!("no case {id}")))
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
