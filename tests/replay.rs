//! `policy replay` and `policy diff`: the recorded history evaluated again under
//! another policy, read-only, on both backends; a policy compared key by key.
#[macro_use]
mod common;

use common::{Backend, Env, repo};

on_both!(a_stricter_policy_replayed_over_history_changes_nothing_in_the_ledger);

/// The policy in force with a longer wait for severity 2 on premium, a shorter level 1
/// review and one named decider.
fn stricter(env: &Env) -> String {
    let text = std::fs::read_to_string(repo().join("policy.toml"))
        .expect("policy.toml")
        .replace(
            "wait = { premium = \"4h clock\", standard = \"8h clock\" }",
            "wait = { premium = \"8h clock\", standard = \"8h clock\" }",
        )
        .replacen("review = \"4h business\"", "review = \"2h business\"", 1)
        .replace("deciders = []", "deciders = [\"erin\"]");
    let path = env.dir.path().join("stricter.toml");
    std::fs::write(&path, text).expect("write the new policy");
    path.display().to_string()
}

/// Two cases: C-1 requested, rejected by rita, promoted; C-2 requested.
fn history(b: Backend) -> Env {
    let mut env = Env::on(b);
    env.case("C-1", 2, "premium", "2026-11-23T06:00:00Z");
    env.case("C-2", 3, "standard", "2026-11-20T08:00:00Z");
    env.ok(&Env::request_args("C-1"));
    env.ok(&Env::request_args("C-2"));
    env.at("2026-11-23T13:00:00Z");
    let (code, _, err) = env.run_as("rita", &["decide", "C-1", "reject", "--note", "Not enough facts"]);
    assert_eq!(code, 0, "{err}");
    env.at("2026-11-23T14:00:00Z");
    env.ok(&["promote", "C-1", "--why", "The customer's launch is Friday"]);
    env
}

fn shown(env: &Env, args: &[&str]) -> String {
    let (code, out, err) = env.run(args);
    format!("exit {code}\n{out}{err}")
}

fn a_stricter_policy_replayed_over_history_changes_nothing_in_the_ledger(b: Backend) {
    let env = history(b);
    let new = stricter(&env);
    let before = env.dump();
    let table = shown(&env, &["policy", "replay", &new]);
    let since = shown(&env, &["policy", "replay", &new, "--since", "2026-11-23 12:30", "--format", "csv"]);
    let json = env.json(&["policy", "replay", &new]);
    assert_eq!(env.dump(), before, "replay wrote to the ledger");
    let table = table.replace(&new, "stricter.toml");
    insta::assert_snapshot!("replay_stricter", format!("{table}\n{since}"));
    let s = &json["summary"];
    assert_eq!((s["requests"]["total"].as_i64(), s["requests"]["refused"].as_i64()), (Some(2), Some(1)));
    assert_eq!(s["decisions"]["refused"].as_i64(), Some(1));
    assert_eq!(s["eligible_at"]["later_median_minutes"].as_i64(), Some(240));
    let first = &json["changes"][0];
    assert_eq!((first["case"].as_str(), first["act"].as_str()), (Some("C-1"), Some("request")));
    assert_eq!(first["blocked"][0].as_str(), Some("wait-window"));
    assert_eq!(first["allowed_at"].as_str(), Some("2026-11-23T14:00:00Z"));
}

#[test]
fn the_policy_in_force_replayed_changes_nothing() {
    let env = history(Backend::Sqlite);
    let same = repo().join("policy.toml").display().to_string();
    let out = env.ok(&["policy", "replay", &same]);
    assert!(out.contains("No case changes under the new policy."), "{out}");
    assert!(out.contains("Requests: 2 replayed, none would be refused."), "{out}");
}

#[test]
fn an_invalid_policy_is_exit_3_with_file_line_and_column_and_the_ledger_is_not_opened() {
    let env = history(Backend::Sqlite);
    std::fs::write(env.dir.path().join("bad.toml"), "[policy]\nname = \"x\"\n[levels.1\nreview = 4\n").unwrap();
    let (code, out, err) = env.run(&["policy", "replay", "bad.toml"]);
    assert_eq!((code, out.as_str()), (3, ""), "{err}");
    assert!(err.contains("bad.toml:3:"), "file:line:col expected: {err}");
    let (code, _, err) = env.run(&["policy", "replay", "missing.toml"]);
    assert_eq!(code, 3, "{err}");
    let good = repo().join("policy.toml").display().to_string();
    let (code, _, err) = env.run(&["policy", "replay", &good, "--since", "yesterday-ish"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_diff_names_each_changed_key_in_words_and_as_json() {
    let env = Env::new();
    let new = stricter(&env);
    let old = repo().join("policy.toml").display().to_string();
    let out = shown(&env, &["policy", "diff", &old, &new]).replace(&new, "stricter.toml").replace(&old, "policy.toml");
    insta::assert_snapshot!("diff_stricter", out);
    let json = env.json(&["policy", "diff", &old, &new]);
    let keys: Vec<String> = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            format!(
                "{}.{}",
                c["section"].as_str().unwrap(),
                c["path"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect::<Vec<_>>().join(".")
            )
        })
        .collect();
    assert_eq!(keys, ["severities.2.wait.premium", "levels.1.review", "decisions.deciders"]);
    let same = env.ok(&["policy", "diff", &old, &old]);
    assert!(same.ends_with("are the same policy: no key differs.\n"), "{same}");
}
