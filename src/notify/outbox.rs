//! The outbox in use: notifications queued in the event's transaction, sent
//! after the commit within a time budget, retried by `notify flush`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::Topic;
use super::deliver::{attempt, settle};
use super::message::{self, Facts, Message};
use super::route::{recipients, topic_of};
use super::send::{Allowance, Outcome};
use crate::app::Ctx;
use crate::error;
use crate::events::EventBody;
use crate::ledger::Txn;
use crate::ledger::outbox::{Claim, Delivery, DeliveryState, Listing, NewDelivery, Requeued};
use crate::model::{Case, Escalation};

/// How long past its budget a command's own deliveries stay its own.
const GRACE: Duration = Duration::from_secs(30);
/// Deliveries sent at once.
const PARALLEL: usize = 8;

/// When what is claimed now is released to others, if its sender disappears.
fn hold(now: DateTime<Utc>, budget: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(budget + GRACE).unwrap_or(chrono::Duration::minutes(10))
}

/// Queue the notifications of the event `seq` just appended, in its transaction.
pub fn queue_event(
    ctx: &Ctx,
    tx: &mut dyn Txn,
    seq: i64,
    case_id: &str,
    escalation: Option<i64>,
    body: &EventBody,
) -> anyhow::Result<()> {
    if ctx.policy().notify.channels.is_empty() {
        return Ok(());
    }
    let Some(case) = tx.case(case_id)? else { return Ok(()) };
    queue_case_event(ctx, tx, seq, &case, escalation, body)
}

/// `queue_event` for a case already in hand, as the event left it (an import
/// has it, and reads nothing more unless a channel is told).
pub fn queue_case_event(
    ctx: &Ctx,
    tx: &mut dyn Txn,
    seq: i64,
    case: &Case,
    escalation: Option<i64>,
    body: &EventBody,
) -> anyhow::Result<()> {
    let policy = ctx.policy();
    if policy.notify.channels.is_empty() {
        return Ok(());
    }
    let case_id = case.id.as_str();
    let Some(topic) = topic_of(policy, body, case) else { return Ok(()) };
    // A case's own escalation, or the account escalation it anchors.
    let esc = match escalation {
        Some(id) => match tx.escalations_of(case_id)?.into_iter().find(|e| e.id == id) {
            Some(e) => Some(e),
            None => tx.account_escalations(&case.customer)?.into_iter().find(|e| e.id == id),
        },
        None => None,
    };
    let details = message::event_details(ctx.policy(), body, ctx.tz());
    queue(ctx, tx, topic, case, esc.as_ref(), details, &|channel| format!("event-{seq}-{channel}"), Some(seq))
}

/// Queue one message to every channel routed; `key` names each delivery.
#[allow(clippy::too_many_arguments)]
pub fn queue(
    ctx: &Ctx,
    tx: &mut dyn Txn,
    topic: Topic,
    case: &Case,
    esc: Option<&Escalation>,
    details: Vec<String>,
    key: &dyn Fn(&str) -> String,
    seq: Option<i64>,
) -> anyhow::Result<()> {
    let policy = ctx.policy();
    let to = recipients(policy, topic, case, esc);
    if to.is_empty() {
        return Ok(());
    }
    let document = match esc {
        Some(e) => Some(crate::rules::package::document(policy, case, e, &tx.events_of(&case.id)?, ctx.now)),
        None => None,
    };
    // Ids name the ledger too: another ledger's event 6 is another event.
    let ledger = crate::chain::checkpoint::origin(tx.first_hash()?.as_deref());
    let m = message::build(Facts {
        policy,
        topic,
        at: ctx.now,
        actor: &ctx.actor,
        case,
        esc,
        document: document.as_ref(),
        details,
        ledger: &ledger,
    });
    let json = serde_json::to_string(&m)?;
    for r in to {
        let key = format!("{ledger}-{}", key(&r.channel));
        let d = NewDelivery {
            key: &key,
            channel: &r.channel,
            topic: topic.as_str(),
            case_id: &case.id,
            escalation: esc.map(|e| e.id),
            event_seq: seq,
            message: &json,
            created_at: ctx.now,
            held_until: hold(ctx.now, policy.notify.budget),
        };
        if let Some(id) = tx.enqueue(&d)? {
            ctx.queued.borrow_mut().push(id);
        }
    }
    Ok(())
}

