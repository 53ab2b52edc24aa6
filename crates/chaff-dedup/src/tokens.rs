//! Words, their normalisation, and the units dedup compares: shingles, paragraphs, sentences.

use std::sync::OnceLock;

use chaff_record::{Record, Span, offsets::ByteCursor};
use unicode_normalization::UnicodeNormalization as _;
use unicode_segmentation::UnicodeSegmentation as _;
use xxhash_rust::xxh3::xxh3_64;

/// Normalises one piece of a word (see [`pieces`]) as datatrove does by default: lowercase,
/// digits to `0`, diacritics removed. (datatrove writes a whole number as one `0`; each digit
/// is kept as a `0` here, so `12` and `2024` stay different: on the planted benchmark that
/// gave the same recall at higher precision, 0.956 against 0.949 with the estimate.)
/// British `-ise`/`-isation`/`-yse` spellings fold to `-ize`/`-ization`/`-yze`, so that the
/// same sentence in two spellings of English compares equal. The result is UTF-8 bytes
/// (hashed, never read back as text).
pub(crate) fn normalise_word(word: &str, out: &mut Vec<u8>) {
    out.clear();
    // ASCII has no decompositions or combining marks: skip the NFD pass (same result).
    if word.is_ascii() {
        for byte in word.bytes() {
            if byte.is_ascii_digit() {
                out.push(b'0');
            } else if byte.is_ascii_alphabetic() {
                out.push(byte.to_ascii_lowercase());
            }
        }
        fold_spelling(out);
        return;
    }
    // Character by character from a table (see [`Forms`]); past U+FFFF, the general path.
    if !FORMS.normalised(word, out) {
        normalise_chars(word, out);
    }
    fold_spelling(out);
}

/// `word` lowercased, digits to `0`, letters and digits only, diacritics removed (NFD, then
/// combining marks dropped), before spellings are folded: the general path of
/// [`normalise_word`].
fn normalise_chars(word: &str, out: &mut Vec<u8>) {
    out.clear();
    let mut buffer = [0u8; 4];
    for c in word.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_numeric() {
            out.push(b'0');
        } else if c.is_alphabetic() {
            for lower in c.to_lowercase() {
                out.extend_from_slice(lower.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }
}

/// The normalised and exact forms ([`normalise_chars`], [`exact_chars`]) of the characters of
/// the Basic Multilingual Plane, each worked out by the general path from the character alone,
/// 256 characters at a time when a word first needs one of them (a script that never comes
/// costs nothing). A word's form is its characters' forms one after another: NFD decomposes
/// each character on its own, the canonical reordering it adds moves only characters of a
/// non-zero combining class, which are all combining marks and dropped from the normalised
/// form, and lower-casing and the letter and digit tests are per character. So a word of such
/// characters is looked up instead of decomposed (the general path costs about a thousand
/// instructions a word). Tests hold the two paths to each other and check that premise for
/// every character.
struct Forms {
    pages: [OnceLock<Box<Page>>; Forms::N_PAGES],
}

/// The forms of 256 consecutive characters.
struct Page {
    normalised: [Form; 256],
    exact: [Form; 256],
}

/// A character's form: up to 15 bytes, or `len` 255 when it is longer (then the word takes the
/// general path).
#[derive(Clone, Copy)]
struct Form {
    len: u8,
    bytes: [u8; 15],
}

impl Form {
    const EMPTY: Form = Form {
        len: 0,
        bytes: [0; 15],
    };

    fn of(bytes: &[u8]) -> Form {
        let mut form = Form::EMPTY;
        match form.bytes.get_mut(..bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                form.len = bytes.len() as u8;
            }
            None => form.len = u8::MAX,
        }
        form
    }
}

static FORMS: Forms = Forms {
    pages: [const { OnceLock::new() }; Forms::N_PAGES],
};

impl Forms {
    /// The table ends at U+FFFF: past it, the general path.
    const N_PAGES: usize = 256;

    fn page(number: usize) -> Box<Page> {
        let mut page = Box::new(Page {
            normalised: [Form::EMPTY; 256],
            exact: [Form::EMPTY; 256],
        });
        let (mut n, mut e) = (Vec::new(), Vec::new());
        let mut buffer = [0u8; 4];
        for low in 0..256 {
            // Surrogate code points are no characters and never looked up.
            let Some(c) = char::from_u32((number * 256 + low) as u32) else {
                continue;
            };
            let alone = c.encode_utf8(&mut buffer);
            normalise_chars(alone, &mut n);
            exact_chars(alone, &mut e);
            page.normalised[low] = Form::of(&n);
            page.exact[low] = Form::of(&e);
        }
        page
    }

    /// Writes `word`'s form into `out` and returns true, or returns false when a character is
    /// past the table or its form too long.
    fn write(&self, word: &str, out: &mut Vec<u8>, exact: bool) -> bool {
        out.clear();
        for c in word.chars() {
            let code = c as usize;
            let Some(cell) = self.pages.get(code >> 8) else {
                return false;
            };
            let page = cell.get_or_init(|| Self::page(code >> 8));
            let form = if exact {
                &page.exact[code & 0xFF]
            } else {
                &page.normalised[code & 0xFF]
            };
            if form.len == u8::MAX {
                return false;
            }
            out.extend_from_slice(&form.bytes[..usize::from(form.len)]);
        }
        true
    }

    fn normalised(&self, word: &str, out: &mut Vec<u8>) -> bool {
        self.write(word, out, false)
    }

    fn exact(&self, word: &str, out: &mut Vec<u8>) -> bool {
        self.write(word, out, true)
    }
}

/// The pieces of one word (byte ranges within it) that datatrove's normalisation makes words
/// of their own: it turns punctuation into white space, so `don't`, `U.S`, `a:b` and `x_y`
/// are two words each. A `.` or `,` between digits stays inside a number once, as datatrove
/// first rewrites `\d+([.,]\d+)?` as one number (`3.5` is one piece, `1,000,000` two). Combining
/// marks and invisible joiners stay inside a piece; a piece starts at a letter or digit.
pub(crate) fn pieces(word: &str, mut piece: impl FnMut(usize, usize)) {
    let bytes = word.as_bytes();
    // Nearly every word is letters and digits only: one piece.
    if bytes.iter().all(u8::is_ascii_alphanumeric) {
        if !bytes.is_empty() {
            piece(0, bytes.len());
        }
        return;
    }
    let mut start: Option<usize> = None;
    let mut in_number = false;
    let mut decimal = false;
    let mut chars = word.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_numeric() {
            start.get_or_insert(i);
            if !in_number {
                in_number = true;
                decimal = false;
            }
        } else if c.is_alphabetic() {
            start.get_or_insert(i);
            in_number = false;
        } else if matches!(c, '.' | ',')
            && in_number
            && !decimal
            && chars.peek().is_some_and(|&(_, next)| next.is_numeric())
        {
            decimal = true;
        } else if unicode_normalization::char::is_combining_mark(c) || is_invisible(c) {
            // Part of the piece it stands in (removed by the normalisation).
        } else {
            if let Some(s) = start.take() {
                piece(s, i);
            }
            in_number = false;
        }
    }
    if let Some(s) = start {
        piece(s, bytes.len());
    }
}

