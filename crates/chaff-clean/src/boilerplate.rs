//! Boilerplate lines and blocks: what a site wraps around an article.
//!
//! Every rule looks at whole lines (ingest gives web pages one block a line) and at where
//! they stand: appeals and comment forms run to the end of the page, bylines and timestamps
//! stand alone, navigation comes in runs of short lines. Phrase lists live in `data/*.txt`.

use std::sync::OnceLock;

use regex::Regex;

use crate::doc::Replacement;

struct Lists {
    /// The appeal openers, matched at the start of a line only.
    appeal_openers: aho_corasick::AhoCorasick,
    button_labels: rustc_hash::FxHashSet<String>,
    /// The words of a share bar (`Facebook Twitter Email`).
    share_networks: rustc_hash::FxHashSet<String>,
    /// The words a time stamp may hold besides numbers (`at`, `march`, `et`, `ago`).
    time_words: rustc_hash::FxHashSet<String>,
    /// The most words any button label has (longer lines are not compared).
    button_label_words: usize,
    related_headings: rustc_hash::FxHashSet<String>,
    /// What an appeal line asks the reader to do (one of them is in every appeal line).
    appeal_actions: aho_corasick::AhoCorasick,
    /// One of these, or `/` or `|`, is in every image credit line (a cheap test before the
    /// regex).
    credit_words: aho_corasick::AhoCorasick,
    /// The same with SIMD (Teddy), faster over a whole text; `None` where Teddy is not
    /// available.
    credit_words_teddy: Option<aho_corasick::packed::Searcher>,
    /// The phrases of a republication note (`data/republish_notes.txt`).
    reprint_phrases: aho_corasick::AhoCorasick,
    phrases: Phrases,
}

impl Lists {
    /// Whether the (lower-cased) line starts with an appeal opener.
    fn opens_appeal(&self, lower: &str) -> bool {
        self.appeal_openers
            .is_match(aho_corasick::Input::new(lower).anchored(aho_corasick::Anchored::Yes))
    }
}

/// One of these, or `/` or `|`, is in every image credit line.
/// One of these is in every phrase of `data/republish_notes.txt` (a test checks).
const REPRINT_WORDS: [&str; 4] = ["publish", "appeared", "reprint", "original article"];

const CREDIT_WORDS: [&str; 7] = [
    "via",
    "photo",
    "image",
    "picture",
    "video",
    "graphic",
    "shutterstock",
];

fn read_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The phrase lists (`data/*.txt`), all matched by one Aho-Corasick automaton, so a line is
/// scanned once for every list: [`Phrases::lists_in`] says which lists have a phrase in it.
struct Phrases {
    automaton: aho_corasick::AhoCorasick,
    /// Finds whether any phrase occurs, with SIMD (Teddy): most lines hold none, and one
    /// search over the whole lower-cased text finds the few lines the automaton must read.
    /// `None` where Teddy is not available (the automaton then reads every line).
    any: Option<aho_corasick::packed::Searcher>,
    /// The list (a bit of [`PhraseList`]) of each pattern.
    list_of: Vec<u8>,
}

/// The phrase lists, as bits of a line's `phrases` mask.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
enum PhraseList {
    Appeal = 1,
    Share = 2,
    CommentForm = 4,
    Policy = 8,
    Cookie = 16,
}

impl Phrases {
    fn new(lists: &[(PhraseList, &str)]) -> Phrases {
        let mut patterns = Vec::new();
        let mut list_of = Vec::new();
        for &(list, text) in lists {
            for phrase in read_list(text) {
                patterns.push(phrase);
                list_of.push(list as u8);
            }
        }
        let automaton = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&patterns)
            .unwrap_or_else(|err| panic!("built-in phrase lists: {err}"));
        // Past 64 patterns Teddy is off by default (more false candidates to verify); here a
        // candidate costs one line's automaton search, far less than searching every line.
        let any = aho_corasick::packed::Config::new()
            .heuristic_pattern_limits(false)
            .builder()
            .extend(&patterns)
            .build();
        Phrases {
            automaton,
            any,
            list_of,
        }
    }

    /// The lists with a phrase in the (lower-cased) text, as a mask of [`PhraseList`] bits.
    fn lists_in(&self, lower: &str) -> u8 {
        let mut mask = 0u8;
        for found in self.automaton.find_overlapping_iter(lower) {
            mask |= self.list_of[found.pattern().as_usize()];
        }
        mask
    }

    /// Sets the `phrases` mask of every line; `lower_text` holds the lines' `lower` texts, in
    /// order, each followed by a line break (no phrase holds one, so none spans two lines).
    fn mark(&self, lower_text: &str, lines: &mut [Line<'_>]) {
        let Some(any) = &self.any else {
            for line in lines.iter_mut() {
                line.phrases = self.lists_in(line.lower);
            }
            return;
        };
        let find = |at: usize| {
            any.find_in(lower_text, aho_corasick::Span::from(at..lower_text.len()))
                .map(|found| found.start())
        };
        for_lines_holding(lower_text, lines, find, |line, found| {
            // Teddy's match is the leftmost: no phrase of the line starts before it.
            let line_start = line.lower_end - line.lower.len();
            let from_match = line.lower.get(found - line_start..).unwrap_or(line.lower);
            line.phrases = self.lists_in(from_match);
        });
    }
}

