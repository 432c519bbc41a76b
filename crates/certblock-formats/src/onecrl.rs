//! Mozilla OneCRL (`generated/onecrl.json`): Remote Settings records revoking certificates.
//!
//! The file is `{"data": [record, ...]}` as Firefox ships its dump. A record revokes either by
//! `issuerName` and `serialNumber` (base64 DER Name and base64 INTEGER content bytes) or by
//! `subject` and `pubKeyHash` (base64 DER Name and base64 SHA-256 of the SubjectPublicKeyInfo),
//! and carries `details` (bug, who, why, name, created), an `id` and `enabled`.
//!
//! certblock writes, per entry, one subject+key record for each distinct subject it knows, and
//! one issuer+serial record for each certificate or facts record giving both. Ids are derived
//! from the record's content, never random; `schema`, `last_modified` and `timestamp` are 0, so
//! the file carries no time. A bare key (no subject, no issuer and serial) cannot be revoked by
//! OneCRL, and a known-interception key is a label, not a revocation: both are returned as
//! [`crate::Unexpressed`] and listed under the top-level `certblock` key, which Remote Settings
//! consumers ignore (they read only `data`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use certblock_list::{Action, Blocklist, Entry, Evidence, GENERATED_NOTICE, Sha256Hash};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::encoding::{b64, b64_decode, content_uuid, hex};
use crate::{FormatError, Rendered, Unexpressed};

/// The file name inside `generated/`.
pub const FILE_NAME: &str = "onecrl.json";

/// The most records a file may hold; more is refused rather than read.
pub const MAX_RECORDS: usize = 1_000_000;

/// A whole OneCRL file, as read.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct OneCrl {
    /// The records, in file order.
    pub records: Vec<Record>,
    /// The top-level `timestamp` of a Remote Settings dump, when present.
    pub timestamp: Option<u64>,
    /// certblock's own top-level note, in files certblock wrote.
    pub certblock: Option<Note>,
}

/// One OneCRL record.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
pub struct Record {
    /// What the record revokes.
    pub target: Target,
    /// `id`.
    pub id: String,
    /// `enabled` (Firefox applies only enabled records).
    pub enabled: Option<bool>,
    /// `details`.
    pub details: Option<Details>,
    /// `schema`, when present.
    pub schema: Option<u64>,
    /// `last_modified`, when present.
    pub last_modified: Option<u64>,
}

/// What a record revokes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// Every certificate with this issuer and serial number.
    IssuerSerial {
        /// `issuerName`: the DER issuer Name.
        #[serde(serialize_with = "crate::encoding::ser_b64")]
        issuer_name: Vec<u8>,
        /// `serialNumber`: the INTEGER content bytes.
        #[serde(serialize_with = "crate::encoding::ser_hex")]
        serial_number: Vec<u8>,
    },
    /// Every certificate with this subject and key.
    SubjectKey {
        /// `subject`: the DER subject Name.
        #[serde(serialize_with = "crate::encoding::ser_b64")]
        subject: Vec<u8>,
        /// `pubKeyHash`: the SPKI SHA-256.
        pub_key_hash: Sha256Hash,
    },
}

/// A record's `details`; each field may be absent or null upstream.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Default, Serialize, Deserialize)]
pub struct Details {
    /// `bug`: a link to the bug or write-up.
    #[serde(default)]
    pub bug: Option<String>,
    /// `created`: when the record was made (certblock: the incident's `added` date).
    #[serde(default)]
    pub created: Option<String>,
    /// `name`: what is revoked.
    #[serde(default)]
    pub name: Option<String>,
    /// `who`: who asked.
    #[serde(default)]
    pub who: Option<String>,
    /// `why`: the reason.
    #[serde(default)]
    pub why: Option<String>,
}

