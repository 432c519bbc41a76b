//! The list's data model: incidents, entries keyed by SPKI SHA-256, and the evidence behind them.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Base64Bytes, Date, HexBytes, Sha256Hash, Timestamp};

/// What browsers do with a key; the three values map onto Chromium's two arrays.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Refuse any chain containing the key (Chromium's `kSPKIBlockList`).
    Block,
    /// Label chains containing the key as intercepted, without refusing them
    /// (Chromium's `kKnownInterceptionList`).
    KnownInterception,
    /// Both: refuse, and say it is a known interception key (in both of Chromium's arrays).
    BlockedInterception,
}

impl Action {
    /// Every action, in the order used for counts and reports.
    pub const ALL: [Action; 3] = [
        Action::Block,
        Action::KnownInterception,
        Action::BlockedInterception,
    ];

    /// The spelling used in `incident.json` and `blocklist.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::KnownInterception => "known-interception",
            Action::BlockedInterception => "blocked-interception",
        }
    }

    /// Whether chains with this key are refused (Chromium's block list).
    pub fn is_blocked(self) -> bool {
        matches!(self, Action::Block | Action::BlockedInterception)
    }

    /// Whether this key is a known interception key (Chromium's known-interception list).
    pub fn is_known_interception(self) -> bool {
        matches!(
            self,
            Action::KnownInterception | Action::BlockedInterception
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an incident happened, for grouping and reporting.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A CA or its infrastructure was broken into.
    Compromise,
    /// A CA issued what it should not have.
    Misissuance,
    /// A private key was published or shipped (Superfish, eDellRoot, ...).
    KeyLeak,
    /// A root used to intercept TLS traffic (the Kazakhstan roots, ...).
    Interception,
    /// Keys blocked for testing (badssl.com, ...).
    Test,
    /// Anything else.
    Other,
}

impl Category {
    /// The spelling used in `incident.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Compromise => "compromise",
            Category::Misissuance => "misissuance",
            Category::KeyLeak => "key-leak",
            Category::Interception => "interception",
            Category::Test => "test",
            Category::Other => "other",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An incident's identifier: the name of its folder under `sources/`.
///
/// Lowercase ASCII letters, digits and `-`, starting with a letter or digit, at most 64
/// characters, so that it is safe in file names, Rust string literals and C++ comments.
///
/// Every piece of evidence and every entry names its incident, so the text is shared, not
/// copied: a clone costs no allocation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct IncidentId(std::sync::Arc<str>);

impl IncidentId {
    /// The identifier as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for IncidentId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if s.is_empty() || s.len() > 64 || !s.chars().all(ok_char) || s.starts_with('-') {
            return Err(format!(
                "{s:?} is not a valid incident id: use 1 to 64 lowercase letters, digits and '-', \
                 not starting with '-'"
            ));
        }
        Ok(IncidentId(std::sync::Arc::from(s)))
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for IncidentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for IncidentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One incident: why a set of keys is distrusted. Read from `sources/<id>/incident.json`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    /// The folder name under `sources/`.
    pub id: IncidentId,
    /// A short human title ("Qaznet Trust Network interception root").
    pub title: String,
    /// What kind of incident it was.
    pub category: Category,
    /// What happens to every key of the incident.
    pub action: Action,
    /// When the keys were added to browsers' lists, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<Date>,
    /// When set, the incident's keys distrust only certificates issued after this instant:
    /// a chain is refused only when its leaf's notBefore is strictly later (the way NSS's
    /// `CKA_NSS_SERVER_DISTRUST_AFTER` and Chromium's dated distrusts work). Absent: every
    /// chain with the key is affected, whatever its dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distrust_after: Option<Timestamp>,
    /// Public write-ups of the incident.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// What happened, in the project's own words.
    pub summary: String,
}

/// What a piece of evidence is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    /// A certificate (PEM or DER) whose SubjectPublicKeyInfo is the blocked key.
    Certificate,
    /// A bare public key (PEM `PUBLIC KEY` or DER SubjectPublicKeyInfo).
    PublicKey,
    /// A record of `facts.json`: hashes and names known without the certificate.
    Facts,
}

