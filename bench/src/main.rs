//! `chaff-bench`: times chaff's stages in-process on one JSON-lines file.
//!
//! # Brief overview
//! Reads the whole file into memory first (reading is not timed), then times each stage through
//! its public API at every requested thread count, each in its own rayon pool:
//! - `clean`: `chaff_clean::Config::default()` through `RecordStage::apply`;
//! - `segment`: `chaff_segment::Config::default()` through `RecordStage::apply`, on the cleaned
//!   records;
//! - `dedup`: `chaff_dedup::signature` over the segmented records (parallel), then
//!   `Index::new`, `insert` and `finish` (one thread: the corpus barrier) and `Plan::apply`;
//! - `stages`: the sum of the three, the in-process pipeline without file reading or writing.
//!
//! It prints one JSON object with MB/s and documents/s per stage and thread count, how many
//! documents each stage touched (clean: edited or dropped; segment: given spans; dedup: given
//! a verdict), which shows a stage that is still a pass-through, plus the dedup index's bytes
//! per document and, with `--golden`, segment's Golden Rules score. `cargo xtask bench` runs it; it is not meant to be run by
//! hand, but can be:
//!
//! ```text
//! chaff-bench --input target/bench-data/reuters.jsonl --threads 1,2
//! ```
//!
//! Input lines are chaff's ingest input: `{"id": "...", "text": "...", ...}`; other fields are
//! kept as metadata.
//!
//! Four more subcommands serve the planted-duplicate benchmark (see [`plant`]):
//! - `chaff-bench plant --input FILE --out FILE --truth FILE [--seed N] [--share F] [--copies K]` writes a
//!   corpus with planted near duplicates and their ground truth;
//! - `chaff-bench planted --input FILE [--threads 1,2] [--pairs-out FILE] [--candidates-out FILE]
//!   [--levels …]` times chaff's dedup stage alone on it (segment runs first, untimed, as in the
//!   pipeline) and writes the pairs it reported (each duplicate with the document it was
//!   verified against, as line numbers) and the candidate pairs it compared;
//! - `chaff-bench score --input FILE --truth FILE --pairs NAME=FILE… [--docs-done NAME=N…]`
//!   scores each tool's pairs (a tool that stopped early on the first N documents only);
//! - `chaff-bench misses --input FILE --truth FILE --pairs FILE [--candidates FILE]` puts each
//!   planted pair that chaff's pairs miss down to a cause (see [`misses`]); the candidates are
//!   what `planted --candidates-out` wrote in the same run.

/// The allocator the `chaff` binary uses, so in-process figures match a run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use chaff_record::{Record, RecordStage as _, Source};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

mod misses;
mod plant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("plant") => plant_command(&args[1..]),
        Some("planted") => planted_command(&args[1..]),
        Some("score") => score_command(&args[1..]),
        Some("misses") => misses_command(&args[1..]),
        _ => stages_command(args),
    }
}

/// `--flag value` pairs of a subcommand, in order.
fn flags(args: &[String]) -> anyhow::Result<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        out.push((flag.as_str(), value.as_str()));
    }
    Ok(out)
}

fn plant_command(args: &[String]) -> anyhow::Result<()> {
    let (mut input, mut out, mut truth) = (None, None, None);
    let (mut seed, mut share, mut copies) = (7u64, 0.5f64, 1usize);
    for (flag, value) in flags(args)? {
        match flag {
            "--input" => input = Some(PathBuf::from(value)),
            "--out" => out = Some(PathBuf::from(value)),
            "--truth" => truth = Some(PathBuf::from(value)),
            "--seed" => seed = value.parse().context("bad --seed")?,
            "--share" => share = value.parse().context("bad --share")?,
            "--copies" => copies = value.parse().context("bad --copies")?,
            other => bail!("unknown argument {other:?} of chaff-bench plant"),
        }
    }
    let usage = "usage: chaff-bench plant --input FILE --out FILE --truth FILE [--seed N] [--share F] [--copies K]";
    plant::plant(
        &input.context(usage)?,
        &out.context(usage)?,
        &truth.context(usage)?,
        seed,
        share,
        copies,
    )
}

