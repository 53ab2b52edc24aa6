//! Hard-wrapped lines (PDF, e-mail, fixed-width exports) joined back into paragraphs.
//!
//! A document counts as hard-wrapped when many of its lines end near one width `W` (the 90th
//! percentile of line lengths). A line break inside it is a wrap, not a paragraph break, when
//! the next line's first word would not have fitted on the line (`len(line) + 1 + len(word) >
//! W`), the classic test of a word-wrapping printer; or when the line is long, ends without
//! closing punctuation and the next line goes on in lower case. A line that starts indented
//! while its neighbours do not begins a paragraph. A word hyphenated across the break is
//! joined (`inter-\nnational` → `international`).
//!
//! Code between Markdown fences (``` or ~~~) is laid out by its author: its lines are never
//! joined, and the other rules leave it alone too (see [`fenced_blocks`]).

use crate::doc::Replacement;

struct Line {
    start: usize,
    end: usize,
    /// Length in characters, without trailing white space.
    len: usize,
    indented: bool,
}

/// The byte ranges of the closed fenced code blocks of `text`, in order: from the start of a
/// line that opens with three or more backticks or tildes (indented at most three spaces, as
/// CommonMark has it) to the end of the line that closes it with at least as many of the same
/// character and nothing else. A fence that is never closed protects nothing: one stray run of
/// backticks must not shelter the rest of a page from cleaning.
pub(crate) fn fenced_blocks(text: &str) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    // Most texts have no fence at all: two vectorised scans tell.
    if memchr::memmem::find(text.as_bytes(), b"```").is_none()
        && memchr::memmem::find(text.as_bytes(), b"~~~").is_none()
    {
        return blocks;
    }
    // The fence character and length of the block open at the byte where it starts.
    let mut open: Option<(u8, usize, usize)> = None;
    let mut at = 0;
    for raw in crate::split_at_newlines(text) {
        let line_start = at;
        at += raw.len() + 1;
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        if indent > 3 {
            continue;
        }
        let body = raw[indent..].trim_end();
        let Some(&mark) = body.as_bytes().first().filter(|&&b| b == b'`' || b == b'~') else {
            continue;
        };
        let run = body.bytes().take_while(|&b| b == mark).count();
        if run < 3 {
            continue;
        }
        match open {
            None => {
                // An info string after backticks may not hold a backtick (CommonMark).
                if mark == b'~' || !body[run..].contains('`') {
                    open = Some((mark, run, line_start));
                }
            }
            Some((open_mark, open_run, start)) => {
                if mark == open_mark && run >= open_run && run == body.len() {
                    blocks.push((start, line_start + raw.len()));
                    open = None;
                }
            }
        }
    }
    blocks
}

/// The byte ranges of `text` whose layout is the author's: its fenced code blocks
/// ([`fenced_blocks`]) and the `preformatted` ranges the caller knows of (a page's `<pre>`
/// blocks, as ingest records them), sorted and merged.
pub(crate) fn code_blocks(text: &str, preformatted: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut blocks = fenced_blocks(text);
    if preformatted.is_empty() {
        return blocks;
    }
    blocks.extend(preformatted.iter().filter(|(start, end)| end > start));
    merged(blocks)
}

