//! The PEM reader as it was before the two-step scan (tests only): `pem::parse` must give
//! exactly what this gives, for any input.
//!
//! A strict PEM reader: finds every BEGIN/END block, with line numbers, and reports every fault.
//!
//! Text before, between and after blocks is allowed (as in `openssl x509 -text` dumps), and so
//! are CRLF line endings and a missing final newline. Every `-----BEGIN ` marker is accounted for:
//! a block that never ends, an END without BEGIN, mismatched labels and bad base64 are all
//! reported, never skipped.

use base64::Engine as _;

use crate::error::ProblemKind;
use crate::pem::{PemBlock, PemFault};

/// The marker that starts a PEM block.
const BEGIN: &[u8] = b"-----BEGIN ";
/// The marker that ends a PEM block.
const END: &[u8] = b"-----END ";
/// The dashes that close a marker.
const DASHES: &[u8] = b"-----";

/// Where in the file does `needle` start, if anywhere.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How many BEGIN markers the text has (counted before parsing, for the per-file limit).
pub(crate) fn count_begin_markers(bytes: &[u8]) -> usize {
    let mut count = 0;
    let mut rest = bytes;
    while let Some(i) = find(rest, BEGIN) {
        count += 1;
        rest = &rest[i + BEGIN.len()..];
    }
    count
}

/// Whether the bytes contain a BEGIN marker anywhere (the sniff between PEM and DER).
pub(crate) fn has_begin_marker(bytes: &[u8]) -> bool {
    find(bytes, BEGIN).is_some()
}

/// The label of a marker line, if the trimmed line is exactly `<marker>LABEL-----`.
fn marker_label(line: &[u8], marker: &[u8]) -> Option<String> {
    let inner = line.strip_prefix(marker)?.strip_suffix(DASHES)?;
    let ok = !inner.is_empty()
        && inner.iter().all(|&b| b.is_ascii_graphic() || b == b' ')
        && ![b' ', b'-'].contains(&inner[0])
        && ![b' ', b'-'].contains(&inner[inner.len() - 1]);
    if !ok {
        return None;
    }
    String::from_utf8(inner.to_vec()).ok()
}

/// Trims ASCII whitespace at both ends, returning the trimmed slice and how many bytes were
/// dropped at the start.
fn trim(line: &[u8]) -> (&[u8], usize) {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    (&line[start..end], start)
}

/// A block being read: its label, BEGIN line, base64 text, and where each piece of text came
/// from (offset in `body`, line, column) so base64 errors point into the file.
struct Open {
    label: Option<String>,
    line: usize,
    body: Vec<u8>,
    origins: Vec<(usize, usize, usize)>,
}

/// Reads every PEM block in `bytes`. Returns the blocks and the faults; a block with a fault
/// is not returned.
pub(crate) fn parse(bytes: &[u8]) -> (Vec<PemBlock>, Vec<PemFault>) {
    let mut blocks = Vec::new();
    let mut faults = Vec::new();
    let mut open: Option<Open> = None;
    for (index, raw_line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let (text, lead) = trim(raw_line);
        if let Some(at) = find(text, BEGIN) {
            if let Some(prev) = open.take() {
                if let Some(label) = prev.label {
                    faults.push(PemFault {
                        line: prev.line,
                        column: None,
                        kind: ProblemKind::PemBeginWithoutEnd { label },
                    });
                }
            }
            let label = if at == 0 {
                marker_label(text, BEGIN)
            } else {
                None
            };
            if label.is_none() {
                faults.push(PemFault {
                    line: line_no,
                    column: Some(lead + at + 1),
                    kind: ProblemKind::PemMalformedMarker {
                        text: String::from_utf8_lossy(text).into_owned(),
                    },
                });
            }
            open = Some(Open {
                label,
                line: line_no,
                body: Vec::new(),
                origins: Vec::new(),
            });
        } else if let Some(at) = find(text, END) {
            let end_label = if at == 0 {
                marker_label(text, END)
            } else {
                None
            };
            let Some(end_label) = end_label else {
                faults.push(PemFault {
                    line: line_no,
                    column: Some(lead + at + 1),
                    kind: ProblemKind::PemMalformedMarker {
                        text: String::from_utf8_lossy(text).into_owned(),
                    },
                });
                // A block with a broken END marker is dropped; its BEGIN was fine, so say nothing
                // more about it.
                open = None;
                continue;
            };
            match open.take() {
                None => faults.push(PemFault {
                    line: line_no,
                    column: Some(lead + 1),
                    kind: ProblemKind::PemEndWithoutBegin { label: end_label },
                }),
                Some(Open { label: None, .. }) => {}
                Some(Open {
                    label: Some(label),
                    line,
                    body,
                    origins,
                }) => {
                    if label != end_label {
                        faults.push(PemFault {
                            line: line_no,
                            column: Some(lead + 1),
                            kind: ProblemKind::PemLabelMismatch {
                                begin: label,
                                end: end_label,
                            },
                        });
                        continue;
                    }
                    match decode(&body, &origins, line) {
                        Ok(der) => blocks.push(PemBlock { label, der, line }),
                        Err(fault) => faults.push(fault),
                    }
                }
            }
        } else if let Some(block) = open.as_mut() {
            if !text.is_empty() {
                block.origins.push((block.body.len(), line_no, lead + 1));
                block.body.extend_from_slice(text);
            }
        }
    }
    if let Some(Open {
        label: Some(label),
        line,
        ..
    }) = open
    {
        faults.push(PemFault {
            line,
            column: None,
            kind: ProblemKind::PemBeginWithoutEnd { label },
        });
    }
    (blocks, faults)
}

/// Decodes the base64 of one block, pointing a fault at the line and column of the bad text.
fn decode(
    body: &[u8],
    origins: &[(usize, usize, usize)],
    begin_line: usize,
) -> Result<Vec<u8>, PemFault> {
    let locate = |offset: usize| -> (usize, Option<usize>) {
        match origins.iter().rev().find(|(start, _, _)| *start <= offset) {
            Some((start, line, column)) => (*line, Some(column + (offset - start))),
            None => (begin_line, None),
        }
    };
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| {
            let (line, column, detail) = match e {
                base64::DecodeError::InvalidByte(offset, byte) => {
                    let (line, column) = locate(offset);
                    let shown = if byte.is_ascii_graphic() {
                        format!("{:?}", byte as char)
                    } else {
                        format!("byte 0x{byte:02x}")
                    };
                    (
                        line,
                        column,
                        format!("{shown} is not a base64 character here"),
                    )
                }
                base64::DecodeError::InvalidLastSymbol { offset, .. } => {
                    let (line, column) = locate(offset);
                    (
                        line,
                        column,
                        "the last base64 character is impossible (corrupt or cut short)"
                            .to_string(),
                    )
                }
                base64::DecodeError::InvalidLength(len) => (
                    begin_line,
                    None,
                    format!("{len} base64 characters cannot be a whole encoding (cut short?)"),
                ),
                other => (begin_line, None, other.to_string()),
            };
            PemFault {
                line,
                column,
                kind: ProblemKind::PemBadBase64 { detail },
            }
        })
}
