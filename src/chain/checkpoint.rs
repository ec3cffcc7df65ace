//! A signed checkpoint of the chain: its origin, size and head hash, signed
//! with Ed25519, to keep outside the ledger. A later ledger that extends it
//! proves nothing was removed. Pure but for the key's randomness.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

/// The first line of every checkpoint.
pub const HEADER: &str = "escalate checkpoint v1";

/// A checkpoint as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub head: String,
    pub public_key: Vec<u8>,
    pub signature: Vec<u8>,
}

/// Which ledger a chain is: named by its first event's hash, so a copy of a
/// ledger is the same ledger and any other is not.
pub fn origin(first_hash: Option<&str>) -> String {
    match first_hash {
        Some(h) => format!("escalate-ledger-{}", &h[..h.len().min(16)]),
        None => "escalate-ledger-empty".to_string(),
    }
}

/// What is signed: the header, origin, size and head, a line each.
fn body(origin: &str, size: u64, head: &str) -> String {
    format!("{HEADER}\norigin {origin}\nsize {size}\nhead {head}\n")
}

/// A new signing key (PKCS#8), to keep private.
pub fn new_key() -> Result<Vec<u8>, String> {
    let rng = ring::rand::SystemRandom::new();
    Ed25519KeyPair::generate_pkcs8(&rng).map(|k| k.as_ref().to_vec()).map_err(|_| "cannot make a key".into())
}

/// The public half of a key, for naming it.
pub fn public_key(pkcs8: &[u8]) -> Result<Vec<u8>, String> {
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| format!("the key cannot be read: {e}"))?;
    Ok(pair.public_key().as_ref().to_vec())
}

/// The checkpoint text: the body, then the public key and the signature.
pub fn sign(pkcs8: &[u8], origin: &str, size: u64, head: &str) -> Result<String, String> {
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| format!("the key cannot be read: {e}"))?;
    let body = body(origin, size, head);
    let sig = pair.sign(body.as_bytes());
    Ok(format!("{body}key {}\nsignature {}\n", B64.encode(pair.public_key().as_ref()), B64.encode(sig.as_ref())))
}

/// Read a checkpoint and check its signature; Err says what is wrong with it.
pub fn parse(text: &str) -> Result<Checkpoint, String> {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(HEADER) {
        return Err(format!("it does not start with \"{HEADER}\""));
    }
    let mut field = |name: &str| -> Result<String, String> {
        let line = lines.next().ok_or_else(|| format!("its {name} line is missing"))?;
        line.strip_prefix(&format!("{name} "))
            .map(|v| v.trim().to_string())
            .ok_or_else(|| format!("its {name} line is missing"))
    };
    let origin = field("origin")?;
    let size = field("size")?.parse::<u64>().map_err(|_| "its size is not a number".to_string())?;
    let head = field("head")?;
    let public_key = B64.decode(field("key")?).map_err(|_| "its key is not base64".to_string())?;
    let signature = B64.decode(field("signature")?).map_err(|_| "its signature is not base64".to_string())?;
    UnparsedPublicKey::new(&ED25519, &public_key)
        .verify(body(&origin, size, &head).as_bytes(), &signature)
        .map_err(|_| "its signature does not match its contents".to_string())?;
    Ok(Checkpoint { origin, size, head, public_key, signature })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_round_trips_and_a_changed_one_is_refused() {
        let key = new_key().unwrap();
        let text = sign(&key, "escalate-ledger-abc", 42, "ff00").unwrap();
        let c = parse(&text).unwrap();
        assert_eq!((c.origin.as_str(), c.size, c.head.as_str()), ("escalate-ledger-abc", 42, "ff00"));
        assert_eq!(c.public_key, public_key(&key).unwrap());
        let forged = text.replace("size 42", "size 41");
        assert_eq!(parse(&forged), Err("its signature does not match its contents".into()));
        assert!(parse("hello").is_err());
    }
}
