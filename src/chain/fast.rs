//! The canonical form of an event's data without building a tree: a scan that
//! copies the text, sorting object members by their spans, for data whose
//! strings need no unescaping and whose numbers are plain integers: what the
//! ledger writes. Anything else answers `None`, and the slow path decides.

/// Append the canonical form of `json` to `out`, or `None` (with `out` as it was
/// given back only up to the caller: it truncates) when the text needs the slow path.
pub(super) fn write(json: &str, out: &mut Vec<u8>) -> Option<()> {
    let b = json.as_bytes();
    let end = value(b, skip_ws(b, 0), 0, out)?;
    (skip_ws(b, end) == b.len()).then_some(())
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Arrays and objects nested deeper are left to the slow path, which refuses them
/// (serde_json reads 127 levels) where this scan's recursion would exhaust the stack.
const MAX_DEPTH: usize = 127;

/// Write the value starting at `i`, `depth` arrays and objects deep; its end.
fn value(b: &[u8], i: usize, depth: usize, out: &mut Vec<u8>) -> Option<usize> {
    match *b.get(i)? {
        b'{' | b'[' if depth >= MAX_DEPTH => None,
        b'{' => object(b, i, depth + 1, out),
        b'[' => array(b, i, depth + 1, out),
        b'"' => {
            let end = string(b, i)?;
            out.extend_from_slice(&b[i..end]);
            Some(end)
        }
        b't' => literal(b, i, b"true", out),
        b'f' => literal(b, i, b"false", out),
        b'n' => literal(b, i, b"null", out),
        _ => {
            let end = integer(b, i)?;
            out.extend_from_slice(&b[i..end]);
            Some(end)
        }
    }
}

fn literal(b: &[u8], i: usize, word: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let end = i + word.len();
    (b.get(i..end)? == word).then(|| out.extend_from_slice(word))?;
    Some(end)
}

/// The end of the string at `i` (after its closing quote), when it holds no
/// escape and no control character: its text is then its canonical form.
fn string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match *b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => return None,
            c if c < 0x20 => return None,
            _ => j += 1,
        }
    }
}

/// The end of a plain integer at `i` that any 64-bit integer type holds and
/// that reads back as itself (no `-0`, no leading zero).
fn integer(b: &[u8], i: usize) -> Option<usize> {
    let start = if b.get(i) == Some(&b'-') { i + 1 } else { i };
    let mut j = start;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    let digits = &b[start..j];
    let plain = match digits {
        [] => false,
        [b'0'] => start == i,
        [b'0', ..] => false,
        _ => digits.len() <= 18,
    };
    let after = b.get(j).copied();
    (plain && !matches!(after, Some(b'.' | b'e' | b'E'))).then_some(j)
}

/// The end of the value at `i`, found without writing it: strings and brackets are
/// matched, nothing else is checked here (`object` writes the value later with
/// `value`, which checks it, and requires the same end).
fn skip(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'{' | b'[' => {
            let (mut depth, mut j) = (0usize, i);
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        b'"' => string(b, i),
        b't' => (b.get(i..i + 4)? == b"true").then_some(i + 4),
        b'f' => (b.get(i..i + 5)? == b"false").then_some(i + 5),
        b'n' => (b.get(i..i + 4)? == b"null").then_some(i + 4),
        _ => integer(b, i),
    }
}

fn array(b: &[u8], i: usize, depth: usize, out: &mut Vec<u8>) -> Option<usize> {
    out.push(b'[');
    let mut j = skip_ws(b, i + 1);
    if b.get(j) == Some(&b']') {
        out.push(b']');
        return Some(j + 1);
    }
    loop {
        j = skip_ws(b, value(b, j, depth, out)?);
        match *b.get(j)? {
            b',' => {
                out.push(b',');
                j = skip_ws(b, j + 1);
            }
            b']' => {
                out.push(b']');
                return Some(j + 1);
            }
            _ => return None,
        }
    }
}

/// An object: its members found first (key text, value start and end), then written in key order.
fn object(b: &[u8], i: usize, depth: usize, out: &mut Vec<u8>) -> Option<usize> {
    let mut members: Vec<(&str, usize, usize)> = Vec::with_capacity(16);
    let mut j = skip_ws(b, i + 1);
    let end = if b.get(j) == Some(&b'}') {
        j + 1
    } else {
        loop {
            let key_end = string(b, j)?;
            let key = std::str::from_utf8(&b[j + 1..key_end - 1]).ok()?;
            j = skip_ws(b, key_end);
            if b.get(j) != Some(&b':') {
                return None;
            }
            let start = skip_ws(b, j + 1);
            let value_end = skip(b, start)?;
            members.push((key, start, value_end));
            j = skip_ws(b, value_end);
            match *b.get(j)? {
                b',' => j = skip_ws(b, j + 1),
                b'}' => break j + 1,
                _ => return None,
            }
        }
    };
    out.push(b'{');
    let mut write = |n: usize, (key, start, value_end): (&str, usize, usize)| {
        if n > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        (value(b, start, depth, out)? == value_end).then_some(())
    };
    match order::known(&members) {
        Some(order) => {
            for (n, &k) in order.iter().enumerate() {
                write(n, *members.get(k)?)?;
            }
        }
        None => {
            let sorted = order::sort(&members);
            for (n, &k) in sorted.iter().enumerate() {
                write(n, members[k])?;
            }
        }
    }
    out.push(b'}');
    Some(end)
}

