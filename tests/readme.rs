//! The README's console transcripts are run for real and must match.
//! `UPDATE_README=1 cargo test --test readme` rewrites them from real output.

mod common;
use common::Env;

struct Step {
    command: String,
    output: String,
}

/// Split a command line the way a POSIX shell would for simple quoting.
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut any) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                any = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                any = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            '\\' => cur.extend(chars.next()),
            c if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The `console` blocks of the README: (line index of the block start, steps).
fn blocks(readme: &str) -> Vec<(usize, usize, Vec<Step>)> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "```console" {
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && lines[end].trim() != "```" {
                end += 1;
            }
            let mut steps: Vec<Step> = Vec::new();
            for l in &lines[start..end] {
                if let Some(cmd) = l.strip_prefix("$ ") {
                    steps.push(Step { command: cmd.to_string(), output: String::new() });
                } else if let Some(s) = steps.last_mut() {
                    s.output.push_str(l);
                    s.output.push('\n');
                }
            }
            found.push((start, end, steps));
            i = end;
        }
        i += 1;
    }
    found
}

/// Run one step: `export K=V ...` sets the environment; `escalate ...` runs.
fn run(env: &mut Vec<(String, String)>, t: &Env, command: &str) -> String {
    let (command, want_code) = match command.rsplit_once("# exit ") {
        Some((c, code)) => (c.trim(), code.trim().parse::<i32>().expect("exit code")),
        None => (command.trim(), 0),
    };
    let w = words(command);
    if w[0] == "export" {
        for kv in &w[1..] {
            let (k, v) = kv.split_once('=').expect("export K=V");
            env.push((k.into(), v.into()));
        }
        return String::new();
    }
    assert_eq!(w[0], "escalate", "README commands run escalate or export: {command}");
    let mut cmd = t.cmd();
    cmd.env_remove("ESCALATE_LEDGER").env_remove("ESCALATE_NOW").env_remove("ESCALATE_ACTOR");
    for (k, v) in env.iter() {
        cmd.env(k, v);
    }
    let out = cmd.args(&w[1..]).output().expect("run");
    assert_eq!(out.status.code(), Some(want_code), "`{command}` exit code\n{}", String::from_utf8_lossy(&out.stderr));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n") + if text.is_empty() { "" } else { "\n" }
}

/// A fresh environment holding a copy of examples/data, as the README's
/// pipeline examples read `examples/data/tickets.csv`.
fn fresh() -> Env {
    fresh_on(Env::new())
}

/// The same in a given environment; a PostgreSQL ledger is named in the config file,
/// as a team would name it, since the transcripts set no ledger of their own.
fn fresh_on(t: Env) -> Env {
    if let Some(url) = &t.pg {
        let dir = t.dir.path().join("config/escalate");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), format!("ledger = {url:?}\n")).unwrap();
    }
    let dir = t.dir.path().join("examples/data");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(common::repo().join("examples/data")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    t
}

#[test]
fn the_readme_transcripts_are_true_on_postgresql() {
    // The tour's story on a team ledger: the same commands, the same output.
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let t = fresh_on(Env::postgres());
    let mut env = Vec::new();
    for (_, _, steps) in blocks(&readme) {
        for s in steps {
            let got = run(&mut env, &t, &s.command);
            assert_eq!(got.trim_end(), s.output.trim_end(), "README output of `{}` differs on PostgreSQL", s.command);
        }
    }
    assert!(t.dump().contains("escalations: (1,ACME-1042,2"), "the tour wrote to PostgreSQL:\n{}", t.dump());
}

#[test]
fn the_readme_transcripts_are_true() {
    let path = common::repo().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let t = fresh();
    let mut env = Vec::new();
    let update = std::env::var_os("UPDATE_README").is_some();
    let mut lines: Vec<String> = readme.lines().map(str::to_string).collect();
    let mut count = 0;
    for (_, _, steps) in blocks(&readme) {
        for s in steps {
            let got = run(&mut env, &t, &s.command);
            count += 1;
            if !update {
                assert_eq!(got.trim_end(), s.output.trim_end(), "README output of `{}` differs", s.command);
            }
        }
    }
    assert!(count >= 10, "the README should show the tour ({count} commands found)");
    if update {
        // Rewrite each block from real output, in a fresh environment, in order.
        let t = fresh();
        let mut env = Vec::new();
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            out.push(lines[i].clone());
            if lines[i].trim() == "```console" {
                i += 1;
                while i < lines.len() && lines[i].trim() != "```" {
                    if let Some(cmd) = lines[i].strip_prefix("$ ") {
                        out.push(lines[i].clone());
                        let got = run(&mut env, &t, cmd);
                        out.extend(got.lines().map(str::to_string));
                    }
                    i += 1;
                }
                continue;
            }
            i += 1;
        }
        lines = out;
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
}

