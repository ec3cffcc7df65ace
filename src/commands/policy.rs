//! `escalate policy check|show|path`.

use serde_json::json;

use crate::cli::{Global, PolicyCommand};
use crate::policy::load::{self, Origin};
use crate::render::{self, Out};

pub fn run(g: &Global, cmd: &PolicyCommand) -> anyhow::Result<u8> {
    let out = Out::from_env(g.json);
    match cmd {
        PolicyCommand::Replay(a) => return super::replay::run(g, a),
        PolicyCommand::Diff { files } => return super::policy_diff::run(g, &out, files),
        PolicyCommand::Check { file } => {
            let origin = match file {
                Some(f) => Origin::Named(f.clone()),
                None => load::locate(g.policy.as_deref()),
            };
            let loaded = load::load_from(origin)?;
            let p = &loaded.policy;
            if out.json {
                out.json(&json!({
                    "valid": true,
                    "origin": loaded.origin.to_string(),
                    "digest": loaded.digest,
                    "tiers": p.tiers.len(),
                    "severities": p.severities.len(),
                    "reasons": p.reasons.len(),
                    "levels": p.levels.len(),
                    "destinations": p.destinations.len(),
                }))?;
            } else {
                out.print(&format!(
                    "ok: {} is a valid policy: {}, {}, {}, {}, {}\ndigest: {}\n",
                    loaded.origin,
                    count(p.tiers.len(), "tier", "tiers"),
                    count(p.severities.len(), "severity", "severities"),
                    count(p.reasons.len(), "reason", "reasons"),
                    count(p.levels.len(), "level", "levels"),
                    count(p.destinations.len(), "destination", "destinations"),
                    loaded.digest
                ))?;
            }
        }
        PolicyCommand::Show => {
            let loaded = load::load(g.policy.as_deref())?;
            if out.json {
                out.json(&render::policy::as_json(&loaded))?;
            } else {
                out.print(&render::policy::tables(&out, &loaded))?;
            }
        }
        PolicyCommand::Path => {
            let origin = load::locate(g.policy.as_deref());
            let config = load::config_path();
            if out.json {
                out.json(&json!({
                    "in_force": origin.to_string(),
                    "lookup": [
                        g.policy.as_ref().map(|p| p.display().to_string()),
                        "policy.toml",
                        config.as_ref().map(|p| p.display().to_string()),
                        "built-in",
                    ],
                }))?;
            } else {
                let mark = |found: bool| if found { "  <- in force" } else { "" };
                let named = g.policy.as_ref().map_or("(not set)".into(), |p| p.display().to_string());
                let cfg = config.as_ref().map_or("(no config dir)".into(), |p| p.display().to_string());
                out.print(&format!(
                    "In force: {origin}\nLookup order:\n  1. --policy / ESCALATE_POLICY: {named}{}\n  2. ./policy.toml{}\n  3. {cfg}{}\n  4. built-in{}\n",
                    mark(matches!(origin, Origin::Named(_))),
                    mark(matches!(origin, Origin::WorkingDir(_))),
                    mark(matches!(origin, Origin::ConfigDir(_))),
                    mark(matches!(origin, Origin::BuiltIn)),
                ))?;
            }
        }
    }
    Ok(0)
}

/// "1 level", "4 levels".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
