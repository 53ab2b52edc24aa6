//! The chaff dedup stage: exact and near-duplicate documents, repeated paragraphs, shared
//! sentences — the one barrier of the pipeline.
//!
//! # Brief overview
//!
//! Dedup runs in two passes over the same records in the same order, holding only compact
//! fingerprints in between:
//!
//! 1. [`signature`] (pure, run in parallel) turns a record into a [`Signature`]: a 64-bit hash
//!    of the normalised text, a MinHash signature of its word 5-gram shingles, a hash per
//!    paragraph and a set of word 3-gram hashes per sentence. [`Index::insert`] takes them in
//!    input order.
//! 2. [`Index::finish`] decides everything: exact copies (same hash), near duplicates
//!    (MinHash-LSH candidates verified against the threshold, joined with union-find, clusters
//!    checked against their representative), repeated and boilerplate paragraphs, and sentences
//!    shared between kept documents. The result is a [`Plan`].
//! 3. [`Plan::apply`] (pure, run in parallel) writes the verdict into each record: duplicates
//!    are dropped naming what they duplicate and how similar they are; repeated paragraphs are
//!    cut, each cut logged as an edit; shared sentences are annotated.
//!
//! # Example
//!
//! Two passes over the same JSON lines: signatures into the index, then the plan applied to
//! each record in the same order.
//!
//! ```
//! use chaff_record::{JsonlWriter, ReadOptions, RecordReader};
//!
//! let input = concat!(
//!     r#"{"id":"a","text":"The two ministers met in the eastern city on Wednesday to discuss the war.","source":{"path":"a"},"schema_version":1}"#, "\n",
//!     r#"{"id":"b","text":"THE TWO MINISTERS MET IN THE EASTERN CITY ON WEDNESDAY TO DISCUSS THE WAR.","source":{"path":"b"},"schema_version":1}"#, "\n",
//! );
//! let read = || RecordReader::new(input.as_bytes(), "input.jsonl", ReadOptions::default());
//! let config = chaff_dedup::Config::default();
//! config.validate()?;
//!
//! // Pass 1: signatures (pure; compute them in parallel if you like), inserted in input order.
//! let mut index = chaff_dedup::Index::new(&config);
//! for (ordinal, record) in read().enumerate() {
//!     let record = record?;
//!     index.insert(ordinal as u64, &record.id, chaff_dedup::signature(&config, &record));
//! }
//! // The barrier. Pairs estimated near the threshold are decided by their exact Jaccard
//! // similarity: the index asks for those documents' shingle sets (a second look at them).
//! let plan = index.finish_with(|wanted| -> Result<_, chaff_record::Error> {
//!     let mut sets = Vec::new();
//!     for (ordinal, record) in read().enumerate() {
//!         if wanted.binary_search(&(ordinal as u64)).is_ok() {
//!             sets.push(chaff_dedup::shingle_set(&config, &record?));
//!         }
//!     }
//!     Ok(sets)
//! })?;
//!
//! // Pass 2: the same records through the plan, written out.
//! let mut out = JsonlWriter::new(Vec::new());
//! for (ordinal, record) in read().enumerate() {
//!     out.write(&plan.apply(ordinal as u64, record?))?;
//! }
//! let written = String::from_utf8(out.finish()?)?;
//! assert!(written.lines().nth(1).unwrap().contains(r#""duplicate_of":"a""#));
//! assert_eq!(plan.summary().n_exact_duplicates, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`dedup_all`] does both passes over records held in memory.

mod error;
mod fast_hash;
mod minhash;
mod shard;
mod tokens;
mod union_find;

use chaff_record::{Record, offsets::ByteCursor};
use serde::{Deserialize, Serialize};

pub use error::Error;
pub use minhash::{
    Permutations, band_hash, candidate_probability, estimated_jaccard, exact_jaccard,
};
pub use shard::ShardedIndex;
pub use union_find::UnionFind;

