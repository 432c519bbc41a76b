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
pub mod sorted_table;
mod text;

use certblock_formats::{Unexpressed, certdata, crlset, onecrl};
use certblock_list::{Blocklist, RenderedList};

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
/// The vendorable table for Rust: phf literals, or above [`RUST_TABLE_PHF_MAX`] entries the
/// lookup code over [`RUST_TABLE_BIN_FILE`] (same API).
pub const RUST_TABLE_FILE: &str = "spki_blocklist.rs";
/// The sorted keys the Rust table includes with `include_bytes!` above [`RUST_TABLE_PHF_MAX`]
/// entries (absent below it); layout in [`sorted_table`].
pub const RUST_TABLE_BIN_FILE: &str = sorted_table::FILE_NAME;
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

/// The most entries the Rust table holds as `phf` literals by default; above it,
/// `spki_blocklist.rs` includes the sorted binary `spki_blocklist.bin` instead. A phf literal
/// costs a downstream build about 0.12 ms and 15 KB of compiler memory per key (10k keys: 1.4 s,
/// 240 MB; 100k: 12 s, 1.5 GB; see BENCHMARKS.md); the sorted form costs almost nothing per key.
pub const RUST_TABLE_PHF_MAX: usize = 50_000;

/// Choices of [`compile_with`]; [`Default`] is what [`compile`] uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// The most entries written as a phf map in `spki_blocklist.rs`; with more, the table is the
    /// sorted form (`spki_blocklist.rs` + `spki_blocklist.bin`). Default [`RUST_TABLE_PHF_MAX`].
    pub rust_table_phf_max: usize,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            rust_table_phf_max: RUST_TABLE_PHF_MAX,
        }
    }
}

/// The Rust table's files for `list`: `spki_blocklist.rs` alone (phf form, up to
/// `options.rust_table_phf_max` entries), or `spki_blocklist.rs` and `spki_blocklist.bin`
/// (sorted form). Both forms give `SPKI_BLOCKLIST.get(&key) -> Option<&'static BlockedSpki>`,
/// `len()`, `entries()`, the constants and the types.
pub fn rust_table_files(list: &Blocklist, options: &CompileOptions) -> Vec<GeneratedFile> {
    if list.entries.len() <= options.rust_table_phf_max {
        vec![GeneratedFile {
            name: RUST_TABLE_FILE,
            bytes: rust_table::render(list).into_bytes(),
        }]
    } else {
        let (text, bin) = rust_table::render_sorted(list);
        vec![
            GeneratedFile {
                name: RUST_TABLE_FILE,
                bytes: text.into_bytes(),
            },
            GeneratedFile {
                name: RUST_TABLE_BIN_FILE,
                bytes: bin,
            },
        ]
    }
}

/// Produces every file of `generated/` from a list that passes [`Blocklist::validate`], and
/// verifies each by reading it back; the manifest comes last and describes the others.
pub fn compile(list: &Blocklist) -> Result<Vec<GeneratedFile>, CompileError> {
    compile_with(list, &CompileOptions::default())
}

/// [`compile`] with other [`CompileOptions`]: every file, in [`FILE_ORDER`].
pub fn compile_with(
    list: &Blocklist,
    options: &CompileOptions,
) -> Result<Vec<GeneratedFile>, CompileError> {
    let collected = std::sync::Mutex::new(Vec::new());
    compile_into(list, options, &|file: GeneratedFile| {
        collected.lock().expect("no sink panics").push(file);
        Ok(())
    })?;
    let mut files = collected.into_inner().expect("no sink panics");
    files.sort_by_key(|f| FILE_ORDER.iter().position(|name| *name == f.name));
    Ok(files)
}

/// Every file name compile can write, in the order [`compile_with`] returns them.
pub const FILE_ORDER: [&str; 10] = [
    LIST_FILE,
    RUST_TABLE_FILE,
    RUST_TABLE_BIN_FILE,
    CHROMIUM_INC_FILE,
    MARKDOWN_FILE,
    SNAPSHOT_FILE,
    CRLSET_FILE,
    CERTDATA_FILE,
    ONECRL_FILE,
    MANIFEST_FILE,
];

