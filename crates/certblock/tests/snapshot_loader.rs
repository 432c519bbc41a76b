//! The snapshot loader refuses every damaged input with the right error, and never panics.

#![cfg(feature = "sha2")]

mod common;

use certblock::{SNAPSHOT_MAX_LEN, Snapshot, SnapshotError};
use certblock_list::Action;
use common::*;

/// A snapshot of `n` keys over three incidents (one dated).
fn sample(n: usize) -> Vec<u8> {
    let keys: Vec<[u8; 32]> = (0..n)
        .map(|i| certblock_list::Sha256Hash::digest(format!("k{i}").as_bytes()).0)
        .collect();
    let listed: Vec<Listed<'_>> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| match i % 3 {
            0 => Listed {
                key: *key,
                action: Action::Block,
                incident: "one",
                distrust_after: None,
            },
            1 => Listed {
                key: *key,
                action: Action::KnownInterception,
                incident: "two",
                distrust_after: None,
            },
            _ => Listed {
                key: *key,
                action: Action::BlockedInterception,
                incident: "three",
                distrust_after: Some("2020-02-02T02:02:02Z"),
            },
        })
        .collect();
    snapshot_of(&listed)
}

#[test]
fn a_valid_snapshot_loads_and_finds_every_key() {
    for n in [0, 1, 5, 16, 17, 300] {
        let bytes = sample(n);
        let s = Snapshot::from_bytes(&bytes).unwrap();
        assert_eq!(s.len(), n);
        assert_eq!(s.is_empty(), n == 0);
        assert_eq!(s.sequence(), 7);
        for (i, (key, listing)) in s.iter().enumerate() {
            assert_eq!(s.lookup(key), Some(listing), "key {i}");
        }
        assert_eq!(s.iter().count(), n);
        assert!(s.lookup(&[0xab; 32]).is_none());
    }
}

#[test]
fn truncated_inputs_are_refused_as_truncated() {
    let bytes = sample(20);
    for len in 0..bytes.len() {
        let err = Snapshot::from_bytes(&bytes[..len]).unwrap_err();
        let want = if len < 64 {
            SnapshotError::Truncated {
                needed: 64,
                available: len,
            }
        } else {
            SnapshotError::Truncated {
                needed: bytes.len() as u64,
                available: len,
            }
        };
        assert_eq!(err, want, "truncated to {len}");
    }
}

#[test]
fn every_single_bit_flip_is_refused_with_the_right_error() {
    let bytes = sample(40);
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let err = Snapshot::from_bytes(&flipped).unwrap_err();
        let byte = bit / 8;
        let ok = match byte {
            0..8 => err == SnapshotError::BadMagic,
            8..12 => matches!(err, SnapshotError::UnsupportedVersion { .. }),
            12..24 => matches!(err, SnapshotError::Malformed { .. }),
            24..32 => matches!(
                err,
                SnapshotError::Truncated { .. }
                    | SnapshotError::TrailingBytes { .. }
                    | SnapshotError::TooLarge { .. }
            ),
            _ => err == SnapshotError::DigestMismatch,
        };
        assert!(ok, "bit {bit} (byte {byte}) flipped: {err:?}");
    }
}

#[test]
fn a_wrong_version_is_refused_naming_it() {
    let mut bytes = sample(3);
    assert_eq!(certblock::SNAPSHOT_VERSION, 2);
    // Version 1 (one record per key) is refused, as is any later version.
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    assert_eq!(
        Snapshot::from_bytes(&bytes).unwrap_err(),
        SnapshotError::UnsupportedVersion { found: 1 }
    );
    bytes[8..12].copy_from_slice(&3u32.to_le_bytes());
    assert_eq!(
        Snapshot::from_bytes(&bytes).unwrap_err(),
        SnapshotError::UnsupportedVersion { found: 3 }
    );
    bytes[8..12].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(
        Snapshot::from_bytes(&bytes).unwrap_err(),
        SnapshotError::UnsupportedVersion { found: 0 }
    );
}

