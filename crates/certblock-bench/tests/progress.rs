//! `ingest_with_progress` reports every file once, the items it held, and gives `ingest`'s result.

use std::sync::Mutex;

use certblock_bench::corpus::{CorpusSpec, KeyKind, Layout, write_corpus};
use certblock_ingest::{IngestOptions, ProgressEvent};

#[test]
fn progress_counts_files_and_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("sources");
    let spec = CorpusSpec {
        count: 30,
        layout: Layout::Files,
        per_incident: 20,
        per_bundle: 10,
        per_facts_file: 7_500,
        key: KeyKind::EcP256,
        seed: 3,
    };
    write_corpus(&sources, &spec).unwrap();
    let events = Mutex::new(Vec::new());
    let options = IngestOptions::default();
    let with = certblock_ingest::ingest_with_progress(&sources, &options, &|e| {
        events.lock().unwrap().push(e)
    })
    .unwrap();
    let without = certblock_ingest::ingest(&sources, &options).unwrap();
    assert_eq!(with, without);

    let events = events.into_inner().unwrap();
    // 30 certificate files and 2 incident.json files.
    assert_eq!(events.first(), Some(&ProgressEvent::Started { files: 32 }));
    assert_eq!(events.last(), Some(&ProgressEvent::Merging));
    let reads: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::FileRead { items } => Some(*items),
            _ => None,
        })
        .collect();
    assert_eq!(reads.len(), 32);
    assert_eq!(reads.iter().sum::<u64>(), 30);
}
