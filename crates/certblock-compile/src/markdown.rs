//! `BLOCKLIST.md`: the human account of what is blocked and why, grouped by incident.
//!
//! It is generated from the list, so it can never drift from what the tables block.

use std::fmt::Write as _;

use certblock_list::{
    Action, Blocklist, Entry, Evidence, EvidenceKind, GENERATED_NOTICE, Incident, IncidentId,
};

use crate::text::{comment_safe, summary_counts};

/// A Markdown code span holding `s` whatever backticks it contains.
fn code(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_code(&mut out, s);
    out
}

/// Appends the code span of `s` to `out` (what [`code`] returns, without a string of its own).
fn push_code(out: &mut String, s: &str) {
    let s = comment_safe(s);
    if !s.contains('`') {
        out.push('`');
        out.push_str(&s);
        out.push('`');
        return;
    }
    let mut fence = "`".to_string();
    while s.contains(&fence) {
        fence.push('`');
    }
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    for part in [fence.as_str(), pad, &s, pad, &fence] {
        out.push_str(part);
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
    out.push_str("- ");
    out.push_str(match ev.kind {
        EvidenceKind::Certificate => "Certificate",
        EvidenceKind::PublicKey => "Public key",
        EvidenceKind::Facts => "Facts",
    });
    out.push_str(" evidence ");
    match ev.position {
        Some(p) => push_code(out, &format!("{}#{p}", ev.file)),
        None => push_code(out, &ev.file),
    }
    if let Some(name) = &ev.name {
        out.push_str(" (upstream name ");
        push_code(out, name);
        out.push(')');
    }
    out.push('\n');
    let field = |out: &mut String, label: &str| {
        out.push_str("  - ");
        out.push_str(label);
        out.push_str(": ");
    };
    if let Some(s) = &ev.subject {
        field(out, "Subject");
        push_code(out, s);
        out.push('\n');
    }
    if let Some(s) = &ev.issuer {
        field(out, "Issuer");
        push_code(out, s);
        out.push('\n');
    }
    if let Some(s) = &ev.serial {
        field(out, "Serial");
        push_code(out, &s.to_hex());
        out.push('\n');
    }
    match (&ev.not_before, &ev.not_after) {
        (Some(a), Some(b)) => writeln!(out, "  - Valid: {a} to {b}").unwrap(),
        (Some(a), None) => writeln!(out, "  - Valid from: {a}").unwrap(),
        (None, Some(b)) => writeln!(out, "  - Valid until: {b}").unwrap(),
        (None, None) => {}
    }
    if let Some(h) = &ev.cert_sha256 {
        field(out, "Certificate SHA-256");
        push_code(out, h.hex_in(&mut [0; 64]));
        out.push('\n');
    }
    if let Some(h) = &ev.cert_sha1 {
        field(out, "Certificate SHA-1");
        push_code(out, &h.to_hex());
        out.push('\n');
    }
    if ev.kind == EvidenceKind::PublicKey {
        out.push_str("  - Certificate: none: the evidence is the bare public key\n");
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
    out.push_str("#### SPKI SHA-256 ");
    push_code(out, entry.spki_sha256.hex_in(&mut [0; 64]));
    out.push_str("\n\n");
    let mut others = entry.incidents.iter().filter(|id| **id != incident.id);
    if let Some(first) = others.next() {
        write!(out, "Also listed under [{first}](#{first})").unwrap();
        for id in others {
            write!(out, ", [{id}](#{id})").unwrap();
        }
        out.push_str(".\n\n");
    }
    for ev in entry.evidence.iter().filter(|e| e.incident == incident.id) {
        write_evidence(out, ev);
    }
    out.push('\n');
}

/// The entries of each incident, in list order, in the order of `list.incidents`: one pass over
/// the list, whatever the number of incidents.
fn entries_by_incident(list: &Blocklist) -> Vec<Vec<&Entry>> {
    let place: std::collections::BTreeMap<&IncidentId, usize> = list
        .incidents
        .iter()
        .enumerate()
        .map(|(i, incident)| (&incident.id, i))
        .collect();
    let mut by_incident: Vec<Vec<&Entry>> = vec![Vec::new(); list.incidents.len()];
    for entry in &list.entries {
        for id in &entry.incidents {
            if let Some(&i) = place.get(id) {
                by_incident[i].push(entry);
            }
        }
    }
    by_incident
}

/// Renders the whole file.
pub(crate) fn render(list: &Blocklist) -> String {
    // Room for a typical entry's section up front: a large list is not copied as it grows.
    let mut out = String::with_capacity(8192 + 200 * list.entries.len());
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
    let by_incident = entries_by_incident(list);
    for (incident, entries) in list.incidents.iter().zip(&by_incident) {
        let keys = entries.len();
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
    for (incident, entries) in list.incidents.iter().zip(&by_incident) {
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
        for entry in entries {
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
