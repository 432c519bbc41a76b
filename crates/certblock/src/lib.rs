//! Is this key blocked, and why: the certblock blocklist as a tiny `no_std` lookup table.
//!
//! The table is `generated/spki_blocklist.rs`, compiled from the incidents under `sources/` by
//! `make generate`; this crate includes it unchanged. Keys are SHA-256 hashes of DER
//! SubjectPublicKeyInfo structures, so a key is caught under any subject and any issuer
//! (re-issued and cross-signed certificates included).
//!
//! ```
//! // The SPKI SHA-256 of the 2019 "Qaznet Trust Network" interception root.
//! let key: [u8; 32] = [
//!     0xb5, 0xba, 0x8d, 0xd7, 0xf8, 0x95, 0x64, 0xc2, 0x88, 0x9d, 0x3d, 0x64, 0x53, 0xc8, 0x49, 0x98,
//!     0xc7, 0x78, 0x24, 0x91, 0x9b, 0x64, 0xea, 0x08, 0x35, 0xaa, 0x62, 0x98, 0x65, 0x91, 0xbe, 0x50,
//! ];
//! let entry = certblock::lookup_spki_sha256(&key).expect("the Qaznet root is listed");
//! assert_eq!(entry.action, certblock::Action::Block);
//! assert_eq!(entry.incident, "kazakhstan-qaznet-2019");
//! assert!(certblock::lookup_spki_sha256(&[0; 32]).is_none());
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The generated table, included unchanged (see `generated/spki_blocklist.rs`).
mod table {
    include!("../../../generated/spki_blocklist.rs");
}

pub use table::{Action, BlockedSpki, SPKI_BLOCKLIST, SPKI_BLOCKLIST_LEN, SPKI_BLOCKLIST_SEQUENCE};

/// The entry for a key, given the SHA-256 of its DER SubjectPublicKeyInfo; `None` if the key is
/// not listed.
pub fn lookup_spki_sha256(spki_sha256: &[u8; 32]) -> Option<&'static BlockedSpki> {
    SPKI_BLOCKLIST.get(spki_sha256)
}

impl Action {
    /// Whether chains containing the key are refused.
    pub fn is_blocked(self) -> bool {
        matches!(self, Action::Block | Action::BlockedInterception)
    }

    /// Whether the key is a known interception key.
    pub fn is_known_interception(self) -> bool {
        matches!(self, Action::KnownInterception | Action::BlockedInterception)
    }
}
