//! The whole run: ingest → clean → segment → dedup → report, streaming in bounded batches.
//!
//! Pass 1 ingests, cleans and segments one batch at a time (each stage parallel over the batch),
//! feeds dedup's signatures into its index in input order, and spills the segmented records to
//! a JSON-lines file. Dedup is the one barrier: once every signature is in, its plan is fixed,
//! and pass 2 streams the spill back through the plan and on to the outputs and the report.
//! Memory is the batch plus the dedup index, never the corpus.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use chaff_record::{
    JsonlWriter, Quarantined, ReadOptions, Record, RecordReader, RecordStage, encode_record,
};
use chaff_report::{Report, RunFigures, StageFigures};
use rayon::prelude::*;
use tempfile::NamedTempFile;

use crate::config::Config;
use crate::progress::Progress;

/// File names of the output directory; the layout is documented in the README.
pub mod layout {
    /// The curated corpus: every kept record.
    pub const KEPT: &str = "kept.jsonl";
    /// Every record a stage dropped, with `dropped` (and `dedup` for duplicates) set.
    pub const DROPPED: &str = "dropped.jsonl";
    /// Inputs that could not be read as documents, with the error.
    pub const QUARANTINE: &str = "quarantine.jsonl";
    /// Dedup's candidate pairs, for audit.
    pub const CANDIDATES: &str = "dedup_candidates.jsonl";
    /// Every figure of the run.
    pub const REPORT_JSON: &str = "report.json";
    /// The summary for people.
    pub const REPORT_MD: &str = "report.md";
    /// The self-contained page.
    pub const REPORT_HTML: &str = "report.html";
    /// One JSON-lines file per stage, when kept.
    pub const STAGES: &str = "stages";
}

/// The names of the stages, in pipeline order.
pub const STAGES: [&str; 4] = ["ingest", "clean", "segment", "dedup"];

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// Where the outputs are.
    pub out_dir: PathBuf,
    /// The report, as written.
    pub report: Report,
}

/// An output file written under a temporary name and renamed into place when complete, so an
/// interrupted run never leaves a partial file that looks finished.
struct AtomicJsonl {
    path: PathBuf,
    writer: BufWriter<NamedTempFile>,
    n_written: u64,
}

impl AtomicJsonl {
    fn create(path: PathBuf) -> anyhow::Result<AtomicJsonl> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let file = partial_file(dir)?;
        Ok(AtomicJsonl {
            path,
            writer: BufWriter::with_capacity(1 << 20, file),
            n_written: 0,
        })
    }

    fn write_encoded(&mut self, lines: &[u8], n_lines: u64) -> anyhow::Result<()> {
        self.writer
            .write_all(lines)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.n_written += n_lines;
        Ok(())
    }

    fn write_value<T: serde::Serialize>(&mut self, value: &T) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(value)?;
        line.push(b'\n');
        self.write_encoded(&line, 1)
    }

    fn commit(self) -> anyhow::Result<()> {
        let file = self
            .writer
            .into_inner()
            .map_err(|err| err.into_error())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        file.as_file().sync_data().ok();
        readable_by_all(&file);
        file.persist(&self.path)
            .with_context(|| format!("cannot rename into {}", self.path.display()))?;
        Ok(())
    }
}

/// The name every file chaff writes starts with until it is complete and renamed.
pub const PARTIAL_PREFIX: &str = ".chaff-partial-";

/// The prefix of the sharded dedup index's directory (inside the output directory unless
/// `dedup.spill_dir` says otherwise).
const SHARDS_PREFIX: &str = "chaff-dedup-shards-";

/// A new temporary file in `dir`, named with [`PARTIAL_PREFIX`].
fn partial_file(dir: &Path) -> anyhow::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(PARTIAL_PREFIX)
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))
}

/// Removes what a killed run left in the output directory: partial files (here and in
/// `stages/`) and the sharded index's directory. Only chaff's own names are touched; the
/// number removed is logged.
fn remove_leftovers(out_dir: &Path) {
    let mut n_removed = 0;
    for dir in [out_dir.to_path_buf(), out_dir.join(layout::STAGES)] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let removed = if name.starts_with(PARTIAL_PREFIX) && !is_dir {
                std::fs::remove_file(entry.path()).is_ok()
            } else if name.starts_with(SHARDS_PREFIX) && is_dir && dir == out_dir {
                std::fs::remove_dir_all(entry.path()).is_ok()
            } else {
                false
            };
            n_removed += usize::from(removed);
        }
    }
    if n_removed > 0 {
        tracing::info!(
            "removed {n_removed} partial file(s) an interrupted run left in {}",
            out_dir.display()
        );
    }
}

