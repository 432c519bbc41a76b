//! The one error type of every reader: where in the input, and what is wrong.

use core::fmt;

/// Why bytes could not be read as a format. Each variant says where: a byte offset for the
/// binary CRLSet, a line for `certdata.txt`, a line and column for JSON.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FormatError {
    /// A CRLSet could not be read.
    CrlSet {
        /// Byte offset from the start of the file where the problem is.
        offset: usize,
        /// What is wrong.
        problem: String,
    },
    /// A `certdata.txt` file could not be read.
    CertData {
        /// Line, from 1.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A OneCRL JSON file could not be read.
    OneCrl {
        /// Line, from 1 (0 when the problem is not at one place, such as an empty file).
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What is wrong.
        problem: String,
    },
}

impl FormatError {
    pub(crate) fn crlset(offset: usize, problem: impl Into<String>) -> Self {
        FormatError::CrlSet {
            offset,
            problem: problem.into(),
        }
    }

    pub(crate) fn certdata(line: usize, problem: impl Into<String>) -> Self {
        FormatError::CertData {
            line,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::CrlSet { offset, problem } => {
                write!(f, "not a readable CRLSet: at byte {offset}: {problem}")
            }
            FormatError::CertData { line, problem } => {
                write!(f, "not a readable certdata.txt: line {line}: {problem}")
            }
            FormatError::OneCrl {
                line,
                column,
                problem,
            } => {
                write!(
                    f,
                    "not a readable OneCRL file: line {line}, column {column}: {problem}"
                )
            }
        }
    }
}

impl std::error::Error for FormatError {}
