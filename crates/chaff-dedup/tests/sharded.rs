//! The sharded mode gives the plan the in-memory index gives: the same records out, the same
//! candidate pairs, the same summary (but for the memory figure), at any shard and thread
//! count; and a spill file that is truncated or foreign is an error, not a panic.
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::path::Path;

use chaff_dedup::{Config, Error, Index, KeepPolicy, Plan, ShardedIndex, shingle_sets, signature};
use chaff_record::{Record, Source};
use proptest::prelude::*;
use rayon::prelude::*;

fn record(id: &str, text: &str) -> Record {
    Record::new(
        id,
        text,
        Source {
            path: id.to_owned(),
            ..Source::default()
        },
    )
}

/// The five seed reports as ingest reads them.
fn seeds() -> Vec<Record> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/seeds");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap()
                .replace("\r\n", "\n");
            record(&path.file_name().unwrap().to_string_lossy(), &text)
        })
        .collect()
}

/// Everything a plan puts out: the records as JSON lines, the candidate pairs, the summary
/// without the memory figure (which is, rightly, not the same in the two modes).
#[derive(Debug, PartialEq)]
struct Outputs {
    records: String,
    candidates: String,
    summary: String,
}

fn outputs(plan: &Plan, records: &[Record]) -> Outputs {
    let applied: Vec<Record> = records
        .par_iter()
        .enumerate()
        .map(|(ordinal, record)| plan.apply(ordinal as u64, record.clone()))
        .collect();
    let mut lines = Vec::new();
    for record in &applied {
        chaff_record::encode_record(record, &mut lines).unwrap();
    }
    let mut summary = serde_json::to_value(plan.summary()).unwrap();
    summary["index_bytes_per_doc"] = serde_json::Value::Null;
    Outputs {
        records: String::from_utf8(lines).unwrap(),
        candidates: serde_json::to_string(plan.candidate_pairs()).unwrap(),
        summary: serde_json::to_string_pretty(&summary).unwrap(),
    }
}

/// Signatures of the records not already dropped, in parallel, with their ordinals.
fn signatures(config: &Config, records: &[Record]) -> Vec<(u64, chaff_dedup::Signature)> {
    records
        .par_iter()
        .enumerate()
        .filter(|(_, record)| !record.is_dropped())
        .map(|(ordinal, record)| (ordinal as u64, signature(config, record)))
        .collect()
}

fn in_memory(config: &Config, records: &[Record]) -> Outputs {
    let mut index = Index::new(config);
    for (ordinal, signature) in signatures(config, records) {
        index.insert(ordinal, &records[ordinal as usize].id, signature);
    }
    let Ok(plan) =
        index.finish_with(|wanted| Ok::<_, Infallible>(shingle_sets(config, records, wanted)));
    outputs(&plan, records)
}

/// The sharded mode with the indexed documents cut into `n_shards` shards.
fn sharded(config: &Config, records: &[Record], n_shards: usize) -> Outputs {
    let n_indexed = records.iter().filter(|r| !r.is_dropped()).count();
    let config = Config {
        shard_docs: n_indexed.div_ceil(n_shards).max(1),
        ..config.clone()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut index = ShardedIndex::new(&config, dir.path());
    for (ordinal, signature) in signatures(&config, records) {
        index
            .insert(ordinal, &records[ordinal as usize].id, signature)
            .unwrap();
    }
    let plan = index
        .finish_with(|wanted| Ok::<_, chaff_dedup::Error>(shingle_sets(&config, records, wanted)))
        .unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "the spill files are removed"
    );
    outputs(&plan, records)
}

/// Checks the sharded mode against the in-memory one at 1, 2 and 7 shards and 1 and 3
/// threads.
fn check_same(config: &Config, records: &[Record]) -> Outputs {
    let expected = in_memory(config, records);
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for n_shards in [1, 2, 7] {
            let got = pool.install(|| sharded(config, records, n_shards));
            assert_eq!(
                got, expected,
                "{n_shards} shards at {threads} threads differ from in memory"
            );
        }
    }
    expected
}

const BASE: &str = "The regional council voted on Tuesday to build a new bridge across the river, ending a debate that had lasted for more than ten years and divided the two towns on either bank. Supporters said the bridge would cut travel times for thousands of commuters, while opponents warned about the cost and the damage to the wetlands downstream.";

