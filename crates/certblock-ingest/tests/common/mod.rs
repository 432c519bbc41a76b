//! Helpers shared by the integration tests: source trees in temporary folders, rcgen certificates.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use certblock_ingest::{IngestOptions, Ingested, ingest};
use rcgen::{CertificateParams, KeyPair};

/// A `sources/` tree inside a temporary folder.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sources")).unwrap();
        Tree { dir }
    }

    /// The sources root.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("sources")
    }

    /// Writes `bytes` at `relative` (inside the sources root), creating folders.
    pub fn write(&self, relative: &str, bytes: impl AsRef<[u8]>) -> &Self {
        let path = self.root().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    /// Writes `<id>/incident.json` with the given action.
    pub fn incident(&self, id: &str, action: &str) -> &Self {
        self.write(&format!("{id}/incident.json"), incident_json(action))
    }

    pub fn ingest(&self) -> Result<Ingested, certblock_ingest::IngestError> {
        ingest(&self.root(), &IngestOptions::default())
    }

    /// Ingests and expects success.
    pub fn ok(&self) -> Ingested {
        match self.ingest() {
            Ok(ingested) => ingested,
            Err(e) => panic!("ingest failed:\n{e}"),
        }
    }

    /// Ingests and expects failure; returns every problem as displayed.
    pub fn problems(&self) -> Vec<String> {
        match self.ingest() {
            Ok(_) => panic!("ingest succeeded, a failure was expected"),
            Err(e) => e.problems.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// The user-visible path of `relative`.
    pub fn shown(&self, relative: &str) -> String {
        self.root().join(relative).display().to_string()
    }
}

pub fn incident_json(action: &str) -> String {
    format!(
        "{{\n  \"title\": \"Test incident\",\n  \"category\": \"test\",\n  \"action\": \"{action}\",\n  \"added\": \"2020-01-02\",\n  \"references\": [\"https://example.org/\"],\n  \"summary\": \"For tests.\"\n}}\n"
    )
}

/// A fresh self-signed certificate (and its key) for `name`.
pub struct Made {
    pub key: KeyPair,
    pub der: Vec<u8>,
    pub pem: String,
}

impl Made {
    pub fn spki_der(&self) -> Vec<u8> {
        use rcgen::PublicKeyData as _;
        self.key.subject_public_key_info()
    }

    pub fn spki_hex(&self) -> String {
        sha256_hex(&self.spki_der())
    }

    pub fn cert_hex(&self) -> String {
        sha256_hex(&self.der)
    }
}

pub fn make(name: &str) -> Made {
    let key = KeyPair::generate().unwrap();
    certify(key, name)
}

/// A certificate for `name` on an existing key.
pub fn certify(key: KeyPair, name: &str) -> Made {
    let cert = CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    Made {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key,
    }
}

/// A certificate for `name` on a copy of `other`'s key.
pub fn same_key(other: &Made, name: &str) -> Made {
    let key = KeyPair::from_pem(&other.key.serialize_pem()).unwrap();
    certify(key, name)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    certblock_list::Sha256Hash::digest(bytes).to_hex()
}

/// Whether `text` mentions every one of `needles`.
pub fn mentions(text: &str, needles: &[&str]) -> bool {
    needles.iter().all(|n| text.contains(n))
}

/// Copies the files of `from` (one level of folders) into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir_lite(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&entry, dest).unwrap();
    }
}

fn walkdir_lite(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir_lite(&path));
        } else {
            out.push(path);
        }
    }
    out
}
