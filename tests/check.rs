//! `escalate check`: every rule of the default policy, the seed 001 wait table
//! at the boundary minute, severity 1, and destinations that route immediately.

mod common;
use common::Env;

/// (severity, tier, wait in hours) from seed 001.
const TABLE: &[(u32, &str, i64)] = &[
    (2, "premium", 4),
    (2, "standard", 8),
    (3, "premium", 8),
    (3, "standard", 16),
    (4, "premium", 16),
    (4, "standard", 24),
];

fn at(hours: i64, minutes: i64) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:00Z").unwrap();
    (base + chrono::Duration::minutes(hours * 60 + minutes)).to_rfc3339()
}

#[test]
fn the_seed_wait_table_holds_to_the_minute() {
    let mut env = Env::new();
    env.at(&at(0, 0));
    for (sev, tier, _) in TABLE {
        env.case(&format!("S{sev}-{tier}"), *sev, tier, &at(0, 0));
    }
    for (sev, tier, hours) in TABLE {
        let id = format!("S{sev}-{tier}");
        env.at(&at(*hours, -1));
        let v = env.json(&["check", &id]);
        assert_eq!(v["eligible"], false, "{id} one minute early: {v}");
        assert_eq!(v["eligible_at"], at(*hours, 0).replace("+00:00", "Z"), "{id}");
        env.expect(1, &["check", &id]);
        env.at(&at(*hours, 0));
        let v = env.json(&["check", &id]);
        assert_eq!(v["eligible"], true, "{id} at the minute: {v}");
        env.ok(&["check", &id]);
    }
}

#[test]
fn the_human_verdict_says_when_and_why() {
    let mut env = Env::new();
    env.at("2026-11-23T09:00:00Z");
    env.case("C-1", 2, "premium", "2026-11-23T08:00:00Z");
    let (out, _) = env.expect(1, &["check", "C-1"]);
    assert!(out.contains("NOT ELIGIBLE yet. Eligible at 2026-11-23 12:00 UTC (in 3h)."), "{out}");
    assert!(out.contains("wait-window"), "{out}");
    assert!(out.contains("FAIL"), "{out}");
    insta::assert_snapshot!("check_not_yet", out);
}

