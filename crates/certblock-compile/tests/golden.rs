//! Golden files: every file `compile` writes for one small fixed list (the same sample the format
//! crate's golden tests use), byte for byte, so that a format change is a visible diff in review.
//! Run with `CERTBLOCK_BLESS=1` to rewrite them after an intended change, and review the diff.

#[path = "../../certblock-formats/tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

#[test]
fn every_generated_file_matches_its_golden_copy() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("CERTBLOCK_BLESS").is_some_and(|v| v == "1");
    let files = certblock_compile::compile(&common::sample_list()).expect("the sample compiles");
    let mut names: Vec<&str> = files.iter().map(|f| f.name).collect();
    names.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    on_disk.sort();
    let mut stale = Vec::new();
    for file in &files {
        let path = dir.join(file.name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &file.bytes).unwrap();
            continue;
        }
        match std::fs::read(&path) {
            Ok(golden) if golden == file.bytes => {}
            _ => stale.push(file.name),
        }
    }
    if !bless {
        assert_eq!(
            on_disk, names,
            "the golden folder holds other files than compile writes"
        );
        assert!(
            stale.is_empty(),
            "{stale:?} differ from tests/golden; if the change is intended, rerun with CERTBLOCK_BLESS=1 and review the diff"
        );
    }
}
