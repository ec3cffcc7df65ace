//! Finding and reading the policy: `--policy`/`ESCALATE_POLICY`, `./policy.toml`,
//! the user's config dir, then the built-in default. Also the policy digest.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::problems::locate as locate_in;
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
///
/// Anything at `./policy.toml` or the config-dir path counts as there, be it
/// a FIFO, a directory or a dangling link: reading it then fails with an error
/// naming it, rather than silently falling back to the next policy.
pub fn locate(named: Option<&Path>) -> Origin {
    if let Some(p) = named {
        return Origin::Named(p.to_path_buf());
    }
    let cwd = PathBuf::from("policy.toml");
    if present(&cwd) {
        return Origin::WorkingDir(cwd);
    }
    match config_path() {
        Some(p) if present(&p) => Origin::ConfigDir(p),
        _ => Origin::BuiltIn,
    }
}

/// Something is at `path`, whatever it is (a dangling link included), or
/// whether it is cannot be told (reading it then says why).
fn present(path: &Path) -> bool {
    use std::io::ErrorKind::{NotADirectory, NotFound};
    std::fs::symlink_metadata(path).map_or_else(|e| !matches!(e.kind(), NotFound | NotADirectory), |_| true)
}

/// The largest policy file read: a policy is a few kilobytes of TOML.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

pub fn load(named: Option<&Path>) -> anyhow::Result<Loaded> {
    load_from(locate(named))
}

pub fn load_from(origin: Origin) -> anyhow::Result<Loaded> {
    let text = match &origin {
        Origin::BuiltIn => BUILT_IN.to_string(),
        Origin::Named(p) | Origin::WorkingDir(p) | Origin::ConfigDir(p) => read_policy(p)?,
    };
    let name = match &origin {
        Origin::BuiltIn => "built-in policy".to_string(),
        other => other.to_string(),
    };
    let policy = Policy::parse(&text, &name)?;
    Ok(Loaded { policy, digest: digest(&text), origin, text })
}

/// A policy file's text: only a regular file, of at most `MAX_POLICY_BYTES`,
/// in UTF-8. The type is checked before opening (a FIFO would block the open)
/// and again on the opened handle, and the read is capped whatever the size
/// said, so neither a device nor a file that grows is read without end.
pub fn read_policy(path: &Path) -> anyhow::Result<String> {
    let shown = path.display();
    let fail = |why: String| error::policy(format!("cannot read policy {shown}: {why}"));
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(path).is_ok() => {
            let to = std::fs::read_link(path).map(|t| format!(" {}", t.display())).unwrap_or_default();
            return Err(fail(format!("it is a symbolic link to{to}, which does not exist")));
        }
        Err(e) => return Err(fail(e.to_string())),
    };
    check_file(&meta).map_err(fail)?;
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let meta = file.metadata().map_err(|e| fail(e.to_string()))?;
    check_file(&meta).map_err(fail)?;
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_POLICY_BYTES) as usize);
    file.take(MAX_POLICY_BYTES + 1).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(fail(format!("it is larger than the limit of {}", size(MAX_POLICY_BYTES))));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
        let name = shown.to_string();
        error::policy(format!("invalid policy: {}", locate_in(&text, &name, at..at + 1, "not valid UTF-8")))
    })
}

/// A regular file within the size limit, or why not.
fn check_file(meta: &std::fs::Metadata) -> Result<(), String> {
    let kind = meta.file_type();
    if !kind.is_file() {
        return Err(format!("it is {}, not a regular file", kind_name(&kind)));
    }
    if meta.len() > MAX_POLICY_BYTES {
        return Err(format!("it is {}, larger than the limit of {}", size(meta.len()), size(MAX_POLICY_BYTES)));
    }
    Ok(())
}

fn kind_name(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
    }
    if kind.is_dir() { "a directory" } else { "an unusual kind of file" }
}

/// "1.5 MiB (1572864 bytes)".
fn size(bytes: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    let scaled = match bytes {
        b if b >= GIB => format!("{:.1} GiB", b as f64 / GIB as f64),
        b if b >= MIB => format!("{:.1} MiB", b as f64 / MIB as f64),
        b if b >= KIB => format!("{:.1} KiB", b as f64 / KIB as f64),
        _ => return format!("{bytes} bytes"),
    };
    format!("{scaled} ({bytes} bytes)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_plainly() {
        assert_eq!(size(12), "12 bytes");
        assert_eq!(size(1 << 20), "1.0 MiB (1048576 bytes)");
        assert_eq!(size(3 << 29), "1.5 GiB (1610612736 bytes)");
    }
}
