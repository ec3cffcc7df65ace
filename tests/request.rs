//! `escalate request` and `escalate promote`: flags for scripts, refusals that
//! leave the ledger as it was, review deadlines in business hours.

mod common;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Env;

fn ready() -> Env {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env
}

#[test]
fn a_scripted_request_records_everything_the_reviewer_needs() {
    let env = ready();
    let mut args = Env::request_args("C-1");
    args.push("--json");
    let (out, _) = env.expect(0, &args);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["id"], 1);
    assert_eq!(v["case"], "C-1");
    assert_eq!(v["level"], 1);
    assert_eq!(v["state"], "requested");
    assert_eq!(v["destination"], "l2");
    assert_eq!(v["review_due_at"], "2026-11-23T16:00:00Z", "4 business hours from Monday noon");
    assert_eq!(v["fields"]["summary"], "Login fails");
    let shown = env.json(&["show", "C-1"]);
    let kinds: Vec<&str> = shown["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["case-added", "requested"]);
    let ev = &shown["events"][1];
    assert_eq!(ev["actor"], "alice");
    assert!(ev["policy_digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(ev["data"]["description"], "No update for two days");
}

#[test]
fn a_second_request_is_refused_in_favour_of_promote() {
    let env = ready();
    env.ok(&Env::request_args("C-1"));
    let before = env.dump();
    let (_, err) = env.expect(1, &Env::request_args("C-1"));
    assert!(err.contains("use `escalate promote C-1`"), "{err}");
    assert_eq!(env.dump(), before);
}

#[test]
fn a_request_before_the_wait_ends_is_refused_and_says_when() {
    let env = Env::new();
    env.case("C-2", 3, "standard", "2026-11-23T08:00:00Z");
    let before = env.dump();
    let (_, err) = env.expect(1, &Env::request_args("C-2"));
    assert!(err.contains("eligible at 2026-11-24 00:00 UTC (in 12h)"), "{err}");
    assert_eq!(err.matches("2026-11-24 00:00").count(), 1, "the time is said once: {err}");
    assert_eq!(env.dump(), before);
}

#[test]
fn without_a_terminal_missing_values_exit_2_at_once_naming_the_flags() {
    let env = ready();
    let before = env.dump();
    // stdin stays open and silent: the command must not wait on it.
    let mut child = env
        .std_cmd()
        .args(["request", "C-1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "request waited on stdin");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    for flag in ["--reason KEY", "--to DEST", "--description TEXT"] {
        assert!(err.contains(flag), "{flag} not named: {err}");
    }
    assert_eq!(env.dump(), before);

    // With the destination known, the exact fields are named.
    let (_, err) = env.expect(2, &["request", "C-1", "--to", "engineering", "--reason", "impaired-function"]);
    assert!(err.contains("--field reproduction=") && err.contains("--field environment="), "{err}");
    // --yes never prompts either.
    env.expect(2, &["request", "C-1", "--yes"]);
    assert_eq!(env.dump(), before);
}

#[test]
fn fields_outside_the_package_are_bad_input() {
    let env = ready();
    let mut args = Env::request_args("C-1");
    args.extend(["--field", "revenue-exposure=$2M"]);
    let (_, err) = env.expect(2, &args);
    assert!(err.contains("\"revenue-exposure\" is not part of the l2 package"), "{err}");
    let (_, err) = env.expect(2, &["request", "C-1", "--field", "nonsense"]);
    assert!(err.contains("is not KEY=VALUE"), "{err}");
}

#[test]
fn severity_one_is_redirected_but_security_may_route_it() {
    let env = Env::new();
    env.case("OUT", 1, "premium", common::DEFAULT_NOW);
    let (_, err) = env.expect(
        1,
        &[
            "request",
            "OUT",
            "--reason",
            "impaired-function",
            "--to",
            "l2",
            "--description",
            "x",
            "--field",
            "summary=a",
            "--field",
            "troubleshooting=b",
            "--field",
            "customer-context=c",
        ],
    );
    assert!(err.contains("outage process"), "{err}");
    let v = env.json(&[
        "request",
        "OUT",
        "--reason",
        "impaired-function",
        "--to",
        "security",
        "--description",
        "tokens leaked",
        "--field",
        "observations=keys in logs",
        "--field",
        "affected=all tenants",
        "--field",
        "containment=rotated",
        "--field",
        "urgency=high",
    ]);
    assert_eq!(v["destination"], "security");
    // Security skips the level progression: its receiver reviews it, and there is nothing to promote.
    assert_eq!(v["routed_immediately"], true);
    assert_eq!(v["reviewer"], "Security team");
    let out = env.ok(&["show", "OUT"]);
    assert!(out.contains("routed immediately to Security team"), "{out}");
    let due = env.json(&["due"]);
    assert_eq!(due[0]["routed_immediately"], true, "{due}");
    let before = env.dump();
    let (_, err) = env.expect(1, &["promote", "OUT", "--why", "no answer"]);
    assert!(err.contains("skip the level progression"), "{err}");
    assert_eq!(env.dump(), before);
    // A second request points to the way that exists: not promote.
    let (_, err) = env.expect(1, &["check", "OUT", "--to", "security"]);
    assert!(err.is_empty(), "{err}");
    let check = env.json(&["check", "OUT", "--to", "security"]);
    let open = check["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "no-open-escalation").unwrap();
    let detail = open["detail"].as_str().unwrap();
    assert!(detail.contains("withdraw") && !detail.contains("promote"), "{detail}");
    let due = env.json(&["due", "--within", "1w"]);
    assert!(due.as_array().unwrap().iter().all(|i| i["kind"] != "promotion"), "{due}");
    assert!(due[0]["detail"].as_str().unwrap().contains("Security team reviews it"), "{due}");
}

#[test]
fn bad_request_input_is_named_before_the_policy_is_asked() {
    let env = Env::new();
    // Opened just now: not eligible yet, but the bad input is what gets reported.
    env.case("C-1", 2, "premium", common::DEFAULT_NOW);
    let before = env.dump();
    let mut twice = Env::request_args("C-1");
    twice.extend(["--field", "summary=again"]);
    let (_, err) = env.expect(2, &twice);
    assert!(err.contains("--field summary is given twice"), "{err}");
    let mut blank = Env::request_args("C-1");
    blank[7] = "  ";
    let (_, err) = env.expect(2, &blank);
    assert!(err.contains("--description is empty"), "{err}");
    let mut foreign = Env::request_args("C-1");
    foreign.extend(["--field", "urgency=high"]);
    let (_, err) = env.expect(2, &foreign);
    assert!(err.contains("\"urgency\" is not part of the l2 package"), "{err}");
    let (_, err) = env.expect(2, &["request", "C-1", "--field", "summary="]);
    assert!(err.contains("--field summary is empty"), "{err}");
    assert_eq!(env.dump(), before);
}

#[test]
fn the_review_deadline_counts_business_hours_across_a_weekend_and_a_holiday() {
    let mut env = Env::new().with_policy(|p| p.replace("holidays = []", "holidays = [\"2026-11-30\"]"));
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.at("2026-11-27T16:00:00Z"); // Friday, one business hour left
    let mut args = Env::request_args("C-1");
    args.push("--json");
    let v: serde_json::Value = serde_json::from_str(&env.expect(0, &args).0).unwrap();
    // 1h on Friday, Saturday and Sunday off, Monday 30 November a holiday: Tuesday 12:00.
    assert_eq!(v["review_due_at"], "2026-12-01T12:00:00Z");
}

#[test]
fn business_hours_follow_the_zone_across_a_daylight_saving_switch() {
    let mut env = Env::new().with_policy(|p| p.replace("timezone = \"UTC\"", "timezone = \"Europe/Berlin\""));
    env.at("2026-10-23 16:00"); // Friday 16:00 CEST; clocks go back on Sunday 25 October
    env.case("C-1", 2, "premium", "2026-10-20T08:00:00Z");
    let mut args = Env::request_args("C-1");
    args.push("--json");
    let v: serde_json::Value = serde_json::from_str(&env.expect(0, &args).0).unwrap();
    // 1h Friday, 3h Monday from 09:00 CET (08:00Z): 12:00 CET is 11:00Z.
    assert_eq!(v["review_due_at"], "2026-10-26T11:00:00Z");
    // A local time the spring jump skips is refused, not guessed.
    env.at("2027-03-28 02:30");
    let (_, err) = env.expect(2, &["list"]);
    assert!(err.contains("does not exist in Europe/Berlin"), "{err}");
}

#[test]
fn promote_climbs_to_the_top_and_no_further() {
    let mut env = ready();
    env.ok(&Env::request_args("C-1")); // Monday 12:00, review due 16:00
    env.at("2026-11-23T15:59:00Z");
    let before = env.dump();
    let (_, err) = env.expect(1, &["promote", "C-1", "--why", "silence"]);
    assert!(err.contains("once its review window ends at 2026-11-23 16:00 UTC (in 1m)"), "{err}");
    assert_eq!(env.dump(), before);

    let steps = [
        ("2026-11-23T16:00:00Z", 2, "Support management"),
        ("2026-11-24T12:00:00Z", 3, "Senior management"),
        ("2026-11-24T16:00:00Z", 4, "VP of Support"),
    ];
    for (now, level, name) in steps {
        env.at(now);
        let v = env.json(&["promote", "C-1", "--why", "still silent"]);
        assert_eq!(v["level"], level, "{v}");
        assert_eq!(v["level_name"], name);
        assert_eq!(v["state"], "requested");
    }
    let v = env.json(&["show", "C-1"]);
    assert!(v["escalations"][0]["audience"].as_array().unwrap().iter().any(|a| a == "VP of Support"));

    env.at("2026-12-10T12:00:00Z");
    let before = env.dump();
    let (_, err) = env.expect(1, &["promote", "C-1", "--why", "more"]);
    assert!(err.contains("already at the top level, 4 (VP of Support)"), "{err}");
    assert_eq!(env.dump(), before);
}

#[test]
fn promote_needs_an_open_escalation_and_a_reason() {
    let mut env = ready();
    let before = env.dump();
    let (_, err) = env.expect(1, &["promote", "C-1", "--why", "x"]);
    assert!(err.contains("has no open escalation: request one"), "{err}");
    env.ok(&Env::request_args("C-1"));
    env.at("2026-11-24T12:00:00Z");
    let (_, err) = env.expect(2, &["promote", "C-1"]);
    assert!(err.contains("missing --why TEXT"), "{err}");
    env.expect(2, &["promote", "NOPE", "--why", "x"]);
    assert_ne!(env.dump(), before);
}

#[test]
fn promotion_output_names_the_new_audience() {
    let mut env = ready();
    env.ok(&Env::request_args("C-1"));
    env.at("2026-11-24T09:00:00Z");
    let out = env.ok(&["promote", "C-1", "--why", "Customer's CTO is asking daily"]);
    insta::assert_snapshot!("promote_to_level_2", out);
}

#[test]
fn list_filters_by_state_level_and_destination() {
    let env = ready();
    env.case("C-2", 3, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    env.ok(&[
        "request",
        "C-2",
        "--reason",
        "customer-deadline",
        "--to",
        "product",
        "--description",
        "Need SSO by Q1",
        "--field",
        "use-case=SSO",
        "--field",
        "impact=$1M renewal",
        "--field",
        "frequency=weekly",
    ]);
    assert_eq!(env.json(&["list"]).as_array().unwrap().len(), 2);
    assert_eq!(env.json(&["list", "--to", "product"]).as_array().unwrap().len(), 1);
    assert_eq!(env.json(&["list", "--level", "2"]).as_array().unwrap().len(), 0);
    assert_eq!(env.json(&["list", "--state", "approved"]), serde_json::json!([]));
    let (_, err) = env.expect(2, &["list", "--state", "pending"]);
    assert!(err.contains("accepted: requested, approved"), "{err}");
    let out = env.ok(&["list"]);
    insta::assert_snapshot!("list_two", out);
}

#[test]
fn escalating_anyway_keeps_the_reason_for_the_reviewer() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    let mut args = Env::request_args("C-1");
    args.extend([
        "--screen",
        "documented-fix=yes",
        "--escalate-anyway",
        "--anyway-why",
        "The documented fix fails on 4.2",
    ]);
    env.ok(&args);
    let doc = env.ok(&["package", "C-1", "--format", "text"]);
    assert!(doc.contains("When not to escalate: yes to documented-fix"), "{doc}");
    assert!(doc.contains("Escalated anyway because: The documented fix fails on 4.2"), "{doc}");
    let v = env.json(&["package", "C-1"]);
    assert_eq!(v["escalated_anyway_why"], "The documented fix fails on 4.2");
    let (_, err) = env.expect(2, &["request", "C-1", "--anyway-why", "x"]);
    assert!(err.contains("--escalate-anyway"), "{err}");
}
