//! Hard-wrapped lines (PDF, e-mail, fixed-width exports) joined back into paragraphs.
//!
//! A document counts as hard-wrapped when many of its lines end near one width `W` (the 90th
//! percentile of line lengths). A line break inside it is a wrap, not a paragraph break, when
//! the next line's first word would not have fitted on the line (`len(line) + 1 + len(word) >
//! W`), the classic test of a word-wrapping printer; or when the line is long, ends without
//! closing punctuation and the next line goes on in lower case. A line that starts indented
//! while its neighbours do not begins a paragraph. A word hyphenated across the break is
//! joined (`inter-\nnational` → `international`).

use crate::doc::Replacement;

struct Line {
    start: usize,
    end: usize,
    /// Length in characters, without trailing white space.
    len: usize,
    indented: bool,
}

pub(crate) fn unwrap_lines(text: &str) -> Vec<Replacement> {
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
    let mut lengths: Vec<usize> = lines.iter().map(|l| l.len).filter(|&n| n > 0).collect();
    if lengths.len() < 6 {
        return Vec::new();
    }
    // The 90th percentile, without sorting the rest.
    let n_lengths = lengths.len();
    let (_, &mut width, _) = lengths.select_nth_unstable((n_lengths - 1) * 9 / 10);
    if width < 30 {
        return Vec::new();
    }
    // Hard-wrapped text has many lines just short of the width, and lines that run on.
    let near_width = lengths
        .iter()
        .filter(|&&n| n * 100 >= width * 75 && n <= width)
        .count();
    if near_width * 2 < n_lengths {
        return Vec::new();
    }
    let n_breaks_inside = lines
        .windows(2)
        .filter(|pair| {
            pair[0].len > 0 && pair[1].len > 0 && !ends_closed(&text[pair[0].start..pair[0].end])
        })
        .count();
    if n_breaks_inside * 5 < n_lengths {
        return Vec::new();
    }
    let any_indented = lines.iter().filter(|l| l.len > 0 && l.indented).count();
    let mostly_indented = any_indented * 2 > lengths.len();

    let mut out = Vec::new();
    for pair in lines.windows(2) {
        let (line, next) = (&pair[0], &pair[1]);
        if line.len == 0 || next.len == 0 {
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
        // The break and the white space around it become one space, or nothing after a
        // hyphen that splits a word.
        let break_start = line.start + line_text.len();
        let break_end = next.start + (text[next.start..next.end].len() - next_text.len());
        let hyphenated = line_text.ends_with('-')
            && line_text[..line_text.len() - 1]
                .chars()
                .last()
                .is_some_and(char::is_alphabetic)
            && next_text.chars().next().is_some_and(char::is_lowercase);
        if hyphenated {
            out.push(Replacement::remove(
                break_start - 1,
                break_end,
                "hyphenation",
            ));
        } else {
            out.push(Replacement {
                start: break_start,
                end: break_end,
                text: std::borrow::Cow::Borrowed(" "),
                rule: "hard_wrap",
            });
        }
    }
    out
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
