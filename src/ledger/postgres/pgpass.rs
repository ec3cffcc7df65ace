//! `~/.pgpass` (or `PGPASSFILE`): `host:port:database:user:password` lines,
//! `*` matching anything, `\:` and `\\` escaped; ignored unless private (0600).

use std::path::PathBuf;

fn file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGPASSFILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass"))
}

/// The fields of one line, unescaped.
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut field) = (Vec::new(), String::new());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => field.extend(chars.next()),
            ':' => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out
}

/// The password for this server, database and user, if the file names one.
pub fn lookup(config: &postgres::Config, host: &str, port: u16) -> Option<String> {
    let path = file()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            eprintln!("warning: password file {} has group or world access; ignored (chmod 0600 it)", path.display());
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    // A unix socket matches "localhost", as libpq does.
    let host = if host.starts_with('/') { "localhost" } else { host };
    let want = [host.to_string(), port.to_string(), config.get_dbname()?.to_string(), config.get_user()?.to_string()];
    text.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()).find_map(|l| {
        let f = fields(l);
        (f.len() == 5 && f.iter().zip(&want).all(|(got, want)| got == "*" || got == want)).then(|| f[4].clone())
    })
}

#[cfg(test)]
mod tests {
    use super::fields;

    #[test]
    fn escaped_colons_and_backslashes_stay_in_their_field() {
        assert_eq!(fields(r"db\:1:5432:*:sam:pa\:ss\\"), vec!["db:1", "5432", "*", "sam", r"pa:ss\"]);
    }
}
