//! The sorted form of the vendorable Rust table: `spki_blocklist.bin` (every key, sorted, with a
//! prefix index) included with `include_bytes!` by a small `spki_blocklist.rs` that holds the
//! lookup code, the distinct values and the same API as the phf form.
//!
//! Why: a phf literal costs the downstream compiler about 0.12 ms and 15 KB of memory per key
//! (100k keys: 12 s and 1.5 GB; 1M keys: minutes and more than 10 GB). `include_bytes!` of a
//! sorted binary costs almost nothing per key. [`crate::compile`] uses this form above
//! [`crate::RUST_TABLE_PHF_MAX`] entries (see [`crate::CompileOptions`]).
//!
//! # Layout of `spki_blocklist.bin`
//!
//! All integers little-endian; offsets from the start of the file.
//!
//! ```text
//! header, 32 bytes
//!   0   8  magic          "CBLKRTAB"
//!   8   4  version        u32 = 1
//!  12   4  entry count N  u32
//!  16   8  sequence       u64, the list's sequence number
//!  24   4  prefix bits B  u32: smallest B >= 4 with 2^B >= N (at most 24), as in blocklist.bin
//!  28   4  value count V  u32: the length of SPKI_BLOCKLIST_VALUES in the .rs
//! keys     32 + 32N             N SPKI SHA-256, strictly ascending
//! index    at 32 + 32N          2^B + 1 u32: index[p] = first key whose top B bits are >= p;
//!                               index[2^B] = N; bucket p is keys[index[p]..index[p+1]]
//! values   after the index      N u32: value[i] < V is the position in SPKI_BLOCKLIST_VALUES
//!                               of key i's BlockedSpki
//! ```
//!
//! The generated `.rs` places the bytes at a 64-byte boundary, so the keys (at offset 32 + 32i)
//! never straddle a cache line. A lookup reads two adjacent index words, compares the keys of one
//! bucket (about one key), and on a hit reads one value word; the `BlockedSpki` it returns is a
//! `&'static` into the small array of distinct values (one per incident, action and date), which
//! is why `get` returns `Option<&'static BlockedSpki>` exactly as `phf::Map::get` does.
//!
//! The `.rs` holds the expected header (32 bytes) and the file's length as constants and checks
//! them at compile time: a stale or foreign `spki_blocklist.bin` next to it does not compile.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use certblock_list::{Action, Blocklist};

use crate::readback::RustTableEntry;

/// The file name of the binary in `generated/` (next to `spki_blocklist.rs`).
pub const FILE_NAME: &str = "spki_blocklist.bin";
/// The first eight bytes of the binary.
pub const MAGIC: [u8; 8] = *b"CBLKRTAB";
/// The format version written and read.
pub const VERSION: u32 = 1;
/// The size of the header.
pub const HEADER_LEN: usize = 32;
/// The line of the `.rs` that tells the sorted form from the phf form.
pub(crate) const MARKER: &str = "include_bytes!(\"spki_blocklist.bin\")";
const MIN_PREFIX_BITS: u32 = 4;
const MAX_PREFIX_BITS: u32 = 24;

/// One key's value, as the table's array of distinct values holds it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct TableValue {
    /// The incident's id (the entry's primary incident).
    pub incident: String,
    /// The `Action` variant name (`Block`, `KnownInterception`, `BlockedInterception`).
    pub action: String,
    /// The incident's title.
    pub title: String,
    /// Unix seconds, or `None`.
    pub distrust_after: Option<u64>,
}

/// A decoded `spki_blocklist.bin`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Decoded {
    /// The list's sequence number.
    pub sequence: u64,
    /// The prefix bits of the index.
    pub prefix_bits: u32,
    /// How many distinct values the `.rs` must hold.
    pub value_count: u32,
    /// Every key, ascending.
    pub keys: Vec<[u8; 32]>,
    /// For each key, its value's position.
    pub values: Vec<u32>,
}

fn variant(action: Action) -> &'static str {
    match action {
        Action::Block => "Block",
        Action::KnownInterception => "KnownInterception",
        Action::BlockedInterception => "BlockedInterception",
    }
}

/// The top `bits` bits of a key.
pub fn prefix(key: &[u8; 32], bits: u32) -> usize {
    (u32::from_be_bytes([key[0], key[1], key[2], 0]) >> (32 - bits)) as usize
}

