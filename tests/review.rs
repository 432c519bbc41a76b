//! Reviewing list changes: a scripted pull request in a temporary git repository, read back with
//! `certblock diff --git`, and the freshness gate (`certblock check`) on each kind of stale tree.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{certblock, incident_json, write};

use certblock_list::{Blocklist, Sha256Hash};
use rcgen::PublicKeyData as _;
use serde_json::Value;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("git is installed");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate (PEM) with its SPKI SHA-256 and certificate SHA-256.
fn certificate(name: &str) -> (String, Sha256Hash, Sha256Hash) {
    let made = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
    let spki = Sha256Hash::digest(&made.signing_key.subject_public_key_info());
    (made.cert.pem(), spki, Sha256Hash::digest(made.cert.der()))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `certblock generate` and returns the sequence of the list it wrote, after checking that
/// the formats built from the list carry the same number.
fn generate(root: &Path) -> u64 {
    let out = certblock(root, &["generate", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sequence = Blocklist::read(&root.join("generated/blocklist.json"))
        .unwrap()
        .sequence;
    let table = std::fs::read_to_string(root.join("generated/spki_blocklist.rs")).unwrap();
    assert!(
        table.contains(&format!(
            "pub const SPKI_BLOCKLIST_SEQUENCE: u64 = {sequence};"
        )),
        "the runtime table carries the list's sequence {sequence}"
    );
    let crlset = std::fs::read(root.join("generated/crl-set")).unwrap();
    let needle = format!("\"Sequence\":{sequence},");
    assert!(
        crlset.windows(needle.len()).any(|w| w == needle.as_bytes()),
        "the CRLSet header carries the list's sequence {sequence}"
    );
    sequence
}

fn commit(root: &Path, message: &str) {
    git(root, &["add", "sources", "generated"]);
    git(root, &["commit", "-q", "-m", message]);
}

/// `certblock diff --git HEAD --format json`: the exit code and the parsed diff.
fn diff_json(root: &Path) -> (i32, Value) {
    let out = certblock(root, &["diff", "--git", "HEAD", "--format", "json"]);
    let code = out.status.code().unwrap();
    assert!(code == 0 || code == 1, "exit {code}: {}", stderr(&out));
    (code, serde_json::from_str(&stdout(&out)).unwrap())
}

/// `certblock diff --git HEAD` as plain text.
fn diff_text(root: &Path) -> (i32, String) {
    let out = certblock(root, &["diff", "--git", "HEAD", "--color", "never"]);
    (out.status.code().unwrap(), stdout(&out))
}

fn counts(diff: &Value, what: &str) -> (u64, u64, u64) {
    let c = &diff["summary"][what];
    (
        c["added"].as_u64().unwrap(),
        c["removed"].as_u64().unwrap(),
        c["changed"].as_u64().unwrap(),
    )
}

#[test]
fn a_scripted_pull_request_shows_exactly_each_change_and_moves_the_sequence_by_one() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    git(root, &["init", "-q"]);
    git(root, &["config", "user.name", "certblock test"]);
    git(root, &["config", "user.email", "test@certblock.invalid"]);
    git(root, &["config", "commit.gpgsign", "false"]);

    // The base branch: one incident, one certificate.
    let (first_pem, first_key, _) = certificate("first.example");
    write(
        root.join("sources/demo/incident.json"),
        incident_json("block"),
    );
    write(root.join("sources/demo/first.pem"), &first_pem);
    assert_eq!(generate(root), 1);
    commit(root, "base");
    let (code, text) = diff_text(root);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("entries:   0 added, 0 removed, 0 changed"),
        "{text}"
    );

    // Add a certificate to the incident: exactly that key is reported, as added.
    let (added_pem, added_key, added_cert) = certificate("added.example");
    write(root.join("sources/demo/added.pem"), &added_pem);
    assert_eq!(generate(root), 2);
    let (code, diff) = diff_json(root);
    assert_eq!(code, 1);
    assert_eq!(counts(&diff, "entries"), (1, 0, 0));
    assert_eq!(counts(&diff, "incidents"), (0, 0, 0));
    assert_eq!(diff["sequence"], serde_json::json!({"old": 1, "new": 2}));
    let entries = diff["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["spki_sha256"], added_key.to_hex());
    assert_eq!(entries[0]["change"], "added");
    assert_eq!(
        entries[0]["cert_sha256"],
        serde_json::json!([added_cert.to_hex()])
    );
    let (code, text) = diff_text(root);
    assert_eq!(code, 1);
    assert!(
        text.contains("entries:   1 added, 0 removed, 0 changed"),
        "{text}"
    );
    assert!(
        text.contains(&format!("+ entry SPKI SHA-256 {added_key} (added)")),
        "{text}"
    );
    assert!(
        text.contains(&format!("certificate SHA-256    {added_cert}")),
        "{text}"
    );
    assert!(
        text.contains("incident               demo (Test incident)"),
        "{text}"
    );
    assert!(
        text.contains("subject                CN=rcgen self signed cert"),
        "{text}"
    );
    assert!(
        !text.contains(&first_key.to_hex()),
        "only the added key is reported: {text}"
    );
    let markdown = certblock(root, &["diff", "--git", "HEAD", "--format", "markdown"]);
    assert_eq!(markdown.status.code(), Some(1));
    assert!(
        stdout(&markdown).contains("| entries | 1 | 0 | 0 |"),
        "{}",
        stdout(&markdown)
    );
    assert!(stdout(&markdown).contains(&format!("- **SPKI SHA-256 `{added_key}`** (block)")));

    // Regenerating without a change keeps the sequence; once committed, nothing differs.
    assert_eq!(generate(root), 2);
    commit(root, "add a certificate");
    assert_eq!(diff_json(root).0, 0);
    let since_base = certblock(root, &["diff", "--git", "HEAD~1", "--format", "json"]);
    assert_eq!(since_base.status.code(), Some(1));

    // Remove it again: reported as removed.
    std::fs::remove_file(root.join("sources/demo/added.pem")).unwrap();
    assert_eq!(generate(root), 3);
    let (code, diff) = diff_json(root);
    assert_eq!(code, 1);
    assert_eq!(counts(&diff, "entries"), (0, 1, 0));
    assert_eq!(diff["entries"][0]["spki_sha256"], added_key.to_hex());
    assert_eq!(diff["entries"][0]["change"], "removed");
    let (_, text) = diff_text(root);
    assert!(
        text.contains(&format!("- entry SPKI SHA-256 {added_key} (removed)")),
        "{text}"
    );
    assert!(
        text.contains("- evidence             demo/added.pem (certificate"),
        "{text}"
    );
    commit(root, "remove the certificate");

    // Change the incident's action: the incident and its one entry are reported as changed.
    write(
        root.join("sources/demo/incident.json"),
        incident_json("known-interception"),
    );
    assert_eq!(generate(root), 4);
    let (code, diff) = diff_json(root);
    assert_eq!(code, 1);
    assert_eq!(counts(&diff, "entries"), (0, 0, 1));
    assert_eq!(counts(&diff, "incidents"), (0, 0, 1));
    let entry = &diff["entries"][0];
    assert_eq!(entry["spki_sha256"], first_key.to_hex());
    assert_eq!(
        entry["details"],
        serde_json::json!([{"detail": "action", "old": "block", "new": "known-interception"}])
    );
    let (_, text) = diff_text(root);
    assert!(
        text.contains("~ incident demo: Test incident (test, known-interception)"),
        "{text}"
    );
    assert!(
        text.contains("~ action               block → known-interception"),
        "{text}"
    );
    commit(root, "label instead of block");
    assert_eq!(generate(root), 4, "a no-op regenerate keeps the sequence");
    assert_eq!(diff_json(root).0, 0);

    // Trouble is exit status 2, with a clear message.
    let bad = certblock(root, &["diff", "--git", "no-such-rev"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("cannot read the list committed at no-such-rev"),
        "{}",
        stderr(&bad)
    );
    let missing = certblock(root, &["diff", "generated/blocklist.json", "nowhere.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("nowhere.json: cannot read"),
        "{}",
        stderr(&missing)
    );
    let usage = certblock(root, &["diff", "generated/blocklist.json"]);
    assert_eq!(usage.status.code(), Some(2));
    write(root.join("broken.json"), "{\"format\": ");
    let broken = certblock(root, &["diff", "broken.json", "generated/blocklist.json"]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(
        stderr(&broken).contains("broken.json:1:"),
        "{}",
        stderr(&broken)
    );
    // Two files, no git needed: the base list against today's.
    let base = Command::new("git")
        .current_dir(root)
        .args(["show", "HEAD~3:generated/blocklist.json"])
        .output()
        .unwrap();
    write(root.join("base.json"), base.stdout);
    let files = certblock(
        root,
        &[
            "diff",
            "base.json",
            "generated/blocklist.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(files.status.code(), Some(1));
    let diff: Value = serde_json::from_str(&stdout(&files)).unwrap();
    assert_eq!(diff["sequence"], serde_json::json!({"old": 1, "new": 4}));
    assert_eq!(counts(&diff, "entries"), (0, 0, 1));
}

/// A tree with one incident holding one certificate, generated.
fn fresh_tree(root: &Path) {
    let (pem, _, _) = certificate("fresh.example");
    write(
        root.join("sources/demo/incident.json"),
        incident_json("block"),
    );
    write(root.join("sources/demo/root.pem"), pem);
    generate(root);
}

fn check(root: &Path) -> Output {
    certblock(root, &["check"])
}

fn assert_fails_naming(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    assert!(
        stderr(out).contains(what),
        "expected {what:?} in:\n{}",
        stderr(out)
    );
}

#[test]
fn check_fails_on_each_kind_of_stale_tree_and_shows_what_sources_would_change() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fresh_tree(root);
    let generated = root.join("generated");
    let passes = |root: &Path| {
        let out = check(root);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("generated is up to date with sources"));
    };
    passes(root);

    // A derived file edited by hand: named; the list itself is fine, so no semantic diff.
    let table = generated.join("spki_blocklist.rs");
    let mut text = std::fs::read_to_string(&table).unwrap();
    text.push_str("// an extra line\n");
    std::fs::write(&table, text).unwrap();
    let out = check(root);
    assert_fails_naming(&out, "generated/spki_blocklist.rs: stale");
    assert!(
        !stderr(&out).contains("what sources/ would change"),
        "{}",
        stderr(&out)
    );
    generate(root);
    passes(root);

    // A missing file.
    std::fs::remove_file(generated.join("BLOCKLIST.md")).unwrap();
    assert_fails_naming(&check(root), "generated/BLOCKLIST.md: missing");
    generate(root);
    passes(root);

    // An extra file.
    std::fs::write(generated.join("notes.txt"), "stray\n").unwrap();
    assert_fails_naming(&check(root), "generated/notes.txt: extra");
    std::fs::remove_file(generated.join("notes.txt")).unwrap();
    passes(root);

    // The list edited by hand: named, and the semantic diff says what sources/ would put back.
    let list = generated.join("blocklist.json");
    let text = std::fs::read_to_string(&list).unwrap();
    std::fs::write(
        &list,
        text.replace("\"Test incident\"", "\"Edited by hand\""),
    )
    .unwrap();
    let out = check(root);
    assert_fails_naming(&out, "generated/blocklist.json: stale");
    assert_fails_naming(
        &out,
        "~ title                \"Edited by hand\" → \"Test incident\"",
    );
    generate(root);
    passes(root);

    // sources/ changed without `make generate`: the new key shows in the semantic diff.
    let key = rcgen::KeyPair::generate().unwrap();
    let spki = Sha256Hash::digest(&key.subject_public_key_info());
    write(root.join("sources/demo/another.key"), key.public_key_pem());
    let out = check(root);
    assert_fails_naming(&out, "generated/blocklist.json: stale");
    assert_fails_naming(
        &out,
        "what sources/ would change in generated/blocklist.json",
    );
    assert_fails_naming(&out, "entries:   1 added, 0 removed, 0 changed");
    assert_fails_naming(&out, &format!("+ entry SPKI SHA-256 {spki} (added)"));
    assert_fails_naming(&out, "run `make generate`");
    generate(root);
    passes(root);
}
