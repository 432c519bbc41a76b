//! Fuzzes `certblock::Snapshot::from_bytes`: it must never panic, whatever the input, and a
//! snapshot it accepts must answer every lookup without panicking.
//!
//! Each input is tried twice: as given (which exercises the header, size and digest checks), and
//! with the header's digest replaced by the SHA-256 of its payload, so that mutated payloads get
//! past the digest check and reach the structural checks. Seed the corpus with
//! `generated/blocklist.bin`:
//!
//! ```sh
//! mkdir -p fuzz/corpus/snapshot_loader && cp generated/blocklist.bin fuzz/corpus/snapshot_loader/
//! cargo +nightly fuzz run snapshot_loader
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;
use sha2::Digest as _;

fn exercise(bytes: &[u8]) {
    if let Ok(snapshot) = certblock::Snapshot::from_bytes(bytes) {
        for (key, listing) in snapshot.iter() {
            assert_eq!(snapshot.lookup(key), Some(listing));
        }
        let _ = snapshot.lookup(&[0; 32]);
        let _ = snapshot.lookup(&[0xff; 32]);
        let list = certblock::Blocklist::with_snapshot(snapshot);
        let _ = list.lookup_spki_sha256(&[0x55; 32]);
    }
}

fuzz_target!(|data: &[u8]| {
    exercise(data);
    if data.len() >= certblock::SNAPSHOT_HEADER_LEN {
        let mut sealed = data.to_vec();
        let digest = sha2::Sha256::digest(&sealed[certblock::SNAPSHOT_HEADER_LEN..]);
        sealed[32..64].copy_from_slice(&digest);
        exercise(&sealed);
    }
});
