//! Account escalations, the people behind them, the on-call roster and who
//! decides each level: stories from the account-management process, on both
//! ledger backends.

#[macro_use]
mod common;
use common::{Backend, Env};

on_both!(
    an_emergency_becomes_an_account_escalation_after_three_hours,
    post_upgrade_cases_are_linked_into_one_account_escalation,
    the_dri_hands_off_with_the_manager_on_call_named,
    the_next_shift_and_the_accounts_dri_take_over,
    the_vp_alone_decides_level_four,
    an_outage_and_a_root_cause_analysis_are_recorded,
    refusals_and_bad_input_leave_the_ledger_as_it_was,
    one_of_many_account_requests_wins,
    a_case_an_account_escalation_holds_stays_open,
    an_emergency_runs_from_when_the_case_became_one,
    a_customer_named_in_another_case_is_suggested,
    an_account_escalation_owes_its_own_root_cause_analysis,
    a_rejected_account_escalation_is_replaced_by_its_requester,
);

/// The fields of the leadership package, where an account request goes by default.
const LEAD: [&str; 10] = [
    "--field",
    "context=Renewal at risk",
    "--field",
    "revenue-exposure=$200k ARR",
    "--field",
    "actions-taken=Two fixes tried",
    "--field",
    "decision-needed=Engineering time",
    "--field",
    "deadline=Friday",
];

/// `args` with the leadership package's fields.
fn lead<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(LEAD);
    all
}

fn add(env: &Env, id: &str, customer: &str, severity: &str, opened: &str, tags: &[&str]) {
    let mut args = vec!["case", "add", id, "--customer", customer, "--severity", severity, "--tier", "premium"];
    args.extend(["--opened-at", opened]);
    for t in tags {
        args.extend(["--tag", t]);
    }
    env.ok(&args);
}

