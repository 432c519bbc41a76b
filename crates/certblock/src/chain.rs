//! The built-in table plus a run-time list, and the chain check.

use core::fmt;

use sha2::Digest as _;

use crate::der::{CertificateInfo, DerError, check_spki};
use crate::{Listing, Snapshot};

/// The lists a lookup consults: the built-in table, plus at most one loaded snapshot.
///
/// A loaded list only adds: it never removes or weakens a built-in entry. When both list a key,
/// **the built-in entry wins** (its action, incident, title and `distrust_after` are the ones
/// returned), as Chromium merges its compiled-in list into every CRLSet it loads.
///
/// ```
/// use certblock::{Blocklist, Origin, Snapshot};
///
/// let bytes = include_bytes!("../../../generated/blocklist.bin");
/// let list = Blocklist::with_snapshot(Snapshot::from_bytes(bytes).unwrap());
/// let (key, _) = list.snapshot().unwrap().iter().next().unwrap();
/// // The committed snapshot holds the built-in keys, so the built-in entry answers.
/// assert_eq!(list.lookup_spki_sha256(key).unwrap().origin, Origin::BuiltIn);
/// assert!(list.lookup_spki_sha256(&[0; 32]).is_none());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Blocklist<'a> {
    loaded: Option<Snapshot<'a>>,
}

impl Blocklist<'static> {
    /// The built-in table alone.
    pub const fn builtin() -> Self {
        Blocklist { loaded: None }
    }
}

impl<'a> Blocklist<'a> {
    /// The built-in table plus `snapshot`.
    pub const fn with_snapshot(snapshot: Snapshot<'a>) -> Self {
        Blocklist {
            loaded: Some(snapshot),
        }
    }

    /// The loaded snapshot, if any.
    pub fn snapshot(&self) -> Option<&Snapshot<'a>> {
        self.loaded.as_ref()
    }

    /// The entry for a key, given the SHA-256 of its DER SubjectPublicKeyInfo: the built-in
    /// one if there is one, else the loaded one.
    pub fn lookup_spki_sha256(&self, spki_sha256: &[u8; 32]) -> Option<Listing<'a>> {
        if let Some(builtin) = crate::lookup_spki_sha256(spki_sha256) {
            return Some(Listing::from(builtin));
        }
        self.loaded.as_ref().and_then(|s| s.lookup(spki_sha256))
    }

    /// The entry for a DER SubjectPublicKeyInfo (`SEQUENCE { SEQUENCE, BIT STRING }`, nothing
    /// after it), hashed with SHA-256.
    pub fn lookup_spki_der(&self, spki: &[u8]) -> Result<Option<Listing<'a>>, DerError> {
        check_spki(spki)?;
        Ok(self.lookup_spki_sha256(&sha256(spki)))
    }

    /// The entry for the key of a DER certificate. Only the key counts: any certificate with
    /// a listed key is found, whoever issued it and whatever its dates (`distrust_after` is for
    /// [`check_chain`](Self::check_chain), which knows the leaf).
    pub fn lookup_certificate(&self, der: &[u8]) -> Result<Option<Listing<'a>>, DerError> {
        let info = CertificateInfo::from_der(der)?;
        Ok(self.lookup_spki_sha256(&sha256(info.spki)))
    }

    /// The verdict for a chain of DER certificates, leaf first, as Chromium applies its lists.
    ///
    /// Every certificate's key is looked up. An entry with a `distrust_after` applies only when
    /// the leaf's notBefore (read from the leaf's DER) is strictly after it; otherwise it is
    /// ignored for this chain. Of the entries that apply: any blocked key makes the chain
    /// [`Blocked`](Verdict::Blocked); a known-interception key on a chain that is otherwise
    /// accepted makes it [`KnownInterception`](Verdict::KnownInterception) (informational); both
    /// make it [`BlockedInterception`](Verdict::BlockedInterception). The first certificate from
    /// the leaf is named in each case. The current time is never consulted.
    ///
    /// Whether the chain is otherwise valid (signatures, names, expiry) is not checked: this
    /// answers only what the blocklist says about it.
    pub fn check_chain<C: AsRef<[u8]>>(&self, chain: &[C]) -> Result<Verdict<'a>, ChainError> {
        let leaf = chain.first().ok_or(ChainError::Empty)?;
        let leaf_not_before = CertificateInfo::from_der(leaf.as_ref())
            .map_err(|error| ChainError::Certificate { index: 0, error })?
            .not_before;
        let mut blocked: Option<Hit<'a>> = None;
        let mut interception: Option<Hit<'a>> = None;
        for (index, der) in chain.iter().enumerate() {
            let info = CertificateInfo::from_der(der.as_ref())
                .map_err(|error| ChainError::Certificate { index, error })?;
            let spki_sha256 = sha256(info.spki);
            let Some(listing) = self.lookup_spki_sha256(&spki_sha256) else {
                continue;
            };
            if !listing.applies_to_leaf_not_before(leaf_not_before) {
                continue;
            }
            let hit = Hit {
                index,
                spki_sha256,
                listing,
            };
            if blocked.is_none() && listing.action.is_blocked() {
                blocked = Some(hit);
            }
            if interception.is_none() && listing.action.is_known_interception() {
                interception = Some(hit);
            }
        }
        Ok(match (blocked, interception) {
            (None, None) => Verdict::Clean,
            (None, Some(hit)) => Verdict::KnownInterception(hit),
            (Some(hit), None) => Verdict::Blocked(hit),
            (Some(blocked), Some(interception)) => Verdict::BlockedInterception {
                blocked,
                interception,
            },
        })
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

