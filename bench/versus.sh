#!/usr/bin/env bash
# Benchmark: escalate against the sqlite3 shell doing the equivalent work on
# the same data, each timed as a whole process, in the same run.
# (bench/run.sh measures how the cost grows from 10,000 cases to 1,000,000.)
#
#   bash bench/versus.sh                      # 1,000,000 cases (a few minutes)
#   BENCH_CASES=10000 bash bench/versus.sh    # a quick end-to-end run
#
# Settings (environment):
#   BENCH_CASES        cases to generate and import              (1000000)
#   BENCH_ESCALATIONS  requested escalations put in the ledger   (10000, at most BENCH_CASES)
#   BENCH_RUNS         runs of each short command (check, list); the median counts (20)
#   BENCH_IMPORT_RUNS  runs of each import, on a fresh database each time (1)
#   BENCH_CUSTOMERS    distinct customers in the data            (5000)
#   BENCH_KEEP=1       keep the work directory (CSV, ledger, sqlite3 database, outputs)
#   BENCH_TMPDIR       where the work directory is made          ($TMPDIR or /tmp)
#   BENCH_SQLITE_CACHE_KIB  page cache of the sqlite3 import, in KiB (sqlite3's default, 2 MiB);
#                      escalate's import sets its own (32 MiB when this was written):
#                      BENCH_SQLITE_CACHE_KIB=32768 compares the two at the same cache size
#   BENCH_ESCALATE     an escalate binary to measure instead of building this checkout
#                      (to compare builds: another commit, a patched copy)
#   BENCH_PG=1         also measure on PostgreSQL, against psql (see below), on a throwaway
#                      server the script starts: initdb into a temp dir (in BENCH_TMPDIR),
#                      pg_ctl start with its unix socket in that dir and a free 127.0.0.1 port,
#                      otherwise default settings (fsync and synchronous_commit on; locale C,
#                      UTF8; max_connections raised only when BENCH_PG_WRITERS needs it); as
#                      the user postgres (runuser) when run as root. Stopped and removed on
#                      exit (BENCH_KEEP=1 keeps its stopped data directory).
#   BENCH_PG_URL       postgresql://... naming a database on an existing server to use instead
#                      (implies BENCH_PG=1): the script connects to it to create its own
#                      databases escalate_bench_PID_* beside it (so needs CREATEDB), dropped on
#                      exit unless BENCH_KEEP=1. A password goes in the URL, PGPASSWORD or ~/.pgpass.
#   BENCH_PG_BIN       where initdb, pg_ctl, psql and pg_dump are (default: the directory of
#                      pg_ctl on PATH, symlinks followed, else the newest /usr/lib/postgresql/*/bin;
#                      psql and pg_dump from PATH when not there). Not Debian's /usr/bin/psql:
#                      that is a Perl wrapper adding 30-90 ms to every call.
#   BENCH_PG_TCP=1     with the script's own server: connect over 127.0.0.1 (a password)
#                      instead of the unix socket
#   BENCH_PG_WRITERS   concurrent writers in the writes measurement (50)
#   BENCH_PG_WRITES    writes made by each writer, one after the other (20)
#   BENCH_PG_WRITE_ROUNDS  rounds of the writes measurement, escalate and psql alternating;
#                      the median rate counts (3)
#   ESCALATE_NOW       the pinned clock                          (2026-11-23T12:00:00Z; the
#                      generated cases open between 2026-01-01 and 2026-10-28, so keep it later)
#
# What is measured (escalate | sqlite3):
#   import       `escalate case import cases.csv` into a fresh ledger
#                | `.import --csv` of the same file into a fresh WAL database holding the
#                  ledger's `cases` table and indexes, copied from the ledger escalate just
#                  made. The CSV's columns are not the table's (order; tags are `;`-separated
#                  in the CSV but a JSON array in the ledger; status and created_at/updated_at
#                  are not in the CSV), so sqlite3 imports into a TEMP staging table and then
#                  runs one INSERT ... SELECT into `cases` (in the same process). That was the
#                  fastest equivalent found: importing through a view with an INSTEAD OF
#                  trigger was about twice as slow. escalate does more: it validates every
#                  record against the policy, checks for duplicates, and appends one
#                  `case-added` event (the case as JSON) per case to the event log.
#   check        `escalate check ID`: reads the policy, the case, its escalations and pauses
#                  (and whatever else check consults, such as the open cases sharing a tag for
#                  the recurring-pattern signal), evaluates the rules, prints tables
#                | the three point reads of the case, its escalations and its pauses by
#                  `sqlite3 -readonly` on the same ledger file.
#   list         `escalate list --state requested` (table) | the same SELECT with `sqlite3 -box`
#   list ndjson  `escalate list --state requested --format ndjson` | `sqlite3 -json`
#   Peak RSS of the import: `/usr/bin/time -f %M` when present (GNU time), else the
#   process's VmHWM polled from /proc/PID/status (see timer.py).
#   The report gives, beside each median, the spread over the runs: min - max of the wall
#   times and their interquartile range.
#
# With BENCH_PG=1 or BENCH_PG_URL, the same on PostgreSQL (escalate --ledger URL | psql, the
# psql of BENCH_PG_BIN, each call one process and one connection), after the SQLite part:
#   import       `escalate case import cases.csv` into a fresh database
#                | one psql -f: `\copy` of the same file into a TEMP staging table (text
#                  columns), then INSERT ... SELECT into `cases` (casts; tags made a JSON
#                  array), in a fresh database holding the ledger's `cases` table and indexes:
#                  `pg_dump --schema-only -t cases` of the database escalate just made (or, when
#                  pg_dump fails, `escalate ledger migrate`), made before the clock starts.
#                  Both start from a fresh database each run (DROP and CREATE DATABASE).
#   check, list, list ndjson
#                on a copy of the SQLite ledger made above, escalations included:
#                `escalate ledger copy --to URL` into a fresh database (its time is
#                reported), then VACUUM ANALYZE (what autovacuum would soon do; it makes the
#                runs alike). escalate as on SQLite | psql with the same point reads (three
#                -c, one connection), the same SELECT (aligned table), and
#                `SELECT row_to_json(t) FROM (...) t` (-At: one JSON object a line).
#                escalate's outputs are compared with its outputs on SQLite (reported).
#   writes/s     BENCH_PG_WRITERS writers started at once, each making BENCH_PG_WRITES writes
#                one after the other, every write one process (see writers.py):
#                `escalate case add W<round>-<writer>-<write> ...` into that ledger copy (a
#                case, its tag and a case-added event in one transaction)
#                | `psql -c "INSERT INTO cases ... VALUES (...)"`, one row, into the psql
#                  import's database (the same cases table and row count). Rate: all the
#                  round's writes over its wall time; latency p50/p95/max of single writes.
#                  Also reported, without escalate beside it: one psql per writer making its
#                  BENCH_PG_WRITES INSERTs (autocommitted each) in one session, to show what
#                  a process and a connection per write cost. Every write must succeed and
#                  the rows are counted after; a failing write fails the script (after the
#                  report).
#   CPU figures on PostgreSQL are the client processes' only: the server's work is not in them.
#
# The ledger's escalations are not made by escalate: after the import, this script
# inserts BENCH_ESCALATIONS requested level 1 escalations (and one `requested` event
# each) with plain SQL, INSERT ... SELECT from cases spread evenly over the ledger,
# matching the columns `escalate request` writes. PRAGMA user_version is left
# untouched, so escalate still sees its own, current ledger. review_due_at is
# requested_at + 4 clock hours (the policy says 4 business hours; only shown).
#
# Timing never fails the script: it reports. It exits non-zero only when something
# does not work (build, a command failing, sqlite3 or python3 missing, PostgreSQL missing
# or not starting when asked for).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

