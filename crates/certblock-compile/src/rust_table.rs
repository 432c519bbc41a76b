//! `spki_blocklist.rs`: the vendorable Rust table, a phf perfect-hash map built by phf_codegen.
//!
//! The file is self-contained: it declares its own `Action` and `BlockedSpki` types and needs
//! only the `phf` crate, so a project can copy this one file. Keys are written as byte-string
//! literals, each preceded by a comment naming the incident, the subject and both fingerprints.

use std::fmt::{self, Write as _};

use certblock_list::{Action, Blocklist, Entry, GENERATED_NOTICE};
use phf_shared::{FmtConst, PhfBorrow, PhfHash};

use crate::text::{comment_safe, summary_counts};

/// A table key as phf_codegen sees it: hashed exactly like the `[u8; 32]` the table is looked up
/// with, but printed as a commented byte-string literal.
struct CommentedKey {
    spki_sha256: [u8; 32],
    comment: Vec<String>,
}

// Equality and hashing look at the key bytes only: phf_codegen uses them to refuse duplicates.
impl PartialEq for CommentedKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_sha256 == other.spki_sha256
    }
}

impl Eq for CommentedKey {}

impl core::hash::Hash for CommentedKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.spki_sha256.hash(state)
    }
}

impl PhfHash for CommentedKey {
    fn phf_hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.spki_sha256.phf_hash(state)
    }
}

impl PhfBorrow<CommentedKey> for CommentedKey {
    fn borrow(&self) -> &CommentedKey {
        self
    }
}

impl FmtConst for CommentedKey {
    fn fmt_const(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.comment {
            write!(f, "\n        // {line}")?;
        }
        f.write_str("\n        *b\"")?;
        for byte in self.spki_sha256 {
            write!(f, "\\x{byte:02x}")?;
        }
        f.write_str("\"")
    }
}

fn action_variant(action: Action) -> &'static str {
    match action {
        Action::Block => "Action::Block",
        Action::KnownInterception => "Action::KnownInterception",
        Action::BlockedInterception => "Action::BlockedInterception",
    }
}

/// The comment lines shown above an entry's key.
fn entry_comment(entry: &Entry) -> Vec<String> {
    let mut lines = vec![format!(
        "{} ({}): {}",
        entry
            .incidents
            .iter()
            .map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        entry.action,
        comment_safe(entry.subject().unwrap_or("(no subject known: bare key)"))
    )];
    lines.push(format!("  SPKI SHA-256:        {}", entry.spki_sha256));
    if let Some(t) = entry.distrust_after {
        lines.push(format!(
            "  distrust after:      {t} (leaf notBefore strictly later)"
        ));
    }
    let certs = entry.cert_sha256s();
    if certs.is_empty() {
        lines.push("  certificate SHA-256: (no certificate known)".to_string());
    }
    for cert in certs {
        lines.push(format!("  certificate SHA-256: {cert}"));
    }
    lines
}

/// Renders the whole file in the phf form.
pub(crate) fn render(list: &Blocklist) -> String {
    let mut out = preamble(list, PHF_VENDORING);
    out.push_str("\n/// Every listed key, by the SHA-256 of its DER SubjectPublicKeyInfo.\npub static SPKI_BLOCKLIST: ::phf::Map<[u8; 32], BlockedSpki> = ");
    write!(out, "{}", phf_map(list).build()).unwrap();
    out.push_str(";\n");
    out
}

/// Renders the sorted form: the `.rs` (declarations and lookup code) and the binary it includes
/// (see [`crate::sorted_table`]).
pub(crate) fn render_sorted(list: &Blocklist) -> (String, Vec<u8>) {
    let mut out = preamble(list, SORTED_VENDORING);
    let (tail, bin) = crate::sorted_table::render(list);
    out.push('\n');
    out.push_str(&tail);
    (out, bin)
}

const PHF_VENDORING: &str = "// Vendoring: copy this one file into a project and add the dependency
//     phf = { version = \"=0.14.0\", default-features = false }
// then `include!` it or make it a module. It uses no other crate and no `std`.";

const SORTED_VENDORING: &str =
    "// This is the sorted form, used above the threshold of phf keys (certblock_compile::
// RUST_TABLE_PHF_MAX): the keys are in spki_blocklist.bin, included with include_bytes!, and
// SPKI_BLOCKLIST has the same lookups as the phf form's phf::Map (get, get_entry, contains_key,
// len, is_empty, entries, keys, values).
//
// Vendoring: copy this file and spki_blocklist.bin into the same folder of a project, then
// `include!` this file or make it a module. It needs no crate at all, no `std` and no `unsafe`.";

