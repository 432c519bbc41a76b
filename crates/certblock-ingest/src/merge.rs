//! Merges evidence into one entry per key, refusing conflicts: two actions (or two
//! `distrust_after` values) for one key, the same certificate twice, facts that contradict a
//! certificate.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use certblock_list::{Action, Entry, Evidence, EvidenceKind, IncidentId, Sha256Hash, Timestamp};

use crate::error::{Problem, ProblemKind};

/// An entry being built.
#[derive(Default)]
struct Pending {
    /// The first evidence whose incident is known: action, distrust_after, incident, place.
    known: Option<(Action, Option<Timestamp>, IncidentId, String)>,
    incidents: BTreeSet<IncidentId>,
    evidence: Vec<Evidence>,
}

/// A certificate seen, for duplicate and facts checks (its DER dropped to save memory).
struct SeenCertificate {
    place: String,
    spki_sha256: Sha256Hash,
    evidence: Evidence,
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
    entries: BTreeMap<Sha256Hash, Pending>,
    certificates: HashMap<Sha256Hash, SeenCertificate>,
    facts_certificates: HashMap<Sha256Hash, String>,
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
    fn place(&self, ev: &Evidence) -> String {
        let path = self.root.join(&ev.file).display().to_string();
        match ev.position {
            Some(p) => format!("{path}#{p}"),
            None => path,
        }
    }

    /// Adds one piece of evidence for the key `spki_sha256`. `incident` is its incident's action
    /// and `distrust_after` (`None` when incident.json is broken); `path` and `line` locate
    /// problems.
    pub(crate) fn add(
        &mut self,
        spki_sha256: Sha256Hash,
        evidence: Evidence,
        incident: Option<(Action, Option<Timestamp>)>,
        path: &Path,
        line: Option<usize>,
    ) {
        let place = self.place(&evidence);
        if let Some(cert) = evidence.cert_sha256 {
            match evidence.kind {
                EvidenceKind::Certificate => {
                    if let Some(first) = self.certificates.get(&cert) {
                        let first_place = first.place.clone();
                        self.duplicate(path, line, cert, first_place, place);
                        return;
                    }
                    let mut kept = evidence.clone();
                    kept.certificate = None;
                    self.certificates.insert(
                        cert,
                        SeenCertificate {
                            place: place.clone(),
                            spki_sha256,
                            evidence: kept,
                        },
                    );
                }
                EvidenceKind::Facts => {
                    if let Some(first_place) = self.facts_certificates.get(&cert) {
                        let first_place = first_place.clone();
                        self.duplicate(path, line, cert, first_place, place);
                        return;
                    }
                    self.facts_certificates.insert(cert, place.clone());
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
        let pending = self.entries.entry(spki_sha256).or_default();
        if let Some((action, distrust_after)) = incident {
            if let Some((_, other_date, other_incident, other_place)) = &pending.known {
                if *other_date != distrust_after
                    && self
                        .date_conflicts_reported
                        .insert((spki_sha256, evidence.incident.clone()))
                {
                    self.problems.push(
                        Problem::new(
                            path,
                            ProblemKind::ConflictingDistrustAfter {
                                spki_sha256,
                                place: place.clone(),
                                incident: evidence.incident.clone(),
                                distrust_after,
                                other_place: other_place.clone(),
                                other_incident: other_incident.clone(),
                                other_distrust_after: *other_date,
                            },
                        )
                        .at(line, None),
                    );
                }
            }
            match &pending.known {
                None => {
                    pending.known =
                        Some((action, distrust_after, evidence.incident.clone(), place))
                }
                Some((other_action, _, other_incident, other_place)) if *other_action != action => {
                    if self
                        .conflicts_reported
                        .insert((spki_sha256, evidence.incident.clone()))
                    {
                        self.problems.push(
                            Problem::new(
                                path,
                                ProblemKind::ConflictingAction {
                                    spki_sha256,
                                    place,
                                    incident: evidence.incident.clone(),
                                    action,
                                    other_place: other_place.clone(),
                                    other_incident: other_incident.clone(),
                                    other_action: *other_action,
                                },
                            )
                            .at(line, None),
                        );
                    }
                }
                Some(_) => {}
            }
        }
        pending.incidents.insert(evidence.incident.clone());
        pending.evidence.push(evidence);
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
            for (field, facts_value, certificate_value) in disagreements(&check, seen) {
                self.problems.push(Problem::new(
                    check.path.clone(),
                    ProblemKind::FactsDisagree {
                        record: check.evidence.position.unwrap_or(0),
                        cert_sha256: cert,
                        field,
                        facts_value,
                        certificate_value,
                        certificate_place: seen.place.clone(),
                    },
                ));
            }
        }
        let entries = self
            .entries
            .into_iter()
            .filter_map(|(spki_sha256, mut pending)| {
                let (action, distrust_after, _, _) = pending.known?;
                pending
                    .evidence
                    .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
                Some(Entry {
                    spki_sha256,
                    action,
                    incidents: pending.incidents.into_iter().collect(),
                    distrust_after,
                    evidence: pending.evidence,
                })
            })
            .collect();
        (entries, self.problems)
    }
}

/// Every field where a facts record says something else than the certificate it names:
/// (field, facts value, certificate value).
fn disagreements(
    check: &FactsToCheck,
    seen: &SeenCertificate,
) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if check.spki_sha256 != seen.spki_sha256 {
        out.push((
            "spki_sha256",
            check.spki_sha256.to_hex(),
            seen.spki_sha256.to_hex(),
        ));
    }
    let (f, c) = (&check.evidence, &seen.evidence);
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
