//! The ten real Kazakhstan interception roots, as Chromium keeps them, against Chromium's facts.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use base64::Engine as _;
use certblock_list::{EvidenceKind, Sha256Hash};
use common::*;

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.join("kazakhstan").is_dir() && dir.join("chromium/blocklist-facts.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "WARNING: ../shared/corpus not found; skipping real-data test (looked in {})",
            dir.display()
        );
        None
    }
}

/// The TSV's rows as maps from column name to value.
fn read_tsv(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header row").split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(
                cells.len(),
                header.len(),
                "row {l:?} does not have the header's columns"
            );
            header
                .iter()
                .map(|h| h.to_string())
                .zip(cells.iter().map(|c| c.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn kazakhstan_roots_give_exactly_chromiums_qaznet_keys() {
    let Some(corpus) = corpus() else { return };
    let tree = Tree::new();
    tree.incident("kazakhstan", "blocked-interception");
    let mut copied = 0;
    for entry in std::fs::read_dir(corpus.join("kazakhstan")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pem") {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            std::fs::copy(&path, tree.root().join("kazakhstan").join(name)).unwrap();
            copied += 1;
        }
    }
    assert_eq!(copied, 10, "the corpus should hold ten Kazakhstan PEMs");

    let ingested = tree.ok();
    let list = &ingested.list;
    let tsv =
        read_tsv(&std::fs::read_to_string(corpus.join("chromium/blocklist-facts.tsv")).unwrap());
    let rows: Vec<_> = tsv
        .iter()
        .filter(|r| r["incident"] == "Qaznet Trust Network")
        .collect();
    assert_eq!(rows.len(), 10);

    let expected: BTreeSet<String> = rows.iter().map(|r| r["spki_sha256"].clone()).collect();
    let got: BTreeSet<String> = list
        .entries
        .iter()
        .map(|e| e.spki_sha256.to_hex())
        .collect();
    assert_eq!(got, expected);

    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
    let mut named_by_spki = Vec::new();
    for row in rows {
        let file = format!("kazakhstan/{}", row["evidence_file"]);
        let key: Sha256Hash = row["spki_sha256"].parse().unwrap();
        let entry = list.entry(&key).unwrap();
        assert_eq!(entry.evidence.len(), 1);
        let ev = &entry.evidence[0];
        assert_eq!(ev.file, file);
        assert_eq!(ev.kind, EvidenceKind::Certificate);
        assert_eq!(ev.position, None);
        // The file is named by the certificate SHA-256, or (one of them) by the SPKI SHA-256.
        let stem = row["evidence_file"].trim_end_matches(".pem");
        let cert = ev.cert_sha256.unwrap().to_hex();
        if stem == cert {
            assert_ne!(stem, key.to_hex());
        } else {
            assert_eq!(stem, key.to_hex(), "{file} is named by neither hash");
            named_by_spki.push(stem.to_string());
        }
        assert_eq!(
            ev.subject_der.as_ref().unwrap().0,
            b64(&row["subject_der_b64"]),
            "{file}"
        );
        assert_eq!(
            ev.issuer_der.as_ref().unwrap().0,
            b64(&row["issuer_der_b64"]),
            "{file}"
        );
        assert_eq!(
            ev.serial.as_ref().unwrap().0,
            b64(&row["serial_der_content_b64"]),
            "{file}"
        );
        assert_eq!(
            ev.serial.as_ref().unwrap().to_hex(),
            row["serial_hex"],
            "{file}"
        );
        assert_eq!(
            ev.cert_sha1.as_ref().unwrap().to_hex(),
            row["cert_sha1"],
            "{file}"
        );
        assert_eq!(
            ev.cert_md5.as_ref().unwrap().to_hex(),
            row["cert_md5"],
            "{file}"
        );
        assert!(ev.not_before.is_some() && ev.not_after.is_some());
    }
    assert_eq!(
        named_by_spki,
        ["3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1"]
    );
}
