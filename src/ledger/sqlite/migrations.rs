//! The ledger schema as numbered migrations; `PRAGMA user_version` records the
//! last one applied. Append new migrations; never edit a released one.

/// escalate's mark in the SQLite header, so a foreign database is never touched.
pub const APPLICATION_ID: i32 = 0x4553_4331; // "ESC1"

pub const MIGRATIONS: &[&str] = &[
    // 1: cases, escalations, the append-only event log and the policies it cites.
    r#"
    CREATE TABLE policies (
        digest TEXT PRIMARY KEY,
        origin TEXT NOT NULL,
        text TEXT NOT NULL,
        first_used_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        customer TEXT NOT NULL,
        severity INTEGER NOT NULL,
        tier TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        opened_at TEXT NOT NULL,
        priority TEXT NOT NULL DEFAULT 'normal',
        tags TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX cases_customer ON cases (customer);
    CREATE INDEX cases_status ON cases (status);

    CREATE TABLE escalations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id TEXT NOT NULL REFERENCES cases (id),
        level INTEGER NOT NULL,
        state TEXT NOT NULL,
        destination TEXT NOT NULL,
        reason TEXT NOT NULL,
        description TEXT NOT NULL,
        fields TEXT NOT NULL DEFAULT '{}',
        requested_by TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        level_since TEXT NOT NULL,
        review_due_at TEXT,
        owner TEXT NOT NULL,
        decided_by TEXT,
        decided_at TEXT,
        decision_note TEXT,
        closed_at TEXT
    ) STRICT;
    CREATE INDEX escalations_case ON escalations (case_id);
    CREATE INDEX escalations_state ON escalations (state);

    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        case_id TEXT NOT NULL,
        escalation_id INTEGER,
        kind TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}',
        policy_digest TEXT NOT NULL REFERENCES policies (digest)
    ) STRICT;
    CREATE INDEX events_case ON events (case_id, seq);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    "#,
    // 2: follow-through: decisions, who raised the level, customer touch-points,
    // handoff notes, and the spans a case waited on the customer.
    r#"
    ALTER TABLE escalations ADD COLUMN decision TEXT;
    ALTER TABLE escalations ADD COLUMN raised_by TEXT;
    ALTER TABLE escalations ADD COLUMN last_update_at TEXT;
    ALTER TABLE escalations ADD COLUMN next_touch_at TEXT;
    ALTER TABLE escalations ADD COLUMN handoff_note TEXT;
    UPDATE escalations SET raised_by = requested_by;

    CREATE TABLE pauses (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id TEXT NOT NULL REFERENCES cases (id),
        started_at TEXT NOT NULL,
        ended_at TEXT
    ) STRICT;
    CREATE INDEX pauses_case ON pauses (case_id);
    "#,
    // 3: escalation packages (the escalation document), the first response for the SLA position,
    // and the cases of each tag, for the recurring-pattern signal.
    r#"
    ALTER TABLE cases ADD COLUMN first_response_at TEXT;
    ALTER TABLE cases ADD COLUMN closed_at TEXT;
    UPDATE cases SET closed_at = updated_at WHERE status = 'closed';
    ALTER TABLE escalations ADD COLUMN package TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE case_tags (
        tag TEXT NOT NULL,
        case_id TEXT NOT NULL REFERENCES cases (id),
        PRIMARY KEY (tag, case_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX cases_opened ON cases (opened_at);
    INSERT OR IGNORE INTO case_tags (tag, case_id) SELECT j.value, c.id FROM cases AS c, json_each(c.tags) AS j;
    "#,
    // 4: where the customer touch-point cadence counts from after a reopening.
    r#"
    ALTER TABLE escalations ADD COLUMN touch_since TEXT;
    "#,
    // 5: the outbox of notifications, written with the events that cause them.
    r#"
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        topic TEXT NOT NULL,
        case_id TEXT NOT NULL,
        escalation_id INTEGER,
        event_seq INTEGER,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        held_until TEXT,
        last_error TEXT,
        sent_at TEXT
    ) STRICT;
    CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
    "#,
    // 6: account escalations (the customer, the cases they span), accounts and their
    // people, and the on-call roster (every shift kept).
    r#"
    ALTER TABLE escalations ADD COLUMN account TEXT;
    ALTER TABLE escalations ADD COLUMN linked TEXT NOT NULL DEFAULT '[]';
    CREATE INDEX escalations_account ON escalations (account);
    CREATE TABLE accounts (
        customer TEXT PRIMARY KEY,
        csm TEXT,
        ae TEXT,
        dri TEXT,
        updated_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE oncall (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        role TEXT NOT NULL,
        name TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT,
        set_by TEXT NOT NULL,
        set_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX oncall_role ON oncall (role, starts_at);
    "#,
    // 7: the event log as a hash chain. The existing events are chained once by
    // `chain_existing` (in Rust, as every later event is), then the log is
    // append-only again.
    r#"
    ALTER TABLE events ADD COLUMN prev_hash TEXT;
    ALTER TABLE events ADD COLUMN hash TEXT;
    DROP TRIGGER events_no_update;
    "#,
    // 8: the row counts `ledger info` shows, kept by every write in its own transaction
    // (nothing deletes cases, escalations or events); and the open cases by severity, tier
    // and opening time, for `case list --eligible` (it serves lookups by status too).
    r#"
    CREATE TABLE row_counts (
        name TEXT PRIMARY KEY,
        n INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    INSERT INTO row_counts (name, n) VALUES
        ('cases', (SELECT count(*) FROM cases)),
        ('escalations', (SELECT count(*) FROM escalations)),
        ('events', (SELECT count(*) FROM events));
    DROP INDEX cases_status;
    CREATE INDEX cases_open_by ON cases (status, severity, tier, opened_at);
    "#,
    // 9: a customer's cases by status, so that the open cases of a customer with years
    // of closed ones are found without reading those (`check` looks at them for every case);
    // and the open cases indexed alone, by severity, tier and opening time (what
    // `case list --eligible` reads) and by opening time (the open listings, recent cases
    // with a tag), not the years of closed ones.
    r#"
    DROP INDEX IF EXISTS cases_customer;
    CREATE INDEX cases_customer ON cases (customer, status);
    DROP INDEX IF EXISTS cases_open_by;
    CREATE INDEX cases_open_by ON cases (severity, tier, opened_at) WHERE status = 'open';
    DROP INDEX IF EXISTS cases_opened;
    CREATE INDEX cases_opened ON cases (opened_at) WHERE status = 'open';
    "#,
    // 10: what the commands about open work and escalations read, kept apart from the
    // years of closed cases and their events, so that it stays a few pages whatever their
    // number: the open cases' rows again, by id (`cases_open`, a partial index holding every
    // column a case is read with: the cases of the open escalations are found there) and
    // by severity, tier and opening time (`cases_open_by`, now holding the whole row too:
    // `case list --eligible` reads its candidates there, not a page of the table each); the
    // open pauses; the escalations' events and the root-cause analyses (what a report
    // reads); the tags of open cases only (a case's peers, what `check` looks for, are open
    // cases sharing a tag, and an import of closed cases need not write them).
    r#"
    CREATE INDEX cases_open ON cases (id, customer, severity, tier, title, opened_at, priority, tags, status,
        first_response_at, closed_at) WHERE status = 'open';
    DROP INDEX IF EXISTS cases_open_by;
    CREATE INDEX cases_open_by ON cases (severity, tier, opened_at, id, customer, title, priority, tags, status,
        first_response_at, closed_at) WHERE status = 'open';
    CREATE INDEX pauses_open ON pauses (case_id, id, started_at) WHERE ended_at IS NULL;
    CREATE INDEX events_escalation ON events (escalation_id, seq) WHERE escalation_id IS NOT NULL;
    CREATE INDEX events_rca ON events (case_id, seq) WHERE kind = 'rca-done';
    DELETE FROM case_tags WHERE case_id IN (SELECT id FROM cases WHERE status <> 'open');
    "#,
];

/// The migration after which the existing events are chained.
pub const CHAIN: usize = 7;

/// The append-only trigger, restored once the existing events are chained.
pub const RESTORE_APPEND_ONLY: &str = "CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;";

pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}
