//! Chromium's CRLSet (`generated/crl-set`): a JSON header naming blocked keys, then parents.
//!
//! Layout: a little-endian `u16` header length, the JSON header, then parents until the end of
//! the file, each a 32-byte parent SPKI SHA-256, a little-endian `u32` serial count and the
//! serials, each a `u8` length and the big-endian serial bytes. The header carries `Version`
//! (0), `ContentType` ("CRLSet"), `Sequence`, `NumParents`, and the base64 SPKI SHA-256 arrays
//! `BlockedSPKIs`, `KnownInterceptionSPKIs` and `BlockedInterceptionSPKIs`. Chromium ignores
//! header keys it does not know, so certblock adds `Generated` with its `@generated` notice.
//!
//! Every entry of a list is expressible: its action picks the array. The list holds no serial
//! revocations, so the files certblock writes have no parents; the reader reads them all the
//! same.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use certblock_list::{Action, Blocklist, GENERATED_NOTICE, Sha256Hash};
use serde::Serialize;

use crate::encoding::{b64, b64_decode, hex};
use crate::{FormatError, Rendered, Unexpressed};

/// The file name inside `generated/`.
pub const FILE_NAME: &str = "crl-set";

/// The largest header a CRLSet can hold: its length is a `u16`.
pub const MAX_HEADER_LEN: usize = u16::MAX as usize;

/// The header key certblock adds with its `@generated` notice (Chromium ignores unknown keys).
pub const GENERATED_KEY: &str = "Generated";

/// A whole CRLSet, as read.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct CrlSet {
    /// The JSON header.
    pub header: Header,
    /// The parents after the header, in file order.
    pub parents: Vec<Parent>,
}

/// The JSON header of a CRLSet.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Header {
    /// `Version`: always 0 (Chromium refuses any other).
    pub version: u64,
    /// `ContentType`: always "CRLSet".
    pub content_type: String,
    /// `Sequence`: the list's sequence number.
    pub sequence: u64,
    /// `NumParents`: how many parents follow the header.
    pub num_parents: u64,
    /// `BlockedSPKIs`: SPKI SHA-256 values Chromium refuses, in file order.
    pub blocked_spkis: Vec<Sha256Hash>,
    /// `KnownInterceptionSPKIs`: SPKI SHA-256 values labelled as known interception.
    pub known_interception_spkis: Vec<Sha256Hash>,
    /// `BlockedInterceptionSPKIs`: interception SPKI SHA-256 values that are also refused.
    pub blocked_interception_spkis: Vec<Sha256Hash>,
    /// `Generated`: certblock's `@generated` notice, when present.
    pub generated: Option<String>,
    /// Every other header key (`NotAfter`, `DeltaFrom`, ...), with its JSON value.
    pub other: BTreeMap<String, serde_json::Value>,
}

/// One parent: the serials revoked under one issuing key.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
pub struct Parent {
    /// SHA-256 of the parent's DER SubjectPublicKeyInfo.
    pub spki_sha256: Sha256Hash,
    /// The revoked serial numbers, big-endian bytes as stored, in file order.
    pub serials: Vec<Serial>,
}

/// A serial number as a CRLSet stores it (big-endian, without a leading zero).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
pub struct Serial(#[serde(serialize_with = "crate::encoding::ser_hex")] pub Vec<u8>);

/// What a CRLSet says, independent of byte layout: what [`expected`] predicts and
/// [`contents`] reads back.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Contents {
    /// `Sequence`.
    pub sequence: u64,
    /// `BlockedSPKIs`, in file order.
    pub blocked_spkis: Vec<Sha256Hash>,
    /// `KnownInterceptionSPKIs`, in file order.
    pub known_interception_spkis: Vec<Sha256Hash>,
    /// `BlockedInterceptionSPKIs`, in file order.
    pub blocked_interception_spkis: Vec<Sha256Hash>,
    /// The parents.
    pub parents: Vec<Parent>,
}

/// What a CRLSet of a list must hold, and which entries it carries.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Expected {
    /// The file's contents.
    pub contents: Contents,
    /// Keys of the entries the file carries.
    pub expressed: BTreeSet<Sha256Hash>,
    /// Entries it cannot carry (only when the header would pass 65,535 bytes).
    pub unexpressed: Vec<Unexpressed>,
}

