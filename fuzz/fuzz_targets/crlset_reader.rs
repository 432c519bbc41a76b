//! Fuzzes `certblock_formats::crlset::read`, the CRLSet reader: it must never panic, whatever
//! the input, and what it reads must list and dump without panicking. Seed the corpus with
//! `generated/crl-set`:
//!
//! ```sh
//! mkdir -p fuzz/corpus/crlset_reader && cp generated/crl-set fuzz/corpus/crlset_reader/
//! cargo +nightly fuzz run crlset_reader
//! ```

#![no_main]

use certblock_formats::crlset;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = crlset::read(data) {
        let _ = crlset::contents(&parsed);
        let _ = crlset::dump(&parsed);
    }
});
