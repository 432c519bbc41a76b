//! serde_json errors turned into problems that point at the line and column.

use std::path::Path;

use crate::error::{Problem, ProblemKind};

/// A problem for a JSON error: serde_json's message (without its own " at line N column M",
/// which the problem's location already says), placed at the error's line and column.
pub(crate) fn json_problem(
    path: &Path,
    error: &serde_json::Error,
    kind: impl FnOnce(String) -> ProblemKind,
) -> Problem {
    let mut message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    if let Some(stripped) = message.strip_suffix(&suffix) {
        message = stripped.to_string();
    }
    if error.is_syntax() || error.is_eof() {
        message = format!("not valid JSON: {message}");
    }
    let line = (error.line() > 0).then_some(error.line());
    let column = (error.column() > 0).then_some(error.column());
    Problem::new(path, kind(message)).at(line, column)
}