/// Temporary files are created private (0600); outputs get the usual 0644 before the rename.
fn readable_by_all(file: &NamedTempFile) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = file
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// Writes `contents` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = partial_file(dir)?;
    file.write_all(contents)
        .with_context(|| format!("cannot write {}", path.display()))?;
    readable_by_all(&file);
    file.persist(path)
        .with_context(|| format!("cannot rename into {}", path.display()))?;
    Ok(())
}

/// Encodes records as JSON lines in parallel, concatenated in order.
fn encode_all(records: &[Record]) -> anyhow::Result<Vec<u8>> {
    let chunks: Vec<Vec<u8>> = records
        .par_iter()
        .map(|record| {
            // `encode_record` reserves room for the whole line.
            let mut line = Vec::new();
            encode_record(record, &mut line).map(|()| line)
        })
        .collect::<Result<_, _>>()?;
    Ok(chunks.concat())
}

/// Encodes records in the spill's binary frames in parallel, concatenated in order.
fn spill_all(records: &[Record]) -> anyhow::Result<Vec<u8>> {
    let chunks: Vec<Vec<u8>> = records
        .par_iter()
        .map(|record| {
            let mut frame = Vec::with_capacity(record.text.len() + 256);
            chaff_record::spill::encode(record, &mut frame).map(|()| frame)
        })
        .collect::<Result<_, _>>()?;
    Ok(chunks.concat())
}

/// Logs a quarantine entry, writes it to the quarantine file and keeps it for the report.
fn note_quarantined(
    file: &mut AtomicJsonl,
    kept: &mut Vec<Quarantined>,
    entry: Quarantined,
) -> anyhow::Result<()> {
    tracing::warn!("quarantined {}: {}", entry.source, entry.error);
    file.write_value(&entry)?;
    kept.push(entry);
    Ok(())
}

/// What the run's figures should draw attention to: limits that were reached.
fn run_warnings(config: &Config, summary: &chaff_dedup::Summary) -> Vec<String> {
    let mut warnings = Vec::new();
    if summary.n_capped_clusters > 0 {
        warnings.push(format!(
            "{} near-duplicate cluster(s) reached dedup.max_cluster_docs = {}: {} member(s) past \
             the cap were grouped again around representatives of their own",
            summary.n_capped_clusters, config.dedup.max_cluster_docs, summary.n_cap_regrouped
        ));
    }
    warnings
}

/// Dedup's index: in memory, or sharded on disk when `dedup.shard_docs` is set.
enum DedupIndex {
    Memory(chaff_dedup::Index),
    /// The index and the directory its shard files go into (removed when dropped).
    Sharded(chaff_dedup::ShardedIndex, tempfile::TempDir),
}

impl DedupIndex {
    /// The index `config` asks for. The sharded mode spills into a fresh directory inside
    /// `dedup.spill_dir`, or else inside `default_dir`.
    fn new(config: &chaff_dedup::Config, default_dir: &Path) -> anyhow::Result<DedupIndex> {
        if config.shard_docs == 0 {
            return Ok(DedupIndex::Memory(chaff_dedup::Index::new(config)));
        }
        let parent = config.spill_dir.as_deref().unwrap_or(default_dir);
        let dir = tempfile::Builder::new()
            .prefix(SHARDS_PREFIX)
            .tempdir_in(parent)
            .with_context(|| {
                format!(
                    "cannot create a dedup spill directory in {}",
                    parent.display()
                )
            })?;
        Ok(DedupIndex::Sharded(
            chaff_dedup::ShardedIndex::new(config, dir.path()),
            dir,
        ))
    }

    fn insert(
        &mut self,
        ordinal: u64,
        id: &str,
        signature: chaff_dedup::Signature,
    ) -> anyhow::Result<()> {
        match self {
            DedupIndex::Memory(index) => index.insert(ordinal, id, signature),
            DedupIndex::Sharded(index, _) => index
                .insert(ordinal, id, signature)
                .context("cannot write the dedup shards")?,
        }
        Ok(())
    }