/// certblock's top-level `certblock` object: the notice, and what could not be expressed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Note {
    /// The `@generated` notice.
    pub generated: String,
    /// The list's sequence number.
    pub sequence: u64,
    /// Entries OneCRL cannot express, grouped by reason (reasons in sorted order).
    pub not_expressible: Vec<NotExpressible>,
}

/// The entries of [`Note::not_expressible`] that share one reason.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotExpressible {
    /// Why OneCRL cannot carry these entries.
    pub reason: String,
    /// How many entries follow.
    pub count: usize,
    /// The entries, in list order.
    pub entries: Vec<UnexpressedKey>,
}

/// One entry OneCRL cannot express: its key and first incident.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnexpressedKey {
    /// The entry's key.
    pub spki_sha256: Sha256Hash,
    /// Its first incident.
    pub incident: String,
}

/// Bytes written as base64 in the file.
struct B64(Vec<u8>);

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        b64_decode(&s).map(B64).map_err(serde::de::Error::custom)
    }
}

impl Serialize for B64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64(&self.0))
    }
}

/// A record as it is in the file; the field order is the key order written.
#[derive(Serialize, Deserialize)]
struct RawRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    details: Option<Details>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    id: String,
    #[serde(
        rename = "issuerName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    issuer_name: Option<B64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<u64>,
    #[serde(
        rename = "pubKeyHash",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub_key_hash: Option<B64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schema: Option<u64>,
    #[serde(
        rename = "serialNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    serial_number: Option<B64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<B64>,
}

impl TryFrom<RawRecord> for Record {
    type Error = String;

    fn try_from(raw: RawRecord) -> Result<Self, Self::Error> {
        let id = raw.id;
        let target = match (
            raw.issuer_name,
            raw.serial_number,
            raw.subject,
            raw.pub_key_hash,
        ) {
            (Some(issuer), Some(serial), None, None) => Target::IssuerSerial {
                issuer_name: issuer.0,
                serial_number: serial.0,
            },
            (None, None, Some(subject), Some(hash)) => {
                let len = hash.0.len();
                let key: [u8; 32] = hash.0.try_into().map_err(|_| {
                    format!("record {id:?}: pubKeyHash is {len} bytes; a SHA-256 is 32")
                })?;
                Target::SubjectKey {
                    subject: subject.0,
                    pub_key_hash: Sha256Hash(key),
                }
            }
            _ => {
                return Err(format!(
                    "record {id:?} must have either issuerName and serialNumber, or subject and \
                     pubKeyHash (and not both)"
                ));
            }
        };
        Ok(Record {
            target,
            id,
            enabled: raw.enabled,
            details: raw.details,
            schema: raw.schema,
            last_modified: raw.last_modified,
        })
    }
}

impl From<&Record> for RawRecord {
    fn from(r: &Record) -> Self {
        let (issuer_name, serial_number, subject, pub_key_hash) = match &r.target {
            Target::IssuerSerial {
                issuer_name,
                serial_number,
            } => (
                Some(B64(issuer_name.clone())),
                Some(B64(serial_number.clone())),
                None,
                None,
            ),
            Target::SubjectKey {
                subject,
                pub_key_hash,
            } => (
                None,
                None,
                Some(B64(subject.clone())),
                Some(B64(pub_key_hash.0.to_vec())),
            ),
        };
        RawRecord {
            details: r.details.clone(),
            enabled: r.enabled,
            id: r.id.clone(),
            issuer_name,
            last_modified: r.last_modified,
            pub_key_hash,
            schema: r.schema,
            serial_number,
            subject,
        }
    }
}

/// A record read from the file, checked on the spot so errors carry line and column.
struct CheckedRecord(Record);

impl<'de> Deserialize<'de> for CheckedRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawRecord::deserialize(d)?;
        Record::try_from(raw)
            .map(CheckedRecord)
            .map_err(serde::de::Error::custom)
    }
}

/// The records array, refusing more than [`MAX_RECORDS`].
struct Records(Vec<Record>);

