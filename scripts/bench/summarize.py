#!/usr/bin/env python3
"""Turns criterion's text output (lookup bench) into a TSV: group, contender, N, ns per lookup
(low, median estimate, high), for BENCHMARKS.md. Usage: summarize.py lookup FILE"""
import re
import sys

UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
BATCH = 1024


def main():
    kind, path = sys.argv[1], sys.argv[2]
    assert kind == "lookup"
    name = None
    print("group\tcontender\tN\tns_per_lookup_low\tns_per_lookup\tns_per_lookup_high")
    for line in open(path, encoding="utf-8").read().replace("\r", "\n").splitlines():
        m = re.match(r"^(lookup-\w+/[\w-]+/\d+)", line)
        if m:
            name = m.group(1)
        t = re.search(r"time:\s+\[([\d.]+) (\S+) ([\d.]+) (\S+) ([\d.]+) (\S+)\]", line)
        if t and name:
            vals = [float(t.group(i)) * UNITS[t.group(i + 1)] / BATCH for i in (1, 3, 5)]
            group, contender, n = name.split("/")
            print(f"{group}\t{contender}\t{n}\t{vals[0]:.2f}\t{vals[1]:.2f}\t{vals[2]:.2f}")
            name = None


if __name__ == "__main__":
    main()
