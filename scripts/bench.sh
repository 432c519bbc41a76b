#!/usr/bin/env bash
# `make bench`: every benchmark of issue 7, raw results under target/bench/ (see BENCHMARKS.md).
#
#   lookup        criterion: phf / sorted array + binary_search / HashSet / snapshot, N = 100, 10k, 1M
#   ingest        certblock_ingest::ingest on synthetic corpora (files vs bundles, and 1M bare keys
#                 in one facts.json), median of runs, peak RSS in target/bench/ingest-*.time
#   peers         openssl pipeline per file (sample), Python `cryptography`, `openssl speed sha256`
#   generate      `certblock generate` end to end: wall time and peak RSS (/usr/bin/time -v)
#   table-compile build time and peak RSS of a scratch crate including spki_blocklist.rs, in the
#                 phf form and the sorted include_bytes! form (1k-100k; 1M sorted form only)
#
# Environment: BENCH_1M=1 adds the 1M-certificate corpus (ingest and peers; generate at 1M only
# with BENCH_GENERATE_1M=1, under a 20 GiB address-space cap and a 15-minute timeout); BENCH_ONLY="lookup ingest peers generate table-compile" runs a subset;
# BENCH_RUNS (default 3) sets the runs per ingest measurement. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/bench
CORPUS=$OUT/corpus
RUNS=${BENCH_RUNS:-3}
ONLY=${BENCH_ONLY:-"lookup ingest peers generate table-compile"}
mkdir -p "$OUT" "$CORPUS"
want() { [[ " $ONLY " == *" $1 "* ]]; }
log() { echo "bench: $*" >&2; }

# Tools: GNU time for peak memory, openssl for the peers, a venv with `cryptography`.
if [ ! -x /usr/bin/time ] || ! command -v openssl >/dev/null; then
  log "installing time and openssl"
  apt-get update -qq && apt-get install -y -qq time openssl
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty tree)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "cores: $(nproc)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
  echo "kernel: $(uname -r)"
  echo "rustc: $(rustc --version)"
  echo "openssl: $(openssl version)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

log "building (release)"
cargo build --release --locked -p certblock-bench --bins
cargo build --release --locked --bin certblock
BIN=target/release

SIZES="1000 100000"
[ "${BENCH_1M:-0}" = 1 ] && SIZES="$SIZES 1000000"
corpus() { # corpus COUNT LAYOUT -> path (made once, reused)
  local dir=$CORPUS/$1-$2
  if [ ! -f "$dir/README.md" ]; then
    rm -rf "$dir"
    # Facts: every record in one facts.json of one incident folder (1M records: 139 MB), the
    # shape of a large imported list; ingest needs a larger per-file limit for it.
    local per=""; [ "$2" = facts ] && per="--per-facts-file $1"
    "$BIN/make-corpus" --count "$1" --layout "$2" $per --out "$dir" >&2
  fi
  echo "$dir"
}
# Peak RSS (kB) of a /usr/bin/time -v file.
peak_kb() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }

# ---------------------------------------------------------------------------------------------
if want lookup; then
  log "lookup (criterion)"
  cargo bench --locked -p certblock-bench --bench lookup -- --noplot 2>&1 | tee "$OUT/lookup.txt"
  python3 scripts/bench/summarize.py lookup "$OUT/lookup.txt" > "$OUT/lookup.tsv"
fi

# ---------------------------------------------------------------------------------------------
if want ingest; then
  log "ingest throughput"
  : > "$OUT/ingest.tsv"
  echo -e "corpus\tcertificates\tbytes\truns\tmedian_s\tmin_s\tcerts_per_s\tMB_per_s\tpeak_rss_kb\trss_over_input" >> "$OUT/ingest.tsv"
  ingest_row() { # ingest_row DIR RUNS NAME: one line of ingest.tsv, with peak RSS / input size
    # Throughput: the median of RUNS runs in one process. Peak RSS: one ingest in a fresh process
    # (later runs in the same process start from the heap the first one left, which is not what
    # a user's single run sees); with RUNS=1 the same run gives both.
    local line
    if [ "$2" = 1 ]; then
      line=$(/usr/bin/time -v "$BIN/ingest-throughput" "$1" 1 2> "$OUT/ingest-$3.time")
    else
      line=$("$BIN/ingest-throughput" "$1" "$2")
      /usr/bin/time -v "$BIN/ingest-throughput" "$1" 1 2> "$OUT/ingest-$3.time" >/dev/null
    fi
    local rss; rss=$(peak_kb "$OUT/ingest-$3.time")
    local bytes; bytes=$(echo "$line" | cut -f3)
    echo -e "$line\t$rss\t$(python3 -c "print(f'{$rss * 1024 / $bytes:.2f}')")" | tee -a "$OUT/ingest.tsv"
  }
  for n in $SIZES; do
    for layout in bundles files; do
      dir=$(corpus "$n" "$layout")
      runs=$RUNS; [ "$n" -ge 1000000 ] && runs=1
      ingest_row "$dir" "$runs" "$n-$layout"
    done
  done
  # 1M bare keys (spki_sha256 + name) in one facts.json: quick to make and to read, so always.
  ingest_row "$(corpus 1000000 facts)" "$RUNS" 1000000-facts
