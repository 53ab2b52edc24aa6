//! Conversions between byte offsets (what Rust slices use) and code-point offsets (what
//! [`crate::Span`] stores, as Python and Dolma index).

use crate::Span;

/// Converts nondecreasing byte offsets of one text into code-point offsets in one pass.
///
/// Stages produce boundaries left to right, so a forward cursor makes the whole conversion
/// linear in the text's length.
#[derive(Debug, Clone)]
pub struct CharCursor<'a> {
    text: &'a str,
    byte: usize,
    char: usize,
}

impl<'a> CharCursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> CharCursor<'a> {
        CharCursor {
            text,
            byte: 0,
            char: 0,
        }
    }

    /// The code-point offset of `byte`, which must lie on a character boundary.
    ///
    /// Offsets may go backwards; that costs a rescan from the start.
    pub fn char_offset(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if byte < self.byte {
            self.byte = 0;
            self.char = 0;
        }
        // std counts characters a machine word at a time; an offset off a boundary (a caller's
        // bug) falls back to counting the bytes that start a character.
        self.char += match self.text.get(self.byte..byte) {
            Some(between) => between.chars().count(),
            None => self.text.as_bytes()[self.byte..byte]
                .iter()
                .filter(|&&b| (b as i8) >= -0x40)
                .count(),
        };
        self.byte = byte;
        self.char
    }
}

/// Converts code-point offsets into byte offsets, for slicing.
#[derive(Debug, Clone)]
pub struct ByteCursor<'a> {
    text: &'a str,
    byte: usize,
    char: usize,
}

impl<'a> ByteCursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> ByteCursor<'a> {
        ByteCursor {
            text,
            byte: 0,
            char: 0,
        }
    }

    /// The byte offset of code point `char`, or `None` past the end of the text.
    pub fn byte_offset(&mut self, char: usize) -> Option<usize> {
        if char < self.char {
            self.byte = 0;
            self.char = 0;
        }
        let bytes = self.text.as_bytes();
        while self.char < char {
            // A run of ASCII moves a code point a byte, so it is crossed a block at a time.
            if char - self.char >= ASCII_BLOCK
                && bytes
                    .get(self.byte..self.byte + ASCII_BLOCK)
                    .is_some_and(<[u8]>::is_ascii)
            {
                self.byte += ASCII_BLOCK;
                self.char += ASCII_BLOCK;
                continue;
            }
            if self.byte >= bytes.len() {
                return None;
            }
            self.byte += utf8_width(bytes[self.byte]);
            self.char += 1;
        }
        Some(self.byte)
    }
}

/// Bytes [`ByteCursor`] tests for ASCII at once.
const ASCII_BLOCK: usize = 16;

fn utf8_width(first_byte: u8) -> usize {
    match first_byte {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// Number of code points in `text`.
pub fn char_len(text: &str) -> usize {
    CharCursor::new(text).char_offset(text.len())
}

/// The text a code-point span covers, or `None` when the span is out of bounds or reversed.
pub fn slice(text: &str, span: Span) -> Option<&str> {
    let mut cursor = ByteCursor::new(text);
    let start = cursor.byte_offset(span.start)?;
    let end = cursor.byte_offset(span.end)?;
    text.get(start..end)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The byte offset of code point `char` by the definition, `None` past the end.
    fn by_definition(text: &str, char: usize) -> Option<usize> {
        text.char_indices()
            .map(|(byte, _)| byte)
            .chain(std::iter::once(text.len()))
            .nth(char)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Long ASCII runs, short ones and wide characters, offsets forwards and backwards:
        /// the cursor gives what the definition gives, and the char cursor inverts it.
        #[test]
        fn the_byte_cursor_follows_the_definition(
            text in "([a-z .]{0,40}[é日😀]{0,3}){0,6}",
            offsets in proptest::collection::vec(0usize..260, 0..12),
        ) {
            let mut cursor = ByteCursor::new(&text);
            let mut back = CharCursor::new(&text);
            for char in offsets {
                let byte = cursor.byte_offset(char);
                prop_assert_eq!(byte, by_definition(&text, char));
                if let Some(byte) = byte {
                    prop_assert_eq!(back.char_offset(byte), char);
                }
            }
        }
    }
}
