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
        via: None,
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
        via: None,
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

/// A kept record that represents a cluster of `size`.
fn representative(id: &str, text: &str, size: u64) -> Record {
    let mut record = record(id, text);
    record.dedup = Some(chaff_record::Dedup {
        status: chaff_record::DedupStatus::Kept,
        duplicate_of: None,
        method: None,
        similarity: None,
        via: None,
        cluster: Some(chaff_record::Cluster {
            id: id.into(),
            size,
        }),
        shared_sentences: Vec::new(),
    });
    record
}

/// A dropped duplicate of `of`.
fn duplicate(id: &str, text: &str, of: &str) -> Record {
    let mut record = record(id, text);
    record.drop_with("dedup", "duplicate", None);
    record.dedup = Some(chaff_record::Dedup {
        status: chaff_record::DedupStatus::Duplicate,
        duplicate_of: Some(of.into()),
        method: Some(chaff_record::DedupMethod::Minhash),
        similarity: Some(0.9),
        via: None,
        cluster: None,
        shared_sentences: Vec::new(),
    });
    record
}

#[test]
fn duplicates_pair_with_their_representatives_in_either_order() {
    let records = [
        // A duplicate before its representative, one after, and a second duplicate of the
        // same cluster (not shown: one pair a cluster).
        duplicate("early", "one two three four five six seven", "r1"),
        representative("r1", "zero one two three four five six", 3),
        duplicate("again", "one two three four five six", "r1"),
        representative("r2", "a b c d e f g h", 2),
        duplicate("late", "x a b c d e y", "r2"),
    ];
    let mut builder = Builder::new(&Config::default());
    for record in &records {
        builder.observe(record);
    }
    let report = builder.finish(RunFigures::default());
    let pairs: Vec<(&str, &str)> = report
        .pairs
        .iter()
        .map(|p| (p.representative.as_str(), p.duplicate.as_str()))
        .collect();
    assert_eq!(pairs, [("r1", "early"), ("r2", "late")]);
    let text = |t: &str, s: &Span| t.chars().skip(s.start).take(s.len()).collect::<String>();
    let late = &report.pairs[1];
    assert_eq!(
        late.duplicate_shared
            .iter()
            .map(|s| text(&late.duplicate_text, s))
            .collect::<Vec<_>>(),
        ["a b c d e"]
    );
    assert!((late.duplicate_shared_words - 5.0 / 7.0).abs() < 1e-9);
}

