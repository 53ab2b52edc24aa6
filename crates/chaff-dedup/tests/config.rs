//! Configuration: defaults, validation, and no panic on any value.
#![allow(clippy::unwrap_used)]

use chaff_dedup::{Config, dedup_all};
use chaff_record::{Record, Source};

const TEXT: &str = "The regional council voted on Tuesday to build a new bridge across the river, ending a debate that had lasted for more than ten years.";

fn corpus() -> Vec<Record> {
    vec![
        Record::new("a", TEXT, Source::default()),
        Record::new("b", TEXT.replace("Tuesday", "Monday"), Source::default()),
        Record::new("c", format!("{TEXT}\n\n{TEXT}"), Source::default()),
        Record::new("d", "", Source::default()),
    ]
}

#[test]
fn defaults_are_valid_and_deserialise_from_nothing() {
    let config: Config = serde_json::from_str("{}").unwrap();
    assert_eq!(config, Config::default());
    assert!(config.validate().is_ok());
}

#[test]
fn validation_names_the_bad_key() {
    let cases = [
        Config {
            bands: 0,
            ..Config::default()
        },
        Config {
            rows: 100_000,
            ..Config::default()
        },
        Config {
            shingle_words: 0,
            ..Config::default()
        },
        Config {
            threshold: 1.5,
            ..Config::default()
        },
        Config {
            quote_threshold: f64::NAN,
            ..Config::default()
        },
    ];
    let messages: Vec<String> = cases
        .iter()
        .map(|config| config.validate().unwrap_err().to_string())
        .collect();
    insta::assert_snapshot!(messages.join("\n"), @r"
    invalid dedup configuration: `bands` × rows must be between 1 and 4096, not 0 × 8
    invalid dedup configuration: `bands` × rows must be between 1 and 4096, not 14 × 100000
    invalid dedup configuration: `shingle_words` must be at least 1
    invalid dedup configuration: `threshold` must be between 0 and 1, not 1.5
    invalid dedup configuration: `quote_threshold` must be between 0 and 1, not NaN
    ");
}

#[test]
fn any_configuration_runs_without_panicking() {
    let extremes = [
        Config {
            bands: usize::MAX,
            rows: usize::MAX,
            ..Config::default()
        },
        Config {
            bands: 3,
            rows: 0,
            shingle_words: 0,
            sentence_ngram: 0,
            max_bucket_pairs: 0,
            min_sentence_words: 0,
            min_quote_words: 0,
            max_ngram_postings: 0,
            ..Config::default()
        },
        Config {
            threshold: f64::NAN,
            sentence_threshold: -1.0,
            min_paragraph_chars: 0,
            boilerplate_min_docs: 1,
            ..Config::default()
        },
    ];
    for config in extremes {
        let (records, _) = dedup_all(&config, corpus());
        assert_eq!(records.len(), 4);
        for record in &records {
            assert_eq!(
                chaff_record::rebuild_original(record).unwrap(),
                corpus()
                    .into_iter()
                    .find(|r| r.id == record.id)
                    .unwrap()
                    .text
            );
        }
    }
}