/// Calls `mark` on every line whose lower-cased text holds a match of `find`, with the offset
/// of its first match. `find` gives the start of the first match at or after an offset of
/// `lower_text` (the lines' `lower` texts in order, each followed by a line break; a match
/// must not span one). One search runs over the whole text, from one marked line to the next.
fn for_lines_holding(
    lower_text: &str,
    lines: &mut [Line<'_>],
    mut find: impl FnMut(usize) -> Option<usize>,
    mut mark: impl FnMut(&mut Line<'_>, usize),
) {
    let mut next_line = 0;
    let mut at = 0;
    while at < lower_text.len()
        && let Some(found) = find(at)
    {
        // The line holding the match: lines are in order, so the walk goes forward.
        while next_line < lines.len() && lines[next_line].lower_end < found {
            next_line += 1;
        }
        let Some(line) = lines.get_mut(next_line) else {
            return;
        };
        mark(line, found);
        at = line.lower_end + 1;
        next_line += 1;
    }
}

fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| {
        let appeal_openers = aho_corasick::AhoCorasick::builder()
            .start_kind(aho_corasick::StartKind::Anchored)
            .build(read_list(include_str!("../data/appeal_openers.txt")))
            .unwrap_or_else(|err| panic!("built-in appeal openers: {err}"));
        let button_labels = read_list(include_str!("../data/button_labels.txt"));
        Lists {
            appeal_openers,
            button_label_words: button_labels
                .iter()
                .map(|label| label.split_whitespace().count())
                .max()
                .unwrap_or(0),
            button_labels: button_labels.into_iter().collect(),
            share_networks: read_list(include_str!("../data/share_networks.txt"))
                .into_iter()
                .collect(),
            time_words: read_list(include_str!("../data/time_words.txt"))
                .into_iter()
                .collect(),
            related_headings: read_list(include_str!("../data/related_headings.txt"))
                .into_iter()
                .collect(),
            appeal_actions: aho_corasick::AhoCorasick::new([
                "donat",
                "subscri",
                "support us",
                "support our",
                "become a member",
                "sign up",
            ])
            .unwrap_or_else(|err| panic!("built-in appeal actions: {err}")),
            credit_words: aho_corasick::AhoCorasick::new(CREDIT_WORDS)
                .unwrap_or_else(|err| panic!("built-in credit words: {err}")),
            credit_words_teddy: aho_corasick::packed::Searcher::new(CREDIT_WORDS),
            reprint_phrases: aho_corasick::AhoCorasick::new(read_list(include_str!(
                "../data/republish_notes.txt"
            )))
            .unwrap_or_else(|err| panic!("built-in republication phrases: {err}")),
            phrases: Phrases::new(&[
                (PhraseList::Appeal, include_str!("../data/appeal_words.txt")),
                (PhraseList::Share, include_str!("../data/share_prompts.txt")),
                (
                    PhraseList::CommentForm,
                    include_str!("../data/comment_form.txt"),
                ),
                (
                    PhraseList::Policy,
                    include_str!("../data/policy_phrases.txt"),
                ),
                (
                    PhraseList::Cookie,
                    include_str!("../data/cookie_context.txt"),
                ),
            ]),
        }
    })
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| {
        Regex::new(pattern).unwrap_or_else(|err| panic!("built-in pattern {pattern:?}: {err}"))
    })
}

/// One line of the text.
struct Line<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    /// The trimmed text lower-cased (a slice of the document's one lower-cased copy).
    lower: &'a str,
    /// Where `lower` ends in that copy.
    lower_end: usize,
    n_words: usize,
    /// The phrase lists with a phrase in the line (bits of [`PhraseList`]).
    phrases: u8,
    /// Whether the line holds a credit word (`Lists::credit_words`, `/`, `|`).
    credit_word: bool,
    /// Whether the line holds a word every republication phrase holds one of
    /// ([`REPRINT_WORDS`]): a cheap test before `Lists::reprint_phrases`.
    reprint_word: bool,
    /// The share of the line's bytes that are link text (0 without link information).
    link_share: f32,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        self.text.is_empty()
    }

    fn has(&self, list: PhraseList) -> bool {
        self.phrases & list as u8 != 0
    }
}

