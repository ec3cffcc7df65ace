//! Where a request starts and whether it may skip the wait: `--level` (or the
//! reason's `start_level`) and `--deadline` with `--justification`, checked
//! against the policy for `check` and `request` alike.

use chrono::{DateTime, Utc};

use crate::app::{Ctx, text};
use crate::error;
use crate::policy::Policy;

/// The level a request starts at: `--level`, else the reason's `start_level`, else 1.
/// An unknown level is bad input (exit 2); a level the policy does not start at is refused (exit 1).
pub fn level(p: &Policy, reason: Option<&str>, asked: Option<u32>) -> anyhow::Result<u32> {
    let allowed = p.start_levels();
    let allowed_words = allowed.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    let Some(n) = asked else {
        return Ok(reason.and_then(|r| p.reasons.get(r)).map_or(1, |r| r.start_level));
    };
    if p.level(n).is_none() {
        return Err(error::bad_input(format!(
            "--level {n}: the policy has levels 1 to {} (a request may start at {allowed_words})",
            p.top_level()
        )));
    }
    if !allowed.contains(&n) {
        return Err(error::refused(format!(
            "a request may not start at level {n}: the policy lets requests start at {allowed_words} \
             (a level marked may_start = true)"
        )));
    }
    Ok(n)
}

/// `--deadline` for a request: the hard deadline of the escalation document, which
/// skips the wait only for a reason that may skip it (for others it is just the document's).
pub fn request_deadline(ctx: &Ctx, reason: Option<&str>, raw: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    let skips = reason.and_then(|r| ctx.policy().reasons.get(r)).is_some_and(|r| r.may_skip_wait);
    if skips { deadline(ctx, reason, raw) } else { Ok(None) }
}

/// `--deadline`: a time after now, for a reason that may skip the wait.
pub fn deadline(ctx: &Ctx, reason: Option<&str>, raw: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    let Some(raw) = raw else { return Ok(None) };
    let p = ctx.policy();
    let skippers: Vec<&str> = p.reasons.iter().filter(|(_, r)| r.may_skip_wait).map(|(k, _)| k.as_str()).collect();
    match reason {
        Some(r) if p.reasons.get(r).is_some_and(|r| r.may_skip_wait) => {}
        Some(r) => {
            let which = if skippers.is_empty() { "none in this policy".to_string() } else { skippers.join(", ") };
            return Err(error::bad_input(format!(
                "--deadline lets a request skip the wait window only for a reason that may (may_skip_wait = true: \
                 {which}); {r:?} may not"
            )));
        }
        None => return Err(error::bad_input("--deadline needs --reason KEY: only some reasons may skip the wait")),
    }
    let at = ctx.parse_time("--deadline", raw)?;
    if at <= ctx.now {
        return Err(error::bad_input(format!(
            "--deadline {} is not in the future: state the deadline the customer faces",
            crate::time::human(at, ctx.tz())
        )));
    }
    Ok(Some(at))
}

/// The justification an override needs, from the flag (or asked on a terminal).
pub fn justification(ask: Option<&crate::prompt::Prompter>, given: Option<&str>) -> anyhow::Result<String> {
    if let Some(j) = given {
        return text("--justification", j);
    }
    match ask {
        Some(ask) => loop {
            let j = ask.long_text("Why does the deadline justify skipping the wait window?")?;
            if !j.trim().is_empty() {
                return Ok(j);
            }
            ask.say("Please give the justification: it is recorded and reported.");
        },
        None => Err(error::bad_input(
            "skipping the wait window for a deadline needs --justification TEXT: why the deadline cannot wait",
        )),
    }
}
