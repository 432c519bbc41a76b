//! Reading `certdata.txt`: lines to objects and attributes, then typed views.

use certblock_list::Sha256Hash;

use super::{Attribute, CertData, Certificate, DistrustAfter, Object, Trust, Value};
use crate::FormatError;

/// Types whose value is one named constant.
const CONSTANT_TYPES: [&str; 4] = [
    "CK_OBJECT_CLASS",
    "CK_BBOOL",
    "CK_CERTIFICATE_TYPE",
    "CK_TRUST",
];

/// Reads a `certdata.txt`. Fails, naming the line, on: a missing `BEGINDATA`, anything but
/// comments before it, an attribute outside an object (an object must start with `CKA_CLASS`),
/// an unknown attribute type, an octal block with a bad byte or without `END`, an attribute
/// given twice in an object, and certificate or trust objects missing what identifies them.
pub fn read(bytes: &[u8]) -> Result<CertData, FormatError> {
    let mut lines = Lines {
        rest: Some(bytes),
        number: 0,
    };

    let mut header_comments = Vec::new();
    let mut in_data = false;
    let mut objects: Vec<Object> = Vec::new();
    let mut current: Option<Object> = None;
    let mut pending: Vec<String> = Vec::new();
    while let Some(line) = lines.next() {
        let (number, line) = line?;
        let trimmed = line.trim();
        if !in_data {
            if trimmed == "BEGINDATA" {
                in_data = true;
            } else if let Some(c) = trimmed.strip_prefix('#') {
                header_comments.push(c.to_string());
            } else if !trimmed.is_empty() {
                return Err(FormatError::certdata(
                    number,
                    format!("expected comments or BEGINDATA before the data, found {trimmed:?}"),
                ));
            }
            continue;
        }
        if trimmed.is_empty() {
            if let Some(done) = current.take() {
                objects.push(done);
            }
            continue;
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            match current.as_mut() {
                Some(object) => object.comments.push(c.to_string()),
                None => pending.push(c.to_string()),
            }
            continue;
        }
        let mut fields = trimmed.splitn(3, |c: char| c.is_ascii_whitespace());
        let name = fields.next().unwrap_or_default();
        let Some(kind) = fields.next() else {
            return Err(FormatError::certdata(
                number,
                format!("attribute {name} has no type and value: expected `ATTRIBUTE TYPE VALUE`"),
            ));
        };
        let rest = fields.next().unwrap_or_default().trim();
        if !name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(FormatError::certdata(
                number,
                format!("{name:?} is not an attribute name (capital letters, digits and '_')"),
            ));
        }
        let value = match kind {
            "MULTILINE_OCTAL" => {
                if !rest.is_empty() {
                    return Err(FormatError::certdata(
                        number,
                        format!("MULTILINE_OCTAL of {name} must end its line, found {rest:?}"),
                    ));
                }
                let mut data = Vec::new();
                loop {
                    let Some(next) = lines.next() else {
                        return Err(FormatError::certdata(
                            number,
                            format!(
                                "the MULTILINE_OCTAL block of {name} has no END before the end of the file"
                            ),
                        ));
                    };
                    let (next_number, next) = next?;
                    let next = next.trim();
                    if next == "END" {
                        break;
                    }
                    octal_line(next, next_number, &mut data)?;
                }
                Value::Octal(data)
            }
            "UTF8" | "ASCII7" => {
                let Some(inner) = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
                    return Err(FormatError::certdata(
                        number,
                        format!(
                            "the {kind} value of {name} must be one quoted string, found {rest:?}"
                        ),
                    ));
                };
                if inner.contains('"') {
                    return Err(FormatError::certdata(
                        number,
                        format!("the {kind} value of {name} has a quote inside it"),
                    ));
                }
                if kind == "UTF8" {
                    Value::Utf8(inner.to_string())
                } else if inner.is_ascii() {
                    Value::Ascii7(inner.to_string())
                } else {
                    return Err(FormatError::certdata(
                        number,
                        format!("the ASCII7 value of {name} is not ASCII"),
                    ));
                }
            }
            k if CONSTANT_TYPES.contains(&k) => {
                if rest.is_empty() || rest.contains(|c: char| c.is_ascii_whitespace()) {
                    return Err(FormatError::certdata(
                        number,
                        format!(
                            "the {k} value of {name} must be one constant name, found {rest:?}"
                        ),
                    ));
                }
                Value::Constant {
                    kind: k.to_string(),
                    name: rest.to_string(),
                }
            }
            other => {
                return Err(FormatError::certdata(
                    number,
                    format!(
                        "attribute {name} has type {other:?}, which certdata.txt does not have \
                         (known: MULTILINE_OCTAL, UTF8, ASCII7, {})",
                        CONSTANT_TYPES.join(", ")
                    ),
                ));
            }
        };
        if name == "CKA_CLASS" {
            let Value::Constant { kind, name: class } = &value else {
                return Err(FormatError::certdata(
                    number,
                    "CKA_CLASS must have type CK_OBJECT_CLASS",
                ));
            };
            if kind != "CK_OBJECT_CLASS" {
                return Err(FormatError::certdata(
                    number,
                    "CKA_CLASS must have type CK_OBJECT_CLASS",
                ));
            }
            if let Some(done) = current.take() {
                objects.push(done);
            }
            current = Some(Object {
                line: number,
                class: class.clone(),
                comments: std::mem::take(&mut pending),
                attributes: Vec::new(),
            });
        }
        let Some(object) = current.as_mut() else {
            return Err(FormatError::certdata(
                number,
                format!("attribute {name} is outside any object: an object starts with CKA_CLASS"),
            ));
        };
        if object.attributes.iter().any(|a| a.name == name) {
            return Err(FormatError::certdata(
                number,
                format!(
                    "attribute {name} is given twice in the object of line {}",
                    object.line
                ),
            ));
        }
        object.attributes.push(Attribute {
            line: number,
            name: name.to_string(),
            value,
        });
    }
    if !in_data {
        return Err(FormatError::certdata(
            lines.number.max(1),
            "there is no BEGINDATA line",
        ));
    }
    if let Some(done) = current.take() {
        objects.push(done);
    }

    let mut certificates = Vec::new();
    let mut trust = Vec::new();
    for object in &objects {
        match object.class.as_str() {
            "CKO_CERTIFICATE" => certificates.push(certificate(object)?),
            "CKO_NSS_TRUST" => trust.push(trust_object(object)?),
            _ => {}
        }
    }
    Ok(CertData {
        header_comments,
        objects,
        trailing_comments: pending,
        certificates,
        trust,
    })
}

