//! Writes the vendorable Rust table (`spki_blocklist.rs`, plus `spki_blocklist.bin` in the
//! sorted form) for the compile-cost benchmark, in the form asked for, whatever the threshold.
//!
//! ```text
//! cargo run --release -p certblock-bench --bin make-table -- --form phf|sorted --out DIR \
//!     (--list blocklist.json | --count N)
//! ```
//! `--list` takes a canonical list (as `certblock generate` writes it); `--count` makes a
//! synthetic one of N random keys over ten incidents (bare keys known by facts), which is how
//! the benchmark reaches 1M entries without running `generate` at 1M.

use std::path::PathBuf;

use certblock_bench::keys::random_keys;
use certblock_compile::{CompileOptions, rust_table_files};
use certblock_list::{
    Action, Blocklist, Category, Entry, Evidence, EvidenceKind, Incident, IncidentId, Sha256Hash,
};

fn synthetic(n: usize) -> Blocklist {
    let actions = [
        Action::Block,
        Action::KnownInterception,
        Action::BlockedInterception,
    ];
    let incidents: Vec<Incident> = (0..10)
        .map(|i| Incident {
            id: format!("synthetic-incident-{i:02}")
                .parse::<IncidentId>()
                .unwrap(),
            title: format!("Synthetic incident {i}"),
            category: Category::Test,
            action: actions[i % 3],
            added: None,
            distrust_after: None,
            references: vec![],
            summary: String::new(),
        })
        .collect();
    let mut keys = random_keys(n, 0x7ab1e);
    keys.sort_unstable();
    let entries = keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            let incident = &incidents[i % incidents.len()];
            Entry {
                spki_sha256: Sha256Hash(key),
                action: incident.action,
                incidents: vec![incident.id.clone()],
                distrust_after: None,
                evidence: vec![Evidence::new(
                    incident.id.clone(),
                    format!("{}/facts.json", incident.id),
                    Some(i as u32 + 1),
                    EvidenceKind::Facts,
                )],
            }
        })
        .collect();
    Blocklist {
        sequence: 1,
        source_digest: Sha256Hash::digest(b"synthetic"),
        incidents,
        entries,
    }
}

fn main() {
    let usage = "usage: make-table --form phf|sorted --out DIR (--list FILE | --count N)";
    let mut form = None;
    let mut out = None;
    let mut list = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().expect(usage);
        match arg.as_str() {
            "--form" => form = Some(value),
            "--out" => out = Some(PathBuf::from(value)),
            "--list" => {
                list =
                    Some(Blocklist::read(std::path::Path::new(&value)).expect("a canonical list"))
            }
            "--count" => list = Some(synthetic(value.parse().expect("N is a number"))),
            _ => panic!("{usage}"),
        }
    }
    let (form, out, list) = (form.expect(usage), out.expect(usage), list.expect(usage));
    let rust_table_phf_max = match form.as_str() {
        "phf" => usize::MAX,
        "sorted" => 0,
        _ => panic!("{usage}"),
    };
    std::fs::create_dir_all(&out).expect("the output folder can be made");
    let _ = std::fs::remove_file(out.join(certblock_compile::RUST_TABLE_BIN_FILE));
    for file in rust_table_files(&list, &CompileOptions { rust_table_phf_max }) {
        std::fs::write(out.join(file.name), &file.bytes).expect("the table can be written");
        println!("{}\t{}", file.name, file.bytes.len());
    }
}
