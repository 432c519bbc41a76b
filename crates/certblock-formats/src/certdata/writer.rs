//! Writing `certdata.txt`: which objects a list gives, and their text.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use rayon::prelude::*;

use certblock_list::{Action, Blocklist, Entry, Evidence, GENERATED_NOTICE, Sha256Hash};

use super::NOT_TRUSTED;
use crate::encoding::{der_integer, hex, hex_colons, one_line};
use crate::{Rendered, Unexpressed};

/// Octal bytes per line, as in NSS's file.
const OCTAL_PER_LINE: usize = 16;

/// The certificate half of a planned pair.
pub(super) struct PlannedCertificate {
    /// `CKA_VALUE`.
    pub value: Vec<u8>,
    /// `CKA_SUBJECT`.
    pub subject: Vec<u8>,
}

/// One certificate object, one trust object, or both, for one piece of evidence.
pub(super) struct Planned<'a> {
    pub spki_sha256: Sha256Hash,
    pub evidence: &'a Evidence,
    pub label: String,
    pub certificate: Option<PlannedCertificate>,
    /// Whether the trust object is written (it is not when another piece of evidence already
    /// distrusted the same issuer and serial).
    pub trust: bool,
    pub issuer: Vec<u8>,
    /// The whole DER INTEGER.
    pub serial_number: Vec<u8>,
    pub sha1: Option<Vec<u8>>,
    pub md5: Option<Vec<u8>>,
}

/// Everything the file will say.
pub(super) struct Plan<'a> {
    pub items: Vec<Planned<'a>>,
    pub expressed: BTreeSet<Sha256Hash>,
    pub unexpressed: Vec<Unexpressed>,
}

fn label(evidence: &Evidence) -> String {
    let name = evidence
        .subject
        .clone()
        .unwrap_or_else(|| evidence.display_name().into_owned());
    one_line(&format!("certblock {}: {name}", evidence.incident)).replace(['"', '\\'], "'")
}

fn sha1(data: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(data).to_vec()
}

fn md5(data: &[u8]) -> Vec<u8> {
    use md5::Digest;
    md5::Md5::digest(data).to_vec()
}

/// Why an entry cannot be said in `certdata.txt`, if it cannot.
fn unexpressible(entry: &Entry) -> Option<&'static str> {
    if entry.action == Action::KnownInterception {
        return Some(
            "known-interception is a label, not a distrust, and NSS trust objects have no such value",
        );
    }
    let usable = entry
        .evidence
        .iter()
        .any(|e| e.issuer_der.is_some() && e.serial.is_some());
    if usable {
        None
    } else {
        Some(
            "no certificate or facts give its issuer and serial number, and NSS distrusts by \
             issuer and serial, not by key",
        )
    }
}

/// About how many bytes [`write_item`] writes for `item` (octal is four characters a byte).
fn item_size(item: &Planned<'_>) -> usize {
    let cert = item
        .certificate
        .as_ref()
        .map_or(0, |c| c.value.len() + c.subject.len());
    1200 + 4 * (2 * (item.issuer.len() + item.serial_number.len()) + cert + 36)
}

/// Writes the certificate object (if the item has one) and the trust object (if it is written)
/// of `item`.
fn write_item(out: &mut String, item: &Planned<'_>, list: &Blocklist) {
    if let Some(cert) = &item.certificate {
        out.push('\n');
        out.push_str("#\n");
        let _ = writeln!(out, "# Certificate \"{}\"", item.label);
        out.push_str("#\n");
        comments(out, item, list);
        out.push_str("CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\n");
        bools(out);
        let _ = writeln!(out, "CKA_LABEL UTF8 \"{}\"", item.label);
        out.push_str("CKA_CERTIFICATE_TYPE CK_CERTIFICATE_TYPE CKC_X_509\n");
        octal(out, "CKA_SUBJECT", &cert.subject);
        out.push_str("CKA_ID UTF8 \"0\"\n");
        octal(out, "CKA_ISSUER", &item.issuer);
        octal(out, "CKA_SERIAL_NUMBER", &item.serial_number);
        octal(out, "CKA_VALUE", &cert.value);
    }
    if item.trust {
        out.push('\n');
        if item.certificate.is_some() {
            let _ = writeln!(out, "# Trust for Certificate \"{}\"", item.label);
        } else {
            let _ = writeln!(out, "# Explicitly Distrust \"{}\"", item.label);
        }
        comments(out, item, list);
        out.push_str("CKA_CLASS CK_OBJECT_CLASS CKO_NSS_TRUST\n");
        bools(out);
        let _ = writeln!(out, "CKA_LABEL UTF8 \"{}\"", item.label);
        if let Some(h) = &item.sha1 {
            octal(out, "CKA_CERT_SHA1_HASH", h);
        }
        if let Some(h) = &item.md5 {
            octal(out, "CKA_CERT_MD5_HASH", h);
        }
        octal(out, "CKA_ISSUER", &item.issuer);
        octal(out, "CKA_SERIAL_NUMBER", &item.serial_number);
        let _ = writeln!(out, "CKA_TRUST_SERVER_AUTH CK_TRUST {NOT_TRUSTED}");
        let _ = writeln!(out, "CKA_TRUST_EMAIL_PROTECTION CK_TRUST {NOT_TRUSTED}");
        let _ = writeln!(out, "CKA_TRUST_CODE_SIGNING CK_TRUST {NOT_TRUSTED}");
        out.push_str("CKA_TRUST_STEP_UP_APPROVED CK_BBOOL CK_FALSE\n");
    }
}

