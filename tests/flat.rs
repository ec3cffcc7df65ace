//! What keeps answers flat as the ledger grows, on both backends: the row counts
//! `ledger info` reads stay exact through every kind of write, and
//! `case list --eligible` (a query on opening times) lists exactly the cases
//! `check` finds eligible one by one; what is kept for open work alone (the open
//! cases' tags and rows) follows cases as they close and reopen.

#[macro_use]
mod common;

use common::{Backend, Env};

on_both!(
    ledger_info_counts_stay_exact,
    eligible_lists_what_check_finds,
    a_large_import_into_a_ledger_reads_right,
    due_finds_the_deadlines_by_the_horizon,
    report_reads_its_window_alone,
    closed_and_reopened_cases_read_as_ever,
    a_report_reads_the_escalations_events_and_analyses,
    an_open_case_with_the_longest_texts_is_kept_and_found
);

fn other(b: Backend) -> Backend {
    if b == Backend::Sqlite { Backend::Postgres } else { Backend::Sqlite }
}

/// The counts `ledger info` shows, and the rows the exports hold.
fn counts(env: &Env) -> ((i64, i64, i64), (i64, i64, i64)) {
    let v = env.json(&["ledger", "info"]);
    let shown = (v["cases"].as_i64().unwrap(), v["escalations"].as_i64().unwrap(), v["events"].as_i64().unwrap());
    let rows = |what: &str| env.ok(&["export", what]).lines().filter(|l| !l.trim().is_empty()).count() as i64;
    (shown, (rows("cases"), rows("escalations"), rows("events")))
}

fn assert_exact(env: &Env, step: &str) {
    let (shown, rows) = counts(env);
    assert_eq!(shown, rows, "after {step}: ledger info (cases, escalations, events) against the rows");
}