#[test]
fn json_rules_have_the_documented_fields() {
    let env = Env::new();
    env.case("C-1", 3, "standard", "2026-11-22T00:00:00Z");
    let v = env.json(&["check", "C-1", "--to", "engineering", "--reason", "customer-deadline"]);
    assert_eq!(v["eligible"], true);
    let rules: Vec<&str> = v["rules"].as_array().unwrap().iter().map(|r| r["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["case-open", "severity", "wait-window", "no-open-escalation", "reason", "destination"]);
    for r in v["rules"].as_array().unwrap() {
        assert!(r["passed"].is_boolean() && r["detail"].is_string(), "{r}");
    }
}

#[test]
fn severity_one_goes_to_the_outage_process() {
    let env = Env::new();
    env.case("OUT", 1, "premium", "2026-11-20T00:00:00Z");
    let v = env.json(&["check", "OUT"]);
    assert_eq!(v["eligible"], false);
    assert_eq!(v["eligible_at"], serde_json::Value::Null, "no time makes an outage escalable");
    let sev = &v["rules"][1];
    assert_eq!(sev["rule"], "severity");
    assert!(sev["detail"].as_str().unwrap().contains("outage process"), "{sev}");
    env.expect(1, &["check", "OUT"]);
    // Security routes immediately regardless (seed 004).
    let v = env.json(&["check", "OUT", "--to", "security"]);
    assert_eq!(v["eligible"], true, "{v}");
}

#[test]
fn security_skips_the_wait_window() {
    let env = Env::new();
    env.case("NEW", 4, "standard", common::DEFAULT_NOW);
    env.expect(1, &["check", "NEW"]);
    env.expect(1, &["check", "NEW", "--to", "engineering"]);
    env.ok(&["check", "NEW", "--to", "security"]);
}

#[test]
fn a_closed_case_or_an_open_escalation_blocks() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T00:00:00Z");
    env.ok(&["case", "close", "C-1"]);
    let v = env.json(&["check", "C-1"]);
    assert_eq!(v["rules"][0]["passed"], false);
    assert_eq!(v["eligible_at"], serde_json::Value::Null);
    env.ok(&["case", "reopen", "C-1"]);
    env.ok(&Env::request_args("C-1"));
    let v = env.json(&["check", "C-1"]);
    let open = v["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "no-open-escalation").unwrap();
    assert_eq!(open["passed"], false);
    assert!(open["detail"].as_str().unwrap().contains("escalate promote C-1"));
}

#[test]
fn unknown_keys_are_bad_input() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T00:00:00Z");
    let (_, err) = env.expect(2, &["check", "C-1", "--to", "marketing"]);
    assert!(err.contains("unknown destination \"marketing\"") && err.contains("l2, engineering"), "{err}");
    let (_, err) = env.expect(2, &["check", "C-1", "--reason", "bored"]);
    assert!(err.contains("accepted: executive-visibility"), "{err}");
    let (_, err) = env.expect(2, &["check", "NOPE"]);
    assert_eq!(err.trim(), "error: no case NOPE");
}

#[test]
fn what_if_times_in_the_policy_zone() {
    let env = Env::new().with_policy(|p| p.replace("timezone = \"UTC\"", "timezone = \"America/New_York\""));
    let mut env = env;
    env.at("2026-11-23 07:00"); // New York, = 12:00Z
    env.case("C-1", 2, "premium", "2026-11-23 06:00");
    let v = env.json(&["check", "C-1"]);
    assert_eq!(v["eligible_at"], "2026-11-23T15:00:00Z");
    let (out, _) = env.expect(1, &["check", "C-1"]);
    assert!(out.contains("2026-11-23 10:00 EST (in 3h)"), "{out}");
    // Refusals of a time word it in the zone it was typed in.
    let (_, err) = env.expect(2, &["case", "update", "C-1", "--first-response", "2026-11-23 05:00"]);
    assert_eq!(
        err,
        "error: --first-response 2026-11-23 05:00 EST must fall between the case's opening (2026-11-23 06:00 EST) and now (2026-11-23 07:00 EST)\n"
    );
    let (_, err) = env.expect(
        2,
        &[
            "case",
            "add",
            "C-2",
            "--customer",
            "A",
            "--severity",
            "3",
            "--tier",
            "premium",
            "--opened-at",
            "2026-11-23 08:00",
        ],
    );
    assert!(err.contains("--opened-at 2026-11-23 08:00 EST is in the future (now is 2026-11-23 07:00 EST)"), "{err}");
}

#[test]
fn a_security_escalation_is_reviewed_within_the_hour_even_on_a_friday_evening() {
    let mut env = Env::new();
    env.at("2026-11-27T16:55:00Z");
    env.case("S-1", 1, "premium", "2026-11-27T16:50:00Z");
    let mut args = vec!["request", "S-1", "--to", "security", "--reason", "impaired-function"];
    args.extend(["--description", "Another tenant's data is visible", "--yes"]);
    for f in ["observations=o", "affected=a", "containment=c", "urgency=u"] {
        args.extend(["--field", f]);
    }
    let out = env.ok(&args);
    assert!(out.contains("Security team reviews it by 2026-11-27 17:55 UTC (in 1h)"), "{out}");
    env.at("2026-11-27T18:00:00Z");
    let (code, out, err) = env.run(&["due", "--overdue", "--format", "ndjson"]);
    assert_eq!(code, 1, "{out}{err}");
    let item: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!((item["kind"].as_str(), item["due_at"].as_str()), (Some("review"), Some("2026-11-27T17:55:00Z")));
    // Its approval names no level: it skipped them.
    let out = env.cmd().env("ESCALATE_ACTOR", "sec-lead").args(["decide", "S-1", "approve"]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said, "Approved escalation #1 of case S-1 (routed immediately to Security team).\n");
}
