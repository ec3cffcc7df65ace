//! Where the ledger is: a SQLite file path, or a PostgreSQL URL whose password
//! is never shown (`Display` masks it).

use std::fmt;
use std::path::PathBuf;

/// A ledger location as given by `--ledger`, `ESCALATE_LEDGER` or the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Postgres(PgUrl),
}

/// A `postgres://` or `postgresql://` URL, kept whole (password included) for
/// connecting, shown only masked.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl(String);

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({})", self.masked())
    }
}

impl PgUrl {
    /// The URL as given, password included: only for the connection itself.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// Whether the URL itself carries a password.
    pub fn has_password(&self) -> bool {
        self.masked() != self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn masked(&self) -> String {
        mask_url(&self.0)
    }
}

/// Replace the password of `scheme://user:password@host...` and any
/// `password=` query value with `***`.
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.to_string() };
    let (head, rest) = url.split_at(scheme_end);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (userinfo, hosts) = authority.split_at(at);
            match userinfo.find(':') {
                Some(colon) => format!("{}:***{hosts}", &userinfo[..colon]),
                None => authority.to_string(),
            }
        }
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{head}{authority}{tail}")
}

/// Whatever stands between the last ':' and an '@' masked: for text that only
/// looks like a URL, where a password may hide.
fn mask_loosely(s: &str) -> String {
    if s.contains("://") {
        return mask_url(s);
    }
    match s.rfind('@').and_then(|at| s[..at].rfind(':').map(|colon| (colon, at))) {
        Some((colon, at)) => format!("{}:***{}", &s[..colon], &s[at..]),
        None => s.to_string(),
    }
}

impl Location {
    pub fn is_url(s: &str) -> bool {
        let lower = s.get(..13).unwrap_or(s).to_ascii_lowercase();
        lower.starts_with("postgres://") || lower.starts_with("postgresql://")
    }

    /// A location from what a user wrote: a URL when it has a PostgreSQL scheme, else a path.
    /// Something that looks like a URL of another kind is refused, not taken for a file name
    /// (a mistyped scheme would otherwise create directories named after the URL).
    pub fn parse(s: &str) -> Result<Location, String> {
        if Self::is_url(s) {
            return Ok(Location::Postgres(PgUrl(s.to_string())));
        }
        if let Some((scheme, _)) = s.split_once(":/")
            && scheme.len() > 1
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(format!(
                "{} is not a ledger location: a ledger is a file path, or a URL starting postgres:// or postgresql://",
                mask_loosely(s)
            ));
        }
        Ok(Location::File(PathBuf::from(s)))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Location::File(_) => "sqlite",
            Location::Postgres(_) => "postgresql",
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Postgres(u) => f.write_str(&u.masked()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_wherever_they_are() {
        assert_eq!(mask_url("postgres://sam:s3cret@db:5432/esc"), "postgres://sam:***@db:5432/esc");
        assert_eq!(
            mask_url("postgresql://sam@db/esc?password=x&sslmode=require"),
            "postgresql://sam@db/esc?password=***&sslmode=require"
        );
        assert_eq!(mask_url("postgres://sam:p%40ss@db/esc"), "postgres://sam:***@db/esc");
        assert_eq!(mask_url("postgres:///esc?host=/run/postgresql"), "postgres:///esc?host=/run/postgresql");
        assert_eq!(mask_url("postgres://u:a@b@h/d"), "postgres://u:***@h/d");
    }

    #[test]
    fn a_scheme_makes_a_url_and_anything_else_a_path() {
        assert!(matches!(Location::parse("PostgreSQL://h/d"), Ok(Location::Postgres(_))));
        assert!(matches!(Location::parse("postgres.db"), Ok(Location::File(_))));
        assert!(matches!(Location::parse("./postgres://x"), Ok(Location::File(_))));
        let typo = Location::parse("pg://sam:s3cret@h/d").unwrap_err();
        assert!(typo.contains("pg://sam:***@h/d is not a ledger location") && !typo.contains("s3cret"), "{typo}");
        let other = Location::parse("mysql://u@h/db").unwrap_err();
        assert!(other.contains("mysql://u@h/db is not a ledger location"), "{other}");
        assert!(Location::parse("postgresql:/h/d").is_err());
    }
}
