//! `dedup.shard_docs`: the sharded dedup mode gives byte-identical outputs to the in-memory
//! one through `chaff run` and `chaff dedup`, at several shard and thread counts.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chaff::config::Config;
use chaff::pipeline::{self, layout};
use chaff::progress::Progress;
use chaff_record::{Record, Source};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Made-up words, letters only (dedup folds digits to 0).
fn word(i: u64) -> String {
    let mut n = i * 7919 + 13;
    (0..6)
        .map(|_| {
            let c = (b'a' + (n % 26) as u8) as char;
            n /= 26;
            c
        })
        .collect()
}

/// A JSON-lines corpus of 12 texts, each with near copies that change a few words, in
/// sentences and paragraphs, with a footer most of them share.
fn planted_corpus(path: &Path) {
    let mut lines = Vec::new();
    let mut n = 0;
    for base in 0..12u64 {
        let words: Vec<String> = (0..150).map(|k| word(base * 1000 + k * 7)).collect();
        for copy in 0..(base % 4) {
            let mut words = words.clone();
            for edit in 0..copy {
                let at = ((edit * 31 + base * 7 + copy * 13) % 150) as usize;
                words[at] = word(50_000 + base * 100 + copy * 10 + edit);
            }
            let mut text = String::new();
            for (k, w) in words.iter().enumerate() {
                text.push_str(w);
                text.push_str(match k % 30 {
                    29 => ".\n\n",
                    k if k % 10 == 9 => ". ",
                    _ => " ",
                });
            }
            if base % 3 != 0 {
                text.push_str("Follow us for more news from the region every day of the week.");
            }
            let record = Record::new(
                format!("planted-{n:03}"),
                text,
                Source {
                    path: format!("planted-{n:03}"),
                    ..Source::default()
                },
            );
            chaff_record::encode_record(&record, &mut lines).unwrap();
            n += 1;
        }
    }
    std::fs::write(path, lines).unwrap();
}

/// What a run wrote that must not depend on the mode: the record files, the candidates, and
/// the report's dedup figures (without the memory figure, which is rightly not the same).
#[derive(Debug, PartialEq)]
struct RunOutputs {
    files: Vec<(String, Vec<u8>)>,
    dedup: serde_json::Value,
}

fn run(config: &Config, inputs: &[PathBuf], threads: usize) -> RunOutputs {
    let out = tempfile::tempdir().unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let outcome = pool
        .install(|| pipeline::run(config, inputs, out.path(), &Progress::hidden()))
        .unwrap();
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.iter().all(|name| !name.starts_with("chaff-dedup")),
        "the spill directory is removed: {names:?}"
    );
    let files = [
        layout::KEPT,
        layout::DROPPED,
        layout::QUARANTINE,
        layout::CANDIDATES,
    ]
    .iter()
    .map(|name| {
        (
            (*name).to_owned(),
            std::fs::read(out.path().join(name)).unwrap(),
        )
    })
    .collect();
    let mut dedup = outcome.report.run.dedup.clone();
    dedup["index_bytes_per_doc"] = serde_json::Value::Null;
    RunOutputs { files, dedup }
}

#[test]
fn chaff_run_sharded_equals_in_memory() {
    let corpus = tempfile::tempdir().unwrap();
    let planted = corpus.path().join("planted.jsonl");
    planted_corpus(&planted);
    let inputs = vec![fixtures().join("seeds"), planted];
    let config = Config::default();
    let expected = run(&config, &inputs, 2);
    let n_docs = expected.dedup["n_docs"].as_u64().unwrap() as usize;
    assert!(n_docs > 20, "{n_docs}");
    assert!(
        expected.dedup["n_near_duplicates"].as_u64().unwrap() >= 5,
        "{}",
        expected.dedup
    );
    for threads in [1, 2] {
        for n_shards in [1, 2, 7] {
            let mut sharded = config.clone();
            sharded.dedup.shard_docs = n_docs.div_ceil(n_shards);
            assert_eq!(
                run(&sharded, &inputs, threads),
                expected,
                "{n_shards} shards at {threads} threads"
            );
        }
    }
}

#[test]
fn chaff_dedup_sharded_equals_in_memory() {
    let corpus = tempfile::tempdir().unwrap();
    let planted = corpus.path().join("planted.jsonl");
    planted_corpus(&planted);
    let dedup = |config: &chaff_dedup::Config| {
        let mut out = Vec::new();
        let summary = pipeline::dedup_file(
            config,
            Some(&planted),
            &mut out,
            7,
            &mut pipeline::BadLines::new(None).unwrap(),
        )
        .unwrap();
        let mut summary = summary;
        summary["index_bytes_per_doc"] = serde_json::Value::Null;
        (out, summary)
    };
    let expected = dedup(&chaff_dedup::Config::default());
    for shard_docs in [1, 5, 1000] {
        let spill = tempfile::tempdir().unwrap();
        let config = chaff_dedup::Config {
            shard_docs,
            spill_dir: Some(spill.path().to_path_buf()),
            ..chaff_dedup::Config::default()
        };
        assert_eq!(dedup(&config), expected, "{shard_docs} documents a shard");
        assert_eq!(std::fs::read_dir(spill.path()).unwrap().count(), 0);
    }
}

#[test]
fn the_sharded_mode_is_a_config_key() {
    let config =
        Config::from_toml("[dedup]\nshard_docs = 100000\nspill_dir = \"/var/tmp\"\n").unwrap();
    assert_eq!(config.dedup.shard_docs, 100_000);
    assert_eq!(
        config.dedup.spill_dir.as_deref(),
        Some(Path::new("/var/tmp"))
    );
}
