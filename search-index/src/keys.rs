//! Stable dataset keys.
//!
//! Posting lists and display shards refer to datasets by a key derived from the department
//! code and the dataset id, never by tantivy's document numbers, so an unchanged catalog gives
//! byte-identical files and a new record changes only the files that hold it. A key is
//! `department slot × 2^26 + dataset slot`: a 20-bit hash of the department code and a 26-bit
//! hash of the dataset id, with linear probing on a collision. Slots are wide enough that a new
//! id rarely takes an existing one's slot (for a department of n datasets, about n²/2^27
//! colliding pairs: 0.007 at 1,000) and narrow enough to keep posting lists small. Keys stay
//! below 2^46, so JavaScript numbers hold them exactly. The department slot doubles as the
//! department facet.

use std::collections::BTreeSet;

// Looked up for every dataset: a fast hasher, keyed per process (slots come from `fnv1a`).
use foldhash::{HashMap, HashSet};

/// Bits of the dataset slot (the low bits of a key).
pub const SLOT_BITS: u32 = 26;
/// Bits of the department slot (the high bits).
pub const DEPARTMENT_BITS: u32 = 20;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
const DEPARTMENT_MASK: u64 = (1 << DEPARTMENT_BITS) - 1;
const MIX_MASK: u64 = (1 << 20) - 1;

/// FNV-1a, 64 bits: small, stable across platforms and versions.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The department slot of a key.
pub fn department_slot(key: u64) -> u64 {
    key >> SLOT_BITS
}

/// A well-mixed 20-bit number from a key: picks display buckets and posting blocks. The
/// JavaScript client computes the same with `(key % 2**20) ^ Math.floor(key / 2**26)`.
pub fn mix(key: u64) -> u64 {
    (key & MIX_MASK) ^ (key >> SLOT_BITS)
}

/// Why keys could not be assigned.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// More than 2^20 departments or datasets in one department.
    #[error("too many {0}; the key space is full")]
    Full(&'static str),
}

/// Assigns a key to each `(department code, dataset id)`, in the order given.
pub fn assign(datasets: &[(&str, &str)]) -> Result<Vec<u64>, KeyError> {
    let mut by_department: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, (department, _)) in datasets.iter().enumerate() {
        by_department.entry(department).or_default().push(i);
    }
    let departments: BTreeSet<&str> = by_department.keys().copied().collect();
    let department_slots = probe(departments.iter().copied(), DEPARTMENT_MASK, "departments")?;
    let mut keys = vec![0; datasets.len()];
    for (department, mut members) in by_department {
        // Probed in id order, so a slot depends only on the department's ids.
        members.sort_unstable_by_key(|&i| datasets[i].1);
        let slots = probe(
            members.iter().map(|&i| datasets[i].1),
            SLOT_MASK,
            "datasets in one department",
        )?;
        let high = department_slots[department] << SLOT_BITS;
        for i in members {
            keys[i] = high | slots[datasets[i].1];
        }
    }
    Ok(keys)
}

/// Slots for `names` (sorted; a repeated name keeps its first slot): the hash, or the next
/// free slot after it.
fn probe<'a>(
    names: impl Iterator<Item = &'a str>,
    mask: u64,
    what: &'static str,
) -> Result<HashMap<&'a str, u64>, KeyError> {
    let mut taken = HashSet::default();
    let mut slots = HashMap::default();
    for name in names {
        if slots.contains_key(name) {
            continue;
        }
        if taken.len() as u64 > mask {
            return Err(KeyError::Full(what));
        }
        let mut slot = fnv1a(name.as_bytes()) & mask;
        while !taken.insert(slot) {
            slot = (slot + 1) & mask;
        }
        slots.insert(name, slot);
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_do_not_move_when_other_records_come_and_go() {
        let before = assign(&[("gx-a", "one"), ("gx-a", "two"), ("nn-b", "three")]).unwrap();
        let after = assign(&[("nn-b", "three"), ("gx-a", "two"), ("gx-c", "four")]).unwrap();
        assert_eq!(before[1], after[1]);
        assert_eq!(before[2], after[0]);
        assert_eq!(department_slot(before[0]), department_slot(before[1]));
        assert_ne!(department_slot(before[0]), department_slot(before[2]));
    }

    #[test]
    fn keys_are_unique_and_fit_javascript_numbers() {
        let ids: Vec<String> = (0..5000).map(|i| format!("ds-{i}")).collect();
        let pairs: Vec<(&str, &str)> = ids.iter().map(|id| ("d", id.as_str())).collect();
        let keys = assign(&pairs).unwrap();
        let unique: BTreeSet<u64> = keys.iter().copied().collect();
        assert_eq!(unique.len(), keys.len());
        assert!(keys.iter().all(|&k| k < 1 << 53));
    }
}
