//! `blocklist.bin`: the binary snapshot of the whole list, for programs that load updates at run
//! time without being rebuilt (as Chrome's component updater loads CRLSets).
//!
//! The encoding lives behind this one module: [`render`] writes, [`decode`] reads (with a size
//! limit), [`verify`] checks a file against a list, [`dump`] prints one. It is bincode 2.0.1
//! (pinned `=2.0.1`; see `SECURITY-ADVISORIES.md` for RUSTSEC-2025-0141) with the fixed-int,
//! little-endian configuration, so that every field has a fixed width and the runtime crate
//! `certblock` can read the file in place without bincode. A bincode-compatible successor can
//! replace bincode here without changing a byte of the file.
//!
//! # Layout
//!
//! All integers little-endian; offsets from the start of the file. A bincode `Vec<T>` is a `u64`
//! element count followed by the elements; `[u8; N]` is N bytes with no length.
//!
//! ```text
//! header, 64 bytes (struct Header)
//!   0   8  magic             "CBLKSNAP"
//!   8   4  format version    u32 = 2
//!  12   4  entry count N     u32
//!  16   8  sequence          u64, the list's sequence number
//!  24   8  payload length    u64: the file is exactly 64 + this many bytes
//!  32  32  payload SHA-256   of the payload bytes
//! payload (struct Payload)
//!      8  sequence           u64, equal to the header's (so a flipped header bit is caught)
//!      4  prefix bits B      u32: smallest B >= 4 with 2^B >= N (at most 24)
//!   8+P0  pad                Vec<u8> of zeros, fewer than 64
//!  8+32N  keys               Vec<[u8; 32]>: the SPKI SHA-256 of every entry, strictly ascending
//!   8+P1  pad                Vec<u8>
//! 8+4(2^B+1) index           Vec<u32>: index[p] = first key whose top B bits are >= p;
//!                            index[2^B] = N. Bucket p is keys[index[p]..index[p+1]].
//!   8+P2  pad                Vec<u8>
//!   8+4N  values             Vec<u32>: values[i] < V is the position in records of key i's record
//!   8+P3  pad                Vec<u8>
//!  8+32V  records            Vec<Record>: the V distinct records (one per incident, action and
//!                            date), in order of first use by ascending key; V <= N
//!   8+S   strings            Vec<u8>: UTF-8, each incident's id and title once
//! record, 32 bytes (struct Record)
//!   0  1  action             u8: 1 block, 2 known-interception, 3 blocked-interception
//!   1  1  has distrust_after u8: 0 or 1
//!   2  2  reserved           zero
//!   4  4  incident offset    u32 into strings, then 4 bytes of length
//!  12  4  title offset       u32 into strings, then 4 bytes of length
//!  20  4  reserved           zero
//!  24  8  distrust_after     u64 Unix seconds; 0 when absent
//! ```
//!
//! The pads put the keys, the index, the values and the records each at a multiple of 64 bytes
//! from the start of the file, so in a 64-byte-aligned buffer no key or record straddles a cache
//! line. A lookup fetches `index[p]` and `index[p+1]` (one cache line, usually), compares the
//! keys of the bucket (about one, as 2^B >= N and keys are uniform hashes), and only on a hit
//! fetches one value word; the records it points to are few (a list has a handful of incidents)
//! and stay cached, as the sorted form of the Rust table does (`sorted_table`).
//!
//! Version 1 (until November 2026) held one 32-byte record per key in place of the values and
//! records; a hit then cost one more cache line. Version 1 files are refused
//! ([`SnapshotError::UnsupportedVersion`]): `certblock generate` writes version 2.
//! The digest covers the payload; every header field is either constant, cross-checked against
//! the payload (count, sequence, length) or the digest itself, so any single flipped bit is
//! refused.

use core::fmt;
use std::collections::HashMap;

use bincode::config::{Configuration, Fixint, Limit, LittleEndian, NoLimit};
use bincode::{Decode, Encode};
use certblock_list::{Action, Blocklist, Entry, IncidentId, Sha256Hash};
use serde::Serialize;

