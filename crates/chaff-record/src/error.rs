use thiserror::Error;

/// What can go wrong reading, writing or undoing records.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A line is not a JSON record of this schema.
    #[error("{path}:{line}: malformed record")]
    Json {
        /// The file.
        path: String,
        /// 1-based line number.
        line: u64,
        /// The JSON error, with its column.
        #[source]
        source: serde_json::Error,
    },
    /// A line has no `schema_version`: it was not written by a chaff stage.
    #[error("{path}:{line}: no schema_version; run the file through `chaff ingest` first")]
    NoSchema {
        /// The file.
        path: String,
        /// 1-based line number.
        line: u64,
    },
    /// A line was written by another schema version.
    #[error(
        "{path}:{line}: schema_version {found} is not {expected}; records must come from `chaff ingest` of this version",
        expected = crate::SCHEMA_VERSION
    )]
    Schema {
        /// The file.
        path: String,
        /// 1-based line number.
        line: u64,
        /// The version found.
        found: u32,
    },
    /// A line is longer than the configured cap.
    #[error("{path}:{line}: line of {len} bytes exceeds the limit of {max} bytes")]
    LineTooLong {
        /// The file.
        path: String,
        /// 1-based line number.
        line: u64,
        /// The line's length in bytes.
        len: u64,
        /// The cap.
        max: usize,
    },
    /// Reading failed.
    #[error("{path}: read failed")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing failed.
    #[error("write failed")]
    Write {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A value could not be encoded as JSON.
    #[error("could not encode JSON")]
    Encode(#[source] serde_json::Error),
    /// A frame of a spill file does not hold a record (see [`crate::spill`]).
    #[error("spill frame {frame}: {detail}")]
    Spill {
        /// 1-based place of the frame in its file.
        frame: u64,
        /// What is wrong.
        detail: String,
    },
    /// A record's edits cannot be undone.
    #[error("record {id}: edits cannot be undone: {detail}")]
    Edits {
        /// The record's id.
        id: String,
        /// What is wrong with the edits.
        detail: String,
    },
}
