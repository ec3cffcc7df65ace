//! The network and process edge of delivery: an HTTPS POST (rustls, certificates
//! checked, no redirects, the answer read up to a cap) and a command hook run
//! with a time limit, in a process group of its own so that a hook past its
//! limit is stopped with everything it started. Each attempt ends in a typed
//! outcome.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Worth trying again later (a timeout, 429, 5xx, a refused connection, a missing variable).
    Retry(String),
    /// Trying again will not help (a 4xx other than 429).
    Permanent(String),
}

/// Whose answer it is, so errors are worded as that service words them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Webhook,
    Slack,
    Teams,
    PagerDuty,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Webhook => "the webhook receiver",
            Service::Slack => "Slack",
            Service::Teams => "Teams",
            Service::PagerDuty => "PagerDuty",
        }
    }
}

/// The most of an answer read: enough for an error message.
const ANSWER_CAP: u64 = 16 * 1024;

/// POST `body` as JSON to `url` with `headers`, within `timeout`.
pub fn post(service: Service, url: &str, headers: &[(String, String)], body: &[u8], timeout: Duration) -> Outcome {
    if let Some(why) = crate::policy::channels::url_problem(url) {
        return Outcome::Retry(format!("the URL is not usable: {why}"));
    }
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("escalate/", env!("CARGO_PKG_VERSION")))
        .build();
    let agent: ureq::Agent = config.into();
    let mut req = agent.post(url).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut resp = match req.send(body) {
        Ok(r) => r,
        Err(e) => return Outcome::Retry(transport(service, &e)),
    };
    let status = resp.status().as_u16();
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
    let answer = resp.body_mut().with_config().limit(ANSWER_CAP).lossy_utf8(true).read_to_string().unwrap_or_default();
    classify(service, status, &answer, location.as_deref())
}

/// A transport failure in words; the URL is not repeated (it is a secret).
fn transport(service: Service, e: &ureq::Error) -> String {
    let who = service.name();
    match e {
        ureq::Error::Timeout(_) => format!("{who} did not answer in time"),
        ureq::Error::HostNotFound => format!("the host of {who} was not found"),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("{who} refused the connection")
        }
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            ) =>
        {
            format!("{who} closed the connection without answering")
        }
        ureq::Error::Io(io) => format!("the connection to {who} failed: {io}"),
        ureq::Error::Tls(why) => format!("the TLS handshake with {who} failed: {why}"),
        ureq::Error::Rustls(why) => format!("the TLS handshake with {who} failed: {why}"),
        ureq::Error::Protocol(_) => format!("{who} closed the connection or answered something that is not HTTP"),
        other => format!("sending to {who} failed: {other}"),
    }
}

/// The outcome of an HTTP answer: 2xx delivered; 429 and 5xx retried; other 4xx permanent.
pub fn classify(service: Service, status: u16, answer: &str, location: Option<&str>) -> Outcome {
    let who = service.name();
    let said = words(service, answer);
    let said = if said.is_empty() { String::new() } else { format!(": {said}") };
    match status {
        200..=299 => Outcome::Sent,
        300..=399 => Outcome::Permanent(format!(
            "{who} answered {status} redirecting{}; redirects are not followed: configure the final URL",
            location.map(|l| format!(" to another address ({} characters)", l.len())).unwrap_or_default()
        )),
        429 => Outcome::Retry(format!("{who} is rate limiting (429){said}")),
        400..=499 => Outcome::Permanent(format!("{who} refused the message ({status}{said})")),
        500..=599 => Outcome::Retry(format!("{who} had a server error ({status}){said}")),
        _ => Outcome::Retry(format!("{who} answered {status}, which is not a success{said}")),
    }
}

/// What the service said, in a line: Slack answers a word ("no_service"),
/// PagerDuty and Teams JSON with a message.
fn words(service: Service, answer: &str) -> String {
    let answer = answer.trim();
    let from_json = serde_json::from_str::<serde_json::Value>(answer).ok().and_then(|v| {
        let msg = v.get("message").or_else(|| v.pointer("/error/message")).and_then(|m| m.as_str())?.to_string();
        let errors: Vec<String> = v
            .get("errors")
            .and_then(|e| e.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        Some(if errors.is_empty() { msg } else { format!("{msg} ({})", errors.join("; ")) })
    });
    let text = from_json.unwrap_or_else(|| answer.to_string());
    let hint = match (service, text.as_str()) {
        (Service::Slack, "no_service" | "invalid_token") => " (the webhook URL is wrong or was revoked)",
        (Service::Slack, "channel_not_found" | "channel_is_archived") => " (the channel is gone or archived)",
        (Service::Slack, "invalid_payload") => " (Slack could not read the message)",
        _ => "",
    };
    // Cut short only once the channel's secrets are taken out (`secret::scrub`): a
    // token cut in two here would keep its first part.
    let line: String = text.chars().filter(|c| !c.is_control()).take(4000).collect();
    format!("{line}{hint}")
}

/// The time one attempt may take: what is left of the budget that all the
/// deliveries of a run share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub left: Duration,
    pub budget: Duration,
}

