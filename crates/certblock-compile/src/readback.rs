//! Reads every emitted file back and compares it with the list: the "nothing lost" check that
//! [`crate::compile`] runs before anything is written.
//!
//! The browser formats are read with their readers in `certblock-formats`; the Rust table and the
//! Chromium `.inc` with the small readers here, which also serve the tests.

use std::collections::{BTreeMap, BTreeSet};

use certblock_formats::{certdata, crlset, onecrl};
use certblock_list::{Action, Blocklist};

use crate::GeneratedFile;

/// One key as the Rust table holds it: (SPKI SHA-256, `Action` variant name, incident id).
pub type RustTableEntry = ([u8; 32], String, String);

/// Reads the keys, actions and incidents of `spki_blocklist.rs`.
pub fn read_rust_table(text: &str) -> Result<Vec<RustTableEntry>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("*b\"") {
        rest = &rest[at + 3..];
        let end = rest.find('"').ok_or("unterminated byte string")?;
        let literal = &rest[..end];
        let mut key = [0u8; 32];
        let parts: Vec<&str> = literal.split("\\x").skip(1).collect();
        if parts.len() != 32 || !literal.starts_with("\\x") {
            return Err(format!(
                "a key literal does not hold 32 \\x bytes: {literal:?}"
            ));
        }
        for (slot, hex) in key.iter_mut().zip(parts) {
            *slot =
                u8::from_str_radix(hex, 16).map_err(|_| format!("bad byte {hex:?} in a key"))?;
        }
        rest = &rest[end + 1..];
        let value = rest
            .strip_prefix(", BlockedSpki { action: Action::")
            .ok_or("a key is not followed by its BlockedSpki value")?;
        let action_end = value.find(',').ok_or("unterminated action")?;
        let action = value[..action_end].to_string();
        let incident = value[action_end..]
            .strip_prefix(", incident: \"")
            .and_then(|v| v.split_once('"'))
            .map(|(id, _)| id.to_string())
            .ok_or("a value has no incident")?;
        out.push((key, action, incident));
    }
    Ok(out)
}

/// The keys of one array of a Chromium `.inc`, in file order.
pub type IncArray = Vec<[u8; 32]>;

/// Reads the two arrays of a Chromium `.inc`: (block list, known-interception list).
pub fn read_chromium_inc(text: &str) -> Result<(IncArray, IncArray), String> {
    let array = |name: &str| -> Result<IncArray, String> {
        let head = format!("{name}[][crypto::kSHA256Length] = {{");
        let start = text.find(&head).ok_or(format!("no array {name}"))? + head.len();
        let body = &text[start..];
        let body = &body[..body
            .find("\n};")
            .ok_or(format!("array {name} is not closed"))?];
        let mut bytes: Vec<u8> = Vec::with_capacity(body.len() / 7);
        for line in body.lines() {
            if !line.trim_start().starts_with("//") {
                read_hex_tokens(line, &mut bytes).map_err(|h| format!("bad byte {h} in {name}"))?;
            }
        }
        if bytes.len() % 32 != 0 {
            return Err(format!(
                "array {name} holds {} bytes, not a multiple of 32",
                bytes.len()
            ));
        }
        Ok(bytes
            .chunks(32)
            .map(|c| c.try_into().expect("32-byte chunk"))
            .collect())
    };
    Ok((array("kSPKIBlockList")?, array("kKnownInterceptionList")?))
}

/// Appends the value of every `0x..` token of `line` (a token is a run of ASCII letters and
/// digits) to `out`; a `0x` token that is not one byte in hex is returned as the error.
fn read_hex_tokens<'a>(line: &'a str, out: &mut Vec<u8>) -> Result<(), &'a str> {
    let bytes = line.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_alphanumeric() {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_alphanumeric() {
            at += 1;
        }
        if let Some(hex) = line[start..at].strip_prefix("0x") {
            match (hex.len(), u8::from_str_radix(hex, 16)) {
                (1 | 2, Ok(value)) => out.push(value),
                _ => return Err(&line[start..at]),
            }
        }
    }
    Ok(())
}

fn variant(action: Action) -> &'static str {
    match action {
        Action::Block => "Block",
        Action::KnownInterception => "KnownInterception",
        Action::BlockedInterception => "BlockedInterception",
    }
}

