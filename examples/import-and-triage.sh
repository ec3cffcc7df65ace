#!/usr/bin/env bash
# Import a CSV export from the ticketing system, then list what may be
# escalated now: the cases whose wait window has ended and that have no open
# escalation.
#
#   examples/import-and-triage.sh [FILE.csv]     # default: examples/data/tickets.csv
#
# Re-running it is safe: --upsert updates cases already in the ledger and
# leaves unchanged ones alone. A file with a bad record imports nothing and
# exits 2, naming each bad line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
escalate() { command "${ESCALATE_BIN:-escalate}" "$@"; }
csv=${1:-"$here/data/tickets.csv"}

escalate case import --upsert "$csv"
echo
echo "May be escalated now:"
escalate case list --eligible