    /// The barrier: every signature is in; fix the plan. `recheck` gives the shingle sets of
    /// the documents in borderline pairs (`chaff_dedup::Config::recheck_margin`) by ordinal.
    fn finish(
        self,
        recheck: impl FnOnce(&[u64]) -> anyhow::Result<Vec<Vec<u64>>>,
    ) -> anyhow::Result<chaff_dedup::Plan> {
        match self {
            DedupIndex::Memory(index) => index.finish_with(recheck),
            DedupIndex::Sharded(index, dir) => {
                let plan = index
                    .finish_with(recheck)
                    .context("cannot merge the dedup shards")?;
                dir.close()
                    .context("cannot remove the dedup spill directory")?;
                Ok(plan)
            }
        }
    }
}

/// The shingle sets of the records at the ordinals `wanted` (ascending), for the barrier's
/// borderline pairs: `next(wanted)` gives the next record in input order (ordinal 0 first),
/// `None` at the end, and need only decode it when `wanted` is true. Computed in parallel a
/// batch at a time, so only a batch of wanted records is held.
fn shingle_sets(
    config: &chaff_dedup::Config,
    wanted: &[u64],
    batch_size: usize,
    mut next: impl FnMut(bool) -> anyhow::Result<Option<Option<Record>>>,
) -> anyhow::Result<Vec<Vec<u64>>> {
    let batch_size = batch_size.max(1);
    let mut sets = Vec::with_capacity(wanted.len());
    let mut batch: Vec<Record> = Vec::with_capacity(batch_size.min(wanted.len()));
    let mut to_find = wanted.iter().copied().peekable();
    let mut ordinal = 0u64;
    while let Some(&target) = to_find.peek() {
        let want = target == ordinal;
        let Some(record) = next(want)? else {
            break;
        };
        if want {
            to_find.next();
            batch.extend(record);
        }
        if batch.len() >= batch_size || to_find.peek().is_none() {
            sets.par_extend(
                std::mem::take(&mut batch)
                    .par_iter()
                    .map(|r| chaff_dedup::shingle_set(config, r)),
            );
        }
        ordinal += 1;
    }
    if sets.len() != wanted.len() {
        bail!(
            "the barrier asked for {} documents again and {} were found",
            wanted.len(),
            sets.len()
        );
    }
    Ok(sets)
}

/// The dedup signatures of a batch, in parallel (none for a record already dropped).
fn signatures(
    config: &chaff_dedup::Config,
    records: &[Record],
) -> Vec<Option<chaff_dedup::Signature>> {
    records
        .par_iter()
        .map(|record| (!record.is_dropped()).then(|| chaff_dedup::signature(config, record)))
        .collect()
}

/// Puts a batch's signatures (from [`signatures`]) into the index in input order.
/// `next_ordinal` counts every record, dropped ones included, as [`apply_plan`] does.
fn index_batch(
    index: &mut DedupIndex,
    records: &[Record],
    signatures: Vec<Option<chaff_dedup::Signature>>,
    next_ordinal: &mut u64,
) -> anyhow::Result<()> {
    for (record, signature) in records.iter().zip(signatures) {
        if let Some(signature) = signature {
            index.insert(*next_ordinal, &record.id, signature)?;
        }
        *next_ordinal += 1;
    }
    Ok(())
}

/// Applies the dedup plan to a batch whose first record is at `first`, in parallel and in
/// order; records an earlier stage dropped pass through.
fn apply_plan(plan: &chaff_dedup::Plan, first: u64, batch: Vec<Record>) -> Vec<Record> {
    batch
        .into_par_iter()
        .enumerate()
        .map(|(i, record)| {
            if record.is_dropped() {
                record
            } else {
                plan.apply(first + i as u64, record)
            }
        })
        .collect()
}

