//! A strict PEM reader: finds every BEGIN/END block, with line numbers, and reports every fault.
//!
//! Text before, between and after blocks is allowed (as in `openssl x509 -text` dumps), and so
//! are CRLF line endings and a missing final newline. Every `-----BEGIN ` marker is accounted for:
//! a block that never ends, an END without BEGIN, mismatched labels and bad base64 are all
//! reported, never skipped.
//!
//! Reading is in two steps so that large bundles can be decoded in parallel: [`scan`] walks the
//! lines once, in order (cheaply: a line without a `-` cannot hold a marker), and returns the
//! blocks (as slices of the input) and the structural faults in file order; [`decode`] then
//! turns one block's base64 into DER, independently of every other block. [`parse`] is the two
//! steps one after the other.

use base64::Engine as _;

use crate::error::ProblemKind;

/// The marker that starts a PEM block.
pub(crate) const BEGIN: &[u8] = b"-----BEGIN ";
/// The marker that ends a PEM block.
const END: &[u8] = b"-----END ";
/// The dashes that close a marker.
const DASHES: &[u8] = b"-----";

/// One decoded PEM block.
#[cfg(test)]
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct PemBlock {
    /// The label, such as `CERTIFICATE`.
    pub label: String,
    /// The decoded bytes.
    pub der: Vec<u8>,
    /// The line of the BEGIN marker, from 1.
    pub line: usize,
}

/// A block found by [`scan`], not yet decoded: its label, BEGIN line and base64 text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RawBlock<'a> {
    /// The label, such as `CERTIFICATE`.
    pub label: &'a str,
    /// The line of the BEGIN marker, from 1.
    pub line: usize,
    /// The lines between the BEGIN and END lines, as in the file.
    pub body: &'a [u8],
}

/// What [`scan`] finds, in file order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum Scanned<'a> {
    /// A well-formed block, to be decoded.
    Block(RawBlock<'a>),
    /// A structural fault.
    Fault(PemFault),
}

/// A fault found while reading PEM text, with its line and column (from 1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct PemFault {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, where known.
    pub column: Option<usize>,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// Where in the file does `needle` (not empty) start, if anywhere.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// How many BEGIN markers the text has (counted before parsing, for the per-file limit).
pub(crate) fn count_begin_markers(bytes: &[u8]) -> usize {
    // Matches of `-----BEGIN ` never overlap (its only dashes are its first five), so counting
    // the non-overlapping matches is counting them all.
    memchr::memmem::find_iter(bytes, BEGIN).count()
}

/// Whether the bytes contain a BEGIN marker anywhere (the sniff between PEM and DER).
pub(crate) fn has_begin_marker(bytes: &[u8]) -> bool {
    find(bytes, BEGIN).is_some()
}

/// The label of a marker line, if the trimmed line is exactly `<marker>LABEL-----`.
fn marker_label<'a>(line: &'a [u8], marker: &[u8]) -> Option<&'a str> {
    let inner = line.strip_prefix(marker)?.strip_suffix(DASHES)?;
    let ok = !inner.is_empty()
        && inner.iter().all(|&b| b.is_ascii_graphic() || b == b' ')
        && ![b' ', b'-'].contains(&inner[0])
        && ![b' ', b'-'].contains(&inner[inner.len() - 1]);
    if !ok {
        return None;
    }
    std::str::from_utf8(inner).ok()
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

/// A block being read: its label (`None` after a malformed BEGIN), BEGIN line, and where its
/// body starts in the text.
struct Open<'a> {
    label: Option<&'a str>,
    line: usize,
    body_start: usize,
}

