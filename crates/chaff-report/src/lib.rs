//! The chaff report stage: a run's final records and figures in, `report.json`, `report.md` and
//! `report.html` out.
//!
//! # Brief overview
//!
//! The report is built in one streaming pass: [`Builder::observe`] takes every final record
//! (kept or dropped) and keeps only counts and bounded samples, so memory does not grow with the
//! corpus: a few examples per rule, the first dropped ids and documents, the first
//! [`PAIRS_SHOWN`] duplicates beside their representatives (texts cut to [`PAIR_CHARS`]), and
//! the sentences the first [`SHARED_PAIRS_LISTED`] document pairs share. [`Builder::finish`]
//! joins them with the run's [`RunFigures`] (stage figures, quarantined inputs, the dedup
//! summary); [`Report::check_identity`] checks the accounting identity: every ingested document
//! is kept or dropped with a reason, and every stage's documents in equal its documents out plus
//! what it dropped.
//!
//! The page (`report.html`) shows the funnel as a table and an inline SVG chart, the rules with
//! examples, the dropped documents, the duplicate clusters with a side-by-side view of the first
//! pairs (shared word 5-grams marked), the similarity histogram, the who-quotes-whom matrix with
//! the shared sentences on demand, the first documents (sentences shaded, removals by rule) and
//! the run facts. Every list is capped; the rest is in `report.json`.
//!
//! # `report.json`
//!
//! The [`Report`] serialised; its fields are documented on the types. `schema_version`
//! ([`REPORT_SCHEMA_VERSION`]) changes when a field changes meaning. Version 2 added `pairs`
//! and `shared_sentences`, and the optional `paragraphs_out`/`sentences_out` of a stage.
//!
//! # Example
//!
//! ```
//! use chaff_record::{Record, Source};
//! use chaff_report::{Builder, RunFigures};
//!
//! let mut builder = Builder::new(&chaff_report::Config::default());
//! builder.observe(&Record::new("a", "Hello.", Source::default()));
//! let figures = RunFigures { n_ingested: 1, ..RunFigures::default() };
//! let report = builder.finish(figures);
//! assert!(report.check_identity().is_ok());
//! assert!(report.to_markdown().contains("| kept | 1 |"));
//! ```

mod dedup_view;
mod html;
mod markdown;
mod pairs;

pub use pairs::{DuplicatePair, PAIR_CHARS, PAIRS_SHOWN, SHARED_NGRAM_WORDS};

use std::collections::BTreeMap;

use chaff_record::{Quarantined, Record};
use serde::{Deserialize, Serialize};

/// The version of `report.json`'s layout; bumped when a field changes meaning.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// Configuration of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Examples of removed text kept per clean rule. Default 5.
    pub examples_per_rule: usize,
    /// Longest example kept, in characters; longer ones are cut with `…`. Default 240.
    pub example_chars: usize,
    /// Dropped documents listed by id in the report (the rest are counted). Default 200.
    pub listed_drops: usize,
    /// Documents shown whole in the HTML (text with sentence boundaries, removals, verdict),
    /// the first ones in input order. Default 20.
    pub documents_shown: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            examples_per_rule: 5,
            example_chars: 240,
            listed_drops: 200,
            documents_shown: 20,
        }
    }
}

/// What can go wrong with a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The run's totals do not add up: a stage lost or invented documents.
    #[error("accounting identity fails: {0}")]
    Identity(String),
}

/// Figures of one stage, measured by whoever ran it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageFigures {
    /// The stage's name.
    pub name: String,
    /// Documents the stage received (not already dropped).
    pub docs_in: u64,
    /// Bytes of text the stage received.
    pub bytes_in: u64,
    /// Documents the stage passed on.
    pub docs_out: u64,
    /// Bytes of text the stage passed on.
    pub bytes_out: u64,
    /// Documents the stage dropped, by reason.
    pub dropped: BTreeMap<String, u64>,
    /// Paragraph spans in the documents the stage passed on, when the runner counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paragraphs_out: Option<u64>,
    /// Sentence spans in the documents the stage passed on, when the runner counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentences_out: Option<u64>,
    /// Wall-clock seconds spent in the stage.
    pub seconds: f64,
}

