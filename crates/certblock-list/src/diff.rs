//! The semantic diff of two lists: which keys were added, removed or changed, and how.
//!
//! A raw diff of `generated/` is noise (the phf table reshuffles when one key is added); what a
//! reviewer needs is "which keys, in which incident, with what evidence". [`diff`] compares two
//! [`Blocklist`]s entry by entry (by SPKI SHA-256) and incident by incident (by id) and returns a
//! [`ListDiff`], which renders as text for a terminal ([`ListDiff::to_text`]), Markdown for a pull
//! request comment or CI job summary ([`ListDiff::to_markdown`]) or JSON ([`ListDiff::to_json`]).
//!
//! The diff is empty exactly when the two lists hold the same incidents and entries
//! ([`Blocklist::same_content`]): fields the diff does not know by name are still compared, as
//! JSON, and reported under their own name. Every order is by key (SPKI SHA-256, incident id,
//! evidence location), so the same two lists always give the same output.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::{
    Action, Blocklist, Category, Date, Entry, Evidence, EvidenceKind, Incident, IncidentId,
    Sha256Hash, Timestamp,
};

/// The value of the `format` field of the JSON form of a diff.
pub const DIFF_FORMAT: &str = "certblock-diff/1";

/// Whether something is new, gone, or present in both lists with a difference.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Only in the new list.
    Added,
    /// Only in the old list.
    Removed,
    /// In both, different.
    Changed,
}

impl Change {
    /// `added`, `removed` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }

    fn marker(self) -> &'static str {
        match self {
            Change::Added => "+",
            Change::Removed => "-",
            Change::Changed => "~",
        }
    }
}

/// A value in the old list and in the new one.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ValueChange<T> {
    /// The value in the old list.
    pub old: T,
    /// The value in the new list.
    pub new: T,
}

/// An incident as an entry names it: its id and title.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct IncidentRef {
    /// The incident's id (its folder under `sources/`).
    pub id: IncidentId,
    /// The incident's title, from the list the reference comes from.
    pub title: String,
}

/// A piece of evidence as the diff shows it. Its identity is incident, location, kind and
/// certificate SHA-256: evidence with the same identity in both lists is the same evidence.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct EvidenceRef {
    /// The incident whose folder holds it.
    pub incident: IncidentId,
    /// `file` or `file#position`, relative to `sources/`.
    pub location: String,
    /// Certificate, public key or facts record.
    pub kind: EvidenceKind,
    /// The certificate SHA-256 it gives, if any (not the key hash).
    pub cert_sha256: Option<Sha256Hash>,
    /// The subject name it gives, if any.
    pub subject: Option<String>,
}

impl EvidenceRef {
    fn of(evidence: &Evidence) -> Self {
        EvidenceRef {
            incident: evidence.incident.clone(),
            location: evidence.location(),
            kind: evidence.kind,
            cert_sha256: evidence.cert_sha256,
            subject: evidence.subject.clone(),
        }
    }
}

/// A field compared as JSON: one the diff has no dedicated rule for, or a field of evidence.
/// `None` means the field is absent on that side.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct FieldChange {
    /// The field's name in `blocklist.json`.
    pub field: String,
    /// Its value in the old list.
    pub old: Option<Value>,
    /// Its value in the new list.
    pub new: Option<Value>,
}

/// One difference within an entry present in both lists (or, for an added or removed entry, one
/// piece of its evidence).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(tag = "detail", rename_all = "kebab-case")]
pub enum EntryDetail {
    /// The key's action changed.
    Action(ValueChange<Action>),
    /// The key left one incident for another.
    IncidentMoved {
        /// The incident it left (title from the old list).
        from: IncidentRef,
        /// The incident it joined (title from the new list).
        to: IncidentRef,
    },
    /// The key is now also listed by this incident.
    IncidentAdded(IncidentRef),
    /// The key is no longer listed by this incident.
    IncidentRemoved(IncidentRef),
    /// The key's `distrust_after` changed.
    DistrustAfter(ValueChange<Option<Timestamp>>),
    /// New evidence for the key.
    EvidenceAdded(EvidenceRef),
    /// Evidence no longer there.
    EvidenceRemoved(EvidenceRef),
    /// The same evidence (same identity) with other fields changed, such as a facts record's
    /// subject.
    EvidenceChanged {
        /// The evidence, as in the new list.
        evidence: EvidenceRef,
        /// Each field that differs.
        fields: Vec<FieldChange>,
    },
    /// A field of the entry with no dedicated rule.
    Field(FieldChange),
}

/// How one entry (one key) differs.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct EntryDiff {
    /// The key: SHA-256 of the DER SubjectPublicKeyInfo.
    pub spki_sha256: Sha256Hash,
    /// Added, removed or changed.
    pub change: Change,
    /// The action, in the new list (the old one for a removed entry).
    pub action: Action,
    /// The incidents listing the key, with titles, in the new list (the old one for a removed
    /// entry).
    pub incidents: Vec<IncidentRef>,
    /// The first subject name the evidence gives.
    pub subject: Option<String>,
    /// Every certificate SHA-256 the evidence gives, sorted (certificate fingerprints, not key
    /// hashes).
    pub cert_sha256: Vec<Sha256Hash>,
    /// What changed, in a fixed order (action, incidents, distrust date, evidence removed, added
    /// and changed, other fields); for an added or removed entry, its evidence.
    pub details: Vec<EntryDetail>,
}

