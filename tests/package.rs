//! Seed 004: the escalation document, collecting it, when not to escalate,
//! the signals that say escalate, the SLA position, and the report.

mod common;
use common::Env;

fn as_actor(env: &Env, actor: &str, args: &[&str]) -> String {
    let out = env.cmd().env("ESCALATE_ACTOR", actor).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into()
}

/// A case with every section of the document recorded.
fn full() -> Env {
    let mut env = Env::new();
    env.ok(&[
        "case",
        "add",
        "ACME-7",
        "--customer",
        "Acme Corp",
        "--severity",
        "2",
        "--tier",
        "premium",
        "--title",
        "EU checkout fails",
        "--opened-at",
        "2026-11-23T06:00:00Z",
        "--first-response",
        "2026-11-23T09:00:00Z",
        "--tag",
        "checkout",
    ]);
    env.ok(&[
        "request",
        "ACME-7",
        "--reason",
        "customer-deadline",
        "--to",
        "engineering",
        "--description",
        "Checkout fails for EU shoppers; the sale starts Thursday",
        "--field",
        "summary=EU checkout returns HTTP 500",
        "--field",
        "reproduction=1. Add any item to the cart\n2. Pay with SEPA",
        "--field",
        "expected=Order confirmed",
        "--field",
        "observed=HTTP 500 from /pay",
        "--field",
        "environment=eu-west, release 4.2, Chrome 131",
        "--field",
        "impact=EU shoppers cannot pay",
        "--screen",
        "documented-fix=no",
        "--affected",
        "Acme Corp and 3 other EU retailers",
        "--revenue",
        "$30k a day; $1.2M ARR at renewal",
        "--breadth",
        "4 customers, growing since Friday",
        "--depth",
        "Fully blocked for SEPA payments",
        "--duration",
        "Since Friday's deploy; critical before Thursday's sale",
        "--reputation",
        "Acme is a public reference account",
        "--contractual",
        "99.9% availability SLA breached",
        "--narrative",
        "Since Friday's 4.2 deploy every SEPA payment from the EU fails with HTTP 500.",
        "--customer-expectation",
        "A fix before the sale on Thursday",
        "--escalation-risk",
        "High: their CTO asked for our VP",
        "--ask",
        "Ship a fix or roll back the payment service",
        "--deadline",
        "2026-11-26T09:00:00Z",
    ]);
    env.at("2026-11-23T12:30:00Z");
    env.ok(&["note", "ACME-7", "--action", "Rolled back the CDN config", "--outcome", "No change"]);
    env.ok(&["note", "ACME-7", "--action", "Reproduced on staging", "--outcome", "Same HTTP 500"]);
    env.ok(&["note", "ACME-7", "--attach", "https://tickets.example.com/ACME-7", "--attach", "logs/pay-500.txt"]);
    env.ok(&["update", "ACME-7", "--note", "Told Acme engineering is on it", "--next", "2026-11-24T10:00:00Z"]);
    env
}

/// A case with almost nothing recorded.
fn bare() -> Env {
    let env = Env::new();
    env.case("B-1", 3, "standard", "2026-11-20T08:00:00Z");
    env.ok(&[
        "request",
        "B-1",
        "--reason",
        "unresponsive",
        "--to",
        "product",
        "--description",
        "No answer for a week",
        "--field",
        "use-case=Export",
        "--field",
        "impact=Minor",
        "--field",
        "frequency=Weekly",
    ]);
    env
}

#[test]
fn the_document_in_every_format_with_every_section() {
    let env = full();
    insta::assert_snapshot!("package_full_markdown", env.ok(&["package", "ACME-7"]));
    insta::assert_snapshot!("package_full_text", env.ok(&["package", "ACME-7", "--format", "text"]));
    insta::assert_json_snapshot!("package_full_json", env.json(&["package", "ACME-7"]));
    let md = env.ok(&["package", "ACME-7", "--format", "markdown"]);
    assert!(!md.contains("Nothing recorded"), "every section is recorded:\n{md}");
}

