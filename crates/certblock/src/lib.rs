//! Is this key blocked, and why: the certblock blocklist as a tiny `no_std` library.
//!
//! The built-in table is `generated/spki_blocklist.rs`, compiled from the incidents under
//! `sources/` by `make generate`; this crate includes it unchanged. Keys are SHA-256 hashes of
//! DER SubjectPublicKeyInfo structures (**SPKI SHA-256**), so a key is caught under any subject
//! and any issuer: re-issued and cross-signed certificates included.
//!
//! # Features
//!
//! | feature | default | adds | dependencies |
//! |---|---|---|---|
//! | (none) | | [`lookup_spki_sha256`] over the built-in table; [`CertificateInfo`], the DER walk to a certificate's key and notBefore | `phf` |
//! | `sha2` | yes | [`lookup_spki_der`], [`lookup_certificate`], [`check_chain`] (the built-in table); [`Snapshot`], run-time lists read in place from `generated/blocklist.bin`; [`Blocklist`], the built-in table plus a loaded snapshot, with the same lookups and chain check | `phf`, `sha2` (without its default features) |
//!
//! Without `sha2` nothing can hash, so only the lookup by SPKI SHA-256 remains, and no snapshot
//! can be loaded: the loader always verifies the snapshot's SHA-256, and a loader that skipped it
//! would take a damaged file for a list. With `default-features = false` the crate depends on
//! `phf` alone.
//!
//! The crate is `#![no_std]`, allocates nothing, has no `unsafe`, and never reads the clock.
//!
//! # Lookup by SPKI SHA-256
//!
//! ```
//! // The SPKI SHA-256 of the 2016 "Qaznet Trust Network" interception root.
//! let key: [u8; 32] = [
//!     0xb5, 0xba, 0x8d, 0xd7, 0xf8, 0x95, 0x64, 0xc2, 0x88, 0x9d, 0x3d, 0x64, 0x53, 0xc8, 0x49, 0x98,
//!     0xc7, 0x78, 0x24, 0x91, 0x9b, 0x64, 0xea, 0x08, 0x35, 0xaa, 0x62, 0x98, 0x65, 0x91, 0xbe, 0x50,
//! ];
//! let entry = certblock::lookup_spki_sha256(&key).expect("the Qaznet root is listed");
//! assert_eq!(entry.action, certblock::Action::Block);
//! assert_eq!(entry.incident, "kazakhstan-qaznet-2019");
//! assert!(entry.title.contains("Qaznet"));
//! assert_eq!(entry.distrust_after, None); // distrusted whatever the leaf's dates
//! assert!(certblock::lookup_spki_sha256(&[0; 32]).is_none());
//! ```
//!
//! # Lookup by DER key or certificate (`sha2`)
//!
//! ```
//! # // The real Kazakhstan roots are read from the shared corpus at run time (never committed).
//! # fn kazakhstan_root(name: &str) -> Option<Vec<u8>> {
//! #     use base64::Engine as _;
//! #     let path = format!("../../../shared/corpus/kazakhstan/{name}.pem");
//! #     let Ok(text) = std::fs::read_to_string(&path) else {
//! #         eprintln!("WARNING: {path} not found; this example is SKIPPED");
//! #         return None;
//! #     };
//! #     let body = text.split("-----BEGIN CERTIFICATE-----").nth(1)?.split("-----END").next()?;
//! #     let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
//! #     base64::engine::general_purpose::STANDARD.decode(b64).ok()
//! # }
//! # #[cfg(feature = "sha2")] {
//! # let Some(der) = kazakhstan_root("00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2") else { return };
//! let der: &[u8] = &der; // the DER "Qaznet Trust Network" root certificate
//! let entry = certblock::lookup_certificate(der).unwrap().expect("listed");
//! assert_eq!(entry.incident, "kazakhstan-qaznet-2019");
//!
//! let spki = certblock::CertificateInfo::from_der(der).unwrap().spki;
//! assert_eq!(certblock::lookup_spki_der(spki).unwrap(), Some(entry));
//!
//! // Malformed input is an error, never a panic.
//! assert!(certblock::lookup_certificate(&der[..40]).is_err());
//! # }
//! ```
//!
//! # Chain check (`sha2`)
//!
//! ```
//! # // The real Kazakhstan roots are read from the shared corpus at run time (never committed).
//! # fn kazakhstan_root(name: &str) -> Option<Vec<u8>> {
//! #     use base64::Engine as _;
//! #     let path = format!("../../../shared/corpus/kazakhstan/{name}.pem");
//! #     let Ok(text) = std::fs::read_to_string(&path) else {
//! #         eprintln!("WARNING: {path} not found; this example is SKIPPED");
//! #         return None;
//! #     };
//! #     let body = text.split("-----BEGIN CERTIFICATE-----").nth(1)?.split("-----END").next()?;
//! #     let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
//! #     base64::engine::general_purpose::STANDARD.decode(b64).ok()
//! # }
//! # #[cfg(feature = "sha2")] {
//! use certblock::{check_chain, Verdict};
//! # let (Some(qaznet), Some(isca)) = (kazakhstan_root("00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2"), kazakhstan_root("3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1")) else { return };
//!
//! // A leaf (here a fresh self-signed certificate) under the blocked Qaznet root.
//! let leaf = rcgen::generate_simple_self_signed(vec!["example.kz".into()]).unwrap();
//! let leaf = leaf.cert.der().to_vec();
//! let root = qaznet.clone(); // the DER "Qaznet Trust Network" root certificate
//! match check_chain(&[leaf.clone(), root]).unwrap() {
//!     Verdict::Blocked(hit) => {
//!         assert_eq!(hit.index, 1); // the root, counting from the leaf
//!         assert_eq!(hit.listing.incident, "kazakhstan-qaznet-2019");
//!     }
//!     other => panic!("{other:?}"),
//! }
//!
//! // A known interception root alone labels the chain without refusing it.
//! let isca = isca.clone(); // an ISCA root Chromium lists as known interception only
//! let verdict = check_chain(&[leaf.clone(), isca]).unwrap();
//! assert!(verdict.is_known_interception() && !verdict.is_blocked());
//!
//! assert_eq!(check_chain(&[leaf]).unwrap(), Verdict::Clean);
//! # }
//! ```
//!
//! An entry may carry a `distrust_after` instant (Unix seconds): it then applies only to chains
//! whose **leaf** notBefore is strictly later, the way NSS's `CKA_NSS_SERVER_DISTRUST_AFTER`
//! works. The leaf's notBefore is read from its DER; today's date plays no part.
//!
//! # Run-time lists (`sha2`)
//!
//! A program can load a newer list without being rebuilt, as Chrome loads CRLSets: the compiler
//! writes `generated/blocklist.bin` (layout in [`snapshot`]), and [`Snapshot::from_bytes`] reads
//! it in place after checking its magic, version, size, SHA-256 and structure. A [`Blocklist`]
//! then answers from the built-in table and the snapshot together; a loaded list only adds keys,
//! and where both list a key the built-in entry wins.
//!
//! ```
//! # // The real Kazakhstan roots are read from the shared corpus at run time (never committed).
//! # fn kazakhstan_root(name: &str) -> Option<Vec<u8>> {
//! #     use base64::Engine as _;
//! #     let path = format!("../../../shared/corpus/kazakhstan/{name}.pem");
//! #     let Ok(text) = std::fs::read_to_string(&path) else {
//! #         eprintln!("WARNING: {path} not found; this example is SKIPPED");
//! #         return None;
//! #     };
//! #     let body = text.split("-----BEGIN CERTIFICATE-----").nth(1)?.split("-----END").next()?;
//! #     let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
//! #     base64::engine::general_purpose::STANDARD.decode(b64).ok()
//! # }
//! # #[cfg(feature = "sha2")] {
//! use certblock::{Blocklist, Snapshot, SnapshotError};
//! # let Some(qaznet) = kazakhstan_root("00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2") else { return };
//!
//! let bytes: &[u8] = include_bytes!("../../../generated/blocklist.bin"); // or read at run time
//! let snapshot = Snapshot::from_bytes(bytes).expect("an intact snapshot");
//! let list = Blocklist::with_snapshot(snapshot);
//! let der: &[u8] = &qaznet; // the DER "Qaznet Trust Network" root certificate
//! assert!(list.lookup_certificate(der).unwrap().unwrap().action.is_blocked());
//! assert!(list.check_chain(&[der]).unwrap().is_blocked());
//!
//! // Damaged or foreign bytes are refused with the reason.
//! assert_eq!(Snapshot::from_bytes(&bytes[..100]).unwrap_err(),
//!            SnapshotError::Truncated { needed: bytes.len() as u64, available: 100 });
//! assert_eq!(Snapshot::from_bytes(&[b'x'; 100]).unwrap_err(), SnapshotError::BadMagic);
//! # }
//! ```
//!
//! # Vendoring
//!
//! `generated/spki_blocklist.rs` is self-contained: a project can copy that one file and depend
//! on `phf` alone (it then has [`SPKI_BLOCKLIST`] and its types, without this crate's functions).

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The generated table, included unchanged (see `generated/spki_blocklist.rs`).
mod table {
    include!("../../../generated/spki_blocklist.rs");
}

