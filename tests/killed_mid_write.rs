//! A `certblock generate` killed (SIGKILL) at any instant leaves `generated/` either exactly as
//! it was or exactly as the run would have written it, never a mix; and whatever it leaves
//! beside `generated/` does not confuse the next run.
//!
//! The tree holds hundreds of keys (megabytes of output), and the run is slowed with the
//! test-only `CERTBLOCK_TEST_SLOW_WRITE_MS` (a pause after each file and around the swap), so
//! the kills land while files are being written as well as before and after.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Rng, certblock, folder_bytes, incident_json, make, names_in, write};

const SLOW_MS: &str = "70";
/// Kills at random instants; two more wait for chosen moments.
const ROUNDS_RANDOM: usize = 5;

/// `n` facts records with random keys, one per line.
fn facts(rng: &mut Rng, n: usize) -> String {
    let records: Vec<String> = (0..n)
        .map(|i| {
            let key: String = rng.bytes(32).iter().map(|b| format!("{b:02x}")).collect();
            format!("  {{\"spki_sha256\": \"{key}\", \"name\": \"synthetic key {i}\"}}")
        })
        .collect();
    format!("{{\"records\": [\n{}\n]}}\n", records.join(",\n"))
}

/// Replaces `generated/` in `root` with exactly `contents`.
fn restore(root: &Path, contents: &BTreeMap<String, Vec<u8>>) {
    let out = root.join("generated");
    if out.exists() {
        std::fs::remove_dir_all(&out).unwrap();
    }
    std::fs::create_dir(&out).unwrap();
    for (name, bytes) in contents {
        assert!(!name.ends_with('/'), "generated/ holds a folder: {name}");
        std::fs::write(out.join(name), bytes).unwrap();
    }
}

fn generate_ok(root: &Path) {
    let out = certblock(root, &["generate", "--quiet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_run_killed_at_any_instant_leaves_old_or_new_never_a_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("seed {seed}");
    let mut rng = Rng::new(0x5eed_0100);

    // The old tree: two incidents, hundreds of keys.
    write(
        root.join("sources/first/incident.json"),
        incident_json("block"),
    );
    write(root.join("sources/first/facts.json"), facts(&mut rng, 150));
    write(root.join("sources/first/root.pem"), make("first.test").pem);
    write(
        root.join("sources/second/incident.json"),
        incident_json("known-interception"),
    );
    write(root.join("sources/second/facts.json"), facts(&mut rng, 150));
    generate_ok(root);
    let old = folder_bytes(&root.join("generated"));
    let beside = names_in(root);

    // The new tree changes every generated file.
    write(
        root.join("sources/third/incident.json"),
        incident_json("blocked-interception"),
    );
    write(root.join("sources/third/facts.json"), facts(&mut rng, 50));
    write(root.join("sources/third/root.pem"), make("third.test").pem);
    generate_ok(root);
    let new = folder_bytes(&root.join("generated"));
    for (name, bytes) in &old {
        assert_ne!(
            new.get(name),
            Some(bytes),
            "{name} is the same in the old and new trees"
        );
    }

    // How long a slowed run takes, from start to exit.
    restore(root, &old);
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_certblock"))
        .current_dir(root)
        .args(["generate", "--quiet"])
        .env("CERTBLOCK_TEST_SLOW_WRITE_MS", SLOW_MS)
        .output()
        .unwrap();
    let full = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(folder_bytes(&root.join("generated")) == new);
    eprintln!("a slowed run takes {full:?}");

    let mut kill_rng = Rng::new(seed);
    let (mut saw_old, mut saw_new) = (0, 0);
    for round in 0..ROUNDS_RANDOM + 2 {
        restore(root, &old);
        // Spread the kills over the whole run, the later half (where the writing is) twice as
        // often. The last two rounds wait for a moment instead: the new folder half written, and
        // the swap just done (the previous contents not yet removed).
        let span = full.as_micros() as u64;
        let at = if round % 3 == 0 {
            kill_rng.below(span)
        } else {
            span / 2 + kill_rng.below(span / 2)
        };
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_certblock"))
            .current_dir(root)
            .args(["generate", "--quiet"])
            .env("CERTBLOCK_TEST_SLOW_WRITE_MS", SLOW_MS)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let side = root.join(".generated.certblock-new");
        let moment = |round: usize| match round {
            ROUNDS_RANDOM => std::fs::read_dir(&side)
                .map(|d| d.count() >= 3)
                .unwrap_or(false),
            _ => {
                std::fs::read(root.join("generated/blocklist.json"))
                    .ok()
                    .as_ref()
                    == new.get("blocklist.json")
            }
        };
        if round < ROUNDS_RANDOM {
            std::thread::sleep(Duration::from_micros(at));
        } else {
            while !moment(round) && started.elapsed() < full * 3 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        let at = started.elapsed().as_micros();
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        let left: Vec<String> = names_in(root);
        let after = folder_bytes(&root.join("generated"));
        let state = if after == old {
            saw_old += 1;
            "old"
        } else if after == new {
            saw_new += 1;
            "new"
        } else {
            let mixed: Vec<&String> = after
                .keys()
                .filter(|k| old.get(*k) != after.get(*k))
                .collect();
            panic!(
                "round {round}: killed after {at} µs ({status}), generated/ is neither old nor new; \
                 changed: {mixed:?}; beside: {left:?}"
            );
        };
        eprintln!("round {round}: killed after {at} µs ({status}): {state}; beside: {left:?}");

        // Whatever was left beside generated/, the next run succeeds, cleans up, and check passes.
        generate_ok(root);
        assert!(
            folder_bytes(&root.join("generated")) == new,
            "round {round}: the next run did not write the new tree"
        );
        assert_eq!(
            names_in(root),
            beside,
            "round {round}: the next run left something beside generated/"
        );
        let check = certblock(root, &["check"]);
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    eprintln!("old {saw_old} times, new {saw_new} times");
    assert!(
        saw_old >= 1 && saw_new >= 1,
        "the kills did not land both before and after the swap"
    );
}
