//! The hostile-input suite: every bad input `certblock generate` must refuse, and every odd but
//! valid input it must take.
//!
//! Each refusal test first generates a good tree and records every byte of `generated/` (and the
//! names beside it), then adds one bad input and runs `generate` again. It asserts that the run
//! fails (exit 1), that the message names the file (with line and column for JSON) and gives the
//! reason in plain words, and that `generated/` is byte-identical to before, with nothing left
//! beside it. Each acceptance test asserts exit 0, the entry in `generated/blocklist.json`, and
//! the warning where a person should look.
//!
//! Inputs are made by the tests (rcgen, and edits of rcgen's DER), never copied from elsewhere.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use certblock_list::{Action, Blocklist, EvidenceKind, Sha256Hash};
use support::{
    Made, Rng, certblock, der, folder_bytes, incident_json, make, make_with, names_in, pem,
    sha256_hex,
};

/// A good tree, generated once, with a record of `generated/` to compare against.
struct Case {
    dir: tempfile::TempDir,
    before: BTreeMap<String, Vec<u8>>,
    beside: Vec<String>,
    /// The certificate in `sources/demo/root.pem`.
    root: Made,
    /// The key in `sources/demo/leaked.key`.
    leaked: rcgen::KeyPair,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let root = make("root.hostile.test");
        let leaked = rcgen::KeyPair::generate().unwrap();
        let case_dir = dir.path();
        support::write(
            case_dir.join("sources/demo/incident.json"),
            incident_json("block"),
        );
        support::write(case_dir.join("sources/demo/root.pem"), &root.pem);
        support::write(
            case_dir.join("sources/demo/leaked.key"),
            leaked.public_key_pem(),
        );
        let out = certblock(case_dir, &["generate"]);
        assert!(
            out.status.success(),
            "the good tree fails:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let before = folder_bytes(&case_dir.join("generated"));
        assert!(before.contains_key("blocklist.json"));
        let beside = names_in(case_dir);
        Case {
            dir,
            before,
            beside,
            root,
            leaked,
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn write(&self, relative: &str, bytes: impl AsRef<[u8]>) -> &Case {
        support::write(self.path(relative), bytes);
        self
    }

    /// Runs `generate ARGS`, asserts it fails leaving `generated/` exactly as it was, and
    /// returns what it printed on stderr.
    fn refused(&self, args: &[&str]) -> String {
        let mut all = vec!["generate"];
        all.extend_from_slice(args);
        let out = certblock(self.dir.path(), &all);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(1),
            "expected a refusal, got:\n{stderr}"
        );
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert!(
            folder_bytes(&self.path("generated")) == self.before,
            "generated/ changed after a refused run:\n{stderr}"
        );
        assert_eq!(
            names_in(self.dir.path()),
            self.beside,
            "something was left beside generated/"
        );
        stderr
    }
}

/// The `error:` lines of a run.
fn errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect()
}

/// The reason of the one error about `location` (a path, or `path:line`), which must be there.
/// With `path:line`, a column must follow. Returns the reason (what follows the location).
fn reason<'a>(stderr: &'a str, location: &str, with_column: bool) -> &'a str {
    let prefix = format!("error: {location}:");
    let found: Vec<&str> = errors(stderr)
        .into_iter()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| {
            if with_column {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                (digits > 0)
                    .then(|| rest[digits..].strip_prefix(": "))
                    .flatten()
            } else {
                rest.strip_prefix(' ')
            }
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one error at {location}, in:\n{stderr}"
    );
    found[0]
}

/// Asserts the run reported exactly `n` problems.
fn assert_count(stderr: &str, n: usize) {
    assert_eq!(
        errors(stderr).len(),
        n,
        "expected {n} problem(s):\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("{n} problem(s) in sources; nothing was written")),
        "{stderr}"
    );
}

fn has(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Refused.

#[test]
fn empty_file() {
    let case = Case::new();
    case.write("sources/demo/empty.pem", "");
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    assert_eq!(
        reason(&stderr, "sources/demo/empty.pem", false),
        "the file is empty"
    );
}

#[test]
fn folder_with_no_evidence() {
    let case = Case::new();
    case.write("sources/quiet/incident.json", incident_json("block"));
    case.write("sources/quiet/NOTES.md", "notes are not evidence");
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/quiet", false),
        &["holds no evidence", "certificates", "facts.json"],
    );
}

