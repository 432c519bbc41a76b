//! Malformed inputs: each reader refuses them with a located, plain-words error, and no input
//! makes a reader panic.

mod common;

use certblock_formats::{FormatError, certdata, crlset, detect, onecrl};
use proptest::prelude::*;

fn crlset_err(bytes: &[u8]) -> (usize, String) {
    match crlset::read(bytes) {
        Err(FormatError::CrlSet { offset, problem }) => (offset, problem),
        other => panic!("expected a CRLSet error, got {other:?}"),
    }
}

fn with_header(json: &str) -> Vec<u8> {
    let mut out = (json.len() as u16).to_le_bytes().to_vec();
    out.extend_from_slice(json.as_bytes());
    out
}

const ONE_PARENT: &str = r#"{"Version":0,"ContentType":"CRLSet","Sequence":1,"NumParents":1}"#;

#[test]
fn crlset_truncated() {
    let (offset, problem) = crlset_err(&[0x05]);
    assert_eq!(offset, 0);
    assert!(problem.contains("truncated"), "{problem}");
    // A parent cut inside its SPKI SHA-256.
    let mut bytes = with_header(ONE_PARENT);
    let at = bytes.len();
    bytes.extend_from_slice(&[0xaa; 20]);
    let (offset, problem) = crlset_err(&bytes);
    assert_eq!(offset, at);
    assert!(
        problem.contains("needs 32 bytes but only 20 are left"),
        "{problem}"
    );
    let shown = crlset::read(&bytes).unwrap_err().to_string();
    assert!(
        shown.starts_with(&format!("not a readable CRLSet: at byte {at}:")),
        "{shown}"
    );
}

#[test]
fn crlset_header_length_past_the_end() {
    let (offset, problem) = crlset_err(&[0xff, 0x00, b'{', b'}']);
    assert_eq!(offset, 0);
    assert!(
        problem.contains("header length is 255 bytes, past the end"),
        "{problem}"
    );
}

#[test]
fn crlset_bad_base64_in_header() {
    let json = r#"{"Version":0,"ContentType":"CRLSet","Sequence":1,"NumParents":0,"BlockedSPKIs":["not base64!"]}"#;
    let (offset, problem) = crlset_err(&with_header(json));
    assert_eq!(offset, 2);
    assert!(
        problem.contains("BlockedSPKIs[0]") && problem.contains("not valid base64"),
        "{problem}"
    );
    // Valid base64 of the wrong length is refused too.
    let json = r#"{"Version":0,"ContentType":"CRLSet","Sequence":1,"NumParents":0,"KnownInterceptionSPKIs":["AAAA"]}"#;
    let (_, problem) = crlset_err(&with_header(json));
    assert!(problem.contains("decodes to 3 bytes"), "{problem}");
}

#[test]
fn crlset_serial_length_past_the_end() {
    let mut bytes = with_header(ONE_PARENT);
    bytes.extend_from_slice(&[0xaa; 32]);
    bytes.extend_from_slice(&1u32.to_le_bytes());
    let at = bytes.len();
    bytes.extend_from_slice(&[10, 1, 2]);
    let (offset, problem) = crlset_err(&bytes);
    assert_eq!(offset, at);
    assert!(
        problem.contains("serial length of 10 bytes runs past the end"),
        "{problem}"
    );
}

#[test]
fn crlset_huge_serial_count_is_refused_without_allocating() {
    let mut bytes = with_header(ONE_PARENT);
    bytes.extend_from_slice(&[0xaa; 32]);
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&[1, 1]);
    let (_, problem) = crlset_err(&bytes);
    assert!(problem.contains("4294967295 serials"), "{problem}");
}