/// Configuration of dedup; every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Drop exact copies (same text after folding case and white space). Default true.
    pub exact: bool,
    /// Find near duplicates with MinHash-LSH. Default true.
    pub near: bool,
    /// Words per shingle. Default 5.
    pub shingle_words: usize,
    /// LSH bands. Default 14.
    pub bands: usize,
    /// Rows (hashes) per band; `bands × rows` hashes in all. Default 8.
    pub rows: usize,
    /// Seed of the hash permutations. Default 1.
    pub seed: u64,
    /// A candidate pair is joined when its estimated Jaccard similarity reaches this. Default 0.8.
    pub threshold: f64,
    /// Which member of a cluster is kept: `earliest` (first in input order) or `longest`.
    /// Default `earliest`.
    pub keep: KeepPolicy,
    /// Members of one LSH bucket compared with each other at most (the rest are compared with
    /// the bucket's first member only), so one huge bucket cannot make the work quadratic.
    /// Default 64.
    pub max_bucket_pairs: usize,
    /// The most documents one near-duplicate cluster may hold (its representative included):
    /// a cap on how much one kept document can stand for, so that no single estimate decides
    /// the fate of a huge share of a corpus. Members past the cap (in input order) are not
    /// kept for that reason: they are grouped again around a representative of their own, as
    /// many times as needed, and each cluster that reached the cap is counted in the summary
    /// (`n_capped_clusters`, `n_cap_regrouped`) and named in the run's warnings. Exact copies
    /// are never capped (their texts are identical). 0 is no cap; otherwise at least 2.
    /// Default 10000.
    pub max_cluster_docs: usize,
    /// A member that does not reach the threshold against its cluster's representative still
    /// joins the cluster when it is a verified candidate pair (at or above the threshold) with a
    /// member that reached it directly: a near duplicate of a near duplicate of the kept
    /// document, never further (so a chain cannot grow a cluster, and every member is within
    /// Jaccard distance `2 × (1 − threshold)` of the kept document). Such a member names the
    /// kept document as `duplicate_of` and the member it verified against as `via`, with the
    /// similarity to `via`. false: the representative alone decides. Default true.
    pub join_through_members: bool,
    /// Also keep each document's set of shingle hashes, and verify candidates by their exact
    /// Jaccard similarity on those sets instead of the MinHash estimate (the estimate is still
    /// written to the audit file). Costs 8 bytes per distinct shingle in the index. Default
    /// false.
    pub exact_jaccard: bool,
    /// Candidate pairs whose MinHash estimate falls within this of `threshold` (either side,
    /// ends included: [`Config::is_borderline`]) are decided by the exact Jaccard of their
    /// shingle sets instead, so that the estimate's noise (a standard deviation of about 0.04
    /// near 0.8 with 112 hashes) neither drops a pair that is a near duplicate nor keeps one
    /// that is not. The sets are not kept in the
    /// index: the barrier asks for the borderline documents again
    /// ([`Index::finish_with`], [`ShardedIndex::finish_with`]; `chaff run` and `chaff dedup`
    /// read them back from their spill or input) and holds 8 bytes per distinct shingle of
    /// those documents only, while it decides. [`Index::finish`] alone does not ask, and
    /// decides by the estimate. 0 switches it off; ignored with `exact_jaccard`. Default 0.05.
    pub recheck_margin: f64,
    /// Remove paragraphs repeated across documents. Default true.
    pub paragraphs: bool,
    /// A repeated paragraph at least this long (characters) is removed from every document
    /// after the one holding its first copy. Default 100.
    pub min_paragraph_chars: usize,
    /// A paragraph found in at least this many documents is boilerplate and removed from all of
    /// them, whatever its length. 0 switches the rule off. Default 5.
    pub boilerplate_min_docs: usize,
    /// Annotate sentences that kept documents share. Default true.
    pub shared_sentences: bool,
    /// Words per n-gram of the shared-sentence measure. Default 3.
    pub sentence_ngram: usize,
    /// Sentences with fewer words are not compared. Default 6.
    pub min_sentence_words: usize,
    /// Two sentences are shared when their n-gram containment (shared n-grams over the smaller
    /// sentence's n-grams) reaches this. Default 0.5.
    pub sentence_threshold: f64,
    /// Quoted speech (text between quotation marks) with at least this many content words is
    /// also compared as a bag of content words, so that one quote rendered in two word orders
    /// is found. Default 5.
    pub min_quote_words: usize,
    /// Two quotes are shared when the content words they have in common, over the smaller
    /// quote's, reach this. Default 0.8.
    pub quote_threshold: f64,
    /// N-grams found in more sentences than this are too common to link sentences. Default 64.
    pub max_ngram_postings: usize,
    /// The sharded mode, for a corpus whose signatures do not fit in memory: every this many
    /// documents make a shard, whose fingerprints (signatures, and sorted runs of LSH bands,
    /// paragraphs and sentence n-grams) are written to `spill_dir` ([`ShardedIndex`]). The
    /// plan is the same as in memory. 0 keeps the whole index in memory ([`Index`]). Default 0.
    pub shard_docs: usize,
    /// Where the sharded mode writes its files. Unset: the pipeline's choice (the output
    /// directory for `chaff run`, the system's temporary directory for `chaff dedup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spill_dir: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            exact: true,
            near: true,
            shingle_words: 5,
            bands: 14,
            rows: 8,
            seed: 1,
            threshold: 0.8,
            keep: KeepPolicy::Earliest,
            max_bucket_pairs: 64,
            max_cluster_docs: 10_000,
            join_through_members: true,
            exact_jaccard: false,
            recheck_margin: 0.05,
            paragraphs: true,
            min_paragraph_chars: 100,
            boilerplate_min_docs: 5,
            shared_sentences: true,
            sentence_ngram: 3,
            min_sentence_words: 6,
            sentence_threshold: 0.5,
            min_quote_words: 5,
            quote_threshold: 0.8,
            max_ngram_postings: 64,
            shard_docs: 0,
            spill_dir: None,
        }
    }
}

