//! Bytes to text: compression, byte-order marks, encodings, binary sniffing, line endings.

use std::io::{BufRead, BufReader, Read};

use encoding_rs::Encoding;

use crate::{Compression, Format};

/// Why a file yields no document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// Short snake_case key for `Quarantined::kind`.
    pub kind: &'static str,
    /// A sentence for people.
    pub message: String,
}

impl Refusal {
    pub(crate) fn new(kind: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            message: message.into(),
        }
    }
}

/// Text decoded from bytes, with the facts worth keeping in metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodedText {
    pub text: String,
    /// The encoding the bytes were read as.
    pub encoding: &'static str,
    /// Invalid byte sequences replaced by U+FFFD.
    pub n_invalid: u64,
}

/// Opens `reader` through the decompressor its first bytes call for (gzip `1f 8b`, zstd
/// `28 b5 2f fd`); the magic bytes win over the file name.
pub(crate) fn decompress<'a>(
    reader: impl Read + Send + 'a,
    expected: Compression,
) -> std::io::Result<(Box<dyn BufRead + Send + 'a>, Compression)> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let head = reader.fill_buf()?;
    let found = if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    };
    if found == Compression::None && expected != Compression::None && !head.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the name says {expected:?} but the data has no {expected:?} header"),
        ));
    }
    Ok(match found {
        Compression::Gzip => (
            Box::new(BufReader::with_capacity(
                1 << 16,
                flate2::bufread::MultiGzDecoder::new(reader),
            )),
            found,
        ),
        Compression::Zstd => (
            Box::new(BufReader::with_capacity(
                1 << 16,
                zstd::Decoder::with_buffer(reader)?,
            )),
            found,
        ),
        Compression::None => (Box::new(reader), found),
    })
}

/// Decodes the bytes of a whole single-document file.
pub(crate) fn decode_document(bytes: &[u8], format: Format) -> Result<DecodedText, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::new("empty", "empty file"));
    }
    let decoded = if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        decode_with(encoding, &bytes[bom_len..])
    } else {
        if let Some(reason) = looks_binary(bytes) {
            return Err(Refusal::new("binary", reason));
        }
        let declared = match format {
            Format::Html => html_declared_encoding(bytes),
            _ => None,
        };
        match declared {
            Some(encoding) if encoding != encoding_rs::UTF_8 => decode_with(encoding, bytes),
            _ => match std::str::from_utf8(bytes) {
                Ok(text) => DecodedText {
                    text: text.to_owned(),
                    encoding: "UTF-8",
                    n_invalid: 0,
                },
                // A web page that declares nothing and is not UTF-8 is Windows-1252 by the
                // HTML standard's fallback; plain text is read as UTF-8 with the damage counted.
                Err(_) if format == Format::Html && declared.is_none() => {
                    decode_with(encoding_rs::WINDOWS_1252, bytes)
                }
                Err(_) => lossy_utf8(bytes),
            },
        }
    };
    if decoded.text.trim().is_empty() {
        return Err(Refusal::new("empty", "only white space"));
    }
    Ok(decoded)
}

fn decode_with(encoding: &'static Encoding, bytes: &[u8]) -> DecodedText {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    let n_invalid = if had_errors {
        text.chars()
            .filter(|&c| c == char::REPLACEMENT_CHARACTER)
            .count() as u64
    } else {
        0
    };
    DecodedText {
        text: text.into_owned(),
        encoding: encoding.name(),
        n_invalid,
    }
}

/// UTF-8 with every invalid sequence replaced by U+FFFD, and counted.
pub(crate) fn lossy_utf8(bytes: &[u8]) -> DecodedText {
    let mut text = String::with_capacity(bytes.len());
    let mut n_invalid = 0;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            text.push(char::REPLACEMENT_CHARACTER);
            n_invalid += 1;
        }
    }
    DecodedText {
        text,
        encoding: "UTF-8",
        n_invalid,
    }
}

/// A NUL byte, or more than one byte in ten a control character other than white space,
/// within the first 8 KiB, means a binary file. UTF-16 files without a BOM land here too; the
/// message says so.
fn looks_binary(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(8192)];
    if let Some(position) = memchr::memchr(0, head) {
        return Some(format!(
            "binary data: NUL byte at offset {position} (UTF-16 text needs a byte-order mark)"
        ));
    }
    let n_control = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        .count();
    if n_control * 10 > head.len() {
        return Some(format!(
            "binary data: {n_control} control bytes in the first {} bytes",
            head.len()
        ));
    }
    None
}

/// The encoding a page declares in its first 1024 bytes (`<meta charset=…>` or
/// `<meta http-equiv=… content="…; charset=…">`), as the HTML standard's prescan does.
fn html_declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let at = memchr::memmem::find(&lower, b"charset")?;
    let rest = &head[at + b"charset".len()..];
    let rest = rest.strip_prefix(b"=").or_else(|| {
        let trimmed = rest.trim_ascii_start();
        trimmed.strip_prefix(b"=")
    })?;
    let rest = rest.trim_ascii_start();
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'"' | b'\'' | b';' | b'>' | b'/') || b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let encoding = Encoding::for_label(&rest[..end])?;
    // A page cannot really be UTF-16 if its ASCII prescan just worked; the standard says UTF-8.
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        return Some(encoding_rs::UTF_8);
    }
    Some(encoding)
}

/// CRLF and lone CR to LF, and a leading U+FEFF removed: the only changes decoding makes.
pub(crate) fn normalise_newlines(text: String) -> String {
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}
