//! Problems (why sources are refused), warnings (taken, but worth a look) and the error of a run.

use core::fmt;
use std::path::PathBuf;

use certblock_list::{Action, IncidentId, Sha256Hash, Timestamp};

/// One reason the sources are refused, tied to the file (and where known, the line and column)
/// a person has to fix.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Problem {
    /// The path as the user sees it: the sources root joined with the path inside it.
    pub path: PathBuf,
    /// Line, from 1, where known.
    pub line: Option<usize>,
    /// Column, from 1, where known (only together with a line).
    pub column: Option<usize>,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl Problem {
    /// A problem with a whole file or folder (no line or column).
    pub fn new(path: impl Into<PathBuf>, kind: ProblemKind) -> Self {
        Problem {
            path: path.into(),
            line: None,
            column: None,
            kind,
        }
    }

    /// The same problem, placed at a line (and a column, if known).
    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = if line.is_some() { column } else { None };
        self
    }

    /// The order problems are reported in: by path, then line, then column.
    pub fn sort_key(&self) -> (&PathBuf, Option<usize>, Option<usize>) {
        (&self.path, self.line, self.column)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.kind)
    }
}

/// What a piece of evidence turned out to be, in messages about it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ItemKind {
    /// A DER certificate.
    Certificate,
    /// A DER SubjectPublicKeyInfo.
    PublicKey,
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemKind::Certificate => "certificate",
            ItemKind::PublicKey => "public key",
        })
    }
}

