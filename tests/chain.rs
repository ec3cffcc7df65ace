//! The tamper-evident event log on both backends: an untouched ledger
//! verifies; a changed field, a deleted event, a deleted tail (against a
//! checkpoint) and two reordered events are each caught and named; imports,
//! copies and the chaining migration write the same chain.

#[macro_use]
mod common;

use common::{Backend, Env, sql};

on_both!(
    an_untouched_ledger_verifies_and_an_empty_one_too,
    a_changed_field_is_named,
    a_table_edited_around_escalate_is_named,
    a_case_edited_around_escalate_is_named,
    a_forged_decision_or_a_moved_touch_point_is_named,
    a_removed_pause_and_an_edited_policy_are_named,
    a_tags_index_that_parts_from_the_cases_is_named,
    forged_package_fields_and_spanned_cases_are_named,
    a_key_that_is_not_one_is_bad_input,
    a_deleted_event_is_named,
    a_deleted_tail_is_caught_by_a_checkpoint,
    reordered_events_are_named,
    a_checkpoint_of_another_ledger_is_refused,
    imports_and_the_chaining_migration_write_the_same_chain,
);

/// The append-only guard lifted, as an attacker with database access would.
fn unguarded(env: &Env, statement: &str) {
    match env.pg {
        Some(_) => sql(
            env,
            &format!(
                "ALTER TABLE events DISABLE TRIGGER events_append_only; {statement}; \
                 ALTER TABLE events ENABLE TRIGGER events_append_only;"
            ),
        ),
        None => sql(env, &format!("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; {statement};")),
    }
}

/// A ledger of four cases (four events) and an escalation (a fifth, sixth).
fn story(b: Backend) -> Env {
    let env = Env::on(b);
    for i in 1..=4 {
        env.case(&format!("C-{i}"), 2, "premium", "2026-11-20T08:00:00Z");
    }
    env.ok(&Env::request_args("C-1"));
    env.ok(&["update", "C-1", "--note", "Called the customer"]);
    env
}

/// The message of a verify that fails with "altered" (exit 7).
fn altered(env: &Env, args: &[&str]) -> String {
    let (_, err) = env.expect(7, args);
    err.trim_end().to_string()
}

fn an_untouched_ledger_verifies_and_an_empty_one_too(b: Backend) {
    let env = Env::on(b);
    assert_eq!(
        env.ok(&["ledger", "verify"]),
        "The event log verifies: 0 events, each following the one before; head \
         0000000000000000000000000000000000000000000000000000000000000000.\nOrigin escalate-ledger-empty.\n\
         The escalations table agrees with it.\n"
    );
    let env = story(b);
    let before = env.dump();
    let v = env.json(&["ledger", "verify"]);
    assert_eq!(v["events"], 6);
    assert_eq!(v["verified"], true);
    assert_eq!(env.dump(), before, "verify writes nothing");
}

fn a_changed_field_is_named(b: Backend) {
    let env = story(b);
    unguarded(&env, "UPDATE events SET actor = 'mallory' WHERE seq = 5");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @"error: the ledger was altered: event 5 (requested of case C-1) does not match its hash: it was changed after it was written (after 4 good events)"
    ) }
}

/// The chain is whole, and the table an approval was forged in (or an owner
/// changed) around escalate disagrees with it; nothing is signed over it.
fn a_table_edited_around_escalate_is_named(b: Backend) {
    let env = story(b);
    unguarded(
        &env,
        "UPDATE escalations SET state = 'approved', decision = 'approved', decided_by = 'erin' WHERE id = 1",
    );
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @r#"error: the ledger was altered around escalate: escalation #1's state is "approved" in the escalations table, and its events leave it "requested" (the event log itself verifies)"#
    ) }
    let cp = env.dir.path().join("checkpoint.txt");
    let (_, err) = env.expect(7, &["ledger", "checkpoint", "--output", cp.to_str().unwrap()]);
    assert!(err.contains("escalation #1's state is \"approved\""), "{err}");
    assert!(!cp.exists(), "a checkpoint was signed over an altered ledger");
    sql(&env, "UPDATE escalations SET state = 'requested', owner = 'mallory' WHERE id = 1");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @r#"error: the ledger was altered around escalate: escalation #1's owner is "mallory" in the escalations table, and its events leave it "alice" (the event log itself verifies)"#
    ) } // A review deadline moved (promote judges by it) is named too.
    sql(&env, "UPDATE escalations SET owner = 'alice', review_due_at = '2026-11-20T00:00:00Z' WHERE id = 1");
    let err = altered(&env, &["ledger", "verify"]);
    assert!(
        err.contains("escalation #1's review_due_at is \"2026-11-20T00:00:00Z\" in the escalations table"),
        "{err}"
    );
}

