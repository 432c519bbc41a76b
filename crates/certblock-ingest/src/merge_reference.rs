//! The serial merge ingest used before the parallel one in `merge.rs`, kept in the test build as
//! its reference (as `pem_reference.rs` is for the PEM reader): evidence is added one piece at a
//! time, in path order, into one entry per key, refusing conflicts: two actions (or two
//! `distrust_after` values) for one key, the same certificate twice, facts that contradict a
//! certificate. `merge::tests` checks that both give the same entries and the same problems, in
//! the same order, on random cases.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use certblock_list::{Action, Entry, Evidence, EvidenceKind, IncidentId, Sha256Hash, Timestamp};

use crate::error::{Problem, ProblemKind};

/// Where a piece of evidence comes from: its file as the user sees it (for problems), the file
/// relative to `sources/` (what its evidence records) and its incident.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    /// The file as the user sees it.
    pub path: &'a Path,
    /// The file relative to `sources/`: the evidence's `file`.
    pub relative: &'a str,
    /// The incident whose folder holds it: the evidence's `incident`.
    pub incident: &'a IncidentId,
}

/// Where evidence is, kept cheaply and turned into words only when a problem names it.
#[derive(Clone, Copy)]
struct Place<'a> {
    relative: &'a str,
    position: Option<u32>,
}

/// An entry being built.
struct Pending<'a> {
    /// The first evidence whose incident is known: action, distrust_after, incident, place.
    known: Option<(Action, Option<Timestamp>, &'a IncidentId, Place<'a>)>,
    /// The evidence, in the order added (its incidents are the entry's).
    evidence: Vec<Evidence>,
}

/// Where the evidence of a certificate seen is kept, for the facts check.
enum Kept {
    /// At this index of its entry's evidence (which is not reordered before the check).
    InEntry(usize),
    /// Not in any entry (the list was already full): a copy without the DER.
    Apart(Box<Evidence>),
}

/// A certificate seen, for duplicate and facts checks.
struct SeenCertificate<'a> {
    place: Place<'a>,
    spki_sha256: Sha256Hash,
    evidence: Kept,
}

/// A facts record naming a certificate, checked against the certificates once all are seen.
struct FactsToCheck {
    path: PathBuf,
    spki_sha256: Sha256Hash,
    evidence: Evidence,
}

/// Collects evidence in sorted path order and builds the entries.
pub(crate) struct Merger<'a> {
    root: &'a Path,
    max_entries: usize,
    entries: BTreeMap<Sha256Hash, Pending<'a>>,
    certificates: HashMap<Sha256Hash, SeenCertificate<'a>>,
    facts_certificates: HashMap<Sha256Hash, Place<'a>>,
    facts_to_check: Vec<FactsToCheck>,
    conflicts_reported: HashSet<(Sha256Hash, IncidentId)>,
    date_conflicts_reported: HashSet<(Sha256Hash, IncidentId)>,
    too_many_reported: bool,
    problems: Vec<Problem>,
}

impl<'a> Merger<'a> {
    /// A merger for the tree under `root`, holding at most `max_entries` keys.
    pub(crate) fn new(root: &'a Path, max_entries: usize) -> Self {
        Merger {
            root,
            max_entries,
            entries: BTreeMap::new(),
            certificates: HashMap::new(),
            facts_certificates: HashMap::new(),
            facts_to_check: Vec::new(),
            conflicts_reported: HashSet::new(),
            date_conflicts_reported: HashSet::new(),
            too_many_reported: false,
            problems: Vec::new(),
        }
    }

    /// Where evidence is, as the user sees it: `sources/a/x.pem` or `sources/a/x.pem#2`.
    fn place(&self, place: Place<'_>) -> String {
        let path = self.root.join(place.relative).display().to_string();
        match place.position {
            Some(p) => format!("{path}#{p}"),
            None => path,
        }
    }

