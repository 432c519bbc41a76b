//! Fuzzes `certblock_formats::certdata::read`, the NSS certdata.txt reader: it must never panic, whatever
//! the input, and what it reads must list and dump without panicking. Seed the corpus with
//! `generated/certdata.txt`:
//!
//! ```sh
//! mkdir -p fuzz/corpus/certdata_reader && cp generated/certdata.txt fuzz/corpus/certdata_reader/
//! cargo +nightly fuzz run certdata_reader
//! ```

#![no_main]

use certblock_formats::certdata;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = certdata::read(data) {
        let _ = certdata::contents(&parsed);
        let _ = certdata::dump(&parsed);
    }
});
