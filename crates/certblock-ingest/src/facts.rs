//! `facts.json`: keys known by their hashes and names, without the certificate itself.

use std::path::Path;

use certblock_list::{
    Base64Bytes, Evidence, EvidenceKind, HexBytes, IncidentId, Sha256Hash, Timestamp,
};
use serde::{Deserialize, Deserializer};

use crate::error::{Problem, ProblemKind};
use crate::json::json_problem;
use crate::merge::Item;

/// The file: `{"records": [...]}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactsFile {
    records: Vec<FactsRecord>,
}

/// Hex of exactly `N` bytes (SHA-1 is 20, MD5 16), checked while reading so a wrong length is
/// reported with its line and column.
struct FixedHex<const N: usize>(Vec<u8>);

impl<'de, const N: usize> Deserialize<'de> for FixedHex<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        if s.len() != 2 * N {
            return Err(serde::de::Error::custom(format!(
                "expected {} hex digits, found {} characters: {s:?}",
                2 * N,
                s.chars().count()
            )));
        }
        let bytes = HexBytes::from_hex(&s).map_err(serde::de::Error::custom)?;
        Ok(FixedHex(bytes.0))
    }
}

/// A SHA-256 value in hex, read without an intermediate `String` (the messages are those of
/// [`Sha256Hash`]'s own `Deserialize`: it expects a string and parses it the same way).
struct Hex32(Sha256Hash);

impl<'de> Deserialize<'de> for Hex32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Parses the string where it lies.
        struct HexVisitor;
        impl serde::de::Visitor<'_> for HexVisitor {
            type Value = Sha256Hash;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Sha256Hash, E> {
                match hex32(s.as_bytes()) {
                    Some(hash) => Ok(hash),
                    None => s.parse().map_err(E::custom),
                }
            }
        }
        deserializer.deserialize_str(HexVisitor).map(Hex32)
    }
}

/// The value of each hex digit (either case), 0xff for any other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// 64 hex digits (either case) as a SHA-256 value, with a table rather than a branch per digit;
/// `None` for anything else (whose error [`Sha256Hash`]'s own parser then words).
fn hex32(digits: &[u8]) -> Option<Sha256Hash> {
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (hi, lo) = (
            HEX_VALUES[usize::from(pair[0])],
            HEX_VALUES[usize::from(pair[1])],
        );
        bad |= hi | lo;
        *byte = hi << 4 | (lo & 15);
    }
    (bad & 0xf0 == 0).then_some(Sha256Hash(out))
}

/// One record, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactsRecord {
    spki_sha256: Hex32,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    cert_sha256: Option<Hex32>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    subject_der: Option<Base64Bytes>,
    #[serde(default)]
    issuer_der: Option<Base64Bytes>,
    #[serde(default)]
    serial: Option<Base64Bytes>,
    #[serde(default)]
    not_before: Option<Timestamp>,
    #[serde(default)]
    not_after: Option<Timestamp>,
    #[serde(default)]
    cert_sha1: Option<FixedHex<20>>,
    #[serde(default)]
    cert_md5: Option<FixedHex<16>>,
}

/// Reads `facts.json` of `incident` into (key, evidence) pairs, one per record.
///
/// `path` is the file as the user sees it (it names the file in the problem, with the line and
/// column, when the JSON is refused); `file` is its name relative to `sources/`.
pub fn parse_facts(
    path: &Path,
    file: &str,
    incident: &IncidentId,
    bytes: &[u8],
) -> Result<Vec<(Sha256Hash, Evidence)>, Problem> {
    let items = facts_items(path, file, incident, bytes, 0)?;
    Ok(items
        .into_iter()
        .filter_map(|item| {
            let [evidence] = *item.evidence?;
            Some((item.spki_sha256, evidence))
        })
        .collect())
}