#[cfg(feature = "sha2")]
mod chain;
mod der;
#[cfg(feature = "sha2")]
pub mod snapshot;

#[cfg(feature = "sha2")]
pub use chain::{Blocklist, ChainError, Hit, Verdict};
pub use der::{CertificateInfo, DerError};
#[cfg(feature = "sha2")]
pub use snapshot::{
    SNAPSHOT_HEADER_LEN, SNAPSHOT_MAGIC, SNAPSHOT_MAX_LEN, SNAPSHOT_VERSION, Snapshot,
    SnapshotError,
};
pub use table::{Action, BlockedSpki, SPKI_BLOCKLIST, SPKI_BLOCKLIST_LEN, SPKI_BLOCKLIST_SEQUENCE};

/// The built-in entry for a key, given the SHA-256 of its DER SubjectPublicKeyInfo; `None` if
/// the key is not listed.
pub fn lookup_spki_sha256(spki_sha256: &[u8; 32]) -> Option<&'static BlockedSpki> {
    SPKI_BLOCKLIST.get(spki_sha256)
}

/// The built-in entry for a DER SubjectPublicKeyInfo. Requires the `sha2` feature.
///
/// The input must be exactly one `SEQUENCE { SEQUENCE, BIT STRING }`; the key inside is not
/// interpreted. See [`Blocklist::lookup_spki_der`] to consult a loaded list too.
#[cfg(feature = "sha2")]
pub fn lookup_spki_der(spki: &[u8]) -> Result<Option<Listing<'static>>, DerError> {
    Blocklist::builtin().lookup_spki_der(spki)
}

