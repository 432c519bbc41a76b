//! The subcommands: each returns the exit code, or an error for `main` to print.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use certblock_ingest::{IngestOptions, Ingested};
use certblock_list::{Blocklist, HexBytes};

use crate::progress::RunProgress;

/// Ingests `sources`, printing warnings, or prints every problem and returns `None`.
/// A bar shows progress on a terminal when the run is long (see `progress.rs`).
fn ingest(sources: &Path, options: &IngestOptions, progress: &RunProgress) -> Option<Ingested> {
    match certblock_ingest::ingest_with_progress(sources, options, &|e| progress.ingest_event(e)) {
        Ok(ingested) => {
            progress.suspend(|| {
                for warning in &ingested.warnings {
                    eprintln!("warning: {warning}");
                }
            });
            Some(ingested)
        }
        Err(error) => {
            progress.finish();
            for problem in &error.problems {
                eprintln!("error: {problem}");
            }
            eprintln!(
                "{} problem(s) in {}; nothing was written",
                error.problems.len(),
                sources.display()
            );
            None
        }
    }
}

/// The list previously committed in `out` (or at `previous`), which the sequence number follows.
fn previous_list(out: &Path, previous: Option<&Path>) -> Result<Option<Blocklist>> {
    let path: PathBuf = match previous {
        Some(p) => p.to_path_buf(),
        None => out.join(certblock_compile::LIST_FILE),
    };
    if previous.is_none() && !path.exists() {
        return Ok(None);
    }
    let list = Blocklist::read(&path).with_context(|| {
        format!(
            "the previous list gives the sequence number; restore it (git checkout {}) or name \
             another with --previous",
            path.display()
        )
    })?;
    Ok(Some(list))
}

/// The file of the list previously committed in `out` (or at `previous`), if there is one: a
/// missing `out/blocklist.json` means a first list, a missing `previous` is an error.
fn previous_list_path(out: &Path, previous: Option<&Path>) -> Result<Option<PathBuf>> {
    let path: PathBuf = match previous {
        Some(p) => p.to_path_buf(),
        None => out.join(certblock_compile::LIST_FILE),
    };
    match (previous, path.exists()) {
        (None, false) => Ok(None),
        // Said before the sources are read, which can take a while.
        (Some(_), false) => anyhow::bail!(
            "{}: no such file; the previous list gives the sequence number: name another with \
             --previous",
            path.display()
        ),
        (_, true) => Ok(Some(path)),
    }
}

/// `certblock generate`.
pub fn generate(
    sources: &Path,
    out: &Path,
    previous: Option<&Path>,
    options: IngestOptions,
    quiet: bool,
) -> Result<ExitCode> {
    let progress = RunProgress::new(quiet);
    let way_out = |path: &Path| {
        format!(
            "the previous list gives the sequence number; restore it (git checkout {}) or name \
             another with --previous",
            path.display()
        )
    };
    let previous = previous_list_path(out, previous)?;
    let Some(Ingested { mut list, .. }) = ingest(sources, &options, &progress) else {
        return Ok(ExitCode::FAILURE);
    };
    progress.phase("compiling and writing");
    // With a previous list, `blocklist.json` is rendered first and once: compared with the
    // previous file as that is read (which is never built: it may hold a million entries), then
    // written. Without one, it is rendered beside the other files.
    let rendered = match &previous {
        None => {
            list.sequence_after(None);
            None
        }
        Some(path) => {
            let mut rendered = list.render_json();
            list.sequence_after_file(&mut rendered, path)
                .with_context(|| way_out(path))?;
            Some(rendered)
        }
    };
    // Each file is written as soon as it is rendered and read back; the new folder is swapped in
    // only when every file is complete and nothing was lost.
    let writer = certblock_compile::output::AtomicWrite::begin(out)
        .with_context(|| format!("writing {}", out.display()))?;
    let written = std::sync::atomic::AtomicUsize::new(0);
    certblock_compile::compile_rendered_into(
        &list,
        rendered,
        &certblock_compile::CompileOptions::default(),
        &|file| {
            written.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            writer.write(&file)
        },
    )?;
    let files = written.into_inner();
    writer
        .commit()
        .with_context(|| format!("writing {}", out.display()))?;
    progress.finish();
    if !quiet {
        let counts = list.counts();
        println!(
            "wrote {} files to {}: {} keys ({} block, {} known-interception, {} blocked-interception) \
             from {} incidents, sequence {}",
            files,
            out.display(),
            list.entries.len(),
            counts.block,
            counts.known_interception,
            counts.blocked_interception,
            list.incidents.len(),
            list.sequence
        );
    }
    // The process ends next: freeing a million entries one allocation at a time would only
    // delay the exit (about half a second at 1M entries); the operating system takes the memory
    // back at once.
    std::mem::forget(list);
    Ok(ExitCode::SUCCESS)
}

