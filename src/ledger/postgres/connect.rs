//! Connecting to a PostgreSQL ledger with libpq's meanings: host or unix
//! socket directory, port, dbname, user, password from the URL, `PGPASSWORD`
//! or `~/.pgpass`, `sslmode` (TLS by rustls) and `connect_timeout`.

use std::sync::Arc;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::ledger::error::{Result, StoreError};
use crate::ledger::location::PgUrl;

/// How TLS is used: libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Disable,
    /// Encrypt when the server offers it; the certificate is not checked.
    Prefer,
    /// Always encrypt; the certificate is not checked.
    Require,
    /// Always encrypt, with the certificate chain and host name checked.
    VerifyFull,
}

/// A parsed URL: the client configuration and what messages may name.
pub struct Target {
    pub config: postgres::Config,
    tls: Tls,
    root_cert: Option<String>,
    /// `host:port/dbname`, for messages (never the password).
    pub name: String,
}

/// Split off the parameters escalate handles itself (`sslmode`'s verify modes,
/// `sslrootcert`); the rest is parsed by the client library.
fn split_params(url: &str) -> Result<(String, Tls, Option<String>)> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_string(), Tls::Prefer, None)) };
    let (mut tls, mut root, mut keep) = (Tls::Prefer, None, Vec::new());
    for kv in query.split('&').filter(|kv| !kv.is_empty()) {
        match kv.split_once('=') {
            Some(("sslmode", v)) => {
                tls = match v {
                    "disable" => Tls::Disable,
                    // libpq's allow tries without TLS first; escalate prefers TLS.
                    "prefer" | "allow" => Tls::Prefer,
                    "require" => Tls::Require,
                    "verify-full" | "verify-ca" => Tls::VerifyFull,
                    other => {
                        return Err(StoreError::BadLocation(format!(
                            "invalid sslmode {other:?} in the ledger URL (accepted: disable, allow, prefer, require, verify-ca, verify-full)"
                        )));
                    }
                }
            }
            Some(("sslrootcert", v)) => root = Some(v.to_string()),
            _ => keep.push(kv),
        }
    }
    let url = if keep.is_empty() { base.to_string() } else { format!("{base}?{}", keep.join("&")) };
    Ok((url, tls, root))
}

/// Debian's libpq looks for the server's socket here when no host is given.
fn default_socket_dir() -> &'static str {
    if std::path::Path::new("/var/run/postgresql").is_dir() { "/var/run/postgresql" } else { "/tmp" }
}

pub fn parse(url: &PgUrl) -> Result<Target> {
    let login = whoami::username().unwrap_or_else(|_| "postgres".into());
    let login = login.as_str();
    let (plain, tls, root_cert) = split_params(url.secret())?;
    // The scheme in any case: PostgreSQL:// is postgresql://.
    let plain = match plain.find("://") {
        Some(i) => format!("{}{}", plain[..i].to_ascii_lowercase(), &plain[i..]),
        None => plain,
    };
    let mut config: postgres::Config = plain.parse().map_err(|e: postgres::Error| {
        StoreError::BadLocation(format!(
            "invalid PostgreSQL URL {}: {}; the form is postgresql://user:password@host:port/dbname?sslmode=…&connect_timeout=…",
            url.masked(),
            super::describe(&e)
        ))
    })?;
    if config.get_hosts().is_empty() {
        config.host_path(default_socket_dir());
    }
    if config.get_user().is_none() {
        config.user(std::env::var("PGUSER").ok().filter(|u| !u.is_empty()).as_deref().unwrap_or(login));
    }
    if config.get_dbname().is_none() {
        let user = config.get_user().unwrap_or(login).to_string();
        config.dbname(&user);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    config.ssl_mode(match tls {
        Tls::Disable => SslMode::Disable,
        Tls::Prefer => SslMode::Prefer,
        Tls::Require | Tls::VerifyFull => SslMode::Require,
    });
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let name = format!("{host}:{port}/{}", config.get_dbname().unwrap_or(""));
    if config.get_password().is_none() {
        if let Some(pw) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
            config.password(pw);
        } else if let Some(pw) = super::pgpass::lookup(&config, &host, port) {
            config.password(pw);
        }
    }
    Ok(Target { config, tls, root_cert, name })
}

/// Connect, within the connect timeout; errors name the server, never the password.
/// The connection attempt runs on its own thread: the client's timeout covers
/// reaching the server, not a server that accepts and then never answers.
pub fn connect(t: &Target, shown: &str) -> Result<postgres::Client> {
    let tls = tls_connector(t)?;
    let limit = t.config.get_connect_timeout().copied().unwrap_or(Duration::from_secs(10));
    let config = t.config.clone();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(config.connect(tls));
    });
    let fail = |why: String| {
        StoreError::Unusable(format!("cannot connect to the PostgreSQL ledger {shown} (server {}): {why}", t.name))
    };
    match receive.recv_timeout(limit + Duration::from_secs(1)) {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => {
            let mut why = super::describe(&e);
            if why.contains("password missing") {
                why.push_str(": give it in the URL, in PGPASSWORD, or in ~/.pgpass (or PGPASSFILE), mode 0600");
            }
            Err(fail(why))
        }
        Err(_) => Err(fail(format!("no answer within {} s (connect_timeout)", limit.as_secs()))),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_connector(t: &Target) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let fail = |e: &dyn std::fmt::Display| StoreError::Unusable(format!("cannot set up TLS for the ledger: {e}"));
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(&e))?;
    let config = if t.tls == Tls::VerifyFull {
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if let Some(path) = &t.root_cert {
            use rustls::pki_types::pem::PemObject;
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| fail(&format!("sslrootcert {path}: {e}")))? {
                let cert = cert.map_err(|e| fail(&format!("sslrootcert {path}: {e}")))?;
                roots.add(cert).map_err(|e| fail(&format!("sslrootcert {path}: {e}")))?;
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(Unchecked(provider()))).with_no_client_auth()
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// libpq's `prefer` and `require`: encryption without checking who the server is.
#[derive(Debug)]
struct Unchecked(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalate_reads_sslmode_and_passes_the_rest_on() {
        let (url, tls, root) =
            split_params("postgres://h/d?sslmode=verify-full&connect_timeout=3&sslrootcert=/ca.pem").unwrap();
        assert_eq!(
            (url.as_str(), tls, root.as_deref()),
            ("postgres://h/d?connect_timeout=3", Tls::VerifyFull, Some("/ca.pem"))
        );
        assert_eq!(split_params("postgres://h/d").unwrap().1, Tls::Prefer);
        assert!(split_params("postgres://h/d?sslmode=maybe").is_err());
    }
}
