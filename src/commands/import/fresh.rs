//! The ids an import into an empty ledger has read, kept as 64-bit hashes: a batch
//! none of whose ids was read before needs no lookup in the ledger, since every
//! case in it came from this import (for a ledger whose lookups by id cost more
//! than the set, as one that builds its key after the load).

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// Beyond this many ids the set stops (about 18 MiB, and half as much again while
/// it grows): later batches are looked up in the ledger, as in an import into a
/// ledger that holds cases.
const MOST: usize = 1_500_000;

/// Ids read so far, by hash; gone once a batch needs the ledger anyway.
pub struct FreshIds {
    hashes: Option<HashSet<u64, BuildHasherDefault<Spread>>>,
    keys: RandomState,
}

impl FreshIds {
    /// For an import that looks up only repeats (see `ImportStart`); `None` otherwise.
    pub fn new(repeats_only: bool) -> Option<FreshIds> {
        repeats_only.then(|| FreshIds { hashes: Some(HashSet::default()), keys: RandomState::new() })
    }

    /// Take in a batch's ids. True when none of them can have been read before
    /// (within the batch, repeats are the caller's to find): the ledger holds none
    /// of them. False when one may have been (a repeat, or two ids of one hash),
    /// and from then on.
    pub fn all_new<'a>(&mut self, ids: impl IntoIterator<Item = &'a String>) -> bool {
        let Some(hashes) = self.hashes.as_mut() else { return false };
        let batch: Vec<u64> = ids.into_iter().map(|id| self.keys.hash_one(id)).collect();
        let new = !batch.iter().any(|h| hashes.contains(h));
        hashes.extend(batch);
        if !new || hashes.len() > MOST {
            self.hashes = None;
        }
        new
    }
}

/// A hasher for values that are hashes already: their own bits.
#[derive(Default)]
struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

#[cfg(test)]
mod tests {
    use super::FreshIds;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_batch_is_new_until_an_id_comes_again_and_never_after() {
        let mut f = FreshIds::new(true).unwrap();
        assert!(f.all_new(&ids(&["A", "B"])));
        assert!(f.all_new(&ids(&["C", "C"])), "a repeat within a batch is the caller's to find");
        assert!(!f.all_new(&ids(&["D", "B"])));
        assert!(!f.all_new(&ids(&["E"])), "once the ledger is needed, it stays needed");
    }

    #[test]
    fn an_import_into_a_ledger_with_cases_keeps_no_set() {
        assert!(FreshIds::new(false).is_none());
    }
}