/// A case's row moved or removed around escalate (its opening decides its wait
/// window) disagrees with the events that added and changed it.
fn a_case_edited_around_escalate_is_named(b: Backend) {
    let env = story(b);
    env.ok(&["case", "update", "C-2", "--priority", "high"]);
    env.ok(&["ledger", "verify", "--cases"]);
    sql(&env, "UPDATE cases SET opened_at = '2026-11-01T00:00:00Z', priority = 'low' WHERE id = 'C-2'");
    // The chain and the escalations alone do not see it: the cases' pass does.
    env.ok(&["ledger", "verify"]);
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify", "--cases"]),
        @r#"error: the ledger was altered around escalate: case C-2's opened_at is "2026-11-01T00:00:00Z" in the cases table, and its events leave it "2026-11-20T08:00:00Z" (the event log itself verifies)"#
    ) }
    sql(&env, "UPDATE cases SET opened_at = '2026-11-20T08:00:00Z', priority = 'high' WHERE id = 'C-2'");
    env.ok(&["ledger", "verify", "--cases"]);
    sql(&env, "DELETE FROM cases WHERE id = 'C-4'");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify", "--cases"]),
        @"error: the ledger was altered around escalate: case C-4 was added in the event log, and the cases table does not hold it (the event log itself verifies)"
    ) }
}

/// What `show` and `due` read beyond the state: who decided, and the touch-point
/// promised to the customer (a cron job's `due --overdue` goes quiet if it moves).
fn a_forged_decision_or_a_moved_touch_point_is_named(b: Backend) {
    let env = story(b);
    sql(&env, "UPDATE escalations SET decided_by = 'mallory', decision_note = 'forged approval' WHERE id = 1");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @r#"error: the ledger was altered around escalate: escalation #1's decided_by is "mallory" in the escalations table, and its events leave it "none" (the event log itself verifies)"#
    ) }
    sql(&env, "UPDATE escalations SET decided_by = NULL, decision_note = NULL WHERE id = 1");
    env.ok(&["ledger", "verify"]);
    sql(&env, "UPDATE escalations SET next_touch_at = '2026-12-30T00:00:00Z' WHERE id = 1");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @r#"error: the ledger was altered around escalate: escalation #1's next_touch_at is "2026-12-30T00:00:00Z" in the escalations table, and its events leave it "none" (the event log itself verifies)"#
    ) }
}

/// A wait on the customer removed (the case's wait window then ends earlier) and a
/// kept policy's text edited (`policy replay` reads it by digest) are named.
fn a_removed_pause_and_an_edited_policy_are_named(b: Backend) {
    let mut env = story(b);
    env.ok(&["case", "update", "C-2", "--waiting"]);
    env.at("2026-11-23T15:00:00Z");
    env.ok(&["case", "update", "C-2", "--resume"]);
    env.ok(&["case", "update", "C-3", "--waiting"]);
    env.ok(&["ledger", "verify", "--cases"]);
    sql(&env, "DELETE FROM pauses WHERE case_id = 'C-2'");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify", "--cases"]),
        @r#"error: the ledger was altered around escalate: case C-2's waits on the customer are [] in the pauses table, and its events leave them [{"started_at":"2026-11-23T12:00:00Z","ended_at":"2026-11-23T15:00:00Z"}] (the event log itself verifies)"#
    ) }
    sql(
        &env,
        "INSERT INTO pauses (case_id, started_at, ended_at) VALUES ('C-2', '2026-11-23T12:00:00Z', '2026-11-23T15:00:00Z')",
    );
    env.ok(&["ledger", "verify", "--cases"]);
    sql(&env, "UPDATE policies SET text = text || '# edited'");
    let err = altered(&env, &["ledger", "verify"]);
    assert!(err.contains("the policy kept as sha256:") && err.contains("has a text with another digest"), "{err}");
}

