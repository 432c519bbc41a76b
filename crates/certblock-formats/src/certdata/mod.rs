//! NSS `certdata.txt` (`generated/certdata.txt`): distrust as NSS's builtins file writes it.
//!
//! The syntax: a header of `#` comments, a `BEGINDATA` line, then objects separated by blank
//! lines. Each object is a list of `ATTRIBUTE TYPE VALUE` lines starting with `CKA_CLASS`; a
//! `MULTILINE_OCTAL` value follows on lines of `\ooo` bytes closed by `END`. Comments may come
//! before and inside objects.
//!
//! NSS distrusts a certificate with a `CKO_NSS_TRUST` object whose trust values are
//! `CKT_NSS_NOT_TRUSTED`, found by issuer and serial number. certblock writes, for each
//! certificate it holds, a `CKO_CERTIFICATE` object and that trust object (as NSS did for
//! DigiNotar), and for facts giving an issuer and serial but no certificate, the trust object
//! alone (as NSS did for the Trustwave and TURKTRUST intermediates). A key known by nothing
//! else, and a known-interception key (a label, not a distrust), cannot be said in this format:
//! they are listed in the header and returned as [`crate::Unexpressed`].

mod reader;
mod writer;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use certblock_list::{Blocklist, Date, Sha256Hash, Timestamp};
use serde::Serialize;

use crate::Unexpressed;
use crate::encoding::{der_integer_content, hex, hex_colons};

pub use reader::read;
pub use writer::render;

/// The file name inside `generated/`.
pub const FILE_NAME: &str = "certdata.txt";

/// The trust value that distrusts a certificate.
pub const NOT_TRUSTED: &str = "CKT_NSS_NOT_TRUSTED";

/// A whole `certdata.txt`, as read: every object with every attribute, and typed views of the
/// certificate and trust objects.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct CertData {
    /// The comment lines before `BEGINDATA`, without the leading `#`.
    pub header_comments: Vec<String>,
    /// Every object, in file order.
    pub objects: Vec<Object>,
    /// Comment lines after the last object.
    pub trailing_comments: Vec<String>,
    /// The `CKO_CERTIFICATE` objects, in file order.
    pub certificates: Vec<Certificate>,
    /// The `CKO_NSS_TRUST` objects, in file order.
    pub trust: Vec<Trust>,
}

/// One object: its attributes in file order, and the comments before and inside it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Object {
    /// The line of its `CKA_CLASS`, from 1.
    pub line: usize,
    /// The value of `CKA_CLASS` (`CKO_CERTIFICATE`, `CKO_NSS_TRUST`, ...).
    pub class: String,
    /// Comment lines before and inside the object, without the leading `#`.
    pub comments: Vec<String>,
    /// Every attribute, `CKA_CLASS` first.
    pub attributes: Vec<Attribute>,
}

/// One `ATTRIBUTE TYPE VALUE` line (or octal block).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Attribute {
    /// The line it starts on, from 1.
    pub line: usize,
    /// The attribute name (`CKA_LABEL`, ...).
    pub name: String,
    /// Its typed value.
    pub value: Value,
}

/// An attribute value, by its declared type.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(tag = "type", content = "value")]
pub enum Value {
    /// A named constant: the type (`CK_BBOOL`, `CK_OBJECT_CLASS`, `CK_TRUST`,
    /// `CK_CERTIFICATE_TYPE`) and the constant (`CK_TRUE`, `CKO_CERTIFICATE`, ...).
    Constant {
        /// The declared type.
        kind: String,
        /// The constant's name.
        name: String,
    },
    /// A `UTF8` quoted string, without its quotes.
    Utf8(String),
    /// An `ASCII7` quoted string, without its quotes.
    Ascii7(String),
    /// A `MULTILINE_OCTAL` block: the bytes.
    Octal(#[serde(serialize_with = "crate::encoding::ser_hex")] Vec<u8>),
}

impl Object {
    /// The value of an attribute, if the object has it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| &a.value)
    }
}

/// A "distrust after" date of NSS (`CKA_NSS_SERVER_DISTRUST_AFTER` or
/// `CKA_NSS_EMAIL_DISTRUST_AFTER`): the ASCII UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime text.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct DistrustAfter(pub String);