fn an_emergency_becomes_an_account_escalation_after_three_hours(b: Backend) {
    let mut env = Env::on(b);
    add(&env, "E-1", "Acme", "1", "2026-11-23T09:00:00Z", &[]);
    env.ok(&["account", "set", "Acme", "--csm", "cat", "--ae", "ann"]);
    env.at("2026-11-23T11:30:00Z");
    let (out, _) = env.expect(1, &["check", "--account", "Acme"]);
    assert!(out.contains("does not qualify") && out.contains("E-1 (severity 1 (Outage)) has run 2h 30m"), "{out}");
    let req =
        lead(&["account", "request", "Acme", "--case", "E-1", "--reason", "lack-of-progress", "--description", "x"]);
    let (_, err) = env.expect(1, &req);
    assert!(err.contains("Acme does not qualify for an account escalation"), "{err}");
    env.at("2026-11-23T12:30:00Z");
    let (out, _) = env.expect(0, &["check", "--account", "Acme"]);
    assert!(out.contains("QUALIFIES"), "{out}");
    let (out, _) = env.expect(1, &["check", "E-1"]);
    assert!(out.contains("It qualifies for an account escalation: account-emergency"), "{out}");
    // The leadership package's fields are required, as for a case escalation sent there.
    let bare = ["account", "request", "Acme", "--case", "E-1", "--reason", "lack-of-progress", "--description", "x"];
    let (_, err) = env.expect(2, &bare);
    assert!(err.contains("the Leadership package needs these fields") && err.contains("--field deadline=..."), "{err}");
    let out = env.ok(&req);
    assert!(out.contains("Requested account escalation #1 of Acme: level 1"), "{out}");
    assert!(out.contains("; to Leadership."), "{out}");
    let shown = env.json(&["account", "show", "Acme"]);
    assert_eq!(shown["account_escalations"][0]["fields"]["context"], "Renewal at risk", "{shown}");
    assert!(out.contains("owner (DRI) cat") && out.contains("account-emergency"), "{out}");
    let show = env.ok(&["show", "E-1"]);
    assert!(show.contains("Account escalation #1 of Acme") && show.contains("account-requested"), "{show}");
    let list = env.json(&["list"]);
    assert_eq!(list[0]["account"], "Acme", "{list}");
    let events = env.ok(&["export", "events"]);
    assert!(events.contains("\"kind\":\"account-requested\""), "{events}");
    // Its escalation document: the leadership package, from any case it spans.
    let doc = env.ok(&["package", "E-1", "--format", "text"]);
    assert!(doc.contains("Account escalation #1 of Acme (spanning E-1) at level 1, requested"), "{doc}");
    assert!(doc.contains("Revenue exposure: $200k ARR"), "{doc}");
    // Decided within its review window, and the report's chart says so.
    env.at("2026-11-23T13:00:00Z");
    let (code, _, err) = env.run_as("dana", &["account", "decide", "Acme", "approve"]);
    assert_eq!(code, 0, "{err}");
    let page = env.dir.path().join("report.html");
    env.ok(&["report", "--format", "html", "--output", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("1 of 1 within level 1&#39;s review deadline"), "{html}");
}

fn post_upgrade_cases_are_linked_into_one_account_escalation(b: Backend) {
    let env = Env::on(b);
    for i in 1..=4 {
        add(&env, &format!("U-{i}"), "Initech", "3", &format!("2026-11-23T0{i}:00:00Z"), &["upgrade-16.0"]);
    }
    add(&env, "G-1", "Globex", "3", "2026-11-23T01:00:00Z", &["upgrade-16.0"]);
    let (out, _) = env.expect(0, &["check", "--account", "Initech"]);
    assert!(out.contains("4 open cases of the customer tagged \"upgrade-16.0\""), "{out}");
    let out = env.ok(&lead(&[
        "account",
        "request",
        "Initech",
        "--case",
        "U-1",
        "--case",
        "U-2",
        "--case",
        "U-3",
        "--reason",
        "impaired-function",
        "--description",
        "Four problems since the 16.0 upgrade",
        "--level",
        "2",
    ]));
    assert!(out.contains("level 2 (Support management), spanning U-1, U-2, U-3"), "{out}");
    let out = env.ok(&["account", "link", "Initech", "U-4"]);
    assert!(out.contains("it spans U-1, U-2, U-3, U-4"), "{out}");
    let (_, err) = env.expect(2, &["account", "link", "Initech", "G-1"]);
    assert!(err.contains("case G-1 is a case of \"Globex\", not of \"Initech\""), "{err}");
    env.ok(&["account", "unlink", "Initech", "U-3"]);
    let shown = env.json(&["account", "show", "Initech"]);
    assert_eq!(shown["account_escalations"][0]["linked"], serde_json::json!(["U-1", "U-2", "U-4"]));
    // Tables show it as the account's escalation, with its cases.
    let list = env.ok(&["list"]);
    assert!(list.contains("account: U-1, U-2, U-4"), "{list}");
    let due = env.json(&["due", "--within", "30d"]);
    assert_eq!(due[0]["account"], "Initech", "{due}");
    assert_eq!(due[0]["linked"], serde_json::json!(["U-1", "U-2", "U-4"]));
    // `check` of a spanned case names the account escalation; a case escalation of it is warned of.
    let (out, _) = env.expect(0, &["check", "U-2"]);
    assert!(out.contains("It is spanned by Initech's account escalation #1 (level 2, requested; owner"), "{out}");
    assert_eq!(env.json(&["check", "U-2"])["account_escalation"]["id"], 1);
    let mut req = Env::request_args("U-2");
    req.push("--yes");
    let (_, err) = env.expect(0, &req);
    assert!(
        err.contains("warning: case U-2 is also spanned by Initech's account escalation #1 (level 2, owner"),
        "{err}"
    );
    env.ok(&["withdraw", "U-2", "--why", "The account escalation covers it"]);
    // A note on a spanned case shows in the account escalation's document.
    env.ok(&["note", "U-4", "--action", "Rolled U-4 back to 15.9"]);
    // (U-2's own escalation is withdrawn: the open account escalation is its document now.)
    let doc = env.ok(&["package", "U-2", "--format", "text"]);
    assert!(doc.contains("Account escalation #1 of Initech") && doc.contains("Rolled U-4 back to 15.9"), "{doc}");
    // A linked case keeps its customer while the escalation is open; an unlinked one may move.
    let before = env.dump();
    let (_, err) = env.expect(2, &["case", "update", "U-2", "--customer", "Globex"]);
    let unlink = "case U-2 is linked to Initech's account escalation #1: unlink it first (`escalate account unlink \"Initech\" U-2`)";
    assert!(err.contains(unlink), "{err}");
    let (_, err) = env.expect(2, &["case", "update", "U-1", "--customer", "Globex"]);
    assert!(err.contains("case U-1 is where Initech's account escalation #1 keeps its events"), "{err}");
    assert_eq!(env.dump(), before, "a refused change of customer changed the ledger");
    env.ok(&["case", "update", "U-3", "--customer", "Globex"]);
    // A misspelt customer is bad input (exit 2), a known one without an account escalation a refusal (1).
    let (_, err) = env.expect(2, &["account", "close", "Initehc", "--note", "x"]);
    assert!(err.contains("customer \"Initehc\" has no cases in the ledger"), "{err}");
    let (_, err) = env.expect(1, &["account", "close", "Globex", "--note", "x"]);
    assert!(err.contains("Globex has no account escalation"), "{err}");
    // The owner (the requester: the account has no people) closes it once agreed.
    let out = env.ok(&["account", "close", "Initech", "--note", "All four fixed; the DRI agrees"]);
    assert!(out.contains("Closed account escalation #1 of Initech."), "{out}");
}

fn the_dri_hands_off_with_the_manager_on_call_named(b: Backend) {
    let env = Env::on(b);
    add(&env, "A-1", "Acme", "2", "2026-11-20T08:00:00Z", &[]);
    env.ok(&["account", "set", "Acme", "--csm", "cat"]);
    env.ok(&["oncall", "set", "support-manager", "noah", "--until", "2026-11-23T20:00:00Z"]);
    let now = env.ok(&["oncall"]);
    assert!(now.contains("noah") && now.contains("nobody"), "{now}");
    env.ok(&lead(&[
        "account",
        "request",
        "Acme",
        "--case",
        "A-1",
        "--reason",
        "customer-deadline",
        "--description",
        "Renewal blocked",
    ]));
    let (code, out, err) = env.run_as("cat", &["account", "handoff", "Acme", "--to", "lee", "--note", "Call at 9"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Handed account escalation #1 of Acme to lee. Support manager on call: noah.\n");
    let events = env.ok(&["export", "events"]);
    assert!(
        events.contains(r#""kind":"handed-off","data":{"from":"cat","to":"lee","note":"Call at 9","manager":"noah"}"#),
        "{events}"
    );
    let history = env.json(&["oncall", "history"]);
    assert_eq!(history.as_array().map(Vec::len), Some(1));
}

fn the_next_shift_and_the_accounts_dri_take_over(b: Backend) {
    let env = Env::on(b);
    add(&env, "C-1", "Acme", "2", "2026-11-20T08:00:00Z", &[]);
    add(&env, "A-1", "Acme", "2", "2026-11-20T09:00:00Z", &[]);
    env.ok(&Env::request_args("C-1"));
    // Nobody on call, no take-over in the policy: the owner alone.
    let (code, _, err) = env.run_as("noah", &["assign", "C-1", "--to", "noah", "--note", "sam went home sick"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "error: noah may not hand off or assign escalation #1: only its owner (alice) may\n")
    );
    // The support manager on call takes it over; the engineer on call then picks it up.
    env.ok(&["oncall", "set", "support-manager", "noah"]);
    env.ok(&["oncall", "set", "support-engineer", "lee"]);
    let (code, _, err) = env.run_as("mallory", &["assign", "C-1", "--to", "mallory"]);
    let who = "only its owner (alice), support engineer on call (lee) or support manager on call (noah) may";
    assert_eq!(
        (code, err.as_str()),
        (1, format!("error: mallory may not hand off or assign escalation #1: {who}\n").as_str())
    );
    let (code, out, err) = env.run_as("noah", &["assign", "C-1", "--to", "noah", "--note", "alice went home sick"]);
    assert_eq!((code, out.as_str()), (0, "noah now owns escalation #1 of case C-1.\n"), "{err}");
    let (code, _, err) = env.run_as("lee", &["close", "C-1", "--note", "fixed"]);
    let close = "only the owner (noah) may close escalation #1: it closes once its owner agrees; ask them, or take it over first with `escalate assign C-1 --to lee`";
    assert_eq!((code, err.trim_end()), (1, format!("error: {close}").as_str()));
    // An account escalation requested before its CSM was known: the CSM, its DRI, takes it over.
    let req =
        lead(&["account", "request", "Acme", "--case", "A-1", "--reason", "customer-deadline", "--description", "x"]);
    env.ok(&req);
    let out = env.ok(&["account", "set", "Acme", "--csm", "cat"]);
    assert_eq!(
        out,
        "Set the people of Acme. Escalation DRI: cat (the customer success manager). cat now owns account escalation #2.\n"
    );
    // Naming oneself the DRI of an open account escalation takes what taking it over takes.
    let before = env.dump();
    let (code, _, err) = env.run_as("mallory", &["account", "set", "Acme", "--csm", "mallory"]);
    let who = "only its owner (cat), support engineer on call (lee) or support manager on call (noah) may";
    assert_eq!(
        (code, err.trim_end()),
        (1, format!("error: mallory may not change who is the escalation DRI of Acme while its account escalation #2 is open: {who}").as_str())
    );
    assert_eq!(env.dump(), before);
    let (code, _, err) = env.run_as("mallory", &["account", "set", "Acme", "--ae", "ann"]);
    assert_eq!(code, 0, "the DRI stays cat: {err}");
    let events = env.ok(&["export", "events"]);
    let set: Vec<&str> = events.lines().filter(|l| l.contains("\"kind\":\"account-people-set\"")).collect();
    assert_eq!(set.len(), 2, "{events}");
    assert!(set[0].contains("\"dri_was\":null") && set[0].contains("\"dri_now\":\"cat\""), "{}", set[0]);
    assert!(set[1].contains("\"actor\":\"mallory\"") && set[1].contains("\"ae\":\"ann\""), "{}", set[1]);
    // A DRI named later passes an escalation the DRI did not own by.
    let (code, out, err) = env.run_as("cat", &["account", "assign", "Acme", "--to", "noah", "--note", "on call"]);
    assert_eq!(code, 0, "{err}: {out}");
    let (code, out, err) = env.run_as("cat", &["account", "set", "Acme", "--dri", "dan"]);
    assert_eq!((code, out.as_str()), (0, "Set the people of Acme. Escalation DRI: dan (named).\n"), "{err}");
    let (code, _, err) = env.run_as("cat", &["account", "close", "Acme", "--note", "The DRI agrees"]);
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = env.run_as("noah", &["account", "assign", "Acme", "--to", "cat"]);
    assert_eq!(code, 0, "{err}: {out}");
    let (code, out, err) = env.run_as("cat", &["account", "close", "Acme", "--note", "The DRI agrees"]);
    assert_eq!((code, out.as_str()), (0, "Closed account escalation #2 of Acme.\n"), "{err}");
}

fn the_vp_alone_decides_level_four(b: Backend) {
    let mut env = Env::on(b).with_policy(|p| {
        p.replace("# deciders = [\"role:vp-support\"]", "deciders = [\"role:vp-support\"]")
            + "\n[people.dana]\nroles = [\"vp-support\"]\nhandle = \"@dana\"\n"
    });
    add(&env, "C-1", "Acme", "2", "2026-11-20T08:00:00Z", &[]);
    env.ok(&Env::request_args("C-1"));
    for day in ["24", "25", "26"] {
        env.at(&format!("2026-11-{day}T17:00:00Z"));
        env.ok(&["promote", "C-1", "--why", "No answer", "--yes"]);
    }
    let before = env.dump();
    let (code, _, err) = env.run_as("rita", &["decide", "C-1", "approve"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "error: rita may not decide level 4: the policy names role:vp-support (dana) to decide it\n")
    );
    assert_eq!(env.dump(), before);
    // Typed in another case, the name is recorded as the policy spells it.
    let (code, _, err) = env.run_as("Dana", &["decide", "C-1", "approve"]);
    assert_eq!(code, 0, "{err}");
    let events = env.ok(&["export", "events"]);
    let decided = events.lines().find(|l| l.contains("\"kind\":\"decided\"")).expect("the decision");
    assert!(decided.contains("\"actor\":\"dana\""), "{decided}");
    // So is a name given to own it: `due --owner dana` finds it.
    env.ok(&["assign", "C-1", "--to", "DANA", "--note", "the VP takes it"]);
    assert_eq!(env.json(&["list"])[0]["owner"], "dana");
}

fn an_outage_and_a_root_cause_analysis_are_recorded(b: Backend) {
    let mut env = Env::on(b);
    add(&env, "C-1", "Acme", "2", "2026-11-20T08:00:00Z", &[]);
    let (code, _, err) = env.run(&["rca", "C-1", "--done", "--link", "https://wiki.example/rca/1"]);
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "error: no root-cause analysis is owed for case C-1: it was never escalated, and the policy asks for one at levels 3 and 4\n"
        )
    );
    env.ok(&Env::request_args("C-1"));
    let (code, _, err) = env.run(&["outage", "C-1", "--ref", "call"]);
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "error: case C-1 is severity 2 (High), which is escalated, not sent to the outage process; if it is an outage, raise its severity first: `escalate case update C-1 --severity 1`\n"
        )
    );
    env.at("2026-11-24T17:00:00Z");
    env.ok(&["promote", "C-1", "--why", "Worse", "--yes"]);
    let (code, _, err) = env.run(&["rca", "C-1", "--done", "--link", "https://wiki.example/rca/1"]);
    assert_eq!((code, err.contains("its escalations reached level 2 at most")), (1, true), "{err}");
    env.at("2026-11-25T17:00:00Z");
    env.ok(&["promote", "C-1", "--why", "Worse still", "--yes"]);
    let (code, _, err) = env.run(&["case", "update", "C-1", "--severity", "1"]);
    assert_eq!(code, 0);
    assert!(err.contains("warning: case C-1 is escalated and is now severity 1 (Outage)"), "{err}");
    assert!(err.contains("escalate outage C-1 --ref TEXT"), "{err}");
    env.ok(&["outage", "C-1", "--ref", "Outage call 14:05, #outage thread"]);
    let report = env.ok(&["report"]);
    assert!(report.contains("A root-cause analysis is due for: C-1 (#1, level 3)"), "{report}");
    env.ok(&["rca", "C-1", "--done", "--link", "https://wiki.example/rca/1"]);
    let report = env.ok(&["report"]);
    assert!(report.contains("Root-cause analyses done: C-1 (#1: https://wiki.example/rca/1)"), "{report}");
    let show = env.ok(&["show", "C-1"]);
    assert!(show.contains("outage-recorded") && show.contains("rca-done"), "{show}");
}