/// The lines of a file, one at a time (a file of certificates has millions of them): split at
/// `\n`, a final `\r` dropped, numbered from 1; a final newline ends the last line rather than
/// starting an empty one.
struct Lines<'a> {
    /// What is left to read; `None` once the last line is out.
    rest: Option<&'a [u8]>,
    /// The number of the last line handed out.
    number: usize,
}

impl<'a> Lines<'a> {
    /// The next line and its number; a line that is not UTF-8 is an error naming it.
    fn next(&mut self) -> Option<Result<(usize, &'a str), FormatError>> {
        let rest = self.rest?;
        let raw = match rest.iter().position(|&b| b == b'\n') {
            Some(at) => {
                self.rest = Some(&rest[at + 1..]).filter(|r| !r.is_empty());
                &rest[..at]
            }
            None => {
                self.rest = None;
                rest
            }
        };
        self.number += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        Some(
            std::str::from_utf8(raw)
                .map(|text| (self.number, text))
                .map_err(|_| FormatError::certdata(self.number, "the line is not valid UTF-8")),
        )
    }
}

/// Appends the bytes of one line of `\ooo` escapes.
fn octal_line(line: &str, number: usize, out: &mut Vec<u8>) -> Result<(), FormatError> {
    let b = line.as_bytes();
    let mut at = 0;
    while at < b.len() {
        let chunk = b.get(at..at + 4);
        let value = match chunk {
            Some([b'\\', d @ ..]) if d.iter().all(|c| (b'0'..=b'7').contains(c)) => {
                d.iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'))
            }
            _ => {
                let shown: String = line.chars().skip(at).take(4).collect();
                return Err(FormatError::certdata(
                    number,
                    format!(
                        "{shown:?} at column {} is not an octal byte: expected a backslash and three digits 0-7",
                        at + 1
                    ),
                ));
            }
        };
        let byte = u8::try_from(value).map_err(|_| {
            FormatError::certdata(
                number,
                format!("octal value {value:o} at column {} is over 377", at + 1),
            )
        })?;
        out.push(byte);
        at += 4;
    }
    Ok(())
}

fn bytes_of<'a>(
    object: &'a Object,
    name: &str,
    required: bool,
) -> Result<Option<&'a [u8]>, FormatError> {
    match object.get(name) {
        Some(Value::Octal(b)) => Ok(Some(b)),
        Some(_) => Err(FormatError::certdata(
            object.line,
            format!(
                "{name} of the {} object must be MULTILINE_OCTAL",
                object.class
            ),
        )),
        None if required => Err(FormatError::certdata(
            object.line,
            format!("the {} object has no {name}", object.class),
        )),
        None => Ok(None),
    }
}

fn label_of(object: &Object) -> Result<String, FormatError> {
    match object.get("CKA_LABEL") {
        Some(Value::Utf8(s)) | Some(Value::Ascii7(s)) => Ok(s.clone()),
        Some(_) => Err(FormatError::certdata(
            object.line,
            "CKA_LABEL must be a UTF8 string",
        )),
        None => Err(FormatError::certdata(
            object.line,
            format!("the {} object has no CKA_LABEL", object.class),
        )),
    }
}