impl<'de> Deserialize<'de> for Records {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Records;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of OneCRL records")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Records, A::Error> {
                let mut out = Vec::new();
                while let Some(CheckedRecord(r)) = seq.next_element()? {
                    if out.len() >= MAX_RECORDS {
                        return Err(serde::de::Error::custom(format!(
                            "more than {MAX_RECORDS} records"
                        )));
                    }
                    out.push(r);
                }
                Ok(Records(out))
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Deserialize)]
struct InFile {
    data: Records,
    #[serde(default)]
    timestamp: Option<u64>,
    #[serde(default)]
    certblock: Option<Note>,
}

#[derive(Serialize)]
struct OutFile<'a> {
    certblock: &'a Note,
    data: Vec<RawRecord>,
    timestamp: u64,
}

/// Reads a OneCRL file (`{"data": [...]}`, other top-level keys ignored but `timestamp` and
/// `certblock`). Errors name the line and column.
pub fn read(bytes: &[u8]) -> Result<OneCrl, FormatError> {
    let file: InFile = serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        FormatError::OneCrl {
            line: e.line(),
            column: e.column(),
            problem: message
                .strip_suffix(&suffix)
                .unwrap_or(&message)
                .to_string(),
        }
    })?;
    Ok(OneCrl {
        records: file.data.0,
        timestamp: file.timestamp,
        certblock: file.certblock,
    })
}

/// Why an entry cannot be said in OneCRL, if it cannot.
fn unexpressible(entry: &Entry) -> Option<&'static str> {
    if entry.action == Action::KnownInterception {
        return Some("known-interception is a label, not a revocation, and OneCRL only revokes");
    }
    let any = entry
        .evidence
        .iter()
        .any(|e| e.subject_der.is_some() || (e.issuer_der.is_some() && e.serial.is_some()));
    if any {
        None
    } else {
        Some(
            "a bare key: no subject name and no issuer and serial number are known, and OneCRL \
             revokes by subject and key or by issuer and serial",
        )
    }
}

