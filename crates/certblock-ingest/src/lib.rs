//! Reads a `sources/` tree into the canonical [`certblock_list::Blocklist`].
//!
//! `sources/<incident-id>/incident.json` describes an incident; beside it, certificates and
//! public keys (PEM or DER) and `facts.json` records are its evidence. Every key (SHA-256 of the
//! DER SubjectPublicKeyInfo) becomes one entry carrying all its evidence.
//!
//! Ingest is strict and thorough: it reports every problem of a run (not only the first),
//! each tied to a file, line and column, and refuses the sources if there is any. What is
//! taken but unusual comes back as [`Warning`]s. The same sources always give the same list,
//! byte for byte, wherever the tree lies on disk.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Problems are plain values with their details inline, for callers to match on; they are built
// only on the failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

mod der;
mod error;
mod evidence;
mod facts;
mod incident;
mod json;
mod merge;
#[cfg(test)]
mod merge_reference;
mod options;
mod pem;
#[cfg(test)]
mod pem_reference;
mod progress;
mod walk;

use std::path::Path;

use certblock_list::{Blocklist, Incident};
use rayon::prelude::*;

pub use error::{IngestError, ItemKind, Problem, ProblemKind, Warning, WarningKind};
pub use evidence::{EvidenceItem, read_evidence_file, read_evidence_file_with};
pub use facts::parse_facts;
pub use incident::parse_incident;
pub use options::IngestOptions;
pub use progress::{Progress, ProgressEvent};

use walk::{Role, SourceFile};

/// The result of a successful ingest: the list and what a person should look at.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Ingested {
    /// The list, with `sequence` 0 (the caller sets it) and the digest of the sources tree.
    pub list: Blocklist,
    /// Unusual but accepted evidence, in path order.
    pub warnings: Vec<Warning>,
}

/// What reading one evidence file gave: its items, their warnings and how many there were.
struct EvidenceFile {
    /// The items, in file order (none when the folder name is not a valid id).
    items: Vec<merge::Item>,
    /// Their warnings, in file order.
    warnings: Vec<Warning>,
    /// How many items the file held.
    count: u64,
}

/// What reading one file gave.
enum Outcome {
    /// incident.json.
    Incident(Result<Incident, Problem>),
    /// facts.json: one item per record (none when the folder name is not a valid id).
    Facts(Result<Vec<merge::Item>, Problem>),
    /// A certificate or key file.
    Evidence(Result<EvidenceFile, Vec<Problem>>),
}

impl Outcome {
    /// How many certificates, keys or records it holds, for progress reports.
    fn items(&self) -> u64 {
        match self {
            Outcome::Incident(_) | Outcome::Facts(Err(_)) | Outcome::Evidence(Err(_)) => 0,
            Outcome::Facts(Ok(records)) => records.len() as u64,
            Outcome::Evidence(Ok(file)) => file.count,
        }
    }
}

/// Reads a file into `buffer` (emptied first, kept for the next file), refusing one larger than
/// the limit before reading it whole; returns its bytes.
///
/// The buffer comes from a [`BufferPool`] and serves file after file: a 17 MB bundle then costs
/// no new allocation (and no fresh pages) once a buffer that large has been used. (Buffers of
/// more than 32 MiB of capacity would keep glibc from raising its mmap threshold and so lower
/// its peak by about 20 MB at 100k certificates, but with mimalloc they cost more memory and
/// four times the system time: measured side by side, not done.)
fn read_limited<'b>(path: &Path, limit: u64, buffer: &'b mut Vec<u8>) -> Result<&'b [u8], Problem> {
    use std::io::Read as _;
    let io = |e: std::io::Error| {
        Problem::new(
            path,
            ProblemKind::Io {
                message: e.to_string(),
            },
        )
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limit {
        return Err(Problem::new(
            path,
            ProblemKind::FileTooLarge { size, limit },
        ));
    }
    buffer.clear();
    buffer.reserve(usize::try_from(size).unwrap_or(0));
    file.take(limit + 1).read_to_end(buffer).map_err(io)?;
    if buffer.len() as u64 > limit {
        return Err(Problem::new(
            path,
            ProblemKind::FileTooLarge {
                size: buffer.len() as u64,
                limit,
            },
        ));
    }
    Ok(buffer)
}

/// The read buffers of one ingest, handed from task to task.
///
/// Rayon may start a new task for each file, and a buffer made for each task cost fresh pages
/// for the bytes read (at 100k certificates in bundles, the pool saves about 7,000 of 78,000
/// page faults and 17 MB of peak); a buffer taken from the pool has its pages already. The pool
/// holds at most one buffer per task running at once, and is dropped at the end of the reading.
#[derive(Default)]
struct BufferPool(std::sync::Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    /// A buffer from the pool (or a new one), given back when the task drops it.
    fn take(&self) -> Pooled<'_> {
        let bytes = self
            .0
            .lock()
            .map(|mut pool| pool.pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        Pooled { pool: self, bytes }
    }
}

