//! The built-in table and the committed snapshot answer exactly for the keys of
//! `generated/blocklist.json`.

use certblock::{Action, SPKI_BLOCKLIST_LEN, SPKI_BLOCKLIST_SEQUENCE, lookup_spki_sha256};
use certblock_list::Blocklist;

fn committed_list() -> Blocklist {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../generated/blocklist.json"
    );
    Blocklist::read(std::path::Path::new(path)).expect("generated/blocklist.json reads")
}

fn action(action: certblock_list::Action) -> Action {
    match action {
        certblock_list::Action::Block => Action::Block,
        certblock_list::Action::KnownInterception => Action::KnownInterception,
        certblock_list::Action::BlockedInterception => Action::BlockedInterception,
    }
}

fn distrust_after(entry: &certblock_list::Entry) -> Option<u64> {
    entry
        .distrust_after
        .map(|t| u64::try_from(t.to_unix_seconds()).unwrap())
}

#[test]
fn every_key_is_found_with_its_action_and_no_flipped_key_is() {
    let list = committed_list();
    assert!(!list.entries.is_empty());
    assert_eq!(SPKI_BLOCKLIST_LEN, list.entries.len());
    assert_eq!(SPKI_BLOCKLIST_SEQUENCE, list.sequence);
    for entry in &list.entries {
        let key = entry.spki_sha256.0;
        let found =
            lookup_spki_sha256(&key).unwrap_or_else(|| panic!("{} missing", entry.spki_sha256));
        assert_eq!(found.action, action(entry.action), "{}", entry.spki_sha256);
        assert_eq!(found.incident, entry.primary_incident().as_str());
        assert_eq!(
            found.title,
            list.incident(entry.primary_incident()).unwrap().title
        );
        assert_eq!(found.distrust_after, distrust_after(entry));
        for bit in 0..256 {
            let mut flipped = key;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(
                lookup_spki_sha256(&flipped).is_none(),
                "{} with bit {bit} flipped",
                entry.spki_sha256
            );
        }
    }
}

#[cfg(feature = "sha2")]
#[test]
fn every_key_is_found_in_the_committed_snapshot_and_no_flipped_key_is() {
    use certblock::{Blocklist as Lists, Origin, Snapshot};

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../generated/blocklist.bin");
    let bytes = std::fs::read(path).expect("generated/blocklist.bin reads");
    let snapshot = Snapshot::from_bytes(&bytes).expect("the committed snapshot loads");
    let list = committed_list();
    assert_eq!(snapshot.len(), list.entries.len());
    assert_eq!(snapshot.sequence(), list.sequence);
    let listed: Vec<[u8; 32]> = snapshot.iter().map(|(k, _)| *k).collect();
    let want: Vec<[u8; 32]> = list.entries.iter().map(|e| e.spki_sha256.0).collect();
    assert_eq!(listed, want, "iter gives every key in ascending order");
    let merged = Lists::with_snapshot(snapshot);
    for entry in &list.entries {
        let key = entry.spki_sha256.0;
        let found = snapshot
            .lookup(&key)
            .unwrap_or_else(|| panic!("{} missing", entry.spki_sha256));
        assert_eq!(found.action, action(entry.action), "{}", entry.spki_sha256);
        assert_eq!(found.incident, entry.primary_incident().as_str());
        assert_eq!(
            found.title,
            list.incident(entry.primary_incident()).unwrap().title
        );
        assert_eq!(found.distrust_after, distrust_after(entry));
        assert_eq!(found.origin, Origin::Loaded);
        // Merged with the built-in table, the built-in entry answers.
        assert_eq!(
            merged.lookup_spki_sha256(&key).unwrap().origin,
            Origin::BuiltIn
        );
        for bit in 0..256 {
            let mut flipped = key;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(
                snapshot.lookup(&flipped).is_none(),
                "{} with bit {bit} flipped",
                entry.spki_sha256
            );
            assert!(merged.lookup_spki_sha256(&flipped).is_none());
        }
    }
}

/// The runtime crate and the compiler agree on the constants of the format.
#[cfg(feature = "sha2")]
#[test]
fn runtime_and_compiler_agree_on_the_format_constants() {
    use certblock_compile::snapshot;
    assert_eq!(certblock::SNAPSHOT_MAGIC, snapshot::MAGIC);
    assert_eq!(certblock::SNAPSHOT_VERSION, snapshot::VERSION);
    assert_eq!(certblock::SNAPSHOT_HEADER_LEN, snapshot::HEADER_LEN);
    assert_eq!(certblock::SNAPSHOT_MAX_LEN, snapshot::MAX_LEN);
    assert_eq!(certblock_compile::SNAPSHOT_FILE, "blocklist.bin");
}
