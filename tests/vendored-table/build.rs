//! Vendors the table as a downstream project would: copies `generated/spki_blocklist.rs` (and,
//! when the table is in its sorted form, the `spki_blocklist.bin` it includes), and nothing else,
//! into this crate's build folder.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let table = manifest.join("../../generated/spki_blocklist.rs");
    println!("cargo:rerun-if-changed={}", table.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("spki_blocklist.rs");
    std::fs::copy(&table, &out).expect("generated/spki_blocklist.rs can be copied");
    // Above the phf threshold the table is in its sorted form, which includes this file from
    // the same folder; below it there is no such file.
    let bin = manifest.join("../../generated/spki_blocklist.bin");
    println!("cargo:rerun-if-changed={}", bin.display());
    if bin.exists() {
        std::fs::copy(&bin, out.with_file_name("spki_blocklist.bin"))
            .expect("generated/spki_blocklist.bin can be copied");
    }
}