#[test]
fn truncated_der() {
    let case = Case::new();
    let cut = case.root.der.len() / 2;
    case.write("sources/demo/cut.der", &case.root.der[..cut]);
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    let expected = format!(
        "truncated DER: the outer element says it is {} bytes long, but only {cut} bytes are there",
        case.root.der.len()
    );
    assert_eq!(reason(&stderr, "sources/demo/cut.der", false), expected);
}

#[test]
fn random_bytes_named_pem() {
    let case = Case::new();
    case.write("sources/demo/noise.pem", Rng::new(0x5eed_0001).bytes(700));
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/demo/noise.pem", false),
        &["no PEM block", "if the file is binary DER, name it .der"],
    );
}

#[test]
fn random_bytes_named_der() {
    let case = Case::new();
    let mut rng = Rng::new(0x5eed_0002);
    // Random bytes, and random bytes behind a plausible SEQUENCE header.
    case.write("sources/demo/noise.der", rng.bytes(700));
    let mut framed = der::tlv(0x30, &rng.bytes(300));
    framed.truncate(300);
    case.write("sources/demo/framed.der", &framed);
    case.write("sources/demo/noise.crt", rng.bytes(64));
    let stderr = case.refused(&[]);
    assert_count(&stderr, 3);
    has(
        reason(&stderr, "sources/demo/noise.der", false),
        &["not a certificate or public key"],
    );
    has(
        reason(&stderr, "sources/demo/framed.der", false),
        &["truncated DER"],
    );
    has(
        reason(&stderr, "sources/demo/noise.crt", false),
        &["not a certificate or public key"],
    );
}

#[test]
fn pem_with_bad_base64() {
    let case = Case::new();
    let mut lines: Vec<String> = case.root.pem.lines().map(str::to_string).collect();
    // Line 3 of the file is the second line of base64; its 10th character becomes '*'.
    lines[2].replace_range(9..10, "*");
    case.write("sources/demo/bad64.pem", lines.join("\n") + "\n");
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    assert_eq!(
        reason(&stderr, "sources/demo/bad64.pem:3:10", false),
        "bad base64 in the PEM block: '*' is not a base64 character here"
    );
}

#[test]
fn pem_without_end() {
    let case = Case::new();
    let text = case.root.pem.replace("-----END CERTIFICATE-----", "");
    case.write("sources/demo/open.pem", format!("A note first.\n{text}"));
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    assert_eq!(
        reason(&stderr, "sources/demo/open.pem:2", false),
        "-----BEGIN CERTIFICATE----- has no matching -----END CERTIFICATE----- line"
    );
}

#[test]
fn private_key_block() {
    let case = Case::new();
    let secret = rcgen::KeyPair::generate().unwrap();
    case.write("sources/demo/oops.pem", secret.serialize_pem());
    case.write("sources/demo/oops-der.key", secret.serialize_der());
    let stderr = case.refused(&[]);
    assert_count(&stderr, 2);
    let pem_reason = reason(&stderr, "sources/demo/oops.pem:1", false);
    has(
        pem_reason,
        &[
            "PRIVATE KEY block",
            "a private key must never be committed",
            "treat the key as leaked",
        ],
    );
    let der_reason = reason(&stderr, "sources/demo/oops-der.key", false);
    has(
        der_reason,
        &[
            "looks like a private key",
            "a private key must never be committed",
        ],
    );
    // The key itself is never echoed.
    let body = secret.serialize_pem();
    let secret_line = body.lines().nth(1).unwrap();
    assert!(!stderr.contains(secret_line));
}

#[test]
fn trailing_bytes_after_a_der_certificate() {
    let case = Case::new();
    let mut der = case.root.der.clone();
    der.extend_from_slice(&[0, 0, 0]);
    case.write("sources/demo/tail.der", der);
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    assert_eq!(
        reason(&stderr, "sources/demo/tail.der", false),
        "3 trailing bytes after the certificate"
    );
}