impl fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EvidenceKind::Certificate => "certificate",
            EvidenceKind::PublicKey => "public key",
            EvidenceKind::Facts => "facts",
        })
    }
}

/// One piece of evidence for an entry: a certificate, a key or a facts record, with what is
/// known from it. Fields a piece of evidence cannot supply are absent.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The incident whose folder holds this evidence.
    pub incident: IncidentId,
    /// The file, relative to `sources/`, with `/` separators.
    pub file: String,
    /// Position within the file, from 1: the block of a PEM bundle or the record of `facts.json`.
    /// Absent when the file holds exactly one item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    /// What the evidence is.
    pub kind: EvidenceKind,
    /// The upstream name of the evidence, where it differs from `file` (for facts: the name of
    /// Chromium's evidence file, such as `00309c73...dbd2.pem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// SHA-256 of the whole DER certificate (the certificate fingerprint, not the key hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_sha256: Option<Sha256Hash>,
    /// Subject distinguished name, RFC 4514 style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Issuer distinguished name, RFC 4514 style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Serial number: the INTEGER content bytes exactly as encoded, in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<HexBytes>,
    /// Start of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Timestamp>,
    /// End of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<Timestamp>,
    /// The exact DER bytes of the subject Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_der: Option<Base64Bytes>,
    /// The exact DER bytes of the issuer Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_der: Option<Base64Bytes>,
    /// SHA-1 of the DER certificate (NSS trust objects carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_sha1: Option<HexBytes>,
    /// MD5 of the DER certificate (NSS trust objects carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_md5: Option<HexBytes>,
    /// The DER certificate itself, for certificate evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Base64Bytes>,
    /// The DER SubjectPublicKeyInfo itself, for public-key evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<Base64Bytes>,
}

impl Evidence {
    /// An evidence record with only its place and kind filled in.
    pub fn new(
        incident: IncidentId,
        file: String,
        position: Option<u32>,
        kind: EvidenceKind,
    ) -> Self {
        Evidence {
            incident,
            file,
            position,
            kind,
            name: None,
            cert_sha256: None,
            subject: None,
            issuer: None,
            serial: None,
            not_before: None,
            not_after: None,
            subject_der: None,
            issuer_der: None,
            cert_sha1: None,
            cert_md5: None,
            certificate: None,
            public_key: None,
        }
    }

    /// Where the evidence is, for messages and comments: `file` or `file#position`.
    pub fn location(&self) -> String {
        match self.position {
            Some(p) => format!("{}#{p}", self.file),
            None => self.file.clone(),
        }
    }

    /// The name to show for the evidence: the upstream name if any (borrowed), else its location.
    pub fn display_name(&self) -> std::borrow::Cow<'_, str> {
        match &self.name {
            Some(name) => std::borrow::Cow::Borrowed(name),
            None => std::borrow::Cow::Owned(self.location()),
        }
    }

    /// The order evidence is kept in within an entry: by incident, then file, then position.
    pub fn sort_key(&self) -> (&IncidentId, &str, Option<u32>) {
        (&self.incident, &self.file, self.position)
    }
}

/// One blocked (or labelled) key and everything known about it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// SHA-256 of the exact DER SubjectPublicKeyInfo: the key of the entry.
    pub spki_sha256: Sha256Hash,
    /// What browsers do with the key.
    pub action: Action,
    /// The incidents that list the key, sorted; the first is the one the runtime names.
    #[serde(deserialize_with = "crate::small_vec::deserialize")]
    pub incidents: Vec<IncidentId>,
    /// The `distrust_after` of the entry's incidents (they must all agree): the key distrusts
    /// only chains whose leaf notBefore is strictly later. Absent: always distrusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distrust_after: Option<Timestamp>,
    /// Every piece of evidence, sorted by incident, file and position; never empty.
    #[serde(deserialize_with = "crate::small_vec::deserialize")]
    pub evidence: Vec<Evidence>,
}