fn phf_map(list: &Blocklist) -> phf_codegen::Map<'_, CommentedKey> {
    let mut map = phf_codegen::Map::new();
    map.phf_path("::phf");
    for entry in &list.entries {
        let incident = list
            .incident(entry.primary_incident())
            .expect("a validated list names only incidents it holds");
        let distrust_after = match entry.distrust_after {
            Some(t) => {
                let secs = u64::try_from(t.to_unix_seconds())
                    .expect("a validated list has no distrust_after before 1970");
                format!("Some({secs})")
            }
            None => "None".to_string(),
        };
        let value = format!(
            "BlockedSpki {{ action: {}, incident: {:?}, title: {:?}, distrust_after: {distrust_after} }}",
            action_variant(entry.action),
            incident.id.as_str(),
            incident.title
        );
        map.entry(
            CommentedKey {
                spki_sha256: entry.spki_sha256.0,
                comment: entry_comment(entry),
            },
            value,
        );
    }
    map
}

/// The notice, the summary, how to vendor, the types and the constants: the same in both forms
/// (up to the vendoring paragraph).
fn preamble(list: &Blocklist, vendoring: &str) -> String {
    let mut out = String::new();
    writeln!(out, "// {GENERATED_NOTICE}").unwrap();
    out.push_str(&format!(
        "//
// The certblock SPKI blocklist: {counts}; list sequence {sequence}.
// Keys are SHA-256 hashes of DER SubjectPublicKeyInfo structures (not certificate fingerprints).
//
{vendoring}

/// What to do with a certificate chain that contains a listed key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {{
    /// Refuse the chain (Chromium's `kSPKIBlockList`).
    Block,
    /// Label the chain as a known interception; do not refuse it (Chromium's
    /// `kKnownInterceptionList`).
    KnownInterception,
    /// Refuse the chain and label it as a known interception (in both of Chromium's lists).
    BlockedInterception,
}}

/// A listed key: what to do with it, and the incident it comes from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BlockedSpki {{
    /// What to do with chains containing the key.
    pub action: Action,
    /// The incident's id (its folder under `sources/`).
    pub incident: &'static str,
    /// The incident's title.
    pub title: &'static str,
    /// `None`: every chain containing the key is affected. `Some(t)`: only chains whose leaf
    /// certificate's notBefore is strictly after `t`, in Unix seconds (UTC, leap seconds not
    /// counted); the entry's comment shows the same instant in ISO 8601. Compare it with the
    /// leaf's issuance date, never with the current time.
    pub distrust_after: Option<u64>,
}}

/// How many keys [`SPKI_BLOCKLIST`] holds.
pub const SPKI_BLOCKLIST_LEN: usize = {len};

/// The list's sequence number: it increases by one each time the list's content changes.
pub const SPKI_BLOCKLIST_SEQUENCE: u64 = {sequence};
",
        counts = summary_counts(list),
        sequence = list.sequence,
        len = list.entries.len(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use certblock_list::{Category, Evidence, EvidenceKind, Incident, IncidentId, Sha256Hash};

    fn list(distrust_after: Option<&str>) -> Blocklist {
        let id: IncidentId = "dated".parse().unwrap();
        let t = distrust_after.map(|s| s.parse().unwrap());
        Blocklist {
            sequence: 1,
            source_digest: Sha256Hash::digest(b"tree"),
            incidents: vec![Incident {
                id: id.clone(),
                title: "Dated".into(),
                category: Category::Misissuance,
                action: Action::Block,
                added: None,
                distrust_after: t,
                references: vec![],
                summary: "S".into(),
            }],
            entries: vec![Entry {
                spki_sha256: Sha256Hash::digest(b"key"),
                action: Action::Block,
                incidents: vec![id.clone()],
                distrust_after: t,
                evidence: vec![Evidence::new(
                    id,
                    "dated/facts.json".into(),
                    Some(1),
                    EvidenceKind::Facts,
                )],
            }],
        }
    }

    #[test]
    fn distrust_after_is_written_in_unix_seconds_with_the_iso_time_in_the_comment() {
        let dated = render(&list(Some("2019-09-01T00:00:00Z")));
        assert!(
            dated.contains("distrust_after: Some(1567296000) }"),
            "{dated}"
        );
        assert!(
            dated.contains("//   distrust after:      2019-09-01T00:00:00Z"),
            "{dated}"
        );
        assert!(dated.contains("pub distrust_after: Option<u64>,"));
        let plain = render(&list(None));
        assert!(plain.contains("distrust_after: None }"), "{plain}");
        assert!(!plain.contains("distrust after:"));
    }
}