/// One difference within an incident present in both lists.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(tag = "detail", rename_all = "kebab-case")]
pub enum IncidentDetail {
    /// The title changed.
    Title(ValueChange<String>),
    /// The category changed.
    Category(ValueChange<Category>),
    /// The action changed (and with it every entry of the incident).
    Action(ValueChange<Action>),
    /// The date the keys were added to browsers' lists changed.
    Added(ValueChange<Option<Date>>),
    /// The distrust date changed.
    DistrustAfter(ValueChange<Option<Timestamp>>),
    /// The summary changed.
    Summary(ValueChange<String>),
    /// A reference was added.
    ReferenceAdded {
        /// The reference.
        reference: String,
    },
    /// A reference was removed.
    ReferenceRemoved {
        /// The reference.
        reference: String,
    },
    /// A field of the incident with no dedicated rule.
    Field(FieldChange),
}

/// How one incident differs.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct IncidentDiff {
    /// The incident's id.
    pub id: IncidentId,
    /// Added, removed or changed.
    pub change: Change,
    /// The title in the new list (the old one for a removed incident).
    pub title: String,
    /// The category in the new list (the old one for a removed incident).
    pub category: Category,
    /// The action in the new list (the old one for a removed incident).
    pub action: Action,
    /// What changed, in a fixed order; empty for an added or removed incident.
    pub details: Vec<IncidentDetail>,
}

/// How many things were added, removed and changed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Counts {
    /// Only in the new list.
    pub added: usize,
    /// Only in the old list.
    pub removed: usize,
    /// In both, different.
    pub changed: usize,
}

impl Counts {
    fn count(&mut self, change: Change) {
        match change {
            Change::Added => self.added += 1,
            Change::Removed => self.removed += 1,
            Change::Changed => self.changed += 1,
        }
    }

    fn line(&self) -> String {
        format!(
            "{} added, {} removed, {} changed",
            self.added, self.removed, self.changed
        )
    }
}

/// The count summary of a diff.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize)]
pub struct DiffSummary {
    /// Entries (keys) added, removed and changed.
    pub entries: Counts,
    /// Incidents added, removed and changed.
    pub incidents: Counts,
}

/// The semantic difference between two lists; see [`diff`].
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ListDiff {
    /// The sequence numbers of the two lists (shown, not compared: a list's content is what
    /// the diff is about).
    pub sequence: ValueChange<u64>,
    /// How many entries and incidents were added, removed and changed.
    pub summary: DiffSummary,
    /// Every incident that differs, by id.
    pub incidents: Vec<IncidentDiff>,
    /// Every entry that differs, by SPKI SHA-256.
    pub entries: Vec<EntryDiff>,
}

impl ListDiff {
    /// Whether the two lists hold the same incidents and entries.
    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty() && self.entries.is_empty()
    }
}

/// Compares two lists: every entry and incident added, removed or changed, in key order.
pub fn diff(old: &Blocklist, new: &Blocklist) -> ListDiff {
    let mut summary = DiffSummary::default();

    let mut incidents = Vec::new();
    for pair in merge_by_key(&old.incidents, &new.incidents, |i| &i.id) {
        let found = match pair {
            (Some(o), None) => Some(incident_only(o, Change::Removed)),
            (None, Some(n)) => Some(incident_only(n, Change::Added)),
            (Some(o), Some(n)) => incident_changes(o, n),
            (None, None) => None,
        };
        if let Some(d) = found {
            summary.incidents.count(d.change);
            incidents.push(d);
        }
    }

    let mut entries = Vec::new();
    for pair in merge_by_key(&old.entries, &new.entries, |e| &e.spki_sha256) {
        let found = match pair {
            (Some(o), None) => Some(entry_only(old, o, Change::Removed)),
            (None, Some(n)) => Some(entry_only(new, n, Change::Added)),
            (Some(o), Some(n)) => entry_changes(old, new, o, n),
            (None, None) => None,
        };
        if let Some(d) = found {
            summary.entries.count(d.change);
            entries.push(d);
        }
    }

    ListDiff {
        sequence: ValueChange {
            old: old.sequence,
            new: new.sequence,
        },
        summary,
        incidents,
        entries,
    }
}

