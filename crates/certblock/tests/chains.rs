//! Chain checks over rcgen chains, with run-time lists compiled by the real compiler.

#![cfg(feature = "sha2")]

mod common;

use certblock::{Blocklist, ChainError, DerError, Origin, Snapshot, Verdict};
use certblock_list::Action;
use common::*;

fn lists(bytes: &[u8]) -> Blocklist<'_> {
    Blocklist::with_snapshot(Snapshot::from_bytes(bytes).expect("the compiler's snapshot loads"))
}

#[test]
fn a_leaf_under_a_root_in_the_run_time_list_is_blocked_naming_the_incident_and_the_root() {
    let root = root("Evil Root");
    let inter = intermediate_with_key(
        "Evil Intermediate",
        rcgen::KeyPair::generate().unwrap(),
        &root,
    );
    let leaf = leaf("victim.example", &inter);
    let bytes = snapshot_of(&[Listed {
        key: spki_sha256(&root.der),
        action: Action::Block,
        incident: "evil-root",
        distrust_after: None,
    }]);
    let list = lists(&bytes);
    let chain = [leaf.clone(), inter.der.clone(), root.der.clone()];
    match list.check_chain(&chain).unwrap() {
        Verdict::Blocked(hit) => {
            assert_eq!(hit.index, 2);
            assert_eq!(hit.spki_sha256, spki_sha256(&root.der));
            assert_eq!(hit.listing.incident, "evil-root");
            assert_eq!(hit.listing.title, "Test incident evil-root");
            assert_eq!(hit.listing.action, certblock::Action::Block);
            assert_eq!(hit.listing.origin, Origin::Loaded);
        }
        other => panic!("expected Blocked, got {other:?}"),
    }
    // The built-in table alone does not know this root.
    assert_eq!(certblock::check_chain(&chain).unwrap(), Verdict::Clean);
    // Lookups by certificate and by key find it too.
    let by_cert = list.lookup_certificate(&root.der).unwrap().unwrap();
    assert_eq!(by_cert.incident, "evil-root");
    let spki = certblock::CertificateInfo::from_der(&root.der)
        .unwrap()
        .spki;
    assert_eq!(list.lookup_spki_der(spki).unwrap(), Some(by_cert));
    assert_eq!(list.lookup_certificate(&leaf).unwrap(), None);
}

#[test]
fn a_clean_chain_passes() {
    let root = root("Good Root");
    let leaf = leaf("fine.example", &root);
    let other = common::root("Someone Else");
    let bytes = snapshot_of(&[Listed {
        key: spki_sha256(&other.der),
        action: Action::BlockedInterception,
        incident: "someone-else",
        distrust_after: None,
    }]);
    let list = lists(&bytes);
    let verdict = list
        .check_chain(&[leaf.as_slice(), root.der.as_slice()])
        .unwrap();
    assert_eq!(verdict, Verdict::Clean);
    assert!(!verdict.is_blocked() && !verdict.is_known_interception());
}

#[test]
fn a_cross_signed_intermediate_with_a_blocked_key_is_caught_whichever_issuer_signed_it() {
    let root_a = root("Root A");
    let root_b = root("Root B");
    let key = rcgen::KeyPair::generate().unwrap();
    let via_a = intermediate_with_key("Shared Intermediate", same_key(&key), &root_a);
    let via_b = intermediate_with_key("Shared Intermediate", key, &root_b);
    assert_ne!(via_a.der, via_b.der, "two different certificates");
    assert_eq!(spki_sha256(&via_a.der), spki_sha256(&via_b.der), "one key");
    let leaf = leaf("cross.example", &via_a);
    let bytes = snapshot_of(&[Listed {
        key: spki_sha256(&via_a.der),
        action: Action::Block,
        incident: "shared-intermediate",
        distrust_after: None,
    }]);
    let list = lists(&bytes);
    for (inter, root) in [(&via_a, &root_a), (&via_b, &root_b)] {
        match list
            .check_chain(&[&leaf[..], &inter.der[..], &root.der[..]])
            .unwrap()
        {
            Verdict::Blocked(hit) => {
                assert_eq!(hit.index, 1);
                assert_eq!(hit.listing.incident, "shared-intermediate");
            }
            other => panic!("expected Blocked, got {other:?}"),
        }
    }
}