/// Format characters that may stand inside a UAX #29 word without splitting it.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// Both forms of an ASCII piece in one pass; returns whether they differ (a digit, or a
/// British ending folded), since most words' two forms are the same bytes.
fn ascii_forms(word: &str, normalised: &mut Vec<u8>, exact: &mut Vec<u8>) -> bool {
    normalised.clear();
    exact.clear();
    let mut has_digit = false;
    for byte in word.bytes() {
        if byte.is_ascii_digit() {
            has_digit = true;
            normalised.push(b'0');
            exact.push(byte);
        } else if byte.is_ascii_alphabetic() {
            let lower = byte.to_ascii_lowercase();
            normalised.push(lower);
            exact.push(lower);
        }
    }
    let folded = fold_spelling(normalised);
    has_digit || folded
}

/// [`ascii_forms`] into stack buffers, for words up to `SHORT` bytes (nearly all): the two
/// forms' lengths (equal) and whether they differ, or `None` when the word holds any byte
/// other than an ASCII letter or digit (punctuation that splits it, or non-ASCII), which the
/// general path then takes.
const SHORT: usize = 48;

fn ascii_forms_short(
    word: &[u8],
    normalised: &mut [u8; SHORT],
    exact: &mut [u8; SHORT],
) -> Option<(usize, bool)> {
    let mut has_digit = false;
    for (n, &byte) in word.iter().enumerate() {
        let lower = byte | 0x20;
        if byte.is_ascii_digit() {
            has_digit = true;
            normalised[n] = b'0';
            exact[n] = byte;
        } else if lower.is_ascii_lowercase() {
            normalised[n] = lower;
            exact[n] = lower;
        } else {
            return None;
        }
    }
    let n = word.len();
    let folded = fold_spelling(&mut normalised[..n]);
    Some((n, has_digit || folded))
}

/// `-ise`, `-ised`, `-ises`, `-ising`, `-iser`, `-isers`, `-isation(s)` to the `-iz-` forms,
/// and `-yse`/`-ysed`/`-ysing` to `-yz-`, for words long enough that the ending is a suffix.
/// Every ending and its replacement have the same length, so the word is rewritten in place;
/// returns whether it was.
#[inline(always)]
fn fold_spelling(word: &mut [u8]) -> bool {
    // Most words are shorter than the shortest ending that folds (`ise` after four bytes).
    word.len() >= 7 && fold_long_spelling(word)
}

fn fold_long_spelling(word: &mut [u8]) -> bool {
    const ENDINGS: &[(&[u8], &[u8])] = &[
        (b"isations", b"izations"),
        (b"isation", b"ization"),
        (b"isers", b"izers"),
        (b"ising", b"izing"),
        (b"yses", b"yzes"),
        (b"ysed", b"yzed"),
        (b"ysing", b"yzing"),
        (b"iser", b"izer"),
        (b"ised", b"ized"),
        (b"ises", b"izes"),
        (b"ise", b"ize"),
        (b"yse", b"yze"),
    ];
    // Every ending puts an `s` among the word's last six bytes: most words stop here.
    let n = word.len();
    if n < 7 || !word[n - 6..].contains(&b's') {
        return false;
    }
    for (british, american) in ENDINGS {
        if n >= british.len() + 4 && word.ends_with(british) {
            word[n - british.len()..].copy_from_slice(american);
            return true;
        }
    }
    false
}

