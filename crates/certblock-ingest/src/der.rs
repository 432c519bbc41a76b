//! Certificates and public keys from DER bytes (parsed by x509-parser): hashes, names, validity.

use std::borrow::Cow;

use certblock_list::{Date, EvidenceKind, Sha256Hash, Timestamp};
use x509_parser::asn1_rs::{FromDer, Header, Length, Tag};
use x509_parser::certificate::{X509Certificate, X509CertificateParser};
use x509_parser::error::X509Error;
use x509_parser::nom::Parser as _;
use x509_parser::public_key::PublicKey;
use x509_parser::time::ASN1Time;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::error::{ItemKind, ProblemKind, WarningKind};
use crate::evidence::EvidenceItem;

/// An item read from DER, with the warnings it raises.
pub(crate) struct Described {
    /// The item (its position and line are filled in by the caller).
    pub item: EvidenceItem,
    /// What is unusual about it.
    pub warnings: Vec<WarningKind>,
}

/// What went wrong in x509-parser, in plain words.
fn reason(e: &x509_parser::nom::Err<X509Error>) -> String {
    match e {
        x509_parser::nom::Err::Incomplete(_) => "the data ends too early".to_string(),
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e.to_string(),
    }
}

/// If the outer DER element claims more bytes than there are, the truncation problem.
fn truncation(der: &[u8]) -> Option<ProblemKind> {
    let (rest, header) = Header::from_der(der).ok()?;
    match header.length() {
        Length::Definite(n) if n > rest.len() => Some(ProblemKind::Truncated {
            declared: (der.len() - rest.len() + n) as u64,
            available: der.len(),
        }),
        _ => None,
    }
}

/// Whether DER bytes have the shape of a private key: a SEQUENCE that starts with an INTEGER
/// (PKCS #1 RSAPrivateKey, PKCS #8 PrivateKeyInfo, SEC 1 ECPrivateKey all do).
fn looks_like_private_key(der: &[u8]) -> bool {
    let Ok((content, outer)) = Header::from_der(der) else {
        return false;
    };
    outer.tag() == Tag::Sequence
        && Header::from_der(content).is_ok_and(|(_, first)| first.tag() == Tag::Integer)
}

/// Reads a certificate that must be one (a PEM CERTIFICATE block).
#[cfg(test)]
pub(crate) fn certificate(der: &[u8]) -> Result<Described, ProblemKind> {
    certificate_owned(der.to_vec(), true)
}

/// [`certificate`], keeping `der` itself (not a copy) as the item's certificate. Unless
/// `keep_spki`, the item's `spki_der` is left empty and its key algorithm and size are not
/// worked out for the usual kinds (the list records none of them for a certificate, so ingest
/// does without).
pub(crate) fn certificate_owned(der: Vec<u8>, keep_spki: bool) -> Result<Described, ProblemKind> {
    if der.is_empty() {
        return Err(ProblemKind::BadCertificate {
            detail: "the block is empty".to_string(),
        });
    }
    let mut described = match X509CertificateParser::new()
        .with_deep_parse_extensions(false)
        .parse(&der)
    {
        Ok(([], cert)) => describe_certificate(&der, &cert, keep_spki),
        Ok((rest, _)) => {
            return Err(ProblemKind::TrailingBytes {
                count: rest.len(),
                after: ItemKind::Certificate,
            });
        }
        Err(e) => {
            return Err(
                truncation(&der).unwrap_or(ProblemKind::BadCertificate { detail: reason(&e) })
            );
        }
    };
    described.item.certificate_der = Some(der);
    Ok(described)
}

/// Reads a public key that must be one (a PEM PUBLIC KEY block).
pub(crate) fn public_key(der: &[u8]) -> Result<Described, ProblemKind> {
    if der.is_empty() {
        return Err(ProblemKind::BadPublicKey {
            detail: "the block is empty".to_string(),
        });
    }
    match SubjectPublicKeyInfo::from_der(der) {
        Ok(([], spki)) => Ok(describe_key(&spki, true)),
        Ok((rest, _)) => Err(ProblemKind::TrailingBytes {
            count: rest.len(),
            after: ItemKind::PublicKey,
        }),
        Err(e) => Err(truncation(der).unwrap_or(ProblemKind::BadPublicKey { detail: reason(&e) })),
    }
}