    /// Adds one piece of evidence for the key `spki_sha256`, found in `source` (whose
    /// `relative` and `incident` are the evidence's `file` and `incident`). `incident` is its
    /// incident's action and `distrust_after` (`None` when incident.json is broken); `line`
    /// locates problems.
    pub(crate) fn add(
        &mut self,
        spki_sha256: Sha256Hash,
        evidence: Evidence,
        incident: Option<(Action, Option<Timestamp>)>,
        source: Source<'a>,
        line: Option<usize>,
    ) {
        debug_assert_eq!(evidence.file, source.relative);
        debug_assert_eq!(&evidence.incident, source.incident);
        let path = source.path;
        let here = Place {
            relative: source.relative,
            position: evidence.position,
        };
        let mut seen_certificate = None;
        if let Some(cert) = evidence.cert_sha256 {
            match evidence.kind {
                EvidenceKind::Certificate => {
                    if let Some(first) = self.certificates.get(&cert) {
                        let (first_place, place) = (self.place(first.place), self.place(here));
                        self.duplicate(path, line, cert, first_place, place);
                        return;
                    }
                    seen_certificate = Some(cert);
                }
                EvidenceKind::Facts => {
                    if let Some(first) = self.facts_certificates.get(&cert) {
                        let (first_place, place) = (self.place(*first), self.place(here));
                        self.duplicate(path, line, cert, first_place, place);
                        return;
                    }
                    self.facts_certificates.insert(cert, here);
                    self.facts_to_check.push(FactsToCheck {
                        path: path.to_path_buf(),
                        spki_sha256,
                        evidence: evidence.clone(),
                    });
                }
                EvidenceKind::PublicKey => {}
            }
        }
        if !self.entries.contains_key(&spki_sha256) && self.entries.len() >= self.max_entries {
            if let Some(cert) = seen_certificate {
                let mut kept = evidence;
                kept.certificate = None;
                self.certificates.insert(
                    cert,
                    SeenCertificate {
                        place: here,
                        spki_sha256,
                        evidence: Kept::Apart(Box::new(kept)),
                    },
                );
            }
            if !self.too_many_reported {
                self.too_many_reported = true;
                self.problems.push(Problem::new(
                    self.root,
                    ProblemKind::TooManyEntries {
                        limit: self.max_entries,
                    },
                ));
            }
            return;
        }
        let pending = self.entries.entry(spki_sha256).or_insert_with(|| Pending {
            known: None,
            // Most keys have one piece of evidence: no room for more until a second comes.
            evidence: Vec::with_capacity(1),
        });
        if let Some((action, distrust_after)) = incident {
            if let Some((_, other_date, other_incident, other_place)) = pending.known {
                if other_date != distrust_after
                    && self
                        .date_conflicts_reported
                        .insert((spki_sha256, evidence.incident.clone()))
                {
                    let kind = ProblemKind::ConflictingDistrustAfter {
                        spki_sha256,
                        place: place_words(self.root, here),
                        incident: evidence.incident.clone(),
                        distrust_after,
                        other_place: place_words(self.root, other_place),
                        other_incident: other_incident.clone(),
                        other_distrust_after: other_date,
                    };
                    self.problems.push(Problem::new(path, kind).at(line, None));
                }
            }
            match pending.known {
                None => pending.known = Some((action, distrust_after, source.incident, here)),
                Some((other_action, _, other_incident, other_place)) if other_action != action => {
                    if self
                        .conflicts_reported
                        .insert((spki_sha256, evidence.incident.clone()))
                    {
                        let kind = ProblemKind::ConflictingAction {
                            spki_sha256,
                            place: place_words(self.root, here),
                            incident: evidence.incident.clone(),
                            action,
                            other_place: place_words(self.root, other_place),
                            other_incident: other_incident.clone(),
                            other_action,
                        };
                        self.problems.push(Problem::new(path, kind).at(line, None));
                    }
                }
                Some(_) => {}
            }
        }
        let index = pending.evidence.len();
        pending.evidence.push(evidence);
        if let Some(cert) = seen_certificate {
            self.certificates.insert(
                cert,
                SeenCertificate {
                    place: here,
                    spki_sha256,
                    evidence: Kept::InEntry(index),
                },
            );
        }
    }

    /// Records a second sighting of a certificate.
    fn duplicate(
        &mut self,
        path: &Path,
        line: Option<usize>,
        cert_sha256: Sha256Hash,
        first_place: String,
        place: String,
    ) {
        let kind = ProblemKind::DuplicateCertificate {
            cert_sha256,
            first_place,
            place,
        };
        self.problems.push(Problem::new(path, kind).at(line, None));
    }

