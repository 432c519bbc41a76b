//! Ingest of whole source trees: what is taken, what is refused, and how it is reported.

mod common;

use certblock_ingest::{IngestOptions, ProblemKind, WarningKind, ingest};
use certblock_list::{Action, EvidenceKind, Sha256Hash};
use common::*;

#[test]
fn pem_bundle_with_three_certificates_gives_three_entries_with_positions() {
    let certs = [make("a.test"), make("b.test"), make("c.test")];
    let bundle: String = certs.iter().map(|c| c.pem.clone()).collect();
    let tree = Tree::new();
    tree.incident("bundle", "block")
        .write("bundle/three.pem", &bundle);
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 3);
    assert_eq!(list.sequence, 0);
    assert_eq!(list.incidents.len(), 1);
    assert_eq!(list.incidents[0].id.as_str(), "bundle");
    let mut positions = Vec::new();
    for c in &certs {
        let key: Sha256Hash = c.spki_hex().parse().unwrap();
        let entry = list.entry(&key).expect("an entry per certificate key");
        assert_eq!(entry.action, Action::Block);
        assert_eq!(entry.evidence.len(), 1);
        let ev = &entry.evidence[0];
        assert_eq!(ev.kind, EvidenceKind::Certificate);
        assert_eq!(ev.file, "bundle/three.pem");
        assert_eq!(ev.cert_sha256.unwrap().to_hex(), c.cert_hex());
        assert_eq!(ev.certificate.as_ref().unwrap().0, c.der);
        assert!(ev.subject.is_some() && ev.issuer.is_some() && ev.serial.is_some());
        assert!(ev.subject_der.is_some() && ev.not_before.is_some() && ev.not_after.is_some());
        assert_eq!(ev.cert_sha1.as_ref().unwrap().0.len(), 20);
        assert_eq!(ev.cert_md5.as_ref().unwrap().0.len(), 16);
        positions.push(ev.position.unwrap());
    }
    assert_eq!(positions, vec![1, 2, 3]);
}

/// Ingest checks its entries without re-hashing the certificates and keys it has just hashed
/// (`Blocklist::validate_entry_trusting_hashes`): the full check, which re-hashes every one,
/// must find its lists valid, and each certificate's three digests must be those of its DER.
#[test]
fn ingested_hashes_pass_the_full_validation() {
    use sha1::Digest as _;
    let certs: Vec<Made> = (0..70).map(|i| make(&format!("h{i}.test"))).collect();
    // 70 blocks: the bundle is read on several threads.
    let bundle: String = certs.iter().map(|c| c.pem.clone()).collect();
    let one = make("one.test");
    let key = make("key.test");
    let tree = Tree::new();
    tree.incident("hashes", "block")
        .write("hashes/bundle.pem", &bundle)
        .write("hashes/one.der", &one.der)
        .write("hashes/k.key", key.key.public_key_pem());
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 72);
    list.validate()
        .expect("every hash ingest recorded is right");
    for c in certs.iter().chain([&one]) {
        let entry = list.entry(&c.spki_hex().parse().unwrap()).unwrap();
        let ev = &entry.evidence[0];
        assert_eq!(ev.cert_sha256.unwrap().to_hex(), c.cert_hex());
        assert_eq!(
            ev.cert_sha1.as_ref().unwrap().0,
            sha1::Sha1::digest(&c.der).to_vec()
        );
        assert_eq!(
            ev.cert_md5.as_ref().unwrap().0,
            md5::Md5::digest(&c.der).to_vec()
        );
    }
    let entry = list.entry(&key.spki_hex().parse().unwrap()).unwrap();
    assert_eq!(
        entry.evidence[0].public_key.as_ref().unwrap().0,
        key.spki_der()
    );
}

#[test]
fn der_certificate_is_taken_without_a_position() {
    let c = make("der.test");
    let tree = Tree::new();
    tree.incident("d", "known-interception")
        .write("d/root.der", &c.der)
        .write("d/other.cer", &make("x").der);
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 2);
    let entry = list.entry(&c.spki_hex().parse().unwrap()).unwrap();
    assert_eq!(entry.action, Action::KnownInterception);
    assert_eq!(entry.evidence[0].position, None);
    assert_eq!(entry.evidence[0].file, "d/root.der");
    assert_eq!(entry.evidence[0].certificate.as_ref().unwrap().0, c.der);
}

