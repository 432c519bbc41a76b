//! Golden files: the writers' output for a small fixed list, byte for byte. Run with
//! `CERTBLOCK_BLESS=1` to rewrite them after an intended change, and review the diff.

mod common;

use std::path::PathBuf;

use certblock_formats::{Rendered, certdata, crlset, onecrl};

fn check(name: &str, rendered: &Rendered) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("CERTBLOCK_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &rendered.bytes).unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }
    let golden = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with CERTBLOCK_BLESS=1 to create it",
            path.display()
        )
    });
    if golden != rendered.bytes {
        panic!(
            "{name} differs from {}; if the change is intended, rerun with CERTBLOCK_BLESS=1 and \
             review the diff.\n--- got ---\n{}",
            path.display(),
            String::from_utf8_lossy(&rendered.bytes)
        );
    }
}

#[test]
fn crlset_golden() {
    let list = common::sample_list();
    let rendered = crlset::render(&list);
    assert!(rendered.unexpressed.is_empty());
    check("crl-set", &rendered);
}

#[test]
fn certdata_golden() {
    let list = common::sample_list();
    let rendered = certdata::render(&list);
    // The bare key and the known-interception key.
    assert_eq!(rendered.unexpressed.len(), 2, "{:?}", rendered.unexpressed);
    check("certdata.txt", &rendered);
}

#[test]
fn onecrl_golden() {
    let list = common::sample_list();
    let rendered = onecrl::render(&list);
    assert_eq!(rendered.unexpressed.len(), 2, "{:?}", rendered.unexpressed);
    check("onecrl.json", &rendered);
}

#[test]
fn golden_files_verify_and_dump() {
    let list = common::sample_list();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let crl = std::fs::read(dir.join("crl-set")).unwrap();
    assert_eq!(crlset::verify(&list, &crl), Ok(()));
    let dump = crlset::dump(&crlset::read(&crl).unwrap());
    assert!(dump.contains("Sequence: 7\n"), "{dump}");
    assert!(dump.contains("BlockedSPKIs: 3\n"), "{dump}");
    let nss = std::fs::read(dir.join("certdata.txt")).unwrap();
    assert_eq!(certdata::verify(&list, &nss), Ok(()));
    let dump = certdata::dump(&certdata::read(&nss).unwrap());
    assert!(
        dump.starts_with(
            "5 objects: 2 CKO_CERTIFICATE, 3 CKO_NSS_TRUST (3 CKT_NSS_NOT_TRUSTED), 0 other\n"
        ),
        "{dump}"
    );
    let json = std::fs::read(dir.join("onecrl.json")).unwrap();
    assert_eq!(onecrl::verify(&list, &json), Ok(()));
    let dump = onecrl::dump(&onecrl::read(&json).unwrap());
    assert!(
        dump.starts_with("6 records: 3 issuer+serial, 3 subject+key; 6 enabled\n"),
        "{dump}"
    );
}