/// The file name in `generated/`.
pub const FILE_NAME: &str = "blocklist.bin";
/// The first eight bytes of every snapshot.
pub const MAGIC: [u8; 8] = *b"CBLKSNAP";
/// The format version this module writes and reads.
pub const VERSION: u32 = 2;
/// The size of the fixed header.
pub const HEADER_LEN: usize = 64;
/// The largest snapshot [`decode`] accepts (and the runtime crate's default limit,
/// `certblock::SNAPSHOT_MAX_LEN`): 256 MiB, about 6.5 million entries (a 1M-entry snapshot is
/// 38 MiB).
pub const MAX_LEN: usize = 256 << 20;
/// The fewest and the most prefix bits of the index.
const MIN_PREFIX_BITS: u32 = 4;
const MAX_PREFIX_BITS: u32 = 24;
/// The alignment of the keys, the index, the values and the records.
const ALIGN: usize = 64;

/// The bincode configuration of every field: fixed-width integers, little-endian.
fn config() -> Configuration<LittleEndian, Fixint, NoLimit> {
    bincode::config::standard()
        .with_fixed_int_encoding()
        .with_little_endian()
}

/// The same, refusing to decode more than [`MAX_LEN`] bytes (lengths are checked against the
/// limit before anything is allocated).
fn limited_config() -> Configuration<LittleEndian, Fixint, Limit<MAX_LEN>> {
    config().with_limit::<MAX_LEN>()
}

#[derive(Encode, Decode)]
struct Header {
    magic: [u8; 8],
    version: u32,
    entry_count: u32,
    sequence: u64,
    payload_len: u64,
    payload_sha256: [u8; 32],
}

#[derive(Encode, Decode)]
struct Payload {
    sequence: u64,
    prefix_bits: u32,
    pad_keys: Vec<u8>,
    keys: Vec<[u8; 32]>,
    pad_index: Vec<u8>,
    index: Vec<u32>,
    pad_values: Vec<u8>,
    values: Vec<u32>,
    pad_records: Vec<u8>,
    records: Vec<Record>,
    strings: Vec<u8>,
}

#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Hash)]
struct Record {
    action: u8,
    has_distrust_after: u8,
    reserved0: [u8; 2],
    incident_offset: u32,
    incident_len: u32,
    title_offset: u32,
    title_len: u32,
    reserved1: u32,
    distrust_after: u64,
}

/// One entry as a snapshot holds it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct SnapshotEntry {
    /// SHA-256 of the DER SubjectPublicKeyInfo.
    pub spki_sha256: Sha256Hash,
    /// What to do with chains containing the key.
    pub action: Action,
    /// The entry's primary incident (the first of its incidents).
    pub incident: String,
    /// That incident's title.
    pub title: String,
    /// Unix seconds (UTC): the entry applies only to leaves issued strictly later.
    pub distrust_after: Option<u64>,
}

/// A decoded snapshot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Snapshot {
    /// The list's sequence number.
    pub sequence: u64,
    /// The number of prefix bits of the lookup index.
    pub prefix_bits: u32,
    /// Every entry, by ascending key.
    pub entries: Vec<SnapshotEntry>,
}