#[test]
fn the_document_says_what_was_not_recorded() {
    let env = bare();
    let md = env.ok(&["package", "B-1"]);
    for section in [
        "## Business impact",
        "## Problem narrative",
        "## Reproduction procedure",
        "## Actions already taken",
        "## Customer communication status",
        "## Request",
        "## Attachments and references",
    ] {
        assert!(md.contains(section), "{section} missing:\n{md}");
    }
    insta::assert_snapshot!("package_bare_markdown", md);
    insta::assert_snapshot!("package_bare_text", env.ok(&["package", "B-1", "--format", "text"]));
    insta::assert_json_snapshot!("package_bare_json", env.json(&["package", "B-1"]));
}

#[test]
fn a_package_is_completed_after_the_request() {
    let env = bare();
    let v = env.json(&[
        "package",
        "B-1",
        "--summary",
        "Export API unanswered",
        "--rating",
        "HIGH",
        "--deadline",
        "2026-11-30",
    ]);
    assert_eq!(v["summary"], "Export API unanswered");
    assert_eq!(v["severity"], "High");
    assert_eq!(v["severity_source"], "set on the package");
    assert_eq!(v["hard_deadline"], "2026-11-30T00:00:00Z");
    let show = env.json(&["show", "B-1"]);
    let last = show["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "package-updated");
    let before = env.dump();
    let (_, err) = env.expect(2, &["package", "B-1", "--rating", "urgent"]);
    assert!(err.contains("not critical, high or medium"), "{err}");
    let (_, err) = env.expect(2, &["package", "B-1", "--edit"]);
    assert!(err.contains("--edit needs a terminal") && err.contains("--summary"), "{err}");
    assert_eq!(env.dump(), before);
    env.case("N-1", 3, "standard", "2026-11-20T08:00:00Z");
    let (_, err) = env.expect(1, &["package", "N-1"]);
    assert!(err.contains("has no escalation"), "{err}");
}

#[test]
fn notes_need_something_to_note() {
    let env = bare();
    let before = env.dump();
    let (_, err) = env.expect(2, &["note", "B-1"]);
    assert!(err.contains("nothing to note"), "{err}");
    env.expect(2, &["note", "B-1", "--outcome", "worked"]);
    env.expect(2, &["note", "NOPE", "--action", "x"]);
    assert_eq!(env.dump(), before);
    let v = env.json(&["note", "B-1", "--action", "Asked product on Slack", "--attach", "https://chat/x"]);
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["kind"], "action-noted");
    assert_eq!(v[1]["data"]["reference"], "https://chat/x");
}

#[test]
fn a_when_not_to_escalate_check_stops_a_scripted_request() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    let before = env.dump();
    let mut args = Env::request_args("C-1");
    args.extend(["--screen", "configuration-error=yes"]);
    let (_, err) = env.expect(1, &args);
    assert!(err.contains("a configuration or setup error you can correct"), "{err}");
    assert!(err.contains("--escalate-anyway"), "{err}");
    assert_eq!(env.dump(), before);
    let (_, err) = env.expect(2, &[&args[..], &["--screen", "bogus=no"]].concat());
    assert!(err.contains("unknown check \"bogus\""), "{err}");
    args.push("--escalate-anyway");
    let v = env.json(&args);
    assert_eq!(v["package"]["screening"]["configuration-error"], true);
    assert_eq!(v["package"]["screening"]["escalated-anyway"], true);
}

fn signal<'a>(check: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    check["signals"].as_array().unwrap().iter().find(|s| s["signal"] == name).unwrap()
}