/// Decides every object of the file, in file order.
pub(super) fn plan(list: &Blocklist) -> Plan<'_> {
    let mut items = Vec::new();
    let mut expressed = BTreeSet::new();
    let mut unexpressed = Vec::new();
    let mut seen_certs: BTreeSet<Sha256Hash> = BTreeSet::new();
    let mut seen_trust: BTreeSet<(Vec<u8>, Vec<u8>)> = BTreeSet::new();
    for entry in &list.entries {
        if let Some(reason) = unexpressible(entry) {
            unexpressed.push(Unexpressed {
                spki_sha256: entry.spki_sha256,
                reason,
            });
            continue;
        }
        expressed.insert(entry.spki_sha256);
        // Evidence with a whole certificate first, so that its trust object carries the hashes.
        let with_cert = entry
            .evidence
            .iter()
            .filter(|e| e.certificate.is_some() && e.subject_der.is_some());
        let without_cert = entry
            .evidence
            .iter()
            .filter(|e| !(e.certificate.is_some() && e.subject_der.is_some()));
        for ev in with_cert.chain(without_cert) {
            let (Some(issuer), Some(serial)) = (&ev.issuer_der, &ev.serial) else {
                continue;
            };
            let issuer = issuer.0.clone();
            let serial_number = der_integer(&serial.0);
            let certificate = match (&ev.certificate, &ev.subject_der) {
                (Some(cert), Some(subject)) if seen_certs.insert(Sha256Hash::digest(&cert.0)) => {
                    Some(PlannedCertificate {
                        value: cert.0.clone(),
                        subject: subject.0.clone(),
                    })
                }
                _ => None,
            };
            let trust = seen_trust.insert((issuer.clone(), serial_number.clone()));
            if certificate.is_none() && !trust {
                continue;
            }
            let (sha1, md5) = match &ev.certificate {
                Some(cert) => (Some(sha1(&cert.0)), Some(md5(&cert.0))),
                None => (
                    ev.cert_sha1
                        .as_ref()
                        .filter(|h| h.0.len() == 20)
                        .map(|h| h.0.clone()),
                    ev.cert_md5
                        .as_ref()
                        .filter(|h| h.0.len() == 16)
                        .map(|h| h.0.clone()),
                ),
            };
            items.push(Planned {
                spki_sha256: entry.spki_sha256,
                evidence: ev,
                label: label(ev),
                certificate,
                trust,
                issuer,
                serial_number,
                sha1,
                md5,
            });
        }
    }
    Plan {
        items,
        expressed,
        unexpressed,
    }
}

fn octal(out: &mut String, name: &str, bytes: &[u8]) {
    let _ = writeln!(out, "{name} MULTILINE_OCTAL");
    // Each line is built in a buffer and appended once: a list of certificates is mostly this.
    let mut line = [0u8; 4 * OCTAL_PER_LINE + 1];
    for chunk in bytes.chunks(OCTAL_PER_LINE) {
        for (slot, &b) in line.chunks_exact_mut(4).zip(chunk) {
            slot.copy_from_slice(&[
                b'\\',
                b'0' + (b >> 6),
                b'0' + ((b >> 3) & 7),
                b'0' + (b & 7),
            ]);
        }
        let len = 4 * chunk.len();
        line[len] = b'\n';
        out.push_str(std::str::from_utf8(&line[..=len]).expect("octal digits are ASCII"));
    }
    out.push_str("END\n");
}

