//! The JSON form of the list (`generated/blocklist.json`): writing, reading, checking.

use std::io::Read;
use std::ops::Range;
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

/// What precedes the sequence number in the file (a raw newline cannot be inside a JSON string
/// and only the header's fields are indented by two spaces, so the first match is the field).
const SEQUENCE_KEY: &[u8] = b"\n  \"sequence\": ";
/// What precedes the hex digits of the source digest in the file.
const DIGEST_KEY: &[u8] = b"\n  \"source_digest\": \"";
/// How an entry begins in the file: its key comes first.
const ENTRY_KEY_START: &str = "{\n      \"spki_sha256\": \"";

/// Where the value that follows the first `key` in `header` lies: the bytes after `key` that
/// `part_of_value` accepts.
fn header_value(header: &[u8], key: &[u8], part_of_value: fn(&u8) -> bool) -> Range<usize> {
    let at = header
        .windows(key.len())
        .position(|w| w == key)
        .expect("the header holds each of its fields")
        + key.len();
    at..at + header[at..].iter().take_while(|b| part_of_value(b)).count()
}

/// Where each entry object lies in `entries`, the entries array of a pretty-printed list
/// from its `[`: entries are the only values indented by four spaces there, so a line of four
/// spaces then `{` opens one and a line of four spaces then `}` closes it.
fn entry_spans_in(entries: &str) -> Vec<Range<usize>> {
    let bytes = entries.as_bytes();
    let mut spans = Vec::new();
    let mut start = 0;
    for at in memchr::memchr_iter(b'\n', bytes) {
        match bytes.get(at + 1..at + 6) {
            Some(b"    {") => start = at + 5,
            Some(b"    }") => spans.push(start..at + 6),
            _ => {}
        }
    }
    spans
}

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
        self.render_json().text
    }

    /// [`Blocklist::to_json`], keeping where the sequence number, the source digest and the
    /// entries lie in the text: `generate` renders the list once, compares that text with the
    /// previous file ([`Blocklist::sequence_after_text`]) and hands it to the compiler.
    pub fn render_json(&self) -> RenderedList {
        use rayon::prelude::*;

        // Everything but the entries, then the entries at the depth they have in the file.
        let mut text = Vec::with_capacity(4096 + 400 * self.entries.len());
        let header = ListFileRef {
            generated: GENERATED_NOTICE,
            format: LIST_FORMAT,
            sequence: self.sequence,
            source_digest: self.source_digest,
            incidents: &self.incidents,
            entries: &[],
        };
        serde_json::to_writer_pretty(&mut text, &header).expect("a list always serializes");
        let sequence = header_value(&text, SEQUENCE_KEY, u8::is_ascii_digit);
        let digest = header_value(&text, DIGEST_KEY, u8::is_ascii_hexdigit);
        let open = text
            .strip_suffix(EMPTY_ENTRIES_END)
            .expect("the entries are the last field")
            .len();
        text.truncate(open);
        if self.entries.is_empty() {
            text.extend_from_slice(EMPTY_ENTRIES_END);
        } else {
            // Each batch is the entries array of a one-field object, whose entries have the
            // same depth, and so the same bytes, as in the file.
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
        RenderedList {
            text: String::from_utf8(text).expect("serde_json writes UTF-8"),
            sequence,
            digest,
            entries_open: open,
        }
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

        with_raw(text, &path, |file| {
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
                incidents: file.incidents.clone(),
                entries,
            })
        })
    }

    /// Whether `text` reads as exactly this list; a file that does not parse is an error, as
    /// for [`Blocklist::from_json`]. For the compiler's read-back of the file it has just
    /// written: the entries are parsed on every core and each is dropped once compared, so no
    /// second copy of a large list is ever built.
    pub fn equals_json(&self, text: &str) -> Result<bool, ListError> {
        with_raw(text, &None, |file| {
            let same_content = self.compare_json(text, file, &None, None)?;
            Ok(same_content
                && file.sequence == self.sequence
                && file.source_digest == self.source_digest)
        })
    }

    /// [`Blocklist::sequence_after`] with the previous list given as its text (read from
    /// `path`, named in errors) and this list as `rendered` by [`Blocklist::render_json`]; sets
    /// the sequence number in both. The previous list is never built: it may hold a million
    /// entries.
    ///
    /// When the previous text is this list's text but for the sequence number and the source
    /// digest (the usual case when nothing changed), that settles it without parsing anything.
    /// Otherwise the previous text is parsed as far as the extent of each entry, and each entry
    /// is compared: one whose bytes are those this list renders for the entry with the same key
    /// is that entry (and needs no parsing); any other is parsed, so a broken one is an error
    /// whatever else differs. Its invariants are not checked: only its sequence number and
    /// whether its content equals this list's matter here.
    pub fn sequence_after_text(
        &mut self,
        rendered: &mut RenderedList,
        previous: &str,
        path: &Path,
    ) -> Result<(), ListError> {
        let sequence = match rendered.sequence_if_same(previous) {
            Some(sequence) => sequence,
            None => {
                let path = Some(path.to_path_buf());
                with_raw(previous, &path, |file| {
                    if self.compare_json(previous, file, &path, Some(rendered))? {
                        return Ok(file.sequence);
                    }
                    file.sequence
                        .checked_add(1)
                        .ok_or_else(|| ListError::Invalid {
                            path: path.clone(),
                            problems: vec![format!(
                                "sequence {} is the largest there is: no list can follow it",
                                file.sequence
                            )],
                        })
                })?
            }
        };
        self.sequence = sequence;
        rendered.set_sequence(sequence);
        Ok(())
    }

    /// [`Blocklist::sequence_after_text`] with the previous list in the file at `path`: the
    /// file is first compared with `rendered` as it is read ([`RenderedList::sequence_if_same_in`]),
    /// and read whole only when that does not settle it.
    pub fn sequence_after_file(
        &mut self,
        rendered: &mut RenderedList,
        path: &Path,
    ) -> Result<(), ListError> {
        let io = |source| ListError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        if let Some(sequence) = rendered.sequence_if_same_in(file).map_err(io)? {
            self.sequence = sequence;
            rendered.set_sequence(sequence);
            return Ok(());
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        self.sequence_after_text(rendered, &text, path)
    }

    /// Whether the incidents and entries of `file` (read from `text` by [`parse_raw`]) equal
    /// this list's ([`Blocklist::same_content`]); every entry is parsed, so a broken one is an
    /// error whatever else differs, except one whose bytes are those `rendered` (this list's
    /// text) holds for the entry with its key.
    fn compare_json(
        &self,
        text: &str,
        file: &RawFile<'_>,
        path: &Option<PathBuf>,
        rendered: Option<&RenderedList>,
    ) -> Result<bool, ListError> {
        use rayon::prelude::*;

        let spans = rendered.map(RenderedList::entry_spans);
        // The index of the entry of this list whose rendered bytes `raw` is, if any.
        let rendered_as = |raw: &str| -> Option<usize> {
            let (rendered, spans) = (rendered?, spans.as_ref()?);
            let key: Sha256Hash = raw.strip_prefix(ENTRY_KEY_START)?.get(..64)?.parse().ok()?;
            let index = self
                .entries
                .binary_search_by_key(&key, |e| e.spki_sha256)
                .ok()?;
            (rendered.text.get(spans.get(index)?.clone())? == raw).then_some(index)
        };
        // Every entry is parsed or known by its bytes, even after a difference: a broken one
        // must not hide.
        let per_batch: Vec<Result<bool, ListError>> = file
            .entries
            .par_chunks(BATCH)
            .enumerate()
            .map(|(batch, raws)| {
                let mut same = true;
                for (i, raw) in raws.iter().enumerate() {
                    let at = batch * BATCH + i;
                    match rendered_as(raw) {
                        Some(index) => same &= index == at,
                        None => {
                            let entry = parse_entry(text, path, raw)?;
                            same &= self.entries.get(at) == Some(&entry);
                        }
                    }
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

/// A list's JSON text ([`Blocklist::render_json`]), with where its sequence number, source
/// digest and entries lie: rendered once by `generate`, compared with the previous file to set
/// the sequence number, then written as `blocklist.json`.
#[derive(Clone, Debug)]
pub struct RenderedList {
    text: String,
    /// The digits of the sequence number.
    sequence: Range<usize>,
    /// The hex digits of the source digest.
    digest: Range<usize>,
    /// Where the entries array begins: just after its `[`.
    entries_open: usize,
}

impl RenderedList {
    /// The text, exactly [`Blocklist::to_json`]'s.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, exactly [`Blocklist::to_json`]'s.
    pub fn into_string(self) -> String {
        self.text
    }

    /// The previous file's sequence number, if `previous` is this text but for the digits of
    /// the sequence number (a number as JSON writes one) and of the source digest (64 hex
    /// digits): then it holds the same incidents and entries.
    fn sequence_if_same(&self, previous: &str) -> Option<u64> {
        let (sequence, tail) = self.header_if_same(previous.as_bytes())?;
        (previous.as_bytes().get(tail..)? == &self.text.as_bytes()[self.digest.end..])
            .then_some(sequence)
    }

    /// [`RenderedList::sequence_if_same`] for the file `previous` is reading, compared piece by
    /// piece as it is read: no copy of a large file is ever held. `Ok(None)` says only that the
    /// texts differ beyond those digits; whether the file is a list at all is for
    /// [`Blocklist::sequence_after_text`] to tell.
    pub fn sequence_if_same_in(&self, mut previous: impl Read) -> std::io::Result<Option<u64>> {
        // As far as the digest, with room for the longest sequence number.
        let mut head = Vec::new();
        (&mut previous)
            .take((self.digest.end + 20) as u64)
            .read_to_end(&mut head)?;
        let Some((sequence, tail)) = self.header_if_same(&head) else {
            return Ok(None);
        };
        let mut ours = &self.text.as_bytes()[self.digest.end..];
        let Some(rest) = ours.strip_prefix(head.get(tail..).unwrap_or_default()) else {
            return Ok(None);
        };
        ours = rest;
        let mut piece = vec![0; 1 << 20];
        loop {
            let read = match previous.read(&mut piece) {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            match ours.strip_prefix(&piece[..read]) {
                Some(rest) => ours = rest,
                None => return Ok(None),
            }
        }
        Ok(ours.is_empty().then_some(sequence))
    }

    /// The previous file's sequence number, and where in `previous` the text after the digest
    /// begins, if `previous` is this text up to there but for the digits of the sequence number
    /// and of the source digest (both checked).
    fn header_if_same(&self, previous: &[u8]) -> Option<(u64, usize)> {
        let (ours, theirs) = (self.text.as_bytes(), previous);
        let head = self.sequence.start;
        if theirs.get(..head)? != &ours[..head] {
            return None;
        }
        let digits = theirs[head..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || (digits > 1 && theirs[head] == b'0') {
            return None;
        }
        let sequence: u64 = std::str::from_utf8(&theirs[head..head + digits])
            .ok()?
            .parse()
            .ok()?;
        // From here on, the previous text is ours shifted by the difference in digits.
        let shift = |at: usize| (at + head + digits).checked_sub(self.sequence.end);
        let between = shift(self.sequence.end)?..shift(self.digest.start)?;
        if theirs.get(between)? != &ours[self.sequence.end..self.digest.start] {
            return None;
        }
        let digest = shift(self.digest.start)?..shift(self.digest.end)?;
        std::str::from_utf8(theirs.get(digest)?)
            .ok()?
            .parse::<Sha256Hash>()
            .ok()?;
        Some((sequence, shift(self.digest.end)?))
    }

    /// Writes `sequence` as the sequence number.
    fn set_sequence(&mut self, sequence: u64) {
        let digits = sequence.to_string();
        let old = self.sequence.len();
        self.text.replace_range(self.sequence.clone(), &digits);
        let moved = |at: usize| at + digits.len() - old;
        self.digest = moved(self.digest.start)..moved(self.digest.end);
        self.entries_open = moved(self.entries_open);
        self.sequence.end = self.sequence.start + digits.len();
    }

    /// Where each entry lies in the text, in list order.
    fn entry_spans(&self) -> Vec<Range<usize>> {
        let open = self.entries_open;
        entry_spans_in(&self.text[open..])
            .into_iter()
            .map(|s| open + s.start..open + s.end)
            .collect()
    }
}

/// Entries per batch when a list is written or read on every core.
const BATCH: usize = 4096;

/// A list file read as far as its header, incidents and the extent of each entry: each entry is
/// left as its text, to be parsed (or compared) next, on every core.
struct RawFile<'t> {
    sequence: u64,
    source_digest: Sha256Hash,
    incidents: Vec<Incident>,
    /// The text of each entry, a slice of the file's text.
    entries: Vec<&'t str>,
}

/// Runs `read` on the file in `text` read by [`parse_canonical`] when that can, and on the file
/// read by [`parse_raw`] otherwise or when `read` fails there: every error comes from the one
/// JSON reader that reads any layout, so a file's errors do not depend on its layout.
fn with_raw<R>(
    text: &str,
    path: &Option<PathBuf>,
    read: impl Fn(&RawFile<'_>) -> Result<R, ListError>,
) -> Result<R, ListError> {
    if let Some(file) = parse_canonical(text)
        && let Ok(result) = read(&file)
    {
        return Ok(result);
    }
    read(&parse_raw(text, path)?)
}

/// Reads a file laid out exactly as [`Blocklist::to_json`] writes one, without a pass of the
/// JSON reader over the entries: they are found by their lines (see [`entry_spans_in`]), and
/// what lies between them must be exactly the commas and indentation `to_json` writes; the
/// header and incidents are read by the JSON reader. `None` for any other layout, or a header
/// that does not read: [`parse_raw`] then says why. What it returns is what `parse_raw` would.
fn parse_canonical(text: &str) -> Option<RawFile<'_>> {
    const ENTRIES_KEY: &str = "\n  \"entries\": [";
    const FIRST: &str = "\n    ";
    const BETWEEN: &str = ",\n    ";
    const END: &str = "\n  ]\n}\n";
    let open = text.find(ENTRIES_KEY)? + ENTRIES_KEY.len();
    let spans = entry_spans_in(&text[open..]);
    let (first, last) = (spans.first()?, spans.last()?);
    if text[open..].get(..first.start)? != FIRST || text[open + last.end..] != *END {
        return None;
    }
    if spans
        .windows(2)
        .any(|pair| text[open..].get(pair[0].end..pair[1].start) != Some(BETWEEN))
    {
        return None;
    }
    let header = format!("{}]\n}}", &text[..open]);
    let file: ListFileRaw = serde_json::from_str(&header).ok()?;
    if file.format != LIST_FORMAT || !file.entries.is_empty() {
        return None;
    }
    Some(RawFile {
        sequence: file.sequence,
        source_digest: file.source_digest,
        incidents: file.incidents,
        entries: spans
            .into_iter()
            .map(|span| &text[open + span.start..open + span.end])
            .collect(),
    })
}

/// Reads the file with each entry left as raw text, and checks the format name.
fn parse_raw<'t>(text: &'t str, path: &Option<PathBuf>) -> Result<RawFile<'t>, ListError> {
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
    Ok(RawFile {
        sequence: file.sequence,
        source_digest: file.source_digest,
        incidents: file.incidents,
        entries: file.entries.into_iter().map(|raw| raw.get()).collect(),
    })
}

/// Parses the text of one entry, a slice of `text`; an error is placed in the whole file.
fn parse_entry(text: &str, path: &Option<PathBuf>, json: &str) -> Result<Entry, ListError> {
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

    /// The file layout of `list`, as `to_json` writes it.
    fn layout_of(list: &Blocklist) -> ListFileRef<'_> {
        ListFileRef {
            generated: GENERATED_NOTICE,
            format: LIST_FORMAT,
            sequence: list.sequence,
            source_digest: list.source_digest,
            incidents: &list.incidents,
            entries: &list.entries,
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
        let file = layout_of(&list);
        let one_pass = serde_json::to_string_pretty(&file).unwrap() + "\n";
        assert_eq!(list.to_json(), one_pass);
        // A list of one batch, and of one entry, too.
        for short in [list.entries[..BATCH].to_vec(), vec![one.entries[0].clone()]] {
            let mut list = list.clone();
            list.entries = short;
            let file = ListFileRef {
                entries: &list.entries,
                ..file
            };
            let one_pass = serde_json::to_string_pretty(&file).unwrap() + "\n";
            assert_eq!(list.to_json(), one_pass);
        }
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
        for (next, previous) in [
            (list.clone(), &list),
            (other.clone(), &list),
            (fewer.clone(), &list),
        ] {
            let mut by_list = next.clone();
            by_list.sequence_after(Some(previous));
            let mut by_text = next.clone();
            let mut rendered = by_text.render_json();
            by_text
                .sequence_after_text(&mut rendered, &previous.to_json(), path)
                .unwrap();
            assert_eq!(by_text.sequence, by_list.sequence);
            assert_eq!(rendered.as_str(), by_list.to_json());
        }
        let mut rendered = other.render_json();
        let error = other
            .sequence_after_text(&mut rendered, &broken, path)
            .unwrap_err();
        assert!(
            error.to_string().starts_with("generated/blocklist.json:"),
            "{error}"
        );
    }

    /// A list of `n` entries, each with its own key and evidence.
    fn numbered(n: u32) -> Blocklist {
        let mut list = sample();
        list.entries = (0..n)
            .map(|i| {
                let mut entry = sample().entries[0].clone();
                entry.spki_sha256 = Sha256Hash::digest(&i.to_be_bytes());
                entry.evidence[0].name = Some(format!("key {i}"));
                entry
            })
            .collect();
        list.entries.sort_by_key(|e| e.spki_sha256);
        list
    }

    /// A reader that hands out a few bytes at a time, as a pipe might.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(7_777);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_previous_text_is_recognised_when_only_sequence_and_digest_differ() {
        let list = numbered(5_000);
        let rendered = list.render_json();
        // Read whole, or compared as it is read: the same answer.
        let rendered = &Both(rendered);
        assert_eq!(rendered.as_str(), list.to_json());
        let mut previous = list.clone();
        // More digits than the new text has, and another digest.
        previous.sequence = 12_345;
        previous.source_digest = Sha256Hash::digest(b"another tree");
        assert_eq!(rendered.sequence_if_same(&previous.to_json()), Some(12_345));
        previous.sequence = 0;
        assert_eq!(rendered.sequence_if_same(&previous.to_json()), Some(0));
        let text = previous.to_json();
        let digits = |sequence: &str| {
            text.replacen("\"sequence\": 0,", &format!("\"sequence\": {sequence},"), 1)
        };
        // Not numbers as JSON writes them: left to the parser, which refuses them.
        for odd in ["007", "-1", "1.0", "", "18446744073709551616"] {
            assert_eq!(rendered.sequence_if_same(&digits(odd)), None, "{odd}");
        }
        // A digest that is not one, a changed entry, a changed incident, a cut or longer file.
        let hex = previous.source_digest.to_hex();
        for changed in [
            text.replacen(&hex, &"z".repeat(64), 1),
            text.replacen(&hex, &hex[..63], 1),
            text.replacen("key 4999", "key 5000", 1),
            text.replacen("A demo.", "A demo!", 1),
            text[..text.len() - 1].to_string(),
            format!("{text} "),
        ] {
            assert_ne!(changed, text);
            assert_eq!(rendered.sequence_if_same(&changed), None);
        }
    }

    /// A rendered list whose `sequence_if_same` also asks `sequence_if_same_in`, and checks
    /// that both say the same.
    struct Both(RenderedList);

    impl Both {
        fn as_str(&self) -> &str {
            self.0.as_str()
        }

        fn sequence_if_same(&self, previous: &str) -> Option<u64> {
            let whole = self.0.sequence_if_same(previous);
            let read = self.0.sequence_if_same_in(Trickle(previous.as_bytes()));
            assert_eq!(read.unwrap(), whole);
            whole
        }
    }

    #[test]
    fn the_sequence_follows_a_previous_file() {
        let dir = std::env::temp_dir().join(format!("certblock-list-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("blocklist.json");
        let list = numbered(5_000);
        let mut previous = list.clone();
        previous.sequence = 41;
        let mut changed = list.clone();
        changed.entries[10].evidence[0].name = Some("renamed".into());
        for (next, expected) in [(&list, 41), (&changed, 42)] {
            std::fs::write(&path, previous.to_json()).unwrap();
            let mut next = next.clone();
            let mut rendered = next.render_json();
            next.sequence_after_file(&mut rendered, &path).unwrap();
            assert_eq!(next.sequence, expected);
            assert_eq!(rendered.as_str(), next.to_json());
        }
        std::fs::remove_file(&path).unwrap();
        let mut next = list.clone();
        let mut rendered = next.render_json();
        let error = next.sequence_after_file(&mut rendered, &path).unwrap_err();
        assert!(matches!(error, ListError::Io { .. }), "{error}");
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn the_sequence_follows_a_previous_text_of_any_shape() {
        let path = Path::new("generated/blocklist.json");
        let list = numbered(9_000);
        let follow = |next: &Blocklist, previous: &str| -> Result<u64, ListError> {
            let mut next = next.clone();
            let mut rendered = next.render_json();
            next.sequence_after_text(&mut rendered, previous, path)?;
            assert_eq!(
                rendered.as_str(),
                next.to_json(),
                "the text holds the sequence"
            );
            Ok(next.sequence)
        };
        let mut previous = list.clone();
        previous.sequence = 99;
        let text = previous.to_json();
        assert_eq!(follow(&list, &text).unwrap(), 99);
        // The same list written compactly: parsed and compared, the same content.
        let compact = serde_json::to_string(&layout_of(&previous)).unwrap();
        assert_eq!(follow(&list, &compact).unwrap(), 99);
        // One entry more or fewer, at the start: every other entry is found by its key.
        let mut more = list.clone();
        more.entries.insert(0, numbered(9_001).entries[0].clone());
        more.entries.sort_by_key(|e| e.spki_sha256);
        assert_eq!(follow(&more, &text).unwrap(), 100);
        let mut fewer = list.clone();
        fewer.entries.remove(0);
        assert_eq!(follow(&fewer, &text).unwrap(), 100);
        // One entry changed in its evidence, and entries in another order.
        let mut changed = list.clone();
        changed.entries[4_500].evidence[0].name = Some("renamed".into());
        assert_eq!(follow(&changed, &text).unwrap(), 100);
        let mut swapped = previous.clone();
        swapped.entries.swap(0, 1);
        assert_eq!(follow(&list, &swapped.to_json()).unwrap(), 100);
        // A broken entry is an error, even among entries whose bytes are this list's, and
        // even when the new list differs anyway.
        let last = list.entries[8_999].spki_sha256.to_hex();
        let broken = text.replacen(
            &format!("\"spki_sha256\": \"{last}\""),
            "\"spki_sha256\": 5",
            1,
        );
        for next in [&list, &more, &changed] {
            let error = follow(next, &broken).unwrap_err();
            assert!(
                error.to_string().starts_with("generated/blocklist.json:"),
                "{error}"
            );
        }
        // So is a sequence number JSON does not allow, and a digest that is not one.
        let zeros = text.replacen("\"sequence\": 99,", "\"sequence\": 099,", 1);
        assert!(follow(&list, &zeros).is_err());
        let hex = previous.source_digest.to_hex();
        assert!(follow(&list, &text.replacen(&hex, &"z".repeat(64), 1)).is_err());
        // An empty file is not a list.
        assert!(follow(&list, "").is_err());
        // A sequence that cannot grow is an error, not a wrap to 0.
        let last = text.replacen(
            "\"sequence\": 99,",
            &format!("\"sequence\": {},", u64::MAX),
            1,
        );
        assert_eq!(follow(&list, &last).unwrap(), u64::MAX);
        let error = follow(&changed, &last).unwrap_err();
        assert!(error.to_string().contains("largest there is"), "{error}");
    }

    #[test]
    fn the_canonical_reader_reads_what_the_json_reader_reads_or_nothing() {
        let list = numbered(5_000);
        let text = list.to_json();
        let same = |a: &RawFile<'_>, b: &RawFile<'_>| {
            a.sequence == b.sequence
                && a.source_digest == b.source_digest
                && a.incidents == b.incidents
                && a.entries == b.entries
        };
        let canonical = parse_canonical(&text).expect("to_json's layout");
        assert!(same(&canonical, &parse_raw(&text, &None).unwrap()));
        // Other layouts of the same list: left to the JSON reader, which reads the same list.
        let compact = serde_json::to_string(&layout_of(&list)).unwrap();
        let key = list.entries[2_000].spki_sha256.to_hex();
        let at = text.find(&format!("\"spki_sha256\": \"{key}\"")).unwrap();
        let brace = text[..at].rfind('{').unwrap();
        for other in [
            compact,
            text.trim_end().to_string(),
            format!("{text}\n"),
            // A space more before one entry.
            format!("{} {}", &text[..brace], &text[brace..]),
        ] {
            assert_ne!(other, text);
            assert!(parse_canonical(&other).is_none());
            assert_eq!(Blocklist::parse_json(&other, None).unwrap(), list);
            assert!(list.equals_json(&other).unwrap());
        }
        // Inside an entry the layout is free: each entry is read by the JSON reader.
        let inside = format!("{}\n{}", &text[..at], &text[at..]);
        assert!(same(
            &parse_canonical(&inside).unwrap(),
            &parse_raw(&inside, &None).unwrap()
        ));
        assert!(list.equals_json(&inside).unwrap());
        // A header the JSON reader refuses is not read here either; the error is the reader's.
        let unknown = text.replacen("\"sequence\"", "\"surprise\": 1,\n  \"sequence\"", 1);
        assert!(parse_canonical(&unknown).is_none());
        assert!(matches!(
            Blocklist::from_json(&unknown),
            Err(ListError::Json { line: 4, .. })
        ));
        let other_format = text.replacen(LIST_FORMAT, "certblock-list/0", 1);
        assert!(parse_canonical(&other_format).is_none());
        assert!(matches!(
            Blocklist::from_json(&other_format),
            Err(ListError::Invalid { .. })
        ));
    }

    #[test]
    fn entry_spans_hold_each_entry_and_start_with_its_key() {
        let list = numbered(5_000);
        let mut rendered = list.render_json();
        // Also after the sequence number grew by digits.
        rendered.set_sequence(1_000_000);
        let spans = rendered.entry_spans();
        assert_eq!(spans.len(), list.entries.len());
        for (span, entry) in spans.into_iter().zip(&list.entries) {
            let text = &rendered.as_str()[span];
            let key = format!("{ENTRY_KEY_START}{}\"", entry.spki_sha256.to_hex());
            assert!(text.starts_with(&key), "{text}");
            assert_eq!(&serde_json::from_str::<Entry>(text).unwrap(), entry);
        }
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