#[test]
fn one_byte_flipped_inside_the_key_under_the_original_name() {
    let case = Case::new();
    let original = make("flipped.hostile.test");
    let spki = original.spki_der();
    let at = original
        .der
        .windows(spki.len())
        .position(|w| w == spki)
        .unwrap();
    let mut flipped = original.der.clone();
    flipped[at + spki.len() - 5] ^= 0x01;
    let new_cert = sha256_hex(&flipped);
    let new_spki = {
        let mut s = spki.clone();
        s[spki.len() - 5] ^= 0x01;
        sha256_hex(&s)
    };
    // Named by the certificate SHA-256, and (PEM) by the SPKI SHA-256, of the original.
    let by_cert = format!("sources/demo/{}.der", original.cert_hex());
    let by_spki = format!("sources/demo/{}.pem", original.spki_hex());
    case.write(&by_cert, &flipped);
    case.write(&by_spki, pem("CERTIFICATE", &flipped));
    let stderr = case.refused(&[]);
    assert_count(&stderr, 2);
    let expected = |claimed: &str| {
        format!(
            "the file name says {claimed}, which is neither the certificate SHA-256 {new_cert} nor \
             the SPKI SHA-256 {new_spki} of the certificate it holds"
        )
    };
    assert_eq!(
        reason(&stderr, &by_cert, false),
        expected(&original.cert_hex())
    );
    assert_eq!(
        reason(&stderr, &format!("{by_spki}:1"), false),
        expected(&original.spki_hex())
    );
}

#[test]
fn hex_named_file_whose_hash_does_not_match() {
    let case = Case::new();
    let claimed = hex(&Rng::new(0x5eed_0003).bytes(32));
    let key = rcgen::KeyPair::generate().unwrap();
    let path = format!("sources/demo/{claimed}.key");
    case.write(&path, key.public_key_pem());
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    use rcgen::PublicKeyData as _;
    let actual = sha256_hex(&key.subject_public_key_info());
    assert_eq!(
        reason(&stderr, &format!("{path}:1"), false),
        format!(
            "the file name says {claimed}, which is not the SPKI SHA-256 {actual} of the public key it holds"
        )
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A second incident, `broken`, with evidence and the given incident.json.
fn broken_incident(case: &Case, incident: &str) {
    let key = rcgen::KeyPair::generate().unwrap();
    case.write("sources/broken/k.key", key.public_key_pem());
    case.write("sources/broken/incident.json", incident);
}

#[test]
fn incident_json_missing() {
    let case = Case::new();
    let key = rcgen::KeyPair::generate().unwrap();
    case.write("sources/orphan/k.key", key.public_key_pem());
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/orphan", false),
        &["has no incident.json", "title, category, action, summary"],
    );
}

#[test]
fn incident_json_invalid() {
    let case = Case::new();
    broken_incident(
        &case,
        "{\n  \"title\": \"Broken\",\n  \"category\": \"test\"\n  \"action\": \"block\",\n  \"summary\": \"A comma is missing.\"\n}\n",
    );
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/broken/incident.json:4", true),
        &["incident.json: not valid JSON", "expected `,`"],
    );
}

#[test]
fn incident_json_unknown_field() {
    let case = Case::new();
    broken_incident(
        &case,
        "{\n  \"title\": \"Broken\",\n  \"category\": \"test\",\n  \"action\": \"block\",\n  \"owner\": \"me\",\n  \"summary\": \"S\"\n}\n",
    );
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/broken/incident.json:5", true),
        &["incident.json: unknown field `owner`", "expected one of"],
    );
}

#[test]
fn incident_json_unknown_action() {
    let case = Case::new();
    broken_incident(
        &case,
        "{\n  \"title\": \"Broken\",\n  \"category\": \"test\",\n  \"action\": \"burn\",\n  \"summary\": \"S\"\n}\n",
    );
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/broken/incident.json:4", true),
        &[
            "incident.json:",
            "`burn`",
            "`block`",
            "`known-interception`",
            "`blocked-interception`",
        ],
    );
}

#[test]
fn incident_json_bad_date() {
    let case = Case::new();
    broken_incident(
        &case,
        "{\n  \"title\": \"Broken\",\n  \"category\": \"test\",\n  \"action\": \"block\",\n  \"added\": \"2019-02-30\",\n  \"summary\": \"S\"\n}\n",
    );
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/broken/incident.json:5", true),
        &["incident.json:", "2019-02-30", "does not exist"],
    );
}

