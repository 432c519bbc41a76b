//! `MANIFEST.json`: every other generated file's size and SHA-256, the entry counts per action,
//! the source digest, and, per format, which entries it could not express and why.

use certblock_list::{Blocklist, Sha256Hash, GENERATED_NOTICE, REGENERATE_COMMAND};
use serde::Serialize;

use crate::{GeneratedFile, NotExpressed};

/// The manifest's file name.
pub(crate) const FILE_NAME: &str = "MANIFEST.json";

#[derive(Serialize)]
struct Manifest<'a> {
    #[serde(rename = "@generated")]
    generated: &'static str,
    format: &'static str,
    regenerate: &'static str,
    sequence: u64,
    source_digest: Sha256Hash,
    counts: Counts,
    files: Vec<FileRecord<'a>>,
    formats: Vec<FormatRecord<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Counts {
    total: usize,
    block: usize,
    known_interception: usize,
    blocked_interception: usize,
    incidents: usize,
}

#[derive(Serialize)]
struct FileRecord<'a> {
    name: &'a str,
    size: usize,
    sha256: Sha256Hash,
}

#[derive(Serialize)]
struct FormatRecord<'a> {
    file: &'a str,
    expressed: usize,
    not_expressible: Vec<NotExpressible>,
    /// Entries the format carries without their `distrust_after` date: it blocks them for every
    /// certificate, issued before the date or after (the safe direction, but not the same rule).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    blocked_without_date: Vec<NotExpressible>,
}

/// The files whose format has no way to say "distrust only certificates issued after".
const DATELESS_FORMATS: [&str; 4] =
    [crate::CHROMIUM_INC_FILE, crate::CRLSET_FILE, crate::CERTDATA_FILE, crate::ONECRL_FILE];

#[derive(Serialize)]
struct NotExpressible {
    spki_sha256: Sha256Hash,
    reason: String,
}

/// Renders the manifest for `files` (every other generated file) and what formats left out.
pub(crate) fn render(list: &Blocklist, files: &[GeneratedFile], not_expressed: &[NotExpressed]) -> GeneratedFile {
    let counts = list.counts();
    let manifest = Manifest {
        generated: GENERATED_NOTICE,
        format: "certblock-manifest/1",
        regenerate: REGENERATE_COMMAND,
        sequence: list.sequence,
        source_digest: list.source_digest,
        counts: Counts {
            total: list.entries.len(),
            block: counts.block,
            known_interception: counts.known_interception,
            blocked_interception: counts.blocked_interception,
            incidents: list.incidents.len(),
        },
        files: files
            .iter()
            .map(|f| FileRecord { name: f.name, size: f.bytes.len(), sha256: Sha256Hash::digest(&f.bytes) })
            .collect(),
        formats: files
            .iter()
            .map(|f| {
                let left_out: &[certblock_formats::Unexpressed] = not_expressed
                    .iter()
                    .find(|(name, _)| *name == f.name)
                    .map(|(_, u)| u.as_slice())
                    .unwrap_or(&[]);
                let dateless = DATELESS_FORMATS.contains(&f.name);
                FormatRecord {
                    file: f.name,
                    expressed: list.entries.len() - left_out.len(),
                    not_expressible: left_out
                        .iter()
                        .map(|u| NotExpressible { spki_sha256: u.spki_sha256, reason: u.reason.clone() })
                        .collect(),
                    blocked_without_date: list
                        .entries
                        .iter()
                        .filter(|e| dateless && e.distrust_after.is_some())
                        .filter(|e| left_out.binary_search_by(|u| u.spki_sha256.cmp(&e.spki_sha256)).is_err())
                        .filter_map(|e| {
                            e.distrust_after.map(|t| NotExpressible {
                                spki_sha256: e.spki_sha256,
                                reason: format!(
                                    "distrust_after {t}: this format cannot carry the date, so it blocks the key \
                                     for every certificate"
                                ),
                            })
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&manifest).expect("the manifest always serializes");
    text.push('\n');
    GeneratedFile { name: FILE_NAME, bytes: text.into_bytes() }
}