#[test]
fn der_with_trailing_bytes_is_refused() {
    let mut der = make("t.test").der;
    der.extend_from_slice(&[0, 0, 0]);
    let tree = Tree::new();
    tree.incident("t", "block").write("t/x.der", &der);
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0],
        format!(
            "{}: 3 trailing bytes after the certificate",
            tree.shown("t/x.der")
        )
    );
}

#[test]
fn truncated_der_is_refused() {
    let der = make("t.test").der;
    let tree = Tree::new();
    tree.incident("t", "block")
        .write("t/x.der", &der[..der.len() - 10]);
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("truncated DER"), "{problems:?}");
}

#[test]
fn bare_public_keys_in_pem_and_der() {
    let a = make("a.test");
    let b = make("b.test");
    let tree = Tree::new();
    tree.incident("k", "block")
        .write("k/a.key", a.key.public_key_pem())
        .write("k/b.der", b.spki_der())
        .write("k/c.pub", make("c").spki_der());
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 3);
    for (made, file) in [(&a, "k/a.key"), (&b, "k/b.der")] {
        let entry = list.entry(&made.spki_hex().parse().unwrap()).unwrap();
        let ev = &entry.evidence[0];
        assert_eq!(ev.kind, EvidenceKind::PublicKey);
        assert_eq!(ev.file, file);
        assert_eq!(ev.public_key.as_ref().unwrap().0, made.spki_der());
        assert!(ev.certificate.is_none() && ev.cert_sha256.is_none());
    }
}

#[test]
fn hash_named_files_match_the_certificate_or_the_spki_hash() {
    let by_cert = make("c.test");
    let by_spki = make("s.test");
    let key = make("k.test");
    let tree = Tree::new();
    tree.incident("h", "block")
        .write(&format!("h/{}.pem", by_cert.cert_hex()), &by_cert.pem)
        .write(&format!("h/{}.crt", by_spki.spki_hex()), &by_spki.pem)
        .write(
            &format!("h/{}.key", key.spki_hex()),
            key.key.public_key_pem(),
        );
    assert_eq!(tree.ok().list.entries.len(), 3);

    let wrong = make("w.test");
    let name = "ab".repeat(32);
    tree.write(&format!("h/{name}.pem"), &wrong.pem);
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert!(p.starts_with(&tree.shown(&format!("h/{name}.pem"))), "{p}");
    assert!(
        mentions(
            p,
            &[
                &name,
                &format!("certificate SHA-256 {}", wrong.cert_hex()),
                &format!("SPKI SHA-256 {}", wrong.spki_hex()),
            ]
        ),
        "{p}"
    );
}

#[test]
fn hash_named_key_must_match_its_spki_hash_and_hold_one_item() {
    let key = make("k.test");
    let tree = Tree::new();
    let name = "cd".repeat(32);
    tree.incident("h", "block")
        .write(&format!("h/{name}.key"), key.key.public_key_pem());
    let problems = tree.problems();
    assert!(
        mentions(
            &problems[0],
            &[&name, &format!("SPKI SHA-256 {}", key.spki_hex())]
        ),
        "{problems:?}"
    );

    let two = format!("{}{}", make("a").pem, make("b").pem);
    let tree = Tree::new();
    tree.incident("h", "block")
        .write(&format!("h/{name}.pem"), two);
    let problems = tree.problems();
    assert!(
        problems[0].contains("exactly one certificate or key; this one holds 2"),
        "{problems:?}"
    );
}

#[test]
fn private_keys_are_refused() {
    let c = make("p.test");
    let tree = Tree::new();
    tree.incident("p", "block").write(
        "p/leaked.pem",
        format!("{}{}", c.pem, c.key.serialize_pem()),
    );
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("{}:", tree.shown("p/leaked.pem"))),
        "{problems:?}"
    );
    assert!(
        mentions(
            &problems[0],
            &["PRIVATE KEY", "must never be committed to sources/"]
        ),
        "{problems:?}"
    );

    let tree = Tree::new();
    tree.incident("p", "block")
        .write("p/leaked.der", c.key.serialize_der());
    let problems = tree.problems();
    assert!(
        problems[0].contains("must never be committed"),
        "{problems:?}"
    );
}

