//! Connects to HOST:PORT over TLS with a certblock-enforcing verifier and prints the verdict.
//!
//! ```text
//! cargo run -p certblock-rustls --example fetch -- HOST [PORT] [--roots PEM] [--snapshot FILE]
//! ```
//!
//! The trusted roots are read from `--roots`, else `$SSL_CERT_FILE`, else
//! `/etc/ssl/certs/ca-certificates.crt`. `--snapshot` loads a run-time list (such as
//! `generated/blocklist.bin`) besides the built-in table. Exits 0 when the chain is accepted,
//! 1 when it is refused, 2 on a usage or set-up error.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Arc;

use certblock_rustls::{BlocklistVerifier, Refused};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, RootCertStore};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("fetch: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut positional = Vec::new();
    let mut roots_path = None;
    let mut snapshot_path = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--roots" => roots_path = Some(args.next().ok_or("--roots needs a file")?),
            "--snapshot" => snapshot_path = Some(args.next().ok_or("--snapshot needs a file")?),
            "-h" | "--help" => {
                println!("usage: fetch HOST [PORT] [--roots PEM] [--snapshot FILE]");
                return Ok(ExitCode::SUCCESS);
            }
            _ => positional.push(arg),
        }
    }
    let host = positional
        .first()
        .ok_or("usage: fetch HOST [PORT] [--roots PEM] [--snapshot FILE]")?
        .clone();
    let port: u16 = match positional.get(1) {
        Some(p) => p.parse().map_err(|_| format!("bad port {p:?}"))?,
        None => 443,
    };

    let roots_path = roots_path
        .or_else(|| std::env::var("SSL_CERT_FILE").ok())
        .unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".into());
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(&roots_path)
        .map_err(|e| format!("{roots_path}: {e}"))?
        .filter_map(Result::ok);
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!("{roots_path}: no usable root certificate"));
    }

    let mut builder =
        BlocklistVerifier::builder().on_known_interception(|notice| println!("warning: {notice}"));
    if let Some(path) = snapshot_path {
        let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
        builder = builder
            .snapshot_bytes(bytes)
            .map_err(|e| format!("{path}: {e}"))?;
    }
    let verifier = builder.webpki_roots(roots).map_err(|e| e.to_string())?;

    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(verifier))
    .with_no_client_auth();
    let name = ServerName::try_from(host.clone()).map_err(|e| format!("{host}: {e}"))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let tcp =
        TcpStream::connect((host.as_str(), port)).map_err(|e| format!("{host}:{port}: {e}"))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);

    let request = format!("HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let outcome = tls
        .write_all(request.as_bytes())
        .and_then(|()| tls.flush())
        .and_then(|()| {
            let mut first = [0u8; 1];
            tls.read(&mut first).map(|_| ())
        });
    match outcome {
        Ok(()) => {
            let chain_len = tls.conn.peer_certificates().map_or(0, |c| c.len());
            println!("{host}:{port}: accepted ({chain_len} certificates presented, none blocked)");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let refused = error
                .get_ref()
                .and_then(|e| e.downcast_ref::<rustls::Error>())
                .and_then(|e| match e {
                    rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
                        other.0.downcast_ref::<Refused>()
                    }
                    _ => None,
                });
            match refused {
                Some(refused) => println!("{host}:{port}: BLOCKED: {refused}"),
                None => println!("{host}:{port}: refused: {error}"),
            }
            Ok(ExitCode::from(1))
        }
    }
}
