//! Pipelines: case import and export, list formats for machines, completions
//! and the man page. Every refused import leaves the ledger as it was.

mod common;
use common::Env;

const HEADER: &str = "id,customer,severity,tier,opened_at,title,priority,tags";

fn write(env: &Env, name: &str, bytes: &[u8]) -> String {
    let path = env.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

fn stdin(env: &Env, args: &[&str], input: &[u8]) -> (i32, String, String) {
    let out = env.cmd().args(args).write_stdin(input.to_vec()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A ledger with two cases, an escalation and its events.
fn seeded() -> Env {
    let env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.case("C-2", 3, "standard", "2026-11-22T08:00:00Z");
    env.ok(&["case", "update", "C-2", "--title", "Export \"quoted\", with commas", "--tag", "eu", "--tag", "login"]);
    env.ok(&Env::request_args("C-1"));
    env
}

#[test]
fn a_csv_export_of_a_ticketing_system_imports() {
    let env = Env::new();
    let csv = format!(
        "\u{feff}{HEADER}\r\nA-1,\"Acme, Inc.\",2,premium,2026-11-20T08:00:00Z,Login fails,high,login;eu\r\nA-2,Beta,3,standard,2026-11-22 09:00,,,\r\n"
    );
    let file = write(&env, "tickets.csv", csv.as_bytes());
    let out = env.ok(&["case", "import", &file]);
    assert!(out.contains("Imported 2 of 2 records") && out.contains("2 new"), "{out}");
    let cases = env.json(&["case", "list"]);
    assert_eq!(cases[0]["customer"], "Acme, Inc.");
    assert_eq!(cases[0]["tags"], serde_json::json!(["login", "eu"]));
    assert_eq!(cases[0]["priority"], "high");
    assert_eq!(cases[1]["opened_at"], "2026-11-22T09:00:00Z");
    assert_eq!(cases[1]["priority"], "normal");
    // The timeline says where each case came from.
    let show = env.json(&["show", "A-1"]);
    assert_eq!(show["events"][0]["kind"], "case-added");
    assert_eq!(show["events"][0]["data"]["imported_from"]["line"], 2);
}

#[test]
fn every_bad_record_is_named_by_line_and_nothing_is_imported() {
    let env = seeded();
    let before = env.dump();
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"id\":\"N-1\",\"customer\":\"x\",\"severity\":2,\"tier\":\"premium\"}\r\n");
    input.extend_from_slice(b"{\"id\":\"N-2\",\"customer\":\"x\",\"severity\":2,\"tier\":\"gold\"}\n");
    input.extend_from_slice(b"{\"id\":\"N-3\",\"customer\":\"x\",\"severity\":\"high\",\"tier\":\"premium\"}\n");
    input.extend_from_slice(b"{\"id\":\"N-1\",\"customer\":\"y\",\"severity\":3,\"tier\":\"premium\"}\n");
    input.extend_from_slice(b"{\"id\":\"C-1\",\"customer\":\"x\",\"severity\":2,\"tier\":\"premium\"}\n");
    input.extend_from_slice(b"{\"id\":\"N-4\",\"customer\":\"caf\xe9\",\"severity\":2,\"tier\":\"premium\"}\n");
    input.extend_from_slice(b"\n{\"id\":\"N-5\",\"colour\":\"red\"}\n");
    input.extend_from_slice(b"{\"id\":\"N-6\",\"customer\":\"x\",\"sev");
    let file = write(&env, "cases.ndjson", &input);
    let (_, err) = env.expect(2, &["case", "import", &file]);
    for want in [
        "7 of 8 records",
        "nothing was imported",
        "line 2 (case N-2): unknown tier \"gold\" (accepted: premium, standard)",
        "line 3 (case N-3): unknown severity \"high\"",
        "line 4 (case N-1): case N-1 appears twice in the input (first on line 1)",
        "line 5 (case C-1): case C-1 already exists in the ledger (pass --upsert to update it)",
        "line 6: not valid UTF-8",
        "line 8 (case N-5): unknown field \"colour\"",
        "line 9: the last line is cut short",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert_eq!(env.dump(), before);
    // The same file as a dry run: reported the same way, still nothing written.
    env.expect(2, &["case", "import", "--dry-run", &file]);
    assert_eq!(env.dump(), before);
    // --skip-invalid imports the one good record and reports the rest.
    let v = env.json(&["case", "import", "--skip-invalid", &file]);
    assert_eq!((v["read"].as_u64(), v["imported"].as_u64(), v["skipped"].as_u64()), (Some(8), Some(1), Some(7)));
    assert_eq!(v["errors"][0]["line"], 2);
    assert_eq!(env.json(&["case", "show", "N-1"])["customer"], "x");
}

#[test]
fn a_refused_import_leaves_a_missing_ledger_missing_and_says_so_in_json() {
    let env = Env::new();
    let file = write(&env, "bad.ndjson", b"{\"id\":\"A\",\"customer\":\"c\",\"severity\":9,\"tier\":\"premium\"}\n");
    let out = env.cmd().args(["--json", "case", "import", &file]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the summary on stdout");
    assert_eq!(summary["errors"][0]["line"], 1);
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).expect("the error on stderr");
    assert_eq!(err["error"], "bad-input");
    assert!(!env.ledger().exists(), "a refused import created the ledger");
    // A record without an id names none: null, not "".
    let file = write(&env, "noid.csv", b"id,customer,severity,tier\n,c,2,premium\n");
    let out = env.cmd().args(["--json", "case", "import", &file]).output().unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the summary on stdout");
    assert_eq!(
        (summary["errors"][0]["id"].clone(), summary["errors"][0]["error"].clone()),
        (serde_json::Value::Null, "id is missing".into())
    );
    // --json and another --format of the report disagree.
    let (_, err) = env.expect(2, &["--json", "report", "--format", "csv"]);
    assert!(err.contains("--json and --format csv disagree"), "{err}");
}

#[test]
fn csv_lines_are_counted_across_blank_lines_and_any_line_end() {
    let env = Env::new();
    for (name, text) in [
        ("lf.csv", "id,customer,severity,tier\n\nA,a,9,premium\n\n\nB,b,9,premium\nC,c,9,premium\n"),
        ("crlf.csv", "id,customer,severity,tier\r\n\r\nA,a,9,premium\r\n\r\n\r\nB,b,9,premium\r\nC,c,9,premium\r\n"),
        ("cr.csv", "id,customer,severity,tier\r\rA,a,9,premium\r\r\rB,b,9,premium\rC,c,9,premium\r"),
    ] {
        let file = write(&env, name, text.as_bytes());
        let (_, err) = env.expect(2, &["case", "import", "--dry-run", &file]);
        for want in ["line 3 (case A)", "line 6 (case B)", "line 7 (case C)"] {
            assert!(err.contains(want), "{name}: missing {want:?} in\n{err}");
        }
    }
    let file = write(&env, "empty.csv", b"");
    let (_, err) = env.expect(2, &["case", "import", &file]);
    assert!(err.contains("the file is empty"), "{err}");
    // A duplicate is caught even when its first record was bad.
    let file = write(&env, "dup.csv", b"id,customer,severity,tier\nB,b,9,premium\nB,b,2,premium\n");
    let v = env.json(&["case", "import", "--skip-invalid", "--dry-run", &file]);
    assert_eq!(v["errors"][1]["error"], "case B appears twice in the input (first on line 2)");
}

#[test]
fn upsert_changes_only_what_the_record_gives() {
    let mut env = Env::new();
    env.ok(&[
        "case",
        "add",
        "P1",
        "--customer",
        "Acme",
        "--severity",
        "2",
        "--tier",
        "premium",
        "--opened-at",
        "2026-11-23T06:00:00Z",
        "--title",
        "Important",
        "--tag",
        "x",
        "--priority",
        "high",
    ]);
    env.ok(&Env::request_args("P1"));
    env.at("2026-11-23T13:00:00Z");
    let file = write(&env, "p.csv", b"id,customer,severity,tier\nP1,Acme,3,premium\n");
    env.ok(&["case", "import", "--upsert", &file]);
    let c = env.json(&["case", "show", "P1"]);
    assert_eq!((c["severity"].as_u64(), c["title"].as_str()), (Some(3), Some("Important")));
    assert_eq!((c["priority"].as_str(), c["opened_at"].as_str()), (Some("high"), Some("2026-11-23T06:00:00Z")));
    assert_eq!(c["tags"], serde_json::json!(["x"]));
    // An upsert's CSV names the id and only the columns it changes, as NDJSON does.
    let file = write(&env, "pri.csv", b"id,priority\nP1,low\n");
    env.ok(&["case", "import", "--upsert", &file]);
    let c = env.json(&["case", "show", "P1"]);
    assert_eq!((c["priority"].as_str(), c["severity"].as_u64()), (Some("low"), Some(3)));
    // A column given with an empty cell clears what a case may be without (title,
    // tags, first response); an empty required cell is not given. NDJSON's null alike.
    env.ok(&["case", "update", "P1", "--first-response", "2026-11-23T07:00:00Z"]);
    let file = write(&env, "clear.csv", b"id,title,tags,first_response_at,customer\nP1,,,,\n");
    let out = env.ok(&["case", "import", "--upsert", &file]);
    assert!(out.contains("1 updated"), "{out}");
    let c = env.json(&["case", "show", "P1"]);
    assert_eq!((c["title"].as_str(), c["customer"].as_str()), (Some(""), Some("Acme")));
    assert_eq!((c["tags"].clone(), c["first_response_at"].clone()), (serde_json::json!([]), serde_json::Value::Null));
    env.ok(&["case", "update", "P1", "--title", "Back", "--first-response", "2026-11-23T07:00:00Z"]);
    let file = write(&env, "clear.ndjson", b"{\"id\":\"P1\",\"title\":\"\",\"first_response_at\":null}\n");
    env.ok(&["case", "import", "--upsert", &file]);
    let c = env.json(&["case", "show", "P1"]);
    assert_eq!((c["title"].as_str(), c["first_response_at"].clone()), (Some(""), serde_json::Value::Null));
    // A wait on the customer is not changed by import, and is said not to be.
    let file = write(&env, "wait.csv", b"id,waiting_since\nP1,2026-11-23T12:00:00Z\n");
    let (_, err) = env.expect(0, &["case", "import", "--upsert", &file]);
    assert!(err.contains("warning: 1 record of cases already in the ledger gave another wait on the customer (waiting_since), first P1"), "{err}");
    assert_eq!(env.json(&["case", "show", "P1"])["waiting_since"], serde_json::Value::Null);
    // By hand, an empty --first-response takes a wrong one back.
    env.ok(&["case", "update", "P1", "--first-response", "2026-11-23T07:00:00Z"]);
    env.ok(&["case", "update", "P1", "--first-response", ""]);
    assert_eq!(env.json(&["case", "show", "P1"])["first_response_at"], serde_json::Value::Null);
    // Without --upsert, the header must name what a new case needs.
    let file = write(&env, "pri.csv", b"id,priority\nP1,low\n");
    let (_, err) = env.expect(2, &["case", "import", &file]);
    assert!(err.contains("the header has no \"customer\" column"), "{err}");
    // An id the ledger lacks is a new case, and is said to be one.
    let file = write(&env, "typo.csv", b"id,priority\nP2,low\n");
    let (_, err) = env.expect(2, &["case", "import", "--upsert", &file]);
    assert!(
        err.contains("line 2 (case P2): case P2 is not in the ledger; as a new case, customer is missing"),
        "{err}"
    );
    // Closing by import is refused while an escalation is open, as `case close` refuses it.
    let before = env.dump();
    let file = write(&env, "close.ndjson", b"{\"id\":\"P1\",\"status\":\"closed\"}\n");
    let (_, err) = env.expect(2, &["case", "import", "--upsert", &file]);
    assert!(err.contains("has escalation #1 still requested: close it once its owner agrees"), "{err}");
    assert_eq!(env.dump(), before);
}

#[test]
fn tags_cannot_hold_the_csv_separator_nor_ids_start_with_a_dash() {
    let env = Env::new();
    let (_, err) = env
        .expect(2, &["case", "add", "X1", "--customer", "c", "--severity", "2", "--tier", "premium", "--tag", "a;b"]);
    assert!(err.contains("contains ';'"), "{err}");
    let (_, err) =
        env.expect(2, &["case", "add", "--customer", "c", "--severity", "2", "--tier", "premium", "--", "-X1"]);
    assert!(err.contains("starts with '-'"), "{err}");
    let file = write(
        &env,
        "t.ndjson",
        b"{\"id\":\"-X\",\"customer\":\"c\",\"severity\":2,\"tier\":\"premium\",\"tags\":[\"x;y\"]}\n",
    );
    let (_, err) = env.expect(2, &["case", "import", &file]);
    assert!(err.contains("starts with '-'"), "{err}");
    let long = "t".repeat(1001);
    let (_, err) = env
        .expect(2, &["case", "add", "X2", "--customer", "c", "--severity", "2", "--tier", "premium", "--title", &long]);
    assert!(err.contains("the limit is 1000"), "{err}");
}

#[test]
fn a_dry_run_writes_nothing_not_even_a_new_ledger() {
    let env = Env::new();
    let file = write(&env, "c.csv", format!("{HEADER}\nA-1,Acme,2,premium,,,,\n").as_bytes());
    let out = env.ok(&["case", "import", "--dry-run", &file]);
    assert!(out.contains("Dry run, nothing written: would import 1 of 1"), "{out}");
    assert!(!env.ledger().exists());
}

#[test]
fn upsert_updates_existing_cases_and_counts_unchanged_ones() {
    let env = seeded();
    let file = write(
        &env,
        "c.csv",
        format!("{HEADER}\nC-1,Acme Corp,2,premium,2026-11-20T08:00:00Z,,,\nC-9,New,4,standard,,,,\n").as_bytes(),
    );
    let v = env.json(&["case", "import", "--upsert", &file]);
    assert_eq!((v["imported"].as_u64(), v["updated"].as_u64()), (Some(1), Some(1)));
    assert_eq!(env.json(&["case", "show", "C-1"])["customer"], "Acme Corp");
    let v = env.json(&["case", "import", "--upsert", &file]);
    assert_eq!((v["updated"].as_u64(), v["unchanged"].as_u64()), (Some(0), Some(2)));
}

#[test]
fn standard_input_needs_a_format_and_bad_headers_refuse_the_file() {
    let env = Env::new();
    let (code, _, err) = stdin(&env, &["case", "import"], b"{}\n");
    assert_eq!(code, 2);
    assert!(err.contains("--format ndjson, --format csv or --format json"), "{err}");
    let (code, _, err) = stdin(&env, &["case", "import", "--format", "csv", "-"], b"id,customer,severity,colour\n");
    assert_eq!(code, 2);
    assert!(err.contains("line 1: unknown field \"colour\""), "{err}");
    let (code, out, err) = stdin(
        &env,
        &["case", "import", "--format", "ndjson", "-"],
        b"{\"id\":\"S-1\",\"customer\":\"x\",\"severity\":2,\"tier\":\"premium\",\"tags\":[\"a\"]}",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("from standard input"), "{out}");
    let (_, err) = env.expect(2, &["case", "import", "nowhere.csv"]);
    assert!(err.contains("cannot read nowhere.csv"), "{err}");
}

#[test]
fn export_then_import_loses_nothing() {
    let mut env = seeded();
    // C-2 waited on the customer for two hours and waits again: its wait window stood still.
    env.at("2026-11-23T13:00:00Z");
    env.ok(&["case", "update", "C-2", "--waiting"]);
    env.at("2026-11-23T15:00:00Z");
    env.ok(&["case", "update", "C-2", "--resume"]);
    env.at("2026-11-23T16:00:00Z");
    env.ok(&["case", "update", "C-2", "--waiting"]);
    env.ok(&["case", "add", "C-3", "--customer", "x", "--severity", "4", "--tier", "standard"]);
    env.ok(&["case", "close", "C-3"]);
    for format in ["ndjson", "csv", "json"] {
        let exported = env.ok(&["export", "cases", "--format", format]);
        let mut copy = Env::new();
        copy.at("2026-11-23T16:00:00Z");
        let file = write(&copy, &format!("cases.{format}"), exported.as_bytes());
        copy.ok(&["case", "import", &file]);
        assert_eq!(copy.ok(&["export", "cases", "--format", format]), exported, "{format} round trip");
        assert_eq!(copy.json(&["case", "list", "--status", "all"]), env.json(&["case", "list", "--status", "all"]));
        // What the rules see is the same: the paused time and the verdict.
        let (a, b) = (env.json(&["check", "C-2"]), copy.json(&["check", "C-2"]));
        assert_eq!(a["paused_minutes"], 120, "{a}");
        assert_eq!(
            (a["paused_minutes"].clone(), a["eligible_at"].clone()),
            (b["paused_minutes"].clone(), b["eligible_at"].clone())
        );
    }
}

#[test]
fn export_writes_every_table_in_every_format_and_since_filters() {
    let mut env = seeded();
    let events = env.ok(&["export", "events"]);
    assert_eq!(events.lines().count(), 4, "{events}");
    let first: serde_json::Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    assert_eq!(first["kind"], "case-added");
    let all: serde_json::Value = serde_json::from_str(&env.ok(&["export", "escalations", "--format", "json"])).unwrap();
    assert_eq!(all[0]["fields"]["summary"], "Login fails");
    let csv = env.ok(&["export", "escalations", "--format", "csv"]);
    assert!(csv.starts_with("id,case,level,state,destination,reason,description,fields,"), "{csv}");
    assert!(csv.contains("\"{\"\"summary\"\":\"\"Login fails\"\""), "{csv}");
    env.at("2026-11-23T13:00:00Z");
    env.ok(&["update", "C-1", "--note", "Told the customer"]);
    let since = env.ok(&["export", "events", "--since", "2026-11-23T12:30:00Z"]);
    assert_eq!(since.lines().count(), 1, "{since}");
    let cases = env.ok(&["export", "cases", "--since", "2026-11-23T12:30:00Z"]);
    assert_eq!(cases.lines().count(), 1);
    assert!(cases.contains("\"C-1\""));
    // Nothing matches: no lines, an empty array, or just the CSV header.
    assert_eq!(env.ok(&["export", "escalations", "--since", "2027-01-01T00:00:00Z"]), "");
    assert_eq!(env.ok(&["export", "escalations", "--since", "2027-01-01T00:00:00Z", "--format", "json"]), "[]\n");
    let header = env.ok(&["export", "cases", "--since", "2027-01-01T00:00:00Z", "--format", "csv"]);
    assert_eq!(
        header,
        "id,customer,severity,tier,title,opened_at,priority,tags,status,waiting_since,first_response_at,closed_at,pauses\n"
    );
    let (_, err) = env.expect(2, &["export", "events", "--since", "last week"]);
    assert!(err.contains("--since"), "{err}");
}

#[test]
fn every_list_speaks_json_ndjson_and_csv_and_an_empty_list_is_empty() {
    let env = Env::new();
    for list in [&["case", "list"][..], &["list"], &["due"]] {
        let mut json = list.to_vec();
        json.push("--json");
        assert_eq!(env.ok(&json).trim(), "[]", "{list:?}");
        let mut nd = list.to_vec();
        nd.extend(["--format", "ndjson"]);
        assert_eq!(env.ok(&nd), "", "{list:?}");
    }
    let env = seeded();
    let lines = env.ok(&["case", "list", "--format", "ndjson"]);
    assert_eq!(lines.lines().count(), 2);
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["id"].is_string());
    }
    let esc = env.ok(&["list", "--format", "ndjson"]);
    let v: serde_json::Value = serde_json::from_str(esc.trim()).unwrap();
    assert_eq!(v["case"], "C-1");
    let due = env.ok(&["due", "--format", "csv"]);
    assert!(due.starts_with("due_at,overdue,late_minutes,kind,case,"), "{due}");
    let eligible = env.ok(&["case", "list", "--eligible", "--format", "csv"]);
    // C-1 has an open escalation; C-2's 16h window ended at midnight: the header and C-2.
    assert_eq!(eligible.lines().count(), 2, "{eligible}");
    assert!(eligible.lines().nth(1).unwrap().starts_with("C-2,"), "{eligible}");
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line() {
    let env = Env::new();
    for (shell, marker) in [
        ("bash", "_escalate()"),
        ("zsh", "#compdef escalate"),
        ("fish", "complete -c escalate"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = env.ok(&["completions", shell]);
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("import"), "{shell} completes subcommands");
    }
    let man = env.ok(&["man"]);
    assert!(man.contains(".TH escalate 1"), "{man}");
    let dir = env.dir.path().join("man1");
    let out = env.ok(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(out.contains("escalate-case-import.1"), "{out}");
    let import = std::fs::read_to_string(dir.join("escalate-case-import.1")).unwrap();
    assert!(import.contains("skip\\-invalid"), "{import}");
    assert!(man.contains("ESCALATE_LEDGER"), "the man page names the environment");
    env.expect(2, &["completions", "tcsh"]);
}

#[test]
fn an_export_into_a_closed_pipe_ends_quietly() {
    let env = Env::new();
    let mut lines = String::from("id,customer,severity,tier\n");
    for i in 0..3000 {
        lines.push_str(&format!("K-{i},Acme,2,premium\n"));
    }
    let file = write(&env, "many.csv", lines.as_bytes());
    env.ok(&["case", "import", &file]);
    let out = env.run_into_closed_pipe(&["export", "events"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    for args in [&["export", "events", "--format", "csv"][..], &["case", "list", "--format", "csv"]] {
        let out = env.run_into_closed_pipe(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // --json asks export for one array.
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["--json", "export", "cases"])).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3000);
}