#[test]
fn crlset_bad_header_json_and_fields() {
    let (offset, problem) = crlset_err(&with_header("{\"Version\":0,}"));
    assert!(problem.contains("not valid JSON"), "{problem}");
    assert!(offset > 2 && offset <= 2 + 14, "{offset}");
    let (_, problem) = crlset_err(&with_header(
        r#"{"Version":0,"ContentType":"CRL","Sequence":1,"NumParents":0}"#,
    ));
    assert!(problem.contains("not \"CRLSet\""), "{problem}");
    let (_, problem) = crlset_err(&with_header(
        r#"{"Version":1,"ContentType":"CRLSet","Sequence":1,"NumParents":0}"#,
    ));
    assert!(problem.contains("only version 0"), "{problem}");
    let (_, problem) = crlset_err(&with_header(
        r#"{"Version":0,"ContentType":"CRLSet","NumParents":0}"#,
    ));
    assert!(problem.contains("no Sequence"), "{problem}");
    let (_, problem) = crlset_err(&with_header(r#"[1]"#));
    assert!(problem.contains("not an object"), "{problem}");
}

fn certdata_err(text: &str) -> (usize, String) {
    match certdata::read(text.as_bytes()) {
        Err(FormatError::CertData { line, problem }) => (line, problem),
        other => panic!("expected a certdata error, got {other:?}"),
    }
}

const OBJECT_START: &str = "# header\nBEGINDATA\nCKA_CLASS CK_OBJECT_CLASS CKO_NSS_BUILTIN_ROOT_LIST\nCKA_LABEL UTF8 \"x\"\n";

#[test]
fn certdata_octal_block_without_end() {
    let text = format!("{OBJECT_START}CKA_VALUE MULTILINE_OCTAL\n\\001\\002\n\\003\n");
    let (line, problem) = certdata_err(&text);
    assert_eq!(line, 5);
    assert!(problem.contains("CKA_VALUE has no END"), "{problem}");
}

#[test]
fn certdata_bad_octal_digit() {
    let text = format!("{OBJECT_START}CKA_VALUE MULTILINE_OCTAL\n\\001\\089\nEND\n");
    let (line, problem) = certdata_err(&text);
    assert_eq!(line, 6);
    assert!(
        problem.contains("\"\\\\089\" at column 5 is not an octal byte"),
        "{problem}"
    );
    // Over 255.
    let text = format!("{OBJECT_START}CKA_VALUE MULTILINE_OCTAL\n\\400\nEND\n");
    let (line, problem) = certdata_err(&text);
    assert_eq!(line, 6);
    assert!(problem.contains("over 377"), "{problem}");
}

#[test]
fn certdata_unknown_attribute_type() {
    let text = format!("{OBJECT_START}CKA_THING CK_MYSTERY CKM_VALUE\n");
    let (line, problem) = certdata_err(&text);
    assert_eq!(line, 5);
    assert!(problem.contains("type \"CK_MYSTERY\""), "{problem}");
    let shown = certdata::read(text.as_bytes()).unwrap_err().to_string();
    assert!(
        shown.starts_with("not a readable certdata.txt: line 5: attribute CKA_THING"),
        "{shown}"
    );
}

#[test]
fn certdata_object_without_class() {
    let text = format!("{OBJECT_START}\n# a comment\nCKA_LABEL UTF8 \"orphan\"\n");
    let (line, problem) = certdata_err(&text);
    assert_eq!(line, 7);
    assert!(problem.contains("outside any object"), "{problem}");
    let (line, _) = certdata_err("BEGINDATA\nCKA_TOKEN CK_BBOOL CK_TRUE\n");
    assert_eq!(line, 2);
}

#[test]
fn certdata_other_mistakes() {
    let (line, problem) = certdata_err("# only comments\n");
    assert_eq!(line, 1);
    assert!(problem.contains("no BEGINDATA"), "{problem}");
    let (line, problem) = certdata_err("junk\nBEGINDATA\n");
    assert_eq!(line, 1);
    assert!(problem.contains("before the data"), "{problem}");
    let (line, problem) = certdata_err(&format!("{OBJECT_START}CKA_LABEL UTF8 \"y\"\n"));
    assert_eq!(line, 5);
    assert!(problem.contains("given twice"), "{problem}");
    let (line, problem) = certdata_err(&format!("{OBJECT_START}CKA_ID UTF8 unquoted\n"));
    assert_eq!(line, 5);
    assert!(problem.contains("quoted"), "{problem}");
    let (line, problem) = certdata_err(
        "BEGINDATA\nCKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\nCKA_LABEL UTF8 \"c\"\n",
    );
    assert_eq!(line, 2);
    assert!(problem.contains("has no CKA_VALUE"), "{problem}");
    let (line, problem) = certdata_err("BEGINDATA\nCKA_CLASS CK_BBOOL CK_TRUE\n");
    assert_eq!(line, 2);
    assert!(problem.contains("CK_OBJECT_CLASS"), "{problem}");
    match certdata::read(b"BEGINDATA\n# \xff\n") {
        Err(FormatError::CertData { line: 2, problem }) => assert!(problem.contains("UTF-8")),
        other => panic!("{other:?}"),
    }
}

fn onecrl_err(text: &str) -> (usize, usize, String) {
    match onecrl::read(text.as_bytes()) {
        Err(FormatError::OneCrl {
            line,
            column,
            problem,
        }) => (line, column, problem),
        other => panic!("expected a OneCRL error, got {other:?}"),
    }
}

#[test]
fn onecrl_wrong_shape() {
    let (_, _, problem) = onecrl_err(r#"{"records": []}"#);
    assert!(problem.contains("missing field `data`"), "{problem}");
    let (line, column, problem) = onecrl_err("{\n  \"data\": {}\n}");
    assert_eq!((line, column), (2, 10));
    assert!(problem.contains("array of OneCRL records"), "{problem}");
    let (_, _, problem) = onecrl_err("[1, 2]");
    assert!(problem.contains("invalid type"), "{problem}");
    // Checked when the record ends: the position is just after it.
    let (line, _, problem) =
        onecrl_err("{\"data\": [\n{\"id\": \"a\", \"issuerName\": \"AAAA\"}\n]}");
    assert!((2..=3).contains(&line), "{line}");
    assert!(
        problem.contains("record \"a\" must have either issuerName and serialNumber"),
        "{problem}"
    );
    let (_, _, problem) =
        onecrl_err(r#"{"data": [{"issuerName": "AAAA", "serialNumber": "AQ=="}]}"#);
    assert!(problem.contains("missing field `id`"), "{problem}");
    let (_, _, problem) =
        onecrl_err(r#"{"data": [{"id": "b", "subject": "AAAA", "pubKeyHash": "AAAA"}]}"#);
    assert!(problem.contains("pubKeyHash is 3 bytes"), "{problem}");
    let (line, column, problem) = onecrl_err("");
    assert_eq!((line, column), (1, 0));
    assert!(problem.contains("EOF"), "{problem}");
}

#[test]
fn onecrl_bad_base64() {
    let text = "{\"data\": [\n  {\"id\": \"x\",\n   \"issuerName\": \"MBQx$$$\", \"serialNumber\": \"AQ==\"}\n]}";
    let (line, column, problem) = onecrl_err(text);
    assert_eq!(line, 3);
    assert_eq!(column, 26);
    assert!(
        problem.contains("\"MBQx$$$\" is not valid base64"),
        "{problem}"
    );
    let shown = onecrl::read(text.as_bytes()).unwrap_err().to_string();
    assert!(
        shown.starts_with("not a readable OneCRL file: line 3, column 26: "),
        "{shown}"
    );
}

fn mutate(
    mut bytes: Vec<u8>,
    edits: &[(prop::sample::Index, u8)],
    cut: Option<prop::sample::Index>,
) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    for (at, b) in edits {
        let i = at.index(bytes.len());
        bytes[i] = *b;
    }
    if let Some(cut) = cut {
        bytes.truncate(cut.index(bytes.len()));
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random bytes: every reader returns, never panics.
    #[test]
    fn readers_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = crlset::read(&bytes);
        let _ = certdata::read(&bytes);
        let _ = onecrl::read(&bytes);
        let _ = detect(&bytes);
    }

    /// Valid files with a few bytes changed or cut off: every reader returns, never panics, and
    /// what it accepts it can dump.
    #[test]
    fn readers_never_panic_on_damaged_files(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let list = common::sample_list();
        let bytes = match which {
            0 => crlset::render(&list).bytes,
            1 => certdata::render(&list).bytes,
            _ => onecrl::render(&list).bytes,
        };
        let damaged = mutate(bytes, &edits, cut);
        if let Ok(p) = crlset::read(&damaged) { let _ = crlset::dump(&p); }
        if let Ok(p) = certdata::read(&damaged) { let _ = certdata::dump(&p); }
        if let Ok(p) = onecrl::read(&damaged) { let _ = onecrl::dump(&p); }
        let _ = detect(&damaged);
        let _ = crlset::verify(&list, &damaged);
        let _ = certdata::verify(&list, &damaged);
        let _ = onecrl::verify(&list, &damaged);
    }
}
