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

# The CSV's first column is the id. An id holding a comma comes quoted and
# cannot be cut out safely: such cases are named and left for a person.
ids=$(escalate case list --customer "$customer" --eligible --format csv | tail -n +2 | cut -d, -f1)
[ -n "$ids" ] || { echo "No case of $customer may be escalated now."; exit 0; }

count=0
failed=()
while IFS= read -r id; do
  case "$id" in
    \"*) echo "skipped a case whose id holds a comma ($id...): escalate it by hand" >&2; failed+=("$id"); continue ;;
  esac
  # `--` ends the options, so an id is never read as a flag.
  if escalate request --reason "$reason" --to "$dest" --description "$description" "$@" --yes -- "$id" </dev/null; then
    count=$((count + 1))
  else
    failed+=("$id")
  fi
done <<<"$ids"
echo "Escalated $count case(s) of $customer."
if [ ${#failed[@]} -gt 0 ]; then
  echo "Not escalated: ${failed[*]}" >&2
  exit 1
fi