#[test]
fn the_walkthrough_example_runs() {
    let t = Env::new();
    let out = std::process::Command::new("bash")
        .arg(common::repo().join("examples/walkthrough.sh"))
        .env("ESCALATE_BIN", assert_cmd::cargo::cargo_bin!("escalate"))
        .env("COLUMNS", "100")
        .current_dir(t.dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    for want in [
        "NOT ELIGIBLE yet",
        "ELIGIBLE to escalate now",
        "Requested escalation #1",
        "Promoted escalation #1",
        "outage process",
        "promoted",
    ] {
        assert!(text.contains(want), "walkthrough lacks {want:?}:\n{text}");
    }
}

/// The README's JSON tables: object name -> [(field, type)], in order.
fn json_tables(readme: &str) -> Vec<(String, Vec<(String, String)>)> {
    let section = readme.split("\n## JSON\n").nth(1).expect("a JSON section").split("\n## ").next().unwrap();
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in section.lines() {
        if let Some(name) = line.strip_prefix("### ") {
            out.push((name.trim().to_string(), Vec::new()));
        } else if let (Some(row), Some((_, fields))) = (line.strip_prefix("| `"), out.last_mut()) {
            let cells: Vec<&str> = row.split(" | ").collect();
            fields.push((cells[0].trim_end_matches('`').to_string(), cells[1].trim().to_string()));
        }
    }
    out
}

fn has_type(v: &serde_json::Value, ty: &str) -> bool {
    if let Some(base) = ty.strip_suffix(" or null") {
        return v.is_null() || has_type(v, base);
    }
    match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "number" => v.is_number(),
        "time" => v.as_str().is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z')),
        other => panic!("the README names an unknown type {other:?}"),
    }
}

#[test]
fn the_readme_json_tables_match_real_output() {
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let tables = json_tables(&readme);
    let mut env = Env::new();
    env.case("C-1", 2, "premium", "2026-11-20T08:00:00Z");
    env.case("C-2", 3, "standard", "2026-11-23T08:00:00Z");
    env.ok(&["case", "update", "C-2", "--waiting"]);
    let requested = env.json(&Env::request_args("C-1"));
    env.at("2026-11-23T12:10:00Z");
    let cmd = |args: &[&str]| {
        let out = env.cmd().env("ESCALATE_ACTOR", "rita").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    cmd(&["decide", "C-1", "reject", "--note", "Need the HAR file"]);
    env.ok(&["handoff", "C-1", "--to", "lee", "--note", "Over to you"]);
    env.ok(&["update", "C-1", "--note", "Told them", "--next", "2026-11-24T10:00:00Z"]);
    let bad = env.dir.path().join("bad.ndjson");
    std::fs::write(
        &bad,
        "{\"id\":\"N-1\",\"customer\":\"x\",\"severity\":2,\"tier\":\"premium\"}\n{\"id\":\"N-2\"}\n[]\n",
    )
    .unwrap();
    let summary = env.json(&["case", "import", "--skip-invalid", bad.to_str().unwrap()]);
    let (_, err) = env.expect(2, &["--json", "check", "NOPE"]);
    let error: serde_json::Value = serde_json::from_str(err.trim()).unwrap();

    let items = |v: serde_json::Value| v.as_array().cloned().unwrap_or_default();
    let check = env.json(&["check", "C-2", "--to", "l2", "--reason", "lack-of-progress"]);
    let show = env.json(&["show", "C-1"]);
    let mut events = items(show["events"].clone());
    events.extend(env.ok(&["export", "events"]).lines().map(|l| serde_json::from_str(l).unwrap()));
    let mut escalations = items(env.json(&["list", "--state", "all"]));
    escalations.push(requested);
    let instances: Vec<(&str, Vec<serde_json::Value>)> = vec![
        ("Case", items(env.json(&["case", "list"]))),
        ("Rule", items(check["rules"].clone())),
        ("SLA", vec![check["sla"].clone(), env.json(&["check", "C-1"])["sla"].clone()]),
        ("Signal", items(check["signals"].clone())),
        ("Check", vec![check]),
        ("Escalation", escalations),
        ("Due item", items(env.json(&["due", "--within", "2d"]))),
        ("Event", events),
        ("Show", vec![show]),
        ("Import error", items(summary["errors"].clone())),
        (
            "Package document",
            vec![
                env.json(&["package", "C-1"]),
                env.json(&["package", "C-1", "--summary", "S", "--deadline", "2026-11-30"]),
            ],
        ),
        ("Report", vec![env.json(&["report"]), env.json(&["report", "--since", "2027-01-01"])]),
        ("Import summary", vec![summary]),
        ("Ledger info", vec![env.json(&["ledger", "info"]), Env::new().json(&["ledger", "info"])]),
        ("Error", vec![error]),
    ];
    // Export writes the stored fields and the pauses: the Case table without the derived
    // `sla`; lists show `sla` but not the pauses.
    let case_fields: Vec<String> = tables
        .iter()
        .find(|(n, _)| n == "Case")
        .unwrap()
        .1
        .iter()
        .map(|(f, _)| f.clone())
        .filter(|f| f != "sla")
        .collect();
    let tables: Vec<(String, Vec<(String, String)>)> = tables
        .into_iter()
        .map(|(n, f)| if n == "Case" { (n, f.into_iter().filter(|(k, _)| k != "pauses").collect()) } else { (n, f) })
        .collect();
    for line in env.ok(&["export", "cases"]).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, case_fields, "export cases writes the Case fields but sla");
    }
    let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
    for (name, _) in &instances {
        assert!(names.contains(name), "the README has no table for {name}");
    }
    for (name, fields) in &tables {
        let (_, objects) = instances.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no test for {name}"));
        assert!(objects.len() >= 2 || ["Check", "Show", "Import summary", "Error"].contains(&name.as_str()), "{name}");
        assert!(!objects.is_empty(), "no {name} objects to check");
        for obj in objects {
            let keys: Vec<&String> = obj.as_object().expect("an object").keys().collect();
            let documented: Vec<&String> = fields.iter().map(|(f, _)| f).collect();
            assert_eq!(keys, documented, "{name}: the README's fields differ from the real ones");
            for (f, ty) in fields {
                assert!(has_type(&obj[f.as_str()], ty), "{name}.{f} should be {ty}, is {}", obj[f.as_str()]);
            }
        }
    }
}
