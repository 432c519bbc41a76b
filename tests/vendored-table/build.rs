//! Vendors the table as a downstream project would: copies `generated/spki_blocklist.rs`, and
//! nothing else, into this crate's build folder.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let table = manifest.join("../../generated/spki_blocklist.rs");
    println!("cargo:rerun-if-changed={}", table.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("spki_blocklist.rs");
    std::fs::copy(&table, &out).expect("generated/spki_blocklist.rs can be copied");
}
