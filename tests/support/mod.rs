//! Helpers shared by the root package's end-to-end tests: running the command, the repository
//! and corpus locations, source trees in temporary folders, rcgen certificates and hand-made DER.
//!
//! Every input is made here, by rcgen or by editing rcgen's DER; nothing is copied from
//! elsewhere.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rcgen::PublicKeyData as _;

/// The repository root (the root package's folder).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus`, or `None` with a loud warning naming what is skipped (CI has it).
pub fn corpus(skipped: &str) -> Option<PathBuf> {
    let path = root().join("../shared/corpus");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!("WARNING: ../shared/corpus not found; {skipped} SKIPPED (CI has it)");
        None
    }
}

/// Runs `certblock ARGS` in `dir`.
pub fn certblock(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certblock"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Writes `bytes` at `path`, creating folders.
pub fn write(path: PathBuf, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A minimal valid incident.json with the given action.
pub fn incident_json(action: &str) -> String {
    format!(
        "{{\n  \"title\": \"Test incident\",\n  \"category\": \"test\",\n  \"action\": \"{action}\",\n  \"summary\": \"Made by a test.\"\n}}\n"
    )
}

/// Every file under `dir` (recursively), by path relative to `dir`, with its bytes.
pub fn folder_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(base, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The names in `dir` (not recursive), sorted: what lies beside `generated/`.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A certificate made by rcgen, with its key.
pub struct Made {
    pub key: rcgen::KeyPair,
    pub der: Vec<u8>,
    pub pem: String,
}

impl Made {
    pub fn spki_der(&self) -> Vec<u8> {
        self.key.subject_public_key_info()
    }
    pub fn spki_hex(&self) -> String {
        sha256_hex(&self.spki_der())
    }
    pub fn cert_hex(&self) -> String {
        sha256_hex(&self.der)
    }
}

/// A fresh self-signed certificate for `name`.
pub fn make(name: &str) -> Made {
    make_with(name, |_| {})
}

/// A fresh self-signed certificate for `name`, its parameters edited first.
pub fn make_with(name: &str, edit: impl FnOnce(&mut rcgen::CertificateParams)) -> Made {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    edit(&mut params);
    let cert = params.self_signed(&key).unwrap();
    Made {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key,
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    certblock_list::Sha256Hash::digest(bytes).to_hex()
}

/// PEM text for DER bytes under `label`, 64 characters a line.
pub fn pem(label: &str, der: &[u8]) -> String {
    ::pem::encode(&::pem::Pem::new(label, der.to_vec()))
}

/// A small deterministic generator (xorshift64*), so failures can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// Minimal DER: enough to take rcgen certificates apart and put them back together.
pub mod der {
    /// (tag, header length, content length) of the element at the start of `bytes`.
    pub fn header(bytes: &[u8]) -> (u8, usize, usize) {
        let tag = bytes[0];
        match bytes[1] {
            n if n < 0x80 => (tag, 2, usize::from(n)),
            0x81 => (tag, 3, usize::from(bytes[2])),
            0x82 => (
                tag,
                4,
                usize::from(u16::from_be_bytes([bytes[2], bytes[3]])),
            ),
            0x83 => (
                tag,
                5,
                (usize::from(bytes[2]) << 16)
                    | (usize::from(bytes[3]) << 8)
                    | usize::from(bytes[4]),
            ),
            other => panic!("unexpected DER length byte {other:#x}"),
        }
    }

    /// The content of the element at the start of `bytes`.
    pub fn content(bytes: &[u8]) -> &[u8] {
        let (_, head, len) = header(bytes);
        &bytes[head..head + len]
    }

    /// The elements (each whole: tag, length, content) that make up `content`.
    pub fn children(mut content: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while !content.is_empty() {
            let (_, head, len) = header(content);
            out.push(content[..head + len].to_vec());
            content = &content[head + len..];
        }
        out
    }

    /// An element with tag `tag` around `content`.
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let len = content.len();
        let mut out = vec![tag];
        match len {
            0..=0x7f => out.push(len as u8),
            0x80..=0xff => out.extend([0x81, len as u8]),
            0x100..=0xffff => out.extend([0x82, (len >> 8) as u8, len as u8]),
            _ => out.extend([0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    /// A SEQUENCE of the given elements.
    pub fn sequence(elements: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &elements.concat())
    }

    /// A positive INTEGER from big-endian magnitude bytes.
    pub fn uint(magnitude: &[u8]) -> Vec<u8> {
        let mut m: Vec<u8> = magnitude.iter().copied().skip_while(|&b| b == 0).collect();
        if m.is_empty() || m[0] & 0x80 != 0 {
            m.insert(0, 0);
        }
        tlv(0x02, &m)
    }

    /// An OBJECT IDENTIFIER from its dotted form.
    pub fn oid(dotted: &str) -> Vec<u8> {
        let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
        let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
        for &arc in &arcs[2..] {
            let mut groups = vec![(arc & 0x7f) as u8];
            let mut rest = arc >> 7;
            while rest > 0 {
                groups.push(0x80 | (rest & 0x7f) as u8);
                rest >>= 7;
            }
            groups.reverse();
            body.extend(groups);
        }
        tlv(0x06, &body)
    }

    /// A BIT STRING with no unused bits.
    pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
        let mut body = vec![0];
        body.extend_from_slice(bytes);
        tlv(0x03, &body)
    }
}

/// `cert` with the elements of its TBSCertificate edited by `edit` (version, serial, signature,
/// issuer, validity, subject, SubjectPublicKeyInfo, extensions), every length re-encoded. The
/// signature no longer verifies: ingest never checks signatures (evidence of a blocked key need
/// not chain to anything), so such a certificate takes exactly the path a real one does.
pub fn edit_tbs(cert: &[u8], edit: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    let outer = der::children(der::content(cert));
    let mut tbs = der::children(der::content(&outer[0]));
    edit(&mut tbs);
    der::sequence(&[der::sequence(&tbs), outer[1].clone(), outer[2].clone()])
}

/// The index of the SubjectPublicKeyInfo among a v3 TBSCertificate's elements.
pub const TBS_SPKI: usize = 6;
/// The index of the serial number among a v3 TBSCertificate's elements.
pub const TBS_SERIAL: usize = 1;

/// A certificate for `name` with the serial number's INTEGER content set to `serial` exactly.
pub fn with_serial(name: &str, serial: &[u8]) -> Made {
    let made = make(name);
    let der = edit_tbs(&made.der, |tbs| tbs[TBS_SERIAL] = der::tlv(0x02, serial));
    Made {
        pem: pem("CERTIFICATE", &der),
        der,
        key: made.key,
    }
}

/// A version 1 certificate for `name`: rcgen's, with the version and extensions cut out.
pub fn version1(name: &str) -> Made {
    let made = make(name);
    let der = edit_tbs(&made.der, |tbs| {
        assert_eq!(tbs[0][0], 0xa0, "rcgen writes an explicit version");
        tbs.remove(0);
        tbs.retain(|e| e[0] != 0xa3);
    });
    Made {
        pem: pem("CERTIFICATE", &der),
        der,
        key: made.key,
    }
}

/// A DSA SubjectPublicKeyInfo (RFC 3279: id-dsa with Dss-Parms p, q, g; the key is INTEGER y)
/// with random numbers of the right sizes (p 2048 bits, q 256 bits). Ingest reads the structure
/// and hashes its bytes; it never does arithmetic on a key, so random numbers in a well-formed
/// SPKI exercise exactly the code a real DSA key does (rcgen cannot make DSA keys).
pub fn dsa_spki(rng: &mut Rng) -> Vec<u8> {
    let mut number = |bytes: usize| {
        let mut m = rng.bytes(bytes);
        m[0] |= 0x80;
        der::uint(&m)
    };
    let params = der::sequence(&[number(256), number(32), number(256)]);
    let algorithm = der::sequence(&[der::oid("1.2.840.10040.4.1"), params]);
    der::sequence(&[algorithm, der::bit_string(&number(256))])
}

/// A certificate holding `spki` instead of its own key: an rcgen certificate with its
/// SubjectPublicKeyInfo replaced (see [`edit_tbs`] on why the broken signature does not matter).
pub fn certificate_with_spki(name: &str, spki: &[u8]) -> Vec<u8> {
    let made = make(name);
    edit_tbs(&made.der, |tbs| tbs[TBS_SPKI] = spki.to_vec())
}