/// A buffer of a [`BufferPool`], given back when dropped.
struct Pooled<'a> {
    pool: &'a BufferPool,
    /// The buffer.
    bytes: Vec<u8>,
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Ok(mut pool) = self.pool.0.lock() {
            pool.push(std::mem::take(&mut self.bytes));
        }
    }
}

/// Reads and parses one file of an incident folder; also gives the file's part of the source
/// digest ([`certblock_list::digest::body_digest`] of the bytes read), if it could be read.
///
/// A folder whose name is not a valid id still has its files checked, so that every problem is
/// reported in one run; they are parsed under a stand-in id and never merged into the list.
fn read_one(
    file: &SourceFile,
    file_index: u32,
    id: Option<&certblock_list::IncidentId>,
    options: &IngestOptions,
    buffer: &mut Vec<u8>,
) -> (Outcome, Option<certblock_list::Sha256Hash>) {
    let bytes = read_limited(&file.path, options.max_file_bytes, buffer);
    // The file's part of the source digest, from the bytes parsed: it is never read twice.
    let body = bytes
        .as_ref()
        .ok()
        .map(|b| certblock_list::digest::body_digest(b));
    let outcome = match file.role {
        Role::Incident => Outcome::Incident(bytes.and_then(|b| {
            let id = id
                .cloned()
                .unwrap_or_else(|| "invalid".parse().expect("a valid id"));
            incident::parse_incident(&file.path, id, b)
        })),
        Role::Facts => Outcome::Facts(bytes.and_then(|b| {
            let id = id
                .cloned()
                .unwrap_or_else(|| "invalid".parse().expect("a valid id"));
            facts::facts_items(&file.path, &file.relative, &id, b, file_index)
        })),
        Role::Evidence(_) => Outcome::Evidence(bytes.map_err(|p| vec![p]).and_then(|b| {
            let placeholder;
            let incident = match id {
                Some(id) => id,
                None => {
                    placeholder = "invalid".parse().expect("a valid id");
                    &placeholder
                }
            };
            let taken = evidence::read_for_merge(
                &file.path,
                b,
                options,
                incident,
                &file.relative,
                file_index,
            )?;
            let count = taken.len() as u64;
            // A folder whose name is not a valid id is checked, never merged.
            if id.is_none() {
                return Ok(EvidenceFile {
                    items: Vec::new(),
                    warnings: Vec::new(),
                    count,
                });
            }
            let mut warnings = Vec::new();
            let items = taken
                .into_iter()
                .map(|t| {
                    warnings.extend(t.warnings);
                    t.item
                })
                .collect();
            Ok(EvidenceFile {
                items,
                warnings,
                count,
            })
        })),
    };
    (outcome, body)
}

/// Turns the `sources/` tree at `sources` into the canonical list.
///
/// Every problem found anywhere is reported (sorted by path) in the error; nothing is taken
/// unless everything is right. Evidence files are parsed in parallel and merged in path order,
/// so the result never depends on timing.
pub fn ingest(sources: &Path, options: &IngestOptions) -> Result<Ingested, IngestError> {
    ingest_with_progress(sources, options, &|_| {})
}

