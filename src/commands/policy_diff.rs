//! `escalate policy diff OLD NEW`: the changes between two policy files, key by key.

use std::path::Path;

use serde_json::json;

use crate::policy::load::{self, Origin};
use crate::render::{self, Out};

pub fn run(out: &Out, old: &Path, new: &Path) -> anyhow::Result<u8> {
    // Both must be valid policies: an invalid one is exit 3 with file:line:col.
    let before = load::load_from(Origin::Named(old.to_path_buf()))?;
    let after = load::load_from(Origin::Named(new.to_path_buf()))?;
    let changes = crate::policy::diff::diff(&before.text, &after.text).map_err(crate::error::policy)?;
    if out.json {
        out.json(&json!({
            "old": { "file": before.origin.to_string(), "digest": before.digest },
            "new": { "file": after.origin.to_string(), "digest": after.digest },
            "changes": changes,
        }))?;
    } else {
        out.print(&render::diff::words(&before.origin.to_string(), &after.origin.to_string(), &changes))?;
    }
    Ok(0)
}