/// The most hashes a signature may have (`bands × rows`).
pub const MAX_HASHES: usize = 4096;

impl Config {
    /// Whether a candidate estimated at `estimate` is decided by its shingle sets: within
    /// `recheck_margin` of the threshold, either side, the margin's ends included (an estimate
    /// is a whole number of hashes over their count, so it can fall on an end exactly: 84/112 is
    /// 0.75). Never when the margin is 0.
    pub fn is_borderline(&self, estimate: f64) -> bool {
        self.recheck_margin > 0.0 && (estimate - self.threshold).abs() <= self.recheck_margin + 1e-9
    }

    /// Checks that every value is in its range: `bands × rows` in `1..=MAX_HASHES` when `near`
    /// is on, `shingle_words` and `sentence_ngram` at least 1, thresholds in `[0, 1]`. The stage
    /// runs with any configuration without panicking (a near-duplicate pass without hashes
    /// finds nothing), but a pipeline should refuse one that fails here.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |key: &'static str, reason: String| Err(Error::InvalidConfig { key, reason });
        let n_hashes = self.bands.checked_mul(self.rows);
        if self.near && !n_hashes.is_some_and(|n| (1..=MAX_HASHES).contains(&n)) {
            return invalid(
                "bands",
                format!(
                    "× rows must be between 1 and {MAX_HASHES}, not {} × {}",
                    self.bands, self.rows
                ),
            );
        }
        if self.shingle_words == 0 {
            return invalid("shingle_words", "must be at least 1".to_owned());
        }
        if self.sentence_ngram == 0 {
            return invalid("sentence_ngram", "must be at least 1".to_owned());
        }
        if self.max_cluster_docs == 1 {
            return invalid(
                "max_cluster_docs",
                "must be 0 (no cap) or at least 2".to_owned(),
            );
        }
        for (key, value) in [
            ("threshold", self.threshold),
            ("recheck_margin", self.recheck_margin),
            ("sentence_threshold", self.sentence_threshold),
            ("quote_threshold", self.quote_threshold),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return invalid(key, format!("must be between 0 and 1, not {value}"));
            }
        }
        Ok(())
    }
}

/// Hashes in a signature: `bands × rows`, capped at [`MAX_HASHES`] so that a configuration
/// that was not validated cannot exhaust memory.
fn n_hashes(config: &Config) -> usize {
    config.bands.saturating_mul(config.rows).min(MAX_HASHES)
}

/// Which member of a near-duplicate cluster is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepPolicy {
    /// The first in input order.
    Earliest,
    /// The one with the most text (ties: the earliest).
    Longest,
}

/// A document's fingerprints: all dedup keeps of it between the passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    exact: u64,
    n_chars: u32,
    minhash: Vec<u32>,
    /// The sorted, distinct shingle hashes, kept only when `exact_jaccard` is asked for.
    shingles: Vec<u64>,
    text: TextPrint,
}

/// The paragraph and sentence fingerprints of a document (levels 3 and 4). The sharded mode
/// writes them to disk as sorted runs with the document-level fingerprints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TextPrint {
    paragraphs: Vec<(u64, u32)>,
    sentences: Vec<Vec<u32>>,
    /// The paragraph each sentence stands in, so that sentences of cut paragraphs are not
    /// annotated as shared.
    sentence_paragraphs: Vec<u32>,
    quotes: Vec<(u32, Vec<u32>)>,
}