fn refusals_and_bad_input_leave_the_ledger_as_it_was(b: Backend) {
    let env = Env::on(b);
    add(&env, "A-1", "Acme", "3", "2026-11-23T08:00:00Z", &[]);
    add(&env, "G-1", "Globex", "3", "2026-11-23T08:00:00Z", &[]);
    env.ok(&["oncall", "set", "support-engineer", "sam"]);
    let before = env.dump();
    let cases = [
        (
            2,
            &["account", "request", "Nobody", "--case", "A-1", "--reason", "customer-deadline", "--description", "x"][..],
            "customer \"Nobody\" has no cases",
        ),
        (
            2,
            &["account", "request", "Acme", "--case", "G-1", "--reason", "customer-deadline", "--description", "x"],
            "case G-1 is a case of \"Globex\"",
        ),
        (2, &["account", "set", "Nobody", "--csm", "cat"], "has no cases"),
        (
            2,
            &["oncall", "set", "night-owl", "sam"],
            "unknown on-call role \"night-owl\" for ROLE (accepted: support-engineer, support-manager)",
        ),
        (
            2,
            &[
                "oncall",
                "set",
                "support-manager",
                "noah",
                "--from",
                "2026-11-23T20:00:00Z",
                "--until",
                "2026-11-23T19:00:00Z",
            ],
            "is not after the shift's start",
        ),
        (
            1,
            &[
                "account",
                "request",
                "Acme",
                "--case",
                "A-1",
                "--reason",
                "customer-deadline",
                "--description",
                "x",
                "--level",
                "4",
            ],
            "may not start at level 4: the policy lets requests start at level 1 or 2",
        ),
        (
            1,
            &["account", "request", "Acme", "--case", "A-1", "--reason", "lack-of-progress", "--description", "x"],
            "does not qualify",
        ),
        (2, &["account", "request", "Acme", "--case", "A-1", "--no-input"], "--reason KEY"),
        // Everything missing is named at once, the package's fields with the rest.
        (
            2,
            &["account", "request", "Acme", "--case", "A-1", "--no-input"],
            "  --description TEXT\n  --field context=...",
        ),
        (1, &["account", "decide", "Acme", "approve"], "Acme has no account escalation"),
    ];
    for (code, args, says) in cases {
        let args = if args[..2] == ["account", "request"] && !args.contains(&"--no-input") {
            lead(args)
        } else {
            args.to_vec()
        };
        let (_, err) = env.expect(code, &args);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(env.dump(), before, "{args:?} changed the ledger");
    }
}