fn bool_of(object: &Object, name: &str) -> Result<Option<bool>, FormatError> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::Constant { kind, name: c }) if kind == "CK_BBOOL" && c == "CK_TRUE" => {
            Ok(Some(true))
        }
        Some(Value::Constant { kind, name: c }) if kind == "CK_BBOOL" && c == "CK_FALSE" => {
            Ok(Some(false))
        }
        Some(_) => Err(FormatError::certdata(
            object.line,
            format!("{name} must be CK_BBOOL CK_TRUE or CK_FALSE"),
        )),
    }
}

fn trust_of(object: &Object, name: &str) -> Result<Option<String>, FormatError> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::Constant { kind, name: c }) if kind == "CK_TRUST" => Ok(Some(c.clone())),
        Some(_) => Err(FormatError::certdata(
            object.line,
            format!("{name} must have type CK_TRUST"),
        )),
    }
}

fn distrust_after(object: &Object, name: &str) -> Result<Option<DistrustAfter>, FormatError> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::Constant { kind, name: c }) if kind == "CK_BBOOL" && c == "CK_FALSE" => {
            Ok(None)
        }
        Some(Value::Octal(b)) => match std::str::from_utf8(b) {
            Ok(text) if text.is_ascii() => Ok(Some(DistrustAfter(text.to_string()))),
            _ => Err(FormatError::certdata(
                object.line,
                format!("{name} is not an ASCII time"),
            )),
        },
        Some(_) => Err(FormatError::certdata(
            object.line,
            format!("{name} must be CK_BBOOL CK_FALSE or a MULTILINE_OCTAL time"),
        )),
    }
}

fn required(object: &Object, name: &str) -> Result<Vec<u8>, FormatError> {
    Ok(bytes_of(object, name, true)?.unwrap_or_default().to_vec())
}

fn certificate(object: &Object) -> Result<Certificate, FormatError> {
    let value = required(object, "CKA_VALUE")?;
    Ok(Certificate {
        line: object.line,
        label: label_of(object)?,
        subject: required(object, "CKA_SUBJECT")?,
        issuer: required(object, "CKA_ISSUER")?,
        serial_number: required(object, "CKA_SERIAL_NUMBER")?,
        cert_sha256: Sha256Hash::digest(&value),
        value,
        mozilla_ca_policy: bool_of(object, "CKA_NSS_MOZILLA_CA_POLICY")?,
        server_distrust_after: distrust_after(object, "CKA_NSS_SERVER_DISTRUST_AFTER")?,
        email_distrust_after: distrust_after(object, "CKA_NSS_EMAIL_DISTRUST_AFTER")?,
    })
}

fn trust_object(object: &Object) -> Result<Trust, FormatError> {
    Ok(Trust {
        line: object.line,
        label: label_of(object)?,
        issuer: required(object, "CKA_ISSUER")?,
        serial_number: required(object, "CKA_SERIAL_NUMBER")?,
        cert_sha1: bytes_of(object, "CKA_CERT_SHA1_HASH", false)?.map(<[u8]>::to_vec),
        cert_md5: bytes_of(object, "CKA_CERT_MD5_HASH", false)?.map(<[u8]>::to_vec),
        server_auth: trust_of(object, "CKA_TRUST_SERVER_AUTH")?,
        email_protection: trust_of(object, "CKA_TRUST_EMAIL_PROTECTION")?,
        code_signing: trust_of(object, "CKA_TRUST_CODE_SIGNING")?,
        step_up_approved: bool_of(object, "CKA_TRUST_STEP_UP_APPROVED")?,
        server_distrust_after: distrust_after(object, "CKA_NSS_SERVER_DISTRUST_AFTER")?,
        email_distrust_after: distrust_after(object, "CKA_NSS_EMAIL_DISTRUST_AFTER")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `bytes` as [`Lines`] hands them out.
    fn all(bytes: &[u8]) -> Vec<Result<(usize, &str), String>> {
        let mut lines = Lines {
            rest: Some(bytes),
            number: 0,
        };
        std::iter::from_fn(|| lines.next())
            .map(|l| l.map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn lines_are_numbered_split_and_end_where_the_text_does() {
        assert_eq!(all(b"a\r\nb\n"), [Ok((1, "a")), Ok((2, "b"))]);
        assert_eq!(all(b"a\nb"), [Ok((1, "a")), Ok((2, "b"))]);
        assert_eq!(all(b"a\n\n"), [Ok((1, "a")), Ok((2, ""))]);
        assert_eq!(all(b""), [Ok((1, ""))]);
        let bad = all(b"a\n\xff\nc");
        assert_eq!(bad[0], Ok((1, "a")));
        let error = bad[1].clone().unwrap_err();
        assert!(
            error.contains("line 2") && error.contains("UTF-8"),
            "{error}"
        );
        assert_eq!(bad[2], Ok((3, "c")));
    }
}
