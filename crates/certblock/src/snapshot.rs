//! Run-time lists: `generated/blocklist.bin` (or any snapshot the compiler writes), read in
//! place from a byte slice.
//!
//! # Layout
//!
//! All integers are little-endian and fixed-width (the encoding of bincode 2's
//! `config::standard().with_fixed_int_encoding().with_little_endian()`, which the compiler uses;
//! this crate reads the bytes itself and does not depend on bincode). Offsets are from the start
//! of the file.
//!
//! ```text
//! header, 64 bytes
//!   0   8  magic            "CBLKSNAP"
//!   8   4  format version   u32 = 2
//!  12   4  entry count N    u32
//!  16   8  sequence         u64 (the list's sequence number)
//!  24   8  payload length   u64 (bytes after the header; the file is exactly 64 + this)
//!  32  32  payload SHA-256  of the payload bytes
//! payload, bincode fixed-int little-endian, fields in this order
//!      8  sequence          u64, equal to the header's
//!      4  prefix bits B     u32, 0 to 24
//!   8+P0  pad               Vec<u8>: u64 length (0 to 63), zero bytes
//!  8+32N  keys              Vec<[u8; 32]>: u64 length N, then N SPKI SHA-256, strictly ascending
//!   8+P1  pad               Vec<u8>
//! 8+4(2^B+1) index          Vec<u32>: u64 length 2^B + 1; index[p] is the position of the first
//!                           key whose first B bits are >= p, index[2^B] = N
//!   8+P2  pad               Vec<u8>
//!   8+4N  values            Vec<u32>: u64 length N; values[i] < V is the position in records of
//!                           key i's record
//!   8+P3  pad               Vec<u8>
//!  8+32V  records           Vec<Record>: u64 length V <= N, the distinct records (one per
//!                           incident, action and date)
//!   8+S   strings           Vec<u8>: u64 length S, UTF-8: incident ids and titles
//! record, 32 bytes
//!   0  1  action            u8: 1 block, 2 known-interception, 3 blocked-interception
//!   1  1  has distrust_after u8: 0 or 1
//!   2  2  reserved          zero
//!   4  4  incident offset   u32, into strings
//!   8  4  incident length   u32
//!  12  4  title offset      u32
//!  16  4  title length      u32
//!  20  4  reserved          zero
//!  24  8  distrust_after    u64 Unix seconds (0 when absent)
//! ```
//!
//! The writer sizes the pads so that the keys, the index, the values and the records each start
//! at a multiple of 64 bytes from the start of the file: in a 64-byte-aligned buffer (an `mmap`,
//! a page-aligned allocation) a key or a record never straddles a cache line. B is the smallest
//! number of bits with 2^B >= N (at least 4), so a bucket holds about one key: a lookup reads two
//! adjacent index words, then compares the few keys of its bucket; only a hit reads its value
//! word, then its record, which is one of a handful (a list has few incidents) and so stays in
//! cache: a hit costs one cache line beyond the key comparison.
//!
//! Format version 1 held one record per key in place of the values and the records (a hit cost
//! one more cache line); this crate refuses it with [`SnapshotError::UnsupportedVersion`], and
//! `certblock generate` writes version 2.
//!
//! # What loading checks
//!
//! [`Snapshot::from_bytes`] checks, in this order: the header is there; the magic; the version;
//! the size limit ([`SNAPSHOT_MAX_LEN`], 256 MiB, or the one given to
//! [`Snapshot::from_bytes_with_limit`]); the file is exactly as long as the header says; the
//! payload's SHA-256; then the whole structure (lengths, pads, keys strictly ascending, the index
//! consistent with the keys, every value word below the record count, every record's action,
//! flags and string ranges, the strings UTF-8),
//! so that lookups afterwards cannot fail. Nothing is copied: the snapshot borrows the input.

use core::fmt;

use sha2::Digest as _;

use crate::{Action, Listing, Origin};

/// The first eight bytes of every snapshot.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"CBLKSNAP";
/// The snapshot format version this crate reads.
pub const SNAPSHOT_VERSION: u32 = 2;
/// The size of the fixed header.
pub const SNAPSHOT_HEADER_LEN: usize = 64;
/// The largest snapshot [`Snapshot::from_bytes`] accepts: 256 MiB, room for about 6.5 million
/// entries (a snapshot takes 40 to 44 bytes per entry: a 1M-entry list is 38 MiB). Use
/// [`Snapshot::from_bytes_with_limit`] for another limit.
pub const SNAPSHOT_MAX_LEN: usize = 256 << 20;
/// The largest number of prefix bits a snapshot's index may use.
pub const SNAPSHOT_MAX_PREFIX_BITS: u32 = 24;
const RECORD_LEN: usize = 32;
const KEY_LEN: usize = 32;
const VALUE_LEN: usize = 4;