/// Reads DER that is a certificate or a public key: tried as a certificate, then as an SPKI.
pub(crate) fn certificate_or_key(der: &[u8]) -> Result<Described, ProblemKind> {
    let cert_error = match X509CertificateParser::new()
        .with_deep_parse_extensions(false)
        .parse(der)
    {
        Ok(([], cert)) => {
            let mut described = describe_certificate(der, &cert, true);
            described.item.certificate_der = Some(der.to_vec());
            return Ok(described);
        }
        Ok((rest, _)) => {
            return Err(ProblemKind::TrailingBytes {
                count: rest.len(),
                after: ItemKind::Certificate,
            });
        }
        Err(e) => reason(&e),
    };
    let key_error = match SubjectPublicKeyInfo::from_der(der) {
        Ok(([], spki)) => return Ok(describe_key(&spki, true)),
        Ok((rest, _)) => {
            return Err(ProblemKind::TrailingBytes {
                count: rest.len(),
                after: ItemKind::PublicKey,
            });
        }
        Err(e) => reason(&e),
    };
    if let Some(t) = truncation(der) {
        return Err(t);
    }
    if looks_like_private_key(der) {
        return Err(ProblemKind::PrivateKey { label: None });
    }
    Err(ProblemKind::NotCertificateOrKey {
        as_certificate: cert_error,
        as_public_key: key_error,
    })
}

/// The algorithm of a key as people name it, its size in bits where known, and whether it is
/// one of the usual kinds (RSA, EC, Ed25519).
fn key_algorithm(spki: &SubjectPublicKeyInfo<'_>) -> (String, Option<usize>, bool) {
    // The usual algorithms are recognised by their encoding, without building the dotted string;
    // anything else (including a non-minimal encoding of a known OID) takes the general way.
    let oid = match spki.algorithm.algorithm.as_bytes() {
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01] => {
            Cow::Borrowed("1.2.840.113549.1.1.1")
        }
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => Cow::Borrowed("1.2.840.10045.2.1"),
        _ => Cow::Owned(spki.algorithm.algorithm.to_id_string()),
    };
    match &*oid {
        "1.2.840.113549.1.1.1" => {
            let bits = match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => Some(rsa.key_size()),
                _ => None,
            };
            ("RSA".to_string(), bits, true)
        }
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| match o.as_bytes() {
                    [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] => {
                        Cow::Borrowed("1.2.840.10045.3.1.7")
                    }
                    [0x2b, 0x81, 0x04, 0x00, 0x22] => Cow::Borrowed("1.3.132.0.34"),
                    _ => Cow::Owned(o.to_id_string()),
                });
            let (name, bits) = match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => ("P-256".to_string(), Some(256)),
                Some("1.3.132.0.34") => ("P-384".to_string(), Some(384)),
                Some("1.3.132.0.35") => ("P-521".to_string(), Some(521)),
                Some(other) => (format!("curve {other}"), None),
                None => ("with no named curve".to_string(), None),
            };
            (format!("EC {name}"), bits, true)
        }
        "1.3.101.112" => ("Ed25519".to_string(), Some(256), true),
        "1.3.101.113" => ("Ed448".to_string(), Some(456), false),
        "1.2.840.10040.4.1" => {
            let bits = spki.parsed().ok().map(|k| k.key_size()).filter(|&b| b > 0);
            ("DSA".to_string(), bits, false)
        }
        "1.2.840.113549.1.1.10" => ("RSA-PSS".to_string(), None, false),
        _ => (format!("OID {oid}"), None, false),
    }
}

/// An item for a bare public key. If `full`, it holds a copy of the key's DER, the algorithm's
/// name and the key size; if not (a certificate's key, for ingest, which keeps none of these),
/// only the key's hash, and the name (never the size) only when it is not one of the usual kinds,
/// which is a warning. Its hash is always computed.
fn describe_key(spki: &SubjectPublicKeyInfo<'_>, full: bool) -> Described {
    if !full
        && matches!(
            spki.algorithm.algorithm.as_bytes(),
            [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]
                | [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]
                | [0x2b, 0x65, 0x70]
        )
    {
        // RSA, EC and Ed25519 by their exact OID bytes: usual, so nothing to name or measure.
        let item = EvidenceItem::key(
            Sha256Hash::digest(spki.raw),
            Vec::new(),
            String::new(),
            None,
        );
        return Described {
            item,
            warnings: Vec::new(),
        };
    }
    let (key_algorithm, key_bits, usual) = key_algorithm(spki);
    let mut warnings = Vec::new();
    if !usual {
        warnings.push(WarningKind::UnusualKeyType {
            algorithm: key_algorithm.clone(),
        });
    }
    let der = if full { spki.raw.to_vec() } else { Vec::new() };
    let item = EvidenceItem::key(Sha256Hash::digest(spki.raw), der, key_algorithm, key_bits);
    Described { item, warnings }
}

