//! Times `clean_text` on the texts of a JSON-lines file held in memory, one thread.
//!
//! ```text
//! cargo run --release -p chaff-clean --example clean_speed -- records.jsonl [repeats]
//! ```
//!
//! With `CHAFF_CLEAN_NO_EDITS` set, edits are not logged (`record_edits = false`).

use std::io::BufReader;
use std::time::Instant;

use chaff_record::{ReadOptions, RecordReader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, repeats) = match args.as_slice() {
        [input] => (input, 1),
        [input, repeats] => (input, repeats.parse()?),
        _ => return Err("usage: clean_speed RECORDS.jsonl [REPEATS]".into()),
    };
    let file = std::fs::File::open(input).map_err(|e| format!("cannot open {input}: {e}"))?;
    let mut texts = Vec::new();
    for record in RecordReader::new(BufReader::new(file), input.as_str(), ReadOptions::default()) {
        texts.push(record?.text);
    }
    let config = chaff_clean::Config {
        record_edits: std::env::var_os("CHAFF_CLEAN_NO_EDITS").is_none(),
        ..chaff_clean::Config::default()
    };
    let n_bytes: usize = texts.iter().map(String::len).sum();
    let started = Instant::now();
    let mut n_edits = 0usize;
    for _ in 0..repeats {
        for text in &texts {
            n_edits += chaff_clean::clean_text(&config, text).edits.len();
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} texts, {:.1} MB, {repeats} repeats: {seconds:.3} s, {:.1} MB/s, {n_edits} edits",
        texts.len(),
        n_bytes as f64 / 1e6,
        (n_bytes * repeats) as f64 / 1e6 / seconds
    );
    Ok(())
}