#[test]
fn the_package_names_the_accounts_people_and_who_is_on_call() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&["account", "set", "Acme", "--csm", "cat", "--ae", "ann"]);
    env.ok(&["oncall", "set", "support-manager", "noah"]);
    env.ok(&Env::request_args("C-1"));
    let doc = env.json(&["package", "C-1"]);
    assert_eq!(
        doc["people"],
        serde_json::json!({"csm": "cat", "ae": "ann", "dri": "cat", "dri_from": "the customer success manager",
                           "on_call": [["Support manager on call", "noah"]]})
    );
    let text = env.ok(&["package", "C-1", "--format", "text"]);
    assert!(
        text.contains("Account: CSM cat; AE ann; escalation DRI cat (the customer success manager). On call: Support manager on call: noah"),
        "{text}"
    );
}

#[test]
fn a_policy_without_account_triggers_says_so() {
    let env = Env::new().with_policy(|p| {
        let start = p.find("\n[accounts]\n").unwrap() + 1;
        let end = start + p[start..].find("\n\n").unwrap();
        format!("{}{}", &p[..start], &p[end..])
    });
    add(&env, "E-1", "Acme", "1", "2026-11-23T00:00:00Z", &[]);
    let (out, _) = env.expect(1, &["check", "--account", "Acme"]);
    assert!(
        out.ends_with("The policy sets no trigger for an account escalation (see `[accounts]` in the policy).\n"),
        "{out}"
    );
    let (_, err) = env.expect(
        1,
        &lead(&["account", "request", "Acme", "--case", "E-1", "--reason", "customer-deadline", "--description", "x"]),
    );
    assert!(err.contains("Acme cannot have an account escalation: the policy sets no trigger for one"), "{err}");
}

