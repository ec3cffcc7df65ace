//! The guided request, driven through a real pseudo-terminal as a person would.
#![cfg(unix)]

mod common;
use std::time::Duration;

use common::Env;
use expectrl::session::OsSession;
use expectrl::{Eof, Expect, Session};

fn session(env: &Env, args: &[&str]) -> OsSession {
    let mut cmd = env.std_cmd();
    cmd.args(args).env("TERM", "xterm-256color");
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s
}

const ENTER: &str = "\r";

/// Answer seed 004's five "when not to escalate" checks with no.
fn screen_no(s: &mut OsSession) {
    for q in [
        "documented fix",
        "configuration or setup error",
        "coaching",
        "limitation documented",
        "resolved at the support tier",
    ] {
        s.expect(q).unwrap();
        // A whole word and Enter answers this question alone.
        s.send("no").unwrap();
        s.send(ENTER).unwrap();
    }
}

#[test]
fn a_guided_request_asks_for_everything_the_reviewer_needs() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    let mut s = session(&env, &["request", "C-1"]);
    s.expect("ELIGIBLE to escalate now").unwrap();
    screen_no(&mut s);
    s.expect("Why does this case need escalating?").unwrap();
    // The reasons are listed and numbered; a key typed whole names one ('k' moves nothing).
    s.expect("2) lack-of-progress").unwrap();
    s.send("lack-of-progress").unwrap();
    s.send(ENTER).unwrap();
    s.expect("Where should it go?").unwrap();
    s.send("x").unwrap();
    s.send(ENTER).unwrap();
    s.expect("not one of the choices").unwrap();
    s.send("\x152").unwrap(); // clear the line, then the second: engineering
    s.send(ENTER).unwrap();
    s.expect("Describe why this escalation should be approved").unwrap();
    s.send("Checkout fails for every EU customer since Friday's deploy").unwrap();
    s.send(ENTER).unwrap();
    for (key, answer) in [
        ("[summary]", "Checkout 500s in EU"),
        ("[reproduction]", "Add to cart, pay with SEPA"),
        ("[expected]", "Order confirmed"),
        ("[observed]", "HTTP 500"),
        ("[environment]", "eu-west, v4.2"),
        ("[impact]", "40 customers, $30k/day"),
    ] {
        s.expect(key).unwrap();
        if key == "[summary]" {
            // A required field left empty is said to be required, and asked again.
            s.send(ENTER).unwrap();
            s.expect("this is required: type an answer").unwrap();
        }
        s.send(answer).unwrap();
        s.send(ENTER).unwrap();
    }
    // The impact dimensions of seed 004: optional, an empty line skips one.
    for (dimension, answer) in [
        ("Breadth", "40 customers, growing"),
        ("Depth", "Fully blocked"),
        ("Duration", ""),
        ("Revenue", "$30k a day"),
        ("Reputation", ""),
        ("Contractual", "SLA breached for 3 accounts"),
    ] {
        s.expect(dimension).unwrap();
        s.send(answer).unwrap();
        s.send(ENTER).unwrap();
    }
    s.expect("Request a level 1 escalation of case C-1 to Engineering (reason: Lack of progress)?").unwrap();
    s.send("y").unwrap();
    s.send(ENTER).unwrap();
    s.expect("Requested escalation #1 of case C-1").unwrap();
    s.expect(Eof).unwrap();

    let v = env.json(&["show", "C-1"]);
    let e = &v["escalations"][0];
    assert_eq!(e["reason"], "lack-of-progress");
    assert_eq!(e["destination"], "engineering");
    assert_eq!(e["description"], "Checkout fails for every EU customer since Friday's deploy");
    assert_eq!(e["fields"]["impact"], "40 customers, $30k/day");
    assert_eq!(e["requested_by"], "alice");
    assert_eq!(e["package"]["items"]["depth"], "Fully blocked");
    assert_eq!(e["package"]["items"]["contractual"], "SLA breached for 3 accounts");
    assert!(e["package"]["items"].get("duration").is_none());
    assert_eq!(e["package"]["screening"]["documented-fix"], false);
    assert_eq!(e["package"]["screening"].as_object().unwrap().len(), 5);
}

