//! The barrier: from signatures to verdicts, and applying them to records.

use std::collections::BTreeMap;

use crate::fast_hash::{HashMap, HashSet};
use rayon::prelude::*;

use chaff_record::{
    Cluster, Dedup, DedupMethod, DedupStatus, Edit, Record, SharedSentence, SharedWith, Span,
    offsets::ByteCursor,
};
use serde::{Deserialize, Serialize};

use crate::minhash::{band_hash, estimated_jaccard, exact_jaccard};
use crate::{Config, Index, KeepPolicy, TextPrint, UnionFind, tokens};

/// What dedup decided about one indexed document.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    /// No other document is like it.
    Unique,
    /// The kept member of a cluster of `size` documents.
    Representative { size: u32 },
    /// A copy of `of`, the kept member of a cluster of `size` rooted at `cluster`, verified
    /// against `via` (`of` itself, or a member that verified against `of`) at `similarity`.
    Duplicate {
        of: u32,
        via: u32,
        method: DedupMethod,
        similarity: f32,
        cluster: u32,
        size: u32,
    },
}

/// One LSH candidate pair, as written to the audit file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidatePair {
    /// The earlier document.
    pub a: String,
    /// The later document.
    pub b: String,
    /// The first band in which they collided.
    pub band: u32,
    /// Jaccard similarity estimated from the full signatures.
    pub estimated_jaccard: f64,
    /// Jaccard similarity of the shingle sets, when `exact_jaccard` is on (then it, not the
    /// estimate, decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_jaccard: Option<f64>,
    /// Whether the pair reached the threshold and was joined.
    pub accepted: bool,
}

/// One member of a listed cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterMember {
    /// The dropped document.
    pub id: String,
    /// How it was found.
    pub method: DedupMethod,
    /// Its similarity to the representative, or to `via` when set.
    pub similarity: f64,
    /// The member it joined the cluster through, when it did not verify against the
    /// representative itself (`Config::join_through_members`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// A cluster of duplicates, as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// The kept document.
    pub representative: String,
    /// The dropped ones.
    pub members: Vec<ClusterMember>,
}

/// Two kept documents that share sentences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedPair {
    /// The earlier document.
    pub a: String,
    /// The later document.
    pub b: String,
    /// Sentences of `a` that `b` shares.
    pub sentences_a: u64,
    /// Sentences of `b` that `a` shares.
    pub sentences_b: u64,
}

/// Figures of a dedup run, for the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Documents indexed.
    pub n_docs: u64,
    /// Documents dropped as exact copies.
    pub n_exact_duplicates: u64,
    /// Documents dropped as near duplicates.
    pub n_near_duplicates: u64,
    /// Clusters of two or more documents (exact or near).
    pub n_clusters: u64,
    /// Documents in the largest cluster.
    pub largest_cluster: u64,
    /// Distinct LSH candidate pairs compared.
    pub n_candidate_pairs: u64,
    /// Candidate pairs at or above the threshold.
    pub n_verified_pairs: u64,
    /// Candidate pairs below it.
    pub n_rejected_pairs: u64,
    /// Documents joined to a cluster through others but not similar enough to its
    /// representative, and so split off and kept: the guard against giant transitive clusters.
    pub n_split_members: u64,
    /// Clusters that union-find formed but whose members did not all verify against the
    /// representative, and which were therefore split.
    pub n_split_clusters: u64,
    /// Members that did not verify against their representative but joined its cluster
    /// through a verified pair with a member that did (`Config::join_through_members`).
    #[serde(default)]
    pub n_linked_members: u64,
    /// Documents whose shingle sets were read again because a candidate pair of theirs was
    /// estimated within `Config::recheck_margin` of the threshold.
    #[serde(default)]
    pub n_rechecked_docs: u64,
    /// Pairs (candidates, or members and their representative) decided by the exact Jaccard
    /// of those sets instead of the estimate.
    #[serde(default)]
    pub n_rechecked_pairs: u64,
    /// Near-duplicate clusters that reached `max_cluster_docs` (each such cluster counted once
    /// per time its representative filled it).
    pub n_capped_clusters: u64,
    /// Documents past the cap of their cluster, grouped again around another representative.
    pub n_cap_regrouped: u64,
    /// The similarity threshold.
    pub threshold: f64,
    /// Estimated Jaccard of every candidate pair, in 20 bins of width 0.05 over [0, 1].
    pub similarity_histogram: Vec<u64>,
    /// Paragraphs removed, by rule.
    pub paragraphs_removed: BTreeMap<String, u64>,
    /// Sentence pairs found shared between kept documents.
    pub n_shared_sentence_pairs: u64,
    /// Document pairs sharing sentences (at most 1,000, most sentences first).
    pub shared_pairs: Vec<SharedPair>,
    /// Clusters (at most 1,000, in input order of their representatives).
    pub clusters: Vec<ClusterSummary>,
    /// Bytes the index held per document.
    pub index_bytes_per_doc: f64,
}

/// A paragraph to cut from a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cut {
    paragraph: u32,
    rule: &'static str,
    first_copy: u32,
}

/// Per document: each shared sentence (its index) with the other documents and scores.
type SharedSentences = HashMap<u32, Vec<(u32, Vec<(u32, f32)>)>>;

/// Everything dedup decided; [`Plan::apply`] writes it into records.
#[derive(Debug, Clone)]
pub struct Plan {
    config: Config,
    ordinals: Vec<u64>,
    ids: Vec<String>,
    verdicts: Vec<Verdict>,
    cuts: HashMap<u32, Vec<Cut>>,
    shared: SharedSentences,
    candidates: Vec<CandidatePair>,
    summary: Summary,
}

const MAX_LISTED: usize = 1000;

/// Rounds of regrouping the members split off a cluster (see `build`). 16 rounds bound the
/// work on a giant cluster to 16 passes over its members while still recovering the few real
/// clusters a chain usually strings together.
const MAX_SPLIT_ROUNDS: usize = 16;

/// Sentences whose overlaps are counted in parallel at a time (their pairs are held until
/// reported in order).
const OVERLAP_BATCH: usize = 8192;

/// Documents whose sentence entries one task builds.
const ENTRY_CHUNK: usize = 1024;

/// Where [`build`] reads fingerprints from: the in-memory [`Index`] or the shards on disk
/// (`crate::shard`). Both must give the same answers for the same documents, so that the plan
/// is the same whichever mode made it.
pub(crate) trait Store {
    /// What reading a fingerprint can fail with (never, in memory).
    type Error;
    /// A stream of one band's `(band hash, position)` entries in ascending order.
    type Band<'a>: BandStream<Self::Error>
    where
        Self: 'a;
    /// Documents indexed.
    fn n_docs(&self) -> usize;
    /// Bytes held in memory per document, for the summary.
    fn bytes_per_doc(&self) -> f64;
    /// Every document whose exact hash an earlier document holds, with the earliest holder
    /// (`(position, first)`, in any order). Empty texts (hash `empty_hash`) are left out.
    fn exact_copies(&mut self, empty_hash: u64) -> Result<Vec<(u32, u32)>, Self::Error>;
    /// Band `band`'s entries of every document with a non-empty MinHash signature.
    fn band(&self, band: usize) -> Result<Self::Band<'_>, Self::Error>;
    /// The estimated Jaccard similarity of two documents, and the exact one when
    /// `exact_jaccard` is on.
    fn similarity(&self, a: u32, b: u32) -> Result<(f64, Option<f64>), Self::Error>;
    /// The document's length in characters.
    fn n_chars(&self, pos: u32) -> Result<u32, Self::Error>;
    /// A stream of every paragraph with a non-zero hash, sorted.
    type Paragraphs<'a>: ParagraphStream<Self::Error>
    where
        Self: 'a;
    /// Every indexed paragraph (with words), in ascending order.
    fn paragraphs(&self) -> Result<Self::Paragraphs<'_>, Self::Error>;
    /// A stream of every sentence n-gram (or, with `quotes`, every quote word), sorted.
    type Sentences<'a>: SentenceStream<Self::Error>
    where
        Self: 'a;
    /// Every sentence n-gram hash, or with `quotes` every quoted content word, in ascending
    /// order. An entry whose hash no other entry has may be left out (it is shared with
    /// nothing).
    fn sentence_entries(&self, quotes: bool) -> Result<Self::Sentences<'_>, Self::Error>;
    /// What the shared-sentence counting works on (see [`overlap_input`]), from
    /// [`Store::sentence_entries`] unless the store has a quicker way to the same answer.
    fn sentence_overlaps(
        &self,
        quotes: bool,
        take: &dyn Fn(u32, u32) -> bool,
        max_postings: usize,
    ) -> Result<OverlapInput, Self::Error> {
        overlap_input(&mut self.sentence_entries(quotes)?, take, max_postings)
    }
}

