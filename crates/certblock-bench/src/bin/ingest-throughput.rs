//! Times `certblock_ingest::ingest` on a sources tree: the median of several runs, in
//! certificates per second and MB/s of evidence read.
//!
//! ```text
//! cargo run --release -p certblock-bench --bin ingest-throughput -- SOURCES [RUNS]
//! ```
//! Prints one tab-separated line: sources, certificates, evidence bytes, runs, median seconds,
//! min seconds, certificates/s and MB/s (both at the median).

use std::path::PathBuf;
use std::time::Instant;

use certblock_ingest::IngestOptions;

fn main() {
    let mut args = std::env::args().skip(1);
    let sources = PathBuf::from(
        args.next()
            .expect("usage: ingest-throughput SOURCES [RUNS]"),
    );
    let runs: usize = args
        .next()
        .map_or(3, |r| r.parse().expect("RUNS is a number"));
    let bytes: u64 = std::fs::read_dir(&sources)
        .expect("sources")
        .flatten()
        .filter(|e| e.path().is_dir())
        .flat_map(|d| std::fs::read_dir(d.path()).expect("incident").flatten())
        .filter(|e| e.file_name() != "incident.json")
        .map(|e| e.metadata().map_or(0, |m| m.len()))
        .sum();
    // Bundles of 10,000 certificates are ~17 MB: lift the 1 MiB per-file default.
    let options = IngestOptions {
        max_file_bytes: 1 << 30,
        ..IngestOptions::default()
    };
    let mut times = Vec::new();
    let mut certificates = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let ingested = certblock_ingest::ingest(&sources, &options).unwrap_or_else(|e| {
            panic!(
                "ingest failed: {} problem(s), first: {}",
                e.problems.len(),
                e.problems[0]
            )
        });
        times.push(start.elapsed().as_secs_f64());
        certificates = ingested.list.entries.len();
        drop(ingested);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{}\t{certificates}\t{bytes}\t{runs}\t{median:.4}\t{:.4}\t{:.0}\t{:.1}",
        sources.display(),
        times[0],
        certificates as f64 / median,
        bytes as f64 / median / 1e6
    );
}
