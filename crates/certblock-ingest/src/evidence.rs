//! One evidence file (PEM or DER, certificates or keys) read into fully described items.

use std::path::Path;

use certblock_list::{
    Base64Bytes, Evidence, EvidenceKind, HexBytes, IncidentId, Sha256Hash, Timestamp,
};

use crate::IngestOptions;
use crate::der;
use crate::error::{Problem, ProblemKind, Warning};
use crate::merge::Item;
use crate::pem;

/// One certificate or public key found in an evidence file, with everything known about it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EvidenceItem {
    /// Position in the file, from 1, when the file holds more than one block; else `None`.
    pub position: Option<u32>,
    /// The line of the PEM BEGIN marker, for PEM; `None` for DER.
    pub line: Option<usize>,
    /// [`EvidenceKind::Certificate`] or [`EvidenceKind::PublicKey`].
    pub kind: EvidenceKind,
    /// SHA-256 of the exact DER SubjectPublicKeyInfo: the key of the entry.
    pub spki_sha256: Sha256Hash,
    /// The DER SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
    /// The key algorithm as people name it: `RSA`, `EC P-256`, `Ed25519`, `OID 1.2.3`, ...
    pub key_algorithm: String,
    /// The key size in bits, where known.
    pub key_bits: Option<usize>,
    /// SHA-256 of the DER certificate (certificates only).
    pub cert_sha256: Option<Sha256Hash>,
    /// SHA-1 of the DER certificate (certificates only).
    pub cert_sha1: Option<[u8; 20]>,
    /// MD5 of the DER certificate (certificates only).
    pub cert_md5: Option<[u8; 16]>,
    /// The X.509 version, 1 to 3 (certificates only).
    pub version: Option<u32>,
    /// The subject name as a string (certificates only).
    pub subject: Option<String>,
    /// The issuer name as a string (certificates only).
    pub issuer: Option<String>,
    /// The exact DER of the subject Name (certificates only).
    pub subject_der: Option<Vec<u8>>,
    /// The exact DER of the issuer Name (certificates only).
    pub issuer_der: Option<Vec<u8>>,
    /// The serial number: the INTEGER content bytes exactly as encoded (certificates only).
    pub serial: Option<Vec<u8>>,
    /// Start of validity (certificates only).
    pub not_before: Option<Timestamp>,
    /// End of validity (certificates only).
    pub not_after: Option<Timestamp>,
    /// The DER certificate (certificates only).
    pub certificate_der: Option<Vec<u8>>,
    /// What is unusual about the item.
    pub warnings: Vec<Warning>,
}

impl EvidenceItem {
    /// An item for a bare key (whose DER hashes to `spki_sha256`; `spki_der` may be left
    /// empty where it is not needed); certificate fields empty.
    pub(crate) fn key(
        spki_sha256: Sha256Hash,
        spki_der: Vec<u8>,
        key_algorithm: String,
        key_bits: Option<usize>,
    ) -> Self {
        EvidenceItem {
            position: None,
            line: None,
            kind: EvidenceKind::PublicKey,
            spki_sha256,
            spki_der,
            key_algorithm,
            key_bits,
            cert_sha256: None,
            cert_sha1: None,
            cert_md5: None,
            version: None,
            subject: None,
            issuer: None,
            subject_der: None,
            issuer_der: None,
            serial: None,
            not_before: None,
            not_after: None,
            certificate_der: None,
            warnings: Vec::new(),
        }
    }

