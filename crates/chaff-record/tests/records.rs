//! Data-driven tests of the record codec over `fixtures/record/`.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use chaff_record::{
    Edit, JsonlWriter, OnError, ReadOptions, Record, RecordReader, Source, Span, offsets,
    rebuild_original,
};

/// Reads a fixture with errors skipped, renders every record (re-encoded) and every error.
fn check(input: &[u8], name: &str, options: ReadOptions) -> String {
    let mut rendered = String::new();
    let mut reader = RecordReader::new(input, name, options);
    for item in reader.by_ref() {
        match item {
            Ok(record) => {
                let mut writer = JsonlWriter::new(Vec::new());
                writer.write(&record).unwrap();
                let line = String::from_utf8(writer.finish().unwrap()).unwrap();
                // A record must survive its own round trip unchanged.
                let again: Record = serde_json::from_str(&line).unwrap();
                assert_eq!(again, record);
                write!(rendered, "ok    {line}").unwrap();
            }
            Err(err) => {
                let mut message = err.to_string();
                let mut source = std::error::Error::source(&err);
                while let Some(cause) = source {
                    write!(message, ": {cause}").unwrap();
                    source = cause.source();
                }
                writeln!(rendered, "error {message}").unwrap();
            }
        }
    }
    writeln!(rendered, "n_errors {}", reader.n_errors()).unwrap();
    rendered
}

#[test]
fn round_trip_fixtures() {
    insta::glob!("../../../fixtures/record", "*.jsonl", |path| {
        let input = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let options = ReadOptions {
            on_error: OnError::Skip,
            ..ReadOptions::default()
        };
        insta::assert_snapshot!(check(&input, &name, options));
    });
}

#[test]
fn stop_policy_ends_at_first_error() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/record/malformed.jsonl"
    ))
    .unwrap();
    let rendered = check(&input, "malformed.jsonl", ReadOptions::default());
    insta::assert_snapshot!(rendered, @r#"
    ok    {"id":"good-1","text":"One.","source":{"path":"m"},"schema_version":1}
    error malformed.jsonl:2: malformed record: EOF while parsing a string at line 1 column 37
    n_errors 1
    "#);
}

