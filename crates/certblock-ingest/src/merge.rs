//! Merges evidence into one entry per key, refusing conflicts: two actions (or two
//! `distrust_after` values) for one key, the same certificate twice, facts that contradict a
//! certificate.
//!
//! The merge sorts the items by (key, order in the sources) on every core, then builds the
//! entries of disjoint runs of keys in parallel. It reports exactly what adding the items one by
//! one in path order would (the serial merge it replaced is kept in the test build as
//! `merge_reference.rs` and compared with this one): every problem carries the position of the
//! item that raised it, and problems are put in that order before they are returned.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use certblock_list::{
    Action, Blocklist, Entry, Evidence, EvidenceKind, IncidentId, Sha256Hash, Timestamp,
};
use rayon::prelude::*;

use crate::error::{Problem, ProblemKind};

/// A file whose evidence is merged: where it is, its incident and that incident's action.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    /// The file as the user sees it.
    pub path: &'a Path,
    /// The file relative to `sources/`: the evidence's `file`.
    pub relative: &'a str,
    /// The incident whose folder holds it: the evidence's `incident`.
    pub incident: &'a IncidentId,
    /// The incident's action and `distrust_after`; `None` when its incident.json is broken.
    pub action: Option<(Action, Option<Timestamp>)>,
}

/// One certificate, key or facts record to merge.
pub(crate) struct Item {
    /// Its key.
    pub spki_sha256: Sha256Hash,
    /// Its evidence record, boxed as the one-element evidence of an entry-to-be (so that moving
    /// and sorting items never moves the record, and a key with one piece of evidence keeps the
    /// allocation as its entry's evidence). Taken when the item is merged or dropped.
    pub evidence: Option<Box<[Evidence; 1]>>,
    /// The line of its PEM block, for problems.
    pub line: Option<usize>,
    /// Its file: an index into the sources given to [`merge`].
    pub file: u32,
    /// Its position among all items, in path order (set by [`merge`]).
    pub seq: u32,
    /// Whether it is a facts record naming a certificate (checked against certificates).
    pub facts_certificate: bool,
}

impl Item {
    /// An item for `evidence`, found in the file at index `file` of the sources.
    pub(crate) fn new(
        spki_sha256: Sha256Hash,
        evidence: Evidence,
        line: Option<usize>,
        file: u32,
    ) -> Self {
        let facts_certificate =
            evidence.kind == EvidenceKind::Facts && evidence.cert_sha256.is_some();
        Item {
            spki_sha256,
            evidence: Some(Box::new([evidence])),
            line,
            file,
            seq: 0,
            facts_certificate,
        }
    }
}

/// Where evidence is, kept cheaply and turned into words only when a problem names it.
#[derive(Clone, Copy)]
struct Place<'a> {
    relative: &'a str,
    position: Option<u32>,
}

/// Where a problem comes in the order of a serial merge: (phase, item, order within the item).
/// Phase 0 is adding the items in path order, phase 1 the facts check after it.
type Order = (u8, u32, u8);

/// The first certificate with a given SHA-256, for the facts check: its key, its place and its
/// evidence (without the DER, which the check does not read).
struct SeenCertificate<'a> {
    place: Place<'a>,
    spki_sha256: Sha256Hash,
    evidence: Evidence,
}

/// A facts record naming a certificate, checked against the certificates once all are seen.
struct FactsToCheck {
    path: PathBuf,
    spki_sha256: Sha256Hash,
    evidence: Evidence,
}

/// What every group of the parallel phase shares.
struct Shared<'a> {
    root: &'a Path,
    sources: &'a [Source<'a>],
    /// Keys whose first piece of evidence comes at or after this item are over the limit.
    threshold: u32,
    /// The certificates facts records name: only these are kept for the facts check.
    wanted: HashSet<Sha256Hash>,
    problems: Mutex<Vec<(Order, Problem)>>,
    seen: Mutex<HashMap<Sha256Hash, SeenCertificate<'a>>>,
    /// The list's incidents, for checking each entry as soon as it is built.
    list: &'a Blocklist,
    /// What [`Blocklist::validate_entry_trusting_hashes`] found wrong with the entry of a group,
    /// by group.
    faults: Mutex<Vec<(usize, Vec<String>)>>,
}