impl DistrustAfter {
    /// The instant, when the text is a well-formed UTCTime or GeneralizedTime.
    pub fn timestamp(&self) -> Option<Timestamp> {
        let t = self.0.strip_suffix('Z')?;
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, rest) = match t.len() {
            12 => {
                let yy: u16 = t.get(0..2)?.parse().ok()?;
                (if yy < 50 { 2000 + yy } else { 1900 + yy }, t.get(2..)?)
            }
            14 => (t.get(0..4)?.parse().ok()?, t.get(4..)?),
            _ => return None,
        };
        let n = |r: std::ops::Range<usize>| rest.get(r).and_then(|s| s.parse::<u8>().ok());
        let date = Date::new(year, n(0..2)?, n(2..4)?).ok()?;
        Timestamp::new(date, n(4..6)?, n(6..8)?, n(8..10)?).ok()
    }
}

/// A `CKO_CERTIFICATE` object.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Certificate {
    /// The line of its `CKA_CLASS`.
    pub line: usize,
    /// `CKA_LABEL`.
    pub label: String,
    /// `CKA_SUBJECT`: the DER subject Name.
    #[serde(serialize_with = "crate::encoding::ser_b64")]
    pub subject: Vec<u8>,
    /// `CKA_ISSUER`: the DER issuer Name.
    #[serde(serialize_with = "crate::encoding::ser_b64")]
    pub issuer: Vec<u8>,
    /// `CKA_SERIAL_NUMBER`: the whole DER INTEGER, tag and length included.
    #[serde(serialize_with = "crate::encoding::ser_hex")]
    pub serial_number: Vec<u8>,
    /// `CKA_VALUE`: the DER certificate.
    #[serde(serialize_with = "crate::encoding::ser_b64")]
    pub value: Vec<u8>,
    /// SHA-256 of `CKA_VALUE` (the certificate SHA-256), computed on reading.
    pub cert_sha256: Sha256Hash,
    /// `CKA_NSS_MOZILLA_CA_POLICY`, when present.
    pub mozilla_ca_policy: Option<bool>,
    /// `CKA_NSS_SERVER_DISTRUST_AFTER` when it is a date (absent or `CK_FALSE` give `None`).
    pub server_distrust_after: Option<DistrustAfter>,
    /// `CKA_NSS_EMAIL_DISTRUST_AFTER` when it is a date.
    pub email_distrust_after: Option<DistrustAfter>,
}

/// A `CKO_NSS_TRUST` object.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Trust {
    /// The line of its `CKA_CLASS`.
    pub line: usize,
    /// `CKA_LABEL`.
    pub label: String,
    /// `CKA_ISSUER`: the DER issuer Name.
    #[serde(serialize_with = "crate::encoding::ser_b64")]
    pub issuer: Vec<u8>,
    /// `CKA_SERIAL_NUMBER`: the whole DER INTEGER.
    #[serde(serialize_with = "crate::encoding::ser_hex")]
    pub serial_number: Vec<u8>,
    /// `CKA_CERT_SHA1_HASH`, when present.
    #[serde(serialize_with = "crate::encoding::ser_opt_hex")]
    pub cert_sha1: Option<Vec<u8>>,
    /// `CKA_CERT_MD5_HASH`, when present.
    #[serde(serialize_with = "crate::encoding::ser_opt_hex")]
    pub cert_md5: Option<Vec<u8>>,
    /// `CKA_TRUST_SERVER_AUTH` (`CKT_NSS_TRUSTED_DELEGATOR`, `CKT_NSS_NOT_TRUSTED`, ...).
    pub server_auth: Option<String>,
    /// `CKA_TRUST_EMAIL_PROTECTION`.
    pub email_protection: Option<String>,
    /// `CKA_TRUST_CODE_SIGNING`.
    pub code_signing: Option<String>,
    /// `CKA_TRUST_STEP_UP_APPROVED`.
    pub step_up_approved: Option<bool>,
    /// `CKA_NSS_SERVER_DISTRUST_AFTER` when it is a date.
    pub server_distrust_after: Option<DistrustAfter>,
    /// `CKA_NSS_EMAIL_DISTRUST_AFTER` when it is a date.
    pub email_distrust_after: Option<DistrustAfter>,
}

impl Trust {
    /// Whether the object distrusts the certificate for TLS servers (`CKA_TRUST_SERVER_AUTH` is
    /// `CKT_NSS_NOT_TRUSTED`), the form of NSS's explicit distrust entries.
    pub fn is_distrust(&self) -> bool {
        self.server_auth.as_deref() == Some(NOT_TRUSTED)
    }
}