/// Made-up words, letters only (dedup folds digits to 0).
fn word(i: usize) -> String {
    let mut n = i * 7919 + 13;
    (0..5)
        .map(|_| {
            let c = (b'a' + (n % 26) as u8) as char;
            n /= 26;
            c
        })
        .collect()
}

#[test]
fn seeds_are_the_same_sharded() {
    let records = seeds();
    check_same(&Config::default(), &records);
    // With 28 bands of 4 rows the raw 000/001 pair (Jaccard 0.72) is an LSH candidate with
    // probability 1 - (1 - 0.72^4)^28 > 0.9999, and verification rejects it; their common
    // paragraphs are cut: both paths run sharded.
    let wide = Config {
        bands: 28,
        rows: 4,
        ..Config::default()
    };
    let outputs = check_same(&wide, &records);
    assert!(outputs.summary.contains("\"n_rejected_pairs\": 1"));
    assert!(outputs.summary.contains("\"repeated_paragraph\": 13"));
    for config in [
        Config {
            exact_jaccard: true,
            ..Config::default()
        },
        Config {
            keep: KeepPolicy::Longest,
            ..Config::default()
        },
    ] {
        check_same(&config, &records);
    }
}

#[test]
fn hand_made_corpora_are_the_same_sharded() {
    let unrelated = "Farmers in the north reported the best harvest in a decade, helped by a mild spring and steady rain through the summer months, and prices for wheat fell as a result.";
    let mut already_dropped = record("x", BASE);
    already_dropped.drop_with("clean", "too_short", None);
    let exact_and_near = vec![
        record("a", BASE),
        record("b", &BASE.to_uppercase().replace(' ', "  ")),
        already_dropped,
        record("c", &BASE.replace("Tuesday", "Wednesday")),
        record("empty", ""),
        record("d", unrelated),
        record("e", &format!("{BASE} The vote was close.")),
        record("empty-again", "  "),
    ];
    for config in [
        Config::default(),
        Config {
            keep: KeepPolicy::Longest,
            exact_jaccard: true,
            ..Config::default()
        },
        Config {
            exact: false,
            ..Config::default()
        },
        Config {
            near: false,
            ..Config::default()
        },
    ] {
        check_same(&config, &exact_and_near);
    }

    // A chain: each document two words from the last, split at the representative.
    let mut words: Vec<String> = (0..200).map(word).collect();
    let mut chain = Vec::new();
    for step in 0..12 {
        chain.push(record(&format!("d{step:02}"), &words.join(" ")));
        for k in 0..2 {
            let at = (step * 2 + k) * 8 % words.len();
            words[at] = word(1000 + step * 2 + k);
        }
    }
    let config = Config {
        shared_sentences: false,
        ..Config::default()
    };
    let outputs = check_same(&config, &chain);
    assert!(outputs.summary.contains("\"n_split_clusters\": 1"));

    // Paragraphs: a footer on every page (boilerplate) and a long paragraph repeated.
    let footer = "Subscribe to our newsletter for more stories like this one.";
    let repeated = "The minister said on Monday that the talks would resume next week in Geneva, after a pause of several months during which both sides had accused each other of bad faith.";
    let pages: Vec<Record> = (0..7)
        .map(|i| {
            let own: Vec<String> = (0..40).map(|k| word(i * 100 + k)).collect();
            // Page 0 holds the long paragraph twice: its second copy goes too.
            let middle = match i {
                0 => format!("{repeated}\n\n{repeated}"),
                _ if i % 2 == 0 => repeated.to_owned(),
                _ => String::new(),
            };
            record(
                &format!("p{i}"),
                &format!("{}.\n\n{middle}\n\n{footer}", own.join(" ")),
            )
        })
        .collect();
    let outputs = check_same(&Config::default(), &pages);
    assert!(outputs.summary.contains("boilerplate_paragraph"));
    assert!(outputs.summary.contains("repeated_paragraph"));
}

