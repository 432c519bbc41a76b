//! `certblock dump FILE`: recognises a CRLSet, an NSS certdata.txt, a OneCRL JSON, a canonical
//! list or a run-time snapshot (`blocklist.bin`) and prints it readably, or as JSON for machines.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use certblock_compile::snapshot;
use certblock_formats::{Format, certdata, crlset, detect, onecrl};
use certblock_list::Blocklist;

/// A readable listing of a canonical list: counts, then one line per key with its labels.
fn dump_list(list: &Blocklist) -> String {
    let mut out = String::new();
    let c = list.counts();
    writeln!(
        out,
        "certblock list, sequence {}, source digest {}",
        list.sequence, list.source_digest
    )
    .unwrap();
    writeln!(
        out,
        "{} keys ({} block, {} known-interception, {} blocked-interception), {} incidents",
        list.entries.len(),
        c.block,
        c.known_interception,
        c.blocked_interception,
        list.incidents.len()
    )
    .unwrap();
    for entry in &list.entries {
        let incidents: Vec<&str> = entry.incidents.iter().map(|i| i.as_str()).collect();
        writeln!(
            out,
            "SPKI SHA-256 {}  {}  {}  {}",
            entry.spki_sha256,
            entry.action,
            incidents.join(","),
            entry.subject().unwrap_or("(no subject known)")
        )
        .unwrap();
        for cert in entry.cert_sha256s() {
            writeln!(out, "    certificate SHA-256 {cert}").unwrap();
        }
    }
    out
}

/// Prints `path` in its own format's readable form, or as JSON.
pub fn run(path: &Path, json: bool) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if bytes.starts_with(&snapshot::MAGIC) {
        let parsed = snapshot::decode(&bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}: looks like a certblock snapshot but does not read: {e}",
                path.display()
            )
        })?;
        if json {
            crate::stdout::print(&(serde_json::to_string_pretty(&parsed)? + "\n"))?;
        } else {
            crate::stdout::print(&snapshot::dump(&parsed))?;
        }
        return Ok(());
    }
    let Some(format) = detect(&bytes) else {
        bail!(
            "{}: not a format certblock reads (CRLSet, NSS certdata.txt, OneCRL JSON, certblock list, snapshot)",
            path.display()
        );
    };
    let context = || {
        format!(
            "{}: looks like {} but does not read",
            path.display(),
            format.name()
        )
    };
    let (text, value) = match format {
        Format::CrlSet => {
            let parsed = crlset::read(&bytes).with_context(context)?;
            (crlset::dump(&parsed), serde_json::to_value(&parsed)?)
        }
        Format::CertData => {
            let parsed = certdata::read(&bytes).with_context(context)?;
            (certdata::dump(&parsed), serde_json::to_value(&parsed)?)
        }
        Format::OneCrl => {
            let parsed = onecrl::read(&bytes).with_context(context)?;
            (onecrl::dump(&parsed), serde_json::to_value(&parsed)?)
        }
        Format::CanonicalList => {
            let text = String::from_utf8_lossy(&bytes);
            let list = Blocklist::from_json(&text).with_context(context)?;
            (dump_list(&list), serde_json::from_str(&text)?)
        }
    };
    if json {
        crate::stdout::print(&(serde_json::to_string_pretty(&value)? + "\n"))?;
    } else {
        crate::stdout::print(&text)?;
    }
    Ok(())
}
