//! Why a compile run refused to finish.

use core::fmt;

/// Why [`crate::compile`] produced no files.
#[derive(Debug)]
pub enum CompileError {
    /// Reading the emitted files back found entries missing or altered: writing them would lose
    /// entries, so nothing is written.
    Lost {
        /// Every discrepancy found, each naming the file and the entry.
        problems: Vec<String>,
    },
    /// A verified file could not be handed on (written).
    Output(crate::output::OutputError),
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::Lost { problems } => {
                write!(
                    f,
                    "reading the generated files back found {} problem(s); nothing was written:",
                    problems.len()
                )?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
            CompileError::Output(e) => write!(f, "{e}"),
        }
    }
}

/// An output error's message is the whole `Display` text, so it is not also a `source`: printed
/// as a chain, it would appear twice.
impl std::error::Error for CompileError {}