/// One word: its hash as datatrove normalises it (for shingles and sentences), its hash with
/// only case and punctuation folded (for exact documents and paragraphs, where `12 cts` and
/// `15 cts` must stay different), and its byte range.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Word {
    pub hash: u64,
    pub exact: u64,
    pub start: usize,
    pub end: usize,
}

/// The word with case and punctuation folded, digits and accents kept, as UTF-8 bytes.
fn exact_form(word: &str, out: &mut Vec<u8>) {
    out.clear();
    // ASCII lower-cases byte by byte (same result, without `char::to_lowercase`).
    if word.is_ascii() {
        for byte in word.bytes() {
            if byte.is_ascii_alphanumeric() {
                out.push(byte.to_ascii_lowercase());
            }
        }
        return;
    }
    if !FORMS.exact(word, out) {
        exact_chars(word, out);
    }
}

/// The general path of [`exact_form`]: the letters and digits of `word`, lower-cased.
fn exact_chars(word: &str, out: &mut Vec<u8>) {
    out.clear();
    let mut buffer = [0u8; 4];
    for c in word.chars() {
        if c.is_alphanumeric() {
            for lower in c.to_lowercase() {
                out.extend_from_slice(lower.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }
}

/// The hashed, normalised words of `text` in order, each with its byte range.
#[cfg(test)]
pub(crate) fn word_hashes(record: &Record) -> Vec<Word> {
    let mut out = Vec::new();
    word_hashes_into(record, &mut out);
    out
}

/// [`word_hashes`] into `out` (cleared first), so that a thread can keep one vector for every
/// document instead of allocating one a document. Compiled once more for AVX2, chosen at run
/// time (the same operations, so the same words and hashes).
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub(crate) fn word_hashes_into(record: &Record, out: &mut Vec<Word>) {
    let text = record.text.as_str();
    let mut normalised = Vec::new();
    let mut exact = Vec::new();
    let mut short_n = [0u8; SHORT];
    let mut short_e = [0u8; SHORT];
    // About one word in six bytes of running text; room for more (numbers, split words,
    // tables) so that the vector is rarely grown and copied.
    out.clear();
    out.reserve(text.len() / 4 + 16);
    // One piece of a word (see [`pieces`]).
    let mut push_piece = |start: usize, end: usize, out: &mut Vec<Word>| {
        let word = &text[start..end];
        if word.is_ascii() {
            let differ = ascii_forms(word, &mut normalised, &mut exact);
            if !normalised.is_empty() {
                let hash = xxh3_64(&normalised);
                out.push(Word {
                    hash,
                    exact: if differ { xxh3_64(&exact) } else { hash },
                    start,
                    end,
                });
            }
            return;
        }
        normalise_word(word, &mut normalised);
        if !normalised.is_empty() {
            exact_form(word, &mut exact);
            out.push(Word {
                hash: xxh3_64(&normalised),
                exact: xxh3_64(&exact),
                start,
                end,
            });
        }
    };
    let mut push = |start: usize, end: usize, out: &mut Vec<Word>| {
        let word = &text.as_bytes()[start..end];
        // Nearly every word: ASCII letters and digits only, one piece, in one pass.
        if word.len() <= SHORT
            && let Some((n, differ)) = ascii_forms_short(word, &mut short_n, &mut short_e)
        {
            if n > 0 {
                let hash = xxh3_64(&short_n[..n]);
                out.push(Word {
                    hash,
                    exact: if differ { xxh3_64(&short_e[..n]) } else { hash },
                    start,
                    end,
                });
            }
            return;
        }
        pieces(&text[start..end], |s, e| {
            push_piece(start + s, start + e, out)
        });
    };
    match record.spans.get("words") {
        Some(words) => {
            let mut cursor = ByteCursor::new(text);
            for span in words {
                if let (Some(start), Some(end)) =
                    (cursor.byte_offset(span.start), cursor.byte_offset(span.end))
                    && start <= end
                {
                    push(start, end, out);
                }
            }
        }
        None => {
            let mut scratch = (Vec::new(), Vec::new());
            for_each_stretch(text, |from, to, ascii| {
                if ascii {
                    ascii_piece_hashes(text, from, to, &mut scratch, out);
                } else {
                    for (s, word) in text[from..to].unicode_word_indices() {
                        push(from + s, from + s + word.len(), out);
                    }
                }
            });
        }
    }
}

/// The words of any text exactly as UAX #29 (`unicode_word_indices`) draws them, as byte
/// ranges: ASCII stretches by [`ascii_words`], and only the stretches around non-ASCII
/// characters by the crate. A word boundary always falls between ASCII white space and an
/// ASCII character (no rule of UAX #29 joins across it, and no ASCII character extends the
/// one before it), so the text is cut there and each piece drawn alone. A property test holds
/// it to the crate's output.
#[cfg(test)]
pub(crate) fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(text.len() / 6 + 1);
    for_each_stretch(text, |from, to, ascii| {
        if ascii {
            out.extend(
                ascii_words(&text[from..to])
                    .into_iter()
                    .map(|(s, e)| (from + s, from + e)),
            );
        } else {
            out.extend(
                text[from..to]
                    .unicode_word_indices()
                    .map(|(s, word)| (from + s, from + s + word.len())),
            );
        }
    });
    out
}

/// Cuts `text` where no UAX #29 rule looks across (see [`words`]) into stretches, given in
/// order to `stretch(from, to, ascii)`: ASCII stretches, and the stretches around non-ASCII
/// characters (`ascii` false).
fn for_each_stretch(text: &str, mut stretch: impl FnMut(usize, usize, bool)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let is_cut = |i: usize| {
        // A boundary at `i` that no rule can look across.
        i == 0 || i == n || (bytes[i - 1].is_ascii_whitespace() && bytes[i].is_ascii())
    };
    // Everything before `ascii_from` is drawn; from it up to the next non-ASCII byte is ASCII.
    let mut ascii_from = 0;
    while let Some(found) = first_non_ascii(&bytes[ascii_from..]) {
        let first = ascii_from + found;
        let mut start = first;
        while start > ascii_from && !is_cut(start) {
            start -= 1;
        }
        let mut end = first + 1;
        while !is_cut(end) {
            end += 1;
        }
        if start > ascii_from {
            stretch(ascii_from, start, true);
        }
        stretch(start, end, false);
        ascii_from = end;
    }
    if n > ascii_from {
        stretch(ascii_from, n, true);
    }
}

/// Where the first byte of `bytes` above 0x7F is: 64 bytes at a time by the standard
/// library's word-at-a-time test, then byte by byte in the block that has one (a plain search
/// byte by byte costs about six instructions a byte of running text).
fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    for block in bytes.chunks(64) {
        if !block.is_ascii() {
            return block.iter().position(|b| !b.is_ascii()).map(|i| at + i);
        }
        at += block.len();
    }
    None
}

/// The pieces (see [`pieces`]) of the words of an ASCII stretch `from..to` of `text`, found,
/// normalised and hashed in one pass: in ASCII, the pieces of UAX #29's words are the runs of
/// letters and digits, with one `.` or `,` between digits inside a number. Pieces longer than
/// `SHORT` bytes go through [`ascii_forms`]. A property test holds it to the general path.
fn ascii_piece_hashes(
    text: &str,
    from: usize,
    to: usize,
    scratch: &mut (Vec<u8>, Vec<u8>),
    out: &mut Vec<Word>,
) {
    /// Each byte's normalised form: ASCII letters lower-cased, digits `0`, anything else 0.
    const NORMALISED: [u8; 256] = {
        let mut table = [0u8; 256];
        let mut b = 0;
        while b < 256 {
            let byte = b as u8;
            if byte.is_ascii_digit() {
                table[b] = b'0';
            } else if byte.is_ascii_alphabetic() {
                table[b] = byte.to_ascii_lowercase();
            }
            b += 1;
        }
        table
    };
    let bytes = &text.as_bytes()[..to];
    // Room for 64 bytes, written at `n % 64`: no test per byte of whether the piece is still
    // short (a longer piece takes the other path, whatever the buffer then holds).
    let mut normalised = [0u8; 64];
    let mut exact = [0u8; SHORT];
    let mut i = from;
    while i < to {
        if NORMALISED[usize::from(bytes[i])] == 0 {
            i += 1;
            continue;
        }
        let start = i;
        let mut n = 0;
        let mut has_digit = false;
        loop {
            // Eight bytes at a time while eight are left in the stretch, then one at a time.
            let mut ended = false;
            while let Some(chunk) = bytes.get(i..i + 8) {
                let (forms, run, digits) = eight_ascii_bytes(chunk);
                if let Some(room) = normalised.get_mut(n..n + 8) {
                    room.copy_from_slice(&forms);
                }
                has_digit |= digits;
                n += run;
                i += run;
                if run < 8 {
                    ended = true;
                    break;
                }
            }
            while !ended && i < to {
                let c = NORMALISED[usize::from(bytes[i])];
                if c == 0 {
                    break;
                }
                normalised[n % 64] = c;
                has_digit |= c == b'0';
                n += 1;
                i += 1;
            }
            // A `.` or `,` between digits continues the piece once per number: not when the
            // digits before it already follow one (inside a piece every `.` or `,` is such).
            if i + 1 < to
                && matches!(bytes[i], b'.' | b',')
                && bytes[i - 1].is_ascii_digit()
                && bytes[i + 1].is_ascii_digit()
            {
                let mut j = i - 1;
                while j > start && bytes[j - 1].is_ascii_digit() {
                    j -= 1;
                }
                if !(j > start && matches!(bytes[j - 1], b'.' | b',')) {
                    i += 1;
                    continue;
                }
            }
            break;
        }
        if n <= SHORT {
            let folded = fold_spelling(&mut normalised[..n]);
            let hash = xxh3_64(&normalised[..n]);
            // The exact form differs only where there are digits (a normalised `0` comes from
            // a digit alone) or an ending was folded.
            let exact_hash = if folded || has_digit {
                let mut e = 0;
                for &byte in &bytes[start..i] {
                    if byte.is_ascii_alphanumeric() {
                        exact[e] = byte.to_ascii_lowercase();
                        e += 1;
                    }
                }
                xxh3_64(&exact[..e])
            } else {
                hash
            };
            out.push(Word {
                hash,
                exact: exact_hash,
                start,
                end: i,
            });
        } else {
            let (long_n, long_e) = scratch;
            let differ = ascii_forms(&text[start..i], long_n, long_e);
            let hash = xxh3_64(long_n);
            out.push(Word {
                hash,
                exact: if differ { xxh3_64(long_e) } else { hash },
                start,
                end: i,
            });
        }
    }
}

/// Eight ASCII bytes read as one number (SWAR): the normalised forms of all eight (letters
/// lower-cased, digits `0`; the other bytes, after the run, hold anything), how many of them
/// from the first are letters or digits (the run), and whether a digit is among those. Every byte is
/// below 0x80, so adding a constant below 0x80 to each carries into no other byte: the top bit
/// of `byte + (0x80 − lo)` tells `byte ≥ lo`, that of `byte + (0x7F − hi)` tells `byte > hi`.
#[inline(always)]
fn eight_ascii_bytes(chunk: &[u8]) -> ([u8; 8], usize, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&chunk[..8]);
    let x = u64::from_le_bytes(eight);
    debug_assert_eq!(x & TOPS, 0, "an ASCII stretch");
    // The top bit of each byte in `lo..=hi`.
    let within = |x: u64, lo: u8, hi: u8| {
        let at_least_lo = x.wrapping_add(ONES * u64::from(0x80 - lo));
        let above_hi = x.wrapping_add(ONES * u64::from(0x7F - hi));
        at_least_lo & !above_hi & TOPS
    };
    let lowered = x | (ONES * 0x20);
    let letters = within(lowered, b'a', b'z');
    let digits = within(x, b'0', b'9');
    // A letter lower-cased; a digit (0x30 to 0x39) with its low four bits cleared is `0`.
    let forms = lowered & !((digits >> 7) * 0x0F);
    let stop = (!(letters | digits) & TOPS).trailing_zeros();
    // A digit before the first byte that is neither.
    let digit_in_run = digits.trailing_zeros() < stop;
    (forms.to_le_bytes(), (stop / 8) as usize, digit_in_run)
}