impl TextPrint {
    /// Heap bytes it holds (not counting its own inline size).
    fn heap_bytes(&self) -> usize {
        self.paragraphs.len() * 16
            + self
                .sentences
                .iter()
                .map(|s| s.len() * 4 + std::mem::size_of::<Vec<u32>>())
                .sum::<usize>()
            + self.sentence_paragraphs.len() * 4
            + self
                .quotes
                .iter()
                .map(|q| q.1.len() * 4 + std::mem::size_of::<(u32, Vec<u32>)>())
                .sum::<usize>()
    }
}

impl Signature {
    /// Bytes this signature occupies in the index (heap and inline).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Signature>()
            + self.minhash.len() * 4
            + self.shingles.len() * 8
            + self.text.heap_bytes()
    }
}

/// Computes a record's signature. Pure: run it in parallel.
pub fn signature(config: &Config, record: &Record) -> Signature {
    // The permutations depend only on the hash count and the seed: each thread keeps the last
    // ones it drew instead of drawing them again for every document.
    thread_local! {
        static PERMUTATIONS: std::cell::RefCell<Option<(usize, u64, Permutations)>> =
            const { std::cell::RefCell::new(None) };
    }
    let n = n_hashes(config);
    PERMUTATIONS.with(|cell| {
        let mut cached = cell.borrow_mut();
        if !matches!(&*cached, Some((cached_n, seed, _)) if *cached_n == n && *seed == config.seed)
        {
            *cached = Some((n, config.seed, Permutations::new(n, config.seed)));
        }
        match &*cached {
            Some((_, _, permutations)) => signature_with(config, permutations, record),
            None => signature_with(config, &Permutations::new(n, config.seed), record),
        }
    })
}

/// Vectors a thread reuses from one document to the next (each as long as the longest document
/// it has seen needs): the words, their hashes and the shingles. Allocating them anew for each
/// document cost more than filling them: a long document's words take a large block, which the
/// allocator hands back to the system and must then get again, page by page.
#[derive(Default)]
struct Scratch {
    words: Vec<tokens::Word>,
    hashes: Vec<u64>,
    exact: Vec<u64>,
    shingles: Vec<u64>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl Scratch {
    /// Vectors of more entries than this are let go after the document (a few huge documents
    /// must not hold their memory for the rest of the run): at most 32 MiB of words a thread.
    const KEEP: usize = 1 << 20;

    fn trim(&mut self) {
        if self.words.capacity() > Self::KEEP {
            self.words = Vec::new();
        }
        for vector in [&mut self.hashes, &mut self.exact, &mut self.shingles] {
            if vector.capacity() > Self::KEEP {
                *vector = Vec::new();
            }
        }
    }
}

impl Scratch {
    /// Runs `f` with this thread's scratch, trimmed after.
    fn with<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => {
                let out = f(&mut scratch);
                scratch.trim();
                out
            }
            // Never in practice (nothing here calls back into itself); a fresh one is as good.
            Err(_) => f(&mut Scratch::default()),
        })
    }

    /// The record's words into `words`, and their hashes into `hashes`.
    fn read(&mut self, record: &Record) {
        tokens::word_hashes_into(record, &mut self.words);
        self.hashes.clear();
        self.hashes.extend(self.words.iter().map(|w| w.hash));
    }
}

fn signature_with(config: &Config, permutations: &Permutations, record: &Record) -> Signature {
    Scratch::with(|scratch| signature_in(config, permutations, record, scratch))
}

