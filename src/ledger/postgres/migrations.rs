//! The PostgreSQL schema as numbered migrations; the table `escalate_meta`
//! marks the database as an escalate ledger and records the last one applied.
//! Append new migrations; never edit a released one.

pub const MIGRATIONS: &[&str] = &[
    // 1: the schema of SQLite's version 3 in PostgreSQL's types: times are
    // timestamptz, JSON values `json` (kept as written, key order included),
    // ids ordered bytewise (COLLATE "C") as SQLite orders them, whatever the
    // database's collation.
    // The tag index and the events' policy digests are written by escalate in
    // the same transaction as their case or event, so they carry no foreign
    // key: a bulk import would pay a per-row check for them.
    r#"
    CREATE TABLE policies (
        digest text COLLATE "C" PRIMARY KEY,
        origin text NOT NULL,
        text text NOT NULL,
        first_used_at timestamptz NOT NULL
    );

    CREATE TABLE cases (
        id text COLLATE "C" PRIMARY KEY,
        customer text NOT NULL,
        severity integer NOT NULL,
        tier text NOT NULL,
        title text NOT NULL DEFAULT '',
        opened_at timestamptz NOT NULL,
        priority text NOT NULL DEFAULT 'normal',
        tags json NOT NULL DEFAULT '[]',
        status text NOT NULL DEFAULT 'open',
        first_response_at timestamptz,
        closed_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    );
    CREATE INDEX cases_customer ON cases (customer);
    CREATE INDEX cases_status ON cases (status);
    CREATE INDEX cases_opened ON cases (opened_at);

    CREATE TABLE case_tags (
        tag text NOT NULL,
        case_id text NOT NULL,
        PRIMARY KEY (tag, case_id)
    );

    CREATE TABLE escalations (
        id bigserial PRIMARY KEY,
        case_id text NOT NULL REFERENCES cases (id),
        level integer NOT NULL,
        state text NOT NULL,
        destination text NOT NULL,
        reason text NOT NULL,
        description text NOT NULL,
        fields json NOT NULL DEFAULT '{}',
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL,
        level_since timestamptz NOT NULL,
        review_due_at timestamptz,
        owner text NOT NULL,
        decided_by text,
        decided_at timestamptz,
        decision_note text,
        closed_at timestamptz,
        raised_by text,
        decision text,
        last_update_at timestamptz,
        next_touch_at timestamptz,
        handoff_note text,
        package json NOT NULL DEFAULT '{}'
    );
    CREATE INDEX escalations_case ON escalations (case_id);
    CREATE INDEX escalations_state ON escalations (state);

    CREATE TABLE pauses (
        id bigserial PRIMARY KEY,
        case_id text NOT NULL REFERENCES cases (id),
        started_at timestamptz NOT NULL,
        ended_at timestamptz
    );
    CREATE INDEX pauses_case ON pauses (case_id);

    CREATE TABLE events (
        seq bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        case_id text NOT NULL,
        escalation_id bigint,
        kind text NOT NULL,
        data json NOT NULL DEFAULT '{}',
        policy_digest text NOT NULL
    );
    CREATE INDEX events_case ON events (case_id, seq);
    CREATE FUNCTION escalate_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the event log is append-only'; END $$;
    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION escalate_append_only();
    "#,
    // 2: where the customer touch-point cadence counts from after a reopening.
    r#"
    ALTER TABLE escalations ADD COLUMN touch_since timestamptz;
    "#,
    // 3: the outbox of notifications, written with the events that cause them.
    r#"
    CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        key text COLLATE "C" NOT NULL UNIQUE,
        channel text NOT NULL,
        topic text NOT NULL,
        case_id text NOT NULL,
        escalation_id bigint,
        event_seq bigint,
        message text NOT NULL,
        created_at timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        held_until timestamptz,
        last_error text,
        sent_at timestamptz
    );
    CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
    "#,
    // 4: account escalations (the customer, the cases they span), accounts and their
    // people, and the on-call roster (every shift kept).
    r#"
    ALTER TABLE escalations ADD COLUMN account text;
    ALTER TABLE escalations ADD COLUMN linked json NOT NULL DEFAULT '[]';
    CREATE INDEX escalations_account ON escalations (account);
    CREATE TABLE accounts (
        customer text COLLATE "C" PRIMARY KEY,
        csm text,
        ae text,
        dri text,
        updated_at timestamptz NOT NULL
    );
    CREATE TABLE oncall (
        id bigserial PRIMARY KEY,
        role text NOT NULL,
        name text NOT NULL,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz,
        set_by text NOT NULL,
        set_at timestamptz NOT NULL
    );
    CREATE INDEX oncall_role ON oncall (role, starts_at);
    "#,
    // 5: the event log as a hash chain, with a one-row head that appends lock in
    // turn. The existing events are chained once by `chain_existing` (in Rust,
    // as every later event is), then the log is append-only again.
    r#"
    ALTER TABLE events ADD COLUMN prev_hash text;
    ALTER TABLE events ADD COLUMN hash text;
    CREATE TABLE chain_head (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        seq bigint NOT NULL,
        hash text NOT NULL
    );
    INSERT INTO chain_head (seq, hash) VALUES (0, '0000000000000000000000000000000000000000000000000000000000000000');
    ALTER TABLE events DISABLE TRIGGER events_append_only;
    "#,
    // 6: the row counts `ledger info` shows, kept by statement-level triggers (COPY included)
    // in each writing transaction, spread over 16 stripes by backend so that concurrent
    // writers seldom wait on one another's row; and the open cases by severity, tier and
    // opening time, for `case list --eligible` (it serves lookups by status too).
    r#"
    CREATE TABLE row_counts (
        name text NOT NULL,
        stripe integer NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (name, stripe)
    );
    INSERT INTO row_counts (name, stripe, n)
        SELECT 'cases', 0, count(*) FROM cases
        UNION ALL SELECT 'escalations', 0, count(*) FROM escalations
        UNION ALL SELECT 'events', 0, count(*) FROM events;
    CREATE FUNCTION escalate_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE added bigint;
        BEGIN
            SELECT count(*) INTO added FROM new_rows;
            IF added > 0 THEN
                INSERT INTO row_counts (name, stripe, n) VALUES (TG_TABLE_NAME, pg_backend_pid() % 16, added)
                ON CONFLICT (name, stripe) DO UPDATE SET n = row_counts.n + EXCLUDED.n;
            END IF;
            RETURN NULL;
        END $$;
    CREATE TRIGGER cases_count AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION escalate_count_rows();
    CREATE TRIGGER escalations_count AFTER INSERT ON escalations REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION escalate_count_rows();
    CREATE TRIGGER events_count AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION escalate_count_rows();
    DROP INDEX cases_status;
    CREATE INDEX cases_open_by ON cases (status, severity, tier, opened_at);
    "#,
    // 7: a customer's cases by status, so that the open cases of a customer with years
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
    // 8: the events' data kept as the text escalate wrote, as SQLite keeps it: the chain's
    // hash covers it (`ledger verify` finds any change), and PostgreSQL's reading of every
    // value as JSON on the way in was a quarter of an import's work on the event log.
    r#"
    ALTER TABLE events ALTER COLUMN data DROP DEFAULT;
    ALTER TABLE events ALTER COLUMN data TYPE text;
    ALTER TABLE events ALTER COLUMN data SET DEFAULT '{}';
    "#,
    // 9: what the commands about open work and escalations read, kept apart from the
    // years of closed cases and their events, so that it stays a few pages whatever their
    // number: the open cases' ids (`cases_open`: the cases of the open escalations are
    // found there; the key alone, where SQLite keeps the whole row: an entry here holds
    // at most about 2.7 kB, which a title or tags need not fit); the open pauses; the
    // escalations' events and the root-cause analyses (what a report reads); the tags of
    // open cases only (a case's peers, what `check` looks for, are open cases sharing a
    // tag, and an import of closed cases need not write them).
    r#"
    CREATE INDEX cases_open ON cases (id) WHERE status = 'open';
    CREATE INDEX events_escalation ON events (escalation_id, seq) WHERE escalation_id IS NOT NULL;
    CREATE INDEX events_rca ON events (case_id, seq) WHERE kind = 'rca-done';
    CREATE INDEX pauses_open ON pauses (case_id, id, started_at) WHERE ended_at IS NULL;
    DELETE FROM case_tags t USING cases c WHERE c.id = t.case_id AND c.status <> 'open';
    "#,
];

/// The migration after which the existing events are chained.
pub const CHAIN: usize = 5;

pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}