#[test]
fn facts_with_a_malformed_hash() {
    let case = Case::new();
    let good = hex(&Rng::new(0x5eed_0004).bytes(32));
    case.write("sources/known/incident.json", incident_json("block"));
    case.write(
        "sources/known/facts.json",
        format!("{{\"records\": [\n  {{\"spki_sha256\": \"{good}\"}},\n  {{\"spki_sha256\": \"{}\"}}\n]}}\n", &good[..63]),
    );
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/known/facts.json:3", true),
        &["facts.json:", "64 hex digits", "63 characters"],
    );
}

#[test]
fn facts_with_a_non_hex_hash() {
    let case = Case::new();
    let bad = format!("{}zz", hex(&Rng::new(0x5eed_0005).bytes(31)));
    case.write("sources/known/incident.json", incident_json("block"));
    case.write(
        "sources/known/facts.json",
        format!("{{\"records\": [\n  {{\"spki_sha256\": \"{bad}\"}}\n]}}\n"),
    );
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/known/facts.json:2", true),
        &["facts.json:", "SHA-256 value", &bad],
    );
}

#[test]
fn same_key_in_two_incidents_with_conflicting_actions() {
    let case = Case::new();
    use rcgen::PublicKeyData as _;
    let spki = case.leaked.subject_public_key_info();
    case.write(
        "sources/watch/incident.json",
        incident_json("known-interception"),
    );
    case.write("sources/watch/same.der", &spki);
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    let key = sha256_hex(&spki);
    assert_eq!(
        reason(&stderr, "sources/watch/same.der", false),
        format!(
            "SPKI SHA-256 {key} is in sources/watch/same.der (incident watch, action known-interception), \
             but sources/demo/leaked.key puts it in incident demo with action block; a key has one \
             action, so the two incidents must agree"
        )
    );
}

#[test]
fn the_same_certificate_twice() {
    let case = Case::new();
    case.write("sources/demo/again.der", &case.root.der);
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    assert_eq!(
        reason(&stderr, "sources/demo/root.pem:1", false),
        format!(
            "certificate SHA-256 {} is in sources/demo/again.der and again in sources/demo/root.pem; \
             keep each certificate once",
            case.root.cert_hex()
        )
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_loop() {
    let case = Case::new();
    std::os::unix::fs::symlink("..", case.path("sources/demo/loop")).unwrap();
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/demo/loop", false),
        &[
            "symbolic link loop",
            "leads back to sources",
            "already being read",
        ],
    );
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt as _;
    let case = Case::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.pem");
    std::fs::write(case.path("sources/demo").join(name), &case.root.pem).unwrap();
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources/demo/caf\u{fffd}.pem", false),
        &[
            "\"caf\u{fffd}.pem\" is not valid UTF-8",
            "use plain ASCII names",
        ],
    );
}

/// A link to a device that never ends, and a named pipe that would block the reader forever:
/// both refused by what they are, before anything opens them.
#[cfg(unix)]
#[test]
fn devices_and_named_pipes() {
    let case = Case::new();
    std::os::unix::fs::symlink("/dev/zero", case.path("sources/demo/zero.der")).unwrap();
    let fifo = case.path("sources/demo/pipe.pem");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let stderr = case.refused(&[]);
    assert_count(&stderr, if made { 2 } else { 1 });
    let expected = "not a regular file (a device, named pipe or socket, or a link to one); sources/ holds \
                    only files and folders";
    assert_eq!(reason(&stderr, "sources/demo/zero.der", false), expected);
    if made {
        assert_eq!(reason(&stderr, "sources/demo/pipe.pem", false), expected);
    }
}

#[test]
fn a_file_over_the_default_size_limit() {
    let case = Case::new();
    // A real certificate, padded with text after the block to one byte over 1 MiB.
    let mut text = case.root.pem.clone().into_bytes();
    text.extend(std::iter::repeat_n(b'.', 1024 * 1024 + 1 - text.len()));
    case.write("sources/demo/huge.pem", &text);
    let stderr = case.refused(&[]);
    assert_count(&stderr, 1);
    assert_eq!(
        reason(&stderr, "sources/demo/huge.pem", false),
        "the file is 1048577 bytes, more than the limit of 1048576 bytes per file"
    );
}

