//! Prints the dedup index's bytes per document over the seed corpus (raw text, as ingest gives
//! it), with every level on and with shared sentences off, and the similarity of the two seeds
//! that are one article in two layouts, estimated and exact: the figures in the README.
//!
//! `cargo run -p chaff-dedup --example index_size`
#![allow(clippy::unwrap_used)]

use chaff_record::{Record, Source};

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/seeds");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    let records: Vec<Record> = paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
            let id = path.file_name().unwrap().to_string_lossy().into_owned();
            Record::new(id, text, Source::default())
        })
        .collect();
    for (name, config) in [
        ("every level", chaff_dedup::Config::default()),
        (
            "shared sentences off",
            chaff_dedup::Config {
                shared_sentences: false,
                ..chaff_dedup::Config::default()
            },
        ),
        (
            "documents only (paragraphs and sentences off)",
            chaff_dedup::Config {
                shared_sentences: false,
                paragraphs: false,
                ..chaff_dedup::Config::default()
            },
        ),
    ] {
        let (_, summary) = chaff_dedup::dedup_all(&config, records.clone());
        let sharded_config = chaff_dedup::Config {
            shard_docs: 2,
            ..config.clone()
        };
        let mut sharded = chaff_dedup::ShardedIndex::new(&sharded_config, &std::env::temp_dir());
        for (ordinal, record) in records.iter().enumerate() {
            sharded
                .insert(
                    ordinal as u64,
                    &record.id,
                    chaff_dedup::signature(&sharded_config, record),
                )
                .unwrap();
        }
        println!(
            "{name}: {:.0} bytes per document in memory, {:.0} in the sharded mode",
            summary.index_bytes_per_doc,
            sharded.bytes_per_doc()
        );
    }
    for exact_jaccard in [false, true] {
        let config = chaff_dedup::Config {
            exact_jaccard,
            ..chaff_dedup::Config::default()
        };
        let mut index = chaff_dedup::Index::new(&config);
        for (ordinal, record) in records.iter().enumerate() {
            index.insert(
                ordinal as u64,
                &record.id,
                chaff_dedup::signature(&config, record),
            );
        }
        for pair in index.finish().candidate_pairs() {
            println!("exact_jaccard = {exact_jaccard}: candidate {pair:?}");
        }
        let (records, _) = chaff_dedup::dedup_all(&config, records.clone());
        for record in records.iter().filter(|r| r.is_dropped()) {
            let dedup = record.dedup.as_ref().unwrap();
            println!(
                "exact_jaccard = {exact_jaccard}: {} duplicate of {:?} at {:?}",
                record.id, dedup.duplicate_of, dedup.similarity
            );
        }
    }
}
