//! Writing results to standard output without panicking when the reader has gone away
//! (`certblock dump FILE | head`): a closed pipe ends the output quietly, as it does for `cat`.

use std::io::{ErrorKind, Write as _};

/// Writes `text` to standard output; a closed pipe is not an error, any other failure is.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