fn ledger_info_counts_stay_exact(b: Backend) {
    let mut env = Env::on(b);
    assert_exact(&env, "nothing");
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    assert_exact(&env, "case add");
    let file = env.dir.path().join("in.csv");
    let mut csv = String::from("id,customer,severity,tier,opened_at,tags\n");
    for i in 0..300 {
        csv.push_str(&format!("I-{i},Cust {},{},standard,2026-11-{:02}T10:00:00Z,a\n", i % 7, 2 + i % 3, 1 + i % 20));
    }
    csv.push_str("BAD,x,9,premium,2026-11-20T10:00:00Z,\n");
    std::fs::write(&file, &csv).unwrap();
    env.expect(2, &["case", "import", file.to_str().unwrap()]);
    assert_exact(&env, "a refused import");
    env.ok(&["case", "import", "--dry-run", "--skip-invalid", file.to_str().unwrap()]);
    assert_exact(&env, "a dry run");
    env.ok(&["case", "import", "--skip-invalid", file.to_str().unwrap()]);
    assert_exact(&env, "an import into a ledger with a case");
    env.ok(&["case", "import", "--upsert", "--skip-invalid", file.to_str().unwrap()]);
    assert_exact(&env, "an upsert");
    env.ok(&Env::request_args("C-1"));
    env.at("2026-11-23T17:00:00Z");
    env.ok(&["promote", "C-1", "--why", "No answer"]);
    env.ok(&["case", "update", "I-1", "--waiting"]);
    assert_exact(&env, "request, promote, update");
    let there = Env::on(other(b));
    env.ok(&["ledger", "copy", "--to", &there.location()]);
    assert_exact(&there, "ledger copy");
    let (shown, _) = counts(&env);
    assert_eq!(counts(&there).0, shown, "the copy counts what the source counts");
    // Into an empty ledger, the bulk path (its indexes built at the end) counts too.
    let empty = Env::on(b);
    empty.ok(&["case", "import", "--skip-invalid", file.to_str().unwrap()]);
    assert_exact(&empty, "an import into an empty ledger");
    assert_eq!(empty.json(&["case", "list", "--customer", "Cust 3"]).as_array().unwrap().len(), 43);
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

fn eligible_lists_what_check_finds(b: Backend) {
    let mut env = Env::on(b).with_policy(|t| t.replace("h clock\"", "h business\""));
    // Cases around the wait windows' ends at Monday 12:00, closed and waiting ones among them.
    let openings = ["2026-11-20T15:59:00Z", "2026-11-20T16:00:00Z", "2026-11-20T16:01:00Z", "2026-11-23T09:00:00Z"];
    let mut n = 0;
    for sev in [1, 2, 3, 4] {
        for tier in ["premium", "standard"] {
            for opened in openings.iter().chain(&["2026-11-18T10:00:00Z", "2026-11-13T10:00:00Z"]) {
                n += 1;
                env.case(&format!("E-{n}"), sev, tier, opened);
            }
        }
    }
    // Severity 2 on the premium tier: E-13 to E-18.
    env.ok(&["case", "close", "E-13"]);
    env.ok(&["case", "update", "E-16", "--waiting"]);
    env.ok(&Env::request_args("E-17"));
    for now in ["2026-11-23T12:00:00Z", "2026-11-23T12:01:00Z", "2026-11-24T09:30:00Z", "2026-11-30T09:00:00Z"] {
        env.at(now);
        let listed = ids(&env.json(&["case", "list", "--eligible", "--status", "all"]));
        let every = ids(&env.json(&["case", "list", "--status", "all"]));
        let checked: Vec<String> = every.into_iter().filter(|id| env.run(&["check", id]).0 == 0).collect();
        let mut sorted = listed.clone();
        sorted.sort();
        let mut expected = checked.clone();
        expected.sort();
        assert_eq!(sorted, expected, "at {now}");
        assert!(!listed.is_empty(), "at {now} some case is eligible");
    }
    assert_eq!(ids(&env.json(&["case", "list", "--eligible", "--status", "closed"])), Vec::<String>::new());
    let sev3 = ids(&env.json(&["case", "list", "--eligible", "--severity", "3", "--tier", "standard"]));
    assert!(!sev3.is_empty());
}

/// Past 50,000 cases an import into a ledger that has cases builds the case indexes
/// after the load (SQLite): the answers that use them come out the same.
fn a_large_import_into_a_ledger_reads_right(b: Backend) {
    let env = Env::on(b);
    env.case("OLD-1", 2, "premium", "2026-11-20T08:00:00Z");
    let file = env.dir.path().join("big.csv");
    let mut csv = String::from("id,customer,severity,tier,opened_at,status,closed_at\n");
    for i in 0..50_500 {
        let (status, closed) = if i % 1000 == 0 { ("open", "") } else { ("closed", "2026-11-21T00:00:00Z") };
        csv.push_str(&format!(
            "B-{i},Cust {},{},standard,2026-11-20T{:02}:00:00Z,{status},{closed}\n",
            i % 500,
            2 + i % 3,
            i % 24
        ));
    }
    std::fs::write(&file, &csv).unwrap();
    env.ok(&["case", "import", file.to_str().unwrap()]);
    assert_exact(&env, "a large import into a ledger with a case");
    let of = |args: &[&str]| env.json(args).as_array().unwrap().len();
    assert_eq!(of(&["case", "list", "--customer", "Cust 7", "--status", "all"]), 101);
    assert_eq!(of(&["case", "list", "--status", "open"]), 52);
    assert_eq!(of(&["case", "list", "--eligible"]), 52);
}

/// `due` asks the ledger only for the escalations whose deadlines can fall by the
/// horizon: reviews requested an hour apart come due one by one as it moves.
fn due_finds_the_deadlines_by_the_horizon(b: Backend) {
    let env = hourly_requests(b);
    let due = |within: &str| -> Vec<String> {
        let v = env.json(&["due", "--within", within]);
        v.as_array().unwrap().iter().map(|i| format!("{} {}", i["case"].as_str().unwrap(), i["kind"])).collect()
    };
    insta::allow_duplicates! {
        insta::assert_debug_snapshot!((due("0m"), due("1h"), due("3h"), due("3d")));
    }
}

/// Cases D-0 to D-3, their escalations requested at 09:00, 10:00, 11:00 and 12:00
/// on Monday 2026-11-23; the clock at 12:30.
fn hourly_requests(b: Backend) -> Env {
    let mut env = Env::on(b);
    env.at("2026-11-16T10:00:00Z");
    for i in 0..4 {
        env.case(&format!("D-{i}"), 2, "premium", "2026-11-16T09:00:00Z");
    }
    for (i, at) in ["09:00", "10:00", "11:00", "12:00"].iter().enumerate() {
        env.at(&format!("2026-11-23T{at}:00Z"));
        env.ok(&Env::request_args(&format!("D-{i}")));
    }
    env.at("2026-11-23T12:30:00Z");
    env
}

/// `report --since/--until` asks the ledger for the window's escalations only:
/// from `--since` on, up to but not including `--until`.
fn report_reads_its_window_alone(b: Backend) {
    let env = hourly_requests(b);
    let count = |args: &[&str]| {
        let mut all = vec!["report"];
        all.extend_from_slice(args);
        env.json(&all)["escalations"].as_u64().unwrap()
    };
    assert_eq!(count(&[]), 4);
    assert_eq!(count(&["--since", "2026-11-23T10:00:00Z"]), 3);
    assert_eq!(count(&["--since", "2026-11-23T10:00:01Z"]), 2);
    assert_eq!(count(&["--until", "2026-11-23T11:00:00Z"]), 2);
    assert_eq!(count(&["--since", "2026-11-23T10:00:00Z", "--until", "2026-11-23T11:00:01Z"]), 2);
    assert_eq!(count(&["--since", "2026-11-24T00:00:00Z"]), 0);
}

/// The tags' index holds the open cases' tags and the open cases' rows are read from
/// their own index: a case closed and reopened, by a command or an import, reads as
/// one never closed. `check`'s recurring pattern counts the open cases sharing a tag;
/// `list` names the customer of an escalation whether its case is open or closed.
fn closed_and_reopened_cases_read_as_ever(b: Backend) {
    let env = Env::on(b);
    let import = |rows: &[&str], upsert: bool| {
        let file = env.dir.path().join("tagged.csv");
        let head = "id,customer,severity,tier,opened_at,tags,status,closed_at\n";
        std::fs::write(&file, format!("{head}{}\n", rows.join("\n"))).unwrap();
        let mut args = vec!["case", "import", file.to_str().unwrap()];
        if upsert {
            args.push("--upsert");
        }
        env.ok(&args);
    };
    let closed = |id: &str, customer: &str| {
        format!("{id},{customer},3,standard,2026-11-20T08:00:00Z,sso,closed,2026-11-20T09:00:00Z")
    };
    let open = |id: &str, customer: &str| format!("{id},{customer},3,standard,2026-11-20T08:00:00Z,sso;eu,open,");
    import(&[&open("R-1", "Acme"), &open("R-2", "Beta"), &closed("R-3", "Core"), &closed("R-4", "Dyn")], false);
    let pattern = |id: &str| env.json(&["check", id])["signals"][0]["detail"].as_str().unwrap().to_string();
    let mut seen = vec![pattern("R-1")];
    env.ok(&["case", "reopen", "R-3"]);
    seen.push(pattern("R-1"));
    env.ok(&["case", "close", "R-2"]);
    seen.push(pattern("R-1"));
    import(&[&open("R-4", "Dyn")], true);
    seen.push(pattern("R-4"));
    import(&[&closed("R-4", "Dyn")], true);
    seen.push(pattern("R-1"));
    // Escalations of an open case and of a case closed since.
    env.ok(&Env::request_args("R-1"));
    env.ok(&Env::request_args("R-3"));
    env.ok(&["close", "R-3", "--note", "Fixed"]);
    env.ok(&["case", "close", "R-3"]);
    let list = env.json(&["list", "--state", "all"]);
    let listed: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["case"].as_str().unwrap(), e["customer"].as_str().unwrap_or("-")))
        .collect();
    insta::allow_duplicates! {
        insta::assert_debug_snapshot!((seen, listed));
    }
}

