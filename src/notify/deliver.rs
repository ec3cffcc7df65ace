//! One delivery: the stored message put in the channel's form, with its
//! secrets read, sent, and the outcome; and the retry schedule. The schedule
//! is pure; sending goes through `send`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Topic;
use super::format;
use super::message::Message;
use super::secret::resolve;
use super::send::{self, Allowance, Outcome, Service};
use crate::ledger::outbox::{Delivery, DeliveryState, Settled};
use crate::policy::Policy;
use crate::policy::channels::Target;

/// Send `d` now, within what `time` leaves of the budget. What went wrong is said
/// without the channel's secrets, even where a receiver's answer repeated them
/// (a 404 page echoing the URL's path): the words are printed and kept.
pub fn attempt(policy: &Policy, d: &Delivery, time: Allowance) -> Outcome {
    let mut secrets = Vec::new();
    let outcome = attempt_with(policy, d, time, &mut secrets);
    super::secret::scrub(outcome, &secrets)
}

fn attempt_with(policy: &Policy, d: &Delivery, time: Allowance, secrets: &mut Vec<String>) -> Outcome {
    let timeout = time.left;
    let Some(channel) = policy.notify.channels.get(&d.channel) else {
        return Outcome::Retry(format!("channel {:?} is not in the policy in force", d.channel));
    };
    let m: Message = match serde_json::from_str(&d.message) {
        Ok(m) => m,
        Err(e) => return Outcome::Permanent(format!("the queued message cannot be read: {e}")),
    };
    let body = |v: serde_json::Value| serde_json::to_vec(&v).unwrap_or_default();
    macro_rules! secret {
        ($s:expr) => {
            match resolve($s) {
                Ok(v) => {
                    secrets.push(v.clone());
                    v
                }
                Err(why) => return Outcome::Retry(why),
            }
        };
    }
    match &channel.target {
        Target::Webhook { url, signing } => {
            let url = secret!(url);
            let payload = body(format::envelope(&m, &d.key));
            // The moment of sending, from the real clock even under `--now`:
            // receivers hold it to their own clock to refuse replays.
            let ts = format::unix(Utc::now());
            let mut headers =
                vec![("webhook-id".to_string(), d.key.clone()), ("webhook-timestamp".to_string(), ts.to_string())];
            if let Some(s) = signing {
                let key = format::signing_key(&secret!(s));
                headers.push(("webhook-signature".into(), format::signature(&key, &d.key, ts, &payload)));
            }
            send::post(Service::Webhook, &url, &headers, &payload, timeout)
        }
        Target::Slack { url } => send::post(Service::Slack, &secret!(url), &[], &body(format::slack(&m)), timeout),
        Target::Teams { url } => send::post(Service::Teams, &secret!(url), &[], &body(format::teams(&m)), timeout),
        Target::PagerDuty { routing_key, endpoint, source } => {
            let key = secret!(routing_key);
            let source = source.clone().unwrap_or_else(|| "escalate".into());
            let sent =
                send::post(Service::PagerDuty, endpoint, &[], &body(format::pagerduty(&m, &key, &source)), timeout);
            if m.topic != Topic::Test || !matches!(sent, Outcome::Sent) {
                return sent;
            }
            // A test opens an incident only to show the channel works: it is
            // resolved at once, so that nobody is paged for it.
            send::post(Service::PagerDuty, endpoint, &[], &body(format::pagerduty_resolve(&m, &key)), timeout)
        }
        Target::Command { argv } => {
            let env = [
                ("ESCALATE_DELIVERY_ID", d.key.clone()),
                ("ESCALATE_TOPIC", m.topic.as_str().to_string()),
                ("ESCALATE_CHANNEL", d.channel.clone()),
                ("ESCALATE_CASE", m.case.id.clone()),
                ("ESCALATE_CUSTOMER", m.case.customer.clone()),
                ("ESCALATE_ESCALATION", m.escalation.as_ref().map(|e| e.id.to_string()).unwrap_or_default()),
                ("ESCALATE_LEVEL", m.escalation.as_ref().map(|e| e.level.to_string()).unwrap_or_default()),
                ("ESCALATE_HEADLINE", m.headline.clone()),
            ]
            .map(|(k, v)| (k.to_string(), v));
            send::run(argv, &env, &body(format::envelope(&m, &d.key)), time)
        }
    }
}

/// The longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// What to record after an attempt: sent; failed for good (refused, or out of
/// attempts); or pending until the next try, the wait doubling each time.
pub fn settle<'a>(policy: &Policy, d: &Delivery, outcome: &'a Outcome, now: DateTime<Utc>) -> Settled<'a> {
    let attempts = d.attempts.saturating_add(1);
    let (state, error) = match outcome {
        Outcome::Sent => (DeliveryState::Sent, None),
        Outcome::Permanent(why) => (DeliveryState::Failed, Some(why.as_str())),
        Outcome::Retry(why) if attempts >= policy.notify.max_attempts => (DeliveryState::Failed, Some(why.as_str())),
        Outcome::Retry(why) => (DeliveryState::Pending, Some(why.as_str())),
    };
    let wait = backoff(policy.notify.retry, attempts);
    let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(6));
    Settled {
        id: d.id,
        state,
        attempts,
        next_attempt_at: if state == DeliveryState::Pending { next } else { now },
        last_error: error,
        sent_at: (state == DeliveryState::Sent).then_some(now),
    }
}

/// The wait after the `attempts`-th failure: `first`, doubled each time, at most six hours.
pub fn backoff(first: Duration, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    first.saturating_mul(1u32 << doublings).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let m = Duration::from_secs(60);
        assert_eq!(backoff(m, 1), m);
        assert_eq!(backoff(m, 2), m * 2);
        assert_eq!(backoff(m, 4), m * 8);
        assert_eq!(backoff(m, 40), MAX_BACKOFF);
    }
}
