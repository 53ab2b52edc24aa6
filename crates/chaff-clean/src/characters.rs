//! Character-level repairs: markup left in text, entities, mojibake, NFC, invisible characters,
//! doubled punctuation, quote style, white space.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

use crate::doc::Replacement;

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| {
        Regex::new(pattern).unwrap_or_else(|err| panic!("built-in pattern {pattern:?}: {err}"))
    })
}

/// `<!-- … -->` comments, and the broken openers HTML-to-text tools leave behind: a line that
/// starts with `!--` or ends with `-->` with a comment's shape, and a lone `-->`.
pub(crate) fn html_comments(text: &str) -> Vec<Replacement> {
    static COMMENT: OnceLock<Regex> = OnceLock::new();
    static BROKEN: OnceLock<Regex> = OnceLock::new();
    // Both patterns need `--`: most texts skip the regexes.
    if !text.contains("--") {
        return Vec::new();
    }
    let mut out: Vec<Replacement> = regex(&COMMENT, r"(?s)<!--.*?(-->|\z)")
        .find_iter(text)
        .map(|m| Replacement::remove(m.start(), m.end(), "html_comment"))
        .collect();
    for m in regex(&BROKEN, r"(?m)^[ \t]*(!--[^\n]*|[^\n<]{0,200}-->)[ \t]*$").find_iter(text) {
        if !out.iter().any(|r| r.start < m.end() && m.start() < r.end) {
            out.push(Replacement::remove(m.start(), m.end(), "html_comment"));
        }
    }
    out
}

/// `<script>`/`<style>`/`<noscript>` elements with their bodies.
pub(crate) fn script_style(text: &str) -> Vec<Replacement> {
    static BLOCK: OnceLock<Regex> = OnceLock::new();
    if !text.contains('<') {
        return Vec::new();
    }
    regex(
        &BLOCK,
        r"(?is)<(script|style|noscript)\b[^>]*>.*?</(script|style|noscript)\s*>",
    )
    .find_iter(text)
    .map(|m| Replacement::remove(m.start(), m.end(), "script_style"))
    .collect()
}

/// Names of HTML elements. Only these (and custom or namespaced names with `-` or `:`) count
/// as tags, so that angle brackets in text (`<Parlux Fragrances Inc>` in wire copy, `a < b`)
/// stay.
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "base",
    "bdi",
    "bdo",
    "big",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "menu",
    "meta",
    "meter",
    "nav",
    "nobr",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
    "path",
    "g",
    "use",
    "xml",
];

/// HTML and XML tags: a block-level tag becomes a line break, any other disappears.
pub(crate) fn html_tags(text: &str) -> Vec<Replacement> {
    static TAG: OnceLock<Regex> = OnceLock::new();
    if !text.contains('<') {
        return Vec::new();
    }
    const BLOCKS: &[&str] = &[
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "hr",
        "pre",
        "dd",
        "dt",
        "figure",
        "figcaption",
        "aside",
        "nav",
        "main",
    ];
    regex(&TAG, r#"</?([A-Za-z][A-Za-z0-9:-]*)(\s+[A-Za-z_:][-A-Za-z0-9_:.]*(\s*=\s*("[^"]*"|'[^']*'|[^\s"'<>=]+))?)*\s*/?>"#)
        .captures_iter(text)
        .filter_map(|caps| {
            let whole = caps.get(0)?;
            let name = caps.get(1)?.as_str().to_ascii_lowercase();
            if !HTML_ELEMENTS.contains(&name.as_str()) && !name.contains('-') && !name.contains(':') {
                return None;
            }
            let block = BLOCKS.contains(&name.as_str());
            Some(Replacement {
                start: whole.start(),
                end: whole.end(),
                text: Cow::Borrowed(if block { "\n" } else { "" }),
                rule: "html_tag",
            })
        })
        .collect()
}

/// Named and numeric character references: `&amp;`, `&#8217;`, `&#x2019;`, `&nbsp;`.
pub(crate) fn html_entities(text: &str) -> Vec<Replacement> {
    static ENTITY: OnceLock<Regex> = OnceLock::new();
    if !text.contains('&') {
        return Vec::new();
    }
    regex(
        &ENTITY,
        r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});",
    )
    .find_iter(text)
    .filter_map(|m| {
        let decoded = html_escape::decode_html_entities(m.as_str());
        (decoded != m.as_str()).then(|| Replacement {
            start: m.start(),
            end: m.end(),
            text: Cow::Owned(decoded.into_owned()),
            rule: "html_entity",
        })
    })
    .collect()
}

