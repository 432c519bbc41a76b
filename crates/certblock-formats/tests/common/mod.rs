//! Shared by the integration tests: the corpus location, a fixed sample list, and a proptest
//! strategy for random valid lists.

#![allow(dead_code)]

use std::path::PathBuf;

use certblock_list::{
    Action, Base64Bytes, Blocklist, Category, Entry, Evidence, EvidenceKind, HexBytes, Incident,
    IncidentId, Sha256Hash,
};
use proptest::prelude::*;

/// The shared upstream corpus, or `None` (after a loud warning) when it is absent.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "\n\n!!!!!!!! WARNING: {test}: the upstream corpus is absent at {}; \
             this test checked NOTHING !!!!!!!!\n\n",
            dir.display()
        );
        None
    }
}

/// A DER Name with one CN attribute (UTF8String), enough for the writers, which embed names.
pub fn name_der(cn: &str) -> Vec<u8> {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        assert!(body.len() < 128);
        let mut v = vec![tag, body.len() as u8];
        v.extend_from_slice(body);
        v
    }
    let atv = [tlv(0x06, &[0x55, 0x04, 0x03]), tlv(0x0c, cn.as_bytes())].concat();
    tlv(0x30, &tlv(0x31, &tlv(0x30, &atv)))
}

pub fn id(s: &str) -> IncidentId {
    s.parse().unwrap()
}

fn incident(name: &str, action: Action, added: Option<&str>, reference: Option<&str>) -> Incident {
    Incident {
        id: id(name),
        title: format!("Demo incident {name}"),
        category: Category::Test,
        action,
        added: added.map(|d| d.parse().unwrap()),
        distrust_after: None,
        references: reference.map(|r| vec![r.to_string()]).unwrap_or_default(),
        summary: "A test incident.".into(),
    }
}

/// Certificate evidence whose "certificate" is `cert` (any bytes: writers only embed it).
pub fn cert_evidence(
    incident: &str,
    file: &str,
    cert: &[u8],
    subject: &str,
    issuer: &str,
    serial: &[u8],
) -> Evidence {
    let mut ev = Evidence::new(
        id(incident),
        format!("{incident}/{file}"),
        None,
        EvidenceKind::Certificate,
    );
    ev.certificate = Some(Base64Bytes(cert.to_vec()));
    ev.cert_sha256 = Some(Sha256Hash::digest(cert));
    ev.subject = Some(format!("CN={subject}"));
    ev.issuer = Some(format!("CN={issuer}"));
    ev.subject_der = Some(Base64Bytes(name_der(subject)));
    ev.issuer_der = Some(Base64Bytes(name_der(issuer)));
    ev.serial = Some(HexBytes(serial.to_vec()));
    ev.not_before = Some("2011-03-15T00:00:00Z".parse().unwrap());
    ev.not_after = Some("2014-03-14T23:59:59Z".parse().unwrap());
    ev
}

