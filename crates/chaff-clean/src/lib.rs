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
//! let rules: Vec<&str> = record.edits.iter().map(|e| &*e.rule).collect();
//! assert_eq!(rules, ["html_comment", "comment_form"]);
//! ```

mod boilerplate;
mod characters;
mod doc;
mod layout;

use chaff_record::{Record, RecordStage};
use serde::{Deserialize, Serialize};

use crate::doc::{Doc, Replacement};

/// The lines of `text`, as `text.split('\n')` gives them, found by memchr's SIMD search (the
/// standard library's is byte-wise, and every pass that reads lines reads them all).
pub(crate) fn split_at_newlines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', text.as_bytes())
        .map(Some)
        .chain(std::iter::once(None))
        .map(move |newline| {
            let end = newline.unwrap_or(text.len());
            let line = text.get(start..end).unwrap_or_default();
            start = end + 1;
            line
        })
}

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
    clean_page(config, text, None)
}

/// Cleans one text extracted from a web page, given the byte ranges of `text` that were link
/// text (`<a href>`, as ingest records them in the `links` spans). The share of link text in
/// a line (link density, as jusText and trafilatura weigh it) then tells a menu of links from
/// a table or list of the article's own: only link-heavy runs of short lines count as
/// navigation. `None`: the text has no link information (plain text, PDF, a feed), and runs
/// of short lines are judged by their shape alone. With link information the text is taken
/// for an extraction that puts one block on a line, and no line break is joined as a wrap.
pub fn clean_page(config: &Config, text: &str, links: Option<&[(usize, usize)]>) -> Cleaned {
    clean_laid_out(
        config,
        text,
        &Layout {
            links,
            preformatted: &[],
        },
    )
}

/// What the extraction of a text knows of its layout, as byte ranges of the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout<'a> {
    /// The link text (see [`clean_page`]); `None` when the text has no link information.
    pub links: Option<&'a [(usize, usize)]>,
    /// Preformatted blocks (`<pre>`): laid out by their author, like fenced code. Their lines
    /// are never joined, no line rule removes them, and white space inside them stays but at
    /// the ends of lines.
    pub preformatted: &'a [(usize, usize)],
}

/// Cleans one text whose extraction knows its link text and preformatted blocks
/// (see [`Layout`]).
pub fn clean_laid_out(config: &Config, text: &str, layout: &Layout<'_>) -> Cleaned {
    let links = layout.links;
    let preformatted = sorted_merged(text, layout.preformatted);
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
    // The preformatted blocks where they are in the current text.
    let preformatted_now = |doc: &Doc<'_>| {
        if preformatted.is_empty() {
            Vec::new()
        } else {
            doc.map_original_ranges(&preformatted)
        }
    };
    // A web page's text (link information known) is one block a line, as the extraction laid
    // it out: its line breaks are the page's own, never a printer's wrap.
    if config.enabled("hard_wrap") && links.is_none() {
        let replacements: Vec<Replacement> =
            layout::unwrap_lines(doc.text(), &preformatted_now(&doc))
                .into_iter()
                .filter(|r| config.enabled(r.rule))
                .collect();
        doc.apply(replacements);
    }
    let links = links.map(|links| doc.map_original_ranges(&sorted_merged(text, links)));
    let replacements = boilerplate::boilerplate(
        doc.text(),
        links.as_deref(),
        &preformatted_now(&doc),
        &|rule| config.enabled(rule),
    );
    doc.apply(replacements);
    pass(&mut doc, "straight_quotes", characters::straight_quotes);
    if config.enabled("whitespace") {
        let replacements = characters::whitespace(doc.text(), &preformatted_now(&doc));
        doc.apply(replacements);
    }
    let (text, edits) = doc.finish(config.record_edits);
    Cleaned { text, edits }
}

/// Byte ranges of `text`, in bounds, sorted and merged, whatever order the caller gave them in.
fn sorted_merged(text: &str, ranges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    layout::merged(
        ranges
            .iter()
            .map(|&(start, end)| (start.min(text.len()), end.min(text.len())))
            .filter(|(start, end)| end > start)
            .collect(),
    )
}

impl RecordStage for Config {
    fn name(&self) -> &'static str {
        "clean"
    }

    fn process(&self, mut record: Record) -> Record {
        // Link spans index the text as ingest wrote it; clean consumes them (its edits would
        // leave them pointing at the wrong text).
        // So do the preformatted blocks' spans.
        let text = &record.text;
        let to_bytes = |spans: Vec<chaff_record::Span>| {
            let mut cursor = chaff_record::offsets::ByteCursor::new(text);
            spans
                .iter()
                .map(|span| {
                    let start = cursor.byte_offset(span.start).unwrap_or(text.len());
                    let end = cursor.byte_offset(span.end).unwrap_or(text.len());
                    (start, end.max(start))
                })
                .collect::<Vec<_>>()
        };
        let links = record.spans.remove("links").map(to_bytes);
        let preformatted = record
            .spans
            .remove("preformatted")
            .map(to_bytes)
            .unwrap_or_default();
        let cleaned = clean_laid_out(
            self,
            &record.text,
            &Layout {
                links: links.as_deref(),
                preformatted: &preformatted,
            },
        );
        record.text = cleaned.text;
        record.edits.extend(cleaned.edits);
        // Words are counted only as far as the minimum: the verdict needs no more, and a
        // whole pass over the text per document is not free.
        let n_words = record
            .text
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .take(self.min_words.max(1))
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