/// The prefix bits for `n` keys: the smallest B >= 4 with 2^B >= n, at most 24.
pub fn prefix_bits_for(n: usize) -> u32 {
    let mut bits = MIN_PREFIX_BITS;
    while bits < MAX_PREFIX_BITS && (1usize << bits) < n {
        bits += 1;
    }
    bits
}

/// The offsets of the index and the values, and the file's length, for `n` keys and `bits`.
fn layout(n: usize, bits: u32) -> (usize, usize, usize) {
    let index_at = HEADER_LEN + 32 * n;
    let values_at = index_at + 4 * ((1usize << bits) + 1);
    (index_at, values_at, values_at + 4 * n)
}

/// Encodes the binary: `entries` sorted by key, each key once, with value positions < `value_count`.
pub fn encode(sequence: u64, entries: &[([u8; 32], u32)], value_count: u32) -> Vec<u8> {
    let n = entries.len();
    let bits = prefix_bits_for(n);
    let (_, _, len) = layout(n, bits);
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out.extend_from_slice(&sequence.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(&value_count.to_le_bytes());
    for (key, _) in entries {
        out.extend_from_slice(key);
    }
    let mut k = 0;
    for p in 0..(1usize << bits) {
        while k < n && prefix(&entries[k].0, bits) < p {
            k += 1;
        }
        out.extend_from_slice(&(k as u32).to_le_bytes());
    }
    out.extend_from_slice(&(n as u32).to_le_bytes());
    for (_, value) in entries {
        out.extend_from_slice(&value.to_le_bytes());
    }
    debug_assert_eq!(out.len(), len);
    out
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Decodes and checks the binary: magic, version, exact length, keys strictly ascending, the
/// index consistent with the keys, every value position below the value count.
pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    if bytes.len() < HEADER_LEN {
        return Err(format!(
            "{} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        ));
    }
    if bytes[..8] != MAGIC {
        return Err("bad magic: not a certblock sorted table".to_string());
    }
    let version = le_u32(bytes, 8);
    if version != VERSION {
        return Err(format!("format version {version}, not {VERSION}"));
    }
    let n = le_u32(bytes, 12) as usize;
    let sequence = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let bits = le_u32(bytes, 24);
    let value_count = le_u32(bytes, 28);
    if bits != prefix_bits_for(n) {
        return Err(format!(
            "{bits} prefix bits for {n} keys, not {}",
            prefix_bits_for(n)
        ));
    }
    let (index_at, values_at, len) = layout(n, bits);
    if bytes.len() != len {
        return Err(format!(
            "{} bytes, but {n} keys and {bits} prefix bits make {len}",
            bytes.len()
        ));
    }
    let keys: Vec<[u8; 32]> = bytes[HEADER_LEN..index_at]
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32-byte chunk"))
        .collect();
    if let Some(i) = keys.windows(2).position(|w| w[0] >= w[1]) {
        return Err(format!("keys {i} and {} are not strictly ascending", i + 1));
    }
    let buckets = 1usize << bits;
    let index: Vec<usize> = (0..=buckets)
        .map(|p| le_u32(bytes, index_at + 4 * p) as usize)
        .collect();
    if index[0] != 0 || index[buckets] != n {
        return Err("the index does not start at 0 and end at the key count".to_string());
    }
    for p in 0..buckets {
        let (lo, hi) = (index[p], index[p + 1]);
        if lo > hi || hi > n || keys[lo..hi].iter().any(|k| prefix(k, bits) != p) {
            return Err(format!("index bucket {p} does not match the keys"));
        }
    }
    let values: Vec<u32> = (0..n).map(|i| le_u32(bytes, values_at + 4 * i)).collect();
    if let Some(i) = values.iter().position(|&v| v >= value_count) {
        return Err(format!(
            "key {i} has value {}, not below the value count {value_count}",
            values[i]
        ));
    }
    Ok(Decoded {
        sequence,
        prefix_bits: bits,
        value_count,
        keys,
        values,
    })
}

/// The position of `key` in a valid binary, found the way the generated code finds it (two
/// index words, then the keys of one bucket). For tests and benchmarks.
pub fn position(bytes: &[u8], key: &[u8; 32]) -> Option<usize> {
    let n = le_u32(bytes.get(..HEADER_LEN)?, 12) as usize;
    let bits = le_u32(bytes, 24);
    let (index_at, _, _) = layout(n, bits);
    let p = prefix(key, bits);
    let at = index_at.checked_add(4 * p)?;
    let lo = u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
    let hi = u32::from_le_bytes(bytes.get(at + 4..at + 8)?.try_into().ok()?) as usize;
    for i in lo..hi {
        let k = bytes.get(HEADER_LEN + 32 * i..HEADER_LEN + 32 * i + 32)?;
        match k.cmp(&key[..]) {
            std::cmp::Ordering::Equal => return Some(i),
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Less => {}
        }
    }
    None
}

/// The distinct values of a list, in order, and each entry's position among them.
fn values_of(list: &Blocklist) -> (Vec<TableValue>, Vec<u32>) {
    let value = |entry: &certblock_list::Entry| {
        let incident = list
            .incident(entry.primary_incident())
            .expect("a validated list names only incidents it holds");
        TableValue {
            incident: incident.id.as_str().to_string(),
            action: variant(entry.action).to_string(),
            title: incident.title.clone(),
            distrust_after: entry.distrust_after.map(|t| {
                u64::try_from(t.to_unix_seconds())
                    .expect("a validated list has no distrust_after before 1970")
            }),
        }
    };
    let per_entry: Vec<TableValue> = list.entries.iter().map(value).collect();
    let mut distinct: BTreeMap<&TableValue, u32> = per_entry.iter().map(|v| (v, 0)).collect();
    for (i, slot) in distinct.values_mut().enumerate() {
        *slot = i as u32;
    }
    let positions = per_entry.iter().map(|v| distinct[v]).collect();
    (distinct.into_keys().cloned().collect(), positions)
}

fn value_literal(v: &TableValue) -> String {
    let distrust_after = match v.distrust_after {
        Some(secs) => format!("Some({secs})"),
        None => "None".to_string(),
    };
    format!(
        "BlockedSpki {{ action: Action::{}, incident: {:?}, title: {:?}, distrust_after: {distrust_after} }}",
        v.action, v.incident, v.title
    )
}

/// Renders the binary and the tail of the `.rs` (everything after the shared declarations).
pub(crate) fn render(list: &Blocklist) -> (String, Vec<u8>) {
    let (values, positions) = values_of(list);
    let entries: Vec<([u8; 32], u32)> = list
        .entries
        .iter()
        .zip(&positions)
        .map(|(e, &v)| (e.spki_sha256.0, v))
        .collect();
    let bin = encode(list.sequence, &entries, values.len() as u32);
    let n = entries.len();
    let bits = prefix_bits_for(n);
    let (index_at, values_at, len) = layout(n, bits);
    let header: Vec<String> = bin[..HEADER_LEN]
        .iter()
        .map(|b| format!("0x{b:02x}"))
        .collect();
    let digest = certblock_list::Sha256Hash::digest(&bin);

    let mut out = String::new();
    write!(
        out,
        "/// Every listed key, by the SHA-256 of its DER SubjectPublicKeyInfo.
///
/// The keys are in `spki_blocklist.bin` (sorted, with a prefix index; {len} bytes, SHA-256
/// {digest}), which this file includes: a `phf` literal of {n} keys would cost the compiler
/// minutes and gigabytes. [`SpkiBlocklist`] has the lookups of `phf::Map`.
pub static SPKI_BLOCKLIST: SpkiBlocklist = SpkiBlocklist {{ data: &SPKI_BLOCKLIST_DATA.0 }};

/// The distinct values of the table (one per incident, action and date): the binary gives each
/// key the position of its value here.
static SPKI_BLOCKLIST_VALUES: [BlockedSpki; {v}] = [
",
        v = values.len(),
    )
    .unwrap();
    for (i, value) in values.iter().enumerate() {
        writeln!(out, "    /* {i} */ {},", value_literal(value)).unwrap();
    }
    write!(
        out,
        "];

/// The type of [`SPKI_BLOCKLIST`]: a sorted table read in place, with the lookups of a
/// `phf::Map<[u8; 32], BlockedSpki>` (entries come in ascending key order).
pub struct SpkiBlocklist {{
    data: &'static [u8],
}}

impl SpkiBlocklist {{
    /// The entry for a key, if it is listed.
    pub fn get(&self, key: &[u8; 32]) -> Option<&'static BlockedSpki> {{
        self.get_entry(key).map(|(_, value)| value)
    }}

    /// The stored key and the entry for a key, if it is listed.
    pub fn get_entry(&self, key: &[u8; 32]) -> Option<(&'static [u8; 32], &'static BlockedSpki)> {{
        let data = self.data;
        let top = (u32::from(key[0]) << 16) | (u32::from(key[1]) << 8) | u32::from(key[2]);
        let bucket = (top >> (24 - SPKI_BLOCKLIST_PREFIX_BITS)) as usize;
        let lo = spki_blocklist_word(data, SPKI_BLOCKLIST_INDEX_AT + 4 * bucket)? as usize;
        let hi = spki_blocklist_word(data, SPKI_BLOCKLIST_INDEX_AT + 4 * bucket + 4)? as usize;
        for i in lo..hi {{
            let (stored, value) = spki_blocklist_entry(data, i)?;
            match stored.cmp(key) {{
                ::core::cmp::Ordering::Equal => return Some((stored, value)),
                ::core::cmp::Ordering::Greater => return None,
                ::core::cmp::Ordering::Less => {{}}
            }}
        }}
        None
    }}

    /// Whether a key is listed.
    pub fn contains_key(&self, key: &[u8; 32]) -> bool {{
        self.get_entry(key).is_some()
    }}

    /// How many keys the table holds ([`SPKI_BLOCKLIST_LEN`]).
    pub fn len(&self) -> usize {{
        SPKI_BLOCKLIST_LEN
    }}

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {{
        SPKI_BLOCKLIST_LEN == 0
    }}

    /// Every key and its entry, by ascending key.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = (&'static [u8; 32], &'static BlockedSpki)> + 'static {{
        let data = self.data;
        (0..SPKI_BLOCKLIST_LEN).filter_map(move |i| spki_blocklist_entry(data, i))
    }}

    /// Every key, ascending.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &'static [u8; 32]> + 'static {{
        self.entries().map(|(key, _)| key)
    }}

    /// Every key's entry, by ascending key.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &'static BlockedSpki> + 'static {{
        self.entries().map(|(_, value)| value)
    }}
}}

