//! The event log as a hash chain: each event's hash covers a version tag, its
//! seq, the previous event's hash and the event in a canonical JSON form
//! (fixed key order, no floats), computed here so both backends store the
//! same bytes. `verify` walks it; `checkpoint` signs its head.

pub mod checkpoint;
mod fast;
pub mod tables;
pub mod verify;
mod written;

pub use written::case_added;

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

/// A JSON value as the canonical form needs it: object members kept as a list
/// (sorted when written), strings borrowed where the text allows.
enum Node<'a> {
    Null,
    Bool(bool),
    Int(String),
    Str(std::borrow::Cow<'a, str>),
    Arr(Vec<Node<'a>>),
    Obj(Vec<(std::borrow::Cow<'a, str>, Node<'a>)>),
}

impl<'de> serde::Deserialize<'de> for Node<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, MapAccess, SeqAccess, Visitor};
        use std::borrow::Cow;
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Node<'de>, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
                Ok(Node::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
                Ok(Node::Int(n.to_string()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
                Ok(Node::Int(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Node<'de>, E> {
                Err(E::custom(format!("the number {n} is not an integer: the chain takes no floats")))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
                Ok(Node::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
                Ok(Node::Str(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
                Ok(Node::Str(Cow::Owned(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = seq.next_element()? {
                    items.push(n);
                }
                Ok(Node::Arr(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = map.next_entry::<Cow<'de, str>, Node<'de>>()? {
                    members.push((k, v));
                }
                Ok(Node::Obj(members))
            }
        }
        d.deserialize_any(V)
    }
}

/// Keys in the order RFC 8785 sorts them: by UTF-16 code units (bytewise for ASCII).
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() { a.cmp(b) } else { a.encode_utf16().cmp(b.encode_utf16()) }
}

/// A JSON string, escaped as RFC 8785 (and serde_json) escape it; text with
/// nothing to escape, the usual case, is copied as it is.
fn write_str(s: &str, out: &mut Vec<u8>) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Writing a &str to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

fn write_node(n: &mut Node, out: &mut Vec<u8>) {
    match n {
        Node::Null => out.extend_from_slice(b"null"),
        Node::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Node::Int(digits) => out.extend_from_slice(digits.as_bytes()),
        Node::Str(s) => write_str(s, out),
        Node::Arr(items) => {
            out.push(b'[');
            for (i, item) in items.iter_mut().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_node(item, out);
            }
            out.push(b']');
        }
        Node::Obj(members) => {
            members.sort_by(|a, b| key_order(&a.0, &b.0));
            out.push(b'{');
            for (i, (k, v)) in members.iter_mut().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write_node(v, out);
            }
            out.push(b'}');
        }
    }
}

/// Append `data` (JSON text) in canonical form to `out`.
fn write_data(data: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let data_at = out.len();
    if fast::write(data, out).is_none() {
        out.truncate(data_at);
        let mut node: Node = serde_json::from_str(data).map_err(|e| format!("its data cannot be read as JSON: {e}"))?;
        write_node(&mut node, out);
    }
    Ok(())
}

/// An event's data (JSON text) in the canonical form its hash covers: what
/// `hash_canonical` takes, made ahead (on another thread, by a bulk load).
pub fn canonical_data(data: &str) -> Result<String, String> {
    let mut out = Vec::with_capacity(data.len());
    write_data(data, &mut out)?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// Append the event in canonical JSON to `out`: its members in sorted order.
fn write_event(l: &Link, out: &mut Vec<u8>) -> Result<(), String> {
    write_event_with(l, out, |out| write_data(l.data, out).map_err(|e| format!("event {}: {e}", l.seq)))
}

/// `write_event`, the data written by `data`.
fn write_event_with(
    l: &Link,
    out: &mut Vec<u8>,
    data: impl FnOnce(&mut Vec<u8>) -> Result<(), String>,
) -> Result<(), String> {
    out.extend_from_slice(b"{\"actor\":");
    write_str(l.actor, out);
    out.extend_from_slice(b",\"at\":");
    write_str(l.at, out);
    out.extend_from_slice(b",\"case_id\":");
    write_str(l.case_id, out);
    out.extend_from_slice(b",\"data\":");
    data(out)?;
    out.extend_from_slice(b",\"escalation_id\":");
    match l.escalation {
        Some(id) => out.extend_from_slice(id.to_string().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"kind\":");
    write_str(l.kind, out);
    out.extend_from_slice(b",\"policy_digest\":");
    write_str(l.policy_digest, out);
    out.extend_from_slice(b",\"seq\":");
    out.extend_from_slice(l.seq.to_string().as_bytes());
    out.push(b'}');
    Ok(())
}

/// The event in canonical JSON, as hashed.
pub fn canonical(l: &Link) -> Result<String, String> {
    let mut out = Vec::with_capacity(l.data.len() + 256);
    write_event(l, &mut out)?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// The hash of `l` after `prev`: hex SHA-256 of "tag\nseq\nprev\ncanonical".
pub fn hash(prev: &str, l: &Link) -> Result<String, String> {
    hash_with(prev, l, |out| write_data(l.data, out).map_err(|e| format!("event {}: {e}", l.seq)))
}

/// `hash`, given the data in canonical form already (`canonical_data(l.data)`).
pub fn hash_canonical(prev: &str, l: &Link, canonical_data: &str) -> String {
    let data = |out: &mut Vec<u8>| {
        out.extend_from_slice(canonical_data.as_bytes());
        Ok(())
    };
    // Writing given bytes cannot fail.
    hash_with(prev, l, data).unwrap_or_default()
}

fn hash_with(prev: &str, l: &Link, data: impl FnOnce(&mut Vec<u8>) -> Result<(), String>) -> Result<String, String> {
    let mut buf = Vec::with_capacity(l.data.len() + 256);
    buf.extend_from_slice(VERSION_TAG.as_bytes());
    buf.push(b'\n');
    buf.extend_from_slice(l.seq.to_string().as_bytes());
    buf.push(b'\n');
    buf.extend_from_slice(prev.as_bytes());
    buf.push(b'\n');
    write_event_with(l, &mut buf, data)?;
    Ok(hex(&Sha256::digest(&buf)))
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

    #[test]
    fn data_made_canonical_ahead_hashes_as_the_event_does() {
        let datas = [
            r#"{"id":"A-1","tags":["x","y"],"n":null}"#,
            r#"{ "b": [1, {"z": null, "a": true}], "a": "\u00e9\n" }"#,
            "{\"\u{ff61}\":1,\"\u{1f600}\":2}",
            "[]",
        ];
        for data in datas {
            let l = link(data);
            let ahead = canonical_data(data).unwrap();
            assert!(canonical(&l).unwrap().contains(&format!("\"data\":{ahead},")), "{data}");
            assert_eq!(hash_canonical(GENESIS, &l, &ahead), hash(GENESIS, &l).unwrap(), "{data}");
            let prev = hash(GENESIS, &l).unwrap();
            assert_eq!(hash_canonical(&prev, &l, &ahead), hash(&prev, &l).unwrap(), "{data}");
        }
        assert!(canonical_data(r#"{"x": 1.5}"#).is_err());
        assert!(canonical_data("{").is_err());
    }

    proptest::proptest! {
        /// A string written as serde_json writes it, copied or escaped; every control
        /// character, the quote, the backslash and DEL come often.
        #[test]
        fn strings_are_written_as_serde_json_writes_them(s in "[\\x00-\\x22\\x5c\\x7fa-zé😀]{0,12}|.{0,12}") {
            let mut out = Vec::new();
            write_str(&s, &mut out);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&s).unwrap());
        }
    }
}