/// The byte a character stands for when UTF-8 was wrongly decoded as Windows-1252 (or
/// Latin-1), if it is one of those 256.
fn cp1252_byte(c: char) -> Option<u8> {
    let code = c as u32;
    if (0xA0..=0xFF).contains(&code) || (0x80..=0x9F).contains(&code) {
        return Some(code as u8);
    }
    let byte = match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    };
    Some(byte)
}

/// UTF-8 that was decoded as Windows-1252 or Latin-1 (`â€™` for `’`, `Ã©` for `é`), repaired
/// where the fix is unambiguous: a lead byte followed by exactly the continuation bytes it
/// needs, which together decode to one character outside ASCII.
///
/// Every lead byte (0xC2–0xF4) read as Windows-1252 is a character U+00C2–U+00F4, which UTF-8
/// writes with the byte 0xC3: only the places that byte occurs are looked at.
pub(crate) fn mojibake(text: &str) -> Vec<Replacement> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = memchr::memchr(0xC3, &bytes[from..]) {
        // 0xC3 only ever starts a character in UTF-8, so `start` is a boundary.
        let start = from + found;
        from = start + 1;
        let mut chars = text[start..].chars();
        let Some(lead) = chars.next().and_then(cp1252_byte) else {
            continue;
        };
        let needed = match lead {
            0xC2..=0xDF => 1,
            0xE0..=0xEF => 2,
            0xF0..=0xF4 => 3,
            _ => continue,
        };
        let mut buffer = [lead, 0, 0, 0];
        let mut end = start + 2;
        let mut ok = true;
        for slot in buffer.iter_mut().take(needed + 1).skip(1) {
            match chars.next() {
                Some(c) if cp1252_byte(c).is_some_and(|b| (0x80..=0xBF).contains(&b)) => {
                    *slot = cp1252_byte(c).unwrap_or_default();
                    end += c.len_utf8();
                }
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && let Ok(decoded) = std::str::from_utf8(&buffer[..=needed]) {
            out.push(Replacement {
                start,
                end,
                text: Cow::Owned(decoded.to_owned()),
                rule: "mojibake",
            });
            from = end;
        }
    }
    out
}

/// Runs of text that NFC changes: a base character with the non-ASCII characters after it.
pub(crate) fn nfc(text: &str) -> Vec<Replacement> {
    // icu_normalizer: the same output as unicode-normalization, about 25 times faster
    // (examples/nfc_crates.rs measures both).
    let normalizer = icu_normalizer::ComposingNormalizerBorrowed::new_nfc();
    if text.is_ascii() || normalizer.is_normalized(text) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].1.is_ascii() {
            i += 1;
            continue;
        }
        let run_start = if i > 0 { i - 1 } else { i };
        let mut j = i;
        while j < chars.len() && !chars[j].1.is_ascii() {
            j += 1;
        }
        let start = chars[run_start].0;
        let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
        let normalised = normalizer.normalize(&text[start..end]);
        if normalised != text[start..end] {
            out.push(Replacement {
                start,
                end,
                text: Cow::Owned(normalised.into_owned()),
                rule: "unicode_nfc",
            });
        }
        i = j;
    }
    out
}

/// Bytes that can start an invisible character: C0 controls but tab and line feed, DEL, and
/// the lead bytes of U+0080–U+00BF (C1 controls, soft hyphen), U+2000–U+2FFF (zero-width and
/// direction marks, word joiner) and U+F000–U+FFFF (byte-order mark).
const INVISIBLE_LEAD: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b != b'\n' as usize && b != b'\t' as usize;
        b += 1;
    }
    table[0x7F] = true;
    table[0xC2] = true;
    table[0xE2] = true;
    table[0xEF] = true;
    table
};

/// Control characters (but tab and line feed), zero-width characters, soft hyphens and stray
/// byte-order marks.
pub(crate) fn invisible(text: &str) -> Vec<Replacement> {
    let mut out: Vec<Replacement> = Vec::new();
    let bytes = text.as_bytes();
    for (start, &byte) in bytes.iter().enumerate() {
        if !INVISIBLE_LEAD[usize::from(byte)] {
            continue;
        }
        // A lead byte (or an ASCII byte) starts a character.
        let Some(c) = text[start..].chars().next() else {
            continue;
        };
        let invisible = (c.is_control() && c != '\n' && c != '\t')
            || matches!(
                c,
                '\u{200B}'
                    | '\u{200C}'
                    | '\u{200D}'
                    | '\u{2060}'
                    | '\u{FEFF}'
                    | '\u{00AD}'
                    | '\u{200E}'
                    | '\u{200F}'
            );
        if invisible {
            let end = start + c.len_utf8();
            match out.last_mut() {
                Some(last) if last.end == start => last.end = end,
                _ => out.push(Replacement::remove(start, end, "invisible_chars")),
            }
        }
    }
    out
}