fn score_command(args: &[String]) -> anyhow::Result<()> {
    let (mut input, mut truth) = (None, None);
    let mut threshold = chaff_dedup::Config::default().threshold;
    let mut tools = Vec::new();
    let mut done: Vec<(String, usize)> = Vec::new();
    for (flag, value) in flags(args)? {
        match flag {
            "--input" => input = Some(PathBuf::from(value)),
            "--truth" => truth = Some(PathBuf::from(value)),
            "--threshold" => threshold = value.parse().context("bad --threshold")?,
            "--pairs" => {
                let (name, path) = value.split_once('=').context("--pairs takes NAME=FILE")?;
                tools.push((name.to_owned(), PathBuf::from(path), None));
            }
            "--docs-done" => {
                let (name, n) = value.split_once('=').context("--docs-done takes NAME=N")?;
                done.push((name.to_owned(), n.parse().context("bad --docs-done")?));
            }
            other => bail!("unknown argument {other:?} of chaff-bench score"),
        }
    }
    for (name, n) in done {
        for tool in tools.iter_mut().filter(|t| t.0 == name) {
            tool.2 = Some(n);
        }
    }
    let usage = "usage: chaff-bench score --input FILE --truth FILE --pairs NAME=FILE… [--docs-done NAME=N…]";
    plant::score(
        &input.context(usage)?,
        &truth.context(usage)?,
        &tools,
        threshold,
    )
}

/// Why chaff's pairs miss the planted pairs they miss (see [`misses`]).
fn misses_command(args: &[String]) -> anyhow::Result<()> {
    let (mut input, mut truth, mut pairs, mut candidates) = (None, None, None, None);
    for (flag, value) in flags(args)? {
        match flag {
            "--input" => input = Some(PathBuf::from(value)),
            "--truth" => truth = Some(PathBuf::from(value)),
            "--pairs" => pairs = Some(PathBuf::from(value)),
            "--candidates" => candidates = Some(PathBuf::from(value)),
            other => bail!("unknown argument {other:?} of chaff-bench misses"),
        }
    }
    let usage =
        "usage: chaff-bench misses --input FILE --truth FILE --pairs FILE [--candidates FILE]";
    misses::misses(
        &input.context(usage)?,
        &truth.context(usage)?,
        &pairs.context(usage)?,
        candidates.as_deref(),
    )
}

