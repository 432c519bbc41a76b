//! Lookup of an SPKI SHA-256 at N = 100, 10,000 and 1,000,000 keys, hits and misses.
//!
//! Contenders:
//! - `phf`: a `phf::Map<[u8; 32], Value>` exactly as `generated/spki_blocklist.rs` declares it.
//!   The map is built at bench time with `phf_generator::generate_hash`, the function (and fixed
//!   seed) `phf_codegen` itself calls, so the key, displacements and entry order are the ones the
//!   compiled table would hold, and `Map::get` is the same code. (Compiling a literal table of
//!   1M keys costs minutes and ~11 GB; see BENCHMARKS.md.)
//! - `phf-compiled`: the real compiled table in `crates/certblock` (N = its size), for the record
//!   that a compiled table and a runtime-built one perform alike.
//! - `sorted-binary-search`: Chromium's method, a sorted `Vec<[u8; 32]>` and `binary_search`.
//! - `hashset`: `std::collections::HashSet<[u8; 32]>` (SipHash-1-3, std's default).
//! - `snapshot`: the run-time snapshot of `crates/certblock` (`Snapshot::from_bytes`, then
//!   `lookup`), over a file written by the compiler's writer (`certblock_compile::snapshot`):
//!   sorted keys with a prefix index.
//! - `sorted-table`: the lookup of the sorted form of the vendorable table (`spki_blocklist.rs`
//!   over `spki_blocklist.bin`, used above `certblock_compile::RUST_TABLE_PHF_MAX` keys), as
//!   `certblock_compile::sorted_table::position` runs it over the compiler's encoding: the same
//!   steps as the generated code (two index words, the keys of one bucket, one value word), with
//!   the layout read from the header instead of compiled-in constants.
//!
//! Each measurement looks up a batch of 1,024 random queries (members for hits, fresh random keys
//! for misses); criterion reports time per batch and lookups per second (throughput).
//!
//! Under `cargo test` (no `--bench` argument) only N = 100 runs, once, so tests stay fast.

use std::collections::HashSet;
use std::hint::black_box;

use certblock_bench::keys::{queries, random_keys};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// The value the generated table stores per key (same shape as its `BlockedSpki`).
#[allow(dead_code)]
#[derive(Clone, Copy, Debug)]
struct Value {
    action: u8,
    incident: &'static str,
    title: &'static str,
}

const BATCH: usize = 1024;

fn phf_map(keys: &[[u8; 32]]) -> phf::Map<[u8; 32], Value> {
    let state = phf_generator::generate_hash(keys);
    let entries: Vec<([u8; 32], Value)> = state
        .map
        .iter()
        .map(|&i| {
            (
                keys[i],
                Value {
                    action: (i % 3) as u8,
                    incident: "synthetic",
                    title: "Synthetic",
                },
            )
        })
        .collect();
    phf::Map {
        key: state.key,
        disps: Vec::leak(state.disps),
        entries: Vec::leak(entries),
    }
}

/// The run-time snapshot of `keys`, written by the compiler's snapshot writer.
fn snapshot_bytes(keys: &[[u8; 32]]) -> Vec<u8> {
    let mut sorted = keys.to_vec();
    sorted.sort_unstable();
    let entries: Vec<certblock_compile::snapshot::SnapshotEntry> = sorted
        .iter()
        .map(|k| certblock_compile::snapshot::SnapshotEntry {
            spki_sha256: certblock_list::Sha256Hash(*k),
            action: certblock_list::Action::Block,
            incident: "synthetic".to_string(),
            title: "Synthetic".to_string(),
            distrust_after: None,
        })
        .collect();
    certblock_compile::snapshot::encode(1, &entries)
}

/// The binary of the sorted-form Rust table for `keys`, written by the compiler's encoder.
fn sorted_table_bytes(keys: &[[u8; 32]]) -> Vec<u8> {
    let mut entries: Vec<([u8; 32], u32)> = keys.iter().map(|k| (*k, 0)).collect();
    entries.sort_unstable();
    certblock_compile::sorted_table::encode(1, &entries, 1)
}

