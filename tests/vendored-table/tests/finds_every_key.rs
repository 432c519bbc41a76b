//! The vendored copy finds every key of `generated/blocklist.json` and no key with a flipped bit.

use certblock_list::Blocklist;
use vendored_table::{Action, SPKI_BLOCKLIST};

#[test]
fn vendored_copy_finds_every_key_and_none_with_a_flipped_bit() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../generated/blocklist.json"
    );
    let list = Blocklist::read(std::path::Path::new(path)).unwrap();
    assert_eq!(SPKI_BLOCKLIST.len(), list.entries.len());
    for entry in &list.entries {
        let found = SPKI_BLOCKLIST
            .get(&entry.spki_sha256.0)
            .expect("listed key found");
        let blocked = matches!(found.action, Action::Block | Action::BlockedInterception);
        assert_eq!(blocked, entry.action.is_blocked());
        assert_eq!(found.incident, entry.primary_incident().as_str());
        for bit in 0..256 {
            let mut key = entry.spki_sha256.0;
            key[bit / 8] ^= 1 << (bit % 8);
            assert!(SPKI_BLOCKLIST.get(&key).is_none());
        }
    }
}