fn comments(out: &mut String, item: &Planned<'_>, list: &Blocklist) {
    let ev = item.evidence;
    let title = list
        .incident(&ev.incident)
        .map(|i| i.title.as_str())
        .unwrap_or_default();
    let mut line = |text: String| {
        let _ = writeln!(out, "# {}", one_line(&text));
    };
    line(format!("Incident: {} ({title})", ev.incident));
    match &ev.name {
        Some(name) => line(format!("Evidence: {name} ({})", ev.location())),
        None => line(format!("Evidence: {}", ev.location())),
    }
    if let Some(issuer) = &ev.issuer {
        line(format!("Issuer: {issuer}"));
    }
    if let Some(serial) = &ev.serial {
        line(format!("Serial Number: {}", hex_colons(&serial.0)));
    }
    if let Some(subject) = &ev.subject {
        line(format!("Subject: {subject}"));
    }
    if let Some(t) = &ev.not_before {
        line(format!("Not Valid Before: {t}"));
    }
    if let Some(t) = &ev.not_after {
        line(format!("Not Valid After : {t}"));
    }
    line(format!("SPKI SHA-256: {}", item.spki_sha256));
    let cert_sha256 = match &ev.certificate {
        Some(cert) => Some(Sha256Hash::digest(&cert.0)),
        None => ev.cert_sha256,
    };
    if let Some(h) = cert_sha256 {
        line(format!("Certificate SHA-256: {h}"));
    }
    if let Some(h) = &item.sha1 {
        line(format!("Certificate SHA-1: {}", hex(h)));
    }
    if let Some(h) = &item.md5 {
        line(format!("Certificate MD5: {}", hex(h)));
    }
}

fn bools(out: &mut String) {
    out.push_str("CKA_TOKEN CK_BBOOL CK_TRUE\n");
    out.push_str("CKA_PRIVATE CK_BBOOL CK_FALSE\n");
    out.push_str("CKA_MODIFIABLE CK_BBOOL CK_FALSE\n");
}

/// Writes the `certdata.txt` of a list: a commented header (with every entry the format cannot
/// express), `BEGINDATA`, then for each certificate a `CKO_CERTIFICATE` and a distrusting
/// `CKO_NSS_TRUST` object, and for issuer+serial facts a trust object alone.
pub fn render(list: &Blocklist) -> Rendered {
    let plan = plan(list);
    let certs = plan
        .items
        .iter()
        .filter(|i| i.certificate.is_some())
        .count();
    let trusts = plan.items.iter().filter(|i| i.trust).count();
    // Room for the whole file up front (octal is four characters per byte, plus comments and
    // attributes): a list of certificates makes a file of hundreds of megabytes.
    let octal_bytes: usize = plan
        .items
        .iter()
        .map(|i| {
            let cert = i
                .certificate
                .as_ref()
                .map_or(0, |c| c.value.len() + c.subject.len());
            2 * (i.issuer.len() + i.serial_number.len()) + cert
        })
        .sum();
    let mut out = String::with_capacity(
        4096 + 90 * plan.unexpressed.len()
            + 1200 * plan.items.len()
            + 4 * octal_bytes
            + octal_bytes / 4,
    );
    out.push_str("#\n");
    let _ = writeln!(out, "# {GENERATED_NOTICE}");
    out.push_str("#\n");
    out.push_str("# The certblock blocklist as NSS distrust objects (certdata.txt syntax).\n");
    let _ = writeln!(
        out,
        "# List sequence {}: {} of {} entries expressed, as {certs} CKO_CERTIFICATE and {trusts} \
         CKO_NSS_TRUST objects ({NOT_TRUSTED}).",
        list.sequence,
        plan.expressed.len(),
        list.entries.len()
    );
    out.push_str(
        "# Each object is preceded by comments naming its incident and its SPKI SHA-256.\n",
    );
    out.push_str("#\n");
    if !plan.unexpressed.is_empty() {
        let _ = writeln!(
            out,
            "# not expressible in certdata.txt ({} entries), by reason:",
            plan.unexpressed.len()
        );
        for group in crate::group_by_reason(list, &plan.unexpressed) {
            let _ = writeln!(
                out,
                "# not expressible: {} ({} entries):",
                group.reason,
                group.keys.len()
            );
            out.reserve(90 * group.keys.len());
            for (key, incident) in group.keys {
                out.push_str("#   SPKI SHA-256 ");
                out.push_str(key.hex_in(&mut [0; 64]));
                out.push_str(" (");
                out.push_str(incident.as_str());
                out.push_str(")\n");
            }
        }
        out.push_str("#\n");
    }
    out.push_str("BEGINDATA\n");
    // The objects are independent: rendered on every core in batches, joined in order.
    let batches: Vec<String> = plan
        .items
        .par_chunks(256)
        .map(|items| {
            let mut out = String::with_capacity(items.iter().map(item_size).sum());
            for item in items {
                write_item(&mut out, item, list);
            }
            out
        })
        .collect();
    for batch in batches {
        out.push_str(&batch);
    }
    Rendered {
        bytes: out.into_bytes(),
        unexpressed: plan.unexpressed,
    }
}
