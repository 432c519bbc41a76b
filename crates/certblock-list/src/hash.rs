//! SHA-256 values: the key of every entry and the fingerprints kept as evidence.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A SHA-256 value, written as 64 lowercase hex digits in JSON.
///
/// The type does not say *what* was hashed; field names do (`spki_sha256` is the hash of the DER
/// SubjectPublicKeyInfo, `cert_sha256` the hash of the whole DER certificate).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Hash(pub [u8; 32]);

impl Sha256Hash {
    /// Hashes `data` with SHA-256.
    pub fn digest(data: &[u8]) -> Self {
        use sha2::Digest;
        Sha256Hash(sha2::Sha256::digest(data).into())
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, 64 digits.
    pub fn to_hex(&self) -> String {
        crate::bytes::hex_encode(&self.0)
    }

    /// Lowercase hex, 64 digits, written into `buf` (no allocation: lists hold millions of
    /// these, and writers format each one).
    pub fn hex_in<'b>(&self, buf: &'b mut [u8; 64]) -> &'b str {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for (pair, b) in buf.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 15)];
        }
        std::str::from_utf8(buf).expect("hex digits are ASCII")
    }

    /// Standard base64 with padding (the form CRLSet headers and OneCRL `pubKeyHash` use).
    pub fn to_base64(&self) -> String {
        crate::bytes::base64_encode(&self.0)
    }
}

/// Why a string is not a SHA-256 value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSha256(pub String);

impl fmt::Display for BadSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Sha256Hash {
    type Err = BadSha256;

    /// Parses 64 hex digits (either case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 {
            return Err(BadSha256(format!(
                "a SHA-256 value is 64 hex digits, this one has {} characters: {s:?}",
                s.chars().count()
            )));
        }
        // Straight into the array: lists hold millions of these, so no allocation per value.
        let mut out = [0u8; 32];
        for (i, pair) in s.as_bytes().chunks_exact(2).enumerate() {
            match (crate::bytes::nibble(pair[0]), crate::bytes::nibble(pair[1])) {
                (Some(hi), Some(lo)) => out[i] = hi << 4 | lo,
                _ => {
                    return Err(BadSha256(format!(
                        "character at offset {} is not a hex digit in SHA-256 value {s:?}",
                        i * 2
                    )));
                }
            }
        }
        Ok(Sha256Hash(out))
    }
}

impl fmt::Display for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hex_in(&mut [0; 64]))
    }
}

impl fmt::Debug for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hash({})", self.to_hex())
    }
}

impl Serialize for Sha256Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.hex_in(&mut [0; 64]))
    }
}

impl<'de> Deserialize<'de> for Sha256Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Parses the string where the reader holds it: no copy per value.
        struct HexVisitor;

        impl serde::de::Visitor<'_> for HexVisitor {
            type Value = Sha256Hash;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a SHA-256 value as 64 hex digits")
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Sha256Hash, E> {
                s.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(HexVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_in_a_buffer_is_to_hex_and_json_round_trips() {
        let h = Sha256Hash::digest(b"key");
        assert_eq!(h.hex_in(&mut [0; 64]), h.to_hex());
        assert_eq!(h.to_string(), h.to_hex());
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{}\"", h.to_hex()));
        assert_eq!(serde_json::from_str::<Sha256Hash>(&json).unwrap(), h);
        let wrong = serde_json::from_str::<Sha256Hash>("12").unwrap_err();
        assert!(wrong.to_string().contains("64 hex digits"), "{wrong}");
        let short = serde_json::from_str::<Sha256Hash>("\"abcd\"").unwrap_err();
        assert!(short.to_string().contains("64 hex digits"), "{short}");
    }

    #[test]
    fn parses_and_prints_hex() {
        let hex = "b5ba8dd7f89564c2889d3d6453c84998c77824919b64ea0835aa62986591be50";
        let h: Sha256Hash = hex.parse().unwrap();
        assert_eq!(h.to_hex(), hex);
        assert_eq!(h.0[0], 0xb5);
        let upper: Sha256Hash = hex.to_uppercase().parse().unwrap();
        assert_eq!(upper, h);
    }

    #[test]
    fn rejects_wrong_length_and_non_hex() {
        assert!(
            "abcd"
                .parse::<Sha256Hash>()
                .unwrap_err()
                .0
                .contains("64 hex digits")
        );
        let bad = "g".repeat(64);
        assert!(
            bad.parse::<Sha256Hash>()
                .unwrap_err()
                .0
                .contains("not a hex digit")
        );
    }

    #[test]
    fn digest_of_empty_input_is_the_known_value() {
        // FIPS 180-2 test vector for the empty message.
        assert_eq!(
            Sha256Hash::digest(b"").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