/// A name exactly as x509-parser's `Display` writes it (`C=XX, O=Org, CN=Name`: attributes
/// of one RDN joined by ` + `, RDNs by `, `, the usual attribute types abbreviated, values that
/// are not strings in upper-case hex), built straight into one string rather than through one
/// string per attribute; `None` where `Display` writes `<X509Error: Invalid X.509 name>`.
fn name_string(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    use x509_parser::asn1_rs::BmpString;
    use x509_parser::oid_registry::{
        OID_DOMAIN_COMPONENT, OID_PKCS9_EMAIL_ADDRESS, OID_X509_COMMON_NAME, OID_X509_COUNTRY_NAME,
        OID_X509_LOCALITY_NAME, OID_X509_ORGANIZATION_NAME, OID_X509_ORGANIZATIONAL_UNIT,
        OID_X509_STATE_OR_PROVINCE_NAME,
    };
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(name.as_raw().len());
    for rdn in name.iter() {
        if !out.is_empty() {
            out.push_str(", ");
        }
        for (index, attr) in rdn.iter().enumerate() {
            if index > 0 {
                out.push_str(" + ");
            }
            let oid = attr.attr_type();
            // The abbreviations x509-parser's own table gives first, then its registry.
            let known = [
                (&OID_X509_COMMON_NAME, "CN"),
                (&OID_X509_COUNTRY_NAME, "C"),
                (&OID_X509_LOCALITY_NAME, "L"),
                (&OID_X509_STATE_OR_PROVINCE_NAME, "ST"),
                (&OID_X509_ORGANIZATION_NAME, "O"),
                (&OID_X509_ORGANIZATIONAL_UNIT, "OU"),
                (&OID_DOMAIN_COMPONENT, "DC"),
                (&OID_PKCS9_EMAIL_ADDRESS, "Email"),
            ];
            match known.iter().find(|(k, _)| *k == oid) {
                Some((_, abbrev)) => out.push_str(abbrev),
                None => match x509_parser::objects::oid2abbrev(
                    oid,
                    x509_parser::objects::oid_registry(),
                ) {
                    Ok(abbrev) => out.push_str(abbrev),
                    Err(_) => out.push_str(&format!("{oid:?}")),
                },
            }
            out.push('=');
            let value = attr.attr_value();
            match value.tag() {
                Tag::NumericString
                | Tag::VisibleString
                | Tag::PrintableString
                | Tag::GeneralString
                | Tag::ObjectDescriptor
                | Tag::GraphicString
                | Tag::T61String
                | Tag::VideotexString
                | Tag::Utf8String
                | Tag::Ia5String => out.push_str(std::str::from_utf8(value.data).ok()?),
                Tag::BmpString => out.push_str(&BmpString::try_from(value.clone()).ok()?.string()),
                _ => {
                    for b in value.as_bytes() {
                        out.push(char::from(HEX[usize::from(b >> 4)]));
                        out.push(char::from(HEX[usize::from(b & 15)]));
                    }
                }
            }
        }
    }
    Some(out)
}

/// A certificate's validity time as a list timestamp, if it can be one.
fn timestamp(time: &ASN1Time) -> Option<Timestamp> {
    let dt = time.to_datetime();
    if !dt.offset().is_utc() {
        return None;
    }
    let year = u16::try_from(dt.year()).ok()?;
    let date = Date::new(year, u8::from(dt.month()), dt.day()).ok()?;
    Timestamp::new(date, dt.hour(), dt.minute(), dt.second()).ok()
}

