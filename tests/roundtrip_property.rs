//! Property: for random source trees (random incidents holding random mixes of rcgen
//! certificates, bare keys, bundles and facts records, some keys shared between incidents), what
//! `certblock generate` writes, read back, is the list the sources describe: every key with its
//! action and incidents in `blocklist.json` (read with `Blocklist::read`), in the Rust table
//! (`spki_blocklist.rs`) and in the right arrays of the Chromium `.inc`; nothing more, nothing
//! less. Those three express every entry; the other formats are checked on every run by the
//! compiler's own read-back, against what the manifest says they cannot express.
//!
//! Cases are few (each runs the command), so the test takes seconds.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use certblock_list::{Action, Blocklist};
use proptest::prelude::*;
use rcgen::PublicKeyData as _;
use support::{certblock, incident_json, make, pem, sha256_hex, write};

/// One piece of evidence, as drawn.
#[derive(Clone, Debug)]
enum Item {
    CertPem,
    CertDer,
    KeyPem,
    KeyDer,
    /// A PEM bundle of this many certificates, with text before the first.
    Bundle(usize),
    /// Facts records with these random keys.
    Facts(Vec<[u8; 32]>),
    /// A bare key already used by an earlier incident with the same action (a new key if none).
    Shared(usize),
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        Just(Item::CertPem),
        Just(Item::CertDer),
        Just(Item::KeyPem),
        Just(Item::KeyDer),
        (2usize..4).prop_map(Item::Bundle),
        prop::collection::vec(any::<[u8; 32]>(), 1..4).prop_map(Item::Facts),
        any::<usize>().prop_map(Item::Shared),
    ]
}

const ACTIONS: [(&str, Action); 3] = [
    ("block", Action::Block),
    ("known-interception", Action::KnownInterception),
    ("blocked-interception", Action::BlockedInterception),
];

fn tree() -> impl Strategy<Value = Vec<(usize, Vec<Item>)>> {
    prop::collection::vec((0usize..3, prop::collection::vec(item(), 1..5)), 1..4)
}

/// What a key must be: its action and incidents.
type Expected = BTreeMap<String, (Action, BTreeSet<String>)>;

/// Writes the tree under `root/sources` and returns what the list must hold.
fn write_tree(root: &Path, incidents: &[(usize, Vec<Item>)]) -> Expected {
    let mut expected = Expected::new();
    // Keys usable for sharing: (action, SPKI DER).
    let mut shareable: Vec<(Action, Vec<u8>)> = Vec::new();
    for (n, (action_index, items)) in incidents.iter().enumerate() {
        let (action_name, action) = ACTIONS[*action_index];
        let id = format!("incident-{n}");
        write(
            root.join(format!("sources/{id}/incident.json")),
            incident_json(action_name),
        );
        let mut add_key = |key: String| {
            let entry = expected.entry(key).or_insert((action, BTreeSet::new()));
            assert_eq!(entry.0, action);
            entry.1.insert(id.clone());
        };
        let mut add = |spki: &[u8]| add_key(sha256_hex(spki));
        let mut facts = Vec::new();
        let mut facts_keys = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let file = |ext: &str| root.join(format!("sources/{id}/item-{i}.{ext}"));
            match item {
                Item::CertPem | Item::CertDer => {
                    let made = make(&format!("{id}-{i}.test"));
                    match item {
                        Item::CertPem => write(file("pem"), &made.pem),
                        _ => write(file("der"), &made.der),
                    }
                    add(&made.spki_der());
                    shareable.push((action, made.spki_der()));
                }
                Item::KeyPem | Item::KeyDer => {
                    let key = rcgen::KeyPair::generate().unwrap();
                    match item {
                        Item::KeyPem => write(file("key"), key.public_key_pem()),
                        _ => write(file("der"), key.subject_public_key_info()),
                    }
                    add(&key.subject_public_key_info());
                    shareable.push((action, key.subject_public_key_info()));
                }
                Item::Bundle(count) => {
                    let mut text = String::from("A bundle, as exported.\n");
                    for c in 0..*count {
                        let made = make(&format!("{id}-{i}-{c}.test"));
                        text.push_str(&made.pem);
                        add(&made.spki_der());
                    }
                    write(file("pem"), text);
                }
                Item::Facts(keys) => {
                    for key in keys {
                        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
                        facts.push(format!(
                            "{{\"spki_sha256\": \"{hex}\", \"name\": \"known by facts\"}}"
                        ));
                        facts_keys.push(hex);
                    }
                }
                Item::Shared(pick) => {
                    let candidates: Vec<&Vec<u8>> = shareable
                        .iter()
                        .filter(|(a, _)| *a == action)
                        .map(|(_, spki)| spki)
                        .collect();
                    let spki = match candidates.len() {
                        0 => rcgen::KeyPair::generate()
                            .unwrap()
                            .subject_public_key_info(),
                        n => candidates[pick % n].clone(),
                    };
                    write(file("pub"), pem("PUBLIC KEY", &spki));
                    add(&spki);
                }
            }
        }
        for key in facts_keys {
            add_key(key);
        }
        if !facts.is_empty() {
            write(
                root.join(format!("sources/{id}/facts.json")),
                format!("{{\"records\": [\n{}\n]}}\n", facts.join(",\n")),
            );
        }
    }
    expected
}

