//! A bounded, deterministic stand-in for the cargo-fuzz targets in `fuzz/` (which need nightly):
//! about 20 000 random and mutated inputs (mutations of real rcgen PEM and DER) go through
//! `read_evidence_file` under several file names, and mutated JSON through the incident.json and
//! facts.json parsers. Nothing may panic, and every answer must be either items that agree with
//! their own bytes or problems that name the file.
//!
//! The seed is fixed, so a failure replays; a failing input is printed in hex. Each crash found
//! becomes a regression test at the end of this file.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use base64::Engine as _;
use certblock_list::Sha256Hash;
use rcgen::PublicKeyData as _;

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn pem(label: &str, der: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out.into_bytes()
}

/// Real inputs to mutate: certificates and keys, PEM and DER, bundles, a private key.
fn seeds() -> Vec<Vec<u8>> {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["fuzz.test".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "fuzz.test");
    let cert = params.self_signed(&key).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["other.test".to_string()]).unwrap();
    let ed = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let spki = key.subject_public_key_info();
    let cert_der = cert.der().to_vec();
    let mut bundle = b"Certificate:\n    Data: (text before the block)\n".to_vec();
    bundle.extend(pem("CERTIFICATE", &cert_der));
    bundle.extend(pem("CERTIFICATE", other.cert.der()));
    bundle.extend(pem("PUBLIC KEY", &ed.subject_public_key_info()));
    let crlf: Vec<u8> = String::from_utf8(pem("CERTIFICATE", &cert_der))
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    vec![
        cert_der.clone(),
        pem("CERTIFICATE", &cert_der),
        spki.clone(),
        pem("PUBLIC KEY", &spki),
        ed.subject_public_key_info(),
        bundle,
        crlf,
        key.serialize_pem().into_bytes(),
        key.serialize_der(),
        other.cert.der().to_vec(),
    ]
}

/// One mutation of `input` (which may be replaced by something else altogether).
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let len = input.len();
    match rng.below(12) {
        0 => {
            // Flip one bit.
            if len > 0 {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
        }
        1 => {
            // Set a byte to an interesting value (DER lengths and tags).
            if len > 0 {
                const INTERESTING: [u8; 12] = [
                    0x00, 0x01, 0x30, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff, 0x02, 0x03, 0xa0,
                ];
                let i = rng.below(len);
                input[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
        }
        2 => {
            // Random bytes inserted.
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes = rng.bytes(n);
            input.splice(at..at, bytes);
        }
        3 => {
            // A range deleted.
            if len > 0 {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(64));
                input.drain(at..at + n);
            }
        }
        4 => {
            // Truncated.
            let at = rng.below(len + 1);
            input.truncate(at);
        }
        5 => {
            // A range duplicated.
            if len > 0 {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(128));
                let copy = input[at..at + n].to_vec();
                let to = rng.below(len + 1);
                input.splice(to..to, copy);
            }
        }
        6 => {
            // Spliced with another seed.
            let other = &seeds[rng.below(seeds.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            input.truncate(cut);
            input.extend_from_slice(&other[from..]);
        }
        7 => {
            // PEM markers in odd places.
            const MARKERS: [&[u8]; 7] = [
                b"-----BEGIN CERTIFICATE-----\n",
                b"-----END CERTIFICATE-----\n",
                b"-----BEGIN ",
                b"-----END ",
                b"-----BEGIN PRIVATE KEY-----\n",
                b"-----BEGIN PUBLIC KEY-----",
                b"\r\n",
            ];
            let at = rng.below(len + 1);
            input.splice(at..at, MARKERS[rng.below(MARKERS.len())].iter().copied());
        }
        8 => {
            // A DER length made huge.
            if len > 2 {
                let i = rng.below(len - 1);
                input[i] = 0x84;
                input[i + 1] = 0xff;
            }
        }
        9 => {
            // Pure random bytes.
            let n = rng.below(600);
            *input = rng.bytes(n);
        }
        10 => {
            // A base64 character of PEM text replaced.
            if len > 0 {
                let i = rng.below(len);
                input[i] = b"=*-.A/+ \t\x00"[rng.below(10)];
            }
        }
        _ => {
            // Reversed range.
            if len > 1 {
                let a = rng.below(len);
                let b = a + rng.below(len - a);
                input[a..=b.min(len - 1)].reverse();
            }
        }
    }
}

const NAMES: [&str; 9] = [
    "x.pem",
    "x.der",
    "x.crt",
    "x.cer",
    "x.key",
    "x.pub",
    "noextension",
    "3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1.pem",
    "3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1.der",
];

/// Reads `bytes` as the file `name`; panics (with the input) on a panic or an answer that does
/// not hold together.
fn check(name: &str, bytes: &[u8]) {
    let path = Path::new("sources/fuzz").join(name);
    let result = catch_unwind(AssertUnwindSafe(|| {
        certblock_ingest::read_evidence_file(&path, bytes)
    }));
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let result = result.unwrap_or_else(|_| panic!("read_evidence_file panicked on {name} = {hex}"));
    match result {
        Ok(items) => {
            assert!(
                !items.is_empty(),
                "no items and no problem for {name} = {hex}"
            );
            for item in &items {
                assert_eq!(
                    item.spki_sha256,
                    Sha256Hash::digest(&item.spki_der),
                    "{name} = {hex}"
                );
                if let Some(der) = &item.certificate_der {
                    assert_eq!(
                        item.cert_sha256,
                        Some(Sha256Hash::digest(der)),
                        "{name} = {hex}"
                    );
                }
            }
        }
        Err(problems) => {
            assert!(
                !problems.is_empty(),
                "an error without problems for {name} = {hex}"
            );
            for p in &problems {
                let text = p.to_string();
                assert!(text.starts_with(&path.display().to_string()), "{text}");
                assert!(text.len() > path.display().to_string().len() + 2, "{text}");
            }
        }
    }
}

#[test]
fn twenty_thousand_mutated_and_random_evidence_files_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for seed in &seeds {
        for name in NAMES {
            check(name, seed);
        }
    }
    let mut accepted = 0;
    for round in 0..20_000 {
        let mut input = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut input, &seeds);
        }
        let name = NAMES[round % NAMES.len()];
        check(name, &input);
        if certblock_ingest::read_evidence_file(Path::new(name), &input).is_ok() {
            accepted += 1;
        }
    }
    // Some mutations (in names, in text before a block) leave valid evidence: the run reached
    // the parsers' success paths too.
    assert!(accepted > 100, "only {accepted} inputs were taken");
}