/// Why bytes are not a snapshot [`decode`] can read.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SnapshotError {
    /// Shorter than the header, or than the header says.
    Truncated {
        /// Bytes needed.
        needed: u64,
        /// Bytes there.
        available: usize,
    },
    /// Does not start with [`MAGIC`].
    BadMagic,
    /// Another format version.
    UnsupportedVersion {
        /// The version found.
        found: u32,
    },
    /// Over [`MAX_LEN`], as given or as declared.
    TooLarge {
        /// The larger of the input size and the declared size.
        len: u64,
    },
    /// Longer than the header says.
    TrailingBytes {
        /// The size declared.
        declared: u64,
        /// The size given.
        actual: usize,
    },
    /// The payload does not hash to the header's SHA-256.
    DigestMismatch,
    /// bincode refused the bytes (its message).
    Decode(String),
    /// The payload decodes but breaks the layout's rules.
    Malformed(String),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Truncated { needed, available } => {
                write!(
                    f,
                    "truncated snapshot: {needed} bytes are needed, {available} are there"
                )
            }
            SnapshotError::BadMagic => f.write_str("not a certblock snapshot (bad magic)"),
            SnapshotError::UnsupportedVersion { found } => {
                write!(
                    f,
                    "snapshot format version {found}; this certblock reads version {VERSION}"
                )
            }
            SnapshotError::TooLarge { len } => {
                write!(
                    f,
                    "snapshot of {len} bytes is over the limit of {MAX_LEN} bytes"
                )
            }
            SnapshotError::TrailingBytes { declared, actual } => {
                write!(
                    f,
                    "snapshot is {actual} bytes but its header says {declared}"
                )
            }
            SnapshotError::DigestMismatch => {
                f.write_str("snapshot payload does not match its SHA-256: the file is damaged")
            }
            SnapshotError::Decode(m) => write!(f, "snapshot does not decode: {m}"),
            SnapshotError::Malformed(m) => write!(f, "malformed snapshot: {m}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

fn action_code(action: Action) -> u8 {
    match action {
        Action::Block => 1,
        Action::KnownInterception => 2,
        Action::BlockedInterception => 3,
    }
}

fn action_from_code(code: u8) -> Option<Action> {
    match code {
        1 => Some(Action::Block),
        2 => Some(Action::KnownInterception),
        3 => Some(Action::BlockedInterception),
        _ => None,
    }
}

/// The top `bits` bits of a key.
fn prefix(key: &[u8; 32], bits: u32) -> usize {
    if bits == 0 {
        return 0;
    }
    (u32::from_be_bytes([key[0], key[1], key[2], 0]) >> (32 - bits)) as usize
}

/// The prefix bits for `n` keys: the smallest B >= 4 with 2^B >= n, at most 24.
fn prefix_bits_for(n: usize) -> u32 {
    let mut bits = MIN_PREFIX_BITS;
    while bits < MAX_PREFIX_BITS && (1usize << bits) < n {
        bits += 1;
    }
    bits
}

/// The zero pad that, written at file offset `at` (its length first), puts the data of the
/// `Vec` that follows it at a multiple of [`ALIGN`].
fn pad_at(at: usize) -> Vec<u8> {
    let data = at + 8 + 8; // the pad's length, then the next Vec's length
    vec![0; (ALIGN - data % ALIGN) % ALIGN]
}

/// What the snapshot of `list` holds, entry by entry.
pub fn expected(list: &Blocklist) -> Vec<SnapshotEntry> {
    list.entries
        .iter()
        .map(|entry| {
            let id = entry.primary_incident();
            let title = list
                .incident(id)
                .map(|i| i.title.clone())
                .unwrap_or_default();
            SnapshotEntry {
                spki_sha256: entry.spki_sha256,
                action: entry.action,
                incident: id.as_str().to_string(),
                title,
                distrust_after: entry
                    .distrust_after
                    .map(|t| u64::try_from(t.to_unix_seconds()).unwrap_or(0)),
            }
        })
        .collect()
}

/// What the snapshot holds for one entry, borrowed from the list: [`SnapshotEntry`] without a
/// copy of the incident's id and title per key.
struct EntryView<'a> {
    spki_sha256: Sha256Hash,
    action: Action,
    incident: &'a str,
    title: &'a str,
    distrust_after: Option<u64>,
}

impl<'a> EntryView<'a> {
    /// The view of `entry`, whose primary incident's title is `title`.
    fn of(entry: &'a Entry, title: &'a str) -> Self {
        EntryView {
            spki_sha256: entry.spki_sha256,
            action: entry.action,
            incident: entry.primary_incident().as_str(),
            title,
            distrust_after: entry
                .distrust_after
                .map(|t| u64::try_from(t.to_unix_seconds()).unwrap_or(0)),
        }
    }

    /// Whether `got` holds exactly this.
    fn matches(&self, got: &SnapshotEntry) -> bool {
        got.spki_sha256 == self.spki_sha256
            && got.action == self.action
            && got.incident == self.incident
            && got.title == self.title
            && got.distrust_after == self.distrust_after
    }
}

