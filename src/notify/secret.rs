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
        let why = parts.into_iter().fold(why, |why, p| why.replace(p, "***"));
        // Then cut to a line's length (what the receiver said may be long).
        match why.char_indices().nth(MAX_WORDS) {
            Some((at, _)) => format!("{}…", &why[..at]),
            None => why,
        }
    };
    match outcome {
        Outcome::Sent => Outcome::Sent,
        Outcome::Retry(why) => Outcome::Retry(clean(why)),
        Outcome::Permanent(why) => Outcome::Permanent(clean(why)),
    }
}

/// The most characters of what went wrong that are kept.
const MAX_WORDS: usize = 500;

/// The secret itself (whatever its length) and, for a URL, the parts of it a
/// receiver may repeat that could be credentials: the path with its query, the
/// user and password, and path segments and query values that look like tokens.
fn token_parts(secret: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = Vec::new();
    if let Some((_, rest)) = secret.split_once("://") {
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        if let Some((user, _)) = authority.rsplit_once('@') {
            parts.push(user);
            parts.extend(user.split(':'));
        }
        let (segments, query) = path.split_once('?').unwrap_or((path, ""));
        let pieces = segments.split('/').chain(query.split('&').map(|kv| kv.split_once('=').map_or(kv, |(_, v)| v)));
        let tokens: Vec<&str> = pieces.filter(|p| token_like(p)).collect();
        // The whole path too, when a token is in it (a receiver may repeat it whole).
        if !tokens.is_empty() {
            parts.push(path);
        }
        parts.extend(tokens);
    }
    parts.retain(|p| p.len() >= 6);
    parts.extend(Some(secret).filter(|s| !s.is_empty()));
    parts
}

/// A piece of a URL that may be a credential: 8 characters or more with a digit
/// among letters, or 16 or more of any kind (an ordinary word such as "services"
/// or "enqueue" is left as it is).
fn token_like(p: &str) -> bool {
    let (digits, letters) = (p.chars().any(|c| c.is_ascii_digit()), p.chars().any(|c| c.is_alphabetic()));
    (p.len() >= 8 && digits && letters) || p.len() >= 16
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
        // A token alone before the host; a short secret; ordinary words kept.
        let user = "https://TOKEN4U2@hooks.example/services/hook".to_string();
        let said = "bad credentials TOKEN4U2 for /services/hook; key s3cr3t";
        let Outcome::Retry(why) = scrub(Outcome::Retry(said.into()), &[user, "s3cr3t".into()]) else { panic!() };
        assert_eq!(why, "bad credentials *** for /services/hook; key ***");
        // Cut only after the secrets are out: no part of one survives the cut.
        let long = format!("{}{}", "x".repeat(495), "SLACKSECRET123");
        let Outcome::Retry(why) = scrub(Outcome::Retry(long), &["https://h.example/SLACKSECRET123".into()]) else {
            panic!()
        };
        assert!(why.ends_with("x***") && !why.contains("SLACK"), "{why}");
    }
}
