//! `verify` names what is missing, altered or extra in a file, for each format.

mod common;

use certblock_formats::{Format, certdata, crlset, detect, onecrl};
use certblock_list::Blocklist;

/// The list without the entry at `index`.
fn without(list: &Blocklist, index: usize) -> Blocklist {
    let mut smaller = list.clone();
    smaller.entries.remove(index);
    smaller
}

/// The index of the sample's first entry whose evidence matches `pred`.
fn index_of(list: &Blocklist, pred: impl Fn(&certblock_list::Entry) -> bool) -> usize {
    list.entries.iter().position(pred).unwrap()
}

fn joined(r: Result<(), Vec<String>>) -> String {
    r.unwrap_err().join("\n")
}

#[test]
fn crlset_verify_names_missing_altered_and_extra_keys() {
    let list = common::sample_list();
    let i = index_of(&list, |e| e.action == certblock_list::Action::Block);
    let key = list.entries[i].spki_sha256;
    let smaller = without(&list, i);

    let missing = joined(crlset::verify(&list, &crlset::render(&smaller).bytes));
    assert!(
        missing.contains(&format!(
            "SPKI SHA-256 {key} (action block) is missing from BlockedSPKIs"
        )),
        "{missing}"
    );

    let extra = joined(crlset::verify(&smaller, &crlset::render(&list).bytes));
    assert!(
        extra.contains(&format!(
            "SPKI SHA-256 {key} is in BlockedSPKIs, but the list has no such entry (extra)"
        )),
        "{extra}"
    );

    let mut changed = list.clone();
    changed.sequence += 1;
    let seq = joined(crlset::verify(&changed, &crlset::render(&list).bytes));
    assert!(seq.contains("Sequence is 7, the list's is 8"), "{seq}");

    // Move a key into the wrong array.
    let mut parsed = crlset::read(&crlset::render(&list).bytes).unwrap();
    let moved = parsed.header.blocked_spkis.remove(0);
    parsed.header.known_interception_spkis.push(moved);
    let bytes = crlset::encode(&parsed.header, &[]);
    let altered = joined(crlset::verify(&list, &bytes));
    assert!(
        altered.contains(&format!(
            "SPKI SHA-256 {moved} is in KnownInterceptionSPKIs, but its action is block (altered)"
        )),
        "{altered}"
    );
    assert!(
        altered.contains(&format!(
            "SPKI SHA-256 {moved} (action block) is missing from BlockedSPKIs"
        )),
        "{altered}"
    );
    assert!(
        altered.contains("KnownInterceptionSPKIs is not sorted"),
        "{altered}"
    );
}

#[test]
fn certdata_verify_names_missing_altered_and_extra_objects() {
    let list = common::sample_list();
    let i = index_of(&list, |e| {
        e.evidence[0].certificate.is_some() && e.action.is_blocked()
    });
    let key = list.entries[i].spki_sha256;
    let smaller = without(&list, i);

    let missing = joined(certdata::verify(&list, &certdata::render(&smaller).bytes));
    assert!(
        missing.contains(&format!(
            "SPKI SHA-256 {key}: the CKO_CERTIFICATE object for certificate SHA-256"
        )),
        "{missing}"
    );
    assert!(
        missing.contains(&format!(
            "SPKI SHA-256 {key}: the distrust (CKO_NSS_TRUST) for serial"
        )),
        "{missing}"
    );

    let extra = joined(certdata::verify(&smaller, &certdata::render(&list).bytes));
    assert!(extra.contains("is not in the list (extra)"), "{extra}");

    // Trust downgraded from distrust to "must verify": altered.
    let text = String::from_utf8(certdata::render(&list).bytes).unwrap();
    let tampered = text.replacen(
        "CKA_TRUST_SERVER_AUTH CK_TRUST CKT_NSS_NOT_TRUSTED",
        "CKA_TRUST_SERVER_AUTH CK_TRUST CKT_NSS_MUST_VERIFY_TRUST",
        1,
    );
    let altered = joined(certdata::verify(&list, tampered.as_bytes()));
    assert!(
        altered.contains("is altered (trust values, hashes or label differ)"),
        "{altered}"
    );

    // The header must name what cannot be expressed.
    let hidden: String = text
        .lines()
        .filter(|l| !l.starts_with("#   SPKI SHA-256"))
        .map(|l| format!("{l}\n"))
        .collect();
    let silent = joined(certdata::verify(&list, hidden.as_bytes()));
    assert_eq!(
        silent
            .matches("cannot be expressed, but the header does not say so")
            .count(),
        2,
        "{silent}"
    );

    // An unreadable file is one problem, with its line.
    let broken = text.replacen("END\n", "", 1);
    let problems = certdata::verify(&list, broken.as_bytes()).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("not a readable certdata.txt: line"),
        "{problems:?}"
    );
}