/// The header as written: the field order here is the key order in the file.
#[derive(Serialize)]
struct HeaderOut<'a> {
    #[serde(rename = "Version")]
    version: u64,
    #[serde(rename = "ContentType")]
    content_type: &'a str,
    #[serde(rename = "Sequence")]
    sequence: u64,
    #[serde(rename = "NumParents")]
    num_parents: u64,
    #[serde(rename = "BlockedSPKIs")]
    blocked: Vec<String>,
    #[serde(rename = "KnownInterceptionSPKIs")]
    known_interception: Vec<String>,
    #[serde(rename = "BlockedInterceptionSPKIs")]
    blocked_interception: Vec<String>,
    #[serde(rename = "Generated")]
    generated: &'a str,
}

fn header_json(sequence: u64, keys: &[(Sha256Hash, Action)]) -> Vec<u8> {
    let pick = |want: Action| -> Vec<String> {
        keys.iter()
            .filter(|(_, a)| *a == want)
            .map(|(k, _)| k.to_base64())
            .collect()
    };
    let out = HeaderOut {
        version: 0,
        content_type: "CRLSet",
        sequence,
        num_parents: 0,
        blocked: pick(Action::Block),
        known_interception: pick(Action::KnownInterception),
        blocked_interception: pick(Action::BlockedInterception),
        generated: GENERATED_NOTICE,
    };
    serde_json::to_vec(&out).unwrap_or_default()
}

/// The bytes one more key adds to a header array: its 44 base64 characters in quotes, and a
/// comma unless it is the array's first.
fn key_cost(first_in_array: bool) -> usize {
    if first_in_array { 46 } else { 47 }
}

/// Plans the file: the keys that fit (in list order, which is ascending key order) and the rest.
/// The longest run of keys from the first whose header fits is kept; its length is counted, not
/// rendered, key by key (base64 never needs escaping in JSON), so a list of a million keys costs
/// no million strings.
fn plan(list: &Blocklist) -> (Vec<(Sha256Hash, Action)>, Vec<Unexpressed>) {
    let mut keys: Vec<(Sha256Hash, Action)> = list
        .entries
        .iter()
        .map(|e| (e.spki_sha256, e.action))
        .collect();
    keys.sort();
    let mut len = header_json(list.sequence, &[]).len();
    let mut started = [false; 3];
    let mut fit = 0;
    for (_, action) in &keys {
        let array = match action {
            Action::Block => 0,
            Action::KnownInterception => 1,
            Action::BlockedInterception => 2,
        };
        let cost = key_cost(!started[array]);
        if len + cost > MAX_HEADER_LEN {
            break;
        }
        len += cost;
        started[array] = true;
        fit += 1;
    }
    let dropped = keys
        .split_off(fit)
        .into_iter()
        .map(|(key, _)| Unexpressed {
            spki_sha256: key,
            reason: "the CRLSet header is limited to 65,535 bytes and is full",
        })
        .collect();
    (keys, dropped)
}

/// Writes the CRLSet of a list: the header only (no parents), keys sorted in each array.
pub fn render(list: &Blocklist) -> Rendered {
    let (keys, unexpressed) = plan(list);
    let header = header_json(list.sequence, &keys);
    assert!(
        header.len() <= MAX_HEADER_LEN,
        "the planned header fits: {} bytes",
        header.len()
    );
    let len = u16::try_from(header.len()).unwrap_or(u16::MAX);
    let mut bytes = Vec::with_capacity(header.len() + 2);
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(&header);
    Rendered { bytes, unexpressed }
}

/// What the CRLSet of a list must contain.
pub fn expected(list: &Blocklist) -> Expected {
    let (keys, unexpressed) = plan(list);
    let pick = |want: Action| -> Vec<Sha256Hash> {
        keys.iter()
            .filter(|(_, a)| *a == want)
            .map(|(k, _)| *k)
            .collect()
    };
    Expected {
        contents: Contents {
            sequence: list.sequence,
            blocked_spkis: pick(Action::Block),
            known_interception_spkis: pick(Action::KnownInterception),
            blocked_interception_spkis: pick(Action::BlockedInterception),
            parents: Vec::new(),
        },
        expressed: keys.iter().map(|(k, _)| *k).collect(),
        unexpressed,
    }
}