/// Runs one per-record stage over a batch in parallel, accounting for what came in, what went
/// out and what the stage dropped.
pub fn run_stage(
    stage: &dyn RecordStage,
    records: Vec<Record>,
    figures: &mut StageFigures,
) -> Vec<Record> {
    let started = Instant::now();
    for record in records.iter().filter(|r| !r.is_dropped()) {
        figures.docs_in += 1;
        figures.bytes_in += record.text.len() as u64;
    }
    let records: Vec<Record> = records
        .into_par_iter()
        .map(|record| stage.apply(record))
        .collect();
    account_out(&records, stage.name(), figures);
    figures.seconds += started.elapsed().as_secs_f64();
    records
}

/// The process's peak resident memory so far, from `VmHWM` in `/proc/self/status` (Linux);
/// `None` where that file does not exist or says nothing.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Adds a batch's survivors and the stage's drops to its figures.
fn account_out(records: &[Record], stage: &str, figures: &mut StageFigures) {
    for record in records {
        match &record.dropped {
            None => {
                figures.docs_out += 1;
                figures.bytes_out += record.text.len() as u64;
                if let Some(spans) = record.spans.get("paragraphs") {
                    *figures.paragraphs_out.get_or_insert(0) += spans.len() as u64;
                }
                if let Some(spans) = record.spans.get("sentences") {
                    *figures.sentences_out.get_or_insert(0) += spans.len() as u64;
                }
            }
            Some(dropped) if dropped.stage == stage => {
                *figures.dropped.entry(dropped.reason.clone()).or_default() += 1;
            }
            Some(_) => {}
        }
    }
}

struct Pass1 {
    n_records: u64,
    quarantined: Vec<Quarantined>,
    index: DedupIndex,
}