#[test]
fn check_reports_the_signals_that_say_escalate() {
    let mut env = Env::new();
    let add = |id: &str, customer: &str, opened: &str| {
        env.ok(&[
            "case",
            "add",
            id,
            "--customer",
            customer,
            "--severity",
            "3",
            "--tier",
            "premium",
            "--opened-at",
            opened,
            "--tag",
            "sso",
        ]);
    };
    add("S-1", "Acme", "2026-11-23T08:00:00Z");
    add("S-2", "Globex", "2026-11-22T08:00:00Z");
    add("S-3", "Acme", "2026-11-21T08:00:00Z");
    add("S-4", "Initech", "2026-11-10T08:00:00Z"); // outside the 7-day window
    let v = env.json(&["check", "S-1"]);
    assert_eq!(signal(&v, "recurring-pattern")["raised"], false, "{v}");
    add("S-5", "Initech", "2026-11-23T09:00:00Z");
    let v = env.json(&["check", "S-1"]);
    assert_eq!(signal(&v, "recurring-pattern")["raised"], true, "{v}");
    assert_eq!(signal(&v, "stalled-progress")["raised"], false);
    assert_eq!(signal(&v, "severity-trend")["raised"], false);
    // Raised from 3 to 2, then to 1: twice.
    env.ok(&["case", "update", "S-1", "--severity", "2"]);
    env.ok(&["case", "update", "S-1", "--severity", "1"]);
    assert_eq!(signal(&env.json(&["check", "S-1"]), "severity-trend")["raised"], true);
    // Two quiet days: stalled.
    env.at("2026-11-25T12:00:00Z");
    let v = env.json(&["check", "S-2"]);
    assert_eq!(signal(&v, "stalled-progress")["raised"], true, "{v}");
    let out = env.run(&["check", "S-2"]).1;
    assert!(out.contains("Signals that say escalate") && out.contains("stalled-progress"), "{out}");
}