const INCIDENT: &str = r#"{
  "title": "Test incident",
  "category": "interception",
  "action": "blocked-interception",
  "added": "2019-08-21",
  "distrust_after": "2020-01-01T00:00:00Z",
  "references": ["https://example.org/"],
  "summary": "For tests."
}"#;

const FACTS: &str = r#"{"records": [
  {"spki_sha256": "b5ba8dd7f89564c2889d3d6453c84998c77824919b64ea0835aa62986591be50", "name": "x.pem",
   "cert_sha256": "3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1",
   "subject": "CN=x", "issuer": "CN=y", "serial": "RR0y", "subject_der": "MAA=", "issuer_der": "MAA=",
   "not_before": "2019-01-01T00:00:00Z", "not_after": "2050-02-28T05:39:51Z",
   "cert_sha1": "abababababababababababababababababababab", "cert_md5": "abababababababababababababababab"}
]}"#;

#[test]
fn mutated_incident_and_facts_json_never_panic() {
    let mut rng = Rng(0xfeed_face_cafe_beef);
    let seeds = vec![INCIDENT.as_bytes().to_vec(), FACTS.as_bytes().to_vec()];
    let id: certblock_list::IncidentId = "fuzz".parse().unwrap();
    let incident_path = Path::new("sources/fuzz/incident.json");
    let facts_path = Path::new("sources/fuzz/facts.json");
    assert!(
        certblock_ingest::parse_incident(incident_path, id.clone(), INCIDENT.as_bytes()).is_ok()
    );
    assert!(
        certblock_ingest::parse_facts(facts_path, "fuzz/facts.json", &id, FACTS.as_bytes()).is_ok()
    );
    for round in 0..6_000 {
        let mut input = seeds[round % 2].clone();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut input, &seeds);
        }
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let incident =
                certblock_ingest::parse_incident(incident_path, id.clone(), &input).err();
            let facts =
                certblock_ingest::parse_facts(facts_path, "fuzz/facts.json", &id, &input).err();
            (incident, facts)
        }));
        let (incident, facts) =
            outcome.unwrap_or_else(|_| panic!("a JSON parser panicked on {hex}"));
        for (problem, path) in [(incident, incident_path), (facts, facts_path)] {
            if let Some(p) = problem {
                assert!(
                    p.to_string().starts_with(&path.display().to_string()),
                    "{p}"
                );
            }
        }
    }
}

// Regression tests: each crash the fuzzers find gets one here.
