//! `certblock import` turns upstream lists into incident folders that ingest as entries, and
//! `certblock dump` prints every format it recognises.

mod support;

use std::path::Path;
use std::process::Output;

use support::{certblock, root};

use certblock_list::Blocklist;

/// Imports `file` into `tmp/sources/<incident>`, generates, and returns the list.
fn import_and_generate(
    tmp: &Path,
    from: &str,
    file: &Path,
    incident: &str,
    extra: &[&str],
) -> (Output, Blocklist) {
    let mut args = vec![
        "import",
        "--from",
        from,
        file.to_str().unwrap(),
        "--incident",
        incident,
    ];
    args.extend_from_slice(extra);
    let imported = certblock(tmp, &args);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let generated = certblock(tmp, &["generate", "--quiet"]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    (
        imported,
        Blocklist::read(&tmp.join("generated/blocklist.json")).unwrap(),
    )
}

fn chromium_keys(corpus: &Path) -> Vec<String> {
    std::fs::read_to_string(corpus.join("chromium/blocklist-facts.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

#[test]
fn onecrl_key_records_become_facts_and_issuer_serial_records_are_reported() {
    let Some(corpus) = support::corpus("this import test is") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (out, list) = import_and_generate(
        tmp.path(),
        "onecrl",
        &corpus.join("mozilla/onecrl.json"),
        "moz",
        &[],
    );
    assert_eq!(list.entries.len(), 9);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("Keys taken as facts records: 9"),
        "{report}"
    );
    assert!(
        report.contains("Records without a key (not imported: every entry is a key): 1950"),
        "{report}"
    );
}

#[test]
fn nss_distrusted_diginotar_certificates_import_with_chromiums_keys() {
    let Some(corpus) = support::corpus("this import test is") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let file = corpus.join("nss/certdata-2022-03-with-distrust.txt");
    let (out, list) = import_and_generate(tmp.path(), "nss", &file, "nss-distrust", &[]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("Certificates taken as files: 2"),
        "{report}"
    );
    assert!(report.contains("trust-only"), "{report}");
    assert_eq!(list.entries.len(), 2);
    let chromium = chromium_keys(&corpus);
    for entry in &list.entries {
        assert!(
            chromium.contains(&entry.spki_sha256.to_hex()),
            "{} not in Chromium's list",
            entry.spki_sha256
        );
        assert!(entry.subject().unwrap().contains("DigiNotar"));
    }
}

#[test]
fn a_crlset_we_wrote_imports_back_to_the_same_keys_per_action() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = Blocklist::read(&root().join("generated/blocklist.json")).unwrap();
    let crlset = root().join("generated/crl-set");
    for (action, incident) in [
        ("block", "b"),
        ("known-interception", "k"),
        ("blocked-interception", "bk"),
    ] {
        let out = certblock(
            tmp.path(),
            &[
                "import",
                "--from",
                "crlset",
                crlset.to_str().unwrap(),
                "--incident",
                incident,
                "--action",
                action,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        certblock(tmp.path(), &["generate", "--quiet"])
            .status
            .success()
    );
    let back = Blocklist::read(&tmp.path().join("generated/blocklist.json")).unwrap();
    let pairs = |l: &Blocklist| {
        l.entries
            .iter()
            .map(|e| (e.spki_sha256, e.action))
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(&back), pairs(&ours));
}

#[test]
fn importing_into_an_existing_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("sources/taken")).unwrap();
    let crlset = root().join("generated/crl-set");
    let out = certblock(
        tmp.path(),
        &[
            "import",
            "--from",
            "crlset",
            crlset.to_str().unwrap(),
            "--incident",
            "taken",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[test]
fn dump_recognises_every_generated_format() {
    let generated = root().join("generated");
    for (file, marker) in [
        ("crl-set", "ContentType: CRLSet"),
        ("certdata.txt", "CKO_NSS_TRUST"),
        ("onecrl.json", "subject"),
        ("blocklist.json", "SPKI SHA-256"),
        ("blocklist.bin", "kazakhstan-qaznet-2019"),
    ] {
        let out = certblock(&root(), &["dump", generated.join(file).to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(marker), "{file}: {stdout}");
        let json = certblock(
            &root(),
            &["dump", "--json", generated.join(file).to_str().unwrap()],
        );
        assert!(
            serde_json::from_slice::<serde_json::Value>(&json.stdout).is_ok(),
            "{file} --json"
        );
    }
    let out = certblock(
        &root(),
        &["dump", root().join("Cargo.toml").to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a format certblock reads"));
}