#[test]
fn long_lines_are_refused_without_being_held() {
    let mut input = b"{\"id\":\"a\",\"text\":\"".to_vec();
    input.extend(std::iter::repeat_n(b'x', 10_000));
    input.extend_from_slice(b"\",\"source\":{\"path\":\"p\"},\"schema_version\":1}\r\n");
    input.extend_from_slice(
        b"{\"id\":\"b\",\"text\":\"ok\",\"source\":{\"path\":\"p\"},\"schema_version\":1}",
    );
    let options = ReadOptions {
        on_error: OnError::Skip,
        max_line_bytes: 1_000,
    };
    let rendered = check(&input, "long.jsonl", options);
    insta::assert_snapshot!(rendered, @r#"
    error long.jsonl:1: line of 10063 bytes exceeds the limit of 1000 bytes
    ok    {"id":"b","text":"ok","source":{"path":"p"},"schema_version":1}
    n_errors 1
    "#);
}

fn edit(stage: &str, rule: &str, span: [usize; 2], original: &str) -> Edit {
    Edit {
        stage: stage.to_owned().into(),
        rule: rule.to_owned().into(),
        span: Span::from(span),
        original: original.into(),
        first_copy: None,
    }
}

#[test]
fn rebuild_undoes_stages_last_first() {
    // Ingest text: "<p>Caf\u{e9} ol\u{e9}!</p>\n\nDonate now.\n\nDonate now."
    // Clean removes tags and the appeal, leaving "Café olé!\n\nDonate now.";
    // dedup then removes the repeated paragraph.
    let mut record = Record::new("r", "Café olé!", Source::default());
    record.edits = vec![
        edit("clean", "html_tag", [0, 0], "<p>"),
        edit("clean", "html_tag", [9, 9], "</p>"),
        edit("clean", "donation_appeal", [22, 22], "\n\nDonate now."),
        edit("dedup", "repeated_paragraph", [9, 9], "\n\nDonate now."),
    ];
    assert_eq!(
        rebuild_original(&record).unwrap(),
        "<p>Café olé!</p>\n\nDonate now.\n\nDonate now."
    );
}

#[test]
fn rebuild_rejects_bad_edits() {
    let mut record = Record::new("r", "abc", Source::default());
    record.edits = vec![
        edit("clean", "x", [2, 2], "1"),
        edit("clean", "y", [1, 1], "2"),
    ];
    insta::assert_snapshot!(rebuild_original(&record).unwrap_err(), @r#"record r: edits cannot be undone: edit "y" at [1, 1) overlaps or is out of order"#);
    record.edits = vec![edit("clean", "x", [2, 9], "1")];
    insta::assert_snapshot!(rebuild_original(&record).unwrap_err(), @r#"record r: edits cannot be undone: edit "x" at [2, 9) lies past the end of the text"#);
}

#[test]
fn offsets_count_code_points() {
    let text = "a—中😀b";
    assert_eq!(offsets::char_len(text), 5);
    let mut cursor = offsets::CharCursor::new(text);
    assert_eq!(cursor.char_offset(1), 1);
    assert_eq!(cursor.char_offset(4), 2);
    assert_eq!(cursor.char_offset(text.len()), 5);
    assert_eq!(cursor.char_offset(0), 0);
    assert_eq!(offsets::slice(text, Span::new(2, 4)), Some("中😀"));
    assert_eq!(offsets::slice(text, Span::new(4, 6)), None);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text with any set of sorted non-overlapping edits rebuilds to the text the
        /// edits describe, and byte/char cursors agree with `char_indices`.
        #[test]
        fn rebuild_inverts_replacements(text in "\\PC{0,40}", cuts in proptest::collection::vec((0usize..50, 0usize..4, "\\PC{0,5}"), 0..6)) {
            let n_chars = offsets::char_len(&text);
            let chars: Vec<char> = text.chars().collect();
            let mut edits = Vec::new();
            let mut expected = String::new();
            let mut at = 0;
            let mut sorted = cuts.clone();
            sorted.sort();
            for (start, len, original) in sorted {
                let start = start.min(n_chars);
                if start < at { continue; }
                let end = (start + len).min(n_chars);
                expected.extend(&chars[at..start]);
                expected.push_str(&original);
                edits.push(edit("clean", "r", [start, end], &original));
                at = end;
            }
            expected.extend(&chars[at..]);
            let mut record = Record::new("p", text.clone(), Source::default());
            record.edits = edits;
            prop_assert_eq!(rebuild_original(&record).unwrap(), expected);

            let mut cursor = offsets::CharCursor::new(&text);
            for (index, (byte, _)) in text.char_indices().enumerate() {
                prop_assert_eq!(cursor.char_offset(byte), index);
            }
        }
    }
}

/// A record whose span runs backwards or past the end of its text is refused when read, with
/// the file, line and span named, and becomes a quarantine entry; a span that ends exactly at
/// the end (counted in code points) is fine.
#[test]
fn spans_outside_the_text_are_refused_when_read() {
    let line = |spans: &str| {
        format!(
            r#"{{"id":"a","text":"Café au lait.","source":{{"path":"p"}},"spans":{spans},"schema_version":1}}"#
        )
    };
    let ok = chaff_record::parse_record(line(r#"{"sentences":[[0,13]]}"#).as_bytes(), "f", 1);
    assert!(ok.is_ok(), "{ok:?}");
    for (spans, detail) in [
        (
            r#"{"sentences":[[0,14]]}"#,
            "f:2: span [0, 14] of spans.sentences is not inside the text of 13 characters",
        ),
        (
            r#"{"words":[[0,4],[6,5]]}"#,
            "f:2: span [6, 5] of spans.words is not inside the text of 13 characters",
        ),
    ] {
        let err = chaff_record::parse_record(line(spans).as_bytes(), "f", 2).unwrap_err();
        assert_eq!(err.to_string(), detail);
        let entry = err.quarantine("clean").unwrap();
        assert_eq!(
            (entry.kind.as_str(), entry.source.line, entry.stage.as_str()),
            ("invalid_spans", Some(2), "clean")
        );
    }
}
