//! The shipped list is Chromium's and Mozilla's real blocklist: every key of Chromium's facts
//! table with the action its arrays imply, every Mozilla key record, and a `.inc` holding exactly
//! Chromium's two key sets. Reads `../shared/corpus/` and says loudly when it is absent.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use support::root;

use certblock_list::{Action, Blocklist, Sha256Hash};

fn committed_list() -> Blocklist {
    Blocklist::read(&root().join("generated/blocklist.json")).unwrap()
}

/// Chromium's facts table: SPKI SHA-256 → its `chromium_lists` value, and rows as column maps.
fn chromium_facts(corpus: &Path) -> (BTreeMap<Sha256Hash, String>, Vec<BTreeMap<String, String>>) {
    let text = std::fs::read_to_string(corpus.join("chromium/blocklist-facts.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let rows: Vec<BTreeMap<String, String>> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(l.split('\t').map(str::to_string))
                .collect()
        })
        .collect();
    let mut lists = BTreeMap::new();
    for row in &rows {
        let key: Sha256Hash = row["spki_sha256"].parse().unwrap();
        let previous = lists.insert(key, row["chromium_lists"].clone());
        assert!(
            previous.is_none_or(|p| p == row["chromium_lists"]),
            "table disagrees with itself on {key}"
        );
    }
    (lists, rows)
}

fn chromium_action(lists: &str) -> Action {
    match lists {
        "blocked" => Action::Block,
        "known_interception" => Action::KnownInterception,
        "blocked+known_interception" => Action::BlockedInterception,
        other => panic!("unknown chromium_lists value {other:?}"),
    }
}

#[test]
fn every_chromium_key_is_listed_with_the_action_its_arrays_imply() {
    let Some(corpus) = support::corpus("this real-list test is") else {
        return;
    };
    let (lists, rows) = chromium_facts(&corpus);
    assert_eq!((rows.len(), lists.len()), (105, 97));
    let list = committed_list();
    for (key, lists) in &lists {
        let entry = list
            .entry(key)
            .unwrap_or_else(|| panic!("Chromium key {key} missing"));
        assert_eq!(entry.action, chromium_action(lists), "SPKI SHA-256 {key}");
    }
    // Every evidence file of the table is kept as evidence, under its upstream name.
    for row in &rows {
        let key: Sha256Hash = row["spki_sha256"].parse().unwrap();
        let names: Vec<String> = list
            .entry(&key)
            .unwrap()
            .evidence
            .iter()
            .filter_map(|e| e.name.clone())
            .collect();
        assert!(
            names.contains(&row["evidence_file"]),
            "{} lost",
            row["evidence_file"]
        );
    }
}

#[test]
fn every_mozilla_key_record_is_listed_and_shared_keys_are_one_entry() {
    let Some(corpus) = support::corpus("this real-list test is") else {
        return;
    };
    let onecrl: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("mozilla/onecrl.json")).unwrap())
            .unwrap();
    let list = committed_list();
    let (chromium, _) = chromium_facts(&corpus);
    let mut mozilla_keys = BTreeSet::new();
    for record in onecrl["data"].as_array().unwrap() {
        let Some(hash) = record["pubKeyHash"].as_str() else {
            continue;
        };
        let bytes = certblock_list::Base64Bytes::from_base64(hash).unwrap().0;
        let key = Sha256Hash(bytes.try_into().unwrap());
        mozilla_keys.insert(key);
        let entry = list
            .entry(&key)
            .unwrap_or_else(|| panic!("Mozilla key {key} missing"));
        assert!(entry.action.is_blocked());
        let id = record["id"].as_str().unwrap();
        assert!(
            entry
                .evidence
                .iter()
                .any(|e| e.name.as_deref().is_some_and(|n| n.contains(id))),
            "OneCRL record {id} is not kept as evidence"
        );
        if chromium.contains_key(&key) {
            // A key both browsers block is one entry with both incidents' evidence.
            assert!(entry.incidents.len() >= 2, "{key}: {:?}", entry.incidents);
        }
    }
    assert_eq!(mozilla_keys.len(), 9);
    let shared = mozilla_keys
        .iter()
        .filter(|k| chromium.contains_key(k))
        .count();
    let union = chromium.len() + mozilla_keys.len() - shared;
    assert_eq!(
        list.entries.len(),
        union,
        "the list holds exactly the union of both browsers' keys"
    );
    let counts = list.counts();
    let chromium_count = |a: &str| chromium.values().filter(|v| *v == a).count();
    assert_eq!(
        counts.known_interception,
        chromium_count("known_interception")
    );
    assert_eq!(
        counts.blocked_interception,
        chromium_count("blocked+known_interception")
    );
    assert_eq!(
        counts.block,
        chromium_count("blocked") + mozilla_keys.len() - shared
    );
    assert_eq!(
        (
            counts.block,
            counts.known_interception,
            counts.blocked_interception
        ),
        (93, 2, 9)
    );
}

#[test]
fn the_inc_holds_exactly_chromiums_two_key_sets() {
    let Some(corpus) = support::corpus("this real-list test is") else {
        return;
    };
    let (chromium, _) = chromium_facts(&corpus);
    let text =
        std::fs::read_to_string(root().join("generated/cert_verify_proc_blocklist.inc")).unwrap();
    let (blocked, intercepting) = certblock_compile::readback::read_chromium_inc(&text).unwrap();
    let list = committed_list();
    let mozilla_only: BTreeSet<[u8; 32]> = list
        .entries
        .iter()
        .filter(|e| !chromium.contains_key(&e.spki_sha256))
        .map(|e| e.spki_sha256.0)
        .collect();
    let set = |keys: Vec<[u8; 32]>| {
        keys.into_iter()
            .filter(|k| !mozilla_only.contains(k))
            .collect::<BTreeSet<_>>()
    };
    let want = |pred: fn(&str) -> bool| -> BTreeSet<[u8; 32]> {
        chromium
            .iter()
            .filter(|(_, l)| pred(l))
            .map(|(k, _)| k.0)
            .collect()
    };
    assert_eq!(set(blocked.clone()), want(|l| l.starts_with("blocked")));
    assert_eq!(
        set(intercepting.clone()),
        want(|l| l.contains("known_interception"))
    );
    let mut sorted = blocked.clone();
    sorted.sort();
    assert_eq!(blocked, sorted, "kSPKIBlockList is sorted ascending");
}

#[test]
fn the_chromium_sources_are_what_the_conversion_script_writes() {
    let Some(corpus) = support::corpus("this real-list test is") else {
        return;
    };
    let status = std::process::Command::new("python3")
        .current_dir(root())
        .arg("scripts/chromium-facts-to-sources.py")
        .arg(corpus.join("chromium/blocklist-facts.tsv"))
        .arg("--check")
        .status()
        .expect("python3 runs");
    assert!(
        status.success(),
        "sources/ differ from scripts/chromium-facts-to-sources.py output"
    );
}