/// Chaff's dedup stage alone on a planted corpus: signatures and the whole stage timed at each
/// thread count; the reported pairs written for `score`.
fn planted_command(args: &[String]) -> anyhow::Result<()> {
    let mut input = None;
    let mut threads: Vec<usize> = vec![1, 2];
    let (mut pairs_out, mut candidates_out) = (None, None);
    let mut levels = "all".to_owned();
    for (flag, value) in flags(args)? {
        match flag {
            "--input" => input = Some(PathBuf::from(value)),
            "--levels" => levels = value.to_owned(),
            "--threads" => {
                threads = value
                    .split(',')
                    .map(|n| n.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .with_context(|| format!("bad --threads {value:?}"))?;
            }
            "--pairs-out" => pairs_out = Some(PathBuf::from(value)),
            "--candidates-out" => candidates_out = Some(PathBuf::from(value)),
            other => bail!("unknown argument {other:?} of chaff-bench planted"),
        }
    }
    let usage = "usage: chaff-bench planted --input FILE [--threads 1,2] [--pairs-out FILE] \
                 [--candidates-out FILE] [--levels all|documents|documents-estimate|documents-exact]";
    let input = input.context(usage)?;
    // `all`: the stage as the pipeline runs it (documents, paragraphs, shared sentences);
    // `documents`: the document level alone, the job the MinHash peers do (tokenise, shingle,
    // sign, band, verify, cluster), pairs near the threshold rechecked by their shingle sets;
    // `documents-estimate`: that, by the MinHash estimate alone; `documents-exact`: verified by
    // the exact Jaccard of the shingle sets instead of the MinHash estimate.
    let config = match levels.as_str() {
        "all" => chaff_dedup::Config::default(),
        "documents" | "documents-estimate" | "documents-exact" => chaff_dedup::Config {
            paragraphs: false,
            shared_sentences: false,
            exact_jaccard: levels == "documents-exact",
            recheck_margin: if levels == "documents-estimate" {
                0.0
            } else {
                chaff_dedup::Config::default().recheck_margin
            },
            ..chaff_dedup::Config::default()
        },
        other => bail!("unknown --levels {other:?}; {usage}"),
    };
    let records = read_records(&input)?;
    let n_docs = records.len();
    let megabytes = records.iter().map(|r| r.text.len()).sum::<usize>() as f64 / 1e6;
    let segment_config = chaff_segment::Config::default();
    let segmented: Vec<Record> = records
        .into_par_iter()
        .map(|record| segment_config.apply(record))
        .collect();
    let mut runs = Map::new();
    let mut index_bytes_per_doc = 0.0;
    let (mut pairs, mut candidates) = (String::new(), String::new());
    for &n_threads in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n_threads)
            .build()
            .context("cannot build a rayon thread pool")?;
        let records = segmented.clone();
        let started = Instant::now();
        let signatures: Vec<chaff_dedup::Signature> = pool.install(|| {
            records
                .par_iter()
                .map(|record| chaff_dedup::signature(&config, record))
                .collect()
        });
        let signature_seconds = started.elapsed().as_secs_f64();
        let mut index = chaff_dedup::Index::new(&config);
        for (ordinal, (record, signature)) in records.iter().zip(signatures).enumerate() {
            index.insert(ordinal as u64, &record.id, signature);
        }
        index_bytes_per_doc = index.bytes_per_doc();
        // Borderline pairs decided by their shingle sets, as `chaff run` does.
        let Ok(plan) = pool.install(|| {
            index.finish_with(|wanted| {
                Ok::<_, std::convert::Infallible>(chaff_dedup::shingle_sets(
                    &config, &records, wanted,
                ))
            })
        });
        let verdicts: Vec<Record> = pool.install(|| {
            records
                .into_par_iter()
                .enumerate()
                .map(|(ordinal, record)| plan.apply(ordinal as u64, record))
                .collect()
        });
        let seconds = started.elapsed().as_secs_f64();
        runs.insert(
            format!("threads_{n_threads}"),
            json!({
                "signature_seconds": signature_seconds,
                "signature_docs_per_s": n_docs as f64 / signature_seconds.max(1e-9),
                "signature_mb_per_s": megabytes / signature_seconds.max(1e-9),
                "seconds": seconds,
                "docs_per_s": n_docs as f64 / seconds.max(1e-9),
                "mb_per_s": megabytes / seconds.max(1e-9),
                "n_kept": verdicts.iter().filter(|r| !r.is_dropped()).count(),
                "n_rechecked_docs": plan.summary().n_rechecked_docs,
                "n_rechecked_pairs": plan.summary().n_rechecked_pairs,
            }),
        );
        // The pairs of this run; the verdicts are dropped before the next run's copy is made.
        let index_of = positions(&verdicts);
        pairs = reported_pairs(&verdicts, &index_of);
        if candidates_out.is_some() {
            candidates = candidate_lines(&plan, &index_of);
        }
    }
    if let Some(path) = pairs_out {
        std::fs::write(&path, pairs).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = candidates_out {
        std::fs::write(&path, candidates)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "{}",
        json!({
            "n_docs": n_docs,
            "n_bytes": (megabytes * 1e6) as u64,
            "index_bytes_per_doc": index_bytes_per_doc,
            "levels": levels,
            "runs": runs,
        })
    );
    Ok(())
}

/// Every LSH candidate pair the plan compared, as JSON lines `[a, b]` of 0-based positions
/// (for `chaff-bench misses`, which tells a pair never compared from one compared and split).
fn candidate_lines(plan: &chaff_dedup::Plan, index_of: &HashMap<&str, usize>) -> String {
    let mut out = String::new();
    for pair in plan.candidate_pairs() {
        if let (Some(a), Some(b)) = (index_of.get(pair.a.as_str()), index_of.get(pair.b.as_str())) {
            let _ = writeln!(out, "[{a},{b}]");
        }
    }
    out
}

/// Each record's 0-based position, by id.
fn positions(verdicts: &[Record]) -> HashMap<&str, usize> {
    verdicts
        .iter()
        .enumerate()
        .map(|(n, r)| (r.id.as_str(), n))
        .collect()
}

