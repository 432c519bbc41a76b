//! Fuzzes `certblock_ingest::parse_incident` (incident.json): it must never panic, and a refusal
//! names the file.
//!
//! ```sh
//! cargo +nightly fuzz run incident_json
//! ```

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("sources/fuzz/incident.json");
    let id = "fuzz".parse().unwrap();
    if let Err(p) = certblock_ingest::parse_incident(path, id, data) {
        assert!(p.to_string().starts_with("sources/fuzz/incident.json"));
    }
});
