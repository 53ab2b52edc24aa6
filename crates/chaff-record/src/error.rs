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
    /// A record holds a span that runs backwards or past the end of its text.
    #[error("{path}:{line}: {detail}")]
    Spans {
        /// The file.
        path: String,
        /// 1-based line number.
        line: u64,
        /// Which span, and the text's length.
        detail: String,
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

impl Error {
    /// The quarantine entry for an error that concerns one line of a JSON-lines file (a line
    /// that is not a record of this schema, or too long), naming the file and line, as `stage`
    /// gave up on it; `None` for an error that ends the read (I/O) or is not about input.
    pub fn quarantine(&self, stage: &str) -> Option<crate::Quarantined> {
        let (path, line, kind) = match self {
            Error::Json { path, line, .. } => (path, *line, "malformed_record"),
            Error::NoSchema { path, line } => (path, *line, "no_schema_version"),
            Error::Schema { path, line, .. } => (path, *line, "schema_version"),
            Error::LineTooLong { path, line, .. } => (path, *line, "line_too_long"),
            Error::Spans { path, line, .. } => (path, *line, "invalid_spans"),
            _ => return None,
        };
        // The whole chain: the JSON error says which field and column.
        let mut error = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            error.push_str(": ");
            error.push_str(&cause.to_string());
            source = cause.source();
        }
        Some(crate::Quarantined {
            source: crate::Source {
                path: path.clone(),
                line: Some(line),
                offset: None,
            },
            stage: stage.to_owned(),
            kind: kind.to_owned(),
            error,
        })
    }
}
