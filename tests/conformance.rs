//! One conformance suite, run on both ledger backends: each test is written
//! once against an `Env` and runs on a SQLite file and on a fresh PostgreSQL
//! database, with the same expected output (shared snapshots).

#[macro_use]
mod common;
use common::{Backend, Env, sql};

on_both!(
    the_follow_through_story_reads_the_same,
    read_commands_change_nothing,
    a_newer_schema_is_refused_untouched,
    a_foreign_database_is_not_touched,
    refusals_and_bad_input_leave_the_ledger_as_it_was,
    ledger_info_names_the_backend,
    a_copy_holds_everything_and_needs_an_empty_target,
    a_copy_holds_accounts_the_roster_and_any_text,
    a_copy_holds_the_outbox_and_tells_nobody_twice,
    an_import_is_all_or_nothing,
    an_import_into_an_empty_ledger_builds_its_indexes_after,
    concurrent_writers_all_commit,
    one_of_many_promotions_wins,
    one_of_many_decisions_wins,
    one_of_many_requests_wins,
    an_escalation_at_a_level_the_policy_dropped_is_still_due,
);

fn other(b: Backend) -> Backend {
    match b {
        Backend::Sqlite => Backend::Postgres,
        Backend::Postgres => Backend::Sqlite,
    }
}

/// A case of 2026-11-20 with an escalation requested by alice at the default time.
fn requested(b: Backend) -> Env {
    let env = Env::on(b);
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    env
}

fn the_follow_through_story_reads_the_same(b: Backend) {
    let mut env = requested(b);
    env.at("2026-11-23T17:30:00Z");
    env.ok(&["promote", "C-1", "--why", "No reply from the reviewer"]);
    let (code, _, err) = env.run_as("rita", &["decide", "C-1", "approve", "--note", "Engineering has it"]);
    assert_eq!(code, 0, "{err}");
    env.ok(&["handoff", "C-1", "--to", "lee", "--note", "Customer waits for the patch; call at 9"]);
    env.ok(&["update", "C-1", "--note", "Patch in test", "--next", "2026-11-24T10:00:00Z"]);
    let (code, _, err) = env.run_as("lee", &["close", "C-1", "--note", "Patch shipped; the customer agrees"]);
    assert_eq!(code, 0, "{err}");
    let show = env.ok(&["show", "C-1"]);
    let list = env.ok(&["list", "--state", "all"]);
    let events = env.ok(&["export", "events"]);
    let report = env.ok(&["report"]);
    // The policy's digest changes with every edit of the default policy: not the story's business.
    let events: String = events
        .split("sha256:")
        .enumerate()
        .map(
            |(i, part)| {
                if i == 0 { part.to_string() } else { format!("sha256:<policy>{}", &part[64.min(part.len())..]) }
            },
        )
        .collect();
    insta::assert_snapshot!("story", format!("{show}\n{list}\n{events}\n{report}"));
}

fn read_commands_change_nothing(b: Backend) {
    let env = requested(b);
    env.ok(&["note", "C-1", "--action", "Cleared caches", "--outcome", "no change"]);
    let before = env.dump();
    for args in [
        &["check", "C-1"][..],
        &["show", "C-1"],
        &["list"],
        &["due"],
        &["report"],
        &["case", "list", "--eligible"],
        &["case", "show", "C-1"],
        &["package", "C-1"],
        &["export", "events"],
        &["export", "cases"],
        &["ledger", "info"],
    ] {
        env.run(args);
    }
    assert_eq!(env.dump(), before);
}

fn a_newer_schema_is_refused_untouched(b: Backend) {
    let env = Env::on(b);
    env.case("C-1", 2, "premium", "2026-11-20T00:00:00Z");
    match b {
        Backend::Sqlite => sql(&env, "PRAGMA user_version = 99"),
        Backend::Postgres => sql(&env, "UPDATE escalate_meta SET value = '99' WHERE key = 'schema_version'"),
    }
    let before = env.dump();
    for args in [
        &["check", "C-1"][..],
        &["case", "add", "C-2", "--customer", "x", "--severity", "2", "--tier", "premium"],
        &["ledger", "migrate"],
    ] {
        let (_, err) = env.expect(4, args);
        assert!(err.contains("schema version 99, newer than this escalate understands"), "{err}");
    }
    assert_eq!(env.dump(), before);
}

