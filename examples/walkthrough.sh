#!/usr/bin/env bash
# A tour of escalate on the built-in policy, with a ledger it creates in a
# temporary directory. Times are fixed with ESCALATE_NOW so the story is the
# same every run: a severity 2 premium case opened on Monday morning.
#
#   bash examples/walkthrough.sh            # builds escalate with cargo first
#   ESCALATE_BIN=/path/to/escalate bash examples/walkthrough.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${ESCALATE_BIN:-}" ]; then
  cargo build --quiet --manifest-path "$here/Cargo.toml"
  ESCALATE_BIN="$here/target/debug/escalate"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" # no ./policy.toml here: the built-in policy is in force

export ESCALATE_LEDGER="$work/ledger.db" ESCALATE_ACTOR=sam NO_COLOR=1
escalate() { "$ESCALATE_BIN" "$@"; }
step() { printf '\n== %s\n$ escalate %s\n' "$1" "${*:2}"; }
at() { export ESCALATE_NOW="$1"; printf '\n-- it is now %s\n' "$1"; }

at "2026-11-23 09:00"
step "A premium customer's severity 2 case, opened at 08:00" case add ACME-1042 --customer "Acme Corp" --severity 2 --tier premium --title "Checkout fails for EU shoppers" --opened-at "2026-11-23 08:00" --tag checkout
escalate case add ACME-1042 --customer "Acme Corp" --severity 2 --tier premium \
  --title "Checkout fails for EU shoppers" --opened-at "2026-11-23 08:00" --tag checkout

step "May we escalate yet? (exit 1: not yet, and it says when)" check ACME-1042
escalate check ACME-1042 || echo "(exit $?)"

at "2026-11-23 12:30"
step "After the 4h premium wait" check ACME-1042 --to engineering
escalate check ACME-1042 --to engineering

step "Request it, with every flag so no prompt is needed" request ACME-1042 --reason customer-deadline --to engineering ...
escalate request ACME-1042 --reason customer-deadline --to engineering \
  --description "EU checkout has failed since Friday's deploy; Acme's sale starts Thursday" \
  --field summary="Checkout returns HTTP 500 for EU shoppers" \
  --field reproduction="Add any item to the cart, pay with SEPA" \
  --field expected="Order confirmed" --field observed="HTTP 500 from /pay" \
  --field environment="eu-west, release 4.2" --field impact="40% of Acme orders, about \$30k a day"

at "2026-11-23 14:00"
step "Promote too early: refused (exit 1) until the 4 business hour review window ends" promote ACME-1042 --why "No reply"
escalate promote ACME-1042 --why "No reply" || echo "(exit $?)"

at "2026-11-23 16:45"
step "The review window ended at 16:30: promote to level 2" promote ACME-1042 --why "No reviewer response; sale starts Thursday"
escalate promote ACME-1042 --why "No reviewer response; sale starts Thursday"

step "What is open" list
escalate list

step "An outage goes to the outage process, not an escalation" case add ACME-1043 ...
escalate case add ACME-1043 --customer "Acme Corp" --severity 1 --tier premium --title "Site down" --opened-at "2026-11-23 16:40"
escalate check ACME-1043 || echo "(exit $?)"

step "The whole story of the first case" show ACME-1042
escalate show ACME-1042
