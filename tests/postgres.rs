//! The PostgreSQL ledger's edges: how a URL is read (passwords from the URL,
//! PGPASSWORD or ~/.pgpass; sslmode; the config file), what a bad location
//! says, and a server lost in the middle of a command.

mod common;
use std::time::{Duration, Instant};

use common::{Env, pg};

/// A test environment whose ledger is `url` (not the Env's own database).
fn with_ledger(env: &Env, url: &str, args: &[&str]) -> (i32, String, String) {
    let out = env.cmd().env("ESCALATE_LEDGER", url).args(args).output().expect("run escalate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn add(id: &str) -> Vec<&str> {
    vec!["case", "add", id, "--customer", "x", "--severity", "3", "--tier", "standard"]
}

#[test]
fn bad_locations_exit_4_naming_the_server_never_the_password() {
    let env = Env::postgres();
    let server = pg::server();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let db = server.create_db();
    let wrong_password = format!("postgresql://postgres:not-{}@127.0.0.1:{}/{db}", pg::PASSWORD, server.port());
    let cases = [
        (format!("postgresql://sam:s3cret-pw@127.0.0.1:{closed}/team"), format!("127.0.0.1:{closed}/team")),
        (wrong_password, "password authentication failed".to_string()),
        (server.url("no_such_db"), "database \"no_such_db\" does not exist".to_string()),
        (format!("postgresql://postgres@127.0.0.1:{}/{db}?sslmode=require", server.port()), format!("/{db}")),
    ];
    for (url, want) in cases {
        for args in [&["list"][..], &add("C-1")] {
            let t = Instant::now();
            let (code, out, err) = with_ledger(&env, &url, args);
            assert_eq!(code, 4, "{url}: {out}{err}");
            assert!(t.elapsed() < Duration::from_secs(10), "within the connect timeout: {url}");
            assert!(err.contains(&want), "{url}: wanted {want:?} in {err}");
            assert!(!err.contains("s3cret-pw") && !err.contains(pg::PASSWORD), "a password leaked: {err}");
        }
    }
    let bad = format!("postgresql://postgres@127.0.0.1:{}/{db}?sslmode=sometimes", server.port());
    let (code, _, err) = with_ledger(&env, &bad, &["list"]);
    assert_eq!(code, 2, "a malformed URL is bad input: {err}");
    assert!(err.contains("invalid sslmode \"sometimes\"") && err.contains("accepted: disable"), "{err}");
    assert_eq!(pg::dump(&server.url(&db)), "<no tables>");
}

#[test]
fn the_password_comes_from_the_url_pgpassword_or_pgpass() {
    let env = Env::postgres();
    let server = pg::server();
    let db = server.create_db();
    let bare = server.tcp_url(&db, false);
    let (code, _, err) = with_ledger(&env, &bare, &add("A"));
    assert_eq!(code, 4, "no password, no entry: {err}");
    let (code, _, err) = with_ledger(&env, &server.tcp_url(&db, true), &add("A"));
    assert_eq!(code, 0, "{err}");
    let out = env.cmd().env("ESCALATE_LEDGER", &bare).env("PGPASSWORD", pg::PASSWORD).args(add("B")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // ~/.pgpass: used when private, ignored (with a warning) when others may read it.
    let pgpass = env.dir.path().join(".pgpass");
    std::fs::write(&pgpass, format!("# team\n127.0.0.1:{}:{db}:postgres:{}\n", server.port(), pg::PASSWORD)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, err) = with_ledger(&env, &bare, &add("C"));
    assert_eq!(code, 0, "{err}");
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = with_ledger(&env, &bare, &add("D"));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("has group or world access; ignored"), "{err}");
    let (_, out, _) = with_ledger(&env, &server.tcp_url(&db, true), &["ledger", "info", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["location"], format!("postgresql://postgres:***@127.0.0.1:{}/{db}", server.port()));
    assert_eq!(v["cases"], 3);
    assert!(!out.contains(pg::PASSWORD));
}

#[test]
fn the_config_file_names_the_team_ledger_and_flags_win() {
    let env = Env::postgres();
    let server = pg::server();
    let config_dir = env.dir.path().join("config/escalate");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = config_dir.join("config.toml");
    let team = server.url(&server.create_db());
    std::fs::write(&config, format!("ledger = {team:?}\n")).unwrap();
    let out = env.cmd().env_remove("ESCALATE_LEDGER").args(add("T-1")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(pg::dump(&team).contains("cases: (T-1,"), "the config's ledger was used");
    // The environment and the flag come first.
    let file = env.dir.path().join("mine.db");
    let out = env.cmd().env("ESCALATE_LEDGER", &file).args(add("F-1")).output().unwrap();
    assert!(out.status.success() && file.exists());
    let out = env.cmd().env("ESCALATE_LEDGER", &file).arg("--ledger").arg(&team).args(add("F-2")).output().unwrap();
    assert!(out.status.success() && pg::dump(&team).contains("cases: (F-2,"));
    // A password in a config file others can read is refused; unknown keys name their line.
    std::fs::write(&config, "ledger = \"postgresql://u:pw@127.0.0.1/x\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.cmd().env_remove("ESCALATE_LEDGER").args(["list"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("holds a password or secrets but is readable by others") && !err.contains(":pw@"), "{err}");
    std::fs::write(&config, "legder = \"x\"\n").unwrap();
    let out = env.cmd().env_remove("ESCALATE_LEDGER").args(["list"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:1:1: unknown field `legder`"), "{err}");
}

/// A CSV of `n` cases, for an import that takes a while.
fn big_csv(env: &Env, n: usize) -> std::path::PathBuf {
    let mut csv = String::from("id,customer,severity,tier,opened_at\n");
    for i in 0..n {
        csv.push_str(&format!("B-{i},Customer {},3,standard,2026-11-{:02}T10:00:00Z\n", i % 100, 1 + i % 20));
    }
    let path = env.dir.path().join("big.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn a_server_lost_mid_command_leaves_nothing_half_written() {
    let own = pg::OwnServer::start();
    let url = own.url(&own.create_db());
    let env = Env::at_url(url.clone());
    env.case("BEFORE", 3, "standard", "2026-11-20T08:00:00Z");
    let csv = big_csv(&env, 300_000);
    let child = env
        .std_cmd()
        .args(["case", "import", csv.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let it get going, then take the server away.
    std::thread::sleep(Duration::from_millis(1500));
    own.stop();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    eprintln!("mid-import: {err}");
    assert!(err.starts_with("error: ") && !err.contains("cannot connect"), "lost mid-command, not before: {err}");
    // While it is down: exit 4 naming it.
    let (code, _, err) = env.run(&["list"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("cannot connect to the PostgreSQL ledger"), "{err}");
    own.start_again();
    let v = env.json(&["ledger", "info"]);
    assert_eq!((v["cases"].as_i64(), v["events"].as_i64()), (Some(1), Some(1)), "the import left nothing behind");
    env.case("AFTER", 3, "standard", "2026-11-20T08:00:00Z");
    assert_eq!(env.json(&["ledger", "info"])["cases"], 2);
}

#[test]
fn a_server_that_never_answers_times_out_and_a_held_row_is_waited_for_no_longer_than_sqlite() {
    let env = Env::postgres();
    // A listener that accepts and then says nothing.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let url = format!("postgresql://postgres@127.0.0.1:{port}/x?connect_timeout=1&sslmode=disable");
    let t = Instant::now();
    let (code, _, err) = with_ledger(&env, &url, &["list"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("no answer within 1 s"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    drop(silent);
    // Another session holds the case's row: the writer gives up with exit 4.
    env.case("K-5", 3, "standard", "2026-11-20T08:00:00Z");
    let mut holder = postgres::Client::connect(env.pg.as_ref().unwrap(), postgres::NoTls).unwrap();
    let mut tx = holder.transaction().unwrap();
    tx.execute("SELECT id FROM cases WHERE id = 'K-5' FOR UPDATE", &[]).unwrap();
    let t = Instant::now();
    let (code, _, err) = env.run(&["case", "update", "K-5", "--title", "x"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("another command has held what this one needs (the case, its account"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    tx.rollback().unwrap();
    env.ok(&["case", "update", "K-5", "--title", "x"]);
}

#[test]
fn help_never_shows_the_ledger_password_and_a_mistyped_scheme_is_refused() {
    let env = Env::new();
    let secret = "postgresql://sam:s3cret-pw@127.0.0.1:1/team";
    for args in [&["--help"][..], &["case", "add", "--help"]] {
        let out = env.cmd().env("ESCALATE_LEDGER", secret).args(args).output().unwrap();
        assert!(out.status.success());
        assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret-pw"));
    }
    for typo in ["pg://sam:s3cret-pw@127.0.0.1/team", "postgresql:/sam:s3cret-pw@127.0.0.1/team"] {
        let (code, _, err) =
            with_ledger(&env, typo, &["case", "add", "X-1", "--customer", "c", "--severity", "3", "--tier", "premium"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("is not a ledger location") && !err.contains("s3cret-pw"), "{err}");
    }
    let (code, _, err) = with_ledger(&env, "postgresql://sam@127.0.0.1:notaport/team", &["list"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid PostgreSQL URL") && err.contains("the form is postgresql://"), "{err}");
    assert_eq!(std::fs::read_dir(env.dir.path()).unwrap().count(), 0, "nothing was created");
}

#[test]
fn ids_sort_the_same_whatever_the_database_collation() {
    let server = pg::server();
    server.psql(
        "postgres",
        "CREATE DATABASE coll TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
    );
    let pg_env = Env::at_url(server.url("coll"));
    let file_env = Env::new();
    for env in [&pg_env, &file_env] {
        for id in ["b-1", "B-2", "a-3", "A-4", "_x", "\u{c4}B-5", "Z-6"] {
            env.case(id, 3, "standard", "2026-11-20T08:00:00Z");
        }
    }
    assert_eq!(pg_env.ok(&["case", "list"]), file_env.ok(&["case", "list"]));
    assert_eq!(pg_env.ok(&["export", "cases"]), file_env.ok(&["export", "cases"]));
}

#[test]
fn a_config_ledger_path_is_home_or_config_relative() {
    let env = Env::new();
    let dir = env.dir.path().join("config/escalate");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "ledger = \"~/team.db\"\n").unwrap();
    let out = env.cmd().env_remove("ESCALATE_LEDGER").args(add("H-1")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(env.dir.path().join("team.db").exists(), "~ is the home directory");
    std::fs::write(dir.join("config.toml"), "ledger = \"near.db\"\n").unwrap();
    let out = env.cmd().env_remove("ESCALATE_LEDGER").current_dir("/").args(add("H-2")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("near.db").exists(), "a relative path is relative to the config file");
}

#[test]
fn an_import_into_an_empty_ledger_leaves_every_index_and_key_in_place() {
    let server = pg::server();
    let db = server.create_db();
    let env = Env::at_url(server.url(&db));
    let indexes = "SELECT indexname FROM pg_indexes WHERE tablename IN ('cases', 'case_tags') ORDER BY 1";
    env.ok(&["ledger", "migrate"]);
    let before = server.psql(&db, indexes);
    let file = env.dir.path().join("tagged.csv");
    std::fs::write(
        &file,
        "id,customer,severity,tier,opened_at,tags\n\
         T-1,Acme,2,premium,2026-11-20T08:00:00Z,api;login\n\
         T-2,Acme,3,standard,2026-11-20T09:00:00Z,api\n",
    )
    .unwrap();
    env.ok(&["case", "import", file.to_str().unwrap()]);
    assert_eq!(server.psql(&db, indexes), before);
    assert!(before.contains("case_tags_pkey") && before.contains("cases_open_by"), "{before}");
    // The tags' key holds again: a tag already there is not added twice.
    let twice = server.psql(&db, "INSERT INTO case_tags VALUES ('api', 'T-1') ON CONFLICT DO NOTHING RETURNING tag");
    assert_eq!(twice, "");
    assert_eq!(server.psql(&db, "SELECT count(*) FROM case_tags"), "3");
}
