//! A synthetic `sources/` tree of realistic certificates, written quickly.
//!
//! One template certificate, shaped like a blocklisted root (a self-signed CA with basic
//! constraints, key usage, a subject key identifier and a CRL distribution point), is made once
//! with rcgen. Each output certificate is the template's DER with these bytes replaced in place:
//! the public key (RSA modulus or EC point), the serial number, a ten-digit number in the subject
//! and issuer common names, the subject key identifier and the signature. Lengths never change,
//! so no re-encoding is needed; the signature is random bytes and does not verify.

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rayon::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, CrlDistributionPoint, DistinguishedName, DnType, IsCa,
    KeyUsagePurpose, PublicKeyData, SerialNumber, SignatureAlgorithm, SigningKey,
};

use crate::Rng;

/// The kind of key the template carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeyKind {
    /// RSA 2048 with exponent 65537 and sha256WithRSAEncryption: most blocklisted roots.
    Rsa2048,
    /// EC P-256 with ecdsa-with-SHA256.
    EcP256,
}

impl std::str::FromStr for KeyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rsa" | "rsa2048" => Ok(KeyKind::Rsa2048),
            "ec" | "p256" => Ok(KeyKind::EcP256),
            _ => Err(format!("unknown key kind {s:?}: rsa or ec")),
        }
    }
}

/// How the certificates are laid out on disk.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layout {
    /// One PEM certificate per file, `per_incident` files per incident folder.
    Files,
    /// A few large PEM bundles (at most `per_bundle` certificates each) in one incident folder.
    Bundles,
    /// Bare keys known only by their facts: `facts.json` files of `per_facts_file` records
    /// (`spki_sha256` and `name`, like `sources/mozilla-onecrl-key-blocks/facts.json`), one per
    /// incident folder.
    Facts,
}

impl std::str::FromStr for Layout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "files" => Ok(Layout::Files),
            "bundles" => Ok(Layout::Bundles),
            "facts" => Ok(Layout::Facts),
            _ => Err(format!("unknown layout {s:?}: files, bundles or facts")),
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::Files => "files",
            Layout::Bundles => "bundles",
            Layout::Facts => "facts",
        })
    }
}

/// A stand-in key for rcgen: a public key made of marker bytes and a marker signature, both
/// replaced per certificate.
struct MarkerKey {
    alg: &'static SignatureAlgorithm,
    public: Vec<u8>,
    signature: Vec<u8>,
}

impl PublicKeyData for MarkerKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.alg
    }
}

impl SigningKey for MarkerKey {
    fn sign(&self, _msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(self.signature.clone())
    }
}

/// How to refill one patched range.
#[derive(Clone, Copy, Debug)]
enum Fill {
    /// Random bytes.
    Random,
    /// Random bytes, first byte in 0x01..=0x7f: a positive, minimally encoded INTEGER.
    Positive,
    /// Random bytes with the top bit of the first byte and the low bit of the last set: an odd
    /// RSA modulus of full length.
    Modulus,
    /// The item's number, zero-padded decimal.
    Digits,
}

const NAME_DIGITS: usize = 10;
const RSA_MODULUS: u8 = 0xab;
const EC_POINT: u8 = 0xac;
const SERIAL: u8 = 0x3c;
const SIG_A: u8 = 0x11;
const SIG_B: u8 = 0x12;
const SERIAL_LEN: usize = 16;

/// The template certificate and where to patch it.
#[derive(Clone, Debug)]
pub struct Template {
    der: Vec<u8>,
    patches: Vec<(Range<usize>, Fill)>,
}

/// Every occurrence of `needle` in `hay`.
fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

fn find_one(hay: &[u8], needle: &[u8], what: &str) -> Range<usize> {
    let found = find_all(hay, needle);
    assert_eq!(found.len(), 1, "the template holds the {what} marker once");
    found[0]..found[0] + needle.len()
}