fn sizes() -> Vec<usize> {
    if std::env::args().any(|a| a == "--bench") {
        vec![100, 10_000, 1_000_000]
    } else {
        vec![100]
    }
}

fn lookup(c: &mut Criterion) {
    for n in sizes() {
        let keys = random_keys(n, 0xC0FFEE ^ n as u64);
        let phf = phf_map(&keys);
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        let set: HashSet<[u8; 32]> = keys.iter().copied().collect();
        let snapshot_file = snapshot_bytes(&keys);
        // The loader refuses files over SNAPSHOT_MAX_LEN (256 MiB: about 6.5M entries with the v2 layout); then the
        // snapshot would be left out at this N, and say so.
        let snapshot = match certblock::snapshot::Snapshot::from_bytes(&snapshot_file) {
            Ok(s) => Some(s),
            Err(e) => {
                println!("lookup-snapshot/{n}: not measured: the loader refuses the file: {e}");
                None
            }
        };
        let table_bin = sorted_table_bytes(&keys);
        for hits in [true, false] {
            let qs = queries(&keys, BATCH, hits, 42 ^ n as u64);
            let expect = if hits { BATCH } else { 0 };
            let mut group =
                c.benchmark_group(format!("lookup-{}", if hits { "hit" } else { "miss" }));
            group.throughput(Throughput::Elements(BATCH as u64));
            group.bench_with_input(BenchmarkId::new("phf", n), &qs, |b, qs| {
                b.iter(|| {
                    qs.iter()
                        .filter(|q| phf.get(black_box(*q)).is_some())
                        .count()
                })
            });
            group.bench_with_input(BenchmarkId::new("sorted-binary-search", n), &qs, |b, qs| {
                b.iter(|| {
                    qs.iter()
                        .filter(|q| sorted.binary_search(black_box(*q)).is_ok())
                        .count()
                })
            });
            group.bench_with_input(BenchmarkId::new("hashset", n), &qs, |b, qs| {
                b.iter(|| qs.iter().filter(|q| set.contains(black_box(*q))).count())
            });
            if let Some(snapshot) = &snapshot {
                group.bench_with_input(BenchmarkId::new("snapshot", n), &qs, |b, qs| {
                    b.iter(|| {
                        qs.iter()
                            .filter(|q| snapshot.lookup(black_box(*q)).is_some())
                            .count()
                    })
                });
                assert_eq!(
                    qs.iter().filter(|q| snapshot.lookup(q).is_some()).count(),
                    expect
                );
            }
            group.bench_with_input(BenchmarkId::new("sorted-table", n), &qs, |b, qs| {
                b.iter(|| {
                    qs.iter()
                        .filter(|q| {
                            certblock_compile::sorted_table::position(&table_bin, black_box(*q))
                                .is_some()
                        })
                        .count()
                })
            });
            assert_eq!(
                qs.iter()
                    .filter(|q| certblock_compile::sorted_table::position(&table_bin, q).is_some())
                    .count(),
                expect
            );
            group.finish();
            // The contenders agree.
            assert_eq!(qs.iter().filter(|q| phf.get(*q).is_some()).count(), expect);
            assert_eq!(
                qs.iter()
                    .filter(|q| sorted.binary_search(q).is_ok())
                    .count(),
                expect
            );
            assert_eq!(qs.iter().filter(|q| set.contains(*q)).count(), expect);
        }
    }

    // The table compiled into crates/certblock, for comparison with the runtime-built map.
    let real: Vec<[u8; 32]> = certblock::SPKI_BLOCKLIST.keys().copied().collect();
    for hits in [true, false] {
        let qs = queries(&real, BATCH, hits, 7);
        let mut group = c.benchmark_group(format!("lookup-{}", if hits { "hit" } else { "miss" }));
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_with_input(
            BenchmarkId::new("phf-compiled", real.len()),
            &qs,
            |b, qs| {
                b.iter(|| {
                    qs.iter()
                        .filter(|q| certblock::lookup_spki_sha256(black_box(*q)).is_some())
                        .count()
                })
            },
        );
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(700))
        .measurement_time(std::time::Duration::from_secs(2))
        .sample_size(30);
    targets = lookup
}
criterion_main!(benches);
