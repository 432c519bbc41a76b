//! The digest of a `sources/` tree, recorded in `generated/` to tell when it is stale.
//!
//! Both the compiler (which records it) and the root `build.rs` (which compares it) call
//! [`source_tree_digest`] (or [`source_tree_digest_with`], which gives the same value), so the two
//! can never disagree about what "the same sources" means.
//!
//! The digest covers every directory, file and symbolic link under the root, in file-name
//! order: its kind, its path relative to the root (with `/` separators) and the SHA-256 of its
//! body ([`body_digest`]: a file's bytes, a link's target, nothing for a directory). Timestamps
//! and permissions are left out, so a fresh clone digests the same. Each body is hashed on its
//! own, so whoever has read a file already (ingest parses every source file) can hand over its
//! hash instead of the file being read a second time; a file nobody has read is hashed as it is
//! read, never held whole.

use std::io;
use std::path::Path;

use sha2::Digest as _;

use crate::Sha256Hash;

/// Domain separation for the digest, so it cannot be mistaken for a hash of anything else.
/// Version 2: each body is hashed on its own (version 1 hashed the bodies in the stream).
const DOMAIN: &[u8] = b"certblock source tree v2\0";

/// The size of the buffer a file nobody has read is hashed through.
const READ_BYTES: usize = 1 << 20;

/// The SHA-256 of one item's body, as the tree digest takes it: for a file, of its bytes.
pub fn body_digest(body: &[u8]) -> Sha256Hash {
    Sha256Hash::digest(body)
}

/// Digests the tree under `root` (see the module documentation), reading every file.
pub fn source_tree_digest(root: &Path) -> io::Result<Sha256Hash> {
    source_tree_digest_with(root, &|_| None)
}

/// The [`body_digest`] of a file the caller has already read, if it has: `None` has the file
/// read and hashed here.
pub type KnownFiles<'a> = dyn Fn(&Path) -> Option<Sha256Hash> + 'a;

/// [`source_tree_digest`], taking from `known` the body digest of every file the caller has
/// already read (the digest is the same whoever hashes the files: that is the caller's promise,
/// for the bytes it read). Files `known` does not have are read here through a buffer, in order;
/// the first error in that order is the one returned.
pub fn source_tree_digest_with(root: &Path, known: &KnownFiles<'_>) -> io::Result<Sha256Hash> {
    let mut hasher = sha2::Sha256::new();
    hasher.update(DOMAIN);
    let mut buffer = Vec::new();
    let walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1);
    for item in walk {
        let item = item.map_err(io::Error::other)?;
        let relative = item.path().strip_prefix(root).map_err(io::Error::other)?;
        let name: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let name = name.join("/");
        let file_type = item.file_type();
        let (kind, body) = if file_type.is_dir() {
            (b'd', body_digest(&[]))
        } else if file_type.is_symlink() {
            let target = std::fs::read_link(item.path())?;
            (b'l', body_digest(target.to_string_lossy().as_bytes()))
        } else {
            let body = match known(item.path()) {
                Some(body) => body,
                None => hash_file(item.path(), &mut buffer)?,
            };
            (b'f', body)
        };
        hasher.update([kind]);
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(body.0);
    }
    Ok(Sha256Hash(hasher.finalize().into()))
}

/// The [`body_digest`] of the file at `path`, read through `buffer` (a large file is never held
/// whole).
fn hash_file(path: &Path, buffer: &mut Vec<u8>) -> io::Result<Sha256Hash> {
    use std::io::Read as _;

    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    buffer.resize(READ_BYTES, 0);
    let mut file = std::fs::File::open(path).map_err(named)?;
    let mut hasher = sha2::Sha256::new();
    loop {
        match file.read(buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(named(e)),
        }
    }
    Ok(Sha256Hash(hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

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

    /// The digest as the module documentation defines it, written out plainly: every item in
    /// file-name order, each file read whole.
    fn plain_digest(root: &Path) -> Sha256Hash {
        let mut hasher = sha2::Sha256::new();
        hasher.update(b"certblock source tree v2\0");
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
            hasher.update(sha2::Sha256::digest(&body));
        }
        Sha256Hash(hasher.finalize().into())
    }

    #[test]
    fn known_files_give_the_same_digest_and_errors_name_the_file() {
        let big = "0123456789abcdef".repeat(200_000); // 3.2 MB: read through the buffer
        let mut files: Vec<(String, String)> = (0..300)
            .map(|i| (format!("d{}/f{i:04}.pem", i % 3), "x".repeat(i)))
            .collect();
        files.push(("d0/big.pem".into(), big.clone()));
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let t = tree(&refs);
        let plain = plain_digest(&t.0);
        assert_eq!(source_tree_digest(&t.0).unwrap(), plain);
        // Every other file known to the caller, by the digest of its bytes: the same digest.
        let known: BTreeMap<PathBuf, Sha256Hash> = files
            .iter()
            .step_by(2)
            .map(|(name, body)| (t.0.join(name), body_digest(body.as_bytes())))
            .collect();
        let from_known = source_tree_digest_with(&t.0, &|p| known.get(p).copied()).unwrap();
        assert_eq!(from_known, plain);
        // What the caller says it read is what is digested: another body, another digest.
        let wrong = |p: &Path| known.get(p).map(|_| body_digest(b"other bytes"));
        assert_ne!(source_tree_digest_with(&t.0, &wrong).unwrap(), plain);
        // One byte changed in the middle of the large file changes the digest.
        let mut changed = big.into_bytes();
        changed[1_600_000] ^= 1;
        std::fs::write(t.0.join("d0/big.pem"), changed).unwrap();
        assert_ne!(source_tree_digest(&t.0).unwrap(), plain);
        // A file that cannot be read is an error naming it.
        #[cfg(unix)]
        {
            let gone = tree(&[("a/x.pem", "A")]);
            std::os::unix::fs::symlink("nowhere", gone.0.join("a/link")).unwrap();
            // A link is digested by its target, never followed: a dangling one is fine.
            assert!(source_tree_digest(&gone.0).is_ok());
            let error = hash_file(&gone.0.join("a/missing.pem"), &mut Vec::new()).unwrap_err();
            assert!(error.to_string().contains("missing.pem"), "{error}");
        }
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
        // Nor a file and a directory of the same name.
        let file = tree(&[("x", "")]);
        let dir = tree(&[("x/y", "")]);
        assert_ne!(
            source_tree_digest(&file.0).unwrap(),
            source_tree_digest(&dir.0).unwrap()
        );
    }
}
