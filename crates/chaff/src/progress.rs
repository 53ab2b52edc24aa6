//! A progress bar on standard error for long runs; silent when standard error is not a
//! terminal or when `-q` is given.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress of the current pass: documents and megabytes, with rates.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    n_bytes: AtomicU64,
    started: std::sync::Mutex<Instant>,
}

impl Progress {
    /// A bar drawn on standard error when it is a terminal and `enabled` is true.
    pub fn new(enabled: bool) -> Progress {
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress {
            bar: ProgressBar::with_draw_target(None, target),
            n_bytes: AtomicU64::new(0),
            started: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// A bar that never draws, for tests and library use.
    pub fn hidden() -> Progress {
        Progress::new(false)
    }

    /// Starts a pass named `name`, with a known number of documents or none.
    pub fn start_pass(&self, name: &str, n_docs: Option<u64>) {
        self.bar.reset();
        self.bar.set_length(n_docs.unwrap_or(0));
        let template = if n_docs.is_some() {
            "{prefix}: [{bar:30}] {pos}/{len} docs, {per_sec}, {msg} eta {eta}"
        } else {
            "{prefix}: {spinner} {pos} docs, {per_sec}, {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.bar.set_style(style.progress_chars("=> "));
        }
        self.bar.set_prefix(name.to_owned());
        self.bar.set_message("0.0 MB");
        self.n_bytes.store(0, Ordering::Relaxed);
        if let Ok(mut started) = self.started.lock() {
            *started = Instant::now();
        }
    }

    /// Adds documents and bytes done.
    pub fn advance(&self, n_docs: u64, n_bytes: u64) {
        self.bar.inc(n_docs);
        if n_bytes > 0 {
            let total = self.n_bytes.fetch_add(n_bytes, Ordering::Relaxed) + n_bytes;
            let seconds = self
                .started
                .lock()
                .map_or(0.0, |s| s.elapsed().as_secs_f64());
            let megabytes = total as f64 / 1e6;
            let rate = if seconds > 0.0 {
                megabytes / seconds
            } else {
                0.0
            };
            self.bar
                .set_message(format!("{megabytes:.1} MB, {rate:.1} MB/s"));
        }
    }

    /// Ends the current pass.
    pub fn finish_pass(&self) {
        self.bar.finish_and_clear();
    }
}