/// The fixed list of the golden files: one entry of every shape.
pub fn sample_list() -> Blocklist {
    let a = "demo-compromise";
    let k = "demo-known-interception";
    let b = "demo-blocked-interception";
    let mut entries = Vec::new();

    // A certificate.
    entries.push(Entry {
        spki_sha256: Sha256Hash::digest(b"spki of the demo root"),
        action: Action::Block,
        incidents: vec![id(a)],
        distrust_after: None,
        evidence: vec![cert_evidence(
            a,
            "root.pem",
            b"not really a certificate, root",
            "Demo Root",
            "Demo Root",
            &[0x0f, 0xff, 0xee],
        )],
    });
    // Facts with issuer and serial and hashes, no certificate.
    let mut facts = Evidence::new(
        id(a),
        format!("{a}/facts.json"),
        Some(1),
        EvidenceKind::Facts,
    );
    facts.name = Some("intermediate.pem".into());
    facts.cert_sha256 = Some(Sha256Hash::digest(b"an intermediate we do not have"));
    facts.subject = Some("CN=Demo Intermediate".into());
    facts.issuer = Some("CN=Demo Root".into());
    facts.subject_der = Some(Base64Bytes(name_der("Demo Intermediate")));
    facts.issuer_der = Some(Base64Bytes(name_der("Demo Root")));
    facts.serial = Some(HexBytes(vec![0x6b, 0x49, 0xd2, 0x05]));
    facts.cert_sha1 = Some(HexBytes(vec![0x11; 20]));
    facts.cert_md5 = Some(HexBytes(vec![0x22; 16]));
    entries.push(Entry {
        spki_sha256: Sha256Hash::digest(b"spki of the demo intermediate"),
        action: Action::Block,
        incidents: vec![id(a)],
        distrust_after: None,
        evidence: vec![facts],
    });
    // A bare key.
    let spki = b"a bare public key".to_vec();
    let mut bare = Evidence::new(
        id(a),
        format!("{a}/leaked.key"),
        None,
        EvidenceKind::PublicKey,
    );
    bare.public_key = Some(Base64Bytes(spki.clone()));
    entries.push(Entry {
        spki_sha256: Sha256Hash::digest(&spki),
        action: Action::Block,
        incidents: vec![id(a)],
        distrust_after: None,
        evidence: vec![bare],
    });
    // A known-interception certificate.
    entries.push(Entry {
        spki_sha256: Sha256Hash::digest(b"spki of an interception root"),
        action: Action::KnownInterception,
        incidents: vec![id(k)],
        distrust_after: None,
        evidence: vec![cert_evidence(
            k,
            "mitm.pem",
            b"not really a certificate, mitm",
            "Intercept Root",
            "Intercept Root",
            &[0x01],
        )],
    });
    // A blocked-interception certificate.
    entries.push(Entry {
        spki_sha256: Sha256Hash::digest(b"spki of a blocked interception root"),
        action: Action::BlockedInterception,
        incidents: vec![id(b)],
        distrust_after: None,
        evidence: vec![cert_evidence(
            b,
            "bad.pem",
            b"not really a certificate, bad",
            "Bad \"Quoted\" Root",
            "Bad Root",
            &[0x00, 0x80],
        )],
    });
    entries.sort_by_key(|e| e.spki_sha256);
    let list = Blocklist {
        sequence: 7,
        source_digest: Sha256Hash::digest(b"sources"),
        incidents: vec![
            incident(b, Action::BlockedInterception, None, None),
            incident(
                a,
                Action::Block,
                Some("2011-03-23"),
                Some("https://example.com/demo-compromise"),
            ),
            incident(k, Action::KnownInterception, Some("2019-08-21"), None),
        ],
        entries,
    };
    list.validate().unwrap();
    list
}

/// One random piece of evidence, before it is bound to an incident and a key.
#[derive(Clone, Debug)]
pub enum EvidenceShape {
    PublicKey,
    Certificate {
        cert: Vec<u8>,
        subject: Option<Vec<u8>>,
        issuer: Option<Vec<u8>>,
        serial: Option<Vec<u8>>,
        text: Option<String>,
    },
    Facts {
        cert_sha256: Option<[u8; 32]>,
        subject: Option<Vec<u8>>,
        issuer: Option<Vec<u8>>,
        serial: Option<Vec<u8>>,
        sha1: Option<Vec<u8>>,
        md5: Option<Vec<u8>>,
        text: Option<String>,
    },
}

fn small_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    // Few distinct values, so that subjects, issuers and serials sometimes repeat.
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 1..max),
        1 => (0u8..3).prop_map(|b| vec![b; 3]),
    ]
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 =,.]{0,20}",
        any::<String>().prop_map(|s| s.chars().take(24).collect()),
    ]
}

fn evidence_shape() -> impl Strategy<Value = EvidenceShape> {
    prop_oneof![
        1 => Just(EvidenceShape::PublicKey),
        2 => (
            proptest::collection::vec(any::<u8>(), 0..200),
            proptest::option::weighted(0.8, small_bytes(40)),
            proptest::option::weighted(0.8, small_bytes(40)),
            proptest::option::weighted(0.8, small_bytes(25)),
            proptest::option::of(any_text()),
        )
            .prop_map(|(cert, subject, issuer, serial, text)| EvidenceShape::Certificate {
                cert, subject, issuer, serial, text
            }),
        2 => (
            proptest::option::of(any::<[u8; 32]>()),
            proptest::option::of(small_bytes(40)),
            proptest::option::of(small_bytes(40)),
            proptest::option::of(small_bytes(25)),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 19..=21)),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 15..=17)),
            proptest::option::of(any_text()),
        )
            .prop_map(|(cert_sha256, subject, issuer, serial, sha1, md5, text)| EvidenceShape::Facts {
                cert_sha256, subject, issuer, serial, sha1, md5, text
            }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Block),
        Just(Action::KnownInterception),
        Just(Action::BlockedInterception)
    ]
}

