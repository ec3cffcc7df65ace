//! The ledger and the policy as files people depend on: private permissions,
//! read commands that never write, version refusal, exit codes for every kind.

mod common;
use common::{Env, repo};

#[test]
fn the_ledger_is_created_private_on_first_write_only() {
    let env = Env::new();
    env.ok(&["case", "list"]);
    env.ok(&["list"]);
    assert!(!env.ledger().exists(), "a read command created the ledger");
    env.case("C-1", 2, "premium", "2026-11-20T00:00:00Z");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.ledger()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let v = env.json(&["ledger", "info"]);
    assert_eq!(v["schema_version"], v["supported_version"]);
    assert_eq!(v["cases"], 1);
}

#[test]
fn the_default_ledger_lives_in_the_data_dir() {
    let env = Env::new();
    env.cmd()
        .env_remove("ESCALATE_LEDGER")
        .args(["case", "add", "D-1", "--customer", "x", "--severity", "3", "--tier", "standard"])
        .assert()
        .success();
    assert!(env.dir.path().join("data/escalate/ledger.db").exists());
}

#[test]
fn read_commands_leave_the_ledger_bytes_alone() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T00:00:00Z");
    env.ok(&Env::request_args("C-1"));
    let bytes = std::fs::read(env.ledger()).unwrap();
    for args in [
        &["check", "C-1"][..],
        &["show", "C-1"],
        &["list"],
        &["case", "list"],
        &["case", "show", "C-1"],
        &["ledger", "info"],
    ] {
        env.run(args);
    }
    assert_eq!(std::fs::read(env.ledger()).unwrap(), bytes);
}