/// Racers each ask for an account escalation of one customer naming a different case
/// (so no case row is shared): one opens it, the others find it open.
fn one_of_many_account_requests_wins(b: Backend) {
    let mut env = Env::on(b);
    let n = if b == Backend::Postgres { 12 } else { 6 };
    for i in 0..n {
        add(&env, &format!("E-{i}"), "Acme", "1", "2026-11-23T09:00:00Z", &[]);
    }
    env.at("2026-11-23T12:30:00Z");
    let args = |i: usize| {
        let case = format!("E-{i}");
        let base =
            ["account", "request", "Acme", "--case", &case, "--reason", "lack-of-progress", "--description", "x"];
        lead(&base).into_iter().map(String::from).collect()
    };
    let results = env.race(n, |i| format!("r{i}"), args);
    let won = results.iter().filter(|r| r.0 == 0).count();
    assert_eq!(won, 1, "exactly one account escalation opens: {results:#?}");
    for (code, _, err) in results.iter().filter(|r| r.0 != 0) {
        assert_eq!(*code, 1, "{err}");
        assert!(err.contains("account escalation #1 of Acme is already open at level 1"), "{err}");
    }
    let shown = env.json(&["account", "show", "Acme"]);
    assert_eq!(shown["account_escalations"].as_array().map(Vec::len), Some(1), "{shown}");
}

