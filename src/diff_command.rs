//! `certblock diff`: the semantic diff of two lists, or of a committed list and the working tree.
//!
//! Exit status as `diff(1)`: 0 when the lists hold the same incidents and entries, 1 when they
//! differ, 2 on trouble (an unreadable file, a list that does not parse, a bad git revision).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, Result, anyhow, bail};
use certblock_list::Blocklist;
use certblock_list::diff::{ListDiff, diff};

/// Where `--git` finds the list, relative to the top of the repository.
const COMMITTED_LIST: &str = "generated/blocklist.json";

/// Exit status for "the lists differ".
const DIFFERENT: u8 = 1;
/// Exit status for trouble.
const TROUBLE: u8 = 2;

/// How to print the diff.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Format {
    /// For a terminal or a log.
    Text,
    /// GitHub-flavoured Markdown, for a pull request comment or a CI job summary.
    Markdown,
    /// JSON (`certblock-diff/1`), for tools.
    Json,
}

/// When the text form is coloured.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum ColorChoice {
    /// When standard output is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The arguments of `certblock diff`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Usage forms:\n  certblock diff OLD NEW\n  certblock diff --git REV [NEW]\n\n\
    Exit status: 0 same incidents and entries, 1 different, 2 trouble."
)]
pub struct DiffArgs {
    /// The old list (a `blocklist.json`); with --git, the new list instead.
    #[arg(value_name = "OLD")]
    old: Option<PathBuf>,
    /// The new list [with --git, default: generated/blocklist.json of the working tree].
    #[arg(value_name = "NEW")]
    new: Option<PathBuf>,
    /// Compare the list committed at this revision (`git show REV:generated/blocklist.json`, in
    /// the repository holding the working directory) with NEW.
    #[arg(long, value_name = "REV")]
    git: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Colour the text form.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// `certblock diff`: prints the diff and returns 0, 1 or 2; prints its own errors, since trouble
/// is 2 here rather than the 1 other commands use.
pub fn run(args: &DiffArgs) -> ExitCode {
    match compare(args) {
        Ok(d) => {
            let colour = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            let text = match args.format {
                Format::Text => d.to_text(colour),
                Format::Markdown => d.to_markdown(),
                Format::Json => d.to_json(),
            };
            if let Err(e) = crate::stdout::print(&text) {
                eprintln!("error: writing the diff: {e}");
                return ExitCode::from(TROUBLE);
            }
            if d.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(DIFFERENT)
            }
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(TROUBLE)
        }
    }
}

/// Reads the two lists the arguments name and compares them.
fn compare(args: &DiffArgs) -> Result<ListDiff> {
    let (old, new) = match (&args.git, &args.old, &args.new) {
        (Some(rev), new, None) => {
            let top = repository_top()?;
            let old = committed_list(&top, rev)?;
            let new_path = new.clone().unwrap_or_else(|| top.join(COMMITTED_LIST));
            (old, read_list(&new_path)?)
        }
        (Some(_), _, Some(_)) => {
            bail!(
                "with --git REV, give at most one list (NEW); usage: certblock diff --git REV [NEW]"
            )
        }
        (None, Some(old), Some(new)) => (read_list(old)?, read_list(new)?),
        (None, _, _) => {
            bail!(
                "give two lists, or --git REV; usage: certblock diff OLD NEW | certblock diff --git REV [NEW]"
            )
        }
    };
    Ok(diff(&old, &new))
}

fn read_list(path: &Path) -> Result<Blocklist> {
    // The list's error already names the file and the cause; anyhow's chain would repeat it.
    Blocklist::read(path).map_err(|e| anyhow!("{e}"))
}

/// Runs git with `args` in `dir`; its standard output, or an error quoting its standard error.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .with_context(|| format!("cannot run `git {}` (is git installed?)", args.join(" ")))?;
    if !output.status.success() {
        return Err(anyhow!(
            "`git {}` failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}

/// The top folder of the repository holding the working directory.
fn repository_top() -> Result<PathBuf> {
    let here = std::env::current_dir().context("cannot tell the working directory")?;
    let out = git(&here, &["rev-parse", "--show-toplevel"])
        .context("--git compares with a committed list, so it needs a git repository")?;
    let top = String::from_utf8(out).context("git printed a repository path that is not UTF-8")?;
    Ok(PathBuf::from(top.trim_end_matches(['\n', '\r'])))
}

/// The list committed at `rev`.
fn committed_list(top: &Path, rev: &str) -> Result<Blocklist> {
    if rev.is_empty() || rev.starts_with('-') {
        bail!("{rev:?} is not a git revision");
    }
    let object = format!("{rev}:{COMMITTED_LIST}");
    let bytes = git(top, &["show", &object])
        .with_context(|| format!("cannot read the list committed at {rev}"))?;
    let text = String::from_utf8(bytes).with_context(|| format!("{object} is not UTF-8"))?;
    Blocklist::from_json(&text).with_context(|| format!("reading {object}"))
}

/// For `certblock check`: when the committed list (`None` if missing or unreadable) and the one
/// `sources/` produce differ, prints the semantic diff to standard error, coloured on a terminal.
pub fn print_for_check(committed: Option<&Blocklist>, fresh: &Blocklist, list_path: &Path) {
    let Some(committed) = committed else {
        return;
    };
    let d = diff(committed, fresh);
    if d.is_empty() {
        return;
    }
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    eprintln!(
        "\nwhat sources/ would change in {} (old: committed, new: sources/):",
        list_path.display()
    );
    eprint!("{}", d.to_text(colour));
}