/// Every way ingest can refuse sources, one variant per failure.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ProblemKind {
    /// A file or folder could not be read.
    Io {
        /// The operating system's words.
        message: String,
    },
    /// The sources root is missing or is not a folder.
    NotAFolder,
    /// Following symbolic links leads back to a folder already being walked.
    SymlinkLoop {
        /// The folder the link leads back to.
        ancestor: PathBuf,
    },
    /// A file or folder name is not UTF-8.
    NonUtf8Name {
        /// The name with undecodable bytes replaced.
        lossy: String,
    },
    /// A hidden file or folder (its name starts with '.').
    Hidden,
    /// A file at the top of `sources/` other than README.md.
    UnexpectedTopLevelFile,
    /// A folder inside an incident folder.
    NestedFolder,
    /// An incident folder whose name is not a valid incident id.
    BadIncidentId {
        /// Why the name is not valid.
        reason: String,
    },
    /// An incident folder without incident.json.
    MissingIncidentJson,
    /// incident.json is not valid JSON, has an unknown field or a bad value.
    IncidentJson {
        /// What is wrong, in serde_json's words.
        message: String,
    },
    /// An incident folder with no evidence file at all.
    NoEvidence,
    /// A file that is neither evidence, incident.json, facts.json nor a note.
    UnrecognisedFile,
    /// Something that is neither a regular file nor a folder (a device, a named pipe, a
    /// socket), directly or through a symbolic link: reading it could block or never end.
    NotARegularFile,
    /// A file larger than the configured limit.
    FileTooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// An empty evidence file.
    EmptyFile,
    /// More PEM blocks in one file than the configured limit.
    TooManyBlocks {
        /// How many `-----BEGIN ` markers the file has.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A `-----BEGIN` line with no matching `-----END` line.
    PemBeginWithoutEnd {
        /// The label of the BEGIN line.
        label: String,
    },
    /// An `-----END` line with no `-----BEGIN` line before it.
    PemEndWithoutBegin {
        /// The label of the END line.
        label: String,
    },
    /// BEGIN and END lines with different labels.
    PemLabelMismatch {
        /// The label of the BEGIN line.
        begin: String,
        /// The label of the END line.
        end: String,
    },
    /// A line with a BEGIN or END marker that is not of the form `-----BEGIN LABEL-----`.
    PemMalformedMarker {
        /// The line as written.
        text: String,
    },
    /// The base64 between BEGIN and END does not decode.
    PemBadBase64 {
        /// What is wrong with it.
        detail: String,
    },
    /// A `.pem` file (or a text file) with no PEM block.
    NoPemBlock,
    /// A `.der` file that holds PEM text.
    PemInDerFile,
    /// A private key, which must never be in sources/.
    PrivateKey {
        /// The PEM label, or `None` for a DER private key.
        label: Option<String>,
    },
    /// A PEM block whose label is neither CERTIFICATE nor PUBLIC KEY.
    UnsupportedPemLabel {
        /// The label.
        label: String,
    },
    /// DER data that ends before its outer element does.
    Truncated {
        /// The length the outer element declares, header included.
        declared: u64,
        /// The bytes actually there.
        available: usize,
    },
    /// Bytes after the end of a certificate or key.
    TrailingBytes {
        /// How many bytes follow.
        count: usize,
        /// What they follow.
        after: ItemKind,
    },
    /// DER data that is neither a certificate nor a SubjectPublicKeyInfo.
    NotCertificateOrKey {
        /// Why it is not a certificate.
        as_certificate: String,
        /// Why it is not a SubjectPublicKeyInfo.
        as_public_key: String,
    },
    /// A CERTIFICATE block that does not hold a certificate.
    BadCertificate {
        /// Why.
        detail: String,
    },
    /// A PUBLIC KEY block that does not hold a SubjectPublicKeyInfo.
    BadPublicKey {
        /// Why.
        detail: String,
    },
    /// A file named by a SHA-256 value that matches nothing it holds.
    HashNameMismatch {
        /// The value the file name gives.
        expected: Sha256Hash,
        /// The certificate SHA-256, for a certificate.
        cert_sha256: Option<Sha256Hash>,
        /// The SPKI SHA-256.
        spki_sha256: Sha256Hash,
    },
    /// A file named by a SHA-256 value that holds more than one item.
    HashNameManyItems {
        /// How many certificates and keys it holds.
        count: usize,
    },
    /// facts.json is not valid JSON, has an unknown field or a bad value.
    FactsJson {
        /// What is wrong, in serde_json's words.
        message: String,
    },
    /// facts.json with an empty `records` list.
    FactsEmpty,
    /// One key, two incidents, two actions.
    ConflictingAction {
        /// The key.
        spki_sha256: Sha256Hash,
        /// Where this evidence is.
        place: String,
        /// The incident of this evidence.
        incident: IncidentId,
        /// Its action.
        action: Action,
        /// Where the key was seen first.
        other_place: String,
        /// The incident it was seen in first.
        other_incident: IncidentId,
        /// That incident's action.
        other_action: Action,
    },
    /// One key, two incidents, two `distrust_after` values (one may be absent).
    ConflictingDistrustAfter {
        /// The key.
        spki_sha256: Sha256Hash,
        /// Where this evidence is.
        place: String,
        /// The incident of this evidence.
        incident: IncidentId,
        /// Its `distrust_after`, if any.
        distrust_after: Option<Timestamp>,
        /// Where the key was seen first.
        other_place: String,
        /// The incident it was seen in first.
        other_incident: IncidentId,
        /// That incident's `distrust_after`, if any.
        other_distrust_after: Option<Timestamp>,
    },
    /// The same certificate twice.
    DuplicateCertificate {
        /// The certificate's SHA-256.
        cert_sha256: Sha256Hash,
        /// Where it was seen first.
        first_place: String,
        /// Where it is again.
        place: String,
    },
    /// A facts record that says something else than the certificate it names.
    FactsDisagree {
        /// The record of facts.json, from 1.
        record: u32,
        /// The certificate's SHA-256.
        cert_sha256: Sha256Hash,
        /// The field that differs.
        field: &'static str,
        /// The value in facts.json.
        facts_value: String,
        /// The value computed from the certificate.
        certificate_value: String,
        /// Where the certificate is.
        certificate_place: String,
    },
    /// More entries than the configured limit.
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// The digest of the sources tree could not be computed.
    Digest {
        /// Why.
        message: String,
    },
    /// The list built breaks an invariant of the canonical list (a bug in ingest).
    InvalidList {
        /// The broken invariant.
        message: String,
    },
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ProblemKind as P;
        match self {
            P::Io { message } => write!(f, "cannot read: {message}"),
            P::NotAFolder => f.write_str("the sources folder does not exist or is not a folder"),
            P::SymlinkLoop { ancestor } => write!(
                f,
                "symbolic link loop: this path leads back to {}, which is already being read",
                ancestor.display()
            ),
            P::NonUtf8Name { lossy } => {
                write!(
                    f,
                    "the name {lossy:?} is not valid UTF-8; use plain ASCII names"
                )
            }
            P::Hidden => f.write_str(
                "hidden file or folder (its name starts with '.'): sources/ must not hold hidden \
                 files; remove or rename it",
            ),
            P::UnexpectedTopLevelFile => f.write_str(
                "only incident folders and README.md belong at the top of sources/; move this \
                 file into an incident folder",
            ),
            P::NestedFolder => {
                f.write_str("incident folders hold files only; this sub-folder is not allowed")
            }
            P::BadIncidentId { reason } => {
                write!(f, "the folder name is not a valid incident id: {reason}")
            }
            P::MissingIncidentJson => f.write_str(
                "the incident folder has no incident.json (title, category, action, summary)",
            ),
            P::IncidentJson { message } => write!(f, "incident.json: {message}"),
            P::NoEvidence => f.write_str(
                "the incident folder holds no evidence: add certificates (.pem .crt .cer .der), \
                 public keys (.pem .key .pub .der) or facts.json",
            ),
            P::NotARegularFile => f.write_str(
                "not a regular file (a device, named pipe or socket, or a link to one); sources/ \
                 holds only files and folders",
            ),
            P::UnrecognisedFile => f.write_str(
                "not a recognised evidence file; evidence files end in .pem .crt .cer .der .key \
                 .pub or are facts.json (notes end in .md)",
            ),
            P::FileTooLarge { size, limit } => write!(
                f,
                "the file is {size} bytes, more than the limit of {limit} bytes per file"
            ),
            P::EmptyFile => f.write_str("the file is empty"),
            P::TooManyBlocks { count, limit } => write!(
                f,
                "the file holds {count} PEM blocks, more than the limit of {limit} per file"
            ),
            P::PemBeginWithoutEnd { label } => write!(
                f,
                "-----BEGIN {label}----- has no matching -----END {label}----- line"
            ),
            P::PemEndWithoutBegin { label } => {
                write!(
                    f,
                    "-----END {label}----- has no -----BEGIN {label}----- line before it"
                )
            }
            P::PemLabelMismatch { begin, end } => write!(
                f,
                "the block begins as {begin:?} but ends as {end:?}; the labels must be the same"
            ),
            P::PemMalformedMarker { text } => write!(
                f,
                "malformed PEM marker line {text:?}: it must read exactly -----BEGIN LABEL----- \
                 or -----END LABEL----- on a line of its own"
            ),
            P::PemBadBase64 { detail } => write!(f, "bad base64 in the PEM block: {detail}"),
            P::NoPemBlock => f.write_str(
                "no PEM block (-----BEGIN CERTIFICATE----- or -----BEGIN PUBLIC KEY-----) found; \
                 if the file is binary DER, name it .der",
            ),
            P::PemInDerFile => f.write_str(
                "the .der file holds PEM text (-----BEGIN ...); name it .pem, or convert it to DER",
            ),
            P::PrivateKey { label } => {
                match label {
                    Some(label) => write!(f, "{label} block: ")?,
                    None => f.write_str("this DER data looks like a private key: ")?,
                }
                f.write_str(
                    "a private key must never be committed to sources/; remove it (and treat the \
                     key as leaked) and use the public key (openssl pkey -pubout) or the \
                     certificate instead",
                )
            }
            P::UnsupportedPemLabel { label } => {
                write!(
                    f,
                    "PEM blocks labelled {label:?} are not accepted; evidence is CERTIFICATE or \
                     PUBLIC KEY blocks"
                )?;
                if label.contains("PUBLIC KEY") {
                    f.write_str(" (convert the key to a SubjectPublicKeyInfo with openssl pkey -pubin -pubout)")?;
                }
                Ok(())
            }
            P::Truncated {
                declared,
                available,
            } => write!(
                f,
                "truncated DER: the outer element says it is {declared} bytes long, but only \
                 {available} bytes are there"
            ),
            P::TrailingBytes { count, after } => {
                let s = if *count == 1 { "" } else { "s" };
                write!(f, "{count} trailing byte{s} after the {after}")
            }
            P::NotCertificateOrKey {
                as_certificate,
                as_public_key,
            } => write!(
                f,
                "not a certificate or public key (as a certificate: {as_certificate}; as a \
                 SubjectPublicKeyInfo: {as_public_key})"
            ),
            P::BadCertificate { detail } => {
                write!(
                    f,
                    "the CERTIFICATE block does not hold a valid certificate: {detail}"
                )
            }
            P::BadPublicKey { detail } => write!(
                f,
                "the PUBLIC KEY block does not hold a valid SubjectPublicKeyInfo: {detail}"
            ),
            P::HashNameMismatch {
                expected,
                cert_sha256,
                spki_sha256,
            } => match cert_sha256 {
                Some(cert) => write!(
                    f,
                    "the file name says {expected}, which is neither the certificate SHA-256 \
                     {cert} nor the SPKI SHA-256 {spki_sha256} of the certificate it holds"
                ),
                None => write!(
                    f,
                    "the file name says {expected}, which is not the SPKI SHA-256 {spki_sha256} \
                     of the public key it holds"
                ),
            },
            P::HashNameManyItems { count } => write!(
                f,
                "a file named by a SHA-256 value must hold exactly one certificate or key; this \
                 one holds {count}"
            ),
            P::FactsJson { message } => write!(f, "facts.json: {message}"),
            P::FactsEmpty => f.write_str("facts.json has no records; remove it or add records"),
            P::ConflictingAction {
                spki_sha256,
                place,
                incident,
                action,
                other_place,
                other_incident,
                other_action,
            } => write!(
                f,
                "SPKI SHA-256 {spki_sha256} is in {place} (incident {incident}, action \
                 {action}), but {other_place} puts it in incident {other_incident} with action \
                 {other_action}; a key has one action, so the two incidents must agree"
            ),
            P::ConflictingDistrustAfter {
                spki_sha256,
                place,
                incident,
                distrust_after,
                other_place,
                other_incident,
                other_distrust_after,
            } => {
                let show = |t: &Option<Timestamp>| match t {
                    Some(t) => format!("distrust_after {t}"),
                    None => "no distrust_after".to_string(),
                };
                write!(
                    f,
                    "SPKI SHA-256 {spki_sha256} is in {place} (incident {incident}, {}), but \
                     {other_place} puts it in incident {other_incident} with {}; a key has one \
                     distrust_after, so the two incidents must agree",
                    show(distrust_after),
                    show(other_distrust_after)
                )
            }
            P::DuplicateCertificate {
                cert_sha256,
                first_place,
                place,
            } => write!(
                f,
                "certificate SHA-256 {cert_sha256} is in {first_place} and again in {place}; \
                 keep each certificate once"
            ),
            P::FactsDisagree {
                record,
                cert_sha256,
                field,
                facts_value,
                certificate_value,
                certificate_place,
            } => write!(
                f,
                "facts record {record} for certificate SHA-256 {cert_sha256} says {field} \
                 {facts_value}, but the certificate in {certificate_place} has {field} \
                 {certificate_value}; facts and certificates must agree"
            ),
            P::TooManyEntries { limit } => {
                write!(
                    f,
                    "the sources hold more keys than the limit of {limit} entries (one entry \
                     per distinct SPKI SHA-256)"
                )
            }
            P::Digest { message } => write!(f, "cannot digest the sources tree: {message}"),
            P::InvalidList { message } => {
                write!(
                    f,
                    "internal error: the list built breaks an invariant: {message}"
                )
            }
        }
    }
}

