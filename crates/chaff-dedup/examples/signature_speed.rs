//! Times `signature` and the whole stage (`dedup_all`, or the sharded mode when the config sets
//! `shard_docs`) on a synthetic corpus of made-up words,
//! at the thread count rayon picks. A rough figure for development; the real benchmark is
//! `cargo xtask bench`. Run in release mode:
//!
//! `cargo run --release -p chaff-dedup --example signature_speed -- [n_docs] [words_per_doc] [config as JSON]`
//!
//! With a JSON-lines file (`{"id": ..., "text": ...}` a line) in place of `n_docs`, its records
//! are timed instead (raw text: no clean or segment spans):
//!
//! `cargo run --release -p chaff-dedup --example signature_speed -- reuters.jsonl 0 [config]`
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use chaff_record::{Record, Source};
use rayon::prelude::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next().unwrap_or_default();
    let n_words: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let records = if first.ends_with(".jsonl") {
        read_jsonl(&first)
    } else {
        synthetic(first.parse().unwrap_or(20_000), n_words)
    };
    let n_docs = records.len();
    let megabytes = records.iter().map(|r| r.text.len()).sum::<usize>() as f64 / 1e6;
    run(records, n_docs, megabytes, args.next());
}

fn read_jsonl(path: &str) -> Vec<Record> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            Record::new(
                value["id"].as_str().unwrap(),
                value["text"].as_str().unwrap(),
                Source::default(),
            )
        })
        .collect()
}

fn synthetic(n_docs: usize, n_words: usize) -> Vec<Record> {
    // A vocabulary of 5,000 made-up words drawn with a fixed linear congruential stream.
    let vocabulary: Vec<String> = (0..5000u64)
        .map(|i| {
            let mut x = i * 2_654_435_761 + 12_345;
            (0..3 + (i % 6))
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (b'a' + ((x >> 33) % 26) as u8) as char
                })
                .collect()
        })
        .collect();
    let mut state = 42u64;
    (0..n_docs)
        .map(|d| {
            let words: Vec<&str> = (0..n_words)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    vocabulary[((state >> 33) % 5000) as usize].as_str()
                })
                .collect();
            Record::new(format!("d{d}"), words.join(" ") + ".", Source::default())
        })
        .collect()
}

fn run(records: Vec<Record>, n_docs: usize, megabytes: f64, config: Option<String>) {
    let config: chaff_dedup::Config = config
        .map(|json| serde_json::from_str(&json).unwrap())
        .unwrap_or_default();
    let started = Instant::now();
    let signatures: Vec<_> = records
        .par_iter()
        .map(|record| chaff_dedup::signature(&config, record))
        .collect();
    let signing = started.elapsed().as_secs_f64();
    drop(signatures);
    let started = Instant::now();
    let summary = if config.shard_docs == 0 {
        chaff_dedup::dedup_all(&config, records).1
    } else {
        // The sharded mode (`"shard_docs": N` in the config), spilling to the temporary
        // directory: signatures, shards written, bands merged, plan applied.
        let signatures: Vec<_> = records
            .par_iter()
            .map(|record| chaff_dedup::signature(&config, record))
            .collect();
        let mut index = chaff_dedup::ShardedIndex::new(&config, &std::env::temp_dir());
        for (ordinal, (record, signature)) in records.iter().zip(signatures).enumerate() {
            index.insert(ordinal as u64, &record.id, signature).unwrap();
        }
        let plan = index.finish().unwrap();
        let applied: Vec<Record> = records
            .into_par_iter()
            .enumerate()
            .map(|(ordinal, record)| plan.apply(ordinal as u64, record))
            .collect();
        drop(applied);
        plan.summary()
    };
    let whole = started.elapsed().as_secs_f64();
    println!(
        "{n_docs} documents, {megabytes:.1} MB, {} threads: signatures {:.0} docs/s ({:.1} MB/s); \
         whole stage {:.0} docs/s ({:.1} MB/s); index {:.0} bytes/doc",
        rayon::current_num_threads(),
        n_docs as f64 / signing,
        megabytes / signing,
        n_docs as f64 / whole,
        megabytes / whole,
        summary.index_bytes_per_doc
    );
}
