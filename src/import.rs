//! `certblock import`: collects entries from an upstream list (CRLSet, NSS certdata.txt, OneCRL)
//! into a new incident folder under `sources/`, and reports what it took and what it could not.
//!
//! Keys known only by hash become `facts.json` records; certificates the upstream file carries
//! (NSS does) become `<certificate SHA-256>.pem` files. Upstream records that carry no key (OneCRL
//! issuer+serial records, NSS trust-only objects, CRLSet serials) cannot be entries, since every
//! entry is a key: they are listed in the report, printed and kept as `IMPORT-REPORT.md` beside
//! the evidence, so a reviewer sees them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use certblock_formats::{certdata, crlset, onecrl};
use certblock_list::{Action, Base64Bytes, HexBytes, IncidentId, Sha256Hash};
use serde::Serialize;

/// The upstream formats `import` reads.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum From {
    /// Chromium's CRLSet.
    Crlset,
    /// NSS certdata.txt (explicitly distrusted certificates).
    Nss,
    /// Mozilla OneCRL JSON.
    Onecrl,
}

impl From {
    /// The spelling on the command line.
    fn name(self) -> &'static str {
        match self {
            From::Crlset => "crlset",
            From::Nss => "nss",
            From::Onecrl => "onecrl",
        }
    }
}

/// What the import was asked to do.
pub struct Request<'a> {
    /// The upstream format.
    pub from: From,
    /// The upstream file.
    pub file: &'a Path,
    /// The incident folder to create.
    pub incident: &'a str,
    /// The action of the new incident.
    pub action: Action,
    /// Title for the new incident.
    pub title: Option<&'a str>,
    /// Summary for the new incident.
    pub summary: Option<&'a str>,
    /// References for the new incident.
    pub references: &'a [String],
    /// The sources folder.
    pub sources: &'a Path,
}

/// One `facts.json` record, in the field order of the sources format.
#[derive(Serialize)]
struct FactsRecord {
    spki_sha256: Sha256Hash,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject_der: Option<Base64Bytes>,
}

#[derive(Serialize)]
struct FactsFile {
    records: Vec<FactsRecord>,
}

#[derive(Serialize)]
struct IncidentFile<'a> {
    title: &'a str,
    category: &'static str,
    action: Action,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    references: &'a [String],
    summary: &'a str,
}

/// What an import found.
#[derive(Default)]
struct Collected {
    facts: Vec<FactsRecord>,
    certificates: Vec<(Sha256Hash, Vec<u8>)>,
    /// Upstream records without a key, described for the report.
    keyless: Vec<String>,
    /// Records skipped for another reason (not distrusted, other action), described.
    skipped: Vec<String>,
}

/// The RFC 4514 string of a DER Name, or a note when it does not parse.
fn name_string(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer as _;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => format!(
            "(unparsable name, base64 {})",
            Base64Bytes(der.to_vec()).to_base64()
        ),
    }
}

fn collect_onecrl(bytes: &[u8], origin: &str) -> Result<Collected> {
    let parsed = onecrl::read(bytes)?;
    let mut out = Collected::default();
    for record in parsed.records {
        let what = record
            .details
            .as_ref()
            .and_then(|d| d.name.clone())
            .unwrap_or_default();
        match record.target {
            onecrl::Target::SubjectKey {
                subject,
                pub_key_hash,
            } => {
                let enabled = if record.enabled == Some(false) {
                    ", disabled upstream"
                } else {
                    ""
                };
                out.facts.push(FactsRecord {
                    spki_sha256: pub_key_hash,
                    name: Some(format!("{origin} record {}{enabled}", record.id)),
                    subject: Some(name_string(&subject)),
                    subject_der: Some(Base64Bytes(subject)),
                });
            }
            onecrl::Target::IssuerSerial {
                issuer_name,
                serial_number,
            } => out.keyless.push(format!(
                "OneCRL record {}: issuer `{}`, serial `{}` {what}",
                record.id,
                name_string(&issuer_name),
                HexBytes(serial_number).to_hex()
            )),
        }
    }
    Ok(out)
}

fn collect_nss(bytes: &[u8]) -> Result<Collected> {
    let parsed = certdata::read(bytes)?;
    let mut out = Collected::default();
    for trust in &parsed.trust {
        let cert = parsed
            .certificates
            .iter()
            .find(|c| c.issuer == trust.issuer && c.serial_number == trust.serial_number);
        let described = format!(
            "NSS trust object at line {} ({}): issuer `{}`",
            trust.line,
            trust.label,
            name_string(&trust.issuer)
        );
        if !trust.is_distrust() {
            out.skipped
                .push(format!("{described}: trusted, not a distrust entry"));
            continue;
        }
        match cert {
            Some(cert) => out
                .certificates
                .push((cert.cert_sha256, cert.value.clone())),
            None => out.keyless.push(format!(
                "{described}: trust-only, the certificate is not in the file"
            )),
        }
    }
    Ok(out)
}