/// Something taken into the list, but that a person should look at.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Warning {
    /// The file, as the user sees it.
    pub path: PathBuf,
    /// The block within the file, from 1, when the file holds more than one.
    pub position: Option<u32>,
    /// What is unusual.
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(p) = self.position {
            write!(f, "#{p}")?;
        }
        write!(f, ": warning: {}", self.kind)
    }
}

/// Every kind of warning.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum WarningKind {
    /// The serial number is negative or zero (RFC 5280 wants a positive one).
    NonPositiveSerial {
        /// The INTEGER content bytes in hex.
        serial_hex: String,
    },
    /// A version 1 certificate (no extensions, so no CA flag).
    Version1,
    /// A key that is not RSA, EC or Ed25519.
    UnusualKeyType {
        /// The algorithm as described.
        algorithm: String,
    },
    /// A validity time that the list cannot record (year outside 1000 to 9999, or not UTC).
    UnrecordableTime {
        /// Which field.
        field: &'static str,
    },
    /// A subject or issuer name that cannot be turned into a string.
    UnreadableName {
        /// Which field.
        field: &'static str,
    },
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::NonPositiveSerial { serial_hex } => {
                if serial_hex.is_empty() {
                    f.write_str("the serial number is empty")
                } else {
                    write!(f, "the serial number {serial_hex} is negative or zero")
                }
            }
            WarningKind::Version1 => f.write_str("a version 1 certificate (no extensions)"),
            WarningKind::UnusualKeyType { algorithm } => {
                write!(f, "unusual key type {algorithm} (not RSA, EC or Ed25519)")
            }
            WarningKind::UnrecordableTime { field } => {
                write!(
                    f,
                    "{field} cannot be recorded as YYYY-MM-DDTHH:MM:SSZ; left out"
                )
            }
            WarningKind::UnreadableName { field } => {
                write!(f, "the {field} name cannot be shown as a string; left out")
            }
        }
    }
}

