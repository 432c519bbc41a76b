//! Property tests: for random valid lists, each format's file reads back to exactly what
//! `expected` says, `verify` accepts it, and every entry is either expressed or reported.

mod common;

use std::collections::BTreeSet;

use certblock_formats::{Unexpressed, certdata, crlset, onecrl};
use certblock_list::{Action, Blocklist, Sha256Hash};
use proptest::prelude::*;

/// Expressed and unexpressed entries are disjoint and together are the whole list.
fn partition(list: &Blocklist, expressed: &BTreeSet<Sha256Hash>, unexpressed: &[Unexpressed]) {
    let all: BTreeSet<Sha256Hash> = list.entries.iter().map(|e| e.spki_sha256).collect();
    let missing: BTreeSet<Sha256Hash> = unexpressed.iter().map(|u| u.spki_sha256).collect();
    assert_eq!(
        missing.len(),
        unexpressed.len(),
        "an entry is reported twice"
    );
    assert!(
        expressed.is_disjoint(&missing),
        "an entry is both expressed and unexpressed"
    );
    let union: BTreeSet<Sha256Hash> = expressed.union(&missing).copied().collect();
    assert_eq!(
        union, all,
        "expressed and unexpressed entries are not the whole list"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn crlset_round_trips(list in common::any_list()) {
        let rendered = crlset::render(&list);
        let parsed = crlset::read(&rendered.bytes).unwrap();
        let want = crlset::expected(&list);
        prop_assert_eq!(crlset::contents(&parsed), want.contents.clone());
        prop_assert_eq!(&rendered.unexpressed, &want.unexpressed);
        prop_assert!(rendered.unexpressed.is_empty());
        partition(&list, &want.expressed, &rendered.unexpressed);
        // Independently of `expected`: each key is in exactly the arrays its action says.
        for entry in &list.entries {
            let k = &entry.spki_sha256;
            let h = &parsed.header;
            let places = (h.blocked_spkis.contains(k), h.known_interception_spkis.contains(k), h.blocked_interception_spkis.contains(k));
            let want = match entry.action {
                Action::Block => (true, false, false),
                Action::KnownInterception => (false, true, false),
                Action::BlockedInterception => (false, false, true),
            };
            prop_assert_eq!(places, want);
        }
        prop_assert_eq!(crlset::verify(&list, &rendered.bytes), Ok(()));
        prop_assert_eq!(crlset::render(&list), rendered);
    }

    #[test]
    fn certdata_round_trips(list in common::any_list()) {
        let rendered = certdata::render(&list);
        let parsed = certdata::read(&rendered.bytes).unwrap();
        let want = certdata::expected(&list);
        prop_assert_eq!(certdata::contents(&parsed), want.contents.clone());
        prop_assert_eq!(&rendered.unexpressed, &want.unexpressed);
        partition(&list, &want.expressed, &rendered.unexpressed);
        // Every expressed entry has at least one distrust in the file, read back.
        for key in &want.expressed {
            let entry = list.entry(key).unwrap();
            let pairs: BTreeSet<(Vec<u8>, Vec<u8>)> = entry
                .evidence
                .iter()
                .filter_map(|e| Some((e.issuer_der.clone()?.0, e.serial.clone()?.0)))
                .collect();
            let found = parsed.trust.iter().any(|t| {
                t.is_distrust()
                    && pairs.iter().any(|(i, s)| *i == t.issuer && certblock_formats_test_der(s) == t.serial_number)
            });
            prop_assert!(found, "entry {} has no trust object", key);
        }
        prop_assert_eq!(certdata::verify(&list, &rendered.bytes), Ok(()));
        prop_assert_eq!(certdata::render(&list), rendered);
    }

    #[test]
    fn onecrl_round_trips(list in common::any_list()) {
        let rendered = onecrl::render(&list);
        let parsed = onecrl::read(&rendered.bytes).unwrap();
        let want = onecrl::expected(&list);
        prop_assert_eq!(onecrl::contents(&parsed), want.contents.clone());
        prop_assert_eq!(&rendered.unexpressed, &want.unexpressed);
        partition(&list, &want.expressed, &rendered.unexpressed);
        // Every expressed entry is revoked by its key or by one of its issuer+serial pairs.
        for key in &want.expressed {
            let entry = list.entry(key).unwrap();
            let found = parsed.records.iter().any(|r| match &r.target {
                onecrl::Target::SubjectKey { pub_key_hash, .. } => pub_key_hash == key,
                onecrl::Target::IssuerSerial { issuer_name, serial_number } => entry.evidence.iter().any(|e| {
                    e.issuer_der.as_ref().map(|b| &b.0) == Some(issuer_name)
                        && e.serial.as_ref().map(|b| &b.0) == Some(serial_number)
                }),
            });
            prop_assert!(found, "entry {} has no record", key);
            // Each distinct subject of the entry is revoked with the entry's key.
            for subject in entry.evidence.iter().filter_map(|e| e.subject_der.as_ref()) {
                let target = onecrl::Target::SubjectKey { subject: subject.0.clone(), pub_key_hash: *key };
                prop_assert!(parsed.records.iter().any(|r| r.target == target && r.enabled == Some(true)));
            }
        }
        prop_assert_eq!(onecrl::verify(&list, &rendered.bytes), Ok(()));
        prop_assert_eq!(onecrl::render(&list), rendered);
    }
}

/// A DER INTEGER around content bytes, written independently of the crate's encoder.
fn certblock_formats_test_der(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x02];
    let n = content.len();
    if n < 128 {
        out.push(n as u8);
    } else if n < 256 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(content);
    out
}
