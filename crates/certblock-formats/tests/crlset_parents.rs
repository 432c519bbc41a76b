//! CRLSet parents, from hand-built bytes: the reader takes every parent and serial exactly.

mod common;

use certblock_formats::FormatError;
use certblock_formats::crlset::{self, Parent, Serial};
use certblock_list::Sha256Hash;

fn header(num_parents: u32) -> Vec<u8> {
    let json = format!(
        r#"{{"Version":0,"ContentType":"CRLSet","Sequence":42,"NumParents":{num_parents},"BlockedSPKIs":["{}"],"NotAfter":1700000000}}"#,
        Sha256Hash([0x11; 32]).to_base64()
    );
    let mut out = (json.len() as u16).to_le_bytes().to_vec();
    out.extend_from_slice(json.as_bytes());
    out
}

fn two_parents() -> Vec<u8> {
    let mut bytes = header(2);
    bytes.extend_from_slice(&[0xaa; 32]);
    bytes.extend_from_slice(&2u32.to_le_bytes());
    bytes.extend_from_slice(&[1, 0x01]);
    bytes.extend_from_slice(&[3, 0x01, 0x02, 0x03]);
    bytes.extend_from_slice(&[0xbb; 32]);
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes
}

#[test]
fn parents_are_read_exactly() {
    let parsed = crlset::read(&two_parents()).unwrap();
    assert_eq!(parsed.header.sequence, 42);
    assert_eq!(parsed.header.num_parents, 2);
    assert_eq!(parsed.header.blocked_spkis, vec![Sha256Hash([0x11; 32])]);
    assert_eq!(
        parsed.header.other.get("NotAfter"),
        Some(&serde_json::json!(1700000000))
    );
    assert_eq!(
        parsed.parents,
        vec![
            Parent {
                spki_sha256: Sha256Hash([0xaa; 32]),
                serials: vec![Serial(vec![1]), Serial(vec![1, 2, 3])],
            },
            Parent {
                spki_sha256: Sha256Hash([0xbb; 32]),
                serials: vec![]
            },
        ]
    );
    let dump = crlset::dump(&parsed);
    assert!(
        dump.contains(&format!(
            "Parent SPKI SHA-256 {}: 2 serials\n  serial 01\n  serial 010203\n",
            "aa".repeat(32)
        )),
        "{dump}"
    );
    assert!(dump.contains("NotAfter: 1700000000\n"), "{dump}");
    // encode writes what read reads.
    let again = crlset::encode(&parsed.header, &parsed.parents);
    assert_eq!(crlset::read(&again).unwrap(), parsed);
}

#[test]
fn parent_count_must_match_the_header() {
    let mut bytes = two_parents();
    bytes.extend_from_slice(&[0xcc; 32]);
    bytes.extend_from_slice(&0u32.to_le_bytes());
    match crlset::read(&bytes).unwrap_err() {
        FormatError::CrlSet { problem, .. } => {
            assert!(
                problem.contains("NumParents is 2, but the file holds 3"),
                "{problem}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn verify_reports_parents_as_extras() {
    let list = common::sample_list();
    let mut good = crlset::read(&crlset::render(&list).bytes).unwrap();
    let parents = vec![Parent {
        spki_sha256: Sha256Hash([0xaa; 32]),
        serials: vec![Serial(vec![9])],
    }];
    good.header.num_parents = 1;
    let bytes = crlset::encode(&good.header, &parents);
    let problems = crlset::verify(&list, &bytes).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("parent SPKI SHA-256 aaaa"),
        "{problems:?}"
    );
}
