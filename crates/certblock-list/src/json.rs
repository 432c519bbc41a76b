//! The JSON form of the list (`generated/blocklist.json`): writing, reading, checking.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Blocklist, Entry, GENERATED_NOTICE, Incident, ListError, Sha256Hash};

/// The value of the `format` field: the name and version of the JSON form.
pub const LIST_FORMAT: &str = "certblock-list/1";

/// The file layout as written: borrows the list, so writing copies nothing. Field order here is
/// the order in the file, and must match [`ListFile`].
#[derive(Serialize)]
struct ListFileRef<'a> {
    #[serde(rename = "@generated")]
    generated: &'a str,
    format: &'a str,
    sequence: u64,
    source_digest: Sha256Hash,
    incidents: &'a [Incident],
    entries: &'a [Entry],
}

/// A one-field object holding a batch of entries: pretty-printed, its entries have the same
/// depth, and so the same bytes, as in the file.
#[derive(Serialize)]
struct EntriesOnly<'a> {
    entries: &'a [Entry],
}

/// How the file ends when it has no entries (`"entries": []`, then the closing brace).
const EMPTY_ENTRIES_END: &[u8] = b"]\n}";
/// How [`EntriesOnly`] begins when pretty-printed with at least one entry.
const ENTRIES_ONLY_START: &[u8] = b"{\n  \"entries\": [";
/// How [`EntriesOnly`] ends when pretty-printed with at least one entry: also how the file ends
/// after its last entry.
const ENTRIES_ONLY_END: &[u8] = b"\n  ]\n}";

/// The file layout as read, each entry still raw text (parsed next, on every core); field order
/// here is the order in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFileRaw<'a> {
    #[serde(rename = "@generated")]
    _generated: serde::de::IgnoredAny,
    format: String,
    sequence: u64,
    source_digest: Sha256Hash,
    incidents: Vec<Incident>,
    #[serde(borrow)]
    entries: Vec<&'a serde_json::value::RawValue>,
}

impl Blocklist {
    /// The list as pretty-printed JSON with a final newline, headed by the `@generated` notice.
    ///
    /// Long lists are written in parallel batches of entries, joined in order: the bytes are
    /// those of one pretty-printing pass over the whole file.
    pub fn to_json(&self) -> String {
        use rayon::prelude::*;

        let file = |entries| ListFileRef {
            generated: GENERATED_NOTICE,
            format: LIST_FORMAT,
            sequence: self.sequence,
            source_digest: self.source_digest,
            incidents: &self.incidents,
            entries,
        };
        // Room for a typical entry up front: a large list is not copied as the text grows.
        let mut text = Vec::with_capacity(4096 + 400 * self.entries.len());
        if self.entries.len() <= BATCH {
            serde_json::to_writer_pretty(&mut text, &file(&self.entries))
                .expect("a list always serializes");
        } else {
            // Everything but the entries, then the entries at the depth they have in the file.
            serde_json::to_writer_pretty(&mut text, &file(&[])).expect("a list always serializes");
            let open = text
                .strip_suffix(EMPTY_ENTRIES_END)
                .expect("the entries are the last field")
                .len();
            text.truncate(open);
            let batches: Vec<Vec<u8>> = self
                .entries
                .par_chunks(BATCH)
                .map(|entries| {
                    let mut batch = Vec::with_capacity(400 * entries.len());
                    serde_json::to_writer_pretty(&mut batch, &EntriesOnly { entries })
                        .expect("entries always serialize");
                    batch
                })
                .collect();
            for (i, batch) in batches.iter().enumerate() {
                let elements = batch
                    .strip_prefix(ENTRIES_ONLY_START)
                    .and_then(|b| b.strip_suffix(ENTRIES_ONLY_END))
                    .expect("a batch is the entries array of a one-field object");
                if i > 0 {
                    text.push(b',');
                }
                text.extend_from_slice(elements);
            }
            text.extend_from_slice(ENTRIES_ONLY_END);
        }
        text.push(b'\n');
        String::from_utf8(text).expect("serde_json writes UTF-8")
    }

    /// Reads a list from JSON text and checks its invariants.
    pub fn from_json(text: &str) -> Result<Blocklist, ListError> {
        Self::from_json_at(text, None)
    }

