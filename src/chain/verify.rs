//! Walking the chain: each event, in seq order, must follow the one before
//! (gap-free seq, its prev_hash the previous hash) and hash to what it
//! stores. The first that does not is named. Pure.

use super::{GENESIS, Link, hash};

/// An event as stored, with its chain fields.
pub struct Stored<'a> {
    pub link: Link<'a>,
    pub prev_hash: Option<&'a str>,
    pub hash: Option<&'a str>,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Seq `expected` is missing: the log jumps to `found` (deleted, or renumbered).
    Missing { expected: i64, found: i64 },
    /// Event `seq` does not follow the one before it (moved, or inserted).
    OutOfPlace { seq: i64 },
    /// Event `seq`'s contents no longer match its hash (a field was changed).
    Altered { seq: i64, case_id: String, kind: String },
    /// Event `seq` has no hash: written around escalate, or never chained.
    Unchained { seq: i64 },
    /// Event `seq` cannot be read as the chain reads events.
    Unreadable { seq: i64, why: String },
}

/// The chain walked so far.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub count: u64,
    pub head: String,
    next_seq: i64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier { count: 0, head: GENESIS.to_string(), next_seq: 1 }
    }
}

impl Verifier {
    /// Take the next event (by seq); Err at the first break.
    pub fn feed(&mut self, e: &Stored) -> Result<(), Break> {
        let seq = e.link.seq;
        if seq != self.next_seq {
            return Err(if seq > self.next_seq {
                Break::Missing { expected: self.next_seq, found: seq }
            } else {
                Break::OutOfPlace { seq }
            });
        }
        let (Some(prev), Some(stored)) = (e.prev_hash, e.hash) else { return Err(Break::Unchained { seq }) };
        if prev != self.head {
            return Err(Break::OutOfPlace { seq });
        }
        let computed = hash(prev, &e.link).map_err(|why| Break::Unreadable { seq, why })?;
        if computed != stored {
            return Err(Break::Altered { seq, case_id: e.link.case_id.to_string(), kind: e.link.kind.to_string() });
        }
        self.head = computed;
        self.count += 1;
        self.next_seq += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        seq: i64,
        data: String,
        prev: String,
        hash: String,
    }

    fn link(r: &Row) -> Link<'_> {
        Link {
            seq: r.seq,
            at: "2026-11-23T12:00:00Z",
            actor: "a",
            case_id: "C-1",
            escalation: None,
            kind: "note",
            data: &r.data,
            policy_digest: "d",
        }
    }

    fn chain(n: i64) -> Vec<Row> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut r = Row { seq, data: format!("{{\"n\":{seq}}}"), prev: prev.clone(), hash: String::new() };
                r.hash = hash(&prev, &link(&r)).unwrap();
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn walk(rows: &[Row]) -> Result<u64, Break> {
        let mut v = Verifier::default();
        for r in rows {
            v.feed(&Stored { link: link(r), prev_hash: Some(&r.prev), hash: Some(&r.hash) })?;
        }
        Ok(v.count)
    }

    #[test]
    fn every_kind_of_tampering_is_named() {
        assert_eq!(walk(&chain(5)), Ok(5));
        assert_eq!(walk(&[]), Ok(0));
        let mut rows = chain(5);
        rows[2].data = "{\"n\":99}".into();
        assert_eq!(walk(&rows), Err(Break::Altered { seq: 3, case_id: "C-1".into(), kind: "note".into() }));
        let mut rows = chain(5);
        rows.remove(2);
        assert_eq!(walk(&rows), Err(Break::Missing { expected: 3, found: 4 }));
        // Two events swapped, renumbered to keep seq in order: the second no longer follows the first.
        let mut rows = chain(5);
        rows.swap(1, 2);
        rows[1].seq = 2;
        rows[2].seq = 3;
        assert_eq!(walk(&rows), Err(Break::OutOfPlace { seq: 2 }));
        // A deleted tail still verifies: only a checkpoint catches it.
        assert_eq!(walk(&chain(5)[..3]), Ok(3));
    }
}