    /// [`EvidenceItem::to_evidence`] by move: the certificate's DER, names and hashes are
    /// moved into the record, never copied. Returns the record and the item's warnings.
    pub(crate) fn into_evidence(
        self,
        incident: IncidentId,
        file: String,
    ) -> (Evidence, Vec<Warning>) {
        let mut ev = Evidence::new(incident, file, self.position, self.kind);
        ev.cert_sha256 = self.cert_sha256;
        ev.subject = self.subject;
        ev.issuer = self.issuer;
        ev.serial = self.serial.map(HexBytes);
        ev.not_before = self.not_before;
        ev.not_after = self.not_after;
        ev.subject_der = self.subject_der.map(Base64Bytes);
        ev.issuer_der = self.issuer_der.map(Base64Bytes);
        ev.cert_sha1 = self.cert_sha1.map(|h| HexBytes(h.to_vec()));
        ev.cert_md5 = self.cert_md5.map(|h| HexBytes(h.to_vec()));
        match self.kind {
            EvidenceKind::Certificate => ev.certificate = self.certificate_der.map(Base64Bytes),
            _ => ev.public_key = Some(Base64Bytes(self.spki_der)),
        }
        (ev, self.warnings)
    }

    /// The list's evidence record for this item, found in `file` (relative to `sources/`, with
    /// `/` separators) of `incident`.
    pub fn to_evidence(&self, incident: IncidentId, file: String) -> Evidence {
        let mut ev = Evidence::new(incident, file, self.position, self.kind);
        ev.cert_sha256 = self.cert_sha256;
        ev.subject = self.subject.clone();
        ev.issuer = self.issuer.clone();
        ev.serial = self.serial.clone().map(HexBytes);
        ev.not_before = self.not_before;
        ev.not_after = self.not_after;
        ev.subject_der = self.subject_der.clone().map(Base64Bytes);
        ev.issuer_der = self.issuer_der.clone().map(Base64Bytes);
        ev.cert_sha1 = self.cert_sha1.map(|h| HexBytes(h.to_vec()));
        ev.cert_md5 = self.cert_md5.map(|h| HexBytes(h.to_vec()));
        match self.kind {
            EvidenceKind::Certificate => {
                ev.certificate = self.certificate_der.clone().map(Base64Bytes);
            }
            _ => ev.public_key = Some(Base64Bytes(self.spki_der.clone())),
        }
        ev
    }
}

/// How a file's bytes are to be read, from its extension.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Format {
    /// `.pem`: PEM text only.
    Pem,
    /// `.der`: binary DER only.
    Der,
    /// `.crt`, `.cer`, `.key`, `.pub` (and anything else, for inspect): PEM if the text has a
    /// BEGIN marker, else DER.
    Sniff,
}

/// The extensions of evidence files.
pub(crate) const EVIDENCE_EXTENSIONS: [&str; 6] = ["pem", "crt", "cer", "der", "key", "pub"];

/// The format a file name asks for; `None` when its extension is not an evidence extension.
pub(crate) fn format_of(file_name: &str) -> Option<Format> {
    let (_, ext) = file_name.rsplit_once('.')?;
    match ext {
        "pem" => Some(Format::Pem),
        "der" => Some(Format::Der),
        e if EVIDENCE_EXTENSIONS.contains(&e) => Some(Format::Sniff),
        _ => None,
    }
}

/// The SHA-256 value a file is named by, if its stem is 64 hex digits.
fn hash_name(file_name: &str) -> Option<Sha256Hash> {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    if stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()) {
        stem.parse().ok()
    } else {
        None
    }
}

