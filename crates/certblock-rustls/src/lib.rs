//! A rustls [`ServerCertVerifier`] that enforces the certblock blocklist.
//!
//! [`BlocklistVerifier`] wraps another verifier (by default rustls's webpki verifier, built with
//! the `ring` provider). The inner verifier verifies the chain first; its refusal stands. When
//! it accepts, every certificate the server presented (the end entity, index 0, then the
//! intermediates in the order they were sent) is looked up by the SHA-256 of its
//! SubjectPublicKeyInfo in certblock's built-in table plus, when given, a run-time snapshot:
//!
//! * a **blocked** key fails the handshake with
//!   `Error::InvalidCertificate(CertificateError::Other(..))` whose text names the incident, the
//!   certificate's index and its SPKI SHA-256 (the error inside is a [`Refused`]);
//! * a **known-interception** key alone does not fail: it is passed to the callback given to
//!   [`Builder::on_known_interception`] (and logged at `warn` level through the `log` crate);
//! * a certificate certblock cannot read fails the handshake (the check fails closed).
//!
//! Signature verification, the supported schemes, raw-public-key support and root hints are the
//! inner verifier's, unchanged.
//!
//! **Trust anchors that the server does not send.** An intercepting proxy usually sends only
//! its leaf: the listed root sits in the client's trust store. With
//! [`Builder::webpki_roots`] the roots are screened when the verifier is built: listed blocked
//! roots are taken out of the store the inner verifier trusts, and a chain that would verify only
//! through one of them is refused naming that root's incident (as index "trust anchor");
//! a chain ending at a known-interception root is reported to the callback. A verifier given to
//! [`Builder::wrap`] is opaque, so only the certificates presented are checked.
//!
//! ```no_run
//! use std::sync::Arc;
//! let mut roots = rustls::RootCertStore::empty();
//! // roots.add(...) or roots.extend(...)
//! let verifier = certblock_rustls::BlocklistVerifier::builder()
//!     .on_known_interception(|notice| eprintln!("warning: {notice}"))
//!     .webpki_roots(roots)
//!     .unwrap();
//! let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
//!     .with_safe_default_protocol_versions().unwrap()
//!     .dangerous().with_custom_certificate_verifier(Arc::new(verifier))
//!     .with_no_client_auth();
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::sync::Arc;

pub use certblock::{Action, Origin, Snapshot, SnapshotError};
use certblock::{Blocklist, CertificateInfo, Hit, Listing, Verdict};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{VerifierBuilderError, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, OtherError, RootCertStore,
    SignatureScheme,
};

/// Where a listed certificate sits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Position {
    /// Presented by the server: 0 is the end entity, then the intermediates in the order sent.
    Presented(usize),
    /// A root of the trust store that the chain verifies through, not sent by the server.
    TrustAnchor,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Presented(0) => f.write_str("certificate 0 (end entity)"),
            Position::Presented(i) => write!(f, "certificate {i} (intermediate)"),
            Position::TrustAnchor => f.write_str("trust anchor (root from the trust store)"),
        }
    }
}

/// A listed certificate of a chain, owned.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Finding {
    /// Which certificate.
    pub position: Position,
    /// The SHA-256 of its DER SubjectPublicKeyInfo.
    pub spki_sha256: [u8; 32],
    /// What the list says to do with it.
    pub action: Action,
    /// The incident's id.
    pub incident: String,
    /// The incident's title.
    pub title: String,
    /// The list that holds it (built-in or loaded).
    pub origin: Origin,
}

impl Finding {
    fn new(position: Position, spki_sha256: [u8; 32], listing: &Listing<'_>) -> Self {
        Finding {
            position,
            spki_sha256,
            action: listing.action,
            incident: listing.incident.to_string(),
            title: listing.title.to_string(),
            origin: listing.origin,
        }
    }

    fn from_hit(hit: &Hit<'_>) -> Self {
        Finding::new(
            Position::Presented(hit.index),
            hit.spki_sha256,
            &hit.listing,
        )
    }