/// What a parsed CRLSet says, in the form [`expected`] predicts.
pub fn contents(parsed: &CrlSet) -> Contents {
    Contents {
        sequence: parsed.header.sequence,
        blocked_spkis: parsed.header.blocked_spkis.clone(),
        known_interception_spkis: parsed.header.known_interception_spkis.clone(),
        blocked_interception_spkis: parsed.header.blocked_interception_spkis.clone(),
        parents: parsed.parents.clone(),
    }
}

/// A cursor over the input that never reads past the end.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], FormatError> {
        let left = self.bytes.len().saturating_sub(self.pos);
        if n > left {
            return Err(FormatError::crlset(
                self.pos,
                format!("{what} needs {n} bytes but only {left} are left: the file is truncated"),
            ));
        }
        let out = self.bytes.get(self.pos..self.pos + n).unwrap_or_default();
        self.pos += n;
        Ok(out)
    }

    fn left(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }
}

/// The byte offset of a serde_json line/column inside `text`, which starts at `base`.
fn json_offset(text: &[u8], base: usize, line: usize, column: usize) -> usize {
    let mut offset = 0;
    let mut current = 1;
    for (i, b) in text.iter().enumerate() {
        if current == line {
            break;
        }
        if *b == b'\n' {
            current += 1;
            offset = i + 1;
        }
    }
    base + (offset + column.saturating_sub(1)).min(text.len())
}

fn spki_list(
    map: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    at: usize,
) -> Result<Vec<Sha256Hash>, FormatError> {
    let Some(value) = map.get(key) else {
        return Ok(Vec::new());
    };
    let Some(items) = value.as_array() else {
        return Err(FormatError::crlset(
            at,
            format!("header key {key} is not an array"),
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(text) = item.as_str() else {
            return Err(FormatError::crlset(
                at,
                format!("{key}[{i}] is not a string"),
            ));
        };
        let bytes = b64_decode(text)
            .map_err(|why| FormatError::crlset(at, format!("{key}[{i}]: {why}")))?;
        let hash: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            FormatError::crlset(
                at,
                format!(
                    "{key}[{i}] decodes to {} bytes; an SPKI SHA-256 is 32",
                    bytes.len()
                ),
            )
        })?;
        out.push(Sha256Hash(hash));
    }
    Ok(out)
}

fn number(
    map: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    at: usize,
) -> Result<u64, FormatError> {
    match map.get(key) {
        None => Err(FormatError::crlset(at, format!("the header has no {key}"))),
        Some(v) => v.as_u64().ok_or_else(|| {
            FormatError::crlset(
                at,
                format!("header key {key} is {v}, not a whole number >= 0"),
            )
        }),
    }
}

fn read_header(text: &[u8], at: usize) -> Result<Header, FormatError> {
    let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| {
        FormatError::crlset(
            json_offset(text, at, e.line(), e.column()),
            format!("the header is not valid JSON: {e}"),
        )
    })?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(FormatError::crlset(
            at,
            "the header is JSON but not an object",
        ));
    };
    let content_type = match map.get("ContentType").and_then(|v| v.as_str()) {
        Some("CRLSet") => "CRLSet".to_string(),
        Some(other) => {
            return Err(FormatError::crlset(
                at,
                format!("ContentType is {other:?}, not \"CRLSet\""),
            ));
        }
        None => {
            return Err(FormatError::crlset(
                at,
                "the header has no ContentType string",
            ));
        }
    };
    let version = number(&map, "Version", at)?;
    if version != 0 {
        return Err(FormatError::crlset(
            at,
            format!("Version is {version}; only version 0 exists"),
        ));
    }
    let sequence = number(&map, "Sequence", at)?;
    let num_parents = number(&map, "NumParents", at)?;
    let blocked_spkis = spki_list(&map, "BlockedSPKIs", at)?;
    let known_interception_spkis = spki_list(&map, "KnownInterceptionSPKIs", at)?;
    let blocked_interception_spkis = spki_list(&map, "BlockedInterceptionSPKIs", at)?;
    let generated = match map.get(GENERATED_KEY) {
        None => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(FormatError::crlset(
                at,
                format!("header key {GENERATED_KEY} is not a string"),
            ));
        }
    };
    for key in [
        "Version",
        "ContentType",
        "Sequence",
        "NumParents",
        "BlockedSPKIs",
        "KnownInterceptionSPKIs",
        "BlockedInterceptionSPKIs",
        GENERATED_KEY,
    ] {
        map.remove(key);
    }
    Ok(Header {
        version,
        content_type,
        sequence,
        num_parents,
        blocked_spkis,
        known_interception_spkis,
        blocked_interception_spkis,
        generated,
        other: map.into_iter().collect(),
    })
}

