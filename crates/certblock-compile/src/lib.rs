//! Compiles the canonical list into every file of `generated/`.
//!
//! [`compile`] is a pure function from a [`Blocklist`] to the bytes of each generated file; it
//! never looks at the clock, the machine or the order of a hash map, so the same list always gives
//! the same bytes. [`output`] then writes those files as one atomic unit, or compares them with
//! what is on disk for `certblock check`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod chromium_inc;
mod markdown;
pub mod output;
mod rust_table;
mod text;

use certblock_list::Blocklist;

/// One file of `generated/`: its name and its complete contents.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct GeneratedFile {
    /// File name inside `generated/` (no directories).
    pub name: &'static str,
    /// The complete contents.
    pub bytes: Vec<u8>,
}

/// The canonical list, pretty-printed JSON: the file reviewers read.
pub const LIST_FILE: &str = "blocklist.json";
/// The vendorable phf table for Rust.
pub const RUST_TABLE_FILE: &str = "spki_blocklist.rs";
/// Chromium's `cert_verify_proc_blocklist.inc` syntax.
pub const CHROMIUM_INC_FILE: &str = "cert_verify_proc_blocklist.inc";
/// The human view, grouped by incident.
pub const MARKDOWN_FILE: &str = "BLOCKLIST.md";

/// Every file `generated/` holds, in the order they are produced.
pub const ALL_FILES: [&str; 4] = [LIST_FILE, RUST_TABLE_FILE, CHROMIUM_INC_FILE, MARKDOWN_FILE];

/// Produces every file of `generated/` from a list that passes [`Blocklist::validate`].
pub fn compile(list: &Blocklist) -> Vec<GeneratedFile> {
    vec![
        GeneratedFile { name: LIST_FILE, bytes: list.to_json().into_bytes() },
        GeneratedFile { name: RUST_TABLE_FILE, bytes: rust_table::render(list).into_bytes() },
        GeneratedFile { name: CHROMIUM_INC_FILE, bytes: chromium_inc::render(list).into_bytes() },
        GeneratedFile { name: MARKDOWN_FILE, bytes: markdown::render(list).into_bytes() },
    ]
}