/// Whether bytes look like text (so a missing PEM block is the better message than bad DER).
fn looks_like_text(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

/// For `certblock inspect FILE...`: every certificate or key a single file holds, fully
/// described, with the default limits. `path` names the file in messages; its extension says
/// how to read it (`.pem` PEM, `.der` DER, anything else sniffed), and a name of 64 hex digits
/// is checked against what the file holds.
pub fn read_evidence_file(path: &Path, bytes: &[u8]) -> Result<Vec<EvidenceItem>, Vec<Problem>> {
    read_evidence_file_with(path, bytes, &IngestOptions::default())
}

/// [`read_evidence_file`] with explicit limits.
pub fn read_evidence_file_with(
    path: &Path,
    bytes: &[u8],
    options: &IngestOptions,
) -> Result<Vec<EvidenceItem>, Vec<Problem>> {
    read_file(path, bytes, options, true, &|item| item)
}

/// An item as ingest keeps it: ready to merge, with its warnings.
pub(crate) struct Taken {
    /// The item to merge.
    pub item: Item,
    /// What is unusual about it.
    pub warnings: Vec<Warning>,
}

/// What [`read_file`] needs of what it makes of an item, after the item is made.
pub(crate) trait Finished {
    /// The key, the certificate SHA-256 and the PEM line, for a file named by a hash.
    fn hashes(&self) -> (Sha256Hash, Option<Sha256Hash>, Option<usize>);
    /// Forgets the position (and the warnings' positions): the file holds only this item.
    fn only_one(&mut self);
}

impl Finished for EvidenceItem {
    fn hashes(&self) -> (Sha256Hash, Option<Sha256Hash>, Option<usize>) {
        (self.spki_sha256, self.cert_sha256, self.line)
    }
    fn only_one(&mut self) {
        self.position = None;
        for w in &mut self.warnings {
            w.position = None;
        }
    }
}

impl Finished for Taken {
    fn hashes(&self) -> (Sha256Hash, Option<Sha256Hash>, Option<usize>) {
        let evidence = &self.item.evidence.as_ref().expect("not merged yet")[0];
        (self.item.spki_sha256, evidence.cert_sha256, self.item.line)
    }
    fn only_one(&mut self) {
        if let Some(evidence) = self.item.evidence.as_mut() {
            evidence[0].position = None;
        }
        for w in &mut self.warnings {
            w.position = None;
        }
    }
}

/// Ingest's reading of an evidence file: [`read_evidence_file_with`], each item turned into the
/// evidence of `file` (relative to `sources/`) of `incident` as soon as it is read (on the thread
/// that read it), the file being at index `file_index` of the merge. A certificate's key is
/// hashed but not copied, and a usual one (RSA, EC, Ed25519) neither named nor measured: the list
/// keeps the certificate and records none of these.
pub(crate) fn read_for_merge(
    path: &Path,
    bytes: &[u8],
    options: &IngestOptions,
    incident: &IncidentId,
    file: &str,
    file_index: u32,
) -> Result<Vec<Taken>, Vec<Problem>> {
    read_file(path, bytes, options, false, &|item: EvidenceItem| {
        let (spki_sha256, line) = (item.spki_sha256, item.line);
        let (evidence, warnings) = item.into_evidence(incident.clone(), file.to_string());
        Taken {
            item: Item::new(spki_sha256, evidence, line, file_index),
            warnings,
        }
    })
}

/// Reads every certificate or key of one file, each made into a `T` by `finish` (with its
/// position, line and warnings filled in); `keep_spki` keeps a copy of a certificate's key DER
/// and works out its algorithm's name and size (see [`der::certificate_owned`]).
fn read_file<T: Finished + Send>(
    path: &Path,
    bytes: &[u8],
    options: &IngestOptions,
    keep_spki: bool,
    finish: &(dyn Fn(EvidenceItem) -> T + Sync),
) -> Result<Vec<T>, Vec<Problem>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = format_of(&name).unwrap_or(Format::Sniff);
    let problem = |kind| vec![Problem::new(path, kind)];
    if bytes.len() as u64 > options.max_file_bytes {
        return Err(problem(ProblemKind::FileTooLarge {
            size: bytes.len() as u64,
            limit: options.max_file_bytes,
        }));
    }
    if bytes.is_empty() {
        return Err(problem(ProblemKind::EmptyFile));
    }
    let is_pem = pem::has_begin_marker(bytes);
    let mut items = match (format, is_pem) {
        (Format::Der, true) => return Err(problem(ProblemKind::PemInDerFile)),
        (Format::Pem, false) => return Err(problem(ProblemKind::NoPemBlock)),
        (Format::Sniff, false) if looks_like_text(bytes) => {
            return Err(problem(ProblemKind::NoPemBlock));
        }
        (_, true) => read_pem(path, bytes, options, keep_spki, finish)?,
        (_, false) => match der::certificate_or_key(bytes) {
            Ok(d) => {
                let mut item = d.item;
                item.warnings = d
                    .warnings
                    .into_iter()
                    .map(|kind| Warning {
                        path: path.to_path_buf(),
                        position: None,
                        kind,
                    })
                    .collect();
                vec![finish(item)]
            }
            Err(kind) => return Err(problem(kind)),
        },
    };
    if let Some(expected) = hash_name(&name) {
        check_hash_name(path, expected, &items)?;
    }
    if items.len() == 1 {
        items[0].only_one();
    }
    Ok(items)
}