fn details(list: &Blocklist, ev: &Evidence) -> Details {
    let incident = list.incident(&ev.incident);
    Details {
        bug: Some(
            incident
                .and_then(|i| i.references.first().cloned())
                .unwrap_or_default(),
        ),
        created: Some(
            incident
                .and_then(|i| i.added)
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        name: Some(format!("{}: {}", ev.incident, ev.display_name())),
        who: Some("certblock".to_string()),
        why: Some(incident.map(|i| i.title.clone()).unwrap_or_default()),
    }
}

fn record(target: Target, list: &Blocklist, ev: &Evidence) -> Record {
    let id = match &target {
        Target::IssuerSerial {
            issuer_name,
            serial_number,
        } => content_uuid(&[
            b"certblock-onecrl/1",
            b"issuer-serial",
            issuer_name,
            serial_number,
        ]),
        Target::SubjectKey {
            subject,
            pub_key_hash,
        } => content_uuid(&[
            b"certblock-onecrl/1",
            b"subject-key",
            subject,
            pub_key_hash.as_bytes(),
        ]),
    };
    Record {
        target,
        id,
        enabled: Some(true),
        details: Some(details(list, ev)),
        schema: Some(0),
        last_modified: Some(0),
    }
}

/// Every record of the file, in file order, with the entry each comes from.
struct Plan {
    records: Vec<(Sha256Hash, Record)>,
    expressed: BTreeSet<Sha256Hash>,
    unexpressed: Vec<Unexpressed>,
}

fn plan(list: &Blocklist) -> Plan {
    let mut records = Vec::new();
    let mut expressed = BTreeSet::new();
    let mut unexpressed = Vec::new();
    let mut seen_pairs: BTreeSet<(&[u8], &[u8])> = BTreeSet::new();
    for entry in &list.entries {
        let key = entry.spki_sha256;
        if let Some(reason) = unexpressible(entry) {
            unexpressed.push(Unexpressed {
                spki_sha256: key,
                reason,
            });
            continue;
        }
        expressed.insert(key);
        let mut seen_subjects: BTreeSet<&[u8]> = BTreeSet::new();
        for ev in &entry.evidence {
            if let Some(subject) = &ev.subject_der {
                if seen_subjects.insert(&subject.0) {
                    let target = Target::SubjectKey {
                        subject: subject.0.clone(),
                        pub_key_hash: key,
                    };
                    records.push((key, record(target, list, ev)));
                }
            }
        }
        for ev in &entry.evidence {
            if let (Some(issuer), Some(serial)) = (&ev.issuer_der, &ev.serial) {
                if seen_pairs.insert((&issuer.0, &serial.0)) {
                    let target = Target::IssuerSerial {
                        issuer_name: issuer.0.clone(),
                        serial_number: serial.0.clone(),
                    };
                    records.push((key, record(target, list, ev)));
                }
            }
        }
    }
    Plan {
        records,
        expressed,
        unexpressed,
    }
}

fn note(list: &Blocklist, unexpressed: &[Unexpressed]) -> Note {
    Note {
        generated: GENERATED_NOTICE.to_string(),
        sequence: list.sequence,
        not_expressible: crate::group_by_reason(list, unexpressed)
            .into_iter()
            .map(|group| NotExpressible {
                reason: group.reason.to_string(),
                count: group.keys.len(),
                entries: group
                    .keys
                    .into_iter()
                    .map(|(spki_sha256, incident)| UnexpressedKey {
                        spki_sha256,
                        incident: incident.to_string(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Writes the OneCRL file of a list: pretty-printed JSON, records in list order.
pub fn render(list: &Blocklist) -> Rendered {
    let plan = plan(list);
    let note = note(list, &plan.unexpressed);
    let file = OutFile {
        certblock: &note,
        data: plan
            .records
            .iter()
            .map(|(_, r)| RawRecord::from(r))
            .collect(),
        timestamp: 0,
    };
    let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
    bytes.push(b'\n');
    Rendered {
        bytes,
        unexpressed: plan.unexpressed,
    }
}

/// What a OneCRL file says, independent of layout: the records, sorted.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Contents {
    /// Every record, sorted by target.
    pub records: Vec<Record>,
}

/// What the OneCRL file of a list must hold, and which entries it carries.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Expected {
    /// The records the file must hold.
    pub contents: Contents,
    /// For each record target, the entry (SPKI SHA-256) it comes from.
    pub owner: BTreeMap<Target, Sha256Hash>,
    /// Keys of the entries the file carries.
    pub expressed: BTreeSet<Sha256Hash>,
    /// Entries it cannot carry, with the reason.
    pub unexpressed: Vec<Unexpressed>,
}

/// What the OneCRL file of a list must contain.
pub fn expected(list: &Blocklist) -> Expected {
    let plan = plan(list);
    let owner = plan
        .records
        .iter()
        .map(|(k, r)| (r.target.clone(), *k))
        .collect();
    let mut records: Vec<Record> = plan.records.into_iter().map(|(_, r)| r).collect();
    records.sort();
    Expected {
        contents: Contents { records },
        owner,
        expressed: plan.expressed,
        unexpressed: plan.unexpressed,
    }
}

/// What a parsed file says, in the form [`expected`] predicts.
pub fn contents(parsed: &OneCrl) -> Contents {
    let mut records = parsed.records.clone();
    records.sort();
    Contents { records }
}

fn describe(target: &Target) -> String {
    match target {
        Target::IssuerSerial {
            issuer_name,
            serial_number,
        } => format!("issuer {} serial {}", b64(issuer_name), hex(serial_number)),
        Target::SubjectKey {
            subject,
            pub_key_hash,
        } => {
            format!("subject {} with SPKI SHA-256 {pub_key_hash}", b64(subject))
        }
    }
}

/// Reads `bytes` back and reports every record of an expressible entry that is missing or
/// altered, every record that should not be there, and a `certblock` note that does not list
/// exactly the entries OneCRL cannot express.
pub fn verify(list: &Blocklist, bytes: &[u8]) -> Result<(), Vec<String>> {
    // Reading the file and working out what it must hold are independent: both at once.
    let (parsed, want) = rayon::join(|| read(bytes), || expected(list));
    let parsed = parsed.map_err(|e| vec![e.to_string()])?;
    let mut problems = Vec::new();
    let mut got: BTreeMap<&Target, &Record> = BTreeMap::new();
    for r in &parsed.records {
        if got.insert(&r.target, r).is_some() {
            problems.push(format!("{} has more than one record", describe(&r.target)));
        }
    }
    for r in &want.contents.records {
        let owner = want
            .owner
            .get(&r.target)
            .copied()
            .unwrap_or(Sha256Hash([0; 32]));
        match got.remove(&r.target) {
            None => problems.push(format!(
                "SPKI SHA-256 {owner}: the record for {} is missing",
                describe(&r.target)
            )),
            Some(found) if found != r => problems.push(format!(
                "SPKI SHA-256 {owner}: the record for {} is altered (id, enabled or details differ)",
                describe(&r.target)
            )),
            Some(_) => {}
        }
    }
    for (target, r) in got {
        problems.push(format!(
            "record {} for {} is not in the list (extra)",
            r.id,
            describe(target)
        ));
    }
    let want_note = note(list, &want.unexpressed);
    if parsed.certblock.as_ref() != Some(&want_note) {
        problems.push(
            "the top-level certblock note is missing or does not list exactly the entries OneCRL \
             cannot express"
                .to_string(),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// A human-readable listing: counts, then one line per record.
pub fn dump(parsed: &OneCrl) -> String {
    let mut out = String::new();
    let issuer_serial = parsed
        .records
        .iter()
        .filter(|r| matches!(r.target, Target::IssuerSerial { .. }))
        .count();
    let enabled = parsed
        .records
        .iter()
        .filter(|r| r.enabled == Some(true))
        .count();
    let _ = writeln!(
        out,
        "{} records: {issuer_serial} issuer+serial, {} subject+key; {enabled} enabled",
        parsed.records.len(),
        parsed.records.len() - issuer_serial
    );
    if let Some(t) = parsed.timestamp {
        let _ = writeln!(out, "timestamp: {t}");
    }
    if let Some(n) = &parsed.certblock {
        let _ = writeln!(out, "certblock: {} (sequence {})", n.generated, n.sequence);
        for group in &n.not_expressible {
            let _ = writeln!(
                out,
                "not expressible: {} ({} entries):",
                group.reason, group.count
            );
            for u in &group.entries {
                let _ = writeln!(out, "  SPKI SHA-256 {} ({})", u.spki_sha256, u.incident);
            }
        }
    }
    for r in &parsed.records {
        let state = match r.enabled {
            Some(true) => "enabled",
            Some(false) => "disabled",
            None => "enabled?",
        };
        let why = r
            .details
            .as_ref()
            .map(|d| {
                let mut parts = Vec::new();
                for v in [&d.name, &d.why, &d.bug].into_iter().flatten() {
                    if !v.is_empty() {
                        parts.push(v.as_str());
                    }
                }
                parts.join(" | ")
            })
            .unwrap_or_default();
        match &r.target {
            Target::IssuerSerial {
                issuer_name,
                serial_number,
            } => {
                let _ = writeln!(
                    out,
                    "{} {state}: issuer+serial: serial {} issuer {} {why}",
                    r.id,
                    hex(serial_number),
                    b64(issuer_name)
                );
            }
            Target::SubjectKey {
                subject,
                pub_key_hash,
            } => {
                let _ = writeln!(
                    out,
                    "{} {state}: subject+key: SPKI SHA-256 {pub_key_hash} subject {} {why}",
                    r.id,
                    b64(subject)
                );
            }
        }
    }
    out
}
