//! Compiles the canonical list into every file of `generated/`.
//!
//! [`compile`] is a pure function from a [`Blocklist`] to the bytes of each generated file; it
//! never looks at the clock, the machine or the order of a hash map, so the same list always gives
//! the same bytes. Before it returns, it reads every file back with the project's readers
//! ([`readback`]) and refuses to finish if any entry a format can express is missing or altered:
//! "nothing lost" is checked on every run. Entries a format cannot express are counted, with the
//! reason, in `MANIFEST.json` (and in a comment of that format where it has comments).
//! [`output`] then writes the files as one atomic unit, or compares them with what is on disk for
//! `certblock check`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod chromium_inc;
mod error;
mod manifest;
mod markdown;
pub mod output;
pub mod readback;
mod rust_table;
pub mod snapshot;
mod text;

use certblock_formats::{certdata, crlset, onecrl, Unexpressed};
use certblock_list::Blocklist;

pub use error::CompileError;

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

/// Mozilla OneCRL records.
pub const ONECRL_FILE: &str = onecrl::FILE_NAME;
/// Chromium's CRLSet.
pub const CRLSET_FILE: &str = crlset::FILE_NAME;
/// NSS `certdata.txt` distrust objects.
pub const CERTDATA_FILE: &str = certdata::FILE_NAME;
/// Sizes and digests of every other file, counts, and what each format could not express.
pub const MANIFEST_FILE: &str = manifest::FILE_NAME;
/// The binary snapshot for run-time loading (see [`snapshot`]).
pub const SNAPSHOT_FILE: &str = snapshot::FILE_NAME;

/// What a format left out: its file name and the entries, with reasons.
pub type NotExpressed = (&'static str, Vec<Unexpressed>);

/// Produces every file of `generated/` from a list that passes [`Blocklist::validate`], and
/// verifies each by reading it back; the manifest comes last and describes the others.
pub fn compile(list: &Blocklist) -> Result<Vec<GeneratedFile>, CompileError> {
    let mut files = vec![
        GeneratedFile { name: LIST_FILE, bytes: list.to_json().into_bytes() },
        GeneratedFile { name: RUST_TABLE_FILE, bytes: rust_table::render(list).into_bytes() },
        GeneratedFile { name: CHROMIUM_INC_FILE, bytes: chromium_inc::render(list).into_bytes() },
        GeneratedFile { name: MARKDOWN_FILE, bytes: markdown::render(list).into_bytes() },
        GeneratedFile { name: SNAPSHOT_FILE, bytes: snapshot::render(list) },
    ];
    let mut not_expressed: Vec<NotExpressed> = Vec::new();
    for (name, rendered) in [
        (CRLSET_FILE, crlset::render(list)),
        (CERTDATA_FILE, certdata::render(list)),
        (ONECRL_FILE, onecrl::render(list)),
    ] {
        files.push(GeneratedFile { name, bytes: rendered.bytes });
        not_expressed.push((name, rendered.unexpressed));
    }
    let problems = readback::verify_all(list, &files);
    if !problems.is_empty() {
        return Err(CompileError::Lost { problems });
    }
    files.push(manifest::render(list, &files, &not_expressed));
    Ok(files)
}