/// The built-in entry for the key of a DER certificate. Requires the `sha2` feature.
///
/// Only the key counts, whoever issued the certificate. See [`Blocklist::lookup_certificate`].
#[cfg(feature = "sha2")]
pub fn lookup_certificate(der: &[u8]) -> Result<Option<Listing<'static>>, DerError> {
    Blocklist::builtin().lookup_certificate(der)
}

/// The verdict of the built-in table for a chain of DER certificates, leaf first. Requires the
/// `sha2` feature. See [`Blocklist::check_chain`] for the rules.
#[cfg(feature = "sha2")]
pub fn check_chain<C: AsRef<[u8]>>(chain: &[C]) -> Result<Verdict<'static>, ChainError> {
    Blocklist::builtin().check_chain(chain)
}

impl Action {
    /// Whether chains containing the key are refused.
    pub fn is_blocked(self) -> bool {
        matches!(self, Action::Block | Action::BlockedInterception)
    }

    /// Whether the key is a known interception key.
    pub fn is_known_interception(self) -> bool {
        matches!(
            self,
            Action::KnownInterception | Action::BlockedInterception
        )
    }
}

/// Which list an entry came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Origin {
    /// The table compiled into this crate.
    BuiltIn,
    /// A snapshot loaded at run time.
    Loaded,
}

/// A listed key, from the built-in table or a loaded snapshot.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Listing<'a> {
    /// What to do with chains containing the key.
    pub action: Action,
    /// The incident's id (its folder under `sources/`).
    pub incident: &'a str,
    /// The incident's title.
    pub title: &'a str,
    /// `Some(t)`: the entry applies only to chains whose leaf notBefore is strictly after `t`
    /// (Unix seconds, UTC). `None`: it applies to every chain.
    pub distrust_after: Option<u64>,
    /// Which list it came from.
    pub origin: Origin,
}

impl Listing<'_> {
    /// Whether the entry applies to a chain whose leaf has this notBefore (Unix seconds):
    /// always without a `distrust_after`, else only when `not_before` is strictly after it.
    ///
    /// ```
    /// let listing = certblock::Listing {
    ///     action: certblock::Action::Block,
    ///     incident: "example",
    ///     title: "Example",
    ///     distrust_after: Some(1_000),
    ///     origin: certblock::Origin::Loaded,
    /// };
    /// assert!(!listing.applies_to_leaf_not_before(999));
    /// assert!(!listing.applies_to_leaf_not_before(1_000));
    /// assert!(listing.applies_to_leaf_not_before(1_001));
    /// assert!(!listing.applies_to_leaf_not_before(-5));
    /// ```
    pub fn applies_to_leaf_not_before(&self, not_before: i64) -> bool {
        match self.distrust_after {
            None => true,
            Some(after) => i128::from(not_before) > i128::from(after),
        }
    }
}

impl From<&'static BlockedSpki> for Listing<'static> {
    fn from(entry: &'static BlockedSpki) -> Self {
        Listing {
            action: entry.action,
            incident: entry.incident,
            title: entry.title,
            distrust_after: entry.distrust_after,
            origin: Origin::BuiltIn,
        }
    }
}
