//! The errors of dedup.

/// What can go wrong in dedup. The stage itself never fails on a record (bad input is data);
/// a configuration that cannot work is an error, found by [`crate::Config::validate`], and so
/// is a spill file of the sharded mode ([`crate::ShardedIndex`]) that cannot be written or read
/// back as written.
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
    /// A spill file of the sharded mode could not be created, written or read.
    #[error("cannot {action} dedup spill file {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A spill file does not start with the magic and format version chaff writes.
    #[error("{path} is not a chaff dedup spill file of this version")]
    Foreign {
        /// The file.
        path: std::path::PathBuf,
    },
    /// A spill file is truncated or does not hold what its header announces.
    #[error("dedup spill file {path} is truncated or corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// What does not match.
        reason: String,
    },
    /// The sharded index cannot go on (an earlier shard was lost).
    #[error("the sharded dedup index failed: {reason}")]
    Spill {
        /// Why.
        reason: String,
    },
}