#[test]
fn oversized_inputs_are_refused() {
    let bytes = sample(3);
    // Bytes after the declared end.
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 10]);
    assert_eq!(
        Snapshot::from_bytes(&longer).unwrap_err(),
        SnapshotError::TrailingBytes {
            declared: bytes.len() as u64,
            actual: bytes.len() + 10
        }
    );
    // A declared size over the limit (and one that would overflow).
    for declared in [SNAPSHOT_MAX_LEN as u64, u64::MAX] {
        let mut huge = bytes.clone();
        huge[24..32].copy_from_slice(&declared.to_le_bytes());
        assert!(
            matches!(Snapshot::from_bytes(&huge).unwrap_err(), SnapshotError::TooLarge { max, .. } if max == SNAPSHOT_MAX_LEN),
            "declared {declared}"
        );
    }
    // An input over the limit, whatever it declares (zeroed pages past the sample are never
    // touched: the size is refused before anything is read).
    let mut big = vec![0u8; SNAPSHOT_MAX_LEN + 1];
    big[..bytes.len()].copy_from_slice(&bytes);
    assert_eq!(
        Snapshot::from_bytes(&big).unwrap_err(),
        SnapshotError::TooLarge {
            len: SNAPSHOT_MAX_LEN as u64 + 1,
            max: SNAPSHOT_MAX_LEN
        }
    );
    assert_eq!(
        SNAPSHOT_MAX_LEN,
        256 << 20,
        "room for about 6.5M entries, 1M needs 38 MiB"
    );
}

#[test]
fn a_caller_chosen_limit_is_applied_exactly() {
    let bytes = sample(10);
    assert!(Snapshot::from_bytes_with_limit(&bytes, bytes.len()).is_ok());
    assert_eq!(
        Snapshot::from_bytes_with_limit(&bytes, bytes.len() - 1).unwrap_err(),
        SnapshotError::TooLarge {
            len: bytes.len() as u64,
            max: bytes.len() - 1
        }
    );
    // A declared size over a small limit is refused before the input's length is looked at.
    let mut forged = bytes.clone();
    forged[24..32].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(matches!(
        Snapshot::from_bytes_with_limit(&forged, 1 << 20).unwrap_err(),
        SnapshotError::TooLarge { max, .. } if max == 1 << 20
    ));
    // A limit above the default is allowed.
    assert!(Snapshot::from_bytes_with_limit(&bytes, usize::MAX).is_ok());
}

