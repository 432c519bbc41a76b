//! Real TLS handshakes on 127.0.0.1: a rustls server on a thread, a rustls client whose
//! verifier is a `BlocklistVerifier`, run-time lists compiled by the real compiler.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use certblock_list::{
    Action, Blocklist, Category, Entry, Evidence, EvidenceKind, Incident, IncidentId, Sha256Hash,
};
use certblock_rustls::{BlocklistVerifier, Interception, Position, Refused};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{CertificateError, RootCertStore};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

struct Ca {
    key: KeyPair,
    params: CertificateParams,
    der: Vec<u8>,
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

fn root(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let params = ca_params(name);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca { key, params, der }
}

fn intermediate(name: &str, key: KeyPair, issuer: &Ca) -> Ca {
    let params = ca_params(name);
    let der = params
        .signed_by(&key, &Issuer::from_params(&issuer.params, &issuer.key))
        .unwrap()
        .der()
        .to_vec();
    Ca { key, params, der }
}

/// A server certificate for `localhost` signed by `issuer`, and its PKCS#8 key.
fn leaf(issuer: &Ca) -> (Vec<u8>, Vec<u8>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let der = params
        .signed_by(&key, &Issuer::from_params(&issuer.params, &issuer.key))
        .unwrap()
        .der()
        .to_vec();
    (der, key.serialize_der())
}

fn spki_sha256(der: &[u8]) -> [u8; 32] {
    Sha256Hash::digest(certblock::CertificateInfo::from_der(der).unwrap().spki).0
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The snapshot bytes the compiler writes for `(key, action, incident)` triples.
fn snapshot_of(listed: &[([u8; 32], Action, &str)]) -> Vec<u8> {
    let mut incidents: Vec<Incident> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (i, (key, action, incident)) in listed.iter().enumerate() {
        let id: IncidentId = incident.parse().unwrap();
        if !incidents.iter().any(|inc| inc.id == id) {
            incidents.push(Incident {
                id: id.clone(),
                title: format!("Test incident {incident}"),
                category: Category::Test,
                action: *action,
                added: None,
                distrust_after: None,
                references: vec![],
                summary: "For tests.".into(),
            });
        }
        let mut ev = Evidence::new(
            id.clone(),
            format!("{id}/facts.json"),
            Some(i as u32 + 1),
            EvidenceKind::Facts,
        );
        ev.name = Some(format!("key {i}"));
        entries.push(Entry {
            spki_sha256: Sha256Hash(*key),
            action: *action,
            incidents: vec![id],
            distrust_after: None,
            evidence: vec![ev],
        });
    }
    incidents.sort_by(|a, b| a.id.cmp(&b.id));
    entries.sort_by_key(|e| e.spki_sha256);
    let list = Blocklist {
        sequence: 7,
        source_digest: Sha256Hash::digest(b"tests"),
        incidents,
        entries,
    };
    list.validate().expect("a valid test list");
    certblock_compile::snapshot::render(&list)
}

/// A TLS server on 127.0.0.1 presenting `chain` (leaf first) for one connection: it reads a
/// line and answers "pong". Returns its port.
fn serve(chain: Vec<Vec<u8>>, key: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            chain.into_iter().map(CertificateDer::from).collect(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    let config = Arc::new(config);
    thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let conn = rustls::ServerConnection::new(config).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut line = String::new();
        if BufReader::new(&mut tls).read_line(&mut line).is_ok() && line == "ping\n" {
            let _ = tls.write_all(b"pong");
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    port
}

/// Connects to `port` as `localhost` with `verifier`, sends "ping", returns the reply or the
/// handshake's error.
fn fetch(port: u16, verifier: BlocklistVerifier) -> Result<String, std::io::Error> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"ping\n")?;
    tls.flush()?;
    let mut reply = String::new();
    tls.read_to_string(&mut reply)?;
    Ok(reply)
}

fn roots(ders: &[&[u8]]) -> RootCertStore {
    let mut store = RootCertStore::empty();
    for der in ders {
        store.add(CertificateDer::from(der.to_vec())).unwrap();
    }
    store
}

fn webpki(store: RootCertStore) -> Arc<dyn ServerCertVerifier> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
        .build()
        .unwrap()
}

/// The rustls error inside a client I/O error.
fn rustls_error(error: &std::io::Error) -> &rustls::Error {
    error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("not a rustls error: {error:?}"))
}