/// A million documents, streamed: the report keeps bounded lists and the page stays small.
#[test]
fn a_million_documents_make_a_bounded_report() {
    const N: u64 = 1_000_000;
    let long_text = "word ".repeat(3_000);
    let mut builder = Builder::new(&Config::default());
    let mut n_dropped = 0u64;
    for i in 0..N {
        let id = format!("doc{i:07}");
        let record = match i % 10 {
            0 => {
                let mut record = representative(&id, &long_text, 2);
                // A hundred rules in all, so the page has to cap them.
                record.edits.push(Edit {
                    stage: "clean".into(),
                    rule: format!("rule_{:03}", i % 1000 / 10).into(),
                    span: Span::new(0, 0),
                    original: "removed text".into(),
                    first_copy: None,
                });
                record
            }
            1 => {
                n_dropped += 1;
                duplicate(&id, &long_text, &format!("doc{:07}", i - 1))
            }
            2 => {
                // Quotes its neighbour: one shared sentence.
                let mut record = record(&id, "A short unique document.");
                record.dedup = Some(chaff_record::Dedup {
                    status: chaff_record::DedupStatus::Kept,
                    duplicate_of: None,
                    method: None,
                    similarity: None,
                    via: None,
                    cluster: None,
                    shared_sentences: vec![chaff_record::SharedSentence {
                        span: Span::new(0, 24),
                        with: vec![chaff_record::SharedWith {
                            id: format!("doc{:07}", i + 1),
                            score: 1.0,
                        }],
                    }],
                });
                record
            }
            _ => record(&id, "A short unique document."),
        };
        builder.observe(&record);
    }
    // The dedup summary as the dedup stage caps it: 1,000 clusters and shared pairs listed.
    let clusters: Vec<serde_json::Value> = (0..1000)
        .map(|c| {
            serde_json::json!({
                "representative": format!("doc{:07}", c * 10),
                "members": [{"id": format!("doc{:07}", c * 10 + 1), "method": "minhash", "similarity": 0.9}],
            })
        })
        .collect();
    let shared: Vec<serde_json::Value> = (0..1000)
        .map(|p| {
            serde_json::json!({
                "a": format!("doc{:07}", p * 10 + 2),
                "b": format!("doc{:07}", p * 10 + 3),
                "sentences_a": 1 + p % 7,
                "sentences_b": 1,
            })
        })
        .collect();
    let figures = RunFigures {
        n_ingested: N,
        stages: vec![stage(
            "dedup",
            N,
            N - n_dropped,
            &[("duplicate", n_dropped)],
        )],
        dedup: serde_json::json!({
            "n_docs": N,
            "n_clusters": N / 10,
            "threshold": 0.8,
            "similarity_histogram": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 100, 1000, 100000],
            "clusters": clusters,
            "shared_pairs": shared,
        }),
        ..RunFigures::default()
    };
    let report = builder.finish(figures);
    report.check_identity().unwrap();
    assert_eq!(report.totals.seen, N);

    // The builder held only what it shows.
    let config = Config::default();
    assert_eq!(report.documents.len(), config.documents_shown);
    assert_eq!(report.drops.len(), config.listed_drops);
    assert_eq!(report.pairs.len(), chaff_report::PAIRS_SHOWN);
    for pair in &report.pairs {
        assert!(pair.representative_text.chars().count() <= chaff_report::PAIR_CHARS + 1);
        assert!(pair.duplicate_text.chars().count() <= chaff_report::PAIR_CHARS + 1);
    }
    assert_eq!(
        report.shared_sentences.len(),
        chaff_report::SHARED_PAIRS_LISTED
    );
    assert_eq!(
        report.shared_sentences[0].sentences,
        ["A short unique document."]
    );
    for rule in report.rules.values() {
        assert!(rule.examples.len() <= config.examples_per_rule);
    }

    // The page shows the first of everything and says where the rest is.
    let html = report.to_html();
    assert!(html.len() < 600_000, "report.html is {} bytes", html.len());
    assert!(
        html.contains("… and 99,980 more clusters"),
        "clusters not capped"
    );
    assert!(html.contains("… and 60 more rules"), "rules not capped");
    assert!(html.contains("… and 99,800 more in <code>dropped.jsonl</code>"));
    assert_eq!(
        html.matches("class=\"pair-view\"").count(),
        chaff_report::PAIRS_SHOWN
    );
    assert_eq!(
        html.matches("<details class=\"doc\"").count(),
        config.documents_shown
    );
    assert!(html.contains("1,000,000 documents ingested"));
    let markdown = report.to_markdown();
    assert!(
        markdown.len() < 100_000,
        "report.md is {} bytes",
        markdown.len()
    );
    let json = report.to_json();
    assert!(
        json.len() < 1_000_000,
        "report.json is {} bytes",
        json.len()
    );
    eprintln!(
        "{N} documents: report.html {} bytes, report.md {} bytes, report.json {} bytes",
        html.len(),
        markdown.len(),
        json.len()
    );
}

/// Removed text is placed where it stood in the final text: a later stage's cut before it moves
/// it back, and one that removed the stretch around it leaves it unplaced.
#[test]
fn removals_are_placed_in_the_final_text() {
    // Clean's output: "Intro para.\n\nBody text here." with a comment removed at 3 (inside
    // the intro) and a credit removed at 25 (inside the body); dedup then cut the intro
    // ("Intro para.\n\n", 13 characters) as a repeated paragraph.
    let mut doc = record("d", "Body text here.");
    for (stage, rule, at, original) in [
        ("clean", "html_comment", 3usize, "<!-- a -->"),
        ("clean", "image_credit", 25, "Photo: AP"),
        ("dedup", "repeated_paragraph", 0, "Intro para.\n\n"),
    ] {
        doc.edits.push(Edit {
            stage: stage.into(),
            rule: rule.into(),
            span: Span::new(at, at),
            original: original.into(),
            first_copy: None,
        });
    }
    let report = build(&[doc], RunFigures::default());
    let view = &report.documents[0];
    let placed: Vec<(&str, Option<usize>)> = view
        .removed
        .iter()
        .zip(&view.removed_at)
        .map(|((_, rule, _), at)| (rule.as_str(), *at))
        .collect();
    assert_eq!(
        placed,
        [
            ("html_comment", None),
            ("image_credit", Some(12)),
            ("repeated_paragraph", Some(0)),
        ]
    );
}