/// The lines of `text`; their lower-cased copies go, each followed by a line break, into
/// `lower_text` (one buffer for the document rather than one string a line).
fn split_lines<'a>(text: &'a str, lower_text: &'a mut String) -> Vec<Line<'a>> {
    lower_text.clear();
    lower_text.reserve(text.len() + 1);
    // Each line's place in `text`, trimmed text, place in `lower_text` and word count.
    let mut spans: Vec<(usize, usize, &'a str, usize, usize, usize)> = Vec::new();
    let mut at = 0;
    for raw in crate::split_at_newlines(text) {
        let trimmed = raw.trim();
        let lower_start = lower_text.len();
        // ASCII lines (most) lower-case and count words byte by byte (the same results).
        let n_words = if trimmed.is_ascii() {
            lower_text.push_str(trimmed);
            lower_text[lower_start..].make_ascii_lowercase();
            // `char::is_whitespace` in ASCII: tab to carriage return and the space. A word
            // starts at the first byte (the line is trimmed) and after each space before a
            // non-space; counted pairwise in byte-sized counts (at most 255 pairs a chunk),
            // which vectorise.
            let bytes = trimmed.as_bytes();
            let space = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
            let (before, after) = (
                bytes
                    .get(..bytes.len().saturating_sub(1))
                    .unwrap_or_default(),
                bytes.get(1..).unwrap_or_default(),
            );
            let starts_after_space: usize = before
                .chunks(255)
                .zip(after.chunks(255))
                .map(|(before, after)| {
                    let n = before.iter().zip(after).fold(0u8, |n, (&a, &b)| {
                        n.wrapping_add(u8::from(space(a) & !space(b)))
                    });
                    usize::from(n)
                })
                .sum();
            usize::from(!bytes.is_empty()) + starts_after_space
        } else {
            lower_text.push_str(&trimmed.to_lowercase());
            count_words(trimmed)
        };
        spans.push((
            at,
            at + raw.len(),
            trimmed,
            lower_start,
            lower_text.len(),
            n_words,
        ));
        lower_text.push('\n');
        at += raw.len() + 1;
    }
    let lower_text: &'a str = lower_text;
    let mut lines: Vec<Line<'a>> = spans
        .into_iter()
        .map(
            |(start, end, trimmed, lower_start, lower_end, n_words)| Line {
                start,
                end,
                text: trimmed,
                lower: &lower_text[lower_start..lower_end],
                lower_end,
                n_words,
                phrases: 0,
                credit_word: false,
                reprint_word: false,
                link_share: 0.0,
            },
        )
        .collect();
    let lists = lists();
    lists.phrases.mark(lower_text, &mut lines);
    let bytes = lower_text.as_bytes();
    let find_bar_or_slash =
        |at: usize| memchr::memchr2(b'/', b'|', bytes.get(at..)?).map(|found| at + found);
    for_lines_holding(lower_text, &mut lines, find_bar_or_slash, |line, _| {
        line.credit_word = true;
    });
    let find_credit_word = |at: usize| match &lists.credit_words_teddy {
        Some(teddy) => teddy
            .find_in(lower_text, aho_corasick::Span::from(at..lower_text.len()))
            .map(|found| found.start()),
        None => {
            let input = aho_corasick::Input::new(lower_text).span(at..lower_text.len());
            lists.credit_words.find(input).map(|found| found.start())
        }
    };
    for_lines_holding(lower_text, &mut lines, find_credit_word, |line, _| {
        line.credit_word = true;
    });
    // Each word by its own vectorised search over the whole text (rare words: a search or two
    // a text).
    for word in REPRINT_WORDS {
        let finder = memchr::memmem::Finder::new(word);
        let find = |at: usize| finder.find(bytes.get(at..)?).map(|found| at + found);
        for_lines_holding(lower_text, &mut lines, find, |line, _| {
            line.reprint_word = true;
        });
    }
    lines
}

/// Sets each line's share of link text from the byte ranges of link text (sorted, not
/// overlapping, as ingest writes them).
fn weigh_links(lines: &mut [Line<'_>], links: &[(usize, usize)]) {
    let mut next = 0usize;
    for line in lines.iter_mut() {
        if line.text.is_empty() {
            continue;
        }
        while next < links.len() && links[next].1 <= line.start {
            next += 1;
        }
        let mut covered = 0usize;
        let mut k = next;
        while k < links.len() && links[k].0 < line.end {
            covered += links[k]
                .1
                .min(line.end)
                .saturating_sub(links[k].0.max(line.start));
            k += 1;
        }
        line.link_share = (covered as f32 / line.text.len() as f32).min(1.0);
    }
}

/// Whether a line is a picture's caption or credit under its label, as pages put it (BBC's
/// `Image caption, The mayor speaks.`, `Image source, Getty Images`, `Photo credit: …`): a
/// sentence after such a label is the caption's, not the article's.
fn is_labelled_caption(lower: &str) -> bool {
    let Some(rest) = ["image ", "photo ", "picture ", "video "]
        .iter()
        .find_map(|label| lower.strip_prefix(label))
    else {
        return false;
    };
    ["caption", "source", "credit"].iter().any(|kind| {
        rest.strip_prefix(kind)
            .is_some_and(|after| after.trim_start().starts_with([',', ':']))
    })
}

/// A label without the duration after it (`listen to this article 5 min` → `listen to this
/// article`), as audio and video players print it.
fn without_duration(label: &str) -> &str {
    let trimmed = label.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == ' ');
    let unit = &label[trimmed.len()..];
    let number = trimmed.trim_end_matches(|c: char| c.is_ascii_digit() || c == ':');
    if number.len() == trimmed.len()
        || !matches!(
            unit.trim(),
            "" | "min" | "mins" | "minute" | "minutes" | "sec" | "secs" | "seconds"
        )
    {
        return label;
    }
    number.trim_end()
}

/// Whether a line is only a reading or listening time (`5 min read`, `3-minute read`,
/// `Reading time: 4 minutes`).
fn is_reading_time(lower: &str) -> bool {
    let line = lower.trim().trim_end_matches('.');
    let line = line
        .strip_prefix("reading time")
        .or_else(|| line.strip_prefix("estimated reading time"))
        .map_or(line, |rest| rest.trim_start_matches([':', ' ']));
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 3 {
        return false;
    }
    let rest = line[digits..].trim_start_matches([' ', '-']);
    let rest = ["minutes", "minute", "mins", "min"]
        .iter()
        .find_map(|unit| rest.strip_prefix(unit));
    rest.is_some_and(|rest| matches!(rest.trim(), "" | "read" | "listen" | "watch"))
}

/// A gallery's counter: `Image 1 of 5`, `Photo 3/12`, `Slide 2 of 9`.
fn is_gallery_counter(lower: &str) -> bool {
    if !lower.starts_with(['i', 'p', 's', 'g']) {
        return false;
    }
    let mut words = bare(lower).split_whitespace();
    let (Some(noun), Some(first)) = (words.next(), words.next()) else {
        return false;
    };
    let noun = noun.strip_suffix('s').unwrap_or(noun);
    if !matches!(noun, "image" | "photo" | "picture" | "slide" | "gallery") {
        return false;
    }
    let number = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
    match (words.next(), words.next(), words.next()) {
        (Some("of"), Some(total), None) => number(first) && number(total),
        (None, None, None) => first
            .split_once('/')
            .is_some_and(|(a, b)| number(a) && number(b)),
        _ => false,
    }
}

/// Two or more widget labels on one line between separators (`Sign in | Register`).
fn is_label_row(lower: &str, labels: &rustc_hash::FxHashSet<String>) -> bool {
    let separated = memchr::memchr2(b'|', b'/', lower.as_bytes()).is_some()
        || !lower.is_ascii() && lower.contains(['·', '•']);
    if !separated {
        return false;
    }
    all_in(lower.split(['|', '/', '·', '•']), labels)
}

/// Whether there are two or more `parts` once each is [`bare`] and the empty ones are left
/// out, and `set` holds every one of them.
fn all_in<'a>(parts: impl Iterator<Item = &'a str>, set: &rustc_hash::FxHashSet<String>) -> bool {
    let mut n = 0;
    for part in parts.map(bare).filter(|part| !part.is_empty()) {
        if !set.contains(part) {
            return false;
        }
        n += 1;
    }
    n >= 2
}

/// Whether a line credits the reporting and editing, as wire stories end (`Reporting by Jane
/// Doe; Editing by John Smith`, `(Additional reporting by Tom Lee in Beijing)`). A line that
/// ends in a full stop is one only in its wire shapes (in brackets, with a `;`
/// between credits, or `Additional reporting by …`), so that `Reporting by the BBC found that
/// …` stays.
fn is_credit_line(lower: &str) -> bool {
    let bracketed = lower.starts_with(['(', '[']);
    let line = lower.trim_start_matches(['(', '[']);
    let additional = line.starts_with("additional ");
    let line = line.strip_prefix("additional ").unwrap_or(line);
    let credit = [
        "reporting by ",
        "writing by ",
        "editing by ",
        "compiled by ",
        "research by ",
    ]
    .iter()
    .any(|credit| line.starts_with(credit));
    credit && (bracketed || additional || line.contains("; ") || !line.trim_end().ends_with('.'))
}