/// Every entry of `list` as the snapshot holds it, in list order; the title of each primary
/// incident is looked up once per run of entries that share it.
fn views(list: &Blocklist) -> Vec<EntryView<'_>> {
    let mut last: Option<(&IncidentId, &str)> = None;
    list.entries
        .iter()
        .map(|entry| {
            let id = entry.primary_incident();
            let title = match last {
                Some((seen, title)) if seen == id => title,
                _ => {
                    let title = list.incident(id).map(|i| i.title.as_str()).unwrap_or("");
                    last = Some((id, title));
                    title
                }
            };
            EntryView::of(entry, title)
        })
        .collect()
}

/// Encodes the snapshot of a list that passes [`Blocklist::validate`].
pub fn render(list: &Blocklist) -> Vec<u8> {
    encode_views(list.sequence, &views(list))
}

/// Encodes a snapshot of `entries` (sorted by key, each key once).
pub fn encode(sequence: u64, entries: &[SnapshotEntry]) -> Vec<u8> {
    let views: Vec<EntryView<'_>> = entries
        .iter()
        .map(|e| EntryView {
            spki_sha256: e.spki_sha256,
            action: e.action,
            incident: &e.incident,
            title: &e.title,
            distrust_after: e.distrust_after,
        })
        .collect();
    encode_views(sequence, &views)
}

