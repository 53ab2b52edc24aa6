//! Times the segment stage (`RecordStage::apply`: paragraphs, sentences, spans as code points)
//! on the records of a JSON-lines file held in memory, one thread.
//!
//! ```text
//! cargo run --release -p chaff-segment --example segment_records -- records.jsonl [repeats]
//! ```

use std::io::BufReader;
use std::time::Instant;

use chaff_record::{ReadOptions, RecordReader, RecordStage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, repeats) = match args.as_slice() {
        [input] => (input, 1),
        [input, repeats] => (input, repeats.parse()?),
        _ => return Err("usage: segment_records RECORDS.jsonl [REPEATS]".into()),
    };
    let file = std::fs::File::open(input).map_err(|e| format!("cannot open {input}: {e}"))?;
    let mut records = Vec::new();
    for record in RecordReader::new(BufReader::new(file), input.as_str(), ReadOptions::default()) {
        records.push(record?);
    }
    let config = chaff_segment::Config::default();
    let n_bytes: usize = records.iter().map(|r| r.text.len()).sum();
    let mut seconds = 0.0;
    let mut n_sentences = 0;
    for _ in 0..repeats {
        let batch = records.clone();
        let started = Instant::now();
        for record in batch {
            n_sentences += config
                .apply(record)
                .spans
                .get("sentences")
                .map_or(0, Vec::len);
        }
        seconds += started.elapsed().as_secs_f64();
    }
    println!(
        "{} records, {:.1} MB, {repeats} repeats: {seconds:.3} s, {:.1} MB/s, {n_sentences} sentences",
        records.len(),
        n_bytes as f64 / 1e6,
        (n_bytes * repeats) as f64 / 1e6 / seconds
    );
    Ok(())
}
