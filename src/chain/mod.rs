//! The event log as a hash chain: each event's hash covers a version tag, its
//! seq, the previous event's hash and the event in a canonical JSON form
//! (fixed key order, no floats), computed here so both backends store the
//! same bytes. `verify` walks it; `checkpoint` signs its head.

pub mod checkpoint;
pub mod verify;

use sha2::{Digest, Sha256};

/// Names the hashing rule, so it can change without old hashes changing meaning.
pub const VERSION_TAG: &str = "escalate-chain-v1";

/// The previous hash of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event as the chain sees it: every stored field.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub seq: i64,
    /// RFC 3339, seconds, UTC (`2026-11-23T12:30:00Z`).
    pub at: &'a str,
    pub actor: &'a str,
    pub case_id: &'a str,
    pub escalation: Option<i64>,
    pub kind: &'a str,
    /// The event's data as JSON text.
    pub data: &'a str,
    pub policy_digest: &'a str,
}

/// Append the canonical form of `v`: object keys sorted by UTF-16 code units,
/// no whitespace, integers only.
fn write_canonical(v: &serde_json::Value, out: &mut String) -> Result<(), String> {
    use serde_json::Value;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_i64() || n.is_u64() => out.push_str(&n.to_string()),
        Value::Number(n) => return Err(format!("the number {n} is not an integer: the chain takes no floats")),
        Value::String(s) => out.push_str(&serde_json::to_string(s).map_err(|e| e.to_string())?),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).map_err(|e| e.to_string())?);
                out.push(':');
                write_canonical(&map[k], out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// The event in canonical JSON, as hashed.
pub fn canonical(l: &Link) -> Result<String, String> {
    let data: serde_json::Value =
        serde_json::from_str(l.data).map_err(|e| format!("event {}: its data is not JSON: {e}", l.seq))?;
    let event = serde_json::json!({
        "actor": l.actor,
        "at": l.at,
        "case_id": l.case_id,
        "data": data,
        "escalation_id": l.escalation,
        "kind": l.kind,
        "policy_digest": l.policy_digest,
        "seq": l.seq,
    });
    let mut out = String::with_capacity(l.data.len() + 256);
    write_canonical(&event, &mut out).map_err(|e| format!("event {}: {e}", l.seq))?;
    Ok(out)
}

/// The hash of `l` after `prev`: hex SHA-256 of "tag\nseq\nprev\ncanonical".
pub fn hash(prev: &str, l: &Link) -> Result<String, String> {
    let body = canonical(l)?;
    let mut h = Sha256::new();
    h.update(VERSION_TAG.as_bytes());
    h.update(b"\n");
    h.update(l.seq.to_string().as_bytes());
    h.update(b"\n");
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    Ok(hex(&h.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(data: &str) -> Link<'_> {
        Link {
            seq: 1,
            at: "2026-11-23T12:30:00Z",
            actor: "sam",
            case_id: "ACME-1",
            escalation: None,
            kind: "case-added",
            data,
            policy_digest: "sha256:00",
        }
    }

    #[test]
    fn canonical_form_sorts_keys_and_drops_whitespace() {
        let c = canonical(&link(r#"{ "b": [1, {"z": null, "a": true}], "a": "\u00e9\n" }"#)).unwrap();
        assert_eq!(
            c,
            r#"{"actor":"sam","at":"2026-11-23T12:30:00Z","case_id":"ACME-1","data":{"a":"é\n","b":[1,{"a":true,"z":null}]},"escalation_id":null,"kind":"case-added","policy_digest":"sha256:00","seq":1}"#
        );
        // Key order and spacing in the stored text do not change the hash.
        let a = hash(GENESIS, &link(r#"{"a":1,"b":2}"#)).unwrap();
        let b = hash(GENESIS, &link(r#"{ "b": 2, "a": 1 }"#)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, hash(GENESIS, &link(r#"{"a":1,"b":3}"#)).unwrap());
        assert!(canonical(&link(r#"{"x": 1.5}"#)).is_err());
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+1F600 (a surrogate pair, D83D...) sorts before U+FF61 in UTF-16, after it in UTF-8.
        let c = canonical(&link("{\"\u{ff61}\":1,\"\u{1f600}\":2}")).unwrap();
        assert!(c.contains("{\"\u{1f600}\":2,\"\u{ff61}\":1}"), "{c}");
    }
}