/// Checks a file named by a SHA-256 value: one item, whose certificate or SPKI hash it is.
fn check_hash_name<T: Finished>(
    path: &Path,
    expected: Sha256Hash,
    items: &[T],
) -> Result<(), Vec<Problem>> {
    let [item] = items else {
        return Err(vec![Problem::new(
            path,
            ProblemKind::HashNameManyItems { count: items.len() },
        )]);
    };
    let (spki_sha256, cert_sha256, line) = item.hashes();
    if spki_sha256 == expected || cert_sha256 == Some(expected) {
        return Ok(());
    }
    Err(vec![
        Problem::new(
            path,
            ProblemKind::HashNameMismatch {
                expected,
                cert_sha256,
                spki_sha256,
            },
        )
        .at(line, None),
    ])
}

/// What became of one thing [`pem::scan`] found.
enum Step<T> {
    /// A structural fault, or base64 that does not decode.
    Fault(pem::PemFault),
    /// A decoded block that is not an acceptable certificate or key, at its BEGIN line.
    Refused(usize, ProblemKind),
    /// A certificate or key, made into what the caller keeps.
    Item(T),
}

/// Bundles with at least this many blocks are decoded and parsed on several threads.
const PARALLEL_BLOCKS: usize = 64;

/// Decodes and describes one block found by the scan, the `index`-th (from 0) of its file, and
/// makes it into a `T` with `finish`. Its position is `index + 1`, which is its position among
/// the items when the file has no fault (with a fault, the file is refused and no item is kept).
fn step<T>(
    path: &Path,
    index: usize,
    scanned: pem::Scanned<'_>,
    buffer: &mut Vec<u8>,
    keep_spki: bool,
    finish: &(dyn Fn(EvidenceItem) -> T + Sync),
) -> Step<T> {
    let block = match scanned {
        pem::Scanned::Fault(fault) => return Step::Fault(fault),
        pem::Scanned::Block(block) => block,
    };
    let der = match pem::decode(&block, buffer) {
        Ok(der) => der,
        Err(fault) => return Step::Fault(fault),
    };
    let described = match block.label {
        "CERTIFICATE" => der::certificate_owned(der, keep_spki),
        "PUBLIC KEY" => der::public_key(&der),
        label if label.contains("PRIVATE KEY") => Err(ProblemKind::PrivateKey {
            label: Some(label.to_string()),
        }),
        label => Err(ProblemKind::UnsupportedPemLabel {
            label: label.to_string(),
        }),
    };
    match described {
        Ok(described) => {
            let position = u32::try_from(index + 1).ok();
            let mut item = described.item;
            item.position = position;
            item.line = Some(block.line);
            item.warnings = described
                .warnings
                .into_iter()
                .map(|kind| Warning {
                    path: path.to_path_buf(),
                    position,
                    kind,
                })
                .collect();
            Step::Item(finish(item))
        }
        Err(kind) => Step::Refused(block.line, kind),
    }
}

