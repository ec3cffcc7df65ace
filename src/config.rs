//! The user's config file, `escalate/config.toml` in the config dir: settings
//! a person or a team sets once, such as the shared ledger's location.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error;

/// What the config file may say. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The ledger: a SQLite file path or a `postgres://` URL.
    pub ledger: Option<String>,
    /// Secrets channels read (`url = { config = "KEY" }`): webhook URLs, routing keys, signing secrets.
    #[serde(default)]
    pub secrets: std::collections::BTreeMap<String, String>,
}

/// The config file's path: `$XDG_CONFIG_HOME/escalate/config.toml` or the platform's equivalent.
pub fn path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy().ok().map(|b| b.config_dir().join("escalate").join("config.toml"))
}

/// The config, or the defaults when there is no file. A file that cannot be
/// read or parsed is an error naming it.
pub fn load() -> anyhow::Result<(Config, Option<PathBuf>)> {
    let Some(path) = path().filter(|p| p.exists()) else { return Ok((Config::default(), None)) };
    let config = read(&path)?;
    Ok((config, Some(path)))
}

fn read(path: &Path) -> anyhow::Result<Config> {
    let meta = std::fs::metadata(path)
        .map_err(|e| error::bad_input(format!("cannot read config file {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(error::bad_input(format!("config file {} is not a regular file", path.display())));
    }
    if meta.len() > 1 << 20 {
        return Err(error::bad_input(format!(
            "config file {} is {} bytes; the limit is 1 MiB",
            path.display(),
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| error::bad_input(format!("cannot read config file {}: {e}", path.display())))?;
    let config: Config = toml::from_str(&text).map_err(|e| {
        // Only the place: the line itself may hold a password.
        let start = e.span().map_or(0, |s| s.start.min(text.len()));
        let before = text.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        error::bad_input(format!("invalid config file {}:{line}:{col}: {}", path.display(), e.message().trim()))
    })?;
    let secret = |l: &str| matches!(crate::ledger::Location::parse(l), Ok(crate::ledger::Location::Postgres(u)) if u.has_password());
    if config.ledger.as_deref().is_some_and(secret) || !config.secrets.is_empty() {
        refuse_shared_secret(path, &meta)?;
    }
    Ok(config)
}

/// The config file's ledger: `~/` is the home directory, and a relative path is
/// relative to the config file, so that the same ledger is used from anywhere.
pub fn location(l: &str, file: Option<&Path>) -> anyhow::Result<crate::ledger::Location> {
    use crate::ledger::Location;
    let named = |e: String| {
        error::bad_input(format!(
            "{} (in the config file {})",
            e,
            file.map(|f| f.display().to_string()).unwrap_or_default()
        ))
    };
    match Location::parse(l).map_err(named)? {
        Location::File(p) => {
            let home = std::env::var_os("HOME").map(PathBuf::from);
            let p = match (p.strip_prefix("~"), home) {
                (Ok(rest), Some(home)) => home.join(rest),
                _ => p,
            };
            let p = match file.and_then(Path::parent) {
                Some(dir) if p.is_relative() => dir.join(p),
                _ => p,
            };
            Ok(Location::File(p))
        }
        url => Ok(url),
    }
}

/// A config file holding a password must be private to its owner.
#[cfg(unix)]
fn refuse_shared_secret(path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(error::bad_input(format!(
            "config file {} holds a password or secrets but is readable by others (mode {mode:o}): run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_shared_secret(_: &Path, _: &std::fs::Metadata) -> anyhow::Result<()> {
    Ok(())
}