/// Walks two slices sorted by `key` together, pairing items with equal keys.
fn merge_by_key<'a, T, K: Ord + 'a>(
    old: &'a [T],
    new: &'a [T],
    key: impl Fn(&'a T) -> &'a K,
) -> Vec<(Option<&'a T>, Option<&'a T>)> {
    let mut map: BTreeMap<&K, (Option<&T>, Option<&T>)> = BTreeMap::new();
    for item in old {
        map.entry(key(item)).or_default().0 = Some(item);
    }
    for item in new {
        map.entry(key(item)).or_default().1 = Some(item);
    }
    map.into_values().collect()
}

fn incident_ref(list: &Blocklist, id: &IncidentId) -> IncidentRef {
    IncidentRef {
        id: id.clone(),
        title: list
            .incident(id)
            .map(|i| i.title.clone())
            .unwrap_or_default(),
    }
}

fn incident_only(incident: &Incident, change: Change) -> IncidentDiff {
    IncidentDiff {
        id: incident.id.clone(),
        change,
        title: incident.title.clone(),
        category: incident.category,
        action: incident.action,
        details: Vec::new(),
    }
}

/// Fields of [`Incident`] with a dedicated rule; the rest are compared as JSON.
const INCIDENT_FIELDS: [&str; 8] = [
    "id",
    "title",
    "category",
    "action",
    "added",
    "distrust_after",
    "references",
    "summary",
];

fn incident_changes(old: &Incident, new: &Incident) -> Option<IncidentDiff> {
    if old == new {
        return None;
    }
    let mut details = Vec::new();
    if old.title != new.title {
        details.push(IncidentDetail::Title(ValueChange {
            old: old.title.clone(),
            new: new.title.clone(),
        }));
    }
    if old.category != new.category {
        details.push(IncidentDetail::Category(ValueChange {
            old: old.category,
            new: new.category,
        }));
    }
    if old.action != new.action {
        details.push(IncidentDetail::Action(ValueChange {
            old: old.action,
            new: new.action,
        }));
    }
    if old.added != new.added {
        details.push(IncidentDetail::Added(ValueChange {
            old: old.added,
            new: new.added,
        }));
    }
    if old.distrust_after != new.distrust_after {
        details.push(IncidentDetail::DistrustAfter(ValueChange {
            old: old.distrust_after,
            new: new.distrust_after,
        }));
    }
    if old.summary != new.summary {
        details.push(IncidentDetail::Summary(ValueChange {
            old: old.summary.clone(),
            new: new.summary.clone(),
        }));
    }
    let old_refs: BTreeSet<&String> = old.references.iter().collect();
    let new_refs: BTreeSet<&String> = new.references.iter().collect();
    for r in old_refs.difference(&new_refs) {
        details.push(IncidentDetail::ReferenceRemoved {
            reference: (*r).clone(),
        });
    }
    for r in new_refs.difference(&old_refs) {
        details.push(IncidentDetail::ReferenceAdded {
            reference: (*r).clone(),
        });
    }
    for field in other_fields(old, new, &INCIDENT_FIELDS) {
        details.push(IncidentDetail::Field(field));
    }
    if details.is_empty() {
        // Only the order of the references changed; say so rather than hide it.
        details.push(IncidentDetail::Field(FieldChange {
            field: "references".into(),
            old: Some(json(&old.references)),
            new: Some(json(&new.references)),
        }));
    }
    Some(IncidentDiff {
        details,
        ..incident_only(new, Change::Changed)
    })
}

fn entry_only(list: &Blocklist, entry: &Entry, change: Change) -> EntryDiff {
    let details = entry
        .evidence
        .iter()
        .map(|e| match change {
            Change::Removed => EntryDetail::EvidenceRemoved(EvidenceRef::of(e)),
            _ => EntryDetail::EvidenceAdded(EvidenceRef::of(e)),
        })
        .collect();
    EntryDiff {
        spki_sha256: entry.spki_sha256,
        change,
        action: entry.action,
        incidents: entry
            .incidents
            .iter()
            .map(|id| incident_ref(list, id))
            .collect(),
        subject: entry.subject().map(str::to_string),
        cert_sha256: entry.cert_sha256s(),
        details,
    }
}

/// Fields of [`Entry`] with a dedicated rule; the rest are compared as JSON.
const ENTRY_FIELDS: [&str; 5] = [
    "spki_sha256",
    "action",
    "incidents",
    "distrust_after",
    "evidence",
];

/// The identity of a piece of evidence: incident, file, position, kind, certificate SHA-256.
type EvidenceKey<'a> = (
    &'a IncidentId,
    &'a str,
    Option<u32>,
    EvidenceKind,
    Option<Sha256Hash>,
);

fn evidence_key(e: &Evidence) -> EvidenceKey<'_> {
    (&e.incident, &e.file, e.position, e.kind, e.cert_sha256)
}

fn entry_changes(
    old_list: &Blocklist,
    new_list: &Blocklist,
    old: &Entry,
    new: &Entry,
) -> Option<EntryDiff> {
    if old == new {
        return None;
    }
    let mut details = Vec::new();
    if old.action != new.action {
        details.push(EntryDetail::Action(ValueChange {
            old: old.action,
            new: new.action,
        }));
    }

    let left: Vec<&IncidentId> = old
        .incidents
        .iter()
        .filter(|i| !new.incidents.contains(i))
        .collect();
    let joined: Vec<&IncidentId> = new
        .incidents
        .iter()
        .filter(|i| !old.incidents.contains(i))
        .collect();
    if let ([from], [to]) = (left.as_slice(), joined.as_slice()) {
        details.push(EntryDetail::IncidentMoved {
            from: incident_ref(old_list, from),
            to: incident_ref(new_list, to),
        });
    } else {
        details.extend(
            left.iter()
                .map(|id| EntryDetail::IncidentRemoved(incident_ref(old_list, id))),
        );
        details.extend(
            joined
                .iter()
                .map(|id| EntryDetail::IncidentAdded(incident_ref(new_list, id))),
        );
    }

    if old.distrust_after != new.distrust_after {
        details.push(EntryDetail::DistrustAfter(ValueChange {
            old: old.distrust_after,
            new: new.distrust_after,
        }));
    }

    let old_ev: BTreeMap<EvidenceKey<'_>, &Evidence> =
        old.evidence.iter().map(|e| (evidence_key(e), e)).collect();
    let new_ev: BTreeMap<EvidenceKey<'_>, &Evidence> =
        new.evidence.iter().map(|e| (evidence_key(e), e)).collect();
    for (key, e) in &old_ev {
        if !new_ev.contains_key(key) {
            details.push(EntryDetail::EvidenceRemoved(EvidenceRef::of(e)));
        }
    }
    for (key, e) in &new_ev {
        if !old_ev.contains_key(key) {
            details.push(EntryDetail::EvidenceAdded(EvidenceRef::of(e)));
        }
    }
    for (key, n) in &new_ev {
        if let Some(o) = old_ev.get(key) {
            if o != n {
                details.push(EntryDetail::EvidenceChanged {
                    evidence: EvidenceRef::of(n),
                    fields: other_fields(*o, *n, &[]),
                });
            }
        }
    }

    for field in other_fields(old, new, &ENTRY_FIELDS) {
        details.push(EntryDetail::Field(field));
    }
    Some(EntryDiff {
        details,
        ..entry_only(new_list, new, Change::Changed)
    })
}

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("list types always serialize")
}

