//! Measures the two NFC crates on the same texts: unicode-normalization (which clean used
//! first) and icu_normalizer (which it uses now), and checks that their output is identical.
//!
//! ```text
//! cargo run --release -p chaff-clean --example nfc_crates -- DIR [DIR...]
//! ```
//!
//! Every file under the directories is read as UTF-8 (lossily); each text is also decomposed
//! (NFD) to give the normalisers work to do.

use std::time::Instant;

use unicode_normalization::UnicodeNormalization as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        return Err("usage: nfc_crates DIR [DIR...]".into());
    }
    let mut texts = Vec::new();
    for dir in &dirs {
        for entry in std::fs::read_dir(dir).map_err(|e| format!("cannot read {dir}: {e}"))? {
            let path = entry?.path();
            if path.is_file() {
                texts.push(String::from_utf8_lossy(&std::fs::read(&path)?).into_owned());
            }
        }
    }
    let decomposed: Vec<String> = texts.iter().map(|t| t.nfd().collect()).collect();
    let icu = icu_normalizer::ComposingNormalizerBorrowed::new_nfc();
    let repeats = 3;
    for (name, set) in [("as read", &texts), ("decomposed (NFD)", &decomposed)] {
        let megabytes = set.iter().map(String::len).sum::<usize>() as f64 / 1e6;
        let started = Instant::now();
        let mut by_unicode_normalization = Vec::new();
        for _ in 0..repeats {
            by_unicode_normalization = set.iter().map(|t| t.nfc().collect::<String>()).collect();
        }
        let seconds_un = started.elapsed().as_secs_f64() / f64::from(repeats);
        let started = Instant::now();
        let mut by_icu: Vec<String> = Vec::new();
        for _ in 0..repeats {
            by_icu = set.iter().map(|t| icu.normalize(t).into_owned()).collect();
        }
        let seconds_icu = started.elapsed().as_secs_f64() / f64::from(repeats);
        println!(
            "{name}: {} texts, {megabytes:.1} MB; unicode-normalization {:.1} MB/s, icu_normalizer {:.1} MB/s ({:.1}x); identical output: {}",
            set.len(),
            megabytes / seconds_un,
            megabytes / seconds_icu,
            seconds_un / seconds_icu,
            by_unicode_normalization == by_icu
        );
    }
    Ok(())
}
