#!/usr/bin/env bash
# Benchmark: does a command cost the same on a ledger of 1,000,000 cases as on one of
# 10,000? Each command is timed as a whole process on both sizes, side by side, with its
# growth (1,000,000 over 10,000) beside its ratio to the sqlite3 shell (and psql) reading
# the same rows; the import against sqlite3's `.import` of the same CSV into a table with
# only a primary key, and into a ledger already holding as many cases. See bench/scale.py.
#
#   bash bench/run.sh                          # 10,000 and 1,000,000 cases (about 15 minutes)
#   BENCH_SIZES=1000,10000 bash bench/run.sh   # a quick run
#   BENCH_PG=1 bash bench/run.sh               # and the same on PostgreSQL, against psql
#
# Settings (environment):
#   BENCH_SIZES        ledger sizes, comma-separated                  (10000,1000000)
#   BENCH_RUNS         runs of each read command; the median counts   (3)
#   BENCH_IMPORT_RUNS  runs of each import, each into a fresh ledger  (3)
#   BENCH_OPEN         open cases (the others are closed)             (2000)
#   BENCH_ESCALATIONS  requested escalations, added with SQL          (200)
#   BENCH_CUSTOMERS    distinct customers                             (5000)
#   BENCH_CSV_DIR      keep the generated CSV files there and reuse them (default: the work directory)
#   BENCH_KEEP=1       keep the work directory
#   BENCH_TMPDIR       where the work directory is made               ($TMPDIR or /tmp)
#   BENCH_ESCALATE     an escalate binary to measure instead of building this checkout
#   BENCH_PG=1         also on PostgreSQL: a throwaway server the script starts (initdb and
#                      pg_ctl from BENCH_PG_BIN or PATH or /usr/lib/postgresql/*/bin, default
#                      settings, fsync on, its unix socket in the work directory; as the user
#                      postgres when run as root), stopped and removed on exit
#   BENCH_PG_BIN       where initdb, pg_ctl and psql are
#   ESCALATE_NOW       the pinned clock (2026-11-23T12:00:00Z: after every generated opening)
#
# Timing never fails the script: it reports. It exits non-zero only when something does not
# work. bench/versus.sh is the earlier comparison at one size (check, list, concurrent writers).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
export ESCALATE_NOW=${ESCALATE_NOW:-2026-11-23T12:00:00Z}
PG=${BENCH_PG:-0}
say() { printf 'bench: %s\n' "$*" >&2; }

for tool in sqlite3 python3 awk ${BENCH_ESCALATE:+-} cargo; do
    [[ $tool == - ]] && break
    command -v "$tool" >/dev/null 2>&1 || { say "$tool is needed and is not on PATH"; exit 2; }
done

if ((PG)); then
    pgbin=${BENCH_PG_BIN:-}
    if [[ -z $pgbin ]]; then
        if p=$(command -v pg_ctl 2>/dev/null) && [[ -x $(dirname "$(readlink -f "$p")")/initdb ]]; then
            pgbin=$(dirname "$(readlink -f "$p")")
        else
            pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
        fi
    fi
    if [[ -z $pgbin || ! -x $pgbin/initdb || ! -x $pgbin/pg_ctl || ! -x $pgbin/psql ]]; then
        say "BENCH_PG=1 needs PostgreSQL's initdb, pg_ctl and psql (set BENCH_PG_BIN), for example:"
        say "  sudo apt-get install -y postgresql"
        exit 2
    fi
    as_pg=()
    if [[ $(id -u) == 0 ]]; then
        command -v runuser >/dev/null 2>&1 && id postgres >/dev/null 2>&1 ||
            { say "as root the server runs as the user postgres through runuser: both are needed"; exit 2; }
        as_pg=(runuser -u postgres --)
    fi
fi

if [[ -n ${BENCH_ESCALATE:-} ]]; then
    escalate=$(cd "$(dirname "$BENCH_ESCALATE")" && pwd)/$(basename "$BENCH_ESCALATE")
else
    say "building the release binary (cargo build --release --locked)"
    (cd "$root" && cargo build --release --locked)
    escalate=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/escalate
fi
[[ -x $escalate ]] || { say "no escalate binary at $escalate"; exit 1; }

work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/escalate-scale.XXXXXX")
pgdir=""
cleanup() {
    if [[ -n $pgdir && -f $pgdir/data/postmaster.pid ]]; then
        (cd "$pgdir" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -w -t 60 -m fast stop >/dev/null 2>&1) ||
            say "could not stop the PostgreSQL server in $pgdir"
    fi
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The built-in policy (an empty config dir), a pinned clock and actor.
mkdir -p "$work/config" "$work/data"
export XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data HOME=$work ESCALATE_ACTOR=bench
unset ESCALATE_POLICY ESCALATE_LEDGER NO_COLOR COLUMNS || true

pg_args=()
if ((PG)); then
    pgdir=$work/pg
    mkdir -p "$pgdir"
    ((${#as_pg[@]} == 0)) || chown -R postgres: "$work"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    say "starting a PostgreSQL server ($pgbin) in $pgdir, port $port"
    (cd "$pgdir" && "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U postgres -E UTF8 --locale=C \
        --auth-local=trust >"$pgdir/initdb.log" 2>&1) || { say "initdb failed (see $pgdir/initdb.log)"; exit 1; }
    (cd "$pgdir" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -w -t 60 -l "$pgdir/server.log" \
        -o "-k '$pgdir' -p $port -c listen_addresses=''" start >/dev/null 2>&1) ||
        { say "the PostgreSQL server did not start (see $pgdir/server.log)"; exit 1; }
    pg_args=(--pg-url-template "postgresql://postgres@/__DB__?host=$pgdir&port=$port" --psql "$pgbin/psql")
fi

python3 "$here/scale.py" --escalate "$escalate" --work "$work" \
    --sizes "${BENCH_SIZES:-10000,1000000}" --runs "${BENCH_RUNS:-3}" --import-runs "${BENCH_IMPORT_RUNS:-3}" \
    --open "${BENCH_OPEN:-2000}" --escalations "${BENCH_ESCALATIONS:-200}" --customers "${BENCH_CUSTOMERS:-5000}" \
    ${BENCH_CSV_DIR:+--csv-dir "$BENCH_CSV_DIR"} "${pg_args[@]}"

cat <<EOF
Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')),
  load average at the end $(cut -d' ' -f1-3 /proc/loadavg); sqlite3 $(sqlite3 --version | cut -d' ' -f1)$(
    ((PG)) && echo "; PostgreSQL $("$pgbin/postgres" --version | sed 's/.*) //')").
  $("$escalate" --version | head -1), built from $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")$(
    git -C "$root" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo " with uncommitted changes").
EOF