/// Every top-level field, other than `known`, whose JSON differs between `old` and `new`, by
/// name.
fn other_fields<T: Serialize>(old: &T, new: &T, known: &[&str]) -> Vec<FieldChange> {
    let as_map = |v: &T| match json(v) {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let (old, new) = (as_map(old), as_map(new));
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .filter(|name| !known.contains(&name.as_str()))
        .filter(|name| old.get(*name) != new.get(*name))
        .map(|name| FieldChange {
            field: name.clone(),
            old: old.get(name).cloned(),
            new: new.get(name).cloned(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// ANSI styles for the text form; all empty when colour is off.
struct Style {
    bold: &'static str,
    added: &'static str,
    removed: &'static str,
    changed: &'static str,
    reset: &'static str,
}

impl Style {
    fn new(colour: bool) -> Self {
        if colour {
            Style {
                bold: "\x1b[1m",
                added: "\x1b[32m",
                removed: "\x1b[31m",
                changed: "\x1b[33m",
                reset: "\x1b[0m",
            }
        } else {
            Style {
                bold: "",
                added: "",
                removed: "",
                changed: "",
                reset: "",
            }
        }
    }

    fn of(&self, change: Change) -> &'static str {
        match change {
            Change::Added => self.added,
            Change::Removed => self.removed,
            Change::Changed => self.changed,
        }
    }
}

/// An optional value for people: the value, or `(none)`.
fn or_none<T: std::fmt::Display>(value: &Option<T>) -> String {
    match value {
        Some(v) => v.to_string(),
        None => "(none)".to_string(),
    }
}

/// A JSON value for people: strings bare, absence as `(none)`, the rest as compact JSON.
fn show_value(value: &Option<Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A field name for people: `distrust_after` → `distrust after`.
fn field_label(field: &str) -> String {
    field.replace('_', " ")
}

/// How detail lines are marked up: plain text, or Markdown (text escaped, names and hashes in
/// code spans).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Markup {
    Plain,
    Markdown,
}

impl Markup {
    /// Free text.
    fn text(self, s: &str) -> String {
        match self {
            Markup::Plain => s.to_string(),
            Markup::Markdown => md_text(s),
        }
    }

    /// A name, path or hash, shown exactly.
    fn code(self, s: &str) -> String {
        match self {
            Markup::Plain => s.to_string(),
            Markup::Markdown => md_code(s),
        }
    }

    fn incident(self, r: &IncidentRef) -> String {
        format!("{} ({})", self.code(r.id.as_str()), self.text(&r.title))
    }

    fn evidence(self, e: &EvidenceRef) -> String {
        let mut out = format!("{} ({}", self.code(&e.location), e.kind);
        if let Some(cert) = &e.cert_sha256 {
            let _ = write!(out, ", certificate SHA-256 {}", self.code(&cert.to_hex()));
        }
        if let Some(subject) = &e.subject {
            let _ = write!(out, ", subject {}", self.code(subject));
        }
        out.push(')');
        out
    }

    /// `old → new` of optional values.
    fn optional<T: std::fmt::Display>(self, old: &Option<T>, new: &Option<T>) -> String {
        format!(
            "{} → {}",
            self.text(&or_none(old)),
            self.text(&or_none(new))
        )
    }

    fn field(self, f: &FieldChange) -> String {
        format!(
            "{} → {}",
            self.text(&show_value(&f.old)),
            self.text(&show_value(&f.new))
        )
    }
}

/// One line of detail: `(change, label, text)`, shared by the text and Markdown forms.
type Line = (Change, String, String);

fn entry_detail_line(detail: &EntryDetail, m: Markup) -> Line {
    match detail {
        EntryDetail::Action(v) => (
            Change::Changed,
            "action".into(),
            format!("{} → {}", v.old, v.new),
        ),
        EntryDetail::IncidentMoved { from, to } => (
            Change::Changed,
            "incident moved".into(),
            format!("{} → {}", m.incident(from), m.incident(to)),
        ),
        EntryDetail::IncidentAdded(r) => (Change::Added, "incident".into(), m.incident(r)),
        EntryDetail::IncidentRemoved(r) => (Change::Removed, "incident".into(), m.incident(r)),
        EntryDetail::DistrustAfter(v) => (
            Change::Changed,
            "distrust after".into(),
            m.optional(&v.old, &v.new),
        ),
        EntryDetail::EvidenceAdded(e) => (Change::Added, "evidence".into(), m.evidence(e)),
        EntryDetail::EvidenceRemoved(e) => (Change::Removed, "evidence".into(), m.evidence(e)),
        EntryDetail::EvidenceChanged { evidence, fields } => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", field_label(&f.field), m.field(f)))
                .collect();
            (
                Change::Changed,
                "evidence".into(),
                format!("{}: {}", m.evidence(evidence), fields.join("; ")),
            )
        }
        EntryDetail::Field(f) => (Change::Changed, field_label(&f.field), m.field(f)),
    }
}

fn incident_detail_line(detail: &IncidentDetail, m: Markup) -> Line {
    let changed = |label: &str, text: String| (Change::Changed, label.to_string(), text);
    let quoted = |old: &str, new: &str| m.text(&format!("{old:?} → {new:?}"));
    match detail {
        IncidentDetail::Title(v) => changed("title", quoted(&v.old, &v.new)),
        IncidentDetail::Category(v) => changed("category", format!("{} → {}", v.old, v.new)),
        IncidentDetail::Action(v) => changed("action", format!("{} → {}", v.old, v.new)),
        IncidentDetail::Added(v) => changed("added", m.optional(&v.old, &v.new)),
        IncidentDetail::DistrustAfter(v) => changed("distrust after", m.optional(&v.old, &v.new)),
        IncidentDetail::Summary(v) => changed("summary", quoted(&v.old, &v.new)),
        IncidentDetail::ReferenceAdded { reference } => {
            (Change::Added, "reference".into(), m.text(reference))
        }
        IncidentDetail::ReferenceRemoved { reference } => {
            (Change::Removed, "reference".into(), m.text(reference))
        }
        IncidentDetail::Field(f) => changed(&field_label(&f.field), m.field(f)),
    }
}

/// The descriptive lines of an entry: incidents, subject, certificate fingerprints.
fn entry_facts(e: &EntryDiff) -> Vec<(String, String)> {
    let mut facts = vec![("action".to_string(), e.action.to_string())];
    for r in &e.incidents {
        facts.push(("incident".into(), format!("{} ({})", r.id, r.title)));
    }
    facts.push((
        "subject".into(),
        e.subject
            .clone()
            .unwrap_or_else(|| "(none recorded)".into()),
    ));
    if e.cert_sha256.is_empty() {
        facts.push((
            "certificate SHA-256".into(),
            "(none: no certificate in the evidence)".into(),
        ));
    }
    for cert in &e.cert_sha256 {
        facts.push(("certificate SHA-256".into(), cert.to_hex()));
    }
    facts
}

impl ListDiff {
    /// The diff for a terminal or a log: a count summary, then each incident and entry that
    /// differs, marked `+` (added), `-` (removed) or `~` (changed). With `colour`, the markers
    /// and headings carry ANSI colours (green, red, yellow, bold).
    pub fn to_text(&self, colour: bool) -> String {
        let s = Style::new(colour);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}certblock diff{}: sequence {} → {}",
            s.bold, s.reset, self.sequence.old, self.sequence.new
        );
        let _ = writeln!(out, "entries:   {}", self.summary.entries.line());
        let _ = writeln!(out, "incidents: {}", self.summary.incidents.line());
        if self.is_empty() {
            let _ = writeln!(
                out,
                "\nno change: both lists hold the same incidents and entries"
            );
            return out;
        }
        const WIDTH: usize = 22;
        let detail = |out: &mut String, (change, label, text): Line| {
            let _ = writeln!(
                out,
                "    {}{} {:<w$}{} {text}",
                s.of(change),
                change.marker(),
                label,
                s.reset,
                w = WIDTH - 2
            );
        };
        for d in &self.incidents {
            let _ = writeln!(
                out,
                "\n{}{}{} incident {}{}: {} ({}, {})",
                s.bold,
                s.of(d.change),
                d.change.marker(),
                d.id,
                s.reset,
                d.title,
                d.category,
                d.action
            );
            for line in d
                .details
                .iter()
                .map(|d| incident_detail_line(d, Markup::Plain))
            {
                detail(&mut out, line);
            }
        }
        for e in &self.entries {
            let _ = writeln!(
                out,
                "\n{}{}{} entry SPKI SHA-256 {}{} ({})",
                s.bold,
                s.of(e.change),
                e.change.marker(),
                e.spki_sha256,
                s.reset,
                e.change.as_str()
            );
            for (label, value) in entry_facts(e) {
                let _ = writeln!(out, "    {label:<WIDTH$} {value}");
            }
            for line in e
                .details
                .iter()
                .map(|d| entry_detail_line(d, Markup::Plain))
            {
                detail(&mut out, line);
            }
        }
        out
    }

    /// The diff as GitHub-flavoured Markdown, for a pull request comment or a CI job summary: a
    /// heading, a summary table, then a section per kind of change with one bullet per incident
    /// or entry and one sub-bullet per difference.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## Blocklist changes\n");
        let _ = writeln!(
            out,
            "Sequence {} → {}.\n",
            self.sequence.old, self.sequence.new
        );
        let _ = writeln!(out, "| | added | removed | changed |");
        let _ = writeln!(out, "|---|---:|---:|---:|");
        for (name, c) in [
            ("entries", self.summary.entries),
            ("incidents", self.summary.incidents),
        ] {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} |",
                c.added, c.removed, c.changed
            );
        }
        if self.is_empty() {
            let _ = writeln!(
                out,
                "\nNo change: both lists hold the same incidents and entries."
            );
            return out;
        }
        let sub = |out: &mut String, (change, label, text): Line| {
            let label = match change {
                Change::Changed => label,
                other => format!("{} {label}", other.as_str()),
            };
            let _ = writeln!(out, "  - {}: {text}", md_text(&label));
        };
        if !self.incidents.is_empty() {
            let _ = writeln!(out, "\n### Incidents\n");
            for d in &self.incidents {
                let _ = writeln!(
                    out,
                    "- **{}** incident {}: {} ({}, {})",
                    d.change.as_str(),
                    md_code(d.id.as_str()),
                    md_text(&d.title),
                    d.category,
                    d.action
                );
                for line in d
                    .details
                    .iter()
                    .map(|d| incident_detail_line(d, Markup::Markdown))
                {
                    sub(&mut out, line);
                }
            }
        }
        for (change, heading) in [
            (Change::Added, "Added entries"),
            (Change::Removed, "Removed entries"),
            (Change::Changed, "Changed entries"),
        ] {
            let entries: Vec<&EntryDiff> =
                self.entries.iter().filter(|e| e.change == change).collect();
            if entries.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n### {heading}\n");
            for e in entries {
                let _ = writeln!(
                    out,
                    "- **SPKI SHA-256 {}** ({})",
                    md_code(&e.spki_sha256.to_hex()),
                    e.action
                );
                for r in &e.incidents {
                    let _ = writeln!(
                        out,
                        "  - incident {}: {}",
                        md_code(r.id.as_str()),
                        md_text(&r.title)
                    );
                }
                match &e.subject {
                    Some(subject) => {
                        let _ = writeln!(out, "  - subject {}", md_code(subject));
                    }
                    None => {
                        let _ = writeln!(out, "  - subject: none recorded");
                    }
                }
                if e.cert_sha256.is_empty() {
                    let _ = writeln!(
                        out,
                        "  - certificate SHA-256: none (no certificate in the evidence)"
                    );
                }
                for cert in &e.cert_sha256 {
                    let _ = writeln!(out, "  - certificate SHA-256 {}", md_code(&cert.to_hex()));
                }
                for line in e
                    .details
                    .iter()
                    .map(|d| entry_detail_line(d, Markup::Markdown))
                {
                    sub(&mut out, line);
                }
            }
        }
        out
    }

    /// The diff as pretty-printed JSON with a final newline: `format` (`certblock-diff/1`),
    /// `sequence`, `summary`, `incidents` and `entries`, as the fields of these types say.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct DiffFile<'a> {
            format: &'static str,
            #[serde(flatten)]
            diff: &'a ListDiff,
        }
        let mut text = serde_json::to_string_pretty(&DiffFile {
            format: DIFF_FORMAT,
            diff: self,
        })
        .expect("a diff always serializes");
        text.push('\n');
        text
    }
}