#[test]
fn other_pem_labels_are_refused_by_name() {
    let tree = Tree::new();
    tree.incident("l", "block").write(
        "l/crl.pem",
        "-----BEGIN X509 CRL-----\nAQID\n-----END X509 CRL-----\n",
    );
    let problems = tree.problems();
    assert!(problems[0].contains("\"X509 CRL\""), "{problems:?}");
}

#[test]
fn conflicting_actions_across_incidents_are_refused_naming_both() {
    let first = make("one.test");
    let second = same_key(&first, "two.test");
    assert_eq!(first.spki_hex(), second.spki_hex());
    assert_ne!(first.cert_hex(), second.cert_hex());
    let tree = Tree::new();
    tree.incident("aa", "block")
        .write("aa/one.pem", &first.pem)
        .incident("bb", "known-interception")
        .write("bb/two.pem", &second.pem);
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        mentions(
            &problems[0],
            &[
                &tree.shown("aa/one.pem"),
                &tree.shown("bb/two.pem"),
                "block",
                "known-interception",
                &first.spki_hex()
            ]
        ),
        "{problems:?}"
    );
}

fn dated_incident_json(distrust_after: Option<&str>) -> String {
    let date = distrust_after
        .map(|d| format!(",\n  \"distrust_after\": \"{d}\""))
        .unwrap_or_default();
    format!(
        "{{\n  \"title\": \"Dated\",\n  \"category\": \"misissuance\",\n  \"action\": \"block\",\n  \"summary\": \"S\"{date}\n}}\n"
    )
}

#[test]
fn distrust_after_is_carried_to_the_entry() {
    let first = make("one.test");
    let second = same_key(&first, "two.test");
    let tree = Tree::new();
    tree.write(
        "aa/incident.json",
        dated_incident_json(Some("2019-09-01T00:00:00Z")),
    )
    .write("aa/one.pem", &first.pem)
    .write(
        "bb/incident.json",
        dated_incident_json(Some("2019-09-01T00:00:00Z")),
    )
    .write("bb/two.pem", &second.pem);
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 1);
    let t = list.entries[0].distrust_after.expect("the date is carried");
    assert_eq!(t.to_string(), "2019-09-01T00:00:00Z");
    assert_eq!(list.incidents[0].distrust_after, Some(t));
}

#[test]
fn conflicting_distrust_after_across_incidents_is_refused_naming_both() {
    let first = make("one.test");
    let second = same_key(&first, "two.test");
    for (a, b) in [
        (Some("2019-09-01T00:00:00Z"), Some("2020-01-01T00:00:00Z")),
        (None, Some("2020-01-01T00:00:00Z")),
    ] {
        let tree = Tree::new();
        tree.write("aa/incident.json", dated_incident_json(a))
            .write("aa/one.pem", &first.pem)
            .write("bb/incident.json", dated_incident_json(b))
            .write("bb/two.pem", &second.pem);
        let problems = tree.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        let a_shown = a
            .map(|d| format!("distrust_after {d}"))
            .unwrap_or("no distrust_after".into());
        let b_shown = format!("distrust_after {}", b.unwrap());
        assert!(
            mentions(
                &problems[0],
                &[
                    &tree.shown("aa/one.pem"),
                    &tree.shown("bb/two.pem"),
                    "incident aa",
                    "incident bb",
                    &a_shown,
                    &b_shown,
                    &first.spki_hex()
                ]
            ),
            "{problems:?}"
        );
    }
}

#[test]
fn same_key_in_two_incidents_with_the_same_action_is_one_entry() {
    let first = make("one.test");
    let second = same_key(&first, "two.test");
    let tree = Tree::new();
    tree.incident("bb", "block")
        .write("bb/two.pem", &second.pem)
        .incident("aa", "block")
        .write("aa/one.pem", &first.pem);
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 1);
    let entry = &list.entries[0];
    let ids: Vec<&str> = entry.incidents.iter().map(|i| i.as_str()).collect();
    assert_eq!(ids, ["aa", "bb"]);
    let files: Vec<&str> = entry.evidence.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(files, ["aa/one.pem", "bb/two.pem"]);
    assert_eq!(entry.cert_sha256s().len(), 2);
}