/// Runs the whole pipeline on `inputs`, writing the documented layout into `out_dir`.
pub fn run(
    config: &Config,
    inputs: &[PathBuf],
    out_dir: &Path,
    progress: &Progress,
) -> anyhow::Result<RunOutcome> {
    let started = Instant::now();
    config
        .dedup
        .validate()
        .context("in the [dedup] configuration")?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create output directory {}", out_dir.display()))?;
    remove_leftovers(out_dir);
    let keep_stages = config.run.keep_stages;
    if keep_stages {
        std::fs::create_dir_all(out_dir.join(layout::STAGES))?;
    }
    let stage_path = |name: &str| out_dir.join(layout::STAGES).join(format!("{name}.jsonl"));

    let discovered = chaff_ingest::discover(inputs).context("cannot list the inputs")?;
    // An input directory may hold the output directory (`chaff run . --out out`): what is in
    // it is chaff's own output (of an earlier run, or being written) and is not read; each
    // such file is quarantined, so the skip is seen.
    let out_canonical = out_dir.canonicalize().ok();
    let (discovered, inside_out): (Vec<chaff_ingest::Input>, Vec<chaff_ingest::Input>) =
        discovered.into_iter().partition(|input| {
            !out_canonical.as_ref().is_some_and(|out| {
                input
                    .path
                    .canonicalize()
                    .is_ok_and(|path| path.starts_with(out))
            })
        });
    let mut figures: BTreeMap<&str, StageFigures> = STAGES
        .iter()
        .map(|name| (*name, StageFigures::new(name)))
        .collect();

    // Pass 1: ingest, clean, segment; dedup signatures into the index; spill.
    let mut quarantine = AtomicJsonl::create(out_dir.join(layout::QUARANTINE))?;
    let mut stage_files: BTreeMap<&str, AtomicJsonl> = BTreeMap::new();
    if keep_stages {
        for name in ["ingest", "clean", "segment"] {
            stage_files.insert(name, AtomicJsonl::create(stage_path(name))?);
        }
    }
    let spill = partial_file(out_dir).context("cannot create the spill file")?;
    let mut spill_writer = BufWriter::with_capacity(1 << 20, spill);
    let mut pass1 = Pass1 {
        n_records: 0,
        quarantined: Vec::new(),
        index: DedupIndex::new(&config.dedup, out_dir)?,
    };
    for input in inside_out {
        let entry = Quarantined {
            source: chaff_record::Source {
                path: input.name.clone(),
                ..chaff_record::Source::default()
            },
            stage: "ingest".to_owned(),
            kind: "inside_output_dir".to_owned(),
            error: format!(
                "{} is inside the output directory {}: chaff does not read its own outputs",
                input.name,
                out_dir.display()
            ),
        };
        note_quarantined(&mut quarantine, &mut pass1.quarantined, entry)?;
    }
    let mut ingest_clock = Instant::now();
    progress.start_pass("ingest, clean, segment", None);
    chaff_ingest::ingest(
        &config.ingest,
        &discovered,
        config.run.batch_size,
        |items| -> anyhow::Result<()> {
            let mut records = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    chaff_ingest::Item::Record(record) => records.push(record),
                    chaff_ingest::Item::Quarantined(entry) => {
                        note_quarantined(&mut quarantine, &mut pass1.quarantined, entry)?;
                    }
                }
            }
            let ingest_figures = figures.get_mut("ingest").context("ingest figures")?;
            ingest_figures.seconds += ingest_clock.elapsed().as_secs_f64();
            for record in &records {
                ingest_figures.bytes_in += record.text.len() as u64;
            }
            ingest_figures.docs_in += records.len() as u64;
            account_out(&records, "ingest", ingest_figures);
            if let Some(file) = stage_files.get_mut("ingest") {
                file.write_encoded(&encode_all(&records)?, records.len() as u64)?;
            }

            let records = run_stage(
                &config.clean,
                records,
                figures.get_mut("clean").context("clean figures")?,
            );
            if let Some(file) = stage_files.get_mut("clean") {
                file.write_encoded(&encode_all(&records)?, records.len() as u64)?;
            }
            let records = run_stage(
                &config.segment,
                records,
                figures.get_mut("segment").context("segment figures")?,
            );
            if let Some(file) = stage_files.get_mut("segment") {
                file.write_encoded(&encode_all(&records)?, records.len() as u64)?;
            }
            let dedup_figures = figures.get_mut("dedup").context("dedup figures")?;
            let signing = Instant::now();
            // The spill frames and the signatures in parallel (both only read the batch).
            let (spilled, signatures) = rayon::join(
                || spill_all(&records),
                || signatures(&config.dedup, &records),
            );
            index_batch(&mut pass1.index, &records, signatures, &mut pass1.n_records)?;
            dedup_figures.seconds += signing.elapsed().as_secs_f64();
            spill_writer
                .write_all(&spilled?)
                .context("cannot write the spill file")?;
            progress.advance(
                records.len() as u64,
                records.iter().map(|r| r.text.len() as u64).sum(),
            );
            // Freed on every worker, not one after another here.
            records.into_par_iter().for_each(drop);
            ingest_clock = Instant::now();
            Ok(())
        },
    )?;
    progress.finish_pass();
    quarantine.commit()?;
    for (_, file) in std::mem::take(&mut stage_files) {
        file.commit()?;
    }
    let spill = spill_writer
        .into_inner()
        .map_err(|err| err.into_error())
        .context("cannot write the spill file")?;

    // The barrier: every signature is in; fix the plan. Borderline pairs are decided by their
    // shingle sets, read back from the spill for those documents only.
    let planning = Instant::now();
    let plan = pass1.index.finish(|wanted| {
        let reader = BufReader::with_capacity(
            1 << 20,
            spill.reopen().context("cannot reopen the spill file")?,
        );
        let mut frames = chaff_record::spill::FrameReader::new(reader);
        let mut number = 0u64;
        let mut buf = Vec::new();
        shingle_sets(&config.dedup, wanted, config.run.batch_size, |want| {
            number += 1;
            if !frames
                .next_frame(&mut buf)
                .context("cannot read back the spill file")?
            {
                return Ok(None);
            }
            if !want {
                return Ok(Some(None));
            }
            let record = chaff_record::spill::decode(&buf, number)
                .context("cannot read back the spill file")?;
            Ok(Some(Some(record)))
        })
    })?;
    figures.get_mut("dedup").context("dedup figures")?.seconds += planning.elapsed().as_secs_f64();

    // Pass 2: stream the spill through the plan to the outputs and the report.
    let mut kept = AtomicJsonl::create(out_dir.join(layout::KEPT))?;
    let mut dropped = AtomicJsonl::create(out_dir.join(layout::DROPPED))?;
    let mut dedup_stage_file = if keep_stages {
        Some(AtomicJsonl::create(stage_path("dedup"))?)
    } else {
        None
    };
    let mut builder = chaff_report::Builder::new(&config.report);
    let reader = BufReader::with_capacity(
        1 << 20,
        spill.reopen().context("cannot reopen the spill file")?,
    );
    // The spill is chaff's own file, in binary frames (`chaff_record::spill`: JSON encoding
    // and decoding of large records were this pass's largest costs). Frames are read one
    // batch at a time and decoded in parallel.
    let mut spill_frames = chaff_record::spill::FrameReader::new(reader);
    let mut ordinal: u64 = 0;
    progress.start_pass("dedup, write", Some(pass1.n_records));
    // Two steps in a pipeline: while one batch is observed by the report, encoded and written
    // (mostly serial work), the next is read, decoded and put through the plan on the other
    // workers. `rayon::join` runs the two one after the other on a single thread, so the
    // thread count is the one asked for, and the order of the outputs is the input order.
    let batch_size = config.run.batch_size.max(1);
    let dedup_figures = figures.get_mut("dedup").context("dedup figures")?;
    let mut next_batch = || -> anyhow::Result<Option<Vec<Record>>> {
        let mut frames: Vec<(Vec<u8>, u64)> = Vec::with_capacity(batch_size);
        while frames.len() < batch_size {
            let mut buf = Vec::new();
            if !spill_frames
                .next_frame(&mut buf)
                .context("cannot read back the spill file")?
            {
                break;
            }
            frames.push((buf, ordinal + frames.len() as u64 + 1));
        }
        if frames.is_empty() {
            return Ok(None);
        }
        let batch: Vec<Record> = frames
            .par_iter()
            .map(|(frame, number)| chaff_record::spill::decode(frame, *number))
            .collect::<Result<_, _>>()
            .context("cannot read back the spill file")?;
        let applying = Instant::now();
        for record in batch.iter().filter(|r| !r.is_dropped()) {
            dedup_figures.docs_in += 1;
            dedup_figures.bytes_in += record.text.len() as u64;
        }
        let batch = apply_plan(&plan, ordinal, batch);
        ordinal += batch.len() as u64;
        account_out(&batch, "dedup", dedup_figures);
        dedup_figures.seconds += applying.elapsed().as_secs_f64();
        Ok(Some(batch))
    };
    let mut write_batch = |batch: Vec<Record>| -> anyhow::Result<()> {
        if let Some(file) = dedup_stage_file.as_mut() {
            file.write_encoded(&encode_all(&batch)?, batch.len() as u64)?;
        }
        for record in &batch {
            builder.observe(record);
        }
        let n_batch = batch.len() as u64;
        let (kept_batch, dropped_batch): (Vec<Record>, Vec<Record>) =
            batch.into_iter().partition(|r| !r.is_dropped());
        kept.write_encoded(&encode_all(&kept_batch)?, kept_batch.len() as u64)?;
        dropped.write_encoded(&encode_all(&dropped_batch)?, dropped_batch.len() as u64)?;
        progress.advance(n_batch, 0);
        Ok(())
    };
    let mut pending = next_batch()?;
    while let Some(batch) = pending.take() {
        let (written, next) = rayon::join(|| write_batch(batch), &mut next_batch);
        written?;
        pending = next?;
    }
    progress.finish_pass();
    if ordinal != pass1.n_records {
        bail!(
            "the spill file gave back {ordinal} records of {} written",
            pass1.n_records
        );
    }
    kept.commit()?;
    dropped.commit()?;
    if let Some(file) = dedup_stage_file {
        file.commit()?;
    }
    let mut candidates = AtomicJsonl::create(out_dir.join(layout::CANDIDATES))?;
    for pair in plan.candidate_pairs() {
        candidates.write_value(pair)?;
    }
    candidates.commit()?;

    let summary = plan.summary();
    let run_figures = RunFigures {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        config: serde_json::to_value(config)?,
        n_ingested: pass1.n_records,
        stages: STAGES
            .iter()
            .filter_map(|name| figures.remove(name))
            .collect(),
        quarantined: pass1.quarantined,
        dedup: serde_json::to_value(&summary)?,
        warnings: run_warnings(config, &summary),
        wall_seconds: started.elapsed().as_secs_f64(),
        threads: rayon::current_num_threads(),
        peak_rss_bytes: peak_rss_bytes(),
    };
    let report = builder.finish(run_figures);
    write_report(&report, out_dir)?;
    report
        .check_identity()
        .context("the run lost track of documents; see report.md")?;
    if report.totals.ingested == 0 {
        bail!(
            "no readable input: no document came out of {} ({} quarantined, see {})",
            report.run.inputs.join(", "),
            report.totals.quarantined,
            out_dir.join(layout::QUARANTINE).display()
        );
    }
    Ok(RunOutcome {
        out_dir: out_dir.to_path_buf(),
        report,
    })
}

