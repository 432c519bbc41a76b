#!/usr/bin/env python3
"""Convert Chromium's blocklist facts table into certblock's sources/ folders.

Usage (from anywhere; paths default relative to the repository root):

    scripts/chromium-facts-to-sources.py [TSV] [--metadata FILE] [--sources DIR]
                                         [--only HEADING]... [--check]

TSV defaults to ../shared/corpus/chromium/blocklist-facts.tsv (relative to the repository
root): one row per evidence file of Chromium's certificate blocklist (see the SOURCE.txt next
to it for the columns). The curated metadata, scripts/chromium-incidents.json, maps every
(README heading, action) pair of the table to an incident folder id, a title, a category, an
optional date and a summary.

For every (heading, action) group the script writes

    sources/<id>/incident.json   title, category, action, [added], [references], summary
    sources/<id>/facts.json      {"records": [...]}: one record per row, sorted by
                                 spki_sha256 then name

Chromium's lists map onto actions as: blocked -> block, known_interception ->
known-interception, blocked+known_interception -> blocked-interception. A heading whose rows
carry several actions becomes one folder per action.

Options:
    --only HEADING  only write the groups of this TSV heading (repeatable), e.g.
                    --only "Qaznet Trust Network"
    --check         write nothing; exit 1 if any owned file would change (for CI)
    --metadata      curated metadata file (default scripts/chromium-incidents.json)
    --sources       output directory (default sources/ in the repository root)

The script only ever writes incident.json and facts.json inside the folders named by the
metadata. It never deletes anything: other files in those folders (certificates, say) and
other folders under sources/ are left alone, and a folder whose id is renamed in the metadata
must be removed by hand.

It fails (exit 2, naming the row or entry) when the table has a heading/action that the
metadata does not cover, when the metadata names one the table does not have, or when a row
or a metadata entry is malformed. A key listed in two groups with different actions is
reported on stderr (the consumer rejects it) but written faithfully.

Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TSV = REPO_ROOT / ".." / "shared" / "corpus" / "chromium" / "blocklist-facts.tsv"
DEFAULT_METADATA = REPO_ROOT / "scripts" / "chromium-incidents.json"
DEFAULT_SOURCES = REPO_ROOT / "sources"

COLUMNS = [
    "spki_sha256", "chromium_lists", "evidence_file", "evidence_kind", "incident",
    "incident_group", "references", "subject", "issuer", "serial_hex", "not_before",
    "not_after", "subject_der_b64", "issuer_der_b64", "serial_der_content_b64", "cert_sha1",
    "cert_md5",
]
CERT_COLUMNS = COLUMNS[7:]

ACTIONS = {
    "blocked": "block",
    "known_interception": "known-interception",
    "blocked+known_interception": "blocked-interception",
}
CATEGORIES = {"compromise", "misissuance", "key-leak", "interception", "test", "other"}
META_REQUIRED = ("incident", "action", "id", "title", "category", "summary")
META_OPTIONAL = ("added",)

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
DATE_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
MONTHS = {m: i for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}


class Failure(Exception):
    """A problem with the input; the message says where."""


def hex_ok(value: str, length: int) -> bool:
    return len(value) == length and all(c in "0123456789abcdef" for c in value)


def b64_ok(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def openssl_time(value: str, where: str) -> str:
    """'Feb  2 05:41:00 2016 GMT' -> '2016-02-02T05:41:00Z'."""
    parts = value.split()
    if len(parts) != 5 or parts[0] not in MONTHS or parts[4] != "GMT":
        raise Failure(f"{where}: cannot read time {value!r}")
    month, day, clock, year = MONTHS[parts[0]], parts[1], parts[2], parts[3]
    if not (day.isdigit() and year.isdigit() and len(year) == 4
            and re.fullmatch(r"\d\d:\d\d:\d\d", clock)):
        raise Failure(f"{where}: cannot read time {value!r}")
    return f"{year}-{month:02d}-{int(day):02d}T{clock}Z"


def read_tsv(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise Failure(f"cannot read {path}: {e}") from e
    reader = csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header != COLUMNS:
        raise Failure(f"{path}: unexpected header {header!r}; expected {COLUMNS!r}")
    rows = []
    for line_no, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(COLUMNS):
            raise Failure(f"{path}:{line_no}: {len(cells)} cells, expected {len(COLUMNS)}")
        row = dict(zip(COLUMNS, cells))
        row["_where"] = f"{path.name}:{line_no} ({row['evidence_file'] or '?'})"
        rows.append(row)
    if not rows:
        raise Failure(f"{path}: no rows")
    return rows


def record_for(row: dict[str, str]) -> dict[str, str]:
    """The facts.json record of one TSV row, fields in the documented order."""
    where = row["_where"]
    spki = row["spki_sha256"]
    if not hex_ok(spki, 64):
        raise Failure(f"{where}: spki_sha256 {spki!r} is not 64 lowercase hex digits")
    name = row["evidence_file"]
    stem, dot, ext = name.rpartition(".")
    if not dot or not hex_ok(stem, 64):
        raise Failure(f"{where}: evidence_file {name!r} is not <64 hex>.<ext>")
    kind = row["evidence_kind"]

    rec: dict[str, str] = {"spki_sha256": spki, "name": name}
    if kind == "public_key":
        if ext != "key" or stem != spki:
            raise Failure(f"{where}: public_key evidence must be named <spki_sha256>.key")
        filled = [c for c in CERT_COLUMNS if row[c]]
        if filled:
            raise Failure(f"{where}: public_key row has certificate columns {filled}")
        return rec
    if kind != "certificate":
        raise Failure(f"{where}: unknown evidence_kind {kind!r}")
    if ext != "pem":
        raise Failure(f"{where}: certificate evidence {name!r} is not a .pem")

    # Upstream names a certificate by the SHA-256 of its DER, except 3472e4f1...pem (a
    # Kazakhstan ISCA root), which is named by its SPKI hash; the table does not give that
    # certificate's hash, so the field is left out rather than guessed.
    if stem != spki:
        rec["cert_sha256"] = stem
    for src, dst in (("subject", "subject"), ("issuer", "issuer"),
                     ("subject_der_b64", "subject_der"), ("issuer_der_b64", "issuer_der"),
                     ("serial_der_content_b64", "serial")):
        value = row[src]
        if not value:
            continue
        if src.endswith("_b64") and not b64_ok(value):
            raise Failure(f"{where}: {src} is not valid base64")
        rec[dst] = value
    for col in ("not_before", "not_after"):
        if row[col]:
            rec[col] = openssl_time(row[col], f"{where}: {col}")
    for col, length in (("cert_sha1", 40), ("cert_md5", 32)):
        if row[col]:
            if not hex_ok(row[col], length):
                raise Failure(f"{where}: {col} {row[col]!r} is not {length} lowercase hex digits")
            rec[col] = row[col]
    if row["serial_hex"] and "serial" in rec:
        content = base64.b64decode(rec["serial"])
        if int(row["serial_hex"], 16) != int.from_bytes(content, "big", signed=True):
            print(f"warning: {where}: serial_hex and serial_der_content_b64 disagree",
                  file=sys.stderr)
    return rec


def read_metadata(path: Path) -> list[dict[str, str]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Failure(f"cannot read {path}: {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("incidents"), list):
        raise Failure(f"{path}: expected an object with an 'incidents' array")
    entries, seen_ids, seen_keys = [], {}, {}
    for i, entry in enumerate(doc["incidents"]):
        where = f"{path.name}: incidents[{i}]"
        if not isinstance(entry, dict):
            raise Failure(f"{where}: not an object")
        where += f" ({entry.get('incident')!r}, {entry.get('action')!r})"
        unknown = set(entry) - set(META_REQUIRED) - set(META_OPTIONAL)
        if unknown:
            raise Failure(f"{where}: unknown fields {sorted(unknown)}")
        for field in META_REQUIRED:
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                raise Failure(f"{where}: missing or empty {field!r}")
        if entry["action"] not in ACTIONS.values():
            raise Failure(f"{where}: action must be one of {sorted(ACTIONS.values())}")
        if not ID_RE.fullmatch(entry["id"]):
            raise Failure(f"{where}: id {entry['id']!r} must be 1-64 of [a-z0-9-], "
                          "not starting with '-'")
        if entry["category"] not in CATEGORIES:
            raise Failure(f"{where}: category must be one of {sorted(CATEGORIES)}")
        if "added" in entry and not (isinstance(entry["added"], str)
                                     and DATE_RE.fullmatch(entry["added"])):
            raise Failure(f"{where}: added must be YYYY-MM-DD")
        key = (entry["incident"], entry["action"])
        if key in seen_keys:
            raise Failure(f"{where}: same heading and action as incidents[{seen_keys[key]}]")
        if entry["id"] in seen_ids:
            raise Failure(f"{where}: id {entry['id']!r} already used by "
                          f"incidents[{seen_ids[entry['id']]}]")
        seen_keys[key], seen_ids[entry["id"]] = i, i
        entries.append(entry)
    return entries


def dump(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def build(rows, metadata, only):
    """Return {id: {"incident.json": text, "facts.json": text}} for the selected groups."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        lists = row["chromium_lists"]
        if lists not in ACTIONS:
            raise Failure(f"{row['_where']}: unknown chromium_lists {lists!r}")
        if not row["incident"]:
            raise Failure(f"{row['_where']}: empty incident heading")
        groups[(row["incident"], ACTIONS[lists])].append(row)

    by_key = {(m["incident"], m["action"]): m for m in metadata}
    for key, group_rows in groups.items():
        if key not in by_key:
            raise Failure(f"{group_rows[0]['_where']}: heading {key[0]!r} with action "
                          f"{key[1]!r} has no entry in the curated metadata")
    for key, meta in by_key.items():
        if key not in groups:
            raise Failure(f"metadata entry {meta['id']!r} names heading {key[0]!r} with "
                          f"action {key[1]!r}, which the table does not have")
    headings = {h for h, _ in groups}
    for heading in only:
        if heading not in headings:
            raise Failure(f"--only {heading!r}: no such heading in the table")

    # A key in two groups with different actions: the consumer rejects it. Report, keep data.
    actions_of: dict[str, dict[str, str]] = defaultdict(dict)
    for (heading, action), group_rows in groups.items():
        for row in group_rows:
            actions_of[row["spki_sha256"]][by_key[(heading, action)]["id"]] = action
    for spki, ids in sorted(actions_of.items()):
        if len(set(ids.values())) > 1:
            print(f"warning: key {spki} is in incidents with different actions: "
                  + ", ".join(f"{i} ({a})" for i, a in sorted(ids.items())), file=sys.stderr)

    out = {}
    for key, group_rows in sorted(groups.items(), key=lambda kv: by_key[kv[0]]["id"]):
        if only and key[0] not in only:
            continue
        meta = by_key[key]
        references: list[str] = []
        for row in group_rows:
            for url in row["references"].split():
                if url not in references:
                    references.append(url)
        incident = {"title": meta["title"], "category": meta["category"],
                    "action": meta["action"]}
        if "added" in meta:
            incident["added"] = meta["added"]
        if references:
            incident["references"] = references
        incident["summary"] = meta["summary"]
        records = sorted((record_for(r) for r in group_rows),
                         key=lambda rec: (rec["spki_sha256"], rec["name"]))
        out[meta["id"]] = {"incident.json": dump(incident),
                           "facts.json": dump({"records": records})}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Write sources/<id>/{incident,facts}.json from Chromium's blocklist facts.")
    parser.add_argument("tsv", nargs="?", type=Path, default=DEFAULT_TSV,
                        help="blocklist-facts.tsv (default: %(default)s)")
    parser.add_argument("--metadata", type=Path, default=DEFAULT_METADATA,
                        help="curated incident metadata (default: %(default)s)")
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES,
                        help="output directory (default: %(default)s)")
    parser.add_argument("--only", action="append", default=[], metavar="HEADING",
                        help="only this TSV incident heading (repeatable)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if sources/ would change")
    args = parser.parse_args(argv)

    try:
        out = build(read_tsv(args.tsv), read_metadata(args.metadata), set(args.only))
    except Failure as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    stale = []
    for incident_id, files in out.items():
        for name, text in files.items():
            path = args.sources / incident_id / name
            try:
                current = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                current = None
            if current == text:
                continue
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8", newline="\n")

    records = sum(files["facts.json"].count('"spki_sha256"') for files in out.values())
    if args.check:
        for path in stale:
            print(f"out of date: {path}", file=sys.stderr)
        print(f"{len(out)} incidents, {records} records: "
              + (f"{len(stale)} files out of date" if stale else "up to date"))
        return 1 if stale else 0
    print(f"{len(out)} incidents, {records} records: {len(stale)} files written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
