//! Telling the formats apart from their bytes, for `certblock dump FILE`.

use serde::Serialize;

/// A file format certblock reads.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Chromium's CRLSet ([`crate::crlset`]).
    CrlSet,
    /// NSS `certdata.txt` ([`crate::certdata`]).
    CertData,
    /// Mozilla OneCRL JSON ([`crate::onecrl`]).
    OneCrl,
    /// certblock's canonical list JSON (`blocklist.json`, `"format": "certblock-list/1"`).
    CanonicalList,
}

impl Format {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::CrlSet => "CRLSet",
            Format::CertData => "NSS certdata.txt",
            Format::OneCrl => "OneCRL JSON",
            Format::CanonicalList => "certblock list JSON",
        }
    }

    /// The file's name inside `generated/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::CrlSet => crate::crlset::FILE_NAME,
            Format::CertData => crate::certdata::FILE_NAME,
            Format::OneCrl => crate::onecrl::FILE_NAME,
            Format::CanonicalList => "blocklist.json",
        }
    }
}

fn is_crlset(bytes: &[u8]) -> bool {
    let [lo, hi, rest @ ..] = bytes else {
        return false;
    };
    let len = usize::from(u16::from_le_bytes([*lo, *hi]));
    let Some(header) = rest.get(..len) else {
        return false;
    };
    if header.first() != Some(&b'{') {
        return false;
    }
    match serde_json::from_slice::<serde_json::Value>(header) {
        Ok(v) => v.get("ContentType").and_then(|c| c.as_str()) == Some("CRLSet"),
        Err(_) => false,
    }
}

fn is_certdata(bytes: &[u8]) -> bool {
    bytes
        .split(|b| *b == b'\n')
        .any(|line| line.strip_suffix(b"\r").unwrap_or(line).trim_ascii() == b"BEGINDATA")
}

/// Recognises a CRLSet (a `u16` length, then a JSON header whose `ContentType` is "CRLSet"),
/// a `certdata.txt` (a `BEGINDATA` line), a canonical list (JSON with
/// `"format": "certblock-list/1"`) or a OneCRL file (JSON with a `data` array). Only looks;
/// the matching reader still has to accept the file.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    if is_crlset(bytes) {
        return Some(Format::CrlSet);
    }
    if bytes.trim_ascii_start().first() == Some(&b'{') {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(bytes) {
            if map.get("format").and_then(|f| f.as_str()) == Some(certblock_list::LIST_FORMAT) {
                return Some(Format::CanonicalList);
            }
            if map.get("data").is_some_and(|d| d.is_array()) {
                return Some(Format::OneCrl);
            }
        }
        return None;
    }
    if is_certdata(bytes) {
        return Some(Format::CertData);
    }
    None
}