/// The same quote or comma twice where a conversion doubled it: `""China` → `"China`,
/// `word,,` → `word,`.
pub(crate) fn doubled_punctuation(text: &str) -> Vec<Replacement> {
    static DOUBLED: OnceLock<Regex> = OnceLock::new();
    if !(text.contains("\"\"") || text.contains(",,") || text.contains(";;")) {
        return Vec::new();
    }
    regex(
        &DOUBLED,
        r#"(?:^|[\s(\[])("")\w|\w("")(?:[\s.,;:!?)\]]|$)|\w(,,|;;)"#,
    )
    .captures_iter(text)
    .filter_map(|caps| {
        let doubled = caps
            .get(1)
            .or_else(|| caps.get(2))
            .or_else(|| caps.get(3))?;
        Some(Replacement {
            start: doubled.start(),
            end: doubled.end(),
            text: Cow::Owned(doubled.as_str()[..1].to_owned()),
            rule: "doubled_punctuation",
        })
    })
    .collect()
}

/// Curly quotes to straight ones (off by default).
pub(crate) fn straight_quotes(text: &str) -> Vec<Replacement> {
    text.char_indices()
        .filter_map(|(start, c)| {
            let straight = match c {
                '“' | '”' | '„' | '«' | '»' => "\"",
                '‘' | '’' | '‚' => "'",
                _ => return None,
            };
            Some(Replacement {
                start,
                end: start + c.len_utf8(),
                text: Cow::Borrowed(straight),
                rule: "straight_quotes",
            })
        })
        .collect()
}

/// Bytes that can start a white-space character: ASCII white space, and the lead bytes of
/// U+0080–U+00BF (next line, no-break space), U+1000–U+1FFF (Ogham space), U+2000–U+2FFF
/// (the typographic spaces, line and paragraph separators) and U+3000–U+3FFF (ideographic
/// space).
const SPACE_LEAD: [bool; 256] = {
    let mut table = [false; 256];
    table[b' ' as usize] = true;
    let mut b = 0x09;
    while b <= 0x0D {
        table[b] = true;
        b += 1;
    }
    table[0xC2] = true;
    table[0xE1] = true;
    table[0xE2] = true;
    table[0xE3] = true;
    table
};

/// White space: runs of spaces and tabs (and other Unicode spaces) to one space, no space at
/// the ends of lines, at most one blank line in a row, none at the ends of the document.
pub(crate) fn whitespace(text: &str) -> Vec<Replacement> {
    let mut out: Vec<Replacement> = Vec::new();
    let bytes = text.as_bytes();
    let space_at = |at: usize| -> Option<char> {
        if !SPACE_LEAD[usize::from(*bytes.get(at)?)] {
            return None;
        }
        text[at..].chars().next().filter(|c| c.is_whitespace())
    };
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if !SPACE_LEAD[usize::from(byte)] {
            at += 1;
            continue;
        }
        // One plain space between two other characters is what most white space is.
        if byte == b' ' && at > 0 && at + 1 < bytes.len() && !SPACE_LEAD[usize::from(bytes[at + 1])]
        {
            at += 2;
            continue;
        }
        let Some(c) = space_at(at) else {
            // A lead byte or ASCII: `at` is a boundary; step over the whole character.
            at += text[at..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let start = at;
        let mut end = start + c.len_utf8();
        let mut n_newlines = usize::from(c == '\n');
        while let Some(next) = space_at(end) {
            n_newlines += usize::from(next == '\n');
            end += next.len_utf8();
        }
        let replacement = if start == 0 || end == bytes.len() {
            ""
        } else if n_newlines >= 2 {
            "\n\n"
        } else if n_newlines == 1 {
            "\n"
        } else {
            " "
        };
        if text[start..end] != *replacement {
            out.push(Replacement {
                start,
                end,
                text: Cow::Borrowed(replacement),
                rule: "whitespace",
            });
        }
        at = end;
    }
    out
}
