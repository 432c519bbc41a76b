//! The progress bar of a long `certblock generate`: files read and certificates per second.
//!
//! It appears only when a run has lasted more than a second, only when stderr is a terminal, and
//! never with `--quiet`; it is cleared before the run's summary is printed.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use certblock_ingest::ProgressEvent;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a run goes on before the bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// How often the message (certificates, rate) is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

/// Progress of one run; every method does nothing when the bar is disabled.
pub struct RunProgress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: std::sync::atomic::AtomicBool,
    items: AtomicU64,
    last_redraw: Mutex<Instant>,
}

impl RunProgress {
    /// A bar on stderr, unless `quiet` or stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        let enabled = !quiet && std::io::stderr().is_terminal();
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {prefix} [{bar:30}] {pos}/{len} files, {msg} ({elapsed})",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix("reading sources");
            bar
        });
        let start = Instant::now();
        RunProgress {
            bar,
            start,
            shown: std::sync::atomic::AtomicBool::new(false),
            items: AtomicU64::new(0),
            last_redraw: Mutex::new(start),
        }
    }

    /// Shows the bar once the run has lasted [`SHOW_AFTER`].
    fn show_when_due(&self, bar: &ProgressBar) {
        if !self.shown.load(Ordering::Relaxed)
            && self.start.elapsed() >= SHOW_AFTER
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(REDRAW);
        }
    }

    /// The message: certificates (and keys) read so far and their rate.
    fn message(&self) -> String {
        let items = self.items.load(Ordering::Relaxed);
        let secs = self.start.elapsed().as_secs_f64().max(1e-3);
        format!("{items} certificates, {:.0}/s", items as f64 / secs)
    }

    /// Takes one report of ingest (called from its worker threads).
    pub fn ingest_event(&self, event: ProgressEvent) {
        let Some(bar) = &self.bar else { return };
        match event {
            ProgressEvent::Started { files } => bar.set_length(files),
            ProgressEvent::FileRead { items } => {
                self.items.fetch_add(items, Ordering::Relaxed);
                bar.inc(1);
                if let Ok(mut last) = self.last_redraw.try_lock() {
                    if last.elapsed() >= REDRAW {
                        *last = Instant::now();
                        bar.set_message(self.message());
                    }
                }
            }
            ProgressEvent::Merging => {
                bar.set_message(self.message());
                bar.set_prefix("merging");
            }
            _ => {}
        }
        self.show_when_due(bar);
    }

    /// Names the step that follows ingest ("compiling", "writing").
    pub fn phase(&self, name: &'static str) {
        if let Some(bar) = &self.bar {
            bar.set_prefix(name);
            self.show_when_due(bar);
        }
    }

    /// Runs `print` (warnings, errors) with the bar out of the way.
    pub fn suspend(&self, print: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for RunProgress {
    fn drop(&mut self) {
        self.finish();
    }
}
