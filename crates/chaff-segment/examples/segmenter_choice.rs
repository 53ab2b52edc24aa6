//! The measurement behind building chaff's own sentence splitter: the English Golden Rules
//! and throughput of plain Unicode sentence boundaries (UAX #29, unicode-segmentation),
//! sentencex (Wikimedia's Rust segmenter, fed one paragraph at a time) and chaff's splitter,
//! on the same texts.
//!
//! ```text
//! cargo run --release -p chaff-segment --features compare --example segmenter_choice -- \
//!     fixtures/golden/golden_rules_en.jsonl [RECORDS.jsonl] 2> /dev/null
//! ```
//!
//! sentencex 0.1.33 prints two progress lines to standard error on every call: send them to
//! /dev/null (`2> /dev/null`); writing them is part of its measured time. Golden Rules are scored as the crate's test scores them (sentences
//! compared with white space folded). Throughput is over the `text` of every line of RECORDS.jsonl (default: the
//! Golden Rules texts repeated), one thread, text in memory.

use std::time::Instant;

use unicode_segmentation::UnicodeSegmentation as _;

type Segmenter = fn(&str) -> Vec<String>;

fn chaff(text: &str) -> Vec<String> {
    // Spans are code points; a forward cursor turns them into byte offsets in one pass.
    let mut cursor = chaff_record::offsets::ByteCursor::new(text);
    chaff_segment::sentences(&chaff_segment::Config::default(), text)
        .into_iter()
        .filter_map(|span| {
            let start = cursor.byte_offset(span.start)?;
            let end = cursor.byte_offset(span.end)?;
            text.get(start..end).map(str::to_owned)
        })
        .collect()
}

fn uax29(text: &str) -> Vec<String> {
    text.unicode_sentences()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn sentencex(text: &str) -> Vec<String> {
    // A paragraph at a time: sentencex slows down more than linearly inside one long one.
    text.split("\n\n")
        .flat_map(|paragraph| sentencex::segment("en", paragraph))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A text and the sentences expected of it (none for a corpus text).
type Case = (String, Vec<String>);

fn texts_of(path: &str) -> Result<Vec<Case>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for line in std::fs::read_to_string(path)?.lines() {
        let value: serde_json::Value = serde_json::from_str(line)?;
        let text = value["text"].as_str().unwrap_or_default().to_owned();
        let expected = value["expected"]
            .as_array()
            .map(|list| list.iter().filter_map(|s| s.as_str()).map(fold).collect())
            .unwrap_or_default();
        out.push((text, expected));
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(golden_path) = args.first() else {
        return Err("usage: segmenter_choice GOLDEN_RULES.jsonl [RECORDS.jsonl]".into());
    };
    let golden = texts_of(golden_path)?;
    let corpus: Vec<String> = match args.get(1) {
        Some(path) => texts_of(path)?.into_iter().map(|(text, _)| text).collect(),
        None => (0..2000)
            .flat_map(|_| golden.iter().map(|(text, _)| text.clone()))
            .collect(),
    };
    let n_bytes: usize = corpus.iter().map(String::len).sum();
    println!(
        "{} Golden Rules cases; throughput over {} texts, {:.1} MB",
        golden.len(),
        corpus.len(),
        n_bytes as f64 / 1e6
    );
    println!("| segmenter | Golden Rules | MB/s |\n|---|---:|---:|");
    let segmenters: [(&str, Segmenter); 3] = [
        ("unicode-segmentation (UAX #29 sentences)", uax29),
        ("sentencex (Rust, a paragraph at a time)", sentencex),
        ("chaff-segment", chaff),
    ];
    for (name, segment) in segmenters {
        let passed = golden
            .iter()
            .filter(|(text, expected)| {
                segment(text).iter().map(|s| fold(s)).collect::<Vec<_>>() == *expected
            })
            .count();
        let started = Instant::now();
        let mut n_sentences = 0;
        for text in &corpus {
            n_sentences += segment(text).len();
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "| {name} | {passed} of {} | {:.1} |",
            golden.len(),
            n_bytes as f64 / 1e6 / seconds.max(1e-9)
        );
        std::hint::black_box(n_sentences);
    }
    Ok(())
}
