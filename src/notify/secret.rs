//! Reading a channel's secrets where the policy says they are: an environment
//! variable, or `[secrets]` in the user config file (which must be private).

use crate::policy::channels::Secret;

/// The secret's value, or why it cannot be had (naming the variable or key, never a value).
pub fn resolve(s: &Secret) -> Result<String, String> {
    match s {
        Secret::Env(name) => match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            Ok(_) => Err(format!("environment variable {name} is empty")),
            Err(std::env::VarError::NotPresent) => Err(format!("environment variable {name} is not set")),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!("environment variable {name} is not valid UTF-8")),
        },
        Secret::Config(key) => {
            let (config, file) = crate::config::load().map_err(|e| format!("{e:#}"))?;
            let shown = file.map_or("the config file (there is none)".to_string(), |f| f.display().to_string());
            match config.secrets.get(key) {
                Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                Some(_) => Err(format!("secrets.{key} in {shown} is empty")),
                None => Err(format!("secrets.{key} is not in {shown}")),
            }
        }
    }
}
