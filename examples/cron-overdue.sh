#!/usr/bin/env bash
# A cron job that posts overdue follow-through (reviews past their window,
# customer touch-points missed) to a chat webhook, one message per item.
#
#   */15 * * * *  ESCALATE_WEBHOOK=https://chat.example.com/hooks/T0KEN /path/to/cron-overdue.sh
#
# Without ESCALATE_WEBHOOK it prints the messages instead. It exits 1 when
# anything is overdue (so cron mails or CI fails), 0 when nothing is, and
# anything else when escalate itself failed.
set -euo pipefail

escalate() { command "${ESCALATE_BIN:-escalate}" "$@"; }

status=0
items=$(escalate due --overdue --format ndjson) || status=$?
if [ "$status" -gt 1 ]; then
  echo "escalate due failed with exit $status" >&2
  exit "$status"
fi
[ -n "$items" ] || { echo "Nothing is overdue."; exit 0; }

# One JSON object per line; the webhook takes {"text": ...}. Each line is
# valid JSON already, so it is embedded as is rather than parsed in shell.
while IFS= read -r item; do
  payload="{\"text\":\"Overdue escalation follow-through\",\"item\":$item}"
  if [ -n "${ESCALATE_WEBHOOK:-}" ]; then
    curl --fail --silent --show-error -H 'Content-Type: application/json' -d "$payload" "$ESCALATE_WEBHOOK" >/dev/null
  else
    printf '%s\n' "$payload"
  fi
done <<<"$items"
exit 1
