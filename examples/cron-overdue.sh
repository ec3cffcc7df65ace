#!/usr/bin/env bash
# A cron job that tells people what is overdue: each overdue review or
# customer touch-point goes to the channels the policy routes it to (the
# level's audience, the destination, the owner's own channel), once per
# deadline however often cron runs, and notifications earlier runs could not
# deliver are retried.
#
#   */15 * * * *  ESCALATE_SLACK_URL=https://hooks.slack.com/services/... /path/to/cron-overdue.sh
#
# The channels are the policy's [channels]; their URLs and keys come from the
# environment or from [secrets] in the user config file, never the policy. The
# built-in policy defines none: with it, escalate warns that nobody was told
# (write the team's policy with its channels first: see the README's
# Notifications).
# It exits 1 when anything is overdue (so cron mails), 0 when nothing is, and
# anything else when escalate itself failed.
set -uo pipefail

escalate() { command "${ESCALATE_BIN:-escalate}" "$@"; }

status=0
escalate due --overdue --notify || status=$?
if [ "$status" -gt 1 ]; then
  echo "escalate due failed with exit $status" >&2
  exit "$status"
fi

# Retry what could not be delivered before; exit 6 means some are still pending.
flush=0
escalate notify flush >/dev/null || flush=$?
case "$flush" in
  0) ;;
  6) echo "some notifications are still pending: see \`escalate notify list --pending\`" >&2 ;;
  *) exit "$flush" ;;
esac
exit "$status"