#[test]
fn a_smaller_size_limit_is_configurable() {
    let case = Case::new();
    let size = std::fs::metadata(case.path("sources/demo/root.pem"))
        .unwrap()
        .len();
    let limit = size - 1;
    assert!(
        std::fs::metadata(case.path("sources/demo/leaked.key"))
            .unwrap()
            .len()
            <= limit
    );
    assert!(
        std::fs::metadata(case.path("sources/demo/incident.json"))
            .unwrap()
            .len()
            <= limit
    );
    let stderr = case.refused(&["--max-file-bytes", &limit.to_string()]);
    assert_count(&stderr, 1);
    assert_eq!(
        reason(&stderr, "sources/demo/root.pem", false),
        format!("the file is {size} bytes, more than the limit of {limit} bytes per file")
    );
}

#[test]
fn certificates_per_file_limit_is_configurable() {
    let case = Case::new();
    let bundle = format!(
        "{}{}{}",
        make("a.test").pem,
        make("b.test").pem,
        make("c.test").pem
    );
    case.write("sources/demo/bundle.pem", bundle);
    let stderr = case.refused(&["--max-certificates-per-file", "2"]);
    assert_count(&stderr, 1);
    assert_eq!(
        reason(&stderr, "sources/demo/bundle.pem", false),
        "the file holds 3 PEM blocks, more than the limit of 2 per file"
    );
}

#[test]
fn entries_limit_is_configurable() {
    let case = Case::new();
    // The good tree has two keys: a limit of one refuses it; the default takes it.
    let stderr = case.refused(&["--max-entries", "1"]);
    assert_count(&stderr, 1);
    has(
        reason(&stderr, "sources", false),
        &["more keys than the limit of 1 entries"],
    );
}