/// Text safe inside Markdown: characters Markdown would read as markup are escaped.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A Markdown code span holding `text` exactly, whatever backticks it contains.
fn md_code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || text.starts_with(' ') || text.ends_with(' ') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Base64Bytes;

    fn id(s: &str) -> IncidentId {
        s.parse().unwrap()
    }

    fn incident(name: &str, action: Action) -> Incident {
        Incident {
            id: id(name),
            title: format!("Incident {name}"),
            category: Category::Test,
            action,
            added: None,
            distrust_after: None,
            references: vec![],
            summary: "Made by a test.".into(),
        }
    }

    /// A public-key entry for `key`, in `incident`, with its evidence in `file`.
    fn entry(key: &[u8], incident: &str, action: Action, file: &str) -> Entry {
        let mut ev = Evidence::new(
            id(incident),
            format!("{incident}/{file}"),
            None,
            EvidenceKind::PublicKey,
        );
        ev.public_key = Some(Base64Bytes(key.to_vec()));
        Entry {
            spki_sha256: Sha256Hash::digest(key),
            action,
            incidents: vec![id(incident)],
            distrust_after: None,
            evidence: vec![ev],
        }
    }

    fn list(sequence: u64, incidents: Vec<Incident>, mut entries: Vec<Entry>) -> Blocklist {
        entries.sort_by_key(|e| e.spki_sha256);
        let list = Blocklist {
            sequence,
            source_digest: Sha256Hash::digest(b"x"),
            incidents,
            entries,
        };
        list.validate().unwrap();
        list
    }

    fn base() -> Blocklist {
        list(
            1,
            vec![incident("demo", Action::Block)],
            vec![
                entry(b"key one", "demo", Action::Block, "one.key"),
                entry(b"key two", "demo", Action::Block, "two.key"),
            ],
        )
    }

    #[test]
    fn same_lists_give_an_empty_diff_whatever_the_sequence() {
        let old = base();
        let mut new = base();
        new.sequence = 9;
        let d = diff(&old, &new);
        assert!(d.is_empty());
        assert_eq!(d.summary, DiffSummary::default());
        assert_eq!(d.sequence, ValueChange { old: 1, new: 9 });
        assert!(d.to_text(false).contains("no change"));
    }

    #[test]
    fn added_and_removed_entries_are_found_and_counted() {
        let old = base();
        let mut new = base();
        new.entries
            .retain(|e| e.spki_sha256 != Sha256Hash::digest(b"key one"));
        new.entries
            .push(entry(b"key three", "demo", Action::Block, "three.key"));
        new.entries.sort_by_key(|e| e.spki_sha256);
        let d = diff(&old, &new);
        assert_eq!(
            d.summary.entries,
            Counts {
                added: 1,
                removed: 1,
                changed: 0
            }
        );
        assert_eq!(d.summary.incidents, Counts::default());
        let by_key: BTreeMap<Sha256Hash, Change> = d
            .entries
            .iter()
            .map(|e| (e.spki_sha256, e.change))
            .collect();
        assert_eq!(by_key[&Sha256Hash::digest(b"key one")], Change::Removed);
        assert_eq!(by_key[&Sha256Hash::digest(b"key three")], Change::Added);
        let added = d
            .entries
            .iter()
            .find(|e| e.change == Change::Added)
            .unwrap();
        assert_eq!(
            added.incidents,
            vec![IncidentRef {
                id: id("demo"),
                title: "Incident demo".into()
            }]
        );
        assert!(
            matches!(&added.details[..], [EntryDetail::EvidenceAdded(e)] if e.location == "demo/three.key")
        );
        // Sorted by key.
        assert!(
            d.entries
                .windows(2)
                .all(|p| p[0].spki_sha256 < p[1].spki_sha256)
        );
    }

    #[test]
    fn an_action_change_shows_on_the_incident_and_on_each_entry() {
        let old = base();
        let mut new = base();
        new.incidents[0].action = Action::KnownInterception;
        for e in &mut new.entries {
            e.action = Action::KnownInterception;
        }
        let d = diff(&old, &new);
        assert_eq!(
            d.summary.entries,
            Counts {
                added: 0,
                removed: 0,
                changed: 2
            }
        );
        assert_eq!(
            d.summary.incidents,
            Counts {
                added: 0,
                removed: 0,
                changed: 1
            }
        );
        let change = ValueChange {
            old: Action::Block,
            new: Action::KnownInterception,
        };
        assert_eq!(
            d.incidents[0].details,
            vec![IncidentDetail::Action(change.clone())]
        );
        for e in &d.entries {
            assert_eq!(e.details, vec![EntryDetail::Action(change.clone())]);
        }
        let text = d.to_text(false);
        assert!(
            text.contains("~ action               block → known-interception"),
            "{text}"
        );
    }

    #[test]
    fn a_key_moving_between_incidents_is_one_move_with_its_evidence() {
        let old = base();
        let mut new = base();
        new.incidents.push(incident("other", Action::Block));
        let moved = entry(b"key two", "other", Action::Block, "two.key");
        let i = new
            .entries
            .iter()
            .position(|e| e.spki_sha256 == moved.spki_sha256)
            .unwrap();
        new.entries[i] = moved;
        let d = diff(&old, &new);
        assert_eq!(d.summary.incidents.added, 1);
        assert_eq!(d.entries.len(), 1);
        let details = &d.entries[0].details;
        assert_eq!(
            details[0],
            EntryDetail::IncidentMoved {
                from: IncidentRef {
                    id: id("demo"),
                    title: "Incident demo".into()
                },
                to: IncidentRef {
                    id: id("other"),
                    title: "Incident other".into()
                },
            }
        );
        assert!(
            matches!(&details[1], EntryDetail::EvidenceRemoved(e) if e.location == "demo/two.key")
        );
        assert!(
            matches!(&details[2], EntryDetail::EvidenceAdded(e) if e.location == "other/two.key")
        );
        assert_eq!(details.len(), 3);
    }

    #[test]
    fn evidence_is_matched_by_location_kind_and_certificate_hash() {
        let mut old = base();
        let key = Sha256Hash::digest(b"key one");
        let mut facts = Evidence::new(
            id("demo"),
            "demo/facts.json".into(),
            Some(1),
            EvidenceKind::Facts,
        );
        facts.cert_sha256 = Some(Sha256Hash::digest(b"cert a"));
        facts.subject = Some("CN=Old".into());
        let i = old
            .entries
            .iter()
            .position(|e| e.spki_sha256 == key)
            .unwrap();
        old.entries[i].evidence.insert(0, facts.clone());

        // Same place, same certificate, new subject: changed. Same place, other certificate:
        // one removed, one added.
        let mut new = old.clone();
        new.entries[i].evidence[0].subject = Some("CN=New".into());
        let d = diff(&old, &new);
        match &d.entries[0].details[..] {
            [EntryDetail::EvidenceChanged { evidence, fields }] => {
                assert_eq!(evidence.location, "demo/facts.json#1");
                assert_eq!(fields.len(), 1);
                assert_eq!(fields[0].field, "subject");
                assert_eq!(fields[0].new, Some(Value::String("CN=New".into())));
            }
            other => panic!("unexpected {other:?}"),
        }

        let mut new = old.clone();
        new.entries[i].evidence[0].cert_sha256 = Some(Sha256Hash::digest(b"cert b"));
        let d = diff(&old, &new);
        let kinds: Vec<&str> = d.entries[0]
            .details
            .iter()
            .map(|d| match d {
                EntryDetail::EvidenceRemoved(_) => "removed",
                EntryDetail::EvidenceAdded(_) => "added",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["removed", "added"]);
        assert_eq!(
            d.entries[0].cert_sha256,
            vec![Sha256Hash::digest(b"cert b")]
        );
    }

    #[test]
    fn incident_metadata_changes_are_each_reported() {
        let old = base();
        let mut new = base();
        let inc = &mut new.incidents[0];
        inc.title = "Renamed".into();
        inc.summary = "Rewritten.".into();
        inc.category = Category::Other;
        inc.added = Some("2020-02-03".parse().unwrap());
        inc.references = vec!["https://example.com/a".into()];
        let d = diff(&old, &new);
        assert!(d.entries.is_empty());
        assert_eq!(d.summary.incidents.changed, 1);
        let details = &d.incidents[0].details;
        assert_eq!(details.len(), 5, "{details:?}");
        assert!(matches!(&details[0], IncidentDetail::Title(v) if v.new == "Renamed"));
        assert!(matches!(&details[1], IncidentDetail::Category(_)));
        assert!(matches!(&details[2], IncidentDetail::Added(v) if v.old.is_none()));
        assert!(matches!(&details[3], IncidentDetail::Summary(_)));
        assert!(
            matches!(&details[4], IncidentDetail::ReferenceAdded { reference } if reference.ends_with("/a"))
        );

        // A reordering of references alone is still a difference.
        let mut old2 = base();
        old2.incidents[0].references = vec!["a".into(), "b".into()];
        let mut new2 = old2.clone();
        new2.incidents[0].references.reverse();
        let d = diff(&old2, &new2);
        assert!(
            matches!(&d.incidents[0].details[..], [IncidentDetail::Field(f)] if f.field == "references")
        );
    }

    #[test]
    fn a_distrust_date_change_is_reported_on_incident_and_entries() {
        let old = base();
        let mut new = base();
        let t: Timestamp = "2019-09-01T00:00:00Z".parse().unwrap();
        new.incidents[0].distrust_after = Some(t);
        for e in &mut new.entries {
            e.distrust_after = Some(t);
        }
        let d = diff(&old, &new);
        let change = ValueChange {
            old: None,
            new: Some(t),
        };
        assert_eq!(
            d.incidents[0].details,
            vec![IncidentDetail::DistrustAfter(change.clone())]
        );
        assert!(
            d.entries
                .iter()
                .all(|e| e.details == vec![EntryDetail::DistrustAfter(change.clone())])
        );
        assert!(
            d.to_text(false)
                .contains("~ distrust after       (none) → 2019-09-01T00:00:00Z")
        );
    }

    #[test]
    fn unknown_fields_are_compared_as_json() {
        #[derive(Serialize)]
        struct S {
            known: u8,
            extra: Option<u8>,
        }
        let fields = other_fields(
            &S {
                known: 1,
                extra: None,
            },
            &S {
                known: 2,
                extra: Some(3),
            },
            &["known"],
        );
        assert_eq!(
            fields,
            vec![FieldChange {
                field: "extra".into(),
                old: Some(Value::Null),
                new: Some(Value::from(3))
            }]
        );
        assert_eq!(show_value(&fields[0].old), "(none)");
    }

    #[test]
    fn the_diff_is_empty_exactly_when_the_content_is_the_same() {
        let variants: Vec<Blocklist> = {
            let mut v = vec![base()];
            let mut a = base();
            a.incidents[0].summary = "Other.".into();
            v.push(a);
            let mut b = base();
            b.entries.pop();
            v.push(b);
            let mut c = base();
            c.entries[0].evidence[0].name = Some("upstream.pem".into());
            v.push(c);
            v
        };
        for old in &variants {
            for new in &variants {
                assert_eq!(diff(old, new).is_empty(), old.same_content(new));
            }
        }
    }

    #[test]
    fn renderings_label_both_fingerprints_and_colour_only_when_asked() {
        let mut old = base();
        let mut facts = Evidence::new(
            id("demo"),
            "demo/facts.json".into(),
            Some(1),
            EvidenceKind::Facts,
        );
        facts.cert_sha256 = Some(Sha256Hash::digest(b"cert a"));
        facts.subject = Some("CN=A|B *x*".into());
        let key = Sha256Hash::digest(b"key one");
        old.entries
            .iter_mut()
            .find(|e| e.spki_sha256 == key)
            .unwrap()
            .evidence
            .insert(0, facts);
        let new = base();
        let d = diff(&new, &old);
        let cert = Sha256Hash::digest(b"cert a").to_hex();

        let plain = d.to_text(false);
        assert!(!plain.contains('\x1b'));
        assert!(
            plain.contains(&format!("~ entry SPKI SHA-256 {key} (changed)")),
            "{plain}"
        );
        assert!(
            plain.contains(&format!("certificate SHA-256    {cert}")),
            "{plain}"
        );
        assert!(plain.contains("entries:   0 added, 0 removed, 1 changed"));
        assert!(d.to_text(true).contains("\x1b[33m~"));

        let md = d.to_markdown();
        assert!(md.contains("| entries | 0 | 0 | 1 |"), "{md}");
        assert!(
            md.contains(&format!("- **SPKI SHA-256 `{key}`** (block)")),
            "{md}"
        );
        assert!(
            md.contains(&format!("  - certificate SHA-256 `{cert}`")),
            "{md}"
        );
        assert!(md.contains("subject `CN=A|B *x*`"), "{md}");
        let evidence = format!(
            "  - added evidence: `demo/facts.json#1` (facts, certificate SHA-256 `{cert}`, subject `CN=A|B *x*`)"
        );
        assert!(md.contains(&evidence), "{md}");

        let json: Value = serde_json::from_str(&d.to_json()).unwrap();
        assert_eq!(json["format"], DIFF_FORMAT);
        assert_eq!(json["summary"]["entries"]["changed"], 1);
        assert_eq!(json["entries"][0]["spki_sha256"], key.to_hex());
        assert_eq!(json["entries"][0]["details"][0]["detail"], "evidence-added");
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(md_code("plain"), "`plain`");
        assert_eq!(md_code("a`b"), "`` a`b ``");
        assert_eq!(md_text("a_b [c]"), "a\\_b \\[c\\]");
    }
}