/// `certblock check`.
pub fn check(sources: &Path, out: &Path) -> Result<ExitCode> {
    let progress = RunProgress::new(false);
    let (previous, ingested) = std::thread::scope(|scope| {
        let previous = scope.spawn(|| previous_list(out, None).ok().flatten());
        let ingested = ingest(sources, &IngestOptions::default(), &progress);
        (
            previous
                .join()
                .expect("reading the previous list does not panic"),
            ingested,
        )
    });
    let Some(Ingested { mut list, .. }) = ingested else {
        return Ok(ExitCode::FAILURE);
    };
    list.sequence_after(previous.as_ref());
    let files = certblock_compile::compile(&list)?;
    let differences = certblock_compile::output::compare(out, &files)
        .with_context(|| format!("comparing {}", out.display()))?;
    if differences.is_empty() {
        println!("{} is up to date with {}", out.display(), sources.display());
        return Ok(ExitCode::SUCCESS);
    }
    for difference in &differences {
        eprintln!("{}/{difference}", out.display());
    }
    let list_path = out.join(certblock_compile::LIST_FILE);
    crate::diff_command::print_for_check(previous.as_ref(), &list, &list_path);
    eprintln!(
        "{} is not what {} produce: run `make generate` and commit the result",
        out.display(),
        sources.display()
    );
    Ok(ExitCode::FAILURE)
}

/// `certblock inspect`.
pub fn inspect(files: &[PathBuf]) -> Result<ExitCode> {
    let mut failed = false;
    for path in files {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: {}: cannot read: {e}", path.display());
                failed = true;
                continue;
            }
        };
        match certblock_ingest::read_evidence_file(path, &bytes) {
            Ok(items) => {
                let total = items.len();
                for (i, item) in items.iter().enumerate() {
                    print_item(path, i + 1, total, item)?;
                }
            }
            Err(problems) => {
                for problem in problems {
                    eprintln!("error: {problem}");
                }
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_item(
    path: &Path,
    n: usize,
    total: usize,
    item: &certblock_ingest::EvidenceItem,
) -> std::io::Result<()> {
    let spki = item.spki_sha256;
    use std::fmt::Write as _;
    let mut text = format!("{} ({} {n} of {total})\n", path.display(), item.kind);
    let mut row = |label: &str, value: &dyn std::fmt::Display| {
        writeln!(text, "  {label:<28} {value}").expect("writing to a String cannot fail")
    };
    row("SPKI SHA-256 (hex):", &spki.to_hex());
    row("SPKI SHA-256 (base64):", &spki.to_base64());
    row("key algorithm:", &item.key_algorithm);
    match item.cert_sha256 {
        Some(cert) => row("certificate SHA-256 (hex):", &cert.to_hex()),
        None => row("certificate SHA-256:", &"(none: a bare public key)"),
    }
    if let Some(s) = &item.subject {
        row("subject:", s);
    }
    if let Some(s) = &item.issuer {
        row("issuer:", s);
    }
    if let Some(serial) = &item.serial {
        row("serial (hex):", &HexBytes(serial.clone()).to_hex());
    }
    if let Some(t) = &item.not_before {
        row("not before:", t);
    }
    if let Some(t) = &item.not_after {
        row("not after:", t);
    }
    crate::stdout::print(&text)
}