/// A small deterministic generator for the randomised corpora.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n_bases` texts of made-up words, each with a few copies that change `edits` words, shuffled.
fn planted_corpus(seed: u64, n_bases: usize, max_copies: usize, max_edits: usize) -> Vec<Record> {
    let mut state = seed;
    let mut texts = Vec::new();
    for base in 0..n_bases {
        let length = 20 + (splitmix(&mut state) % 120) as usize;
        let words: Vec<String> = (0..length)
            .map(|_| word((splitmix(&mut state) % 5000) as usize))
            .collect();
        texts.push(words.join(" "));
        let n_copies = (splitmix(&mut state) % (max_copies as u64 + 1)) as usize;
        for _ in 0..n_copies {
            let mut copy = words.clone();
            let edits = (splitmix(&mut state) % (max_edits as u64 + 1)) as usize;
            for _ in 0..edits {
                let at = (splitmix(&mut state) % length as u64) as usize;
                copy[at] = word(5000 + (splitmix(&mut state) % 5000) as usize);
            }
            // Sentences so that the shared-sentence level has work too.
            let mut text = String::new();
            for (k, w) in copy.iter().enumerate() {
                text.push_str(w);
                text.push_str(if k % 9 == 8 { ". " } else { " " });
            }
            texts.push(text);
        }
        let _ = base;
    }
    // Shuffle (Fisher-Yates) so copies are not next to their base.
    for i in (1..texts.len()).rev() {
        let j = (splitmix(&mut state) % (i as u64 + 1)) as usize;
        texts.swap(i, j);
    }
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| record(&format!("r{i:03}"), text))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn planted_near_duplicates_are_the_same_sharded(
        seed in any::<u64>(),
        n_bases in 1usize..12,
        max_copies in 0usize..5,
        max_edits in 0usize..12,
        exact_jaccard in any::<bool>(),
        longest in any::<bool>(),
    ) {
        let records = planted_corpus(seed, n_bases, max_copies, max_edits);
        let config = Config {
            exact_jaccard,
            keep: if longest { KeepPolicy::Longest } else { KeepPolicy::Earliest },
            ..Config::default()
        };
        check_same(&config, &records);
    }
}

/// Writes two shards of the seeds into `dir` and hands the index back unfinished.
fn spilled(dir: &Path) -> ShardedIndex {
    let config = Config {
        shard_docs: 2,
        ..Config::default()
    };
    let mut index = ShardedIndex::new(&config, dir);
    for (ordinal, record) in seeds().iter().enumerate() {
        index
            .insert(ordinal as u64, &record.id, signature(&config, record))
            .unwrap();
    }
    index
}

fn spill_file(dir: &Path, suffix: &str) -> std::path::PathBuf {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect();
    paths.sort();
    paths.remove(0)
}

#[test]
fn a_truncated_signature_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let index = spilled(dir.path());
    let path = spill_file(dir.path(), ".sig");
    let length = std::fs::metadata(&path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(length - 3).unwrap();
    let err = index.finish().unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("truncated or corrupt"), "{err}");
}

#[test]
fn a_foreign_signature_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let index = spilled(dir.path());
    let path = spill_file(dir.path(), ".sig");
    std::fs::write(&path, "{\"id\":\"not a shard\"}\n".repeat(40)).unwrap();
    let err = index.finish().unwrap_err();
    assert!(matches!(err, Error::Foreign { .. }), "{err}");
}

#[test]
fn a_truncated_or_emptied_run_is_an_error() {
    for (suffix, keep) in [
        ("-band-0003.run", 30),
        ("-exact.run", 4),
        ("-band-0000.run", 0),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let index = spilled(dir.path());
        let path = spill_file(dir.path(), suffix);
        let length = std::fs::metadata(&path).unwrap().len();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(keep.min(length - 1)).unwrap();
        let err = index.finish().unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{suffix}: {err}");
    }
}

#[test]
fn a_missing_spill_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let index = spilled(dir.path());
    std::fs::remove_file(spill_file(dir.path(), "-exact.run")).unwrap();
    let err = index.finish().unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}

#[test]
fn borderline_rechecks_are_the_same_sharded() {
    // Thirty texts of 100 made-up words, each with a copy that edits one word in every 30 to
    // 44: exact Jaccard near the 0.8 threshold, so that pairs are rechecked by their shingle
    // sets, here read back from the records.
    let mut records = Vec::new();
    for k in 0..30 {
        let base: Vec<String> = (0..100).map(|i| word(k * 1000 + i)).collect();
        let step = 30 + k % 15;
        let mut copy = base.clone();
        for i in (step / 2..copy.len()).step_by(step) {
            copy[i].push('q');
        }
        records.push(record(&format!("k{k:02}-0"), &base.join(" ")));
        records.push(record(&format!("k{k:02}-1"), &copy.join(" ")));
    }
    let outputs = check_same(&Config::default(), &records);
    let rechecked = outputs
        .summary
        .lines()
        .find(|l| l.contains("\"n_rechecked_pairs\""))
        .unwrap_or_default()
        .to_owned();
    assert!(!rechecked.contains(": 0,"), "{rechecked}");
}