/// Finds every PEM block in `bytes` and every structural fault, in file order, without
/// decoding the base64 (see [`decode`]).
pub(crate) fn scan(bytes: &[u8]) -> Vec<Scanned<'_>> {
    let mut out = Vec::new();
    let mut open: Option<Open<'_>> = None;
    // The lines are what `bytes.split(|&b| b == b'\n')` gives, numbered from 1. Neither marker
    // can be in a line without a dash (base64 and most text lines), so only the lines holding a
    // dash are looked at, found by searching for dashes; `newlines` counts the newlines before
    // `counted`, for the line numbers. `from` is always where a line starts.
    let mut from = 0;
    let mut counted = 0;
    let mut newlines = 0;
    while let Some(dash) = memchr::memchr(b'-', &bytes[from..]) {
        let dash = from + dash;
        let line_start = memchr::memrchr(b'\n', &bytes[from..dash]).map_or(from, |i| from + i + 1);
        newlines += memchr::memchr_iter(b'\n', &bytes[counted..line_start]).count();
        counted = line_start;
        let line_no = newlines + 1;
        let end = memchr::memchr(b'\n', &bytes[dash..]).map_or(bytes.len(), |i| dash + i);
        let raw_line = &bytes[line_start..end];
        // Where the next line starts (past the end when this one is the last).
        let start = end + 1;
        from = start.min(bytes.len());
        let (text, lead) = trim(raw_line);
        if let Some(at) = find(text, BEGIN) {
            if let Some(prev) = open.take() {
                if let Some(label) = prev.label {
                    out.push(Scanned::Fault(PemFault {
                        line: prev.line,
                        column: None,
                        kind: ProblemKind::PemBeginWithoutEnd {
                            label: label.to_string(),
                        },
                    }));
                }
            }
            let label = if at == 0 {
                marker_label(text, BEGIN)
            } else {
                None
            };
            if label.is_none() {
                out.push(Scanned::Fault(PemFault {
                    line: line_no,
                    column: Some(lead + at + 1),
                    kind: ProblemKind::PemMalformedMarker {
                        text: String::from_utf8_lossy(text).into_owned(),
                    },
                }));
            }
            open = Some(Open {
                label,
                line: line_no,
                body_start: start.min(bytes.len()),
            });
        } else if let Some(at) = find(text, END) {
            let end_label = if at == 0 {
                marker_label(text, END)
            } else {
                None
            };
            let Some(end_label) = end_label else {
                out.push(Scanned::Fault(PemFault {
                    line: line_no,
                    column: Some(lead + at + 1),
                    kind: ProblemKind::PemMalformedMarker {
                        text: String::from_utf8_lossy(text).into_owned(),
                    },
                }));
                // A block with a broken END marker is dropped; its BEGIN was fine, so say nothing
                // more about it.
                open = None;
                continue;
            };
            match open.take() {
                None => out.push(Scanned::Fault(PemFault {
                    line: line_no,
                    column: Some(lead + 1),
                    kind: ProblemKind::PemEndWithoutBegin {
                        label: end_label.to_string(),
                    },
                })),
                Some(Open { label: None, .. }) => {}
                Some(Open {
                    label: Some(label),
                    line,
                    body_start,
                }) => {
                    if label != end_label {
                        out.push(Scanned::Fault(PemFault {
                            line: line_no,
                            column: Some(lead + 1),
                            kind: ProblemKind::PemLabelMismatch {
                                begin: label.to_string(),
                                end: end_label.to_string(),
                            },
                        }));
                        continue;
                    }
                    out.push(Scanned::Block(RawBlock {
                        label,
                        line,
                        body: &bytes[body_start..line_start.max(body_start)],
                    }));
                }
            }
        }
        // Any other line with a dash: text outside a block, or base64 (where `-` is refused by
        // the decoder, pointing at it).
    }
    if let Some(Open {
        label: Some(label),
        line,
        ..
    }) = open
    {
        out.push(Scanned::Fault(PemFault {
            line,
            column: None,
            kind: ProblemKind::PemBeginWithoutEnd {
                label: label.to_string(),
            },
        }));
    }
    out
}

