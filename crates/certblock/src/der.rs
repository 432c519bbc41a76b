//! A minimal DER walk over an X.509 certificate: just enough to find the SubjectPublicKeyInfo
//! and the notBefore time. It is not an X.509 parser: it checks the shape of the elements it
//! steps over (tags, lengths) and nothing of their meaning (no signature, no extension, no name).
//!
//! ```text
//! Certificate ::= SEQUENCE {
//!     tbsCertificate       SEQUENCE {
//!         version          [0] EXPLICIT INTEGER OPTIONAL,
//!         serialNumber     INTEGER,
//!         signature        SEQUENCE,                       -- AlgorithmIdentifier
//!         issuer           SEQUENCE,                       -- Name
//!         validity         SEQUENCE { notBefore Time, notAfter Time },
//!         subject          SEQUENCE,                       -- Name
//!         subjectPublicKeyInfo SEQUENCE { algorithm SEQUENCE, subjectPublicKey BIT STRING },
//!         ... },                                           -- the rest is not read
//!     signatureAlgorithm   SEQUENCE,
//!     signatureValue       BIT STRING }
//! Time ::= UTCTime "YYMMDDHHMMSSZ" | GeneralizedTime "YYYYMMDDHHMMSSZ"
//! ```
//!
//! Every read is bounds-checked: malformed input gives a [`DerError`], never a panic.

use core::fmt;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const VERSION: u8 = 0xa0;

/// Why bytes are not the DER certificate or SubjectPublicKeyInfo they were given as.
///
/// Offsets count bytes from the start of the input.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DerError {
    /// The input ends inside an element, or before an element the structure requires.
    Truncated {
        /// Where the missing bytes should have been.
        offset: usize,
    },
    /// An element has another tag than the structure requires at that place.
    UnexpectedTag {
        /// Where the element starts.
        offset: usize,
        /// The tag required there.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// A length DER does not allow: indefinite (`0x80`), longer than four bytes, or not in its
    /// shortest form.
    BadLength {
        /// Where the length starts.
        offset: usize,
    },
    /// Bytes follow the end of the outer element.
    TrailingData {
        /// Where the extra bytes start.
        offset: usize,
    },
    /// A validity time that is not a UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime
    /// `YYYYMMDDHHMMSSZ` naming a real instant (RFC 5280, 4.1.2.5).
    BadTime {
        /// Where the time element starts.
        offset: usize,
    },
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DerError::Truncated { offset } => write!(f, "DER input ends early, at byte {offset}"),
            DerError::UnexpectedTag {
                offset,
                expected,
                found,
            } => write!(
                f,
                "DER element at byte {offset} has tag 0x{found:02x}, 0x{expected:02x} is required there"
            ),
            DerError::BadLength { offset } => {
                write!(
                    f,
                    "DER length at byte {offset} is indefinite, too long or not minimal"
                )
            }
            DerError::TrailingData { offset } => {
                write!(
                    f,
                    "bytes follow the end of the DER element, from byte {offset}"
                )
            }
            DerError::BadTime { offset } => write!(
                f,
                "the time at byte {offset} is not a valid UTCTime or GeneralizedTime"
            ),
        }
    }
}

impl core::error::Error for DerError {}

/// One element: its tag, where it starts, its contents and all its bytes.
struct Element<'a> {
    tag: u8,
    offset: usize,
    contents: &'a [u8],
    contents_offset: usize,
    whole: &'a [u8],
}

