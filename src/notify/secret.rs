//! Reading a channel's secrets where the policy says they are: an environment
//! variable, or `[secrets]` in the user config file (which must be private); and
//! words about a delivery with those secrets taken out.

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

/// `outcome` with each secret, and each token-like part of a secret URL (its path,
/// a long path segment, a query value, a password), replaced by `***`.
pub fn scrub(outcome: super::send::Outcome, secrets: &[String]) -> super::send::Outcome {
    use super::send::Outcome;
    let clean = |why: String| {
        let mut parts: Vec<&str> = secrets.iter().flat_map(|s| token_parts(s)).collect();
        // The longest first, so that a part of a secret does not leave the rest of it.
        parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
        parts.into_iter().fold(why, |why, p| why.replace(p, "***"))
    };
    match outcome {
        Outcome::Sent => Outcome::Sent,
        Outcome::Retry(why) => Outcome::Retry(clean(why)),
        Outcome::Permanent(why) => Outcome::Permanent(clean(why)),
    }
}

/// The secret itself and, for a URL, the parts of it a receiver may repeat that
/// could be credentials: the path with its query, path segments and query values
/// of 8 characters or more, and a user's password.
fn token_parts(secret: &str) -> Vec<&str> {
    let mut parts = vec![secret];
    if let Some((_, rest)) = secret.split_once("://") {
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        if let Some((user, _)) = authority.rsplit_once('@') {
            parts.extend(user.split_once(':').map(|(_, password)| password));
        }
        parts.push(path);
        let (segments, query) = path.split_once('?').unwrap_or((path, ""));
        parts.extend(segments.split('/'));
        parts.extend(query.split('&').map(|kv| kv.split_once('=').map_or(kv, |(_, v)| v)));
    }
    parts.retain(|p| p.len() >= 8);
    parts
}

#[cfg(test)]
mod tests {
    use super::super::send::Outcome;
    use super::*;

    #[test]
    fn secrets_and_the_token_parts_of_secret_urls_are_scrubbed() {
        let url = "https://hooks.example/services/T0000/B0000/SLACKSECRET123/x?token=ENGSECRET456&a=1".to_string();
        let echoed = "Slack refused the message (404: invalid url /services/T0000/B0000/SLACKSECRET123/x?token=ENGSECRET456&a=1)";
        let Outcome::Permanent(why) = scrub(Outcome::Permanent(echoed.into()), std::slice::from_ref(&url)) else {
            panic!("the outcome's kind is kept")
        };
        assert_eq!(why, "Slack refused the message (404: invalid url /***)");
        let part = "the receiver said: unknown SLACKSECRET123 and ENGSECRET456";
        let Outcome::Retry(why) = scrub(Outcome::Retry(part.into()), &[url]) else { panic!("kept") };
        assert_eq!(why, "the receiver said: unknown *** and ***");
        let pd = "https://user:pa55word1@events.example/v2/enqueue".to_string();
        let Outcome::Retry(why) = scrub(Outcome::Retry("bad password pa55word1".into()), &[pd]) else { panic!() };
        assert_eq!(why, "bad password ***");
        assert_eq!(scrub(Outcome::Sent, &[]), Outcome::Sent);
    }
}
