//! Helpers for the integration tests: rcgen chains, and run-time lists compiled from a
//! `certblock_list::Blocklist` to snapshot bytes by the real compiler.

#![allow(dead_code)]

use certblock_list::{
    Action, Blocklist, Category, Entry, Evidence, EvidenceKind, Incident, IncidentId, Sha256Hash,
    Timestamp,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A certificate authority: its key, its parameters (to sign with) and its DER certificate.
pub struct Ca {
    pub key: KeyPair,
    pub params: CertificateParams,
    pub der: Vec<u8>,
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

/// A self-signed root.
pub fn root(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let params = ca_params(name);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca { key, params, der }
}

/// An intermediate named `name` with the key `key`, signed by `issuer`.
pub fn intermediate_with_key(name: &str, key: KeyPair, issuer: &Ca) -> Ca {
    let params = ca_params(name);
    let der = params
        .signed_by(&key, &Issuer::from_params(&issuer.params, &issuer.key))
        .unwrap()
        .der()
        .to_vec();
    Ca { key, params, der }
}

/// A copy of a key pair (rcgen key pairs are not `Clone`).
pub fn same_key(key: &KeyPair) -> KeyPair {
    KeyPair::from_pem(&key.serialize_pem()).unwrap()
}

/// A leaf for `host`, signed by `issuer`, valid from `at` = (year, month, day, hour, minute,
/// second), UTC.
pub fn leaf_at(host: &str, issuer: &Ca, at: (i32, u8, u8, u8, u8, u8)) -> Vec<u8> {
    let (year, month, day, hour, minute, second) = at;
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, host);
    params.not_before = rcgen::date_time_ymd(year, month, day)
        .replace_hour(hour)
        .unwrap()
        .replace_minute(minute)
        .unwrap()
        .replace_second(second)
        .unwrap();
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    params
        .signed_by(&key, &Issuer::from_params(&issuer.params, &issuer.key))
        .unwrap()
        .der()
        .to_vec()
}

/// A leaf for `host`, signed by `issuer`, valid from 2024-01-01.
pub fn leaf(host: &str, issuer: &Ca) -> Vec<u8> {
    leaf_at(host, issuer, (2024, 1, 1, 0, 0, 0))
}

/// The SPKI SHA-256 of a DER certificate.
pub fn spki_sha256(der: &[u8]) -> [u8; 32] {
    let info = certblock::CertificateInfo::from_der(der).unwrap();
    Sha256Hash::digest(info.spki).0
}

/// One key of a run-time list: the key, its action, its incident and an optional
/// `distrust_after` (`YYYY-MM-DDTHH:MM:SSZ`).
pub struct Listed<'a> {
    pub key: [u8; 32],
    pub action: Action,
    pub incident: &'a str,
    pub distrust_after: Option<&'a str>,
}

/// A valid canonical list of `listed` (one incident per distinct incident name; the incident's
/// action and date are those of its first key).
pub fn list_of(listed: &[Listed<'_>]) -> Blocklist {
    let mut incidents: Vec<Incident> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (i, l) in listed.iter().enumerate() {
        let id: IncidentId = l.incident.parse().unwrap();
        let distrust_after: Option<Timestamp> = l.distrust_after.map(|t| t.parse().unwrap());
        if !incidents.iter().any(|inc| inc.id == id) {
            incidents.push(Incident {
                id: id.clone(),
                title: format!("Test incident {}", l.incident),
                category: Category::Test,
                action: l.action,
                added: None,
                distrust_after,
                references: vec![],
                summary: "For tests.".into(),
            });
        }
        let mut ev = Evidence::new(
            id.clone(),
            format!("{id}/facts.json"),
            Some(i as u32 + 1),
            EvidenceKind::Facts,
        );
        ev.name = Some(format!("key {i}"));
        entries.push(Entry {
            spki_sha256: Sha256Hash(l.key),
            action: l.action,
            incidents: vec![id],
            distrust_after,
            evidence: vec![ev],
        });
    }
    incidents.sort_by(|a, b| a.id.cmp(&b.id));
    entries.sort_by_key(|e| e.spki_sha256);
    let list = Blocklist {
        sequence: 7,
        source_digest: Sha256Hash::digest(b"tests"),
        incidents,
        entries,
    };
    if let Err(problems) = list.validate() {
        panic!("test list is invalid: {problems:?}");
    }
    list
}

/// The snapshot bytes the compiler writes for `listed`.
pub fn snapshot_of(listed: &[Listed<'_>]) -> Vec<u8> {
    certblock_compile::snapshot::render(&list_of(listed))
}

/// Replaces the digest in a snapshot's header with the SHA-256 of its payload, so that a
/// mutated payload gets past the digest check and reaches the structural checks.
pub fn reseal(bytes: &mut [u8]) {
    if bytes.len() >= 64 {
        let digest = Sha256Hash::digest(&bytes[64..]).0;
        bytes[32..64].copy_from_slice(&digest);
    }
}