    /// The SPKI SHA-256 in lowercase hex.
    pub fn spki_sha256_hex(&self) -> String {
        self.spki_sha256
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.action {
            Action::Block => "blocked",
            Action::KnownInterception => "known interception",
            Action::BlockedInterception => "blocked interception",
        };
        let origin = match self.origin {
            Origin::BuiltIn => "built-in list",
            Origin::Loaded => "loaded list",
        };
        write!(
            f,
            "{}, SPKI SHA-256 {}, is listed ({action}, {origin}) by incident {} ({})",
            self.position,
            self.spki_sha256_hex(),
            self.incident,
            self.title
        )
    }
}

/// The error inside `CertificateError::Other` when certblock refuses a chain.
///
/// rustls shows the error inside `CertificateError::Other` with `Debug`, so `Debug` gives the
/// readable message (incident, certificate index, SPKI SHA-256) too.
#[derive(Clone, PartialEq, Eq)]
pub struct Refused {
    /// The first blocked certificate from the end entity.
    pub finding: Finding,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "certblock refused the chain: {}", self.finding)
    }
}

impl fmt::Debug for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl std::error::Error for Refused {}

/// The error inside `CertificateError::Other` when certblock cannot read a presented
/// certificate that the inner verifier accepted (the check fails closed).
#[derive(Clone, PartialEq, Eq)]
pub struct Unreadable(pub certblock::ChainError);

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "certblock could not check the chain: {}", self.0)
    }
}

impl fmt::Debug for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl std::error::Error for Unreadable {}

/// What the known-interception callback is told: a chain accepted by the inner verifier and not
/// blocked, carrying a known interception key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Interception {
    /// The server name the client asked for.
    pub server_name: String,
    /// The first known-interception certificate.
    pub finding: Finding,
}

impl fmt::Display for Interception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the connection to {} is intercepted: {}",
            self.server_name, self.finding
        )
    }
}

type Callback = Arc<dyn Fn(&Interception) + Send + Sync>;

/// A verifier over a single listed root, and what the list says about it.
struct AnchorCheck {
    verifier: Arc<WebPkiServerVerifier>,
    spki_sha256: [u8; 32],
    listing: Listing<'static>,
}

/// Builds a [`BlocklistVerifier`]: the lists, the callback, then the inner verifier.
#[derive(Default)]
pub struct Builder {
    list: Blocklist<'static>,
    on_interception: Option<Callback>,
    provider: Option<Arc<CryptoProvider>>,
}

impl Builder {
    /// Consults `snapshot` besides the built-in table (a loaded list only adds keys).
    pub fn snapshot(mut self, snapshot: Snapshot<'static>) -> Self {
        self.list = Blocklist::with_snapshot(snapshot);
        self
    }

    /// Checks and loads a snapshot (as written by the compiler, `generated/blocklist.bin`) read
    /// at run time. The bytes are kept for the rest of the program (leaked): load a list once,
    /// not once per connection.
    pub fn snapshot_bytes(self, bytes: Vec<u8>) -> Result<Self, SnapshotError> {
        Snapshot::from_bytes(&bytes)?;
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        Ok(self.snapshot(Snapshot::from_bytes(bytes)?))
    }

    /// Called, on the handshake's thread, when an accepted chain carries a known-interception
    /// key and nothing blocked.
    pub fn on_known_interception(
        mut self,
        callback: impl Fn(&Interception) + Send + Sync + 'static,
    ) -> Self {
        self.on_interception = Some(Arc::new(callback));
        self
    }