/// A certificate of a chain whose key is listed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Hit<'a> {
    /// Its position in the chain, 0 for the leaf.
    pub index: usize,
    /// The SHA-256 of its DER SubjectPublicKeyInfo.
    pub spki_sha256: [u8; 32],
    /// The entry: action, incident, title, `distrust_after`, and which list it came from.
    pub listing: Listing<'a>,
}

/// What the blocklist says about a chain.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict<'a> {
    /// No certificate of the chain has a listed key (or only entries whose `distrust_after`
    /// does not apply to this leaf).
    Clean,
    /// A known-interception key, nothing blocked: the chain is not refused, but the user should
    /// be told that the connection is intercepted. Names the first such certificate.
    KnownInterception(Hit<'a>),
    /// A blocked key: refuse the chain. Names the first blocked certificate.
    Blocked(Hit<'a>),
    /// A blocked key and a known-interception key (one certificate may be both): refuse the
    /// chain and say it is a known interception.
    BlockedInterception {
        /// The first blocked certificate.
        blocked: Hit<'a>,
        /// The first known-interception certificate.
        interception: Hit<'a>,
    },
}

impl Verdict<'_> {
    /// Whether the chain must be refused.
    pub fn is_blocked(&self) -> bool {
        matches!(
            self,
            Verdict::Blocked(_) | Verdict::BlockedInterception { .. }
        )
    }

    /// Whether the chain carries a known interception key.
    pub fn is_known_interception(&self) -> bool {
        matches!(
            self,
            Verdict::KnownInterception(_) | Verdict::BlockedInterception { .. }
        )
    }
}

/// Why a chain could not be checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChainError {
    /// The chain holds no certificate.
    Empty,
    /// A certificate of the chain is not well-formed DER.
    Certificate {
        /// Its position in the chain, 0 for the leaf.
        index: usize,
        /// What is wrong with it.
        error: DerError,
    },
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::Empty => f.write_str("the chain holds no certificate"),
            ChainError::Certificate { index, error } => {
                write!(f, "certificate {index} of the chain: {error}")
            }
        }
    }
}

impl core::error::Error for ChainError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ChainError::Empty => None,
            ChainError::Certificate { error, .. } => Some(error),
        }
    }
}
