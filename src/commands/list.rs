//! `escalate list`: escalations, filtered by state, level and destination.

use crate::app::{Ctx, key_of};
use crate::cli::ListArgs;
use crate::error;
use crate::ledger::queries::{self, EscalationFilter};
use crate::model::EscState;
use crate::render::cases::{EscalationView, escalation_table};

pub fn run(ctx: &Ctx, a: &ListArgs) -> anyhow::Result<u8> {
    let p = ctx.policy();
    let (state, only_active) = match a.state.as_str() {
        "all" => (None, false),
        "open" => (None, true),
        s => {
            let st: EscState = s.parse().map_err(|e| error::bad_input(format!("{e} for --state (or open, all)")))?;
            (Some(st.to_string()), false)
        }
    };
    if let Some(l) = a.level {
        if p.level(l).is_none() {
            return Err(error::bad_input(format!("unknown level {l} for --level (accepted: 1 to {})", p.top_level())));
        }
    }
    let filter = EscalationFilter {
        state,
        level: a.level,
        destination: a.to.as_deref().map(|d| key_of(&p.destinations, "--to", "destination", d)).transpose()?,
        case_id: None,
    };
    let ledger = ctx.read_ledger()?;
    let mut escalations = queries::list_escalations(&ledger.conn, &filter)?;
    if only_active {
        escalations.retain(|e| e.state.is_active());
    }
    let mut customers = std::collections::HashMap::new();
    for e in &escalations {
        if !customers.contains_key(&e.case_id) {
            if let Some(c) = queries::customer_of(&ledger.conn, &e.case_id)? {
                customers.insert(e.case_id.clone(), c);
            }
        }
    }
    let views: Vec<EscalationView> = escalations
        .iter()
        .map(|e| EscalationView::with_customer(e, p, customers.get(&e.case_id).map(String::as_str)))
        .collect();
    let format = ctx.out.list_format(a.format.format)?;
    ctx.out.rows(format, &views, None, || escalation_table(&ctx.out, &views, p, ctx.now))?;
    Ok(0)
}