impl ::core::fmt::Debug for SpkiBlocklist {{
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{
        f.debug_struct(\"SpkiBlocklist\").field(\"len\", &SPKI_BLOCKLIST_LEN).finish_non_exhaustive()
    }}
}}

/// Key `i` and its entry (`None` only if `i` is out of range).
fn spki_blocklist_entry(data: &'static [u8], i: usize) -> Option<(&'static [u8; 32], &'static BlockedSpki)> {{
    let at = SPKI_BLOCKLIST_KEYS_AT + 32 * i;
    let key: &'static [u8; 32] = data.get(at..at + 32)?.try_into().ok()?;
    let value = spki_blocklist_word(data, SPKI_BLOCKLIST_VALUES_AT + 4 * i)?;
    Some((key, SPKI_BLOCKLIST_VALUES.get(value as usize)?))
}}

/// The little-endian u32 at `at`.
fn spki_blocklist_word(data: &[u8], at: usize) -> Option<u32> {{
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}}

/// Where the parts of `spki_blocklist.bin` are (see the layout in certblock-compile's
/// `sorted_table` module): 32-byte header, keys, index of 2^B + 1 words, one value word per key.
const SPKI_BLOCKLIST_BIN_LEN: usize = {len};
const SPKI_BLOCKLIST_PREFIX_BITS: u32 = {bits};
const SPKI_BLOCKLIST_KEYS_AT: usize = {HEADER_LEN};
const SPKI_BLOCKLIST_INDEX_AT: usize = {index_at};
const SPKI_BLOCKLIST_VALUES_AT: usize = {values_at};
/// The header `spki_blocklist.bin` must start with: magic, version, count, sequence, prefix bits
/// and value count.
const SPKI_BLOCKLIST_HEADER: [u8; 32] = [{header}];