/// The tags index (which finds the recurring-pattern signal's open cases) held to
/// the open cases' tags: a row taken out, and a row put in for a closed case.
fn a_tags_index_that_parts_from_the_cases_is_named(b: Backend) {
    let env = story(b);
    env.ok(&["case", "update", "C-2", "--tag", "sso", "--tag", "login"]);
    env.ok(&["case", "update", "C-3", "--tag", "sso"]);
    env.ok(&["case", "close", "C-3"]);
    env.ok(&["ledger", "verify", "--cases"]);
    sql(&env, "DELETE FROM case_tags WHERE case_id = 'C-2' AND tag = 'sso'");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify", "--cases"]),
        @r#"error: the ledger was altered around escalate: case C-2 is open with the tag "sso", and the tags index does not list it under that tag (the event log itself verifies)"#
    ) }
    sql(&env, "INSERT INTO case_tags (tag, case_id) VALUES ('sso', 'C-2'), ('sso', 'C-3')");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify", "--cases"]),
        @r#"error: the ledger was altered around escalate: the tags index lists case C-3 under the tag "sso", and the case is not open with that tag (the event log itself verifies)"#
    ) }
    sql(&env, "DELETE FROM case_tags WHERE case_id = 'C-3'");
    env.ok(&["ledger", "verify", "--cases"]);
}

/// The package's fields (what the destination reads) and the cases an account
/// escalation spans (which may not be closed under it) are held to the log.
fn forged_package_fields_and_spanned_cases_are_named(b: Backend) {
    let env = story(b);
    let before = env.ok(&["export", "escalations"]);
    sql(&env, "UPDATE escalations SET fields = '{\"summary\":\"Nothing wrong\"}' WHERE id = 1");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @r#"error: the ledger was altered around escalate: escalation #1's fields is "{\"summary\":\"Nothing wrong\"}" in the escalations table, and its events leave it "{\"customer-context\":\"Launch Friday\",\"summary\":\"Login fails\",\"troubleshooting\":\"Cleared caches\"}" (the event log itself verifies)"#
    ) }
    // Put back in another order: the order they were given in is no part of them.
    let fields = r#"{"troubleshooting":"Cleared caches","summary":"Login fails","customer-context":"Launch Friday"}"#;
    sql(&env, &format!("UPDATE escalations SET fields = '{fields}' WHERE id = 1"));
    env.ok(&["ledger", "verify"]);
    assert_ne!(env.ok(&["export", "escalations"]), before, "the order differs");
    let mut env = env;
    env.at("2026-11-23T12:00:00Z");
    env.ok(&["case", "update", "C-2", "--severity", "1"]);
    env.at("2026-11-23T15:30:00Z");
    let lead = ["context=c", "revenue-exposure=r", "actions-taken=a", "decision-needed=d", "deadline=Friday"];
    let mut req =
        vec!["account", "request", "Acme", "--case", "C-2", "--reason", "lack-of-progress", "--description", "x"];
    for f in &lead {
        req.extend(["--field", f]);
    }
    env.ok(&req);
    sql(&env, "UPDATE escalations SET linked = '[\"C-2\",\"C-3\"]' WHERE id = 2");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @r#"error: the ledger was altered around escalate: escalation #2's linked is "C-2, C-3" in the escalations table, and its events leave it "C-2" (the event log itself verifies)"#
    ) }
    sql(&env, "UPDATE escalations SET linked = '[\"C-2\"]' WHERE id = 2");
    env.ok(&["ledger", "verify", "--cases"]);
}

fn a_key_that_is_not_one_is_bad_input(b: Backend) {
    let env = story(b);
    let cp = env.dir.path().join("checkpoint.txt");
    env.ok(&["ledger", "checkpoint", "--output", cp.to_str().unwrap()]);
    let (_, err) = env.expect(2, &["ledger", "verify", "--checkpoint", cp.to_str().unwrap(), "--key", "notbase64"]);
    assert!(err.contains("--key \"notbase64\" is not a public key"), "{err}");
}