impl StageFigures {
    /// Empty figures for `name`.
    pub fn new(name: &str) -> StageFigures {
        StageFigures {
            name: name.to_owned(),
            ..StageFigures::default()
        }
    }

    /// Throughput over the stage's input, in MB/s.
    pub fn mb_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes_in as f64 / 1e6 / self.seconds
        } else {
            0.0
        }
    }
}

/// Facts of the run that the records themselves do not carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFigures {
    /// chaff's version.
    pub version: String,
    /// The input paths as given.
    pub inputs: Vec<String>,
    /// The configuration used, as JSON.
    pub config: serde_json::Value,
    /// Documents ingest produced (every one must end kept or dropped).
    pub n_ingested: u64,
    /// Per-stage figures, in pipeline order.
    pub stages: Vec<StageFigures>,
    /// Inputs that could not be read as documents.
    pub quarantined: Vec<Quarantined>,
    /// The dedup stage's own summary, as it serialises it.
    pub dedup: serde_json::Value,
    /// Warnings raised during the run.
    pub warnings: Vec<String>,
    /// Wall-clock seconds for the whole run.
    pub wall_seconds: f64,
    /// Rayon threads used.
    pub threads: usize,
    /// The process's peak resident memory (bytes), when the platform tells it (Linux:
    /// `VmHWM` in `/proc/self/status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
}

/// Streams final records into counts and bounded examples.
#[derive(Debug, Clone)]
pub struct Builder {
    config: Config,
    totals: Totals,
    rules: BTreeMap<String, RuleFigures>,
    drops: Vec<DropEntry>,
    documents: Vec<DocumentView>,
    pairing: pairs::Pairing,
    shared: Vec<SharedSentences>,
    /// Indices into `shared` by the pair's earlier document.
    shared_by_a: std::collections::HashMap<String, Vec<usize>>,
}

/// Document pairs whose shared sentences the report lists, at most.
pub const SHARED_PAIRS_LISTED: usize = 200;
/// Shared sentences listed per document pair, at most.
pub const SHARED_SENTENCES_LISTED: usize = 3;

/// Sentences two kept documents share, as the earlier of the two holds them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SharedSentences {
    /// The earlier document (the one the sentences are quoted from).
    pub a: String,
    /// The later one.
    pub b: String,
    /// Up to [`SHARED_SENTENCES_LISTED`] of `a`'s sentences that `b` also holds (cut to the
    /// configured example length).
    pub sentences: Vec<String>,
}

/// One document as the HTML shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentView {
    /// The document.
    pub id: String,
    /// Its final text (cut to 20,000 characters).
    pub text: String,
    /// Sentence spans into `text` (code points).
    pub sentences: Vec<chaff_record::Span>,
    /// What the stages removed or rewrote: stage, rule, original text.
    pub removed: Vec<(String, String, String)>,
    /// Where each of `removed` stood in `text` (code points), when it can be placed: `None`
    /// for text inside a stretch a later stage removed, or past the cut.
    #[serde(default)]
    pub removed_at: Vec<Option<usize>>,
    /// The verdict: `kept`, or the stage and reason it was dropped for.
    pub verdict: String,
}

/// Document totals of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Documents ingested.
    pub ingested: u64,
    /// Documents seen by the report (kept + dropped).
    pub seen: u64,
    /// Documents kept.
    pub kept: u64,
    /// Bytes of text kept.
    pub kept_bytes: u64,
    /// Documents dropped, by `stage/reason`.
    pub dropped: BTreeMap<String, u64>,
    /// Inputs quarantined.
    pub quarantined: u64,
    /// Paragraph spans in kept documents.
    pub kept_paragraphs: u64,
    /// Sentence spans in kept documents.
    pub kept_sentences: u64,
}

