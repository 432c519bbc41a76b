//! The real Kazakhstan interception certificates (`../shared/corpus/kazakhstan/`), each found by
//! its DER certificate with the action Chromium gives it (`chromium/blocklist-facts.tsv`).

#![cfg(feature = "sha2")]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use certblock::{Action, Blocklist, Origin, Snapshot, Verdict};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.join("kazakhstan").is_dir() && dir.join("chromium/blocklist-facts.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "\n\n!!!!! WARNING: the corpus is absent ({}): the Kazakhstan certificate test did \
             NOT run !!!!!\n\n",
            dir.display()
        );
        None
    }
}

/// The DER of the one CERTIFICATE block of a PEM file (text before it and CRLF are fine).
fn pem_certificate(text: &str) -> Vec<u8> {
    let text = text.replace("\r\n", "\n");
    let begin = "-----BEGIN CERTIFICATE-----";
    let start = text.find(begin).expect("a CERTIFICATE block") + begin.len();
    let end = text[start..]
        .find("-----END CERTIFICATE-----")
        .expect("an END line")
        + start;
    let body: String = text[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("base64")
}

/// Chromium's lists for an evidence file name, from the facts table.
fn chromium_action(facts: &str, file: &str) -> Action {
    let row = facts
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols.get(2) == Some(&file))
        .unwrap_or_else(|| panic!("{file} is not in blocklist-facts.tsv"));
    match row[1] {
        "blocked" => Action::Block,
        "blocked+known_interception" => Action::BlockedInterception,
        "known_interception" => Action::KnownInterception,
        other => panic!("unexpected chromium_lists {other:?}"),
    }
}

#[test]
fn every_kazakhstan_certificate_is_found_by_its_der_with_chromiums_action() {
    let Some(corpus) = corpus() else { return };
    let facts = std::fs::read_to_string(corpus.join("chromium/blocklist-facts.tsv")).unwrap();
    let snapshot_bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generated/blocklist.bin"))
            .unwrap();
    let snapshot = Snapshot::from_bytes(&snapshot_bytes).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("kazakhstan"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pem"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10, "the ten Kazakhstan certificates");
    let mut crlf = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        crlf += usize::from(text.contains("\r\n"));
        let der = pem_certificate(&text);
        let want = chromium_action(&facts, name);

        let found = certblock::lookup_certificate(&der)
            .unwrap()
            .unwrap_or_else(|| panic!("{name} is not found in the built-in table"));
        assert_eq!(found.action, want, "{name}");
        assert_eq!(found.origin, Origin::BuiltIn);
        assert!(
            found.incident.starts_with("kazakhstan-"),
            "{name}: {}",
            found.incident
        );

        // The same from the committed snapshot alone.
        let spki = certblock::CertificateInfo::from_der(&der).unwrap().spki;
        let key: [u8; 32] = certblock_list::Sha256Hash::digest(spki).0;
        let loaded = snapshot
            .lookup(&key)
            .unwrap_or_else(|| panic!("{name} not in the snapshot"));
        assert_eq!(
            (loaded.action, loaded.incident),
            (found.action, found.incident),
            "{name}"
        );

        // As the root of a chain: the verdict Chromium gives it.
        let verdict = Blocklist::with_snapshot(snapshot)
            .check_chain(&[&der[..]])
            .unwrap();
        let expected_kind = match want {
            Action::Block => matches!(verdict, Verdict::Blocked(_)),
            Action::KnownInterception => matches!(verdict, Verdict::KnownInterception(_)),
            Action::BlockedInterception => matches!(verdict, Verdict::BlockedInterception { .. }),
        };
        assert!(expected_kind, "{name}: {verdict:?}");
    }
    assert_eq!(crlf, 1, "one of the files has CRLF line endings");
}