/// Why ingest failed: every problem found in the run, sorted by path.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IngestError {
    /// Every problem, sorted by path, line and column.
    pub problems: Vec<Problem>,
}

impl IngestError {
    /// An error from problems in any order (they are sorted here, stably).
    pub fn new(mut problems: Vec<Problem>) -> Self {
        sort_problems(&mut problems);
        IngestError { problems }
    }
}

/// Sorts problems by path, line and column, keeping the order of equal ones.
pub(crate) fn sort_problems(problems: &mut [Problem]) {
    problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for IngestError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_display_has_path_line_and_column_when_known() {
        let p = Problem::new("sources/kz/x.pem", ProblemKind::EmptyFile);
        assert_eq!(p.to_string(), "sources/kz/x.pem: the file is empty");
        let p = p.at(Some(3), Some(5));
        assert_eq!(p.to_string(), "sources/kz/x.pem:3:5: the file is empty");
        let p = p.at(Some(7), None);
        assert_eq!(p.to_string(), "sources/kz/x.pem:7: the file is empty");
        assert_eq!(p.clone().at(None, Some(2)).column, None);
    }

    #[test]
    fn ingest_error_sorts_and_prints_one_problem_per_line() {
        let e = IngestError::new(vec![
            Problem::new("s/b", ProblemKind::EmptyFile),
            Problem::new("s/a", ProblemKind::NoPemBlock).at(Some(9), None),
            Problem::new("s/a", ProblemKind::EmptyFile).at(Some(2), None),
        ]);
        let text = e.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("s/a:2: "));
        assert!(lines[1].starts_with("s/a:9: "));
        assert!(lines[2].starts_with("s/b: "));
    }

    #[test]
    fn trailing_bytes_message_counts_bytes() {
        let k = ProblemKind::TrailingBytes {
            count: 5,
            after: ItemKind::Certificate,
        };
        assert_eq!(k.to_string(), "5 trailing bytes after the certificate");
    }
}