#[test]
fn known_interception_alone_is_reported_and_not_blocked() {
    let root = root("Corporate Proxy Root");
    let leaf = leaf("bank.example", &root);
    let bytes = snapshot_of(&[Listed {
        key: spki_sha256(&root.der),
        action: Action::KnownInterception,
        incident: "corporate-proxy",
        distrust_after: None,
    }]);
    let list = lists(&bytes);
    let verdict = list.check_chain(&[&leaf[..], &root.der[..]]).unwrap();
    match verdict {
        Verdict::KnownInterception(hit) => {
            assert_eq!(hit.index, 1);
            assert_eq!(hit.listing.incident, "corporate-proxy");
        }
        other => panic!("expected KnownInterception, got {other:?}"),
    }
    assert!(!verdict.is_blocked());
    assert!(verdict.is_known_interception());
}

#[test]
fn blocked_and_known_interception_make_blocked_interception() {
    // One key in both lists.
    let root = root("Blocked Interception Root");
    let leaf1 = leaf("one.example", &root);
    let inter_root = common::root("Interception Root");
    let inter = intermediate_with_key(
        "Blocked Intermediate",
        rcgen::KeyPair::generate().unwrap(),
        &inter_root,
    );
    let leaf2 = leaf("two.example", &inter);
    let bytes = snapshot_of(&[
        Listed {
            key: spki_sha256(&root.der),
            action: Action::BlockedInterception,
            incident: "both",
            distrust_after: None,
        },
        Listed {
            key: spki_sha256(&inter_root.der),
            action: Action::KnownInterception,
            incident: "label",
            distrust_after: None,
        },
        Listed {
            key: spki_sha256(&inter.der),
            action: Action::Block,
            incident: "blocked",
            distrust_after: None,
        },
    ]);
    let list = lists(&bytes);
    match list.check_chain(&[&leaf1[..], &root.der[..]]).unwrap() {
        Verdict::BlockedInterception {
            blocked,
            interception,
        } => {
            assert_eq!((blocked.index, interception.index), (1, 1));
            assert_eq!(blocked.listing.incident, "both");
        }
        other => panic!("{other:?}"),
    }
    // A blocked intermediate under a known interception root: both named.
    match list
        .check_chain(&[&leaf2[..], &inter.der[..], &inter_root.der[..]])
        .unwrap()
    {
        Verdict::BlockedInterception {
            blocked,
            interception,
        } => {
            assert_eq!(blocked.index, 1);
            assert_eq!(blocked.listing.incident, "blocked");
            assert_eq!(interception.index, 2);
            assert_eq!(interception.listing.incident, "label");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn distrust_after_compares_the_leaf_not_before_at_the_second() {
    let root = root("Dated Root");
    // The date: 2030-06-15T12:00:00Z, leaves issued a second before, at, and a second after.
    let bytes = snapshot_of(&[Listed {
        key: spki_sha256(&root.der),
        action: Action::Block,
        incident: "dated-root",
        distrust_after: Some("2030-06-15T12:00:00Z"),
    }]);
    let list = lists(&bytes);
    assert_eq!(
        list.lookup_certificate(&root.der)
            .unwrap()
            .unwrap()
            .distrust_after,
        Some(1_907_755_200)
    );
    let before = leaf_at("before.example", &root, (2030, 6, 15, 11, 59, 59));
    let equal = leaf_at("equal.example", &root, (2030, 6, 15, 12, 0, 0));
    let after = leaf_at("after.example", &root, (2030, 6, 15, 12, 0, 1));
    assert_eq!(
        certblock::CertificateInfo::from_der(&equal)
            .unwrap()
            .not_before,
        1_907_755_200
    );
    assert_eq!(
        list.check_chain(&[&before[..], &root.der[..]]).unwrap(),
        Verdict::Clean
    );
    assert_eq!(
        list.check_chain(&[&equal[..], &root.der[..]]).unwrap(),
        Verdict::Clean
    );
    match list.check_chain(&[&after[..], &root.der[..]]).unwrap() {
        Verdict::Blocked(hit) => {
            assert_eq!(hit.index, 1);
            assert_eq!(hit.listing.incident, "dated-root");
        }
        other => panic!("expected Blocked, got {other:?}"),
    }
}

#[test]
fn distrust_after_reads_generalized_time_leaves() {
    // rcgen writes notBefore from 2050 on as GeneralizedTime.
    let root = root("Far Future Root");
    let bytes = snapshot_of(&[Listed {
        key: spki_sha256(&root.der),
        action: Action::Block,
        incident: "far-future",
        distrust_after: Some("2051-01-01T00:00:00Z"),
    }]);
    let list = lists(&bytes);
    let before = leaf_at("before.example", &root, (2050, 12, 31, 23, 59, 59));
    let after = leaf_at("after.example", &root, (2051, 1, 1, 0, 0, 1));
    assert_eq!(
        certblock::CertificateInfo::from_der(&after)
            .unwrap()
            .not_before,
        2_556_144_001
    );
    assert_eq!(
        list.check_chain(&[&before[..], &root.der[..]]).unwrap(),
        Verdict::Clean
    );
    assert!(
        list.check_chain(&[&after[..], &root.der[..]])
            .unwrap()
            .is_blocked()
    );
}

#[test]
fn a_built_in_entry_wins_over_a_loaded_one_for_the_same_key() {
    let builtin = certblock::SPKI_BLOCKLIST
        .entries()
        .next()
        .map(|(k, _)| *k)
        .unwrap();
    let bytes = snapshot_of(&[Listed {
        key: builtin,
        action: Action::KnownInterception,
        incident: "loaded-duplicate",
        distrust_after: Some("2000-01-01T00:00:00Z"),
    }]);
    let list = lists(&bytes);
    let found = list.lookup_spki_sha256(&builtin).unwrap();
    assert_eq!(found.origin, Origin::BuiltIn);
    assert_eq!(
        Some(found.incident),
        certblock::lookup_spki_sha256(&builtin).map(|e| e.incident)
    );
    assert_ne!(found.incident, "loaded-duplicate");
}

#[test]
fn malformed_chains_are_errors_naming_the_certificate() {
    let root = root("Root");
    let leaf = leaf("x.example", &root);
    let none: [&[u8]; 0] = [];
    assert_eq!(certblock::check_chain(&none), Err(ChainError::Empty));
    let cut = &root.der[..root.der.len() - 1];
    assert!(matches!(
        certblock::check_chain(&[&leaf[..], cut]),
        Err(ChainError::Certificate {
            index: 1,
            error: DerError::Truncated { .. }
        })
    ));
    let mut trailing = leaf.clone();
    trailing.push(0);
    assert!(matches!(
        certblock::check_chain(&[&trailing[..], &root.der[..]]),
        Err(ChainError::Certificate {
            index: 0,
            error: DerError::TrailingData { .. }
        })
    ));
    // Every truncation and every single-byte change of a certificate is an error or an answer,
    // never a panic.
    for len in 0..leaf.len() {
        assert!(
            certblock::lookup_certificate(&leaf[..len]).is_err(),
            "truncated to {len}"
        );
    }
    for at in 0..leaf.len() {
        for value in [0x00, 0x30, 0x80, 0x84, 0xff] {
            let mut changed = leaf.clone();
            changed[at] = value;
            let _ = certblock::check_chain(&[&changed[..], &root.der[..]]);
            let _ = certblock::lookup_certificate(&changed);
        }
    }
}
