//! End-to-end tests: the whole pipeline over `fixtures/`, through the public API.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chaff::config::Config;
use chaff::pipeline::{self, layout};
use chaff::progress::Progress;
use chaff_record::{Quarantined, ReadOptions, Record, RecordReader};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn run_in_pool(
    threads: usize,
    config: &Config,
    inputs: &[PathBuf],
    out: &Path,
) -> chaff::pipeline::RunOutcome {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| pipeline::run(config, inputs, out, &Progress::hidden()))
        .unwrap()
}

fn read_records(path: &Path) -> Vec<Record> {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    RecordReader::new(file, path.display().to_string(), ReadOptions::default())
        .collect::<Result<_, _>>()
        .unwrap()
}

fn read_quarantine(path: &Path) -> Vec<Quarantined> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The report with every timing set to zero, so it can be snapshotted and compared.
fn without_timings(mut report: chaff_report::Report) -> chaff_report::Report {
    report.run.wall_seconds = 0.0;
    report.run.threads = 0;
    report.run.peak_rss_bytes = None;
    report.run.inputs = report
        .run
        .inputs
        .iter()
        .map(|i| {
            Path::new(i)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for stage in &mut report.run.stages {
        stage.seconds = 0.0;
    }
    report
}

#[test]
fn seeds_run_end_to_end() {
    let out = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.run.keep_stages = true;
    let outcome = run_in_pool(2, &config, &[fixtures().join("seeds")], out.path());

    // The documented layout is there, and nothing else but the stage files.
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            layout::CANDIDATES,
            layout::DROPPED,
            layout::KEPT,
            layout::QUARANTINE,
            layout::REPORT_HTML,
            layout::REPORT_JSON,
            layout::REPORT_MD,
            layout::STAGES
        ]
    );
    for stage in pipeline::STAGES {
        assert!(
            out.path()
                .join(layout::STAGES)
                .join(format!("{stage}.jsonl"))
                .exists(),
            "{stage}"
        );
    }

    // Every seed is accounted for: kept or dropped, with the identity holding.
    let kept = read_records(&out.path().join(layout::KEPT));
    let dropped = read_records(&out.path().join(layout::DROPPED));
    assert_eq!(kept.len() + dropped.len(), 5);
    assert!(read_quarantine(&out.path().join(layout::QUARANTINE)).is_empty());
    outcome.report.check_identity().unwrap();
    for record in &dropped {
        let reason = record.dropped.as_ref().unwrap();
        assert!(!reason.reason.is_empty());
    }

    // Every kept text rebuilds to exactly what ingest produced.
    let ingested: BTreeMap<String, Record> =
        read_records(&out.path().join(layout::STAGES).join("ingest.jsonl"))
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
    for record in kept.iter().chain(&dropped) {
        let original = chaff_record::rebuild_original(record).unwrap();
        assert_eq!(original, ingested[&record.id].text, "{}", record.id);
    }

    let report = without_timings(outcome.report);
    insta::assert_snapshot!("seeds_report_md", report.to_markdown());
    insta::assert_snapshot!("seeds_report_json", report.to_json());
}

#[test]
fn output_is_identical_at_one_and_two_threads() {
    let mut config = Config::default();
    config.run.keep_stages = true;
    config.run.batch_size = 2;
    let inputs = [fixtures().join("seeds"), fixtures().join("record")];
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let report_one = run_in_pool(1, &config, &inputs, one.path()).report;
    let report_two = run_in_pool(2, &config, &inputs, two.path()).report;
    for name in [
        layout::KEPT,
        layout::DROPPED,
        layout::QUARANTINE,
        layout::CANDIDATES,
        "stages/ingest.jsonl",
        "stages/clean.jsonl",
        "stages/segment.jsonl",
        "stages/dedup.jsonl",
    ] {
        let a = std::fs::read(one.path().join(name)).unwrap();
        let b = std::fs::read(two.path().join(name)).unwrap();
        assert!(a == b, "{name} differs between 1 and 2 threads");
    }
    assert_eq!(
        without_timings(report_one).to_json(),
        without_timings(report_two).to_json()
    );
}

#[test]
fn bad_inputs_are_quarantined_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("good.txt"), "A good document.\nWith two lines.\n").unwrap();
    std::fs::write(root.join("empty.txt"), "").unwrap();
    std::fs::write(
        root.join("binary.bin"),
        [0u8, 1, 2, 3, 0, 255, 254, 0, 0, 7],
    )
    .unwrap();
    std::fs::write(
        root.join("latin1.txt"),
        b"Caf\xe9 au lait, na\xefve r\xe9sum\xe9.\n",
    )
    .unwrap();
    std::fs::write(
        root.join("mixed.jsonl"),
        "{\"id\":\"one\",\"text\":\"First good line.\"}\n{\"id\":\"two\",\"text\":\n{\"id\":\"three\",\"text\":\"Third good line.\"}\n",
    )
    .unwrap();
    // A gzip stream cut in half.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..2000 {
        writeln!(
            encoder,
            "{{\"id\":\"g{i}\",\"text\":\"Line number {i} of a long compressed file.\"}}"
        )
        .unwrap();
    }
    let gz = encoder.finish().unwrap();
    std::fs::write(root.join("truncated.jsonl.gz"), &gz[..gz.len() / 2]).unwrap();

    let out = dir.path().join("out");
    let outcome = run_in_pool(2, &Config::default(), std::slice::from_ref(&root), &out);
    outcome.report.check_identity().unwrap();

    let kept = read_records(&out.join(layout::KEPT));
    let dropped = read_records(&out.join(layout::DROPPED));
    let quarantined = read_quarantine(&out.join(layout::QUARANTINE));
    let kept_ids: Vec<&str> = kept.iter().map(|r| r.source.path.as_str()).collect();
    assert!(kept_ids.contains(&"in/good.txt"), "{kept_ids:?}");
    assert!(kept_ids.contains(&"in/latin1.txt"), "{kept_ids:?}");
    assert!(
        kept.iter()
            .chain(&dropped)
            .any(|r| r.source.path == "in/mixed.jsonl" && r.source.line == Some(3))
    );
    let reasons: BTreeMap<String, String> = quarantined
        .iter()
        .map(|q| (q.source.to_string(), q.kind.clone()))
        .collect();
    // Each bad input is named, with its line where it has one.
    assert!(
        reasons.keys().any(|k| k.starts_with("in/empty.txt")),
        "{reasons:?}"
    );
    assert!(
        reasons.keys().any(|k| k.starts_with("in/binary.bin")),
        "{reasons:?}"
    );
    assert!(
        reasons.keys().any(|k| k.starts_with("in/mixed.jsonl:2")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .keys()
            .any(|k| k.starts_with("in/truncated.jsonl.gz")),
        "{reasons:?}"
    );
    // Nothing lost: what the report counts is what the files hold.
    assert_eq!(
        outcome.report.totals.ingested as usize,
        kept.len() + dropped.len()
    );
    assert_eq!(
        outcome.report.totals.quarantined as usize,
        quarantined.len()
    );
}