/// Reads a CRLSet: the header, then every parent to the end of the file. The number of parents
/// must match `NumParents`, as Chromium requires.
pub fn read(bytes: &[u8]) -> Result<CrlSet, FormatError> {
    let mut cur = Cursor { bytes, pos: 0 };
    let len_bytes = cur.take(2, "the header length")?;
    let header_len = usize::from(u16::from_le_bytes([
        len_bytes.first().copied().unwrap_or(0),
        len_bytes.get(1).copied().unwrap_or(0),
    ]));
    if header_len > cur.left() {
        return Err(FormatError::crlset(
            0,
            format!(
                "the header length is {header_len} bytes, past the end of the file \
                 ({} bytes after the length)",
                cur.left()
            ),
        ));
    }
    let header_text = cur.take(header_len, "the header")?;
    let header = read_header(header_text, 2)?;
    let mut parents = Vec::new();
    while cur.left() > 0 {
        let start = cur.pos;
        let spki = cur.take(32, "a parent's SPKI SHA-256")?;
        let mut hash = [0u8; 32];
        hash.copy_from_slice(spki);
        let count_bytes = cur.take(4, "a parent's serial count")?;
        let mut count4 = [0u8; 4];
        count4.copy_from_slice(count_bytes);
        let count = u32::from_le_bytes(count4) as usize;
        if count > cur.left() {
            return Err(FormatError::crlset(
                start + 32,
                format!(
                    "the parent says it has {count} serials, more than the {} bytes left can hold",
                    cur.left()
                ),
            ));
        }
        let mut serials = Vec::with_capacity(count);
        for _ in 0..count {
            let at = cur.pos;
            let len = usize::from(
                cur.take(1, "a serial's length")?
                    .first()
                    .copied()
                    .unwrap_or(0),
            );
            if len > cur.left() {
                return Err(FormatError::crlset(
                    at,
                    format!(
                        "a serial length of {len} bytes runs past the end of the file ({} left)",
                        cur.left()
                    ),
                ));
            }
            serials.push(Serial(cur.take(len, "a serial")?.to_vec()));
        }
        parents.push(Parent {
            spki_sha256: Sha256Hash(hash),
            serials,
        });
    }
    if parents.len() as u64 != header.num_parents {
        return Err(FormatError::crlset(
            bytes.len(),
            format!(
                "the header says NumParents is {}, but the file holds {} parents",
                header.num_parents,
                parents.len()
            ),
        ));
    }
    Ok(CrlSet { header, parents })
}

fn check_array(
    name: &str,
    action: Action,
    found: &[Sha256Hash],
    want: &[Sha256Hash],
    list: &Blocklist,
    problems: &mut Vec<String>,
) {
    let want_set: BTreeSet<&Sha256Hash> = want.iter().collect();
    let mut seen = BTreeSet::new();
    for key in found {
        if !seen.insert(key) {
            problems.push(format!(
                "SPKI SHA-256 {key} appears more than once in {name}"
            ));
        }
        if !want_set.contains(key) {
            match list.entry(key) {
                Some(entry) => problems.push(format!(
                    "SPKI SHA-256 {key} is in {name}, but its action is {} (altered)",
                    entry.action
                )),
                None => problems.push(format!(
                    "SPKI SHA-256 {key} is in {name}, but the list has no such entry (extra)"
                )),
            }
        }
    }
    for key in want {
        if !seen.contains(key) {
            problems.push(format!(
                "SPKI SHA-256 {key} (action {action}) is missing from {name}"
            ));
        }
    }
    if found.windows(2).any(|w| w[0] > w[1]) {
        problems.push(format!("{name} is not sorted"));
    }
}

