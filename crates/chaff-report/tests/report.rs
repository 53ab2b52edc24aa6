//! The report over hand-made records: rendering, the identity check, escaping.
#![allow(clippy::unwrap_used)]

use chaff_record::{Edit, Record, Source, Span};
use chaff_report::{Builder, Config, RunFigures, StageFigures};

fn record(id: &str, text: &str) -> Record {
    Record::new(
        id,
        text,
        Source {
            path: format!("{id}.txt"),
            ..Source::default()
        },
    )
}

fn stage(name: &str, docs_in: u64, docs_out: u64, dropped: &[(&str, u64)]) -> StageFigures {
    StageFigures {
        name: name.into(),
        docs_in,
        docs_out,
        bytes_in: docs_in * 100,
        bytes_out: docs_out * 90,
        dropped: dropped.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        ..StageFigures::default()
    }
}

/// Three documents: one kept with two clean edits, one dropped short, one duplicate.
fn sample() -> (Vec<Record>, RunFigures) {
    let mut kept = record("a", "Hello world. <script>alert(1)</script>");
    kept.edits.push(Edit {
        stage: "clean".into(),
        rule: "html_comment".into(),
        span: Span::new(5, 5),
        original: "<!-- x -->".into(),
        first_copy: None,
    });
    kept.edits.push(Edit {
        stage: "clean".into(),
        rule: "html_comment".into(),
        span: Span::new(12, 12),
        original: "<!-- <img src=x onerror=alert(1)> -->".into(),
        first_copy: None,
    });
    kept.spans
        .insert("sentences".into(), vec![Span::new(0, 12)]);
    kept.dedup = Some(chaff_record::Dedup {
        status: chaff_record::DedupStatus::Kept,
        duplicate_of: None,
        method: None,
        similarity: None,
        cluster: Some(chaff_record::Cluster {
            id: "a".into(),
            size: 2,
        }),
        shared_sentences: Vec::new(),
    });
    let mut short = record("b", "Hi");
    short.drop_with("clean", "too_short", None);
    let mut duplicate = record("c", "Hello world.");
    duplicate.drop_with("dedup", "duplicate", None);
    duplicate.dedup = Some(chaff_record::Dedup {
        status: chaff_record::DedupStatus::Duplicate,
        duplicate_of: Some("a".into()),
        method: Some(chaff_record::DedupMethod::Minhash),
        similarity: Some(0.875),
        cluster: None,
        shared_sentences: Vec::new(),
    });
    let figures = RunFigures {
        version: "test".into(),
        inputs: vec!["in/".into()],
        n_ingested: 3,
        stages: vec![
            stage("ingest", 3, 3, &[]),
            stage("clean", 3, 2, &[("too_short", 1)]),
            stage("segment", 2, 2, &[]),
            stage("dedup", 2, 1, &[("duplicate", 1)]),
        ],
        ..RunFigures::default()
    };
    (vec![kept, short, duplicate], figures)
}

fn build(records: &[Record], figures: RunFigures) -> chaff_report::Report {
    let mut builder = Builder::new(&Config::default());
    for record in records {
        builder.observe(record);
    }
    builder.finish(figures)
}

#[test]
fn markdown_and_json() {
    let (records, figures) = sample();
    let report = build(&records, figures);
    report.check_identity().unwrap();
    insta::assert_snapshot!("sample_md", report.to_markdown());
    insta::assert_snapshot!("sample_json", report.to_json());
}

#[test]
fn identity_fails_loudly_when_a_stage_loses_a_document() {
    let (records, mut figures) = sample();
    // A broken segment stage that passed on one document fewer than it received.
    figures.stages[2].docs_out = 1;
    let report = build(&records, figures);
    let err = report.check_identity().unwrap_err();
    insta::assert_snapshot!(err, @"accounting identity fails: stage segment: 2 documents in but 1 out + 0 dropped");
    assert!(report.to_markdown().contains("**FAILS**"));
    assert!(report.to_html().contains("FAILS"));

    // A record that never reached the report breaks the overall identity too.
    let (records, figures) = sample();
    let report = build(&records[..2], figures);
    let err = report.check_identity().unwrap_err();
    insta::assert_snapshot!(err, @"accounting identity fails: 3 documents ingested but 1 kept + 1 dropped = 2");
}

#[test]
fn html_escapes_document_text() {
    let (records, figures) = sample();
    let html = build(&records, figures).to_html();
    assert!(
        !html.contains("<img"),
        "raw markup from a document reached the page"
    );
    // The page's own two scripts, and no other.
    assert_eq!(html.matches("<script").count(), 2, "{html}");
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // No network: a policy forbids every source but the page itself.
    assert!(html.contains("default-src 'none'"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
}