/// A case an open account escalation spans is not closed under it (by hand or by an
/// import): it is unlinked first, and the case that keeps its events waits for its end.
fn a_case_an_account_escalation_holds_stays_open(b: Backend) {
    let mut env = Env::on(b);
    add(&env, "E-1", "Acme", "1", "2026-11-23T09:00:00Z", &[]);
    add(&env, "E-2", "Acme", "2", "2026-11-23T09:00:00Z", &[]);
    env.at("2026-11-23T12:30:00Z");
    let both = ["account", "request", "Acme", "--case", "E-1", "--case", "E-2", "--reason", "lack-of-progress"];
    let mut req = lead(&both);
    req.extend(["--description", "x"]);
    env.ok(&req);
    let (_, err) = env.expect(1, &["case", "close", "E-2"]);
    assert!(err.contains("case E-2 is linked to Acme's account escalation #1: unlink it first"), "{err}");
    let (_, err) = env.expect(1, &["case", "close", "E-1"]);
    assert!(err.contains("close or withdraw that escalation before the case is closed"), "{err}");
    let csv = env.dir.path().join("closed.csv");
    std::fs::write(&csv, "id,status\nE-2,closed\n").unwrap();
    let (_, err) = env.expect(2, &["case", "import", "--upsert", csv.to_str().unwrap()]);
    assert!(err.contains("line 2 (case E-2): case E-2 is linked to Acme's account escalation #1"), "{err}");
    env.ok(&["account", "unlink", "Acme", "E-2"]);
    env.ok(&["case", "close", "E-2"]);
}