/// A cursor over a run of elements; `base` is the input offset of `data[0]`.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], base: usize) -> Self {
        Reader { data, pos: 0, base }
    }

    fn inside(element: &Element<'a>) -> Self {
        Reader::new(element.contents, element.contents_offset)
    }

    fn at(&self) -> usize {
        self.base + self.pos
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn byte(&mut self) -> Result<u8, DerError> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or(DerError::Truncated { offset: self.at() })?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads one element of any tag.
    fn element(&mut self) -> Result<Element<'a>, DerError> {
        let start = self.pos;
        let offset = self.at();
        let tag = self.byte()?;
        let length_offset = self.at();
        let first = self.byte()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return Err(DerError::BadLength {
                    offset: length_offset,
                });
            }
            let mut len: usize = 0;
            for i in 0..count {
                let b = self.byte()?;
                if i == 0 && b == 0 {
                    return Err(DerError::BadLength {
                        offset: length_offset,
                    });
                }
                len = len
                    .checked_mul(256)
                    .and_then(|l| l.checked_add(usize::from(b)))
                    .ok_or(DerError::BadLength {
                        offset: length_offset,
                    })?;
            }
            if len < 0x80 {
                return Err(DerError::BadLength {
                    offset: length_offset,
                });
            }
            len
        };
        let contents_start = self.pos;
        let end = contents_start
            .checked_add(len)
            .filter(|&end| end <= self.data.len())
            .ok_or(DerError::Truncated {
                offset: self.base + self.data.len(),
            })?;
        self.pos = end;
        Ok(Element {
            tag,
            offset,
            contents: self.data.get(contents_start..end).unwrap_or(&[]),
            contents_offset: self.base + contents_start,
            whole: self.data.get(start..end).unwrap_or(&[]),
        })
    }

    /// Reads one element that must have `tag`.
    fn expect(&mut self, tag: u8) -> Result<Element<'a>, DerError> {
        match self.peek_tag() {
            None => Err(DerError::Truncated { offset: self.at() }),
            Some(found) if found != tag => Err(DerError::UnexpectedTag {
                offset: self.at(),
                expected: tag,
                found,
            }),
            Some(_) => self.element(),
        }
    }

    /// Fails unless every byte has been read.
    fn finish(&self) -> Result<(), DerError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DerError::TrailingData { offset: self.at() })
        }
    }
}

/// Checks that `spki` is exactly one SubjectPublicKeyInfo: `SEQUENCE { SEQUENCE, BIT STRING }`
/// and nothing after it. The key itself is not interpreted.
#[cfg_attr(not(feature = "sha2"), allow(dead_code))]
pub(crate) fn check_spki(spki: &[u8]) -> Result<(), DerError> {
    let mut outer = Reader::new(spki, 0);
    let element = outer.expect(SEQUENCE)?;
    outer.finish()?;
    check_spki_contents(&element)
}

fn check_spki_contents(element: &Element<'_>) -> Result<(), DerError> {
    let mut inner = Reader::inside(element);
    inner.expect(SEQUENCE)?;
    inner.expect(BIT_STRING)?;
    inner.finish()
}

/// What the walk finds in a DER certificate.
///
/// ```
/// # // The real Kazakhstan roots are read from the shared corpus at run time (never committed).
/// # fn kazakhstan_root(name: &str) -> Option<Vec<u8>> {
/// #     use base64::Engine as _;
/// #     let path = format!("../../../shared/corpus/kazakhstan/{name}.pem");
/// #     let Ok(text) = std::fs::read_to_string(&path) else {
/// #         eprintln!("WARNING: {path} not found; this example is SKIPPED");
/// #         return None;
/// #     };
/// #     let body = text.split("-----BEGIN CERTIFICATE-----").nth(1)?.split("-----END").next()?;
/// #     let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
/// #     base64::engine::general_purpose::STANDARD.decode(b64).ok()
/// # }
/// # let Some(der) = kazakhstan_root("00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2") else { return };
/// let der: &[u8] = &der; // the DER "Qaznet Trust Network" root certificate
/// let info = certblock::CertificateInfo::from_der(der).unwrap();
/// assert_eq!(info.not_before, 1_454_391_660); // 2016-02-02T05:41:00Z
/// assert_eq!(info.spki[0], 0x30); // the DER SubjectPublicKeyInfo, tag and length included
/// assert!(certblock::CertificateInfo::from_der(&der[..100]).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CertificateInfo<'a> {
    /// The exact DER bytes of the SubjectPublicKeyInfo (tag and length included): the bytes
    /// whose SHA-256 is the key of the blocklist.
    pub spki: &'a [u8],
    /// The start of validity, in Unix seconds (UTC; negative before 1970).
    pub not_before: i64,
}