/// The words of an ASCII text exactly as UAX #29 (`unicode_word_indices`) draws them, as byte
/// ranges, without its general machinery: runs of letters, digits and `_` (WB5, WB8–WB10,
/// WB13a/b), joined across one `:`, `.` or `'` between letters (WB6/7) and one `,`, `;`, `.` or
/// `'` between digits (WB11/12); a run of `_` alone is no word. A property test holds it to
/// the crate's output. (Dedup hashes ASCII stretches with [`ascii_piece_hashes`]; this and
/// [`words`] are the reference it is tested against.)
#[cfg(test)]
pub(crate) fn ascii_words(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::with_capacity(n / 6 + 1);
    let mut i = 0;
    while i < n {
        if !is_word(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut has_alphanumeric = bytes[i].is_ascii_alphanumeric();
        i += 1;
        while i < n {
            let c = bytes[i];
            if is_word(c) {
                has_alphanumeric |= c.is_ascii_alphanumeric();
                i += 1;
                continue;
            }
            if i + 1 < n {
                let (previous, next) = (bytes[i - 1], bytes[i + 1]);
                let letters = previous.is_ascii_alphabetic()
                    && next.is_ascii_alphabetic()
                    && matches!(c, b':' | b'.' | b'\'');
                let digits = previous.is_ascii_digit()
                    && next.is_ascii_digit()
                    && matches!(c, b',' | b';' | b'.' | b'\'');
                if letters || digits {
                    i += 2;
                    continue;
                }
            }
            break;
        }
        if has_alphanumeric {
            out.push((start, i));
        }
    }
    out
}

/// Hashes of the word `n`-grams of `words`; a text shorter than `n` words is one shingle.
pub(crate) fn shingles(words: &[u64], n: usize) -> Vec<u64> {
    let mut out = Vec::new();
    shingles_into(words, n, &mut out);
    out
}

/// [`shingles`] into `out` (cleared first).
pub(crate) fn shingles_into(words: &[u64], n: usize, out: &mut Vec<u64>) {
    let n = n.max(1);
    out.clear();
    if words.is_empty() {
        return;
    }
    if words.len() < n {
        out.push(hash_ngram(words));
        return;
    }
    // The default length compiled on its own, its loop over the words unrolled.
    match n {
        5 => out.extend(
            words
                .windows(5)
                .map(|w| hash_ngram(&[w[0], w[1], w[2], w[3], w[4]])),
        ),
        _ => out.extend(words.windows(n).map(hash_ngram)),
    }
}

/// The hash of a word n-gram from its words' hashes (themselves xxh3 outputs): each word mixed
/// in by a multiply and a rotate, order mattering, then SplitMix64's finaliser. Fixed here, so
/// the same on every machine and version; about a tenth of the cost of xxh3 over the bytes.
#[inline(always)]
fn hash_ngram(words: &[u64]) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15 ^ words.len() as u64;
    for &word in words {
        h = (h ^ word)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9)
            .rotate_left(29);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

pub(crate) fn hash_words(words: &[u64]) -> u64 {
    let mut bytes = [0u8; 8 * 16];
    if words.len() <= 16 {
        for (i, word) in words.iter().enumerate() {
            bytes[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
        return xxh3_64(&bytes[..words.len() * 8]);
    }
    let all: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    xxh3_64(&all)
}

/// The record's spans of `name` (code points), or a fallback computed from the text.
pub(crate) fn spans_or(
    record: &Record,
    name: &str,
    fallback: impl FnOnce(&str) -> Vec<Span>,
) -> Vec<Span> {
    match record.spans.get(name) {
        Some(spans) => spans.clone(),
        None => fallback(&record.text),
    }
}

/// Paragraphs when segment has not run: blocks separated by blank lines, and single lines
/// where the text has no blank lines at all.
pub(crate) fn fallback_paragraphs(text: &str) -> Vec<Span> {
    let separator = if text.contains("\n\n") { "\n\n" } else { "\n" };
    let mut spans = Vec::new();
    let mut cursor = chaff_record::offsets::CharCursor::new(text);
    let mut at = 0;
    for piece in text.split(separator) {
        let start = at + (piece.len() - piece.trim_start().len());
        let end = at + piece.trim_end().len();
        if end > start {
            let s = cursor.char_offset(start);
            let e = cursor.char_offset(end);
            spans.push(Span::new(s, e));
        }
        at += piece.len() + separator.len();
    }
    spans
}

/// Sentences when segment has not run: each fallback paragraph split after `.`, `!` or `?`
/// (and any closing quotes or brackets after it) where white space and then an upper-case
/// letter or an opening quote follow, unless the stop ends a single-letter initial (`U.S.`,
/// `J. Smith`). A rough rule on purpose (`Mr. Smith` splits): chaff-segment does this properly.
pub(crate) fn fallback_sentences(text: &str) -> Vec<Span> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or(' ');
    let mut out = Vec::new();
    for paragraph in fallback_paragraphs(text) {
        let end_of_paragraph = paragraph.end.min(chars.len());
        let mut start = paragraph.start;
        let mut i = paragraph.start;
        while i < end_of_paragraph {
            let initial =
                i >= 1 && at(i - 1).is_alphabetic() && (i < 2 || !at(i - 2).is_alphanumeric());
            if matches!(at(i), '.' | '!' | '?') && !(at(i) == '.' && initial) {
                let mut end = i + 1;
                while end < end_of_paragraph && is_closing_mark(at(end)) {
                    end += 1;
                }
                let mut next = end;
                while next < end_of_paragraph && at(next).is_whitespace() {
                    next += 1;
                }
                if next > end
                    && next < end_of_paragraph
                    && (at(next).is_uppercase() || is_opening_quote(at(next)))
                {
                    out.push(Span::new(start, end));
                    start = next;
                    i = next;
                    continue;
                }
            }
            i += 1;
        }
        if end_of_paragraph > start {
            out.push(Span::new(start, end_of_paragraph));
        }
    }
    out
}

fn is_closing_mark(c: char) -> bool {
    is_closing_quote(c) || matches!(c, ')' | ']' | '’' | '\'')
}

fn stopwords() -> &'static crate::fast_hash::HashSet<u64> {
    static STOPWORDS: std::sync::OnceLock<crate::fast_hash::HashSet<u64>> =
        std::sync::OnceLock::new();
    STOPWORDS.get_or_init(|| {
        include_str!("../data/stopwords_en.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| xxh3_64(l.trim().as_bytes()))
            .collect()
    })
}

fn is_opening_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '„' | '«')
}