impl Entry {
    /// The incident the runtime table names for this key (the first, in sorted order).
    pub fn primary_incident(&self) -> &IncidentId {
        &self.incidents[0]
    }

    /// The first subject name any evidence gives, for display.
    pub fn subject(&self) -> Option<&str> {
        self.evidence.iter().find_map(|e| e.subject.as_deref())
    }

    /// Every distinct certificate SHA-256 the evidence gives, sorted.
    pub fn cert_sha256s(&self) -> Vec<Sha256Hash> {
        let mut out: Vec<Sha256Hash> = self.evidence.iter().filter_map(|e| e.cert_sha256).collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Entry counts per action.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ActionCounts {
    /// Entries with [`Action::Block`].
    pub block: usize,
    /// Entries with [`Action::KnownInterception`].
    pub known_interception: usize,
    /// Entries with [`Action::BlockedInterception`].
    pub blocked_interception: usize,
}

/// The whole canonical list: what `generated/blocklist.json` holds.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Blocklist {
    /// Increases by one exactly when incidents or entries change; derived from the previous
    /// committed list, never from the clock.
    pub sequence: u64,
    /// Digest of the `sources/` tree the list was built from (see [`crate::digest`]).
    pub source_digest: Sha256Hash,
    /// Every incident, sorted by id.
    pub incidents: Vec<Incident>,
    /// Every entry, sorted by SPKI SHA-256, each key once.
    pub entries: Vec<Entry>,
}

impl Blocklist {
    /// The entry for a key, if listed.
    pub fn entry(&self, spki_sha256: &Sha256Hash) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.spki_sha256.cmp(spki_sha256))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The incident with this id, if any.
    pub fn incident(&self, id: &IncidentId) -> Option<&Incident> {
        self.incidents
            .binary_search_by(|i| i.id.cmp(id))
            .ok()
            .map(|i| &self.incidents[i])
    }

    /// Entry counts per action.
    pub fn counts(&self) -> ActionCounts {
        let mut counts = ActionCounts::default();
        for entry in &self.entries {
            match entry.action {
                Action::Block => counts.block += 1,
                Action::KnownInterception => counts.known_interception += 1,
                Action::BlockedInterception => counts.blocked_interception += 1,
            }
        }
        counts
    }

    /// Whether two lists say the same thing (incidents and entries), whatever their sequence
    /// numbers and source digests.
    pub fn same_content(&self, other: &Blocklist) -> bool {
        self.incidents == other.incidents && self.entries == other.entries
    }

    /// Sets `sequence` from the previously committed list: kept when nothing changed, one more
    /// when something did (at most `u64::MAX`: `generate` refuses to follow that one, see
    /// [`Blocklist::sequence_after_text`]), 1 for the first list.
    pub fn sequence_after(&mut self, previous: Option<&Blocklist>) {
        self.sequence = match previous {
            None => 1,
            Some(prev) if prev.same_content(self) => prev.sequence,
            Some(prev) => prev.sequence.saturating_add(1),
        };
    }

    /// Checks every invariant of the list and returns all violations found.
    ///
    /// Invariants: incidents sorted by id, unique; entries sorted by key, unique; every entry has
    /// at least one incident and one piece of evidence; an entry's incidents exist, are sorted and
    /// carry the entry's action; evidence belongs to one of the entry's incidents; a certificate
    /// hashes to its `cert_sha256`; a public key hashes to the entry's key; an entry's
    /// `distrust_after` equals the one of each of its incidents, and none is before 1970.
    ///
    /// [`Blocklist::validate_list`] and [`Blocklist::validate_entry`] are its two halves, for a
    /// caller that checks entries on several threads (ingest does): `validate` is exactly
    /// `validate_list` followed by `validate_entry` of every entry, in order.
    ///
    /// The entries are checked on every core; problems come in list order all the same.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        use rayon::prelude::*;

