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

/// Whether `needle` occurs in `text` (memchr's SIMD search, faster than `str::contains` on
/// whole documents).
fn holds(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// `<!-- … -->` comments, and the broken openers HTML-to-text tools leave behind: a line that
/// starts with `!--` or ends with `-->` with a comment's shape, and a lone `-->`.
pub(crate) fn html_comments(text: &str) -> Vec<Replacement> {
    static COMMENT: OnceLock<Regex> = OnceLock::new();
    static BROKEN: OnceLock<Regex> = OnceLock::new();
    // Both patterns need `--`: most texts skip the regexes.
    if !holds(text, "--") {
        return Vec::new();
    }
    let mut out: Vec<Replacement> = regex(&COMMENT, r"(?s)<!--.*?(-->|\z)")
        .find_iter(text)
        .map(|m| Replacement::remove(m.start(), m.end(), "html_comment"))
        .collect();
    // A broken comment is a whole line (nothing in the pattern crosses a line break), so only
    // the lines that hold `--` are tried, each on its own.
    let broken = regex(&BROKEN, r"^[ \t]*(!--[^\n]*|[^\n<]{0,200}-->)[ \t]*$");
    let bytes = text.as_bytes();
    let dashes = memchr::memmem::Finder::new("--");
    let mut at = 0;
    while let Some(found) = dashes.find(&bytes[at..]) {
        let hit = at + found;
        let line_start = memchr::memrchr(b'\n', &bytes[..hit]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[hit..]).map_or(text.len(), |i| hit + i);
        if broken.is_match(&text[line_start..line_end])
            && !out.iter().any(|r| r.start < line_end && line_start < r.end)
        {
            out.push(Replacement::remove(line_start, line_end, "html_comment"));
        }
        at = line_end;
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
    regex(&TAG, r#"</?[A-Za-z][A-Za-z0-9:-]*(\s+[A-Za-z_:][-A-Za-z0-9_:.]*(\s*=\s*("[^"]*"|'[^']*'|[^\s"'<>=]+))?)*\s*/?>"#)
        .find_iter(text)
        .filter_map(|whole| {
            // The name: after `<` or `</`, every name character (what follows it, white
            // space, `/` or `>`, is none), read without the capture search's cost.
            let tag = whole.as_str();
            let name = tag
                .strip_prefix("</")
                .or_else(|| tag.strip_prefix('<'))
                .unwrap_or(tag);
            let name_len = name
                .bytes()
                .take_while(|&b| b.is_ascii_alphanumeric() || b == b':' || b == b'-')
                .count();
            let name = &name[..name_len];
            let is = |known: &&str| known.eq_ignore_ascii_case(name);
            if !HTML_ELEMENTS.iter().any(is) && !name.contains('-') && !name.contains(':') {
                return None;
            }
            let block = BLOCKS.iter().any(is);
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

/// Text decoded with the wrong codec (`â€™` for `’`, `Ã©` for `é`, UTF-8 read as Windows-1252,
/// Latin-1, MacRoman, cp437 or Windows-1250/1251, once or several times over; C1 control
/// characters that stand for Windows-1252 punctuation), repaired by plsfix, the Rust port of
/// ftfy, with only its encoding fixes on: quote style, HTML entities, normalisation and line
/// breaks are left to the other rules. On ftfy's own test cases plsfix gets 145 of 151 right
/// where a hand-written "lead byte + continuation bytes" repair got 60 (and changed 67 wrongly);
/// `cargo xtask eval mojibake` measures it. One replacement per changed line, trimmed to the
/// part that changed.
pub(crate) fn mojibake(text: &str) -> Vec<Replacement> {
    const MAX_DECODE_LENGTH: i32 = 1_000_000;
    if text.is_ascii() {
        return Vec::new();
    }
    let config = plsfix::TextFixerConfig {
        unescape_html: Some(false),
        remove_terminal_escapes: false,
        fix_encoding: true,
        restore_byte_a0: true,
        replace_lossy_sequences: true,
        decode_inconsistent_utf8: true,
        fix_c1_controls: true,
        fix_latin_ligatures: false,
        fix_character_width: false,
        uncurl_quotes: false,
        fix_line_breaks: false,
        remove_control_chars: false,
        normalization: None,
        max_decode_length: MAX_DECODE_LENGTH,
    };
    let mut out = Vec::new();
    let mut at = 0;
    for body in crate::split_at_newlines(text) {
        let start = at;
        at += body.len() + 1;
        // Every repair starts from a character outside ASCII.
        if body.is_ascii() {
            continue;
        }
        // `fix_text` cuts its input at line breaks and every `max_decode_length` bytes and
        // fixes each part with `fix_and_explain`; a line up to that length is one part, fixed
        // without the copies and the join.
        let fixed = if body.len() <= MAX_DECODE_LENGTH as usize {
            plsfix::fix_and_explain(body, false, Some(&config)).text
        } else {
            plsfix::fix_text(body, Some(&config))
        };
        if fixed == body || fixed.contains('\n') {
            continue;
        }
        // Only the part that changed: the common prefix and suffix stay as they were.
        let prefix = body
            .char_indices()
            .zip(fixed.chars())
            .find(|((_, a), b)| a != b)
            .map_or(body.len().min(fixed.len()), |((i, _), _)| i);
        let suffix = body[prefix..]
            .chars()
            .rev()
            .zip(fixed[prefix..].chars().rev())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum::<usize>();
        // The prefix is a boundary of both texts (they agree up to it); so is the suffix.
        let (Some(_), Some(replacement)) = (
            body.get(prefix..body.len() - suffix),
            fixed.get(prefix..fixed.len() - suffix),
        ) else {
            continue;
        };
        out.push(Replacement {
            start: start + prefix,
            end: start + body.len() - suffix,
            text: Cow::Owned(replacement.to_owned()),
            rule: "mojibake",
        });
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
const fn is_invisible_lead(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\n' && byte != b'\t') || matches!(byte, 0x7F | 0xC2 | 0xE2 | 0xEF)
}

/// [`is_invisible_lead`] as a table, for the byte-by-byte walk.
const INVISIBLE_LEAD: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = is_invisible_lead(byte as u8);
        byte += 1;
    }
    table
};

/// The block the byte-level passes test at once (a test of a whole block vectorises).
const BLOCK: usize = 32;

/// Control characters (but tab and line feed), zero-width characters, soft hyphens and stray
/// byte-order marks.
pub(crate) fn invisible(text: &str) -> Vec<Replacement> {
    let mut out: Vec<Replacement> = Vec::new();
    let bytes = text.as_bytes();
    let blocks = bytes.chunks(BLOCK).enumerate();
    // Most blocks hold no byte that can start an invisible character.
    for (block_index, block) in blocks.filter(|(_, block)| {
        block
            .iter()
            .fold(false, |any, &byte| any | is_invisible_lead(byte))
    }) {
        for (offset, &byte) in block.iter().enumerate() {
            let start = block_index * BLOCK + offset;
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
    }
    out
}

/// The same quote or comma twice where a conversion doubled it: `""China` → `"China`,
/// `word,,` → `word,`; and a double quote written as two apostrophes or two backticks, as
/// text taken from PDF or TeX has it (`''useful''`, ``` ``useful'' ```) → `"useful"`. A quote
/// pair counts only against a word: opening before one, closing after one (or after its
/// full stop, comma, `!` or `?`), so an empty string `""` standing alone is left.
pub(crate) fn doubled_punctuation(text: &str) -> Vec<Replacement> {
    static DOUBLED: OnceLock<Regex> = OnceLock::new();
    if !(holds(text, "\"\"")
        || holds(text, "''")
        || holds(text, "``")
        || holds(text, ",,")
        || holds(text, ";;"))
    {
        return Vec::new();
    }
    regex(
        &DOUBLED,
        r#"(?:^|[\s(\[])(""|''|``)\w|\w[.,!?]?(""|'')(?:[\s.,;:!?)\]]|$)|\w(,,|;;)"#,
    )
    .captures_iter(text)
    .filter_map(|caps| {
        let doubled = caps
            .get(1)
            .or_else(|| caps.get(2))
            .or_else(|| caps.get(3))?;
        let single = match doubled.as_str() {
            "\"\"" | "''" | "``" => "\"",
            other => &other[..1],
        };
        Some(Replacement {
            start: doubled.start(),
            end: doubled.end(),
            text: Cow::Owned(single.to_owned()),
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
const fn is_space_lead(byte: u8) -> bool {
    matches!(byte, b' ' | 0x09..=0x0D | 0xC2 | 0xE1 | 0xE2 | 0xE3)
}

/// [`is_space_lead`] as a table, for the byte-by-byte walk.
const SPACE_LEAD: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = is_space_lead(byte as u8);
        byte += 1;
    }
    table
};

/// Whether the white-space walk, from the first byte of `window` (not the text's first byte,
/// and not its last), would step over all but its last byte without an edit: no byte there
/// starts white space but a plain space or a line break before a byte that does not (a space
/// is never followed by a line break there, so a line break stands alone).
fn plain_block(window: &[u8]) -> bool {
    let (bytes, next) = (
        window
            .get(..window.len().saturating_sub(1))
            .unwrap_or_default(),
        window.get(1..).unwrap_or_default(),
    );
    bytes.iter().zip(next).fold(true, |plain, (&byte, &next)| {
        plain & (!is_space_lead(byte) | (((byte == b' ') | (byte == b'\n')) & !is_space_lead(next)))
    })
}

/// White space: runs of spaces and tabs (and other Unicode spaces) to one space, no space at
/// the ends of lines, at most one blank line in a row, none at the ends of the document.
/// Inside a fenced code block or a `preformatted` byte range ([`crate::layout::code_blocks`])
/// only the space at the ends of lines goes: indentation and the spacing within a line are the
/// author's own.
pub(crate) fn whitespace(text: &str, preformatted: &[(usize, usize)]) -> Vec<Replacement> {
    let fenced = crate::layout::code_blocks(text, preformatted);
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
        // Most blocks hold only single spaces between other characters: one test steps over
        // them (a space at the text's start is an edit, so not from there).
        if at > 0
            && let Some(window) = bytes.get(at..=at + BLOCK)
            && plain_block(window)
        {
            at += BLOCK;
            continue;
        }
        let block_end = (at + BLOCK).min(bytes.len());
        while at < block_end {
            let byte = bytes[at];
            if !SPACE_LEAD[usize::from(byte)] {
                at += 1;
                continue;
            }
            // One plain space between two other characters is what most white space is.
            if byte == b' '
                && at > 0
                && at + 1 < bytes.len()
                && !SPACE_LEAD[usize::from(bytes[at + 1])]
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
            let replacement: Cow<'static, str> =
                // A run that ends at a block's first character holds its first line's
                // indentation.
                if (crate::layout::inside(&fenced, start) || crate::layout::inside(&fenced, end))
                    && !replacement.is_empty()
                {
                    // In code: the line breaks, then the next line's indentation as it was;
                    // space within a line stays.
                    let Some(last) = text[start..end].rfind('\n') else {
                        at = end;
                        continue;
                    };
                    Cow::Owned(format!("{replacement}{}", &text[start + last + 1..end]))
                } else {
                    Cow::Borrowed(replacement)
                };
            if text[start..end] != *replacement {
                out.push(Replacement {
                    start,
                    end,
                    text: replacement,
                    rule: "whitespace",
                });
            }
            at = end;
        }
    }
    out
}