/// Ranges sorted, and those that overlap or touch made one.
pub(crate) fn merged(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if last.1 >= start => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// Whether byte `at` lies inside one of `blocks` (sorted, not overlapping).
pub(crate) fn inside(blocks: &[(usize, usize)], at: usize) -> bool {
    let after = blocks.partition_point(|&(start, _)| start <= at);
    after > 0 && at < blocks[after - 1].1
}

/// The replacements that join hard-wrapped lines, outside the `preformatted` byte ranges and
/// the fenced code blocks.
pub(crate) fn unwrap_lines(text: &str, preformatted: &[(usize, usize)]) -> Vec<Replacement> {
    let fenced = code_blocks(text, preformatted);
    let mut lines = Vec::new();
    let mut at = 0;
    for raw in crate::split_at_newlines(text) {
        let trimmed_end = raw.trim_end();
        lines.push(Line {
            start: at,
            end: at + raw.len(),
            len: trimmed_end.chars().count(),
            indented: raw.starts_with([' ', '\t']),
        });
        at += raw.len() + 1;
    }
    let Some(width) = wrap_width(text, &lines) else {
        return unwrap_short(text, &lines, &fenced);
    };
    let any_indented = lines.iter().filter(|l| l.len > 0 && l.indented).count();
    let n_lengths = lines.iter().filter(|l| l.len > 0).count();
    let mostly_indented = any_indented * 2 > n_lengths;

    let mut out = Vec::new();
    for pair in lines.windows(2) {
        let (line, next) = (&pair[0], &pair[1]);
        if line.len == 0 || next.len == 0 {
            continue;
        }
        if inside(&fenced, line.start) || inside(&fenced, next.start) {
            continue;
        }
        if next.indented && !mostly_indented {
            continue;
        }
        let line_text = text[line.start..line.end].trim_end();
        let next_text = text[next.start..next.end].trim_start();
        let first_word = next_text.split_whitespace().next().unwrap_or("");
        if starts_item(next_text) {
            continue;
        }
        // Proportional fonts make the width in characters vary from line to line: a line that
        // runs on without closing punctuation is given a tenth of the width as slack.
        let slack = if ends_closed(line_text) {
            0
        } else {
            width / 10
        };
        let would_not_fit = line.len + 1 + first_word.chars().count() > width - slack;
        // In a hard-wrapped document, a line that stops on a word or a comma and a next line
        // that goes on in lower case are one sentence, however short the line.
        let runs_on = line_text
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == ',')
            && next_text.chars().next().is_some_and(char::is_lowercase);
        if !(would_not_fit || runs_on) {
            continue;
        }
        let hyphenated = line_text.ends_with('-')
            && line_text[..line_text.len() - 1]
                .chars()
                .last()
                .is_some_and(char::is_alphabetic)
            && next_text.chars().next().is_some_and(char::is_lowercase);
        out.push(join(text, line, next, hyphenated));
    }
    out
}

/// The width `W` a document is hard-wrapped at, or `None` when it is not wrapped as a whole:
/// at least six lines, the 90th percentile of their lengths at least 30 characters, half of
/// them between three quarters and five quarters of it, and a fifth of the breaks inside a
/// sentence.
fn wrap_width(text: &str, lines: &[Line]) -> Option<usize> {
    let mut lengths: Vec<usize> = lines.iter().map(|l| l.len).filter(|&n| n > 0).collect();
    if lengths.len() < 6 {
        return None;
    }
    // The 90th percentile, without sorting the rest.
    let n_lengths = lengths.len();
    let (_, &mut width, _) = lengths.select_nth_unstable((n_lengths - 1) * 9 / 10);
    if width < 30 {
        return None;
    }
    // Hard-wrapped text has many lines near the width, and lines that run on. The width is a
    // percentile, so a tenth of the lines are longer: those just past it count as near too
    // (in a short text they are a large share of the lines that reach the width).
    let near_width = lengths
        .iter()
        .filter(|&&n| n * 100 >= width * 75 && n * 100 <= width * 125)
        .count();
    if near_width * 2 < n_lengths {
        return None;
    }
    let n_breaks_inside = lines
        .windows(2)
        .filter(|pair| {
            pair[0].len > 0 && pair[1].len > 0 && !ends_closed(&text[pair[0].start..pair[0].end])
        })
        .count();
    if n_breaks_inside * 5 < n_lengths {
        return None;
    }
    Some(width)
}