/// A certificate object, by what matters for checking: what [`expected`] predicts and
/// [`contents`] reads back.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
pub struct CertificateContent {
    /// SHA-256 of `CKA_VALUE`.
    pub cert_sha256: Sha256Hash,
    /// `CKA_LABEL`.
    pub label: String,
    /// `CKA_SUBJECT`.
    #[serde(serialize_with = "crate::encoding::ser_b64")]
    pub subject: Vec<u8>,
    /// `CKA_ISSUER`.
    #[serde(serialize_with = "crate::encoding::ser_b64")]
    pub issuer: Vec<u8>,
    /// `CKA_SERIAL_NUMBER` (whole DER INTEGER).
    #[serde(serialize_with = "crate::encoding::ser_hex")]
    pub serial_number: Vec<u8>,
}

/// A trust object, by what matters for checking.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
pub struct TrustContent {
    /// `CKA_ISSUER`.
    #[serde(serialize_with = "crate::encoding::ser_b64")]
    pub issuer: Vec<u8>,
    /// `CKA_SERIAL_NUMBER` (whole DER INTEGER).
    #[serde(serialize_with = "crate::encoding::ser_hex")]
    pub serial_number: Vec<u8>,
    /// `CKA_LABEL`.
    pub label: String,
    /// `CKA_CERT_SHA1_HASH`.
    #[serde(serialize_with = "crate::encoding::ser_opt_hex")]
    pub cert_sha1: Option<Vec<u8>>,
    /// `CKA_CERT_MD5_HASH`.
    #[serde(serialize_with = "crate::encoding::ser_opt_hex")]
    pub cert_md5: Option<Vec<u8>>,
    /// Server, email and code-signing trust values.
    pub trust: [Option<String>; 3],
    /// `CKA_TRUST_STEP_UP_APPROVED`.
    pub step_up_approved: Option<bool>,
}

/// What a `certdata.txt` says, independent of layout and comments: certificate and trust
/// objects, each sorted.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Contents {
    /// Every certificate object, sorted.
    pub certificates: Vec<CertificateContent>,
    /// Every trust object, sorted.
    pub trust: Vec<TrustContent>,
}

/// What the `certdata.txt` of a list must hold, and which entries it carries.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Expected {
    /// The objects the file must hold.
    pub contents: Contents,
    /// For each certificate SHA-256, the entry (SPKI SHA-256) it comes from.
    pub certificate_owner: BTreeMap<Sha256Hash, Sha256Hash>,
    /// For each (issuer DER, serial DER INTEGER), the entry it comes from.
    pub trust_owner: BTreeMap<(Vec<u8>, Vec<u8>), Sha256Hash>,
    /// Keys of the entries the file carries.
    pub expressed: BTreeSet<Sha256Hash>,
    /// Entries it cannot carry, with the reason.
    pub unexpressed: Vec<Unexpressed>,
}

/// What the `certdata.txt` of a list must contain.
pub fn expected(list: &Blocklist) -> Expected {
    let plan = writer::plan(list);
    let mut contents = Contents::default();
    let mut certificate_owner = BTreeMap::new();
    let mut trust_owner = BTreeMap::new();
    for item in &plan.items {
        if let Some(cert) = &item.certificate {
            let content = CertificateContent {
                cert_sha256: Sha256Hash::digest(&cert.value),
                label: item.label.clone(),
                subject: cert.subject.clone(),
                issuer: item.issuer.clone(),
                serial_number: item.serial_number.clone(),
            };
            certificate_owner.insert(content.cert_sha256, item.spki_sha256);
            contents.certificates.push(content);
        }
        if item.trust {
            trust_owner.insert(
                (item.issuer.clone(), item.serial_number.clone()),
                item.spki_sha256,
            );
            contents.trust.push(TrustContent {
                issuer: item.issuer.clone(),
                serial_number: item.serial_number.clone(),
                label: item.label.clone(),
                cert_sha1: item.sha1.clone(),
                cert_md5: item.md5.clone(),
                trust: [
                    Some(NOT_TRUSTED.into()),
                    Some(NOT_TRUSTED.into()),
                    Some(NOT_TRUSTED.into()),
                ],
                step_up_approved: Some(false),
            });
        }
    }
    contents.certificates.sort();
    contents.trust.sort();
    Expected {
        contents,
        certificate_owner,
        trust_owner,
        expressed: plan.expressed,
        unexpressed: plan.unexpressed,
    }
}

