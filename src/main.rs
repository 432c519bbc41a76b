//! `certblock`: the command line over ingest (sources/ → list) and compile (list → generated/).
//!
//! Library crates return hand-written errors with context; this is the one place that turns them
//! into messages and exit codes (0 success, 1 problems found, 2 usage errors from clap).

mod commands;
mod diff_command;
mod dump;
mod import;
mod progress;
mod stdout;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Compile certificate blocklists from evidence, the way browsers keep them.
#[derive(Parser)]
#[command(name = "certblock", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read sources/ and write every file of generated/ (atomically).
    Generate {
        /// The folder of incidents to read.
        #[arg(long, default_value = "sources")]
        sources: PathBuf,
        /// The folder to write; replaced as a whole, only when every file is complete.
        #[arg(long, default_value = "generated")]
        out: PathBuf,
        /// The previously committed list, for the sequence number [default: OUT/blocklist.json].
        #[arg(long)]
        previous: Option<PathBuf>,
        /// The largest evidence file accepted, in bytes.
        #[arg(long, default_value_t = certblock_ingest::IngestOptions::default().max_file_bytes)]
        max_file_bytes: u64,
        /// The most PEM blocks (certificates and keys) accepted in one file.
        #[arg(long, default_value_t = certblock_ingest::IngestOptions::default().max_certificates_per_file)]
        max_certificates_per_file: usize,
        /// The most entries (distinct keys) accepted in the whole list.
        #[arg(long, default_value_t = certblock_ingest::IngestOptions::default().max_entries)]
        max_entries: usize,
        /// Print nothing but errors and warnings.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Exit 1, naming each stale, missing or extra file, when generated/ differs from what
    /// sources/ produce.
    Check {
        /// The folder of incidents to read.
        #[arg(long, default_value = "sources")]
        sources: PathBuf,
        /// The folder to compare.
        #[arg(long, default_value = "generated")]
        out: PathBuf,
    },
    /// Describe each certificate or key in the given files: SPKI SHA-256 (hex and base64),
    /// certificate SHA-256, subject, issuer, serial, validity.
    Inspect {
        /// PEM or DER files holding certificates or public keys.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show which keys and incidents differ between two lists (`certblock diff OLD NEW`), or
    /// between the list committed at a git revision and the working tree
    /// (`certblock diff --git REV [NEW]`). Exit status: 0 same, 1 different, 2 trouble.
    Diff(diff_command::DiffArgs),
    /// Print a CRLSet, NSS certdata.txt, OneCRL JSON or certblock list readably (the format is
    /// recognised from the contents).
    Dump {
        /// The file to print.
        file: PathBuf,
        /// Print JSON for machines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Collect the keys and certificates of an upstream list into a new incident folder under
    /// sources/, and report what could not be taken (records without a key).
    Import {
        /// The upstream format.
        #[arg(long = "from", value_enum)]
        from: import::From,
        /// The upstream file.
        file: PathBuf,
        /// The incident folder to create (lowercase letters, digits and '-').
        #[arg(long)]
        incident: String,
        /// The action of the new incident; for a CRLSet, also which of its arrays to take.
        #[arg(long, default_value = "block", value_parser = parse_action)]
        action: certblock_list::Action,
        /// The new incident's title.
        #[arg(long)]
        title: Option<String>,
        /// The new incident's summary.
        #[arg(long)]
        summary: Option<String>,
        /// A reference URL for the new incident (repeatable).
        #[arg(long = "reference")]
        references: Vec<String>,
        /// The folder of incidents.
        #[arg(long, default_value = "sources")]
        sources: PathBuf,
    },
}

fn parse_action(s: &str) -> Result<certblock_list::Action, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        format!("{s:?} is not an action: use block, known-interception or blocked-interception")
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate {
            sources,
            out,
            previous,
            max_file_bytes,
            max_certificates_per_file,
            max_entries,
            quiet,
        } => {
            let options = certblock_ingest::IngestOptions {
                max_file_bytes,
                max_certificates_per_file,
                max_entries,
            };
            commands::generate(&sources, &out, previous.as_deref(), options, quiet)
        }
        Command::Check { sources, out } => commands::check(&sources, &out),
        Command::Inspect { files } => commands::inspect(&files),
        Command::Diff(args) => Ok(diff_command::run(&args)),
        Command::Dump { file, json } => dump::run(&file, json).map(|()| ExitCode::SUCCESS),
        Command::Import {
            from,
            file,
            incident,
            action,
            title,
            summary,
            references,
            sources,
        } => import::run(&import::Request {
            from,
            file: &file,
            incident: &incident,
            action,
            title: title.as_deref(),
            summary: summary.as_deref(),
            references: &references,
            sources: &sources,
        })
        .map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
