#!/usr/bin/env python3
"""The equal-work Python peer of certblock's ingest benchmark, with the `cryptography` package.

cryptography_peer.py only computes the SPKI SHA-256 of each certificate. This peer also does,
per certificate, what certblock's ingest records in the evidence: the certificate's DER and its
SHA-256, SHA-1 and MD5, the subject and issuer as strings and as DER, the serial number and the
validity dates; records are kept per key, and a certificate seen twice is counted. Like
certblock's source digest, every file's bytes are also hashed once (SHA-256).

Usage: cryptography_peer_equal_work.py SOURCES [RUNS]
Prints one tab-separated line: sources, certificates, bytes, runs, median s, min s, certs/s, MB/s.
"""
import hashlib
import os

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cryptography_peer import measure


def record(cert):
    """What certblock's evidence holds for one certificate: (SPKI SHA-256, fields)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    serial = cert.serial_number
    fields = {
        "cert_sha256": hashlib.sha256(der).digest(),
        "cert_sha1": hashlib.sha1(der).digest(),
        "cert_md5": hashlib.md5(der).digest(),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "subject_der": cert.subject.public_bytes(),
        "issuer_der": cert.issuer.public_bytes(),
        "serial": serial.to_bytes((serial.bit_length() + 8) // 8, "big", signed=True),
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
        "certificate": der,
    }
    return hashlib.sha256(spki).digest(), fields


def run(root):
    entries = {}
    certificates = set()
    duplicates = 0
    count = 0
    tree = hashlib.sha256()
    for incident in sorted(os.listdir(root)):
        folder = os.path.join(root, incident)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            tree.update(data)
            if not name.endswith(".pem"):
                continue
            for cert in x509.load_pem_x509_certificates(data):
                key, fields = record(cert)
                if fields["cert_sha256"] in certificates:
                    duplicates += 1
                certificates.add(fields["cert_sha256"])
                entries.setdefault(key, []).append(fields)
                count += 1
    tree.digest()
    return count, len(entries), duplicates


def run_without_duplicates(root):
    """`run`, checking that no certificate was seen twice: (certificates, distinct keys)."""
    count, distinct, duplicates = run(root)
    assert duplicates == 0, duplicates
    return count, distinct


if __name__ == "__main__":
    measure(run_without_duplicates)