impl Template {
    /// Makes the template for `kind`.
    pub fn new(kind: KeyKind) -> Template {
        let key = match kind {
            KeyKind::Rsa2048 => {
                // RSAPublicKey ::= SEQUENCE { modulus INTEGER (257 bytes: 0x00 + 2048 bits),
                //                             publicExponent INTEGER 65537 }
                let mut public = vec![0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00];
                public.extend([RSA_MODULUS; 256]);
                public.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
                MarkerKey {
                    alg: &rcgen::PKCS_RSA_SHA256,
                    public,
                    signature: vec![SIG_A; 256],
                }
            }
            KeyKind::EcP256 => {
                let mut public = vec![0x04];
                public.extend([EC_POINT; 64]);
                // ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, 32 bytes each.
                let mut signature = vec![0x30, 0x44, 0x02, 0x20];
                signature.extend([SIG_A; 32]);
                signature.extend([0x02, 0x20]);
                signature.extend([SIG_B; 32]);
                MarkerKey {
                    alg: &rcgen::PKCS_ECDSA_P256_SHA256,
                    public,
                    signature,
                }
            }
        };
        let zeros = "0".repeat(NAME_DIGITS);
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "XX");
        dn.push(DnType::OrganizationName, "certblock synthetic corpus");
        dn.push(
            DnType::OrganizationalUnitName,
            "Benchmark Certification Authority",
        );
        dn.push(DnType::CommonName, format!("Synthetic Root CA #{zeros}"));
        params.distinguished_name = dn;
        params.serial_number = Some(SerialNumber::from_slice(&[SERIAL; SERIAL_LEN]));
        params.not_before = rcgen::date_time_ymd(2015, 1, 1);
        params.not_after = rcgen::date_time_ymd(2035, 1, 1);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec!["http://crl.synthetic-root.invalid/root-ca.crl".to_string()],
        }];
        let ski = params.key_identifier(&key);
        let der = params.self_signed(&key).expect("template").der().to_vec();

        let mut patches = Vec::new();
        match kind {
            KeyKind::Rsa2048 => {
                patches.push((
                    find_one(&der, &[RSA_MODULUS; 256], "modulus"),
                    Fill::Modulus,
                ));
                patches.push((find_one(&der, &[SIG_A; 256], "signature"), Fill::Random));
            }
            KeyKind::EcP256 => {
                patches.push((find_one(&der, &[EC_POINT; 64], "EC point"), Fill::Random));
                patches.push((find_one(&der, &[SIG_A; 32], "signature r"), Fill::Positive));
                patches.push((find_one(&der, &[SIG_B; 32], "signature s"), Fill::Positive));
            }
        }
        patches.push((
            find_one(&der, &[SERIAL; SERIAL_LEN], "serial"),
            Fill::Positive,
        ));
        patches.push((find_one(&der, &ski, "subject key identifier"), Fill::Random));
        let names = find_all(&der, format!("#{zeros}").as_bytes());
        assert_eq!(names.len(), 2, "the subject and issuer common names");
        for at in names {
            patches.push((at + 1..at + 1 + NAME_DIGITS, Fill::Digits));
        }
        Template { der, patches }
    }

    /// The DER length of every certificate made from this template.
    pub fn der_len(&self) -> usize {
        self.der.len()
    }

    /// Writes certificate number `index` (of a run seeded with `seed`) into `out` as DER.
    pub fn certificate_der(&self, seed: u64, index: u64, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&self.der);
        let mut rng = Rng::for_item(seed, index);
        for (range, fill) in &self.patches {
            let bytes = &mut out[range.clone()];
            match fill {
                Fill::Random => rng.fill(bytes),
                Fill::Positive => {
                    rng.fill(bytes);
                    bytes[0] = (bytes[0] % 0x7f) + 1;
                }
                Fill::Modulus => {
                    rng.fill(bytes);
                    bytes[0] |= 0x80;
                    *bytes.last_mut().expect("not empty") |= 1;
                }
                Fill::Digits => {
                    let digits = format!(
                        "{:0width$}",
                        index % 10u64.pow(NAME_DIGITS as u32),
                        width = NAME_DIGITS
                    );
                    bytes.copy_from_slice(digits.as_bytes());
                }
            }
        }
    }

    /// Appends certificate number `index` as a PEM block to `out`; `scratch` is reused.
    pub fn append_pem(&self, seed: u64, index: u64, scratch: &mut Vec<u8>, out: &mut Vec<u8>) {
        self.certificate_der(seed, index, scratch);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&scratch[..]);
        out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
}

