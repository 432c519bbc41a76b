//! Fuzzes `certblock_formats::onecrl::read`, the Mozilla OneCRL reader: it must never panic, whatever
//! the input, and what it reads must list and dump without panicking. Seed the corpus with
//! `generated/onecrl.json`:
//!
//! ```sh
//! mkdir -p fuzz/corpus/onecrl_reader && cp generated/onecrl.json fuzz/corpus/onecrl_reader/
//! cargo +nightly fuzz run onecrl_reader
//! ```

#![no_main]

use certblock_formats::onecrl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = onecrl::read(data) {
        let _ = onecrl::contents(&parsed);
        let _ = onecrl::dump(&parsed);
    }
});
