//! The digest of a `sources/` tree, recorded in `generated/` to tell when it is stale.
//!
//! Both the compiler (which records it) and the root `build.rs` (which compares it) call
//! [`source_tree_digest`], so the two can never disagree about what "the same sources" means.
//!
//! The digest covers every directory, file and symbolic link under the root, in file-name
//! order: its path relative to the root (with `/` separators), its kind, and its bytes (for a
//! link, its target). Timestamps and permissions are left out, so a fresh clone digests the same.

use std::io;
use std::path::Path;

use sha2::Digest as _;

use crate::Sha256Hash;

/// Domain separation for the digest, so it cannot be mistaken for a hash of anything else.
const DOMAIN: &[u8] = b"certblock source tree v1\0";

/// Digests the tree under `root` (see the module documentation).
pub fn source_tree_digest(root: &Path) -> io::Result<Sha256Hash> {
    let mut hasher = sha2::Sha256::new();
    hasher.update(DOMAIN);
    let walk = walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name().min_depth(1);
    for item in walk {
        let item = item.map_err(io::Error::other)?;
        let relative = item.path().strip_prefix(root).map_err(io::Error::other)?;
        let name: Vec<String> =
            relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let name = name.join("/");
        let file_type = item.file_type();
        let (kind, body): (u8, Vec<u8>) = if file_type.is_dir() {
            (b'd', Vec::new())
        } else if file_type.is_symlink() {
            let target = std::fs::read_link(item.path())?;
            (b'l', target.to_string_lossy().into_owned().into_bytes())
        } else {
            (b'f', std::fs::read(item.path())?)
        };
        hasher.update([kind]);
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((body.len() as u64).to_le_bytes());
        hasher.update(&body);
    }
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
        assert_ne!(source_tree_digest(&c.0).unwrap(), source_tree_digest(&d.0).unwrap());
    }
}