#[test]
fn the_same_certificate_twice_is_refused_naming_both_places() {
    let c = make("dup.test");
    let tree = Tree::new();
    tree.incident("a", "block")
        .write("a/one.pem", &c.pem)
        .write("a/two.der", &c.der);
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(mentions(
        &problems[0],
        &[
            &tree.shown("a/one.pem"),
            &tree.shown("a/two.der"),
            &c.cert_hex()
        ]
    ));

    // Even within one file.
    let tree = Tree::new();
    tree.incident("a", "block")
        .write("a/twice.pem", format!("{}{}", c.pem, c.pem));
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        mentions(&problems[0], &["twice.pem#1", "twice.pem#2"]),
        "{problems:?}"
    );
}

fn facts_record(spki: &str, extra: &str) -> String {
    format!("{{\"records\": [\n  {{\"spki_sha256\": \"{spki}\"{extra}}}\n]}}\n")
}

#[test]
fn a_facts_record_alone_makes_an_entry() {
    let spki = "b5ba8dd7f89564c2889d3d6453c84998c77824919b64ea0835aa62986591be50";
    let tree = Tree::new();
    tree.incident("f", "blocked-interception").write(
        "f/facts.json",
        facts_record(
            spki,
            ", \"name\": \"00309c73.pem\", \"serial\": \"bEcInDSojkPd4N7jBmFVjanLLnA=\", \"not_before\": \"2020-02-28T07:04:41Z\"",
        ),
    );
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 1);
    let entry = &list.entries[0];
    assert_eq!(entry.spki_sha256.to_hex(), spki);
    assert_eq!(entry.action, Action::BlockedInterception);
    let ev = &entry.evidence[0];
    assert_eq!(ev.kind, EvidenceKind::Facts);
    assert_eq!(ev.file, "f/facts.json");
    assert_eq!(ev.position, Some(1));
    assert_eq!(ev.name.as_deref(), Some("00309c73.pem"));
    assert_eq!(
        ev.serial.as_ref().unwrap().to_hex(),
        "6c47089c34a88e43dde0dee30661558da9cb2e70"
    );
}

#[test]
fn facts_that_contradict_a_certificate_are_refused() {
    let c = make("f.test");
    let other = "11".repeat(32);
    let tree = Tree::new();
    tree.incident("f", "block")
        .write("f/cert.pem", &c.pem)
        .write(
            "f/facts.json",
            facts_record(&other, &format!(", \"cert_sha256\": \"{}\"", c.cert_hex())),
        );
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&tree.shown("f/facts.json")),
        "{problems:?}"
    );
    assert!(
        mentions(
            &problems[0],
            &[&other, &c.spki_hex(), &tree.shown("f/cert.pem")]
        ),
        "{problems:?}"
    );
}

#[test]
fn facts_that_agree_with_a_certificate_are_taken_together() {
    let c = make("f.test");
    let sha1 = {
        let tree = Tree::new();
        tree.incident("x", "block").write("x/c.pem", &c.pem);
        tree.ok().list.entries[0].evidence[0]
            .cert_sha1
            .clone()
            .unwrap()
            .to_hex()
    };
    let tree = Tree::new();
    tree.incident("f", "block")
        .write("f/cert.pem", &c.pem)
        .write(
            "f/facts.json",
            facts_record(
                &c.spki_hex(),
                &format!(
                    ", \"cert_sha256\": \"{}\", \"cert_sha1\": \"{sha1}\"",
                    c.cert_hex()
                ),
            ),
        );
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 1);
    assert_eq!(list.entries[0].evidence.len(), 2);

    // A wrong SHA-1 is a disagreement too.
    let wrong_sha1 = "0".repeat(40);
    tree.write(
        "f/facts.json",
        facts_record(
            &c.spki_hex(),
            &format!(
                ", \"cert_sha256\": \"{}\", \"cert_sha1\": \"{wrong_sha1}\"",
                c.cert_hex()
            ),
        ),
    );
    let problems = tree.problems();
    assert!(
        mentions(&problems[0], &["cert_sha1", &wrong_sha1, &sha1]),
        "{problems:?}"
    );
}

#[test]
fn incident_json_errors_give_line_and_column() {
    let c = make("i.test");
    let tree = Tree::new();
    tree.write("a/incident.json", "{\n  \"title\": \"T\",\n  \"category\": \"test\",\n  \"action\": \"block\",\n  \"summary\": \"S\",\n  \"colour\": \"red\"\n}\n")
        .write("a/c.pem", &c.pem)
        .write("b/incident.json", "{\n  \"title\": \"T\",\n  \"category\": \"test\",\n  \"action\": \"block\",\n  \"added\": \"2019-13-01\",\n  \"summary\": \"S\"\n}\n")
        .write("b/c.pem", &make("j").pem);
    let problems = tree.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("{}:6:", tree.shown("a/incident.json"))),
        "{problems:?}"
    );
    assert!(
        problems[0].contains("unknown field `colour`"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with(&format!("{}:5:", tree.shown("b/incident.json"))),
        "{problems:?}"
    );
    assert!(problems[1].contains("month 13"), "{problems:?}");
}

