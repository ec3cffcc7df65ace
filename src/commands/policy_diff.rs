//! `escalate policy diff [OLD] NEW`: the changes between two policies, key by key;
//! with one file, from the policy in force to it.

use std::path::PathBuf;

use serde_json::json;

use crate::policy::load::{self, Origin};
use crate::render::{self, Out};

pub fn run(g: &crate::cli::Global, out: &Out, files: &[PathBuf]) -> anyhow::Result<u8> {
    // Both must be valid policies: an invalid one is exit 3 with file:line:col.
    let (before, after) = match files {
        [old, new] => (load::load_from(Origin::Named(old.clone()))?, load::load_from(Origin::Named(new.clone()))?),
        [new] => (load::load(g.policy.as_deref())?, load::load_from(Origin::Named(new.clone()))?),
        _ => return Err(crate::error::bad_input("give OLD NEW, or NEW to compare with the policy in force")),
    };
    let changes = crate::policy::diff::diff(&before.text, &after.text).map_err(crate::error::policy)?;
    if out.json {
        out.json(&json!({
            "old": { "file": before.origin.to_string(), "digest": before.digest },
            "new": { "file": after.origin.to_string(), "digest": after.digest },
            "changes": changes,
        }))?;
    } else {
        out.print(&render::diff::words(&named(&before.origin), &named(&after.origin), &changes))?;
    }
    Ok(0)
}

/// A policy as the words name it.
fn named(o: &Origin) -> String {
    match o {
        Origin::BuiltIn => "the built-in policy".into(),
        other => other.to_string(),
    }
}
