//! Every file in examples/ is run by a test: the pipeline scripts here, the
//! walkthrough in readme.rs, the seed policies in example_policies.rs.

mod common;
use common::Env;

/// Each example, and the test that runs it.
const COVERED: &[(&str, &str)] = &[
    ("walkthrough.sh", "readme.rs: the_walkthrough_example_runs"),
    ("import-and-triage.sh", "an_export_is_imported_and_triaged"),
    ("cron-overdue.sh", "the_cron_job_posts_what_is_overdue"),
    ("escalate-customer.sh", "every_eligible_case_of_a_customer_is_escalated"),
    ("data/tickets.csv", "an_export_is_imported_and_triaged"),
    ("data/policy-next.toml", "readme.rs: the README's policy diff and replay transcripts"),
    ("policies/one-level-review.toml", "example_policies.rs"),
    ("policies/four-levels.toml", "example_policies.rs"),
    ("policies/packages-and-accounts.toml", "example_policies.rs"),
];

fn files(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().unwrap().is_dir() {
            files(&entry.path(), &format!("{name}/"), out);
        } else {
            out.push(name);
        }
    }
}

#[test]
fn every_example_is_run_by_a_test() {
    let mut found = Vec::new();
    files(&common::repo().join("examples"), "", &mut found);
    found.sort();
    let mut covered: Vec<String> = COVERED.iter().map(|(f, _)| f.to_string()).collect();
    covered.sort();
    assert_eq!(found, covered, "a file in examples/ has no test (or a test names a file that is gone)");
}

/// Run an example script with the test's environment; (exit code, stdout, stderr).
fn script(env: &Env, name: &str, args: &[&str]) -> (i32, String, String) {
    let out = env
        .program("bash")
        .arg(common::repo().join("examples").join(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {name}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn an_export_is_imported_and_triaged() {
    let env = Env::new();
    let (code, out, err) = script(&env, "import-and-triage.sh", &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Imported 6 of 6 records"), "{out}");
    // At 12:00: the sev 2 premium case opened 06:00 (4h window), the sev 3 cases past their
    // windows and Globex's sev 2 standard (8h from 01:00) may go; the sev 4 opened at 09:00 and
    // the outage may not.
    let listed = out.split("May be escalated now:").nth(1).unwrap();
    for id in ["ACME-2001", "ACME-2002", "GLOBEX-77", "UMBRELLA-9"] {
        assert!(listed.contains(id), "{id} should be listed:\n{listed}");
    }
    for id in ["ACME-2003", "INITECH-5"] {
        assert!(!listed.contains(id), "{id} should not be listed:\n{listed}");
    }
    // Running it again updates nothing and imports nothing new.
    let (code, out, _) = script(&env, "import-and-triage.sh", &[]);
    assert_eq!(code, 0);
    assert!(out.contains("0 new, 0 updated, 6 unchanged"), "{out}");
    // A bad file imports nothing and exits 2.
    let bad = env.dir.path().join("bad.csv");
    std::fs::write(&bad, "id,customer,severity,tier\nX-1,Acme,9,premium\n").unwrap();
    let before = env.dump();
    let (code, _, err) = script(&env, "import-and-triage.sh", &[bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 2 (case X-1): unknown severity"), "{err}");
    assert_eq!(env.dump(), before);
}

#[test]
fn the_cron_job_posts_what_is_overdue() {
    let rx = common::receiver::Receiver::start();
    let mut env = Env::new().with_policy(|text| {
        format!(
            "{}\n[channels.em]\nkind = \"slack\"\nurl = {{ env = \"ESCALATE_SLACK_URL\" }}\n",
            text.replace("[levels.1]\n", "[levels.1]\nchannels = [\"em\"]\n")
        )
    });
    let run = |env: &Env| {
        let out = env
            .program("bash")
            .env("ESCALATE_SLACK_URL", rx.url("/slack"))
            .arg(common::repo().join("examples/cron-overdue.sh"))
            .output()
            .expect("run cron-overdue.sh");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    assert_eq!(run(&env), (0, "Nothing is overdue.\n".to_string()));
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.cmd().env("ESCALATE_SLACK_URL", rx.url("/slack")).args(Env::request_args("C-1")).assert().success();
    let requested = rx.requests().len();
    env.at("2026-11-23T16:30:00Z"); // the review was due at 16:00
    for _ in 0..3 {
        let (code, out) = run(&env);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("C-1"), "{out}");
    }
    let told: Vec<_> = rx.requests().into_iter().skip(requested).collect();
    assert_eq!(told.len(), 1, "one message per overdue deadline, however often cron runs");
    assert!(told[0].json()["text"].as_str().unwrap().starts_with("Overdue at level 1"));
    // escalate itself failing is not "overdue": the script passes its exit code on.
    let broken = env.dir.path().join("broken.toml");
    std::fs::write(&broken, "[calendar\n").unwrap();
    let out = env
        .program("bash")
        .env("ESCALATE_POLICY", &broken)
        .arg(common::repo().join("examples/cron-overdue.sh"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_eligible_case_of_a_customer_is_escalated() {
    let env = Env::new();
    let (code, _, err) = script(&env, "escalate-customer.sh", &["Acme Corp"]);
    assert_eq!(code, 2);
    assert!(err.contains("usage:"), "{err}");
    script(&env, "import-and-triage.sh", &[]);
    let args = [
        "Acme Corp",
        "lack-of-progress",
        "l2",
        "No progress for two days",
        "--field",
        "summary=Checkout and invoices failing",
        "--field",
        "troubleshooting=Restarted the workers",
        "--field",
        "customer-context=Black Friday sale",
    ];
    let (code, out, err) = script(&env, "escalate-customer.sh", &args);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Escalated 2 case(s) of Acme Corp."), "{out}");
    let open = env.json(&["list"]);
    let mut cases: Vec<&str> = open.as_array().unwrap().iter().map(|e| e["case"].as_str().unwrap()).collect();
    cases.sort();
    assert_eq!(cases, ["ACME-2001", "ACME-2002"]);
    // Run again: both are escalated already, nothing is eligible.
    let (code, out, _) = script(&env, "escalate-customer.sh", &args);
    assert_eq!(code, 0);
    assert!(out.contains("No case of Acme Corp may be escalated now."), "{out}");
}
