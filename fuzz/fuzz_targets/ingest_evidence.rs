//! Fuzzes `certblock_ingest::read_evidence_file`, the parser of every certificate and key in
//! `sources/`: it must never panic, and what it takes must agree with its own bytes.
//!
//! The first byte picks the file name (its extension decides PEM, DER or sniffing; a 64-hex name
//! is checked against the contents); the rest is the file. Seed the corpus with certificates and
//! keys, PEM and DER:
//!
//! ```sh
//! mkdir -p fuzz/corpus/ingest_evidence && cargo +nightly fuzz run ingest_evidence
//! ```
//!
//! `crates/certblock-ingest/tests/never_panics.rs` runs a bounded, deterministic version of this
//! in `make test` (no nightly needed); each crash found becomes a regression test there.

#![no_main]

use std::path::Path;

use certblock_list::Sha256Hash;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 9] = [
    "x.pem",
    "x.der",
    "x.crt",
    "x.cer",
    "x.key",
    "x.pub",
    "noextension",
    "3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1.pem",
    "3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1.der",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let path = Path::new("sources/fuzz").join(NAMES[usize::from(pick) % NAMES.len()]);
    match certblock_ingest::read_evidence_file(&path, bytes) {
        Ok(items) => {
            assert!(!items.is_empty());
            for item in &items {
                assert_eq!(item.spki_sha256, Sha256Hash::digest(&item.spki_der));
                if let Some(der) = &item.certificate_der {
                    assert_eq!(item.cert_sha256, Some(Sha256Hash::digest(der)));
                }
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for p in &problems {
                assert!(p.to_string().starts_with("sources/fuzz/"));
            }
        }
    }
});