#[test]
fn missing_incident_json_and_empty_folders_are_refused() {
    let tree = Tree::new();
    tree.write("nojson/c.pem", make("c").pem);
    std::fs::create_dir_all(tree.root().join("empty")).unwrap();
    tree.incident("nothing", "block");
    let problems = tree.problems();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems[0].starts_with(&tree.shown("empty")) && problems[0].contains("no incident.json")
    );
    assert!(problems[1].starts_with(&tree.shown("empty")) && problems[1].contains("no evidence"));
    assert!(
        problems[2].starts_with(&tree.shown("nojson")) && problems[2].contains("no incident.json")
    );
    assert!(problems[3].starts_with(&tree.shown("nothing")) && problems[3].contains("no evidence"));
}

#[test]
fn every_problem_of_a_run_is_reported_sorted_by_path() {
    let good = make("good");
    let tree = Tree::new();
    tree.incident("a", "block")
        .write("a/empty.pem", "")
        .write("a/good.pem", &good.pem)
        .write("a/notes.txt", "hello")
        .write(
            "a/unterminated.pem",
            format!("{}-----BEGIN CERTIFICATE-----\nMIIB\n", make("x").pem),
        )
        .incident("b", "block")
        .write(
            "b/badb64.pem",
            "-----BEGIN CERTIFICATE-----\nMI!B\n-----END CERTIFICATE-----\n",
        )
        .write("b/.hidden.pem", &good.pem)
        .write("Bad_Name/incident.json", incident_json("block"))
        .write("stray.pem", &good.pem);
    let problems = tree.problems();
    let expected = [
        ("Bad_Name", "not a valid incident id"),
        ("Bad_Name", "no evidence"),
        ("a/empty.pem", "the file is empty"),
        ("a/notes.txt", "not a recognised evidence file"),
        (
            "a/unterminated.pem:",
            "has no matching -----END CERTIFICATE-----",
        ),
        ("b/.hidden.pem", "hidden"),
        ("b/badb64.pem:2:3", "bad base64"),
        ("stray.pem", "only incident folders and README.md"),
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, (path, words)) in problems.iter().zip(expected) {
        assert!(
            problem.starts_with(&tree.shown(path)),
            "{problem} should be about {path}"
        );
        assert!(problem.contains(words), "{problem} should say {words}");
    }
}

#[test]
fn text_before_pem_blocks_crlf_and_no_final_newline_are_accepted() {
    let c = make("crlf.test");
    let d = make("dump.test");
    let crlf = c.pem.replace('\n', "\r\n");
    let crlf = crlf.trim_end();
    let tree = Tree::new();
    tree.incident("t", "block")
        .write("t/crlf.crt", crlf)
        .write(
            "t/dump.pem",
            format!(
                "Certificate:\n    Data:\n        Version: 3 (0x2)\n{}",
                d.pem
            ),
        )
        .write("t/NOTES.md", "not evidence")
        .write("README.md", "top-level readme");
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 2);
    assert!(list.entry(&c.spki_hex().parse().unwrap()).is_some());
    assert!(list.entry(&d.spki_hex().parse().unwrap()).is_some());
}

#[test]
fn ingest_is_deterministic_and_free_of_absolute_paths() {
    let tree = Tree::new();
    let shared = make("shared");
    tree.incident("one", "block")
        .write("one/a.pem", format!("{}{}", make("a").pem, make("b").pem))
        .write("one/b.der", make("c").der)
        .write("one/k.key", make("k").key.public_key_pem())
        .write("one/s.pem", &shared.pem)
        .incident("two", "block")
        .write("two/s.pem", same_key(&shared, "shared2").pem)
        .write("two/facts.json", facts_record(&"22".repeat(32), ""));
    let first = tree.ok().list.to_json();
    let second = tree.ok().list.to_json();
    assert_eq!(first, second);
    assert!(!first.contains(tree.dir.path().to_str().unwrap()));

    let elsewhere = tempfile::tempdir().unwrap();
    let root = elsewhere.path().join("deeper").join("sources");
    copy_tree(&tree.root(), &root);
    let third = ingest(&root, &IngestOptions::default())
        .unwrap()
        .list
        .to_json();
    assert_eq!(first, third);
    // And the list reads back as the same list.
    let back = certblock_list::Blocklist::from_json(&first).unwrap();
    assert_eq!(back.to_json(), first);
}