/// [`encode`] over borrowed entries.
fn encode_views(sequence: u64, entries: &[EntryView<'_>]) -> Vec<u8> {
    let n = entries.len();
    let prefix_bits = prefix_bits_for(n);
    let keys: Vec<[u8; 32]> = entries.iter().map(|e| e.spki_sha256.0).collect();
    let buckets = 1usize << prefix_bits;
    let mut index = Vec::with_capacity(buckets + 1);
    let mut k = 0;
    for p in 0..buckets {
        while k < n && prefix(&keys[k], prefix_bits) < p {
            k += 1;
        }
        index.push(k as u32);
    }
    index.push(n as u32);

    // Each incident's id and title once, and each distinct record once, in order of first use.
    let mut strings: Vec<u8> = Vec::new();
    let mut placed: HashMap<&str, [u32; 4]> = HashMap::new();
    let mut records: Vec<Record> = Vec::new();
    let mut record_of: HashMap<Record, u32> = HashMap::new();
    let mut values = Vec::with_capacity(n);
    for e in entries {
        let at = *placed.entry(e.incident).or_insert_with(|| {
            let mut at = [0u32; 4];
            at[0] = strings.len() as u32;
            strings.extend_from_slice(e.incident.as_bytes());
            at[1] = e.incident.len() as u32;
            at[2] = strings.len() as u32;
            strings.extend_from_slice(e.title.as_bytes());
            at[3] = e.title.len() as u32;
            at
        });
        let record = Record {
            action: action_code(e.action),
            has_distrust_after: u8::from(e.distrust_after.is_some()),
            reserved0: [0; 2],
            incident_offset: at[0],
            incident_len: at[1],
            title_offset: at[2],
            title_len: at[3],
            reserved1: 0,
            distrust_after: e.distrust_after.unwrap_or(0),
        };
        let position = *record_of.entry(record).or_insert_with(|| {
            records.push(record);
            records.len() as u32 - 1
        });
        values.push(position);
    }

    // Offsets, to size the pads: header, sequence, prefix bits.
    let mut at = HEADER_LEN + 8 + 4;
    let pad_keys = pad_at(at);
    at += 8 + pad_keys.len() + 8 + 32 * n;
    let pad_index = pad_at(at);
    at += 8 + pad_index.len() + 8 + 4 * index.len();
    let pad_values = pad_at(at);
    at += 8 + pad_values.len() + 8 + 4 * n;
    let pad_records = pad_at(at);
    let payload = Payload {
        sequence,
        prefix_bits,
        pad_keys,
        keys,
        pad_index,
        index,
        pad_values,
        values,
        pad_records,
        records,
        strings,
    };
    let payload =
        bincode::encode_to_vec(&payload, config()).expect("encoding to a Vec cannot fail");
    let header = Header {
        magic: MAGIC,
        version: VERSION,
        entry_count: n as u32,
        sequence,
        payload_len: payload.len() as u64,
        payload_sha256: Sha256Hash::digest(&payload).0,
    };
    let mut out = bincode::encode_to_vec(&header, config()).expect("encoding to a Vec cannot fail");
    debug_assert_eq!(out.len(), HEADER_LEN);
    out.extend_from_slice(&payload);
    out
}

/// Decodes and checks a snapshot: header, size (at most [`MAX_LEN`]), digest, then every rule
/// of the layout. bincode decodes with the size limit, so a forged length cannot make it
/// allocate more than the limit.
pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let head = bytes.get(..HEADER_LEN).ok_or(SnapshotError::Truncated {
        needed: HEADER_LEN as u64,
        available: bytes.len(),
    })?;
    let (header, _): (Header, usize) = bincode::decode_from_slice(head, limited_config())
        .map_err(|e| SnapshotError::Decode(e.to_string()))?;
    if header.magic != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    if header.version != VERSION {
        return Err(SnapshotError::UnsupportedVersion {
            found: header.version,
        });
    }
    let declared = header.payload_len.saturating_add(HEADER_LEN as u64);
    let largest = declared.max(bytes.len() as u64);
    if largest > MAX_LEN as u64 {
        return Err(SnapshotError::TooLarge { len: largest });
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
    let body = &bytes[HEADER_LEN..];
    if Sha256Hash::digest(body).0 != header.payload_sha256 {
        return Err(SnapshotError::DigestMismatch);
    }
    let (payload, used): (Payload, usize) = bincode::decode_from_slice(body, limited_config())
        .map_err(|e| SnapshotError::Decode(e.to_string()))?;
    let bad = |m: String| Err(SnapshotError::Malformed(m));
    if used != body.len() {
        return bad(format!("{} bytes follow the strings", body.len() - used));
    }
    if payload.sequence != header.sequence {
        return bad(format!(
            "payload sequence {} differs from the header's {}",
            payload.sequence, header.sequence
        ));
    }
    if payload.prefix_bits > MAX_PREFIX_BITS {
        return bad(format!(
            "{} prefix bits, more than {MAX_PREFIX_BITS}",
            payload.prefix_bits
        ));
    }
    for pad in [
        &payload.pad_keys,
        &payload.pad_index,
        &payload.pad_values,
        &payload.pad_records,
    ] {
        if pad.len() >= ALIGN || pad.iter().any(|&b| b != 0) {
            return bad("an alignment pad is 64 bytes or more, or not zero".to_string());
        }
    }
    let n = payload.keys.len();
    if n != header.entry_count as usize || payload.values.len() != n {
        return bad(format!(
            "the header counts {} entries, the payload {} keys and {} values",
            header.entry_count,
            n,
            payload.values.len()
        ));
    }
    if payload.records.len() > n {
        return bad(format!("{} records for {n} keys", payload.records.len()));
    }
    if let Some(i) = payload
        .values
        .iter()
        .position(|&v| v as usize >= payload.records.len())
    {
        return bad(format!(
            "value {i} is {}, not below the record count {}",
            payload.values[i],
            payload.records.len()
        ));
    }
    if let Some(i) = payload.keys.windows(2).position(|w| w[0] >= w[1]) {
        return bad(format!("keys {i} and {} are not strictly ascending", i + 1));
    }
    let buckets = 1usize << payload.prefix_bits;
    if payload.index.len() != buckets + 1 {
        return bad(format!(
            "index has {} words, not 2^{} + 1",
            payload.index.len(),
            payload.prefix_bits
        ));
    }
    for p in 0..buckets {
        let (lo, hi) = (payload.index[p] as usize, payload.index[p + 1] as usize);
        let first_ok = p != 0 || lo == 0;
        if !first_ok
            || lo > hi
            || hi > n
            || payload.keys[lo..hi]
                .iter()
                .any(|k| prefix(k, payload.prefix_bits) != p)
        {
            return bad(format!("index bucket {p} does not match the keys"));
        }
    }
    if payload.index[buckets] as usize != n {
        return bad("the index does not end at the key count".to_string());
    }
    let strings = std::str::from_utf8(&payload.strings)
        .map_err(|e| SnapshotError::Malformed(format!("strings are not UTF-8: {e}")))?;
    let string = |offset: u32, len: u32| -> Option<String> {
        let start = offset as usize;
        strings
            .get(start..start.checked_add(len as usize)?)
            .map(str::to_string)
    };
    let mut listings = Vec::with_capacity(payload.records.len());
    for (i, r) in payload.records.iter().enumerate() {
        let action = action_from_code(r.action);
        let distrust_after = match (r.has_distrust_after, r.distrust_after) {
            (0, 0) => Some(None),
            (1, t) => Some(Some(t)),
            _ => None,
        };
        let reserved_ok = r.reserved0 == [0; 2] && r.reserved1 == 0;
        let incident = string(r.incident_offset, r.incident_len);
        let title = string(r.title_offset, r.title_len);
        match (action, distrust_after, reserved_ok, incident, title) {
            (Some(action), Some(distrust_after), true, Some(incident), Some(title)) => {
                listings.push((action, incident, title, distrust_after))
            }
            _ => {
                return bad(format!(
                    "record {i} has a bad action, flag, reserved byte or string range"
                ));
            }
        }
    }
    let entries = payload
        .keys
        .iter()
        .zip(&payload.values)
        .map(|(key, &v)| {
            let (action, incident, title, distrust_after) = &listings[v as usize];
            SnapshotEntry {
                spki_sha256: Sha256Hash(*key),
                action: *action,
                incident: incident.clone(),
                title: title.clone(),
                distrust_after: *distrust_after,
            }
        })
        .collect();
    Ok(Snapshot {
        sequence: payload.sequence,
        prefix_bits: payload.prefix_bits,
        entries,
    })
}

/// Reads `bytes` back and names every difference from the snapshot of `list`.
pub fn verify(list: &Blocklist, bytes: &[u8]) -> Result<(), Vec<String>> {
    let snapshot = decode(bytes).map_err(|e| vec![e.to_string()])?;
    let mut problems = Vec::new();
    if snapshot.sequence != list.sequence {
        problems.push(format!(
            "sequence {} instead of {}",
            snapshot.sequence, list.sequence
        ));
    }
    let want = views(list);
    for w in &want {
        match snapshot
            .entries
            .binary_search_by(|e| e.spki_sha256.cmp(&w.spki_sha256))
        {
            Err(_) => problems.push(format!("SPKI SHA-256 {} is missing", w.spki_sha256)),
            Ok(i) if !w.matches(&snapshot.entries[i]) => {
                let entry = list
                    .entry(&w.spki_sha256)
                    .map(|e| EntryView::of(e, w.title));
                let wanted = entry.map(|v| SnapshotEntry {
                    spki_sha256: v.spki_sha256,
                    action: v.action,
                    incident: v.incident.to_string(),
                    title: v.title.to_string(),
                    distrust_after: v.distrust_after,
                });
                problems.push(format!(
                    "SPKI SHA-256 {} reads back as {:?}, not {:?}",
                    w.spki_sha256, snapshot.entries[i], wanted
                ))
            }
            Ok(_) => {}
        }
    }
    for got in &snapshot.entries {
        if want
            .binary_search_by(|w| w.spki_sha256.cmp(&got.spki_sha256))
            .is_err()
        {
            problems.push(format!(
                "SPKI SHA-256 {} is not in the list",
                got.spki_sha256
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// A human-readable listing, one entry per line.
pub fn dump(snapshot: &Snapshot) -> String {
    let mut out = format!(
        "certblock snapshot, format version {VERSION}, sequence {}, {} entries, index of 2^{} buckets\n",
        snapshot.sequence,
        snapshot.entries.len(),
        snapshot.prefix_bits
    );
    for e in &snapshot.entries {
        out.push_str(&format!(
            "SPKI SHA-256 {}  {}  {}",
            e.spki_sha256, e.action, e.incident
        ));
        if let Some(t) = e.distrust_after {
            out.push_str(&format!("  distrust after {t} (Unix seconds)"));
        }
        out.push_str(&format!("  {:?}\n", e.title));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use certblock_list::{Category, Entry, Evidence, EvidenceKind, Incident, IncidentId};

    /// A list of `n` keys over three incidents, one dated.
    fn list(n: usize) -> Blocklist {
        let ids: Vec<IncidentId> = ["alpha", "beta", "gamma"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let actions = [
            Action::Block,
            Action::KnownInterception,
            Action::BlockedInterception,
        ];
        let dated: certblock_list::Timestamp = "2019-09-01T00:00:00Z".parse().unwrap();
        let incidents: Vec<Incident> = ids
            .iter()
            .zip(actions)
            .map(|(id, action)| Incident {
                id: id.clone(),
                title: format!("Title of {id} \u{e9}"),
                category: Category::Test,
                action,
                added: None,
                distrust_after: (id.as_str() == "gamma").then_some(dated),
                references: vec![],
                summary: String::new(),
            })
            .collect();
        let mut entries: Vec<Entry> = (0..n)
            .map(|i| {
                let incident = &incidents[i % 3];
                let ev = Evidence::new(
                    incident.id.clone(),
                    format!("{}/facts.json", incident.id),
                    Some(i as u32 + 1),
                    EvidenceKind::Facts,
                );
                Entry {
                    spki_sha256: Sha256Hash::digest(format!("key {i}").as_bytes()),
                    action: incident.action,
                    incidents: vec![incident.id.clone()],
                    distrust_after: incident.distrust_after,
                    evidence: vec![ev],
                }
            })
            .collect();
        entries.sort_by_key(|e| e.spki_sha256);
        let list = Blocklist {
            sequence: 42,
            source_digest: Sha256Hash::digest(b"t"),
            incidents,
            entries,
        };
        list.validate().unwrap();
        list
    }

    #[test]
    fn decode_of_encode_gives_every_entry() {
        for n in [0, 1, 2, 15, 16, 17, 100, 1000] {
            let list = list(n);
            let bytes = render(&list);
            let snapshot = decode(&bytes).unwrap();
            assert_eq!(snapshot.sequence, 42);
            assert_eq!(snapshot.entries, expected(&list), "n = {n}");
            assert!(1usize << snapshot.prefix_bits >= n);
            verify(&list, &bytes).unwrap();
        }
    }

    #[test]
    fn distrust_after_is_carried_in_unix_seconds() {
        let snapshot = decode(&render(&list(9))).unwrap();
        for e in &snapshot.entries {
            let want = (e.incident == "gamma").then_some(1_567_296_000);
            assert_eq!(e.distrust_after, want);
        }
        assert!(dump(&snapshot).contains("distrust after 1567296000"));
    }

    #[test]
    fn header_fields_and_aligned_sections_are_where_the_docs_say() {
        let n = 100;
        let bytes = render(&list(n));
        assert_eq!(&bytes[0..8], b"CBLKSNAP");
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 2);
        assert_eq!(
            u32::from_le_bytes(bytes[12..16].try_into().unwrap()),
            n as u32
        );
        assert_eq!(u64::from_le_bytes(bytes[16..24].try_into().unwrap()), 42);
        assert_eq!(
            u64::from_le_bytes(bytes[24..32].try_into().unwrap()) as usize,
            bytes.len() - 64
        );
        assert_eq!(&bytes[32..64], &Sha256Hash::digest(&bytes[64..]).0);
        assert_eq!(u64::from_le_bytes(bytes[64..72].try_into().unwrap()), 42);
        let bits = u32::from_le_bytes(bytes[72..76].try_into().unwrap());
        assert_eq!(bits, 7);
        // pad_keys: 36 zeros, then the key count, then the keys at 128.
        assert_eq!(u64::from_le_bytes(bytes[76..84].try_into().unwrap()), 36);
        assert_eq!(
            u64::from_le_bytes(bytes[120..128].try_into().unwrap()),
            n as u64
        );
        let first = expected(&list(n))[0].spki_sha256.0;
        assert_eq!(&bytes[128..160], &first);
        // The index, the values and the records start on 64-byte boundaries too.
        let mut at = 128 + 32 * n;
        let pad = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
        at += 8 + pad;
        assert_eq!(
            u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()),
            (1 << bits) + 1
        );
        at += 8;
        assert_eq!(at % 64, 0);
        at += 4 * ((1 << bits) + 1);
        let pad = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
        at += 8 + pad;
        assert_eq!(
            u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()),
            n as u64
        );
        at += 8;
        assert_eq!(at % 64, 0);
        // One value word per key, each the position of its record: three incidents, three records,
        // numbered in order of first use.
        let values: Vec<u32> = (0..n)
            .map(|i| u32::from_le_bytes(bytes[at + 4 * i..at + 4 * i + 4].try_into().unwrap()))
            .collect();
        assert_eq!(values[0], 0);
        assert_eq!(values.iter().max(), Some(&2));
        at += 4 * n;
        let pad = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
        at += 8 + pad;
        assert_eq!(u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()), 3);
        at += 8;
        assert_eq!(at % 64, 0);
        // The records are 32 bytes; the strings follow.
        at += 3 * 32;
        let strings = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
        assert_eq!(at + 8 + strings, bytes.len());
    }

    #[test]
    fn entries_sharing_incident_action_and_date_share_one_record() {
        let n = 1000;
        let bytes = render(&list(n));
        // 1000 keys: 32 bytes of key, 4 of value word, 8 of index (2^10 + 1 words) each, three
        // records, the strings, and the header and pads.
        assert!(bytes.len() < 64 + 1000 * 32 + 1000 * 4 + 1025 * 4 + 3 * 32 + 200 + 5 * 64 + 8 * 8);
    }

    #[test]
    fn same_list_same_bytes() {
        assert_eq!(render(&list(50)), render(&list(50)));
    }

    #[test]
    fn damaged_snapshots_are_refused_with_the_reason() {
        let bytes = render(&list(20));
        assert_eq!(
            decode(&bytes[..10]),
            Err(SnapshotError::Truncated {
                needed: 64,
                available: 10
            })
        );
        assert_eq!(
            decode(&bytes[..bytes.len() - 1]),
            Err(SnapshotError::Truncated {
                needed: bytes.len() as u64,
                available: bytes.len() - 1
            })
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            decode(&longer),
            Err(SnapshotError::TrailingBytes {
                declared: bytes.len() as u64,
                actual: bytes.len() + 1
            })
        );
        let mut magic = bytes.clone();
        magic[0] ^= 1;
        assert_eq!(decode(&magic), Err(SnapshotError::BadMagic));
        let mut version = bytes.clone();
        version[8] = 1;
        assert_eq!(
            decode(&version),
            Err(SnapshotError::UnsupportedVersion { found: 1 })
        );
        version[8] = 3;
        assert_eq!(
            decode(&version),
            Err(SnapshotError::UnsupportedVersion { found: 3 })
        );
        let mut huge = bytes.clone();
        huge[24..32].copy_from_slice(&(u64::MAX - 10).to_le_bytes());
        assert!(matches!(decode(&huge), Err(SnapshotError::TooLarge { .. })));
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 0x80;
        assert_eq!(decode(&flipped), Err(SnapshotError::DigestMismatch));
        let mut sequence = bytes.clone();
        sequence[16] ^= 1;
        assert!(
            matches!(decode(&sequence), Err(SnapshotError::Malformed(m)) if m.contains("sequence"))
        );
        let mut count = bytes.clone();
        count[12] ^= 1;
        assert!(
            matches!(decode(&count), Err(SnapshotError::Malformed(m)) if m.contains("entries"))
        );
    }

    #[test]
    fn verify_names_what_differs() {
        let a = list(10);
        let mut b = list(11);
        b.sequence = 43;
        let problems = verify(&a, &render(&b)).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("sequence 43 instead of 42")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("is not in the list")),
            "{problems:?}"
        );
    }
}
