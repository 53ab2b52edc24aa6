//! The sentences of every cleaned seed, one a line, paragraphs separated by a blank line: the
//! units every later stage and every user slices.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use chaff_record::{Record, RecordStage, Source, offsets};

#[test]
fn sentences_of_the_cleaned_seeds() {
    insta::glob!("../../fixtures/seeds", "*.txt", |path| {
        let text = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
        let record =
            chaff_clean::Config::default().apply(Record::new("seed", text, Source::default()));
        let record = chaff_segment::Config::default().apply(record);
        let paragraphs = &record.spans["paragraphs"];
        let mut rendered = String::new();
        let mut paragraph = 0;
        for span in &record.spans["sentences"] {
            while paragraph < paragraphs.len() && paragraphs[paragraph].end < span.end {
                paragraph += 1;
                rendered.push('\n');
            }
            writeln!(rendered, "{}", offsets::slice(&record.text, *span).unwrap()).unwrap();
        }
        insta::assert_snapshot!(rendered);
    });
}