#[test]
fn source_digest_is_recorded() {
    let tree = Tree::new();
    tree.incident("a", "block").write("a/c.pem", make("c").pem);
    let list = tree.ok().list;
    assert_eq!(
        list.source_digest,
        certblock_list::digest::source_tree_digest(&tree.root()).unwrap()
    );
}

#[test]
fn limits_give_clear_errors() {
    let tree = Tree::new();
    tree.incident("a", "block")
        .write("a/c.pem", make("c").pem)
        .write("a/d.pem", make("d").pem);
    let options = IngestOptions {
        max_entries: 1,
        ..IngestOptions::default()
    };
    let e = ingest(&tree.root(), &options).unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(e.problems[0].kind, ProblemKind::TooManyEntries { limit: 1 });

    let options = IngestOptions {
        max_file_bytes: 100,
        ..IngestOptions::default()
    };
    let e = ingest(&tree.root(), &options).unwrap_err();
    assert!(
        e.problems
            .iter()
            .all(|p| matches!(p.kind, ProblemKind::FileTooLarge { limit: 100, .. })),
        "{e}"
    );
    assert_eq!(e.problems.len(), 3, "{e}");

    let options = IngestOptions {
        max_certificates_per_file: 1,
        ..IngestOptions::default()
    };
    tree.write("a/two.pem", format!("{}{}", make("x").pem, make("y").pem));
    let e = ingest(&tree.root(), &options).unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert!(matches!(
        e.problems[0].kind,
        ProblemKind::TooManyBlocks { count: 2, limit: 1 }
    ));
}

/// A certificate whose serial number is `serial` (INTEGER content bytes), made by patching the
/// serial 12 34 56 78 of an rcgen certificate (the signature no longer verifies; ingest does not
/// verify signatures).
fn with_serial(first_byte: u8) -> Vec<u8> {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["serial.test".to_string()]).unwrap();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x12, 0x34, 0x56, 0x78]));
    let mut der = params.self_signed(&key).unwrap().der().to_vec();
    let at = der
        .windows(6)
        .position(|w| w == [0x02, 0x04, 0x12, 0x34, 0x56, 0x78])
        .unwrap();
    der[at + 2] = first_byte;
    der
}

#[test]
fn non_positive_serials_are_warnings_not_errors() {
    let tree = Tree::new();
    tree.incident("w", "block")
        .write("w/neg.der", with_serial(0x92))
        .write("w/pos.der", with_serial(0x12));
    let ingested = tree.ok();
    assert_eq!(ingested.list.entries.len(), 2);
    assert_eq!(ingested.warnings.len(), 1, "{:?}", ingested.warnings);
    let w = &ingested.warnings[0];
    assert_eq!(w.path, tree.root().join("w/neg.der"));
    assert!(
        matches!(&w.kind, WarningKind::NonPositiveSerial { serial_hex } if serial_hex == "92345678"),
        "{w}"
    );
    assert!(w.to_string().contains("negative or zero"), "{w}");
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_and_symlinked_files_taken() {
    let c = make("link.test");
    let tree = Tree::new();
    tree.incident("a", "block");
    let outside = tree.dir.path().join("outside.pem");
    std::fs::write(&outside, &c.pem).unwrap();
    std::os::unix::fs::symlink(&outside, tree.root().join("a/linked.pem")).unwrap();
    let list = tree.ok().list;
    assert_eq!(list.entries.len(), 1);
    assert_eq!(list.entries[0].evidence[0].file, "a/linked.pem");

    std::os::unix::fs::symlink(tree.root(), tree.root().join("a/loop")).unwrap();
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&tree.shown("a/loop")),
        "{problems:?}"
    );
    assert!(problems[0].contains("symbolic link loop"), "{problems:?}");
}

