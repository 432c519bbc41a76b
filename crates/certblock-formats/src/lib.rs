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