/// Reads `bytes` back and reports every entry of `list` that is missing or altered, and every
/// key, parent or header value that should not be there.
pub fn verify(list: &Blocklist, bytes: &[u8]) -> Result<(), Vec<String>> {
    let parsed = read(bytes).map_err(|e| vec![e.to_string()])?;
    let want = expected(list).contents;
    let got = contents(&parsed);
    let mut problems = Vec::new();
    if got.sequence != want.sequence {
        problems.push(format!(
            "Sequence is {}, the list's is {}",
            got.sequence, want.sequence
        ));
    }
    check_array(
        "BlockedSPKIs",
        Action::Block,
        &got.blocked_spkis,
        &want.blocked_spkis,
        list,
        &mut problems,
    );
    check_array(
        "KnownInterceptionSPKIs",
        Action::KnownInterception,
        &got.known_interception_spkis,
        &want.known_interception_spkis,
        list,
        &mut problems,
    );
    check_array(
        "BlockedInterceptionSPKIs",
        Action::BlockedInterception,
        &got.blocked_interception_spkis,
        &want.blocked_interception_spkis,
        list,
        &mut problems,
    );
    for parent in &got.parents {
        problems.push(format!(
            "parent SPKI SHA-256 {} with {} serials is not in the list (extra)",
            parent.spki_sha256,
            parent.serials.len()
        ));
    }
    if parsed.header.generated.as_deref() != Some(GENERATED_NOTICE) {
        problems.push(format!(
            "header key {GENERATED_KEY} does not hold the @generated notice"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// A human-readable listing: header fields, one line per SPKI, one block per parent.
pub fn dump(parsed: &CrlSet) -> String {
    let h = &parsed.header;
    let mut out = String::new();
    let _ = writeln!(out, "Version: {}", h.version);
    let _ = writeln!(out, "ContentType: {}", h.content_type);
    let _ = writeln!(out, "Sequence: {}", h.sequence);
    let _ = writeln!(out, "NumParents: {}", h.num_parents);
    if let Some(g) = &h.generated {
        let _ = writeln!(out, "{GENERATED_KEY}: {g}");
    }
    for (key, value) in &h.other {
        let _ = writeln!(out, "{key}: {value}");
    }
    for (name, keys) in [
        ("BlockedSPKIs", &h.blocked_spkis),
        ("KnownInterceptionSPKIs", &h.known_interception_spkis),
        ("BlockedInterceptionSPKIs", &h.blocked_interception_spkis),
    ] {
        let _ = writeln!(out, "{name}: {}", keys.len());
        for key in keys {
            let _ = writeln!(out, "  SPKI SHA-256 {key} ({})", key.to_base64());
        }
    }
    for parent in &parsed.parents {
        let _ = writeln!(
            out,
            "Parent SPKI SHA-256 {}: {} serials",
            parent.spki_sha256,
            parent.serials.len()
        );
        for serial in &parent.serials {
            let _ = writeln!(out, "  serial {}", hex(&serial.0));
        }
    }
    out
}

/// Writes a CRLSet with the given header keys and parents, for tests and tools that need one
/// (certblock's own files have no parents). `NumParents` is set from `parents`.
pub fn encode(header: &Header, parents: &[Parent]) -> Vec<u8> {
    let mut map = serde_json::Map::new();
    for (k, v) in &header.other {
        map.insert(k.clone(), v.clone());
    }
    let list = |keys: &[Sha256Hash]| -> serde_json::Value {
        keys.iter()
            .map(|k| serde_json::Value::String(b64(k.as_bytes())))
            .collect()
    };
    map.insert("Version".into(), header.version.into());
    map.insert("ContentType".into(), header.content_type.clone().into());
    map.insert("Sequence".into(), header.sequence.into());
    map.insert("NumParents".into(), (parents.len() as u64).into());
    map.insert("BlockedSPKIs".into(), list(&header.blocked_spkis));
    map.insert(
        "KnownInterceptionSPKIs".into(),
        list(&header.known_interception_spkis),
    );
    map.insert(
        "BlockedInterceptionSPKIs".into(),
        list(&header.blocked_interception_spkis),
    );
    if let Some(g) = &header.generated {
        map.insert(GENERATED_KEY.into(), g.clone().into());
    }
    let text = serde_json::to_vec(&serde_json::Value::Object(map)).unwrap_or_default();
    let mut out = Vec::new();
    out.extend_from_slice(&u16::try_from(text.len()).unwrap_or(u16::MAX).to_le_bytes());
    out.extend_from_slice(&text);
    for parent in parents {
        out.extend_from_slice(parent.spki_sha256.as_bytes());
        out.extend_from_slice(&(parent.serials.len() as u32).to_le_bytes());
        for serial in &parent.serials {
            out.push(serial.0.len().min(255) as u8);
            out.extend_from_slice(&serial.0[..serial.0.len().min(255)]);
        }
    }
    out
}