/// A case open for days and raised to an outage has run minutes as an emergency.
fn an_emergency_runs_from_when_the_case_became_one(b: Backend) {
    let mut env = Env::on(b);
    add(&env, "E-1", "Acme", "2", "2026-11-18T09:00:00Z", &[]);
    env.at("2026-11-23T12:30:00Z");
    env.ok(&["case", "update", "E-1", "--severity", "1"]);
    env.at("2026-11-23T12:35:00Z");
    let (out, _) = env.expect(1, &["check", "--account", "Acme"]);
    assert!(out.contains("E-1 (severity 1 (Outage)) has run 5m, not yet longer than 3h"), "{out}");
    env.at("2026-11-23T15:35:00Z");
    let (out, _) = env.expect(0, &["check", "--account", "Acme"]);
    assert!(out.contains("has run 3h 5m, longer than 3h"), "{out}");
}

fn a_customer_named_in_another_case_is_suggested(b: Backend) {
    let env = Env::on(b);
    add(&env, "E-1", "Nova Bank", "2", "2026-11-23T09:00:00Z", &[]);
    let (_, err) = env.expect(2, &["check", "--account", "nova bank"]);
    assert!(err.contains("customer \"nova bank\" has no cases in the ledger"), "{err}");
    assert!(err.contains("did you mean \"Nova Bank\"? A customer's name is matched exactly, case included"), "{err}");
    let (_, err) = env.expect(2, &["check", "--account", "Nobody"]);
    assert!(err.contains("a new customer's first case is added with `escalate case add ID --customer NAME`"), "{err}");
}