fn a_foreign_database_is_not_touched(b: Backend) {
    let env = Env::on(b);
    sql(&env, "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');");
    // Not a ledger: the file's bytes, or every table the server holds.
    let state = || match &env.pg {
        Some(url) => common::pg::dump(url).into_bytes(),
        None => std::fs::read(env.ledger()).unwrap(),
    };
    let before = state();
    let (_, err) = env.expect(4, &["case", "add", "C-1", "--customer", "x", "--severity", "2", "--tier", "premium"]);
    assert!(err.contains("not an escalate ledger"), "{err}");
    env.expect(4, &["list"]);
    assert_eq!(state(), before);
}

fn refusals_and_bad_input_leave_the_ledger_as_it_was(b: Backend) {
    let env = Env::on(b);
    env.case("C-1", 2, "premium", "2026-11-23T11:00:00Z");
    env.case("C-2", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-2"));
    let before = env.dump();
    let (_, err) = env.expect(1, &Env::request_args("C-1"));
    assert!(err.contains("may not be escalated now"), "{err}");
    let (_, err) = env.expect(1, &["promote", "C-2", "--why", "impatient"]);
    assert!(err.contains("may be promoted only once its review window ends"), "{err}");
    let (_, err) = env.expect(2, &["case", "add", "C-1", "--customer", "x", "--severity", "2", "--tier", "premium"]);
    assert!(err.contains("case C-1 already exists"), "{err}");
    let (_, err) = env.expect(2, &["show", "NOPE", "--json"]);
    let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!((v["error"].as_str(), v["code"].as_i64()), (Some("bad-input"), Some(2)));
    let (code, _, err) = env.run_as("bob", &["close", "C-2", "--note", "done"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("only the owner"), "{err}");
    let (code, _, err) = env.run_as("alice", &["decide", "C-2", "approve"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(env.dump(), before);
}

fn ledger_info_names_the_backend(b: Backend) {
    let env = requested(b);
    let v = env.json(&["ledger", "info"]);
    assert_eq!(v["backend"], if b == Backend::Sqlite { "sqlite" } else { "postgresql" });
    assert_eq!(v["location"], env.location());
    assert_eq!(v["exists"], true);
    assert_eq!(v["schema_version"], v["supported_version"]);
    assert_eq!((v["cases"].as_i64(), v["escalations"].as_i64(), v["events"].as_i64()), (Some(1), Some(1), Some(2)));
}

/// Every row the ledger holds, as its exports write them.
fn exports(env: &Env) -> String {
    ["cases", "escalations", "events"].iter().map(|w| env.ok(&["export", w])).collect::<Vec<_>>().join("\n")
}

fn a_copy_holds_everything_and_needs_an_empty_target(b: Backend) {
    let mut env = requested(b);
    env.ok(&["case", "update", "C-1", "--waiting"]);
    env.at("2026-11-23T13:00:00Z");
    env.ok(&["case", "update", "C-1", "--resume", "--tag", "checkout"]);
    env.ok(&["note", "C-1", "--attach", "https://tickets.example/C-1"]);
    let there = Env::on(other(b));
    let out = env.ok(&["ledger", "copy", "--to", &there.location()]);
    assert!(out.starts_with("Copied 1 case, 1 escalation and 6 events"), "{out}");
    assert_eq!(exports(&there), exports(&env));
    // And back again, into a third ledger of the first kind.
    let back = Env::on(b);
    there.ok(&["ledger", "copy", "--to", &back.location()]);
    assert_eq!(exports(&back), exports(&env));
    // The copy goes on where the source left off: new ids follow the copied ones.
    back.case("C-2", 2, "premium", "2026-11-20T08:00:00Z");
    let v = back.json(&Env::request_args("C-2"));
    assert_eq!(v["id"], 2);
    let before = there.dump();
    let (_, err) = env.expect(2, &["ledger", "copy", "--to", &there.location()]);
    assert!(err.contains("already holds 1 cases"), "{err}");
    assert_eq!(there.dump(), before);
}

/// What `ledger copy` moves besides cases and escalations: accounts, every shift of the
/// roster, and text with line breaks, tabs and backslashes, there and back again.
fn a_copy_holds_accounts_the_roster_and_any_text(b: Backend) {
    let env = requested(b);
    env.ok(&["note", "C-1", "--action", "Restarted\tthe pod\nthen \\ retried", "--outcome", "Still 500\r\n"]);
    env.ok(&["account", "set", "Acme", "--csm", "cat", "--ae", "ann"]);
    env.ok(&["oncall", "set", "support-manager", "noah", "--until", "2026-11-23T20:00:00Z"]);
    env.ok(&["oncall", "set", "support-engineer", "sam"]);
    let all = |e: &Env| {
        let views = [&["account", "list", "--json"][..], &["oncall", "history", "--json"], &["export", "events"]];
        views.iter().map(|v| e.ok(v)).collect::<Vec<_>>().join("\n")
    };
    let there = Env::on(other(b));
    env.ok(&["ledger", "copy", "--to", &there.location()]);
    assert_eq!(all(&there), all(&env));
    let back = Env::on(b);
    there.ok(&["ledger", "copy", "--to", &back.location()]);
    assert_eq!(all(&back), all(&env));
    assert!(all(&back).contains("Restarted\\tthe pod\\nthen \\\\ retried"), "{}", all(&back));
    back.ok(&["ledger", "verify"]);
}

/// The outbox goes with a copy: what was sent is not sent again from the copy,
/// and what was pending is still pending there.
fn a_copy_holds_the_outbox_and_tells_nobody_twice(b: Backend) {
    let told = tempfile::tempdir().unwrap();
    let log = told.path().join("told.log");
    let script = format!("echo \"$ESCALATE_DELIVERY_ID\" >> '{}'", log.display());
    let with_hook = move |text: String| {
        format!("{}\n[channels.log]\nkind = \"command\"\ncommand = [\"sh\", \"-c\", {script:?}]\n", text)
            .replace("update_every = \"8h business\"\n", "update_every = \"8h business\"\nchannels = [\"log\"]\n")
    };
    let mut env = Env::on(b).with_policy(with_hook.clone());
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    env.at("2026-11-23T17:30:00Z");
    env.expect(1, &["due", "--overdue", "--notify"]);
    let sent = std::fs::read_to_string(&log).unwrap();
    assert_eq!(sent.lines().count(), 2, "the request and the overdue review: {sent}");
    let mut there = Env::on(other(b)).with_policy(with_hook);
    there.at("2026-11-23T17:30:00Z");
    env.ok(&["ledger", "copy", "--to", &there.location()]);
    let listed = |e: &Env| e.ok(&["notify", "list", "--json"]);
    assert_eq!(listed(&there), listed(&env));
    there.expect(1, &["due", "--overdue", "--notify"]);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), sent, "the copy told someone again");
}

fn an_import_is_all_or_nothing(b: Backend) {
    let env = Env::on(b);
    env.ok(&["case", "add", "OLD-1", "--customer", "x", "--severity", "3", "--tier", "standard"]);
    let file = env.dir.path().join("in.csv");
    let mut csv = String::from("id,customer,severity,tier,opened_at,tags\n");
    for i in 0..2500 {
        csv.push_str(&format!("I-{i},Cust {},{},premium,2026-11-{:02}T10:00:00Z,a;b\n", i % 7, 2 + i % 3, 1 + i % 20));
    }
    csv.push_str("I-3,dup,2,premium,2026-11-20T10:00:00Z,\nBAD,x,9,premium,2026-11-20T10:00:00Z,\n");
    std::fs::write(&file, &csv).unwrap();
    let before = env.dump();
    let (_, err) = env.expect(2, &["case", "import", file.to_str().unwrap()]);
    assert!(err.contains("2 of 2502 records") && err.contains("appears twice in the input (first on line 5)"), "{err}");
    assert_eq!(env.dump(), before);
    let refused = env.json(&["case", "import", file.to_str().unwrap()]);
    assert_eq!((refused["imported"].as_i64(), refused["invalid"].as_i64()), (Some(0), Some(2)), "nothing was imported");
    let v = env.json(&["case", "import", "--skip-invalid", file.to_str().unwrap()]);
    assert_eq!((v["imported"].as_i64(), v["skipped"].as_i64()), (Some(2500), Some(2)));
    // A dry run tells what the same command would do: refused without --skip-invalid.
    let v = env.json(&["case", "import", "--upsert", "--dry-run", file.to_str().unwrap()]);
    assert_eq!((v["unchanged"].as_i64(), v["invalid"].as_i64()), (Some(0), Some(2)));
    let v = env.json(&["case", "import", "--upsert", "--dry-run", "--skip-invalid", file.to_str().unwrap()]);
    assert_eq!((v["unchanged"].as_i64(), v["skipped"].as_i64()), (Some(2500), Some(2)));
    assert_eq!(env.json(&["ledger", "info"])["cases"], 2501);
    let tagged = env.json(&["check", "I-7"]);
    assert!(tagged["signals"][0]["detail"].as_str().unwrap().contains("customers with open cases tagged"), "{tagged}");
}

/// The ledger's indexes and keys, by name (a key by its index's name on SQLite; on
/// PostgreSQL the constraints too, foreign keys among them).
fn indexes(env: &Env) -> Vec<String> {
    let sql = match env.pg {
        Some(_) => {
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'
             UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
               WHERE connamespace = 'public'::regnamespace ORDER BY 1"
        }
        None => "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY 1",
    };
    match &env.pg {
        Some(url) => {
            let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
            client.query(sql, &[]).expect("indexes").iter().map(|r| r.get(0)).collect()
        }
        None => {
            let conn = rusqlite::Connection::open(env.ledger()).expect("open");
            let mut stmt = conn.prepare(sql).expect("indexes");
            stmt.query_map([], |r| r.get(0)).expect("indexes").collect::<Result<_, _>>().expect("indexes")
        }
    }
}

/// Into an empty ledger an import drops indexes (and keys) and builds them after the
/// load; one that finds a case twice in its input looks the first up by case in the
/// middle of the load, and one that is refused leaves the ledger as it was.
fn an_import_into_an_empty_ledger_builds_its_indexes_after(b: Backend) {
    let env = Env::on(b);
    env.ok(&["ledger", "migrate"]);
    let (schema, before) = (indexes(&env), env.dump());
    let file = env.dir.path().join("in.csv");
    let mut csv = String::from("id,customer,severity,tier,opened_at,tags\n");
    for i in 0..4500 {
        csv.push_str(&format!("E-{i:04},Cust {},2,premium,2026-11-{:02}T10:00:00Z,a;b\n", i % 7, 1 + i % 20));
    }
    // Twice, the first in the first batch, the second in the third.
    csv.push_str("E-0003,dup,2,premium,2026-11-20T10:00:00Z,\n");
    std::fs::write(&file, &csv).unwrap();
    let (_, err) = env.expect(2, &["case", "import", file.to_str().unwrap()]);
    assert!(err.contains("case E-0003 appears twice in the input (first on line 5)"), "{err}");
    assert_eq!((indexes(&env), env.dump()), (schema.clone(), before));
    let v = env.json(&["case", "import", "--skip-invalid", file.to_str().unwrap()]);
    assert_eq!((v["imported"].as_i64(), v["skipped"].as_i64()), (Some(4500), Some(1)), "{v}");
    assert_eq!(indexes(&env), schema);
    env.ok(&["ledger", "verify"]);
    let info = env.json(&["ledger", "info"]);
    assert_eq!((info["cases"].as_i64(), info["events"].as_i64()), (Some(4500), Some(4500)), "{info}");
    let listed = env.json(&["case", "list", "--customer", "Cust 3", "--format", "json"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(643), "{listed}");
    // The next import finds every case there, by the indexes built.
    let v = env.json(&["case", "import", "--upsert", file.to_str().unwrap(), "--skip-invalid"]);
    assert_eq!((v["unchanged"].as_i64(), v["skipped"].as_i64()), (Some(4500), Some(1)), "{v}");
    // Counted as every write counts, once the import is over.
    env.case("E-9999", 2, "premium", "2026-11-20T08:00:00Z");
    let info = env.json(&["ledger", "info"]);
    assert_eq!((info["cases"].as_i64(), info["events"].as_i64()), (Some(4501), Some(4501)), "{info}");
    // An input without a repeat is never looked up: the keys come back at the end all the same.
    let clean = Env::on(b);
    clean.ok(&["ledger", "migrate"]);
    let lines: Vec<&str> = csv.lines().collect();
    std::fs::write(&file, lines[..lines.len() - 1].join("\n")).unwrap();
    let v = clean.json(&["case", "import", file.to_str().unwrap()]);
    assert_eq!(v["imported"].as_i64(), Some(4500), "{v}");
    assert_eq!(indexes(&clean), schema);
    clean.ok(&["ledger", "verify", "--cases"]);
}

/// Writers per backend: 50 processes on the server, 8 on the embedded file.
fn writers(b: Backend) -> usize {
    if b == Backend::Postgres { 50 } else { 8 }
}

fn concurrent_writers_all_commit(b: Backend) {
    let env = Env::on(b);
    env.case("SEED", 3, "standard", "2026-11-20T08:00:00Z");
    let (n, each) = (writers(b), 20);
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|w| {
                let env = &env;
                s.spawn(move || {
                    let mut failed = Vec::new();
                    for i in 0..each {
                        let id = format!("W{w}-{i}");
                        let args = ["case", "add", &id, "--customer", "x", "--severity", "3", "--tier", "standard"];
                        let (code, _, err) = env.run(&args);
                        if code != 0 {
                            failed.push(format!("{id}: exit {code}: {err}"));
                        }
                    }
                    failed
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{} failed writes:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(env.json(&["ledger", "info"])["cases"], (n * each + 1) as i64);
    // Appends from many writers still form one chain, gap-free.
    let verified = env.json(&["ledger", "verify"]);
    assert_eq!(verified["events"], (n * each + 1) as i64, "{verified}");
}

/// `n` racers at once; exactly one wins, the others are refused naming who acted first.
fn one_wins(results: &[(i32, String, String)], first: &str) {
    let won: Vec<_> = results.iter().filter(|r| r.0 == 0).collect();
    assert_eq!(won.len(), 1, "exactly one should win: {results:#?}");
    for (code, _, err) in results.iter().filter(|r| r.0 != 0) {
        assert_eq!(*code, 1, "a loser is refused: {err}");
        assert!(err.contains(first), "the refusal names who acted first ({first}): {err}");
    }
}

fn one_of_many_promotions_wins(b: Backend) {
    let mut env = requested(b);
    env.at("2026-11-24T12:00:00Z");
    let n = if b == Backend::Postgres { 20 } else { 8 };
    let args = |_| ["promote", "C-1", "--why", "no answer"].map(String::from).to_vec();
    let results = env.race(n, |i| format!("p{i}"), args);
    one_wins(&results, "(raised by p");
    let v = env.json(&["list", "--state", "all"]);
    assert_eq!(v[0]["level"], 2, "never two promotions of one level");
    let promotions = env.ok(&["export", "events"]).lines().filter(|l| l.contains("\"kind\":\"promoted\"")).count();
    assert_eq!(promotions, 1);
}

fn one_of_many_decisions_wins(b: Backend) {
    let env = requested(b);
    let n = if b == Backend::Postgres { 20 } else { 8 };
    let results = env.race(n, |i| format!("d{i}"), |_| ["decide", "C-1", "approve"].map(String::from).to_vec());
    one_wins(&results, "(decided by d");
    let decided = env.ok(&["export", "events"]).lines().filter(|l| l.contains("\"kind\":\"decided\"")).count();
    assert_eq!(decided, 1);
}

fn one_of_many_requests_wins(b: Backend) {
    let env = Env::on(b);
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    let n = if b == Backend::Postgres { 20 } else { 8 };
    let args = |_| Env::request_args("C-1").into_iter().map(String::from).collect();
    let results = env.race(n, |i| format!("r{i}"), args);
    one_wins(&results, "is already requested at level 1 by r");
    assert_eq!(env.json(&["list", "--state", "all"]).as_array().map(Vec::len), Some(1));
}

/// A policy that drops the levels above the first keeps what is due at them in
/// sight: the escalation is timed as at the policy's highest level, and said so.
fn an_escalation_at_a_level_the_policy_dropped_is_still_due(b: Backend) {
    let mut env = requested(b);
    env.at("2026-11-23T16:30:00Z");
    env.ok(&["promote", "C-1", "--why", "no answer from the reviewer", "--yes"]);
    let text = std::fs::read_to_string(common::repo().join("policy.toml")).unwrap();
    let (head, rest) = text.split_once("[levels.2]").unwrap();
    let (_, tail) = rest.split_once("# When the current level may be promoted").unwrap();
    let one = env.dir.path().join("one-level.toml");
    std::fs::write(&one, format!("{head}# When the current level may be promoted{tail}")).unwrap();
    env.at("2026-11-25T12:00:00Z");
    let args = ["--policy", one.to_str().unwrap(), "due", "--overdue", "--format", "ndjson"];
    let (code, out, err) = env.run(&args);
    assert_eq!(code, 1, "{out}{err}");
    let kinds: Vec<String> =
        out.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].to_string()).collect();
    assert_eq!(kinds, ["\"review\"", "\"touch-point\""], "{out}");
    assert!(out.contains("level 2 (Escalation managers, not in the policy: timed as level 1)"), "{out}");
    let shown = env.ok(&["--policy", one.to_str().unwrap(), "show", "C-1"]);
    assert!(shown.contains("level 2 (not in the current policy)"), "{shown}");
}