#[test]
fn onecrl_verify_names_missing_altered_and_extra_records() {
    let list = common::sample_list();
    let i = index_of(&list, |e| {
        e.evidence[0].certificate.is_some() && e.action.is_blocked()
    });
    let key = list.entries[i].spki_sha256;
    let smaller = without(&list, i);

    let missing = joined(onecrl::verify(&list, &onecrl::render(&smaller).bytes));
    assert!(
        missing.contains(&format!("SPKI SHA-256 {key}: the record for subject")),
        "{missing}"
    );
    assert!(
        missing.contains(&format!("SPKI SHA-256 {key}: the record for issuer")),
        "{missing}"
    );

    let extra = joined(onecrl::verify(&smaller, &onecrl::render(&list).bytes));
    assert!(extra.contains("is not in the list (extra)"), "{extra}");

    let text = String::from_utf8(onecrl::render(&list).bytes).unwrap();
    let disabled = text.replacen("\"enabled\": true", "\"enabled\": false", 1);
    let altered = joined(onecrl::verify(&list, disabled.as_bytes()));
    assert!(
        altered.contains("is altered (id, enabled or details differ)"),
        "{altered}"
    );

    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let data_only = serde_json::json!({ "data": v["data"] }).to_string();
    let silent = joined(onecrl::verify(&list, data_only.as_bytes()));
    assert!(silent.contains("certblock note is missing"), "{silent}");
}

#[test]
fn detect_tells_the_formats_apart() {
    let list = common::sample_list();
    assert_eq!(detect(&crlset::render(&list).bytes), Some(Format::CrlSet));
    assert_eq!(
        detect(&certdata::render(&list).bytes),
        Some(Format::CertData)
    );
    assert_eq!(detect(&onecrl::render(&list).bytes), Some(Format::OneCrl));
    assert_eq!(
        detect(list.to_json().as_bytes()),
        Some(Format::CanonicalList)
    );
    assert_eq!(detect(b""), None);
    assert_eq!(detect(b"{\"something\": 1}"), None);
    assert_eq!(detect(b"plain text\n"), None);
    assert_eq!(detect(&[0x02, 0x00, b'{', b'}']), None);
    assert_eq!(Format::CrlSet.file_name(), "crl-set");
    assert_eq!(Format::OneCrl.name(), "OneCRL JSON");
}

#[test]
fn rendering_is_deterministic_and_timeless() {
    let list = common::sample_list();
    for bytes in [
        crlset::render(&list).bytes,
        certdata::render(&list).bytes,
        onecrl::render(&list).bytes,
    ] {
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(certblock_list::GENERATED_NOTICE));
        assert!(!text.contains("/work/"), "no absolute paths");
    }
    let v: serde_json::Value = serde_json::from_slice(&onecrl::render(&list).bytes).unwrap();
    for r in v["data"].as_array().unwrap() {
        assert_eq!(r["last_modified"], 0);
        assert_eq!(r["schema"], 0);
    }
    assert_eq!(v["timestamp"], 0);
}

/// A CRLSet header holds at most 65,535 bytes; keys past that are reported, not dropped
/// silently, and no key is left out that would still have fitted. Lists just below, at and above
/// the limit, with keys of every action.
#[test]
fn crlset_full_header_reports_the_keys_left_out() {
    use certblock_list::Action;
    let sample = common::sample_list();
    for extra in [1_380u32, 1_390, 1_395, 1_400, 1_500, 3_000] {
        let mut list = sample.clone();
        for i in 0..extra {
            // Mostly blocked keys, some of the two interception actions.
            let entry = &sample.entries[match i % 17 {
                0 => 4,
                1 => 3,
                _ => 0,
            }];
            let incident = entry.incidents[0].clone();
            let spki = format!("key {i}").into_bytes();
            let mut ev = certblock_list::Evidence::new(
                incident.clone(),
                format!("{incident}/k{i}.key"),
                None,
                certblock_list::EvidenceKind::PublicKey,
            );
            ev.public_key = Some(certblock_list::Base64Bytes(spki.clone()));
            list.entries.push(certblock_list::Entry {
                spki_sha256: certblock_list::Sha256Hash::digest(&spki),
                action: entry.action,
                incidents: vec![incident],
                distrust_after: None,
                evidence: vec![ev],
            });
        }
        list.entries.sort_by_key(|e| e.spki_sha256);
        list.validate().unwrap();
        let rendered = crlset::render(&list);
        let header_len = u16::from_le_bytes([rendered.bytes[0], rendered.bytes[1]]) as usize;
        assert_eq!(header_len + 2, rendered.bytes.len());
        assert!(header_len <= 65_535);
        let parsed = crlset::read(&rendered.bytes).unwrap();
        let arrays = [
            &parsed.header.blocked_spkis,
            &parsed.header.known_interception_spkis,
            &parsed.header.blocked_interception_spkis,
        ];
        let carried: usize = arrays.iter().map(|a| a.len()).sum();
        assert_eq!(carried + rendered.unexpressed.len(), list.entries.len());
        // The keys left out are the largest ones, in order.
        let left_out: Vec<_> = rendered.unexpressed.iter().map(|u| u.spki_sha256).collect();
        let largest: Vec<_> = list.entries[carried..]
            .iter()
            .map(|e| e.spki_sha256)
            .collect();
        assert_eq!(left_out, largest, "{extra}");
        if let Some(first_out) = list.entries.get(carried) {
            // It would not have fitted: 44 base64 characters in quotes, and a comma unless its
            // array was empty.
            let array = match first_out.action {
                Action::Block => arrays[0],
                Action::KnownInterception => arrays[1],
                Action::BlockedInterception => arrays[2],
            };
            let cost = if array.is_empty() { 46 } else { 47 };
            assert!(header_len + cost > 65_535, "{extra}: {header_len}");
        } else {
            assert!(rendered.unexpressed.is_empty());
        }
        assert_eq!(crlset::verify(&list, &rendered.bytes), Ok(()));
    }
}
