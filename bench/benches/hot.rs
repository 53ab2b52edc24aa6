//! Micro-benchmarks of chaff's hot functions, so that a regression shows in review:
//! `cargo bench -p chaff-bench` (criterion; `cargo test` only compiles them).
//!
//! Each function runs on one real-looking paragraph or document held in this file (written for
//! the benchmark, not taken from a corpus) so the figures need no external data.

// criterion's macros define public functions without documentation.
#![allow(missing_docs)]

use std::hint::black_box;

use chaff_record::{Record, RecordStage as _, Source};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A hard-wrapped news paragraph with curly quotes, an abbreviation, a decimal and a date.
const PARAGRAPH: &str = "WASHINGTON, March 30 - The U.S. Treasury said on Wednesday it would\n\
sell $24.5 billion of two-year notes next week, a move analysts at\n\
Smith Barney Inc. had expected. \u{201C}We see no change in the pace of\n\
issuance,\u{201D} said Mr. J. R. Allen, a strategist. Yields rose 0.03\n\
point to 7.12 pct by 3 p.m. on 03/30/1987, after the Fed\u{2019}s report.\n\
Dealers said demand was strong; the auction is set for Tuesday.";

/// A document: the paragraph eight times with small changes, as paragraphs.
fn document() -> String {
    (0..8)
        .map(|n| PARAGRAPH.replace("Tuesday", &format!("day {n}")))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn clean(c: &mut Criterion) {
    let config = chaff_clean::Config::default();
    let mut group = c.benchmark_group("clean");
    group.throughput(Throughput::Bytes(PARAGRAPH.len() as u64));
    group.bench_function("clean_text/paragraph", |b| {
        b.iter(|| chaff_clean::clean_text(&config, black_box(PARAGRAPH)))
    });
    let mut no_log = config.clone();
    no_log.record_edits = false;
    group.bench_function("clean_text/paragraph, no edit log", |b| {
        b.iter(|| chaff_clean::clean_text(&no_log, black_box(PARAGRAPH)))
    });
    group.finish();
}

fn segment(c: &mut Criterion) {
    let config = chaff_segment::Config::default();
    let text = document();
    let mut group = c.benchmark_group("segment");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("sentences/document", |b| {
        b.iter(|| chaff_segment::sentences(&config, black_box(&text)))
    });
    group.bench_function("words/document", |b| {
        b.iter(|| chaff_segment::words(black_box(&text)))
    });
    group.bench_function("paragraphs/document", |b| {
        b.iter(|| chaff_segment::paragraphs(black_box(&text)))
    });
    group.finish();
}

fn dedup(c: &mut Criterion) {
    let text = document();
    let record =
        chaff_segment::Config::default().apply(Record::new("doc", text.clone(), Source::default()));
    let full = chaff_dedup::Config::default();
    let mut minhash_only = chaff_dedup::Config {
        exact: false,
        paragraphs: false,
        shared_sentences: false,
        ..chaff_dedup::Config::default()
    };
    minhash_only.near = true;
    let mut group = c.benchmark_group("dedup");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("signature/document, every level", |b| {
        b.iter(|| chaff_dedup::signature(&full, black_box(&record)))
    });
    group.bench_function("signature/document, shingles + MinHash only", |b| {
        b.iter(|| chaff_dedup::signature(&minhash_only, black_box(&record)))
    });
    group.finish();
}

fn record(c: &mut Criterion) {
    let text = document();
    let record = chaff_segment::Config::default()
        .apply(chaff_clean::Config::default().apply(Record::new("doc", text, Source::default())));
    let mut line = Vec::new();
    if chaff_record::encode_record(&record, &mut line).is_err() {
        return;
    }
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Bytes(line.len() as u64));
    group.bench_function("encode_record", |b| {
        let mut out = Vec::with_capacity(line.len());
        b.iter(|| {
            out.clear();
            chaff_record::encode_record(black_box(&record), &mut out)
        })
    });
    group.bench_function("parse_record", |b| {
        b.iter(|| chaff_record::parse_record(black_box(&line), "bench", 1))
    });
    group.finish();
}

criterion_group!(benches, clean, segment, dedup, record);
criterion_main!(benches);