/// The (key, action) pairs of the Rust table: each `*b"\x.."` key and the `Action::` on its line.
fn read_rust_table(text: &str) -> BTreeMap<String, Action> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(start) = line.find("*b\"") else {
            continue;
        };
        let rest = &line[start + 3..];
        let end = rest.find('"').unwrap();
        let key: String = rest[..end].split("\\x").filter(|s| !s.is_empty()).collect();
        assert_eq!(key.len(), 64, "{line}");
        let action = if line.contains("Action::BlockedInterception") {
            Action::BlockedInterception
        } else if line.contains("Action::KnownInterception") {
            Action::KnownInterception
        } else {
            assert!(line.contains("Action::Block"), "{line}");
            Action::Block
        };
        assert!(
            out.insert(key, action).is_none(),
            "a key twice in the table"
        );
    }
    out
}

/// The keys of one array of the `.inc`, in order.
fn read_inc_array(text: &str, name: &str) -> Vec<String> {
    let start = text
        .find(&format!("{name}[]"))
        .unwrap_or_else(|| panic!("no {name}"));
    let body = &text[start..];
    let body = &body[..body.find("\n};").unwrap()];
    let bytes: Vec<String> = body
        .lines()
        .skip(1)
        .filter(|l| !l.trim_start().starts_with("//"))
        .flat_map(|l| l.split(|c: char| !c.is_ascii_alphanumeric()))
        .filter_map(|t| t.strip_prefix("0x"))
        .map(str::to_string)
        .collect();
    assert_eq!(bytes.len() % 32, 0);
    bytes.chunks(32).map(|c| c.concat()).collect()
}

fn check_tree(incidents: Vec<(usize, Vec<Item>)>) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let expected = write_tree(root, &incidents);
    let out = certblock(root, &["generate", "--quiet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // blocklist.json, read with the list's own reader.
    let list = Blocklist::read(&root.join("generated/blocklist.json")).unwrap();
    let got: Expected = list
        .entries
        .iter()
        .map(|e| {
            (
                e.spki_sha256.to_hex(),
                (
                    e.action,
                    e.incidents.iter().map(|i| i.as_str().to_string()).collect(),
                ),
            )
        })
        .collect();
    assert_eq!(got, expected, "blocklist.json");

    // spki_blocklist.rs.
    let table = std::fs::read_to_string(root.join("generated/spki_blocklist.rs")).unwrap();
    let want: BTreeMap<String, Action> =
        expected.iter().map(|(k, (a, _))| (k.clone(), *a)).collect();
    assert_eq!(read_rust_table(&table), want, "spki_blocklist.rs");

    // cert_verify_proc_blocklist.inc: sorted arrays, each key where its action puts it.
    let inc =
        std::fs::read_to_string(root.join("generated/cert_verify_proc_blocklist.inc")).unwrap();
    for (array, wanted) in [
        ("kSPKIBlockList", Action::is_blocked as fn(Action) -> bool),
        ("kKnownInterceptionList", Action::is_known_interception),
    ] {
        let keys = read_inc_array(&inc, array);
        let want: Vec<String> = want
            .iter()
            .filter(|(_, a)| wanted(**a))
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(keys, want, "{array}");
    }

    // And the tree is what `check` expects.
    let check = certblock(root, &["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn what_generate_writes_reads_back_as_the_list(incidents in tree()) {
        check_tree(incidents);
    }
}