/// What [`merge`] gives: the entries, the problems, and what
/// [`Blocklist::validate_entry_trusting_hashes`] says of the entries, in entry order (all only
/// when there is no problem).
pub(crate) struct Merged {
    /// The entries, sorted by key.
    pub entries: Vec<Entry>,
    /// Every problem, in the order a serial merge in path order finds them.
    pub problems: Vec<Problem>,
    /// Every violation of the list's invariants by an entry, in entry order.
    pub faults: Vec<String>,
}

/// Groups (keys) handled by one task before the work is split no further.
const GROUPS_PER_TASK: usize = 2048;

/// Merges `items` (in path order) from the files `sources` into entries sorted by key, each with
/// sorted incidents and evidence, holding at most `max_entries` keys; returns them, every problem
/// found (in the order a serial merge in path order finds them), and what
/// [`Blocklist::validate_entry_trusting_hashes`] of `list` (which holds the incidents) says of
/// each entry, checked as soon as it is built, on the thread that built it (the certificates and
/// keys were hashed from these very bytes as they were read, so they are not hashed again).
pub(crate) fn merge(
    root: &Path,
    max_entries: usize,
    sources: &[Source<'_>],
    mut items: Vec<Item>,
    list: &Blocklist,
) -> Merged {
    let mut problems: Vec<(Order, Problem)> = Vec::new();
    for (seq, item) in items.iter_mut().enumerate() {
        item.seq = u32::try_from(seq).expect("fewer than 2^32 items");
    }

    // Facts records naming a certificate, in path order: a second record for one certificate
    // is a problem and is dropped; the others are checked against the certificates at the end.
    let mut facts_certificates: HashMap<Sha256Hash, Place<'_>> = HashMap::new();
    let mut facts_to_check: Vec<FactsToCheck> = Vec::new();
    for item in items.iter_mut().filter(|i| i.facts_certificate) {
        let source = &sources[item.file as usize];
        let evidence = &item.evidence.as_ref().expect("not taken yet")[0];
        let cert = evidence
            .cert_sha256
            .expect("a facts record naming a certificate");
        let here = Place {
            relative: source.relative,
            position: evidence.position,
        };
        if let Some(first) = facts_certificates.get(&cert) {
            let kind = ProblemKind::DuplicateCertificate {
                cert_sha256: cert,
                first_place: place_words(root, *first),
                place: place_words(root, here),
            };
            problems.push((
                (0, item.seq, 0),
                Problem::new(source.path, kind).at(item.line, None),
            ));
            item.evidence = None;
            continue;
        }
        facts_certificates.insert(cert, here);
        facts_to_check.push(FactsToCheck {
            path: source.path.to_path_buf(),
            spki_sha256: item.spki_sha256,
            evidence: evidence.clone(),
        });
    }
    drop(facts_certificates);

    items.par_sort_unstable_by(|a, b| a.spki_sha256.cmp(&b.spki_sha256).then(a.seq.cmp(&b.seq)));
    // Where each key's items start, and one past the last.
    let mut starts: Vec<usize> = Vec::with_capacity(items.len() / 2 + 1);
    for (index, item) in items.iter().enumerate() {
        if index == 0 || items[index - 1].spki_sha256 != item.spki_sha256 {
            starts.push(index);
        }
    }
    let groups = starts.len();
    starts.push(items.len());

    // The keys a serial merge would take are the first `max_entries` to appear (a key appears
    // with its first item not dropped above); the rest are over the limit, reported once, at
    // the item where the first of them appears.
    let firsts = || {
        starts.par_windows(2).filter_map(|w| {
            items[w[0]..w[1]]
                .iter()
                .find(|i| i.evidence.is_some())
                .map(|i| i.seq)
        })
    };
    let mut threshold = u32::MAX;
    if firsts().count() > max_entries {
        let mut all: Vec<u32> = firsts().collect();
        let (_, nth, _) = all.select_nth_unstable(max_entries);
        threshold = *nth;
        problems.push((
            (0, threshold, 0),
            Problem::new(root, ProblemKind::TooManyEntries { limit: max_entries }),
        ));
    }

    let shared = Shared {
        root,
        sources,
        threshold,
        wanted: facts_to_check
            .iter()
            .filter_map(|c| c.evidence.cert_sha256)
            .collect(),
        problems: Mutex::new(problems),
        seen: Mutex::new(HashMap::new()),
        list,
        faults: Mutex::new(Vec::new()),
    };
    let mut built: Vec<Option<Entry>> = (0..groups).into_par_iter().map(|_| None).collect();
    build(&mut items, &starts, 0, &mut built, &shared);
    drop(items);
    let Shared {
        problems,
        seen,
        faults,
        ..
    } = shared;
    let mut faults = faults.into_inner().expect("no panics while merging");
    faults.sort_by_key(|(group, _)| *group);
    let mut problems = problems.into_inner().expect("no panics while merging");
    let seen = seen.into_inner().expect("no panics while merging");

    for (index, check) in facts_to_check.iter().enumerate() {
        let Some(cert) = check.evidence.cert_sha256 else {
            continue;
        };
        let Some(seen) = seen.get(&cert) else {
            continue;
        };
        let order = u32::try_from(index).expect("fewer than 2^32 items");
        for (field, facts_value, certificate_value) in
            disagreements(check, seen.spki_sha256, &seen.evidence)
        {
            problems.push((
                (1, order, 0),
                Problem::new(
                    check.path.clone(),
                    ProblemKind::FactsDisagree {
                        record: check.evidence.position.unwrap_or(0),
                        cert_sha256: cert,
                        field,
                        facts_value,
                        certificate_value,
                        certificate_place: place_words(root, seen.place),
                    },
                ),
            ));
        }
    }
    // Stable: the problems of one facts check keep their field order.
    problems.sort_by_key(|(order, _)| *order);
    Merged {
        // `filter_map` collects in place (`Option<Entry>` and `Entry` have one size); `flatten`
        // would copy every entry into a new vector.
        #[allow(clippy::filter_map_identity)]
        entries: built.into_iter().filter_map(|entry| entry).collect(),
        problems: problems.into_iter().map(|(_, p)| p).collect(),
        faults: faults.into_iter().flat_map(|(_, f)| f).collect(),
    }
}

/// Builds the entries of the groups `out` covers, the first being group `first` of all: group
/// `g` of `out` is `items[starts[g] - starts[0]..starts[g + 1] - starts[0]]`; halves are built in
/// parallel.
fn build(
    items: &mut [Item],
    starts: &[usize],
    first: usize,
    out: &mut [Option<Entry>],
    shared: &Shared<'_>,
) {
    if out.len() <= GROUPS_PER_TASK {
        let base = starts[0];
        for (g, slot) in out.iter_mut().enumerate() {
            let entry = group(&mut items[starts[g] - base..starts[g + 1] - base], shared);
            if let Some(entry) = &entry {
                let faults = shared.list.validate_entry_trusting_hashes(entry);
                if !faults.is_empty() {
                    let mut all = shared.faults.lock().expect("no panics while merging");
                    all.push((first + g, faults));
                }
            }
            *slot = entry;
        }
        return;
    }
    let mid = out.len() / 2;
    let (left_items, right_items) = items.split_at_mut(starts[mid] - starts[0]);
    let (left_out, right_out) = out.split_at_mut(mid);
    rayon::join(
        || build(left_items, &starts[..=mid], first, left_out, shared),
        || build(right_items, &starts[mid..], first + mid, right_out, shared),
    );
}

/// Merges the items of one key (sorted by their order in the sources) into its entry; `None`
/// when the key is over the limit or none of its incidents is known (both are problems).
fn group(items: &mut [Item], shared: &Shared<'_>) -> Option<Entry> {
    let spki_sha256 = items[0].spki_sha256;
    let first = items.iter().find(|i| i.evidence.is_some())?.seq;
    let over = first >= shared.threshold;
    let mut problems: Vec<(Order, Problem)> = Vec::new();
    // Certificates already seen for this key (a certificate fixes its key, so a second sighting
    // is always in the same group), with their places.
    let mut certificates: Vec<(Sha256Hash, Place<'_>)> = Vec::new();
    let mut certificate_index: HashMap<Sha256Hash, usize> = HashMap::new();
    let mut known: Option<(Action, Option<Timestamp>, &IncidentId, Place<'_>)> = None;
    let mut action_reported: Vec<&IncidentId> = Vec::new();
    let mut date_reported: Vec<&IncidentId> = Vec::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    for item in items.iter_mut() {
        let Some(boxed) = item.evidence.take() else {
            continue;
        };
        let source = &shared.sources[item.file as usize];
        let ev = &boxed[0];
        let here = Place {
            relative: source.relative,
            position: ev.position,
        };
        let mut seen_certificate = None;
        if let (EvidenceKind::Certificate, Some(cert)) = (ev.kind, ev.cert_sha256) {
            let first_place = if certificates.len() < 16 {
                certificates
                    .iter()
                    .find(|(c, _)| *c == cert)
                    .map(|(_, p)| *p)
            } else {
                if certificate_index.is_empty() {
                    certificate_index = certificates
                        .iter()
                        .enumerate()
                        .map(|(i, (c, _))| (*c, i))
                        .collect();
                }
                certificate_index.get(&cert).map(|&i| certificates[i].1)
            };
            if let Some(first_place) = first_place {
                let kind = ProblemKind::DuplicateCertificate {
                    cert_sha256: cert,
                    first_place: place_words(shared.root, first_place),
                    place: place_words(shared.root, here),
                };
                problems.push((
                    (0, item.seq, 0),
                    Problem::new(source.path, kind).at(item.line, None),
                ));
                continue;
            }
            if !certificate_index.is_empty() || certificates.len() >= 16 {
                certificate_index.insert(cert, certificates.len());
            }
            certificates.push((cert, here));
            seen_certificate = Some(cert);
        }
        if let Some(cert) = seen_certificate.filter(|c| shared.wanted.contains(c)) {
            let mut kept = ev.clone();
            kept.certificate = None;
            shared.seen.lock().expect("no panics while merging").insert(
                cert,
                SeenCertificate {
                    place: here,
                    spki_sha256,
                    evidence: kept,
                },
            );
        }
        if over {
            continue;
        }
        if let Some((action, distrust_after)) = source.action {
            if let Some((_, other_date, other_incident, other_place)) = known {
                if other_date != distrust_after && !date_reported.contains(&source.incident) {
                    date_reported.push(source.incident);
                    let kind = ProblemKind::ConflictingDistrustAfter {
                        spki_sha256,
                        place: place_words(shared.root, here),
                        incident: ev.incident.clone(),
                        distrust_after,
                        other_place: place_words(shared.root, other_place),
                        other_incident: other_incident.clone(),
                        other_distrust_after: other_date,
                    };
                    problems.push((
                        (0, item.seq, 0),
                        Problem::new(source.path, kind).at(item.line, None),
                    ));
                }
            }
            match known {
                None => known = Some((action, distrust_after, source.incident, here)),
                Some((other_action, _, other_incident, other_place))
                    if other_action != action && !action_reported.contains(&source.incident) =>
                {
                    action_reported.push(source.incident);
                    let kind = ProblemKind::ConflictingAction {
                        spki_sha256,
                        place: place_words(shared.root, here),
                        incident: ev.incident.clone(),
                        action,
                        other_place: place_words(shared.root, other_place),
                        other_incident: other_incident.clone(),
                        other_action,
                    };
                    problems.push((
                        (0, item.seq, 1),
                        Problem::new(source.path, kind).at(item.line, None),
                    ));
                }
                Some(_) => {}
            }
        }
        if evidence.is_empty() {
            // The item's own allocation becomes the entry's evidence.
            let one: Box<[Evidence]> = boxed;
            evidence = one.into_vec();
        } else {
            let [ev] = *boxed;
            evidence.push(ev);
        }
    }
    if !problems.is_empty() {
        shared
            .problems
            .lock()
            .expect("no panics while merging")
            .extend(problems);
    }
    if over {
        return None;
    }
    let (action, distrust_after, _, _) = known?;
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
}

/// Where evidence is, as the user sees it: `sources/a/x.pem` or `sources/a/x.pem#2`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge_reference;

    /// SplitMix64, for reproducible random cases.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn empty_list() -> Blocklist {
        Blocklist {
            sequence: 0,
            source_digest: Sha256Hash([0; 32]),
            incidents: Vec::new(),
            entries: Vec::new(),
        }
    }

    fn hash(tag: u8, n: u64) -> Sha256Hash {
        let mut h = [tag; 32];
        h[..8].copy_from_slice(&n.to_be_bytes());
        Sha256Hash(h)
    }

    fn date(day: u8) -> Timestamp {
        Timestamp::new(certblock_list::Date::new(2020, 1, day).unwrap(), 0, 0, 0).unwrap()
    }

    /// A file of a case: its incident, its path relative to `sources/`, its incident's action.
    type CaseFile = (String, String, Option<(Action, Option<Timestamp>)>);
    /// An item of a case: its file, key, evidence and line.
    type CaseItem = (usize, Sha256Hash, Evidence, Option<usize>);

    /// One random case: files (with their incident, action and date), then items in path order.
    fn case(rng: &mut Rng) -> (usize, Vec<CaseFile>, Vec<CaseItem>) {
        let incidents = ["a", "b", "c", "d"];
        let files: Vec<_> = (0..1 + rng.below(6))
            .map(|f| {
                let incident = incidents[rng.below(4) as usize].to_string();
                let action = match rng.below(5) {
                    0 => None,
                    1 => Some((Action::KnownInterception, None)),
                    2 => Some((Action::Block, Some(date(1 + rng.below(2) as u8)))),
                    _ => Some((Action::Block, None)),
                };
                (incident.clone(), format!("{incident}/f{f}.pem"), action)
            })
            .collect();
        let keys = 1 + rng.below(12);
        let certs = 1 + rng.below(12);
        let mut items = Vec::new();
        for (index, (incident, relative, _)) in files.iter().enumerate() {
            let count = rng.below(8);
            for k in 0..count {
                let position = (count > 1).then_some(k as u32 + 1);
                let kind = match rng.below(3) {
                    0 => EvidenceKind::Certificate,
                    1 => EvidenceKind::PublicKey,
                    _ => EvidenceKind::Facts,
                };
                let mut ev =
                    Evidence::new(incident.parse().unwrap(), relative.clone(), position, kind);
                let spki = match kind {
                    EvidenceKind::Certificate => {
                        let c = rng.below(certs);
                        ev.cert_sha256 = Some(hash(1, c));
                        ev.serial = Some(certblock_list::HexBytes(vec![c as u8]));
                        ev.cert_sha1 = Some(certblock_list::HexBytes(vec![c as u8; 20]));
                        ev.certificate = Some(certblock_list::Base64Bytes(vec![c as u8; 3]));
                        // A certificate fixes its key.
                        hash(2, c % keys)
                    }
                    EvidenceKind::PublicKey => hash(2, rng.below(keys)),
                    EvidenceKind::Facts => {
                        if rng.below(2) == 0 {
                            let c = rng.below(certs);
                            ev.cert_sha256 = Some(hash(1, c));
                            ev.serial =
                                Some(certblock_list::HexBytes(vec![(c + rng.below(2)) as u8]));
                        }
                        ev.name = Some(format!("n{}", rng.below(3)));
                        hash(2, rng.below(keys))
                    }
                };
                let line = (rng.below(2) == 0).then(|| rng.below(100) as usize + 1);
                items.push((index, spki, ev, line));
            }
        }
        let max_entries = if rng.below(3) == 0 {
            rng.below(keys + 1) as usize
        } else {
            1000
        };
        (max_entries, files, items)
    }

    #[test]
    fn the_parallel_merge_reports_exactly_what_the_serial_one_does() {
        let root = Path::new("sources");
        let mut rng = Rng(7);
        let mut with_problems = 0;
        for _ in 0..20_000 {
            let (max_entries, files, items) = case(&mut rng);
            let ids: Vec<IncidentId> = files.iter().map(|f| f.0.parse().unwrap()).collect();
            let paths: Vec<PathBuf> = files.iter().map(|f| root.join(&f.1)).collect();
            let mut reference = merge_reference::Merger::new(root, max_entries);
            for (file, spki, ev, line) in &items {
                let source = merge_reference::Source {
                    path: &paths[*file],
                    relative: &files[*file].1,
                    incident: &ids[*file],
                };
                reference.add(*spki, ev.clone(), files[*file].2, source, *line);
            }
            let expected = reference.finish();
            let sources: Vec<Source<'_>> = files
                .iter()
                .enumerate()
                .map(|(i, f)| Source {
                    path: &paths[i],
                    relative: &f.1,
                    incident: &ids[i],
                    action: f.2,
                })
                .collect();
            let items = items
                .into_iter()
                .map(|(file, spki, ev, line)| Item::new(spki, ev, line, file as u32))
                .collect();
            let actual = merge(root, max_entries, &sources, items, &empty_list());
            assert_eq!(actual.entries, expected.0);
            assert_eq!(actual.problems, expected.1);
            with_problems += usize::from(!expected.1.is_empty());
        }
        // Both kinds of case are well covered.
        assert!(
            with_problems > 2_000 && with_problems < 18_000,
            "{with_problems}"
        );
    }

    #[test]
    fn many_groups_and_many_certificates_of_one_key_merge_in_parallel() {
        // More groups than one task takes, and one key with many certificates (the map path).
        let root = Path::new("sources");
        let id: IncidentId = "a".parse().unwrap();
        let path = root.join("a/x.pem");
        // Incident b's file says block, but the list's incident b (below) says
        // known-interception: the one entry with b's evidence breaks an invariant.
        let other: IncidentId = "b".parse().unwrap();
        let other_path = root.join("b/y.pem");
        let sources = [
            Source {
                path: &path,
                relative: "a/x.pem",
                incident: &id,
                action: Some((Action::Block, None)),
            },
            Source {
                path: &other_path,
                relative: "b/y.pem",
                incident: &other,
                action: Some((Action::Block, None)),
            },
        ];
        let mut items = Vec::new();
        for n in 0..10_000u64 {
            let (incident, file, index) = match n {
                3 => (&other, "b/y.pem", 1),
                _ => (&id, "a/x.pem", 0),
            };
            let mut ev = Evidence::new(
                incident.clone(),
                file.to_string(),
                Some(n as u32 + 1),
                EvidenceKind::Certificate,
            );
            ev.cert_sha256 = Some(hash(1, n));
            let key = if n % 2 == 0 { hash(2, 0) } else { hash(2, n) };
            items.push(Item::new(key, ev, None, index));
        }
        let mut dup = Evidence::new(
            id.clone(),
            "a/x.pem".to_string(),
            Some(10_001),
            EvidenceKind::Certificate,
        );
        dup.cert_sha256 = Some(hash(1, 9_998));
        items.push(Item::new(hash(2, 0), dup, Some(7), 0));
        let mut list = empty_list();
        list.incidents.push(certblock_list::Incident {
            id: id.clone(),
            title: "A".to_string(),
            category: certblock_list::Category::Test,
            action: Action::Block,
            added: None,
            references: Vec::new(),
            summary: "A.".to_string(),
            distrust_after: None,
        });
        list.incidents.push(certblock_list::Incident {
            id: other.clone(),
            title: "B".to_string(),
            category: certblock_list::Category::Test,
            action: Action::KnownInterception,
            added: None,
            references: Vec::new(),
            summary: "B.".to_string(),
            distrust_after: None,
        });
        let Merged {
            entries,
            problems,
            faults,
        } = merge(root, 100_000, &sources, items, &list);
        // Checked as built: the entry of b's certificate has an action its incident does not.
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert!(
            faults[0].contains("incident b says known-interception"),
            "{faults:?}"
        );
        assert_eq!(entries.len(), 5_001);
        assert!(
            entries
                .windows(2)
                .all(|w| w[0].spki_sha256 < w[1].spki_sha256)
        );
        assert_eq!(
            entries.iter().map(|e| e.evidence.len()).sum::<usize>(),
            10_000
        );
        assert_eq!(problems.len(), 1);
        assert!(
            matches!(problems[0].kind, ProblemKind::DuplicateCertificate { .. }),
            "{}",
            problems[0]
        );
        assert_eq!(problems[0].line, Some(7));
    }
}