fn collect_crlset(bytes: &[u8], action: Action) -> Result<Collected> {
    let parsed = crlset::read(bytes)?;
    let mut out = Collected::default();
    let header = &parsed.header;
    for (array, keys, array_action) in [
        ("BlockedSPKIs", &header.blocked_spkis, Action::Block),
        (
            "KnownInterceptionSPKIs",
            &header.known_interception_spkis,
            Action::KnownInterception,
        ),
        (
            "BlockedInterceptionSPKIs",
            &header.blocked_interception_spkis,
            Action::BlockedInterception,
        ),
    ] {
        for key in keys {
            if array_action == action {
                out.facts.push(FactsRecord {
                    spki_sha256: *key,
                    name: Some(format!("CRLSet sequence {} {array}", header.sequence)),
                    subject: None,
                    subject_der: None,
                });
            } else {
                out.skipped.push(format!(
                    "SPKI SHA-256 {key} in {array}: action {array_action}, import it with --action {array_action}"
                ));
            }
        }
    }
    for parent in &parsed.parents {
        out.keyless.push(format!(
            "{} serial(s) revoked under the parent with SPKI SHA-256 {}: the keys of those certificates are unknown",
            parent.serials.len(),
            parent.spki_sha256
        ));
    }
    Ok(out)
}

/// Runs the import and prints the report.
pub fn run(request: &Request<'_>) -> Result<()> {
    let id: IncidentId = request.incident.parse().map_err(anyhow::Error::msg)?;
    let bytes = std::fs::read(request.file)
        .with_context(|| format!("{}: cannot read", request.file.display()))?;
    let origin = request
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut collected = match request.from {
        From::Onecrl => collect_onecrl(&bytes, &origin),
        From::Nss => collect_nss(&bytes),
        From::Crlset => collect_crlset(&bytes, request.action),
    }
    .with_context(|| {
        format!(
            "{}: not a readable {} file",
            request.file.display(),
            request.from.name()
        )
    })?;
    collected
        .facts
        .sort_by(|a, b| (a.spki_sha256, &a.name).cmp(&(b.spki_sha256, &b.name)));
    collected.certificates.sort();
    collected.certificates.dedup();

    let folder: PathBuf = request.sources.join(id.as_str());
    if folder.exists() {
        bail!(
            "{}: already exists; import into a new incident folder",
            folder.display()
        );
    }
    if collected.facts.is_empty() && collected.certificates.is_empty() {
        bail!(
            "{}: nothing to import: no keys or certificates with action {} ({} keyless record(s), {} skipped)",
            request.file.display(),
            request.action,
            collected.keyless.len(),
            collected.skipped.len()
        );
    }
    let collected_facts_count = collected.facts.len();
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("{}: cannot create", folder.display()))?;
    let summary_default = format!(
        "Imported by `certblock import --from {}` from {origin}. Replace this with what happened, in our own words.",
        request.from.name()
    );
    let title_default = format!("Imported from {origin}");
    let incident = IncidentFile {
        title: request.title.unwrap_or(&title_default),
        category: "other",
        action: request.action,
        references: request.references,
        summary: request.summary.unwrap_or(&summary_default),
    };
    write_json(&folder.join("incident.json"), &incident)?;
    if !collected.facts.is_empty() {
        write_json(
            &folder.join("facts.json"),
            &FactsFile {
                records: std::mem::take(&mut collected.facts),
            },
        )?;
    }
    let facts = collected_facts_count;
    for (hash, der) in &collected.certificates {
        let pem = ::pem::encode(&::pem::Pem::new("CERTIFICATE", der.clone()));
        let path = folder.join(format!("{hash}.pem"));
        std::fs::write(&path, pem).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    let report = report(request, &origin, &collected, facts);
    std::fs::write(folder.join("IMPORT-REPORT.md"), &report)?;
    crate::stdout::print(&report)?;
    Ok(())
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}

fn report(request: &Request<'_>, origin: &str, collected: &Collected, facts: usize) -> String {
    let mut out = String::new();
    writeln!(out, "# Import report: {origin}").unwrap();
    writeln!(out).unwrap();
    writeln!(
        out,
        "Imported with `--from {} --action {}` into `{}`.",
        request.from.name(),
        request.action,
        request.incident
    )
    .unwrap();
    writeln!(out).unwrap();
    writeln!(out, "- Keys taken as facts records: {facts}").unwrap();
    writeln!(
        out,
        "- Certificates taken as files: {}",
        collected.certificates.len()
    )
    .unwrap();
    writeln!(
        out,
        "- Records without a key (not imported: every entry is a key): {}",
        collected.keyless.len()
    )
    .unwrap();
    writeln!(out, "- Records skipped: {}", collected.skipped.len()).unwrap();
    for (heading, lines) in [
        ("Records without a key", &collected.keyless),
        ("Skipped", &collected.skipped),
    ] {
        if !lines.is_empty() {
            writeln!(out, "\n## {heading}\n").unwrap();
            for line in lines.iter() {
                writeln!(out, "- {}", line.trim_end()).unwrap();
            }
        }
    }
    out
}