#[test]
fn first_response_missed_needs_a_late_first_response() {
    let env = Env::new();
    // Severity 2 premium: a 2h clock target from 08:00.
    for (id, responded) in [("F-1", "2026-11-23T07:30:00Z"), ("F-2", "2026-11-23T08:01:00Z")] {
        env.ok(&[
            "case",
            "add",
            id,
            "--customer",
            "Acme",
            "--severity",
            "2",
            "--tier",
            "premium",
            "--opened-at",
            "2026-11-23T06:00:00Z",
            "--first-response",
            responded,
        ]);
    }
    let v = env.json(&["check", "F-1", "--reason", "first-response-missed"]);
    assert_eq!(v["eligible"], false);
    assert_eq!(v["sla"]["position"], "compliant");
    let reason = v["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "reason").unwrap();
    assert!(reason["detail"].as_str().unwrap().contains("does not apply"), "{reason}");
    let v = env.json(&["check", "F-2", "--reason", "first-response-missed"]);
    assert_eq!(v["eligible"], true, "{v}");
    assert_eq!(v["sla"]["position"], "breached");
    // The SLA position is in the case list too.
    let list = env.json(&["case", "list"]);
    assert_eq!(list[0]["sla"]["position"], "compliant");
    assert_eq!(list[1]["sla"]["position"], "breached");
    let table = env.ok(&["case", "list"]);
    assert!(table.contains("Breached") && table.contains("Compliant"), "{table}");
}

#[test]
fn the_report_gives_known_answers() {
    let mut env = Env::new();
    for (id, sev) in [("R-1", "2"), ("R-2", "2"), ("R-3", "3"), ("R-4", "3")] {
        env.ok(&[
            "case",
            "add",
            id,
            "--customer",
            "Acme",
            "--severity",
            sev,
            "--tier",
            "premium",
            "--opened-at",
            "2026-11-16T08:00:00Z",
        ]);
    }
    let request = |env: &Env, id: &str, reason: &str| {
        let mut a = Env::request_args(id);
        a[3] = reason;
        env.ok(&a);
    };
    // Monday 12:00: four requests to l2.
    request(&env, "R-1", "lack-of-progress");
    request(&env, "R-2", "lack-of-progress");
    request(&env, "R-3", "unresponsive");
    request(&env, "R-4", "time-constraint");
    env.at("2026-11-23T13:00:00Z");
    as_actor(&env, "rita", &["decide", "R-1", "approve"]); // 60 min
    env.at("2026-11-23T14:00:00Z");
    as_actor(&env, "rita", &["decide", "R-2", "reject", "--note", "Not yet"]); // 120 min
    env.ok(&["promote", "R-2", "--why", "Customer insists"]);
    as_actor(&env, "rita", &["decide", "R-2", "reject", "--note", "Still no"]);
    env.ok(&["promote", "R-2", "--why", "Regional management must decide"]); // level 3: RCA
    env.at("2026-11-23T16:00:00Z");
    as_actor(&env, "rita", &["decide", "R-3", "approve"]); // 240 min
    env.ok(&["close", "R-1", "--note", "Fixed"]); // 240 min after the request
    env.at("2026-11-24T12:00:00Z");
    env.ok(&["close", "R-3", "--note", "Fixed"]); // 1440 min

    let v = env.json(&["report"]);
    assert_eq!(v["escalations"], 4);
    assert_eq!(
        v["by_reason"][0],
        serde_json::json!({ "key": "lack-of-progress", "label": "Lack of progress", "count": 2 })
    );
    assert_eq!(v["by_destination"][0]["count"], 4);
    let levels: Vec<(String, u64)> = v["by_highest_level"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_string(), c["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(levels, vec![("1".to_string(), 3), ("3".to_string(), 1)]);
    assert_eq!((v["approved"].as_u64(), v["rejected"].as_u64()), (Some(2), Some(2)));
    assert_eq!(v["approval_rate"], 0.5);
    assert_eq!(v["to_decision"], serde_json::json!({ "count": 3, "median_minutes": 120, "p90_minutes": 240 }));
    assert_eq!(v["to_close"], serde_json::json!({ "count": 2, "median_minutes": 240, "p90_minutes": 1440 }));
    assert_eq!(v["promotions"], 2);
    assert_eq!(v["promotions_per_escalation"], 0.5);
    assert_eq!(
        v["root_cause_analysis"],
        serde_json::json!([{ "case": "R-2", "escalation": 2, "level": 3, "done": null }])
    );

    let none = env.json(&["report", "--since", "2026-11-24T00:00:00Z"]);
    assert_eq!(none["escalations"], 0);
    assert_eq!(none["approval_rate"], serde_json::Value::Null);
    let csv = env.ok(&["report", "--format", "csv"]);
    assert!(csv.starts_with("section,key,label,value\ntotal,escalations,Escalations,4\n"), "{csv}");
    assert!(csv.contains("to-decision,median-minutes,Median (minutes),120"), "{csv}");
    assert!(csv.contains("\nroot-cause-analysis,R-2,\"escalation #2, level 3\",due\n"), "{csv}");
    let table = env.ok(&["report"]);
    assert!(table.contains("approval rate 50%") && table.contains("R-2 (#2, level 3)"), "{table}");
    env.expect(2, &["report", "--since", "2026-11-24", "--until", "2026-11-23"]);
}

#[test]
fn markdown_escapes_user_text_and_keeps_steps_as_written() {
    let env = bare();
    let md = env.ok(&[
        "package",
        "B-1",
        "--summary",
        "Pay | fails *now*",
        "--narrative",
        "It began Friday.\nIt presents as 500.\n# not a heading\n- not a bullet",
        "--steps",
        "1. 3 items in the cart\n2) 404 page appears\n- 1.5GB upload",
    ]);
    assert!(md.contains("# ESCALATION: Pay \\| fails \\*now\\*"), "{md}");
    assert!(md.contains("It began Friday.  \nIt presents as 500.  \n\\# not a heading  \n\\- not a bullet"), "{md}");
    assert!(md.contains("1. 3 items in the cart\n2. 404 page appears\n3. 1.5GB upload"), "{md}");
    // The text format keeps the text as written.
    let text = env.ok(&["package", "B-1", "--format", "text"]);
    assert!(text.contains("ESCALATION: Pay | fails *now*"), "{text}");
    // An item set by mistake can be cleared: the policy's rating is back.
    env.ok(&["package", "B-1", "--rating", "critical"]);
    assert_eq!(env.json(&["package", "B-1", "--clear", "rating"])["severity"], "Medium");
    env.expect(2, &["package", "B-1", "--clear", "colour"]);
}

#[test]
fn notes_between_escalations_carry_over_and_a_flip_flop_is_not_a_trend() {
    let env = bare();
    env.ok(&["withdraw", "B-1", "--why", "Customer found a workaround"]);
    env.ok(&["note", "B-1", "--action", "Rebuilt the index", "--outcome", "Still slow", "--attach", "/tmp/log.txt"]);
    env.ok(&[
        "request",
        "B-1",
        "--reason",
        "unresponsive",
        "--to",
        "product",
        "--description",
        "Back again",
        "--field",
        "use-case=Export",
        "--field",
        "impact=Minor",
        "--field",
        "frequency=Weekly",
    ]);
    let v = env.json(&["package", "B-1"]);
    assert_eq!(v["escalation"], 2);
    assert_eq!(v["actions"][0]["action"], "Rebuilt the index");
    assert_eq!(v["references"][0]["reference"], "/tmp/log.txt");
    // 3 -> 4 -> 3 -> 2: one new high only (3 was the start), so no trend yet.
    for s in ["4", "3", "2"] {
        env.ok(&["case", "update", "B-1", "--severity", s]);
    }
    let check = env.json(&["check", "B-1"]);
    assert_eq!(signal(&check, "severity-trend")["raised"], false, "{check}");
    env.ok(&["case", "update", "B-1", "--severity", "1"]);
    assert_eq!(signal(&env.json(&["check", "B-1"]), "severity-trend")["raised"], true);
}

/// Where a value given for a field or an item belongs in the document: the
/// title (`#`) or the heading of its section.
fn section_of(key: &str, is_item: bool) -> &'static str {
    match key {
        "summary" => "title",
        "affected" | "effect" | "impact" | "revenue" | "revenue-exposure" | "breadth" | "depth" | "duration"
        | "reputation" | "contractual" => "Business impact",
        "narrative" | "context" | "use-case" | "observations" => "Problem narrative",
        "steps" | "reproduction" | "expected" | "observed" | "environment" => "Reproduction procedure",
        "actions-taken" | "troubleshooting" | "containment" => "Actions already taken",
        "customer-expectation" | "escalation-risk" => "Customer communication status",
        "ask" | "decision-needed" | "deadline" => "Request",
        // A field no section holds is shown under the narrative.
        _ if !is_item => "Problem narrative",
        _ => panic!("no section for the item {key}"),
    }
}

/// The package items given as flags, with the recognisable value of each
/// (`rating` is checked apart: it shows as the severity's label).
const ITEM_FLAGS: &[&str] = &[
    "summary",
    "affected",
    "effect",
    "revenue",
    "breadth",
    "depth",
    "duration",
    "reputation",
    "contractual",
    "narrative",
    "steps",
    "expected",
    "observed",
    "environment",
    "customer-expectation",
    "escalation-risk",
    "ask",
];

/// The deadline item as given, and as the document shows it.
const DEADLINE: (&str, &str) = ("2026-12-24 15:45", "2026-12-24 15:45 UTC");

/// The Markdown document cut into its title and sections: (heading, lines).
fn sections(md: &str) -> Vec<(String, Vec<String>)> {
    let mut out = vec![("title".to_string(), Vec::new())];
    for l in md.lines() {
        match l.strip_prefix("## ") {
            Some(h) => out.push((h.to_string(), Vec::new())),
            None => out.last_mut().unwrap().1.push(l.to_string()),
        }
    }
    out
}

/// Request an escalation of a new case to `dest` under `policy`, giving every
/// field of the destination (and every package item with `items`) a value of
/// its own; check that each value appears once in the Markdown document, in the
/// section it means. Returns the document.
fn golden(policy: &str, dest: &str, fields: &[String], items: bool) -> String {
    let env = Env::new();
    let with_policy = |args: &[&str]| -> Vec<String> {
        ["--policy", policy].iter().chain(args).map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |args: &[&str]| {
        let all = with_policy(args);
        env.ok(&all.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let show: serde_json::Value = {
        let all = with_policy(&["policy", "show"]);
        env.json(&all.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let severity = show["severities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["escalable"] == true)
        .map(|s| s["severity"].to_string())
        .expect("an escalable severity");
    let tier = show["tiers"][0]["key"].as_str().unwrap().to_string();
    let reason = show["reasons"][0]["key"].as_str().unwrap().to_string();
    run(&[
        "case",
        "add",
        "G-1",
        "--customer",
        "Acme",
        "--severity",
        &severity,
        "--tier",
        &tier,
        "--title",
        "The case title",
        "--opened-at",
        "2026-10-01T00:00:00Z",
    ]);
    let mut given: Vec<(String, String, &'static str)> = Vec::new(); // (what, value, section)
    let mut args: Vec<String> =
        ["request", "G-1", "--reason", &reason, "--to", dest, "--description"].iter().map(|s| s.to_string()).collect();
    args.push("value of the description end".into());
    given.push(("the description".into(), "value of the description end".into(), "Problem narrative"));
    for f in fields {
        let value = format!("value of field {f} end");
        args.extend(["--field".to_string(), format!("{f}={value}")]);
        given.push((format!("field {f}"), value, section_of(f, false)));
    }
    if items {
        for it in ITEM_FLAGS {
            let value = format!("value of item {it} end");
            args.extend([format!("--{it}"), value.clone()]);
            given.push((format!("item {it}"), value, section_of(it, true)));
        }
        args.extend(["--deadline".to_string(), DEADLINE.0.to_string(), "--rating".into(), "high".into()]);
        given.push(("item deadline".into(), DEADLINE.1.into(), "Request"));
    }
    run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let md = run(&["package", "G-1"]);
    let sections = sections(&md);
    let context = format!("{policy}, destination {dest}, items {items}:\n{md}");
    for (what, value, section) in &given {
        assert_eq!(md.matches(value.as_str()).count(), 1, "{what} must appear exactly once: {context}");
        let found = sections.iter().find(|(_, lines)| lines.iter().any(|l| l.contains(value.as_str()))).unwrap();
        assert_eq!(found.0, *section, "{what} is in the wrong section: {context}");
        let line = found.1.iter().find(|l| l.contains(value.as_str())).unwrap();
        assert!(!line.contains("Nothing recorded"), "{what}: {context}");
        assert!(!line.contains("outcome not recorded"), "{what} is shown as written: {context}");
    }
    // A section given a value does not say that nothing was recorded for it.
    let narrative = &sections.iter().find(|(h, _)| h == "Problem narrative").unwrap().1;
    let told = given.iter().any(|(w, _, _)| {
        ["narrative", "context", "use-case", "observations"]
            .iter()
            .any(|k| *w == format!("field {k}") || *w == format!("item {k}"))
    });
    if told {
        assert_ne!(narrative[1], "Nothing recorded.", "the narrative was given: {context}");
    }
    if items {
        assert!(md.contains("(set on the package)"), "the rating given: {context}");
    }
    md
}

#[test]
fn every_value_given_appears_once_in_the_section_it_means_for_every_destination_of_every_policy() {
    let mut policies: Vec<std::path::PathBuf> = std::fs::read_dir(common::repo().join("examples").join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    policies.sort();
    policies.push(common::repo().join("policy.toml"));
    assert_eq!(policies.len(), 4, "{policies:?}");
    for path in policies {
        let policy = path.display().to_string();
        let show = Env::new().json(&["--policy", &policy, "policy", "show"]);
        let mut widest: Option<(String, usize)> = None;
        for d in show["destinations"].as_array().unwrap() {
            let dest = d["key"].as_str().unwrap();
            let fields: Vec<String> =
                d["fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
            golden(&policy, dest, &fields, false);
            if widest.as_ref().is_none_or(|(_, n)| fields.len() > *n) {
                widest = Some((dest.to_string(), fields.len()));
            }
        }
        // With every package item given too; one document per policy is kept.
        let mut kept = None;
        for d in show["destinations"].as_array().unwrap() {
            let dest = d["key"].as_str().unwrap();
            let fields: Vec<String> =
                d["fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
            let md = golden(&policy, dest, &fields, true);
            if widest.as_ref().is_some_and(|(w, _)| w == dest) {
                kept = Some(md);
            }
        }
        let stem = path.file_stem().unwrap().to_string_lossy().replace("policy", "default");
        let md = kept.unwrap().replace(&policy, "POLICY");
        insta::assert_snapshot!(format!("golden_{stem}"), md);
    }
}

#[test]
fn fields_fill_the_section_they_mean_beside_the_items_and_actions_read_as_written() {
    let mut env = Env::new();
    env.case("L-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&[
        "request",
        "L-1",
        "--reason",
        "customer-deadline",
        "--to",
        "leadership",
        "--description",
        "Renewal at risk",
        "--field",
        "context=Acme renews in December",
        "--field",
        "revenue-exposure=1.2M ARR at renewal",
        "--field",
        "actions-taken=1. Restarted runners -> no change\n2. Rebuilt the cache -> pipelines start",
        "--field",
        "decision-needed=Approve a credit",
        "--field",
        "deadline=Before the renewal call",
        "--revenue",
        "30k USD a day",
        "--narrative",
        "Pipelines stopped on Friday.",
    ]);
    env.at("2026-11-23T13:00:00Z");
    env.ok(&["note", "L-1", "--action", "Called their CTO"]);
    let md = env.ok(&["package", "L-1"]);
    // The Revenue dimension and the destination's revenue exposure are both kept.
    assert!(md.contains("- Revenue exposure: 30k USD a day; 1.2M ARR at renewal\n"), "{md}");
    // Both narratives, each a paragraph of its own.
    assert!(
        md.contains("## Problem narrative\n\nPipelines stopped on Friday.  \n\nAcme renews in December  \n"),
        "{md}"
    );
    // What the request says was done reads as written, one line each, before the notes made since.
    assert!(
        md.contains(
            "1. Restarted runners -\\> no change (alice, 2026-11-23 12:00 UTC)\n\
             2. Rebuilt the cache -\\> pipelines start (alice, 2026-11-23 12:00 UTC)\n\
             3. Called their CTO -> outcome not recorded (alice, 2026-11-23 13:00 UTC)\n"
        ),
        "{md}"
    );
    assert!(md.contains("## Request\n\n- Approve a credit\n- Hard deadline: Before the renewal call\n"), "{md}");
    let text = env.ok(&["package", "L-1", "--format", "text"]);
    assert!(text.contains("1. Restarted runners -> no change (alice, 2026-11-23 12:00 UTC)\n"), "{text}");
    // The JSON keeps its shape: a text joins what was given.
    let v = env.json(&["package", "L-1"]);
    assert_eq!(v["revenue_exposure"], "30k USD a day; 1.2M ARR at renewal");
    assert_eq!(v["impact"]["revenue"], "30k USD a day; 1.2M ARR at renewal");
    assert_eq!(v["narrative"], "Pipelines stopped on Friday.\n\nAcme renews in December");
    assert_eq!(v["actions"][0]["action"], "Restarted runners -> no change");
    assert_eq!(v["actions"][0]["outcome"], serde_json::Value::Null);
    assert_eq!(v["other_fields"], serde_json::json!({}));
    // The same text given as an item and as a field is shown once.
    let md = env.ok(&["package", "L-1", "--ask", "Approve a credit"]);
    assert_eq!(md.matches("Approve a credit").count(), 1, "{md}");
}
