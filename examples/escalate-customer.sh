#!/usr/bin/env bash
# Escalate every case of one customer that may be escalated now, with the
# same reason, destination and package fields for each.
#
#   examples/escalate-customer.sh "Acme Corp" lack-of-progress l2 "No progress for two days" \
#       --field summary="..." --field troubleshooting="..." --field customer-context="..."
#
# Cases that are not eligible (still in their wait window, severity 1, or
# already escalated) are left alone: `case list --eligible` only lists the
# others. Each request is checked again when it is recorded.
set -euo pipefail

if [ $# -lt 4 ]; then
  echo "usage: $0 CUSTOMER REASON DESTINATION DESCRIPTION [--field KEY=VALUE]..." >&2
  exit 2
fi
customer=$1 reason=$2 dest=$3 description=$4
shift 4
escalate() { command "${ESCALATE_BIN:-escalate}" "$@"; }

# The CSV's first column is the id; ids with commas would be quoted, so this
# reads the ids with the CSV header skipped and refuses a quoted one.
ids=$(escalate case list --customer "$customer" --eligible --format csv | tail -n +2 | cut -d, -f1)
if printf '%s\n' "$ids" | grep -q '"'; then
  echo "a case id contains a comma; escalate those cases one by one" >&2
  exit 2
fi
[ -n "$ids" ] || { echo "No case of $customer may be escalated now."; exit 0; }

count=0
while IFS= read -r id; do
  escalate request "$id" --reason "$reason" --to "$dest" --description "$description" "$@" --yes </dev/null
  count=$((count + 1))
done <<<"$ids"
echo "Escalated $count case(s) of $customer."