/// Random lists that pass `Blocklist::validate`: up to 4 incidents, up to 10 entries, each
/// with 1 to 4 pieces of evidence of every kind.
pub fn any_list() -> impl Strategy<Value = Blocklist> {
    let incidents = proptest::collection::vec(
        (
            action(),
            any_text(),
            proptest::option::of(0u8..3),
            proptest::bool::ANY,
        ),
        1..4,
    );
    let entries = proptest::collection::vec(
        (
            proptest::collection::vec(any::<u8>(), 1..48),
            any::<prop::sample::Index>(),
            proptest::collection::vec(evidence_shape(), 1..4),
        ),
        0..10,
    );
    (incidents, entries, 0u64..1000).prop_map(|(incidents, entries, sequence)| {
        let incidents: Vec<Incident> = incidents
            .into_iter()
            .enumerate()
            .map(|(i, (action, title, added, has_ref))| Incident {
                id: id(&format!("inc-{i}")),
                title,
                category: Category::Other,
                action,
                added: added.map(|d| format!("2020-01-0{}", d + 1).parse().unwrap()),
                distrust_after: None,
                references: if has_ref {
                    vec![format!("https://example.com/{i}")]
                } else {
                    vec![]
                },
                summary: String::new(),
            })
            .collect();
        let mut out: Vec<Entry> = Vec::new();
        for (spki, which, shapes) in entries {
            let key = Sha256Hash::digest(&spki);
            if out.iter().any(|e| e.spki_sha256 == key) {
                continue;
            }
            let incident = &incidents[which.index(incidents.len())];
            let mut evidence = Vec::new();
            for (n, shape) in shapes.into_iter().enumerate() {
                let file = format!("{}/file-{n}", incident.id);
                let ev = match shape {
                    EvidenceShape::PublicKey => {
                        let mut ev =
                            Evidence::new(incident.id.clone(), file, None, EvidenceKind::PublicKey);
                        ev.public_key = Some(Base64Bytes(spki.clone()));
                        ev
                    }
                    EvidenceShape::Certificate {
                        cert,
                        subject,
                        issuer,
                        serial,
                        text,
                    } => {
                        let mut ev = Evidence::new(
                            incident.id.clone(),
                            file,
                            None,
                            EvidenceKind::Certificate,
                        );
                        ev.cert_sha256 = Some(Sha256Hash::digest(&cert));
                        ev.certificate = Some(Base64Bytes(cert));
                        ev.subject_der = subject.map(Base64Bytes);
                        ev.issuer_der = issuer.map(Base64Bytes);
                        ev.serial = serial.map(HexBytes);
                        ev.subject = text.clone();
                        ev.issuer = text;
                        ev
                    }
                    EvidenceShape::Facts {
                        cert_sha256,
                        subject,
                        issuer,
                        serial,
                        sha1,
                        md5,
                        text,
                    } => {
                        let mut ev =
                            Evidence::new(incident.id.clone(), file, Some(1), EvidenceKind::Facts);
                        ev.name = text.clone();
                        ev.cert_sha256 = cert_sha256.map(Sha256Hash);
                        ev.subject_der = subject.map(Base64Bytes);
                        ev.issuer_der = issuer.map(Base64Bytes);
                        ev.serial = serial.map(HexBytes);
                        ev.cert_sha1 = sha1.map(HexBytes);
                        ev.cert_md5 = md5.map(HexBytes);
                        ev.subject = text;
                        ev
                    }
                };
                evidence.push(ev);
            }
            out.push(Entry {
                spki_sha256: key,
                action: incident.action,
                incidents: vec![incident.id.clone()],
                distrust_after: None,
                evidence,
            });
        }
        out.sort_by_key(|e| e.spki_sha256);
        let list = Blocklist {
            sequence,
            source_digest: Sha256Hash::digest(b"random"),
            incidents,
            entries: out,
        };
        if let Err(problems) = list.validate() {
            panic!("the generator made an invalid list: {problems:?}");
        }
        list
    })
}