/// The certblock refusal inside a client I/O error.
fn refusal(error: &std::io::Error) -> Refused {
    match rustls_error(error) {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => other
            .0
            .downcast_ref::<Refused>()
            .expect("a certblock refusal")
            .clone(),
        other => panic!("not a certblock refusal: {other:?}"),
    }
}

#[test]
fn a_trusted_root_whose_key_is_listed_fails_the_handshake_naming_the_incident() {
    let ca = root("Synthetic Interception Root");
    let (leaf_der, leaf_key) = leaf(&ca);
    let root_key = spki_sha256(&ca.der);
    let blocking = snapshot_of(&[(root_key, Action::Block, "test-synthetic-root")]);

    // The server sends the root too: the inner verifier accepts, certificate 1 is refused.
    let port = serve(vec![leaf_der.clone(), ca.der.clone()], leaf_key.clone());
    let verifier = BlocklistVerifier::builder()
        .snapshot_bytes(blocking.clone())
        .unwrap()
        .wrap(webpki(roots(&[&ca.der])));
    let error = fetch(port, verifier).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("test-synthetic-root"), "{text}");
    assert!(text.contains("certificate 1"), "{text}");
    assert!(
        text.contains(&format!("SPKI SHA-256 {}", hex(&root_key))),
        "{text}"
    );
    let refused = refusal(&error);
    assert_eq!(refused.finding.position, Position::Presented(1));
    assert_eq!(refused.finding.spki_sha256, root_key);
    assert_eq!(refused.finding.action, Action::Block.into_runtime());
    assert_eq!(refused.finding.origin, certblock::Origin::Loaded);

    // The server sends only its leaf, the listed root is in the trust store: refused through
    // the screened store, naming the trust anchor.
    let port = serve(vec![leaf_der.clone()], leaf_key.clone());
    let verifier = BlocklistVerifier::builder()
        .snapshot_bytes(blocking.clone())
        .unwrap()
        .webpki_roots(roots(&[&ca.der]))
        .unwrap();
    let error = fetch(port, verifier).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("test-synthetic-root") && text.contains("trust anchor"),
        "{text}"
    );
    let refused = refusal(&error);
    assert_eq!(refused.finding.position, Position::TrustAnchor);
    assert_eq!(refused.finding.spki_sha256, root_key);

    // The same server set-up with a list that does not hold the root: data flows.
    let other = snapshot_of(&[([0x42; 32], Action::Block, "test-other-key")]);
    for presented in [
        vec![leaf_der.clone(), ca.der.clone()],
        vec![leaf_der.clone()],
    ] {
        let port = serve(presented.clone(), leaf_key.clone());
        let verifier = BlocklistVerifier::builder()
            .snapshot_bytes(other.clone())
            .unwrap()
            .webpki_roots(roots(&[&ca.der]))
            .unwrap();
        assert_eq!(
            fetch(port, verifier).unwrap(),
            "pong",
            "{} presented",
            presented.len()
        );
    }
}

#[test]
fn a_cross_signed_intermediate_with_a_blocked_key_is_refused_under_a_clean_root() {
    let clean = root("Clean Root");
    // The blocked key also has a root of its own; the intermediate is its cross-sign by the
    // clean root.
    let blocked_key = KeyPair::generate().unwrap();
    let blocked_root_der = ca_params("Blocked Authority")
        .self_signed(&blocked_key)
        .unwrap()
        .der()
        .to_vec();
    let cross = intermediate("Blocked Authority", blocked_key, &clean);
    let blocked_spki = spki_sha256(&blocked_root_der);
    assert_eq!(spki_sha256(&cross.der), blocked_spki);
    let (leaf_der, leaf_key) = leaf(&cross);
    let list = snapshot_of(&[(blocked_spki, Action::Block, "test-cross-signed")]);

    let port = serve(vec![leaf_der.clone(), cross.der.clone()], leaf_key.clone());
    let verifier = BlocklistVerifier::builder()
        .snapshot_bytes(list)
        .unwrap()
        .webpki_roots(roots(&[&clean.der]))
        .unwrap();
    let error = fetch(port, verifier).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("test-cross-signed") && text.contains("certificate 1 (intermediate)"),
        "{text}"
    );
    assert_eq!(refusal(&error).finding.position, Position::Presented(1));

    // Without the list the same chain is accepted.
    let port = serve(vec![leaf_der, cross.der.clone()], leaf_key);
    let verifier = BlocklistVerifier::builder()
        .webpki_roots(roots(&[&clean.der]))
        .unwrap();
    assert_eq!(fetch(port, verifier).unwrap(), "pong");
}