/// One n-gram hash of a sentence (or one content word of its quote): the hash, the
/// document's position, the sentence's index, the paragraph it stands in (`u32::MAX` when
/// unknown) and how many hashes the sentence (or the quote) has.
pub(crate) type SentenceEntry = (u32, u32, u32, u32, u32);

/// Sentence entries sorted as tuples.
pub(crate) trait SentenceStream<E> {
    /// The next entry, or `None` at the end.
    fn next_sentence_entry(&mut self) -> Result<Option<SentenceEntry>, E>;
}

/// The sentence entries of the in-memory store, sorted in memory.
struct MemorySentences {
    /// `hash << 32 | number`, sorted.
    keys: std::vec::IntoIter<u64>,
    /// By number.
    rows: Vec<SentenceRow>,
}

impl SentenceStream<std::convert::Infallible> for MemorySentences {
    fn next_sentence_entry(&mut self) -> Result<Option<SentenceEntry>, std::convert::Infallible> {
        Ok(self.keys.next().and_then(|key| {
            let (pos, sentence, paragraph, length) = *self.rows.get(key as u32 as usize)?;
            Some(((key >> 32) as u32, pos, sentence, paragraph, length))
        }))
    }
}

/// The sentence entries of one document: its sentences' n-grams, or with `quotes` its quotes'
/// content words.
pub(crate) fn sentence_entries(pos: u32, text: &TextPrint, quotes: bool) -> Vec<SentenceEntry> {
    let mut entries = Vec::new();
    push_sentence_entries(&mut entries, pos, text, quotes);
    entries
}

/// [`sentence_entries`], appended to `entries`.
pub(crate) fn push_sentence_entries(
    entries: &mut Vec<SentenceEntry>,
    pos: u32,
    text: &TextPrint,
    quotes: bool,
) {
    for (sentence, paragraph, hashes) in sentence_units(text, quotes) {
        let length = hashes.len() as u32;
        entries.extend(
            hashes
                .iter()
                .map(|&hash| (hash, pos, sentence, paragraph, length)),
        );
    }
}

/// A document's sentences (or with `quotes` its quotes) in order, each as (sentence index,
/// paragraph it stands in or `u32::MAX`, its hashes).
fn sentence_units(text: &TextPrint, quotes: bool) -> impl Iterator<Item = (u32, u32, &[u32])> + '_ {
    let paragraph_of = |sentence: u32| {
        text.sentence_paragraphs
            .get(sentence as usize)
            .copied()
            .unwrap_or(u32::MAX)
    };
    let quoted = text
        .quotes
        .iter()
        .filter(move |_| quotes)
        .map(|(sentence, words)| (*sentence, words.as_slice()));
    let whole = text
        .sentences
        .iter()
        .enumerate()
        .filter(move |_| !quotes)
        .map(|(sentence, grams)| (sentence as u32, grams.as_slice()));
    quoted
        .chain(whole)
        .map(move |(sentence, hashes)| (sentence, paragraph_of(sentence), hashes))
}

/// One paragraph: its hash, the document's position, the paragraph's index in the document,
/// its length in characters.
pub(crate) type ParagraphEntry = (u64, u32, u32, u32);

/// Paragraphs sorted by `(hash, position, index)`.
pub(crate) trait ParagraphStream<E> {
    /// The next paragraph, or `None` at the end.
    fn next_paragraph(&mut self) -> Result<Option<ParagraphEntry>, E>;
}

/// The paragraphs of the in-memory store, sorted in memory.
struct MemoryParagraphs {
    entries: std::vec::IntoIter<ParagraphEntry>,
}

impl ParagraphStream<std::convert::Infallible> for MemoryParagraphs {
    fn next_paragraph(&mut self) -> Result<Option<ParagraphEntry>, std::convert::Infallible> {
        Ok(self.entries.next())
    }
}

/// The paragraph entries of one document (paragraphs without words, hash 0, left out).
pub(crate) fn paragraph_entries(
    pos: u32,
    paragraphs: &[(u64, u32)],
) -> impl Iterator<Item = ParagraphEntry> + '_ {
    paragraphs
        .iter()
        .enumerate()
        .filter(|(_, (hash, _))| *hash != 0)
        .map(move |(k, &(hash, n_chars))| (hash, pos, k as u32, n_chars))
}

/// One band's entries, sorted by `(hash, position)`.
pub(crate) trait BandStream<E> {
    /// The next entry, or `None` at the end.
    fn next_entry(&mut self) -> Result<Option<(u64, u32)>, E>;
}

/// The in-memory store: the index's signatures.
struct MemoryStore {
    config: Config,
    signatures: Vec<crate::Signature>,
    /// The exact copies the index found as documents came in (`Index::insert`).
    copies: Vec<(u32, u32)>,
    bytes_per_doc: f64,
}

/// A band of the in-memory store: sorted in memory.
struct MemoryBand {
    entries: std::vec::IntoIter<(u64, u32)>,
}

impl BandStream<std::convert::Infallible> for MemoryBand {
    fn next_entry(&mut self) -> Result<Option<(u64, u32)>, std::convert::Infallible> {
        Ok(self.entries.next())
    }
}

impl Store for MemoryStore {
    type Error = std::convert::Infallible;
    type Band<'a> = MemoryBand;
    type Paragraphs<'a> = MemoryParagraphs;
    type Sentences<'a> = MemorySentences;

    fn n_docs(&self) -> usize {
        self.signatures.len()
    }

    fn bytes_per_doc(&self) -> f64 {
        self.bytes_per_doc
    }

    fn exact_copies(&mut self, _empty_hash: u64) -> Result<Vec<(u32, u32)>, Self::Error> {
        // Found as the documents came in (empty texts left out there too).
        Ok(std::mem::take(&mut self.copies))
    }

    fn band(&self, band: usize) -> Result<MemoryBand, Self::Error> {
        let mut entries: Vec<(u64, u32)> = self
            .signatures
            .iter()
            .enumerate()
            .filter(|(_, signature)| has_minhash(&signature.minhash))
            .map(|(pos, signature)| {
                (
                    band_hash(&signature.minhash, band, self.config.rows),
                    pos as u32,
                )
            })
            .collect();
        entries.sort_unstable();
        Ok(MemoryBand {
            entries: entries.into_iter(),
        })
    }

    fn similarity(&self, a: u32, b: u32) -> Result<(f64, Option<f64>), Self::Error> {
        let (a, b) = (&self.signatures[a as usize], &self.signatures[b as usize]);
        Ok((
            estimated_jaccard(&a.minhash, &b.minhash),
            self.config
                .exact_jaccard
                .then(|| exact_jaccard(&a.shingles, &b.shingles)),
        ))
    }

    fn n_chars(&self, pos: u32) -> Result<u32, Self::Error> {
        Ok(self.signatures[pos as usize].n_chars)
    }

    fn paragraphs(&self) -> Result<MemoryParagraphs, Self::Error> {
        let mut entries: Vec<ParagraphEntry> = self
            .signatures
            .iter()
            .enumerate()
            .flat_map(|(pos, signature)| paragraph_entries(pos as u32, &signature.text.paragraphs))
            .collect();
        entries.sort_unstable();
        Ok(MemoryParagraphs {
            entries: entries.into_iter(),
        })
    }

    fn sentence_entries(&self, quotes: bool) -> Result<MemorySentences, Self::Error> {
        let (keys, rows) = self.sentence_keys(quotes);
        Ok(MemorySentences {
            keys: keys.into_iter(),
            rows,
        })
    }