/// Reads every block of a PEM file; all faults of all blocks are reported together.
///
/// The blocks of a large bundle are decoded and parsed in parallel; results are taken in file
/// order, so nothing depends on timing.
fn read_pem<T: Send>(
    path: &Path,
    bytes: &[u8],
    options: &IngestOptions,
    keep_spki: bool,
    finish: &(dyn Fn(EvidenceItem) -> T + Sync),
) -> Result<Vec<T>, Vec<Problem>> {
    use rayon::prelude::*;
    let count = pem::count_begin_markers(bytes);
    if count > options.max_certificates_per_file {
        return Err(vec![Problem::new(
            path,
            ProblemKind::TooManyBlocks {
                count,
                limit: options.max_certificates_per_file,
            },
        )]);
    }
    let scanned = pem::scan(bytes);
    let steps: Vec<Step<T>> = if scanned.len() >= PARALLEL_BLOCKS {
        scanned
            .into_par_iter()
            .enumerate()
            .with_min_len(PARALLEL_BLOCKS / 4)
            .map_init(Vec::new, |buffer, (index, s)| {
                step(path, index, s, buffer, keep_spki, finish)
            })
            .collect()
    } else {
        let mut buffer = Vec::new();
        scanned
            .into_iter()
            .enumerate()
            .map(|(index, s)| step(path, index, s, &mut buffer, keep_spki, finish))
            .collect()
    };
    // PEM faults first, in file order, then what is wrong with decoded blocks (as when the
    // blocks were all decoded before any was described); sorted below, stably.
    let mut problems = Vec::new();
    let mut refused = Vec::new();
    let mut items = Vec::with_capacity(steps.len());
    for s in steps {
        match s {
            Step::Fault(f) => problems.push(Problem::new(path, f.kind).at(Some(f.line), f.column)),
            Step::Refused(line, kind) => {
                refused.push(Problem::new(path, kind).at(Some(line), None));
            }
            Step::Item(item) => items.push(item),
        }
    }
    problems.extend(refused);
    if !problems.is_empty() {
        crate::error::sort_problems(&mut problems);
        return Err(problems);
    }
    if items.is_empty() {
        return Err(vec![Problem::new(path, ProblemKind::NoPemBlock)]);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_extensions() {
        assert_eq!(format_of("a.pem"), Some(Format::Pem));
        assert_eq!(format_of("a.der"), Some(Format::Der));
        assert_eq!(format_of("a.crt"), Some(Format::Sniff));
        assert_eq!(format_of("a.key"), Some(Format::Sniff));
        assert_eq!(format_of("a.txt"), None);
        assert_eq!(format_of("pem"), None);
    }

    #[test]
    fn hash_names_are_64_hex_digits() {
        let h = "3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1";
        assert_eq!(hash_name(&format!("{h}.pem")).unwrap().to_hex(), h);
        assert!(hash_name("short.pem").is_none());
        assert!(hash_name(&format!("{}.pem", "z".repeat(64))).is_none());
    }

    #[test]
    fn private_key_blocks_are_refused_and_other_labels_named() {
        let text = b"-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n-----BEGIN X509 CRL-----\nAQID\n-----END X509 CRL-----\n";
        let problems = read_evidence_file(Path::new("s/a/k.pem"), text).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0].to_string().contains("must never be committed"),
            "{}",
            problems[0]
        );
        assert_eq!(problems[0].line, Some(1));
        assert!(
            problems[1].to_string().contains("\"X509 CRL\""),
            "{}",
            problems[1]
        );
    }

    #[test]
    fn text_without_blocks_and_pem_in_der_files_are_refused() {
        let e = read_evidence_file(Path::new("x.pem"), b"hello\n").unwrap_err();
        assert_eq!(e[0].kind, ProblemKind::NoPemBlock);
        let e = read_evidence_file(Path::new("x.crt"), b"hello\n").unwrap_err();
        assert_eq!(e[0].kind, ProblemKind::NoPemBlock);
        let e = read_evidence_file(Path::new("x.der"), b"-----BEGIN CERTIFICATE-----").unwrap_err();
        assert_eq!(e[0].kind, ProblemKind::PemInDerFile);
        let e = read_evidence_file(Path::new("x.der"), b"").unwrap_err();
        assert_eq!(e[0].kind, ProblemKind::EmptyFile);
    }

    #[test]
    fn limits_are_enforced() {
        let options = IngestOptions {
            max_file_bytes: 4,
            max_certificates_per_file: 1,
            ..Default::default()
        };
        let e = read_evidence_file_with(Path::new("x.der"), b"12345", &options).unwrap_err();
        assert!(matches!(
            e[0].kind,
            ProblemKind::FileTooLarge { size: 5, limit: 4 }
        ));
        let options = IngestOptions {
            max_certificates_per_file: 1,
            ..Default::default()
        };
        let two = b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
        let e = read_evidence_file_with(Path::new("x.pem"), two, &options).unwrap_err();
        assert!(matches!(
            e[0].kind,
            ProblemKind::TooManyBlocks { count: 2, limit: 1 }
        ));
    }
}

