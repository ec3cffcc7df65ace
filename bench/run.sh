#!/usr/bin/env bash
# Benchmark: escalate against the sqlite3 shell doing the equivalent work on
# the same data, each timed as a whole process, in the same run.
#
#   bash bench/run.sh                       # 1,000,000 cases (a few minutes)
#   BENCH_CASES=10000 bash bench/run.sh     # a quick end-to-end run
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
#
# The ledger's escalations are not made by escalate: after the import, this script
# inserts BENCH_ESCALATIONS requested level 1 escalations (and one `requested` event
# each) with plain SQL, INSERT ... SELECT from cases spread evenly over the ledger,
# matching the columns `escalate request` writes. PRAGMA user_version is left
# untouched, so escalate still sees its own, current ledger. review_due_at is
# requested_at + 4 clock hours (the policy says 4 business hours; only shown).
#
# Timing never fails the script: it reports. It exits non-zero only when something
# does not work (build, a command failing, sqlite3 or python3 missing).
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
for v in N E RUNS IMPORT_RUNS CUSTOMERS ${SQLITE_CACHE_KIB:+SQLITE_CACHE_KIB}; do
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
cleanup() {
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        say "bench: kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
cd "$work"

# escalate: the built-in policy (no ./policy.toml here, an empty config dir), a
# ledger in the work directory, a pinned clock and actor.
mkdir -p config data
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
load_after=$(load)

# ---- report -----------------------------------------------------------------------------
# One line per task and side: task, label, then timer.py's columns.
tag() { sed "s/^/$1\t/"; }
{
    printf '%s\n' "${imp_esc[@]}" "${imp_sq[@]}" | tag import
    tag check <<<"$check_line"
    tag list <<<"$list_line"
    tag ndjson <<<"$ndjson_line"
} >results.tsv
python3 "$here/report.py" results.tsv "$N" "$RUNS" "$IMPORT_RUNS"

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
