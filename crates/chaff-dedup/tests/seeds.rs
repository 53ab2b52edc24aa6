//! Dedup on the seed corpus as ingest hands it over (raw file text, CRLF folded to LF), with no
//! clean or segment before it: the crate must work alone. The e2e package checks the seeds
//! again after clean and segment.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;

use chaff_dedup::{Config, dedup_all};
use chaff_record::{Record, Source, offsets};

/// The five seeds in file-name order, as ingest reads them.
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
            let id = path.file_name().unwrap().to_string_lossy().into_owned();
            let source = Source {
                path: id.clone(),
                ..Source::default()
            };
            Record::new(id, text, source)
        })
        .collect()
}

/// Verdicts, one document a line; then each shared sentence with who shares it and the score.
/// Long sentences are cut to their first 100 characters so the snapshot stays readable.
fn render(records: &[Record]) -> String {
    let mut out = String::new();
    for record in records {
        let dedup = record.dedup.as_ref().unwrap();
        write!(out, "{}: {:?}", record.id, dedup.status).unwrap();
        if let Some(of) = &dedup.duplicate_of {
            write!(
                out,
                " of {of} by {:?} at {:.4}",
                dedup.method.unwrap(),
                dedup.similarity.unwrap()
            )
            .unwrap();
        }
        if let Some(cluster) = &dedup.cluster {
            write!(out, " (cluster {} of {})", cluster.id, cluster.size).unwrap();
        }
        writeln!(out).unwrap();
        for shared in &dedup.shared_sentences {
            let sentence = offsets::slice(&record.text, shared.span).unwrap();
            let sentence: String = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
            let with: Vec<String> = shared
                .with
                .iter()
                .map(|w| format!("{} {:.2}", &w.id[..3], w.score))
                .collect();
            writeln!(out, "    shared with {}: {sentence}", with.join(", ")).unwrap();
        }
        for edit in record.edits.iter().filter(|e| e.stage == "dedup") {
            writeln!(
                out,
                "    cut {} (first copy in {}): {:?}",
                edit.rule,
                edit.first_copy.as_deref().unwrap_or("?"),
                edit.original
            )
            .unwrap();
        }
    }
    out
}

#[test]
fn raw_seeds_verdicts_and_shared_sentences() {
    let (records, summary) = dedup_all(&Config::default(), seeds());
    insta::assert_snapshot!(render(&records));
    // On raw text 000 still carries a 160-word appeal to readers that 001 lacks: the exact
    // 5-gram Jaccard of the pair is 0.72, below the 0.8 threshold, and its MinHash estimate
    // rightly says so whenever LSH makes them a candidate pair (at 0.72 it does so about two
    // times in three, depending on the seed), so neither document goes as a whole. Their common paragraphs are cut from
    // 001 instead, each naming 000 as the first copy. After clean removes the appeal the two
    // are exact copies and 001 is dropped (see the e2e package).
    assert!(records.iter().all(|r| !r.is_dropped()));
    assert_eq!(summary.n_clusters, 0);
    assert_eq!(summary.n_rejected_pairs, summary.n_candidate_pairs);
    let copy = &records[1];
    let cuts: Vec<_> = copy
        .edits
        .iter()
        .filter(|e| e.rule == "repeated_paragraph")
        .collect();
    assert!(cuts.len() >= 10, "{cuts:?}");
    assert!(
        cuts.iter()
            .all(|e| e.first_copy.as_deref() == Some(records[0].id.as_str()))
    );
    // The Lavrov quote ("... with our sympathizers/sympathisers ...") is shared by the three
    // kept reports that carry it, each annotated with the other two.
    for prefix in ["000", "003", "004"] {
        let record = records.iter().find(|r| r.id.starts_with(prefix)).unwrap();
        let annotated = record
            .dedup
            .as_ref()
            .unwrap()
            .shared_sentences
            .iter()
            .any(|s| {
                offsets::slice(&record.text, s.span)
                    .unwrap()
                    .contains("sympath")
                    && s.with.len() == 2
            });
        assert!(
            annotated,
            "{prefix} does not share the Lavrov quote with both others"
        );
    }
    // Every kept record still rebuilds to its input text.
    for (record, original) in records.iter().zip(seeds()) {
        assert_eq!(
            chaff_record::rebuild_original(record).unwrap(),
            original.text
        );
    }
}

#[test]
fn summary_of_the_raw_seeds() {
    let (_, summary) = dedup_all(&Config::default(), seeds());
    let mut summary = serde_json::to_value(&summary).unwrap();
    // The index size depends on the size of `Vec` and `String` on this target: checked, then
    // left out of the snapshot.
    let bytes = summary["index_bytes_per_doc"].as_f64().unwrap();
    assert!(bytes > 0.0 && bytes < 4096.0, "{bytes}");
    summary["index_bytes_per_doc"] = serde_json::Value::Null;
    insta::assert_snapshot!(serde_json::to_string_pretty(&summary).unwrap());
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let (records, summary) = dedup_all(&Config::default(), seeds());
            let mut out = Vec::new();
            for record in &records {
                chaff_record::encode_record(record, &mut out).unwrap();
            }
            (out, serde_json::to_string(&summary).unwrap())
        })
    };
    assert_eq!(run(1), run(2));
}