/// Why bytes are not a snapshot this crate can use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SnapshotError {
    /// The input is shorter than the header, or than the header says the file is.
    Truncated {
        /// The bytes the file needs.
        needed: u64,
        /// The bytes there are.
        available: usize,
    },
    /// The input does not start with [`SNAPSHOT_MAGIC`]: it is not a snapshot.
    BadMagic,
    /// A snapshot of another format version.
    UnsupportedVersion {
        /// The version the header gives.
        found: u32,
    },
    /// The input, or the size its header declares, is over the limit ([`SNAPSHOT_MAX_LEN`], or
    /// the one given to [`Snapshot::from_bytes_with_limit`]).
    TooLarge {
        /// The size of the input, or the size declared, whichever is larger.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// Bytes follow the end the header declares.
    TrailingBytes {
        /// The size the header declares.
        declared: u64,
        /// The size of the input.
        actual: usize,
    },
    /// The payload's SHA-256 is not the one in the header: the file is damaged.
    DigestMismatch,
    /// The digest matches but the payload's structure is inconsistent (a broken writer, or a
    /// digest made to match).
    Malformed {
        /// Where the inconsistency was found, from the start of the file.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SnapshotError::Truncated { needed, available } => write!(
                f,
                "truncated snapshot: {needed} bytes are needed, {available} are there"
            ),
            SnapshotError::BadMagic => f.write_str("not a certblock snapshot (bad magic)"),
            SnapshotError::UnsupportedVersion { found } => write!(
                f,
                "snapshot format version {found}; this version of certblock reads version {SNAPSHOT_VERSION}"
            ),
            SnapshotError::TooLarge { len, max } => {
                write!(
                    f,
                    "snapshot of {len} bytes is over the limit of {max} bytes"
                )
            }
            SnapshotError::TrailingBytes { declared, actual } => write!(
                f,
                "snapshot is {actual} bytes but its header says {declared}: bytes follow its end"
            ),
            SnapshotError::DigestMismatch => {
                f.write_str("snapshot payload does not match its SHA-256: the file is damaged")
            }
            SnapshotError::Malformed { offset, reason } => {
                write!(f, "malformed snapshot at byte {offset}: {reason}")
            }
        }
    }
}

impl core::error::Error for SnapshotError {}

/// A little-endian reader over the payload; `pos` counts from the start of the file.
struct Cursor<'a> {
    file: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn malformed(&self, reason: &'static str) -> SnapshotError {
        SnapshotError::Malformed {
            offset: self.pos,
            reason,
        }
    }

    fn take(&mut self, len: usize, reason: &'static str) -> Result<&'a [u8], SnapshotError> {
        let end = self
            .pos
            .checked_add(len)
            .ok_or_else(|| self.malformed(reason))?;
        let bytes = self
            .file
            .get(self.pos..end)
            .ok_or_else(|| self.malformed(reason))?;
        self.pos = end;
        Ok(bytes)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, SnapshotError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, SnapshotError> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    /// A bincode `Vec<T>` of `item`-byte elements: its u64 length, then the elements' bytes.
    fn vec(&mut self, item: usize, what: &'static str) -> Result<(usize, &'a [u8]), SnapshotError> {
        let at = self.pos;
        let count = self.u64(what)?;
        let count = usize::try_from(count).map_err(|_| SnapshotError::Malformed {
            offset: at,
            reason: what,
        })?;
        let len = count.checked_mul(item).ok_or(SnapshotError::Malformed {
            offset: at,
            reason: what,
        })?;
        Ok((count, self.take(len, what)?))
    }

    /// An alignment pad: fewer than 64 zero bytes.
    fn pad(&mut self) -> Result<(), SnapshotError> {
        let at = self.pos;
        let (len, bytes) = self.vec(1, "alignment pad runs past the end")?;
        if len >= 64 || bytes.iter().any(|&b| b != 0) {
            return Err(SnapshotError::Malformed {
                offset: at,
                reason: "alignment pad is 64 bytes or more, or not zero",
            });
        }
        Ok(())
    }
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes([
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
    ]))
}

