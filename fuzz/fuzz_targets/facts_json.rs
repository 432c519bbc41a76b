//! Fuzzes `certblock_ingest::parse_facts` (facts.json): it must never panic, and a refusal
//! names the file.
//!
//! ```sh
//! cargo +nightly fuzz run facts_json
//! ```

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("sources/fuzz/facts.json");
    let id: certblock_list::IncidentId = "fuzz".parse().unwrap();
    match certblock_ingest::parse_facts(path, "fuzz/facts.json", &id, data) {
        Ok(records) => assert!(!records.is_empty()),
        Err(p) => assert!(p.to_string().starts_with("sources/fuzz/facts.json")),
    }
});