/// Whether a line is only a time stamp: under its label (`Updated at 10:32 a.m. ET on March
/// 30, 2022.`, `Published 2 hours ago`), nothing but numbers and the words of dates and times,
/// at least one number among them; without a label, the same, with the name of a month or a
/// day and a clock time or a whole date (`3:45 PM ET, Mon March 7, 2022`; not `10 days in
/// May` or `May 2022`, which may head a part of the text).
fn is_update_stamp(lower: &str, time_words: &rustc_hash::FxHashSet<String>) -> bool {
    const LABELS: &[&str] = &[
        "last updated",
        "last modified",
        "first published",
        "updated",
        "published",
        "posted",
        "modified",
    ];
    // A second stamp may follow the first (`Published: … | Updated: …`).
    const LABEL_WORDS: &[&str] = &[
        "last",
        "first",
        "updated",
        "published",
        "posted",
        "modified",
    ];
    // The names of months and days, as `time_words` holds them.
    const CALENDAR: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
    ];
    // Every stamp holds a number: most lines are ruled out by one scan.
    if !lower.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let labelled = LABELS.iter().find_map(|label| lower.strip_prefix(label));
    let rest = match labelled {
        Some(rest) if rest.starts_with([' ', ':']) => rest,
        Some(_) => return false,
        None => lower,
    };
    let (mut numbers, mut clock, mut year, mut calendar) = (0usize, false, false, false);
    for token in
        rest.split(|c: char| c.is_whitespace() || matches!(c, ',' | '|' | '/' | '-' | '–' | '—'))
    {
        let token = token.trim_matches(|c: char| matches!(c, '.' | ':' | '(' | ')' | ','));
        if token.is_empty() {
            continue;
        }
        if token.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            // 10:32, 30, 2022, 30th, 03.30.2022
            if !token.bytes().all(|b| {
                b.is_ascii_digit()
                    || matches!(b, b':' | b'.' | b's' | b't' | b'n' | b'd' | b'r' | b'h')
            }) {
                return false;
            }
            numbers += 1;
            clock |= token.contains(':');
            year |= token.len() == 4 && (token.starts_with("19") || token.starts_with("20"));
        } else if time_words.contains(token) {
            calendar |= CALENDAR.contains(&token);
        } else if !LABEL_WORDS.contains(&token) {
            return false;
        }
    }
    numbers > 0 && (labelled.is_some() || calendar && (clock || year && numbers >= 2))
}

/// The label of a line that lists a page's tags or categories under it (`Tags: budget,
/// schools`, `Filed under: Politics`): links to the site's own index pages.
fn taxonomy_label(lower: &str) -> Option<&'static str> {
    const LABELS: &[&str] = &[
        "tags:",
        "tagged:",
        "tagged with:",
        "filed under:",
        "topics:",
        "related topics:",
        "categories:",
        "category:",
        "posted in:",
        "keywords:",
    ];
    LABELS.iter().copied().find(|label| {
        lower
            .strip_prefix(label)
            .is_some_and(|rest| !rest.trim().is_empty() && !ends_sentence(rest))
    })
}

/// Whether a line is a share bar: two or more words, every one a network or share word
/// (`Facebook Twitter Email`, `Share: WhatsApp | Telegram`).
fn is_share_bar(lower: &str, words: &rustc_hash::FxHashSet<String>) -> bool {
    all_in(
        lower.split(|c: char| c.is_whitespace() || matches!(c, '|' | '•' | '·' | '/' | ',')),
        words,
    )
}

/// Whether a line is a byline and a time with separators between (`By Jane Doe | March 30,
/// 2022 10:45 AM`, `By Jane Doe · Reuters · 3 hours ago`): the first part a byline, at least
/// one other part a time, and any others short names (the outlet).
fn byline_with_time(
    text: &str,
    byline: &Regex,
    timestamp: &Regex,
    time_words: &rustc_hash::FxHashSet<String>,
) -> bool {
    static PARTS: OnceLock<Regex> = OnceLock::new();
    let parts = regex(&PARTS, r"\s*[|•·]\s*|\s+[-–—]\s+");
    let mut pieces = parts.split(text).map(str::trim).filter(|p| !p.is_empty());
    let Some(first) = pieces.next() else {
        return false;
    };
    if !byline.is_match(first) {
        return false;
    }
    let mut any_time = false;
    for piece in pieces {
        if timestamp.is_match(piece) || is_update_stamp(&piece.to_lowercase(), time_words) {
            any_time = true;
        } else if piece.split_whitespace().count() > 3
            || !piece
                .chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '.' || c == '&')
        {
            return false;
        }
    }
    any_time
}

/// The line without the punctuation around it, for exact matches with a label list.
fn bare(lower: &str) -> &str {
    lower.trim_matches(|c: char| !c.is_alphanumeric())
}

fn ends_sentence(text: &str) -> bool {
    text.trim_end_matches(['"', '”', '’', '\'', ')'])
        .chars()
        .last()
        .is_some_and(|c| matches!(c, '.' | '!' | '?' | '…' | '。'))
}

