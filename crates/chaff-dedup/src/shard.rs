//! The sharded mode, for a corpus whose signatures do not fit in memory: every fingerprint
//! goes to disk a shard at a time, the LSH bands (and the exact hashes, the paragraphs, the
//! sentence n-grams and the quote words) are merged from sorted runs one run at a time, and
//! candidates are verified from the signatures on disk. The plan is the one
//! the in-memory [`crate::Index`] makes from the same documents (the same [`crate::plan`] code
//! decides, reading through the `Store` trait).
//!
//! # Files
//!
//! Every `shard_docs` documents (in input order) make a shard. When a shard is full it is
//! written to the spill directory as one signature file and one sorted run per band (and one
//! each for the exact hashes, the paragraphs, the sentence n-grams and the quote words), then
//! dropped from memory. All integers are little-endian; every file
//! opens with an 8-byte magic and a format version, and its length is checked against its
//! header before it is read, so a truncated or foreign file is an [`Error`], never a panic.
//!
//! `<prefix>-<shard>.sig`, the shard's signatures:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `CHAFFSIG` |
//! | 4 | format version (1) |
//! | 4 | hashes per signature `h` (`bands × rows`) |
//! | 8 | documents in the shard `n` |
//! | 8 | position (in input order, counting indexed documents) of the shard's first document |
//! | 4 | 1 when the shingle sets follow (`exact_jaccard`), else 0 |
//! | 4 | reserved, 0 |
//! | `n × (4 + 4h)` | per document: length in characters (u32), then its `h` MinHash values (u32) |
//! | `8 (n + 1)` | when shingles follow: the offset of each document's first shingle (u64), and the total |
//! | `8 × total` | the sorted, distinct shingle hashes (u64) |
//!
//! `<prefix>-<shard>-band-<band>.run` (and `-exact.run` for the exact hashes,
//! `-paragraphs.run`, `-sentences.run` and `-quotes.run`), a sorted run:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `CHAFFRUN` |
//! | 4 | format version (1) |
//! | 4 | band (`u32::MAX` exact hashes, `u32::MAX − 1` paragraphs, `− 2` sentences, `− 3` quotes) |
//! | 8 | entries `m` |
//! | `12 m` | entries `(hash u64, position u32)`, ascending |
//! | or `20 m` | paragraphs: `(hash u64, position u32, paragraph index u32, length in characters u32)` |
//! | or `20 m` | sentences and quotes: `(hash u32, position u32, sentence index u32, its paragraph u32, the sentence's (or quote's) number of hashes u32)` |
//!
//! Entries ascend as tuples. A band's run holds only documents whose signature saw a shingle;
//! the exact run holds every document of the shard; the paragraph run every paragraph with
//! words; the sentence run every n-gram of every sentence long enough to compare; the quote
//! run every content word of every quote long enough.
//!
//! # Memory
//!
//! Per document, for the whole run: its ordinal (8 bytes) and its id (the id's bytes plus 24),
//! and at the barrier union-find (8 bytes) and the plan's verdict. On top: one shard's
//! fingerprints while it fills (`shard_docs × (4 + 4h)` bytes, plus 16 bytes a paragraph and
//! the sentence n-grams, plus the shingle sets when `exact_jaccard` is on); at the barrier one
//! run's merge at a time (a 64 KiB buffer and an open file per shard), never all bands at
//! once; the holders of one paragraph hash at a time (12 bytes each: a boilerplate paragraph
//! on every page holds one entry per page while it is decided); and for level 4 the postings
//! of the n-grams that two to `max_ngram_postings` kept sentences share (32 bytes each), which
//! grows with the text the corpus repeats, not with its size.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::minhash::{band_hash, estimated_jaccard, exact_jaccard};
use crate::plan::{
    self, BandStream, ParagraphEntry, ParagraphStream, Plan, SentenceEntry, SentenceStream, Store,
    has_minhash, paragraph_entries, sentence_entries,
};
use crate::{Config, Error, Signature, TextPrint};

