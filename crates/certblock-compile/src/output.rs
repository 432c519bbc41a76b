//! Writing `generated/` as one atomic unit, and comparing it with what a run would write.
//!
//! Files are written into a fresh folder beside the output folder, flushed to disk (by a thread
//! of their own, so the threads that render files never wait for the disk), and the two folders
//! are then swapped: on Linux with one `renameat2(RENAME_EXCHANGE)`, so a run killed at
//! any instant leaves either the old or the new folder in place, never a mix. Elsewhere the swap
//! is two renames, and the next run puts a folder left aside back before doing anything else.

use core::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use crate::GeneratedFile;

/// Why `generated/` could not be written.
#[derive(Debug)]
pub enum OutputError {
    /// The output path has no parent folder or no file name.
    BadOutputPath {
        /// The output folder as given.
        path: PathBuf,
    },
    /// A file system operation failed.
    Io {
        /// What was being done ("create", "write", "swap in", ...).
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::BadOutputPath { path } => {
                write!(
                    f,
                    "{}: not a usable output folder (it needs a parent folder and a name)",
                    path.display()
                )
            }
            OutputError::Io {
                action,
                path,
                source,
            } => {
                write!(f, "{}: cannot {action}: {source}", path.display())
            }
        }
    }
}

/// The message of an I/O error is part of the `Display` text, so it is not also a `source`:
/// printed as a chain, the reason would appear twice.
impl std::error::Error for OutputError {}

/// The environment variable that slows writing down, for tests only: with
/// `CERTBLOCK_TEST_SLOW_WRITE_MS=N`, [`write_atomically`] pauses N milliseconds after each file,
/// before the swap and after it, so a test can kill a run mid-write and check that `generated/`
/// is whole (`tests/killed_mid_write.rs`). Unset, as in every real run, it costs one lookup.
pub const TEST_SLOW_WRITE_ENV: &str = "CERTBLOCK_TEST_SLOW_WRITE_MS";

