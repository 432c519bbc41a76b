//! Errors reading a canonical list.

use core::fmt;
use std::path::PathBuf;

/// Why a canonical list could not be read.
#[derive(Debug)]
pub enum ListError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The text is not a list: bad JSON, a wrong shape, an unknown field or a bad value.
    Json {
        /// The file, when the list came from one.
        path: Option<PathBuf>,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What is wrong, in serde_json's words.
        message: String,
    },
    /// The JSON is well formed but breaks the list's invariants.
    Invalid {
        /// The file, when the list came from one.
        path: Option<PathBuf>,
        /// Every invariant broken.
        problems: Vec<String>,
    },
}

fn where_(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => "<list>".to_string(),
    }
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListError::Io { path, source } => {
                write!(f, "{}: cannot read: {source}", path.display())
            }
            ListError::Json {
                path,
                line,
                column,
                message,
            } => {
                write!(
                    f,
                    "{}:{line}:{column}: not a certblock list: {message}",
                    where_(path)
                )
            }
            ListError::Invalid { path, problems } => {
                write!(f, "{}: the list breaks its invariants:", where_(path))?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

/// The message of an I/O error is part of the `Display` text, so it is not also a `source`:
/// printed as a chain, the reason would appear twice.
impl std::error::Error for ListError {}