#[test]
fn a_known_interception_key_alone_succeeds_and_the_caller_is_told() {
    let ca = root("Known Interception Root");
    let (leaf_der, leaf_key) = leaf(&ca);
    let root_key = spki_sha256(&ca.der);
    let list = snapshot_of(&[(
        root_key,
        Action::KnownInterception,
        "test-known-interception",
    )]);

    for (presented, position) in [
        (
            vec![leaf_der.clone(), ca.der.clone()],
            Position::Presented(1),
        ),
        (vec![leaf_der.clone()], Position::TrustAnchor),
    ] {
        let told: Arc<Mutex<Vec<Interception>>> = Arc::default();
        let sink = told.clone();
        let port = serve(presented, leaf_key.clone());
        let verifier = BlocklistVerifier::builder()
            .snapshot_bytes(list.clone())
            .unwrap()
            .on_known_interception(move |notice| sink.lock().unwrap().push(notice.clone()))
            .webpki_roots(roots(&[&ca.der]))
            .unwrap();
        assert_eq!(fetch(port, verifier).unwrap(), "pong");
        let told = told.lock().unwrap();
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0].server_name, "localhost");
        assert_eq!(told[0].finding.position, position);
        assert_eq!(told[0].finding.incident, "test-known-interception");
        assert_eq!(told[0].finding.spki_sha256, root_key);
        assert!(told[0].to_string().contains("intercepted"), "{}", told[0]);
    }
}

#[test]
fn the_inner_verifier_s_refusal_stands() {
    let trusted = root("Trusted Root");
    let untrusted = root("Untrusted Root");
    let (leaf_der, leaf_key) = leaf(&untrusted);
    // Whether or not certblock lists the untrusted root, the reason is the inner one.
    let list = snapshot_of(&[(spki_sha256(&untrusted.der), Action::Block, "test-untrusted")]);
    for snapshot in [None, Some(list)] {
        for presented in [
            vec![leaf_der.clone()],
            vec![leaf_der.clone(), untrusted.der.clone()],
        ] {
            let port = serve(presented, leaf_key.clone());
            let mut builder = BlocklistVerifier::builder();
            if let Some(bytes) = snapshot.clone() {
                builder = builder.snapshot_bytes(bytes).unwrap();
            }
            let verifier = builder.webpki_roots(roots(&[&trusted.der])).unwrap();
            let error = fetch(port, verifier).unwrap_err();
            assert!(
                matches!(
                    rustls_error(&error),
                    rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
                ),
                "{error}"
            );
        }
    }

    // A trusted chain for another name is refused for the name, not let through.
    let (other_der, other_key) = {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["example.org".to_string()]).unwrap();
        let der = params
            .signed_by(&key, &Issuer::from_params(&trusted.params, &trusted.key))
            .unwrap()
            .der()
            .to_vec();
        (der, key.serialize_der())
    };
    let port = serve(vec![other_der], other_key);
    let verifier = BlocklistVerifier::builder().wrap(webpki(roots(&[&trusted.der])));
    let error = fetch(port, verifier).unwrap_err();
    assert!(
        matches!(
            rustls_error(&error),
            rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
                | rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
        ),
        "{error}"
    );
}

/// certblock-list's `Action` and the runtime's are distinct types.
trait IntoRuntime {
    fn into_runtime(self) -> certblock::Action;
}

impl IntoRuntime for Action {
    fn into_runtime(self) -> certblock::Action {
        match self {
            Action::Block => certblock::Action::Block,
            Action::KnownInterception => certblock::Action::KnownInterception,
            Action::BlockedInterception => certblock::Action::BlockedInterception,
        }
    }
}