#[cfg(unix)]
#[test]
fn non_utf8_names_are_refused_showing_the_name() {
    use std::os::unix::ffi::OsStrExt as _;
    let tree = Tree::new();
    tree.incident("a", "block").write("a/c.pem", make("c").pem);
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname.pem");
    std::fs::write(tree.root().join("a").join(name), "x").unwrap();
    let problems = tree.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("bad\u{fffd}name.pem") && problems[0].contains("UTF-8"),
        "{problems:?}"
    );
}

#[test]
fn a_missing_sources_folder_is_a_problem() {
    let tree = Tree::new();
    let e = ingest(&tree.root().join("nope"), &IngestOptions::default()).unwrap_err();
    assert_eq!(e.problems[0].kind, ProblemKind::NotAFolder);
    assert!(e.to_string().contains("nope"));
}

#[test]
fn an_empty_sources_folder_is_an_empty_list() {
    let tree = Tree::new();
    tree.write("README.md", "nothing yet");
    let list = tree.ok().list;
    assert!(list.entries.is_empty() && list.incidents.is_empty());
}

#[test]
fn read_evidence_file_describes_each_item() {
    let a = make("a.test");
    let b = make("b.test");
    let text = format!("{}{}{}", a.pem, b.pem, a.key.public_key_pem());
    let items =
        certblock_ingest::read_evidence_file(std::path::Path::new("x.pem"), text.as_bytes())
            .unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].position, Some(1));
    assert_eq!(items[2].position, Some(3));
    assert_eq!(items[0].kind, EvidenceKind::Certificate);
    assert_eq!(items[2].kind, EvidenceKind::PublicKey);
    assert_eq!(items[0].spki_sha256, items[2].spki_sha256);
    assert_eq!(items[0].spki_sha256.to_hex(), a.spki_hex());
    assert_eq!(items[1].cert_sha256.unwrap().to_hex(), b.cert_hex());
    assert_eq!(items[0].key_algorithm, "EC P-256");
    assert_eq!(items[0].version, Some(3));
    assert_eq!(items[0].line, Some(1));
    assert!(items[1].line.unwrap() > 1);
}

/// Reads the DER header at `at`: (content length, header length).
fn der_header(der: &[u8], at: usize) -> (usize, usize) {
    match der[at + 1] {
        n if n < 0x80 => (usize::from(n), 2),
        0x81 => (usize::from(der[at + 2]), 3),
        0x82 => (
            usize::from(u16::from_be_bytes([der[at + 2], der[at + 3]])),
            4,
        ),
        other => panic!("unexpected length byte {other:#x}"),
    }
}

/// A DER SEQUENCE header for `len` content bytes.
fn sequence_header(len: usize) -> Vec<u8> {
    match len {
        0..=127 => vec![0x30, len as u8],
        128..=255 => vec![0x30, 0x81, len as u8],
        _ => vec![0x30, 0x82, (len >> 8) as u8, len as u8],
    }
}

/// A version 1 certificate, made by cutting the version field out of an rcgen certificate and
/// re-encoding the two enclosing headers (the signature no longer verifies; ingest does not
/// verify signatures).
fn version1() -> Vec<u8> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "v1.test");
    let der = params
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap()
        .der()
        .to_vec();
    let (outer_len, outer_head) = der_header(&der, 0);
    let (tbs_len, tbs_head) = der_header(&der, outer_head);
    let version_at = outer_head + tbs_head;
    assert_eq!(
        &der[version_at..version_at + 5],
        [0xa0, 0x03, 0x02, 0x01, 0x02]
    );
    let tbs_rest = &der[version_at + 5..outer_head + tbs_head + tbs_len];
    let after_tbs = &der[outer_head + tbs_head + tbs_len..outer_head + outer_len];
    let mut tbs = sequence_header(tbs_rest.len());
    tbs.extend_from_slice(tbs_rest);
    let mut out = sequence_header(tbs.len() + after_tbs.len());
    out.extend(tbs);
    out.extend_from_slice(after_tbs);
    out
}

#[test]
fn version_1_certificates_are_warnings() {
    let tree = Tree::new();
    tree.incident("v", "block").write("v/v1.der", version1());
    let ingested = tree.ok();
    assert_eq!(ingested.list.entries.len(), 1);
    assert_eq!(ingested.warnings.len(), 1, "{:?}", ingested.warnings);
    assert_eq!(ingested.warnings[0].kind, WarningKind::Version1);
}
