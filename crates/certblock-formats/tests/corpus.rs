//! The readers against the real upstream files in the shared corpus, with their known counts.

mod common;

use std::collections::BTreeSet;

use certblock_formats::{Format, certdata, detect, onecrl};
use certblock_list::Sha256Hash;

#[test]
fn nss_certdata_current() {
    let Some(dir) = common::corpus("nss_certdata_current") else {
        return;
    };
    let bytes = std::fs::read(dir.join("nss/certdata.txt")).unwrap();
    assert_eq!(detect(&bytes), Some(Format::CertData));
    let parsed = certdata::read(&bytes).unwrap();
    assert_eq!(parsed.certificates.len(), 167, "CKO_CERTIFICATE objects");
    assert_eq!(parsed.trust.len(), 167, "CKO_NSS_TRUST objects");
    assert_eq!(
        parsed.objects.len(),
        167 + 167 + 1,
        "all objects, with the builtin root list"
    );
    assert_eq!(
        parsed.trust.iter().filter(|t| t.is_distrust()).count(),
        0,
        "CKT_NSS_NOT_TRUSTED"
    );
    let server_dates: Vec<_> = parsed
        .certificates
        .iter()
        .filter_map(|c| c.server_distrust_after.as_ref())
        .collect();
    assert_eq!(
        server_dates.len(),
        5,
        "server distrust-after dates in certificate objects"
    );
    // The sixth (Izenpe.com) sits in its trust object.
    let in_trust: Vec<_> = parsed
        .trust
        .iter()
        .filter(|t| t.server_distrust_after.is_some())
        .collect();
    assert_eq!(in_trust.len(), 1);
    assert_eq!(in_trust[0].label, "Izenpe.com");
    assert_eq!(
        in_trust[0]
            .server_distrust_after
            .as_ref()
            .unwrap()
            .timestamp()
            .unwrap()
            .to_string(),
        "2026-04-15T23:59:59Z"
    );
    assert!(
        server_dates.iter().all(|d| d.timestamp().is_some()),
        "{server_dates:?}"
    );
    // Every certificate object has a matching trust object by issuer and serial.
    let trust: BTreeSet<(&[u8], &[u8])> = parsed
        .trust
        .iter()
        .map(|t| (&t.issuer[..], &t.serial_number[..]))
        .collect();
    for c in &parsed.certificates {
        assert!(
            trust.contains(&(&c.issuer[..], &c.serial_number[..])),
            "{}",
            c.label
        );
    }
    let text = certdata::dump(&parsed);
    assert!(
        text.starts_with(
            "335 objects: 167 CKO_CERTIFICATE, 167 CKO_NSS_TRUST (0 CKT_NSS_NOT_TRUSTED), 1 other\n"
        ),
        "{}",
        &text[..200]
    );
    assert!(text.contains("\"GlobalSign Root CA\""));
    serde_json::to_string(&parsed).unwrap();
}

fn read_2022() -> Option<certdata::CertData> {
    let dir = common::corpus("nss_certdata_2022")?;
    let bytes = std::fs::read(dir.join("nss/certdata-2022-03-with-distrust.txt")).unwrap();
    Some(certdata::read(&bytes).unwrap())
}

#[test]
fn nss_certdata_2022_distrust() {
    let Some(parsed) = read_2022() else { return };
    assert_eq!(parsed.certificates.len(), 152);
    assert_eq!(parsed.trust.len(), 156);
    let distrust: Vec<&certdata::Trust> = parsed.trust.iter().filter(|t| t.is_distrust()).collect();
    assert_eq!(distrust.len(), 6, "CKT_NSS_NOT_TRUSTED trust objects");
    for t in &distrust {
        assert_eq!(t.email_protection.as_deref(), Some(certdata::NOT_TRUSTED));
        assert_eq!(t.code_signing.as_deref(), Some(certdata::NOT_TRUSTED));
    }
    let with_cert: Vec<&&certdata::Trust> = distrust
        .iter()
        .filter(|t| {
            parsed
                .certificates
                .iter()
                .any(|c| c.issuer == t.issuer && c.serial_number == t.serial_number)
        })
        .collect();
    assert_eq!(with_cert.len(), 2);
    assert!(with_cert.iter().all(|t| t.label.contains("DigiNotar")));
    let trust_only: Vec<&str> = distrust
        .iter()
        .filter(|t| !with_cert.iter().any(|w| w.line == t.line))
        .map(|t| t.label.as_str())
        .collect();
    assert_eq!(trust_only.len(), 4, "{trust_only:?}");
    assert_eq!(
        trust_only
            .iter()
            .filter(|l| l.contains("Trustwave"))
            .count(),
        2,
        "{trust_only:?}"
    );
    assert_eq!(
        trust_only
            .iter()
            .filter(|l| l.contains("TURKTRUST"))
            .count(),
        2,
        "{trust_only:?}"
    );
    // Trust-only objects carry no certificate hashes; the Trustwave serial is 0x6b49d205.
    let tw = distrust
        .iter()
        .find(|t| t.label == "MITM subCA 1 issued by Trustwave")
        .unwrap();
    assert_eq!(tw.cert_sha1, None);
    assert_eq!(tw.serial_number, vec![0x02, 0x04, 0x6b, 0x49, 0xd2, 0x05]);
    // Distrust-after dates: 1 server, 7 email.
    let server = parsed
        .certificates
        .iter()
        .filter(|c| c.server_distrust_after.is_some())
        .count()
        + parsed
            .trust
            .iter()
            .filter(|t| t.server_distrust_after.is_some())
            .count();
    let email = parsed
        .certificates
        .iter()
        .filter(|c| c.email_distrust_after.is_some())
        .count()
        + parsed
            .trust
            .iter()
            .filter(|t| t.email_distrust_after.is_some())
            .count();
    assert_eq!((server, email), (1, 7));
}