/// Writes `report.json`, `report.md` and `report.html` into `out_dir`.
pub fn write_report(report: &Report, out_dir: &Path) -> anyhow::Result<()> {
    write_atomic(
        &out_dir.join(layout::REPORT_JSON),
        report.to_json().as_bytes(),
    )?;
    write_atomic(
        &out_dir.join(layout::REPORT_MD),
        report.to_markdown().as_bytes(),
    )?;
    write_atomic(
        &out_dir.join(layout::REPORT_HTML),
        report.to_html().as_bytes(),
    )?;
    Ok(())
}

/// Where a per-stage command puts the input lines that are not records (malformed JSON, another
/// schema version, too long): quarantine entries naming the file and line, written as JSON
/// lines to a file, or logged as warnings on standard error; counted either way. The rest of
/// the input goes on.
pub struct BadLines {
    file: Option<JsonlWriter<Box<dyn Write>>>,
    count: u64,
}

impl BadLines {
    /// Entries to the file at `path`, or warnings when there is none.
    pub fn new(path: Option<&Path>) -> anyhow::Result<BadLines> {
        let file = match path {
            Some(path) => Some(JsonlWriter::new(open_output(Some(path))?)),
            None => None,
        };
        Ok(BadLines { file, count: 0 })
    }

    /// Puts one entry.
    pub fn put(&mut self, entry: Quarantined) -> anyhow::Result<()> {
        self.count += 1;
        match self.file.as_mut() {
            Some(file) => file.write(&entry)?,
            None => tracing::warn!("skipped: {}", entry.error),
        }
        Ok(())
    }

