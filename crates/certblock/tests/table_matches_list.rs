//! The built-in table answers exactly for the keys of `generated/blocklist.json`.

use certblock::{lookup_spki_sha256, Action, SPKI_BLOCKLIST_LEN, SPKI_BLOCKLIST_SEQUENCE};
use certblock_list::Blocklist;

fn committed_list() -> Blocklist {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../generated/blocklist.json");
    Blocklist::read(std::path::Path::new(path)).expect("generated/blocklist.json reads")
}

#[test]
fn every_key_is_found_with_its_action_and_no_flipped_key_is() {
    let list = committed_list();
    assert!(!list.entries.is_empty());
    assert_eq!(SPKI_BLOCKLIST_LEN, list.entries.len());
    assert_eq!(SPKI_BLOCKLIST_SEQUENCE, list.sequence);
    for entry in &list.entries {
        let key = entry.spki_sha256.0;
        let found = lookup_spki_sha256(&key).unwrap_or_else(|| panic!("{} missing", entry.spki_sha256));
        let expected = match entry.action {
            certblock_list::Action::Block => Action::Block,
            certblock_list::Action::KnownInterception => Action::KnownInterception,
            certblock_list::Action::BlockedInterception => Action::BlockedInterception,
        };
        assert_eq!(found.action, expected, "{}", entry.spki_sha256);
        assert_eq!(found.incident, entry.primary_incident().as_str());
        assert_eq!(found.title, list.incident(entry.primary_incident()).unwrap().title);
        for bit in 0..256 {
            let mut flipped = key;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(lookup_spki_sha256(&flipped).is_none(), "{} with bit {bit} flipped", entry.spki_sha256);
        }
    }
}