#[test]
fn several_bad_inputs_in_one_run_are_all_reported() {
    let case = Case::new();
    let secret = rcgen::KeyPair::generate().unwrap();
    case.write("sources/demo/empty.der", "");
    case.write("sources/demo/oops.pem", secret.serialize_pem());
    let mut tail = case.root.der.clone();
    tail.push(0);
    case.write("sources/demo/tail.der", tail);
    case.write("sources/demo/again.der", &case.root.der);
    case.write("sources/quiet/incident.json", incident_json("block"));
    broken_incident(
        &case,
        "{\"title\": \"T\", \"category\": \"test\", \"action\": \"burn\", \"summary\": \"S\"}",
    );
    case.write("sources/known/incident.json", incident_json("block"));
    case.write(
        "sources/known/facts.json",
        "{\"records\": [{\"spki_sha256\": \"abc\"}]}",
    );
    case.write(
        "sources/orphan/k.key",
        rcgen::KeyPair::generate().unwrap().public_key_pem(),
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink("..", case.path("sources/demo/loop")).unwrap();
    let stderr = case.refused(&[]);
    let expected_count = if cfg!(unix) { 9 } else { 8 };
    assert_count(&stderr, expected_count);
    has(
        reason(&stderr, "sources/broken/incident.json:1", true),
        &["`burn`"],
    );
    has(reason(&stderr, "sources/demo/empty.der", false), &["empty"]);
    has(
        reason(&stderr, "sources/demo/oops.pem:1", false),
        &["must never be committed"],
    );
    has(
        reason(&stderr, "sources/demo/tail.der", false),
        &["1 trailing byte after the certificate"],
    );
    has(
        reason(&stderr, "sources/demo/root.pem:1", false),
        &["keep each certificate once"],
    );
    has(
        reason(&stderr, "sources/known/facts.json:1", true),
        &["64 hex digits"],
    );
    has(
        reason(&stderr, "sources/orphan", false),
        &["no incident.json"],
    );
    has(reason(&stderr, "sources/quiet", false), &["no evidence"]);
    #[cfg(unix)]
    has(
        reason(&stderr, "sources/demo/loop", false),
        &["symbolic link loop"],
    );
    // Sorted by path, so a person can work down the list.
    let paths: Vec<&str> = errors(&stderr)
        .iter()
        .map(|l| l.split(':').nth(1).unwrap().trim())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
}

// ---------------------------------------------------------------------------------------------
// Odd but valid: taken, with a warning where a person should look.

/// Runs `generate`, asserts success, and returns stderr and the list written.
fn accepted(case: &Case) -> (String, Blocklist) {
    let out = certblock(case.dir.path(), &["generate"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "expected success:\n{stderr}");
    let list = Blocklist::read(&case.path("generated/blocklist.json")).unwrap();
    let check = certblock(case.dir.path(), &["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    (stderr, list)
}

/// The `warning:` lines about `path`.
fn warnings_about<'a>(stderr: &'a str, path: &str) -> Vec<&'a str> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("warning: "))
        .filter(|l| l.starts_with(&format!("{path}:")) || l.starts_with(&format!("{path}#")))
        .collect()
}

/// Asserts the list holds the key `spki_der` with action block, with evidence from `file`.
fn assert_listed(list: &Blocklist, spki_der: &[u8], file: &str, kind: EvidenceKind) {
    let key = Sha256Hash::digest(spki_der);
    let entry = list
        .entry(&key)
        .unwrap_or_else(|| panic!("SPKI SHA-256 {key} is not listed"));
    assert_eq!(entry.action, Action::Block);
    assert!(
        entry
            .evidence
            .iter()
            .any(|e| e.file == file && e.kind == kind),
        "no {kind:?} evidence from {file} for {key}"
    );
}

#[test]
fn negative_and_zero_serials_are_taken_with_a_warning() {
    let case = Case::new();
    let negative = support::with_serial("negative.test", &[0x92, 0x34, 0x56, 0x78]);
    let zero = support::with_serial("zero.test", &[0x00]);
    case.write("sources/demo/negative.der", &negative.der);
    case.write("sources/demo/zero.pem", &zero.pem);
    let (stderr, list) = accepted(&case);
    assert_listed(
        &list,
        &negative.spki_der(),
        "demo/negative.der",
        EvidenceKind::Certificate,
    );
    assert_listed(
        &list,
        &zero.spki_der(),
        "demo/zero.pem",
        EvidenceKind::Certificate,
    );
    let entry = list
        .entry(&Sha256Hash::digest(&negative.spki_der()))
        .unwrap();
    assert_eq!(
        entry.evidence[0].serial.as_ref().unwrap().to_hex(),
        "92345678"
    );
    assert_eq!(
        warnings_about(&stderr, "sources/demo/negative.der"),
        ["sources/demo/negative.der: warning: the serial number 92345678 is negative or zero"]
    );
    assert_eq!(
        warnings_about(&stderr, "sources/demo/zero.pem"),
        ["sources/demo/zero.pem: warning: the serial number 00 is negative or zero"]
    );
}

#[test]
fn a_version_1_certificate_is_taken_with_a_warning() {
    let case = Case::new();
    let v1 = support::version1("v1.test");
    case.write("sources/demo/v1.pem", &v1.pem);
    let (stderr, list) = accepted(&case);
    assert_listed(
        &list,
        &v1.spki_der(),
        "demo/v1.pem",
        EvidenceKind::Certificate,
    );
    assert_eq!(
        warnings_about(&stderr, "sources/demo/v1.pem"),
        ["sources/demo/v1.pem: warning: a version 1 certificate (no extensions)"]
    );
}

/// An expired certificate is taken without a warning: nearly every certificate on a blocklist
/// has expired (blocking outlives validity: clients with wrong clocks, and roots whose expiry is
/// not enforced, still meet it), so a warning would fire on most evidence and teach people to
/// ignore warnings. Its validity is recorded in the evidence for reviewers.
#[test]
fn an_expired_certificate_is_taken() {
    let case = Case::new();
    let expired = make_with("expired.test", |p| {
        p.not_before = rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = rcgen::date_time_ymd(2001, 1, 1);
    });
    case.write("sources/demo/expired.crt", &expired.der);
    let (stderr, list) = accepted(&case);
    assert_listed(
        &list,
        &expired.spki_der(),
        "demo/expired.crt",
        EvidenceKind::Certificate,
    );
    let entry = list
        .entry(&Sha256Hash::digest(&expired.spki_der()))
        .unwrap();
    assert_eq!(
        entry.evidence[0].not_after.unwrap().to_string(),
        "2001-01-01T00:00:00Z"
    );
    assert!(
        warnings_about(&stderr, "sources/demo/expired.crt").is_empty(),
        "{stderr}"
    );
}

#[test]
fn dsa_and_unusual_key_types_are_taken_with_a_warning() {
    let case = Case::new();
    let mut rng = Rng::new(0x5eed_0006);
    // A certificate carrying a DSA key (an rcgen certificate with its SPKI replaced, see
    // support::dsa_spki), a bare DSA key, and a bare key of an algorithm ingest does
    // not know (GOST R 34.10-2012, 256 bits).
    let dsa_in_cert = support::dsa_spki(&mut rng);
    let dsa_cert = support::certificate_with_spki("dsa.test", &dsa_in_cert);
    let dsa_bare = support::dsa_spki(&mut rng);
    let gost = der::sequence(&[
        der::sequence(&[
            der::oid("1.2.643.7.1.1.1.1"),
            der::sequence(&[der::oid("1.2.643.7.1.2.1.1.1")]),
        ]),
        der::bit_string(&der::tlv(0x04, &rng.bytes(64))),
    ]);
    case.write("sources/demo/dsa-cert.der", &dsa_cert);
    case.write("sources/demo/dsa.pub", pem("PUBLIC KEY", &dsa_bare));
    case.write("sources/demo/gost.der", &gost);
    let (stderr, list) = accepted(&case);
    assert_listed(
        &list,
        &dsa_in_cert,
        "demo/dsa-cert.der",
        EvidenceKind::Certificate,
    );
    assert_listed(&list, &dsa_bare, "demo/dsa.pub", EvidenceKind::PublicKey);
    assert_listed(&list, &gost, "demo/gost.der", EvidenceKind::PublicKey);
    let unusual = |a: &str| format!("warning: unusual key type {a} (not RSA, EC or Ed25519)");
    assert_eq!(
        warnings_about(&stderr, "sources/demo/dsa-cert.der"),
        [format!("sources/demo/dsa-cert.der: {}", unusual("DSA"))]
    );
    assert_eq!(
        warnings_about(&stderr, "sources/demo/dsa.pub"),
        [format!("sources/demo/dsa.pub: {}", unusual("DSA"))]
    );
    assert_eq!(
        warnings_about(&stderr, "sources/demo/gost.der"),
        [format!(
            "sources/demo/gost.der: {}",
            unusual("OID 1.2.643.7.1.1.1.1")
        )]
    );
}

/// Text before the block (as `openssl x509 -text` writes it, and as Chromium's own blocklist
/// files are) is the documented form: taken without a warning.
#[test]
fn pem_with_text_before_the_block_is_taken() {
    let case = Case::new();
    let made = make("text.test");
    let text = format!(
        "Certificate:\n    Data:\n        Version: 3 (0x2)\n        Subject: CN=text.test\n{}",
        made.pem
    );
    case.write("sources/demo/described.pem", text);
    let (stderr, list) = accepted(&case);
    assert_listed(
        &list,
        &made.spki_der(),
        "demo/described.pem",
        EvidenceKind::Certificate,
    );
    assert!(
        warnings_about(&stderr, "sources/demo/described.pem").is_empty(),
        "{stderr}"
    );
}

#[test]
fn crlf_line_endings_are_taken() {
    let case = Case::new();
    let made = make("crlf.test");
    let key = rcgen::KeyPair::generate().unwrap();
    case.write("sources/demo/crlf.pem", made.pem.replace('\n', "\r\n"));
    case.write(
        "sources/demo/crlf.key",
        key.public_key_pem().replace('\n', "\r\n"),
    );
    let (stderr, list) = accepted(&case);
    assert_listed(
        &list,
        &made.spki_der(),
        "demo/crlf.pem",
        EvidenceKind::Certificate,
    );
    use rcgen::PublicKeyData as _;
    assert_listed(
        &list,
        &key.subject_public_key_info(),
        "demo/crlf.key",
        EvidenceKind::PublicKey,
    );
    assert!(!stderr.contains("warning:"), "{stderr}");
}

#[test]
fn a_file_at_exactly_the_size_limit_is_taken() {
    let case = Case::new();
    let size = std::fs::metadata(case.path("sources/demo/root.pem"))
        .unwrap()
        .len();
    let out = certblock(
        case.dir.path(),
        &["generate", "--max-file-bytes", &size.to_string()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