fi

# ---------------------------------------------------------------------------------------------
if want peers; then
  log "peers: openssl speed sha256 (the floor)"
  openssl speed -seconds 3 sha256 2>/dev/null | tee "$OUT/openssl-speed.txt" | tail -3

  log "peers: the openssl pipeline of Chromium's README, one process chain per file (sample)"
  sample=$(corpus 1000 files)
  files=$(find "$sample" -name 'cert-*.pem' | sort | head -n "${BENCH_OPENSSL_SAMPLE:-1000}")
  count=$(echo "$files" | wc -l)
  start=$(date +%s.%N)
  for f in $files; do
    openssl x509 -noout -pubkey -in "$f" | openssl pkey -pubin -outform der | openssl dgst -sha256 >/dev/null
  done
  end=$(date +%s.%N)
  python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print(f'openssl-pipeline\t{n}\t{s:.3f}\t{n/s:.1f}')" \
    "$count" "$start" "$end" | tee "$OUT/openssl-pipeline.tsv"

  log "peers: Python cryptography"
  if [ ! -x "$OUT/venv/bin/python" ]; then
    python3 -m venv "$OUT/venv"
    "$OUT/venv/bin/pip" install -q cryptography
  fi
  "$OUT/venv/bin/python" -c 'import cryptography; print("cryptography", cryptography.__version__)' >> "$OUT/machine.txt"
  : > "$OUT/python.tsv"
  : > "$OUT/python-equal-work.tsv"
  for n in $SIZES; do
    for layout in bundles files; do
      runs=$RUNS; [ "$n" -ge 1000000 ] && runs=1
      "$OUT/venv/bin/python" scripts/bench/cryptography_peer.py "$(corpus "$n" "$layout")" "$runs" | tee -a "$OUT/python.tsv"
      # The equal-work peer: also every field ingest records per certificate (see the script).
      "$OUT/venv/bin/python" scripts/bench/cryptography_peer_equal_work.py "$(corpus "$n" "$layout")" "$runs" | tee -a "$OUT/python-equal-work.tsv"
    done
  done
fi

# ---------------------------------------------------------------------------------------------
if want generate; then
  log "certblock generate, end to end"
  echo -e "entries\tlayout\twall_s\tmax_rss_kb\toutput_bytes\texit" > "$OUT/generate.tsv"
  # gen_row N LABEL SOURCES OUT [FLAGS...]: one timed run of `certblock generate` into OUT, as
  # one row of generate.tsv (OUT is not cleared: the caller says whether the run is fresh).
  gen_row() {
    local n=$1 label=$2 sources=$3 gen=$4 time=$OUT/generate-$1-$2.time rc cap=""
    shift 4
    # A million certificates: capped at 20 GiB of address space and 15 minutes.
    [ "$label" = bundles ] && [ "$n" -ge 1000000 ] && cap="prlimit --as=$((20 * 1024 * 1024 * 1024)) timeout 900"
    set +e
    /usr/bin/time -v $cap "$BIN/certblock" generate --quiet --sources "$sources" --out "$gen" "$@" \
      2> "$time"
    rc=$?
    set -e
    local wall bytes
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$time" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    bytes=$(du -sb "$gen" 2>/dev/null | cut -f1 || echo 0)
    echo -e "$n\t$label\t$wall\t$(peak_kb "$time")\t${bytes:-0}\t$rc" | tee -a "$OUT/generate.tsv"
  }
  for n in 100 10000 $SIZES; do
    [ "$n" = 1000 ] && continue
    # A million certificates make a certdata.txt of about 9 GB (see BENCHMARKS.md): on request.
    [ "$n" -ge 1000000 ] && [ "${BENCH_GENERATE_1M:-0}" != 1 ] && continue
    gen=$OUT/generated-$n
    rm -rf "$gen" "$OUT/.generated-$n.certblock-new" "$OUT/.generated-$n.certblock-old"
    gen_row "$n" bundles "$(corpus "$n" bundles)" "$gen" --max-file-bytes 100000000
  done
  # 1M bare keys in one facts.json (the corpus of the ingest facts row): the target of issue 7
  # (1M entries in under 10 s) on the entries that cost the least to carry. Three runs: fresh
  # (no generated/ yet), again on the same sources (nothing changed: the previous list is
  # recognised as read and every file is linked, not rewritten), and with one more incident of
  # one key (the previous list is parsed, its entries found by key).
  facts=$(corpus 1000000 facts)
  plus_one=$CORPUS/1000000-facts-plus-one
  if [ ! -d "$plus_one/synthetic-extra" ]; then
    rm -rf "$plus_one" "$plus_one.tmp"
    cp -al "$facts" "$plus_one"
    "$BIN/make-corpus" --count 1 --layout facts --seed 2 --out "$plus_one.tmp" >&2
    mv "$plus_one.tmp/synthetic-00000" "$plus_one/synthetic-extra"
    rm -rf "$plus_one.tmp"
  fi
  gen=$OUT/generated-1000000-facts
  rm -rf "$gen" "$OUT/.generated-1000000-facts.certblock-new" "$OUT/.generated-1000000-facts.certblock-old"
  for run in facts facts-again facts-plus-one; do
    sources=$facts; [ "$run" = facts-plus-one ] && sources=$plus_one
    gen_row 1000000 "$run" "$sources" "$gen" --max-file-bytes 1000000000 --max-entries 2000000
  done
