//! The chaff record: the one wire contract between stages.
//!
//! # Brief overview
//!
//! Every stage reads and writes [`Record`]s, one JSON object a line (see the crate README for
//! every field). This crate holds the type, a streaming [`RecordReader`] that names the file and
//! line of every bad line, a [`JsonlWriter`], code-point offset helpers for [`Span`]s,
//! [`rebuild_original`] to undo a record's edits, and the [`RecordStage`] trait that per-record
//! stages implement.
//!
//! # Example
//!
//! ```
//! use chaff_record::{JsonlWriter, ReadOptions, Record, RecordReader, Source};
//!
//! let mut out = JsonlWriter::new(Vec::new());
//! out.write(&Record::new("doc-1", "Hello.", Source { path: "a.txt".into(), ..Source::default() }))
//!     .unwrap();
//! let bytes = out.finish().unwrap();
//!
//! let back: Vec<Record> = RecordReader::new(&bytes[..], "memory", ReadOptions::default())
//!     .collect::<Result<_, _>>()
//!     .unwrap();
//! assert_eq!(back[0].id, "doc-1");
//! ```

mod encode;
mod error;
mod jsonl;
pub mod offsets;
mod rebuild;
mod record;
pub mod spill;
mod stage;

pub use error::Error;
pub use jsonl::{
    DEFAULT_MAX_LINE_BYTES, JsonlWriter, Line, LineReader, OnError, ReadOptions, RecordReader,
    encode_record, parse_record,
};
pub use rebuild::{rebuild_original, undo_stage};
pub use record::{
    Cluster, Dedup, DedupMethod, DedupStatus, Dropped, Edit, Quarantined, Record, SCHEMA_VERSION,
    SharedSentence, SharedWith, Source, Span,
};
pub use stage::RecordStage;