/// An account escalation that reached a level requiring an analysis owes one of its
/// own, recorded under `account rca`; the case it is kept on owes none for it, and
/// a case escalation's analysis is not taken for it.
fn an_account_escalation_owes_its_own_root_cause_analysis(b: Backend) {
    let mut env = Env::on(b);
    add(&env, "E-1", "Acme", "1", "2026-11-23T09:00:00Z", &[]);
    add(&env, "E-2", "Acme", "2", "2026-11-23T09:00:00Z", &[]);
    env.at("2026-11-23T12:30:00Z");
    let req = ["account", "request", "Acme", "--case", "E-1", "--reason", "lack-of-progress", "--description", "x"];
    env.ok(&lead(&[&req[..], &["--level", "2"]].concat()));
    env.at("2026-11-23T18:30:00Z");
    env.ok(&["account", "promote", "Acme", "--why", "Renewal call tomorrow", "--yes"]);
    let (code, _, err) = env.run(&["rca", "E-1", "--done", "--link", "https://wiki.example/rca/e1"]);
    assert_eq!((code, err.contains("no root-cause analysis is owed for case E-1: it was never escalated")), (1, true));
    let report = env.ok(&["report"]);
    assert!(report.contains("A root-cause analysis is due for: E-1 (#1, level 3)"), "{report}");
    let out = env.ok(&["account", "rca", "Acme", "--done", "--link", "https://wiki.example/rca/acme"]);
    assert_eq!(
        out,
        "Marked the root-cause analysis of account escalation #1 of Acme done: https://wiki.example/rca/acme.\n"
    );
    let report = env.ok(&["report"]);
    assert!(report.contains("Root-cause analyses done: E-1 (#1: https://wiki.example/rca/acme)"), "{report}");
    // A case escalation on the same case, with an analysis of its own.
    env.ok(&Env::request_args("E-2"));
    for (at, why) in [("2026-11-24T17:00:00Z", "Worse"), ("2026-11-25T17:00:00Z", "Worse still")] {
        env.at(at);
        env.ok(&["promote", "E-2", "--why", why, "--yes"]);
    }
    env.ok(&["rca", "E-2", "--done", "--link", "https://wiki.example/rca/e2"]);
    let json = env.json(&["report"]);
    let done: Vec<(i64, String)> = json["root_cause_analysis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["escalation"].as_i64().unwrap(), r["done"].as_str().unwrap_or("due").to_string()))
        .collect();
    assert_eq!(
        done,
        [(1, "https://wiki.example/rca/acme".to_string()), (2, "https://wiki.example/rca/e2".to_string())]
    );
    // A replay says that it leaves the account escalation's acts out (its request and promotion).
    let policy = env.dir.path().join("same.toml");
    std::fs::copy(common::repo().join("policy.toml"), &policy).unwrap();
    let replayed = env.ok(&["policy", "replay", policy.to_str().unwrap()]);
    assert!(
        replayed.contains("2 acts of account escalations (requests, promotions, decisions) are not replayed"),
        "{replayed}"
    );
    let (code, _, err) = env.run(&["account", "rca", "Globex", "--done", "--link", "https://x.example"]);
    assert_eq!((code, err.contains("customer \"Globex\" has no cases in the ledger")), (2, true), "{err}");
}

/// As with a case escalation: a rejected account escalation is replaced by a new
/// request of its requester (it ends, withdrawn), not by anyone else's.
fn a_rejected_account_escalation_is_replaced_by_its_requester(b: Backend) {
    let mut env = Env::on(b);
    add(&env, "E-1", "Acme", "1", "2026-11-23T09:00:00Z", &[]);
    env.at("2026-11-23T12:30:00Z");
    let req =
        lead(&["account", "request", "Acme", "--case", "E-1", "--reason", "lack-of-progress", "--description", "x"]);
    env.ok(&req);
    let (code, _, err) = env.run_as("dana", &["account", "decide", "Acme", "reject", "--note", "Not yet"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = env.run_as("bob", &req);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("was rejected at level 1: only its requester"), "{err}");
    let out = env.ok(&req);
    assert!(
        out.starts_with("Account escalation #1 (rejected at level 1 by dana) ends: this request replaces it. Requested account escalation #2 of Acme"),
        "{out}"
    );
    let list = env.json(&["list", "--state", "all"]);
    let states: Vec<(i64, &str)> =
        list.as_array().unwrap().iter().map(|e| (e["id"].as_i64().unwrap(), e["state"].as_str().unwrap())).collect();
    assert_eq!(states, [(1, "withdrawn"), (2, "requested")]);
}
