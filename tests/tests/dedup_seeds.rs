//! Dedup on the seeds as the pipeline hands them over: cleaned, then segmented.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;

use chaff_dedup::{Config, dedup_all};
use chaff_record::{Record, RecordStage, Source, offsets};

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

/// The seeds as the pipeline gives them to dedup: cleaned, then segmented.
fn seeds() -> Vec<Record> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/seeds");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap()
                .replace("\r\n", "\n");
            let id = path.file_name().unwrap().to_string_lossy().into_owned();
            let cleaned = chaff_clean::Config::default().apply(record(&id, &text));
            chaff_segment::Config::default().apply(cleaned)
        })
        .collect()
}

/// Verdicts, one document a line, then each shared sentence with who shares it.
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
        if let Some(dropped) = &record.dropped {
            write!(out, " dropped: {}", dropped.reason).unwrap();
        }
        writeln!(out).unwrap();
        for shared in &dedup.shared_sentences {
            let sentence = offsets::slice(&record.text, shared.span).unwrap();
            let with: Vec<String> = shared
                .with
                .iter()
                .map(|w| format!("{} {:.2}", w.id, w.score))
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
fn seeds_verdicts_and_shared_quotes() {
    let (records, summary) = dedup_all(&Config::default(), seeds());
    println!(
        "similarity of the same-article pair: {:?}",
        records[1].dedup.as_ref().unwrap().similarity
    );
    let dropped: Vec<&str> = records
        .iter()
        .filter(|r| r.is_dropped())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        dropped,
        ["001_d721fddbd53c6c4e.txt"],
        "only the reformatted copy goes"
    );
    assert!(records[1].dedup.as_ref().unwrap().similarity.unwrap() >= 0.8);
    // The Lavrov quote is shared by the three kept reports that carry it.
    for id in ["000", "003", "004"] {
        let record = records.iter().find(|r| r.id.starts_with(id)).unwrap();
        let shares_quote = record
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
            shares_quote,
            "{id} does not share the Lavrov quote with both others"
        );
    }
    insta::assert_snapshot!("seeds_verdicts", render(&records));
    assert_eq!(summary.n_clusters, 1);
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| render(&dedup_all(&Config::default(), seeds()).0))
    };
    assert_eq!(run(1), run(2));
}
