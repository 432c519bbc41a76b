//! `cert_verify_proc_blocklist.inc`: the two arrays of Chromium's `net/cert` blocklist.
//!
//! `block` and `blocked-interception` keys go into `kSPKIBlockList`; `known-interception` and
//! `blocked-interception` keys into `kKnownInterceptionList`. Both arrays are sorted ascending
//! (Chromium's own file is not), so callers may `std::binary_search` them.

use std::borrow::Cow;
use std::fmt::Write as _;

use certblock_list::{Blocklist, Entry, GENERATED_NOTICE};

use crate::text::{comment_safe, summary_counts};

/// Bytes per line, as in Chromium's file.
const BYTES_PER_LINE: usize = 11;

/// One key of an array: a comment line per distinct evidence name, then its 32 bytes.
fn write_key(out: &mut String, entry: &Entry) {
    let mut previous: Option<Cow<'_, str>> = None;
    for ev in &entry.evidence {
        let name = ev.display_name();
        if previous.as_ref() != Some(&name) {
            out.push_str("    // ");
            out.push_str(&comment_safe(&name));
            out.push('\n');
        }
        previous = Some(name);
    }
    if let Some(after) = entry.distrust_after {
        writeln!(
            out,
            "    // distrust_after {after}: this array cannot carry the date; the key is blocked for all certificates"
        )
        .unwrap();
    }
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let bytes = entry.spki_sha256.as_bytes();
    // Each line is built in a buffer and appended once: a million keys are 3 million lines.
    let mut line = [0u8; 5 + 6 * BYTES_PER_LINE + 2];
    for (i, chunk) in bytes.chunks(BYTES_PER_LINE).enumerate() {
        line[..5].copy_from_slice(if i == 0 { b"    {" } else { b"     " });
        let mut len = 5;
        for (j, b) in chunk.iter().enumerate() {
            if j > 0 {
                line[len..len + 2].copy_from_slice(b", ");
                len += 2;
            }
            line[len..len + 4].copy_from_slice(&[
                b'0',
                b'x',
                DIGITS[usize::from(b >> 4)],
                DIGITS[usize::from(b & 15)],
            ]);
            len += 4;
        }
        let end: &[u8] = if (i + 1) * BYTES_PER_LINE >= bytes.len() {
            b"},\n"
        } else {
            b",\n"
        };
        line[len..len + end.len()].copy_from_slice(end);
        len += end.len();
        out.push_str(std::str::from_utf8(&line[..len]).expect("the line is ASCII"));
    }
}

fn write_array(out: &mut String, name: &str, entries: &[&Entry]) {
    writeln!(
        out,
        "static constexpr uint8_t {name}[][crypto::kSHA256Length] = {{"
    )
    .unwrap();
    // Room for a typical key up front: a million keys are not copied as the text grows.
    out.reserve(240 * entries.len());
    for entry in entries {
        write_key(out, entry);
    }
    out.push_str("};\n");
}

/// Renders the whole file.
pub(crate) fn render(list: &Blocklist) -> String {
    let blocked: Vec<&Entry> = list
        .entries
        .iter()
        .filter(|e| e.action.is_blocked())
        .collect();
    let intercepting: Vec<&Entry> = list
        .entries
        .iter()
        .filter(|e| e.action.is_known_interception())
        .collect();
    let mut out = String::new();
    writeln!(out, "// {GENERATED_NOTICE}").unwrap();
    writeln!(out, "//").unwrap();
    writeln!(
        out,
        "// The certblock blocklist in Chromium's syntax: {}.",
        summary_counts(list)
    )
    .unwrap();
    writeln!(
        out,
        "// List sequence {}. Each array is sorted ascending; each key is the SHA-256 of a",
        list.sequence
    )
    .unwrap();
    writeln!(
        out,
        "// DER SubjectPublicKeyInfo, preceded by one comment line per piece of evidence."
    )
    .unwrap();
    writeln!(out).unwrap();
    writeln!(
        out,
        "// {} keys: block and blocked-interception.",
        blocked.len()
    )
    .unwrap();
    write_array(&mut out, "kSPKIBlockList", &blocked);
    writeln!(out).unwrap();
    writeln!(
        out,
        "// {} keys: known-interception and blocked-interception.",
        intercepting.len()
    )
    .unwrap();
    write_array(&mut out, "kKnownInterceptionList", &intercepting);
    out
}