    /// The same answer as from the stream, without the stream: the runs are read off the
    /// sorted keys by sentence number, `take` is asked once per sentence, and the postings are
    /// put in sentence order by counting (the numbers are dense), never looked up or sorted
    /// as tuples.
    fn sentence_overlaps(
        &self,
        quotes: bool,
        take: &dyn Fn(u32, u32) -> bool,
        max_postings: usize,
    ) -> Result<OverlapInput, Self::Error> {
        let (keys, rows) = self.sentence_keys(quotes);
        let taken: Vec<bool> = rows
            .iter()
            .map(|&(pos, _, paragraph, _)| take(pos, paragraph))
            .collect();
        // The runs, as sentence numbers (ascending within a run), one run after another.
        let mut postings: Vec<u32> = Vec::new();
        let mut runs: Vec<(u32, u32)> = Vec::new();
        let mut i = 0;
        while i < keys.len() {
            let hash = keys[i] >> 32;
            let start = postings.len();
            let mut too_common = false;
            while i < keys.len() && keys[i] >> 32 == hash {
                let number = keys[i] as u32;
                if !too_common && taken[number as usize] {
                    if postings.len() - start == max_postings {
                        too_common = true;
                    } else {
                        postings.push(number);
                    }
                }
                i += 1;
            }
            let length = postings.len() - start;
            if too_common || length < 2 {
                postings.truncate(start);
            } else {
                runs.push((start as u32, length as u32));
            }
        }
        drop(keys);
        // Dense numbers for the sentences that hold a posting, in sentence-number order.
        let mut n_runs_of = vec![0u32; rows.len()];
        for &number in &postings {
            n_runs_of[number as usize] += 1;
        }
        let mut dense = vec![u32::MAX; rows.len()];
        let mut sentences: Vec<SentenceRef> = Vec::new();
        let mut run_offsets: Vec<u32> = Vec::new();
        let mut n_placed = 0u32;
        for (number, &n) in n_runs_of.iter().enumerate() {
            if n > 0 {
                dense[number] = sentences.len() as u32;
                let (pos, sentence, _, length) = rows[number];
                sentences.push((pos, sentence, length));
                run_offsets.push(n_placed);
                n_placed += n;
            }
        }
        run_offsets.push(n_placed);
        // Each sentence's runs in run order, which is hash order.
        let mut next_slot: Vec<u32> = run_offsets[..sentences.len()].to_vec();
        let mut sentence_runs = vec![(0u32, 0u32); postings.len()];
        for &(start, length) in &runs {
            let end = start + length;
            for (own, &number) in (start..end).zip(&postings[start as usize..end as usize]) {
                let slot = &mut next_slot[dense[number as usize] as usize];
                sentence_runs[*slot as usize] = (own + 1, end);
                *slot += 1;
            }
        }
        let numbers: Vec<u32> = postings
            .iter()
            .map(|&number| dense[number as usize])
            .collect();
        Ok(OverlapInput {
            sentences,
            run_offsets,
            runs: sentence_runs,
            numbers,
        })
    }
}

impl MemoryStore {
    /// Every sentence's (or quote's) row in (position, sentence) order, and its hashes as keys
    /// `hash << 32 | row number`, sorted.
    fn sentence_keys(&self, quotes: bool) -> (Vec<u64>, Vec<SentenceRow>) {
        // Each sentence (or quote) gets a number in (position, sentence) order and a row
        // `(position, sentence, paragraph, hashes)` in a table; each hash becomes one `u64`,
        // the hash above the sentence's number. A stable sort by the hash alone then gives the
        // entries in full tuple order, and moves 8 bytes an entry instead of 20.
        let units = |signature: &crate::Signature| {
            if quotes {
                signature.text.quotes.len()
            } else {
                signature.text.sentences.len()
            }
        };
        // Each document's first row (its first sentence's number) and first key, so that every run of
        // documents fills its own stretch of one table and one key vector, in parallel, with
        // nothing copied after.
        let mut first_row: Vec<usize> = Vec::with_capacity(self.signatures.len() + 1);
        let mut first_key: Vec<usize> = Vec::with_capacity(self.signatures.len() + 1);
        let (mut n_rows, mut n_keys) = (0usize, 0usize);
        for signature in &self.signatures {
            first_row.push(n_rows);
            first_key.push(n_keys);
            n_rows += units(signature);
            n_keys += sentence_units(&signature.text, quotes)
                .map(|(_, _, hashes)| hashes.len())
                .sum::<usize>();
        }
        first_row.push(n_rows);
        first_key.push(n_keys);
        let mut rows: Vec<SentenceRow> = vec![(0, 0, 0, 0); n_rows];
        let mut keys: Vec<u64> = vec![0; n_keys];
        // The stretches of each run of `ENTRY_CHUNK` documents.
        let mut stretches = Vec::with_capacity(self.signatures.len() / ENTRY_CHUNK + 1);
        let (mut rows_left, mut keys_left) = (&mut rows[..], &mut keys[..]);
        for from in (0..self.signatures.len()).step_by(ENTRY_CHUNK) {
            let to = (from + ENTRY_CHUNK).min(self.signatures.len());
            let (chunk_rows, rest_rows) = rows_left.split_at_mut(first_row[to] - first_row[from]);
            let (chunk_keys, rest_keys) = keys_left.split_at_mut(first_key[to] - first_key[from]);
            stretches.push((from, chunk_rows, chunk_keys));
            (rows_left, keys_left) = (rest_rows, rest_keys);
        }
        stretches
            .into_par_iter()
            .for_each(|(from, chunk_rows, chunk_keys)| {
                let units = (from..)
                    .zip(&self.signatures[from..])
                    .flat_map(|(pos, signature)| {
                        sentence_units(&signature.text, quotes).map(move |unit| (pos, unit))
                    });
                let mut key_slots = chunk_keys.iter_mut();
                for ((row, (pos, (sentence, paragraph, hashes))), number) in
                    chunk_rows.iter_mut().zip(units).zip(first_row[from]..)
                {
                    *row = (pos as u32, sentence, paragraph, hashes.len() as u32);
                    // The number is the row's index; a table of more than 2^32 sentences
                    // would not fit the keys' low half (nor memory).
                    let number = number as u64 & u64::from(u32::MAX);
                    // `hashes` first: `zip` asks its first iterator first, so no slot is taken
                    // past the sentence's last hash.
                    for (&hash, slot) in hashes.iter().zip(key_slots.by_ref()) {
                        *slot = u64::from(hash) << 32 | number;
                    }
                }
            });
        sort_by_hash_stable(&mut keys, |&key| (key >> 32) as u32);
        // Most n-grams occur once, and a hash no other entry has is never a shared one: those
        // are left out here, before their rows are looked up.
        let mut n_kept = 0;
        for i in 0..keys.len() {
            let hash = keys[i] >> 32;
            let shared = (i > 0 && keys[i - 1] >> 32 == hash)
                || keys.get(i + 1).is_some_and(|next| next >> 32 == hash);
            if shared {
                keys[n_kept] = keys[i];
                n_kept += 1;
            }
        }
        keys.truncate(n_kept);
        (keys, rows)
    }
}

/// A sentence (or a quote) of the in-memory store's table: `(document, sentence, paragraph,
/// number of hashes)`.
type SentenceRow = (u32, u32, u32, u32);

/// A sentence as `(document, sentence, number of hashes)`.
type SentenceRef = (u32, u32, u32);

/// A sentence's place in one hash's run: `(document, sentence, start and length of the run in
/// the postings, the posting's own place in them)`.
type Posting = (u32, u32, u32, u32, u32);