#[test]
fn a_ledger_from_a_newer_version_is_refused_untouched() {
    let env = Env::new();
    env.unverified();
    env.case("C-1", 2, "premium", "2026-11-20T00:00:00Z");
    {
        let conn = rusqlite::Connection::open(env.ledger()).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let bytes = std::fs::read(env.ledger()).unwrap();
    for args in [
        &["check", "C-1"][..],
        &["case", "add", "C-2", "--customer", "x", "--severity", "2", "--tier", "premium"],
        &["ledger", "migrate"],
    ] {
        let (_, err) = env.expect(4, args);
        assert!(err.contains("schema version 99, newer than this escalate understands"), "{err}");
    }
    assert_eq!(std::fs::read(env.ledger()).unwrap(), bytes);
}

#[test]
fn a_foreign_database_is_not_touched() {
    let env = Env::new();
    env.unverified();
    {
        let conn = rusqlite::Connection::open(env.ledger()).unwrap();
        conn.execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');").unwrap();
    }
    let bytes = std::fs::read(env.ledger()).unwrap();
    let (_, err) = env.expect(4, &["case", "add", "C-1", "--customer", "x", "--severity", "2", "--tier", "premium"]);
    assert!(err.contains("is not an escalate ledger"), "{err}");
    assert_eq!(std::fs::read(env.ledger()).unwrap(), bytes);
}

#[test]
fn bad_input_exits_2_and_changes_nothing() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T00:00:00Z");
    let before = env.dump();
    let cases: &[(&[&str], &str)] = &[
        (&["case", "add", "C-1", "--customer", "x", "--severity", "2", "--tier", "premium"], "case C-1 already exists"),
        (
            &["case", "add", "C-2", "--customer", "x", "--severity", "9", "--tier", "premium"],
            "unknown severity \"9\" for --severity (accepted: 1, 2, 3, 4)",
        ),
        (
            &["case", "add", "C-2", "--customer", "x", "--severity", "2", "--tier", "gold"],
            "unknown tier \"gold\" for --tier (accepted: premium, standard)",
        ),
        (
            &[
                "case",
                "add",
                "C-2",
                "--customer",
                "x",
                "--severity",
                "2",
                "--tier",
                "premium",
                "--opened-at",
                "last tuesday",
            ],
            "invalid --opened-at \"last tuesday\": expected a time like 2026-11-23T09:30:00Z",
        ),
        (
            &[
                "case",
                "add",
                "C-2",
                "--customer",
                "x",
                "--severity",
                "2",
                "--tier",
                "premium",
                "--opened-at",
                "2027-01-01T00:00:00Z",
            ],
            "is in the future",
        ),
        (
            &["case", "add", "C-2", "--customer", "x", "--severity", "2", "--tier", "premium", "--priority", "urgent"],
            "unknown priority \"urgent\"",
        ),
        (&["case", "add", "C-2", "--customer", " ", "--severity", "2", "--tier", "premium"], "--customer is empty"),
        (&["case", "update", "C-1"], "nothing to update"),
        (&["case", "update", "NOPE", "--title", "x"], "no case NOPE"),
        (&["case", "close", "NOPE"], "no case NOPE"),
        (&["check", "C-1", "--now", "tomorrow"], "invalid --now"),
        (&["show", "NOPE"], "no case NOPE"),
        (&["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, want) in cases {
        let (_, err) = env.expect(2, args);
        assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
    }
    assert_eq!(env.dump(), before);
}

#[test]
fn a_read_of_a_ledger_that_is_not_there_says_so() {
    let env = Env::new();
    let (out, err) = env.expect(0, &["due", "--overdue"]);
    assert_eq!(out, "Nothing is overdue.\n");
    let want = format!("warning: there is no ledger at {} yet: nothing is recorded there", env.ledger().display());
    assert!(err.starts_with(&want), "{err}");
    assert!(!env.ledger().exists(), "a read creates nothing");
}

#[test]
fn json_errors_are_json_on_stderr() {
    let env = Env::new();
    let (_, err) = env.expect(2, &["show", "NOPE", "--json"]);
    let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(v["error"], "bad-input");
    assert_eq!(v["code"], 2);
    assert_eq!(v["message"], "no case NOPE");
}

#[test]
fn a_broken_policy_names_its_line_and_exits_3() {
    let env = Env::new().with_policy(|p| p.replace("label = \"High\"", "label = \"High\"\nwiat = 3"));
    let path = env.policy.as_ref().unwrap();
    let line = std::fs::read_to_string(path).unwrap().lines().position(|l| l == "wiat = 3").unwrap() + 1;
    let (_, err) = env.expect(3, &["case", "list"]);
    assert!(err.contains(&format!("{}:{line}:1: unknown field `wiat`", path.display())), "{err}");
    assert!(err.contains(&format!("{line} | wiat = 3")), "{err}");
    let (_, err) = env.expect(3, &["policy", "check"]);
    assert!(err.contains("unknown field `wiat`"), "{err}");
    assert!(!env.ledger().exists());
}

#[test]
fn policy_cross_checks_name_the_entry() {
    let env = Env::new();
    let path = env.dir.path().join("p.toml");
    let text = std::fs::read_to_string(common::repo().join("policy.toml")).unwrap();
    let bad = text
        .replace("wait = { premium = \"8h clock\", standard = \"16h clock\" }", "wait = { premium = \"8h clock\" }");
    std::fs::write(&path, &bad).unwrap();
    let (_, err) = env.expect(3, &["policy", "check", path.to_str().unwrap()]);
    let line = bad.lines().position(|l| l == "[severities.3]").unwrap() + 1;
    assert!(err.contains(&format!("p.toml:{line}:1: severity 3 has no wait window for tier \"standard\"")), "{err}");
    let (_, err) = env.expect(3, &["policy", "check", "missing.toml"]);
    assert!(err.contains("cannot read policy missing.toml"), "{err}");
    let out = env.ok(&["policy", "check", common::repo().join("policy.toml").to_str().unwrap()]);
    assert!(out.starts_with("ok: "), "{out}");
    assert!(out.contains("2 tiers, 4 severities, 7 reasons, 4 levels, 5 destinations"), "{out}");
    // Deciders that resolve to nobody would lock every escalation out of a decision.
    let locked = text.replace("deciders = []", "deciders = [\"role:escalation-managers\"]");
    std::fs::write(&path, &locked).unwrap();
    let (_, err) = env.expect(3, &["policy", "check", path.to_str().unwrap()]);
    assert!(err.contains("no one could decide"), "{err}");
}

#[test]
fn the_policy_lookup_order_is_flag_cwd_config_built_in() {
    let env = Env::new();
    let v = env.json(&["policy", "show"]);
    assert_eq!(v["origin"], "built-in");
    let cfg = env.dir.path().join("config/escalate");
    std::fs::create_dir_all(&cfg).unwrap();
    let text = std::fs::read_to_string(common::repo().join("policy.toml")).unwrap();
    std::fs::write(cfg.join("policy.toml"), text.replace("name = \"default\"", "name = \"from-config\"")).unwrap();
    assert_eq!(env.json(&["policy", "show"])["name"], "from-config");
    std::fs::write(env.dir.path().join("policy.toml"), text.replace("name = \"default\"", "name = \"from-cwd\""))
        .unwrap();
    assert_eq!(env.json(&["policy", "show"])["name"], "from-cwd");
    let named = env.dir.path().join("named.toml");
    std::fs::write(&named, text.replace("name = \"default\"", "name = \"named\"")).unwrap();
    assert_eq!(env.json(&["policy", "show", "--policy", named.to_str().unwrap()])["name"], "named");
}

#[test]
fn policy_show_prints_the_seed_tables() {
    let env = Env::new();
    let out = env.ok(&["policy", "show"]);
    insta::assert_snapshot!(
        "policy_show",
        out.replace(&env.json(&["policy", "show"])["digest"].as_str().unwrap().to_string(), "<digest>")
    );
}

#[test]
fn output_that_cannot_be_written_exits_5() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let env = Env::new();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = env.std_cmd().args(["policy", "show"]).stdout(full).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let env = Env::new();
    let out = env.run_into_closed_pipe(&["policy", "show"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn stored_control_characters_are_escaped_for_people_and_exact_in_json() {
    let env = Env::new();
    env.ok(&[
        "case",
        "add",
        "C-1",
        "--customer",
        "Acme",
        "--severity",
        "2",
        "--tier",
        "premium",
        "--opened-at",
        "2026-11-20T00:00:00Z",
    ]);
    env.ok(&[
        "request",
        "C-1",
        "--reason",
        "lack-of-progress",
        "--to",
        "l2",
        "--description",
        "line one\nline two \u{1b}[31mred \u{202e}gpj.exe",
        "--field",
        "summary=s",
        "--field",
        "troubleshooting=t",
        "--field",
        "customer-context=c",
    ]);
    let out = env.ok(&["show", "C-1"]);
    assert!(!out.contains('\u{1b}'), "raw escape in human output: {out:?}");
    assert!(out.contains("\\u{1b}[31mred"), "{out}");
    assert!(!out.contains('\u{202e}') && out.contains("\\u{202e}gpj.exe"), "bidi override shown raw: {out}");
    let v = env.json(&["show", "C-1"]);
    assert_eq!(v["escalations"][0]["description"], "line one\nline two \u{1b}[31mred \u{202e}gpj.exe");
    let (_, err) = env.expect(2, &["--actor", "bob\u{7}", "case", "close", "C-1"]);
    assert!(err.contains("--actor (or ESCALATE_ACTOR)") && err.contains("control characters"), "{err}");
}

#[test]
fn a_directory_as_ledger_is_named_as_such() {
    let env = Env::new();
    let dir = env.ledger().with_extension("d");
    std::fs::create_dir(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let (_, err) = env
        .expect(4, &["--ledger", d, "case", "add", "C-1", "--customer", "x", "--severity", "2", "--tier", "premium"]);
    assert!(err.contains("it is a directory"), "{err}");
    let (_, err) = env.expect(4, &["--ledger", d, "list"]);
    assert!(err.contains("it is a directory"), "{err}");
}

#[test]
fn an_older_ledger_is_migrated_by_a_write_and_keeps_its_rows() {
    use escalate::ledger::sqlite::migrations::{APPLICATION_ID, MIGRATIONS};
    let env = Env::new();
    // Its case is written around escalate, without the event that adds it.
    env.unverified();
    {
        let conn = rusqlite::Connection::open(env.ledger()).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO cases (id, customer, severity, tier, title, opened_at, created_at, updated_at)
             VALUES ('OLD-1', 'Initech', 3, 'standard', 'From v1', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')",
            [],
        )
        .unwrap();
    }
    let bytes = std::fs::read(env.ledger()).unwrap();
    let (_, err) = env.expect(4, &["case", "show", "OLD-1"]);
    assert!(err.contains("escalate ledger migrate"), "{err}");
    assert_eq!(std::fs::read(env.ledger()).unwrap(), bytes, "a read command migrated the ledger");
    env.ok(&["ledger", "migrate"]);
    let v = env.json(&["case", "show", "OLD-1"]);
    assert_eq!(v["title"], "From v1");
    assert_eq!(env.json(&["ledger", "info"])["schema_version"], MIGRATIONS.len());
}

#[test]
fn empty_environment_variables_mean_unset() {
    let env = Env::new();
    let out = env
        .cmd()
        .env("ESCALATE_NOW", "")
        .env("ESCALATE_ACTOR", "")
        .args(["case", "add", "E-1", "--customer", "x", "--severity", "3", "--tier", "standard", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = env.json(&["show", "E-1"]);
    assert_ne!(v["events"][0]["actor"], "", "the login name stands in for an empty ESCALATE_ACTOR");
}

#[test]
fn nothing_a_user_reads_names_the_source_documents() {
    let env = Env::new();
    let dir = env.dir.path().join("man");
    env.ok(&["man", "--dir", dir.to_str().unwrap()]);
    let mut texts = vec![env.ok(&["--help"]), env.ok(&["request", "--help"]), env.ok(&["package", "--help"])];
    texts.push(env.ok(&["policy", "show"]));
    texts.push(std::fs::read_to_string(common::repo().join("policy.toml")).unwrap());
    for page in std::fs::read_dir(&dir).unwrap() {
        texts.push(std::fs::read_to_string(page.unwrap().path()).unwrap());
    }
    for t in texts {
        let lower = t.to_lowercase();
        assert!(!lower.contains("seed 0") && !lower.contains("seeds "), "{t}");
    }
}

#[test]
fn a_command_under_another_policy_than_the_ledgers_last_event_warns() {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    let team =
        std::fs::read_to_string(repo().join("policy.toml")).unwrap().replace("name = \"default\"", "name = \"team\"");
    std::fs::write(env.dir.path().join("team.toml"), team).unwrap();
    let under_team = ["--policy", "team.toml", "case", "update", "C-1", "--priority", "high"];
    let (code, _, err) = env.run(&under_team);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.starts_with("warning: this command runs under the policy team.toml (sha256:")
            && err.contains("but the ledger's last event was recorded under built-in (sha256:")
            && err.contains("by alice at 2026-11-23 12:00 UTC; give --policy FILE (or ESCALATE_POLICY)"),
        "{err}"
    );
    // Under the same policy as the last event: nothing to say.
    let (_, _, err) = env.run(&["--policy", "team.toml", "case", "update", "C-1", "--priority", "low"]);
    assert_eq!(err, "");
    // Back on the built-in one (no policy file here): the team's file is named.
    let (_, _, err) = env.run(&["case", "update", "C-1", "--priority", "normal"]);
    assert!(err.contains("but the ledger's last event was recorded under team.toml (sha256:"), "{err}");
}