fn signature_in(
    config: &Config,
    permutations: &Permutations,
    record: &Record,
    scratch: &mut Scratch,
) -> Signature {
    scratch.read(record);
    let Scratch {
        words,
        hashes,
        exact: exact_hashes,
        shingles: all_shingles,
    } = scratch;
    let words = &words[..];
    let exact = if config.exact {
        exact_hashes.clear();
        exact_hashes.extend(words.iter().map(|w| w.exact));
        tokens::hash_words(exact_hashes)
    } else {
        0
    };
    let (minhash, shingles) = if config.near {
        tokens::shingles_into(hashes, config.shingle_words, all_shingles);
        let minhash = permutations.signature(all_shingles);
        let shingles = if config.exact_jaccard {
            let mut shingles = all_shingles.clone();
            distinct(&mut shingles);
            shingles
        } else {
            Vec::new()
        };
        (minhash, shingles)
    } else {
        (Vec::new(), Vec::new())
    };
    let text = record.text.as_str();
    let mut paragraphs = Vec::new();
    if config.paragraphs {
        let spans = tokens::spans_or(record, "paragraphs", tokens::fallback_paragraphs);
        let mut cursor = ByteCursor::new(text);
        let mut word_at = 0;
        for span in spans {
            let (Some(start), Some(end)) =
                (cursor.byte_offset(span.start), cursor.byte_offset(span.end))
            else {
                continue;
            };
            let in_paragraph = words_between(words, &mut word_at, start, end);
            // A paragraph with no words (a rule of dashes) is never a duplicate worth a cut.
            let hash = if in_paragraph.is_empty() {
                0
            } else {
                let exact: Vec<u64> = in_paragraph.iter().map(|w| w.exact).collect();
                tokens::hash_words(&exact)
            };
            paragraphs.push((hash, span.len() as u32));
        }
    }
    let mut sentences = Vec::new();
    let mut sentence_paragraphs = Vec::new();
    let mut quotes = Vec::new();
    if config.shared_sentences {
        let spans = tokens::spans_or(record, "sentences", tokens::fallback_sentences);
        let paragraph_spans = tokens::spans_or(record, "paragraphs", tokens::fallback_paragraphs);
        let mut paragraph = 0usize;
        for span in &spans {
            while paragraph + 1 < paragraph_spans.len()
                && paragraph_spans[paragraph].end <= span.start
            {
                paragraph += 1;
            }
            sentence_paragraphs.push(paragraph as u32);
        }
        let mut cursor = ByteCursor::new(text);
        let mut word_at = 0;
        for span in spans {
            let (Some(start), Some(end)) =
                (cursor.byte_offset(span.start), cursor.byte_offset(span.end))
            else {
                sentences.push(Vec::new());
                continue;
            };
            if start > end {
                sentences.push(Vec::new());
                continue;
            }
            let in_sentence = words_between(words, &mut word_at, start, end);
            let quote = tokens::quoted_content_words(text, start, end, in_sentence);
            if quote.len() >= config.min_quote_words {
                quotes.push((sentences.len() as u32, quote));
            }
            if in_sentence.len() < config.min_sentence_words {
                sentences.push(Vec::new());
                continue;
            }
            let sentence_hashes: Vec<u64> = in_sentence.iter().map(|w| w.hash).collect();
            let mut grams: Vec<u32> = tokens::shingles(&sentence_hashes, config.sentence_ngram)
                .into_iter()
                .map(|h| h as u32)
                .collect();
            grams.sort_unstable();
            grams.dedup();
            sentences.push(grams);
        }
    }
    Signature {
        exact,
        n_chars: chaff_record::offsets::char_len(text).min(u32::MAX as usize) as u32,
        minhash,
        shingles,
        text: TextPrint {
            paragraphs,
            sentences,
            sentence_paragraphs,
            quotes,
        },
    }
}

/// A record's shingle set as the exact Jaccard similarity compares it: the hashes of its
/// normalised word `shingle_words`-grams, sorted, without repeats. What a caller of
/// [`Index::finish_with`] gives back for each document the barrier asks for. Pure: run it in
/// parallel.
pub fn shingle_set(config: &Config, record: &Record) -> Vec<u64> {
    Scratch::with(|scratch| {
        scratch.read(record);
        let mut shingles = tokens::shingles(&scratch.hashes, config.shingle_words);
        distinct(&mut shingles);
        shingles
    })
}

/// The [`shingle_set`]s of the records at the ordinals `wanted`, in that order, for a caller
/// of [`Index::finish_with`] that holds the records in memory, each at the position of its
/// ordinal (an ordinal past the end gives an empty set). In parallel.
pub fn shingle_sets(config: &Config, records: &[Record], wanted: &[u64]) -> Vec<Vec<u64>> {
    use rayon::prelude::*;
    wanted
        .par_iter()
        .map(|&ordinal| {
            usize::try_from(ordinal)
                .ok()
                .and_then(|i| records.get(i))
                .map(|record| shingle_set(config, record))
                .unwrap_or_default()
        })
        .collect()
}

/// Sorts shingle hashes and removes repeats.
fn distinct(shingles: &mut Vec<u64>) {
    sort_hashes(shingles);
    shingles.dedup();
    shingles.shrink_to_fit();
}

