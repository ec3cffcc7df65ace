//! Notifications against real receivers on 127.0.0.1: each channel kind's exact
//! payload, signatures, failures that leave the item pending, flush, budgets,
//! a killed command, and two flushes at once on PostgreSQL.

#[macro_use]
mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::receiver::{Answer, Receiver};
use common::{Backend, Env};

on_both!(
    a_failing_receiver_leaves_the_item_pending_until_flush,
    overdue_items_are_told_once_per_deadline,
    a_killed_command_is_delivered_by_the_next_flush,
);

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The built-in policy with a channel of each kind routed, receivers on `rx`.
fn policy(rx: &Receiver, budget: u64) -> impl Fn(String) -> String {
    let port = rx.port;
    move |text: String| {
        let text = text
            .replace("[levels.1]\n", "[levels.1]\nchannels = [\"em\", \"script\"]\n")
            .replace("[levels.2]\n", "[levels.2]\nchannels = [\"em\", \"teams\"]\n")
            .replace("[destinations.l2]\n", "[destinations.l2]\nchannels = [\"hook\"]\n")
            .replace("[destinations.security]\n", "[destinations.security]\npage = \"pager\"\n")
            .replace("[severities.1]\n", "[severities.1]\npage = \"pager\"\n");
        format!(
            "{text}
[channels.em]
kind = \"slack\"
url = {{ env = \"EM_SLACK_URL\" }}

[channels.hook]
kind = \"webhook\"
url = {{ env = \"HOOK_URL\" }}
secret = {{ env = \"HOOK_SECRET\" }}

[channels.teams]
kind = \"teams\"
url = {{ env = \"TEAMS_URL\" }}

[channels.pager]
kind = \"pagerduty\"
routing_key = {{ env = \"PD_KEY\" }}
endpoint = \"http://127.0.0.1:{port}/pd\"

[channels.script]
kind = \"command\"
command = [\"sh\", \"-c\", \"cat > \\\"$OUT_DIR/$ESCALATE_DELIVERY_ID.json\\\"\"]

[people.alice]
handle = \"<@U0ALICE>\"
channels = [\"hook\"]

[people.rita]
handle = \"<@U0RITA>\"

[people.cat]
handle = \"<@U0CAT>\"
channels = [\"teams\"]

[notify]
budget_seconds = {budget}
max_attempts = 3
retry_seconds = 60
"
        )
    }
}

struct Team {
    env: Env,
    rx: Receiver,
}

impl Team {
    fn new(backend: Backend, budget: u64) -> Team {
        let rx = Receiver::start();
        let env = Env::on(backend).with_policy(policy(&rx, budget));
        std::fs::create_dir_all(env.dir.path().join("hooks")).expect("hooks dir");
        Team { env, rx }
    }

    fn command(&self, actor: &str, args: &[&str]) -> std::process::Command {
        let mut c = self.env.std_cmd();
        c.env("ESCALATE_ACTOR", actor)
            .env("EM_SLACK_URL", self.rx.url("/slack"))
            .env("HOOK_URL", self.rx.url("/hook"))
            .env("HOOK_SECRET", SECRET)
            .env("TEAMS_URL", self.rx.url("/teams"))
            .env("PD_KEY", "R0UTINGKEY0000000000000000000000")
            .env("OUT_DIR", self.env.dir.path().join("hooks"))
            .args(args);
        c
    }

    fn run(&self, actor: &str, args: &[&str]) -> Output {
        self.command(actor, args).output().expect("run escalate")
    }

    fn ok(&self, actor: &str, args: &[&str]) -> (String, String) {
        let out = self.run(actor, args);
        let (o, e) =
            (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
        assert_eq!(out.status.code(), Some(0), "escalate {args:?}\nstdout:\n{o}\nstderr:\n{e}");
        (o, e)
    }

    fn hooks(&self) -> Vec<(String, serde_json::Value)> {
        let mut files: Vec<_> = std::fs::read_dir(self.env.dir.path().join("hooks"))
            .expect("hooks dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("hook file");
                (p.file_name().unwrap().to_string_lossy().into_owned(), serde_json::from_str(&text).expect("hook JSON"))
            })
            .collect()
    }
}

/// The payload, its ledger's name (from its first event's hash, which a change of
/// the built-in policy changes) written as `escalate-ledger-ORIGIN`.
fn pretty(v: &serde_json::Value) -> String {
    let text = serde_json::to_string_pretty(v).expect("json");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("escalate-ledger-") {
        let (head, tail) = rest.split_at(i + "escalate-ledger-".len());
        out.push_str(head);
        let hex = tail.chars().take_while(char::is_ascii_hexdigit).count();
        assert_eq!(hex, 16, "a ledger's name: {tail}");
        out.push_str("ORIGIN");
        rest = &tail[hex..];
    }
    out.push_str(rest);
    out
}

#[test]
fn each_kind_gets_its_payload_and_the_webhook_is_signed() {
    let mut t = Team::new(Backend::Sqlite, 5);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    let (out, err) = t.ok("alice", &Env::request_args("ACME-1"));
    assert!(err.is_empty(), "no warning when all is delivered: {err}");
    assert!(out.contains("Requested escalation"), "{out}");
    // Level 1 tells Slack and the command hook; the l2 destination the webhook.
    let slack = t.rx.to("/slack");
    assert_eq!(slack.len(), 1);
    insta::assert_snapshot!("slack_requested", pretty(&slack[0].json()));
    let hook = t.rx.to("/hook");
    assert_eq!(hook.len(), 1);
    let h = &hook[0];
    insta::assert_snapshot!("webhook_requested", pretty(&h.json()));
    // The signature verifies with the Standard Webhooks algorithm.
    let (id, ts) = (h.header("webhook-id").unwrap(), h.header("webhook-timestamp").unwrap());
    // Named by the ledger too (its first event's hash): another ledger's event 2 is another event.
    assert!(id.starts_with("escalate-ledger-") && id.ends_with("-event-2-hook"), "{id}");
    let ledger = t.env.json(&["ledger", "verify"])["origin"].as_str().unwrap().to_string();
    assert_eq!(id, format!("{ledger}-event-2-hook"));
    // The moment of sending (not the pinned clock): receivers check it against theirs.
    let sent: i64 = ts.parse().unwrap();
    let real = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((real - 300..=real).contains(&sent), "{sent} is not the moment of sending ({real})");
    let key = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(SECRET.trim_start_matches("whsec_")).unwrap()
    };
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{}", h.body).as_bytes());
    let expected = {
        use base64::Engine as _;
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
    };
    assert_eq!(h.header("webhook-signature"), Some(expected.as_str()));
    // The command hook received the same envelope on stdin.
    let hooks = t.hooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].0, format!("{ledger}-event-2-script.json"));
    assert_eq!(hooks[0].1["data"], h.json()["data"]);
    assert_eq!(hooks[0].1["type"], "escalate.requested");

    // A rejection reaches the requester too (alice's own channel is the webhook, already told).
    t.env.at("2026-11-23T13:00:00Z");
    t.ok("rita", &["decide", "ACME-1", "reject", "--note", "Send the HAR file first"]);
    let slack = t.rx.to("/slack");
    assert_eq!(slack.len(), 2);
    insta::assert_snapshot!("slack_rejected", pretty(&slack[1].json()));
    // Promoted to level 2: Teams is told, and level 1's channels still hear
    // (each level's audience includes the levels below it).
    t.env.at("2026-11-23T13:05:00Z");
    t.ok("alice", &["promote", "ACME-1", "--why", "Customer escalated to their VP"]);
    let teams = t.rx.to("/teams");
    assert_eq!(teams.len(), 1);
    assert!(t.hooks().iter().any(|(_, h)| h["type"] == "escalate.promoted"), "level 1's script was not told");
    insta::assert_snapshot!("teams_promoted", pretty(&teams[0].json()));
}

#[test]
fn pagerduty_is_triggered_and_resolved() {
    let mut t = Team::new(Backend::Sqlite, 5);
    t.env.at("2026-11-23T12:30:00Z");
    // A severity 1 case goes to the outage process: it is paged at once...
    t.ok("alice", &["case", "add", "OUT-1", "--customer", "Acme", "--severity", "1", "--tier", "premium"]);
    let pd = t.rx.to("/pd");
    assert_eq!(pd.len(), 1);
    insta::assert_snapshot!("pagerduty_outage", pretty(&pd[0].json()));
    // ...and resolved when the case is closed.
    t.env.at("2026-11-23T14:00:00Z");
    t.ok("alice", &["case", "close", "OUT-1"]);
    let pd = t.rx.to("/pd");
    assert_eq!(pd.len(), 2);
    assert_eq!(
        pd[1].json(),
        serde_json::json!({"routing_key": "R0UTINGKEY0000000000000000000000", "event_action": "resolve", "dedup_key": pd[0].json()["dedup_key"]})
    );
    // A security escalation pages at once, with the escalation as the incident.
    t.env.case("SEC-1", 3, "standard", "2026-11-23T13:50:00Z");
    t.ok(
        "alice",
        &[
            "request",
            "SEC-1",
            "--reason",
            "impaired-function",
            "--to",
            "security",
            "--description",
            "Token leak",
            "--field",
            "observations=Token in logs",
            "--field",
            "affected=All admins",
            "--field",
            "containment=Rotated keys",
            "--field",
            "urgency=High",
        ],
    );
    let pd = t.rx.to("/pd");
    assert_eq!(pd.len(), 3);
    let trigger = pd[2].json();
    assert_eq!(trigger["event_action"], "trigger");
    let ledger = t.env.json(&["ledger", "verify"])["origin"].as_str().unwrap().to_string();
    assert_eq!(trigger["dedup_key"], format!("{ledger}-escalation-1"));
    assert_eq!(trigger["payload"]["severity"], "critical");
    t.ok("alice", &["withdraw", "SEC-1", "--why", "False alarm"]);
    let pd = t.rx.to("/pd");
    assert_eq!(pd.len(), 4);
    assert_eq!(pd[3].json()["event_action"], "resolve");
    assert_eq!(pd[3].json()["dedup_key"], format!("{ledger}-escalation-1"));
}

fn a_failing_receiver_leaves_the_item_pending_until_flush(backend: Backend) {
    let mut t = Team::new(backend, 5);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    t.rx.answer(Answer::Status(500));
    let (_, err) = t.ok("alice", &Env::request_args("ACME-1"));
    assert!(err.contains("warning: the requested notification to channel \"em\" is pending"), "{err}");
    assert!(err.contains("Slack had a server error (500)"), "{err}");
    // The ledger write stands.
    assert_eq!(t.env.json(&["list"])[0]["state"], "requested");
    let pending = t.env.json(&["notify", "list", "--pending"]);
    assert_eq!(pending.as_array().unwrap().len(), 2, "{pending}");
    // Retried by flush once due: not before the retry time.
    t.rx.answer(Answer::Ok);
    t.env.at("2026-11-23T12:30:30Z");
    let (out, _) = t.ok("alice", &["notify", "flush"]);
    assert_eq!(out, "Nothing to send: no notification is due.\n");
    t.env.at("2026-11-23T12:32:00Z");
    let (out, _) = t.ok("alice", &["notify", "flush"]);
    assert!(out.contains("Sent 2 of 2 notifications."), "{out}");
    let (out, _) = t.ok("alice", &["notify", "flush"]);
    assert_eq!(out, "Nothing to send: no notification is due.\n");
    // The receivers saw each item's id once after dropping repeats.
    for path in ["/slack", "/hook"] {
        let ids: std::collections::BTreeSet<String> =
            t.rx.to(path).iter().map(|r| r.header("webhook-id").unwrap_or(&r.body).to_string()).collect();
        assert_eq!(ids.len(), 1, "{path}");
    }
    assert!(t.env.json(&["notify", "list", "--pending"]).as_array().unwrap().is_empty());
}

fn overdue_items_are_told_once_per_deadline(backend: Backend) {
    let mut t = Team::new(backend, 5);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    t.ok("alice", &Env::request_args("ACME-1"));
    let before = t.rx.to("/slack").len();
    // The next day the review is overdue: told once, however often cron runs.
    t.env.at("2026-11-24T16:00:00Z");
    for _ in 0..2 {
        let out = t.run("alice", &["due", "--overdue", "--notify"]);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let slack = t.rx.to("/slack");
    assert_eq!(slack.len() - before, 2, "the review and the touch-point, each once");
    let m = slack[before].json();
    assert!(m["text"].as_str().unwrap().starts_with("Overdue at level 1"), "{m}");
    // How late, as of when it was found: a retry may deliver it hours later.
    let told: String = slack[before..].iter().map(|m| m.body.clone()).collect();
    for said in [
        "The customer touch-point was due 2026-11-24 12:30 UTC: 3h 30m late when found overdue at 2026-11-24 16:00 UTC.",
        "The review was due 2026-11-23 16:30 UTC: 23h 30m late when found overdue at 2026-11-24 16:00 UTC.",
    ] {
        assert!(told.contains(said), "{said}\n{told}");
    }
}

fn a_killed_command_is_delivered_by_the_next_flush(backend: Backend) {
    let mut t = Team::new(backend, 30);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    t.rx.answer(Answer::Hang);
    let mut child = t.command("alice", &Env::request_args("ACME-1")).spawn().expect("spawn");
    // Once a delivery is under way the commit has happened: kill -9 then.
    t.rx.wait_for(1);
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert_eq!(t.env.json(&["list"])[0]["state"], "requested");
    t.rx.answer(Answer::Ok);
    // A flush after the command's hold delivers what it never settled.
    t.env.at("2026-11-23T12:32:00Z");
    let (out, _) = t.ok("alice", &["notify", "flush"]);
    assert!(out.contains("Sent 3 of 3 notifications."), "{out}");
}

#[test]
fn a_hung_receiver_never_holds_a_command_past_its_budget() {
    let mut t = Team::new(Backend::Sqlite, 1);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    t.rx.answer(Answer::Hang);
    let start = Instant::now();
    let (_, err) = t.ok("alice", &Env::request_args("ACME-1"));
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    assert!(err.contains("did not answer in time"), "{err}");
    // A closed connection is a failure to retry too.
    t.rx.answer(Answer::Close);
    t.env.at("2026-11-23T12:35:00Z");
    let out = t.run("alice", &["notify", "flush"]);
    assert_eq!(out.status.code(), Some(6));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("closed the connection"), "{text}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: 2 of 2 notifications were not delivered; see `escalate notify list --pending` and `--failed`\n"
    );
}

/// `env` with level 1 told through a command hook running `script` in sh, within
/// `budget` seconds, and a case ACME-1 that may be escalated at 12:30.
fn hooked(env: Env, script: String, budget: u32) -> Env {
    let mut env = env.with_policy(move |text| {
        format!(
            "{}\n[channels.mail]\nkind = \"command\"\ncommand = [\"sh\", \"-c\", {script:?}]\n\n[notify]\nbudget_seconds = {budget}\n",
            text.replace("[levels.1]\n", "[levels.1]\nchannels = [\"mail\"]\n")
        )
    });
    env.at("2026-11-23T12:30:00Z");
    env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    env
}

#[test]
fn a_hook_past_its_budget_is_stopped_with_all_it_started() {
    let env = Env::new();
    let dir = env.dir.path().to_path_buf();
    let (started, late) = (dir.join("started"), dir.join("late"));
    // The hook starts a child that would still "send" after the 1s budget.
    let script = format!("touch '{}'; (sleep 2; touch '{}') & sleep 30", started.display(), late.display());
    let env = hooked(env, script, 1);
    let start = Instant::now();
    let (_, err) = env.expect(0, &Env::request_args("ACME-1"));
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    assert!(started.exists(), "the hook never ran: {err}");
    assert!(
        err.contains("channel \"mail\" is pending")
            && err.contains("sh did not finish within the 1s budget and was stopped"),
        "{err}"
    );
    // Past the moment the hook's child would have written: it was stopped with the hook.
    std::thread::sleep(Duration::from_secs(3).saturating_sub(start.elapsed()));
    assert!(!late.exists(), "a child of the timed-out hook kept running");
}

/// A receiver whose error page repeats the URL it was sent to (tokens in its path
/// and query) is not let print them, nor keep them in the outbox.
#[test]
fn a_receiver_that_repeats_the_url_has_its_tokens_scrubbed() {
    let mut t = Team::new(Backend::Sqlite, 2);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    let path = "/services/T0ABCDEF1/B0ABCDEF2/SLACKSECRET123?token=ENGSECRET456";
    t.rx.answer_with(Answer::Status(404), &format!("no_service: invalid url {path}"));
    // The webhook channel, which the same receiver answers alike, waits for its variable.
    let out = t
        .command("alice", &Env::request_args("ACME-1"))
        .env("EM_SLACK_URL", t.rx.url(path))
        .env_remove("HOOK_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Slack refused the message (404: no_service: invalid url /***)"), "{err}");
    let failed = t.env.ok(&["notify", "list", "--failed", "--json"]);
    for shown in [err.as_ref(), failed.as_str()] {
        for token in ["SLACKSECRET123", "ENGSECRET456", "T0ABCDEF1"] {
            assert!(!shown.contains(token), "{token} is part of a secret URL: {shown}");
        }
    }
    assert!(failed.contains("invalid url /***"), "{failed}");
}

#[test]
fn a_refusal_is_permanent_and_a_missing_variable_stays_pending() {
    let mut t = Team::new(Backend::Sqlite, 2);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    t.rx.answer_with(Answer::Status(404), "no_service");
    let out = t.command("alice", &Env::request_args("ACME-1")).env_remove("HOOK_URL").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("channel \"em\" failed for good"), "{err}");
    assert!(
        err.contains("Slack refused the message (404: no_service (the webhook URL is wrong or was revoked))"),
        "{err}"
    );
    assert!(
        err.contains("channel \"hook\" is pending") && err.contains("environment variable HOOK_URL is not set"),
        "{err}"
    );
    assert!(!err.contains("127.0.0.1"), "URLs are secrets: {err}");
    let failed = t.env.json(&["notify", "list", "--failed"]);
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert_eq!(failed[0]["channel"], "em");
    assert_eq!(failed[0]["state"], "failed");
}

/// Cases imported at a severity that pages (or raised to one by an upsert) are
/// outages as when added by hand: paged once each, an escalated one warned of.
fn imported_outages_are_paged(backend: Backend) {
    let mut t = Team::new(backend, 5);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    t.ok("alice", &Env::request_args("ACME-1"));
    let csv = t.env.dir.path().join("cases.csv");
    std::fs::write(
        &csv,
        "id,customer,severity,tier,opened_at\nOUT-1,Acme,1,premium,2026-11-23T12:00:00Z\nLOW-1,Acme,3,standard,2026-11-23T12:00:00Z\nOUT-2,Globex,1,standard,2026-11-23T12:10:00Z\n",
    )
    .unwrap();
    t.ok("alice", &["case", "import", csv.to_str().unwrap()]);
    let mut paged: Vec<String> =
        t.rx.to("/pd").iter().map(|r| r.json()["payload"]["component"].as_str().unwrap().to_string()).collect();
    paged.sort();
    assert_eq!(paged, ["OUT-1", "OUT-2"], "sent at once, in any order");
    // An upsert that raises the escalated case to severity 1 pages it and warns.
    t.env.at("2026-11-23T13:00:00Z");
    let raise = t.env.dir.path().join("raise.ndjson");
    std::fs::write(&raise, "{\"id\": \"ACME-1\", \"severity\": 1}\n").unwrap();
    // A dry run says so too, and sends nothing.
    let (_, err) = t.ok("alice", &["case", "import", "--upsert", "--dry-run", raise.to_str().unwrap()]);
    assert!(
        err.starts_with("warning: once imported, case ACME-1 is escalated and is now severity 1 (Outage): "),
        "{err}"
    );
    assert_eq!(t.rx.to("/pd").len(), 2);
    let (_, err) = t.ok("alice", &["case", "import", "--upsert", raise.to_str().unwrap()]);
    assert!(
        err.starts_with("warning: case ACME-1 is escalated and is now severity 1 (Outage): ")
            && err.contains("Record it with `escalate outage ACME-1 --ref TEXT`."),
        "{err}"
    );
    let pd = t.rx.to("/pd");
    assert_eq!(pd.len(), 3);
    let key = pd[2].json()["dedup_key"].as_str().unwrap().to_string();
    assert!(key.starts_with("escalate-ledger-") && key.ends_with("-outage-ACME-1"), "{key}");
    // The same import again changes nothing and pages no one.
    t.ok("alice", &["case", "import", "--upsert", raise.to_str().unwrap()]);
    assert_eq!(t.rx.to("/pd").len(), 3);
}

#[test]
fn imported_outages_are_paged_on_sqlite() {
    imported_outages_are_paged(Backend::Sqlite);
}

#[test]
fn imported_outages_are_paged_on_postgresql() {
    imported_outages_are_paged(Backend::Postgres);
}

/// Notifications that failed for good (both receivers refused) are sent again
/// by `notify retry` once fixed; a named one that did not fail refuses the lot.
fn failed_notifications_are_sent_again(backend: Backend) {
    let mut t = Team::new(backend, 2);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    t.rx.answer_with(Answer::Status(404), "no_service");
    t.ok("alice", &Env::request_args("ACME-1"));
    t.rx.answer(Answer::Ok);
    let all = t.env.json(&["notify", "list"]);
    let id_of = |state: &str| all.as_array().unwrap().iter().find(|d| d["state"] == state).unwrap()["id"].to_string();
    let (failed, sent) = (id_of("failed"), id_of("sent"));
    let refused = |args: &[&str]| {
        let out = t.run("alice", args);
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = refused(&["notify", "retry", &failed, &sent]);
    assert_eq!(
        (code, err),
        (
            Some(2),
            format!(
                "error: notification {sent} was sent; only failed ones are sent again (`escalate notify list --failed`)\n"
            )
        )
    );
    let (code, err) = refused(&["notify", "retry", "999"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no notification has id 999"), "{err}");
    assert_eq!(refused(&["notify", "retry"]).0, Some(2));
    // Nothing was put back by the refusals.
    let f = t.env.json(&["notify", "list", "--failed"]);
    assert_eq!(f.as_array().unwrap().len(), 2, "{f:#}");
    t.env.at("2026-11-23T12:45:00Z");
    let (out, _) = t.ok("alice", &["notify", "retry", "--all", "--channel", "teams"]);
    assert_eq!(out, "Nothing to send again: no notification to channel \"teams\" has failed.\n");
    let before = (t.rx.to("/slack").len(), t.rx.to("/hook").len());
    let (out, _) = t.ok("alice", &["notify", "retry", "--all"]);
    assert!(out.ends_with("Sent 2 of 2 notifications.\n"), "{out}");
    assert_eq!((t.rx.to("/slack").len(), t.rx.to("/hook").len()), (before.0 + 1, before.1 + 1));
    let now = t.env.json(&["notify", "list"]);
    let row = now.as_array().unwrap().iter().find(|d| d["id"].as_i64() == failed.parse().ok()).unwrap().clone();
    assert_eq!((row["state"].as_str(), row["attempts"].as_u64()), (Some("sent"), Some(1)));
    assert_eq!(t.env.json(&["notify", "list", "--failed"]), serde_json::json!([]));
}

#[test]
fn failed_notifications_are_sent_again_on_sqlite() {
    failed_notifications_are_sent_again(Backend::Sqlite);
}

#[test]
fn failed_notifications_are_sent_again_on_postgresql() {
    failed_notifications_are_sent_again(Backend::Postgres);
}

#[test]
fn notify_test_sends_now_and_names_a_failure() {
    let t = Team::new(Backend::Sqlite, 2);
    let (out, _) = t.ok("alice", &["notify", "test", "em"]);
    assert_eq!(out, "Sent a test message to channel em (slack).\n");
    assert_eq!(t.rx.to("/slack").len(), 1);
    // A test page is information only, and resolved at once: nobody is paged for it.
    let (out, _) = t.ok("alice", &["notify", "test", "pager"]);
    assert_eq!(out, "Sent a test message to channel pager (pagerduty).\n");
    let pd = t.rx.to("/pd");
    assert_eq!(pd.len(), 2);
    assert_eq!(
        (pd[0].json()["event_action"].clone(), pd[0].json()["payload"]["severity"].clone()),
        ("trigger".into(), "info".into())
    );
    assert_eq!(
        pd[1].json(),
        serde_json::json!({"routing_key": "R0UTINGKEY0000000000000000000000", "event_action": "resolve", "dedup_key": "escalate-test-pager"})
    );
    t.rx.answer(Answer::Status(500));
    let out = t.run("alice", &["notify", "test", "hook"]);
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the test message to channel hook (webhook) was not delivered"), "{err}");
    let out = t.run("alice", &["notify", "test", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("unknown channel \"nope\" (channels: em, hook, teams, pager, script)")
    );
}

#[test]
fn two_flushes_at_once_on_postgresql_send_each_item_once() {
    let mut t = Team::new(Backend::Postgres, 5);
    t.env.at("2026-11-23T12:30:00Z");
    t.rx.answer(Answer::Status(503));
    for i in 0..6 {
        let id = format!("C-{i}");
        t.env.case(&id, 2, "premium", "2026-11-23T08:00:00Z");
        t.ok("alice", &Env::request_args(&id));
    }
    let queued = t.rx.requests().len();
    t.rx.answer(Answer::Ok);
    t.env.at("2026-11-23T12:35:00Z");
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        for _ in 0..2 {
            let (t, barrier) = (&t, &barrier);
            s.spawn(move || {
                let mut c = t.command("alice", &["notify", "flush"]);
                barrier.wait();
                let out = c.output().unwrap();
                assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            });
        }
    });
    let after: Vec<_> = t.rx.requests().into_iter().skip(queued).collect();
    assert_eq!(after.len(), 12, "six requests, each to Slack and the webhook, once");
    let ids: std::collections::BTreeSet<String> =
        after.iter().map(|r| format!("{}{}", r.path, r.header("webhook-id").unwrap_or(&r.body))).collect();
    assert_eq!(ids.len(), 12, "no item was sent twice");
}

#[test]
fn policy_check_names_each_channel_mistake_with_its_place() {
    let rx = Receiver::start();
    let env = Env::new().with_policy(|text| {
        policy(&rx, 5)(text)
            .replace("channels = [\"hook\"]\n", "channels = [\"hok\"]\n")
            .replace("kind = \"teams\"", "kind = \"telegram\"")
            .replace("url = { env = \"EM_SLACK_URL\" }", "url = \"https://hooks.slack.com/services/T0/B0/SECRET\"")
            .replace(
                &format!("endpoint = \"http://127.0.0.1:{}/pd\"", rx.port),
                "endpoint = \"http://pager.example.com/v2\"",
            )
    });
    let (code, _, err) = env.run(&["policy", "check"]);
    assert_eq!(code, 3, "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("custom-policy.toml:")).collect();
    let located: Vec<String> =
        lines.iter().map(|l| l.split_once("custom-policy.toml:").unwrap().1.to_string()).collect();
    insta::assert_snapshot!(located.join("\n"));
    assert!(!err.contains("SECRET"), "a secret written in the policy is not repeated: {err}");
}

#[test]
fn credentials_in_a_pagerduty_endpoint_are_refused_unrepeated() {
    let rx = Receiver::start();
    let env = Env::new().with_policy(|text| {
        policy(&rx, 5)(text).replace(
            &format!("endpoint = \"http://127.0.0.1:{}/pd\"", rx.port),
            "endpoint = \"https://user:pa55word@events.example.com/v2/enqueue?token=SECRETQ\"",
        )
    });
    let (code, _, err) = env.run(&["policy", "check"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("endpoint carries credentials (a user, a password or a query)"), "{err}");
    assert!(!err.contains("pa55word") && !err.contains("SECRETQ"), "{err}");
}

#[test]
fn policy_show_names_where_secrets_are_read_never_their_values() {
    let rx = Receiver::start();
    let env = Env::new().with_policy(policy(&rx, 5));
    let out = env.ok(&["policy", "show"]);
    let from = out.find("Notifications").expect("a notifications section");
    insta::assert_snapshot!(out[from..].replace(&rx.port.to_string(), "PORT"));
}

#[test]
fn secrets_come_from_a_private_config_file() {
    let rx = Receiver::start();
    let mut env = Env::new().with_policy(|text| {
        format!(
            "{}\n[channels.em]\nkind = \"slack\"\nurl = {{ config = \"em-slack\" }}\n",
            text.replace("[levels.1]\n", "[levels.1]\nchannels = [\"em\"]\n")
        )
    });
    env.at("2026-11-23T12:30:00Z");
    let dir = env.dir.path().join("config").join("escalate");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, format!("[secrets]\nem-slack = \"{}\"\n", rx.url("/slack"))).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    // Readable by others: refused, named, and the notification stays pending.
    let (code, _, err) = env.run(&Env::request_args("ACME-1"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("holds a password or secrets but is readable by others (mode 644)"), "{err}");
    assert!(!err.contains("127.0.0.1"), "{err}");
    assert!(rx.requests().is_empty());
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.at("2026-11-23T12:32:00Z");
    let out = env.ok(&["notify", "flush"]);
    assert!(out.contains("Sent 1 of 1 notifications."), "{out}");
    assert_eq!(rx.to("/slack").len(), 1);
}

#[test]
fn an_account_escalation_tells_its_dri_who_owns_it() {
    let mut t = Team::new(Backend::Sqlite, 5);
    t.env.case("E-1", 1, "premium", "2026-11-23T08:00:00Z");
    t.ok("sam", &["account", "set", "Acme", "--dri", "cat"]);
    t.env.at("2026-11-23T12:30:00Z");
    let fields = ["context=c", "revenue-exposure=r", "actions-taken=a", "decision-needed=d", "deadline=f"];
    let mut args = vec!["account", "request", "Acme", "--case", "E-1", "--reason", "lack-of-progress"];
    args.extend(["--description", "Outage for hours"]);
    for f in &fields {
        args.extend(["--field", f]);
    }
    t.ok("sam", &args);
    // cat's own channel (teams, routed for level 2 only) hears of the level 1 request.
    let teams = t.rx.to("/teams");
    assert_eq!(teams.len(), 1, "{teams:?}");
    assert!(teams[0].body.contains("escalation #1"), "{}", teams[0].body);
}

#[test]
fn a_handoff_tells_the_new_owner_and_mentions_the_manager_on_call() {
    let mut t = Team::new(Backend::Sqlite, 5);
    t.env.at("2026-11-23T12:30:00Z");
    t.env.case("ACME-1", 2, "premium", "2026-11-23T08:00:00Z");
    t.ok("sam", &Env::request_args("ACME-1"));
    t.ok("sam", &["oncall", "set", "support-manager", "rita"]);
    let before = t.rx.to("/hook").len();
    t.env.at("2026-11-23T17:00:00Z");
    t.ok("sam", &["handoff", "ACME-1", "--to", "alice", "--note", "Customer calls back at 09:00"]);
    // alice's own channel is the webhook; the destination's is too: told once.
    let hook = t.rx.to("/hook");
    assert_eq!(hook.len() - before, 1);
    let data = &hook[before].json()["data"];
    assert_eq!(data["topic"], "handed-off");
    assert_eq!(
        data["details"],
        serde_json::json!([
            "Owner: sam → <@U0ALICE>",
            "Handoff note: Customer calls back at 09:00",
            "Support manager on call: <@U0RITA>"
        ])
    );
    assert_eq!(data["next"], "escalate update ACME-1 --note TEXT --next TIME");
}

/// A hook that fails is reported with the last line it wrote, at once: neither a
/// child of it holding its error output open nor much error output keeps
/// escalate waiting past the budget or reads as a timeout.
#[test]
fn a_failing_hook_is_reported_without_waiting_on_what_it_left_behind() {
    for (name, script) in [
        ("a child holding its output", "(sleep 5) & echo 'mail server refused' >&2; exit 3"),
        ("much output", "head -c 300000 /dev/zero | tr '\\0' x >&2; echo >&2; echo 'mail server refused' >&2; exit 3"),
    ] {
        let env = hooked(Env::new(), script.to_string(), 3);
        let start = Instant::now();
        let (_, err) = env.expect(0, &Env::request_args("ACME-1"));
        assert!(start.elapsed() < Duration::from_secs(2), "{name}: took {:?}", start.elapsed());
        assert!(err.contains("sh failed (exit 3): mail server refused"), "{name}: {err}");
    }
}