/// What one clean (or dedup) rule removed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleFigures {
    /// The stage the rule belongs to.
    pub stage: String,
    /// Documents the rule edited.
    pub docs: u64,
    /// Edits made.
    pub edits: u64,
    /// Characters the rule removed (original minus replacement).
    pub chars_removed: i64,
    /// A few examples of the original text, in input order.
    pub examples: Vec<RuleExample>,
}

/// One example of a rule's edit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleExample {
    /// The document.
    pub id: String,
    /// The text the rule removed or replaced (cut to the configured length).
    pub original: String,
}

/// One dropped document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DropEntry {
    /// The document.
    pub id: String,
    /// The stage that dropped it.
    pub stage: String,
    /// Why.
    pub reason: String,
    /// For duplicates: what it duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// For duplicates: the similarity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
}

impl Builder {
    /// An empty builder.
    pub fn new(config: &Config) -> Builder {
        Builder {
            config: config.clone(),
            totals: Totals::default(),
            rules: BTreeMap::new(),
            drops: Vec::new(),
            documents: Vec::new(),
            pairing: pairs::Pairing::default(),
            shared: Vec::new(),
            shared_by_a: std::collections::HashMap::new(),
        }
    }

    /// Takes one final record into the counts. Call it in input order for deterministic
    /// examples.
    pub fn observe(&mut self, record: &Record) {
        self.totals.seen += 1;
        self.pairing.observe(record);
        self.observe_shared(record);
        if self.documents.len() < self.config.documents_shown {
            self.documents.push(document_view(record));
        }
        match &record.dropped {
            None => {
                self.totals.kept += 1;
                self.totals.kept_bytes += record.text.len() as u64;
                let count =
                    |name: &str| record.spans.get(name).map_or(0, |spans| spans.len() as u64);
                self.totals.kept_paragraphs += count("paragraphs");
                self.totals.kept_sentences += count("sentences");
            }
            Some(dropped) => {
                *self
                    .totals
                    .dropped
                    .entry(format!("{}/{}", dropped.stage, dropped.reason))
                    .or_default() += 1;
                if self.drops.len() < self.config.listed_drops {
                    let dedup = record.dedup.as_ref();
                    self.drops.push(DropEntry {
                        id: record.id.clone(),
                        stage: dropped.stage.clone(),
                        reason: dropped.reason.clone(),
                        duplicate_of: dedup.and_then(|d| d.duplicate_of.clone()),
                        similarity: dedup.and_then(|d| d.similarity),
                    });
                }
            }
        }
        let mut rules_in_doc: Vec<&str> = Vec::new();
        for edit in &record.edits {
            // Looked up by reference: a rule's name is allocated once, when first seen.
            if !self.rules.contains_key(&*edit.rule) {
                self.rules
                    .insert(edit.rule.to_string(), RuleFigures::default());
            }
            let Some(figures) = self.rules.get_mut(&*edit.rule) else {
                continue;
            };
            if figures.stage != edit.stage {
                figures.stage = edit.stage.to_string();
            }
            if !rules_in_doc.contains(&&*edit.rule) {
                rules_in_doc.push(&edit.rule);
                figures.docs += 1;
            }
            figures.edits += 1;
            figures.chars_removed += edit.original.chars().count() as i64 - edit.span.len() as i64;
            if figures.examples.len() < self.config.examples_per_rule
                && !edit.original.trim().is_empty()
            {
                figures.examples.push(RuleExample {
                    id: record.id.clone(),
                    original: cut(&edit.original, self.config.example_chars),
                });
            }
        }
    }

