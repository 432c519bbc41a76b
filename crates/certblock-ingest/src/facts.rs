//! `facts.json`: keys known by their hashes and names, without the certificate itself.

use std::path::Path;

use certblock_list::{
    Base64Bytes, Evidence, EvidenceKind, HexBytes, IncidentId, Sha256Hash, Timestamp,
};
use serde::{Deserialize, Deserializer};

use crate::error::{Problem, ProblemKind};
use crate::json::json_problem;

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

/// One record, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactsRecord {
    spki_sha256: Sha256Hash,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    cert_sha256: Option<Sha256Hash>,
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
    let parsed: FactsFile = serde_json::from_slice(bytes)
        .map_err(|e| json_problem(path, &e, |message| ProblemKind::FactsJson { message }))?;
    if parsed.records.is_empty() {
        return Err(Problem::new(path, ProblemKind::FactsEmpty));
    }
    let records = parsed.records.into_iter().enumerate().map(|(index, r)| {
        let position = u32::try_from(index + 1).ok();
        let mut ev = Evidence::new(
            incident.clone(),
            file.to_string(),
            position,
            EvidenceKind::Facts,
        );
        ev.name = r.name;
        ev.cert_sha256 = r.cert_sha256;
        ev.subject = r.subject;
        ev.issuer = r.issuer;
        ev.subject_der = r.subject_der;
        ev.issuer_der = r.issuer_der;
        ev.serial = r.serial.map(|b| HexBytes(b.0));
        ev.not_before = r.not_before;
        ev.not_after = r.not_after;
        ev.cert_sha1 = r.cert_sha1.map(|h| HexBytes(h.0));
        ev.cert_md5 = r.cert_md5.map(|h| HexBytes(h.0));
        (r.spki_sha256, ev)
    });
    Ok(records.collect())
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
