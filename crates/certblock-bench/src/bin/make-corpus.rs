//! Writes a synthetic `sources/` tree of realistic certificates, quickly.
//!
//! ```text
//! cargo run --release -p certblock-bench --bin make-corpus -- \
//!     --count 100000 --layout bundles --out target/bench/corpus/100k-bundles
//! cargo run --release -p certblock-bench --bin make-corpus -- \
//!     --count 1000000 --layout facts --per-facts-file 1000000 --out target/bench/corpus/1000000-facts
//! ```

use std::path::PathBuf;
use std::time::Instant;

use certblock_bench::corpus::{CorpusSpec, KeyKind, Layout, write_corpus};
use clap::Parser;

/// Write COUNT synthetic certificates (distinct random keys, one real-shaped template patched in
/// place), or COUNT bare keys in facts.json files (`--layout facts`), as a certblock sources/
/// tree under OUT.
#[derive(Parser)]
#[command(name = "make-corpus")]
struct Args {
    /// How many certificates (each with its own key).
    #[arg(long)]
    count: u64,
    /// `files`: one PEM certificate per file; `bundles`: a few large PEM files; `facts`: bare
    /// keys (`spki_sha256` and `name` records) in facts.json files.
    #[arg(long, default_value = "files")]
    layout: Layout,
    /// The sources folder to write (must not exist, or be empty).
    #[arg(long)]
    out: PathBuf,
    /// Files per incident folder (layout `files`).
    #[arg(long, default_value_t = 10_000)]
    per_incident: u64,
    /// Certificates per bundle (layout `bundles`); ingest accepts at most 10,000 per file.
    #[arg(long, default_value_t = 10_000)]
    per_bundle: u64,
    /// Records per facts.json, one file per incident folder (layout `facts`). About 139 bytes a
    /// record: the default fits ingest's 1 MiB per-file limit; `--per-facts-file 1000000` writes
    /// one 139 MB file of 1M records, which needs `--max-file-bytes` (and `--max-entries` above
    /// 2M) on `certblock generate`.
    #[arg(long, default_value_t = 7_500)]
    per_facts_file: u64,
    /// `rsa` (RSA 2048, like most blocklisted roots) or `ec` (P-256).
    #[arg(long, default_value = "rsa")]
    key: KeyKind,
    /// The seed: the same arguments write the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let spec = CorpusSpec {
        count: args.count,
        layout: args.layout,
        per_incident: args.per_incident,
        per_bundle: args.per_bundle,
        per_facts_file: args.per_facts_file,
        key: args.key,
        seed: args.seed,
    };
    let start = Instant::now();
    match write_corpus(&args.out, &spec) {
        Ok(stats) => {
            let secs = start.elapsed().as_secs_f64();
            let what = match args.layout {
                Layout::Facts => "facts records",
                _ => "certificates",
            };
            eprintln!(
                "make-corpus: {} {what} in {} files ({} bytes) under {} in {:.2} s ({:.0} {what}/s)",
                stats.certificates,
                stats.files,
                stats.bytes,
                args.out.display(),
                secs,
                stats.certificates as f64 / secs
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("make-corpus: {}: {e}", args.out.display());
            std::process::ExitCode::FAILURE
        }
    }
}
