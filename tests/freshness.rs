//! `generated/` is exactly what `sources/` produce, and generating is deterministic.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `certblock generate` from the repository root into `out`, following the committed list's
/// sequence number as `make generate` does.
fn generate_into(out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_certblock"))
        .current_dir(root())
        .args([
            "generate",
            "--quiet",
            "--sources",
            "sources",
            "--previous",
            "generated/blocklist.json",
        ])
        .arg("--out")
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "certblock generate failed");
}

/// Every file of a folder, by name, sorted.
fn read_folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn generating_from_sources_reproduces_generated_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("generated");
    generate_into(&out);
    let fresh = read_folder(&out);
    let committed = read_folder(&root().join("generated"));
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&fresh),
        names(&committed),
        "generated/ holds other files than a run writes"
    );
    for ((name, new), (_, old)) in fresh.iter().zip(&committed) {
        assert!(new == old, "generated/{name} is stale: run `make generate`");
    }
}

#[test]
fn generating_twice_gives_identical_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    generate_into(&a);
    generate_into(&b);
    assert_eq!(read_folder(&a), read_folder(&b));
    // Same run, other output path: nothing of the path leaks into the files.
    assert!(read_folder(&a).iter().all(|(_, bytes)| {
        !String::from_utf8_lossy(bytes).contains(tmp.path().to_str().unwrap())
    }));
}