/// Reads every PEM block in `bytes`. Returns the blocks and the faults; a block with a fault
/// is not returned.
#[cfg(test)]
pub(crate) fn parse(bytes: &[u8]) -> (Vec<PemBlock>, Vec<PemFault>) {
    let mut blocks = Vec::new();
    let mut faults = Vec::new();
    let mut buffer = Vec::new();
    for scanned in scan(bytes) {
        match scanned {
            Scanned::Fault(fault) => faults.push(fault),
            Scanned::Block(raw) => match decode(&raw, &mut buffer) {
                Ok(der) => blocks.push(PemBlock {
                    label: raw.label.to_string(),
                    der,
                    line: raw.line,
                }),
                Err(fault) => faults.push(fault),
            },
        }
    }
    (blocks, faults)
}

/// Decodes the base64 of one block, pointing a fault at the line and column of the bad text.
/// `buffer` is scratch space, reused between calls.
pub(crate) fn decode(block: &RawBlock<'_>, buffer: &mut Vec<u8>) -> Result<Vec<u8>, PemFault> {
    buffer.clear();
    let body = block.body;
    let mut start = 0;
    // The lines are what `body.split(|&b| b == b'\n')` gives, each trimmed.
    for end in memchr::memchr_iter(b'\n', body).chain([body.len()]) {
        let line = &body[start..end];
        // A line of base64 needs no trimming; anything else takes the general way.
        match (line.first(), line.last()) {
            (Some(first), Some(last))
                if !first.is_ascii_whitespace() && !last.is_ascii_whitespace() =>
            {
                buffer.extend_from_slice(line)
            }
            _ => buffer.extend_from_slice(trim(line).0),
        }
        start = end + 1;
    }
    base64::engine::general_purpose::STANDARD
        .decode(&buffer[..])
        .map_err(|e| decode_fault(block, e))
}