/// Either form of the Rust table: the phf form alone, or the sorted form with the binary it
/// includes (found among `files`).
fn verify_rust_table_any(list: &Blocklist, text: &str, files: &[GeneratedFile]) -> Vec<String> {
    if !crate::sorted_table::is_sorted_form(text) {
        return verify_rust_table(list, text);
    }
    match files.iter().find(|f| f.name == crate::RUST_TABLE_BIN_FILE) {
        None => vec![format!(
            "includes {} but compile emits no such file",
            crate::RUST_TABLE_BIN_FILE
        )],
        Some(bin) => match crate::sorted_table::read(text, &bin.bytes) {
            Ok(read) => compare_rust_table(list, read),
            Err(e) => vec![e],
        },
    }
}

fn verify_rust_table(list: &Blocklist, text: &str) -> Vec<String> {
    match read_rust_table(text) {
        Ok(read) => compare_rust_table(list, read),
        Err(e) => vec![e],
    }
}

fn compare_rust_table(list: &Blocklist, mut read: Vec<RustTableEntry>) -> Vec<String> {
    // Sorted by key, the table walks alongside the list (also sorted): no map of a million keys.
    read.sort_unstable_by_key(|entry| entry.0);
    let mut problems = Vec::new();
    let mut found = read.iter().peekable();
    let mut distinct = 0;
    for entry in &list.entries {
        let key = entry.spki_sha256.0;
        while found.next_if(|(k, _, _)| *k < key).is_some() {
            distinct += 1;
        }
        match found.next_if(|(k, _, _)| *k == key) {
            None => problems.push(format!("SPKI SHA-256 {} is missing", entry.spki_sha256)),
            Some((_, action, incident)) => {
                distinct += 1;
                let want = (variant(entry.action), entry.primary_incident().as_str());
                if (action.as_str(), incident.as_str()) != want {
                    problems.push(format!(
                        "SPKI SHA-256 {} reads back as {:?}, not {:?}",
                        entry.spki_sha256,
                        (action, incident),
                        want
                    ));
                }
                // The same key again is not a second entry.
                while found.next_if(|(k, _, _)| *k == key).is_some() {}
            }
        }
    }
    distinct += found.count();
    if distinct != list.entries.len() {
        problems.push(format!(
            "holds {distinct} keys, the list {}",
            list.entries.len()
        ));
    }
    problems
}

fn verify_chromium_inc(list: &Blocklist, text: &str) -> Vec<String> {
    let (blocked, intercepting) = match read_chromium_inc(text) {
        Ok(read) => read,
        Err(e) => return vec![e],
    };
    let keys = |pred: fn(Action) -> bool| -> Vec<[u8; 32]> {
        list.entries
            .iter()
            .filter(|e| pred(e.action))
            .map(|e| e.spki_sha256.0)
            .collect()
    };
    let mut problems = Vec::new();
    for (name, got, want) in [
        ("kSPKIBlockList", blocked, keys(Action::is_blocked)),
        (
            "kKnownInterceptionList",
            intercepting,
            keys(Action::is_known_interception),
        ),
    ] {
        if got != want {
            let got: BTreeSet<_> = got.into_iter().collect();
            let want: BTreeSet<_> = want.into_iter().collect();
            let missing = want.difference(&got).count();
            let extra = got.difference(&want).count();
            problems.push(format!(
                "{name} differs from the list ({missing} missing, {extra} extra, or out of order)"
            ));
        }
    }
    problems
}

fn verify_markdown(list: &Blocklist, text: &str) -> Vec<String> {
    // One pass over the headings, then one lookup per entry: linear in the size of the list.
    let mut headings: BTreeMap<&str, usize> = BTreeMap::new();
    for line in text.lines() {
        if let Some(hex) = line
            .strip_prefix("#### SPKI SHA-256 `")
            .and_then(|l| l.strip_suffix('`'))
        {
            *headings.entry(hex).or_default() += 1;
        }
    }
    list.entries
        .iter()
        .filter(|e| {
            headings
                .get(e.spki_sha256.to_hex().as_str())
                .copied()
                .unwrap_or(0)
                != e.incidents.len()
        })
        .map(|e| {
            format!(
                "SPKI SHA-256 {} is not listed once under each of its incidents",
                e.spki_sha256
            )
        })
        .collect()
}

/// Reads every file back and returns every discrepancy, each prefixed with the file's name.
pub fn verify_all(list: &Blocklist, files: &[GeneratedFile]) -> Vec<String> {
    use rayon::prelude::*;

    // Each file is read back on its own (in parallel); problems keep the files' order.
    let per_file: Vec<Vec<String>> = files
        .par_iter()
        .map(|file| verify_one(list, file, files))
        .collect();
    per_file.into_iter().flatten().collect()
}

