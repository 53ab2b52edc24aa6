//! The chaff pipeline as a library: configuration, the whole run, and the stage drivers that
//! the `chaff` binary and `cargo xtask run` share.
//!
//! # Example
//!
//! ```no_run
//! use std::path::{Path, PathBuf};
//! let config = chaff::config::Config::default();
//! let outcome = chaff::pipeline::run(
//!     &config,
//!     &[PathBuf::from("fixtures/seeds")],
//!     Path::new("target/chaff"),
//!     &chaff::progress::Progress::hidden(),
//! )?;
//! println!("{} kept", outcome.report.totals.kept);
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod config;
pub mod pipeline;
pub mod progress;