const SIGNATURE_MAGIC: [u8; 8] = *b"CHAFFSIG";
const RUN_MAGIC: [u8; 8] = *b"CHAFFRUN";
const FORMAT_VERSION: u32 = 1;
const SIGNATURE_HEADER: u64 = 40;
const RUN_HEADER: u64 = 24;
/// The band number the exact-hash run carries.
const EXACT_RUN: u32 = u32::MAX;
/// The band number the paragraph run carries.
const PARAGRAPH_RUN: u32 = u32::MAX - 1;
/// The band number the sentence n-gram run carries.
const SENTENCE_RUN: u32 = u32::MAX - 2;
/// The band number the quote-word run carries.
const QUOTE_RUN: u32 = u32::MAX - 3;

/// Makes the file names of each index unique within the process, so two indexes can share a
/// spill directory.
static NEXT_INDEX: AtomicU64 = AtomicU64::new(0);

/// An index that keeps the document-level fingerprints on disk, a shard at a time: the sharded
/// mode. Use it like [`crate::Index`]; [`ShardedIndex::finish`] gives the same [`Plan`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use chaff_record::{Record, Source};
///
/// let config = chaff_dedup::Config { shard_docs: 2, ..chaff_dedup::Config::default() };
/// let text = "The two ministers met in the eastern city on Wednesday to discuss the war.";
/// let records: Vec<Record> = ["a", "b", "c"]
///     .iter()
///     .map(|id| Record::new(*id, text, Source::default()))
///     .collect();
/// let dir = std::env::temp_dir();
/// let mut index = chaff_dedup::ShardedIndex::new(&config, &dir);
/// for (ordinal, record) in records.iter().enumerate() {
///     index.insert(ordinal as u64, &record.id, chaff_dedup::signature(&config, record))?;
/// }
/// let plan = index.finish()?;
/// assert_eq!(plan.summary().n_exact_duplicates, 2);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ShardedIndex {
    config: Config,
    files: SpillFiles,
    prefix: String,
    shard_docs: usize,
    ordinals: Vec<u64>,
    ids: Vec<String>,
    /// The shard being filled.
    pending: Vec<DocPrint>,
    /// Shards written: (first position, documents).
    shards: Vec<(u64, u64)>,
    /// Whether writing a shard failed: its documents are lost, so `finish` must fail too.
    failed: bool,
}

/// The document-level fingerprints, the part of a [`Signature`] that goes to disk.
#[derive(Debug)]
struct DocPrint {
    exact: u64,
    n_chars: u32,
    minhash: Vec<u32>,
    shingles: Vec<u64>,
    /// The paragraph and sentence fingerprints, for the shard's runs.
    text: TextPrint,
}

/// The files an index wrote; removed when it is dropped.
#[derive(Debug)]
struct SpillFiles {
    dir: PathBuf,
    paths: Vec<PathBuf>,
}