/// What became of each delivery tried.
pub struct Tried {
    pub delivery: Delivery,
    pub outcome: Outcome,
    pub state: DeliveryState,
    pub next_attempt_at: DateTime<Utc>,
}

/// Send these at most `PARALLEL` at a time, each within what is left of the
/// `budget` that ends at `deadline`.
fn send_all(ctx: &Ctx, claimed: Vec<Delivery>, deadline: Instant, budget: Duration) -> Vec<(Delivery, Outcome)> {
    let mut out = Vec::with_capacity(claimed.len());
    let mut rest = claimed.into_iter().peekable();
    while rest.peek().is_some() {
        let batch: Vec<Delivery> = rest.by_ref().take(PARALLEL).collect();
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            out.extend(batch.into_iter().map(|d| (d, Outcome::Retry(String::new()))));
            continue;
        }
        let (policy, time) = (ctx.policy(), Allowance { left, budget });
        let results: Vec<Outcome> = std::thread::scope(|s| {
            let handles: Vec<_> = batch.iter().map(|d| s.spawn(move || attempt(policy, d, time))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Outcome::Retry("the delivery thread failed".into())))
                .collect()
        });
        out.extend(batch.into_iter().zip(results));
    }
    out
}

/// Claim, send by `deadline` (where `budget` ends), and record each outcome,
/// in short transactions.
fn run(ctx: &Ctx, which: Claim, deadline: Instant, budget: Duration) -> anyhow::Result<Vec<Tried>> {
    let mut ledger = ctx.write_ledger()?;
    let claimed = {
        let mut tx = ledger.begin()?;
        let c = tx.claim_deliveries(which, hold(ctx.now, budget))?;
        tx.commit()?;
        c
    };
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let sent = send_all(ctx, claimed, deadline, budget);
    let mut tx = ledger.begin()?;
    let mut tried = Vec::with_capacity(sent.len());
    for (d, outcome) in sent {
        let outcome = match outcome {
            Outcome::Retry(why) if why.is_empty() => {
                Outcome::Retry(format!("not tried: the {}s budget ran out first", budget.as_secs()))
            }
            o => o,
        };
        let s = settle(ctx.policy(), &d, &outcome, ctx.now);
        let (state, next_attempt_at) = (s.state, s.next_attempt_at);
        tx.settle_delivery(&s)?;
        tried.push(Tried { delivery: d, outcome, state, next_attempt_at });
    }
    tx.commit()?;
    Ok(tried)
}

/// After a command's commit: send what it queued within the policy's budget.
/// Nothing here changes the command's outcome: what fails stays pending and is
/// named on stderr.
pub fn after_command(ctx: &Ctx) {
    let ids = std::mem::take(&mut *ctx.queued.borrow_mut());
    if ids.is_empty() {
        return;
    }
    let budget = ctx.policy().notify.budget;
    let warn = |s: String| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "warning: {}", crate::render::clean(&s));
    };
    match run(ctx, Claim::Own(&ids), Instant::now() + budget, budget) {
        Ok(tried) => {
            for t in tried.iter().filter(|t| t.state != DeliveryState::Sent) {
                let why = match &t.outcome {
                    Outcome::Retry(w) | Outcome::Permanent(w) => w.as_str(),
                    Outcome::Sent => "",
                };
                let what = if t.state == DeliveryState::Pending {
                    "is pending (`escalate notify flush` retries it)"
                } else {
                    "failed for good (`escalate notify retry` sends it again once the channel is fixed)"
                };
                warn(format!(
                    "the {} notification to channel {:?} {what}: {why}",
                    t.delivery.topic, t.delivery.channel
                ));
            }
        }
        Err(e) => warn(format!(
            "{} notifications are queued but were not sent ({e:#}); `escalate notify flush` sends them",
            ids.len()
        )),
    }
}

/// `notify flush`: send everything due, up to `limit`, within `budget`.
pub fn flush(ctx: &Ctx, budget: Duration, limit: i64) -> anyhow::Result<Vec<Tried>> {
    let deadline = Instant::now() + budget;
    let mut all = Vec::new();
    while (all.len() as i64) < limit {
        if Instant::now() >= deadline {
            break;
        }
        let take = (limit - all.len() as i64).min(PARALLEL as i64);
        let tried = run(ctx, Claim::Due { now: ctx.now, limit: take }, deadline, budget)?;
        if tried.is_empty() {
            break;
        }
        all.extend(tried);
    }
    Ok(all)
}