/// [`parse_facts`] as items to merge, of the file at index `file_index` of the merge.
///
/// The records are turned into evidence as they are read (never held as a list of records
/// first). When the file is refused, it is read again the plain way (`FactsFile`), whose error
/// is the one reported, so that problems never depend on how the file was read.
pub(crate) fn facts_items(
    path: &Path,
    file: &str,
    incident: &IncidentId,
    bytes: &[u8],
    file_index: u32,
) -> Result<Vec<Item>, Problem> {
    let context = RecordContext {
        file,
        incident,
        file_index,
        // A record is at least `{"spki_sha256":"<64 hex digits>"}` and a comma: room for every
        // record at once (pages never written are never resident).
        capacity: bytes.len() / 82 + 1,
    };
    let streamed = match plain_body(bytes) {
        Some(body) if body.len() >= PARALLEL_BYTES => parse_in_parallel(&context, body),
        _ => parse_streamed(&context, bytes),
    };
    let items = match streamed {
        Ok(items) => items,
        Err(_) => {
            let parsed: FactsFile = serde_json::from_slice(bytes).map_err(|e| {
                json_problem(path, &e, |message| ProblemKind::FactsJson { message })
            })?;
            parsed
                .records
                .into_iter()
                .enumerate()
                .map(|(index, r)| context.item(index, r))
                .collect()
        }
    };
    if items.is_empty() {
        return Err(Problem::new(path, ProblemKind::FactsEmpty));
    }
    Ok(items)
}

/// facts.json files at least this large (in bytes of records) are read on several threads.
const PARALLEL_BYTES: usize = 4 << 20;

/// About this many bytes of records per task when a file is read on several threads.
const CHUNK_BYTES: usize = 4 << 20;

/// Reads the whole file at once, turning each record into an item as it comes.
fn parse_streamed(
    context: &RecordContext<'_>,
    bytes: &[u8],
) -> Result<Vec<Item>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let items = serde::de::DeserializeSeed::deserialize(FileSeed(context), &mut deserializer)?;
    deserializer.end()?;
    Ok(items)
}

/// The records of a file written the plain way, `{"records": [...]}` (any whitespace between the
/// tokens): the bytes between the brackets; `None` for any other form.
fn plain_body(bytes: &[u8]) -> Option<&[u8]> {
    fn skip_ws(bytes: &[u8]) -> &[u8] {
        let n = bytes
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        &bytes[n..]
    }
    fn skip_ws_back(bytes: &[u8]) -> &[u8] {
        let n = bytes
            .iter()
            .rev()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        &bytes[..bytes.len() - n]
    }
    let rest = skip_ws(bytes).strip_prefix(b"{")?;
    let rest = skip_ws(rest).strip_prefix(b"\"records\"")?;
    let rest = skip_ws(rest).strip_prefix(b":")?;
    let rest = skip_ws(rest).strip_prefix(b"[")?;
    let rest = skip_ws_back(rest).strip_suffix(b"}")?;
    skip_ws_back(rest).strip_suffix(b"]")
}

/// Where to cut the records (the bytes between the brackets) into pieces of about
/// [`CHUNK_BYTES`]: the offsets of commas between `}` and `{"` followed by a letter or `_`
/// (whitespace aside), which in valid JSON are never inside a string: a `"` there cannot close
/// a string (a closing quote is followed by whitespace or punctuation), so it opens one, and only
/// whitespace lies between it and the `{`. Whatever the bytes, a piece that does not parse makes
/// the file be read whole, so a cut can cost time but never change the result.
fn cut_points(body: &[u8]) -> Vec<usize> {
    let is_ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let skip_ws = |mut at: usize| {
        while at < body.len() && is_ws(body[at]) {
            at += 1;
        }
        at
    };
    let mut cuts = Vec::new();
    let mut from = CHUNK_BYTES;
    while from < body.len() {
        let Some(close) = body[from..].iter().position(|&b| b == b'}') else {
            break;
        };
        from += close + 1;
        let comma = skip_ws(from);
        if body.get(comma) != Some(&b',') {
            continue;
        }
        let open = skip_ws(comma + 1);
        let opens_record = body.get(open) == Some(&b'{')
            && body.get(skip_ws(open + 1)) == Some(&b'"')
            && body
                .get(skip_ws(open + 1) + 1)
                .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_');
        if opens_record {
            cuts.push(comma);
            from = comma + CHUNK_BYTES;
        }
    }
    cuts
}