impl Drop for SpillFiles {
    fn drop(&mut self) {
        for path in &self.paths {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl ShardedIndex {
    /// An empty index spilling into `dir`, which must exist. A shard holds `config.shard_docs`
    /// documents (at least 1). The files are removed when the index or its [`finish`] is done.
    ///
    /// [`finish`]: ShardedIndex::finish
    pub fn new(config: &Config, dir: &Path) -> ShardedIndex {
        let prefix = format!(
            "chaff-dedup-{}-{}",
            std::process::id(),
            NEXT_INDEX.fetch_add(1, Ordering::Relaxed)
        );
        ShardedIndex {
            config: config.clone(),
            files: SpillFiles {
                dir: dir.to_path_buf(),
                paths: Vec::new(),
            },
            prefix,
            shard_docs: config.shard_docs.max(1),
            ordinals: Vec::new(),
            ids: Vec::new(),
            pending: Vec::new(),
            shards: Vec::new(),
            failed: false,
        }
    }

    /// Adds a document, as [`crate::Index::insert`] does; writes the shard out when it is
    /// full.
    pub fn insert(&mut self, ordinal: u64, id: &str, signature: Signature) -> Result<(), Error> {
        let Signature {
            exact,
            n_chars,
            minhash,
            shingles,
            text,
        } = signature;
        self.ordinals.push(ordinal);
        self.ids.push(id.to_owned());
        self.pending.push(DocPrint {
            exact,
            n_chars,
            minhash,
            shingles,
            text,
        });
        if self.pending.len() >= self.shard_docs {
            self.flush()?;
        }
        Ok(())
    }

    /// The spill directory's files of shard `shard`.
    fn signature_path(&self, shard: usize) -> PathBuf {
        self.files
            .dir
            .join(format!("{}-{shard:05}.sig", self.prefix))
    }

    fn run_path(&self, shard: usize, band: u32) -> PathBuf {
        let name = if band == EXACT_RUN {
            format!("{}-{shard:05}-exact.run", self.prefix)
        } else if band == PARAGRAPH_RUN {
            format!("{}-{shard:05}-paragraphs.run", self.prefix)
        } else if band == SENTENCE_RUN {
            format!("{}-{shard:05}-sentences.run", self.prefix)
        } else if band == QUOTE_RUN {
            format!("{}-{shard:05}-quotes.run", self.prefix)
        } else {
            format!("{}-{shard:05}-band-{band:04}.run", self.prefix)
        };
        self.files.dir.join(name)
    }

    /// Writes the pending shard: its signatures, its exact run and one run per band.
    fn flush(&mut self) -> Result<(), Error> {
        if self.failed {
            return Err(Error::Spill {
                reason: "an earlier shard could not be written".to_owned(),
            });
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let result = self.write_pending();
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn write_pending(&mut self) -> Result<(), Error> {
        let shard = self.shards.len();
        let first = self.ordinals.len() as u64 - self.pending.len() as u64;
        let n_hashes = crate::n_hashes(&self.config);
        let docs = std::mem::take(&mut self.pending);

        let path = self.signature_path(shard);
        self.files.paths.push(path.clone());
        write_signatures(&path, &docs, n_hashes, first, self.config.exact_jaccard)?;

        let position = |i: usize| (first + i as u64) as u32;
        if self.config.exact {
            let mut entries: Vec<(u64, u32)> = docs
                .iter()
                .enumerate()
                .map(|(i, doc)| (doc.exact, position(i)))
                .collect();
            entries.par_sort_unstable();
            let path = self.run_path(shard, EXACT_RUN);
            self.files.paths.push(path.clone());
            write_run(&path, EXACT_RUN, &entries)?;
        }
        if self.config.paragraphs {
            let mut entries: Vec<ParagraphEntry> = docs
                .iter()
                .enumerate()
                .flat_map(|(i, doc)| paragraph_entries(position(i), &doc.text.paragraphs))
                .collect();
            entries.par_sort_unstable();
            let path = self.run_path(shard, PARAGRAPH_RUN);
            self.files.paths.push(path.clone());
            write_run(&path, PARAGRAPH_RUN, &entries)?;
        }
        if self.config.shared_sentences {
            for (kind, quotes) in [(SENTENCE_RUN, false), (QUOTE_RUN, true)] {
                let mut entries: Vec<SentenceEntry> = docs
                    .iter()
                    .enumerate()
                    .flat_map(|(i, doc)| sentence_entries(position(i), &doc.text, quotes))
                    .collect();
                entries.par_sort_unstable();
                let path = self.run_path(shard, kind);
                self.files.paths.push(path.clone());
                write_run(&path, kind, &entries)?;
            }
        }
        for band in 0..n_bands(&self.config) {
            let mut entries: Vec<(u64, u32)> = docs
                .par_iter()
                .enumerate()
                .filter(|(_, doc)| has_minhash(&doc.minhash))
                .map(|(i, doc)| (band_hash(&doc.minhash, band, self.config.rows), position(i)))
                .collect();
            entries.par_sort_unstable();
            let path = self.run_path(shard, band as u32);
            self.files.paths.push(path.clone());
            write_run(&path, band as u32, &entries)?;
        }
        self.shards.push((first, docs.len() as u64));
        Ok(())
    }

    /// Bytes the index holds in memory per document, not counting the shard being filled.
    pub fn bytes_per_doc(&self) -> f64 {
        let n = self.ids.len();
        if n == 0 {
            return 0.0;
        }
        let total: usize = self
            .ids
            .iter()
            .map(|id| id.len() + std::mem::size_of::<String>())
            .sum::<usize>()
            + n * 8;
        // Union-find at the barrier: a parent and a size per document.
        total as f64 / n as f64 + 8.0
    }

    /// Writes the last shard and decides every verdict by the signatures alone, reading the
    /// shards back one band at a time. The spill files are removed afterwards.
    pub fn finish(self) -> Result<Plan, Error> {
        self.finish_with(|_| Ok::<_, Error>(Vec::new()))
    }

    /// [`ShardedIndex::finish`], deciding the borderline pairs by their exact Jaccard
    /// similarity as [`crate::Index::finish_with`] does: `recheck` gets the ordinals of the
    /// documents in them and returns their [`crate::shingle_set`]s, in that order.
    pub fn finish_with<E: From<Error>>(
        mut self,
        recheck: impl FnOnce(&[u64]) -> Result<Vec<Vec<u64>>, E>,
    ) -> Result<Plan, E> {
        self.flush()?;
        let bytes_per_doc = self.bytes_per_doc();
        let n_docs = self.ids.len() as u64;
        let mut shards = Vec::with_capacity(self.shards.len());
        for (shard, &(first, n)) in self.shards.iter().enumerate() {
            let path = self.signature_path(shard);
            shards.push(ShardFile::open(
                path,
                &self.config,
                first,
                n,
                self.config.exact_jaccard,
            )?);
        }
        let runs = |band: u32| -> Vec<RunSource> {
            self.shards
                .iter()
                .enumerate()
                .map(|(shard, &(first, n))| RunSource {
                    path: self.run_path(shard, band),
                    band,
                    first,
                    n_docs: n,
                })
                .collect()
        };
        let band_runs: Vec<Vec<RunSource>> =
            (0..n_bands(&self.config)).map(|b| runs(b as u32)).collect();
        let exact_runs = runs(EXACT_RUN);
        let paragraph_runs = runs(PARAGRAPH_RUN);
        let sentence_runs = runs(SENTENCE_RUN);
        let quote_runs = runs(QUOTE_RUN);
        let store = ShardStore {
            config: self.config.clone(),
            n_docs,
            shards,
            band_runs,
            exact_runs,
            paragraph_runs,
            sentence_runs,
            quote_runs,
            bytes_per_doc,
        };
        let mut store = store;
        let candidates = plan::candidates(&self.config, &mut store)?;
        let rechecked = plan::ask_again(
            &self.ordinals,
            &candidates.borderline(&self.config),
            recheck,
        )?;
        let plan = plan::build(
            self.config.clone(),
            std::mem::take(&mut self.ordinals),
            std::mem::take(&mut self.ids),
            &store,
            candidates,
            &rechecked,
        )?;
        // `self.files` removes the spill files as `self` is dropped here.
        Ok(plan)
    }
}

/// Whole LSH bands inside a signature, as `plan::build` counts them.
fn n_bands(config: &Config) -> usize {
    if !config.near || config.bands == 0 || config.rows == 0 {
        return 0;
    }
    config.bands.min(crate::n_hashes(config) / config.rows)
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn write_signatures(
    path: &Path,
    docs: &[DocPrint],
    n_hashes: usize,
    first: u64,
    with_shingles: bool,
) -> Result<(), Error> {
    let file = File::create(path).map_err(io_error("create", path))?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut bytes: Vec<u8> = Vec::with_capacity(SIGNATURE_HEADER as usize);
    bytes.extend_from_slice(&SIGNATURE_MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(n_hashes as u32).to_le_bytes());
    bytes.extend_from_slice(&(docs.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&first.to_le_bytes());
    bytes.extend_from_slice(&u32::from(with_shingles).to_le_bytes());
    bytes.extend_from_slice(&0u32.to_le_bytes());
    let write = |out: &mut BufWriter<File>, bytes: &[u8]| {
        out.write_all(bytes).map_err(io_error("write", path))
    };
    write(&mut out, &bytes)?;
    for doc in docs {
        bytes.clear();
        bytes.extend_from_slice(&doc.n_chars.to_le_bytes());
        // A signature of another length (near-duplicate search off) is written as all
        // `u32::MAX`, which is what an empty document's is: it is in no band.
        for i in 0..n_hashes {
            let value = doc.minhash.get(i).copied().unwrap_or(u32::MAX);
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        write(&mut out, &bytes)?;
    }
    if with_shingles {
        let mut offset = 0u64;
        for doc in docs {
            write(&mut out, &offset.to_le_bytes())?;
            offset += doc.shingles.len() as u64;
        }
        write(&mut out, &offset.to_le_bytes())?;
        for doc in docs {
            bytes.clear();
            for shingle in &doc.shingles {
                bytes.extend_from_slice(&shingle.to_le_bytes());
            }
            write(&mut out, &bytes)?;
        }
    }
    out.flush().map_err(io_error("write", path))?;
    Ok(())
}

fn write_run<T: RunEntry>(path: &Path, band: u32, entries: &[T]) -> Result<(), Error> {
    let file = File::create(path).map_err(io_error("create", path))?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut bytes = Vec::with_capacity(RUN_HEADER as usize);
    bytes.extend_from_slice(&RUN_MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&band.to_le_bytes());
    bytes.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    out.write_all(&bytes).map_err(io_error("write", path))?;
    for entry in entries {
        bytes.clear();
        entry.encode(&mut bytes);
        out.write_all(&bytes).map_err(io_error("write", path))?;
    }
    out.flush().map_err(io_error("write", path))?;
    Ok(())
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// Reads exactly `buf.len()` bytes at `offset`, without moving a shared cursor (so lookups can
/// go through `&self`).
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        use std::io::{Seek, SeekFrom};
        let mut file = file.try_clone()?;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
}

/// One shard's signature file, opened and checked.
#[derive(Debug)]
struct ShardFile {
    path: PathBuf,
    file: File,
    first: u64,
    n_docs: u64,
    n_hashes: usize,
    /// Where the shingle offsets start, when the file has them.
    shingles_at: Option<u64>,
    n_shingles: u64,
}

impl ShardFile {
    fn open(
        path: PathBuf,
        config: &Config,
        first: u64,
        n_docs: u64,
        with_shingles: bool,
    ) -> Result<ShardFile, Error> {
        let file = File::open(&path).map_err(io_error("open", &path))?;
        let length = file
            .metadata()
            .map_err(io_error("read the length of", &path))?
            .len();
        let mut header = [0u8; SIGNATURE_HEADER as usize];
        if length < SIGNATURE_HEADER {
            if length >= 8 {
                read_at(&file, &mut header[..8], 0).map_err(io_error("read", &path))?;
                if header[..8] != SIGNATURE_MAGIC {
                    return Err(Error::Foreign { path });
                }
            }
            return Err(corrupt(
                &path,
                format!("{length} bytes, shorter than its header"),
            ));
        }
        read_at(&file, &mut header, 0).map_err(io_error("read", &path))?;
        if header[..8] != SIGNATURE_MAGIC || u32_at(&header, 8) != FORMAT_VERSION {
            return Err(Error::Foreign { path });
        }
        let n_hashes = crate::n_hashes(config);
        let (file_hashes, file_docs, file_first, file_shingles) = (
            u32_at(&header, 12) as usize,
            u64_at(&header, 16),
            u64_at(&header, 24),
            u32_at(&header, 32) == 1,
        );
        if (file_hashes, file_docs, file_first, file_shingles)
            != (n_hashes, n_docs, first, with_shingles)
        {
            return Err(corrupt(
                &path,
                format!(
                    "its header says {file_hashes} hashes, {file_docs} documents from {file_first}, \
                     shingles {file_shingles}; the index wrote {n_hashes}, {n_docs} from {first}, \
                     {with_shingles}"
                ),
            ));
        }
        let stride = 4 + 4 * n_hashes as u64;
        let records_end = SIGNATURE_HEADER + n_docs * stride;
        let (shingles_at, n_shingles, expected) = if with_shingles {
            let offsets_end = records_end + (n_docs + 1) * 8;
            if length < offsets_end {
                return Err(corrupt(
                    &path,
                    format!("{length} bytes, shorter than its {offsets_end} bytes of signatures"),
                ));
            }
            let mut total = [0u8; 8];
            read_at(&file, &mut total, offsets_end - 8).map_err(io_error("read", &path))?;
            let total = u64::from_le_bytes(total);
            let expected = total
                .checked_mul(8)
                .and_then(|bytes| bytes.checked_add(offsets_end));
            (Some(records_end), total, expected)
        } else {
            (None, 0, Some(records_end))
        };
        if expected != Some(length) {
            return Err(corrupt(
                &path,
                format!(
                    "{length} bytes where its header asks for {}",
                    expected.map_or("more than 2^64".to_owned(), |e| e.to_string())
                ),
            ));
        }
        Ok(ShardFile {
            path,
            file,
            first,
            n_docs,
            n_hashes,
            shingles_at,
            n_shingles,
        })
    }

    /// The MinHash signature of the document at `local` in this shard.
    fn minhash(&self, local: u64) -> Result<Vec<u32>, Error> {
        let stride = 4 + 4 * self.n_hashes as u64;
        let mut bytes = vec![0u8; 4 * self.n_hashes];
        read_at(
            &self.file,
            &mut bytes,
            SIGNATURE_HEADER + local * stride + 4,
        )
        .map_err(io_error("read", &self.path))?;
        Ok(bytes.chunks_exact(4).map(|word| u32_at(word, 0)).collect())
    }

    fn n_chars(&self, local: u64) -> Result<u32, Error> {
        let stride = 4 + 4 * self.n_hashes as u64;
        let mut bytes = [0u8; 4];
        read_at(&self.file, &mut bytes, SIGNATURE_HEADER + local * stride)
            .map_err(io_error("read", &self.path))?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn shingles(&self, local: u64) -> Result<Vec<u64>, Error> {
        let Some(offsets_at) = self.shingles_at else {
            return Ok(Vec::new());
        };
        let mut range = [0u8; 16];
        read_at(&self.file, &mut range, offsets_at + local * 8)
            .map_err(io_error("read", &self.path))?;
        let (start, end) = (u64_at(&range, 0), u64_at(&range, 8));
        if start > end || end > self.n_shingles {
            return Err(corrupt(
                &self.path,
                format!(
                    "shingle offsets {start}..{end} outside 0..{}",
                    self.n_shingles
                ),
            ));
        }
        let values_at = offsets_at + (self.n_docs + 1) * 8;
        let mut bytes = vec![0u8; ((end - start) * 8) as usize];
        read_at(&self.file, &mut bytes, values_at + start * 8)
            .map_err(io_error("read", &self.path))?;
        Ok(bytes.chunks_exact(8).map(|word| u64_at(word, 0)).collect())
    }
}

/// Where one shard's run of one kind (a band, the exact hashes, the paragraphs) is.
#[derive(Debug, Clone)]
struct RunSource {
    path: PathBuf,
    band: u32,
    first: u64,
    n_docs: u64,
}

/// An entry of a sorted run: a hash and a document position, and for paragraphs the
/// paragraph's index and length. Ordered as the tuple.
pub(crate) trait RunEntry: Copy + Ord {
    /// Bytes an entry takes in the file.
    const WIDTH: usize;
    /// Whether a run holds at most one entry per document of its shard.
    const ONE_PER_DOC: bool;
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(bytes: &[u8]) -> Self;
    fn position(&self) -> u32;
}

impl RunEntry for (u64, u32) {
    const WIDTH: usize = 12;
    const ONE_PER_DOC: bool = true;
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_le_bytes());
        out.extend_from_slice(&self.1.to_le_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        (u64_at(bytes, 0), u32_at(bytes, 8))
    }
    fn position(&self) -> u32 {
        self.1
    }
}

impl RunEntry for ParagraphEntry {
    const WIDTH: usize = 20;
    const ONE_PER_DOC: bool = false;
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_le_bytes());
        out.extend_from_slice(&self.1.to_le_bytes());
        out.extend_from_slice(&self.2.to_le_bytes());
        out.extend_from_slice(&self.3.to_le_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        (
            u64_at(bytes, 0),
            u32_at(bytes, 8),
            u32_at(bytes, 12),
            u32_at(bytes, 16),
        )
    }
    fn position(&self) -> u32 {
        self.1
    }
}

/// A sorted run being read, checked as it goes: ascending, positions inside its shard.
struct RunReader<T> {
    path: PathBuf,
    reader: BufReader<File>,
    remaining: u64,
    last: Option<T>,
    first: u64,
    end: u64,
}

impl<T: RunEntry> RunReader<T> {
    fn open(source: &RunSource) -> Result<RunReader<T>, Error> {
        let path = source.path.clone();
        let file = File::open(&path).map_err(io_error("open", &path))?;
        let length = file
            .metadata()
            .map_err(io_error("read the length of", &path))?
            .len();
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut header = [0u8; RUN_HEADER as usize];
        let available = length.min(RUN_HEADER) as usize;
        reader
            .read_exact(&mut header[..available])
            .map_err(io_error("read", &path))?;
        if available >= 8 && header[..8] != RUN_MAGIC {
            return Err(Error::Foreign { path });
        }
        if length < RUN_HEADER {
            return Err(corrupt(
                &path,
                format!("{length} bytes, shorter than its header"),
            ));
        }
        if u32_at(&header, 8) != FORMAT_VERSION {
            return Err(Error::Foreign { path });
        }
        let (band, n_entries) = (u32_at(&header, 12), u64_at(&header, 16));
        if band != source.band {
            return Err(corrupt(
                &path,
                format!("holds run {band}, not run {}", source.band),
            ));
        }
        let expected = n_entries
            .checked_mul(T::WIDTH as u64)
            .and_then(|bytes| bytes.checked_add(RUN_HEADER));
        if expected != Some(length) || (T::ONE_PER_DOC && n_entries > source.n_docs) {
            return Err(corrupt(
                &path,
                format!("{length} bytes for the {n_entries} entries its header announces"),
            ));
        }
        Ok(RunReader {
            path,
            reader,
            remaining: n_entries,
            last: None,
            first: source.first,
            end: source.first + source.n_docs,
        })
    }

    fn next_entry(&mut self) -> Result<Option<T>, Error> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let mut bytes = [0u8; 32];
        let bytes = &mut bytes[..T::WIDTH];
        self.reader
            .read_exact(bytes)
            .map_err(io_error("read", &self.path))?;
        self.remaining -= 1;
        let entry = T::decode(bytes);
        let position = entry.position();
        if !(self.first..self.end).contains(&u64::from(position)) {
            return Err(corrupt(
                &self.path,
                format!(
                    "position {position} outside its shard's {}..{}",
                    self.first, self.end
                ),
            ));
        }
        if self.last.is_some_and(|last| last >= entry) {
            return Err(corrupt(&self.path, "entries out of order"));
        }
        self.last = Some(entry);
        Ok(Some(entry))
    }
}

/// A k-way merge of every shard's run of one kind: its entries in ascending order.
pub(crate) struct MergedRun<T> {
    readers: Vec<RunReader<T>>,
    heap: BinaryHeap<Reverse<(T, usize)>>,
}

impl<T: RunEntry> MergedRun<T> {
    fn open(sources: &[RunSource]) -> Result<MergedRun<T>, Error> {
        let mut readers = Vec::with_capacity(sources.len());
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (k, source) in sources.iter().enumerate() {
            let mut reader = RunReader::open(source)?;
            if let Some(entry) = reader.next_entry()? {
                heap.push(Reverse((entry, k)));
            }
            readers.push(reader);
        }
        Ok(MergedRun { readers, heap })
    }

    fn next_merged(&mut self) -> Result<Option<T>, Error> {
        let Some(Reverse((entry, k))) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(next) = self.readers[k].next_entry()? {
            self.heap.push(Reverse((next, k)));
        }
        Ok(Some(entry))
    }
}

impl BandStream<Error> for MergedRun<(u64, u32)> {
    fn next_entry(&mut self) -> Result<Option<(u64, u32)>, Error> {
        self.next_merged()
    }
}

impl RunEntry for SentenceEntry {
    const WIDTH: usize = 20;
    const ONE_PER_DOC: bool = false;
    fn encode(&self, out: &mut Vec<u8>) {
        for word in [self.0, self.1, self.2, self.3, self.4] {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }
    fn decode(bytes: &[u8]) -> Self {
        (
            u32_at(bytes, 0),
            u32_at(bytes, 4),
            u32_at(bytes, 8),
            u32_at(bytes, 12),
            u32_at(bytes, 16),
        )
    }
    fn position(&self) -> u32 {
        self.1
    }
}

impl SentenceStream<Error> for MergedRun<SentenceEntry> {
    fn next_sentence_entry(&mut self) -> Result<Option<SentenceEntry>, Error> {
        self.next_merged()
    }
}

impl ParagraphStream<Error> for MergedRun<ParagraphEntry> {
    fn next_paragraph(&mut self) -> Result<Option<ParagraphEntry>, Error> {
        self.next_merged()
    }
}

/// The shards on disk, as `plan::build` reads them.
struct ShardStore {
    config: Config,
    n_docs: u64,
    shards: Vec<ShardFile>,
    band_runs: Vec<Vec<RunSource>>,
    exact_runs: Vec<RunSource>,
    paragraph_runs: Vec<RunSource>,
    sentence_runs: Vec<RunSource>,
    quote_runs: Vec<RunSource>,
    bytes_per_doc: f64,
}

impl ShardStore {
    /// The shard holding position `pos`, and the position inside it.
    fn locate(&self, pos: u32) -> Result<(&ShardFile, u64), Error> {
        let pos = u64::from(pos);
        let k = self
            .shards
            .partition_point(|shard| shard.first + shard.n_docs <= pos);
        match self.shards.get(k) {
            Some(shard) if shard.first <= pos => Ok((shard, pos - shard.first)),
            _ => Err(Error::Spill {
                reason: format!("no shard holds position {pos} of {}", self.n_docs),
            }),
        }
    }
}

impl Store for ShardStore {
    type Error = Error;
    type Band<'a> = MergedRun<(u64, u32)>;
    type Paragraphs<'a> = MergedRun<ParagraphEntry>;
    type Sentences<'a> = MergedRun<SentenceEntry>;

    fn n_docs(&self) -> usize {
        self.n_docs as usize
    }

    fn bytes_per_doc(&self) -> f64 {
        self.bytes_per_doc
    }

    fn exact_copies(&mut self, empty_hash: u64) -> Result<Vec<(u32, u32)>, Error> {
        let mut merged = MergedRun::<(u64, u32)>::open(&self.exact_runs)?;
        let mut copies = Vec::new();
        let mut current: Option<(u64, u32)> = None;
        while let Some((hash, pos)) = merged.next_entry()? {
            if hash == empty_hash {
                continue;
            }
            match current {
                Some((held, first)) if held == hash => copies.push((pos, first)),
                _ => current = Some((hash, pos)),
            }
        }
        Ok(copies)
    }

    fn band(&self, band: usize) -> Result<MergedRun<(u64, u32)>, Error> {
        match self.band_runs.get(band) {
            Some(sources) => MergedRun::open(sources),
            None => MergedRun::open(&[]),
        }
    }

    fn similarity(&self, a: u32, b: u32) -> Result<(f64, Option<f64>), Error> {
        let (shard_a, local_a) = self.locate(a)?;
        let (shard_b, local_b) = self.locate(b)?;
        let estimate = estimated_jaccard(&shard_a.minhash(local_a)?, &shard_b.minhash(local_b)?);
        let exact = if self.config.exact_jaccard {
            Some(exact_jaccard(
                &shard_a.shingles(local_a)?,
                &shard_b.shingles(local_b)?,
            ))
        } else {
            None
        };
        Ok((estimate, exact))
    }

    fn n_chars(&self, pos: u32) -> Result<u32, Error> {
        let (shard, local) = self.locate(pos)?;
        shard.n_chars(local)
    }

    fn paragraphs(&self) -> Result<MergedRun<ParagraphEntry>, Error> {
        MergedRun::open(&self.paragraph_runs)
    }

    fn sentence_entries(&self, quotes: bool) -> Result<MergedRun<SentenceEntry>, Error> {
        MergedRun::open(if quotes {
            &self.quote_runs
        } else {
            &self.sentence_runs
        })
    }
}
