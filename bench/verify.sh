#!/usr/bin/env bash
# Benchmark: `escalate ledger verify` (recompute the event log's hash chain)
# against `sha256sum` over an export of the same events, in the same run.
#
#   bash bench/verify.sh                      # 1,000,000 cases, one event each
#   BENCH_CASES=10000 bash bench/verify.sh    # a quick run
#
# Settings: BENCH_CASES (1000000), BENCH_RUNS (3), BENCH_ESCALATE (a binary to
# measure instead of building this checkout), BENCH_TMPDIR, BENCH_KEEP=1.
# Prints each run's times, the median of each and the ratio, with the spread.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cases=${BENCH_CASES:-1000000}
runs=${BENCH_RUNS:-3}
work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/escalate-verify.XXXXXX")
[ "${BENCH_KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT

if [ -n "${BENCH_ESCALATE:-}" ]; then
  bin=$BENCH_ESCALATE
else
  cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
  bin="$here/../target/release/escalate"
fi
export ESCALATE_LEDGER="$work/ledger.db" XDG_CONFIG_HOME="$work/config" ESCALATE_NOW="2026-11-23 12:00" ESCALATE_ACTOR=bench

awk -v n="$cases" -f "$here/gen_cases.awk" > "$work/cases.csv"
"$bin" case import "$work/cases.csv" > /dev/null
"$bin" export events --format ndjson > "$work/events.ndjson"
echo "events: $(wc -l < "$work/events.ndjson"), export: $(du -h "$work/events.ndjson" | cut -f1)"

# Interleaved runs (verify, sha256sum, verify, ...): a change in load hits both.
python3 "$here/timer.py" -n "$runs" --label verify --label sha256sum -- \
  "$bin" ledger verify ::: sha256sum "$work/events.ndjson" > "$work/times.tsv"
python3 - "$work/times.tsv" <<'PY'
import sys
rows = {l.split("\t")[0]: l.split("\t") for l in open(sys.argv[1]) if l.strip()}
v, s = rows["verify"], rows["sha256sum"]
med = lambda r: float(r[1])
print(f"verify     median {float(v[1]):.2f} s (min {float(v[2]):.2f}, max {float(v[3]):.2f})")
print(f"sha256sum  median {float(s[1]):.2f} s (min {float(s[2]):.2f}, max {float(s[3]):.2f})")
print(f"ratio verify / sha256sum: {med(v) / med(s):.2f}x (from {float(v[2]) / float(s[3]):.2f}x to {float(v[3]) / float(s[2]):.2f}x); target 3x")
PY
