//! Writers and readers for three upstream browser blocklist formats, from and to the canonical
//! certblock list.
//!
//! | module | file | upstream |
//! |---|---|---|
//! | [`crlset`] | `generated/crl-set` | Chromium's CRLSet (binary: JSON header, then parents) |
//! | [`certdata`] | `generated/certdata.txt` | NSS `certdata.txt` distrust objects |
//! | [`onecrl`] | `generated/onecrl.json` | Mozilla OneCRL (Remote Settings records) |
//!
//! Every format has the same five functions:
//!
//! - `render(list) -> Rendered`: the file's bytes, plus every entry the format cannot express
//!   (never silently left out). Same list, same bytes: no clock, no paths, no hash-map order.
//! - `read(bytes) -> Result<_, FormatError>`: a faithful typed view of any file of the format,
//!   upstream files included. Readers never panic, whatever the input.
//! - `expected(list)`: what the format must contain for a list, and which entries it expresses.
//! - `verify(list, bytes)`: reads the bytes back and names every expressible entry that is
//!   missing or altered and every unexpected extra.
//! - `dump(parsed) -> String`: a human-readable listing; the parsed types also implement
//!   `Serialize` for `--json`.
//!
//! [`detect`] tells the formats (and the canonical list JSON) apart for `certblock dump`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod certdata;
pub mod crlset;
mod detect;
mod encoding;
mod error;
pub mod onecrl;

use certblock_list::Sha256Hash;
use serde::Serialize;

pub use detect::{Format, detect};
pub use error::FormatError;

/// The output of a writer: the file, and the entries it could not express.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rendered {
    /// The complete file.
    pub bytes: Vec<u8>,
    /// Every entry of the list the format cannot express, in list order, with the reason.
    pub unexpressed: Vec<Unexpressed>,
}

/// An entry a format cannot express, and why.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
pub struct Unexpressed {
    /// The entry's key: SHA-256 of its DER SubjectPublicKeyInfo.
    pub spki_sha256: Sha256Hash,
    /// Why the format cannot carry it, in plain words (one sentence per cause, shared by every
    /// entry it applies to).
    pub reason: &'static str,
}

/// The entries a format left out that share one reason, with each entry's first incident.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReasonGroup<'a> {
    /// Why the format cannot carry these entries.
    pub reason: &'static str,
    /// Each entry's key and first incident, in list order.
    pub keys: Vec<(Sha256Hash, &'a certblock_list::IncidentId)>,
}

/// Groups `unexpressed` (in list order, as writers return it) by reason, reasons in sorted order,
/// so a file that cannot carry a million keys states each reason once, not a million times.
/// One walk over the list finds every entry's incident.
pub fn group_by_reason<'a>(
    list: &'a certblock_list::Blocklist,
    unexpressed: &[Unexpressed],
) -> Vec<ReasonGroup<'a>> {
    let mut groups: std::collections::BTreeMap<&'static str, ReasonGroup<'a>> = Default::default();
    let mut entries = list.entries.iter();
    for u in unexpressed {
        // Both are in list order, so the entry is further along, unless a caller broke the order.
        let entry = entries
            .by_ref()
            .find(|e| e.spki_sha256 == u.spki_sha256)
            .or_else(|| list.entry(&u.spki_sha256));
        // Writers report only entries of the list; a key that is not one has no entry to name.
        let Some(entry) = entry else { continue };
        groups
            .entry(u.reason)
            .or_insert_with(|| ReasonGroup {
                reason: u.reason,
                keys: Vec::new(),
            })
            .keys
            .push((u.spki_sha256, entry.primary_incident()));
    }
    groups.into_values().collect()
}
