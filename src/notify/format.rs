//! Each channel kind's form of a message: the webhook envelope (signed as
//! Standard Webhooks sign), a Slack message, a Teams Adaptive Card, a
//! PagerDuty event. Pure: the time and the secrets are given.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::Topic;
use super::message::Message;
use crate::time::rfc3339;

/// The webhook (and command) payload: `type`, `timestamp` and the message as `data`.
pub fn envelope(m: &Message, id: &str) -> Value {
    json!({
        "id": id,
        "type": format!("escalate.{}", m.topic.as_str()),
        "timestamp": rfc3339(m.at),
        "data": m,
    })
}

/// The signing key of a Standard Webhooks secret: `whsec_` then base64; any
/// other secret is used as its bytes.
pub fn signing_key(secret: &str) -> Vec<u8> {
    match secret.strip_prefix("whsec_").map(|b| B64.decode(b)) {
        Some(Ok(key)) => key,
        _ => secret.as_bytes().to_vec(),
    }
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, as the `webhook-signature` header.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// Text for Slack's mrkdwn: `&`, `<` and `>` escaped (mentions are added unescaped).
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// At most `max` characters, with an ellipsis when cut: Slack refuses a field over
/// 2,000 characters and a section text over 3,000.
fn fit(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let keep: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{keep}…")
}

/// The facts a person scans: label and value, in order.
fn facts(m: &Message) -> Vec<(&'static str, String)> {
    let c = &m.case;
    let mut out = vec![
        ("Case", if c.title.trim().is_empty() { c.id.clone() } else { format!("{}: {}", c.id, c.title) }),
        ("Customer", c.customer.clone()),
        ("Severity", {
            let label = if c.severity_label.is_empty() { String::new() } else { format!(" ({})", c.severity_label) };
            format!("{}{label}, {}", c.severity, c.tier_label)
        }),
    ];
    if let Some(e) = &m.escalation {
        out.push(("Level", format!("{} ({}): {}", e.level, e.level_name, e.audience.join(", "))));
        out.push(("Reason", e.reason_label.clone()));
        out.push(("Destination", format!("{} ({})", e.destination_label, e.receiver)));
        out.push(("State", e.state.clone()));
        if let Some(due) = &e.review_due {
            out.push(("Review due", due.clone()));
        }
        if let Some(t) = &e.next_touch {
            out.push(("Next touch-point", t.clone()));
        }
    }
    if let Some(p) = &m.package {
        if !p.summary.is_empty() {
            out.push(("Summary", p.summary.clone()));
        }
        out.push(("SLA", p.sla_position.clone()));
        if !p.ask.is_empty() {
            out.push(("Ask", p.ask.clone()));
        }
    }
    out
}

/// A Slack incoming-webhook message: `text` for notifications, `blocks` to read.
pub fn slack(m: &Message) -> Value {
    let mut people = vec![format!("By {}", m.actor.mention)];
    if let Some(e) = &m.escalation {
        people.push(format!("owner {}", e.owner.mention));
        people.push(format!("requested by {}", e.requester.mention));
    }
    let fields: Vec<Value> = facts(m)
        .into_iter()
        .map(|(k, v)| json!({"type": "mrkdwn", "text": fit(format!("*{k}*\n{}", slack_escape(&v)), 1900)}))
        .collect();
    let headline = fit(format!("*{}*", slack_escape(&m.headline)), 2900);
    let mut blocks = vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": headline}})];
    // Slack allows at most ten fields in a section.
    for chunk in fields.chunks(10) {
        blocks.push(json!({"type": "section", "fields": chunk}));
    }
    if !m.details.is_empty() {
        let text = m.details.iter().map(|d| slack_escape(d)).collect::<Vec<_>>().join("\n");
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": fit(text, 2900)}}));
    }
    let mut context = vec![json!({"type": "mrkdwn", "text": people.join(" · ")})];
    if let Some(next) = &m.next {
        context.push(json!({"type": "mrkdwn", "text": format!("Next: `{}`", slack_escape(next))}));
    }
    blocks.push(json!({"type": "context", "elements": context}));
    json!({"text": fit(slack_escape(&m.headline), 2900), "blocks": blocks})
}

/// A Teams Workflows message: one Adaptive Card.
pub fn teams(m: &Message) -> Value {
    let facts: Vec<Value> = facts(m).into_iter().map(|(k, v)| json!({"title": k, "value": v})).collect();
    let mut body = vec![
        json!({"type": "TextBlock", "text": m.headline, "weight": "Bolder", "size": "Medium", "wrap": true}),
        json!({"type": "FactSet", "facts": facts}),
    ];
    for d in &m.details {
        body.push(json!({"type": "TextBlock", "text": d, "wrap": true}));
    }
    let mut people = format!("By {}", m.actor.mention);
    if let Some(e) = &m.escalation {
        people.push_str(&format!(" · owner {} · requested by {}", e.owner.mention, e.requester.mention));
    }
    body.push(json!({"type": "TextBlock", "text": people, "isSubtle": true, "wrap": true}));
    if let Some(next) = &m.next {
        body.push(json!({"type": "TextBlock", "text": format!("Next: {next}"), "fontType": "Monospace", "wrap": true}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
            }
        }]
    })
}

/// PagerDuty's severity for the escalation's rating (an outage is critical; a
/// test is only information).
fn pd_severity(m: &Message) -> &'static str {
    if m.topic == Topic::Test {
        return "info";
    }
    match m.escalation.as_ref().map(|e| e.rating.as_str()) {
        None | Some("Critical") => "critical",
        Some("High") => "error",
        _ => "warning",
    }
}

/// A PagerDuty Events API v2 event: trigger, or resolve when the escalation ends.
pub fn pagerduty(m: &Message, routing_key: &str, source: &str) -> Value {
    if m.topic.resolves() {
        return pagerduty_resolve(m, routing_key);
    }
    let summary: String = m.headline.chars().take(1024).collect();
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": m.dedup_key,
        "payload": {
            "summary": summary,
            "source": source,
            "severity": pd_severity(m),
            "timestamp": rfc3339(m.at),
            "component": m.case.id,
            "group": m.escalation.as_ref().map(|e| e.destination.clone()),
            "class": m.topic.as_str(),
            "custom_details": m,
        }
    })
}

/// The PagerDuty event that resolves what `m`'s trigger opened.
pub fn pagerduty_resolve(m: &Message, routing_key: &str) -> Value {
    json!({"routing_key": routing_key, "event_action": "resolve", "dedup_key": m.dedup_key})
}

/// Seconds since the epoch, for `webhook-timestamp`.
pub fn unix(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = br#"{"test": 2432232314}"#;
        let sig = signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn long_texts_fit_slacks_limits() {
        assert_eq!(fit("abcdef".into(), 4), "abc…");
        assert_eq!(fit("abcd".into(), 4), "abcd");
        assert_eq!(fit("ééééé".into(), 3).chars().count(), 3);
    }

    #[test]
    fn slack_text_is_escaped() {
        assert_eq!(slack_escape("a <b> & c"), "a &lt;b&gt; &amp; c");
    }
}