/// The bytes, at a 64-byte boundary so that no key straddles a cache line. A file of another
/// length does not compile (the array's type); one with another header fails the check below.
#[repr(C, align(64))]
struct SpkiBlocklistAligned<T>(T);
static SPKI_BLOCKLIST_DATA: SpkiBlocklistAligned<[u8; SPKI_BLOCKLIST_BIN_LEN]> =
    SpkiBlocklistAligned(*{MARKER});
const _: () = {{
    let mut i = 0;
    while i < SPKI_BLOCKLIST_HEADER.len() {{
        assert!(
            SPKI_BLOCKLIST_DATA.0[i] == SPKI_BLOCKLIST_HEADER[i],
            \"spki_blocklist.bin is not the one this spki_blocklist.rs was generated with\"
        );
        i += 1;
    }}
}};
",
        header = header.join(", "),
    )
    .unwrap();
    (out, bin)
}

/// Whether `spki_blocklist.rs` is the sorted form (it includes `spki_blocklist.bin`).
pub fn is_sorted_form(text: &str) -> bool {
    text.contains(MARKER)
}

/// Reads the values array of a sorted-form `.rs`, in order.
pub fn read_values(text: &str) -> Result<Vec<TableValue>, String> {
    let start = text
        .find("static SPKI_BLOCKLIST_VALUES: [BlockedSpki; ")
        .ok_or("no SPKI_BLOCKLIST_VALUES array")?;
    let body = &text[start..];
    let body = &body[..body
        .find("\n];")
        .ok_or("SPKI_BLOCKLIST_VALUES is not closed")?];
    let mut out = Vec::new();
    for line in body.lines().skip(1) {
        let value = line
            .split_once("*/ BlockedSpki { action: Action::")
            .map(|(_, v)| v)
            .ok_or_else(|| format!("not a value line: {line:?}"))?;
        let (action, rest) = value
            .split_once(", incident: ")
            .ok_or("a value has no incident")?;
        let (incident, rest) = read_string(rest)?;
        let rest = rest
            .strip_prefix(", title: ")
            .ok_or("a value has no title")?;
        let (title, rest) = read_string(rest)?;
        let rest = rest
            .strip_prefix(", distrust_after: ")
            .ok_or("a value has no distrust_after")?;
        let distrust_after = match rest.strip_suffix(" },").ok_or("a value is not closed")? {
            "None" => None,
            some => Some(
                some.strip_prefix("Some(")
                    .and_then(|s| s.strip_suffix(')'))
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("bad distrust_after {some:?}"))?,
            ),
        };
        out.push(TableValue {
            incident,
            action: action.to_string(),
            title,
            distrust_after,
        });
    }
    Ok(out)
}