N=${BENCH_CASES:-1000000}
E=${BENCH_ESCALATIONS:-10000}
RUNS=${BENCH_RUNS:-20}
IMPORT_RUNS=${BENCH_IMPORT_RUNS:-1}
CUSTOMERS=${BENCH_CUSTOMERS:-5000}
export ESCALATE_NOW=${ESCALATE_NOW:-2026-11-23T12:00:00Z}
SQLITE_CACHE_KIB=${BENCH_SQLITE_CACHE_KIB:-}
PG_URL=${BENCH_PG_URL:-}
PG=${BENCH_PG:-0}
[[ -z $PG_URL ]] || PG=1
PG_TCP=${BENCH_PG_TCP:-0}
PG_WRITERS=${BENCH_PG_WRITERS:-50}
PG_WRITES=${BENCH_PG_WRITES:-20}
PG_WRITE_ROUNDS=${BENCH_PG_WRITE_ROUNDS:-3}
for v in PG PG_TCP; do
    if [[ ${!v} != 0 && ${!v} != 1 ]]; then
        echo "bench: BENCH_${v} must be 0 or 1, not '${!v}'" >&2
        exit 2
    fi
done
if [[ -n $PG_URL ]] && ! [[ ${PG_URL,,} =~ ^postgres(ql)?:// ]]; then
    echo "bench: BENCH_PG_URL must be a postgres:// or postgresql:// URL" >&2
    exit 2
fi
for v in N E RUNS IMPORT_RUNS CUSTOMERS ${SQLITE_CACHE_KIB:+SQLITE_CACHE_KIB} PG_WRITERS PG_WRITES PG_WRITE_ROUNDS; do
    if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
        echo "bench: ${v} must be a positive whole number, not '${!v}'" >&2
        exit 2
    fi
done
((E > N)) && E=$N

say() { printf '%s\n' "$*" >&2; }

# ---- tools -------------------------------------------------------------------
if ! command -v sqlite3 >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "bench: sqlite3 is missing; installing it (apt-get install -y sqlite3)"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3; } >&2 || true
    fi
    if ! command -v sqlite3 >/dev/null 2>&1; then
        say "bench: the sqlite3 command-line shell is needed: install it, for example"
        say "  sudo apt-get install -y sqlite3     (Debian, Ubuntu)"
        say "  brew install sqlite                 (macOS)"
        exit 2
    fi
fi
for tool in python3 awk ${BENCH_ESCALATE:+-} cargo; do
    [[ $tool == - ]] && break
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "bench: $tool is needed and is not on PATH"
        exit 2
    fi
done
timer() { python3 "$here/timer.py" "$@"; }

# PostgreSQL's programs, when asked for: found before the build, so that a missing
# PostgreSQL fails at once.
pg_install_hint() {
    say "  sudo apt-get install -y postgresql   (Debian, Ubuntu: the server and psql)"
    say "  brew install postgresql              (macOS)"
    say "or set BENCH_PG_BIN to the directory holding them${PG_URL:-, or BENCH_PG_URL to a database on a running server}."
}
if ((PG)); then
    pgbin=${BENCH_PG_BIN:-}
    if [[ -z $pgbin ]]; then
        if p=$(command -v pg_ctl 2>/dev/null) && [[ -x $(dirname "$(readlink -f "$p")")/initdb ]]; then
            pgbin=$(dirname "$(readlink -f "$p")")
        else
            pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
        fi
    fi
    pg_tool() { # the program from pgbin, else from PATH, else nothing
        if [[ -n $pgbin && -x $pgbin/$1 ]]; then echo "$pgbin/$1"; else command -v "$1" 2>/dev/null || true; fi
    }
    psql=$(pg_tool psql)
    pg_dump=$(pg_tool pg_dump)
    if [[ -z $PG_URL ]]; then
        if [[ -z $pgbin || ! -x $pgbin/initdb || ! -x $pgbin/pg_ctl || -z $psql ]]; then
            say "bench: BENCH_PG=1 needs PostgreSQL installed: initdb, pg_ctl (looked in ${pgbin:-PATH and /usr/lib/postgresql/*/bin}) and psql; install it, for example"
            pg_install_hint
            exit 2
        fi
        as_pg=()
        if [[ $(id -u) == 0 ]]; then
            # The server refuses to run as root.
            if ! command -v runuser >/dev/null 2>&1 || ! id postgres >/dev/null 2>&1; then
                say "bench: as root, the PostgreSQL server is run as the user postgres through runuser:"
                say "  this needs runuser (util-linux) and a user postgres (the postgresql package makes it),"
                say "  or run the benchmark as a user other than root"
                exit 2
            fi
            as_pg=(runuser -u postgres --)
        fi
    elif [[ -z $psql ]]; then
        say "bench: BENCH_PG_URL needs psql: install it, for example"
        say "  sudo apt-get install -y postgresql-client   (Debian, Ubuntu)"
        say "  brew install libpq                           (macOS)"
        exit 2
    fi
fi

# ---- build -------------------------------------------------------------------
if [[ -n ${BENCH_ESCALATE:-} ]]; then
    escalate=$(cd "$(dirname "$BENCH_ESCALATE")" && pwd)/$(basename "$BENCH_ESCALATE")
    say "bench: measuring $escalate (BENCH_ESCALATE), not building"
else
    say "bench: building the release binary (cargo build --release --locked)"
    (cd "$root" && cargo build --release --locked)
    target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    escalate="$target_dir/release/escalate"
fi
[[ -x $escalate ]] || { say "bench: no escalate binary at $escalate"; exit 1; }

# ---- work directory ------------------------------------------------------------
work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/escalate-bench.XXXXXX")
pgdir="" pg_made=()
cleanup() {
    pg_cleanup
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        say "bench: kept $work"
    else
        rm -rf "$work"
    fi
}
# The script's own PostgreSQL server is stopped and removed; the databases made on
# BENCH_PG_URL's server are dropped.
pg_cleanup() {
    if [[ -n $pgdir ]]; then
        if [[ -f $pgdir/data/postmaster.pid ]]; then
            (cd "$pgdir" && { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -w -t 60 -m fast stop ||
                "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -w -t 60 -m immediate stop; } >/dev/null 2>&1) ||
                say "bench: could not stop the PostgreSQL server in $pgdir (see $pgdir/server.log)"
        fi
        if [[ ${BENCH_KEEP:-0} == 1 ]]; then
            say "bench: kept the (stopped) PostgreSQL server in $pgdir"
        else
            rm -rf "$pgdir"
        fi
    elif ((${#pg_made[@]})); then
        if [[ ${BENCH_KEEP:-0} == 1 ]]; then
            say "bench: kept the databases ${pg_made[*]} on $(pg_shown "$PG_URL")"
        else
            local db
            for db in "${pg_made[@]}"; do
                "$psql" -X -q -d "$PG_URL" -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 ||
                    say "bench: could not drop the database $db on $(pg_shown "$PG_URL")"
            done
        fi
    fi
}
trap cleanup EXIT
# A signal ends the script through its EXIT trap, so the server is stopped then too.
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$work"

# escalate: the built-in policy (no ./policy.toml here, an empty config dir), a
# ledger in the work directory, a pinned clock and actor.
mkdir -p config data
# HOME moves: BENCH_PG_URL's ~/.pgpass is still found (escalate and psql both read PGPASSFILE).
if ((PG)) && [[ -z ${PGPASSFILE:-} && -f ${HOME:-/nonexistent}/.pgpass ]]; then
    export PGPASSFILE=$HOME/.pgpass
fi
export XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data HOME=$work
export ESCALATE_LEDGER=$work/ledger.db ESCALATE_ACTOR=bench
unset ESCALATE_POLICY NO_COLOR COLUMNS || true
ledger=$work/ledger.db
sqdb=$work/sqlite3.db

# ---- data --------------------------------------------------------------------------
say "bench: generating $N cases ($CUSTOMERS customers) in $work/cases.csv"
t0=$(date +%s.%N)
awk -v n="$N" -v customers="$CUSTOMERS" -f "$here/gen_cases.awk" >cases.csv
t1=$(date +%s.%N)
csv_bytes=$(wc -c <cases.csv)
csv_mib=$(awk -v b="$csv_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
say "bench: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, $csv_mib MiB"

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
load_before=$(load)

# Fail loudly (with the command's stderr) when a measured command did not work.
expect_codes() { # label ok-codes codes errfile
    local code
    for code in ${3//,/ }; do
        if [[ " $2 " != *" $code "* ]]; then
            say "bench: $1 exited $code (expected one of: $2)"
            [[ -f $4 ]] && sed 's/^/  | /' "$4" | head -20 >&2
            exit 1
        fi
    done
}

# ---- a. import -------------------------------------------------------------------------
# The sqlite3 side's script is written once escalate has made a ledger: its
# `cases` table and indexes are copied from that ledger.
write_sqlite_import() {
    local now_text
    now_text=$(sqlite3 "$ledger" "SELECT created_at FROM cases LIMIT 1")
    {
        echo "PRAGMA journal_mode = WAL;"
        [[ -z $SQLITE_CACHE_KIB ]] || echo "PRAGMA cache_size = -$SQLITE_CACHE_KIB;"
        sqlite3 "$ledger" "SELECT sql || ';' FROM sqlite_schema
                           WHERE tbl_name = 'cases' AND sql IS NOT NULL ORDER BY type DESC, name"
        cat <<EOF
CREATE TEMP TABLE csv_in (id, customer, severity, tier, opened_at, title, priority, tags);
.import --csv --skip 1 --schema temp cases.csv csv_in
INSERT INTO cases (id, customer, severity, tier, title, opened_at, priority, tags, status, created_at, updated_at)
  SELECT id, customer, severity, tier, title, opened_at, priority,
    CASE WHEN tags = '' THEN '[]' ELSE '["' || replace(tags, ';', '","') || '"]' END,
    'open', '$now_text', '$now_text'
  FROM temp.csv_in;
EOF
    } >import.sql
}

declare -a imp_esc=() imp_sq=()
for ((r = 1; r <= IMPORT_RUNS; r++)); do
    say "bench: import run $r/$IMPORT_RUNS: escalate case import ($N cases)"
    rm -f "$ledger" "$ledger-wal" "$ledger-shm"
    line=$(timer --rss --stdout "$work/import.out" --stderr "$work/import.err" --label escalate -- \
        "$escalate" case import cases.csv)
    expect_codes "escalate case import" "0" "$(cut -f8 <<<"$line")" "$work/import.err.0"
    imp_esc+=("$line")
    [[ -f import.sql ]] || write_sqlite_import
    say "bench: import run $r/$IMPORT_RUNS: sqlite3 .import"
    rm -f "$sqdb" "$sqdb-wal" "$sqdb-shm"
    line=$(timer --rss --stdout "$work/sqimport.out" --stderr "$work/sqimport.err" --label sqlite3 -- \
        sqlite3 -bail "$sqdb" ".read import.sql")
    expect_codes "sqlite3 .import" "0" "$(cut -f8 <<<"$line")" "$work/sqimport.err.0"
    imp_sq+=("$line")
done
rows_esc=$(sqlite3 "$ledger" "SELECT count(*) FROM cases")
rows_sq=$(sqlite3 "$sqdb" "SELECT count(*) FROM cases")
events=$(sqlite3 "$ledger" "SELECT count(*) FROM events")
# Other rows escalate wrote besides cases and events (case_tags, pauses, ...).
others=$(sqlite3 "$ledger" "SELECT name FROM sqlite_schema WHERE type = 'table'
    AND name NOT IN ('cases', 'events', 'policies', 'sqlite_sequence', 'escalations')" |
    while read -r t; do
        c=$(sqlite3 "$ledger" "SELECT count(*) FROM \"$t\"")
        [[ $c == 0 ]] || printf ', %s %s' "$c" "$t"
    done)
if [[ $rows_esc != "$N" || $rows_sq != "$N" ]]; then
    say "bench: expected $N cases, found $rows_esc in the ledger and $rows_sq in the sqlite3 database"
    exit 1
fi
# Same rows on both sides? (Compares the columns the CSV carries.)
diff_rows=$(sqlite3 "$ledger" "ATTACH '$sqdb' AS s;
    SELECT count(*) FROM (SELECT id, customer, severity, tier, title, opened_at, priority, tags, status FROM main.cases
                          EXCEPT SELECT id, customer, severity, tier, title, opened_at, priority, tags, status FROM s.cases)")
mib() { awk -v b="$(wc -c <"$1")" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ledger_mib=$(mib "$ledger")
sqdb_mib=$(mib "$sqdb")

# ---- escalations, made with SQL ------------------------------------------------------
say "bench: adding $E requested escalations with sqlite3 (INSERT ... SELECT from cases)"
step=$((N / E))
sqlite3 -bail "$ledger" <<EOF
BEGIN;
INSERT INTO escalations (case_id, level, state, destination, reason, description, fields,
                         requested_by, requested_at, level_since, review_due_at, owner, raised_by)
  SELECT id, 1, 'requested', 'engineering', 'customer-deadline',
         'Benchmark escalation of ' || id,
         json_object('summary', title, 'reproduction', 'See the case', 'expected', 'It works',
                     'observed', 'It fails', 'environment', 'production', 'impact', 'Customer ' || customer),
         'bench', created_at, created_at, strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '+4 hours'), 'bench', 'bench'
  FROM cases WHERE rowid % $step = 0 ORDER BY rowid LIMIT $E;
INSERT INTO events (at, actor, case_id, escalation_id, kind, data, policy_digest)
  SELECT requested_at, requested_by, case_id, id, 'requested',
         json_object('level', level, 'destination', destination, 'reason', reason, 'description', description,
                     'fields', json(fields), 'review_due_at', review_due_at),
         (SELECT digest FROM policies ORDER BY first_used_at LIMIT 1)
  FROM escalations WHERE state = 'requested';
UPDATE row_counts SET n = n + (SELECT count(*) FROM escalations) WHERE name IN ('escalations', 'events');
COMMIT;
EOF
requested=$(sqlite3 "$ledger" "SELECT count(*) FROM escalations WHERE state = 'requested'")
check_id=$(sqlite3 "$ledger" "SELECT case_id FROM escalations ORDER BY id LIMIT 1 OFFSET $((E / 2))")
q=${check_id//\'/\'\'}

# ---- b. check ----------------------------------------------------------------------------
say "bench: escalate check $check_id vs sqlite3, $RUNS runs each, interleaved"
check_sql="SELECT id, customer, severity, tier, title, opened_at, priority, tags, status,
  (SELECT started_at FROM pauses p WHERE p.case_id = cases.id AND p.ended_at IS NULL ORDER BY p.id DESC LIMIT 1)
  FROM cases WHERE id = '$q';
SELECT * FROM escalations WHERE case_id = '$q' ORDER BY id;
SELECT started_at, ended_at FROM pauses WHERE case_id = '$q' ORDER BY id;"
check_line=$(timer -n "$RUNS" --stdout "$work/check.out" --stderr "$work/check.err" \
    --label escalate --label sqlite3 -- \
    "$escalate" check "$check_id" ::: sqlite3 -readonly "$ledger" "$check_sql")
# check exits 1 when the case may not be escalated (it has an open escalation).
expect_codes "escalate check" "0 1" "$(sed -n 1p <<<"$check_line" | cut -f8)" "$work/check.err.0"
expect_codes "sqlite3 (check)" "0" "$(sed -n 2p <<<"$check_line" | cut -f8)" "$work/check.err.1"

# ---- c. list ------------------------------------------------------------------------------
list_sql="SELECT e.id, e.case_id, c.customer, e.level, e.state, e.destination, e.reason, e.owner, e.review_due_at
  FROM escalations e LEFT JOIN cases c ON c.id = e.case_id WHERE e.state = 'requested' ORDER BY e.id"
ndjson_sql="SELECT e.*, c.customer FROM escalations e LEFT JOIN cases c ON c.id = e.case_id
  WHERE e.state = 'requested' ORDER BY e.id"
say "bench: escalate list --state requested ($requested escalations) vs sqlite3 -box, $RUNS runs each"
list_line=$(timer -n "$RUNS" --stdout "$work/list.out" --stderr "$work/list.err" \
    --label escalate --label sqlite3 -- \
    "$escalate" list --state requested ::: sqlite3 -readonly -box "$ledger" "$list_sql")
expect_codes "escalate list" "0" "$(sed -n 1p <<<"$list_line" | cut -f8)" "$work/list.err.0"
expect_codes "sqlite3 (list)" "0" "$(sed -n 2p <<<"$list_line" | cut -f8)" "$work/list.err.1"
say "bench: escalate list --state requested --format ndjson vs sqlite3 -json, $RUNS runs each"
ndjson_line=$(timer -n "$RUNS" --stdout "$work/ndjson.out" --stderr "$work/ndjson.err" \
    --label escalate --label sqlite3 -- \
    "$escalate" list --state requested --format ndjson ::: sqlite3 -readonly -json "$ledger" "$ndjson_sql")
expect_codes "escalate list --format ndjson" "0" "$(sed -n 1p <<<"$ndjson_line" | cut -f8)" "$work/ndjson.err.0"
expect_codes "sqlite3 -json (list)" "0" "$(sed -n 2p <<<"$ndjson_line" | cut -f8)" "$work/ndjson.err.1"
ndjson_rows=$(wc -l <"$work/ndjson.out.0")
list_bytes_esc=$(wc -c <"$work/list.out.0")
list_bytes_sq=$(wc -c <"$work/list.out.1")

# ---- PostgreSQL (BENCH_PG=1 or BENCH_PG_URL) ------------------------------------------------
# URLs: pg_url DB is the URL of database DB on the server; pg_admin is where databases
# are created and dropped.
pg_shown() { # a URL without its password
    sed -E 's#^([a-zA-Z]+://[^:/@?]*):[^@/?]*@#\1:***@#; s#([?&]password=)[^&]*#\1***#' <<<"$1"
}
pg_url() {
    if [[ -n $PG_URL ]]; then
        # The same URL with another database: the path replaced, any dbname= dropped.
        python3 - "$PG_URL" "$1" <<'EOF'
import sys, urllib.parse
url, db = sys.argv[1], sys.argv[2]
head = url.index("://") + 3
rest = url[head:]
cut = min([i for i in (rest.find("/"), rest.find("?")) if i >= 0] + [len(rest)])
authority, tail = rest[:cut], rest[cut:]
params = [kv for kv in (tail.split("?", 1)[1].split("&") if "?" in tail else [])
          if kv and not kv.lower().startswith("dbname=")]
print(url[:head] + authority + "/" + urllib.parse.quote(db, safe="") + ("?" + "&".join(params) if params else ""))
EOF
    else
        echo "$pg_base/$1$pg_query"
    fi
}
# psql for the script's own queries (not measured): unaligned, no headers, stop on error.
pgq() { # URL SQL...
    local url=$1 c
    shift
    local args=()
    for c in "$@"; do args+=(-c "$c"); done
    if ! "$psql" -X -q -At -v ON_ERROR_STOP=1 -d "$url" "${args[@]}" 2>"$work/pgq.err"; then
        say "bench: psql failed on $(pg_shown "$url"):"
        sed 's/^/  | /' "$work/pgq.err" | head -20 >&2
        exit 1
    fi
}
pg_fresh() { # DB: drop and create it
    pgq "$pg_admin" "DROP DATABASE IF EXISTS \"$1\"" "CREATE DATABASE \"$1\"" >/dev/null
    [[ " ${pg_made[*]} " == *" $1 "* ]] || pg_made+=("$1")
}
pg_mib() { # URL: the size of its tables and their indexes
    pgq "$1" "SELECT round(coalesce(sum(pg_total_relation_size(c.oid)), 0) / 1048576.0, 1)
              FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace"
}
pg_start() {
    pgdir=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/escalate-bench-pg.XXXXXX")
    if ((${#pgdir} > 90)); then
        say "bench: $pgdir is too long a path for the server's unix socket: set BENCH_TMPDIR to a shorter one"
        exit 2
    fi
    local port pw maxconn=100
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pw=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    ((PG_WRITERS + 20 <= maxconn)) || maxconn=$((PG_WRITERS + 20))
    printf '%s\n' "$pw" >"$pgdir/pw"
    if ((${#as_pg[@]})); then
        chown -R postgres: "$pgdir"
        if ! runuser -u postgres -- test -w "$pgdir"; then
            say "bench: the user postgres cannot write to $pgdir: set BENCH_TMPDIR to a directory it can reach"
            exit 2
        fi
    fi
    say "bench: starting a PostgreSQL server ($("$pgbin/postgres" --version 2>/dev/null | sed 's/.*) //'), $pgbin) in $pgdir, port $port"
    if ! (cd "$pgdir" && "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U postgres -E UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pgdir/pw") >"$pgdir/initdb.log" 2>&1; then
        say "bench: initdb failed:"
        sed 's/^/  | /' "$pgdir/initdb.log" | tail -20 >&2
        exit 1
    fi
    if ! (cd "$pgdir" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -w -t 60 -l "$pgdir/server.log" \
        -o "-k '$pgdir' -p $port -c listen_addresses=127.0.0.1 -c max_connections=$maxconn" start) \
        >"$pgdir/pg_ctl.log" 2>&1; then
        say "bench: the PostgreSQL server did not start:"
        cat "$pgdir/pg_ctl.log" "$pgdir/server.log" 2>/dev/null | sed 's/^/  | /' | tail -20 >&2
        exit 1
    fi
    if ((PG_TCP)); then
        pg_base="postgresql://postgres:$pw@127.0.0.1:$port" pg_query="?sslmode=disable"
        pg_via="127.0.0.1:$port (TCP, BENCH_PG_TCP=1)"
    else
        pg_base="postgresql://postgres@" pg_query="?host=$pgdir&port=$port"
        pg_via="the unix socket in $pgdir"
    fi
    pg_admin=$(pg_url postgres)
}

pg_lines=() pg_fail=""
if ((PG)); then
    if [[ -n $PG_URL ]]; then
        pg_admin=$PG_URL
        pg_via="$(pg_shown "$PG_URL") (BENCH_PG_URL)"
        pgq "$pg_admin" "SELECT 1" >/dev/null
        pfx=escalate_bench_$$
    else
        pg_start
        pfx=bench
    fi
    pg_version=$(pgq "$pg_admin" "SHOW server_version")
    pg_settings=$(pgq "$pg_admin" "SELECT string_agg(name || ' ' || current_setting(name), ', ' ORDER BY name)
        FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_level', 'full_page_writes')")
    db_esc=${pfx}_import_escalate db_psql=${pfx}_import_psql db_ledger=${pfx}_ledger
    u_esc=$(pg_url "$db_esc") u_psql=$(pg_url "$db_psql") u_ledger=$(pg_url "$db_ledger")

    # ---- PostgreSQL a. import ------------------------------------------------------------
    pg_now=""
    pg_schema_via=""
    pg_prepare_psql_db() { # a fresh psql database holding the ledger's cases table and indexes
        pg_fresh "$db_psql"
        if [[ -z $pg_schema_via ]]; then
            # The table and its indexes, not the triggers that keep escalate's row counts.
            if [[ -n $pg_dump ]] && "$pg_dump" --schema-only --no-owner --no-privileges -t cases -d "$u_esc" \
                2>"$work/pg_dump.err" | sed '/^CREATE TRIGGER/d' >"$work/pg_schema.sql" &&
                grep -q 'CREATE TABLE' "$work/pg_schema.sql"; then
                pg_schema_via="pg_dump --schema-only -t cases"
            else
                pg_schema_via="escalate ledger migrate (pg_dump ${pg_dump:+failed}${pg_dump:-is missing})"
            fi
        fi
        if [[ $pg_schema_via == pg_dump* ]]; then
            "$psql" -X -q -v ON_ERROR_STOP=1 -d "$u_psql" -f "$work/pg_schema.sql" >/dev/null 2>"$work/pg_schema.err" ||
                { say "bench: making the cases table from pg_dump's schema failed:"; sed 's/^/  | /' "$work/pg_schema.err" >&2; exit 1; }
        else
            "$escalate" --ledger "$u_psql" ledger migrate >/dev/null 2>"$work/pg_schema.err" ||
                { say "bench: escalate ledger migrate failed:"; sed 's/^/  | /' "$work/pg_schema.err" >&2; exit 1; }
        fi
        if [[ -z $pg_now ]]; then
            pg_now=$(pgq "$u_esc" "SELECT created_at FROM cases LIMIT 1")
            cat >"$work/pg_import.sql" <<EOF
CREATE TEMP TABLE csv_in (id text, customer text, severity text, tier text, opened_at text, title text, priority text, tags text);
\\copy csv_in FROM 'cases.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO cases (id, customer, severity, tier, title, opened_at, priority, tags, status, created_at, updated_at)
  SELECT id, customer, severity::integer, tier, title, opened_at::timestamptz, priority,
    coalesce(to_json(string_to_array(tags, ';')), '[]'::json), 'open', '$pg_now', '$pg_now'
  FROM csv_in;
EOF
        fi
    }
    for ((r = 1; r <= IMPORT_RUNS; r++)); do
        say "bench: PostgreSQL import run $r/$IMPORT_RUNS: escalate case import ($N cases)"
        pg_fresh "$db_esc"
        line=$(timer --rss --stdout "$work/pgimport.out" --stderr "$work/pgimport.err" --label escalate -- \
            "$escalate" --ledger "$u_esc" case import cases.csv)
        expect_codes "escalate case import (PostgreSQL)" "0" "$(cut -f8 <<<"$line")" "$work/pgimport.err.0"
        pg_lines+=("pg-import"$'\t'"$line")
        say "bench: PostgreSQL import run $r/$IMPORT_RUNS: psql \\copy + INSERT ... SELECT"
        pg_prepare_psql_db
        line=$(timer --rss --stdout "$work/pgpsqlimport.out" --stderr "$work/pgpsqlimport.err" --label psql -- \
            "$psql" -X -q -v ON_ERROR_STOP=1 -d "$u_psql" -f "$work/pg_import.sql")
        expect_codes "psql \\copy (import)" "0" "$(cut -f8 <<<"$line")" "$work/pgpsqlimport.err.0"
        pg_lines+=("pg-import"$'\t'"$line")
    done
    pg_rows_esc=$(pgq "$u_esc" "SELECT count(*) FROM cases")
    pg_rows_psql=$(pgq "$u_psql" "SELECT count(*) FROM cases")
    pg_events=$(pgq "$u_esc" "SELECT count(*) FROM events")
    pg_others=$(pgq "$u_esc" "SELECT (SELECT count(*) FROM case_tags) || ' case_tags, ' || (SELECT count(*) FROM pauses) || ' pauses'")
    if [[ $pg_rows_esc != "$N" || $pg_rows_psql != "$N" ]]; then
        say "bench: expected $N cases on PostgreSQL, found $pg_rows_esc in escalate's database and $pg_rows_psql in psql's"
        exit 1
    fi
    # Same rows on both sides? (The columns the CSV carries; a sum of row hashes.)
    fp_sql="SELECT count(*) || ' ' || coalesce(sum(hashtextextended(concat_ws('|', id, customer, severity, tier,
        title, opened_at, priority, tags::text, status), 0)::numeric), 0) FROM cases"
    if [[ $(pgq "$u_esc" "$fp_sql") == "$(pgq "$u_psql" "$fp_sql")" ]]; then pg_same=yes; else pg_same="NO: they differ"; fi
    pg_esc_mib=$(pg_mib "$u_esc")
    pg_psql_mib=$(pg_mib "$u_psql")

    # ---- PostgreSQL: the ledger with its escalations -------------------------------------------
    say "bench: escalate ledger copy of the SQLite ledger ($N cases, $requested escalations) into PostgreSQL"
    pg_fresh "$db_ledger"
    line=$(timer --rss --stdout "$work/pgcopy.out" --stderr "$work/pgcopy.err" --label escalate -- \
        "$escalate" --ledger "$ledger" ledger copy --to "$u_ledger")
    expect_codes "escalate ledger copy --to PostgreSQL" "0" "$(cut -f8 <<<"$line")" "$work/pgcopy.err.0"
    pg_lines+=("pg-copy"$'\t'"$line")
    say "bench: VACUUM ANALYZE of the copy and of psql's database"
    pgq "$u_ledger" "VACUUM ANALYZE" >/dev/null
    pgq "$u_psql" "VACUUM ANALYZE" >/dev/null
    pg_requested=$(pgq "$u_ledger" "SELECT count(*) FROM escalations WHERE state = 'requested'")
    pg_cases=$(pgq "$u_ledger" "SELECT count(*) FROM cases")
    if [[ $pg_requested != "$requested" || $pg_cases != "$N" ]]; then
        say "bench: the PostgreSQL copy holds $pg_cases cases and $pg_requested requested escalations, not $N and $requested"
        exit 1
    fi
    pg_ledger_mib=$(pg_mib "$u_ledger")

    # ---- PostgreSQL b. check -----------------------------------------------------------------
    say "bench: PostgreSQL: escalate check $check_id vs psql, $RUNS runs each, interleaved"
    line=$(timer -n "$RUNS" --stdout "$work/pgcheck.out" --stderr "$work/pgcheck.err" \
        --label escalate --label psql -- \
        "$escalate" --ledger "$u_ledger" check "$check_id" ::: "$psql" -X -d "$u_ledger" \
        -c "SELECT id, customer, severity, tier, title, opened_at, priority, tags, status,
              (SELECT started_at FROM pauses p WHERE p.case_id = cases.id AND p.ended_at IS NULL ORDER BY p.id DESC LIMIT 1)
            FROM cases WHERE id = '$q'" \
        -c "SELECT * FROM escalations WHERE case_id = '$q' ORDER BY id" \
        -c "SELECT started_at, ended_at FROM pauses WHERE case_id = '$q' ORDER BY id")
    expect_codes "escalate check (PostgreSQL)" "0 1" "$(sed -n 1p <<<"$line" | cut -f8)" "$work/pgcheck.err.0"
    expect_codes "psql (check)" "0" "$(sed -n 2p <<<"$line" | cut -f8)" "$work/pgcheck.err.1"
    pg_lines+=("$(sed 's/^/pg-check\t/' <<<"$line")")

    # ---- PostgreSQL c. list ------------------------------------------------------------------
    say "bench: PostgreSQL: escalate list --state requested vs psql, $RUNS runs each"
    line=$(timer -n "$RUNS" --stdout "$work/pglist.out" --stderr "$work/pglist.err" \
        --label escalate --label psql -- \
        "$escalate" --ledger "$u_ledger" list --state requested ::: "$psql" -X -d "$u_ledger" -c "$list_sql")
    expect_codes "escalate list (PostgreSQL)" "0" "$(sed -n 1p <<<"$line" | cut -f8)" "$work/pglist.err.0"
    expect_codes "psql (list)" "0" "$(sed -n 2p <<<"$line" | cut -f8)" "$work/pglist.err.1"
    pg_lines+=("$(sed 's/^/pg-list\t/' <<<"$line")")
    say "bench: PostgreSQL: escalate list --state requested --format ndjson vs psql row_to_json, $RUNS runs each"
    line=$(timer -n "$RUNS" --stdout "$work/pgndjson.out" --stderr "$work/pgndjson.err" \
        --label escalate --label psql -- \
        "$escalate" --ledger "$u_ledger" list --state requested --format ndjson ::: \
        "$psql" -X -At -d "$u_ledger" -c "SELECT row_to_json(t) FROM ($ndjson_sql) t")
    expect_codes "escalate list --format ndjson (PostgreSQL)" "0" "$(sed -n 1p <<<"$line" | cut -f8)" "$work/pgndjson.err.0"
    expect_codes "psql (list, JSON)" "0" "$(sed -n 2p <<<"$line" | cut -f8)" "$work/pgndjson.err.1"
    pg_lines+=("$(sed 's/^/pg-ndjson\t/' <<<"$line")")
    pg_ndjson_rows=$(wc -l <"$work/pgndjson.out.1")
    # escalate shows the same ledger the same on both backends?
    pg_outputs=""
    for f in check list ndjson; do
        if cmp -s "$work/$f.out.0" "$work/pg$f.out.0"; then
            pg_outputs+=", $f same"
        else
            pg_outputs+=", $f DIFFERS (diff $f.out.0 pg$f.out.0 in the kept work directory)"
        fi
    done
    pg_outputs=${pg_outputs#, }

    # ---- PostgreSQL d. concurrent writes -------------------------------------------------------
    w_total=$((PG_WRITE_ROUNDS * PG_WRITERS * PG_WRITES))
    say "bench: PostgreSQL: $PG_WRITERS concurrent writers x $PG_WRITES writes: escalate case add vs psql INSERT ($PG_WRITE_ROUNDS round(s) each)"
    insert() { # id: one INSERT of a case like the one `case add` makes below
        echo "INSERT INTO cases (id, customer, severity, tier, title, opened_at, priority, tags, status, created_at, updated_at)
  VALUES ('$1', 'Customer 0001', 3, 'standard', 'Benchmark write', '$ESCALATE_NOW', 'normal', '[\"api\"]', 'open',
          '$ESCALATE_NOW', '$ESCALATE_NOW')"
    }
    line=$(python3 "$here/writers.py" -n "$PG_WRITE_ROUNDS" -w "$PG_WRITERS" -k "$PG_WRITES" \
        --stderr "$work/pgwrites.err" --label escalate --label psql -- \
        "$escalate" --ledger "$u_ledger" case add "W{r}-{w}-{k}" --customer "Customer 0001" --severity 3 \
        --tier standard --title "Benchmark write" --tag api ::: \
        "$psql" -X -q -v ON_ERROR_STOP=1 -d "$u_psql" -c "$(insert "P{r}-{w}-{k}")")
    pg_lines+=("$(sed 's/^/pg-writes\t/' <<<"$line")")
    say "bench: PostgreSQL: $PG_WRITERS concurrent psql sessions x $PG_WRITES INSERTs"
    session=()
    for ((k = 1; k <= PG_WRITES; k++)); do session+=(-c "$(insert "S{r}-{w}-$k")"); done
    sline=$(python3 "$here/writers.py" -n "$PG_WRITE_ROUNDS" -w "$PG_WRITERS" -k 1 --per-command "$PG_WRITES" \
        --stderr "$work/pgsession.err" --label psql -- \
        "$psql" -X -q -v ON_ERROR_STOP=1 -d "$u_psql" "${session[@]}")
    pg_lines+=("pg-writes-session"$'\t'"$sline")
    # Errors the server logged (our own server only): the log is the server's word on what failed.
    pg_log_errors=""
    if [[ -n $pgdir && -f $pgdir/server.log ]]; then
        pg_log_errors=$(grep -cE '(ERROR|FATAL|PANIC):' "$pgdir/server.log" || true)
        if [[ $pg_log_errors != 0 ]]; then
            pg_log_errors+=" ERROR/FATAL lines, the first: $(grep -m1 -E '(ERROR|FATAL|PANIC):' "$pgdir/server.log" | cut -c1-200)"
        else
            pg_log_errors="no errors"
        fi
    fi
    w_esc=$(pgq "$u_ledger" "SELECT count(*) FROM cases WHERE id LIKE 'W%'")
    w_esc_events=$(pgq "$u_ledger" "SELECT count(*) FROM events WHERE kind = 'case-added' AND case_id LIKE 'W%'")
    w_psql=$(pgq "$u_psql" "SELECT count(*) FROM cases WHERE id LIKE 'P%'")
    w_session=$(pgq "$u_psql" "SELECT count(*) FROM cases WHERE id LIKE 'S%'")
    # Failed writes fail the script, after the report.
    for l in "escalate case add|$(sed -n 1p <<<"$line")|pgwrites.err.0" "psql INSERT|$(sed -n 2p <<<"$line")|pgwrites.err.1" \
        "psql session|$sline|pgsession.err.0"; do
        IFS='|' read -r what fields errf <<<"$l"
        failures=$(cut -f9 <<<"$fields")
        if [[ $failures != 0 ]]; then
            pg_fail+="bench: $failures of the $w_total writes ($what) failed; the first:"$'\n'
            pg_fail+=$(sed 's/^/  | /' "$work/$errf" | head -20)$'\n'
        fi
    done
    if [[ $w_esc != "$w_total" || $w_esc_events != "$w_total" || $w_psql != "$w_total" || $w_session != "$w_total" ]]; then
        pg_fail+="bench: expected $w_total rows from each side's writes, found $w_esc cases and $w_esc_events case-added events"
        pg_fail+=" from escalate, $w_psql from psql -c, $w_session from the psql sessions"$'\n'
    fi
fi
load_after=$(load)

# ---- report -----------------------------------------------------------------------------
# One line per task and side: task, label, then timer.py's columns.
tag() { sed "s/^/$1\t/"; }
{
    printf '%s\n' "${imp_esc[@]}" "${imp_sq[@]}" | tag import
    tag check <<<"$check_line"
    tag list <<<"$list_line"
    tag ndjson <<<"$ndjson_line"
    ((${#pg_lines[@]} == 0)) || printf '%s\n' "${pg_lines[@]}"
} >results.tsv
if ((PG)); then
    python3 "$here/report.py" results.tsv "$N" "$RUNS" "$IMPORT_RUNS" "$PG_WRITERS" "$PG_WRITES" "$PG_WRITE_ROUNDS"
else
    python3 "$here/report.py" results.tsv "$N" "$RUNS" "$IMPORT_RUNS"
fi

sqlite_cli=$(sqlite3 --version | cut -d' ' -f1)
sqlite_lib=$(grep -aoE -m1 '20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9a-f]{64}' "$escalate" | head -1 | cut -c1-19 || true)
cpu_model=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)

sq_cache=${SQLITE_CACHE_KIB:+$SQLITE_CACHE_KIB KiB (BENCH_SQLITE_CACHE_KIB)}
sq_cache=${sq_cache:-sqlite3\'s default}

cat <<EOF

Data: $N cases ($csv_mib MiB of CSV, $CUSTOMERS customers); $requested requested escalations made
  with SQL; check on case $check_id, which has one (so check exits 1: not eligible).
  escalate validated every record against the policy, checked for duplicate ids, and wrote
  $rows_esc cases, $events events (one case-added each)${others}: ledger $ledger_mib MiB.
  sqlite3 wrote $rows_sq rows into the same cases table and indexes (WAL too, via a TEMP
  staging table, page cache $sq_cache): $sqdb_mib MiB.
  Rows that differ between the two (id..status): $diff_rows.
  list output: escalate $list_bytes_esc bytes (table), sqlite3 $list_bytes_sq bytes (-box); ndjson $ndjson_rows lines.
Machine: $(nproc) CPUs${cpu_model:+ ($cpu_model)}, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM,
  load average before $load_before, after $load_after.
  sqlite3 shell $sqlite_cli; SQLite bundled in escalate: ${sqlite_lib:-unknown} (source date);
  $("$escalate" --version 2>/dev/null | head -1) at $escalate$(
    if [[ -n ${BENCH_ESCALATE:-} ]]; then
        echo " (BENCH_ESCALATE)"
    else
        echo ", built from $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")$(
            git -C "$root" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo " with uncommitted changes")"
    fi).
EOF

if ((PG)); then
    cat <<EOF
PostgreSQL $pg_version via $pg_via${pgdir:+ (this script's server, initdb'd for this run)}:
  $pg_settings. psql: $psql.
  import: escalate wrote $pg_rows_esc cases, $pg_events events, $pg_others: $pg_esc_mib MiB of tables and indexes;
  psql wrote $pg_rows_psql rows into the same cases table and indexes (made by $pg_schema_via, before
  the clock starts), through a TEMP staging table: $pg_psql_mib MiB. Same rows on both sides (id..status): $pg_same.
  check and list on a copy of the SQLite ledger (escalate ledger copy, then VACUUM ANALYZE): $pg_cases cases,
  $pg_requested requested escalations, $pg_ledger_mib MiB; psql's JSON list $pg_ndjson_rows lines.
  escalate's outputs on PostgreSQL against SQLite's: $pg_outputs.
  writes: escalate added $w_esc cases ($w_esc_events case-added events) to that copy; psql inserted $w_psql rows
  (one process each) and $w_session rows (a session per writer) into the cases table of its import database.${pg_log_errors:+
  server log: $pg_log_errors.}
EOF
fi
if [[ -n ${pg_fail:-} ]]; then
    printf '\n%s' "$pg_fail" >&2
    exit 1
fi
