//! Golden outputs of `certblock diff` in each format for a fixed pair of lists.
//!
//! The two lists are built here from fixed bytes, so every hash is stable; the outputs are
//! compared byte for byte with `tests/golden/diff.*`. After an intended change of the output,
//! rewrite them with `CERTBLOCK_BLESS=1 cargo test --test diff_golden` and review the result.

use std::path::{Path, PathBuf};
use std::process::Command;

use certblock_list::{
    Action, Base64Bytes, Blocklist, Category, Entry, Evidence, EvidenceKind, Incident, IncidentId,
    Sha256Hash,
};

fn id(s: &str) -> IncidentId {
    s.parse().unwrap()
}

fn incident(name: &str, title: &str, category: Category, action: Action) -> Incident {
    Incident {
        id: id(name),
        title: title.into(),
        category,
        action,
        added: None,
        distrust_after: None,
        references: vec![],
        summary: format!("What happened in {name}."),
    }
}

/// A `facts.json` record giving a certificate SHA-256 and a subject.
fn facts(incident: &str, position: u32, cert: &str, subject: &str) -> Evidence {
    let mut e = Evidence::new(
        id(incident),
        format!("{incident}/facts.json"),
        Some(position),
        EvidenceKind::Facts,
    );
    e.cert_sha256 = Some(Sha256Hash::digest(cert.as_bytes()));
    e.subject = Some(subject.into());
    e
}

/// A bare public key; the entry's key is its hash.
fn public_key(incident: &str, file: &str, key: &str) -> Evidence {
    let mut e = Evidence::new(
        id(incident),
        format!("{incident}/{file}"),
        None,
        EvidenceKind::PublicKey,
    );
    e.public_key = Some(Base64Bytes(key.as_bytes().to_vec()));
    e
}

fn entry(key: &str, action: Action, incidents: &[&str], evidence: Vec<Evidence>) -> Entry {
    Entry {
        spki_sha256: Sha256Hash::digest(key.as_bytes()),
        action,
        incidents: incidents.iter().map(|i| id(i)).collect(),
        distrust_after: None,
        evidence,
    }
}

fn finish(sequence: u64, mut incidents: Vec<Incident>, mut entries: Vec<Entry>) -> Blocklist {
    incidents.sort_by(|a, b| a.id.cmp(&b.id));
    entries.sort_by_key(|e| e.spki_sha256);
    let list = Blocklist {
        sequence,
        source_digest: Sha256Hash::digest(b"sources"),
        incidents,
        entries,
    };
    list.validate().unwrap();
    list
}

/// The list before the change.
fn old_list() -> Blocklist {
    let mut acme = incident(
        "acme-2019",
        "Acme CA: misissued intermediates",
        Category::Misissuance,
        Action::Block,
    );
    acme.added = Some("2019-05-01".parse().unwrap());
    acme.references = vec!["https://example.com/acme-incident".into()];
    finish(
        7,
        vec![
            acme,
            incident(
                "retired-2015",
                "Retired roots",
                Category::Other,
                Action::Block,
            ),
            incident(
                "test-keys",
                "Keys for testing",
                Category::Test,
                Action::Block,
            ),
        ],
        vec![
            entry(
                "key 1",
                Action::Block,
                &["acme-2019"],
                vec![facts(
                    "acme-2019",
                    1,
                    "cert 1",
                    "CN=Acme Issuing CA 1, O=Acme",
                )],
            ),
            entry(
                "key 6",
                Action::Block,
                &["acme-2019"],
                vec![facts("acme-2019", 4, "cert 6", "CN=Acme Old Name")],
            ),
            entry(
                "key 2",
                Action::Block,
                &["retired-2015"],
                vec![public_key("retired-2015", "two.key", "key 2")],
            ),
            entry(
                "key 4",
                Action::Block,
                &["retired-2015"],
                vec![facts(
                    "retired-2015",
                    1,
                    "cert 4",
                    "CN=Retired | Root, O=Old_Corp",
                )],
            ),
            entry(
                "key 3",
                Action::Block,
                &["test-keys"],
                vec![public_key("test-keys", "three.key", "key 3")],
            ),
        ],
    )
}