    /// Keeps the first sentences the first document pairs share, from the earlier document's
    /// side (its record comes first in input order).
    fn observe_shared(&mut self, record: &Record) {
        let Some(dedup) = record.dedup.as_ref() else {
            return;
        };
        if dedup.shared_sentences.is_empty() || record.is_dropped() {
            return;
        }
        if self.shared.len() >= SHARED_PAIRS_LISTED && !self.shared_by_a.contains_key(&record.id) {
            return;
        }
        for shared in &dedup.shared_sentences {
            for other in &shared.with {
                let listed = self.shared_by_a.get(&record.id).and_then(|listed| {
                    listed
                        .iter()
                        .copied()
                        .find(|&i| self.shared[i].b == other.id)
                });
                let index = match listed {
                    Some(index) => index,
                    None => {
                        // Pairs are listed from their earlier document's side; the later
                        // document finds its pair already there, under the other id.
                        let from_other_side =
                            self.shared_by_a.get(&other.id).is_some_and(|listed| {
                                listed.iter().any(|&i| self.shared[i].b == record.id)
                            });
                        if self.shared.len() >= SHARED_PAIRS_LISTED || from_other_side {
                            continue;
                        }
                        self.shared.push(SharedSentences {
                            a: record.id.clone(),
                            b: other.id.clone(),
                            sentences: Vec::new(),
                        });
                        let index = self.shared.len() - 1;
                        self.shared_by_a
                            .entry(record.id.clone())
                            .or_default()
                            .push(index);
                        index
                    }
                };
                let sentences = &mut self.shared[index].sentences;
                if sentences.len() < SHARED_SENTENCES_LISTED {
                    let text: String = record
                        .text
                        .chars()
                        .skip(shared.span.start)
                        .take(shared.span.len())
                        .collect();
                    sentences.push(cut(text.trim(), self.config.example_chars));
                }
            }
        }
    }

    /// Joins the counts with the run's figures.
    pub fn finish(self, figures: RunFigures) -> Report {
        let mut totals = self.totals;
        totals.ingested = figures.n_ingested;
        totals.quarantined = figures.quarantined.len() as u64;
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            totals,
            rules: self.rules,
            drops: self.drops,
            documents: self.documents,
            pairs: self.pairing.pairs,
            shared_sentences: self.shared,
            run: figures,
        }
    }
}

const DOCUMENT_CHARS: usize = 20_000;

fn document_view(record: &Record) -> DocumentView {
    let text = cut(&record.text, DOCUMENT_CHARS);
    let sentences = record
        .spans
        .get("sentences")
        .map(|spans| {
            spans
                .iter()
                .copied()
                .filter(|s| s.end <= DOCUMENT_CHARS)
                .collect()
        })
        .unwrap_or_default();
    let shown: Vec<(usize, &chaff_record::Edit)> = record
        .edits
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            !e.original.trim().is_empty() && e.rule != "whitespace" && e.rule != "hard_wrap"
        })
        .take(50)
        .collect();
    let removed = shown
        .iter()
        .map(|(_, e)| {
            (
                e.stage.to_string(),
                e.rule.to_string(),
                cut(&e.original, 400),
            )
        })
        .collect();
    let n_chars = record.text.chars().count().min(DOCUMENT_CHARS);
    let removed_at = shown
        .iter()
        .map(|&(index, e)| {
            position_in_final_text(&record.edits, index, e.span.start).filter(|&p| p <= n_chars)
        })
        .collect();
    let verdict = match &record.dropped {
        None => "kept".to_owned(),
        Some(d) => match record.dedup.as_ref().and_then(|d| d.duplicate_of.as_ref()) {
            Some(of) => format!("dropped by {}: {} of {of}", d.stage, d.reason),
            None => format!("dropped by {}: {}", d.stage, d.reason),
        },
    };
    DocumentView {
        id: record.id.clone(),
        text,
        sentences,
        removed,
        removed_at,
        verdict,
    }
}