/// The fault for base64 that does not decode, located in the file.
fn decode_fault(block: &RawBlock<'_>, e: base64::DecodeError) -> PemFault {
    let begin_line = block.line;
    // Where each piece of base64 text came from: (offset in the joined text, line, column).
    let mut origins: Vec<(usize, usize, usize)> = Vec::new();
    let mut offset = 0;
    for (index, raw_line) in block.body.split(|&b| b == b'\n').enumerate() {
        let (text, lead) = trim(raw_line);
        if !text.is_empty() {
            origins.push((offset, begin_line + 1 + index, lead + 1));
            offset += text.len();
        }
    }
    let locate = |offset: usize| -> (usize, Option<usize>) {
        match origins.iter().rev().find(|(start, _, _)| *start <= offset) {
            Some((start, line, column)) => (*line, Some(column + (offset - start))),
            None => (begin_line, None),
        }
    };
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
                "the last base64 character is impossible (corrupt or cut short)".to_string(),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random PEM-like text (markers, labels, base64, junk, CRLF, spaces), read by `parse` and
    /// by the reader it replaced: the same blocks and the same faults, in the same order.
    #[test]
    fn parse_agrees_with_the_previous_reader() {
        let pieces: [&[u8]; 22] = [
            b"-----BEGIN CERTIFICATE-----",
            b"-----END CERTIFICATE-----",
            b"-----BEGIN PUBLIC KEY-----",
            b"-----END PUBLIC KEY-----",
            b"-----BEGIN CERTIFICATE",
            b"x -----END CERTIFICATE-----",
            b"AQID",
            b"BAUG",
            b"Bw==",
            b"AQ*D",
            b"  AQ-D ",
            b"\r",
            b"\n",
            b"\n",
            b" ",
            b"junk-",
            // Full 64-character lines, as most PEM writers make them, and near misses.
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\n",
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2",
            b" UJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV\n",
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV \n",
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVph\nYmNkZWZnaGlqa2xtbm9wcXJzdHV2\n",
            b"QUJD\nREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut text = Vec::new();
            for _ in 0..(next() % 24) {
                text.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
                if next() % 3 == 0 {
                    text.push(b'\n');
                }
            }
            let shown = String::from_utf8_lossy(&text);
            assert_eq!(
                parse(&text),
                crate::pem_reference::parse(&text),
                "{shown:?}"
            );
            assert_eq!(
                (count_begin_markers(&text), has_begin_marker(&text)),
                (
                    crate::pem_reference::count_begin_markers(&text),
                    crate::pem_reference::has_begin_marker(&text)
                ),
                "{shown:?}"
            );
        }
    }

    fn kinds(faults: &[PemFault]) -> Vec<String> {
        faults
            .iter()
            .map(|f| format!("{}:{:?}: {}", f.line, f.column, f.kind))
            .collect()
    }

    #[test]
    fn reads_blocks_among_text_with_crlf_and_no_final_newline() {
        let text = b"Certificate:\r\n  Data: x\r\n-----BEGIN CERTIFICATE-----\r\nAQID\r\n-----END CERTIFICATE-----\r\nmore\n-----BEGIN PUBLIC KEY-----\nBAUG\nBw==\n-----END PUBLIC KEY-----";
        let (blocks, faults) = parse(text);
        assert!(faults.is_empty(), "{:?}", kinds(&faults));
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            blocks[0],
            PemBlock {
                label: "CERTIFICATE".into(),
                der: vec![1, 2, 3],
                line: 3
            }
        );
        assert_eq!(blocks[1].label, "PUBLIC KEY");
        assert_eq!(blocks[1].der, vec![4, 5, 6, 7]);
        assert_eq!(blocks[1].line, 7);
    }

    #[test]
    fn unterminated_block_is_reported_at_its_begin_line() {
        let text = b"x\n-----BEGIN CERTIFICATE-----\nAQID\n";
        let (blocks, faults) = parse(text);
        assert!(blocks.is_empty());
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].line, 2);
        assert!(matches!(
            faults[0].kind,
            ProblemKind::PemBeginWithoutEnd { .. }
        ));
    }

    #[test]
    fn begin_inside_a_block_reports_the_first_and_keeps_the_second() {
        let text = b"-----BEGIN CERTIFICATE-----\nAQID\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
        let (blocks, faults) = parse(text);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].line, 3);
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].line, 1);
    }

    #[test]
    fn mismatched_labels_and_end_without_begin() {
        let text = b"-----BEGIN CERTIFICATE-----\nAQID\n-----END PUBLIC KEY-----\n-----END CERTIFICATE-----\n";
        let (blocks, faults) = parse(text);
        assert!(blocks.is_empty());
        let k = kinds(&faults);
        assert_eq!(faults.len(), 2, "{k:?}");
        assert!(matches!(
            faults[0].kind,
            ProblemKind::PemLabelMismatch { .. }
        ));
        assert_eq!(faults[0].line, 3);
        assert!(matches!(
            faults[1].kind,
            ProblemKind::PemEndWithoutBegin { .. }
        ));
        assert_eq!(faults[1].line, 4);
    }

    #[test]
    fn bad_base64_points_at_the_character() {
        let text = b"-----BEGIN CERTIFICATE-----\nAQID\n  AQ*D\n-----END CERTIFICATE-----\n";
        let (blocks, faults) = parse(text);
        assert!(blocks.is_empty());
        assert_eq!(faults.len(), 1);
        assert_eq!((faults[0].line, faults[0].column), (3, Some(5)));
        assert!(
            faults[0].kind.to_string().contains("'*'"),
            "{}",
            faults[0].kind
        );
    }

    #[test]
    fn malformed_marker_is_reported() {
        let text = b"-----BEGIN CERTIFICATE\nAQID\n-----END CERTIFICATE-----\n";
        let (blocks, faults) = parse(text);
        assert!(blocks.is_empty());
        assert_eq!(faults.len(), 1, "{:?}", kinds(&faults));
        assert!(matches!(
            faults[0].kind,
            ProblemKind::PemMalformedMarker { .. }
        ));
    }

    #[test]
    fn counts_markers() {
        assert_eq!(
            count_begin_markers(b"-----BEGIN A-----\n-----BEGIN B-----"),
            2
        );
        assert_eq!(count_begin_markers(b"nothing"), 0);
        assert!(has_begin_marker(b"xx-----BEGIN "));
    }
}