impl<'a> CertificateInfo<'a> {
    /// Walks a DER certificate (exactly one, nothing after it) to its notBefore and its
    /// SubjectPublicKeyInfo.
    pub fn from_der(der: &'a [u8]) -> Result<Self, DerError> {
        let mut outer = Reader::new(der, 0);
        let certificate = outer.expect(SEQUENCE)?;
        outer.finish()?;
        let mut cert = Reader::inside(&certificate);
        let tbs = cert.expect(SEQUENCE)?;
        let mut tbs = Reader::inside(&tbs);
        if tbs.peek_tag() == Some(VERSION) {
            tbs.element()?;
        }
        tbs.expect(INTEGER)?; // serialNumber
        tbs.expect(SEQUENCE)?; // signature
        tbs.expect(SEQUENCE)?; // issuer
        let validity = tbs.expect(SEQUENCE)?;
        let mut validity = Reader::inside(&validity);
        let not_before = time(&validity.element()?)?;
        time(&validity.element()?)?; // notAfter: checked, not kept
        validity.finish()?;
        tbs.expect(SEQUENCE)?; // subject
        let spki = tbs.expect(SEQUENCE)?;
        check_spki_contents(&spki)?;
        Ok(CertificateInfo {
            spki: spki.whole,
            not_before,
        })
    }
}

/// A UTCTime or GeneralizedTime element, in Unix seconds.
fn time(element: &Element<'_>) -> Result<i64, DerError> {
    let bad = DerError::BadTime {
        offset: element.offset,
    };
    let text = element.contents;
    let (year, rest) = match (element.tag, text.len()) {
        (UTC_TIME, 13) => {
            let yy = i64::from(two_digits(text, 0).ok_or(bad)?);
            // RFC 5280: YY >= 50 is 19YY, YY < 50 is 20YY.
            (
                if yy >= 50 { 1900 + yy } else { 2000 + yy },
                text.get(2..).ok_or(bad)?,
            )
        }
        (GENERALIZED_TIME, 15) => {
            let hi = i64::from(two_digits(text, 0).ok_or(bad)?);
            let lo = i64::from(two_digits(text, 2).ok_or(bad)?);
            (hi * 100 + lo, text.get(4..).ok_or(bad)?)
        }
        (UTC_TIME | GENERALIZED_TIME, _) => return Err(bad),
        (found, _) => {
            return Err(DerError::UnexpectedTag {
                offset: element.offset,
                expected: UTC_TIME,
                found,
            });
        }
    };
    // rest: MMDDHHMMSSZ
    if rest.get(10) != Some(&b'Z') {
        return Err(bad);
    }
    let month = two_digits(rest, 0).ok_or(bad)?;
    let day = two_digits(rest, 2).ok_or(bad)?;
    let hour = two_digits(rest, 4).ok_or(bad)?;
    let minute = two_digits(rest, 6).ok_or(bad)?;
    let second = two_digits(rest, 8).ok_or(bad)?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad);
    }
    Ok(days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3_600
        + i64::from(minute) * 60
        + i64::from(second))
}

/// Two ASCII digits at `at`, as a number.
fn two_digits(text: &[u8], at: usize) -> Option<u8> {
    let hi = *text.get(at)?;
    let lo = *text.get(at + 1)?;
    if hi.is_ascii_digit() && lo.is_ascii_digit() {
        Some((hi - b'0') * 10 + (lo - b'0'))
    } else {
        None
    }
}