/// A Rust string literal as `{:?}` writes it (escapes `\\`, `\"`, `\n`, `\t`, `\r`, `\0`,
/// `\'`, `\u{..}`), and the text after it.
fn read_string(text: &str) -> Result<(String, &str), String> {
    let mut chars = text
        .strip_prefix('"')
        .ok_or("a string literal was expected")?
        .char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &text[i + 2..])),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some(c @ ('\\' | '"' | '\'')) => out.push(c),
                Some('u') => {
                    let mut hex = String::new();
                    for (_, c) in chars.by_ref() {
                        match c {
                            '{' => {}
                            '}' => break,
                            c => hex.push(c),
                        }
                    }
                    let c = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("bad escape \\u{{{hex}}}"))?;
                    out.push(c);
                }
                other => return Err(format!("unknown escape {other:?}")),
            },
            c => out.push(c),
        }
    }
    Err("unterminated string literal".to_string())
}

/// Reads a sorted-form table (`.rs` text and `.bin` bytes) as the keys, actions and incidents
/// it holds, checking that the two files belong together.
pub fn read(text: &str, bin: &[u8]) -> Result<Vec<RustTableEntry>, String> {
    let decoded = decode(bin)?;
    let values = read_values(text)?;
    if values.len() != decoded.value_count as usize {
        return Err(format!(
            "the .rs holds {} values, the .bin expects {}",
            values.len(),
            decoded.value_count
        ));
    }
    let header: Vec<String> = bin[..HEADER_LEN]
        .iter()
        .map(|b| format!("0x{b:02x}"))
        .collect();
    let expected = format!(
        "const SPKI_BLOCKLIST_HEADER: [u8; 32] = [{}];",
        header.join(", ")
    );
    if !text.contains(&expected) {
        return Err("the .rs expects another spki_blocklist.bin header".to_string());
    }
    if !text.contains(&format!(
        "const SPKI_BLOCKLIST_BIN_LEN: usize = {};",
        bin.len()
    )) {
        return Err("the .rs expects a spki_blocklist.bin of another length".to_string());
    }
    if !text.contains(&format!(
        "pub const SPKI_BLOCKLIST_LEN: usize = {};",
        decoded.keys.len()
    )) || !text.contains(&format!(
        "pub const SPKI_BLOCKLIST_SEQUENCE: u64 = {};",
        decoded.sequence
    )) {
        return Err(
            "SPKI_BLOCKLIST_LEN or SPKI_BLOCKLIST_SEQUENCE differs from the .bin".to_string(),
        );
    }
    Ok(decoded
        .keys
        .iter()
        .zip(&decoded.values)
        .map(|(key, &v)| {
            let value = &values[v as usize];
            (*key, value.action.clone(), value.incident.clone())
        })
        .collect())
}

