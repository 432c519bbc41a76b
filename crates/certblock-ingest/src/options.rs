//! Limits of one ingest run, so a wrong or hostile file cannot exhaust memory or time.

/// The limits ingest enforces; each one, when exceeded, is a clear problem, never a crash.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IngestOptions {
    /// Largest evidence, incident.json or facts.json file, in bytes (default 1 MiB).
    pub max_file_bytes: u64,
    /// Most PEM blocks (certificates and keys) in one file (default 10 000).
    pub max_certificates_per_file: usize,
    /// Most entries (distinct keys) in the whole list (default 2 000 000).
    pub max_entries: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_file_bytes: 1024 * 1024,
            max_certificates_per_file: 10_000,
            max_entries: 2_000_000,
        }
    }
}
