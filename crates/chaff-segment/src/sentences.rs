//! Rule-based sentence boundaries inside one paragraph, in one left-to-right pass.
//!
//! A boundary can only follow a terminator run (`.`, `!`, `?`, `…` and their repeats, with
//! the closing quotes and brackets after them) that is followed by white space, with three
//! exceptions: CJK terminators (`。！？`) need no space, a full stop glued to a capitalised word
//! after a word of two or more letters or digits (`world.Today`) is a boundary, and a list
//! marker in sequence (`2.)` after `1.)`, `b.` after `a.`, a second `•`) starts a new sentence.
//! Whether a full stop ends a sentence depends on the token before it: see [`period_ends`].

use std::collections::HashMap;
use std::sync::OnceLock;

/// What an abbreviation allows after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Title,
    Number,
    General,
    Time,
}

struct Lexicon {
    abbreviations: HashMap<String, Class>,
    starters: std::collections::HashSet<String>,
}

fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut abbreviations = HashMap::new();
        for line in include_str!("../data/en/abbreviations.txt").lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let (Some(word), Some(class)) = (fields.next(), fields.next()) else {
                continue;
            };
            let class = match class.trim() {
                "title" => Class::Title,
                "number" => Class::Number,
                "time" => Class::Time,
                _ => Class::General,
            };
            abbreviations.insert(word.trim().to_lowercase(), class);
        }
        let starters = include_str!("../data/en/sentence_starters.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.trim().to_lowercase())
            .collect();
        Lexicon {
            abbreviations,
            starters,
        }
    })
}

/// Sentence terminators followed by white space: the Latin ones, and the question marks and
/// full stops of scripts that write white space between sentences (Arabic `؟` and `۔`,
/// Devanagari `।` and `॥`, Armenian `։`, Ethiopic `።`, Myanmar `။`), which end a sentence as
/// `!` and `?` do.
fn is_terminator(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | '…'
            | '‼'
            | '⁇'
            | '⁈'
            | '⁉'
            | '\u{061F}'
            | '\u{06D4}'
            | '\u{0964}'
            | '\u{0965}'
            | '\u{0589}'
            | '\u{1362}'
            | '\u{104B}'
    )
}

fn is_cjk_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '｡')
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | ')' | ']' | '}' | '»' | '›' | '」' | '』' | '）' | '】'
    )
}

fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '“' | '‘' | '(' | '[' | '{' | '«' | '‹' | '「' | '『' | '（'
    )
}

fn is_bullet(c: char) -> bool {
    matches!(c, '•' | '⁃' | '‣' | '◦' | '▪' | '●' | '–' | '—' | '-' | '*')
}

/// Sentence boundaries of one paragraph: byte ranges into `text`, trimmed, in order.
pub(crate) fn split(text: &str) -> Vec<(usize, usize)> {
    thread_local! {
        /// The characters of the paragraph being split, kept between calls so that a paragraph
        /// costs no allocation for them.
        static CHARS: std::cell::RefCell<Vec<(usize, char)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    /// A buffer grown past this by one huge paragraph is given back afterwards.
    const KEEP_CHARS: usize = 1 << 20;
    CHARS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut chars) => {
            chars.clear();
            chars.extend(text.char_indices());
            let out = split_chars(text, &chars);
            if chars.capacity() > KEEP_CHARS {
                *chars = Vec::new();
            }
            out
        }
        Err(_) => split_chars(text, &text.char_indices().collect::<Vec<_>>()),
    })
}

