//! Finding and reading the policy: `--policy`/`ESCALATE_POLICY`, `./policy.toml`,
//! the user's config dir, then the built-in default. Also the policy digest.

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{BUILT_IN, Policy};
use crate::error;

/// Where the policy in force came from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// Named by `--policy` or `ESCALATE_POLICY`.
    Named(PathBuf),
    /// `./policy.toml` in the working directory.
    WorkingDir(PathBuf),
    /// `policy.toml` in the user's config dir.
    ConfigDir(PathBuf),
    BuiltIn,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Named(p) | Origin::WorkingDir(p) | Origin::ConfigDir(p) => {
                write!(f, "{}", p.display())
            }
            Origin::BuiltIn => f.write_str("built-in"),
        }
    }
}

/// A policy with the text it was read from and that text's digest.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub policy: Policy,
    pub origin: Origin,
    pub text: String,
    pub digest: String,
}

pub fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The user's config-dir policy path, if a home directory is known.
pub fn config_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy().ok().map(|s| s.config_dir().join("escalate").join("policy.toml"))
}

/// Where the policy would come from, in lookup order, without reading it.
pub fn locate(named: Option<&Path>) -> Origin {
    if let Some(p) = named {
        return Origin::Named(p.to_path_buf());
    }
    let cwd = PathBuf::from("policy.toml");
    if cwd.is_file() {
        return Origin::WorkingDir(cwd);
    }
    match config_path() {
        Some(p) if p.is_file() => Origin::ConfigDir(p),
        _ => Origin::BuiltIn,
    }
}

pub fn load(named: Option<&Path>) -> anyhow::Result<Loaded> {
    load_from(locate(named))
}

pub fn load_from(origin: Origin) -> anyhow::Result<Loaded> {
    let text = match &origin {
        Origin::BuiltIn => BUILT_IN.to_string(),
        Origin::Named(p) | Origin::WorkingDir(p) | Origin::ConfigDir(p) => {
            std::fs::read_to_string(p).map_err(|e| error::policy(format!("cannot read policy {}: {e}", p.display())))?
        }
    };
    let name = match &origin {
        Origin::BuiltIn => "built-in policy".to_string(),
        other => other.to_string(),
    };
    let policy = Policy::parse(&text, &name)?;
    Ok(Loaded { policy, digest: digest(&text), origin, text })
}