/// An item for a certificate, with everything the evidence records but the certificate itself
/// (the caller moves it in, so it is never copied).
fn describe_certificate(der: &[u8], cert: &X509Certificate<'_>, keep_spki: bool) -> Described {
    use sha1::Digest as _;
    let tbs = &cert.tbs_certificate;
    let key = describe_key(&tbs.subject_pki, keep_spki);
    let mut warnings = Vec::new();
    let mut item = key.item;
    item.kind = EvidenceKind::Certificate;
    item.cert_sha256 = Some(Sha256Hash::digest(der));
    item.cert_sha1 = Some(sha1::Sha1::digest(der).into());
    item.cert_md5 = Some(md5::Md5::digest(der).into());
    item.version = Some(tbs.version.0 + 1);
    if tbs.version.0 == 0 {
        warnings.push(WarningKind::Version1);
    }
    let serial = tbs.raw_serial();
    if serial.is_empty() || serial[0] & 0x80 != 0 || serial.iter().all(|&b| b == 0) {
        warnings.push(WarningKind::NonPositiveSerial {
            serial_hex: certblock_list::HexBytes(serial.to_vec()).to_hex(),
        });
    }
    item.serial = Some(serial.to_vec());
    let subject = name_string(tbs.subject());
    // A self-signed certificate (a root: most of the evidence) names itself as its issuer, in the
    // same bytes, which make the same string.
    let issuer = if tbs.issuer().as_raw() == tbs.subject().as_raw() {
        subject.clone()
    } else {
        name_string(tbs.issuer())
    };
    for (field, text, slot) in [
        ("subject", subject, &mut item.subject),
        ("issuer", issuer, &mut item.issuer),
    ] {
        let text = text.unwrap_or_else(|| "<X509Error: Invalid X.509 name>".to_string());
        if text.starts_with("<X509Error") {
            warnings.push(WarningKind::UnreadableName { field });
        } else {
            *slot = Some(text);
        }
    }
    item.subject_der = Some(tbs.subject().as_raw().to_vec());
    item.issuer_der = Some(tbs.issuer().as_raw().to_vec());
    for (field, time, slot) in [
        ("notBefore", &tbs.validity.not_before, &mut item.not_before),
        ("notAfter", &tbs.validity.not_after, &mut item.not_after),
    ] {
        match timestamp(time) {
            Some(t) => *slot = Some(t),
            None => warnings.push(WarningKind::UnrecordableTime { field }),
        }
    }
    warnings.extend(key.warnings);
    Described { item, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DER of a TLV.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        assert!(content.len() < 128);
        let mut out = vec![tag, content.len() as u8];
        out.extend_from_slice(content);
        out
    }

    /// Names with one- and many-valued RDNs, empty RDNs, abbreviated, registered and unknown
    /// attribute types, and string, BMP, non-string and broken values: written as x509-parser's
    /// own `Display` writes them.
    #[test]
    fn names_are_written_as_x509_parser_writes_them() {
        use x509_parser::x509::X509Name;
        let cn = [0x55, 0x04, 0x03];
        let c = [0x55, 0x04, 0x06];
        let ou = [0x55, 0x04, 0x0b];
        let serial_number = [0x55, 0x04, 0x05];
        let email = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];
        let dc = [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19];
        let unknown = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c];
        type Attr<'a> = (&'a [u8], u8, &'a [u8]);
        let rdn = |attrs: &[Attr<'_>]| {
            let mut set = Vec::new();
            for (oid, tag, value) in attrs {
                let mut seq = tlv(0x06, oid);
                seq.extend(tlv(*tag, value));
                set.extend(tlv(0x30, &seq));
            }
            tlv(0x31, &set)
        };
        let names: Vec<Vec<Vec<Attr<'_>>>> = vec![
            vec![
                vec![(&c, 0x13, b"XX")],
                vec![(&cn, 0x0c, "Caf\u{e9}".as_bytes())],
            ],
            vec![
                vec![(&cn, 0x13, b"a"), (&ou, 0x13, b"b")],
                vec![(&email, 0x16, b"x@y")],
            ],
            vec![vec![], vec![(&cn, 0x13, b"after an empty RDN")], vec![]],
            vec![
                vec![(&dc, 0x16, b"org")],
                vec![(&serial_number, 0x13, b"42")],
            ],
            vec![
                vec![(&unknown, 0x04, &[0xde, 0xad])],
                vec![(&cn, 0x1e, &[0, 0x41, 0, 0x42])],
            ],
            vec![vec![(&cn, 0x0c, &[0xff, 0xfe])]],
            vec![vec![(&cn, 0x1e, &[0, 0x41, 0])]],
            vec![vec![(&cn, 0x02, &[0x01])], vec![(&cn, 0x14, b"t61")]],
            vec![],
        ];
        for (n, rdns) in names.iter().enumerate() {
            let mut seq = Vec::new();
            for attrs in rdns {
                seq.extend(rdn(attrs));
            }
            let der = tlv(0x30, &seq);
            let (_, name) = X509Name::from_der(&der).unwrap_or_else(|e| panic!("name {n}: {e:?}"));
            let ours =
                name_string(&name).unwrap_or_else(|| "<X509Error: Invalid X.509 name>".to_string());
            assert_eq!(ours, name.to_string(), "name {n}");
        }
    }

    /// The issuer string of a self-signed certificate is its subject's (not worked out again):
    /// exactly what writing the issuer name gives; another issuer is written on its own.
    #[test]
    fn issuer_strings_are_those_of_the_issuer_name() {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(vec![]).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Test Root");
        ca_params
            .distinguished_name
            .push(DnType::OrganizationName, "Org");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let mut leaf_params = CertificateParams::new(vec!["leaf.test".to_string()]).unwrap();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "Leaf");
        let leaf = leaf_params
            .signed_by(&KeyPair::generate().unwrap(), &issuer)
            .unwrap();
        for (der, self_signed) in [(ca.der().to_vec(), true), (leaf.der().to_vec(), false)] {
            let (_, cert) = X509Certificate::from_der(&der).unwrap();
            let item = certificate(&der).ok().unwrap().item;
            let subject = item.subject.unwrap();
            let issuer = item.issuer.unwrap();
            assert_eq!(subject, cert.subject().to_string());
            assert_eq!(issuer, cert.issuer().to_string());
            assert_eq!(subject == issuer, self_signed, "{subject} / {issuer}");
        }
    }

    #[test]
    fn garbage_is_neither_certificate_nor_key() {
        let e = certificate_or_key(b"\x04\x03abc").err().unwrap();
        assert!(matches!(e, ProblemKind::NotCertificateOrKey { .. }), "{e}");
    }

    #[test]
    fn a_sequence_longer_than_the_data_is_truncated() {
        let e = certificate_or_key(&[0x30, 0x82, 0x01, 0x00, 0x30, 0x00])
            .err()
            .unwrap();
        assert_eq!(
            e,
            ProblemKind::Truncated {
                declared: 260,
                available: 6
            }
        );
    }

    #[test]
    fn a_der_private_key_shape_is_refused_as_a_private_key() {
        // SEQUENCE { INTEGER 0, INTEGER 5 }
        let e = certificate_or_key(&[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x05])
            .err()
            .unwrap();
        assert_eq!(e, ProblemKind::PrivateKey { label: None });
    }

    #[test]
    fn empty_blocks_are_refused() {
        assert!(certificate(&[]).is_err());
        assert!(public_key(&[]).is_err());
    }

    /// A SubjectPublicKeyInfo with the algorithm OID `oid` (DER content bytes) and `key_len`
    /// bytes of key.
    fn spki(oid: &[u8], key_len: u8) -> Vec<u8> {
        let mut alg = vec![0x06, oid.len() as u8];
        alg.extend_from_slice(oid);
        let mut body = vec![0x30, alg.len() as u8];
        body.extend(alg);
        body.extend([0x03, key_len + 1, 0x00]);
        body.extend(std::iter::repeat_n(0x42, usize::from(key_len)));
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    #[test]
    fn unusual_key_types_warn_and_usual_ones_do_not() {
        let ed25519 = certificate_or_key(&spki(&[0x2b, 0x65, 0x70], 32))
            .ok()
            .unwrap();
        assert_eq!(ed25519.item.key_algorithm, "Ed25519");
        assert!(ed25519.warnings.is_empty());
        let ed448 = public_key(&spki(&[0x2b, 0x65, 0x71], 57)).ok().unwrap();
        assert_eq!(ed448.item.key_algorithm, "Ed448");
        assert_eq!(
            ed448.warnings,
            vec![WarningKind::UnusualKeyType {
                algorithm: "Ed448".to_string()
            }]
        );
        assert_eq!(
            ed448.item.spki_sha256,
            Sha256Hash::digest(&spki(&[0x2b, 0x65, 0x71], 57))
        );
    }

    #[test]
    fn a_key_with_trailing_bytes_is_refused() {
        let mut der = spki(&[0x2b, 0x65, 0x70], 32);
        der.push(0);
        let e = certificate_or_key(&der).err().unwrap();
        assert_eq!(
            e,
            ProblemKind::TrailingBytes {
                count: 1,
                after: ItemKind::PublicKey
            }
        );
    }
}