fn days_in_month(year: i64, month: u8) -> u8 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        _ => 28,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(tag: u8, text: &[u8]) -> Result<i64, DerError> {
        time(&Element {
            tag,
            offset: 7,
            contents: text,
            contents_offset: 9,
            whole: &[],
        })
    }

    #[test]
    fn times_convert_to_unix_seconds() {
        assert_eq!(t(UTC_TIME, b"700101000000Z"), Ok(0));
        assert_eq!(t(UTC_TIME, b"691231235959Z"), Ok(-1));
        assert_eq!(t(UTC_TIME, b"500101000000Z"), Ok(-631_152_000));
        assert_eq!(t(UTC_TIME, b"491231235959Z"), Ok(2_524_607_999));
        assert_eq!(t(UTC_TIME, b"200228061640Z"), Ok(1_582_870_600));
        assert_eq!(t(GENERALIZED_TIME, b"20500228061640Z"), Ok(2_529_641_800));
        assert_eq!(t(GENERALIZED_TIME, b"20240229120000Z"), Ok(1_709_208_000));
        assert_eq!(t(GENERALIZED_TIME, b"19700101000000Z"), Ok(0));
    }

    #[test]
    fn bad_times_are_refused() {
        let bad = Err(DerError::BadTime { offset: 7 });
        for text in [
            &b"2002280616Z"[..],
            b"200228061640",
            b"200228061640+",
            b"201328061640Z",
            b"200230061640Z",
            b"190229000000Z",
            b"200228241640Z",
            b"20022806164aZ",
            b"2002280616400Z",
        ] {
            assert_eq!(t(UTC_TIME, text), bad, "{text:?}");
        }
        assert_eq!(t(GENERALIZED_TIME, b"200228061640Z"), bad);
        assert_eq!(t(GENERALIZED_TIME, b"20500228061640.5Z"), bad);
        assert_eq!(
            t(0x04, b"200228061640Z"),
            Err(DerError::UnexpectedTag {
                offset: 7,
                expected: UTC_TIME,
                found: 0x04
            })
        );
    }

    #[test]
    fn lengths_must_be_definite_short_and_minimal() {
        let element = |bytes: &[u8]| Reader::new(bytes, 0).element().map(|e| e.contents.len());
        assert_eq!(element(&[0x30, 0x01, 0xff]), Ok(1));
        assert_eq!(
            element(&[0x30, 0x80, 0, 0]),
            Err(DerError::BadLength { offset: 1 })
        );
        assert_eq!(
            element(&[0x30, 0x81, 0x05]),
            Err(DerError::BadLength { offset: 1 })
        );
        assert_eq!(
            element(&[0x30, 0x82, 0x00, 0x90]),
            Err(DerError::BadLength { offset: 1 })
        );
        assert_eq!(
            element(&[0x30, 0x85, 1, 0, 0, 0, 0]),
            Err(DerError::BadLength { offset: 1 })
        );
        assert_eq!(
            element(&[0x30, 0x82, 0x01]),
            Err(DerError::Truncated { offset: 3 })
        );
        assert_eq!(
            element(&[0x30, 0x03, 0x00]),
            Err(DerError::Truncated { offset: 3 })
        );
        assert_eq!(element(&[0x30]), Err(DerError::Truncated { offset: 1 }));
        let mut long = [0u8; 3 + 0x90];
        long[..3].copy_from_slice(&[0x30, 0x81, 0x90]);
        assert_eq!(element(&long), Ok(0x90));
    }

    #[test]
    fn spki_shape_is_checked() {
        assert_eq!(check_spki(&[0x30, 0x04, 0x30, 0x00, 0x03, 0x00]), Ok(()));
        assert_eq!(
            check_spki(&[0x30, 0x04, 0x30, 0x00, 0x03, 0x00, 0x00]),
            Err(DerError::TrailingData { offset: 6 })
        );
        assert_eq!(
            check_spki(&[0x30, 0x04, 0x30, 0x00, 0x04, 0x00]),
            Err(DerError::UnexpectedTag {
                offset: 4,
                expected: BIT_STRING,
                found: 0x04
            })
        );
        assert_eq!(
            check_spki(&[0x30, 0x02, 0x30, 0x00]),
            Err(DerError::Truncated { offset: 4 })
        );
        assert_eq!(check_spki(&[]), Err(DerError::Truncated { offset: 0 }));
    }
}
