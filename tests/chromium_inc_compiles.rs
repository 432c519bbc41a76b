//! The emitted `.inc` compiles with g++ in a harness shaped like Chromium's use of it, and
//! `std::binary_search` finds exactly the keys the list puts in each array.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use certblock_list::Blocklist;

fn cpp_array(name: &str, keys: &[[u8; 32]]) -> String {
    let mut out = format!("static const uint8_t {name}[][32] = {{\n");
    for key in keys {
        let bytes: Vec<String> = key.iter().map(|b| format!("0x{b:02x}")).collect();
        writeln!(out, "  {{{}}},", bytes.join(",")).unwrap();
    }
    if keys.is_empty() {
        out.push_str("  {0},\n");
    }
    out.push_str("};\n");
    out
}

#[test]
fn inc_compiles_and_binary_search_finds_every_key() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let list = Blocklist::read(&root.join("generated/blocklist.json")).unwrap();
    let blocked: Vec<[u8; 32]> = list
        .entries
        .iter()
        .filter(|e| e.action.is_blocked())
        .map(|e| e.spki_sha256.0)
        .collect();
    let intercept: Vec<[u8; 32]> = list
        .entries
        .iter()
        .filter(|e| e.action.is_known_interception())
        .map(|e| e.spki_sha256.0)
        .collect();
    let absent: Vec<[u8; 32]> = list
        .entries
        .iter()
        .map(|e| {
            let mut k = e.spki_sha256.0;
            k[31] ^= 1;
            k
        })
        .collect();

    let tmp = tempfile::tempdir().unwrap();
    let harness = format!(
        r#"#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <cstddef>

namespace crypto {{ constexpr size_t kSHA256Length = 32; }}

namespace net {{
namespace {{
#include "{inc}"
}}  // namespace

using Hash = std::array<uint8_t, crypto::kSHA256Length>;

template <size_t N>
bool Contains(const uint8_t (&list)[N][crypto::kSHA256Length], const uint8_t* key) {{
  auto less = [](const uint8_t* a, const uint8_t* b) {{ return memcmp(a, b, crypto::kSHA256Length) < 0; }};
  std::array<const uint8_t*, N> rows;
  for (size_t i = 0; i < N; ++i) rows[i] = list[i];
  if (!std::is_sorted(rows.begin(), rows.end(), less)) {{ std::puts("not sorted"); return false; }}
  return std::binary_search(rows.begin(), rows.end(), key, less);
}}
}}  // namespace net

{expected_blocked}
{expected_intercept}
{expected_absent}

int main() {{
  int failures = 0;
  if (std::size(net::kSPKIBlockList) != {n_blocked}) {{ std::puts("block list size"); ++failures; }}
  if (std::size(net::kKnownInterceptionList) != {n_intercept}) {{ std::puts("interception list size"); ++failures; }}
  for (size_t i = 0; i < {n_blocked}; ++i)
    if (!net::Contains(net::kSPKIBlockList, kExpectedBlocked[i])) {{ std::printf("blocked %zu missing\n", i); ++failures; }}
  for (size_t i = 0; i < {n_intercept}; ++i)
    if (!net::Contains(net::kKnownInterceptionList, kExpectedIntercept[i])) {{ std::printf("interception %zu missing\n", i); ++failures; }}
  for (size_t i = 0; i < {n_absent}; ++i)
    if (net::Contains(net::kSPKIBlockList, kAbsent[i]) || net::Contains(net::kKnownInterceptionList, kAbsent[i])) {{
      std::printf("absent %zu found\n", i); ++failures; }}
  std::printf("checked %d keys, %d failures\n", {n_blocked} + {n_intercept} + {n_absent}, failures);
  return failures == 0 ? 0 : 1;
}}
"#,
        inc = root
            .join("generated/cert_verify_proc_blocklist.inc")
            .display(),
        expected_blocked = cpp_array("kExpectedBlocked", &blocked),
        expected_intercept = cpp_array("kExpectedIntercept", &intercept),
        expected_absent = cpp_array("kAbsent", &absent),
        n_blocked = blocked.len(),
        n_intercept = intercept.len(),
        n_absent = absent.len(),
    );
    let source = tmp.path().join("harness.cc");
    std::fs::write(&source, harness).unwrap();
    let binary = tmp.path().join("harness");
    let compiled = Command::new("g++")
        .args(["-std=c++17", "-Wall", "-Werror", "-o"])
        .arg(&binary)
        .arg(&source)
        .output()
        .expect("g++ runs (scripts/ensure-tools.sh installs it)");
    assert!(
        compiled.status.success(),
        "g++ failed:\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let run = Command::new(&binary).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "harness failed:\n{stdout}");
    assert!(stdout.contains(&format!(
        "checked {} keys, 0 failures",
        blocked.len() + intercept.len() + absent.len()
    )));
}
