//! Progress reports of a long ingest, for a caller that shows a bar (the command does, on a
//! terminal). Reporting is optional and changes nothing in the result.

/// One step of an ingest run, reported to the callback of [`crate::ingest_with_progress`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// The tree was walked: `files` files (incident.json, evidence, facts) are to be read.
    Started {
        /// How many files will be read.
        files: u64,
    },
    /// One file was read and parsed (called from the worker threads, in no particular order).
    FileRead {
        /// Certificates, keys or facts records it held (0 for incident.json or a bad file).
        items: u64,
    },
    /// Every file is read; evidence is being merged and the list checked.
    Merging,
}

/// The callback type: called from several threads at once, so it must be `Sync`.
pub type Progress<'a> = &'a (dyn Fn(ProgressEvent) + Sync);
