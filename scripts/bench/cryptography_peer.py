#!/usr/bin/env python3
"""The Python peer of certblock's ingest benchmark: SPKI SHA-256 of every certificate under a
sources/ tree with the `cryptography` package (what a maintainer might script instead).

Usage: cryptography_peer.py SOURCES [RUNS]
Prints one tab-separated line: sources, certificates, bytes, runs, median s, min s, certs/s, MB/s.
"""
import hashlib
import os
import statistics
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization


def run(root):
    keys = set()
    count = 0
    for incident in sorted(os.listdir(root)):
        folder = os.path.join(root, incident)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".pem"):
                continue
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            for cert in x509.load_pem_x509_certificates(data):
                spki = cert.public_key().public_bytes(
                    serialization.Encoding.DER,
                    serialization.PublicFormat.SubjectPublicKeyInfo,
                )
                keys.add(hashlib.sha256(spki).digest())
                count += 1
    return count, len(keys)


def measure(run):
    """Runs `run(SOURCES)` RUNS times (the command line's arguments) and prints the TSV line.

    `run` returns (certificates read, distinct keys); they must be equal, as in the corpora.
    """
    root = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    size = 0
    for incident in os.listdir(root):
        folder = os.path.join(root, incident)
        if os.path.isdir(folder):
            size += sum(os.path.getsize(os.path.join(folder, n))
                        for n in os.listdir(folder) if n.endswith(".pem"))
    times = []
    count = 0
    for _ in range(runs):
        start = time.perf_counter()
        count, distinct = run(root)
        times.append(time.perf_counter() - start)
        assert distinct == count, (distinct, count)
    median = statistics.median(times)
    print(f"{root}\t{count}\t{size}\t{runs}\t{median:.4f}\t{min(times):.4f}"
          f"\t{count / median:.0f}\t{size / median / 1e6:.1f}")


if __name__ == "__main__":
    measure(run)