impl Allowance {
    /// The limit in words: "the 2s budget", and when deliveries before this one
    /// used some of it, how much was left: "the 2s budget (0.4s of it was left
    /// when it started)".
    fn describe(self) -> String {
        let (left, budget) = (seconds(self.left), seconds(self.budget));
        if left == budget {
            format!("the {budget} budget")
        } else {
            format!("the {budget} budget ({left} of it was left when it started)")
        }
    }
}

/// A duration up to the next tenth of a second: "2s", "0.4s" (never "0s").
fn seconds(d: Duration) -> String {
    let tenths = d.as_millis().div_ceil(100).max(1);
    match tenths % 10 {
        0 => format!("{}s", tenths / 10),
        t => format!("{}.{t}s", tenths / 10),
    }
}

/// Start `argv` in a process group of its own, so that what it starts can be stopped with it.
fn spawn(argv: &[String], env: &[(String, String)]) -> Result<Child, Outcome> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Outcome::Permanent("the command is empty".into()));
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd.spawn().map_err(|e| Outcome::Retry(format!("cannot run {program}: {e}")))
}

/// Stop a hook that ran out of time and everything it started: kill its
/// process group (its id is the hook's, which is not reused until the hook is
/// reaped), then the hook itself should the group kill fail, and reap it.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    {
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Run `argv` with `input` on stdin and `env` set; a non-zero exit or a run
/// past `time.left` fails, and a run past it is stopped with all it started.
pub fn run(argv: &[String], env: &[(String, String)], input: &[u8], time: Allowance) -> Outcome {
    let program = argv.first().map_or("", String::as_str);
    let mut child = match spawn(argv, env) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    // A hook that does not read its input must not block us: write on a thread.
    let writer = child.stdin.take().map(|mut stdin| {
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })
    });
    // Its error output is read as it comes, so that a hook that writes much of it
    // does not block on a full pipe; its end is kept.
    let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let reader = child.stderr.take().map(|e| {
        let said = std::sync::Arc::clone(&said);
        std::thread::spawn(move || keep_read(e, &said))
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= time.left => {
                stop(&mut child);
                return Outcome::Retry(format!("{program} did not finish within {} and was stopped", time.describe()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Outcome::Retry(format!("waiting for {program} failed: {e}")),
        }
    };
    drop(writer);
    if status.success() {
        return Outcome::Sent;
    }
    // What it wrote before it ended is in the pipe: a moment reads it. Something
    // it started may hold the pipe open; that is not waited for.
    let exited = Instant::now();
    let grace = Duration::from_millis(200).min(time.left.saturating_sub(start.elapsed()));
    while reader.as_ref().is_some_and(|r| !r.is_finished()) && exited.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(5));
    }
    let err = said.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let last: String = last.chars().filter(|c| !c.is_control()).take(300).collect();
    let code = status.code().map_or("a signal".to_string(), |c| format!("exit {c}"));
    let said = if last.is_empty() { String::new() } else { format!(": {last}") };
    Outcome::Retry(format!("{program} failed ({code}){said}"))
}

/// Read `from` to its end, keeping its last `ANSWER_CAP` bytes in `into` (the
/// last line is what a failure is reported with).
fn keep_read(mut from: impl Read, into: &std::sync::Mutex<Vec<u8>>) {
    let mut chunk = [0u8; 4096];
    while let Ok(n) = from.read(&mut chunk) {
        if n == 0 {
            break;
        }
        if let Ok(mut kept) = into.lock() {
            kept.extend_from_slice(&chunk[..n]);
            let over = kept.len().saturating_sub(ANSWER_CAP as usize);
            kept.drain(..over);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(Service::Webhook, 204, "", None), Outcome::Sent);
        assert!(matches!(classify(Service::Slack, 429, "", None), Outcome::Retry(_)));
        assert!(matches!(classify(Service::Slack, 503, "", None), Outcome::Retry(_)));
        let Outcome::Permanent(why) = classify(Service::Slack, 404, "no_service", None) else { panic!() };
        assert_eq!(why, "Slack refused the message (404: no_service (the webhook URL is wrong or was revoked))");
        let pd = r#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}"#;
        let Outcome::Permanent(why) = classify(Service::PagerDuty, 400, pd, None) else { panic!() };
        assert!(why.starts_with("PagerDuty refused the message (400: Event object is invalid (Length"), "{why}");
        assert!(matches!(classify(Service::Webhook, 302, "", Some("https://x")), Outcome::Permanent(_)));
    }

    #[test]
    fn a_limit_is_named_with_its_budget() {
        let budget = Duration::from_secs(2);
        let at = |ms| Allowance { left: Duration::from_millis(ms), budget }.describe();
        // The claim before sending takes a few milliseconds: that is still the budget.
        assert_eq!(at(1_998), "the 2s budget");
        assert_eq!(at(1_400), "the 2s budget (1.4s of it was left when it started)");
        assert_eq!(at(30), "the 2s budget (0.1s of it was left when it started)");
        assert_eq!(seconds(Duration::from_secs(600)), "600s");
    }
}