/// Reads the records in pieces on several threads. Each piece is read as an array of its own
/// (`[` piece `]`): if every piece is a valid array of records, so is the whole, with the same
/// records in the same order; if any piece fails, the file is read whole (and its error, if it
/// has one, is the one reported).
fn parse_in_parallel(
    context: &RecordContext<'_>,
    body: &[u8],
) -> Result<Vec<Item>, serde_json::Error> {
    use rayon::prelude::*;
    let cuts = cut_points(body);
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in &cuts {
        pieces.push(&body[start..cut]);
        start = cut + 1;
    }
    pieces.push(&body[start..]);
    let parsed: Vec<Result<Vec<Item>, serde_json::Error>> = pieces
        .par_iter()
        .map(|piece| {
            let mut array = Vec::with_capacity(piece.len() + 2);
            array.push(b'[');
            array.extend_from_slice(piece);
            array.push(b']');
            let piece_context = RecordContext {
                capacity: piece.len() / 82 + 1,
                ..*context
            };
            let mut deserializer = serde_json::Deserializer::from_slice(&array);
            let items = serde::de::DeserializeSeed::deserialize(
                RecordsSeed(&piece_context),
                &mut deserializer,
            )?;
            deserializer.end()?;
            Ok(items)
        })
        .collect();
    let mut pieces = Vec::with_capacity(parsed.len());
    for piece in parsed {
        pieces.push(piece?);
    }
    // Positions were counted from 1 in each piece: count them in the file.
    let mut first = Vec::with_capacity(pieces.len());
    let mut total = 0usize;
    for piece in &pieces {
        first.push(total);
        total += piece.len();
    }
    pieces
        .par_iter_mut()
        .zip(first)
        .filter(|(_, first)| *first > 0)
        .for_each(|(piece, first)| {
            for (index, item) in piece.iter_mut().enumerate() {
                if let Some(evidence) = item.evidence.as_mut() {
                    evidence[0].position = u32::try_from(first + index + 1).ok();
                }
            }
        });
    let mut items = Vec::with_capacity(total);
    for piece in pieces {
        items.extend(piece);
    }
    Ok(items)
}

/// What every record of one facts.json shares.
#[derive(Clone, Copy)]
struct RecordContext<'a> {
    file: &'a str,
    incident: &'a IncidentId,
    file_index: u32,
    capacity: usize,
}

impl RecordContext<'_> {
    /// The item for record `index` (from 0).
    fn item(&self, index: usize, r: FactsRecord) -> Item {
        let position = u32::try_from(index + 1).ok();
        let mut ev = Evidence::new(
            self.incident.clone(),
            self.file.to_string(),
            position,
            EvidenceKind::Facts,
        );
        ev.name = r.name;
        ev.cert_sha256 = r.cert_sha256.map(|h| h.0);
        ev.subject = r.subject;
        ev.issuer = r.issuer;
        ev.subject_der = r.subject_der;
        ev.issuer_der = r.issuer_der;
        ev.serial = r.serial.map(|b| HexBytes(b.0));
        ev.not_before = r.not_before;
        ev.not_after = r.not_after;
        ev.cert_sha1 = r.cert_sha1.map(|h| HexBytes(h.0));
        ev.cert_md5 = r.cert_md5.map(|h| HexBytes(h.0));
        Item::new(r.spki_sha256.0, ev, None, self.file_index)
    }
}

/// Reads `{"records": [...]}`, turning each record into an item as it comes; anything else
/// (another field, the struct as an array) is an error here, and the plain reading decides.
struct FileSeed<'c>(&'c RecordContext<'c>);

impl<'de> serde::de::DeserializeSeed<'de> for FileSeed<'_> {
    type Value = Vec<Item>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Item>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FileSeed<'_> {
    type Value = Vec<Item>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("{\"records\": [...]}")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Vec<Item>, A::Error> {
        let mut records = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key != "records" || records.is_some() {
                return Err(serde::de::Error::custom("not the plain form"));
            }
            records = Some(map.next_value_seed(RecordsSeed(self.0))?);
        }
        records.ok_or_else(|| serde::de::Error::custom("no records"))
    }
}