/// A text of fewer than six lines has too few for the widths to tell, and a text that is not
/// hard-wrapped as a whole may still hold a wrapped passage (a quoted e-mail, a pasted
/// paragraph). There only a break plainly inside a sentence is joined: the line has at least
/// `SHORT_TEXT_LINE` characters and stops on a word or a comma (or a hyphen inside a word); the
/// next line goes on with a plain lower-case word (not `zram:`, `comp_algorithm` or `http://…`,
/// which start the entries of a listing), is a paragraph's last line if it is short, and is
/// neither indented nor a list item; and neither line is code (code that lost its fences and
/// indentation still breaks its lines where its author did).
fn unwrap_short(text: &str, lines: &[Line], fenced: &[(usize, usize)]) -> Vec<Replacement> {
    const SHORT_TEXT_LINE: usize = 40;
    let mut out = Vec::new();
    for (i, pair) in lines.windows(2).enumerate() {
        let (line, next) = (&pair[0], &pair[1]);
        if line.len < SHORT_TEXT_LINE || next.len == 0 || next.indented {
            continue;
        }
        // Only a paragraph's last line is short: a short line with more after it is an item.
        if next.len < SHORT_TEXT_LINE && lines.get(i + 2).is_some_and(|after| after.len > 0) {
            continue;
        }
        // The cheap tests first: most lines end a sentence, or the next starts one.
        let line_text = text[line.start..line.end].trim_end();
        let next_text = text[next.start..next.end].trim_start();
        let mut from_end = line_text.chars().rev();
        let (last, before) = (from_end.next(), from_end.next());
        let hyphen = last == Some('-') && before.is_some_and(char::is_alphabetic);
        if !(hyphen || last.is_some_and(|c| c.is_alphanumeric() || c == ','))
            || !starts_with_plain_word(next_text)
        {
            continue;
        }
        if starts_item(next_text)
            || inside(fenced, line.start)
            || inside(fenced, next.start)
            || looks_like_code(line_text)
            || looks_like_code(next_text)
        {
            continue;
        }
        out.push(join(text, line, next, hyphen));
    }
    out
}

/// The break between `line` and `next` and the white space around it as one space, or as
/// nothing after a hyphen that splits a word (`hyphenated`: the line ends with it).
fn join(text: &str, line: &Line, next: &Line, hyphenated: bool) -> Replacement {
    let line_text = text[line.start..line.end].trim_end();
    let next_raw = &text[next.start..next.end];
    let break_start = line.start + line_text.len();
    let break_end = next.start + (next_raw.len() - next_raw.trim_start().len());
    if hyphenated {
        Replacement::remove(break_start - 1, break_end, "hyphenation")
    } else {
        Replacement {
            start: break_start,
            end: break_end,
            text: std::borrow::Cow::Borrowed(" "),
            rule: "hard_wrap",
        }
    }
}

/// Whether `line` starts with a lower-case word of letters (an apostrophe or hyphen inside),
/// followed by white space, the end, or a comma, full stop, semicolon, `?` or `!`.
fn starts_with_plain_word(line: &str) -> bool {
    if !line.chars().next().is_some_and(char::is_lowercase) {
        return false;
    }
    let word = line.split_whitespace().next().unwrap_or("");
    let body = word.trim_end_matches([',', '.', ';', '?', '!']);
    body.chars()
        .all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-'))
}

/// Marks of program text that prose hardly has: braces, comments, arrows, `==`, `&&`, `||`,
/// or a statement's closing semicolon.
fn looks_like_code(line: &str) -> bool {
    line.contains(['{', '}'])
        || ["//", "/*", "*/", "->", "==", "&&", "||"]
            .iter()
            .any(|mark| line.contains(mark))
        || line.trim_end().ends_with(';')
}

fn ends_closed(line: &str) -> bool {
    line.trim_end()
        .chars()
        .last()
        .is_some_and(|c| matches!(c, '.' | '!' | '?' | ':' | '"' | '”' | '’' | ')' | '…'))
}

/// A list item or bullet starts its own line.
fn starts_item(line: &str) -> bool {
    let mut chars = line.chars();
    match chars.next() {
        Some('•' | '*' | '-' | '–' | '—' | '·' | '▪' | '◦') => true,
        Some(c) if c.is_ascii_digit() => {
            let rest: String = line
                .chars()
                .skip_while(char::is_ascii_digit)
                .take(2)
                .collect();
            rest.starts_with(". ") || rest.starts_with(") ")
        }
        _ => false,
    }
}
