//! The digest of a `sources/` tree, recorded in `generated/` to tell when it is stale.
//!
//! Both the compiler (which records it) and the root `build.rs` (which compares it) call
//! [`source_tree_digest`], so the two can never disagree about what "the same sources" means.
//!
//! The digest covers every directory, file and symbolic link under the root, in file-name
//! order: its path relative to the root (with `/` separators), its kind, and its bytes (for a
//! link, its target). Timestamps and permissions are left out, so a fresh clone digests the same.
//! Files over 1 MiB are hashed as they are read, never held whole.

use std::io;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::Sha256Hash;

/// Domain separation for the digest, so it cannot be mistaken for a hash of anything else.
const DOMAIN: &[u8] = b"certblock source tree v1\0";

/// Digests the tree under `root` (see the module documentation).
pub fn source_tree_digest(root: &Path) -> io::Result<Sha256Hash> {
    source_tree_digest_with(root, &|paths: &[PathBuf]| {
        paths.iter().map(std::fs::read).collect()
    })
}

/// The files [`source_tree_digest_with`] hands its reader at once: at most this many...
const BATCH_FILES: usize = 256;
/// ... and about this many bytes (a larger file goes alone).
const BATCH_BYTES: u64 = 16 << 20;

/// A file larger than this is not handed to the reader: it is hashed as it is read, through a
/// buffer of this size, so digesting a tree of large PEM bundles never holds a whole one.
const STREAM_BYTES: u64 = 1 << 20;

/// Hashes the file at `path` as the digest's body of a file of `size` bytes (its length, then
/// its bytes), reading it through a small buffer. A file whose length is not `size` by the time
/// it is read is an error (it changed while the tree was read).
fn hash_streamed(hasher: &mut sha2::Sha256, path: &Path, size: u64) -> io::Result<()> {
    use std::io::Read as _;

    hasher.update(size.to_le_bytes());
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; STREAM_BYTES as usize];
    let mut read = 0u64;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        read += n as u64;
    }
    if read != size {
        return Err(io::Error::other(format!(
            "{}: changed while it was read ({size} bytes, then {read})",
            path.display()
        )));
    }
    Ok(())
}

/// Reads a batch of files: each one's bytes (or error), in the order of the paths.
pub type FileReader<'a> = dyn Fn(&[PathBuf]) -> Vec<io::Result<Vec<u8>>> + Sync + 'a;

/// One item of the tree, waiting for the bytes of the files before it to be read.
struct Pending {
    kind: u8,
    name: String,
    /// The body of a directory (empty) or a link (its target); `None` for a file, whose body is
    /// the next one of the batch.
    body: Option<Vec<u8>>,
}