#[test]
fn a_resealed_inconsistent_payload_is_malformed() {
    let bytes = sample(10);
    // Find the values and the records by the layout: the values follow the index, the records
    // the values.
    let n = 10;
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let bits = u32::from_le_bytes(bytes[72..76].try_into().unwrap()) as usize;
    let mut at = 128 + 32 * n;
    at += 8 + u64_at(at);
    at += 8 + 4 * ((1 << bits) + 1);
    at += 8 + u64_at(at);
    assert_eq!(u64_at(at), n);
    let values = at + 8;
    assert_eq!(values % 64, 0);
    at = values + 4 * n;
    at += 8 + u64_at(at);
    assert_eq!(u64_at(at), 3, "three incidents, three records for ten keys");
    let records = at + 8;
    assert_eq!(records % 64, 0);
    // An action of 0 in the first record.
    let mut bad = bytes.clone();
    bad[records] = 0;
    reseal(&mut bad);
    assert!(matches!(
        Snapshot::from_bytes(&bad).unwrap_err(),
        SnapshotError::Malformed { offset, .. } if offset == records
    ));
    // A value word that points past the records.
    for v in [3u32, u32::MAX] {
        let mut bad = bytes.clone();
        bad[values + 4 * 7..values + 4 * 8].copy_from_slice(&v.to_le_bytes());
        reseal(&mut bad);
        assert_eq!(
            Snapshot::from_bytes(&bad).unwrap_err(),
            SnapshotError::Malformed {
                offset: values + 4 * 7,
                reason: "value is not below the record count"
            }
        );
    }
    // Another valid value word makes another (valid) snapshot: key 7 takes record 0's listing.
    let mut moved = bytes.clone();
    moved[values + 4 * 7..values + 4 * 8].copy_from_slice(&0u32.to_le_bytes());
    reseal(&mut moved);
    let s = Snapshot::from_bytes(&moved).unwrap();
    let listings: Vec<_> = s.iter().map(|(_, l)| l).collect();
    assert_eq!(listings[7], listings[0]);
    // More records than keys.
    let mut more = bytes.clone();
    more[records - 8..records].copy_from_slice(&(n as u64 + 1).to_le_bytes());
    reseal(&mut more);
    assert!(matches!(
        Snapshot::from_bytes(&more).unwrap_err(),
        SnapshotError::Malformed { .. }
    ));
    // Two keys swapped: not ascending.
    let mut swapped = bytes.clone();
    let (a, b) = (128..160, 160..192);
    let first = swapped[a.clone()].to_vec();
    swapped.copy_within(b.clone(), a.start);
    swapped[b].copy_from_slice(&first);
    reseal(&mut swapped);
    assert!(matches!(
        Snapshot::from_bytes(&swapped).unwrap_err(),
        SnapshotError::Malformed { .. }
    ));
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Loads `bytes` and, if it loads, looks up every key and a few others: nothing may panic.
fn exercise(bytes: &[u8]) -> Result<(), SnapshotError> {
    let s = Snapshot::from_bytes(bytes)?;
    for (key, listing) in s.iter() {
        assert_eq!(s.lookup(key), Some(listing));
    }
    let _ = s.lookup(&[0; 32]);
    let _ = s.lookup(&[0xff; 32]);
    Ok(())
}

#[test]
fn random_bytes_and_mutations_never_panic_and_are_refused() {
    let mut rng = Rng(0x00c0_ffee_d00d_f00d);
    let valid = sample(25);
    let mut header_only = valid[..64].to_vec();
    header_only[24..32].copy_from_slice(&0u64.to_le_bytes());
    // 10,000 random inputs, half of them behind a valid magic and version.
    for i in 0..10_000 {
        let len = rng.below(600);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if i % 2 == 0 && len >= 12 {
            bytes[..12].copy_from_slice(&valid[..12]);
        }
        assert!(exercise(&bytes).is_err(), "random input {i} loaded");
    }
    // 10,000 mutations of a valid snapshot: flips, overwrites, cuts, insertions; without a
    // matching digest they must all be refused.
    for i in 0..10_000 {
        let mut bytes = valid.clone();
        for _ in 0..1 + rng.below(4) {
            match rng.below(4) {
                0 => {
                    let at = rng.below(bytes.len());
                    bytes[at] ^= 1 << rng.below(8);
                }
                1 => {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
                2 => {
                    let at = rng.below(bytes.len());
                    bytes.truncate(at);
                }
                _ => {
                    let at = rng.below(bytes.len() + 1);
                    bytes.insert(at, rng.next() as u8);
                }
            }
            if bytes.is_empty() {
                break;
            }
        }
        if bytes != valid {
            assert!(exercise(&bytes).is_err(), "mutation {i} loaded");
        }
    }
    // 10,000 mutations of the payload with the digest made to match: they reach the structural
    // checks, which must refuse or accept without panicking.
    let mut accepted = 0;
    for _ in 0..10_000 {
        let mut bytes = valid.clone();
        for _ in 0..1 + rng.below(3) {
            let at = 64 + rng.below(bytes.len() - 64);
            match rng.below(3) {
                0 => bytes[at] ^= 1 << rng.below(8),
                1 => bytes[at] = rng.next() as u8,
                _ => bytes[at] = [0x00, 0xff, 0x01, 0x80][rng.below(4)],
            }
        }
        reseal(&mut bytes);
        accepted += usize::from(exercise(&bytes).is_ok());
    }
    // Some changes (inside a title) keep the structure valid; most do not.
    assert!(accepted < 5_000, "{accepted} resealed mutations accepted");
    let _ = exercise(&header_only);
}