#[cfg(test)]
mod for_merge_tests {
    use super::*;

    /// Both readings of one file: ingest's (no key copy, usual keys neither named nor measured)
    /// must give exactly the evidence and warnings of the full one (`certblock inspect`'s).
    fn same_both_ways(path: &Path, bytes: &[u8]) -> usize {
        let incident: IncidentId = "some-incident".parse().unwrap();
        let relative = "some-incident/x.pem".to_string();
        let options = IngestOptions::default();
        let full = read_evidence_file_with(path, bytes, &options);
        let taken = read_for_merge(path, bytes, &options, &incident, &relative, 7);
        let (full, taken) = match (full, taken) {
            (Ok(full), Ok(taken)) => (full, taken),
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "{}", path.display());
                return 0;
            }
            _ => panic!("{}: one reading failed, the other did not", path.display()),
        };
        assert_eq!(full.len(), taken.len(), "{}", path.display());
        for (item, taken) in full.into_iter().zip(&taken) {
            let (spki_sha256, line) = (item.spki_sha256, item.line);
            let (evidence, warnings) = item.into_evidence(incident.clone(), relative.clone());
            assert_eq!(taken.item.spki_sha256, spki_sha256, "{}", path.display());
            assert_eq!(taken.item.line, line, "{}", path.display());
            assert_eq!(taken.item.file, 7);
            let ours = &taken.item.evidence.as_ref().unwrap()[0];
            assert_eq!(ours, &evidence, "{}", path.display());
            assert_eq!(taken.warnings, warnings, "{}", path.display());
        }
        taken.len()
    }

    #[test]
    fn ingest_reads_certificates_and_keys_as_inspect_does() {
        use rcgen::{CertificateParams, KeyPair};
        let mut bundle = String::new();
        for alg in [
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
            &rcgen::PKCS_ED25519,
        ] {
            let key = KeyPair::generate_for(alg).unwrap();
            let cert = CertificateParams::new(vec!["a.example".to_string()])
                .unwrap()
                .self_signed(&key)
                .unwrap();
            bundle.push_str(&cert.pem());
            bundle.push_str(&key.public_key_pem());
            // One certificate alone, DER: no position.
            assert_eq!(same_both_ways(Path::new("s/a/x.der"), cert.der()), 1);
        }
        assert_eq!(same_both_ways(Path::new("s/a/x.pem"), bundle.as_bytes()), 6);
    }

    /// Every certificate and key file of the real upstream corpus (RSA roots among them), when it
    /// is there.
    #[test]
    fn ingest_reads_the_real_corpus_as_inspect_does() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
        if !root.is_dir() {
            eprintln!(
                "WARNING: ../shared/corpus not found; skipping (looked in {})",
                root.display()
            );
            return;
        }
        let mut stack = vec![root];
        let mut items = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if format_of(&entry.file_name().to_string_lossy()).is_some() {
                    items += same_both_ways(&path, &std::fs::read(&path).unwrap());
                }
            }
        }
        assert!(items >= 10, "{items} items");
    }
}