/// Reads one file back; `files` is every file of the run (the sorted Rust table is read with its
/// binary).
fn verify_one(list: &Blocklist, file: &GeneratedFile, files: &[GeneratedFile]) -> Vec<String> {
    // The text files are read where they lie, without a copy.
    let text = || std::str::from_utf8(&file.bytes).map_err(|e| vec![format!("is not UTF-8: {e}")]);
    let found: Vec<String> = match file.name {
        crate::LIST_FILE => match text().map(|t| list.equals_json(t)) {
            Err(problems) => problems,
            Ok(Ok(true)) => vec![],
            Ok(Ok(false)) => vec!["reads back as a different list".to_string()],
            Ok(Err(e)) => vec![e.to_string()],
        },
        crate::RUST_TABLE_FILE => text()
            .map(|t| verify_rust_table_any(list, t, files))
            .unwrap_or_else(|p| p),
        crate::RUST_TABLE_BIN_FILE => crate::sorted_table::verify_bin(list, &file.bytes),
        crate::CHROMIUM_INC_FILE => text()
            .map(|t| verify_chromium_inc(list, t))
            .unwrap_or_else(|p| p),
        crate::MARKDOWN_FILE => text()
            .map(|t| verify_markdown(list, t))
            .unwrap_or_else(|p| p),
        crate::CRLSET_FILE => crlset::verify(list, &file.bytes).err().unwrap_or_default(),
        crate::CERTDATA_FILE => certdata::verify(list, &file.bytes)
            .err()
            .unwrap_or_default(),
        crate::ONECRL_FILE => onecrl::verify(list, &file.bytes).err().unwrap_or_default(),
        crate::SNAPSHOT_FILE => crate::snapshot::verify(list, &file.bytes)
            .err()
            .unwrap_or_default(),
        other => vec![format!(
            "compile emits {other} but has no reader for it: add one in \
             crates/certblock-compile/src/readback.rs"
        )],
    };
    found
        .into_iter()
        .map(|p| format!("{}: {p}", file.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use certblock_list::{
        Base64Bytes, Category, Entry, Evidence, EvidenceKind, Incident, IncidentId, Sha256Hash,
    };

    /// A list of `n` bare keys in one incident with `action`.
    fn list(n: u8, action: Action) -> Blocklist {
        let id: IncidentId = "sample".parse().unwrap();
        let mut entries: Vec<Entry> = (0..n)
            .map(|i| {
                let spki = vec![0x30, i];
                let mut ev = Evidence::new(
                    id.clone(),
                    format!("sample/{i}.key"),
                    None,
                    EvidenceKind::PublicKey,
                );
                ev.public_key = Some(Base64Bytes(spki.clone()));
                Entry {
                    spki_sha256: Sha256Hash::digest(&spki),
                    action,
                    incidents: vec![id.clone()],
                    distrust_after: None,
                    evidence: vec![ev],
                }
            })
            .collect();
        entries.sort_by_key(|e| e.spki_sha256);
        Blocklist {
            sequence: 1,
            source_digest: Sha256Hash::digest(b""),
            incidents: vec![Incident {
                id,
                title: "Sample".into(),
                category: Category::Test,
                action,
                added: None,
                distrust_after: None,
                references: vec![],
                summary: "A sample.".into(),
            }],
            entries,
        }
    }

    #[test]
    fn a_correct_run_reads_back_clean_and_the_manifest_accounts_for_left_out_entries() {
        let list = list(5, Action::BlockedInterception);
        let files = crate::compile(&list).unwrap();
        assert!(verify_all(&list, &files[..files.len() - 1]).is_empty());
        let manifest: serde_json::Value =
            serde_json::from_slice(&files.last().unwrap().bytes).unwrap();
        // Bare keys cannot be NSS trust objects: all five are accounted for, with a reason.
        let certdata = manifest["formats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"] == "certdata.txt")
            .unwrap();
        assert_eq!(certdata["expressed"], 0);
        let groups = certdata["not_expressible"].as_array().unwrap();
        assert_eq!(groups.len(), 1, "one reason for all five: {groups:?}");
        assert_eq!(groups[0]["count"], 5);
        assert_eq!(groups[0]["spki_sha256"].as_array().unwrap().len(), 5);
        assert!(
            groups[0]["reason"].as_str().unwrap().contains("key"),
            "{groups:?}"
        );
        assert_eq!(manifest["counts"]["blocked-interception"], 5);
    }

    #[test]
    fn a_distrust_date_no_format_can_carry_is_reported_not_hidden() {
        let mut list = list(2, Action::Block);
        let after: certblock_list::Timestamp = "2020-01-01T00:00:00Z".parse().unwrap();
        list.incidents[0].distrust_after = Some(after);
        for entry in &mut list.entries {
            entry.distrust_after = Some(after);
        }
        let files = crate::compile(&list).unwrap();
        let manifest: serde_json::Value =
            serde_json::from_slice(&files.last().unwrap().bytes).unwrap();
        let dateless: Vec<&str> = manifest["formats"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["blocked_without_date"]
                    .as_array()
                    .is_some_and(|a| a.len() == 1 && a[0]["count"] == 2)
            })
            .map(|f| f["file"].as_str().unwrap())
            .collect();
        // Bare keys are not expressible at all in certdata.txt and OneCRL, so only these two
        // carry the keys without their date; the Rust table and the snapshot carry the date.
        assert_eq!(dateless, [crate::CHROMIUM_INC_FILE, crate::CRLSET_FILE]);
        let inc = &files
            .iter()
            .find(|f| f.name == crate::CHROMIUM_INC_FILE)
            .unwrap()
            .bytes;
        assert_eq!(
            String::from_utf8_lossy(inc)
                .matches("distrust_after 2020-01-01T00:00:00Z")
                .count(),
            2
        );
    }

    #[test]
    fn hex_tokens_are_read_and_bad_ones_named() {
        let mut out = Vec::new();
        read_hex_tokens("    {0x00, 0xff, 0xA,x0x1 0x7f},", &mut out).unwrap();
        assert_eq!(out, [0x00, 0xff, 0x0a, 0x7f]);
        assert_eq!(read_hex_tokens("{0x100}", &mut out), Err("0x100"));
        assert_eq!(read_hex_tokens("0x, 0x01", &mut out), Err("0x"));
        assert_eq!(read_hex_tokens("0xg1", &mut out), Err("0xg1"));
    }

    #[test]
    fn readers_see_what_the_emitters_wrote() {
        let list = list(3, Action::BlockedInterception);
        let table = read_rust_table(&crate::rust_table::render(&list)).unwrap();
        assert_eq!(table.len(), 3);
        assert!(
            table.iter().all(
                |(_, action, incident)| action == "BlockedInterception" && incident == "sample"
            )
        );
        let (blocked, intercepting) =
            read_chromium_inc(&crate::chromium_inc::render(&list)).unwrap();
        let keys: Vec<[u8; 32]> = list.entries.iter().map(|e| e.spki_sha256.0).collect();
        assert_eq!((blocked, intercepting), (keys.clone(), keys));
    }

    #[test]
    fn a_file_that_drops_or_alters_an_entry_is_caught() {
        let list = list(4, Action::Block);
        let mut files = crate::compile(&list).unwrap();
        files.pop(); // the manifest has no reader of its own
        let victim = list.entries[2].spki_sha256;
        let hex_bytes: String = victim.0.iter().map(|b| format!("\\x{b:02x}")).collect();
        for file in files.iter_mut() {
            match file.name {
                crate::RUST_TABLE_FILE => {
                    let text = String::from_utf8(file.bytes.clone()).unwrap();
                    let mut flipped = hex_bytes.clone();
                    flipped.replace_range(2..4, if &hex_bytes[2..4] == "00" { "01" } else { "00" });
                    file.bytes = text.replace(&hex_bytes, &flipped).into_bytes();
                }
                crate::CHROMIUM_INC_FILE => {
                    let text = String::from_utf8(file.bytes.clone()).unwrap();
                    let first = format!("{{0x{:02x}, 0x{:02x},", victim.0[0], victim.0[1]);
                    file.bytes = text.replacen(&first, "{0x00, 0x00,", 1).into_bytes();
                }
                crate::MARKDOWN_FILE => {
                    let text = String::from_utf8(file.bytes.clone()).unwrap();
                    file.bytes = text
                        .replace(&format!("#### SPKI SHA-256 `{victim}`"), "#### gone")
                        .into_bytes();
                }
                _ => {}
            }
        }
        let problems = verify_all(&list, &files);
        for name in [
            crate::RUST_TABLE_FILE,
            crate::CHROMIUM_INC_FILE,
            crate::MARKDOWN_FILE,
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(name)),
                "{name} not caught: {problems:?}"
            );
        }
        assert_eq!(problems.len(), 3, "{problems:?}"); // one per damaged file, nothing else
    }
}