/// Sorts postings `(document, sentence, start, run length, own place)` into tuple order: a
/// counting sort by document (positions are dense), then each document's few postings by
/// sentence and start. Equal to `sort_unstable` (the tuples are distinct: the own place
/// differs between any two postings).
fn sort_by_sentence(postings: &mut Vec<Posting>) {
    let Some(max_pos) = postings.iter().map(|p| p.0).max() else {
        return;
    };
    let mut starts = vec![0usize; max_pos as usize + 2];
    for posting in postings.iter() {
        starts[posting.0 as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut sorted = vec![(0, 0, 0, 0, 0); postings.len()];
    let mut next = starts.clone();
    for &posting in postings.iter() {
        let slot = &mut next[posting.0 as usize];
        sorted[*slot] = posting;
        *slot += 1;
    }
    for window in starts.windows(2) {
        sorted[window[0]..window[1]].sort_unstable();
    }
    *postings = sorted;
}

/// Sorts entries by their first field (the hash), keeping the order of equal hashes, in time
/// linear in the number of entries (a comparison sort of the millions of sentence n-grams of a
/// corpus was the barrier's largest cost): a stable pass on the top 8 bits deals the entries
/// into 256 buckets, then each bucket is sorted on the low 24 bits by three LSD passes, the
/// buckets in parallel (a bucket is small enough to stay in cache).
pub(crate) fn sort_by_hash_stable<T: Copy + Default + Send>(
    entries: &mut [T],
    hash: impl Fn(&T) -> u32 + Sync,
) {
    if entries.len() < 4096 {
        entries.sort_by_key(&hash);
        return;
    }
    let mut starts = [0usize; 257];
    for entry in entries.iter() {
        starts[(hash(entry) >> 24) as usize + 1] += 1;
    }
    for i in 1..257 {
        starts[i] += starts[i - 1];
    }
    let mut dealt: Vec<T> = vec![T::default(); entries.len()];
    let mut next = starts;
    for &entry in entries.iter() {
        let bucket = (hash(&entry) >> 24) as usize;
        dealt[next[bucket]] = entry;
        next[bucket] += 1;
    }
    // Each bucket with its scratch space (the same stretch of `entries`).
    let mut pairs: Vec<(&mut [T], &mut [T])> = Vec::with_capacity(256);
    let (mut rest_dealt, mut rest_scratch) = (&mut dealt[..], &mut entries[..]);
    for bucket in 0..256 {
        let len = starts[bucket + 1] - starts[bucket];
        let (bucket_dealt, tail_dealt) = rest_dealt.split_at_mut(len);
        let (bucket_scratch, tail_scratch) = rest_scratch.split_at_mut(len);
        pairs.push((bucket_dealt, bucket_scratch));
        rest_dealt = tail_dealt;
        rest_scratch = tail_scratch;
    }
    pairs.into_par_iter().for_each(|(bucket, scratch)| {
        // Three passes: bucket → scratch → bucket → scratch, so the bucket ends in `entries`.
        let mut from: &mut [T] = bucket;
        let mut to: &mut [T] = scratch;
        for shift in [0u32, 8, 16] {
            let mut counts = [0usize; 257];
            for entry in from.iter() {
                counts[((hash(entry) >> shift) & 0xFF) as usize + 1] += 1;
            }
            for i in 1..257 {
                counts[i] += counts[i - 1];
            }
            for &entry in from.iter() {
                let digit = ((hash(&entry) >> shift) & 0xFF) as usize;
                to[counts[digit]] = entry;
                counts[digit] += 1;
            }
            std::mem::swap(&mut from, &mut to);
        }
    });
}

/// Whether a MinHash signature saw any shingle (an empty document's is all `u32::MAX`).
pub(crate) fn has_minhash(minhash: &[u32]) -> bool {
    minhash.iter().any(|&h| h != u32::MAX)
}

/// Builds the plan of an in-memory index, asking `recheck` for the shingle sets of the
/// documents in borderline pairs (see [`Candidates::borderline`]).
pub(crate) fn build_in_memory<E>(
    index: Index,
    recheck: impl FnOnce(&[u64]) -> Result<Vec<Vec<u64>>, E>,
) -> Result<Plan, E> {
    let n = index.signatures.len();
    let bytes_per_doc = if n == 0 {
        0.0
    } else {
        index.total_bytes() as f64 / n as f64
    };
    let Index {
        config,
        ordinals,
        ids,
        signatures,
        copies,
        ..
    } = index;
    let mut store = MemoryStore {
        config: config.clone(),
        signatures,
        copies,
        bytes_per_doc,
    };
    let Ok(candidates) = candidates(&config, &mut store);
    let rechecked = ask_again(&ordinals, &candidates.borderline(&config), recheck)?;
    let Ok(plan) = build(config, ordinals, ids, &store, candidates, &rechecked);
    Ok(plan)
}

/// Asks `recheck` for the shingle sets of the documents at `positions` (by their ordinals),
/// once, and files them by position.
pub(crate) fn ask_again<E>(
    ordinals: &[u64],
    positions: &[u32],
    recheck: impl FnOnce(&[u64]) -> Result<Vec<Vec<u64>>, E>,
) -> Result<Rechecked, E> {
    if positions.is_empty() {
        return Ok(Rechecked::default());
    }
    let wanted: Vec<u64> = positions
        .iter()
        .filter_map(|&pos| ordinals.get(pos as usize).copied())
        .collect();
    let sets = recheck(&wanted)?;
    Ok(positions.iter().copied().zip(sets).collect())
}

/// The shingle sets read again for documents in borderline pairs, by position.
pub(crate) type Rechecked = HashMap<u32, Vec<u64>>;

/// A pair's estimated Jaccard similarity, and its exact one when the store keeps shingle sets
/// (`exact_jaccard`) or both documents were read again for the borderline check.
fn similarity<S: Store>(
    store: &S,
    rechecked: &Rechecked,
    a: u32,
    b: u32,
    summary: &mut Summary,
) -> Result<(f64, Option<f64>), S::Error> {
    let (estimate, exact) = store.similarity(a, b)?;
    Ok((
        estimate,
        exact.or_else(|| rechecked_exact(rechecked, a, b, summary)),
    ))
}

/// The exact Jaccard similarity of two documents that were both read again, counted.
fn rechecked_exact(rechecked: &Rechecked, a: u32, b: u32, summary: &mut Summary) -> Option<f64> {
    let (set_a, set_b) = (rechecked.get(&a)?, rechecked.get(&b)?);
    summary.n_rechecked_pairs += 1;
    Some(exact_jaccard(set_a, set_b))
}

/// What the barrier finds before it decides anything: the exact copies, and every LSH
/// candidate pair among the other documents with the store's similarity figures. Found once,
/// both to name the borderline documents and to decide.
pub(crate) struct Candidates {
    /// Every exact copy, `(position, first holder)`.
    copies: Vec<(u32, u32)>,
    pairs: Vec<Candidate>,
}

/// One LSH candidate pair, in the order [`candidates`] met it.
struct Candidate {
    band: u32,
    a: u32,
    b: u32,
    estimate: f64,
    /// Known when the store keeps shingle sets (`exact_jaccard`).
    exact: Option<f64>,
}

/// Finds the exact copies, then every LSH candidate pair among the documents that are not
/// copies, once each, in a fixed order: band by band, each bucket's members with the bucket's
/// first and with the `max_bucket_pairs` before them.
pub(crate) fn candidates<S: Store>(config: &Config, store: &mut S) -> Result<Candidates, S::Error> {
    let n = store.n_docs();
    let copies = if config.exact {
        store.exact_copies(tokens::hash_words(&[]))?
    } else {
        Vec::new()
    };
    let mut pairs = Vec::new();
    if !(config.near && config.bands > 0 && config.rows > 0) {
        return Ok(Candidates { copies, pairs });
    }
    // A document takes part when it is not an exact copy and has a signature (the store's
    // bands hold only those).
    let mut alive = vec![true; n];
    for &(pos, _) in &copies {
        alive[pos as usize] = false;
    }
    let mut compared: HashSet<(u32, u32)> = HashSet::default();
    let mut group: Vec<u32> = Vec::new();
    // Only whole bands inside the signature (a configuration that was not validated may ask
    // for more hashes than the signature holds).
    let n_bands = config.bands.min(crate::n_hashes(config) / config.rows);
    for band in 0..n_bands {
        let mut stream = store.band(band)?;
        let mut next = stream.next_entry()?;
        while let Some((hash, first_pos)) = next {
            // One bucket: the run of entries with this hash, of documents still alive.
            group.clear();
            let mut entry = Some((hash, first_pos));
            while let Some((entry_hash, pos)) = entry {
                if entry_hash != hash {
                    break;
                }
                if alive.get(pos as usize).copied().unwrap_or(false) {
                    group.push(pos);
                }
                entry = stream.next_entry()?;
            }
            next = entry;
            for i in 1..group.len() {
                let window_start = i.saturating_sub(config.max_bucket_pairs.max(1));
                let earlier = std::iter::once(0).chain(window_start.max(1)..i);
                for j in earlier {
                    let (a, b) = (group[j], group[i]);
                    if compared.insert((a, b)) {
                        let (estimate, exact) = store.similarity(a, b)?;
                        pairs.push(Candidate {
                            band: band as u32,
                            a,
                            b,
                            estimate,
                            exact,
                        });
                    }
                }
            }
        }
    }
    Ok(Candidates { copies, pairs })
}

impl Candidates {
    /// The positions (ascending) of documents in a candidate pair without an exact figure
    /// whose estimate falls within `recheck_margin` of the threshold: the documents whose
    /// shingle sets the barrier asks to see again. None when the margin is 0.
    pub(crate) fn borderline(&self, config: &Config) -> Vec<u32> {
        let mut wanted: Vec<u32> = self
            .pairs
            .iter()
            .filter(|pair| pair.exact.is_none() && config.is_borderline(pair.estimate))
            .flat_map(|pair| [pair.a, pair.b])
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        wanted
    }
}

/// Decides every verdict from the fingerprints in `store` and what [`candidates`] found in
/// it, documents at positions `0..n` with these ordinals and ids.
pub(crate) fn build<S: Store>(
    config: Config,
    ordinals: Vec<u64>,
    ids: Vec<String>,
    store: &S,
    found: Candidates,
    rechecked: &Rechecked,
) -> Result<Plan, S::Error> {
    let n = store.n_docs();
    let mut summary = Summary {
        n_docs: n as u64,
        threshold: config.threshold,
        similarity_histogram: vec![0; 20],
        index_bytes_per_doc: store.bytes_per_doc(),
        n_rechecked_docs: rechecked.len() as u64,
        ..Summary::default()
    };
    let mut verdicts = vec![Verdict::Unique; n];

    // Exact copies: the first holder of a text hash is kept.
    for &(pos, first) in &found.copies {
        verdicts[pos as usize] = Verdict::Duplicate {
            of: first,
            via: first,
            method: DedupMethod::Exact,
            similarity: 1.0,
            cluster: first,
            size: 0,
        };
    }

    // Near duplicates: LSH candidates, verified, joined.
    let mut candidates = Vec::with_capacity(found.pairs.len());
    let mut union_find = UnionFind::new(n);
    // The verified pairs `(a, b, similarity)`, for joining a cluster through a member.
    let mut edges: Vec<(u32, u32, f32)> = Vec::new();
    for pair in &found.pairs {
        let (a, b, estimate) = (pair.a, pair.b, pair.estimate);
        let exact = pair
            .exact
            .or_else(|| rechecked_exact(rechecked, a, b, &mut summary));
        let similarity = exact.unwrap_or(estimate);
        let accepted = similarity >= config.threshold;
        let bin = ((similarity * 20.0) as usize).min(19);
        summary.similarity_histogram[bin] += 1;
        if accepted {
            union_find.union(a, b);
            summary.n_verified_pairs += 1;
            if config.join_through_members {
                edges.push((a, b, similarity as f32));
            }
        } else {
            summary.n_rejected_pairs += 1;
        }
        candidates.push(CandidatePair {
            a: ids[a as usize].clone(),
            b: ids[b as usize].clone(),
            band: pair.band,
            estimated_jaccard: round(estimate),
            exact_jaccard: exact.map(round),
            accepted,
        });
    }
    summary.n_candidate_pairs = candidates.len() as u64;

    // Clusters, each checked member by member against its representative. Union-find joins
    // transitively, so a chain of pairs (or shared boilerplate) can join documents that are not
    // alike; members that do not verify against the representative are split off, and the
    // split-off members are grouped again around a representative of their own, for at most
    // `MAX_SPLIT_ROUNDS` rounds (each round compares every remaining member once, so a giant
    // cluster costs at most that many passes over its members); any still left are kept alone.
    // With `join_through_members`, a member that misses the representative but is a verified
    // pair with a member that reached it joins too (one step, never a chain), naming that
    // member as `via`. Only documents in a set of two or more are listed, so this holds the joined documents,
    // not the corpus.
    let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for pos in 0..n as u32 {
        if union_find.set_size(pos) > 1 {
            groups.entry(union_find.find(pos)).or_default().push(pos);
        }
    }
    // Each document's verified pairs, sorted by document then neighbour.
    let mut adjacency: Vec<(u32, u32, f32)> = Vec::with_capacity(edges.len() * 2);
    for &(a, b, similarity) in &edges {
        adjacency.push((a, b, similarity));
        adjacency.push((b, a, similarity));
    }
    drop(edges);
    adjacency.sort_unstable_by_key(|&(pos, other, _)| (pos, other));
    let neighbours = |pos: u32| {
        let start = adjacency.partition_point(|edge| edge.0 < pos);
        let end = start + adjacency[start..].partition_point(|edge| edge.0 == pos);
        &adjacency[start..end]
    };
    // Room for members beside the representative (`max_cluster_docs` counts it).
    let room = if config.max_cluster_docs >= 2 {
        config.max_cluster_docs - 1
    } else {
        usize::MAX
    };
    for members in groups.values().filter(|m| m.len() > 1) {
        let mut remaining: Vec<u32> = members.clone();
        let mut split_rounds = 0;
        let mut first_pass = true;
        while remaining.len() > 1 && split_rounds < MAX_SPLIT_ROUNDS {
            let representative = match config.keep {
                KeepPolicy::Earliest => remaining[0],
                KeepPolicy::Longest => {
                    let mut best = remaining[0];
                    let mut best_chars = store.n_chars(best)?;
                    for &pos in &remaining[1..] {
                        // The most characters; ties go to the earliest.
                        let n_chars = store.n_chars(pos)?;
                        if n_chars > best_chars {
                            best = pos;
                            best_chars = n_chars;
                        }
                    }
                    best
                }
            };
            // Members verified against the representative: `(position, similarity, via)`.
            let mut verified = Vec::new();
            let mut rest = Vec::new();
            for &pos in remaining.iter().filter(|&&p| p != representative) {
                let (estimate, exact) =
                    similarity(store, rechecked, pos, representative, &mut summary)?;
                let similarity = exact.unwrap_or(estimate);
                if similarity >= config.threshold {
                    verified.push((pos, similarity, representative));
                } else {
                    rest.push(pos);
                }
            }
            // The cap: verified members past it (in input order) go back to be grouped
            // around a representative of their own. Such a pass does not count against the
            // split rounds; each one settles at least two documents, so the loop ends.
            let mut overflow = if verified.len() > room {
                verified.split_off(room)
            } else {
                Vec::new()
            };
            // One step further: a member left out that is a verified pair with a member that
            // verified against the representative joins through it (the most similar such
            // member; ties to the earliest), within the room the cap leaves.
            let mut linked = Vec::new();
            if config.join_through_members && !verified.is_empty() && !rest.is_empty() {
                let direct: HashSet<u32> = verified.iter().map(|&(pos, ..)| pos).collect();
                let mut left = Vec::with_capacity(rest.len());
                for &pos in &rest {
                    let mut best: Option<(u32, f32)> = None;
                    for &(_, other, similarity) in neighbours(pos) {
                        if direct.contains(&other) && best.is_none_or(|(_, s)| similarity > s) {
                            best = Some((other, similarity));
                        }
                    }
                    match best {
                        Some((via, similarity)) => {
                            linked.push((pos, f64::from(similarity), via));
                        }
                        None => left.push(pos),
                    }
                }
                rest = left;
                let room_left = room - verified.len();
                if linked.len() > room_left {
                    overflow.extend(linked.split_off(room_left));
                }
            }
            if first_pass {
                summary.n_split_members += rest.len() as u64;
                if !rest.is_empty() {
                    summary.n_split_clusters += 1;
                }
                first_pass = false;
            }
            summary.n_linked_members += linked.len() as u64;
            if overflow.is_empty() {
                split_rounds += 1;
            } else {
                summary.n_capped_clusters += 1;
                summary.n_cap_regrouped += overflow.len() as u64;
                rest.extend(overflow.iter().map(|&(pos, ..)| pos));
                rest.sort_unstable();
            }
            remaining = rest;
            if verified.is_empty() {
                continue;
            }
            let size = (verified.len() + linked.len()) as u32 + 1;
            verdicts[representative as usize] = Verdict::Representative { size };
            for (pos, similarity, via) in verified.into_iter().chain(linked) {
                verdicts[pos as usize] = Verdict::Duplicate {
                    of: representative,
                    via,
                    method: DedupMethod::Minhash,
                    similarity: similarity as f32,
                    cluster: representative,
                    size,
                };
            }
        }
    }

    // Sizes of exact-copy clusters, now that every copy is known.
    let mut exact_sizes: HashMap<u32, u32> = HashMap::default();
    for verdict in &verdicts {
        if let Verdict::Duplicate {
            method: DedupMethod::Exact,
            cluster,
            ..
        } = verdict
        {
            *exact_sizes.entry(*cluster).or_insert(1) += 1;
        }
    }
    for verdict in verdicts.iter_mut() {
        if let Verdict::Duplicate {
            method: DedupMethod::Exact,
            cluster,
            size,
            ..
        } = verdict
        {
            *size = exact_sizes.get(cluster).copied().unwrap_or(2);
        }
    }
    for (&first, &size) in &exact_sizes {
        if matches!(verdicts[first as usize], Verdict::Unique) {
            verdicts[first as usize] = Verdict::Representative { size };
        }
    }

    let kept =
        |pos: usize, verdicts: &[Verdict]| !matches!(verdicts[pos], Verdict::Duplicate { .. });

    // Paragraphs repeated across kept documents: the store's paragraphs sorted by hash, one
    // hash at a time (its holders in input order), so that the sharded mode can merge them
    // from disk like a band.
    let mut cuts: HashMap<u32, Vec<Cut>> = HashMap::default();
    if config.paragraphs {
        let mut stream = store.paragraphs()?;
        let mut holders: Vec<(u32, u32, u32)> = Vec::new();
        let mut next = stream.next_paragraph()?;
        while let Some((hash, ..)) = next {
            holders.clear();
            let mut entry = next;
            while let Some((entry_hash, pos, k, n_chars)) = entry {
                if entry_hash != hash {
                    break;
                }
                if kept(pos as usize, &verdicts) {
                    holders.push((pos, k, n_chars));
                }
                entry = stream.next_paragraph()?;
            }
            next = entry;
            let Some(&(first, _, _)) = holders.first() else {
                continue;
            };
            let n_docs = 1 + holders.windows(2).filter(|w| w[0].0 != w[1].0).count();
            for (i, &(pos, k, n_chars)) in holders.iter().enumerate() {
                // A second copy inside the document that holds the first is repeated too.
                let repeated_here = i > 0 && holders[i - 1].0 == pos;
                let rule =
                    if config.boilerplate_min_docs > 0 && n_docs >= config.boilerplate_min_docs {
                        "boilerplate_paragraph"
                    } else if n_chars as usize >= config.min_paragraph_chars
                        && (first != pos || repeated_here)
                    {
                        "repeated_paragraph"
                    } else {
                        continue;
                    };
                cuts.entry(pos).or_default().push(Cut {
                    paragraph: k,
                    rule,
                    first_copy: first,
                });
            }
        }
        for document_cuts in cuts.values_mut() {
            document_cuts.sort_unstable_by_key(|cut| cut.paragraph);
            for cut in document_cuts.iter() {
                *summary
                    .paragraphs_removed
                    .entry(cut.rule.to_owned())
                    .or_default() += 1;
            }
        }
    }

    // Sentences shared between kept documents, by word n-gram containment.
    let mut shared: SharedSentences = HashMap::default();
    if config.shared_sentences {
        // Two measures: word n-gram containment of whole sentences, and content-word
        // containment of the quoted speech in them (one quote in two word orders).
        let mut matches: BTreeMap<(u32, u32, u32, u32), f32> = BTreeMap::new();
        // The cut paragraphs as one bit set per document (a document can have hundreds of
        // cuts, and `take` is asked once per shared n-gram).
        let cut_bits: HashMap<u32, Vec<u64>> = cuts
            .iter()
            .map(|(&pos, document_cuts)| {
                // Sorted by paragraph above.
                let last = document_cuts.last().map_or(0, |cut| cut.paragraph);
                let mut bits = vec![0u64; last as usize / 64 + 1];
                for cut in document_cuts {
                    bits[cut.paragraph as usize / 64] |= 1 << (cut.paragraph % 64);
                }
                (pos, bits)
            })
            .collect();
        // Sentences of kept documents only, and not those in a paragraph that is cut (no
        // longer in the document).
        let take = |pos: u32, paragraph: u32| {
            kept(pos as usize, &verdicts)
                && !cut_bits.get(&pos).is_some_and(|bits| {
                    bits.get(paragraph as usize / 64)
                        .is_some_and(|word| word & (1 << (paragraph % 64)) != 0)
                })
        };
        count_overlaps(
            &store.sentence_overlaps(false, &take, config.max_ngram_postings)?,
            |len_a, len_b, count| {
                let score = f64::from(count) / f64::from(len_a.min(len_b).max(1));
                (score >= config.sentence_threshold && count >= 2).then_some(score)
            },
            |(a, sa, _), (b, sb, _), score| {
                let best = matches.entry((a, sa, b, sb)).or_insert(0.0);
                *best = best.max(score as f32);
            },
        );
        count_overlaps(
            &store.sentence_overlaps(true, &take, config.max_ngram_postings)?,
            |len_a, len_b, count| {
                let score = f64::from(count) / f64::from(len_a.min(len_b).max(1));
                (score >= config.quote_threshold && count as usize >= config.min_quote_words)
                    .then_some(score)
            },
            |(a, sa, _), (b, sb, _), score| {
                let best = matches.entry((a, sa, b, sb)).or_insert(0.0);
                *best = best.max(score as f32);
            },
        );
        let mut per_sentence: BTreeMap<(u32, u32), BTreeMap<u32, f32>> = BTreeMap::new();
        let mut pair_counts: BTreeMap<(u32, u32), (HashSet<u32>, HashSet<u32>)> = BTreeMap::new();
        for (&(a, sa, b, sb), &score) in &matches {
            summary.n_shared_sentence_pairs += 1;
            let best = per_sentence
                .entry((a, sa))
                .or_default()
                .entry(b)
                .or_insert(0.0);
            *best = best.max(score);
            let best = per_sentence
                .entry((b, sb))
                .or_default()
                .entry(a)
                .or_insert(0.0);
            *best = best.max(score);
            let pair = pair_counts.entry((a, b)).or_default();
            pair.0.insert(sa);
            pair.1.insert(sb);
        }
        for ((pos, sentence), others) in per_sentence {
            shared
                .entry(pos)
                .or_default()
                .push((sentence, others.into_iter().collect()));
        }
        let mut pairs: Vec<SharedPair> = pair_counts
            .into_iter()
            .map(|((a, b), (sa, sb))| SharedPair {
                a: ids[a as usize].clone(),
                b: ids[b as usize].clone(),
                sentences_a: sa.len() as u64,
                sentences_b: sb.len() as u64,
            })
            .collect();
        pairs.sort_by_key(|pair| std::cmp::Reverse(pair.sentences_a + pair.sentences_b));
        pairs.truncate(MAX_LISTED);
        summary.shared_pairs = pairs;
    }

    // Figures and the listed clusters.
    let mut listed: BTreeMap<u32, Vec<ClusterMember>> = BTreeMap::new();
    for (pos, verdict) in verdicts.iter().enumerate() {
        if let Verdict::Duplicate {
            of,
            via,
            method,
            similarity,
            cluster,
            ..
        } = *verdict
        {
            match method {
                DedupMethod::Exact => summary.n_exact_duplicates += 1,
                _ => summary.n_near_duplicates += 1,
            }
            listed.entry(cluster).or_default().push(ClusterMember {
                id: ids[pos].clone(),
                method,
                similarity: round(f64::from(similarity)),
                via: (via != of).then(|| ids[via as usize].clone()),
            });
        }
    }
    summary.n_clusters = listed.len() as u64;
    summary.largest_cluster = listed
        .values()
        .map(|m| m.len() as u64 + 1)
        .max()
        .unwrap_or(0);
    summary.clusters = listed
        .into_iter()
        .take(MAX_LISTED)
        .map(|(representative, members)| ClusterSummary {
            representative: ids[representative as usize].clone(),
            members,
        })
        .collect();

    Ok(Plan {
        config,
        ordinals,
        ids,
        verdicts,
        cuts,
        shared,
        candidates,
        summary,
    })
}

/// Rounds a similarity to four places, so figures read the same everywhere.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl Plan {
    /// The run's figures.
    pub fn summary(&self) -> Summary {
        self.summary.clone()
    }

    /// Every LSH candidate pair compared, in the order compared.
    pub fn candidate_pairs(&self) -> &[CandidatePair] {
        &self.candidates
    }

    /// Writes the verdict into the record at position `ordinal` of the stream. Pure: run it in
    /// parallel. A record that was not indexed (dropped before dedup) passes through.
    pub fn apply(&self, ordinal: u64, mut record: Record) -> Record {
        let Ok(pos) = self.ordinals.binary_search(&ordinal) else {
            return record;
        };
        match self.verdicts[pos] {
            Verdict::Duplicate {
                of,
                via,
                method,
                similarity,
                cluster,
                size,
            } => {
                let similarity = round(f64::from(similarity));
                let of_id = self.ids[of as usize].clone();
                let via_id = (via != of).then(|| self.ids[via as usize].clone());
                let how = match method {
                    DedupMethod::Exact => "exact copy",
                    _ => "near duplicate",
                };
                let reason = match &via_id {
                    Some(via_id) => format!(
                        "{how} of {via_id} (similarity {similarity:.3}), itself a {how} of {of_id}"
                    ),
                    None => format!("{how} of {of_id} (similarity {similarity:.3})"),
                };
                record.drop_with("dedup", "duplicate", Some(reason));
                record.dedup = Some(Dedup {
                    status: DedupStatus::Duplicate,
                    duplicate_of: Some(of_id),
                    method: Some(method),
                    similarity: Some(similarity),
                    via: via_id,
                    cluster: Some(Cluster {
                        id: self.ids[cluster as usize].clone(),
                        size: u64::from(size),
                    }),
                    shared_sentences: Vec::new(),
                });
                record
            }
            verdict => {
                let cluster = match verdict {
                    Verdict::Representative { size } => Some(Cluster {
                        id: record.id.clone(),
                        size: u64::from(size),
                    }),
                    _ => None,
                };
                let mut dedup = Dedup {
                    status: DedupStatus::Kept,
                    duplicate_of: None,
                    method: None,
                    similarity: None,
                    via: None,
                    cluster,
                    shared_sentences: Vec::new(),
                };
                let cuts = self.cuts.get(&(pos as u32)).map_or(&[][..], Vec::as_slice);
                let remap = if cuts.is_empty() {
                    None
                } else {
                    Some(self.cut_paragraphs(&mut record, cuts))
                };
                if let Some(sentences) = self.shared.get(&(pos as u32)) {
                    let spans = tokens::spans_or(&record, "sentences", tokens::fallback_sentences);
                    // Sentence indices refer to the text before the cuts; map them through.
                    let original_spans = match &remap {
                        Some((before, _)) => before.clone(),
                        None => spans,
                    };
                    let removed_before = remap
                        .as_ref()
                        .map_or_else(Vec::new, |(_, removed)| removed_before(removed));
                    for (sentence, others) in sentences {
                        let Some(&span) = original_spans.get(*sentence as usize) else {
                            continue;
                        };
                        let span = match &remap {
                            Some((_, removed)) => match shift(span, removed, &removed_before) {
                                Some(span) => span,
                                None => continue,
                            },
                            None => span,
                        };
                        dedup.shared_sentences.push(SharedSentence {
                            span,
                            with: others
                                .iter()
                                .map(|&(other, score)| SharedWith {
                                    id: self.ids[other as usize].clone(),
                                    score: round(f64::from(score)),
                                })
                                .collect(),
                        });
                    }
                }
                record.dedup = Some(dedup);
                if record.text.trim().is_empty() {
                    record.drop_with(
                        "dedup",
                        "empty_after_dedup",
                        Some("every paragraph was a repeat of another document's".to_owned()),
                    );
                }
                record
            }
        }
    }

    /// Cuts paragraphs from the record, logs the edits and shifts every span. Returns the
    /// sentence spans as they were before the cut and the removed ranges (code points).
    fn cut_paragraphs(
        &self,
        record: &mut Record,
        cuts: &[Cut],
    ) -> (Vec<Span>, Vec<(usize, usize)>) {
        let paragraphs = tokens::spans_or(record, "paragraphs", tokens::fallback_paragraphs);
        let sentences_before = tokens::spans_or(record, "sentences", tokens::fallback_sentences);
        let n_chars = chaff_record::offsets::char_len(&record.text);
        let is_cut: HashSet<u32> = cuts.iter().map(|c| c.paragraph).collect();
        // A paragraph has a kept one before it when the first kept paragraph comes earlier.
        let first_kept = (0..).find(|i| !is_cut.contains(i)).unwrap_or(u32::MAX) as usize;
        // Each cut takes its paragraph and the separator before it; a cut with no kept
        // paragraph before it takes the separator after it instead.
        let mut removed: Vec<(usize, usize, &Cut)> = Vec::new();
        for cut in cuts {
            let k = cut.paragraph as usize;
            let Some(span) = paragraphs.get(k) else {
                continue;
            };
            let kept_before = first_kept < k;
            let range = if kept_before {
                (paragraphs[k - 1].end, span.end)
            } else {
                (
                    span.start,
                    paragraphs.get(k + 1).map_or(n_chars, |next| next.start),
                )
            };
            removed.push((range.0, range.1, cut));
        }
        removed.sort_by_key(|r| (r.0, r.1));
        let text = std::mem::take(&mut record.text);
        let mut cursor = ByteCursor::new(&text);
        let mut new_text = String::with_capacity(text.len());
        let mut copied = 0usize;
        let mut removed_chars = 0usize;
        let mut last_end = 0usize;
        let mut ranges = Vec::new();
        for (start, end, cut) in removed {
            if start < last_end || end < start {
                continue;
            }
            let (Some(byte_start), Some(byte_end)) =
                (cursor.byte_offset(start), cursor.byte_offset(end))
            else {
                continue;
            };
            new_text.push_str(&text[copied..byte_start]);
            let at = start - removed_chars;
            record.edits.push(Edit {
                stage: "dedup".into(),
                rule: cut.rule.into(),
                span: Span::new(at, at),
                original: text[byte_start..byte_end].to_owned(),
                first_copy: Some(self.ids[cut.first_copy as usize].clone()),
            });
            copied = byte_end;
            removed_chars += end - start;
            last_end = end;
            ranges.push((start, end));
        }
        new_text.push_str(&text[copied..]);
        record.text = new_text;
        let removed_before = removed_before(&ranges);
        for spans in record.spans.values_mut() {
            *spans = spans
                .iter()
                .filter_map(|&span| shift(span, &ranges, &removed_before))
                .collect();
        }
        (sentences_before, ranges)
    }

    /// The configuration the plan was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// A span moved left by the removed ranges before it, or `None` if a removal touches it.
fn shift(span: Span, removed: &[(usize, usize)], removed_before: &[usize]) -> Option<Span> {
    // The ranges are sorted and disjoint, so their ends are sorted too: those wholly before
    // the span are a prefix, and the span survives unless the next one starts inside it.
    let before = removed.partition_point(|&(_, end)| end <= span.start);
    if removed
        .get(before)
        .is_some_and(|&(start, _)| start < span.end)
    {
        return None;
    }
    let delta = removed_before[before];
    Some(Span::new(span.start - delta, span.end - delta))
}

/// For each `k`, the code points the first `k` removed ranges take together.
fn removed_before(removed: &[(usize, usize)]) -> Vec<usize> {
    let mut sums = Vec::with_capacity(removed.len() + 1);
    let mut sum = 0;
    sums.push(0);
    for &(start, end) in removed {
        sum += end - start;
        sums.push(sum);
    }
    sums
}

/// What the counting of shared sentences works on: each sentence that shares a hash with
/// another (and that `take` accepted), numbered densely in (document, sentence) order, with
/// the runs of the hashes it holds; a run is the dense numbers of the sentences that hold one
/// hash, ascending.
#[derive(Debug, PartialEq)]
pub(crate) struct OverlapInput {
    /// By dense number: `(document, sentence, number of hashes)`.
    sentences: Vec<SentenceRef>,
    /// Sentence `k`'s runs are `runs[run_offsets[k]..run_offsets[k + 1]]`, in hash order.
    run_offsets: Vec<u32>,
    /// `(from, end)`: the part of a run in `numbers` after the sentence's own place in it
    /// (a run is sorted, so the sentences of later documents are in that part).
    runs: Vec<(u32, u32)>,
    /// Every run's dense sentence numbers, one run after another.
    numbers: Vec<u32>,
}

/// The [`OverlapInput`] of a stream of sentence entries sorted by hash. Only entries `take`
/// accepts (by document and paragraph) count; hashes held by more than `max_postings`
/// sentences are too common to count. Memory holds the shared postings, never every entry:
/// the stream may come from disk.
pub(crate) fn overlap_input<E>(
    stream: &mut impl SentenceStream<E>,
    take: &dyn Fn(u32, u32) -> bool,
    max_postings: usize,
) -> Result<OverlapInput, E> {
    // The postings of hashes held by 2 to `max_postings` sentences, as (document, sentence,
    // length), sorted by hash then document: in real text most n-grams occur once, so what is
    // kept is small. A run longer than `max_postings` stops being buffered.
    let mut postings: Vec<SentenceRef> = Vec::new();
    // Per posting: (document, sentence, start and length of its hash's run in `postings`, the
    // posting's own place in `postings`).
    let mut by_sentence: Vec<Posting> = Vec::new();
    let mut run: Vec<SentenceRef> = Vec::new();
    let mut next = stream.next_sentence_entry()?;
    while let Some(first) = next {
        // Most n-grams occur once: `take` (two lookups) is asked only of runs of two or more.
        let mut entry = stream.next_sentence_entry()?;
        if entry.is_none_or(|e| e.0 != first.0) {
            next = entry;
            continue;
        }
        run.clear();
        let mut too_common = false;
        let mut pending = Some(first);
        while let Some(current) = pending {
            let (_, pos, sentence, paragraph, length) = current;
            if !too_common && take(pos, paragraph) {
                if run.len() == max_postings {
                    too_common = true;
                } else {
                    run.push((pos, sentence, length));
                }
            }
            pending = entry.filter(|e| e.0 == first.0);
            if pending.is_some() {
                entry = stream.next_sentence_entry()?;
            }
        }
        next = entry;
        if too_common || run.len() < 2 {
            continue;
        }
        let start = postings.len() as u32;
        for (k, &(pos, sentence, _)) in run.iter().enumerate() {
            by_sentence.push((pos, sentence, start, run.len() as u32, start + k as u32));
        }
        postings.extend_from_slice(&run);
    }
    // One sentence at a time, in input order; its hashes' runs in hash order.
    sort_by_sentence(&mut by_sentence);
    let groups: Vec<&[Posting]> = by_sentence
        .chunk_by(|x, y| (x.0, x.1) == (y.0, y.1))
        .collect();
    // Each sentence that shares a hash gets a dense number in (document, sentence) order, and
    // the postings are rewritten as those numbers: a run stays sorted, and counting sorts
    // plain `u32`s instead of tuples.
    let sentences: Vec<SentenceRef> = groups
        .iter()
        .map(|hashes| (hashes[0].0, hashes[0].1, postings[hashes[0].4 as usize].2))
        .collect();
    let mut numbers = vec![0u32; postings.len()];
    let mut run_offsets = Vec::with_capacity(groups.len() + 1);
    let mut runs = Vec::with_capacity(by_sentence.len());
    for (number, hashes) in groups.iter().enumerate() {
        run_offsets.push(runs.len() as u32);
        for posting in hashes.iter() {
            numbers[posting.4 as usize] = number as u32;
            runs.push((posting.4 + 1, posting.2 + posting.3));
        }
    }
    run_offsets.push(runs.len() as u32);
    Ok(OverlapInput {
        sentences,
        run_offsets,
        runs,
        numbers,
    })
}

/// Calls `found` with each pair of sentences of different documents (earlier document first,
/// each as `(document, sentence, hashes it has)`) that share hashes, and the pair's score,
/// when `score` gives one for the two sentences' numbers of hashes and the number they share.
/// Pairs are counted one sentence at a time, so memory holds one sentence's counts (a thread),
/// never every pair of the corpus.
fn count_overlaps(
    input: &OverlapInput,
    score: impl Fn(u32, u32, u32) -> Option<f64> + Sync,
    mut found: impl FnMut((u32, u32, u32), (u32, u32, u32), f64),
) {
    let OverlapInput {
        sentences,
        run_offsets,
        runs,
        numbers,
    } = input;
    // Per sentence, the number of the first sentence of a later document.
    let mut later_from = vec![0u32; sentences.len()];
    let mut end = sentences.len();
    for number in (0..sentences.len()).rev() {
        if number + 1 < sentences.len() && sentences[number + 1].0 != sentences[number].0 {
            end = number + 1;
        }
        later_from[number] = end as u32;
    }
    // The sentences are counted in parallel a batch at a time, and reported in order.
    // Counts go into a table with a slot per sentence (one a thread), and the slots a sentence
    // touched are listed, so a sentence costs what it shares, not the corpus.
    struct Counter {
        counts: Vec<u32>,
        touched: Vec<u32>,
    }
    let new_counter = || Counter {
        counts: vec![0; sentences.len()],
        touched: Vec::new(),
    };
    let count_one = |counter: &mut Counter, number: usize| {
        let own = &runs[run_offsets[number] as usize..run_offsets[number + 1] as usize];
        for &(from, end) in own {
            let after = &numbers[from as usize..end as usize];
            // Only the later documents' sentences count: the run after this sentence's place,
            // but for the rare other sentences of its own document just after it.
            let later = after
                .iter()
                .position(|&other| other >= later_from[number])
                .unwrap_or(after.len());
            for &other in &after[later..] {
                let slot = &mut counter.counts[other as usize];
                if *slot == 0 {
                    counter.touched.push(other);
                }
                *slot += 1;
            }
        }
        // Most sentences touched share one common n-gram and no more: the few that score are
        // put in order, not the touched list.
        let length = sentences[number].2;
        let mut counted: Vec<(u32, f64)> = Vec::new();
        for &other in &counter.touched {
            let count = std::mem::take(&mut counter.counts[other as usize]);
            if let Some(score) = score(length, sentences[other as usize].2, count) {
                counted.push((other, score));
            }
        }
        counter.touched.clear();
        counted.sort_unstable_by_key(|&(other, _)| other);
        counted
    };
    // A table is as long as the sentences that share anything (megabytes on a large corpus),
    // and rayon asks for a fresh one for every piece it splits a batch into: the tables are
    // kept in a pool and handed out again (all zero between sentences), not allocated and
    // zeroed each time.
    struct Pooled<'a> {
        counter: Option<Counter>,
        pool: &'a std::sync::Mutex<Vec<Counter>>,
    }
    impl Drop for Pooled<'_> {
        fn drop(&mut self) {
            if let Some(counter) = self.counter.take() {
                let mut pool = self
                    .pool
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                pool.push(counter);
            }
        }
    }
    let pool = std::sync::Mutex::new(Vec::new());
    let take_counter = || {
        let counter = pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop()
            .unwrap_or_else(new_counter);
        Pooled {
            counter: Some(counter),
            pool: &pool,
        }
    };
    for first in (0..sentences.len()).step_by(OVERLAP_BATCH) {
        let last = (first + OVERLAP_BATCH).min(sentences.len());
        let counted: Vec<Vec<(u32, f64)>> = (first..last)
            .into_par_iter()
            .map_init(take_counter, |pooled, number| {
                match pooled.counter.as_mut() {
                    Some(counter) => count_one(counter, number),
                    None => Vec::new(),
                }
            })
            .collect();
        for (k, pairs) in counted.into_iter().enumerate() {
            for (other, score) in pairs {
                found(sentences[first + k], sentences[other as usize], score);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The definition `shift` answers by binary search: walk the removed ranges in order.
    fn shift_by_walking(span: Span, removed: &[(usize, usize)]) -> Option<Span> {
        let mut delta = 0;
        for &(start, end) in removed {
            if end <= span.start {
                delta += end - start;
            } else if start >= span.end {
                break;
            } else {
                return None;
            }
        }
        Some(Span::new(span.start - delta, span.end - delta))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Over sorted, disjoint removed ranges (empty ones too) and any span, `shift` equals
        /// the walk.
        #[test]
        fn shifting_by_search_equals_walking(
            steps in proptest::collection::vec((0usize..6, 0usize..6), 0..12),
            start in 0usize..80,
            len in 0usize..20,
        ) {
            let mut removed = Vec::new();
            let mut at = 0;
            for (gap, len) in steps {
                removed.push((at + gap, at + gap + len));
                at += gap + len;
            }
            let span = Span::new(start, start + len);
            prop_assert_eq!(
                shift(span, &removed, &removed_before(&removed)),
                shift_by_walking(span, &removed)
            );
        }
    }

    /// The in-memory store's sentence stream (a table and compact keys) gives the tuple-sorted
    /// entries of every document, less those whose hash no other entry has.
    #[test]
    fn the_compact_sentence_stream_is_the_sorted_entries_that_share_a_hash() {
        let config = Config::default();
        let texts = [
            "The minister said the talks were useful. \"We agreed today on a broad plan for regional trade, security and energy,\" he said to reporters.",
            "Nothing here is shared with the others at all, not one phrase of it.",
            "Reporters heard the minister said the talks were useful. He left at noon.",
            "",
            "\"We agreed today on a broad plan for regional trade, security and energy,\" he said. The minister said the talks were useful.",
        ];
        let signatures: Vec<crate::Signature> = texts
            .iter()
            .enumerate()
            .map(|(k, text)| {
                let record = chaff_record::Record::new(
                    format!("d{k}"),
                    *text,
                    chaff_record::Source::default(),
                );
                crate::signature(&config, &record)
            })
            .collect();
        let store = MemoryStore {
            config: config.clone(),
            signatures,
            copies: Vec::new(),
            bytes_per_doc: 0.0,
        };
        for quotes in [false, true] {
            let mut expected: Vec<SentenceEntry> = Vec::new();
            for (pos, signature) in store.signatures.iter().enumerate() {
                push_sentence_entries(&mut expected, pos as u32, &signature.text, quotes);
            }
            expected.sort_unstable();
            let hashes: Vec<u32> = expected.iter().map(|entry| entry.0).collect();
            expected.retain(|entry| hashes.iter().filter(|&&h| h == entry.0).count() > 1);
            let Ok(mut stream) = store.sentence_entries(quotes);
            let mut got = Vec::new();
            while let Ok(Some(entry)) = stream.next_sentence_entry() {
                got.push(entry);
            }
            assert!(!got.is_empty(), "quotes: {quotes}");
            assert_eq!(got, expected, "quotes: {quotes}");
            // The in-memory store's own way to the counting input gives what the stream
            // gives, whatever `take` refuses and however common a hash may be.
            let takes: [&dyn Fn(u32, u32) -> bool; 3] =
                [&|_, _| true, &|pos, _| pos != 2, &|pos, paragraph| {
                    pos != 0 || paragraph != 0
                }];
            for (k, take) in takes.into_iter().enumerate() {
                for max_postings in [1, 2, 3, 64] {
                    let Ok(from_stream) = overlap_input(
                        &mut store.sentence_entries(quotes).unwrap(),
                        take,
                        max_postings,
                    );
                    let Ok(direct) = store.sentence_overlaps(quotes, take, max_postings);
                    assert_eq!(direct, from_stream, "quotes: {quotes}, max {max_postings}");
                    if k == 0 && max_postings == 64 {
                        assert!(!direct.sentences.is_empty(), "quotes: {quotes}");
                    }
                }
            }
        }
    }

    /// The counting sort of postings gives what a tuple sort gives.
    #[test]
    fn the_posting_sort_equals_the_tuple_sort() {
        let mut state = 11u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u32
        };
        let mut postings: Vec<Posting> = (0..20_000u32)
            .map(|start| (next() % 700, next() % 30, start, next() % 9, next() % 40))
            .collect();
        let mut expected = postings.clone();
        expected.sort_unstable();
        sort_by_sentence(&mut postings);
        assert_eq!(postings, expected);
        let mut empty: Vec<Posting> = Vec::new();
        sort_by_sentence(&mut empty);
        assert!(empty.is_empty());
    }

    /// On entries built in (position, sentence) order, the radix sort gives what a full tuple
    /// sort gives.
    #[test]
    fn the_radix_sort_equals_the_tuple_sort() {
        let mut state = 3u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u32
        };
        let mut entries = Vec::new();
        for pos in 0..300u32 {
            for sentence in 0..20u32 {
                for _ in 0..3 {
                    // Few distinct hashes, so equal hashes across documents are common; the
                    // full range of bits is exercised by the multiplier.
                    let hash = (next() % 5000).wrapping_mul(2_654_435_761);
                    entries.push((hash, pos, sentence, sentence / 4, 3));
                }
            }
        }
        let mut expected = entries.clone();
        expected.sort_unstable();
        sort_by_hash_stable(&mut entries, |entry| entry.0);
        assert_eq!(entries, expected);
    }
}