    /// Flushes the file; returns the count.
    pub fn finish(self) -> anyhow::Result<u64> {
        if let Some(file) = self.file {
            file.finish()?;
        }
        Ok(self.count)
    }
}

/// A reader of records that goes on after a bad line (each one comes back as an error).
pub fn skipping_reader<R: std::io::BufRead>(input: R, name: &str) -> RecordReader<R> {
    let options = ReadOptions {
        on_error: chaff_record::OnError::Skip,
        ..ReadOptions::default()
    };
    RecordReader::new(input, name, options)
}

/// The next record of `reader`, handing each bad line before it to `bad` as `stage`'s
/// quarantine entry (or passing over it when `bad` is `None`: a later pass over input whose
/// bad lines were reported already). An I/O error ends the read.
pub fn next_record<R: std::io::BufRead>(
    reader: &mut RecordReader<R>,
    stage: &str,
    mut bad: Option<&mut BadLines>,
) -> anyhow::Result<Option<Record>> {
    for item in reader.by_ref() {
        match item {
            Ok(record) => return Ok(Some(record)),
            Err(err) => match err.quarantine(stage) {
                Some(entry) => {
                    if let Some(bad) = bad.as_deref_mut() {
                        bad.put(entry)?;
                    }
                }
                None => return Err(err.into()),
            },
        }
    }
    Ok(None)
}

/// Up to `n` records of `reader` (see [`next_record`]).
fn next_batch<R: std::io::BufRead>(
    reader: &mut RecordReader<R>,
    n: usize,
    stage: &str,
    mut bad: Option<&mut BadLines>,
) -> anyhow::Result<Vec<Record>> {
    let mut batch = Vec::with_capacity(n.max(1));
    while batch.len() < n.max(1) {
        match next_record(reader, stage, bad.as_deref_mut())? {
            Some(record) => batch.push(record),
            None => break,
        }
    }
    Ok(batch)
}