/// Checks a `spki_blocklist.bin` on its own against the list (structure, key set, sequence); the
/// `.rs` check reads the two together.
pub fn verify_bin(list: &Blocklist, bin: &[u8]) -> Vec<String> {
    let decoded = match decode(bin) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    if decoded.sequence != list.sequence {
        problems.push(format!(
            "sequence {} instead of {}",
            decoded.sequence, list.sequence
        ));
    }
    let want: Vec<[u8; 32]> = list.entries.iter().map(|e| e.spki_sha256.0).collect();
    if decoded.keys != want {
        problems.push(format!(
            "holds {} keys that differ from the list's {}",
            decoded.keys.len(),
            want.len()
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> [u8; 32] {
        certblock_list::Sha256Hash::digest(format!("key {i}").as_bytes()).0
    }

    fn entries(n: u32) -> Vec<([u8; 32], u32)> {
        let mut e: Vec<([u8; 32], u32)> = (0..n).map(|i| (key(i), i % 3)).collect();
        e.sort();
        e
    }

    #[test]
    fn encode_then_decode_gives_the_entries_back_and_every_key_is_found() {
        for n in [0, 1, 2, 15, 16, 17, 300, 5000] {
            let e = entries(n);
            let bin = encode(7, &e, 3);
            let d = decode(&bin).unwrap();
            assert_eq!(d.sequence, 7);
            assert_eq!(d.prefix_bits, prefix_bits_for(n as usize));
            assert_eq!(d.keys, e.iter().map(|(k, _)| *k).collect::<Vec<_>>());
            assert_eq!(d.values, e.iter().map(|(_, v)| *v).collect::<Vec<_>>());
            for (i, (k, _)) in e.iter().enumerate() {
                assert_eq!(position(&bin, k), Some(i));
                for bit in [0, 7, 8, 23, 24, 255] {
                    let mut flipped = *k;
                    flipped[bit / 8] ^= 1 << (bit % 8);
                    assert_eq!(position(&bin, &flipped), None, "n {n} key {i} bit {bit}");
                }
            }
            assert_eq!(position(&bin, &[0; 32]), None);
            assert_eq!(position(&bin, &[0xff; 32]), None);
        }
    }

    #[test]
    fn damage_is_refused() {
        let bin = encode(1, &entries(40), 3);
        assert!(decode(&bin[..bin.len() - 1]).unwrap_err().contains("bytes"));
        let mut magic = bin.clone();
        magic[0] ^= 1;
        assert!(decode(&magic).unwrap_err().contains("magic"));
        let mut order = bin.clone();
        order[HEADER_LEN..HEADER_LEN + 32].copy_from_slice(&[0xff; 32]);
        assert!(decode(&order).unwrap_err().contains("ascending"));
        let mut value = bin.clone();
        let last = value.len() - 4;
        value[last..].copy_from_slice(&3u32.to_le_bytes());
        assert!(decode(&value).unwrap_err().contains("value count"));
        let mut bits = bin.clone();
        bits[24] = 9;
        assert!(decode(&bits).unwrap_err().contains("prefix bits"));
    }

    /// A valid list of `n` keys (known by facts) over two incidents, one dated.
    fn list(n: u32) -> Blocklist {
        use certblock_list::{Category, Entry, Evidence, EvidenceKind, Incident, IncidentId};
        let dated: certblock_list::Timestamp = "2020-01-01T00:00:00Z".parse().unwrap();
        let incidents: Vec<Incident> = [
            ("a", Action::Block, None),
            ("b", Action::KnownInterception, Some(dated)),
        ]
        .into_iter()
        .map(|(id, action, after)| Incident {
            id: id.parse::<IncidentId>().unwrap(),
            title: format!("Title \"{id}\""),
            category: Category::Test,
            action,
            added: None,
            distrust_after: after,
            references: vec![],
            summary: String::new(),
        })
        .collect();
        let entries = entries(n)
            .into_iter()
            .enumerate()
            .map(|(i, (key, _))| {
                let inc = &incidents[i % 2];
                Entry {
                    spki_sha256: certblock_list::Sha256Hash(key),
                    action: inc.action,
                    incidents: vec![inc.id.clone()],
                    distrust_after: inc.distrust_after,
                    evidence: vec![Evidence::new(
                        inc.id.clone(),
                        format!("{}/facts.json", inc.id),
                        Some(i as u32 + 1),
                        EvidenceKind::Facts,
                    )],
                }
            })
            .collect();
        let list = Blocklist {
            sequence: 3,
            source_digest: certblock_list::Sha256Hash::digest(b"t"),
            incidents,
            entries,
        };
        list.validate().unwrap();
        list
    }

    #[test]
    fn compile_switches_form_at_the_threshold_and_reads_the_sorted_form_back() {
        use crate::{
            CompileOptions, RUST_TABLE_BIN_FILE, RUST_TABLE_FILE, compile_with,
            readback::verify_all,
        };
        let list = list(30);
        let names = |max| -> Vec<&'static str> {
            compile_with(
                &list,
                &CompileOptions {
                    rust_table_phf_max: max,
                },
            )
            .unwrap()
            .iter()
            .map(|f| f.name)
            .collect()
        };
        assert!(!names(30).contains(&RUST_TABLE_BIN_FILE));
        assert!(names(29).contains(&RUST_TABLE_BIN_FILE));
        assert_eq!(
            crate::CompileOptions::default().rust_table_phf_max,
            crate::RUST_TABLE_PHF_MAX
        );

        let mut files = compile_with(
            &list,
            &CompileOptions {
                rust_table_phf_max: 10,
            },
        )
        .unwrap();
        files.pop(); // the manifest
        assert!(verify_all(&list, &files).is_empty());
        let text = String::from_utf8(
            files
                .iter()
                .find(|f| f.name == RUST_TABLE_FILE)
                .unwrap()
                .bytes
                .clone(),
        )
        .unwrap();
        assert!(is_sorted_form(&text) && !text.contains("::phf"));
        let read = read(
            &text,
            &files
                .iter()
                .find(|f| f.name == RUST_TABLE_BIN_FILE)
                .unwrap()
                .bytes,
        )
        .unwrap();
        assert_eq!(read.len(), 30);
        assert_eq!(read_values(&text).unwrap().len(), 2);

        // A changed key in the binary, a changed value in the .rs, a missing binary: all caught.
        let bin_at = files
            .iter()
            .position(|f| f.name == RUST_TABLE_BIN_FILE)
            .unwrap();
        let mut damaged = files.clone();
        damaged[bin_at].bytes[HEADER_LEN + 31] ^= 1;
        assert!(!verify_all(&list, &damaged).is_empty());
        let rs_at = files
            .iter()
            .position(|f| f.name == RUST_TABLE_FILE)
            .unwrap();
        let mut relabelled = files.clone();
        relabelled[rs_at].bytes = text
            .replacen("incident: \"a\"", "incident: \"z\"", 1)
            .into_bytes();
        let problems = verify_all(&list, &relabelled);
        assert!(
            problems.iter().all(|p| p.starts_with(RUST_TABLE_FILE)) && problems.len() == 15,
            "{problems:?}"
        );
        let mut missing = files.clone();
        missing.remove(bin_at);
        assert!(
            verify_all(&list, &missing)
                .iter()
                .any(|p| p.contains("emits no such file"))
        );
    }

    #[test]
    fn string_literals_read_back_as_written() {
        for s in [
            "plain",
            "quote \" and \\ back",
            "tab\tnew\nline",
            "é \u{7f} \u{200b}",
            "",
        ] {
            let literal = format!("{s:?}, rest");
            assert_eq!(read_string(&literal).unwrap(), (s.to_string(), ", rest"));
        }
    }
}