/// Where position `at` of the text that `edits[index]`'s stage wrote lies in the final text:
/// the edits of every later stage move it (by what they removed or added before it), and one
/// that removed a stretch around it leaves it nowhere (`None`).
fn position_in_final_text(edits: &[chaff_record::Edit], index: usize, at: usize) -> Option<usize> {
    let stage = &edits[index].stage;
    let mut at = at;
    let mut k = index + 1;
    // Skip the rest of this stage's edits; then map through each later stage in turn.
    while k < edits.len() && &edits[k].stage == stage {
        k += 1;
    }
    while k < edits.len() {
        let later = &edits[k].stage;
        let start = k;
        while k < edits.len() && &edits[k].stage == later {
            k += 1;
        }
        let mut stage_edits: Vec<&chaff_record::Edit> = edits[start..k].iter().collect();
        stage_edits.sort_by_key(|e| e.span.start);
        // `shift`: output minus input length of the edits passed so far.
        let mut shift: i64 = 0;
        let mut mapped = None;
        for edit in stage_edits {
            let out_len = (edit.span.end - edit.span.start) as i64;
            let in_len = edit.original.chars().count() as i64;
            let in_start = edit.span.start as i64 - shift;
            let position = at as i64;
            if position < in_start {
                break;
            }
            if position < in_start + in_len || (position == in_start && in_len > 0) {
                if position == in_start {
                    // Right where the removal starts: the mark goes before it.
                    mapped = Some(edit.span.start);
                    break;
                }
                return None;
            }
            shift += out_len - in_len;
        }
        at = match mapped {
            Some(position) => position,
            None => usize::try_from(at as i64 + shift).ok()?,
        };
    }
    Some(at)
}

fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((byte, _)) => format!("{}…", &text[..byte]),
        None => text.to_owned(),
    }
}

/// The whole report, as written to `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Document totals.
    pub totals: Totals,
    /// Every rule that edited text, by name.
    pub rules: BTreeMap<String, RuleFigures>,
    /// Dropped documents, up to the configured number.
    pub drops: Vec<DropEntry>,
    /// The first documents, shown whole in the HTML.
    pub documents: Vec<DocumentView>,
    /// Dropped duplicates beside their representatives, for the first [`PAIRS_SHOWN`] clusters.
    pub pairs: Vec<DuplicatePair>,
    /// Sentences shared between kept documents, for the first [`SHARED_PAIRS_LISTED`] pairs.
    pub shared_sentences: Vec<SharedSentences>,
    /// The run's own figures.
    pub run: RunFigures,
}

impl Report {
    /// Checks that every ingested document is accounted for, overall and stage by stage.
    pub fn check_identity(&self) -> Result<(), Error> {
        let totals = &self.totals;
        let n_dropped: u64 = totals.dropped.values().sum();
        if totals.ingested != totals.kept + n_dropped {
            return Err(Error::Identity(format!(
                "{} documents ingested but {} kept + {} dropped = {}",
                totals.ingested,
                totals.kept,
                n_dropped,
                totals.kept + n_dropped
            )));
        }
        for stage in &self.run.stages {
            let stage_dropped: u64 = stage.dropped.values().sum();
            if stage.docs_in != stage.docs_out + stage_dropped {
                return Err(Error::Identity(format!(
                    "stage {}: {} documents in but {} out + {} dropped",
                    stage.name, stage.docs_in, stage.docs_out, stage_dropped
                )));
            }
        }
        for pair in self.run.stages.windows(2) {
            if pair[0].docs_out != pair[1].docs_in {
                return Err(Error::Identity(format!(
                    "stage {} passed on {} documents but stage {} received {}",
                    pair[0].name, pair[0].docs_out, pair[1].name, pair[1].docs_in
                )));
            }
        }
        Ok(())
    }

    /// `report.json`: every figure, pretty-printed.
    pub fn to_json(&self) -> String {
        // A report is plain data with string keys; encoding it cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"))
    }

    /// `report.md`: the summary a person reads in a terminal or a pull request.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// `report.html`: one self-contained page, no network, no external assets.
    pub fn to_html(&self) -> String {
        html::render(self)
    }
}