    /// Reads and checks the list in `path`.
    pub fn read(path: &Path) -> Result<Blocklist, ListError> {
        let text = std::fs::read_to_string(path).map_err(|source| ListError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_at(&text, Some(path.to_path_buf()))
    }

    fn from_json_at(text: &str, path: Option<PathBuf>) -> Result<Blocklist, ListError> {
        let list = Self::parse_json(text, path.clone())?;
        list.validate()
            .map_err(|problems| ListError::Invalid { path, problems })?;
        Ok(list)
    }

    /// Parses the JSON form and checks the format name, not the invariants. The file is read
    /// once with each entry kept as raw text, then the entries are parsed on every core; the
    /// first error in file order is reported, at its place in the file.
    fn parse_json(text: &str, path: Option<PathBuf>) -> Result<Blocklist, ListError> {
        use rayon::prelude::*;

        let file = parse_raw(text, &path)?;
        let parsed: Vec<Result<Vec<Entry>, ListError>> = file
            .entries
            .par_chunks(BATCH)
            .map(|batch| {
                batch
                    .iter()
                    .map(|raw| parse_entry(text, &path, raw))
                    .collect()
            })
            .collect();
        let mut entries = Vec::with_capacity(file.entries.len());
        for batch in parsed {
            entries.extend(batch?);
        }
        Ok(Blocklist {
            sequence: file.sequence,
            source_digest: file.source_digest,
            incidents: file.incidents,
            entries,
        })
    }

    /// Whether `text` reads as exactly this list; a file that does not parse is an error, as
    /// for [`Blocklist::from_json`]. For the compiler's read-back of the file it has just
    /// written: the entries are parsed on every core and each is dropped once compared, so no
    /// second copy of a large list is ever built.
    pub fn equals_json(&self, text: &str) -> Result<bool, ListError> {
        let file = parse_raw(text, &None)?;
        let same_content = self.compare_json(text, &file, &None)?;
        Ok(same_content
            && file.sequence == self.sequence
            && file.source_digest == self.source_digest)
    }

    /// [`Blocklist::sequence_after`] with the previous list given as read by [`RawList::parse`]
    /// (`generate` does that while the sources are ingested): its entries are compared here as
    /// they are parsed, and the previous list is never built. Its invariants are not checked:
    /// only its sequence number and whether its content equals this list's matter here, and an
    /// entry that does not parse is an error.
    pub fn sequence_after_raw(&mut self, previous: &RawList<'_>) -> Result<(), ListError> {
        let same_content = self.compare_json(previous.text, &previous.file, &previous.path)?;
        self.sequence = if same_content {
            previous.file.sequence
        } else {
            previous.file.sequence + 1
        };
        Ok(())
    }

    /// Whether the incidents and entries of `file` (read from `text` by [`parse_raw`]) equal
    /// this list's ([`Blocklist::same_content`]); every entry is parsed, so a broken one is an
    /// error whatever else differs.
    fn compare_json(
        &self,
        text: &str,
        file: &ListFileRaw<'_>,
        path: &Option<PathBuf>,
    ) -> Result<bool, ListError> {
        use rayon::prelude::*;

        // Every entry is parsed, even after a difference: a broken one must not hide.
        let per_batch: Vec<Result<bool, ListError>> = file
            .entries
            .par_chunks(BATCH)
            .enumerate()
            .map(|(batch, raws)| {
                let mut same = true;
                for (i, raw) in raws.iter().enumerate() {
                    let entry = parse_entry(text, path, raw)?;
                    same &= self.entries.get(batch * BATCH + i) == Some(&entry);
                }
                Ok(same)
            })
            .collect();
        let mut same = file.incidents == self.incidents && file.entries.len() == self.entries.len();
        for batch in per_batch {
            same &= batch?;
        }
        Ok(same)
    }
}

/// A list's JSON text read only as far as its header, incidents and the extent of each entry
/// (each entry is left as raw text): what [`Blocklist::sequence_after_raw`] needs of the
/// previous list, without building it.
pub struct RawList<'t> {
    text: &'t str,
    path: Option<PathBuf>,
    file: ListFileRaw<'t>,
}

impl<'t> RawList<'t> {
    /// Reads `text` (from `path`, named in errors) as far as that; a file that is not JSON, not
    /// a list, or of another format is an error with its line and column.
    pub fn parse(text: &'t str, path: &Path) -> Result<Self, ListError> {
        let path = Some(path.to_path_buf());
        let file = parse_raw(text, &path)?;
        Ok(RawList { text, path, file })
    }
}

/// Entries per batch when a list is written or read on every core.
const BATCH: usize = 4096;

/// Reads the file with each entry left as raw text, and checks the format name.
fn parse_raw<'t>(text: &'t str, path: &Option<PathBuf>) -> Result<ListFileRaw<'t>, ListError> {
    let file: ListFileRaw = serde_json::from_str(text).map_err(|e| json_error(text, path, e, 0))?;
    if file.format != LIST_FORMAT {
        return Err(ListError::Invalid {
            path: path.clone(),
            problems: vec![format!(
                "format is {:?}; this version of certblock reads {LIST_FORMAT:?}",
                file.format
            )],
        });
    }
    Ok(file)
}