/// The bucket of a key: its first `bits` bits.
fn prefix(key: &[u8; 32], bits: u32) -> usize {
    if bits == 0 {
        return 0;
    }
    let top = u32::from_be_bytes([key[0], key[1], key[2], 0]);
    (top >> (32 - bits)) as usize
}

/// A loaded run-time list, borrowing the bytes it was read from.
///
/// ```
/// let bytes = include_bytes!("../../../generated/blocklist.bin");
/// let snapshot = certblock::Snapshot::from_bytes(bytes).expect("a valid snapshot");
/// assert_eq!(snapshot.len(), certblock::SPKI_BLOCKLIST_LEN);
/// assert_eq!(snapshot.sequence(), certblock::SPKI_BLOCKLIST_SEQUENCE);
/// let (key, listing) = snapshot.iter().next().unwrap();
/// assert_eq!(snapshot.lookup(key), Some(listing));
/// assert_eq!(listing.origin, certblock::Origin::Loaded);
///
/// let mut damaged = bytes.to_vec();
/// *damaged.last_mut().unwrap() ^= 1;
/// assert_eq!(
///     certblock::Snapshot::from_bytes(&damaged).unwrap_err(),
///     certblock::SnapshotError::DigestMismatch
/// );
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Snapshot<'a> {
    sequence: u64,
    len: usize,
    prefix_bits: u32,
    keys: &'a [u8],
    index: &'a [u8],
    values: &'a [u8],
    records: &'a [u8],
    strings: &'a str,
}