/// `report` reads the escalations' events and the cases' root-cause analyses, each
/// indexed apart from the rest of the log: an analysis recorded after the
/// escalation closed (an event of the case alone) counts as one recorded while it
/// was open (an event of the escalation).
fn a_report_reads_the_escalations_events_and_analyses(b: Backend) {
    let mut env = Env::on(b);
    for id in ["A-1", "A-2"] {
        env.case(id, 2, "premium", "2026-11-20T08:00:00Z");
        env.ok(&Env::request_args(id));
    }
    env.at("2026-11-24T17:00:00Z");
    env.ok(&["promote", "A-1", "--why", "Worse", "--yes"]);
    env.ok(&["promote", "A-2", "--why", "Worse", "--yes"]);
    env.at("2026-11-25T17:00:00Z");
    env.ok(&["promote", "A-1", "--why", "Worse still", "--yes"]);
    env.ok(&["promote", "A-2", "--why", "Worse still", "--yes"]);
    env.ok(&["rca", "A-1", "--done", "--link", "https://wiki.example/rca/1"]);
    env.ok(&["close", "A-2", "--note", "Fixed"]);
    env.ok(&["rca", "A-2", "--done", "--link", "https://wiki.example/rca/2"]);
    let v = env.json(&["report"]);
    insta::allow_duplicates! {
        insta::assert_debug_snapshot!((
            v["promotions"].clone(),
            v["to_close"].clone(),
            v["root_cause_analysis"].clone(),
        ));
    }
}

/// What is kept for open cases alone takes any case the ledger takes: a title of
/// 1,000 characters of three bytes each and a dozen tags (an index entry on
/// PostgreSQL holds at most about 2.7 kB), added, reopened and looked up by `list`.
fn an_open_case_with_the_longest_texts_is_kept_and_found(b: Backend) {
    let mut env = Env::on(b);
    let title: String = (0..1000u32).map(|i| char::from_u32(0x4E00 + i).unwrap()).collect();
    let tags: Vec<String> = (0..12).map(|i| format!("{}-{i}", "t".repeat(200))).collect();
    let mut add = vec!["case", "add", "L-1", "--customer", "Acme", "--severity", "2", "--tier", "premium"];
    add.extend(["--opened-at", "2026-11-20T08:00:00Z", "--title", &title]);
    for t in &tags {
        add.extend(["--tag", t.as_str()]);
    }
    env.ok(&add);
    env.ok(&["case", "close", "L-1"]);
    env.ok(&["case", "reopen", "L-1"]);
    env.ok(&Env::request_args("L-1"));
    let list = env.json(&["list"]);
    assert_eq!(list[0]["case"], "L-1", "{list}");
    let shown = env.json(&["case", "list"]);
    assert_eq!(shown[0]["title"].as_str().map(|t| t.chars().count()), Some(1000), "{shown}");
    env.at("2026-11-23T12:00:00Z");
    assert_eq!(env.json(&["check", "L-1"])["case"], "L-1");
}