/// Parses one entry left raw by [`parse_raw`]; an error is placed in the whole file.
fn parse_entry(
    text: &str,
    path: &Option<PathBuf>,
    raw: &serde_json::value::RawValue,
) -> Result<Entry, ListError> {
    let json = raw.get();
    let base = json.as_ptr() as usize - text.as_ptr() as usize;
    serde_json::from_str(json).map_err(|e| json_error(text, path, e, base))
}

/// The error for `e`, met in the piece of `text` that starts at byte `base`, with the line and
/// column (in the message too) of the place in the whole of `text`.
fn json_error(text: &str, path: &Option<PathBuf>, e: serde_json::Error, base: usize) -> ListError {
    let (line, column) = place_in(text, base, e.line(), e.column());
    let message = e.to_string();
    let relative = format!(" at line {} column {}", e.line(), e.column());
    ListError::Json {
        path: path.clone(),
        line,
        column,
        message: match message.strip_suffix(&relative) {
            Some(m) => format!("{m} at line {line} column {column}"),
            None => message,
        },
    }
}

/// The line and column (from 1) in `text` of the place at `line` and `column` of the piece of
/// `text` that starts at byte `base`.
fn place_in(text: &str, base: usize, line: usize, column: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..base.min(text.len())];
    let base_line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    if line > 1 {
        return (base_line + line - 1, column);
    }
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    (base_line, base - line_start + column)
}

