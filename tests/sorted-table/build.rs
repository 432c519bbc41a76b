//! Compiles one list of a few hundred keys into both forms of the Rust table, the sorted form by
//! lowering the threshold (`CompileOptions::rust_table_phf_max`), and writes the list itself for
//! the tests to compare with.

use std::path::PathBuf;

use certblock_compile::{CompileOptions, rust_table_files};
use certblock_list::{
    Action, Blocklist, Category, Entry, Evidence, EvidenceKind, Incident, IncidentId, Sha256Hash,
    Timestamp,
};

/// 400 hashed keys and some shaped ones (the smallest and largest keys, keys sharing their top
/// 24 bits, which the index puts in one bucket) over four incidents, one dated, one with a title
/// that needs escapes.
fn list() -> Blocklist {
    let dated: Timestamp = "2019-09-01T00:00:00Z".parse().unwrap();
    let specs = [
        (
            "alpha",
            Action::Block,
            None,
            "Alpha \"quoted\" \\ back\\slash \u{e9}",
        ),
        ("beta", Action::KnownInterception, None, "Beta\ttab"),
        ("gamma", Action::BlockedInterception, None, "Gamma"),
        ("delta", Action::Block, Some(dated), "Delta, dated"),
    ];
    let mut incidents: Vec<Incident> = specs
        .iter()
        .map(|(id, action, after, title)| Incident {
            id: id.parse::<IncidentId>().unwrap(),
            title: title.to_string(),
            category: Category::Test,
            action: *action,
            added: None,
            distrust_after: *after,
            references: vec![],
            summary: String::new(),
        })
        .collect();
    incidents.sort_by(|a, b| a.id.cmp(&b.id));
    let mut keys: Vec<[u8; 32]> = (0..400)
        .map(|i| Sha256Hash::digest(format!("sorted-table key {i}").as_bytes()).0)
        .collect();
    keys.push([0; 32]);
    keys.push([0xff; 32]);
    for last in 0..5u8 {
        let mut k = [0x5a; 32];
        k[31] = last;
        keys.push(k);
    }
    keys.sort();
    keys.dedup();
    let entries = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let incident = &incidents[i % incidents.len()];
            Entry {
                spki_sha256: Sha256Hash(*key),
                action: incident.action,
                incidents: vec![incident.id.clone()],
                distrust_after: incident.distrust_after,
                evidence: vec![Evidence::new(
                    incident.id.clone(),
                    format!("{}/facts.json", incident.id),
                    Some(i as u32 + 1),
                    EvidenceKind::Facts,
                )],
            }
        })
        .collect();
    let list = Blocklist {
        sequence: 9,
        source_digest: Sha256Hash::digest(b"sorted-table"),
        incidents,
        entries,
    };
    list.validate().expect("the sample list is valid");
    list
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let list = list();
    std::fs::write(out.join("list.json"), list.to_json()).unwrap();
    for (dir, phf_max) in [("sorted", 100), ("phf", usize::MAX)] {
        let dir = out.join(dir);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for file in rust_table_files(
            &list,
            &CompileOptions {
                rust_table_phf_max: phf_max,
            },
        ) {
            std::fs::write(dir.join(file.name), &file.bytes).unwrap();
        }
    }
}
