//! The record type: one document, as it travels between stages.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The schema version this crate writes and the only one it reads.
///
/// Bump it when a field changes meaning; readers reject any other version with
/// [`crate::Error::Schema`] instead of guessing.
pub const SCHEMA_VERSION: u32 = 1;

/// One document.
///
/// Serialised as one JSON object on one line; see the crate README for every field and an
/// example. Fields that a stage has not filled yet are left out of the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Stable, unique identifier, derived by ingest from the source path and position.
    pub id: String,
    /// The document text. Clean rewrites it; every rewrite is logged in [`Record::edits`].
    pub text: String,
    /// Where the document came from.
    pub source: Source,
    /// Free-form facts found by ingest: `title`, `url`, `date`, `language`, and so on.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// Named lists of half-open `[start, end)` offsets into `text`, counted in Unicode code
    /// points: `paragraphs`, `sentences`, `words`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spans: BTreeMap<String, Vec<Span>>,
    /// Every removal or rewrite made to `text`, in the order the stages made them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<Edit>,
    /// The dedup stage's verdict and annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup: Option<Dedup>,
    /// Set when a stage dropped the document; later stages pass such records through untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<Dropped>,
    /// [`SCHEMA_VERSION`] of the writer. A line without it is rejected by the reader.
    #[serde(default)]
    pub schema_version: u32,
    /// Fields this version does not know, kept as they came and written back out.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Record {
    /// Checks that every span the record holds (`spans`, and dedup's shared sentences) runs
    /// forwards and ends inside `text`; the first that does not is described. Stages index the
    /// text by spans, so a record read from outside is checked once, when it is read
    /// ([`crate::parse_record`]).
    pub fn check_spans(&self) -> Result<(), String> {
        let n_chars = crate::offsets::char_len(&self.text);
        let bad = |span: &Span| span.start > span.end || span.end > n_chars;
        for (name, spans) in &self.spans {
            if let Some(span) = spans.iter().find(|span| bad(span)) {
                return Err(format!(
                    "span [{}, {}] of spans.{name} is not inside the text of {n_chars} characters",
                    span.start, span.end
                ));
            }
        }
        if let Some(dedup) = &self.dedup
            && let Some(shared) = dedup.shared_sentences.iter().find(|s| bad(&s.span))
        {
            return Err(format!(
                "span [{}, {}] of dedup.shared_sentences is not inside the text of {n_chars} characters",
                shared.span.start, shared.span.end
            ));
        }
        Ok(())
    }

    /// A fresh record, as ingest makes it: no spans, no edits, no verdicts.
    pub fn new(id: impl Into<String>, text: impl Into<String>, source: Source) -> Record {
        Record {
            id: id.into(),
            text: text.into(),
            source,
            metadata: Map::new(),
            spans: BTreeMap::new(),
            edits: Vec::new(),
            dedup: None,
            dropped: None,
            schema_version: SCHEMA_VERSION,
            extra: Map::new(),
        }
    }

    /// Whether a stage has dropped this document.
    pub fn is_dropped(&self) -> bool {
        self.dropped.is_some()
    }

    /// Marks the document as dropped by `stage` for `reason` (a short snake_case key).
    pub fn drop_with(&mut self, stage: &str, reason: &str, detail: Option<String>) {
        self.dropped = Some(Dropped {
            stage: stage.to_owned(),
            reason: reason.to_owned(),
            detail,
        });
    }
}

/// Where a document came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Source {
    /// The file path (as given on the command line, relative to the input root when a
    /// directory was given) or a URL.
    pub path: String,
    /// 1-based line number inside a JSON-lines container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Byte offset of the document inside a container file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(offset) = self.offset {
            write!(f, "@{offset}")?;
        }
        Ok(())
    }
}

/// A half-open range `[start, end)` of Unicode code points, written as `[start, end]`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(from = "[usize; 2]", into = "[usize; 2]")]
pub struct Span {
    /// First code point of the range.
    pub start: usize,
    /// One past the last code point of the range.
    pub end: usize,
}