fi

# ---------------------------------------------------------------------------------------------
if want table-compile; then
  # Both forms of spki_blocklist.rs from the same list: phf literals (the form up to
  # certblock_compile::RUST_TABLE_PHF_MAX = 50k keys) and the sorted include_bytes! form (above
  # it). 1k-100k use the list `generate` wrote for the bundles corpus; 1M (sorted form only: a
  # phf literal of 1M keys needs ~141 s and ~11 GB) uses a synthetic list of random keys.
  log "compile cost of the vendored table (phf and sorted forms)"
  cargo build --release --locked -p certblock-bench --bin make-table
  echo -e "entries\tform\ttable_bytes\tprofile\twall_s\tmax_rss_kb\texit" > "$OUT/table-compile.tsv"
  for n in 1000 10000 100000 1000000; do
    gen=$OUT/generated-$n
    if [ "$n" -lt 1000000 ] && [ ! -f "$gen/blocklist.json" ]; then
      "$BIN/certblock" generate --quiet --sources "$(corpus "$n" bundles)" --out "$gen" --max-file-bytes 100000000
    fi
    for form in phf sorted; do
      [ "$n" -ge 1000000 ] && [ "$form" = phf ] && continue
      crate=$OUT/table-crate-$n-$form
      rm -rf "$crate"; mkdir -p "$crate/src"
      if [ "$n" -lt 1000000 ]; then src="--list $gen/blocklist.json"; else src="--count $n"; fi
      "$BIN/make-table" --form "$form" --out "$crate/src" $src >/dev/null
      dep='phf = { version = "=0.14.0", default-features = false }'
      [ "$form" = sorted ] && dep=''
      printf '[package]\nname = "table-%s-%s"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n\n[dependencies]\n%s\n' \
        "$n" "$form" "$dep" > "$crate/Cargo.toml"
      printf '#![no_std]\ninclude!("spki_blocklist.rs");\npub fn is_listed(key: &[u8; 32]) -> bool { SPKI_BLOCKLIST.get(key).is_some() }\n' \
        > "$crate/src/lib.rs"
      bytes=$(cat "$crate"/src/spki_blocklist.* | wc -c)
      for profile in dev release; do
        flag=""; [ "$profile" = release ] && flag=--release
        # Dependencies first, then time the table crate alone.
        if [ "$form" = phf ]; then (cd "$crate" && cargo build --quiet $flag -p phf >/dev/null 2>&1 || true); fi
        set +e
        (cd "$crate" && /usr/bin/time -v cargo build --quiet $flag 2> "build-$profile.time")
        rc=$?
        set -e
        t=$crate/build-$profile.time
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$t" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$t")
        echo -e "$n\t$form\t$bytes\t$profile\t$wall\t$rss\t$rc" | tee -a "$OUT/table-compile.tsv"
        # The phf form at 100k in release costs minutes and GBs: once (dev) is enough.
        if [ "$n" -ge 100000 ] && [ "$form" = phf ]; then break; fi
      done
    done
  done
fi

# ---------------------------------------------------------------------------------------------
log "done: results in $OUT/*.tsv, $OUT/*.txt"
