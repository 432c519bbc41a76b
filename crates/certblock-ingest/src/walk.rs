//! Walks `sources/` in file-name order: incident folders, and what each file in them is for.

use std::path::{Path, PathBuf};

use certblock_list::IncidentId;

use crate::error::{Problem, ProblemKind};
use crate::evidence::{Format, format_of};

/// What a file in an incident folder is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// `incident.json`.
    Incident,
    /// `facts.json`.
    Facts,
    /// A certificate or key file, read as the format says.
    Evidence(Format),
}

/// One file to read.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    /// The path as the user sees it (the root joined with `relative`).
    pub path: PathBuf,
    /// The path relative to the sources root, with `/` separators (what the list records).
    pub relative: String,
    /// What the file is.
    pub role: Role,
}

/// One incident folder.
#[derive(Clone, Debug)]
pub(crate) struct IncidentDir {
    /// The folder as the user sees it.
    pub path: PathBuf,
    /// The incident id, when the folder name is a valid one.
    pub id: Option<IncidentId>,
    /// Its incident.json, evidence files and facts.json, in file-name order.
    pub files: Vec<SourceFile>,
}

/// The tree: incident folders in name order, and every problem with its layout.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    /// The incident folders.
    pub incidents: Vec<IncidentDir>,
    /// Problems with names, layout and reading the tree.
    pub problems: Vec<Problem>,
}

/// Walks the sources tree under `root`.
pub(crate) fn walk(root: &Path) -> Tree {
    let mut tree = Tree::default();
    if !root.is_dir() {
        tree.problems
            .push(Problem::new(root, ProblemKind::NotAFolder));
        return tree;
    }
    let mut entries = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .min_depth(1)
        .into_iter();
    while let Some(entry) = entries.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e
                    .path()
                    .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
                let kind = match (e.loop_ancestor(), e.io_error()) {
                    (Some(ancestor), _) => ProblemKind::SymlinkLoop {
                        ancestor: ancestor.to_path_buf(),
                    },
                    (None, Some(io)) => ProblemKind::Io {
                        message: io.to_string(),
                    },
                    (None, None) => ProblemKind::Io {
                        message: e.to_string(),
                    },
                };
                tree.problems.push(Problem::new(path, kind));
                continue;
            }
        };
        let is_dir = entry.file_type().is_dir();
        let path = entry.path().to_path_buf();
        let refuse = |tree: &mut Tree, kind| tree.problems.push(Problem::new(path.clone(), kind));
        let Some(name) = entry.file_name().to_str() else {
            let lossy = entry.file_name().to_string_lossy().into_owned();
            refuse(&mut tree, ProblemKind::NonUtf8Name { lossy });
            if is_dir {
                entries.skip_current_dir();
            }
            continue;
        };
        if name.starts_with('.') {
            refuse(&mut tree, ProblemKind::Hidden);
            if is_dir {
                entries.skip_current_dir();
            }
            continue;
        }
        if !is_dir && !entry.file_type().is_file() {
            refuse(&mut tree, ProblemKind::NotARegularFile);
            continue;
        }
        match (entry.depth(), is_dir) {
            (1, true) => {
                let id = match name.parse::<IncidentId>() {
                    Ok(id) => Some(id),
                    Err(reason) => {
                        refuse(&mut tree, ProblemKind::BadIncidentId { reason });
                        None
                    }
                };
                tree.incidents.push(IncidentDir {
                    path,
                    id,
                    files: Vec::new(),
                });
            }
            (1, false) => {
                if name != "README.md" {
                    refuse(&mut tree, ProblemKind::UnexpectedTopLevelFile);
                }
            }
            (_, true) => {
                refuse(&mut tree, ProblemKind::NestedFolder);
                entries.skip_current_dir();
            }
            (_, false) => {
                let role = match name {
                    "incident.json" => Role::Incident,
                    "facts.json" => Role::Facts,
                    n if n.ends_with(".md") => continue,
                    n => match format_of(n) {
                        Some(format) => Role::Evidence(format),
                        None => {
                            refuse(&mut tree, ProblemKind::UnrecognisedFile);
                            continue;
                        }
                    },
                };
                let Some(dir) = tree.incidents.last_mut() else {
                    continue;
                };
                let folder = dir
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned());
                let relative = format!("{}/{name}", folder.unwrap_or_default());
                dir.files.push(SourceFile {
                    path,
                    relative,
                    role,
                });
            }
        }
    }
    for dir in &tree.incidents {
        if !dir.files.iter().any(|f| f.role == Role::Incident) {
            tree.problems.push(Problem::new(
                dir.path.clone(),
                ProblemKind::MissingIncidentJson,
            ));
        }
        if !dir.files.iter().any(|f| f.role != Role::Incident) {
            tree.problems
                .push(Problem::new(dir.path.clone(), ProblemKind::NoEvidence));
        }
    }
    tree
}
