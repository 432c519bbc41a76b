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
        entry.incidents.iter().map(|i| i.as_str()).collect::<Vec<_>>().join(", "),
        entry.action,
        comment_safe(entry.subject().unwrap_or("(no subject known: bare key)"))
    )];
    lines.push(format!("  SPKI SHA-256:        {}", entry.spki_sha256));
    let certs = entry.cert_sha256s();
    if certs.is_empty() {
        lines.push("  certificate SHA-256: (no certificate known)".to_string());
    }
    for cert in certs {
        lines.push(format!("  certificate SHA-256: {cert}"));
    }
    lines
}

/// Renders the whole file.
pub(crate) fn render(list: &Blocklist) -> String {
    let mut map = phf_codegen::Map::new();
    map.phf_path("::phf");
    for entry in &list.entries {
        let incident = list
            .incident(entry.primary_incident())
            .expect("a validated list names only incidents it holds");
        let value = format!(
            "BlockedSpki {{ action: {}, incident: {:?}, title: {:?} }}",
            action_variant(entry.action),
            incident.id.as_str(),
            incident.title
        );
        map.entry(
            CommentedKey { spki_sha256: entry.spki_sha256.0, comment: entry_comment(entry) },
            value,
        );
    }

    let mut out = String::new();
    writeln!(out, "// {GENERATED_NOTICE}").unwrap();
    out.push_str(&format!(
        "//
// The certblock SPKI blocklist: {counts}; list sequence {sequence}.
// Keys are SHA-256 hashes of DER SubjectPublicKeyInfo structures (not certificate fingerprints).
//
// Vendoring: copy this one file into a project and add the dependency
//     phf = {{ version = \"=0.14.0\", default-features = false }}
// then `include!` it or make it a module. It uses no other crate and no `std`.

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
}}

/// How many keys [`SPKI_BLOCKLIST`] holds.
pub const SPKI_BLOCKLIST_LEN: usize = {len};

/// The list's sequence number: it increases by one each time the list's content changes.
pub const SPKI_BLOCKLIST_SEQUENCE: u64 = {sequence};

/// Every listed key, by the SHA-256 of its DER SubjectPublicKeyInfo.
pub static SPKI_BLOCKLIST: ::phf::Map<[u8; 32], BlockedSpki> = ",
        counts = summary_counts(list),
        sequence = list.sequence,
        len = list.entries.len(),
    ));
    write!(out, "{}", map.build()).unwrap();
    out.push_str(";\n");
    out
}
