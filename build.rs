//! Warns at build time when `generated/` is stale for the current `sources/`.
//!
//! The compiler records a digest of the `sources/` tree in `generated/blocklist.json`; this
//! script computes the same digest with the same function (`certblock_list::digest`) and prints a
//! `cargo:warning` naming both values when they differ, so a forgotten `make generate` shows up
//! in every build. It reruns whenever anything under `sources/` or the recorded list changes, and
//! it writes nothing at all (so certainly nothing outside `OUT_DIR`).

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=sources");
    println!("cargo:rerun-if-changed=generated/blocklist.json");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = root.join("sources");
    let list = root.join("generated").join("blocklist.json");

    let current = match certblock_list::digest::source_tree_digest(&sources) {
        Ok(digest) => digest,
        Err(e) => {
            println!(
                "cargo:warning=cannot digest sources/ ({e}); is generated/ fresh? run `make generate`"
            );
            return;
        }
    };
    let recorded = std::fs::read_to_string(&list)
        .ok()
        .and_then(|text| certblock_list::recorded_source_digest(&text));
    match recorded {
        Some(recorded) if recorded == current => {}
        Some(recorded) => println!(
            "cargo:warning=generated/ is stale: sources/ digests to {current} but generated/blocklist.json \
             records {recorded}; run `make generate`"
        ),
        None => println!(
            "cargo:warning=generated/blocklist.json is missing or has no source_digest; run `make generate`"
        ),
    }
}
