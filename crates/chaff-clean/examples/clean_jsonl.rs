//! Cleans a JSON-lines file of records (as ingest writes them) and prints, per rule, how many
//! edits it made and how many characters it removed or rewrote.
//!
//! ```text
//! cargo run --release -p chaff-clean --example clean_jsonl -- ingested.jsonl cleaned.jsonl [rule,rule]
//! ```
//!
//! The optional third argument lists rules to switch off (to see what each one is worth);
//! with `CHAFF_CLEAN_NO_EDITS` set, edits are not logged (`record_edits = false`).

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter};

use chaff_record::{JsonlWriter, ReadOptions, RecordReader, RecordStage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, output, disabled) = match args.as_slice() {
        [input, output] => (input, output, ""),
        [input, output, disabled] => (input, output, disabled.as_str()),
        _ => return Err("usage: clean_jsonl INPUT.jsonl OUTPUT.jsonl [RULE,RULE,...]".into()),
    };
    let file = std::fs::File::open(input).map_err(|e| format!("cannot open {input}: {e}"))?;
    let record_edits = std::env::var_os("CHAFF_CLEAN_NO_EDITS").is_none();
    let config = chaff_clean::Config {
        record_edits,
        disabled_rules: disabled
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
        ..chaff_clean::Config::default()
    };
    let mut out = JsonlWriter::new(BufWriter::new(std::fs::File::create(output)?));
    let mut per_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut n, mut bytes_in) = (0usize, 0usize);
    let started = std::time::Instant::now();
    let mut in_clean = std::time::Duration::ZERO;
    for record in RecordReader::new(BufReader::new(file), input, ReadOptions::default()) {
        let record = record?;
        bytes_in += record.text.len();
        n += 1;
        let before = record.edits.len();
        let clean_started = std::time::Instant::now();
        let record = config.apply(record);
        in_clean += clean_started.elapsed();
        for edit in &record.edits[before..] {
            let entry = per_rule.entry(edit.rule.to_string()).or_default();
            entry.0 += 1;
            entry.1 += edit.original.chars().count();
        }
        out.write(&record)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let clean_seconds = in_clean.as_secs_f64();
    let mb = bytes_in as f64 / 1e6;
    eprintln!(
        "{n} records, {mb:.1} MB in {seconds:.2} s ({:.1} MB/s with reading and writing), \
         {clean_seconds:.2} s in clean ({:.1} MB/s)",
        mb / seconds.max(1e-9),
        mb / clean_seconds.max(1e-9)
    );
    eprintln!("{:<22} {:>8} {:>12}", "rule", "edits", "chars");
    for (rule, (edits, chars)) in &per_rule {
        eprintln!("{rule:<22} {edits:>8} {chars:>12}");
    }
    Ok(())
}