/// The two DigiNotar certificates NSS distrusts are keys Chromium blocks too.
#[test]
fn diginotar_keys_are_in_chromium_blocklist() {
    let Some(parsed) = read_2022() else { return };
    let Some(dir) = common::corpus("diginotar_keys_are_in_chromium_blocklist") else {
        return;
    };
    let facts = std::fs::read_to_string(dir.join("chromium/blocklist-facts.tsv")).unwrap();
    let chromium: BTreeSet<String> = facts
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect();
    assert!(chromium.len() > 50);
    let distrusted: Vec<&certdata::Certificate> = parsed
        .certificates
        .iter()
        .filter(|c| {
            parsed.trust.iter().any(|t| {
                t.is_distrust() && t.issuer == c.issuer && t.serial_number == c.serial_number
            })
        })
        .collect();
    assert_eq!(distrusted.len(), 2);
    for cert in distrusted {
        assert!(cert.label.contains("DigiNotar"), "{}", cert.label);
        let (_, x509) = x509_parser::parse_x509_certificate(&cert.value).unwrap();
        let spki = Sha256Hash::digest(x509.tbs_certificate.subject_pki.raw);
        assert!(
            chromium.contains(&spki.to_hex()),
            "{}: SPKI SHA-256 {spki} is not in Chromium's blocklist facts",
            cert.label
        );
        // The reader's issuer and serial are the certificate's own.
        assert_eq!(cert.issuer, x509.tbs_certificate.issuer.as_raw());
        assert_eq!(cert.subject, x509.tbs_certificate.subject.as_raw());
    }
}

#[test]
fn mozilla_onecrl() {
    let Some(dir) = common::corpus("mozilla_onecrl") else {
        return;
    };
    let bytes = std::fs::read(dir.join("mozilla/onecrl.json")).unwrap();
    assert_eq!(detect(&bytes), Some(Format::OneCrl));
    let parsed = onecrl::read(&bytes).unwrap();
    assert_eq!(parsed.records.len(), 1959);
    let issuer_serial = parsed
        .records
        .iter()
        .filter(|r| matches!(r.target, onecrl::Target::IssuerSerial { .. }))
        .count();
    assert_eq!(issuer_serial, 1950);
    assert_eq!(parsed.records.len() - issuer_serial, 9);
    assert_eq!(
        parsed
            .records
            .iter()
            .filter(|r| r.enabled == Some(true))
            .count(),
        1262
    );
    assert_eq!(parsed.timestamp, Some(1794348206673));
    let text = onecrl::dump(&parsed);
    assert!(text.starts_with("1959 records: 1950 issuer+serial, 9 subject+key; 1262 enabled\n"));
    serde_json::to_string(&parsed).unwrap();
}

/// The Qaznet Trust Network root: OneCRL's record and Chromium's facts agree.
#[test]
fn onecrl_qaznet_record_matches_chromium_facts() {
    let Some(dir) = common::corpus("onecrl_qaznet_record_matches_chromium_facts") else {
        return;
    };
    let parsed = onecrl::read(&std::fs::read(dir.join("mozilla/onecrl.json")).unwrap()).unwrap();
    let facts = std::fs::read_to_string(dir.join("chromium/blocklist-facts.tsv")).unwrap();
    let row: Vec<&str> = facts
        .lines()
        .find(|l| {
            l.contains("00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2.pem")
        })
        .unwrap()
        .split('\t')
        .collect();
    let issuer = certblock_list::Base64Bytes::from_base64(row[13]).unwrap().0;
    let serial = certblock_list::Base64Bytes::from_base64(row[14]).unwrap().0;
    assert!(parsed.records.iter().any(|r| r.target
        == onecrl::Target::IssuerSerial {
            issuer_name: issuer.clone(),
            serial_number: serial.clone()
        }));
}