/// [`ingest`], calling `progress` as files are read (from the worker threads) and once more
/// before merging; the result is the same.
pub fn ingest_with_progress(
    sources: &Path,
    options: &IngestOptions,
    progress: Progress<'_>,
) -> Result<Ingested, IngestError> {
    let tree = walk::walk(sources);
    let mut problems = tree.problems;
    let jobs: Vec<(usize, &SourceFile)> = tree
        .incidents
        .iter()
        .enumerate()
        .flat_map(|(i, dir)| dir.files.iter().map(move |f| (i, f)))
        .collect();
    u32::try_from(jobs.len()).expect("fewer than 2^32 files");
    progress(ProgressEvent::Started {
        files: jobs.len() as u64,
    });
    let buffers = BufferPool::default();
    let (outcomes, bodies): (Vec<Outcome>, Vec<Option<certblock_list::Sha256Hash>>) = jobs
        .par_iter()
        .enumerate()
        .map_init(
            || buffers.take(),
            |buffer, (index, &(i, file))| {
                let index = u32::try_from(index).expect("fewer than 2^32 files");
                let id = tree.incidents[i].id.as_ref();
                let (outcome, body) = read_one(file, index, id, options, &mut buffer.bytes);
                progress(ProgressEvent::FileRead {
                    items: outcome.items(),
                });
                (outcome, body)
            },
        )
        .unzip();
    drop(buffers);
    // The digest of the tree takes each file's hash from the parse (the very bytes parsed) and
    // reads only what the parse did not (nothing, in a well-formed tree). When the walk already
    // found problems the run fails anyway, and the tree may hold what must not be read (a named
    // pipe would block), so it is not computed then.
    let source_digest = problems.is_empty().then(|| {
        let known: std::collections::HashMap<&Path, certblock_list::Sha256Hash> = jobs
            .iter()
            .zip(&bodies)
            .filter_map(|(&(_, file), body)| Some((file.path.as_path(), (*body)?)))
            .collect();
        certblock_list::digest::source_tree_digest_with(sources, &|path| known.get(path).copied())
    });
    drop(bodies);
    progress(ProgressEvent::Merging);

    // Incidents first: evidence needs its incident's action.
    let mut incidents: Vec<Option<Incident>> = vec![None; tree.incidents.len()];
    for (&(i, _), outcome) in jobs.iter().zip(&outcomes) {
        if let Outcome::Incident(result) = outcome {
            match result {
                Ok(incident) if tree.incidents[i].id.is_some() => {
                    incidents[i] = Some(incident.clone())
                }
                Ok(_) => {}
                Err(p) => problems.push(p.clone()),
            }
        }
    }

    // Every file's items in path order, and the files they come from.
    let placeholder: certblock_list::IncidentId = "invalid".parse().expect("a valid id");
    let files: Vec<merge::Source<'_>> = jobs
        .iter()
        .map(|&(i, file)| merge::Source {
            path: &file.path,
            relative: &file.relative,
            incident: tree.incidents[i].id.as_ref().unwrap_or(&placeholder),
            action: incidents[i]
                .as_ref()
                .map(|inc| (inc.action, inc.distrust_after)),
        })
        .collect();
    let total = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Facts(Ok(items)) => items.len(),
            Outcome::Evidence(Ok(file)) => file.items.len(),
            _ => 0,
        })
        .sum();
    let mut items: Vec<merge::Item> = Vec::with_capacity(total);
    let mut warnings = Vec::new();
    for (&(i, _), outcome) in jobs.iter().zip(outcomes) {
        // A folder whose name is not a valid id is checked, never merged.
        let valid = tree.incidents[i].id.is_some();
        match outcome {
            Outcome::Incident(_) => {}
            Outcome::Facts(Err(p)) => problems.push(p),
            Outcome::Evidence(Err(ps)) => problems.extend(ps),
            Outcome::Facts(Ok(records)) => {
                if valid {
                    items.extend(records);
                }
            }
            Outcome::Evidence(Ok(evidence_file)) => {
                if valid {
                    warnings.extend(evidence_file.warnings);
                    items.extend(evidence_file.items);
                }
            }
        }
    }
    // The list's incidents first, so that each entry is checked as soon as it is built, on the
    // thread that built it (`Blocklist::validate_entry_trusting_hashes`: every certificate and
    // key was hashed from the very bytes the evidence holds as it was read, so it is not hashed
    // again; tests check ingest's lists with the full `Blocklist::validate`).
    let mut incidents: Vec<Incident> = incidents.into_iter().flatten().collect();
    incidents.sort_by(|a, b| a.id.cmp(&b.id));
    let mut list = Blocklist {
        sequence: 0,
        source_digest: certblock_list::Sha256Hash([0; 32]),
        incidents,
        entries: Vec::new(),
    };
    let merged = merge::merge(sources, options.max_entries, &files, items, &list);
    drop(files);
    problems.extend(merged.problems);
    if !problems.is_empty() {
        return Err(IngestError::new(problems));
    }

    let source_digest =
        source_digest.unwrap_or_else(|| certblock_list::digest::source_tree_digest(sources));
    list.source_digest = source_digest.map_err(|e| {
        IngestError::new(vec![Problem::new(
            sources,
            ProblemKind::Digest {
                message: e.to_string(),
            },
        )])
    })?;
    list.entries = merged.entries;
    // Every invariant of `Blocklist::validate`: the list-wide ones here, the per-entry ones
    // (in entry order) from the merge; the result is exactly `validate`'s (the hashes, which are
    // not recomputed, are right by construction).
    let mut broken = list.validate_list();
    broken.extend(merged.faults);
    if !broken.is_empty() {
        let problems = broken
            .into_iter()
            .map(|message| Problem::new(sources, ProblemKind::InvalidList { message }))
            .collect();
        return Err(IngestError::new(problems));
    }
    Ok(Ingested { list, warnings })
}