/// Sorts 64-bit hashes, which are spread evenly: dealt into buckets by their top bits (a
/// counting sort), then each bucket, of a few hashes, sorted on its own. About half the
/// instructions of a comparison sort for the few hundred to few thousand shingles of a
/// document. A bucket that is not small (hashes made to share their top bits) is sorted by
/// comparison, so the worst case stays `n log n`.
fn sort_hashes(hashes: &mut Vec<u64>) {
    let n = hashes.len();
    if n < 64 || u32::try_from(n).is_err() {
        hashes.sort_unstable();
        return;
    }
    // 2^bits buckets, between a quarter of `n` and half of it: two to four hashes a bucket.
    let bits = usize::BITS - (n - 1).leading_zeros() - 2;
    let shift = 64 - bits;
    let bucket = |hash: u64| (hash >> shift) as usize;
    // `starts[b]` is where bucket `b` begins once the counts are summed.
    let mut starts = vec![0u32; (1 << bits) + 1];
    for &hash in hashes.iter() {
        starts[bucket(hash) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut sorted = vec![0u64; n];
    let mut next = starts.clone();
    for &hash in hashes.iter() {
        let at = &mut next[bucket(hash)];
        sorted[*at as usize] = hash;
        *at += 1;
    }
    for pair in starts.windows(2) {
        let run = &mut sorted[pair[0] as usize..pair[1] as usize];
        if run.len() <= 16 {
            insertion_sort(run);
        } else {
            run.sort_unstable();
        }
    }
    *hashes = sorted;
}

fn insertion_sort(run: &mut [u64]) {
    for i in 1..run.len() {
        let value = run[i];
        let mut j = i;
        while j > 0 && run[j - 1] > value {
            run[j] = run[j - 1];
            j -= 1;
        }
        run[j] = value;
    }
}

/// The words whose byte ranges fall in `[start, end)`; `word_at` moves forward.
fn words_between<'a>(
    words: &'a [tokens::Word],
    word_at: &mut usize,
    start: usize,
    end: usize,
) -> &'a [tokens::Word] {
    while *word_at < words.len() && words[*word_at].start < start {
        *word_at += 1;
    }
    let first = *word_at;
    let mut i = first;
    while i < words.len() && words[i].end <= end {
        i += 1;
    }
    *word_at = i;
    &words[first..i]
}

/// The signatures of a corpus, inserted in input order.
///
/// An exact copy (its exact hash already held by an earlier document, `exact` on) is known the
/// moment it comes in, and nothing the plan decides reads more of it than that: it is dropped
/// whatever its other fingerprints say, and it takes part in no band, paragraph or sentence
/// comparison. So only its exact hash and length are kept. A corpus that is mostly copies
/// then costs the barrier (its memory and its sorts of the bands, paragraphs and sentence
/// n-grams) what its distinct documents cost, and the plan is the same.
#[derive(Debug, Clone)]
pub struct Index {
    config: Config,
    ordinals: Vec<u64>,
    ids: Vec<String>,
    signatures: Vec<Signature>,
    /// The hash of the empty text, which is never an exact copy of anything.
    empty_hash: u64,
    /// The first document (its position) to hold each exact hash.
    first_of: fast_hash::HashMap<u64, u32>,
    /// Every exact copy, `(position, first holder)`, in input order.
    copies: Vec<(u32, u32)>,
}

impl Index {
    /// An empty index.
    pub fn new(config: &Config) -> Index {
        Index {
            config: config.clone(),
            ordinals: Vec::new(),
            ids: Vec::new(),
            signatures: Vec::new(),
            empty_hash: tokens::hash_words(&[]),
            first_of: fast_hash::HashMap::default(),
            copies: Vec::new(),
        }
    }