fn is_closing_quote(c: char) -> bool {
    matches!(c, '"' | '”' | '“' | '»')
}

/// The content words (function words left out; sorted, without repeats) of the quoted
/// speech in the sentence at bytes `start..end`: the words between an opening quotation mark
/// and the next closing one (or the sentence's end). `words` are the sentence's words.
pub(crate) fn quoted_content_words(
    text: &str,
    start: usize,
    end: usize,
    words: &[Word],
) -> Vec<u32> {
    let sentence = &text[start..end];
    // Every quotation mark above is `"` or starts with the byte 0xC2 (`«`) or 0xE2 (the curly
    // ones): most sentences have none of the three bytes and no quote.
    if memchr::memchr3(b'"', 0xC2, 0xE2, sentence.as_bytes()).is_none() {
        return Vec::new();
    }
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut open: Option<usize> = None;
    for (offset, c) in sentence.char_indices() {
        let at = start + offset;
        match open {
            None if is_opening_quote(c) => open = Some(at + c.len_utf8()),
            Some(from) if is_closing_quote(c) => {
                ranges.push((from, at));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(from) = open {
        ranges.push((from, end));
    }
    let stopwords = stopwords();
    let mut out: Vec<u32> = words
        .iter()
        .filter(|word| {
            !stopwords.contains(&word.hash)
                && ranges
                    .iter()
                    .any(|&(s, e)| s <= word.start && word.end <= e)
        })
        .map(|word| word.hash as u32)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_sentences_split_at_stops_before_capitals() {
        let text = "U.S. officials met J. Smith on Monday. \"It went well,\" he said! Was it? yes.\n\nA new paragraph (with a note.) Then more";
        let sentences: Vec<&str> = fallback_sentences(text)
            .into_iter()
            .map(|span| chaff_record::offsets::slice(text, span).unwrap_or("?"))
            .collect();
        insta::assert_snapshot!(sentences.join("\n"), @r#"
        U.S. officials met J. Smith on Monday.
        "It went well," he said!
        Was it? yes.
        A new paragraph (with a note.)
        Then more
        "#);
    }
}

#[cfg(test)]
mod normalisation_tests {
    use proptest::prelude::*;

    use super::*;

    fn record(text: &str) -> Record {
        Record::new("t", text, chaff_record::Source::default())
    }

    /// The normalised words of `text`, as text.
    fn normalised(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut buffer = Vec::new();
        for (start, end) in words(text) {
            pieces(&text[start..end], |s, e| {
                normalise_word(&text[start + s..start + e], &mut buffer);
                out.push(String::from_utf8_lossy(&buffer).into_owned());
            });
        }
        out
    }

    #[test]
    fn punctuation_inside_a_word_splits_it_as_datatrove_does() {
        // datatrove lower-cases, rewrites numbers, turns punctuation into spaces and removes
        // diacritics; its word tokenizer then splits at the spaces. Here each digit is a `0`.
        let text = "Don't pay $3.5 million to U.S. firms in 1,000,000 ways: na\u{ef}ve cafe\u{301} 19th covid19 l\u{2019}homme x_y a\u{200D}b";
        assert_eq!(
            normalised(text),
            [
                "don", "t", "pay", "00", "million", "to", "u", "s", "firms", "in", "0000", "000",
                "ways", "naive", "cafe", "00th", "covid00", "l", "homme", "x", "y", "ab"
            ]
        );
    }

    /// The eight-byte reading of a word is the byte-by-byte one: every ASCII byte at every
    /// place among letters, and random chunks of any ASCII bytes.
    #[test]
    fn eight_bytes_at_once_read_as_one_at_a_time() {
        fn one_at_a_time(chunk: &[u8]) -> (Vec<u8>, usize, bool) {
            let run = chunk
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let forms = chunk[..run]
                .iter()
                .map(|b| {
                    if b.is_ascii_digit() {
                        b'0'
                    } else {
                        b.to_ascii_lowercase()
                    }
                })
                .collect();
            (forms, run, chunk[..run].iter().any(u8::is_ascii_digit))
        }
        let check = |chunk: &[u8]| {
            let (forms, run, digits) = eight_ascii_bytes(chunk);
            let (expected, expected_run, expected_digits) = one_at_a_time(chunk);
            assert_eq!(
                (&forms[..run], run, digits),
                (&expected[..], expected_run, expected_digits),
                "{chunk:?}"
            );
        };
        for byte in 0..0x80u8 {
            for at in 0..8 {
                let mut chunk = *b"aZ9mQ0zA";
                chunk[at] = byte;
                check(&chunk);
            }
        }
        let mut state = 3u64;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            // Mostly letters and digits, so that long runs come up.
            let chunk = state.to_le_bytes().map(|b| match b % 4 {
                0 => b'a' + b % 26,
                1 => b'A' + b % 26,
                2 => b'0' + b % 10,
                _ => b & 0x7F,
            });
            check(&chunk);
        }
    }

    #[test]
    fn british_endings_fold_in_each_piece() {
        assert_eq!(
            normalised("sympathisers organisation's"),
            ["sympathizers", "organization", "s"]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Words of characters of the table (and a few past it, which send the word to the
        /// general path) are normalised from the table exactly as the general path does it.
        #[test]
        fn the_table_agrees_with_the_general_path(
            word in "[\u{80}-\u{7ff}\u{3040}-\u{30ff}\u{4e00}-\u{4e80}\u{ac00}-\u{ac80}a-zA-Z0-9]{1,12}",
            tail in "[\u{300}-\u{36f}\u{1e00}-\u{1eff}\u{2160}\u{1d400}-\u{1d420}]{0,2}",
        ) {
            for word in [word.clone(), format!("{word}{tail}")] {
                let (mut fast, mut general) = (Vec::new(), Vec::new());
                normalise_word(&word, &mut fast);
                normalise_chars(&word, &mut general);
                fold_spelling(&mut general);
                prop_assert_eq!(&fast, &general, "normalised {:?}", word);
                exact_form(&word, &mut fast);
                exact_chars(&word, &mut general);
                prop_assert_eq!(&fast, &general, "exact {:?}", word);
            }
        }
    }

    #[test]
    fn every_character_of_the_table_agrees_with_the_general_path() {
        let (mut fast, mut general) = (Vec::new(), Vec::new());
        for code in 0x80..0x1_0000 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            // Each character alone, and between letters (a mark then follows a letter).
            for word in [c.to_string(), format!("\u{e9}{c}\u{e9}")] {
                normalise_word(&word, &mut fast);
                normalise_chars(&word, &mut general);
                fold_spelling(&mut general);
                assert_eq!(fast, general, "normalised {word:?}");
                exact_form(&word, &mut fast);
                exact_chars(&word, &mut general);
                assert_eq!(fast, general, "exact {word:?}");
            }
        }
    }

    /// The premise of the table: NFD reorders only characters of a non-zero combining class,
    /// and every one of them is a combining mark, which the normalised form drops.
    #[test]
    fn every_character_that_nfd_reorders_is_a_combining_mark() {
        for code in 0..=0x10_FFFF {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            if unicode_normalization::char::canonical_combining_class(c) != 0 {
                assert!(
                    unicode_normalization::char::is_combining_mark(c),
                    "U+{code:04X} has a combining class but is no combining mark"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        /// The ASCII fast paths give the same word hashes, exact hashes and ranges as the
        /// general path ([`pieces`], [`normalise_word`], [`exact_form`]) on every text.
        #[test]
        fn fast_paths_agree_with_the_general_path(
            text in "[a-zA-Z0-9_.,;:'\" \n()-]{0,40}([éß日Ω\u{301}\u{200D}’…][a-zA-Z0-9_.,;:' -]{0,8}){0,4}",
            long in "[a-z0-9.,']{49,60}",
            longer in "[a-zA-Z0-9]{49,60}",
        ) {
            let text = format!("{text} {long} 1.2.3 a1.5 1.2a3.4 1,2.3 x.1 1.x {longer}");
            let got = word_hashes(&record(&text));
            let mut expected = Vec::new();
            let mut normalised = Vec::new();
            let mut exact = Vec::new();
            for (start, end) in words(&text) {
                pieces(&text[start..end], |s, e| {
                    let piece = &text[start + s..start + e];
                    normalise_word(piece, &mut normalised);
                    exact_form(piece, &mut exact);
                    if !normalised.is_empty() {
                        expected.push((xxh3_64(&normalised), xxh3_64(&exact), start + s, start + e));
                    }
                });
            }
            let got: Vec<_> = got.iter().map(|w| (w.hash, w.exact, w.start, w.end)).collect();
            prop_assert_eq!(&got, &expected);
            // The same words given as segment's `words` spans (code points) take the other
            // path and must give the same.
            let mut with_spans = record(&text);
            let mut cursor = chaff_record::offsets::CharCursor::new(&text);
            let spans = words(&text)
                .into_iter()
                .map(|(s, e)| Span::new(cursor.char_offset(s), cursor.char_offset(e)))
                .collect();
            with_spans.spans.insert("words".into(), spans);
            let from_spans: Vec<_> = word_hashes(&with_spans)
                .iter()
                .map(|w| (w.hash, w.exact, w.start, w.end))
                .collect();
            prop_assert_eq!(from_spans, expected);
        }
    }
}

#[cfg(test)]
mod ascii_word_tests {
    use proptest::prelude::*;
    use unicode_segmentation::UnicodeSegmentation as _;

    use super::{ascii_words, words};

    fn uax29(text: &str) -> Vec<(usize, usize)> {
        text.unicode_word_indices()
            .map(|(start, word)| (start, start + word.len()))
            .collect()
    }

    #[test]
    fn cases_that_join_and_cases_that_break() {
        for text in [
            "U.S. can't 3.5 1,000,000 e.g. a:b x_y __ _a a_ a.1 1.a 1;2 a;b a,b a'",
            "end. Next 12:30 p.m. (foo) [bar] 'quoted' \"x\" -- a--b",
            "",
            "_",
            "..",
            "a",
        ] {
            assert_eq!(ascii_words(text), uax29(text), "{text:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// On any ASCII text the fast path draws exactly the words UAX #29 draws.
        #[test]
        fn ascii_words_are_uax29_words(text in "[a-zA-Z0-9_.,;:'\" \n\t\r()!?@#/-]{0,60}") {
            prop_assert_eq!(ascii_words(&text), uax29(&text));
        }

        /// On text mixing ASCII with letters, marks, joiners, spaces, emoji and flags of
        /// other scripts, the cut-up drawing gives exactly the words UAX #29 gives.
        #[test]
        fn mixed_words_are_uax29_words(
            text in "[a-zA-Z0-9_.,;:'\" \n\t\r()!?-]{0,12}([éß日本語Ωж\u{301}\u{200D}\u{200B}\u{A0}\u{2009}\u{3000}’“”…—·\u{1F600}\u{1F1E6}\u{1F1E8}\u{5D0}\u{5F3}\u{FE0F}][a-zA-Z0-9_.,;:'\" \n\t\r()!?-]{0,8}){0,8}"
        ) {
            prop_assert_eq!(words(&text), uax29(&text));
        }
    }
}