/// What to write.
#[derive(Clone, Debug)]
pub struct CorpusSpec {
    /// How many certificates (each a distinct key).
    pub count: u64,
    /// Files or bundles.
    pub layout: Layout,
    /// Files per incident folder ([`Layout::Files`]).
    pub per_incident: u64,
    /// Certificates per bundle ([`Layout::Bundles`]); ingest accepts at most 10,000 by default.
    pub per_bundle: u64,
    /// Records per `facts.json` ([`Layout::Facts`]), each file in an incident folder of its own.
    /// A record takes about 139 bytes, so ingest's default limit of 1 MiB per file takes 7,500;
    /// more need a larger limit (`--max-file-bytes`), as one file of 1M records (139 MB) does.
    pub per_facts_file: u64,
    /// The key kind of every certificate.
    pub key: KeyKind,
    /// The seed: the same spec writes the same bytes.
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Copy, Debug)]
pub struct CorpusStats {
    /// Certificates (or, for [`Layout::Facts`], facts records) written.
    pub certificates: u64,
    /// Evidence files written (incident.json not counted).
    pub files: u64,
    /// Bytes of evidence written (incident.json not counted).
    pub bytes: u64,
    /// Incident folders written.
    pub incidents: u64,
}

fn incident_json(n: u64, of: u64, layout: Layout) -> String {
    format!(
        "{{\n  \"title\": \"Synthetic benchmark incident {n} of {of} ({layout})\",\n  \"category\": \"test\",\n  \"action\": \"block\",\n  \"summary\": \"Generated by certblock-bench make-corpus for benchmarks; not real keys.\"\n}}\n"
    )
}

/// A `facts.json` of `n` bare-key records from index `first`: a random SPKI SHA-256 and the
/// name `synthetic key INDEX` each, written as Python's `json.dump(indent=2)` would.
pub fn facts_json(seed: u64, first: u64, n: u64) -> String {
    use std::fmt::Write as _;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(n as usize * 140 + 32);
    text.push_str("{\n  \"records\": [");
    let mut key = [0u8; 32];
    for index in first..first + n {
        Rng::for_item(seed, index).fill(&mut key);
        if index > first {
            text.push(',');
        }
        text.push_str("\n    {\n      \"spki_sha256\": \"");
        for b in key {
            text.push(char::from(HEX[usize::from(b >> 4)]));
            text.push(char::from(HEX[usize::from(b & 15)]));
        }
        let _ = write!(
            text,
            "\",\n      \"name\": \"synthetic key {index}\"\n    }}"
        );
    }
    text.push_str("\n  ]\n}\n");
    text
}

