//! The chaff segment stage: paragraphs, sentences and words as exact code-point spans.
//!
//! # Brief overview
//!
//! [`paragraphs`] reads the cleaned layout: a blank line always ends a paragraph, and a single
//! line break does too, unless the line before it reads as cut off mid-sentence (three or more
//! words, no closing punctuation) and the next line goes on in lower case. [`sentences`] splits
//! each paragraph with rules that know abbreviations (title, number-prefix and general ones,
//! from `data/en/abbreviations.txt`), initials, initialisms, decimals, times, e-mail addresses
//! and URLs, ellipses, quotations and parentheses, numbered and bulleted lists, and CJK marks;
//! a sentence never crosses a paragraph and never starts or ends on white space. [`words`] gives
//! the UAX #29 word segments that contain a letter or digit. The work is linear in the text.
//!
//! # Example
//!
//! ```
//! use chaff_record::{Record, RecordStage, Source};
//!
//! let config = chaff_segment::Config::default();
//! let record = Record::new("a", "Mr. Smith left at 5 p.m. on Friday. He was late.", Source::default());
//! let record = config.apply(record);
//! let sentences: Vec<&str> = record.spans["sentences"]
//!     .iter()
//!     .map(|span| chaff_record::offsets::slice(&record.text, *span).unwrap())
//!     .collect();
//! assert_eq!(sentences, ["Mr. Smith left at 5 p.m. on Friday.", "He was late."]);
//! ```

mod sentences;

use chaff_record::{Record, RecordStage, Span, offsets::CharCursor};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation as _;

/// Configuration of segment; every field has a documented default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Also fill `spans.words`. Default false (dedup tokenises by itself when they are absent).
    pub words: bool,
}

impl RecordStage for Config {
    fn name(&self) -> &'static str {
        "segment"
    }

    fn process(&self, mut record: Record) -> Record {
        let paragraph_bytes = paragraph_ranges(&record.text);
        let mut sentence_bytes = Vec::new();
        for &(start, end) in &paragraph_bytes {
            sentence_bytes.extend(
                sentences::split(&record.text[start..end])
                    .into_iter()
                    .map(|(s, e)| (start + s, start + e)),
            );
        }
        record.spans.insert(
            "paragraphs".into(),
            to_spans(&record.text, &paragraph_bytes),
        );
        record
            .spans
            .insert("sentences".into(), to_spans(&record.text, &sentence_bytes));
        if self.words {
            let words = word_ranges(&record.text);
            record
                .spans
                .insert("words".into(), to_spans(&record.text, &words));
        }
        record
    }
}

fn to_spans(text: &str, ranges: &[(usize, usize)]) -> Vec<Span> {
    let mut cursor = CharCursor::new(text);
    ranges
        .iter()
        .map(|&(s, e)| {
            let start = cursor.char_offset(s);
            Span::new(start, cursor.char_offset(e))
        })
        .collect()
}

/// Paragraph spans of `text`, in code points.
pub fn paragraphs(text: &str) -> Vec<Span> {
    to_spans(text, &paragraph_ranges(text))
}

/// Sentence spans of `text`, in code points, paragraph by paragraph (the paragraphs of
/// [`paragraphs`]). `config` is taken so that later sentence options need no new signature;
/// no field of it changes sentences today.
pub fn sentences(config: &Config, text: &str) -> Vec<Span> {
    let _ = config;
    let mut ranges = Vec::new();
    for (start, end) in paragraph_ranges(text) {
        ranges.extend(
            sentences::split(&text[start..end])
                .into_iter()
                .map(|(s, e)| (start + s, start + e)),
        );
    }
    to_spans(text, &ranges)
}

/// Word spans of `text` (UAX #29 segments with a letter or digit), in code points.
pub fn words(text: &str) -> Vec<Span> {
    to_spans(text, &word_ranges(text))
}

fn word_ranges(text: &str) -> Vec<(usize, usize)> {
    // UAX #29 attaches combining marks to the character before them, even to a space; such a
    // segment is trimmed so that no word starts or ends on white space.
    text.unicode_word_indices()
        .filter_map(|(start, word)| {
            let trimmed = word.trim_start();
            let start = start + (word.len() - trimmed.len());
            let trimmed = trimmed.trim_end();
            (!trimmed.is_empty()).then_some((start, start + trimmed.len()))
        })
        .collect()
}

/// Paragraphs as byte ranges, trimmed.
fn paragraph_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    let mut previous_line = "";
    let mut at = 0usize;
    for line in text.split('\n') {
        let line_start = at;
        at += line.len() + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if let Some(range) = current.take() {
                out.push(range);
            }
            continue;
        }
        let start = line_start + (line.len() - line.trim_start().len());
        let end = line_start + line.trim_end().len();
        current = match current {
            Some((paragraph_start, _)) if continues(previous_line, trimmed) => {
                Some((paragraph_start, end))
            }
            Some(range) => {
                out.push(range);
                Some((start, end))
            }
            None => Some((start, end)),
        };
        previous_line = trimmed;
    }
    if let Some(range) = current {
        out.push(range);
    }
    out
}

/// A line break inside a sentence: the line before has three or more words and no closing
/// punctuation, and the next goes on in lower case.
fn continues(previous: &str, next: &str) -> bool {
    let ends_open = previous.chars().last().is_some_and(|c| {
        !matches!(
            c,
            '.' | '!' | '?' | ':' | ';' | '"' | '”' | '’' | ')' | '…' | '。' | '！' | '？'
        )
    });
    let starts_lower = next.chars().next().is_some_and(char::is_lowercase);
    ends_open && starts_lower && previous.split_whitespace().count() >= 3
}