/// Each duplicate with the document it was verified against (`via`, for a member joined through
/// another member; else the document it duplicates, or its cluster's representative), as JSON
/// lines `[a, b]` of 0-based positions. `via` is in the same cluster, so the clusters the pairs
/// form are the same either way.
fn reported_pairs(verdicts: &[Record], index_of: &HashMap<&str, usize>) -> String {
    let mut out = String::new();
    {
        for (n, record) in verdicts.iter().enumerate() {
            let other = record.dedup.as_ref().and_then(|d| {
                d.via
                    .as_deref()
                    .or(d.duplicate_of.as_deref())
                    .or(d.cluster.as_ref().map(|c| c.id.as_str()))
            });
            if let Some(&m) = other.and_then(|id| index_of.get(id))
                && m != n
            {
                out.push_str(&format!("[{m},{n}]\n"));
            }
        }
    }
    out
}

fn stages_command(args: Vec<String>) -> anyhow::Result<()> {
    let mut input: Option<PathBuf> = None;
    let mut threads: Vec<usize> = vec![1, 2];
    let mut golden: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--input" => input = Some(PathBuf::from(args.next().context("--input needs a path")?)),
            "--golden" => {
                golden = Some(PathBuf::from(args.next().context("--golden needs a path")?));
            }
            "--threads" => {
                let list = args.next().context("--threads needs a list such as 1,2")?;
                threads = list
                    .split(',')
                    .map(|n| n.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .with_context(|| format!("bad --threads {list:?}"))?;
            }
            other => bail!(
                "unknown argument {other:?}; usage: chaff-bench --input FILE [--threads 1,2] [--golden FILE]"
            ),
        }
    }
    let input = input.context("usage: chaff-bench --input FILE [--threads 1,2] [--golden FILE]")?;
    let records = read_records(&input)?;
    let n_docs = records.len();
    let n_bytes: usize = records.iter().map(|r| r.text.len()).sum();
    let megabytes = n_bytes as f64 / 1e6;

    let mut stages: Map<String, Value> = Map::new();
    let mut index_bytes_per_doc = 0.0;
    // Warm-up, not timed: the stages build their automata, regexes and tables once per
    // process on first use; a real run pays that once, not per corpus.
    for record in records.iter().take(200).cloned() {
        let record = chaff_clean::Config::default().apply(record);
        let record = chaff_segment::Config::default().apply(record);
        let _ = chaff_dedup::signature(&chaff_dedup::Config::default(), &record);
    }
    for &n_threads in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n_threads)
            .build()
            .context("cannot build a rayon thread pool")?;
        let clean_config = chaff_clean::Config::default();
        let segment_config = chaff_segment::Config::default();
        let dedup_config = chaff_dedup::Config::default();

        let input_records = records.clone();
        let started = Instant::now();
        let cleaned: Vec<Record> = pool.install(|| {
            input_records
                .into_par_iter()
                .map(|record| clean_config.apply(record))
                .collect()
        });
        let clean_seconds = started.elapsed().as_secs_f64();
        // How many records a stage touched shows whether it is still a pass-through.
        let clean_touched = cleaned
            .iter()
            .filter(|r| !r.edits.is_empty() || r.is_dropped())
            .count();

        let started = Instant::now();
        let segmented: Vec<Record> = pool.install(|| {
            cleaned
                .into_par_iter()
                .map(|record| segment_config.apply(record))
                .collect()
        });
        let segment_seconds = started.elapsed().as_secs_f64();
        let segment_touched = segmented.iter().filter(|r| !r.spans.is_empty()).count();

        let started = Instant::now();
        let signatures: Vec<chaff_dedup::Signature> = pool.install(|| {
            segmented
                .par_iter()
                .map(|record| chaff_dedup::signature(&dedup_config, record))
                .collect()
        });
        let signature_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let mut index = chaff_dedup::Index::new(&dedup_config);
        for (ordinal, (record, signature)) in segmented.iter().zip(signatures).enumerate() {
            index.insert(ordinal as u64, &record.id, signature);
        }
        index_bytes_per_doc = index.bytes_per_doc();
        let Ok(plan) = index.finish_with(|wanted| {
            Ok::<_, std::convert::Infallible>(chaff_dedup::shingle_sets(
                &dedup_config,
                &segmented,
                wanted,
            ))
        });
        let index_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let deduplicated: Vec<Record> = pool.install(|| {
            segmented
                .into_par_iter()
                .enumerate()
                .map(|(ordinal, record)| plan.apply(ordinal as u64, record))
                .collect()
        });
        let apply_seconds = started.elapsed().as_secs_f64();
        let n_kept = deduplicated.iter().filter(|r| !r.is_dropped()).count();
        let dedup_touched = deduplicated.iter().filter(|r| r.dedup.is_some()).count();
        let dedup_seconds = signature_seconds + index_seconds + apply_seconds;

        let figures = |seconds: f64| {
            json!({
                "seconds": seconds,
                "mb_per_s": megabytes / seconds.max(1e-9),
                "docs_per_s": n_docs as f64 / seconds.max(1e-9),
            })
        };
        let key = format!("threads_{n_threads}");
        let mut put = |stage: &str, value: Value| {
            let entry = stages
                .entry(stage.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = entry {
                map.insert(key.clone(), value);
            }
        };
        let mut clean = figures(clean_seconds);
        clean["n_touched"] = json!(clean_touched);
        put("clean", clean);
        let mut segment = figures(segment_seconds);
        segment["n_touched"] = json!(segment_touched);
        put("segment", segment);
        let mut dedup = figures(dedup_seconds);
        dedup["n_touched"] = json!(dedup_touched);
        dedup["signature_seconds"] = json!(signature_seconds);
        dedup["index_seconds"] = json!(index_seconds);
        dedup["apply_seconds"] = json!(apply_seconds);
        dedup["n_kept"] = json!(n_kept);
        put("dedup", dedup);
        put(
            "stages",
            figures(clean_seconds + segment_seconds + dedup_seconds),
        );
    }
    let golden_rules = match &golden {
        Some(path) => Some(golden_rules_score(path)?),
        None => None,
    };
    let output = json!({
        "golden_rules": golden_rules,
        "input": input.display().to_string(),
        "n_docs": n_docs,
        "n_bytes": n_bytes,
        "dedup_index_bytes_per_doc": index_bytes_per_doc,
        "stages": stages,
    });
    println!("{output}");
    Ok(())
}

