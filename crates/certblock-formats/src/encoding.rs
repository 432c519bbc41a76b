//! Small encodings the formats share: hex, base64, DER INTEGER wrapping, UUID-shaped ids.

use base64::Engine as _;
use serde::{Serialize, Serializer};

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Lowercase hex with `:` between bytes, as NSS and OpenSSL print serial numbers.
pub(crate) fn hex_colons(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Standard base64 with padding.
pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64 with padding.
pub(crate) fn b64_decode(text: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("{text:?} is not valid base64 ({e})"))
}

/// Serializes bytes as lowercase hex (for the `--json` form of parsed files).
pub(crate) fn ser_hex<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(bytes))
}

/// Serializes optional bytes as lowercase hex or null.
pub(crate) fn ser_opt_hex<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    bytes.as_deref().map(hex).serialize(s)
}

/// Serializes bytes as standard base64.
pub(crate) fn ser_b64<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&b64(bytes))
}

/// A DER INTEGER (tag, definite length, content) around content bytes taken as they are.
pub(crate) fn der_integer(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x02];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let be = (len as u64).to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        let digits = &be[skip..];
        out.push(0x80 | digits.len() as u8);
        out.extend_from_slice(digits);
    }
    out.extend_from_slice(content);
    out
}

/// The content bytes of a DER INTEGER that spans `der` exactly, if it is one.
pub(crate) fn der_integer_content(der: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x02 {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (digits, rest) = rest.split_at(n);
        let len = digits
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        (len, rest)
    };
    if rest.len() == len { Some(rest) } else { None }
}

/// A UUID-shaped identifier (version 8, "custom") made from the SHA-256 of `parts`, each
/// length-prefixed so that no two different part lists give the same input.
pub(crate) fn content_uuid(parts: &[&[u8]]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Replaces what would break a one-line comment or a quoted label: line breaks and other
/// control characters become spaces.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_integer_round_trips_short_and_long_forms() {
        for len in [0usize, 1, 16, 127, 128, 255, 256, 70000] {
            let content = vec![0x5a; len];
            let der = der_integer(&content);
            assert_eq!(
                der_integer_content(&der),
                Some(&content[..]),
                "length {len}"
            );
        }
        assert_eq!(
            der_integer(&[0x6b, 0x49, 0xd2, 0x05]),
            vec![2, 4, 0x6b, 0x49, 0xd2, 0x05]
        );
        assert_eq!(&der_integer(&[1; 200])[..3], &[2, 0x81, 200]);
        assert_eq!(der_integer_content(&[2, 3, 1]), None);
        assert_eq!(der_integer_content(&[4, 1, 1]), None);
        assert_eq!(der_integer_content(&[2, 0x85, 1, 1, 1, 1, 1]), None);
    }

    #[test]
    fn uuids_are_stable_and_shaped() {
        let a = content_uuid(&[b"ab", b"c"]);
        assert_eq!(a, content_uuid(&[b"ab", b"c"]));
        assert_ne!(a, content_uuid(&[b"a", b"bc"]));
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'8');
    }
}