    /// Checks facts against certificates, and returns the entries (sorted by key, each with
    /// sorted incidents and evidence) and every problem found.
    pub(crate) fn finish(mut self) -> (Vec<Entry>, Vec<Problem>) {
        for check in std::mem::take(&mut self.facts_to_check) {
            let Some(cert) = check.evidence.cert_sha256 else {
                continue;
            };
            let Some(seen) = self.certificates.get(&cert) else {
                continue;
            };
            let seen_evidence = match &seen.evidence {
                Kept::InEntry(index) => &self.entries[&seen.spki_sha256].evidence[*index],
                Kept::Apart(evidence) => evidence,
            };
            for (field, facts_value, certificate_value) in
                disagreements(&check, seen.spki_sha256, seen_evidence)
            {
                self.problems.push(Problem::new(
                    check.path.clone(),
                    ProblemKind::FactsDisagree {
                        record: check.evidence.position.unwrap_or(0),
                        cert_sha256: cert,
                        field,
                        facts_value,
                        certificate_value,
                        certificate_place: place_words(self.root, seen.place),
                    },
                ));
            }
        }
        drop(self.certificates);
        let entries = self
            .entries
            .into_iter()
            .filter_map(|(spki_sha256, pending)| {
                let (action, distrust_after, _, _) = pending.known?;
                let mut evidence = pending.evidence;
                if evidence.len() > 1 {
                    evidence.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
                    evidence.shrink_to_fit();
                }
                // Sorted by incident first: the entry's incidents, sorted and unique.
                let mut incidents: Vec<IncidentId> = Vec::with_capacity(1);
                for ev in &evidence {
                    if incidents.last() != Some(&ev.incident) {
                        incidents.push(ev.incident.clone());
                    }
                }
                Some(Entry {
                    spki_sha256,
                    action,
                    incidents,
                    distrust_after,
                    evidence,
                })
            })
            .collect();
        (entries, self.problems)
    }
}

/// [`Merger::place`] without the merger, where it is borrowed.
fn place_words(root: &Path, place: Place<'_>) -> String {
    let path = root.join(place.relative).display().to_string();
    match place.position {
        Some(p) => format!("{path}#{p}"),
        None => path,
    }
}

/// Every field where a facts record says something else than the certificate it names:
/// (field, facts value, certificate value).
fn disagreements(
    check: &FactsToCheck,
    seen_spki_sha256: Sha256Hash,
    c: &Evidence,
) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if check.spki_sha256 != seen_spki_sha256 {
        out.push((
            "spki_sha256",
            check.spki_sha256.to_hex(),
            seen_spki_sha256.to_hex(),
        ));
    }
    let f = &check.evidence;
    let mut compare = |field: &'static str, facts: Option<String>, cert: Option<String>| {
        if let (Some(facts), Some(cert)) = (facts, cert) {
            if facts != cert {
                out.push((field, facts, cert));
            }
        }
    };
    compare(
        "cert_sha1",
        f.cert_sha1.as_ref().map(|h| h.to_hex()),
        c.cert_sha1.as_ref().map(|h| h.to_hex()),
    );
    compare(
        "cert_md5",
        f.cert_md5.as_ref().map(|h| h.to_hex()),
        c.cert_md5.as_ref().map(|h| h.to_hex()),
    );
    compare(
        "serial",
        f.serial.as_ref().map(|h| h.to_hex()),
        c.serial.as_ref().map(|h| h.to_hex()),
    );
    compare(
        "subject_der",
        f.subject_der.as_ref().map(|b| b.to_base64()),
        c.subject_der.as_ref().map(|b| b.to_base64()),
    );
    compare(
        "issuer_der",
        f.issuer_der.as_ref().map(|b| b.to_base64()),
        c.issuer_der.as_ref().map(|b| b.to_base64()),
    );
    compare(
        "not_before",
        f.not_before.map(|t| t.to_string()),
        c.not_before.map(|t| t.to_string()),
    );
    compare(
        "not_after",
        f.not_after.map(|t| t.to_string()),
        c.not_after.map(|t| t.to_string()),
    );
    out
}
