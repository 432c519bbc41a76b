//! The sorted form finds every key of its list with the right entry and no key with a flipped
//! bit, and answers exactly as the phf form does, through the same API.

use certblock_list::Blocklist;

fn list() -> Blocklist {
    Blocklist::from_json(&std::fs::read_to_string(concat!(env!("OUT_DIR"), "/list.json")).unwrap())
        .unwrap()
}

/// One test body for both forms: they are different types with the same methods.
macro_rules! check_form {
    ($form:ident, $list:expr) => {{
        use sorted_table::$form::{
            Action, BlockedSpki, SPKI_BLOCKLIST, SPKI_BLOCKLIST_LEN, SPKI_BLOCKLIST_SEQUENCE,
        };
        let list: &Blocklist = $list;
        assert_eq!(SPKI_BLOCKLIST.len(), list.entries.len());
        assert_eq!(SPKI_BLOCKLIST_LEN, list.entries.len());
        assert_eq!(SPKI_BLOCKLIST_SEQUENCE, list.sequence);
        assert!(!SPKI_BLOCKLIST.is_empty());
        assert_eq!(SPKI_BLOCKLIST.entries().count(), list.entries.len());
        assert_eq!(SPKI_BLOCKLIST.keys().count(), list.entries.len());
        let mut answers = Vec::new();
        for entry in &list.entries {
            let key = entry.spki_sha256.0;
            let found: &'static BlockedSpki = SPKI_BLOCKLIST.get(&key).expect("listed key found");
            let incident = list.incident(entry.primary_incident()).unwrap();
            let action = match found.action {
                Action::Block => certblock_list::Action::Block,
                Action::KnownInterception => certblock_list::Action::KnownInterception,
                Action::BlockedInterception => certblock_list::Action::BlockedInterception,
            };
            assert_eq!(action, entry.action);
            assert_eq!(found.incident, incident.id.as_str());
            assert_eq!(found.title, incident.title);
            assert_eq!(
                found.distrust_after,
                entry.distrust_after.map(|t| t.to_unix_seconds() as u64)
            );
            assert!(SPKI_BLOCKLIST.contains_key(&key));
            assert_eq!(SPKI_BLOCKLIST.get_entry(&key).map(|(k, _)| *k), Some(key));
            for bit in 0..256 {
                let mut flipped = key;
                flipped[bit / 8] ^= 1 << (bit % 8);
                if list
                    .entries
                    .binary_search_by(|e| e.spki_sha256.0.cmp(&flipped))
                    .is_err()
                {
                    assert!(
                        SPKI_BLOCKLIST.get(&flipped).is_none(),
                        "{} bit {bit}",
                        entry.spki_sha256
                    );
                }
            }
            answers.push((
                key,
                found.incident,
                found.title,
                found.distrust_after,
                format!("{:?}", found.action),
            ));
        }
        for (key, value) in SPKI_BLOCKLIST.entries() {
            assert_eq!(SPKI_BLOCKLIST.get(key), Some(value));
        }
        answers
    }};
}

#[test]
fn the_sorted_form_finds_every_key_and_nothing_else_like_the_phf_form() {
    let list = list();
    assert!(list.entries.len() > 400);
    let sorted = check_form!(sorted, &list);
    let phf = check_form!(phf_form, &list);
    assert_eq!(sorted, phf);
    // The sorted form lists in ascending key order.
    let keys: Vec<[u8; 32]> = sorted_table::sorted::SPKI_BLOCKLIST
        .keys()
        .copied()
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(keys.len(), list.entries.len());
    // Keys the table does not hold, around the shaped ones.
    for key in [[0x5a; 32], [0x01; 32], [0xfe; 32]] {
        assert!(sorted_table::sorted::SPKI_BLOCKLIST.get(&key).is_none() || keys.contains(&key));
    }
}

#[test]
fn the_generated_files_read_back_and_the_sorted_form_is_the_one_above_the_threshold() {
    let out = concat!(env!("OUT_DIR"));
    let text = std::fs::read_to_string(format!("{out}/sorted/spki_blocklist.rs")).unwrap();
    let bin = std::fs::read(format!("{out}/sorted/spki_blocklist.bin")).unwrap();
    assert!(certblock_compile::sorted_table::is_sorted_form(&text));
    assert!(!text.contains("::phf"), "the sorted form needs no phf");
    let read = certblock_compile::sorted_table::read(&text, &bin).unwrap();
    let list = list();
    assert_eq!(read.len(), list.entries.len());
    assert!(std::fs::metadata(format!("{out}/phf/spki_blocklist.bin")).is_err());
    // The whole compile, with the threshold lowered, reads both files back clean.
    let files = certblock_compile::compile_with(
        &list,
        &certblock_compile::CompileOptions {
            rust_table_phf_max: 100,
        },
    )
    .unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    assert!(names.contains(&certblock_compile::RUST_TABLE_BIN_FILE));
    let manifest = String::from_utf8(files.last().unwrap().bytes.clone()).unwrap();
    assert!(
        manifest.contains("spki_blocklist.bin"),
        "the manifest lists the binary"
    );
}