fn a_deleted_event_is_named(b: Backend) {
    let env = story(b);
    unguarded(&env, "DELETE FROM events WHERE seq = 3");
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @"error: the ledger was altered: event 3 is missing: the log goes on at 4 (events were deleted or renumbered) (after 2 good events)"
    ) }
}

fn a_deleted_tail_is_caught_by_a_checkpoint(b: Backend) {
    let env = story(b);
    let cp = env.dir.path().join("checkpoint.txt");
    let said = env.ok(&["ledger", "checkpoint", "--output", cp.to_str().unwrap()]);
    let text = std::fs::read_to_string(&cp).unwrap();
    let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).unwrap().to_string();
    let (events, head) = (field("size "), field("head "));
    assert_eq!(
        said,
        format!("Wrote a signed checkpoint of the {events} events of the log (head {head}) to {}.\n", cp.display())
    );
    // Pinned to the key it was signed with, it verifies; another key refuses it.
    let verified = env.ok(&["ledger", "verify", "--checkpoint", cp.to_str().unwrap(), "--key", &field("key ")]);
    assert!(verified.contains("(signed with the key given)"), "{verified}");
    let other = "4k8KiGH0oKqWu81F8q1QjZ8K+uPwbLcab8nXsYX4iyg=";
    let (_, err) = env.expect(7, &["ledger", "verify", "--checkpoint", cp.to_str().unwrap(), "--key", other]);
    assert!(err.contains("not with the key given (4k8KiGH0oKqWu81F8q1QjZ8K+uPwbLcab8nXsYX4iyg=)"), "{err}");
    let key = env.dir.path().join("config/escalate/checkpoint.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let out = env.ok(&["ledger", "verify", "--checkpoint", cp.to_str().unwrap()]);
    assert!(out.ends_with("It extends the checkpoint of 6 events (signed with this user's key): nothing the checkpoint saw was removed or changed.\n"), "{out}");
    // More events later still extend it.
    env.ok(&["update", "C-1", "--note", "Called again"]);
    env.ok(&["ledger", "verify", "--checkpoint", cp.to_str().unwrap()]);
    unguarded(&env, "DELETE FROM events WHERE seq >= 5");
    // The chain itself is whole: the checkpoint knows what is gone, and the escalations
    // table still holds the escalation whose request went with it.
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @"error: the ledger was altered around escalate: escalation #1 is in the escalations table, and the event log never requested it (the event log itself verifies)"
    ) }
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify", "--checkpoint", cp.to_str().unwrap()]),
        @"error: the ledger was altered: it holds 4 events, and the checkpoint saw 6: events 5 to 6 were removed"
    ) }
}

fn reordered_events_are_named(b: Backend) {
    let env = story(b);
    // Swap events 2 and 3 whole (hashes and all), keeping seq in order.
    unguarded(
        &env,
        "UPDATE events SET seq = 100 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; \
         UPDATE events SET seq = 3 WHERE seq = 100",
    );
    insta::allow_duplicates! { insta::assert_snapshot!(
        altered(&env, &["ledger", "verify"]),
        @"error: the ledger was altered: event 2 does not follow the event before it (events were moved, inserted or reordered) (after 1 good event)"
    ) }
}

fn a_checkpoint_of_another_ledger_is_refused(b: Backend) {
    let other = Env::new();
    other.case("X-1", 3, "premium", "2026-11-20T08:00:00Z");
    let cp = other.dir.path().join("cp.txt");
    other.ok(&["ledger", "checkpoint", "--output", cp.to_str().unwrap()]);
    let env = story(b);
    let (_, err) = env.expect(2, &["ledger", "verify", "--checkpoint", cp.to_str().unwrap()]);
    assert!(err.starts_with("error: the checkpoint is of ledger escalate-ledger-"), "{err}");
    assert!(err.contains(", and this is ledger escalate-ledger-"), "{err}");
    std::fs::write(&cp, std::fs::read_to_string(&cp).unwrap().replace("size 1", "size 2")).unwrap();
    let (_, err) = env.expect(2, &["ledger", "verify", "--checkpoint", cp.to_str().unwrap()]);
    assert!(err.contains("is not a valid checkpoint: its signature does not match its contents"), "{err}");
}