/// Writes the corpus into the `sources` folder `out`, which must not exist or be empty.
pub fn write_corpus(out: &Path, spec: &CorpusSpec) -> io::Result<CorpusStats> {
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is not empty", out.display()),
        ));
    }
    fs::create_dir_all(out)?;
    let template = Template::new(spec.key);
    // Units of work: (incident folder, file name, first index, certificates in the file).
    let group = match spec.layout {
        Layout::Files => spec.per_incident.max(1),
        Layout::Facts => spec.per_facts_file.max(1),
        Layout::Bundles => u64::MAX,
    };
    let incidents = match spec.layout {
        Layout::Files | Layout::Facts => spec.count.div_ceil(group).max(1),
        Layout::Bundles => 1,
    };
    let dir_of = |i: u64| out.join(format!("synthetic-{i:05}"));
    for i in 0..incidents {
        fs::create_dir_all(dir_of(i))?;
        fs::write(
            dir_of(i).join("incident.json"),
            incident_json(i + 1, incidents, spec.layout),
        )?;
    }
    let units: Vec<(PathBuf, u64, u64)> = match spec.layout {
        Layout::Files => (0..spec.count)
            .map(|k| (dir_of(k / group).join(format!("cert-{k:08}.pem")), k, 1))
            .collect(),
        Layout::Bundles => {
            let per = spec.per_bundle.max(1);
            (0..spec.count.div_ceil(per))
                .map(|b| {
                    let first = b * per;
                    let n = per.min(spec.count - first);
                    (dir_of(0).join(format!("bundle-{b:05}.pem")), first, n)
                })
                .collect()
        }
        Layout::Facts => (0..incidents)
            .map(|i| {
                let first = i * group;
                (
                    dir_of(i).join("facts.json"),
                    first,
                    group.min(spec.count - first),
                )
            })
            .collect(),
    };
    let bytes: u64 = if spec.layout == Layout::Facts {
        units
            .par_iter()
            .map(|(path, first, n)| -> io::Result<u64> {
                let text = facts_json(spec.seed, *first, *n);
                fs::write(path, &text)?;
                Ok(text.len() as u64)
            })
            .try_reduce(|| 0, |a, b| Ok(a + b))?
    } else {
        units
            .par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(scratch, buf), (path, first, n)| -> io::Result<u64> {
                    buf.clear();
                    for index in *first..first + n {
                        template.append_pem(spec.seed, index, scratch, buf);
                    }
                    let mut file = fs::File::create(path)?;
                    file.write_all(buf)?;
                    Ok(buf.len() as u64)
                },
            )
            .try_reduce(|| 0, |a, b| Ok(a + b))?
    };
    let stats = CorpusStats {
        certificates: spec.count,
        files: units.len() as u64,
        bytes,
        incidents,
    };
    let what = if spec.layout == Layout::Facts {
        format!(
            "{} bare keys known by their facts (`spki_sha256` and `name`), layout facts, {} \
             facts.json file(s) of at most {} records, {} bytes, {} incident folder(s), seed {}.\n\
             The keys are random bytes: for benchmarks only.\n",
            stats.certificates, stats.files, group, stats.bytes, stats.incidents, spec.seed
        )
    } else {
        format!(
            "{} certificates ({:?}, {} bytes of DER each), layout {}, {} evidence files, {} bytes \
             of PEM, {} incident folder(s), seed {}.\nThe keys are random bytes and the \
             signatures do not verify: for benchmarks only.\n",
            stats.certificates,
            spec.key,
            template.der_len(),
            spec.layout,
            stats.files,
            stats.bytes,
            stats.incidents,
            spec.seed
        )
    };
    fs::write(
        out.join("README.md"),
        format!("# Synthetic corpus\n\nWritten by `certblock-bench`'s `make-corpus`: {what}"),
    )?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_parse_and_differ_where_they_should() {
        for kind in [KeyKind::Rsa2048, KeyKind::EcP256] {
            let t = Template::new(kind);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            t.certificate_der(7, 1, &mut a);
            t.certificate_der(7, 2, &mut b);
            assert_eq!(a.len(), b.len());
            assert_ne!(a, b);
            let path = Path::new("x.der");
            let ia = certblock_ingest::read_evidence_file(path, &a).expect("parses");
            let ib = certblock_ingest::read_evidence_file(path, &b).expect("parses");
            assert_ne!(ia[0].spki_sha256, ib[0].spki_sha256);
            assert!(ia[0].warnings.is_empty(), "{:?}", ia[0].warnings);
            assert_eq!(
                ia[0].subject.as_deref().map(|s| s.contains("#0000000001")),
                Some(true)
            );
            let bits = if kind == KeyKind::Rsa2048 { 2048 } else { 256 };
            assert_eq!(ia[0].key_bits, Some(bits));
            // Deterministic.
            let mut again = Vec::new();
            t.certificate_der(7, 1, &mut again);
            assert_eq!(a, again);
        }
    }

    #[test]
    fn a_small_corpus_ingests() {
        for layout in [Layout::Files, Layout::Bundles, Layout::Facts] {
            let dir = std::env::temp_dir().join(format!(
                "certblock-bench-test-{}-{layout}",
                std::process::id()
            ));
            let _ = fs::remove_dir_all(&dir);
            let spec = CorpusSpec {
                count: 25,
                layout,
                per_incident: 10,
                per_bundle: 10,
                per_facts_file: 10,
                key: KeyKind::Rsa2048,
                seed: 1,
            };
            let stats = write_corpus(&dir, &spec).unwrap();
            assert_eq!(stats.files, if layout == Layout::Files { 25 } else { 3 });
            if layout == Layout::Facts {
                assert_eq!(stats.incidents, 3);
                let text = fs::read(dir.join("synthetic-00001/facts.json")).unwrap();
                let records = certblock_ingest::parse_facts(
                    Path::new("facts.json"),
                    "synthetic-00001/facts.json",
                    &"synthetic-00001".parse().unwrap(),
                    &text,
                )
                .unwrap();
                assert_eq!(records.len(), 10);
                assert_eq!(records[3].1.name.as_deref(), Some("synthetic key 13"));
            }
            let ingested =
                certblock_ingest::ingest(&dir, &certblock_ingest::IngestOptions::default())
                    .unwrap();
            assert_eq!(ingested.list.entries.len(), 25);
            fs::remove_dir_all(&dir).unwrap();
        }
    }
}