    /// The crypto provider of the webpki verifiers [`webpki_roots`](Self::webpki_roots) builds
    /// (default: rustls's `ring` provider).
    pub fn provider(mut self, provider: Arc<CryptoProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Wraps `inner`: it verifies first, then the presented certificates are checked.
    pub fn wrap(self, inner: Arc<dyn ServerCertVerifier>) -> BlocklistVerifier {
        BlocklistVerifier {
            inner,
            list: self.list,
            blocked_anchors: Vec::new(),
            interception_anchors: Vec::new(),
            on_interception: self.on_interception,
        }
    }

    /// Wraps rustls's webpki verifier over `roots`, screened first: blocked roots are taken out
    /// of the store (a chain through one is refused naming it), known-interception roots stay
    /// and are reported when a chain ends at one.
    pub fn webpki_roots(
        self,
        roots: RootCertStore,
    ) -> Result<BlocklistVerifier, VerifierBuilderError> {
        let provider = self
            .provider
            .clone()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let single = |anchor: &TrustAnchor<'static>| {
            let mut store = RootCertStore::empty();
            store.roots.push(anchor.clone());
            WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone()).build()
        };
        let mut clean = RootCertStore::empty();
        let mut blocked_anchors = Vec::new();
        let mut interception_anchors = Vec::new();
        for anchor in roots.roots {
            let spki = wrap_sequence(&anchor.subject_public_key_info);
            let spki_sha256 = sha256(&spki);
            match self.list.lookup_spki_sha256(&spki_sha256) {
                Some(listing) if listing.action.is_blocked() => {
                    blocked_anchors.push(AnchorCheck {
                        verifier: single(&anchor)?,
                        spki_sha256,
                        listing,
                    });
                }
                Some(listing) => {
                    interception_anchors.push(AnchorCheck {
                        verifier: single(&anchor)?,
                        spki_sha256,
                        listing,
                    });
                    clean.roots.push(anchor);
                }
                _ => clean.roots.push(anchor),
            }
        }
        // An empty store is refused by the builder; with every root blocked, a store holding none
        // of them still has to refuse everything, which a verifier over no roots does.
        let inner: Arc<dyn ServerCertVerifier> = if clean.roots.is_empty() {
            Arc::new(NoRoots)
        } else {
            WebPkiServerVerifier::builder_with_provider(Arc::new(clean), provider).build()?
        };
        let mut verifier = self.wrap(inner);
        verifier.blocked_anchors = blocked_anchors;
        verifier.interception_anchors = interception_anchors;
        Ok(verifier)
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

/// Prefixes DER contents with a SEQUENCE tag and length.
fn wrap_sequence(contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = vec![0x30];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// A verifier with no trusted roots: refuses every chain as webpki would.
#[derive(Debug)]
struct NoRoots;

impl ServerCertVerifier for NoRoots {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A [`ServerCertVerifier`] that lets an inner verifier verify, then refuses chains carrying a
/// blocked key. See the [crate documentation](crate).
pub struct BlocklistVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    list: Blocklist<'static>,
    blocked_anchors: Vec<AnchorCheck>,
    interception_anchors: Vec<AnchorCheck>,
    on_interception: Option<Callback>,
}

impl fmt::Debug for BlocklistVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlocklistVerifier")
            .field("inner", &self.inner)
            .field("snapshot_keys", &self.list.snapshot().map(|s| s.len()))
            .field("blocked_anchors", &self.blocked_anchors.len())
            .field("interception_anchors", &self.interception_anchors.len())
            .field("callback", &self.on_interception.is_some())
            .finish()
    }
}

impl BlocklistVerifier {
    /// A builder: the built-in table, no callback, the `ring` provider.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// What the list says about a chain of DER certificates, end entity first, without any
    /// verification.
    pub fn verdict<C: AsRef<[u8]>>(
        &self,
        chain: &[C],
    ) -> Result<Verdict<'static>, certblock::ChainError> {
        self.list.check_chain(chain)
    }

    fn notify(&self, server_name: &ServerName<'_>, finding: Finding) {
        let notice = Interception {
            server_name: server_name.to_str().into_owned(),
            finding,
        };
        log::warn!("{notice}");
        if let Some(callback) = &self.on_interception {
            callback(&notice);
        }
    }
}

fn refused(finding: Finding) -> Error {
    Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Refused {
        finding,
    }))))
}