fn imports_and_the_chaining_migration_write_the_same_chain(b: Backend) {
    let env = story(b);
    let csv = env.dir.path().join("cases.csv");
    std::fs::write(
        &csv,
        "id,customer,severity,tier,opened_at\nI-1,Initech,3,standard,2026-11-20T08:00:00Z\nI-2,Initech,2,premium,2026-11-21T08:00:00Z\n",
    )
    .unwrap();
    env.ok(&["case", "import", csv.to_str().unwrap()]);
    env.ok(&["case", "close", "I-2"]);
    env.ok(&["update", "C-1", "--note", "After the import"]);
    let head = env.json(&["ledger", "verify"])["head"].clone();
    // A copy into the other backend holds the same chain.
    let target = match b {
        Backend::Sqlite => Env::postgres(),
        Backend::Postgres => Env::new(),
    };
    env.ok(&["ledger", "copy", "--to", &target.location()]);
    assert_eq!(target.json(&["ledger", "verify"])["head"], head);
    target.ok(&["update", "C-1", "--note", "After the copy"]);
    target.ok(&["ledger", "verify"]);
    // A ledger from before the chain (and what came after it): the migration chains it, to the same hashes.
    match b {
        Backend::Sqlite => sql(
            &env,
            "DROP TRIGGER events_no_update; ALTER TABLE events DROP COLUMN prev_hash; \
             ALTER TABLE events DROP COLUMN hash; PRAGMA user_version = 6; \
             DROP TABLE row_counts; DROP INDEX cases_open_by; CREATE INDEX cases_status ON cases (status); \
             DROP INDEX cases_open; DROP INDEX pauses_open; DROP INDEX events_escalation; DROP INDEX events_rca; \
             INSERT INTO case_tags VALUES ('old', 'I-2'); \
             CREATE TRIGGER events_no_update BEFORE UPDATE ON events \
             BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;",
        ),
        Backend::Postgres => sql(
            &env,
            "DROP TABLE chain_head; ALTER TABLE events DROP COLUMN prev_hash; ALTER TABLE events DROP COLUMN hash; \
             UPDATE escalate_meta SET value = '4' WHERE key = 'schema_version'; \
             DROP TRIGGER cases_count ON cases; DROP TRIGGER escalations_count ON escalations; \
             DROP TRIGGER events_count ON events; DROP FUNCTION escalate_count_rows(); DROP TABLE row_counts; \
             DROP INDEX cases_open_by; CREATE INDEX cases_status ON cases (status); \
             DROP INDEX cases_open; DROP INDEX pauses_open; DROP INDEX events_escalation; DROP INDEX events_rca; \
             INSERT INTO case_tags VALUES ('old', 'I-2'); \
             ALTER TABLE events ALTER COLUMN data DROP DEFAULT; \
             ALTER TABLE events ALTER COLUMN data TYPE json USING data::json; \
             ALTER TABLE events ALTER COLUMN data SET DEFAULT '{}';",
        ),
    }
    env.ok(&["ledger", "migrate"]);
    assert_eq!(env.json(&["ledger", "verify"])["head"], head);
    // The tags' index keeps the open cases' tags alone from then on.
    assert_eq!(common::sql_number(&env, "SELECT count(*) FROM case_tags WHERE case_id = 'I-2'"), 0);
    // And the log is append-only again.
    let refused = match &env.pg {
        Some(url) => ::postgres::Client::connect(url, ::postgres::NoTls)
            .unwrap()
            .batch_execute("UPDATE events SET actor = 'x' WHERE seq = 1")
            .is_err(),
        None => rusqlite::Connection::open(env.ledger())
            .unwrap()
            .execute_batch("UPDATE events SET actor = 'x' WHERE seq = 1")
            .is_err(),
    };
    assert!(refused, "the append-only guard is back after the migration");
}