/// Which failed deliveries `notify retry` sends again.
pub enum Again<'a> {
    /// These, each of which must have failed.
    Ids(&'a [i64]),
    /// Every failed one, to this channel only when one is given.
    All { channel: Option<&'a str> },
}

/// `notify retry`: put failed deliveries back to pending in one transaction
/// (named ones that are unknown or not failed refuse the lot), then send them
/// within `budget`.
pub fn retry(ctx: &Ctx, which: Again, budget: Duration) -> anyhow::Result<Vec<Tried>> {
    let deadline = Instant::now() + budget;
    let mut ledger = ctx.write_ledger()?;
    let mut tx = ledger.begin()?;
    let (ids, named) = match which {
        Again::Ids(ids) => (ids.to_vec(), true),
        Again::All { channel } => {
            let failed = tx.deliveries(Listing::Failed, i64::MAX)?;
            (failed.iter().rev().filter(|d| channel.is_none_or(|c| d.channel == c)).map(|d| d.id).collect(), false)
        }
    };
    let mut again = Vec::with_capacity(ids.len());
    for id in ids {
        match tx.requeue_delivery(id, ctx.now, hold(ctx.now, budget))? {
            Requeued::Done => again.push(id),
            // Another retry took it meanwhile.
            Requeued::Was(_) if !named => {}
            Requeued::Was(state) => {
                let why = if state == DeliveryState::Sent {
                    "was sent"
                } else {
                    "is pending: `escalate notify flush` sends it"
                };
                return Err(error::bad_input(format!(
                    "notification {id} {why}; only failed ones are sent again (`escalate notify list --failed`)"
                )));
            }
            Requeued::Unknown => {
                return Err(error::bad_input(format!(
                    "no notification has id {id} (`escalate notify list --failed` shows the failed ones)"
                )));
            }
        }
    }
    tx.commit()?;
    drop(ledger);
    if again.is_empty() {
        return Ok(Vec::new());
    }
    run(ctx, Claim::Own(&again), deadline, budget)
}

/// `notify test CHANNEL`: a test message, sent now and not queued.
pub fn test(ctx: &Ctx, channel: &str) -> Outcome {
    // The example case has the policy's least severity and its first tier, labelled as the policy labels them.
    let p = ctx.policy();
    let (severity, severity_label) =
        p.severities.iter().max_by_key(|(n, _)| **n).map_or((3, String::new()), |(n, s)| (*n, s.label.clone()));
    let (tier, tier_label) = p.tiers.iter().next().map_or_else(Default::default, |(k, t)| (k.clone(), t.label.clone()));
    let m = Message {
        version: message::VERSION,
        topic: Topic::Test,
        at: ctx.now,
        timezone: ctx.tz().name().to_string(),
        actor: message::who(ctx.policy(), &ctx.actor),
        headline: format!("A test message from escalate to channel {channel}, sent by {}", ctx.actor),
        details: vec!["If you can read this, the channel is set up.".into()],
        case: message::CaseInfo {
            id: "TEST-1".into(),
            customer: "Example customer".into(),
            title: "A test of the notification channel".into(),
            severity,
            severity_label,
            tier,
            tier_label,
            priority: "normal".into(),
        },
        escalation: None,
        package: None,
        next: None,
        dedup_key: format!("escalate-test-{channel}"),
    };
    let d = Delivery {
        id: 0,
        // From the real clock, as receivers see it (two tests under one --now are two messages).
        key: format!("test-{}-{channel}", chrono::Utc::now().timestamp_micros()),
        channel: channel.to_string(),
        topic: Topic::Test.as_str().into(),
        case_id: m.case.id.clone(),
        escalation: None,
        event_seq: None,
        message: serde_json::to_string(&m).unwrap_or_default(),
        created_at: ctx.now,
        state: DeliveryState::Pending,
        attempts: 0,
        next_attempt_at: ctx.now,
        last_error: None,
        sent_at: None,
    };
    let budget = ctx.policy().notify.budget;
    attempt(ctx.policy(), &d, Allowance { left: budget, budget })
}
