//! The errors of dedup.

/// What can go wrong in dedup. The stage itself never fails on a record (bad input is data);
/// only a configuration that cannot work is an error, found by [`crate::Config::validate`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of its range.
    #[error("invalid dedup configuration: `{key}` {reason}")]
    InvalidConfig {
        /// The configuration key.
        key: &'static str,
        /// Why the value cannot be used.
        reason: String,
    },
}
