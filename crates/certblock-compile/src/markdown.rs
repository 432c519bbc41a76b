//! `BLOCKLIST.md`: the human account of what is blocked and why, grouped by incident.
//!
//! It is generated from the list, so it can never drift from what the tables block.

use std::fmt::Write as _;

use certblock_list::{
    Action, Blocklist, Entry, Evidence, EvidenceKind, GENERATED_NOTICE, Incident,
};

use crate::text::{comment_safe, summary_counts};

/// A Markdown code span holding `s` whatever backticks it contains.
fn code(s: &str) -> String {
    let s = comment_safe(s);
    let mut fence = "`".to_string();
    while s.contains(&fence) {
        fence.push('`');
    }
    if s.starts_with('`') || s.ends_with('`') {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// Plain text safe in Markdown: characters with a meaning there are backslash-escaped.
fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in comment_safe(s).chars() {
        if "\\`*_[]<>|#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn action_words(action: Action) -> &'static str {
    match action {
        Action::Block => "block: chains with these keys are refused",
        Action::KnownInterception => {
            "known-interception: chains are labelled as intercepted, not refused"
        }
        Action::BlockedInterception => {
            "blocked-interception: chains are refused and labelled as intercepted"
        }
    }
}

fn write_evidence(out: &mut String, ev: &Evidence) {
    let mut head = format!(
        "- {} evidence {}",
        capitalised(&ev.kind.to_string()),
        code(&ev.location())
    );
    if let Some(name) = &ev.name {
        write!(head, " (upstream name {})", code(name)).unwrap();
    }
    writeln!(out, "{head}").unwrap();
    let mut field = |label: &str, value: String| writeln!(out, "  - {label}: {value}").unwrap();
    if let Some(s) = &ev.subject {
        field("Subject", code(s));
    }
    if let Some(s) = &ev.issuer {
        field("Issuer", code(s));
    }
    if let Some(s) = &ev.serial {
        field("Serial", code(&s.to_hex()));
    }
    match (&ev.not_before, &ev.not_after) {
        (Some(a), Some(b)) => field("Valid", format!("{a} to {b}")),
        (Some(a), None) => field("Valid from", a.to_string()),
        (None, Some(b)) => field("Valid until", b.to_string()),
        (None, None) => {}
    }
    if let Some(h) = &ev.cert_sha256 {
        field("Certificate SHA-256", code(&h.to_hex()));
    }
    if let Some(h) = &ev.cert_sha1 {
        field("Certificate SHA-1", code(&h.to_hex()));
    }
    if ev.kind == EvidenceKind::PublicKey {
        field(
            "Certificate",
            "none: the evidence is the bare public key".to_string(),
        );
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn write_entry(out: &mut String, incident: &Incident, entry: &Entry) {
    writeln!(
        out,
        "#### SPKI SHA-256 {}",
        code(&entry.spki_sha256.to_hex())
    )
    .unwrap();
    writeln!(out).unwrap();
    let others: Vec<String> = entry
        .incidents
        .iter()
        .filter(|id| **id != incident.id)
        .map(|id| format!("[{}](#{id})", id))
        .collect();
    if !others.is_empty() {
        writeln!(out, "Also listed under {}.", others.join(", ")).unwrap();
        writeln!(out).unwrap();
    }
    for ev in entry.evidence.iter().filter(|e| e.incident == incident.id) {
        write_evidence(out, ev);
    }
    writeln!(out).unwrap();
}

/// Renders the whole file.
pub(crate) fn render(list: &Blocklist) -> String {
    let mut out = String::new();
    writeln!(out, "<!-- {GENERATED_NOTICE} -->").unwrap();
    writeln!(out).unwrap();
    writeln!(out, "# certblock: what is blocked and why").unwrap();
    writeln!(out).unwrap();
    writeln!(
        out,
        "{}; list sequence {}.",
        capitalised(&summary_counts(list)),
        list.sequence
    )
    .unwrap();
    writeln!(out).unwrap();
    out.push_str(
        "Every entry is a public key, identified by its **SPKI SHA-256**: the SHA-256 of the DER \
         SubjectPublicKeyInfo, the value Chromium's blocklist and Mozilla's `pubKeyHash` use. A key is \
         refused under any subject and any issuer, so re-issued and cross-signed certificates that \
         carry the same key are caught too. Where evidence names a subject, that subject is a record \
         of where the key was seen, not a condition of the block. **Certificate SHA-256** values are \
         fingerprints of whole certificates, listed as evidence only.\n\n",
    );
    writeln!(out, "## Incidents").unwrap();
    writeln!(out).unwrap();
    writeln!(out, "| Incident | Action | Added | Keys |").unwrap();
    writeln!(out, "|---|---|---|---|").unwrap();
    for incident in &list.incidents {
        let keys = list
            .entries
            .iter()
            .filter(|e| e.incidents.contains(&incident.id))
            .count();
        writeln!(
            out,
            "| [{}](#{}) | {} | {} | {keys} |",
            plain(&incident.title),
            incident.id,
            incident.action,
            incident
                .added
                .map(|d| d.to_string())
                .unwrap_or_else(|| "unknown".to_string()),
        )
        .unwrap();
    }
    writeln!(out).unwrap();
    for incident in &list.incidents {
        writeln!(out, "<a id=\"{}\"></a>", incident.id).unwrap();
        writeln!(out).unwrap();
        writeln!(out, "### {}", plain(&incident.title)).unwrap();
        writeln!(out).unwrap();
        writeln!(out, "- Incident id: {}", code(incident.id.as_str())).unwrap();
        writeln!(out, "- Action: {}", action_words(incident.action)).unwrap();
        writeln!(out, "- Category: {}", incident.category).unwrap();
        if let Some(added) = incident.added {
            writeln!(out, "- Added: {added}").unwrap();
        }
        if let Some(t) = incident.distrust_after {
            writeln!(
                out,
                "- Distrust after: {t} (only chains whose leaf notBefore is later are affected)"
            )
            .unwrap();
        }
        if !incident.references.is_empty() {
            writeln!(out, "- References:").unwrap();
            for r in &incident.references {
                writeln!(
                    out,
                    "  - <{}>",
                    comment_safe(r).replace(['<', '>', ' '], "")
                )
                .unwrap();
            }
        }
        writeln!(out).unwrap();
        writeln!(out, "{}", plain(&incident.summary)).unwrap();
        writeln!(out).unwrap();
        for entry in list
            .entries
            .iter()
            .filter(|e| e.incidents.contains(&incident.id))
        {
            write_entry(&mut out, incident, entry);
        }
    }
    // One trailing newline exactly, whatever the last section wrote.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
    }

    #[test]
    fn plain_text_escapes_markdown() {
        assert_eq!(plain("R&D *x* <y>"), "R&D \\*x\\* \\<y\\>");
    }
}