/// [`source_tree_digest`], with the bytes of the files read by `read_files`: it is handed the
/// paths of a batch of files, in digest order, and returns each one's bytes (or error) in the
/// same order, so that a caller can read them on several threads. The digest is the same
/// whoever reads the files; the first error in digest order is the one returned.
pub fn source_tree_digest_with(root: &Path, read_files: &FileReader<'_>) -> io::Result<Sha256Hash> {
    let mut hasher = sha2::Sha256::new();
    hasher.update(DOMAIN);
    let mut pending: Vec<Pending> = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut batch_bytes = 0u64;
    let flush = |hasher: &mut sha2::Sha256,
                 pending: &mut Vec<Pending>,
                 paths: &mut Vec<PathBuf>|
     -> io::Result<()> {
        let mut bodies = read_files(paths).into_iter();
        for item in pending.drain(..) {
            let body = match item.body {
                Some(body) => body,
                None => bodies.next().unwrap_or_else(|| {
                    Err(io::Error::other("the file reader returned too few files"))
                })?,
            };
            hasher.update([item.kind]);
            hasher.update((item.name.len() as u64).to_le_bytes());
            hasher.update(item.name.as_bytes());
            hasher.update((body.len() as u64).to_le_bytes());
            hasher.update(&body);
        }
        paths.clear();
        Ok(())
    };
    let walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1);
    for item in walk {
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                flush(&mut hasher, &mut pending, &mut paths)?;
                return Err(io::Error::other(e));
            }
        };
        let relative = match item.path().strip_prefix(root) {
            Ok(relative) => relative,
            Err(e) => {
                flush(&mut hasher, &mut pending, &mut paths)?;
                return Err(io::Error::other(e));
            }
        };
        let name: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let name = name.join("/");
        let file_type = item.file_type();
        if file_type.is_dir() {
            pending.push(Pending {
                kind: b'd',
                name,
                body: Some(Vec::new()),
            });
        } else if file_type.is_symlink() {
            let target = match std::fs::read_link(item.path()) {
                Ok(target) => target,
                Err(e) => {
                    flush(&mut hasher, &mut pending, &mut paths)?;
                    return Err(e);
                }
            };
            let body = target.to_string_lossy().into_owned().into_bytes();
            pending.push(Pending {
                kind: b'l',
                name,
                body: Some(body),
            });
        } else {
            let size = item.metadata().map_or(0, |m| m.len());
            if size > STREAM_BYTES {
                // Everything before it first, then the file itself, read as it is hashed.
                flush(&mut hasher, &mut pending, &mut paths)?;
                batch_bytes = 0;
                hasher.update([b'f']);
                hasher.update((name.len() as u64).to_le_bytes());
                hasher.update(name.as_bytes());
                hash_streamed(&mut hasher, item.path(), size)?;
                continue;
            }
            if !paths.is_empty() && batch_bytes.saturating_add(size) > BATCH_BYTES {
                flush(&mut hasher, &mut pending, &mut paths)?;
                batch_bytes = 0;
            }
            pending.push(Pending {
                kind: b'f',
                name,
                body: None,
            });
            paths.push(item.into_path());
            batch_bytes = batch_bytes.saturating_add(size);
            if paths.len() >= BATCH_FILES {
                flush(&mut hasher, &mut pending, &mut paths)?;
                batch_bytes = 0;
            }
        }
    }
    flush(&mut hasher, &mut pending, &mut paths)?;
    Ok(Sha256Hash(hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile_lite::Dir {
        let dir = tempfile_lite::Dir::new();
        for (name, body) in files {
            let path = dir.0.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
        dir
    }

    /// A throwaway directory, removed on drop (keeps this crate free of test dependencies).
    mod tempfile_lite {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                use std::sync::atomic::{AtomicU32, Ordering};
                static N: AtomicU32 = AtomicU32::new(0);
                let p = std::env::temp_dir().join(format!(
                    "certblock-digest-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn any_reader_gives_the_same_digest_and_errors_come_in_order() {
        let files: Vec<(String, String)> = (0..600)
            .map(|i| (format!("d{}/f{i:04}.pem", i % 3), "x".repeat(i)))
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let t = tree(&refs);
        let reversed = |paths: &[PathBuf]| -> Vec<io::Result<Vec<u8>>> {
            let mut out: Vec<_> = paths.iter().rev().map(std::fs::read).collect();
            out.reverse();
            out
        };
        assert_eq!(
            source_tree_digest(&t.0).unwrap(),
            source_tree_digest_with(&t.0, &reversed).unwrap()
        );
        let failing = |paths: &[PathBuf]| -> Vec<io::Result<Vec<u8>>> {
            paths
                .iter()
                .map(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    if name.as_str() >= "f0300" {
                        Err(io::Error::other(name))
                    } else {
                        std::fs::read(p)
                    }
                })
                .collect()
        };
        let e = source_tree_digest_with(&t.0, &failing).unwrap_err();
        assert_eq!(e.to_string(), "f0300.pem");
    }

    /// The digest as the module documentation defines it, written out plainly: every item in
    /// file-name order, each file read whole.
    fn plain_digest(root: &Path) -> Sha256Hash {
        let mut hasher = sha2::Sha256::new();
        hasher.update(DOMAIN);
        for item in walkdir::WalkDir::new(root).sort_by_file_name().min_depth(1) {
            let item = item.unwrap();
            let name = item
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let (kind, body) = if item.file_type().is_dir() {
                (b'd', Vec::new())
            } else {
                (b'f', std::fs::read(item.path()).unwrap())
            };
            hasher.update([kind]);
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update((body.len() as u64).to_le_bytes());
            hasher.update(&body);
        }
        Sha256Hash(hasher.finalize().into())
    }

    #[test]
    fn large_files_hashed_as_they_are_read_give_the_digest_of_whole_files() {
        let big = "0123456789abcdef".repeat(200_000); // 3.2 MB: streamed
        let just_over = "z".repeat(STREAM_BYTES as usize + 1);
        let t = tree(&[
            ("a/incident.json", "{}"),
            ("a/bundle.pem", big.as_str()),
            ("a/small.pem", "A"),
            ("b/edge.pem", just_over.as_str()),
            ("b/incident.json", "{}"),
        ]);
        let streamed = source_tree_digest(&t.0).unwrap();
        assert_eq!(streamed, plain_digest(&t.0));
        // The reader is handed only the small files: one that refuses the large ones changes nothing.
        let small_only = |paths: &[PathBuf]| -> Vec<io::Result<Vec<u8>>> {
            paths
                .iter()
                .map(|p| match std::fs::metadata(p)?.len() > STREAM_BYTES {
                    true => Err(io::Error::other("a large file reached the reader")),
                    false => std::fs::read(p),
                })
                .collect()
        };
        assert_eq!(
            source_tree_digest_with(&t.0, &small_only).unwrap(),
            streamed
        );
        // One byte changed in the middle of the large file changes the digest.
        let mut changed = big.clone().into_bytes();
        changed[1_600_000] ^= 1;
        std::fs::write(t.0.join("a/bundle.pem"), changed).unwrap();
        assert_ne!(source_tree_digest(&t.0).unwrap(), streamed);
    }

    #[test]
    fn digest_depends_on_names_and_bytes_only() {
        let a = tree(&[("x/incident.json", "{}"), ("x/a.pem", "A")]);
        let b = tree(&[("x/a.pem", "A"), ("x/incident.json", "{}")]);
        let da = source_tree_digest(&a.0).unwrap();
        assert_eq!(da, source_tree_digest(&b.0).unwrap());
        let renamed = tree(&[("x/incident.json", "{}"), ("x/b.pem", "A")]);
        assert_ne!(da, source_tree_digest(&renamed.0).unwrap());
        let edited = tree(&[("x/incident.json", "{}"), ("x/a.pem", "B")]);
        assert_ne!(da, source_tree_digest(&edited.0).unwrap());
        // Moving bytes between the name and the body must not collide.
        let c = tree(&[("ab", "c")]);
        let d = tree(&[("a", "bc")]);
        assert_ne!(
            source_tree_digest(&c.0).unwrap(),
            source_tree_digest(&d.0).unwrap()
        );
    }
}