        let mut problems = self.validate_list();
        let per_batch: Vec<Vec<String>> = self
            .entries
            .par_chunks(4096)
            .map(|batch| batch.iter().flat_map(|e| self.validate_entry(e)).collect())
            .collect();
        problems.extend(per_batch.into_iter().flatten());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The invariants of [`Blocklist::validate`] about the list as a whole (incidents sorted,
    /// unique and dated after 1970, entries sorted and unique); every violation, in order.
    pub fn validate_list(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for pair in self.incidents.windows(2) {
            if pair[0].id >= pair[1].id {
                problems.push(format!(
                    "incidents are not sorted and unique: {} before {}",
                    pair[0].id, pair[1].id
                ));
            }
        }
        for incident in &self.incidents {
            if let Some(t) = incident.distrust_after {
                if t.to_unix_seconds() < 0 {
                    problems.push(format!(
                        "incident {} has distrust_after {t}, before 1970-01-01T00:00:00Z (Unix \
                         seconds cannot express it)",
                        incident.id
                    ));
                }
            }
        }
        for pair in self.entries.windows(2) {
            if pair[0].spki_sha256 >= pair[1].spki_sha256 {
                problems.push(format!(
                    "entries are not sorted and unique: SPKI SHA-256 {} before {}",
                    pair[0].spki_sha256, pair[1].spki_sha256
                ));
            }
        }
        problems
    }

    /// The invariants of [`Blocklist::validate`] about one entry of this list (its incidents,
    /// action, `distrust_after` and evidence, every certificate and key re-hashed); every
    /// violation, in order. Independent of every other entry, so entries may be checked in
    /// parallel.
    pub fn validate_entry(&self, entry: &Entry) -> Vec<String> {
        self.check_entry(entry, true)
    }

    /// [`Blocklist::validate_entry`] without re-hashing: every invariant but "a certificate
    /// hashes to its `cert_sha256`" and "a public key hashes to the entry's key".
    ///
    /// Only for a caller that has just computed those hashes itself from the very bytes the
    /// evidence holds (ingest does, and its tests check its lists with the full
    /// [`Blocklist::validate`]); a list read from anywhere else must be checked with
    /// [`Blocklist::validate_entry`]. When the hashes are right, both give the same violations,
    /// in the same order.
    pub fn validate_entry_trusting_hashes(&self, entry: &Entry) -> Vec<String> {
        self.check_entry(entry, false)
    }

    /// The checks of [`Blocklist::validate_entry`]; the hashes of certificates and keys are
    /// recomputed only if `rehash`.
    fn check_entry(&self, entry: &Entry, rehash: bool) -> Vec<String> {
        let mut problems = Vec::new();
        let key = entry.spki_sha256;
        if entry.incidents.is_empty() {
            problems.push(format!("entry SPKI SHA-256 {key} names no incident"));
        }
        if entry.evidence.is_empty() {
            problems.push(format!("entry SPKI SHA-256 {key} has no evidence"));
        }
        if entry.incidents.windows(2).any(|p| p[0] >= p[1]) {
            problems.push(format!(
                "entry SPKI SHA-256 {key}: incidents not sorted and unique"
            ));
        }
        for id in &entry.incidents {
            match self.incident(id) {
                None => problems.push(format!(
                    "entry SPKI SHA-256 {key} names incident {id}, which the list does not hold"
                )),
                Some(incident) => {
                    if incident.action != entry.action {
                        problems.push(format!(
                            "entry SPKI SHA-256 {key} has action {} but its incident {id} says {}",
                            entry.action, incident.action
                        ));
                    }
                    if incident.distrust_after != entry.distrust_after {
                        problems.push(format!(
                            "entry SPKI SHA-256 {key} has distrust_after {} but its incident {id} says {}",
                            show_distrust_after(entry.distrust_after),
                            show_distrust_after(incident.distrust_after)
                        ));
                    }
                }
            }
        }
        if entry
            .evidence
            .windows(2)
            .any(|p| p[0].sort_key() >= p[1].sort_key())
        {
            problems.push(format!(
                "entry SPKI SHA-256 {key}: evidence not sorted and unique"
            ));
        }
        for ev in &entry.evidence {
            if !entry.incidents.contains(&ev.incident) {
                problems.push(format!(
                    "entry SPKI SHA-256 {key}: evidence {} belongs to incident {}, which the entry does not name",
                    ev.location(),
                    ev.incident
                ));
            }
            if !rehash {
                continue;
            }
            if let Some(cert) = &ev.certificate {
                let actual = Sha256Hash::digest(&cert.0);
                if ev.cert_sha256 != Some(actual) {
                    problems.push(format!(
                        "entry SPKI SHA-256 {key}: certificate in {} has certificate SHA-256 {actual}, \
                         but the evidence records {:?}",
                        ev.location(),
                        ev.cert_sha256.map(|h| h.to_hex())
                    ));
                }
            }
            if let Some(spki) = &ev.public_key {
                let actual = Sha256Hash::digest(&spki.0);
                if actual != key {
                    problems.push(format!(
                        "entry SPKI SHA-256 {key}: public key in {} hashes to SPKI SHA-256 {actual}",
                        ev.location()
                    ));
                }
            }
        }
        problems
    }
}

/// A `distrust_after` for messages: the instant, or "none".
fn show_distrust_after(t: Option<Timestamp>) -> String {
    match t {
        Some(t) => t.to_string(),
        None => "none".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list of one incident and one entry whose key is the SHA-256 of `key`, with a
    /// certificate (recorded with the SHA-256 of `cert`) and the key itself as evidence.
    fn list_with(key: &[u8], cert: &[u8], recorded_cert: &[u8]) -> Blocklist {
        let id: IncidentId = "demo".parse().unwrap();
        let mut certificate = Evidence::new(
            id.clone(),
            "demo/c.pem".into(),
            None,
            EvidenceKind::Certificate,
        );
        certificate.certificate = Some(Base64Bytes(cert.to_vec()));
        certificate.cert_sha256 = Some(Sha256Hash::digest(recorded_cert));
        let mut public_key = Evidence::new(
            id.clone(),
            "demo/k.key".into(),
            None,
            EvidenceKind::PublicKey,
        );
        public_key.public_key = Some(Base64Bytes(key.to_vec()));
        Blocklist {
            sequence: 1,
            source_digest: Sha256Hash([0; 32]),
            incidents: vec![Incident {
                id: id.clone(),
                title: "Demo".into(),
                category: Category::Test,
                action: Action::Block,
                added: None,
                distrust_after: None,
                references: Vec::new(),
                summary: "A demo.".into(),
            }],
            entries: vec![Entry {
                spki_sha256: Sha256Hash::digest(b"the key"),
                action: Action::Block,
                incidents: vec![id],
                distrust_after: None,
                evidence: vec![certificate, public_key],
            }],
        }
    }

    #[test]
    fn trusting_the_hashes_skips_only_the_hash_checks() {
        // Right hashes: both checks agree, and find nothing.
        let right = list_with(b"the key", b"the certificate", b"the certificate");
        assert_eq!(
            right.validate_entry(&right.entries[0]),
            Vec::<String>::new()
        );
        assert_eq!(
            right.validate_entry_trusting_hashes(&right.entries[0]),
            Vec::<String>::new()
        );
        // Wrong hashes (and an action the incident does not give): the full check finds all
        // three, the trusting one only what is not a hash, in the same order.
        let mut wrong = list_with(b"another key", b"the certificate", b"another certificate");
        wrong.entries[0].action = Action::KnownInterception;
        let full = wrong.validate_entry(&wrong.entries[0]);
        assert_eq!(full.len(), 3, "{full:?}");
        assert!(full[1].contains("has certificate SHA-256"), "{full:?}");
        assert!(full[2].contains("hashes to SPKI SHA-256"), "{full:?}");
        let trusting = wrong.validate_entry_trusting_hashes(&wrong.entries[0]);
        assert_eq!(trusting, full[..1].to_vec());
        assert!(
            trusting[0].contains("incident demo says block"),
            "{trusting:?}"
        );
        assert_eq!(wrong.validate().unwrap_err(), full);
    }
}