/// Streams JSON-lines records from `input` through a per-record stage to `output`, a batch at
/// a time, in input order. A line that is not a record goes to `bad`, naming the file and
/// line, and the rest goes on.
pub fn stream_stage(
    stage: &dyn RecordStage,
    input: impl std::io::BufRead,
    input_name: &str,
    output: impl Write,
    batch_size: usize,
    bad: &mut BadLines,
) -> anyhow::Result<StageFigures> {
    let mut figures = StageFigures::new(stage.name());
    let mut reader = skipping_reader(input, input_name);
    let mut writer = JsonlWriter::new(output);
    loop {
        let batch = next_batch(&mut reader, batch_size, stage.name(), Some(&mut *bad))?;
        if batch.is_empty() {
            break;
        }
        for record in run_stage(stage, batch, &mut figures) {
            writer.write(&record)?;
        }
    }
    writer.finish()?;
    Ok(figures)
}

/// Opens a file for reading, or standard input for `-` or no path.
pub fn open_input(path: Option<&Path>) -> anyhow::Result<(Box<dyn std::io::BufRead>, String)> {
    match path {
        None => Ok((Box::new(std::io::stdin().lock()), "<stdin>".to_owned())),
        Some(path) if path == Path::new("-") => {
            Ok((Box::new(std::io::stdin().lock()), "<stdin>".to_owned()))
        }
        Some(path) => {
            let file =
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            Ok((
                Box::new(BufReader::with_capacity(1 << 20, file)),
                path.display().to_string(),
            ))
        }
    }
}

/// Opens a file for writing, or standard output for `-` or no path.
pub fn open_output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    match path {
        None => Ok(Box::new(BufWriter::new(std::io::stdout().lock()))),
        Some(path) if path == Path::new("-") => {
            Ok(Box::new(BufWriter::new(std::io::stdout().lock())))
        }
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Ok(Box::new(BufWriter::with_capacity(1 << 20, file)))
        }
    }
}

/// Runs dedup over a JSON-lines file in two passes (signatures, then verdicts), writing every
/// record with its verdict to `output` in input order. Standard input is spilled to a temporary
/// file first, since dedup must read its input twice. A line that is not a record goes to
/// `bad` (once, from the first pass) and is left out of both passes.
pub fn dedup_file(
    config: &chaff_dedup::Config,
    input: Option<&Path>,
    output: impl Write,
    batch_size: usize,
    bad: &mut BadLines,
) -> anyhow::Result<serde_json::Value> {
    config.validate().context("in the [dedup] configuration")?;
    // The temporary copy of standard input lives until the function returns.
    let (path, name, _spill_guard): (PathBuf, String, Option<NamedTempFile>) = match input {
        Some(path) if path != Path::new("-") => {
            (path.to_path_buf(), path.display().to_string(), None)
        }
        _ => {
            let mut file = NamedTempFile::new().context("cannot create a temporary file")?;
            std::io::copy(&mut std::io::stdin().lock(), &mut file)
                .context("cannot spill standard input")?;
            let path = file.path().to_path_buf();
            (path, "<stdin>".to_owned(), Some(file))
        }
    };
    let open = || -> anyhow::Result<RecordReader<BufReader<File>>> {
        let file = File::open(&path).with_context(|| format!("cannot open {name}"))?;
        Ok(skipping_reader(
            BufReader::with_capacity(1 << 20, file),
            &name,
        ))
    };
    let mut index = DedupIndex::new(config, &std::env::temp_dir())?;
    let mut reader = open()?;
    let mut ordinal = 0u64;
    loop {
        let batch = next_batch(&mut reader, batch_size, "dedup", Some(&mut *bad))?;
        if batch.is_empty() {
            break;
        }
        index_batch(&mut index, &batch, signatures(config, &batch), &mut ordinal)?;
    }
    let plan = index.finish(|wanted| {
        let mut reader = open()?;
        shingle_sets(config, wanted, batch_size, |_| {
            next_record(&mut reader, "dedup", None).map(|r| r.map(Some))
        })
    })?;
    let mut reader = open()?;
    let mut writer = JsonlWriter::new(output);
    let mut ordinal = 0u64;
    loop {
        let batch = next_batch(&mut reader, batch_size, "dedup", None)?;
        if batch.is_empty() {
            break;
        }
        let batch = apply_plan(&plan, ordinal, batch);
        ordinal += batch.len() as u64;
        for record in &batch {
            writer.write(record)?;
        }
    }
    writer.finish()?;
    Ok(serde_json::to_value(plan.summary())?)
}