/// Renders every file, reads each back as soon as it is rendered, and hands each verified file to
/// `sink` (which may write it and drop it), the manifest last: only a file or two is in memory at a
/// time. Files reach the sink in no fixed order (formats are rendered on every core). If any file
/// loses or alters an entry, the error lists every problem found, and the caller must not use what
/// the sink received (`certblock generate` then leaves `generated/` as it was).
pub fn compile_into(
    list: &Blocklist,
    options: &CompileOptions,
    sink: &(dyn Fn(GeneratedFile) -> Result<(), output::OutputError> + Sync),
) -> Result<(), CompileError> {
    compile_rendered_into(list, None, options, sink)
}

/// [`compile_into`], with `blocklist.json` already rendered when `rendered` is given: `generate`
/// renders the list once ([`Blocklist::render_json`]) to compare it with the previous list, and
/// hands that text over instead of having it rendered again. It is read back like every other
/// file, so a text that does not read as exactly `list` is an error and never reaches `sink`.
pub fn compile_rendered_into(
    list: &Blocklist,
    rendered: Option<RenderedList>,
    options: &CompileOptions,
    sink: &(dyn Fn(GeneratedFile) -> Result<(), output::OutputError> + Sync),
) -> Result<(), CompileError> {
    use rayon::prelude::*;

    let rendered = std::sync::Mutex::new(rendered);
    let list_json = || {
        let given = rendered.lock().expect("no renderer panics").take();
        given.map_or_else(|| list.to_json(), RenderedList::into_string)
    };

    /// One renderer: its files, and what its format could not express (if it can leave out).
    type Rendering = (Vec<GeneratedFile>, Option<NotExpressed>);
    let own = |name: &'static str, bytes: Vec<u8>| (vec![GeneratedFile { name, bytes }], None);
    let browser = |name: &'static str, rendered: certblock_formats::Rendered| {
        (
            vec![GeneratedFile {
                name,
                bytes: rendered.bytes,
            }],
            Some((name, rendered.unexpressed)),
        )
    };
    // The renderers are independent pure functions of the list, run on every core; what reaches
    // the manifest is put back in a fixed order, so no output depends on scheduling.
    let jobs: [&(dyn Fn() -> Rendering + Sync); 8] = [
        &|| own(LIST_FILE, list_json().into_bytes()),
        &|| (rust_table_files(list, options), None),
        &|| own(CHROMIUM_INC_FILE, chromium_inc::render(list).into_bytes()),
        &|| own(MARKDOWN_FILE, markdown::render(list).into_bytes()),
        &|| own(SNAPSHOT_FILE, snapshot::render(list)),
        &|| browser(CRLSET_FILE, crlset::render(list)),
        &|| browser(CERTDATA_FILE, certdata::render(list)),
        &|| browser(ONECRL_FILE, onecrl::render(list)),
    ];
    type Outcome = Result<(Vec<manifest::FileSummary>, Option<NotExpressed>), CompileError>;
    let outcomes: Vec<Outcome> = jobs
        .par_iter()
        .map(|job| {
            let (files, left_out) = job();
            let problems = readback::verify_all(list, &files);
            if !problems.is_empty() {
                return Err(CompileError::Lost { problems });
            }
            let mut summaries = Vec::new();
            for file in files {
                summaries.push(manifest::FileSummary::of(&file));
                sink(file).map_err(CompileError::Output)?;
            }
            Ok((summaries, left_out))
        })
        .collect();
    let mut summaries = Vec::new();
    let mut not_expressed: Vec<NotExpressed> = Vec::new();
    let mut problems = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok((s, left_out)) => {
                summaries.extend(s);
                not_expressed.extend(left_out);
            }
            Err(CompileError::Lost { problems: p }) => problems.extend(p),
            Err(other) => return Err(other),
        }
    }
    if !problems.is_empty() {
        return Err(CompileError::Lost { problems });
    }
    sink(manifest::render(list, &summaries, &not_expressed)).map_err(CompileError::Output)
}