impl<'a> Snapshot<'a> {
    /// Reads a snapshot in place, checking everything listed in the [module
    /// documentation](crate::snapshot) first. Never panics and never allocates; on success the
    /// snapshot borrows `bytes`. Inputs over [`SNAPSHOT_MAX_LEN`] (256 MiB) are refused.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, SnapshotError> {
        Self::from_bytes_with_limit(bytes, SNAPSHOT_MAX_LEN)
    }

    /// [`Snapshot::from_bytes`] with another size limit: inputs, or declared sizes, over
    /// `max_len` bytes are refused with [`SnapshotError::TooLarge`] before anything is hashed.
    /// The limit bounds the work a hostile input can cause (the loader never allocates, but it
    /// hashes the whole input); any limit is safe.
    ///
    /// ```
    /// let bytes = include_bytes!("../../../generated/blocklist.bin");
    /// assert!(certblock::Snapshot::from_bytes_with_limit(bytes, bytes.len()).is_ok());
    /// assert_eq!(
    ///     certblock::Snapshot::from_bytes_with_limit(bytes, 100).unwrap_err(),
    ///     certblock::SnapshotError::TooLarge { len: bytes.len() as u64, max: 100 }
    /// );
    /// ```
    pub fn from_bytes_with_limit(bytes: &'a [u8], max_len: usize) -> Result<Self, SnapshotError> {
        let header = bytes
            .get(..SNAPSHOT_HEADER_LEN)
            .ok_or(SnapshotError::Truncated {
                needed: SNAPSHOT_HEADER_LEN as u64,
                available: bytes.len(),
            })?;
        if header.get(..8) != Some(&SNAPSHOT_MAGIC[..]) {
            return Err(SnapshotError::BadMagic);
        }
        let version = le_u32(header, 8).unwrap_or(0);
        if version != SNAPSHOT_VERSION {
            return Err(SnapshotError::UnsupportedVersion { found: version });
        }
        let entry_count = le_u32(header, 12).unwrap_or(0);
        let sequence = le_u64(header, 16).unwrap_or(0);
        let payload_len = le_u64(header, 24).unwrap_or(0);
        let declared = payload_len.saturating_add(SNAPSHOT_HEADER_LEN as u64);
        let largest = declared.max(bytes.len() as u64);
        if largest > max_len as u64 {
            return Err(SnapshotError::TooLarge {
                len: largest,
                max: max_len,
            });
        }
        if (bytes.len() as u64) < declared {
            return Err(SnapshotError::Truncated {
                needed: declared,
                available: bytes.len(),
            });
        }
        if (bytes.len() as u64) > declared {
            return Err(SnapshotError::TrailingBytes {
                declared,
                actual: bytes.len(),
            });
        }
        let payload = bytes.get(SNAPSHOT_HEADER_LEN..).unwrap_or(&[]);
        let digest: [u8; 32] = sha2::Sha256::digest(payload).into();
        if header.get(32..64) != Some(&digest[..]) {
            return Err(SnapshotError::DigestMismatch);
        }
        Self::parse_payload(bytes, sequence, entry_count)
    }

    /// Checks the payload's structure (the digest already matched).
    fn parse_payload(
        file: &'a [u8],
        sequence: u64,
        entry_count: u32,
    ) -> Result<Self, SnapshotError> {
        let mut c = Cursor {
            file,
            pos: SNAPSHOT_HEADER_LEN,
        };
        let at = c.pos;
        if c.u64("payload ends before its sequence")? != sequence {
            return Err(SnapshotError::Malformed {
                offset: at,
                reason: "payload sequence differs from the header's",
            });
        }
        let at = c.pos;
        let prefix_bits = c.u32("payload ends before its prefix bits")?;
        if prefix_bits > SNAPSHOT_MAX_PREFIX_BITS {
            return Err(SnapshotError::Malformed {
                offset: at,
                reason: "more than 24 prefix bits",
            });
        }
        c.pad()?;
        let at = c.pos;
        let (len, keys) = c.vec(KEY_LEN, "keys run past the end")?;
        if len != entry_count as usize {
            return Err(SnapshotError::Malformed {
                offset: at,
                reason: "key count differs from the header's entry count",
            });
        }
        let keys_at = c.pos - keys.len();
        for i in 1..len {
            let (a, b) = (
                keys.get((i - 1) * KEY_LEN..i * KEY_LEN),
                keys.get(i * KEY_LEN..(i + 1) * KEY_LEN),
            );
            if a >= b {
                return Err(SnapshotError::Malformed {
                    offset: keys_at + i * KEY_LEN,
                    reason: "keys are not strictly ascending",
                });
            }
        }
        c.pad()?;
        let at = c.pos;
        let (buckets, index) = c.vec(4, "index runs past the end")?;
        if buckets != (1usize << prefix_bits) + 1 {
            return Err(SnapshotError::Malformed {
                offset: at,
                reason: "index length is not 2^prefix_bits + 1",
            });
        }
        let index_at = c.pos - index.len();
        // index[0] = 0, non-decreasing, index[last] = N, and bucket p holds exactly the keys whose
        // prefix is p.
        let mut previous = 0usize;
        for p in 0..buckets {
            let value = le_u32(index, p * 4).unwrap_or(u32::MAX) as usize;
            let wrong = (p == 0 && value != 0)
                || value < previous
                || value > len
                || (p + 1 == buckets && value != len);
            if wrong {
                return Err(SnapshotError::Malformed {
                    offset: index_at + p * 4,
                    reason: "index does not match the keys",
                });
            }
            for k in previous..value {
                let key = keys
                    .get(k * KEY_LEN..(k + 1) * KEY_LEN)
                    .and_then(|k| <&[u8; 32]>::try_from(k).ok());
                if key.map(|key| prefix(key, prefix_bits)) != Some(p - 1) {
                    return Err(SnapshotError::Malformed {
                        offset: index_at + p * 4,
                        reason: "index does not match the keys",
                    });
                }
            }
            previous = value;
        }
        c.pad()?;
        let at = c.pos;
        let (count, values) = c.vec(VALUE_LEN, "values run past the end")?;
        if count != len {
            return Err(SnapshotError::Malformed {
                offset: at,
                reason: "value count differs from the key count",
            });
        }
        let values_at = c.pos - values.len();
        c.pad()?;
        let at = c.pos;
        let (record_count, records) = c.vec(RECORD_LEN, "records run past the end")?;
        if record_count > len {
            return Err(SnapshotError::Malformed {
                offset: at,
                reason: "more records than keys",
            });
        }
        let records_at = c.pos - records.len();
        for i in 0..len {
            let in_range =
                matches!(le_u32(values, i * VALUE_LEN), Some(v) if (v as usize) < record_count);
            if !in_range {
                return Err(SnapshotError::Malformed {
                    offset: values_at + i * VALUE_LEN,
                    reason: "value is not below the record count",
                });
            }
        }
        let (_, strings) = c.vec(1, "strings run past the end")?;
        let strings_at = c.pos - strings.len();
        let strings = core::str::from_utf8(strings).map_err(|e| SnapshotError::Malformed {
            offset: strings_at + e.valid_up_to(),
            reason: "strings are not UTF-8",
        })?;
        if c.pos != file.len() {
            return Err(c.malformed("bytes follow the strings"));
        }
        let snapshot = Snapshot {
            sequence,
            len,
            prefix_bits,
            keys,
            index,
            values,
            records,
            strings,
        };
        for i in 0..record_count {
            if snapshot.record(i).is_none() {
                return Err(SnapshotError::Malformed {
                    offset: records_at + i * RECORD_LEN,
                    reason: "record has a bad action, flag, reserved byte or string range",
                });
            }
        }
        Ok(snapshot)
    }

    /// The record of key `i`; `None` if `i` is out of range (never, once loaded).
    fn listing(&self, i: usize) -> Option<Listing<'a>> {
        let r = le_u32(self.values, i.checked_mul(VALUE_LEN)?)? as usize;
        let start = r.checked_mul(RECORD_LEN)?;
        let r: &[u8; RECORD_LEN] = self
            .records
            .get(start..start.checked_add(RECORD_LEN)?)?
            .try_into()
            .ok()?;
        Self::decode(r, self.strings)
    }

    /// Checks record `i` (all its bytes) and decodes it; `None` if it is not valid. The loader
    /// runs it on every record, so that [`Snapshot::listing`] need not repeat the checks of the
    /// flag and reserved bytes.
    fn record(&self, i: usize) -> Option<Listing<'a>> {
        let start = i.checked_mul(RECORD_LEN)?;
        let r: &[u8; RECORD_LEN] = self
            .records
            .get(start..start.checked_add(RECORD_LEN)?)?
            .try_into()
            .ok()?;
        let when = u64::from_le_bytes([r[24], r[25], r[26], r[27], r[28], r[29], r[30], r[31]]);
        let flag_ok = matches!((r[1], when), (0, 0) | (1, _));
        let reserved_ok = r[2] == 0 && r[3] == 0 && r[20..24] == [0; 4];
        if !(flag_ok && reserved_ok) {
            return None;
        }
        Self::decode(r, self.strings)
    }

    /// Decodes a record whose flag and reserved bytes are valid: `None` if its action or string
    /// ranges are not.
    fn decode(r: &[u8; RECORD_LEN], strings: &'a str) -> Option<Listing<'a>> {
        let word = |at: usize| u32::from_le_bytes([r[at], r[at + 1], r[at + 2], r[at + 3]]);
        let action = match r[0] {
            1 => Action::Block,
            2 => Action::KnownInterception,
            3 => Action::BlockedInterception,
            _ => return None,
        };
        let distrust_after = (r[1] != 0)
            .then(|| u64::from_le_bytes([r[24], r[25], r[26], r[27], r[28], r[29], r[30], r[31]]));
        let string = |at: usize| -> Option<&'a str> {
            let offset = word(at) as usize;
            strings.get(offset..offset.checked_add(word(at + 4) as usize)?)
        };
        Some(Listing {
            action,
            incident: string(4)?,
            title: string(12)?,
            distrust_after,
            origin: Origin::Loaded,
        })
    }

    /// Key `i`, in ascending order.
    fn key(&self, i: usize) -> Option<&'a [u8; 32]> {
        let start = i.checked_mul(KEY_LEN)?;
        self.keys
            .get(start..start.checked_add(KEY_LEN)?)?
            .try_into()
            .ok()
    }

    /// The entry for a key, given the SHA-256 of its DER SubjectPublicKeyInfo; `None` if the
    /// snapshot does not list it. Reads two index words, the keys of one bucket, and on a hit
    /// one value word and the (few, so cached) record it points to.
    pub fn lookup(&self, spki_sha256: &[u8; 32]) -> Option<Listing<'a>> {
        let p = prefix(spki_sha256, self.prefix_bits);
        let mut lo = le_u32(self.index, p.checked_mul(4)?)? as usize;
        let mut hi = le_u32(self.index, p.checked_mul(4)?.checked_add(4)?)? as usize;
        // Binary search within the bucket (usually zero or one key).
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid)?.cmp(spki_sha256) {
                core::cmp::Ordering::Less => lo = mid + 1,
                core::cmp::Ordering::Greater => hi = mid,
                core::cmp::Ordering::Equal => return self.listing(mid),
            }
        }
        None
    }

    /// The list's sequence number.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// How many keys the snapshot lists.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the snapshot lists no key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every key and its entry, keys in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8; 32], Listing<'a>)> + '_ {
        (0..self.len).filter_map(move |i| Some((self.key(i)?, self.listing(i)?)))
    }
}