/// The list after the change: every kind of difference at least once.
fn new_list() -> Blocklist {
    let distrust = Some("2019-06-01T00:00:00Z".parse().unwrap());
    let mut acme = incident(
        "acme-2019",
        "Acme CA: misissued intermediates (2019)",
        Category::Misissuance,
        Action::Block,
    );
    acme.added = Some("2019-05-01".parse().unwrap());
    acme.distrust_after = distrust;
    acme.references = vec![
        "https://example.com/acme-incident".into(),
        "https://example.com/acme-report".into(),
    ];
    acme.summary = "What happened in acme-2019, with the final report.".into();
    let mut k1 = entry(
        "key 1",
        Action::Block,
        &["acme-2019"],
        vec![
            facts("acme-2019", 1, "cert 1", "CN=Acme Issuing CA 1, O=Acme"),
            facts(
                "acme-2019",
                2,
                "cert 1 reissued",
                "CN=Acme Issuing CA 1, O=Acme",
            ),
        ],
    );
    k1.distrust_after = distrust;
    let mut k6 = entry(
        "key 6",
        Action::Block,
        &["acme-2019"],
        vec![facts("acme-2019", 4, "cert 6", "CN=Acme Issuing CA 2")],
    );
    k6.distrust_after = distrust;
    finish(
        8,
        vec![
            acme,
            incident(
                "leak-2024",
                "Leaked *vendor* key",
                Category::KeyLeak,
                Action::BlockedInterception,
            ),
            incident(
                "test-keys",
                "Keys for testing",
                Category::Test,
                Action::KnownInterception,
            ),
        ],
        vec![
            k1,
            k6,
            entry(
                "key 2",
                Action::BlockedInterception,
                &["leak-2024"],
                vec![public_key("leak-2024", "two.key", "key 2")],
            ),
            entry(
                "key 3",
                Action::KnownInterception,
                &["test-keys"],
                vec![public_key("test-keys", "three.key", "key 3")],
            ),
            entry(
                "key 5",
                Action::BlockedInterception,
                &["leak-2024"],
                vec![public_key("leak-2024", "leaked.key", "key 5")],
            ),
        ],
    )
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares `actual` with the golden file `name`, or rewrites it under `CERTBLOCK_BLESS=1`.
fn assert_golden(name: &str, actual: &[u8]) {
    let path = golden_dir().join(name);
    if std::env::var_os("CERTBLOCK_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with CERTBLOCK_BLESS=1 cargo test --test diff_golden",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs from the output; if the change is intended, rewrite it with \
             CERTBLOCK_BLESS=1 cargo test --test diff_golden\n--- expected\n{}\n--- actual\n{}",
            path.display(),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual)
        );
    }
}

fn run_diff(dir: &Path, extra: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_certblock"))
        .current_dir(dir)
        .args(["diff", "old.json", "new.json"])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn each_format_matches_its_golden_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("old.json"), old_list().to_json()).unwrap();
    std::fs::write(tmp.path().join("new.json"), new_list().to_json()).unwrap();
    assert_golden("diff.txt", &run_diff(tmp.path(), &["--color", "never"]));
    assert_golden(
        "diff.color.txt",
        &run_diff(tmp.path(), &["--color", "always"]),
    );
    assert_golden("diff.md", &run_diff(tmp.path(), &["--format", "markdown"]));
    assert_golden("diff.json", &run_diff(tmp.path(), &["--format", "json"]));
    // `auto` does not colour a pipe.
    assert_eq!(
        run_diff(tmp.path(), &[]),
        run_diff(tmp.path(), &["--color", "never"])
    );
}