/// The order an object's members are written in, remembered for the key sequences
/// seen last: the data the ledger writes repeats a few of them (every imported case
/// has the same keys), and comparing keys with the remembered ones is cheaper than
/// sorting them again.
mod order {
    use std::cell::RefCell;

    /// Key sequences remembered per thread.
    const KEPT: usize = 8;

    struct Known {
        keys: Vec<Box<str>>,
        order: Vec<usize>,
    }

    thread_local! {
        static KNOWN: RefCell<Vec<Known>> = const { RefCell::new(Vec::new()) };
    }

    /// The remembered order of these keys, when they were seen in this sequence before.
    pub(super) fn known(members: &[(&str, usize, usize)]) -> Option<Vec<usize>> {
        KNOWN.with_borrow(|known| {
            known
                .iter()
                .find(|k| k.keys.len() == members.len() && k.keys.iter().zip(members).all(|(a, m)| **a == *m.0))
                .map(|k| k.order.clone())
        })
    }

    /// The members' indexes in key order (equal keys kept in their order), remembered.
    pub(super) fn sort(members: &[(&str, usize, usize)]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by(|&x, &y| super::super::key_order(members[x].0, members[y].0));
        KNOWN.with_borrow_mut(|known| {
            if known.len() == KEPT {
                known.remove(0);
            }
            known.push(Known { keys: members.iter().map(|m| m.0.into()).collect(), order: order.clone() });
        });
        order
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    fn fast(json: &str) -> Option<String> {
        let mut out = Vec::new();
        super::write(json, &mut out).map(|()| String::from_utf8(out).unwrap())
    }

    fn slow(json: &str) -> Result<String, String> {
        let mut data: super::super::Node = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        super::super::write_node(&mut data, &mut out);
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn takes_what_the_ledger_writes_and_sorts_it() {
        let data = r#"{"id":"ACME-1","severity":2,"tags":["a","b"],"closed_at":null,"imported_from":{"source":"c.csv","line":2},"ok":true}"#;
        let want = r#"{"closed_at":null,"id":"ACME-1","imported_from":{"line":2,"source":"c.csv"},"ok":true,"severity":2,"tags":["a","b"]}"#;
        assert_eq!(fast(data).as_deref(), Some(want));
        assert_eq!(slow(data).as_deref(), Ok(want));
        assert_eq!(fast(" { } ").as_deref(), Some("{}"));
        assert_eq!(fast("[ 1 , -7 ,[]]").as_deref(), Some("[1,-7,[]]"));
    }

    #[test]
    fn leaves_escapes_floats_and_odd_numbers_to_the_slow_path() {
        for json in [
            r#"{"a":"x\"y"}"#,
            r#"{"a\u0041":1}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":12345678901234567890}"#,
            r#"{"a":1"#,
            r#"{"a":1}x"#,
            r#"{"a" 1}"#,
            "[1,]",
            "tru",
        ] {
            assert_eq!(fast(json), None, "{json}");
        }
    }

    #[test]
    fn remembered_key_orders_are_kept_apart() {
        // More key sequences than are remembered, each seen again after the others,
        // with the same keys in another order and nested in one another.
        let texts: Vec<String> = (0..12)
            .map(|n| format!(r#"{{"k{n}":{n},"b":[{{"z":1,"y":2}}],"a{n}":"x"}}"#))
            .chain([r#"{"a0":"x","b":[{"y":2,"z":1}],"k0":0}"#.to_string(), r#"{"b":1,"a":2}"#.to_string()])
            .collect();
        for _ in 0..3 {
            for text in &texts {
                assert_eq!(Ok(fast(text).unwrap()), slow(text), "{text}");
            }
        }
        // Nesting deeper than the slow path reads is left to it (it refuses), at any depth.
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(fast(&deep(127)).is_some() && slow(&deep(127)).is_ok());
        assert_eq!(fast(&deep(128)), None);
        assert!(slow(&deep(128)).is_err());
        assert_eq!(fast(&format!("{}1", "{\"a\":[".repeat(200_000))), None);
        // A value that is not what the scan for its end took it to be is left to the slow path.
        assert_eq!(fast(r#"{"a":[1,2},"b":1}"#), None);
        assert_eq!(fast(r#"{"a":nul,"b":1}"#), None);
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| n.into()),
            any::<u64>().prop_map(|n| n.into()),
            "[a-c\"\\\\\n\u{e9}\u{1f600}\u{ff61} ]{0,6}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                prop::collection::vec(("[a-d\u{1f600}\u{ff61}\"]{0,3}", inner), 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whenever the scan answers, it answers what the tree does.
        #[test]
        fn agrees_with_the_tree(v in json_value(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
            if let Some(got) = fast(&text) {
                prop_assert_eq!(Ok(got), slow(&text));
            }
        }

        /// Text with escapes in it goes to the slow path; text without, with plain
        /// integers, never does.
        #[test]
        fn answers_for_plain_text(v in json_value()) {
            let text = serde_json::to_string(&v).unwrap();
            let plain = !text.contains('\\') && !text.contains("-0") &&
                text.split(|c: char| !c.is_ascii_digit()).all(|d| d.len() <= 18 && !(d.len() > 1 && d.starts_with('0')));
            if plain {
                prop_assert!(fast(&text).is_some(), "{}", text);
            }
        }
    }
}