/// Reads the records array, one item per record.
struct RecordsSeed<'c>(&'c RecordContext<'c>);

impl<'de> serde::de::DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = Vec<Item>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Item>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RecordsSeed<'_> {
    type Value = Vec<Item>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Item>, A::Error> {
        let mut items = Vec::with_capacity(self.0.capacity);
        while let Some(record) = seq.next_element::<FactsRecord>()? {
            items.push(self.0.item(items.len(), record));
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(Sha256Hash, Evidence)>, Problem> {
        parse_facts(
            Path::new("s/a/facts.json"),
            "a/facts.json",
            &"a".parse().unwrap(),
            text.as_bytes(),
        )
    }

    const KEY: &str = "b5ba8dd7f89564c2889d3d6453c84998c77824919b64ea0835aa62986591be50";

    #[test]
    fn records_become_facts_evidence_with_positions() {
        let text = format!(
            r#"{{"records": [{{"spki_sha256": "{KEY}"}}, {{"spki_sha256": "{KEY}", "serial": "RR0y", "name": "x.pem", "cert_sha1": "{}", "not_after": "2050-02-28T05:39:51Z"}}]}}"#,
            "ab".repeat(20)
        );
        let records = parse(&text).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].0.to_hex(), KEY);
        assert_eq!(records[0].1.position, Some(1));
        assert_eq!(records[0].1.file, "a/facts.json");
        assert_eq!(records[1].1.kind, EvidenceKind::Facts);
        assert_eq!(records[1].1.serial.as_ref().unwrap().to_hex(), "451d32");
        assert_eq!(records[1].1.name.as_deref(), Some("x.pem"));
        assert_eq!(
            records[1].1.not_after.unwrap().to_string(),
            "2050-02-28T05:39:51Z"
        );
    }