/// What a parsed file says, in the form [`expected`] predicts.
pub fn contents(parsed: &CertData) -> Contents {
    let mut certificates: Vec<CertificateContent> = parsed
        .certificates
        .iter()
        .map(|c| CertificateContent {
            cert_sha256: c.cert_sha256,
            label: c.label.clone(),
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            serial_number: c.serial_number.clone(),
        })
        .collect();
    let mut trust: Vec<TrustContent> = parsed
        .trust
        .iter()
        .map(|t| TrustContent {
            issuer: t.issuer.clone(),
            serial_number: t.serial_number.clone(),
            label: t.label.clone(),
            cert_sha1: t.cert_sha1.clone(),
            cert_md5: t.cert_md5.clone(),
            trust: [
                t.server_auth.clone(),
                t.email_protection.clone(),
                t.code_signing.clone(),
            ],
            step_up_approved: t.step_up_approved,
        })
        .collect();
    certificates.sort();
    trust.sort();
    Contents {
        certificates,
        trust,
    }
}

fn serial_text(der: &[u8]) -> String {
    match der_integer_content(der) {
        Some(content) => hex_colons(content),
        None => format!("(not a DER INTEGER: {})", hex(der)),
    }
}

/// Reads `bytes` back and reports every expressible entry whose objects are missing or
/// altered, and every object that should not be there. Objects other than certificates and
/// trust are extras too: certblock writes no others.
pub fn verify(list: &Blocklist, bytes: &[u8]) -> Result<(), Vec<String>> {
    // Reading the file and working out what it must hold are independent: both at once.
    let (parsed, want) = rayon::join(|| read(bytes), || expected(list));
    let parsed = parsed.map_err(|e| vec![e.to_string()])?;
    let got = contents(&parsed);
    let mut problems = Vec::new();

    let mut got_certs: BTreeMap<Sha256Hash, &CertificateContent> = BTreeMap::new();
    for c in &got.certificates {
        if got_certs.insert(c.cert_sha256, c).is_some() {
            problems.push(format!(
                "certificate SHA-256 {} has more than one CKO_CERTIFICATE object",
                c.cert_sha256
            ));
        }
    }
    for c in &want.contents.certificates {
        let owner = want
            .certificate_owner
            .get(&c.cert_sha256)
            .copied()
            .unwrap_or(Sha256Hash([0; 32]));
        match got_certs.remove(&c.cert_sha256) {
            None => problems.push(format!(
                "SPKI SHA-256 {owner}: the CKO_CERTIFICATE object for certificate SHA-256 {} is missing",
                c.cert_sha256
            )),
            Some(found) if found != c => problems.push(format!(
                "SPKI SHA-256 {owner}: the CKO_CERTIFICATE object for certificate SHA-256 {} is altered \
                 (label, subject, issuer or serial differ)",
                c.cert_sha256
            )),
            Some(_) => {}
        }
    }
    for (hash, c) in got_certs {
        problems.push(format!(
            "CKO_CERTIFICATE {:?} (certificate SHA-256 {hash}) is not in the list (extra)",
            c.label
        ));
    }

    let mut got_trust: BTreeMap<(&[u8], &[u8]), &TrustContent> = BTreeMap::new();
    for t in &got.trust {
        if got_trust.insert((&t.issuer, &t.serial_number), t).is_some() {
            problems.push(format!(
                "issuer and serial {} have more than one CKO_NSS_TRUST object",
                serial_text(&t.serial_number)
            ));
        }
    }
    for t in &want.contents.trust {
        let owner = want
            .trust_owner
            .get(&(t.issuer.clone(), t.serial_number.clone()))
            .copied()
            .unwrap_or(Sha256Hash([0; 32]));
        match got_trust.remove(&(&t.issuer[..], &t.serial_number[..])) {
            None => problems.push(format!(
                "SPKI SHA-256 {owner}: the distrust (CKO_NSS_TRUST) for serial {} is missing",
                serial_text(&t.serial_number)
            )),
            Some(found) if found != t => problems.push(format!(
                "SPKI SHA-256 {owner}: the distrust (CKO_NSS_TRUST) for serial {} is altered \
                 (trust values, hashes or label differ)",
                serial_text(&t.serial_number)
            )),
            Some(_) => {}
        }
    }
    for ((_, serial), t) in got_trust {
        problems.push(format!(
            "CKO_NSS_TRUST {:?} for serial {} is not in the list (extra)",
            t.label,
            serial_text(serial)
        ));
    }
    for object in &parsed.objects {
        if object.class != "CKO_CERTIFICATE" && object.class != "CKO_NSS_TRUST" {
            problems.push(format!(
                "line {}: unexpected {} object (extra)",
                object.line, object.class
            ));
        }
    }
    // Every key the header names, collected once, so the check is linear in the list's size.
    let named: BTreeSet<&str> = parsed
        .header_comments
        .iter()
        .flat_map(|c| c.split("SPKI SHA-256 ").skip(1))
        .filter_map(|rest| rest.get(..64))
        .collect();
    for u in &want.unexpressed {
        let needle = format!("SPKI SHA-256 {}", u.spki_sha256);
        if !named.contains(u.spki_sha256.to_hex().as_str()) {
            problems.push(format!(
                "{needle} cannot be expressed, but the header does not say so ({})",
                u.reason
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn distrust_text(d: &Option<DistrustAfter>) -> Option<String> {
    d.as_ref().map(|d| match d.timestamp() {
        Some(t) => t.to_string(),
        None => d.0.clone(),
    })
}

/// A human-readable listing: counts, then one line per object.
pub fn dump(parsed: &CertData) -> String {
    let mut out = String::new();
    let distrusted = parsed.trust.iter().filter(|t| t.is_distrust()).count();
    let _ = writeln!(
        out,
        "{} objects: {} CKO_CERTIFICATE, {} CKO_NSS_TRUST ({distrusted} {NOT_TRUSTED}), {} other",
        parsed.objects.len(),
        parsed.certificates.len(),
        parsed.trust.len(),
        parsed.objects.len() - parsed.certificates.len() - parsed.trust.len()
    );
    for line in &parsed.header_comments {
        let line = line.trim();
        if line.starts_with("SPKI SHA-256") || line.starts_with("not expressible") {
            let _ = writeln!(out, "# {line}");
        }
    }
    let mut certs = parsed.certificates.iter().peekable();
    let mut trust = parsed.trust.iter().peekable();
    for object in &parsed.objects {
        match object.class.as_str() {
            "CKO_CERTIFICATE" if certs.peek().is_some_and(|c| c.line == object.line) => {
                let Some(c) = certs.next() else { continue };
                let _ = write!(
                    out,
                    "line {}: CKO_CERTIFICATE {:?}: certificate SHA-256 {}, serial {}",
                    c.line,
                    c.label,
                    c.cert_sha256,
                    serial_text(&c.serial_number)
                );
                if let Some(d) = distrust_text(&c.server_distrust_after) {
                    let _ = write!(out, ", server distrust after {d}");
                }
                if let Some(d) = distrust_text(&c.email_distrust_after) {
                    let _ = write!(out, ", email distrust after {d}");
                }
                out.push('\n');
            }
            "CKO_NSS_TRUST" if trust.peek().is_some_and(|t| t.line == object.line) => {
                let Some(t) = trust.next() else { continue };
                let v = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
                let _ = write!(
                    out,
                    "line {}: CKO_NSS_TRUST {:?}: serial {}, server {}, email {}, code {}",
                    t.line,
                    t.label,
                    serial_text(&t.serial_number),
                    v(&t.server_auth),
                    v(&t.email_protection),
                    v(&t.code_signing)
                );
                if let Some(h) = &t.cert_sha1 {
                    let _ = write!(out, ", certificate SHA-1 {}", hex(h));
                }
                if let Some(d) = distrust_text(&t.server_distrust_after) {
                    let _ = write!(out, ", server distrust after {d}");
                }
                if let Some(d) = distrust_text(&t.email_distrust_after) {
                    let _ = write!(out, ", email distrust after {d}");
                }
                out.push('\n');
            }
            other => {
                let label = match object.get("CKA_LABEL") {
                    Some(Value::Utf8(s)) => format!(" {s:?}"),
                    _ => String::new(),
                };
                let _ = writeln!(out, "line {}: {other}{label}", object.line);
            }
        }
    }
    out
}
