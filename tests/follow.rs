//! Follow-through: decisions, ownership and handoffs, customer touch-points,
//! close and reopen, what is due, and cases waiting on the customer.

mod common;
use common::Env;

/// A case with a level 1 escalation requested by alice on Monday 2026-11-23 at 12:00.
fn requested() -> Env {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    env
}

fn as_actor(env: &Env, actor: &str, args: &[&str]) -> (i32, String, String) {
    let out = env.cmd().env("ESCALATE_ACTOR", actor).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn a_rejection_needs_a_reason() {
    let env = requested();
    let before = env.dump();
    let (code, _, err) = as_actor(&env, "rita", &["decide", "C-1", "reject"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a rejection needs --note TEXT"), "{err}");
    assert_eq!(env.dump(), before);
    let (code, out, err) =
        as_actor(&env, "rita", &["decide", "C-1", "reject", "--note", "Send the HAR file first", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["state"], "rejected");
    assert_eq!(v["decided_by"], "rita");
    assert_eq!(v["decision_note"], "Send the HAR file first");
    assert_eq!(v["decided_at"], common::DEFAULT_NOW);
}

#[test]
fn the_requester_cannot_decide_their_own_request() {
    let env = requested();
    let before = env.dump();
    let (_, err) = env.expect(1, &["decide", "C-1", "approve"]);
    assert!(err.contains("alice requested escalation #1 and may not decide it too"), "{err}");
    assert_eq!(env.dump(), before);
    // Whoever raised the current level may not decide it either, and is told so in those words.
    let mut env = env;
    env.at("2026-11-23T17:00:00Z");
    let (code, _, err) = as_actor(&env, "lee", &["promote", "C-1", "--why", "no review yet", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let (_, _, err) = as_actor(&env, "lee", &["decide", "C-1", "approve"]);
    assert!(err.contains("lee raised escalation #1 to level 2 and may not decide that level too"), "{err}");

    let env = Env::new().with_policy(|p| p.replace("self_decision = false", "self_decision = true"));
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    env.ok(&["decide", "C-1", "approve"]);
}

#[test]
fn the_policy_names_who_may_decide() {
    let env = Env::new().with_policy(|p| {
        p.replace("deciders = []", "deciders = [\"vp-dana\", \"role:escalation-managers\"]")
            .replace("escalation-managers = []", "escalation-managers = [\"erin\", \"omar\"]")
    });
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    let (code, _, err) = as_actor(&env, "mallory", &["decide", "C-1", "approve"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("mallory may not decide level 1: the policy names vp-dana, role:escalation-managers (erin, omar) to decide it"),
        "{err}"
    );
    let (code, _, err) = as_actor(&env, "omar", &["decide", "C-1", "approve", "--note", "Engineering has it"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = as_actor(&env, "vp-dana", &["decide", "C-1", "reject", "--note", "again"]);
    assert_eq!(code, 1, "a decided level is not decided twice: {err}");

    let bad = Env::new().with_policy(|p| p.replace("deciders = []", "deciders = [\"role:nobody\"]"));
    let (_, err) = bad.expect(3, &["policy", "check"]);
    assert!(err.contains("names unknown role \"nobody\""), "{err}");
}

#[test]
fn a_decision_allows_promotion_at_once() {
    let env = requested();
    let (code, _, err) = as_actor(&env, "rita", &["decide", "C-1", "reject", "--note", "Not enough detail"]);
    assert_eq!(code, 0, "{err}");
    let v = env.json(&["promote", "C-1", "--why", "The customer disagrees"]);
    assert_eq!(v["level"], 2);
    assert_eq!(v["state"], "requested");
    assert_eq!(v["decided_by"], serde_json::Value::Null);
}

#[test]
fn handoffs_put_the_latest_note_first() {
    let env = requested();
    env.ok(&["handoff", "C-1", "--to", "lee", "--note", "First shift note"]);
    let (code, _, err) =
        as_actor(&env, "lee", &["handoff", "C-1", "--to", "kim", "--note", "Call them at 9, they want a bridge"]);
    assert_eq!(code, 0, "{err}");
    let out = env.ok(&["show", "C-1"]);
    assert!(
        out.starts_with(
            "Latest handoff from lee to kim at 2026-11-23 12:00 UTC:\n  Call them at 9, they want a bridge\n"
        ),
        "{out}"
    );
    assert_eq!(env.json(&["list"])[0]["owner"], "kim");
    assert_eq!(env.json(&["show", "C-1"])["escalations"][0]["handoff_note"], "Call them at 9, they want a bridge");
    let (code, _, err) = as_actor(&env, "kim", &["handoff", "C-1", "--to", "kim", "--note", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("already owned by kim"), "{err}");
    let (code, _, err) = as_actor(&env, "kim", &["assign", "C-1", "--to", "alice"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(env.json(&["list"])[0]["owner"], "alice");
}

#[test]
fn a_touch_point_falls_overdue_across_a_weekend() {
    let mut env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.at("2026-11-27T13:00:00Z"); // Friday
    env.ok(&Env::request_args("C-1"));
    as_actor(&env, "rita", &["decide", "C-1", "approve", "--note", "Engineering is on it"]);
    env.at("2026-11-27T16:00:00Z");
    env.ok(&["update", "C-1", "--note", "Told the customer we are on it"]);
    // Level 1 cadence: 8 business hours. One hour left on Friday, seven on Monday: due 16:00.
    env.at("2026-11-30T15:59:00Z");
    let (out, _) = env.expect(0, &["due", "--overdue"]);
    assert_eq!(out, "Nothing is overdue.\n");
    let v = env.json(&["due", "--within", "1h"]);
    let touch = v.as_array().unwrap().iter().find(|i| i["kind"] == "touch-point").expect("touch-point due");
    assert_eq!(touch["due_at"], "2026-11-30T16:00:00Z");
    assert_eq!(touch["overdue"], false);
    env.at("2026-11-30T16:01:00Z");
    let (out, _) = env.expect(1, &["due", "--overdue"]);
    assert!(out.contains("touch-point") && out.contains("1m late"), "{out}");
    let v = env.json(&["due", "--overdue"]);
    assert!(v.as_array().unwrap().iter().all(|i| i["overdue"] == true));
    // Exactly at the deadline it is due now, not late.
    env.at("2026-11-30T16:00:00Z");
    env.expect(0, &["due", "--overdue"]);
}

#[test]
fn a_possible_promotion_is_an_option_not_an_overdue_item() {
    let mut env = requested();
    as_actor(&env, "rita", &["decide", "C-1", "reject", "--note", "Not enough detail"]);
    env.at("2026-11-23T12:30:00Z");
    let v = env.json(&["due"]);
    let promo = v.as_array().unwrap().iter().find(|i| i["kind"] == "promotion").expect("promotion listed");
    assert_eq!(promo["overdue"], false);
    let (out, _) = env.expect(0, &["due", "--overdue"]);
    assert_eq!(out, "Nothing is overdue.\n");
    let out = env.ok(&["due"]);
    assert!(out.contains("possible 30m ago"), "{out}");
    let (_, err) = env.expect(2, &["due", "--within", "4h business"]);
    assert!(err.contains("clock time from now"), "{err}");
}

#[test]
fn writes_may_not_go_back_before_the_last_event() {
    let mut env = requested();
    as_actor(&env, "rita", &["decide", "C-1", "approve"]);
    let out = env.ok(&["show", "C-1"]);
    assert!(out.contains("approved level 1") && !out.contains("null"), "{out}");
    let before = env.dump();
    env.at("2026-11-23T11:00:00Z");
    let (_, err) = env.expect(2, &["update", "C-1", "--note", "back in time"]);
    assert!(err.contains("before the last recorded event of case C-1"), "{err}");
    assert_eq!(env.dump(), before);
    // Reading as of an earlier time is still a fine what-if question.
    env.ok(&["show", "C-1"]);
}

#[test]
fn usage_errors_are_json_too_when_asked() {
    let env = Env::new();
    let (_, err) = env.expect(2, &["--json", "list", "--bogus"]);
    let v: serde_json::Value = serde_json::from_str(err.trim()).expect("a JSON error");
    assert_eq!(v["error"], "bad-input");
    assert_eq!(v["code"], 2);
    assert!(v["message"].as_str().unwrap().contains("--bogus"), "{v}");
}

#[test]
fn a_promised_touch_point_overrides_the_cadence() {
    let mut env = requested();
    env.ok(&["update", "C-1", "--note", "Fix ships tomorrow", "--next", "2026-11-24T10:00:00Z"]);
    let v = env.json(&["due", "--within", "2d"]);
    let touch = v.as_array().unwrap().iter().find(|i| i["kind"] == "touch-point").unwrap();
    assert_eq!(touch["due_at"], "2026-11-24T10:00:00Z");
    let (_, err) = env.expect(2, &["update", "C-1", "--note", "x", "--next", "2026-11-01T00:00:00Z"]);
    assert!(err.contains("is not in the future"), "{err}");
    env.at("2026-11-23T12:30:00Z");
    let (_, err) = env.expect(2, &["due", "--within", "soon"]);
    assert!(err.contains("invalid --within \"soon\""), "{err}");
}

#[test]
fn due_lists_reviews_and_promotions_sorted_and_by_owner() {
    let mut env = requested();
    env.case("C-2", 3, "premium", "2026-11-20T08:00:00Z");
    env.at("2026-11-23T13:00:00Z");
    env.ok(&[
        "request",
        "C-2",
        "--reason",
        "customer-deadline",
        "--to",
        "product",
        "--description",
        "Need SSO",
        "--field",
        "use-case=SSO",
        "--field",
        "impact=renewal",
        "--field",
        "frequency=weekly",
    ]);
    env.ok(&["assign", "C-2", "--to", "kim"]);
    env.at("2026-11-23T16:30:00Z");
    let v = env.json(&["due", "--within", "2h"]);
    let rows: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["case"].as_str().unwrap().into(), i["kind"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        rows,
        [
            ("C-1".to_string(), "review".to_string()),
            ("C-1".into(), "promotion".into()),
            ("C-2".into(), "review".into())
        ],
        "{v}"
    );
    let mine = env.json(&["due", "--within", "2h", "--owner", "kim"]);
    assert!(mine.as_array().unwrap().iter().all(|i| i["owner"] == "kim"));
    assert!(!mine.as_array().unwrap().is_empty(), "{mine}");
    // A name matches whatever its case, as everywhere else.
    assert_eq!(env.json(&["due", "--within", "2h", "--owner", "KIM"]), mine);
    let out = env.ok(&["due", "--within", "2h"]);
    insta::assert_snapshot!("due_table", out);
}

#[test]
fn a_paused_case_stops_its_wait_window_and_resumes_it() {
    let mut env = Env::new();
    env.at("2026-11-23T09:00:00Z");
    env.case("C-1", 2, "premium", "2026-11-23T08:00:00Z"); // eligible at 12:00 without a pause
    let out = env.ok(&["case", "update", "C-1", "--waiting", "--priority", "high", "--title", "Checkout fails"]);
    let headline = out.lines().take(2).collect::<Vec<_>>().join(" ");
    assert_eq!(
        headline.split_whitespace().collect::<Vec<_>>().join(" "),
        "Updated case C-1: title \"\" -> \"Checkout fails\"; priority normal -> high; waiting on the customer from now.",
        "{out}"
    );
    env.at("2026-11-23T11:00:00Z");
    let v = env.json(&["check", "C-1"]);
    assert_eq!(v["eligible"], false);
    assert_eq!(v["eligible_at"], serde_json::Value::Null, "while waiting, no time is known");
    assert_eq!(v["waiting_since"], "2026-11-23T09:00:00Z");
    assert_eq!(v["paused_minutes"], 120);
    let wait = v["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "wait-window").unwrap().clone();
    assert!(wait["detail"].as_str().unwrap().contains("the wait is paused"), "{wait}");
    let (out, _) = env.expect(1, &["check", "C-1"]);
    assert!(out.contains("NOT ELIGIBLE while it waits on the customer"), "{out}");
    let (_, err) = env.expect(2, &["case", "update", "C-1", "--waiting"]);
    assert!(err.contains("already waits on the customer"), "{err}");
    env.ok(&["case", "update", "C-1", "--resume"]);
    // Paused 09:00-11:00: the 4h wait now ends at 14:00.
    let v = env.json(&["check", "C-1"]);
    assert_eq!(v["eligible_at"], "2026-11-23T14:00:00Z");
    assert_eq!(v["paused_minutes"], 120);
    let wait = v["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "wait-window").unwrap().clone();
    assert!(wait["detail"].as_str().unwrap().contains("plus 2h paused waiting on the customer"), "{wait}");
    env.at("2026-11-23T14:00:00Z");
    env.ok(&["check", "C-1"]);
    let (_, err) = env.expect(2, &["case", "update", "C-1", "--resume"]);
    assert!(err.contains("not waiting"), "{err}");
}

#[test]
fn only_the_owner_closes_and_a_closed_escalation_must_be_reopened_to_promote() {
    let mut env = requested();
    env.ok(&["handoff", "C-1", "--to", "lee", "--note", "yours"]);
    let before = env.dump();
    let (_, err) = env.expect(1, &["close", "C-1", "--note", "done"]);
    assert!(err.contains("only the owner (lee) may close"), "{err}");
    assert_eq!(env.dump(), before);
    let (code, _, err) = as_actor(&env, "lee", &["close", "C-1", "--note", "Customer agrees it is fixed"]);
    assert_eq!(code, 0, "{err}");
    env.at("2026-11-25T12:00:00Z");
    let (_, err) = env.expect(1, &["promote", "C-1", "--why", "broken again"]);
    assert_eq!(
        err,
        "error: escalation #1 of case C-1 was closed by lee at 2026-11-23 12:00 UTC: reopen it first with `escalate reopen C-1 --why TEXT`\n"
    );
    let v = env.json(&["reopen", "C-1", "--why", "Broken again after the patch"]);
    // Undecided, so its review window starts again from the reopening.
    assert_eq!(v["review_due_at"], "2026-11-25T16:00:00Z");
    let (_, err) = env.expect(1, &["promote", "C-1", "--why", "Broken again"]);
    assert!(err.contains("review window ends at 2026-11-25 16:00 UTC"), "{err}");
    env.at("2026-11-25T16:00:00Z");
    let v = env.json(&["promote", "C-1", "--why", "Broken again"]);
    assert_eq!(v["level"], 2);
    let (_, err) = env.expect(1, &["reopen", "C-1", "--why", "x"]);
    assert!(err.contains("not closed"), "{err}");
}

#[test]
fn withdrawing_frees_the_case_for_a_new_request() {
    let env = requested();
    let (code, _, err) = as_actor(&env, "mallory", &["withdraw", "C-1", "--why", "x"]);
    assert_eq!(code, 1, "{err}");
    env.ok(&["withdraw", "C-1", "--why", "Customer found a workaround"]);
    assert_eq!(env.json(&["list"]), serde_json::json!([]));
    assert_eq!(env.json(&["list", "--state", "withdrawn"]).as_array().unwrap().len(), 1);
    env.ok(&Env::request_args("C-1"));
}

#[test]
fn the_timeline_tells_the_whole_story_in_order() {
    let mut env = requested();
    env.at("2026-11-23T12:10:00Z");
    as_actor(&env, "rita", &["decide", "C-1", "approve", "--note", "Go"]);
    env.at("2026-11-23T12:20:00Z");
    env.ok(&["promote", "C-1", "--why", "Needs management"]);
    env.ok(&["assign", "C-1", "--to", "lee"]);
    as_actor(&env, "lee", &["handoff", "C-1", "--to", "alice", "--note", "Back to you"]);
    env.ok(&["update", "C-1", "--note", "Patch tonight"]);
    env.ok(&["case", "update", "C-1", "--waiting"]);
    env.ok(&["case", "update", "C-1", "--resume"]);
    env.ok(&["close", "C-1", "--note", "Owner agrees"]);
    let v = env.json(&["show", "C-1"]);
    let kinds: Vec<&str> = v["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "case-added",
            "requested",
            "decided",
            "promoted",
            "assigned",
            "handed-off",
            "customer-updated",
            "paused",
            "resumed",
            "closed"
        ]
    );
    let out = env.ok(&["show", "C-1"]);
    insta::assert_snapshot!("timeline", out);
}

#[test]
fn only_the_owner_or_the_takeover_roles_hand_off_and_assign() {
    let env = Env::new().with_policy(|p| {
        p.replace("escalation-managers = []", "escalation-managers = [\"erin\"]")
            .replace("take_over = []", "take_over = [\"role:escalation-managers\"]")
    });
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    env.ok(&["handoff", "C-1", "--to", "lee", "--note", "yours now"]);
    let before = env.dump();
    // Anyone else may neither take it nor give it away, and is not told to try.
    for args in [&["handoff", "C-1", "--to", "mallory", "--note", "mine"][..], &["assign", "C-1", "--to", "mallory"]] {
        let (code, _, err) = as_actor(&env, "mallory", args);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(
                "mallory may not hand off or assign escalation #1: only its owner (lee) or role:escalation-managers may"
            ),
            "{err}"
        );
    }
    let (code, _, err) = as_actor(&env, "mallory", &["close", "C-1", "--note", "done"]);
    assert_eq!(code, 1);
    assert!(err.contains("only the owner (lee) may close") && !err.contains("escalate assign"), "{err}");
    assert_eq!(env.dump(), before);
    // An escalation manager may take it over, and is told how.
    let (_, _, err) = as_actor(&env, "erin", &["close", "C-1", "--note", "done"]);
    assert!(err.contains("or take it over first with `escalate assign C-1 --to erin`"), "{err}");
    let (code, _, err) = as_actor(&env, "erin", &["assign", "C-1", "--to", "erin", "--note", "taking over"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = as_actor(&env, "erin", &["close", "C-1", "--note", "resolved"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn after_a_rejection_only_its_requester_requests_anew() {
    let env = requested();
    as_actor(&env, "rita", &["decide", "C-1", "reject", "--note", "Send the HAR file first"]);
    // The reviewer and everyone else: refused, told why.
    let mut args: Vec<&str> = Env::request_args("C-1");
    args.push("--yes");
    let (code, _, err) = as_actor(&env, "rita", &args);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("escalation #1 was rejected at level 1 by rita")
            && err.contains("only its requester (alice) may request anew"),
        "{err}"
    );
    let (code, _, err) = as_actor(&env, "rita", &["withdraw", "C-1", "--why", "x"]);
    assert_eq!(code, 1, "the reviewer may not withdraw it: {err}");
    // The requester, with new facts: #1 ends, said and recorded, and #2 begins.
    let out = env.ok(&args);
    assert!(
        out.starts_with("Escalation #1 (rejected at level 1 by rita) ends: this request replaces it.\nRequested escalation #2 of case C-1"),
        "{out}"
    );
    let all = env.json(&["list", "--state", "all"]);
    assert_eq!((all[0]["state"].as_str(), all[1]["id"].as_i64()), (Some("withdrawn"), Some(2)));
    let show = env.ok(&["show", "C-1"]);
    assert!(show.contains("Decided: rejected by rita") && show.contains("Withdrawn by alice"), "{show}");
}

#[test]
fn the_policy_may_allow_only_promotion_after_a_rejection() {
    let env = Env::new().with_policy(|p| {
        p.replace("self_decision = false", "self_decision = false\nafter_rejection = \"promote-only\"")
    });
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    as_actor(&env, "rita", &["decide", "C-1", "reject", "--note", "No"]);
    let v = env.json(&["check", "C-1"]);
    let rule = v["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "no-open-escalation").unwrap().clone();
    assert_eq!(rule["passed"], false);
    assert!(
        rule["detail"]
            .as_str()
            .unwrap()
            .contains("the policy allows only to promote it with `escalate promote C-1`, or withdraw it"),
        "{rule}"
    );
    env.expect(1, &Env::request_args("C-1"));
    env.ok(&["promote", "C-1", "--why", "The customer insists"]);
}

#[test]
fn time_spent_closed_is_not_a_missed_touch_point() {
    let mut env = requested();
    env.ok(&["update", "C-1", "--note", "Told them", "--next", "2026-11-24T10:00:00Z"]);
    env.at("2026-11-23T13:00:00Z");
    env.ok(&["close", "C-1", "--note", "fixed"]);
    // Closed for a week; reopened: the cadence (8 business hours at level 1) counts from now.
    env.at("2026-11-30T10:00:00Z");
    env.ok(&["reopen", "C-1", "--why", "Broken again"]);
    let due = env.json(&["due", "--within", "3d"]);
    let touch = due.as_array().unwrap().iter().find(|d| d["kind"] == "touch-point").expect("a touch-point").clone();
    assert_eq!(touch["overdue"], false, "{due}");
    assert_eq!(touch["due_at"], "2026-12-01T10:00:00Z", "{due}");
    let v = env.json(&["list"]);
    assert_eq!(v[0]["touch_since"], "2026-11-30T10:00:00Z");
    assert_eq!(v[0]["next_touch_at"], serde_json::Value::Null, "a promise made before the close is void");
    env.expect(0, &["due", "--overdue"]);
}

#[test]
fn customer_priority_orders_lists_and_filters_them() {
    let env = Env::new();
    for (id, priority, opened) in [
        ("P-LOW", "low", "2025-12-28T12:00:00Z"),
        ("P-NORM", "normal", "2026-11-19T08:00:00Z"),
        ("P-HIGH", "high", "2026-11-20T08:00:00Z"),
    ] {
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
            opened,
            "--priority",
            priority,
        ]);
        env.ok(&Env::request_args(id));
    }
    let ids = |v: serde_json::Value, key: &str| -> Vec<String> {
        v.as_array().unwrap().iter().map(|x| x[key].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(ids(env.json(&["case", "list"]), "id"), ["P-HIGH", "P-NORM", "P-LOW"]);
    assert_eq!(ids(env.json(&["case", "list", "--priority", "low"]), "id"), ["P-LOW"]);
    let due = env.json(&["due", "--within", "2d"]);
    assert_eq!(ids(due.clone(), "priority").first().map(String::as_str), Some("high"), "{due}");
    assert_eq!(ids(env.json(&["due", "--within", "2d", "--priority", "low"]), "case"), ["P-LOW", "P-LOW"]);
    assert_eq!(ids(env.json(&["list", "--priority", "high"]), "case"), ["P-HIGH"]);
    assert_eq!(env.json(&["list"])[0]["priority"], "low");
    // An opening in another year shows its year.
    let out = env.ok(&["case", "list"]);
    assert!(out.contains("2025-12-28 12:00") && out.contains("11-20 08:00"), "{out}");
    let (_, err) = env.expect(2, &["case", "list", "--priority", "urgent"]);
    assert!(err.contains("unknown priority \"urgent\""), "{err}");
}

#[test]
fn assigning_the_owner_again_keeps_the_note() {
    let env = requested();
    env.ok(&["assign", "C-1", "--to", "alice", "--note", "Still mine: waiting for the logs"]);
    let out = env.ok(&["show", "C-1"]);
    assert!(out.contains("owner alice -> alice: Still mine: waiting for"), "{out}");
    env.expect(2, &["assign", "C-1", "--to", "alice"]);
}

#[test]
fn a_zero_wait_reads_as_no_wait_and_plain_labels_do_not_repeat() {
    let env = Env::new().with_policy(|p| {
        p.replace(
            "wait = { premium = \"8h clock\", standard = \"16h clock\" }",
            "wait = { premium = \"0m clock\", standard = \"16h clock\" }",
        )
        .replace("label = \"Medium\"", "label = \"Severity 3\"")
    });
    env.case("Z-1", 3, "premium", "2026-11-23T11:59:00Z");
    let v = env.json(&["check", "Z-1"]);
    let details: Vec<&str> = v["rules"].as_array().unwrap().iter().map(|r| r["detail"].as_str().unwrap()).collect();
    assert!(details.contains(&"severity 3 may be escalated"), "{details:?}");
    assert!(details.iter().any(|d| d.starts_with("severity 3 cases of the Premium tier have no wait")), "{details:?}");
    assert_eq!(v["eligible"], true);
}

#[test]
fn actor_names_are_one_person_whatever_their_case() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    let mut args = Env::request_args("C-1");
    args.extend(["--actor", "Sam"]);
    env.ok(&args);
    let (code, _, err) = as_actor(&env, "sam", &["decide", "C-1", "approve"]);
    assert_eq!(code, 1, "the requester may not decide it by changing case: {err}");
    let (code, _, err) = as_actor(&env, "SAM", &["close", "C-1", "--note", "done"]);
    assert_eq!(code, 0, "the owner closes whatever the case: {err}");
}

#[test]
fn an_opening_cannot_move_past_the_cases_request_or_its_wait() {
    let mut env = requested();
    env.at("2026-11-24T12:00:00Z");
    env.ok(&["case", "update", "C-1", "--waiting"]);
    let before = env.dump();
    let (code, out, err) = env.run(&["case", "update", "C-1", "--opened-at", "2026-11-23T12:30:00Z"]);
    insta::assert_snapshot!(format!("exit {code}\n{out}{err}"), @r"
    exit 2
    error: --opened-at 2026-11-23 12:30 UTC would come after escalation #1 was requested (2026-11-23 12:00 UTC): a case opens before it is escalated or waits on the customer
    ");
    let moved = env.dir.path().join("moved.ndjson");
    std::fs::write(&moved, "{\"id\": \"C-1\", \"opened_at\": \"2026-11-24T11:00:00Z\"}\n").unwrap();
    let (code, out, err) = env.run(&["case", "import", "--upsert", moved.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("line 1 (case C-1): opened_at 2026-11-24 11:00 UTC would come after escalation #1"), "{err}");
    assert_eq!(env.dump(), before, "a refused move changed the ledger");
    // Earlier is always fine, and so is later up to the request.
    env.ok(&["case", "update", "C-1", "--opened-at", "2026-11-23T11:00:00Z"]);
    env.ok(&["case", "update", "C-1", "--opened-at", "2026-11-19T11:00:00Z"]);
}

/// With the review clock stopped while the case waits, the deadline that `due`
/// counts is the one `promote` judges by and `list` and `show` print.
#[test]
fn a_review_clock_paused_while_waiting_holds_promotion_back() {
    let mut env = Env::new().with_policy(|p| {
        p.replace(
            "clocks = [\"wait-window\", \"touch-point\"]",
            "clocks = [\"wait-window\", \"touch-point\", \"review\"]",
        )
    });
    env.at("2026-12-08T10:00:00Z");
    env.case("P-1", 3, "premium", "2026-12-04T08:00:00Z");
    env.ok(&Env::request_args("P-1"));
    env.at("2026-12-08T11:00:00Z");
    env.ok(&["case", "update", "P-1", "--waiting"]);
    env.at("2026-12-08T13:00:00Z");
    env.ok(&["case", "update", "P-1", "--resume"]);
    // Four business hours from 10:00, two of them paused: 16:00, not 14:00.
    env.at("2026-12-08T14:30:00Z");
    let (_, err) = env.expect(1, &["promote", "P-1", "--why", "no answer", "--yes"]);
    assert!(err.contains("2026-12-08 16:00"), "{err}");
    let listed = env.json(&["list"]);
    assert_eq!(listed[0]["review_due_at"], "2026-12-08T16:00:00Z", "{listed}");
    let shown = env.json(&["show", "P-1"]);
    assert_eq!(shown["escalations"][0]["review_due_at"], "2026-12-08T16:00:00Z", "{shown}");
    let due = env.json(&["due", "--within", "1d"]);
    assert_eq!(due[0]["due_at"], "2026-12-08T16:00:00Z", "{due}");
    env.at("2026-12-08T16:00:00Z");
    env.ok(&["promote", "P-1", "--why", "no answer", "--yes"]);
    let replayed = env.ok(&["policy", "replay", env.policy.as_ref().unwrap().to_str().unwrap()]);
    assert!(replayed.contains("Promotions: 1 replayed, none would be refused."), "{replayed}");
}

#[test]
fn acting_on_an_escalation_a_colleague_just_ended_names_who_ended_it() {
    let env = requested();
    let (code, _, err) = as_actor(&env, "alice", &["withdraw", "C-1", "--why", "Customer found the cause"]);
    assert_eq!(code, 0, "{err}");
    let before = env.dump();
    let (code, _, err) = as_actor(&env, "rita", &["decide", "C-1", "approve"]);
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "error: escalation #1 of case C-1 was withdrawn by alice at 2026-11-23 12:00 UTC: nothing is open (`escalate request C-1` asks anew)\n"
        )
    );
    assert_eq!(env.dump(), before);
}

#[test]
fn an_approved_escalation_is_named_with_who_approved_it_and_when() {
    let mut env = requested();
    env.at("2026-11-23T14:00:00Z");
    let (code, _, err) = as_actor(&env, "erin", &["decide", "C-1", "approve"]);
    assert_eq!(code, 0, "{err}");
    env.at("2026-11-23T15:00:00Z");
    let (_, err) = env.expect(1, &Env::request_args("C-1"));
    assert!(
        err.contains(
            "escalation #1 was approved at level 1 by erin at 2026-11-23 14:00 UTC: use `escalate promote C-1`"
        ),
        "{err}"
    );
}

#[test]
fn an_opening_moved_earlier_past_the_wait_is_said() {
    let env = Env::new();
    env.case("C-1", 2, "premium", common::DEFAULT_NOW);
    let (code, _, err) = env.run(&["case", "update", "C-1", "--opened-at", "2026-11-23 06:00"]);
    assert_eq!(
        (code, err.as_str()),
        (
            0,
            "warning: case C-1 opened at 2026-11-23 06:00 UTC instead of 2026-11-23 12:00 UTC may be escalated now: its wait window held it back until 2026-11-23 16:00 UTC\n"
        )
    );
    // Earlier again changes nothing that mattered: nothing to say.
    let (_, _, err) = env.run(&["case", "update", "C-1", "--opened-at", "2026-11-23 05:00"]);
    assert_eq!(err, "");
}

/// A cron job's `due --overdue --notify` under a policy that routes no channel says
/// that nobody was told, rather than exit as if it had paged someone.
#[test]
fn notify_with_no_channel_says_nobody_was_told() {
    let mut env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    env.at("2026-11-23T17:30:00Z");
    let (out, err) = env.expect(1, &["due", "--overdue", "--notify"]);
    assert!(out.contains("C-1"), "{out}");
    assert!(err.starts_with("warning: --notify told nobody: the policy defines no channels"), "{err}");
    assert_eq!(env.ok(&["notify", "list"]).lines().next(), Some("The outbox is empty: no notification matches."));
}

/// Where the policy names its people, an owner or on-call name it does not know is
/// warned of (a typo would leave the escalation to nobody real); a known one is
/// written as the policy spells it, without a word.
#[test]
fn an_owner_the_policy_does_not_name_is_warned_of() {
    let env = Env::new().with_policy(|p| format!("{p}\n[people.Ana]\nhandle = \"@ana\"\n\n[people.ben]\n"));
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    let (_, err) = env.expect(0, &["assign", "C-1", "--to", "zed"]);
    assert_eq!(err, "warning: --to zed is not one of the people the policy names (Ana, ben): check the spelling\n");
    let (code, _, err) = env.run_as("zed", &["assign", "C-1", "--to", "ana"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(env.json(&["list"])[0]["owner"], "Ana");
    let (_, err) = env.expect(0, &["oncall", "set", "support-manager", "zed"]);
    assert!(err.starts_with("warning: the name zed is not one of the people the policy names"), "{err}");
}