    /// Adds a document. `ordinal` is its position in the stream, the same in both passes;
    /// documents must come in increasing order.
    pub fn insert(&mut self, ordinal: u64, id: &str, signature: Signature) {
        let pos = self.signatures.len() as u32;
        let mut signature = signature;
        if self.config.exact && signature.exact != self.empty_hash {
            match self.first_of.entry(signature.exact) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    self.copies.push((pos, *first.get()));
                    signature = Signature {
                        exact: signature.exact,
                        n_chars: signature.n_chars,
                        minhash: Vec::new(),
                        shingles: Vec::new(),
                        text: TextPrint::default(),
                    };
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(pos);
                }
            }
        }
        self.ordinals.push(ordinal);
        self.ids.push(id.to_owned());
        self.signatures.push(signature);
    }

    /// Bytes the index holds per document, on average: signatures, ids and bookkeeping.
    pub fn bytes_per_doc(&self) -> f64 {
        if self.signatures.is_empty() {
            return 0.0;
        }
        self.total_bytes() as f64 / self.signatures.len() as f64
    }

    /// Bytes the index holds: signatures, ids, ordinals and the exact-copy table.
    fn total_bytes(&self) -> usize {
        self.signatures.iter().map(Signature::bytes).sum::<usize>()
            + self
                .ids
                .iter()
                .map(|id| id.len() + std::mem::size_of::<String>())
                .sum::<usize>()
            + self.ordinals.len() * 8
            // A table slot is the entry and a control byte.
            + self.first_of.capacity() * (std::mem::size_of::<(u64, u32)>() + 1)
            + self.copies.len() * std::mem::size_of::<(u32, u32)>()
    }

    /// Decides every verdict by the signatures alone (the MinHash estimate, or the exact
    /// Jaccard with `exact_jaccard`). This is the barrier: call it once all documents are in.
    pub fn finish(self) -> Plan {
        let Ok(plan) =
            plan::build_in_memory(self, |_| Ok::<_, std::convert::Infallible>(Vec::new()));
        plan
    }

    /// Decides every verdict, deciding the candidate pairs estimated within
    /// `Config::recheck_margin` of the threshold by their exact Jaccard similarity: `recheck`
    /// gets the ordinals (ascending) of the documents in such pairs and returns each one's
    /// [`shingle_set`], in that order (the caller holds the records: a second look at a
    /// spill file or the input). It is called at most once, and not at all when no pair is
    /// borderline. This is the barrier: call it once all documents are in.
    pub fn finish_with<E>(
        self,
        recheck: impl FnOnce(&[u64]) -> Result<Vec<Vec<u64>>, E>,
    ) -> Result<Plan, E> {
        plan::build_in_memory(self, recheck)
    }
}

mod plan;

pub use plan::{CandidatePair, ClusterSummary, Plan, Summary};

/// Runs both passes over records held in memory: for tests and small corpora.
pub fn dedup_all(config: &Config, records: Vec<Record>) -> (Vec<Record>, Summary) {
    use rayon::prelude::*;
    let permutations = Permutations::new(n_hashes(config), config.seed);
    // Signatures in parallel; `collect` keeps input order, so the index (and everything decided
    // from it) is the same at any thread count.
    let signatures: Vec<Option<Signature>> = records
        .par_iter()
        .map(|record| (!record.is_dropped()).then(|| signature_with(config, &permutations, record)))
        .collect();
    let mut index = Index::new(config);
    for (ordinal, (record, signature)) in records.iter().zip(signatures).enumerate() {
        if let Some(signature) = signature {
            index.insert(ordinal as u64, &record.id, signature);
        }
    }
    let Ok(plan) = index.finish_with(|wanted| {
        Ok::<_, std::convert::Infallible>(shingle_sets(config, &records, wanted))
    });
    let records = records
        .into_par_iter()
        .enumerate()
        .map(|(ordinal, record)| plan.apply(ordinal as u64, record))
        .collect();
    (records, plan.summary())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bucket sort gives what a comparison sort gives: random hashes of many sizes, repeats,
    /// and hashes made to share their top bits (one big bucket).
    #[test]
    fn hashes_sort_as_a_comparison_sort_sorts_them() {
        let mut state = 9u64;
        let mut next = || minhash::splitmix64(&mut state);
        for n in [0, 1, 2, 63, 64, 65, 100, 1000, 4097, 20_000] {
            let random: Vec<u64> = (0..n).map(|_| next()).collect();
            let repeats: Vec<u64> = (0..n).map(|i| random[i / 3]).collect();
            let same_top: Vec<u64> = random.iter().map(|h| h >> 20).collect();
            let low_range: Vec<u64> = (0..n).map(|_| next() % 7).collect();
            for hashes in [random, repeats, same_top, low_range] {
                let mut expected = hashes.clone();
                expected.sort_unstable();
                let mut got = hashes;
                sort_hashes(&mut got);
                assert_eq!(got, expected, "{n}");
            }
        }
    }
}