#[test]
fn a_documented_fix_stops_the_guided_request() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    let before = env.dump();
    let mut s = session(&env, &["request", "C-1"]);
    s.expect("documented fix").unwrap();
    s.send("yes").unwrap();
    s.send(ENTER).unwrap();
    for q in ["configuration or setup error", "coaching", "limitation documented", "resolved at the support tier"] {
        s.expect(q).unwrap();
        s.send("n").unwrap();
        s.send(ENTER).unwrap();
    }
    s.expect("This should not be escalated: a documented fix or workaround addresses it").unwrap();
    s.expect("Escalate anyway?").unwrap();
    s.send("maybe").unwrap();
    s.send(ENTER).unwrap();
    s.expect("answer yes or no").unwrap();
    s.send("\x15n").unwrap(); // clear the line, then no
    s.send(ENTER).unwrap();
    s.expect("request stopped").unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(env.dump(), before);
}

#[test]
fn the_guided_request_stops_at_the_check_when_not_eligible() {
    let env = Env::new();
    env.case("C-1", 2, "premium", common::DEFAULT_NOW);
    let before = env.dump();
    let mut s = session(&env, &["request", "C-1"]);
    s.expect("NOT ELIGIBLE yet").unwrap();
    // No deadline the customer faces: the wait stands.
    s.expect("Does the customer face a hard deadline before it ends").unwrap();
    s.send("no").unwrap();
    s.send(ENTER).unwrap();
    s.expect("may not be escalated now").unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(env.dump(), before);
}

#[test]
fn a_guided_request_inside_the_wait_offers_the_deadline_override() {
    let env = Env::new();
    env.case("C-1", 2, "premium", common::DEFAULT_NOW); // the wait ends at 16:00
    let fields = ["--field", "summary=x", "--field", "troubleshooting=y", "--field", "customer-context=z"];
    let mut s = session(&env, &[&["request", "C-1", "--to", "l2"][..], &fields].concat());
    s.expect("NOT ELIGIBLE yet").unwrap();
    s.expect("Does the customer face a hard deadline before it ends").unwrap();
    s.send("yes").unwrap();
    s.send(ENTER).unwrap();
    s.expect("When is the deadline?").unwrap();
    s.send("2026-11-22 09:00").unwrap();
    s.send(ENTER).unwrap();
    s.expect("is not in the future").unwrap();
    s.expect("When is the deadline?").unwrap();
    s.send("2026-11-23 14:00").unwrap();
    s.send(ENTER).unwrap();
    screen_no(&mut s);
    s.expect("Describe why this escalation should be approved").unwrap();
    s.send("The certificate expires at 14:00").unwrap();
    s.send(ENTER).unwrap();
    for dimension in ["Breadth", "Depth", "Duration", "Revenue", "Reputation", "Contractual"] {
        s.expect(dimension).unwrap();
        s.send(ENTER).unwrap();
    }
    s.expect("Why does the deadline justify skipping the wait window?").unwrap();
    s.send("Checkout stops when it expires").unwrap();
    s.send(ENTER).unwrap();
    s.expect("Request a level 1 escalation of case C-1").unwrap();
    s.send("y").unwrap();
    s.send(ENTER).unwrap();
    s.expect("Requested escalation #1 of case C-1").unwrap();
    s.expect(Eof).unwrap();
    let v = env.json(&["show", "C-1"]);
    let requested = v["events"].as_array().unwrap().iter().find(|e| e["kind"] == "requested").unwrap().clone();
    assert_eq!(requested["data"]["reason"], "time-constraint");
    assert_eq!(requested["data"]["skipped_wait"]["deadline"], "2026-11-23T14:00:00Z");
    assert_eq!(requested["data"]["skipped_wait"]["justification"], "Checkout stops when it expires");
}

#[test]
fn flags_given_on_a_terminal_are_not_asked_again() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    let mut s = session(
        &env,
        &[
            "request",
            "C-1",
            "--reason",
            "unresponsive",
            "--to",
            "l2",
            "--description",
            "No reply",
            "--field",
            "summary=x",
            "--field",
            "troubleshooting=y",
            "--screen",
            "documented-fix=no",
            "--screen",
            "configuration-error=no",
            "--screen",
            "coaching=no",
            "--screen",
            "documented-limitation=no",
            "--screen",
            "resolved-before=no",
            "--breadth",
            "one account",
            "--depth",
            "blocked",
            "--duration",
            "2 days",
            "--revenue",
            "none",
            "--reputation",
            "low",
            "--contractual",
            "no",
        ],
    );
    s.expect("[customer-context]").unwrap();
    s.send("Renewal next week").unwrap();
    s.send(ENTER).unwrap();
    s.expect("Request a level 1 escalation").unwrap();
    s.send("n").unwrap();
    s.send(ENTER).unwrap();
    s.expect("request not submitted").unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(env.json(&["list"]), serde_json::json!([]));
}