/// Reads only the `source_digest` of a list, without checking the rest. `build.rs` uses it to
/// tell whether `generated/` is stale, cheaply, even when the list is from an older format.
pub fn recorded_source_digest(text: &str) -> Option<Sha256Hash> {
    #[derive(Deserialize)]
    struct DigestOnly {
        source_digest: Sha256Hash,
    }
    serde_json::from_str::<DigestOnly>(text)
        .ok()
        .map(|d| d.source_digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, Category, Evidence, EvidenceKind, IncidentId};

    fn sample() -> Blocklist {
        let id: IncidentId = "demo".parse().unwrap();
        let spki = b"not really a key";
        let mut ev = Evidence::new(
            id.clone(),
            "demo/k.key".into(),
            None,
            EvidenceKind::PublicKey,
        );
        ev.public_key = Some(crate::Base64Bytes(spki.to_vec()));
        Blocklist {
            sequence: 3,
            source_digest: Sha256Hash::digest(b"tree"),
            incidents: vec![Incident {
                id: id.clone(),
                title: "Demo".into(),
                category: Category::Test,
                action: Action::Block,
                added: Some("2020-01-02".parse().unwrap()),
                distrust_after: None,
                references: vec!["https://example.com/".into()],
                summary: "A demo.".into(),
            }],
            entries: vec![Entry {
                spki_sha256: Sha256Hash::digest(spki),
                action: Action::Block,
                incidents: vec![id],
                distrust_after: None,
                evidence: vec![ev],
            }],
        }
    }

    #[test]
    fn json_round_trips_and_starts_with_the_notice() {
        let list = sample();
        let text = list.to_json();
        assert!(text.starts_with("{\n  \"@generated\": \"@generated by `make generate`"));
        assert_eq!(Blocklist::from_json(&text).unwrap(), list);
        assert_eq!(recorded_source_digest(&text), Some(list.source_digest));
    }

    #[test]
    fn a_long_list_written_in_batches_is_one_pretty_pass() {
        let one = sample();
        let mut list = sample();
        list.entries = (0..10_000u32)
            .map(|i| {
                let mut entry = one.entries[0].clone();
                entry.spki_sha256 = Sha256Hash::digest(&i.to_be_bytes());
                entry
            })
            .collect();
        list.entries.sort_by_key(|e| e.spki_sha256);
        let file = ListFileRef {
            generated: GENERATED_NOTICE,
            format: LIST_FORMAT,
            sequence: list.sequence,
            source_digest: list.source_digest,
            incidents: &list.incidents,
            entries: &list.entries,
        };
        let one_pass = serde_json::to_string_pretty(&file).unwrap() + "\n";
        assert_eq!(list.to_json(), one_pass);
        let mut empty = sample();
        empty.entries.clear();
        assert!(empty.to_json().ends_with("\"entries\": []\n}\n"));
    }

    #[test]
    fn an_error_inside_an_entry_is_placed_in_the_file() {
        let text = sample().to_json();
        // A wrong type in the entry: the entry is parsed on its own, the place is the file's.
        let broken = text.replacen(
            "\"action\": \"block\",\n      \"incidents\"",
            "\"action\": 7,\n      \"incidents\"",
            1,
        );
        assert_ne!(broken, text);
        let line_of_seven = broken
            .lines()
            .position(|l| l.contains("\"action\": 7"))
            .unwrap()
            + 1;
        match Blocklist::from_json(&broken).unwrap_err() {
            ListError::Json {
                line,
                column,
                message,
                ..
            } => {
                assert_eq!(line, line_of_seven, "{message}");
                assert_eq!(column, "      \"action\": 7".len(), "{message}");
                assert!(
                    message.ends_with(&format!("at line {line} column {column}")),
                    "{message}"
                );
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn equals_json_tells_the_same_list_from_another() {
        let mut list = sample();
        list.entries = (0..9_000u32)
            .map(|i| {
                let mut entry = sample().entries[0].clone();
                entry.spki_sha256 = Sha256Hash::digest(&i.to_be_bytes());
                entry
            })
            .collect();
        list.entries.sort_by_key(|e| e.spki_sha256);
        let text = list.to_json();
        assert!(list.equals_json(&text).unwrap());
        // One field of one entry in the last batch differs: not equal.
        let mut other = list.clone();
        other.entries[8_999].evidence[0].name = Some("renamed".into());
        assert!(!other.equals_json(&text).unwrap());
        let mut fewer = list.clone();
        fewer.entries.pop();
        assert!(!fewer.equals_json(&text).unwrap());
        let mut renumbered = list.clone();
        renumbered.sequence += 1;
        assert!(!renumbered.equals_json(&text).unwrap());
        // Text that is not a list is an error, not a difference.
        assert!(list.equals_json(&text[..text.len() / 2]).is_err());
        // A broken entry is an error even when an earlier entry already differs.
        let last = list.entries[8_999].spki_sha256.to_hex();
        let broken = text.replacen(
            &format!("\"spki_sha256\": \"{last}\""),
            "\"spki_sha256\": 5",
            1,
        );
        assert!(other.equals_json(&broken).is_err());
        assert!(fewer.equals_json(&broken).is_err());

        // The sequence follows the previous text as it follows the previous list.
        let path = Path::new("generated/blocklist.json");
        for (mut next, previous) in [
            (list.clone(), &list),
            (other.clone(), &list),
            (fewer.clone(), &list),
        ] {
            let mut by_list = next.clone();
            by_list.sequence_after(Some(previous));
            let text = previous.to_json();
            next.sequence_after_raw(&RawList::parse(&text, path).unwrap())
                .unwrap();
            assert_eq!(next.sequence, by_list.sequence);
        }
        let raw = RawList::parse(&broken, path).unwrap();
        let error = other.sequence_after_raw(&raw).unwrap_err();
        assert!(
            error.to_string().starts_with("generated/blocklist.json:"),
            "{error}"
        );
    }

    #[test]
    fn unknown_fields_are_refused_with_a_position() {
        let text =
            sample()
                .to_json()
                .replacen("\"sequence\"", "\"surprise\": 1,\n  \"sequence\"", 1);
        match Blocklist::from_json(&text).unwrap_err() {
            ListError::Json { line, message, .. } => {
                assert_eq!(line, 4);
                assert!(message.contains("surprise"), "{message}");
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn broken_invariants_are_all_reported() {
        let mut list = sample();
        list.entries[0].action = Action::KnownInterception;
        list.entries[0].spki_sha256 = Sha256Hash::digest(b"another key");
        let problems = list.validate().unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("incident demo says block"));
        assert!(problems[1].contains("public key in demo/k.key hashes to"));
    }

    #[test]
    fn distrust_after_round_trips_and_must_match_the_incidents() {
        let plain = sample().to_json();
        assert!(
            !plain.contains("distrust_after"),
            "absent dates are not written"
        );
        let mut list = sample();
        let t: crate::Timestamp = "2019-09-01T00:00:00Z".parse().unwrap();
        list.incidents[0].distrust_after = Some(t);
        list.entries[0].distrust_after = Some(t);
        let text = list.to_json();
        assert!(
            text.contains("\"distrust_after\": \"2019-09-01T00:00:00Z\""),
            "{text}"
        );
        assert_eq!(Blocklist::from_json(&text).unwrap(), list);

        list.entries[0].distrust_after = None;
        let problems = list.validate().unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .contains("distrust_after none but its incident demo says 2019-09-01T00:00:00Z")
        );

        let early: crate::Timestamp = "1969-12-31T23:59:59Z".parse().unwrap();
        list.incidents[0].distrust_after = Some(early);
        list.entries[0].distrust_after = Some(early);
        let problems = list.validate().unwrap_err();
        assert!(problems[0].contains("before 1970"), "{problems:?}");
    }

    #[test]
    fn sequence_moves_only_when_content_changes() {
        let old = sample();
        let mut same = sample();
        same.sequence = 0;
        same.sequence_after(Some(&old));
        assert_eq!(same.sequence, 3);
        let mut changed = sample();
        changed.incidents[0].title = "Renamed".into();
        changed.sequence_after(Some(&old));
        assert_eq!(changed.sequence, 4);
        let mut first = sample();
        first.sequence_after(None);
        assert_eq!(first.sequence, 1);
    }
}
