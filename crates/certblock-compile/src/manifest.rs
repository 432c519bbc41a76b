//! `MANIFEST.json`: every other generated file's size and SHA-256, the entry counts per action,
//! the source digest, and, per format, which entries it could not express and why.

use certblock_list::{Blocklist, GENERATED_NOTICE, REGENERATE_COMMAND, Sha256Hash};
use serde::Serialize;
use std::borrow::Cow;

use crate::{GeneratedFile, NotExpressed};

/// What the manifest records of one file.
pub(crate) struct FileSummary {
    name: &'static str,
    size: usize,
    sha256: Sha256Hash,
}

impl FileSummary {
    /// The summary of `file`.
    pub(crate) fn of(file: &GeneratedFile) -> Self {
        FileSummary {
            name: file.name,
            size: file.bytes.len(),
            sha256: Sha256Hash::digest(&file.bytes),
        }
    }
}

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
    not_expressible: Vec<KeysWithReason>,
    /// Entries the format carries without their `distrust_after` date: it blocks them for every
    /// certificate, issued before the date or after (the safe direction, but not the same rule).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    blocked_without_date: Vec<KeysWithReason>,
}

/// The keys that share one reason, so a list of a million bare keys does not repeat the same
/// sentence a million times.
#[derive(Serialize)]
struct KeysWithReason {
    reason: Cow<'static, str>,
    count: usize,
    spki_sha256: Vec<Sha256Hash>,
}

/// Groups (key, reason) pairs by reason; reasons in sorted order, keys in list order.
fn group_by_reason(
    pairs: impl Iterator<Item = (Sha256Hash, Cow<'static, str>)>,
) -> Vec<KeysWithReason> {
    let mut groups: std::collections::BTreeMap<Cow<'static, str>, Vec<Sha256Hash>> =
        Default::default();
    for (key, reason) in pairs {
        groups.entry(reason).or_default().push(key);
    }
    groups
        .into_iter()
        .map(|(reason, spki_sha256)| KeysWithReason {
            reason,
            count: spki_sha256.len(),
            spki_sha256,
        })
        .collect()
}

/// The files whose format has no way to say "distrust only certificates issued after".
const DATELESS_FORMATS: [&str; 4] = [
    crate::CHROMIUM_INC_FILE,
    crate::CRLSET_FILE,
    crate::CERTDATA_FILE,
    crate::ONECRL_FILE,
];

/// Renders the manifest for `files` (every other generated file, in [`crate::FILE_ORDER`] once
/// sorted here) and what formats left out.
pub(crate) fn render(
    list: &Blocklist,
    files: &[FileSummary],
    not_expressed: &[NotExpressed],
) -> GeneratedFile {
    let mut files: Vec<&FileSummary> = files.iter().collect();
    files.sort_by_key(|f| crate::FILE_ORDER.iter().position(|name| *name == f.name));
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
            .map(|f| FileRecord { name: f.name, size: f.size, sha256: f.sha256 })
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
                    not_expressible: group_by_reason(
                        left_out.iter().map(|u| (u.spki_sha256, Cow::Borrowed(u.reason))),
                    ),
                    blocked_without_date: group_by_reason(
                        list.entries
                            .iter()
                            .filter(|e| dateless && e.distrust_after.is_some())
                            .filter(|e| {
                                left_out.binary_search_by(|u| u.spki_sha256.cmp(&e.spki_sha256)).is_err()
                            })
                            .filter_map(|e| {
                                e.distrust_after.map(|t| {
                                    let reason = format!(
                                        "distrust_after {t}: this format cannot carry the date, so it \
                                         blocks the key for every certificate"
                                    );
                                    (e.spki_sha256, Cow::Owned(reason))
                                })
                            }),
                    ),
                }
            })
            .collect(),
    };
    // Room for every key listed once per format up front: the text is not copied as it grows.
    let keys_listed: usize = not_expressed.iter().map(|(_, u)| u.len()).sum();
    let mut bytes = Vec::with_capacity(16 * 1024 + 80 * keys_listed);
    serde_json::to_writer_pretty(&mut bytes, &manifest).expect("the manifest always serializes");
    bytes.push(b'\n');
    GeneratedFile {
        name: FILE_NAME,
        bytes,
    }
}
