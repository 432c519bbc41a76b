//! End-to-end tests of the `certblock` command on source trees made by the tests (rcgen).

mod support;

use std::path::Path;

use support::{certblock, folder_bytes, incident_json, write};

use certblock_list::{Action, Blocklist, Sha256Hash};
use rcgen::PublicKeyData as _;

/// A tree with one incident holding a PEM certificate and a bare public key; returns the SPKI
/// SHA-256 of each.
fn good_tree(root: &Path) -> (Sha256Hash, Sha256Hash) {
    let cert = rcgen::generate_simple_self_signed(vec!["blocked.example".to_string()]).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    write(
        root.join("sources/demo/incident.json"),
        incident_json("block"),
    );
    write(
        root.join("sources/demo/root.pem"),
        format!("Some text first\n{}", cert.cert.pem()),
    );
    write(root.join("sources/demo/leaked.key"), key.public_key_pem());
    (
        Sha256Hash::digest(&cert.signing_key.subject_public_key_info()),
        Sha256Hash::digest(&key.subject_public_key_info()),
    )
}

#[test]
fn generate_lists_every_key_in_every_file_and_check_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let (cert_key, bare_key) = good_tree(tmp.path());
    let out = certblock(tmp.path(), &["generate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let list = Blocklist::read(&tmp.path().join("generated/blocklist.json")).unwrap();
    let keys: Vec<Sha256Hash> = list.entries.iter().map(|e| e.spki_sha256).collect();
    let mut expected = vec![cert_key, bare_key];
    expected.sort();
    assert_eq!(keys, expected);
    assert!(list.entries.iter().all(|e| e.action == Action::Block));
    assert_eq!(list.sequence, 1);

    let inc = std::fs::read_to_string(tmp.path().join("generated/cert_verify_proc_blocklist.inc"))
        .unwrap();
    let table = std::fs::read_to_string(tmp.path().join("generated/spki_blocklist.rs")).unwrap();
    let markdown = std::fs::read_to_string(tmp.path().join("generated/BLOCKLIST.md")).unwrap();
    for key in &expected {
        let b = key.as_bytes();
        assert!(inc.contains(&format!("{{0x{:02x}, 0x{:02x}, 0x{:02x}", b[0], b[1], b[2])));
        assert!(table.contains(&format!("SPKI SHA-256:        {key}")));
        assert!(markdown.contains(&key.to_hex()));
    }
    assert!(inc.contains("// demo/root.pem") && inc.contains("// demo/leaked.key"));

    let check = certblock(tmp.path(), &["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn regenerating_keeps_the_sequence_and_a_change_moves_it_by_one() {
    let tmp = tempfile::tempdir().unwrap();
    good_tree(tmp.path());
    assert!(certblock(tmp.path(), &["generate"]).status.success());
    assert!(certblock(tmp.path(), &["generate"]).status.success());
    let list = Blocklist::read(&tmp.path().join("generated/blocklist.json")).unwrap();
    assert_eq!(list.sequence, 1);
    std::fs::remove_file(tmp.path().join("sources/demo/leaked.key")).unwrap();
    assert!(certblock(tmp.path(), &["generate"]).status.success());
    let list = Blocklist::read(&tmp.path().join("generated/blocklist.json")).unwrap();
    assert_eq!((list.sequence, list.entries.len()), (2, 1));
}

#[test]
fn a_broken_previous_list_stops_generate_naming_the_file_and_the_way_out() {
    let tmp = tempfile::tempdir().unwrap();
    good_tree(tmp.path());
    assert!(certblock(tmp.path(), &["generate"]).status.success());
    let list_path = tmp.path().join("generated/blocklist.json");
    let text = std::fs::read_to_string(&list_path).unwrap();
    // The last entry's key is no longer a string: the file no longer reads as a list.
    let at = text.rfind("\"spki_sha256\": \"").unwrap();
    let broken = format!("{}\"spki_sha256\": 42{}", &text[..at], &text[at + 81..]);
    std::fs::write(&list_path, &broken).unwrap();
    let before = folder_bytes(&tmp.path().join("generated"));
    let run = certblock(tmp.path(), &["generate"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{stderr}");
    assert!(stderr.contains("generated/blocklist.json:"), "{stderr}");
    assert!(
        stderr.contains("previous list gives the sequence number"),
        "{stderr}"
    );
    assert_eq!(
        folder_bytes(&tmp.path().join("generated")),
        before,
        "nothing was written"
    );
    // A previous list named with --previous that is not there: said, and nothing written.
    let run = certblock(
        tmp.path(),
        &["generate", "--previous", "old/blocklist.json"],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{stderr}");
    assert!(
        stderr.contains("old/blocklist.json: no such file; the previous list gives"),
        "{stderr}"
    );
    assert_eq!(folder_bytes(&tmp.path().join("generated")), before);
}

#[test]
fn check_names_stale_missing_and_extra_files() {
    let tmp = tempfile::tempdir().unwrap();
    good_tree(tmp.path());
    assert!(certblock(tmp.path(), &["generate"]).status.success());
    let generated = tmp.path().join("generated");
    std::fs::write(generated.join("BLOCKLIST.md"), "edited by hand\n").unwrap();
    std::fs::remove_file(generated.join("cert_verify_proc_blocklist.inc")).unwrap();
    std::fs::write(generated.join("notes.txt"), "stray\n").unwrap();
    let check = certblock(tmp.path(), &["check"]);
    assert_eq!(check.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("generated/BLOCKLIST.md: stale"), "{stderr}");
    assert!(
        stderr.contains("generated/cert_verify_proc_blocklist.inc: missing"),
        "{stderr}"
    );
    assert!(stderr.contains("generated/notes.txt: extra"), "{stderr}");

    // A source edit without regenerating is caught too.
    assert!(certblock(tmp.path(), &["generate"]).status.success());
    let key = rcgen::KeyPair::generate().unwrap();
    write(
        tmp.path().join("sources/demo/another.key"),
        key.public_key_pem(),
    );
    let check = certblock(tmp.path(), &["check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stderr).contains("generated/blocklist.json: stale"));
}

#[test]
fn bad_input_reports_every_problem_and_leaves_generated_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    good_tree(tmp.path());
    assert!(certblock(tmp.path(), &["generate"]).status.success());
    let before = folder_bytes(&tmp.path().join("generated"));

    let secret = rcgen::KeyPair::generate().unwrap();
    write(
        tmp.path().join("sources/demo/oops.pem"),
        secret.serialize_pem(),
    );
    write(
        tmp.path().join("sources/other/incident.json"),
        r#"{"title": "x", "colour": "red"}"#,
    );
    let out = certblock(tmp.path(), &["generate"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("oops.pem") && stderr.contains("private key"),
        "{stderr}"
    );
    assert!(stderr.contains("never be committed"), "{stderr}");
    assert!(
        stderr.contains("other/incident.json:1:") && stderr.contains("colour"),
        "{stderr}"
    );
    assert_eq!(folder_bytes(&tmp.path().join("generated")), before);
}

#[test]
fn conflicting_actions_for_one_key_name_both_places() {
    let tmp = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    write(
        tmp.path().join("sources/first/incident.json"),
        incident_json("block"),
    );
    write(tmp.path().join("sources/first/k.key"), key.public_key_pem());
    write(
        tmp.path().join("sources/second/incident.json"),
        incident_json("known-interception"),
    );
    write(
        tmp.path().join("sources/second/k.der"),
        key.subject_public_key_info(),
    );
    let out = certblock(tmp.path(), &["generate"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("first/k.key") && stderr.contains("second/k.der"),
        "{stderr}"
    );
    assert!(!tmp.path().join("generated").exists());
}

#[test]
fn inspect_labels_key_and_certificate_fingerprints() {
    let tmp = tempfile::tempdir().unwrap();
    let (cert_key, _) = good_tree(tmp.path());
    let out = certblock(
        tmp.path(),
        &[
            "inspect",
            "sources/demo/root.pem",
            "sources/demo/leaked.key",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("SPKI SHA-256 (hex):          {cert_key}")),
        "{stdout}"
    );
    assert!(stdout.contains(&format!(
        "SPKI SHA-256 (base64):       {}",
        cert_key.to_base64()
    )));
    let der = std::fs::read_to_string(tmp.path().join("sources/demo/root.pem")).unwrap();
    let pem = ::pem::parse(der.split_once('\n').unwrap().1).unwrap();
    let cert_sha = Sha256Hash::digest(pem.contents());
    assert!(
        stdout.contains(&format!("certificate SHA-256 (hex):   {cert_sha}")),
        "{stdout}"
    );
    assert!(stdout.contains("(none: a bare public key)"));
}