/// The test-only pause (see [`TEST_SLOW_WRITE_ENV`]).
fn test_pause() {
    let ms = std::env::var(TEST_SLOW_WRITE_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(ms) = ms {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> OutputError + 'a {
    move |source| OutputError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The folders used beside `out`: (new contents being written, old contents set aside).
fn side_folders(out: &Path) -> Result<(PathBuf, PathBuf), OutputError> {
    let bad = || OutputError::BadOutputPath {
        path: out.to_path_buf(),
    };
    let name = out
        .file_name()
        .ok_or_else(bad)?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => return Err(bad()),
    };
    Ok((
        parent.join(format!(".{name}.certblock-new")),
        parent.join(format!(".{name}.certblock-old")),
    ))
}

/// Writes `files` as the complete contents of the folder `out`, atomically (see the module
/// documentation). Anything else that was in `out` is gone afterwards.
pub fn write_atomically(out: &Path, files: &[GeneratedFile]) -> Result<(), OutputError> {
    let writer = AtomicWrite::begin(out)?;
    for file in files {
        writer.write(file)?;
    }
    writer.commit()
}

/// A replacement of the folder `out` in progress: files go into a fresh folder beside it, and
/// [`AtomicWrite::commit`] swaps that folder in. Dropped without a commit, it removes the fresh
/// folder and leaves `out` as it was. [`AtomicWrite::write`] takes `&self`, so files rendered on
/// several threads can be written as each is ready.
pub struct AtomicWrite {
    out: PathBuf,
    new: PathBuf,
    old: PathBuf,
    committed: bool,
    /// Files written and waiting to be flushed to disk; `None` once the flusher is told to stop.
    to_flush: Option<mpsc::Sender<(PathBuf, fs::File)>>,
    /// The thread that flushes each written file to disk, and the first error it met.
    flusher: Option<std::thread::JoinHandle<Result<(), OutputError>>>,
}

/// Flushes each file it receives to disk, in order, until the sender is dropped; after an error
/// it only drains the rest and returns that first error.
fn flush_files(files: mpsc::Receiver<(PathBuf, fs::File)>) -> Result<(), OutputError> {
    let mut outcome = Ok(());
    for (path, handle) in files {
        if outcome.is_ok() {
            outcome = handle.sync_all().map_err(io_err("flush to disk", &path));
        }
    }
    outcome
}

impl AtomicWrite {
    /// Starts a replacement of `out`: puts back a folder a killed run set aside, clears what a
    /// killed run left half written, and creates the fresh folder.
    pub fn begin(out: &Path) -> Result<Self, OutputError> {
        let (new, old) = side_folders(out)?;
        recover(out, &old)?;
        if new.exists() {
            fs::remove_dir_all(&new).map_err(io_err("remove the leftover folder", &new))?;
        }
        fs::create_dir(&new).map_err(io_err("create", &new))?;
        let (to_flush, files) = mpsc::channel();
        let flusher = std::thread::Builder::new()
            .name("certblock-flush".into())
            .spawn(move || flush_files(files))
            .map_err(io_err("start a thread to flush", &new))?;
        Ok(AtomicWrite {
            out: out.to_path_buf(),
            new,
            old,
            committed: false,
            to_flush: Some(to_flush),
            flusher: Some(flusher),
        })
    }

    /// Waits until every written file is on disk; the first flush error, if any.
    fn finish_flushing(&mut self) -> Result<(), OutputError> {
        drop(self.to_flush.take());
        match self.flusher.take() {
            Some(flusher) => flusher.join().unwrap_or_else(|_| {
                Err(OutputError::Io {
                    action: "flush to disk",
                    path: self.new.clone(),
                    source: io::Error::other("the flushing thread panicked"),
                })
            }),
            None => Ok(()),
        }
    }

    /// Writes one complete file into the fresh folder and hands it to the flushing thread.
    ///
    /// A file whose bytes are already those of the same file in `out` is not written again: the
    /// fresh folder gets a hard link to it. Nothing is copied, and the file keeps its
    /// modification time, so build tools that watch `generated/` see no change (with a million
    /// entries, most of a run's time is otherwise the kernel copying files it already holds).
    /// Where a link cannot be made, the file is written.
    pub fn write(&self, file: &GeneratedFile) -> Result<(), OutputError> {
        let path = self.new.join(file.name);
        let existing = self.out.join(file.name);
        let handle =
            if holds_exactly(&existing, &file.bytes) && fs::hard_link(&existing, &path).is_ok() {
                fs::File::open(&path).map_err(io_err("open", &path))?
            } else {
                let mut handle = fs::File::create(&path).map_err(io_err("create", &path))?;
                handle
                    .write_all(&file.bytes)
                    .map_err(io_err("write", &path))?;
                handle
            };
        // The flusher thread syncs it; `commit` waits for every file before the swap.
        match &self.to_flush {
            Some(to_flush) if to_flush.send((path.clone(), handle)).is_ok() => {}
            _ => {
                return Err(OutputError::Io {
                    action: "flush to disk",
                    path,
                    source: io::Error::other("the flushing thread has stopped"),
                });
            }
        }
        test_pause();
        Ok(())
    }

    /// Swaps the fresh folder in, as one step where the file system allows it.
    pub fn commit(mut self) -> Result<(), OutputError> {
        self.finish_flushing()?;
        sync_dir(&self.new)?;
        test_pause();
        if self.out.exists() {
            swap(&self.new, &self.out, &self.old)?;
        } else {
            fs::rename(&self.new, &self.out).map_err(io_err("move into place", &self.out))?;
        }
        self.committed = true;
        if let Some(parent) = self.out.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(())
    }
}

impl Drop for AtomicWrite {
    fn drop(&mut self) {
        if !self.committed {
            // The flush outcome no longer matters; the files are about to go.
            let _ = self.finish_flushing();
            // Best effort: a leftover is also cleared by the next `begin`.
            let _ = fs::remove_dir_all(&self.new);
        }
    }
}

/// Whether `path` is a regular file (not a link to one) holding exactly `bytes`; compared a
/// piece at a time as it is read, so a large file is never held whole. Any error reading it
/// means no.
fn holds_exactly(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read as _;
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {}
        _ => return false,
    }
    let Ok(mut handle) = fs::File::open(path) else {
        return false;
    };
    let mut rest = bytes;
    let mut piece = vec![0; (1 << 20).min(bytes.len().max(1))];
    loop {
        match handle.read(&mut piece) {
            Ok(0) => return rest.is_empty(),
            Ok(read) => match rest.strip_prefix(&piece[..read]) {
                Some(after) => rest = after,
                None => return false,
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Exchanges `new` and `out`, then removes the old contents (now at `new`).
#[cfg(target_os = "linux")]
fn swap(new: &Path, out: &Path, old: &Path) -> Result<(), OutputError> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, new, CWD, out, RenameFlags::EXCHANGE) {
        Ok(()) => {
            test_pause();
            fs::remove_dir_all(new).map_err(io_err("remove the previous contents", new))
        }
        // File systems without RENAME_EXCHANGE: fall back to two renames.
        Err(_) => swap_by_two_renames(new, out, old),
    }
}

/// Exchanges `new` and `out`, then removes the old contents.
#[cfg(not(target_os = "linux"))]
fn swap(new: &Path, out: &Path, old: &Path) -> Result<(), OutputError> {
    swap_by_two_renames(new, out, old)
}

fn swap_by_two_renames(new: &Path, out: &Path, old: &Path) -> Result<(), OutputError> {
    fs::rename(out, old).map_err(io_err("set aside", out))?;
    test_pause();
    fs::rename(new, out).map_err(io_err("move into place", out))?;
    test_pause();
    fs::remove_dir_all(old).map_err(io_err("remove the previous contents", old))
}

/// Puts back an output folder that a killed run had set aside and not replaced.
fn recover(out: &Path, old: &Path) -> Result<(), OutputError> {
    if old.exists() {
        if out.exists() {
            fs::remove_dir_all(old).map_err(io_err("remove the leftover folder", old))?;
        } else {
            fs::rename(old, out).map_err(io_err("restore", out))?;
        }
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), OutputError> {
    // Directories can be opened and synced on Unix; elsewhere this is best effort.
    match fs::File::open(dir) {
        Ok(handle) => {
            #[cfg(unix)]
            handle.sync_all().map_err(io_err("flush to disk", dir))?;
            #[cfg(not(unix))]
            drop(handle);
            Ok(())
        }
        Err(source) => Err(OutputError::Io {
            action: "open",
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// How a folder on disk differs from what a run would write.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Difference {
    /// The file exists but its bytes differ.
    Stale(String),
    /// The file should exist and does not.
    Missing(String),
    /// The file exists and no run writes it.
    Extra(String),
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Stale(name) => {
                write!(f, "{name}: stale (differs from what sources/ produce)")
            }
            Difference::Missing(name) => write!(f, "{name}: missing"),
            Difference::Extra(name) => write!(f, "{name}: extra (no run writes this file)"),
        }
    }
}

/// Compares the folder `out` with `files`; empty when they are identical, byte for byte.
pub fn compare(out: &Path, files: &[GeneratedFile]) -> Result<Vec<Difference>, OutputError> {
    let mut differences = Vec::new();
    for file in files {
        let path = out.join(file.name);
        match fs::read(&path) {
            Ok(bytes) if bytes == file.bytes => {}
            Ok(_) => differences.push(Difference::Stale(file.name.to_string())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                differences.push(Difference::Missing(file.name.to_string()))
            }
            Err(source) => {
                return Err(OutputError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        }
    }
    if out.is_dir() {
        let mut present: Vec<String> = fs::read_dir(out)
            .map_err(io_err("list", out))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        present.sort();
        for name in present {
            if !files.iter().any(|f| f.name == name) {
                differences.push(Difference::Extra(name));
            }
        }
    }
    Ok(differences)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(tag: &str) -> Vec<GeneratedFile> {
        vec![
            GeneratedFile {
                name: "a.txt",
                bytes: format!("a {tag}").into_bytes(),
            },
            GeneratedFile {
                name: "b.txt",
                bytes: format!("b {tag}").into_bytes(),
            },
        ]
    }

    #[test]
    fn writes_replaces_and_leaves_nothing_beside() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("generated");
        write_atomically(&out, &files("one")).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "a one");
        fs::write(out.join("stray.txt"), "x").unwrap();
        write_atomically(&out, &files("two")).unwrap();
        assert_eq!(fs::read_to_string(out.join("b.txt")).unwrap(), "b two");
        assert!(!out.join("stray.txt").exists());
        let beside: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(beside, vec![std::ffi::OsString::from("generated")]);
    }

    /// Files already holding the bytes are linked into the new folder, not written: same
    /// inode, same modification time; a changed file, or one the same size with other bytes, is
    /// written anew, and a symbolic link is never followed into the new folder.
    #[cfg(unix)]
    #[test]
    fn unchanged_files_are_linked_not_written() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("generated");
        let mut first = files("one");
        first.push(GeneratedFile {
            name: "c.txt",
            bytes: b"c same size".to_vec(),
        });
        first.push(GeneratedFile {
            name: "d.txt",
            bytes: vec![7; 3 << 20],
        });
        write_atomically(&out, &first).unwrap();
        let inode = |name: &str| fs::metadata(out.join(name)).unwrap().ino();
        let before: Vec<u64> = ["a.txt", "b.txt", "c.txt", "d.txt"].map(inode).to_vec();
        // A symbolic link where a file was: its target must not become the output.
        let elsewhere = dir.path().join("elsewhere.txt");
        fs::write(&elsewhere, "a one").unwrap();
        fs::remove_file(out.join("a.txt")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("a.txt")).unwrap();
        let mut second = first.clone();
        second[1].bytes = b"b two".to_vec();
        second[2].bytes = b"C same size".to_vec();
        let mut last_byte_differs = vec![7; 3 << 20];
        *last_byte_differs.last_mut().unwrap() = 8;
        let mut third = second.clone();
        write_atomically(&out, &second).unwrap();
        assert!(
            !fs::symlink_metadata(out.join("a.txt"))
                .unwrap()
                .is_symlink()
        );
        assert_ne!(inode("b.txt"), before[1]);
        assert_ne!(inode("c.txt"), before[2]);
        assert_eq!(inode("d.txt"), before[3], "unchanged: linked");
        for file in &second {
            assert_eq!(fs::read(out.join(file.name)).unwrap(), file.bytes);
        }
        let kept: Vec<u64> = ["a.txt", "b.txt", "c.txt"].map(inode).to_vec();
        third[3].bytes = last_byte_differs;
        write_atomically(&out, &third).unwrap();
        assert_eq!(["a.txt", "b.txt", "c.txt"].map(inode).to_vec(), kept);
        assert_ne!(inode("d.txt"), before[3]);
        for file in &third {
            assert_eq!(fs::read(out.join(file.name)).unwrap(), file.bytes);
        }
        assert_eq!(fs::read_to_string(&elsewhere).unwrap(), "a one");
    }

    #[test]
    fn a_write_abandoned_before_commit_leaves_the_old_folder_and_nothing_beside() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("generated");
        write_atomically(&out, &files("one")).unwrap();
        {
            let writer = AtomicWrite::begin(&out).unwrap();
            writer.write(&files("two")[0]).unwrap();
            // Dropped here without commit, as when compile finds an entry lost.
        }
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "a one");
        let beside: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(beside, vec![std::ffi::OsString::from("generated")]);
    }

    #[test]
    fn a_folder_set_aside_by_a_killed_run_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("generated");
        write_atomically(&out, &files("one")).unwrap();
        let (_, old) = side_folders(&out).unwrap();
        fs::rename(&out, &old).unwrap(); // as if killed between the two renames
        recover(&out, &old).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "a one");
        assert!(!old.exists());
    }

    #[test]
    fn compare_names_stale_missing_and_extra_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("generated");
        write_atomically(&out, &files("one")).unwrap();
        assert_eq!(compare(&out, &files("one")).unwrap(), vec![]);
        fs::write(out.join("a.txt"), "edited").unwrap();
        fs::remove_file(out.join("b.txt")).unwrap();
        fs::write(out.join("c.txt"), "new").unwrap();
        assert_eq!(
            compare(&out, &files("one")).unwrap(),
            vec![
                Difference::Stale("a.txt".into()),
                Difference::Missing("b.txt".into()),
                Difference::Extra("c.txt".into()),
            ]
        );
    }
}
