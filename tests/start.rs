//! Starting higher and the same-day override, on both backends: a reason that
//! may skip the wait does so for a deadline before the wait ends, with a
//! justification, recorded and reported; a request may start at a level the
//! policy allows; refusals leave the ledger as it was.

#[macro_use]
mod common;

use common::{Backend, Env};

on_both!(a_time_constraint_skips_the_wait_with_a_deadline, a_request_starts_where_the_policy_allows);

const FIELDS: [&str; 6] = [
    "--field",
    "summary=Certificate expiring",
    "--field",
    "troubleshooting=Renewal failed",
    "--field",
    "customer-context=Shop",
];

fn request<'a>(id: &'a str, reason: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["request", id, "--reason", reason, "--to", "l2", "--description", "The SSL certificate expires"];
    v.extend(FIELDS);
    v.extend_from_slice(extra);
    v
}

fn a_time_constraint_skips_the_wait_with_a_deadline(b: Backend) {
    let mut env = Env::on(b);
    env.at("2026-11-23T09:00:00Z");
    env.case("C-1", 2, "premium", "2026-11-23T08:00:00Z"); // the wait ends at 12:00
    let (_, check, _) = env.run(&["check", "C-1", "--reason", "time-constraint", "--deadline", "2026-11-23 11:00"]);
    insta::allow_duplicates! { insta::assert_snapshot!("check_skips_the_wait", check) }
    let before = env.dump();
    // Without the deadline the wait stands; without a justification nothing is written.
    let (_, err) = env.expect(1, &request("C-1", "time-constraint", &[]));
    assert!(err.contains("may skip it: give --deadline TIME (before then) and --justification TEXT"), "{err}");
    let (_, err) = env.expect(2, &request("C-1", "time-constraint", &["--deadline", "2026-11-23 11:00"]));
    assert!(err.contains("needs --justification TEXT"), "{err}");
    // A deadline after the wait ends does not skip it, and the refusal says why.
    let late = ["--deadline", "2026-11-23 13:00", "--justification", "x"];
    let (_, err) = env.expect(1, &request("C-1", "time-constraint", &late));
    assert!(err.contains("wait-window: the wait ends 2026-11-23 12:00 UTC (in 3h), before the deadline of 2026-11-23 13:00 UTC: the reason time-constraint skips the wait only for a deadline that falls before it ends; request then"), "{err}");
    // A reason that may not skip the wait keeps its deadline as the document's, and waits.
    env.expect(1, &request("C-1", "lack-of-progress", &["--deadline", "2026-11-23 11:00", "--justification", "x"]));
    env.expect(2, &request("C-1", "time-constraint", &["--deadline", "2026-11-22 11:00", "--justification", "x"]));
    assert_eq!(env.dump(), before, "refusals leave the ledger as it was");
    let (code, out, err) = env.run(&request(
        "C-1",
        "time-constraint",
        &["--deadline", "2026-11-23 11:00", "--justification", "The certificate expires at 11:00: checkout stops"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Requested escalation #1 of case C-1: level 1"), "{out}");
    // Its review falls after the deadline: said.
    assert_eq!(
        err,
        "warning: the review is due 2026-11-23 13:00 UTC, after the customer's deadline (2026-11-23 11:00 UTC): tell the reviewer now rather than wait for it\n"
    );
    let shown = env.json(&["show", "C-1"]);
    let requested = shown["events"].as_array().unwrap().iter().find(|e| e["kind"] == "requested").unwrap();
    assert_eq!(
        requested["data"]["skipped_wait"],
        serde_json::json!({"deadline": "2026-11-23T11:00:00Z", "wait_ended_at": "2026-11-23T12:00:00Z",
                           "justification": "The certificate expires at 11:00: checkout stops"})
    );
    let report = env.ok(&["report"]);
    let from = report.find("1 request skipped").expect("the override is reported");
    insta::allow_duplicates! { insta::assert_snapshot!("report_lists_the_override", &report[from..]) }
    assert_eq!(env.json(&["report"])["skipped_wait"][0]["minutes_early"], 180);
}

fn a_request_starts_where_the_policy_allows(b: Backend) {
    let env = Env::on(b)
        .with_policy(|p| p.replace("[reasons.customer-deadline]\n", "[reasons.customer-deadline]\nstart_level = 2\n"));
    env.case("C-1", 3, "premium", "2026-11-20T08:00:00Z");
    let before = env.dump();
    let (_, err) = env.expect(1, &request("C-1", "lack-of-progress", &["--level", "3"]));
    assert_eq!(
        err.trim_end(),
        "error: a request may not start at level 3: the policy lets requests start at 1, 2 (a level marked may_start = true)"
    );
    let (_, err) = env.expect(2, &request("C-1", "lack-of-progress", &["--level", "9"]));
    assert_eq!(err.trim_end(), "error: --level 9: the policy has levels 1 to 4 (a request may start at 1, 2)");
    assert_eq!(env.dump(), before);
    let check = env.ok(&["check", "C-1", "--reason", "customer-deadline"]);
    assert!(check.ends_with("A request for customer-deadline starts at level 2 (Support management).\n"), "{check}");
    let out = env.ok(&request("C-1", "customer-deadline", &[]));
    assert!(out.starts_with("Requested escalation #1 of case C-1: level 2 (Support management)"), "{out}");
    assert_eq!(env.json(&["list"])[0]["level"], 2);
}