impl Span {
    /// The span `[start, end)`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Number of code points covered.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span covers nothing.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

impl From<[usize; 2]> for Span {
    fn from([start, end]: [usize; 2]) -> Span {
        Span { start, end }
    }
}

impl From<Span> for [usize; 2] {
    fn from(span: Span) -> [usize; 2] {
        [span.start, span.end]
    }
}

/// One removal or rewrite of the text, enough to undo it.
///
/// `span` is where the replacement stands in the text *as the stage that made the edit left
/// it*; `original` is what stood there before. A pure removal has an empty span. Edits of one
/// stage never overlap and are sorted by `span.start`; see [`crate::rebuild_original`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    /// The stage that made the edit: `clean` or `dedup`. (Borrowed when it names a stage of
    /// this build, so that an edit costs one allocation, not three.)
    pub stage: Cow<'static, str>,
    /// The rule that made it, as named in the configuration (`html_comment`, `donation_appeal`).
    pub rule: Cow<'static, str>,
    /// Where the replacement stands in the stage's output text (code points).
    pub span: Span,
    /// The text that stood there before the edit.
    pub original: String,
    /// For repeated-paragraph removals: the id of the document that holds the first copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_copy: Option<String>,
}

/// The dedup stage's verdict on a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dedup {
    /// Kept, or dropped as a duplicate.
    pub status: DedupStatus,
    /// For a duplicate: the id of the kept document it duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// How the duplicate was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<DedupMethod>,
    /// Similarity to `duplicate_of` (1.0 for exact copies), by `method`'s measure; to `via`
    /// when `via` is set. For `minhash`, the Jaccard similarity of the two documents' word
    /// 5-gram sets: exact when the pair was decided by those sets (an estimate near the
    /// threshold, or dedup's `exact_jaccard`), else the MinHash estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// For a near duplicate that joined its cluster through another member rather than the kept
    /// document: that member (itself a duplicate of `duplicate_of`), against which the pair was
    /// verified and `similarity` measured. Unset when `similarity` is to `duplicate_of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The near-duplicate cluster the document belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Cluster>,
    /// Sentences of this document that also occur, exactly or nearly, in other documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_sentences: Vec<SharedSentence>,
}

/// Whether dedup kept a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupStatus {
    /// Kept: unique, or the representative of its cluster.
    Kept,
    /// Dropped as a duplicate of `duplicate_of`.
    Duplicate,
}

/// The method that found a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DedupMethod {
    /// Same normalised text (64-bit hash).
    Exact,
    /// MinHash-LSH candidate, verified against the similarity threshold.
    Minhash,
}

/// A near-duplicate cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// The cluster's id: the id of its representative.
    pub id: String,
    /// Number of documents in the cluster, the representative included.
    pub size: u64,
}

/// A sentence that other documents share, with who shares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedSentence {
    /// The sentence's span in this document's text.
    pub span: Span,
    /// The other documents, each with the sentence-level score.
    pub with: Vec<SharedWith>,
}

/// One other document holding a shared sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedWith {
    /// The other document's id.
    pub id: String,
    /// Similarity of the best-matching sentence there, in `[0, 1]`.
    pub score: f64,
}

/// Why a document was not carried forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    /// The stage that dropped it.
    pub stage: String,
    /// A short snake_case key: `too_short`, `empty_after_clean`, `duplicate`.
    pub reason: String,
    /// A sentence for people, when the key alone does not say enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An input that could not be read as documents, with the error.
///
/// Written to `quarantine.jsonl`, one a line. Quarantined inputs are never records: they have
/// no text to carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    /// The file (and line, for a JSON-lines container) that could not be read.
    pub source: Source,
    /// The stage that gave up on it.
    pub stage: String,
    /// A short snake_case key: `empty`, `binary`, `malformed_json`, `io`, `decompress`.
    pub kind: String,
    /// The error, as a sentence naming what was wrong.
    pub error: String,
}