fn split_chars(text: &str, chars: &[(usize, char)]) -> Vec<(usize, usize)> {
    let n = chars.len();
    let byte_at = |i: usize| if i < n { chars[i].0 } else { text.len() };
    let mut out = Vec::new();
    let mut start = 0usize; // char index where the current sentence starts
    let mut depth = 0usize;
    let mut opened_at = 0usize;
    let mut list = ListState::at_paragraph_start(chars);
    let mut i = 0usize;

    let push = |from: usize, to: usize, out: &mut Vec<(usize, usize)>| {
        let (s, e) = trim(chars, from, to);
        if s < e {
            out.push((byte_at(s), byte_at(e)));
        }
    };

    while i < n {
        let c = chars[i].1;
        // Letters and digits decide nothing: skip them in a tight loop (the open-parenthesis
        // timeout below is then checked at the next other character, before any decision).
        if c.is_ascii_alphanumeric() {
            i += 1;
            while i < n && chars[i].1.is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        match c {
            '(' | '[' | '{' => {
                if depth == 0 {
                    opened_at = i;
                }
                depth += 1;
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        // A parenthesis left open for long is a stray one: stop honouring it.
        if depth > 0 && i - opened_at > 300 {
            depth = 0;
        }

        if c.is_whitespace() {
            if let Some(ref mut state) = list
                && i + 1 < n
                && state.marker_follows(chars, i + 1)
                && i + 1 > start
            {
                push(start, i, &mut out);
                start = i + 1;
            }
            i += 1;
            continue;
        }

        if is_cjk_terminator(c) {
            let mut k = i + 1;
            while k < n && (is_cjk_terminator(chars[k].1) || is_closer(chars[k].1)) {
                k += 1;
            }
            push(start, k, &mut out);
            start = k;
            i = k;
            continue;
        }

        if !is_terminator(c) {
            i += 1;
            continue;
        }

        // The terminator run, spaced ellipses (". . .") included.
        let mut j = i;
        let mut n_dots = 0usize;
        let mut strong = false;
        let mut spaced = false;
        while j < n {
            let cj = chars[j].1;
            if cj == '.' {
                n_dots += 1;
                j += 1;
            } else if cj == '…' {
                n_dots += 3;
                j += 1;
            } else if is_terminator(cj) {
                strong = true;
                j += 1;
            } else if cj == ' '
                && j + 1 < n
                && chars[j + 1].1 == '.'
                && j > i
                && chars[j - 1].1 == '.'
            {
                spaced = true;
                j += 1;
            } else {
                break;
            }
        }
        let mut k = j;
        let mut n_closing = 0usize;
        while k < n && is_closer(chars[k].1) {
            if matches!(chars[k].1, ')' | ']' | '}') {
                n_closing += 1;
            }
            k += 1;
        }
        if k >= n {
            break;
        }
        if !chars[k].1.is_whitespace() {
            if n_dots == 1 && !strong && j == i + 1 && glued_boundary(chars, i) {
                push(start, i + 1, &mut out);
                start = i + 1;
            }
            i = j.max(i + 1);
            continue;
        }
        let mut m = k;
        while m < n && chars[m].1.is_whitespace() {
            m += 1;
        }
        if m >= n {
            break;
        }
        let next = chars[m].1;
        let inside_parentheses = depth > 0;

        let boundary_at = if strong {
            (!next.is_lowercase() && !inside_parentheses).then_some(k)
        } else if n_dots >= 4 {
            if inside_parentheses {
                None
            } else if spaced && i > 0 && !chars[i - 1].1.is_whitespace() {
                // "compounds. . . . The": the full stop ends the sentence; the ellipsis opens
                // the next one.
                Some(i + 1)
            } else {
                Some(k)
            }
        } else if n_dots >= 2 {
            // An ellipsis marks an omission inside a sentence.
            None
        } else if inside_parentheses || next.is_lowercase() {
            None
        } else {
            period_ends(text, chars, start, i, m).then_some(k)
        };

        if let Some(end) = boundary_at {
            push(start, end, &mut out);
            let mut next_start = end;
            while next_start < n && chars[next_start].1.is_whitespace() {
                next_start += 1;
            }
            start = next_start;
        }
        // The main loop skips the closers after a terminator, so their closing brackets are
        // counted here: after `(… last week.) drew`, the text is outside the parentheses again.
        depth = depth.saturating_sub(n_closing);
        i = k;
    }
    push(start, n, &mut out);
    out
}

/// Trims white space off a char range.
fn trim(chars: &[(usize, char)], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && chars[s].1.is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].1.is_whitespace() {
        e -= 1;
    }
    (s, e)
}

/// The token before the full stop at `dot`: back to white space or the sentence start,
/// without leading openers.
fn token_before<'t>(
    text: &'t str,
    chars: &[(usize, char)],
    start: usize,
    dot: usize,
) -> (usize, &'t str) {
    let mut s = dot;
    while s > start && !chars[s - 1].1.is_whitespace() {
        s -= 1;
    }
    while s < dot && (is_opener(chars[s].1) || is_bullet(chars[s].1)) {
        s += 1;
    }
    let byte = |i: usize| chars.get(i).map_or(text.len(), |c| c.0);
    (s, &text[byte(s)..byte(dot)])
}

/// The word starting at `m`, letters only, lower case.
fn word_at(chars: &[(usize, char)], m: usize) -> String {
    let mut m = m;
    while m < chars.len() && is_opener(chars[m].1) {
        m += 1;
    }
    chars[m..]
        .iter()
        .map(|c| c.1)
        .take_while(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

fn starts_capitalised(chars: &[(usize, char)], m: usize) -> bool {
    let mut m = m;
    while m < chars.len() && is_opener(chars[m].1) {
        m += 1;
    }
    m < chars.len() && chars[m].1.is_uppercase()
}

/// The most characters a list marker may have before it (bullets, openers, white space); the
/// cap keeps the check constant-time in a long paragraph with no boundary.
const MAX_MARKER_PREFIX: usize = 16;

/// Only bullets, openers and white space stand between the sentence start and `at`.
fn at_sentence_start(chars: &[(usize, char)], start: usize, at: usize) -> bool {
    at - start <= MAX_MARKER_PREFIX
        && chars[start..at]
            .iter()
            .all(|c| c.1.is_whitespace() || is_bullet(c.1) || is_opener(c.1))
}

/// Whether the full stop at `dot`, followed by white space and then `chars[m]` (not lower
/// case), ends the sentence that began at `start`.
fn period_ends(text: &str, chars: &[(usize, char)], start: usize, dot: usize, m: usize) -> bool {
    let lexicon = lexicon();
    let (token_start, token) = token_before(text, chars, start, dot);
    let next = chars[m].1;
    // Looked up only where a rule asks, since most full stops are decided without it.
    let next_is_starter =
        || starts_capitalised(chars, m) && lexicon.starters.contains(&word_at(chars, m));
    if token.is_empty() {
        return true;
    }
    let n_letters = token.chars().count();
    let single_letter = if n_letters == 1 {
        token.chars().next().filter(|c| c.is_alphabetic())
    } else {
        None
    };

    // A list marker ("1.", "a.", "• 9.") at the start of a sentence.
    let is_number = token
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.'))
        && token.chars().any(|c| c.is_ascii_digit());
    if (is_number || single_letter.is_some())
        && at_sentence_start(chars, start, token_start)
        && n_letters <= 3
    {
        return false;
    }
    if token.contains('@') || token.contains("://") {
        return true;
    }

    // Lower-cased on the stack when short and ASCII, as nearly every token is.
    let mut buffer = [0u8; 32];
    let owned;
    let lower: &str = if token.is_ascii() && token.len() <= buffer.len() {
        let bytes = &mut buffer[..token.len()];
        bytes.copy_from_slice(token.as_bytes());
        bytes.make_ascii_lowercase();
        std::str::from_utf8(bytes).unwrap_or(token)
    } else {
        owned = token.to_lowercase();
        &owned
    };
    if let Some(&class) = lexicon.abbreviations.get(lower) {
        return match class {
            Class::Title => false,
            Class::Number => !next.is_ascii_digit() && ordinary_word_ends(next),
            Class::General => !next.is_ascii_digit() && next_is_starter(),
            Class::Time if token.chars().any(char::is_uppercase) => starts_capitalised(chars, m),
            Class::Time => next_is_starter(),
        };
    }

    // A single letter: an initial after a capitalised word (Jonas E. Smith), else a boundary
    // only before a sentence starter (you and I. Did …).
    if let Some(letter) = single_letter {
        let previous_capitalised = previous_word(chars, token_start)
            .chars()
            .next()
            .is_some_and(char::is_uppercase);
        if letter.is_uppercase() && previous_capitalised {
            return false;
        }
        return next_is_starter();
    }

    // Initialisms with inner full stops (U.S., E.U., U.S.A.): like a general abbreviation.
    if token.contains('.')
        && token.chars().filter(|c| c.is_alphabetic()).count() <= 5
        && token.split('.').all(|part| part.chars().count() <= 2)
        && token.chars().any(char::is_alphabetic)
    {
        return !next.is_ascii_digit() && next_is_starter();
    }

    ordinary_word_ends(next)
}

/// After an ordinary word, a full stop ends the sentence before a capital, a digit, an opening
/// quote or bracket, or a letter of a script without case (Arabic, Hebrew, Devanagari, Thai,
/// CJK …), where no lower-case letter could say that the sentence goes on.
fn ordinary_word_ends(next: char) -> bool {
    !next.is_lowercase()
}

fn previous_word(chars: &[(usize, char)], token_start: usize) -> String {
    let mut e = token_start;
    while e > 0 && chars[e - 1].1.is_whitespace() {
        e -= 1;
    }
    let mut s = e;
    while s > 0 && !chars[s - 1].1.is_whitespace() {
        s -= 1;
    }
    chars[s..e]
        .iter()
        .map(|c| c.1)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// `world.Today`: a full stop glued to a capitalised word that continues in lower case, after
/// a word of two or more letters or digits, in a token that is not a URL or an e-mail address.
fn glued_boundary(chars: &[(usize, char)], dot: usize) -> bool {
    let n = chars.len();
    if dot + 2 >= n || !chars[dot + 1].1.is_uppercase() || !chars[dot + 2].1.is_lowercase() {
        return false;
    }
    // A token longer than this is a URL, a path or run-together junk, never two sentences; the
    // cap keeps the scan constant-time inside such a token.
    const MAX_GLUED_TOKEN: usize = 64;
    let mut s = dot;
    while s > 0 && !chars[s - 1].1.is_whitespace() {
        if dot - s >= MAX_GLUED_TOKEN {
            return false;
        }
        s -= 1;
    }
    let mut e = dot;
    while e < n && !chars[e].1.is_whitespace() {
        if e - dot >= MAX_GLUED_TOKEN {
            return false;
        }
        e += 1;
    }
    let token: String = chars[s..e].iter().map(|c| c.1).collect();
    if token.contains('@') || token.contains('/') || token.contains("www") {
        return false;
    }
    let before: Vec<char> = chars[s..dot]
        .iter()
        .map(|c| c.1)
        .rev()
        .take_while(|c| *c != '.')
        .collect();
    before.len() >= 2 && before.iter().all(|c| c.is_alphanumeric() || *c == ',')
}

/// An enumerated or bulleted list inside one paragraph: `1.) … 2.) …`, `a. … b. …`, `• … • …`.
struct ListState {
    kind: ListKind,
}

enum ListKind {
    Numbered(u64),
    Lettered(char),
    Bulleted(char),
}

impl ListState {
    fn at_paragraph_start(chars: &[(usize, char)]) -> Option<ListState> {
        let first = chars.iter().position(|c| !c.1.is_whitespace())?;
        let c = chars[first].1;
        if matches!(c, '•' | '⁃' | '‣' | '◦' | '▪' | '●') {
            return Some(ListState {
                kind: ListKind::Bulleted(c),
            });
        }
        let (value, after) = read_number(chars, first);
        if let Some(value) = value
            && marker_tail(chars, after)
        {
            return Some(ListState {
                kind: ListKind::Numbered(value + 1),
            });
        }
        if c.is_ascii_lowercase()
            && marker_tail(chars, first + 1)
            && chars
                .get(first + 1)
                .is_some_and(|c| c.1 == '.' || c.1 == ')')
        {
            return Some(ListState {
                kind: ListKind::Lettered(((c as u8) + 1) as char),
            });
        }
        None
    }

    /// Whether the list's next marker starts at `at`; if so, expect the one after it.
    fn marker_follows(&mut self, chars: &[(usize, char)], at: usize) -> bool {
        match &mut self.kind {
            ListKind::Bulleted(bullet) => chars[at].1 == *bullet,
            ListKind::Numbered(expected) => {
                let (value, after) = read_number(chars, at);
                if value == Some(*expected) && marker_tail(chars, after) {
                    *expected += 1;
                    true
                } else {
                    false
                }
            }
            ListKind::Lettered(expected) => {
                if chars[at].1 == *expected
                    && chars.get(at + 1).is_some_and(|c| c.1 == '.' || c.1 == ')')
                    && marker_tail(chars, at + 1)
                {
                    *expected = ((*expected as u8).saturating_add(1)) as char;
                    true
                } else {
                    false
                }
            }
        }
    }
}

fn read_number(chars: &[(usize, char)], at: usize) -> (Option<u64>, usize) {
    let mut k = at;
    let mut value: u64 = 0;
    while k < chars.len() && chars[k].1.is_ascii_digit() && k - at < 4 {
        value = value * 10 + u64::from(chars[k].1 as u8 - b'0');
        k += 1;
    }
    if k == at {
        (None, at)
    } else {
        (Some(value), k)
    }
}

/// `.`, `)` or `.)` after an enumerator, then white space.
fn marker_tail(chars: &[(usize, char)], at: usize) -> bool {
    let mut k = at;
    let mut seen = false;
    while k < chars.len() && matches!(chars[k].1, '.' | ')') && k - at < 2 {
        k += 1;
        seen = true;
    }
    seen && chars.get(k).is_some_and(|c| c.1.is_whitespace())
}