/// The share of Golden Rules cases whose sentences chaff's segment stage gets exactly right
/// (each sentence compared after trimming white space), as the peer scripts score them.
fn golden_rules_score(path: &std::path::Path) -> anyhow::Result<f64> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let config = chaff_segment::Config::default();
    let mut n_cases = 0;
    let mut n_right = 0;
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).context("bad golden rules line")?;
        let input = case["text"].as_str().unwrap_or_default();
        let expected: Vec<&str> = case["expected"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::trim)
            .collect();
        let record = config.apply(Record::new("golden", input, Source::default()));
        let got: Vec<&str> = record
            .spans
            .get("sentences")
            .into_iter()
            .flatten()
            .filter_map(|span| chaff_record::offsets::slice(&record.text, *span))
            .map(str::trim)
            .filter(|sentence| !sentence.is_empty())
            .collect();
        n_cases += 1;
        if got == expected {
            n_right += 1;
        }
    }
    Ok(n_right as f64 / f64::from(n_cases.max(1)))
}

/// Reads ingest-input JSON lines (`id`, `text`, anything else into metadata) into records.
fn read_records(path: &std::path::Path) -> anyhow::Result<Vec<Record>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut records = Vec::new();
    let name = path.display().to_string();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {name}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let line_number = index as u64 + 1;
        let mut object: Map<String, Value> = serde_json::from_str(&line)
            .with_context(|| format!("{name}:{line_number}: not a JSON object"))?;
        let text = match object.remove("text") {
            Some(Value::String(text)) => text,
            _ => bail!("{name}:{line_number}: no \"text\" string"),
        };
        let id = match object.remove("id") {
            Some(Value::String(id)) => id,
            Some(other) => other.to_string(),
            None => format!("{name}:{line_number}"),
        };
        let source = Source {
            path: name.clone(),
            line: Some(line_number),
            offset: None,
        };
        let mut record = Record::new(id, text, source);
        record.metadata = object;
        records.push(record);
    }
    Ok(records)
}