impl ServerCertVerifier for BlocklistVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let leaf_not_before = CertificateInfo::from_der(end_entity.as_ref())
            .ok()
            .map(|i| i.not_before);
        let applies = |check: &AnchorCheck| {
            leaf_not_before.is_none_or(|nb| check.listing.applies_to_leaf_not_before(nb))
        };
        let verified = match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => verified,
            Err(error) => {
                // Would the chain verify through a blocked root taken out of the store?
                for check in self.blocked_anchors.iter().filter(|c| applies(c)) {
                    if check
                        .verifier
                        .verify_server_cert(
                            end_entity,
                            intermediates,
                            server_name,
                            ocsp_response,
                            now,
                        )
                        .is_ok()
                    {
                        return Err(refused(Finding::new(
                            Position::TrustAnchor,
                            check.spki_sha256,
                            &check.listing,
                        )));
                    }
                }
                return Err(error);
            }
        };
        let mut chain: Vec<&[u8]> = Vec::with_capacity(1 + intermediates.len());
        chain.push(end_entity.as_ref());
        chain.extend(intermediates.iter().map(|c| c.as_ref()));
        let verdict = self.list.check_chain(&chain).map_err(|e| {
            Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Unreadable(e)))))
        })?;
        match verdict {
            Verdict::Blocked(hit) | Verdict::BlockedInterception { blocked: hit, .. } => {
                return Err(refused(Finding::from_hit(&hit)));
            }
            Verdict::KnownInterception(hit) => self.notify(server_name, Finding::from_hit(&hit)),
            Verdict::Clean => {
                for check in self.interception_anchors.iter().filter(|c| applies(c)) {
                    if check
                        .verifier
                        .verify_server_cert(
                            end_entity,
                            intermediates,
                            server_name,
                            ocsp_response,
                            now,
                        )
                        .is_ok()
                    {
                        self.notify(
                            server_name,
                            Finding::new(Position::TrustAnchor, check.spki_sha256, &check.listing),
                        );
                        break;
                    }
                }
            }
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DER of a real Kazakhstan root, read from the shared corpus at run time (the
    /// certificates are never committed); `None`, with a loud warning, when it is absent.
    fn kazakhstan_root(name: &str) -> Option<Vec<u8>> {
        use base64::Engine as _;
        let path = format!(
            "{}/../../../shared/corpus/kazakhstan/{name}.pem",
            env!("CARGO_MANIFEST_DIR")
        );
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("WARNING: {path} not found; this test is SKIPPED");
            return None;
        };
        let body = text
            .split("-----BEGIN CERTIFICATE-----")
            .nth(1)?
            .split("-----END")
            .next()?;
        let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(b64).ok()
    }

    /// The Qaznet root (blocked) and an ISCA root (known interception only).
    fn roots() -> Option<(Vec<u8>, Vec<u8>)> {
        Some((
            kazakhstan_root("00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2")?,
            kazakhstan_root("3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1")?,
        ))
    }

    #[test]
    fn trust_anchor_keys_are_rewrapped_to_the_certificate_s_spki() {
        let Some((qaznet, isca)) = roots() else {
            return;
        };
        for der in [qaznet.as_slice(), isca.as_slice()] {
            let mut store = RootCertStore::empty();
            store.add(CertificateDer::from(der.to_vec())).unwrap();
            let spki = CertificateInfo::from_der(der).unwrap().spki;
            assert!(spki.len() > 0x80, "exercises the long form");
            assert_eq!(wrap_sequence(&store.roots[0].subject_public_key_info), spki);
        }
        assert_eq!(wrap_sequence(&[1, 2]), [0x30, 2, 1, 2]);
        assert_eq!(&wrap_sequence(&[0; 300])[..4], &[0x30, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn built_in_roots_in_the_store_are_screened() {
        let Some((qaznet, isca)) = roots() else {
            return;
        };
        let mut store = RootCertStore::empty();
        store.add(CertificateDer::from(qaznet.clone())).unwrap();
        store.add(CertificateDer::from(isca)).unwrap();
        let verifier = BlocklistVerifier::builder().webpki_roots(store).unwrap();
        assert_eq!(verifier.blocked_anchors.len(), 1);
        assert_eq!(
            verifier.blocked_anchors[0].listing.incident,
            "kazakhstan-qaznet-2019"
        );
        assert_eq!(verifier.interception_anchors.len(), 1);
        assert!(verifier.verdict(&[qaznet.as_slice()]).unwrap().is_blocked());
    }
}
