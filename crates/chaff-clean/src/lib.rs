//! The chaff clean stage: the article a reader sees, out of text extracted from web pages,
//! PDFs and feeds, with every cut and rewrite logged.
//!
//! # Brief overview
//!
//! Cleaning is a fixed sequence of passes over one document (see [`RULES`] for the names, in
//! order): markup left in the text, character repairs (entities, mojibake, NFC, invisible
//! characters, doubled punctuation), hard-wrap repair, boilerplate lines and blocks, and white
//! space. Each pass proposes replacements on the current text; a piece table keeps, for every
//! piece of the result, the original text it stands for and the rule that made it. So the
//! record's `edits` say what every rule removed, `chaff_record::rebuild_original` gives back the
//! input byte for byte, and any rule can be switched off by name.
//!
//! A document with fewer than `min_words` words left is dropped with the reason
//! `empty_after_clean` (no words at all) or `too_short`.
//!
//! # Example
//!
//! ```
//! use chaff_record::{Record, RecordStage, Source, rebuild_original};
//!
//! let config = chaff_clean::Config::default();
//! let input = "<!-- nav -->Ministers met on Wednesday.\nLeave a Reply\nYour email address will not be published.";
//! let record = config.apply(Record::new("a", input, Source::default()));
//! assert_eq!(record.text, "Ministers met on Wednesday.");
//! assert_eq!(rebuild_original(&record).unwrap(), input);
//! let rules: Vec<&str> = record.edits.iter().map(|e| e.rule.as_str()).collect();
//! assert_eq!(rules, ["html_comment", "comment_form"]);
//! ```

mod boilerplate;
mod characters;
mod doc;
mod layout;

use chaff_record::{Record, RecordStage};
use serde::{Deserialize, Serialize};

use crate::doc::{Doc, Replacement};

/// Every rule, in the order the passes run. The names are the vocabulary of the report and of
/// `disabled_rules`.
pub const RULES: &[&str] = &[
    "html_comment",
    "script_style",
    "html_tag",
    "html_entity",
    "mojibake",
    "unicode_nfc",
    "invisible_chars",
    "doubled_punctuation",
    "hard_wrap",
    "hyphenation",
    "social_embed",
    "donation_appeal",
    "comment_form",
    "related_links",
    "button_label",
    "share_prompt",
    "cookie_notice",
    "policy_line",
    "image_credit",
    "byline_timestamp",
    "appeal_line",
    "navigation",
    "repeated_line",
    "straight_quotes",
    "whitespace",
];

/// Configuration of clean; every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Rules (from [`RULES`]) that do not run. Default none.
    pub disabled_rules: Vec<String>,
    /// Turn curly quotes into straight ones (rule `straight_quotes`). Default false: quote
    /// style is kept.
    pub straight_quotes: bool,
    /// Log every edit in the record (needed to rebuild the input and for the report). Default
    /// true; off trades the explanation for throughput.
    pub record_edits: bool,
    /// A document left with fewer words is dropped. Default 1.
    pub min_words: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            disabled_rules: Vec::new(),
            straight_quotes: false,
            record_edits: true,
            min_words: 1,
        }
    }
}

impl Config {
    fn enabled(&self, rule: &str) -> bool {
        !self.disabled_rules.iter().any(|r| r == rule)
            && (rule != "straight_quotes" || self.straight_quotes)
    }
}

/// A cleaned text and the edits that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaned {
    /// The text.
    pub text: String,
    /// Every edit, as the record stores them (empty when `record_edits` is off).
    pub edits: Vec<chaff_record::Edit>,
}

/// Cleans one text.
pub fn clean_text(config: &Config, text: &str) -> Cleaned {
    let mut doc = Doc::new(text);
    let pass = |doc: &mut Doc<'_>, rule: &str, run: fn(&str) -> Vec<Replacement>| {
        if config.enabled(rule) {
            let replacements = run(doc.text());
            doc.apply(replacements);
        }
    };
    pass(&mut doc, "html_comment", characters::html_comments);
    pass(&mut doc, "script_style", characters::script_style);
    pass(&mut doc, "html_tag", characters::html_tags);
    pass(&mut doc, "html_entity", characters::html_entities);
    pass(&mut doc, "mojibake", characters::mojibake);
    pass(&mut doc, "unicode_nfc", characters::nfc);
    pass(&mut doc, "invisible_chars", characters::invisible);
    pass(
        &mut doc,
        "doubled_punctuation",
        characters::doubled_punctuation,
    );
    if config.enabled("hard_wrap") {
        let replacements: Vec<Replacement> = layout::unwrap_lines(doc.text())
            .into_iter()
            .filter(|r| config.enabled(r.rule))
            .collect();
        doc.apply(replacements);
    }
    let replacements = boilerplate::boilerplate(doc.text(), &|rule| config.enabled(rule));
    doc.apply(replacements);
    pass(&mut doc, "straight_quotes", characters::straight_quotes);
    pass(&mut doc, "whitespace", characters::whitespace);
    let (text, edits) = doc.finish(config.record_edits);
    Cleaned { text, edits }
}

impl RecordStage for Config {
    fn name(&self) -> &'static str {
        "clean"
    }

    fn process(&self, mut record: Record) -> Record {
        let cleaned = clean_text(self, &record.text);
        record.text = cleaned.text;
        record.edits.extend(cleaned.edits);
        let n_words = record
            .text
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count();
        if n_words == 0 {
            record.drop_with(
                "clean",
                "empty_after_clean",
                Some("no words left after cleaning".to_owned()),
            );
        } else if n_words < self.min_words {
            record.drop_with(
                "clean",
                "too_short",
                Some(format!(
                    "{n_words} words left, fewer than min_words ({})",
                    self.min_words
                )),
            );
        }
        record
    }
}

/// What can go wrong in this crate. Cleaning itself cannot fail (any input gives a record);
/// only rebuilding the original from a record whose edit log is inconsistent can.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record's edits do not undo to an original text (a span out of bounds or edits
    /// that overlap).
    #[error("cannot rebuild the original text")]
    Rebuild(#[from] chaff_record::Error),
}

/// The text as it was before clean (and any later stage) edited it.
pub fn rebuild(record: &Record) -> Result<String, Error> {
    Ok(chaff_record::rebuild_original(record)?)
}