    #[test]
    fn unknown_fields_and_bad_values_are_located() {
        let e = parse(&format!(
            "{{\"records\": [\n  {{\"spki_sha256\": \"{KEY}\", \"colour\": 1}}\n]}}"
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("colour"), "{e}");
        let e = parse(&format!(
            "{{\"records\": [{{\"spki_sha256\": \"{KEY}\", \"cert_md5\": \"abcd\"}}]}}"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("32 hex digits"), "{e}");
        let e = parse("{\"records\": [], \"x\": 1}").unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
        let e = parse("{\"records\": []}").unwrap_err();
        assert_eq!(e.kind, ProblemKind::FactsEmpty);
        let e = parse("{\"records\": [{\"spki_sha256\": \"abc\"}]}").unwrap_err();
        assert!(e.to_string().contains("64 hex digits"), "{e}");
    }
}

#[cfg(test)]
mod parallel_tests {
    use super::*;

    /// A facts.json of `n` records, some with names that hold what looks like a record boundary.
    fn big(n: usize, bad_at: Option<usize>) -> String {
        let mut text = String::from("{ \"records\" :\n[");
        for i in 0..n {
            if i > 0 {
                text.push_str(if i % 3 == 0 { ",\n" } else { " , " });
            }
            let name = match i % 5 {
                0 => format!("k{i} }}, {{\\\"spki_sha256\\\": \\\"x\\\"}}"),
                1 => format!("k{i} }},{{"),
                _ => format!("key {i}"),
            };
            let extra = if bad_at == Some(i) {
                ", \"colour\": 1"
            } else {
                ""
            };
            text.push_str(&format!(
                "{{\"spki_sha256\": \"{:064x}\", \"name\": \"{name}\"{extra}}}",
                i * 7919
            ));
        }
        text.push_str("]\n}\n");
        text
    }

    fn items_of(text: &str) -> Result<Vec<(Sha256Hash, Evidence)>, Problem> {
        parse_facts(
            Path::new("s/a/facts.json"),
            "a/facts.json",
            &"a".parse().unwrap(),
            text.as_bytes(),
        )
    }

    #[test]
    fn large_files_read_in_pieces_give_what_one_reading_gives() {
        let text = big(120_000, None);
        assert!(text.len() > 2 * PARALLEL_BYTES, "{}", text.len());
        let body = plain_body(text.as_bytes()).expect("the plain form");
        assert!(cut_points(body).len() >= 2);
        let context = RecordContext {
            file: "a/facts.json",
            incident: &"a".parse().unwrap(),
            file_index: 0,
            capacity: 0,
        };
        let whole = parse_streamed(&context, text.as_bytes()).unwrap();
        let pieces = parse_in_parallel(&context, body).unwrap();
        assert_eq!(whole.len(), 120_000);
        assert_eq!(pieces.len(), whole.len());
        for (a, b) in whole.iter().zip(&pieces) {
            assert_eq!(a.spki_sha256, b.spki_sha256);
            assert_eq!(a.evidence, b.evidence);
        }
        let records = items_of(&text).unwrap();
        assert_eq!(records[99_999].1.position, Some(100_000));
        assert_eq!(
            records[5].1.name.as_deref(),
            Some("k5 }, {\"spki_sha256\": \"x\"}")
        );
    }

    #[test]
    fn record_boundaries_inside_strings_are_never_cuts() {
        // One name, longer than a piece, full of `}, {"a` (escaped inside the string).
        let name = "}, {\\\"a".repeat(2 << 20);
        let text = format!(
            "{{\"records\": [{{\"spki_sha256\": \"{}\", \"name\": \"{name}\"}}, {{\"spki_sha256\": \"{}\"}}]}}",
            "ab".repeat(32),
            "cd".repeat(32)
        );
        let body = plain_body(text.as_bytes()).unwrap();
        let last = body.windows(4).rposition(|w| w == b"}, {").unwrap();
        assert_eq!(cut_points(body), vec![last + 1]);
        let records = items_of(&text).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[0].1.name.as_deref(),
            Some("}, {\"a".repeat(2 << 20).as_str())
        );
        assert_eq!(records[1].1.position, Some(2));
    }

    #[test]
    fn errors_in_large_files_are_located_as_in_one_reading() {
        let text = big(120_000, Some(100_001));
        let plain = serde_json::from_slice::<FactsFile>(text.as_bytes())
            .err()
            .unwrap();
        let e = items_of(&text).unwrap_err();
        assert_eq!(
            (e.line, e.column),
            (Some(plain.line()), Some(plain.column()))
        );
        assert!(e.to_string().contains("colour"), "{e}");
        // Other forms than the plain one are read whole, with the same errors.
        let other = text.replacen("{ \"records\"", "{\"x\": 1, \"records\"", 1);
        let e = items_of(&other).unwrap_err();
        assert!(e.to_string().contains("unknown field `x`"), "{e}");
    }

    #[test]
    fn hex_is_read_as_the_list_reads_it() {
        let mut state = 1u64;
        for round in 0..20_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let alphabet = b"0123456789abcdefABCDEFxg -";
            let len = if round % 10 == 0 {
                (state >> 60) as usize + 60
            } else {
                64
            };
            let text: String = (0..len)
                .map(|i| {
                    let r = state.rotate_left(i as u32 * 7) ^ (i as u64).wrapping_mul(0x9E37);
                    // Mostly hex digits, sometimes a byte that is not one.
                    let pick = if r % 97 == 0 {
                        22 + (r >> 8) % 4
                    } else {
                        (r >> 8) % 22
                    };
                    char::from(alphabet[pick as usize])
                })
                .collect();
            assert_eq!(
                hex32(text.as_bytes()),
                text.parse::<Sha256Hash>().ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn the_plain_form_is_recognised_exactly() {
        assert_eq!(
            plain_body(b" {\n\"records\" : [ 1 ]\t}\n"),
            Some(&b" 1 "[..])
        );
        assert_eq!(plain_body(b"{\"records\": []}"), Some(&b""[..]));
        assert_eq!(plain_body(b"{\"records\": [], \"x\": 1}"), None);
        assert_eq!(plain_body(b"[[]]"), None);
        assert_eq!(plain_body(b"{\"records\": [}"), None);
    }
}