/// Whether a run of short lines of plain text (no link information) reads as a menu rather
/// than the text's own list: not the list a line ending in a colon announces ("The agenda
/// included:"), and with figures in fewer than a third of its lines. A menu's labels seldom
/// hold digits (a few do: `ext4`, `Formula 1`); quantities, an address, dates, scores and a
/// table's figures do.
fn reads_as_menu(lines: &[Line<'_>], run: &[usize]) -> bool {
    let Some(&first) = run.first() else {
        return false;
    };
    let announced = lines[..first]
        .iter()
        .rev()
        .find(|line| !line.is_blank())
        .is_some_and(|line| line.text.ends_with(':'));
    let with_figures = run
        .iter()
        .filter(|&&k| lines[k].text.chars().any(char::is_numeric))
        .count();
    !announced && with_figures * 3 < run.len()
}

/// Whether the (trimmed) line opens with a list marker (in plain text, an item of the text's
/// own list, never a menu's): a bullet (`-`, `*`, `+`, `•`, `–`, …)
/// or an enumerator (`1.`, `2)`, `a.`, `(iv)`), followed by white space.
fn is_list_item(text: &str) -> bool {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let spaced = |rest: &str| rest.starts_with(char::is_whitespace);
    if matches!(
        first,
        '-' | '*'
            | '+'
            | '•'
            | '·'
            | '◦'
            | '▪'
            | '▫'
            | '‣'
            | '⁃'
            | '–'
            | '—'
            | '→'
            | '>'
            | '✓'
            | '✔'
    ) {
        return spaced(chars.as_str());
    }
    // An enumerator: up to three digits, or one letter, or a roman numeral, then `.` or `)`,
    // optionally in parentheses.
    let body = text.strip_prefix('(').unwrap_or(text);
    let end = body
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(body.len());
    let (label, rest) = body.split_at(end);
    let is_enumerator = !label.is_empty()
        && (label.len() <= 3 && label.bytes().all(|b| b.is_ascii_digit())
            || label.len() == 1 && label.bytes().all(|b| b.is_ascii_alphabetic())
            || label.len() <= 4 && label.bytes().all(|b| b"ivxIVX".contains(&b)));
    is_enumerator && (rest.starts_with(['.', ')']) && spaced(&rest[1..]))
}

/// Whether the text holds a character that separates menu items: `|`, `•`, `»`, `›`, `·`, `>`.
fn has_separator(text: &str) -> bool {
    // The others start with 0xC2 or 0xE2; a character's encoding occurs in UTF-8 only where
    // the character does.
    let bytes = text.as_bytes();
    memchr::memchr2(b'|', b'>', bytes).is_some()
        || memchr::memchr2_iter(0xC2, 0xE2, bytes).any(|at| {
            let rest = bytes.get(at..).unwrap_or_default();
            ["•", "»", "›", "·"]
                .iter()
                .any(|separator| rest.starts_with(separator.as_bytes()))
        })
}

/// `text.split_whitespace().count()`, byte by byte: only the lead bytes of the white-space
/// characters outside ASCII (U+0085, U+00A0, U+1680, U+2000–U+205F, U+3000) need a character
/// decoded.
fn count_words(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut n_words = 0;
    let mut in_word = false;
    for (at, &byte) in bytes.iter().enumerate() {
        let space = match byte {
            b'\t'..=b'\r' | b' ' => true,
            // A continuation byte: the character it belongs to was judged at its lead byte.
            0x80..=0xBF => continue,
            0xC2 | 0xE1 | 0xE2 | 0xE3 => text
                .get(at..)
                .and_then(|rest| rest.chars().next())
                .is_some_and(char::is_whitespace),
            _ => false,
        };
        n_words += usize::from(!space && !in_word);
        in_word = !space;
    }
    n_words
}

fn has_appeal_word(line: &Line<'_>) -> bool {
    line.has(PhraseList::Appeal)
}

fn addresses_reader(lower: &str) -> bool {
    lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .any(|w| matches!(w, "you" | "your" | "you're" | "we" | "us" | "our"))
}

/// Which of the line rules are on.
struct LineRules {
    button_label: bool,
    share_prompt: bool,
    cookie_notice: bool,
    policy_line: bool,
    image_credit: bool,
    byline_timestamp: bool,
    appeal_line: bool,
    navigation: bool,
}

/// The rules, in the order they claim lines; `enabled` says which may run.
pub(crate) fn boilerplate(
    text: &str,
    links: Option<&[(usize, usize)]>,
    preformatted: &[(usize, usize)],
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<Replacement> {
    let mut lower_text = String::new();
    let mut lines = split_lines(text, &mut lower_text);
    if let Some(links) = links {
        weigh_links(&mut lines, links);
    }
    let n = lines.len();
    // Lines of fenced code are the author's: no rule removes them, and they count in no run.
    let fenced = crate::layout::code_blocks(text, preformatted);
    let code: Vec<bool> = lines
        .iter()
        .map(|line| crate::layout::inside(&fenced, line.start))
        .collect();
    let mut claimed: Vec<Option<&'static str>> = vec![None; n];
    let non_blank: Vec<usize> = (0..n).filter(|&i| !lines[i].is_blank()).collect();
    let n_non_blank = non_blank.len();
    // The position of each line among the non-blank ones (lines are visited in order).
    let mut position_of = vec![0usize; n];
    for (at, &i) in non_blank.iter().enumerate() {
        position_of[i] = at;
    }

    // Block rules first: they claim runs of lines.
    if enabled("social_embed") {
        social_embeds(text, &lines, &mut claimed);
    }
    if enabled("donation_appeal") {
        donation_appeal(&lines, &non_blank, &mut claimed);
    }
    if enabled("comment_form") {
        comment_form(&lines, &non_blank, &mut claimed);
    }
    if enabled("related_links") {
        related_links(&lines, &mut claimed);
    }

    for (claim, &in_code) in claimed.iter_mut().zip(&code) {
        if in_code {
            *claim = None;
        }
    }

    // Line rules.
    let lists = lists();
    static TIMESTAMP: OnceLock<Regex> = OnceLock::new();
    let timestamp = regex(
        &TIMESTAMP,
        r"(?i)^((updated|published|posted|last updated|first published)( on)?:?\s*)?((mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s*)?(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|[a-z]{3,9}\.? \d{1,2},? \d{4}|\d{1,2} [a-z]{3,9}\.? \d{4}|\d{1,2}\s*(seconds?|minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|months?|years?)\s+ago)(\s*([-–—|,]|at)?\s*\d{1,2}[:.]\d{2}(\s*[ap]\.?m\.?)?(\s*[a-z]{2,5})?)?$",
    );
    static NAME: OnceLock<Regex> = OnceLock::new();
    let name = regex(
        &NAME,
        r"^(By\s+)?\p{Lu}[\p{L}'’.-]+( (\p{Lu}[\p{L}'’.-]+|de|van|von|da|al|bin|le|la)){1,3}$",
    );
    static BYLINE: OnceLock<Regex> = OnceLock::new();
    let byline = regex(
        &BYLINE,
        r"^(?i:by)\s+\p{Lu}[\p{L}'’.-]+(\s+\p{Lu}[\p{L}'’.-]+){0,3}((,| and| &)\s+\p{Lu}[\p{L}'’.-]+(\s+\p{Lu}[\p{L}'’.-]+){0,3})*(\s*[,|/–—-]\s*[\p{L} .&]{2,40})?$",
    );
    static CREDIT: OnceLock<Regex> = OnceLock::new();
    let credit = regex(
        &CREDIT,
        r"(?i)(^(image|photo|picture|photograph|video|graphic)s?\s*(source|credit|courtesy|by)?\s*:)|(^\(?(ap|afp|reuters|epa|getty|xinhua) ?photo)|((via|/|\|)\s*(the )?(associated press|ap|getty images|reuters|afp|epa|xinhua|shutterstock|bloomberg|alamy|anadolu agency|tass|sputnik)\)?$)|(\((photo|image)( by|:| credit))|(getty images|shutterstock)$",
    );
    static SEPARATORS: OnceLock<Regex> = OnceLock::new();
    let separators = regex(&SEPARATORS, r"\s[|•»›·>]\s");

    // Asked once, not once a line.
    let line_rules = LineRules {
        button_label: enabled("button_label"),
        share_prompt: enabled("share_prompt"),
        cookie_notice: enabled("cookie_notice"),
        policy_line: enabled("policy_line"),
        image_credit: enabled("image_credit"),
        byline_timestamp: enabled("byline_timestamp"),
        appeal_line: enabled("appeal_line"),
        navigation: enabled("navigation"),
    };
    // How many lines each taxonomy label met so far opens.
    let mut label_counts: Vec<(&'static str, usize)> = Vec::new();
    for i in 0..n {
        let line = &lines[i];
        if line.is_blank() || claimed[i].is_some() || code[i] {
            continue;
        }
        let lower = line.lower;
        let short = line.n_words <= 12;
        let at = position_of[i];
        let near_end = at + 3 >= n_non_blank;
        let near_start = at < 3;
        // A byline, a time stamp, or a bare name beside one at the document's start or end.
        // A line right under one whose last word is lower case (or that ends in a comma)
        // carries on a hard-wrapped sentence (`…during its fourth quarter to end` / `March 31,
        // 1988.`): a date on it is the sentence's, not a time stamp.
        let continues_sentence = || {
            i > 0 && {
                let previous = lines[i - 1].text;
                previous.ends_with(',')
                    || previous
                        .split_whitespace()
                        .next_back()
                        .is_some_and(|word| word.starts_with(char::is_lowercase))
            }
        };
        // (A byline with its time stamp runs longer than either alone.)
        let is_byline_or_time = || {
            // Every byte tested, without an early exit: the test vectorises.
            short
                && !continues_sentence()
                && line
                    .text
                    .bytes()
                    .fold(false, |any, b| any | b.is_ascii_digit())
                && timestamp.is_match(line.text)
                || (lower.starts_with("by ")
                    && (short && byline.is_match(line.text)
                        || line.n_words <= 24
                            && byline_with_time(line.text, byline, timestamp, &lists.time_words)))
                || ((near_end || near_start)
                    && line.n_words <= 5
                    && name.is_match(line.text)
                    && line.text.chars().count() <= 40
                    && neighbour_is(
                        &lines,
                        &non_blank,
                        at,
                        |l| timestamp.is_match(l.text) || byline.is_match(l.text),
                        near_end,
                    ))
        };
        let rule: Option<&'static str> = if line_rules.button_label
            && (line.n_words <= lists.button_label_words + 3
                && lists.button_labels.contains(without_duration(bare(lower)))
                // `print()` is a call in a program, not a button.
                && !lower.contains("()")
                || line.n_words <= 6 && (is_reading_time(lower) || is_gallery_counter(lower))
                || line.n_words <= 12 && is_label_row(lower, &lists.button_labels))
        {
            Some("button_label")
        } else if line_rules.share_prompt
            && (short && (line.has(PhraseList::Share) || is_share_bar(lower, &lists.share_networks))
                // A newsletter or follow prompt written as a sentence to the reader.
                || line.n_words <= 25 && line.has(PhraseList::Share) && addresses_reader(lower))
        {
            Some("share_prompt")
        } else if line_rules.cookie_notice
            && line.n_words <= 60
            && line.has(PhraseList::Cookie)
            && lower.contains("cookie")
        {
            Some("cookie_notice")
        } else if line_rules.policy_line
            && (line.n_words <= 200
                && line.has(PhraseList::Policy)
                && (line.n_words <= 12
                    || !ends_sentence(line.text)
                    || lower.contains("lorem ipsum"))
                || (line.n_words <= 20 && (lower.contains('©') || lower.starts_with("copyright")))
                || line.n_words <= 40
                    && line.reprint_word
                    && names_a_reprint(lower)
                    && lists.reprint_phrases.is_match(lower))
        {
            Some("policy_line")
        } else if line_rules.image_credit
            && (line.n_words <= 20
                // Every branch of the pattern needs one of these (a cheap test before the regex).
                && line.credit_word
                && (credit.is_match(line.text) || ends_in_credit(line.text))
                && !ends_sentence_plainly(line.text)
                || line.n_words <= 40 && is_labelled_caption(lower))
        {
            Some("image_credit")
        } else if line_rules.byline_timestamp
            && (line.n_words <= 30 && is_credit_line(lower)
                || line.n_words <= 40 && lower.starts_with("this entry was posted ")
                || line.n_words <= 14
                    && is_update_stamp(lower, &lists.time_words)
                    && !continues_sentence()
                || is_byline_or_time())
        {
            Some("byline_timestamp")
        } else if line_rules.navigation
            && line.n_words <= 25
            && taxonomy_label(lower).is_some_and(|label| {
                // A label that opens three lines or more is a field of a listing (a directory's
                // `Category:` under each entry), not the page's own tags. Counted once a label.
                let count = match label_counts.iter().find(|(l, _)| *l == label) {
                    Some(&(_, count)) => count,
                    None => {
                        let count = lines.iter().filter(|l| l.lower.starts_with(label)).count();
                        label_counts.push((label, count));
                        count
                    }
                };
                count < 3
            })
        {
            Some("navigation")
        } else if line_rules.appeal_line
            && line.n_words <= 40
            && has_appeal_word(line)
            && addresses_reader(lower)
            && lists.appeal_actions.is_match(lower)
        {
            Some("appeal_line")
        } else if line_rules.navigation
            && line.n_words <= 25
            && has_separator(line.text)
            && separators.find_iter(line.text).count() >= 3
            && !ends_sentence(line.text)
        {
            Some("navigation")
        } else {
            None
        };
        claimed[i] = rule;
    }

    // Navigation: runs of three or more short lines without sentence punctuation (and, when
    // the page's links are known, mostly link text).
    if enabled("navigation") {
        let mut run: Vec<usize> = Vec::new();
        for i in 0..=n {
            let nav_like = i < n
                && !lines[i].is_blank()
                && claimed[i].is_none()
                && !code[i]
                // With link information, a menu is mostly link text and a table or list of the
                // article's own is not; without it, only very short lines can be told apart.
                && if links.is_some() {
                    lines[i].n_words <= 12 && lines[i].link_share >= 0.5
                } else {
                    lines[i].n_words <= 4 && !is_list_item(lines[i].text)
                }
                && !ends_sentence(lines[i].text)
                && !lines[i].text.ends_with([',', ':', ';']);
            if nav_like {
                run.push(i);
                continue;
            }
            // A blank line, or any other line, ends a run: navigation comes as lines in a row.
            // Without link information, the run's shape must also read as a menu.
            if run.len() >= 3 && (links.is_some() || reads_as_menu(&lines, &run)) {
                for &k in &run {
                    claimed[k] = Some("navigation");
                }
            }
            run.clear();
        }
    }

    // Repeats last: a line is a repeat only of an earlier line that survives every other rule
    // (a heading listed in a removed table of contents is not a repeat of the body's heading).
    if enabled("repeated_line") {
        let mut seen_lines: rustc_hash::FxHashSet<&str> =
            rustc_hash::FxHashSet::with_capacity_and_hasher(n_non_blank, Default::default());
        for i in 0..n {
            let line = &lines[i];
            // Fewer than 20 bytes is fewer than 20 characters; count only when it may matter.
            if line.is_blank()
                || claimed[i].is_some()
                || code[i]
                || line.text.len() < 20
                || (line.text.len() < 80 && line.text.chars().count() < 20)
            {
                continue;
            }
            if !seen_lines.insert(line.text) && !ends_sentence(line.text) {
                claimed[i] = Some("repeated_line");
            }
        }
    }

    // Each claimed line goes with its line break; consecutive lines of one rule are one edit.
    let mut out: Vec<Replacement> = Vec::new();
    for (i, rule) in claimed.iter().enumerate() {
        let Some(rule) = rule else { continue };
        let line = &lines[i];
        let end = if i + 1 < n { line.end + 1 } else { line.end };
        let start = if i + 1 >= n && i > 0 {
            line.start.saturating_sub(1)
        } else {
            line.start
        };
        match out.last_mut() {
            Some(last) if last.rule == *rule && last.end >= start => last.end = end.max(last.end),
            _ => out.push(Replacement::remove(start, end, rule)),
        }
    }
    // A removal that runs to the end of the text takes the white space before it too.
    if let Some(last) = out.last_mut()
        && last.end >= text.len()
    {
        let before = text[..last.start].trim_end();
        last.start = before.len();
    }
    // Overlap can come from the last line taking the break before it.
    let mut cleaned: Vec<Replacement> = Vec::new();
    for replacement in out {
        let previous_end = cleaned.last().map_or(0, |last| last.end);
        if replacement.start >= previous_end {
            cleaned.push(replacement);
        } else if replacement.end > previous_end {
            cleaned.push(Replacement::remove(
                previous_end,
                replacement.end,
                replacement.rule,
            ));
        }
    }
    cleaned
}

/// A credit line reads as a label, not a sentence: a sentence ending in a full stop after a
/// lower-case word is article text that merely mentions a photo.
fn ends_sentence_plainly(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.len() > 8
        && text.ends_with('.')
        && words
            .last()
            .is_some_and(|w| w.chars().next().is_some_and(char::is_lowercase))
}

/// Whether the non-blank line before (at the end of a document) or after (at its start) the
/// one at non-blank position `at` satisfies `test`, or there is none.
fn neighbour_is(
    lines: &[Line<'_>],
    non_blank: &[usize],
    at: usize,
    test: impl Fn(&Line<'_>) -> bool,
    near_end: bool,
) -> bool {
    let neighbours = [at.checked_sub(1), Some(at + 1)];
    let mut any = false;
    for k in neighbours.into_iter().flatten() {
        match non_blank.get(k) {
            Some(&i) => any |= test(&lines[i]),
            None => any |= near_end && k == at + 1,
        }
    }
    any
}

/// An embedded post: the attribution line (`— Name (@handle) Month D, YYYY`) and the post's
/// text before it, up to the line holding its link; and any line that is only short links.
/// `lines` are the lines of `text`.
fn social_embeds(text: &str, lines: &[Line<'_>], claimed: &mut [Option<&'static str>]) {
    static ATTRIBUTION: OnceLock<Regex> = OnceLock::new();
    let attribution = regex(
        &ATTRIBUTION,
        r"^[—–-]\s*.{1,80}\(@\w{1,30}\)\s*(\p{L}+\.? \d{1,2}, \d{4}|\d{1,2} \p{L}+ \d{4})\s*$",
    );
    static LINK: OnceLock<Regex> = OnceLock::new();
    let link = regex(
        &LINK,
        r"(https?://)?(t\.co|pic\.twitter\.com|x\.com|twitter\.com|instagram\.com|fb\.watch)/\S+",
    );
    let has_link = |text: &str| {
        memchr::memchr(b'/', text.as_bytes()).is_some()
            && [
                "t.co/",
                "twitter.com/",
                "x.com/",
                "instagram.com/",
                "fb.watch/",
            ]
            .iter()
            .any(|t| text.contains(t))
            && link.is_match(text)
    };
    // Most documents hold neither a post's link nor an attribution: one look at the whole
    // text says so.
    let any_link = link.is_match(text);
    let any_attribution = memchr::memmem::find(text.as_bytes(), b"(@").is_some();
    for i in 0..lines.len() {
        if any_link
            && has_link(lines[i].text)
            && link.replace_all(lines[i].text, "").trim().is_empty()
        {
            claimed[i] = Some("social_embed");
        }
        if !any_attribution || !lines[i].text.contains("(@") || !attribution.is_match(lines[i].text)
        {
            continue;
        }
        claimed[i] = Some("social_embed");
        // Walk back over blank lines to the post's text: lines up to the one with its link.
        let mut k = i;
        let mut taken_text = false;
        while k > 0 {
            k -= 1;
            if lines[k].is_blank() {
                if taken_text {
                    break;
                }
                continue;
            }
            if link.is_match(lines[k].text) && lines[k].n_words <= 70 {
                claimed[k] = Some("social_embed");
                taken_text = true;
                continue;
            }
            break;
        }
    }
}

/// A donation or subscription appeal: from a line that opens one to the end of the document,
/// when most lines from there on speak the appeal's language.
fn donation_appeal(lines: &[Line<'_>], non_blank: &[usize], claimed: &mut [Option<&'static str>]) {
    let lists = lists();
    let n_non_blank = non_blank.len();
    for (at, &i) in non_blank.iter().enumerate() {
        let lower = &lines[i].lower;
        // An appeal sits after the article: not in its first third.
        let opens = at * 3 >= n_non_blank && lines[i].n_words <= 40 && lists.opens_appeal(lower);
        if !opens {
            continue;
        }
        let rest = &non_blank[at..];
        let n_appeal = rest
            .iter()
            .filter(|&&k| {
                let l = &lines[k].lower;
                has_appeal_word(&lines[k])
                    || lists.button_labels.contains(bare(l))
                    || lists.opens_appeal(l)
            })
            .count();
        // Article text after the opener (a long line with no appeal word) means this was not
        // the appeal that closes the page.
        let article_after = rest
            .iter()
            .any(|&k| lines[k].n_words >= 25 && !has_appeal_word(&lines[k]));
        let mostly_appeal = if rest.len() <= 3 {
            n_appeal == rest.len()
        } else {
            n_appeal * 3 >= rest.len() * 2
        };
        if mostly_appeal && !article_after {
            for slot in claimed.iter_mut().skip(i) {
                if slot.is_none() {
                    *slot = Some("donation_appeal");
                }
            }
            return;
        }
    }
}

/// A comment form: lines of its phrases, and everything after its heading when the rest of the
/// document is short form lines.
fn comment_form(lines: &[Line<'_>], non_blank: &[usize], claimed: &mut [Option<&'static str>]) {
    for (at, &i) in non_blank.iter().enumerate() {
        if lines[i].n_words > 40 || !lines[i].has(PhraseList::CommentForm) {
            continue;
        }
        claimed[i] = Some("comment_form");
        // The count of comments just above the form (`3 comments`, `Comments (12)`).
        if let Some(&above) = at.checked_sub(1).and_then(|before| non_blank.get(before))
            && claimed[above].is_none()
            && is_comment_count(lines[above].lower)
        {
            claimed[above] = Some("comment_form");
        }
        let rest = &non_blank[at + 1..];
        if rest.iter().all(|&k| lines[k].n_words <= 30) && rest.len() <= 12 {
            for &k in rest {
                if claimed[k].is_none() {
                    claimed[k] = Some("comment_form");
                }
            }
        }
    }
}

/// Whether a line is a caption that ends in its credit after a sentence (`Lavrov and Wang Yi
/// in Tunxi. Photo: Xinhua`): the credit a name or two, at most 60 bytes.
fn ends_in_credit(text: &str) -> bool {
    static CAPTION_CREDIT: OnceLock<Regex> = OnceLock::new();
    if !text.contains(':') {
        return false;
    }
    let caption_credit = regex(
        &CAPTION_CREDIT,
        r"(?i)[.!?]\s+(?:photo|photograph|image|picture)s?(?:\s+(?:credit|courtesy|by))?\s*:\s*([^.:;!?()]+)\.?$",
    );
    caption_credit
        .captures(text)
        .and_then(|found| found.get(1))
        .is_some_and(|credit| credit.as_str().trim().len() >= 2 && credit.len() <= 60)
}

/// Whether a line with a republication phrase names the piece or a reprint (see
/// `data/republish_notes.txt`).
fn names_a_reprint(lower: &str) -> bool {
    [
        "this article",
        "this story",
        "this post",
        "this piece",
        "this essay",
        "this report",
        "republished",
        "reprinted",
        "original article",
    ]
    .iter()
    .any(|words| lower.contains(words))
}

/// Whether a (lower-cased) line is only a count of comments or replies: `3 comments`,
/// `comments (12)`, `1 reply`, `comments`.
fn is_comment_count(lower: &str) -> bool {
    let mut word = false;
    for token in
        lower.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ':' | '[' | ']'))
    {
        if token.is_empty() || token.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if word
            || !matches!(
                token,
                "comment" | "comments" | "reply" | "replies" | "responses" | "response"
            )
        {
            return false;
        }
        word = true;
    }
    word
}

/// A "Read more" / "Related" heading and the link titles under it; a "Read more: title" line.
/// A teaser for a video, a podcast or a gallery under its label: `WATCH: Lavrov arrives in China`,
/// `Video: Lavrov arrives in China (2:31)`. The label in capitals, or any case with the clip's
/// length at the end; a title of 2 to 20 words after it that does not end a sentence. (A label
/// in lower case alone is a field of a technical text: `video: this does support …`.)
fn is_media_teaser(text: &str) -> bool {
    const LABELS: &[&str] = &["watch", "video", "listen", "photos", "gallery", "podcast"];
    let Some((label, title)) = text.split_once(':') else {
        return false;
    };
    let lower_label = label.trim().to_ascii_lowercase();
    if !LABELS.contains(&lower_label.as_str()) {
        return false;
    }
    let title = title.trim();
    let n_words = title.split_whitespace().count();
    if !(2..=20).contains(&n_words) || ends_sentence(title) {
        return false;
    }
    let capitals = label.trim().bytes().all(|b| b.is_ascii_uppercase());
    // `(2:31)`, `(1:02:15)`
    let timed = title
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once('('))
        .is_some_and(|(_, length)| {
            length.contains(':') && length.bytes().all(|b| b.is_ascii_digit() || b == b':')
        });
    capitals || timed
}

fn related_links(lines: &[Line<'_>], claimed: &mut [Option<&'static str>]) {
    let lists = lists();
    let mut i = 0;
    while i < lines.len() {
        let lower = lines[i].lower;
        let is_heading = lines[i].n_words <= 5 && lists.related_headings.contains(bare(lower));
        // A heading followed by `:` is the text before one of the line's colons.
        let inline = lines[i].n_words <= 25
            && memchr::memchr_iter(b':', lower.as_bytes())
                .any(|colon| lists.related_headings.contains(&lower[..colon]));
        if inline || is_media_teaser(lines[i].text) {
            claimed[i] = Some("related_links");
        }
        if !is_heading {
            i += 1;
            continue;
        }
        claimed[i] = Some("related_links");
        let mut k = i + 1;
        while k < lines.len()
            && (lines[k].is_blank() || (lines[k].n_words <= 20 && !ends_sentence(lines[k].text)))
        {
            if lines[k].is_blank() && k + 1 < lines.len() && lines[k + 1].is_blank() {
                break;
            }
            claimed[k] = Some("related_links");
            k += 1;
        }
        i = k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cheap test before the republication phrases passes every line that holds one.
    #[test]
    fn every_republication_phrase_holds_a_reprint_word() {
        for phrase in read_list(include_str!("../data/republish_notes.txt")) {
            assert!(
                REPRINT_WORDS.iter().any(|word| phrase.contains(word)),
                "{phrase:?}"
            );
        }
    }
}
