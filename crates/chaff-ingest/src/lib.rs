//! The chaff ingest stage: files, directories and streams in, records out.
//!
//! # Brief overview
//!
//! [`discover`] expands paths into a sorted list of [`Input`]s; [`ingest`] reads them and hands
//! [`Item`]s to a callback in batches, in input order, decoding many files in parallel with
//! rayon. Every input ends up as records or as [`Quarantined`] entries that name the file (and
//! line) and say what was wrong: nothing is skipped silently, and no input stops the others.
//!
//! Formats, chosen by file name: plain text (anything not named otherwise), HTML
//! (`.html`/`.htm`: visible text, one block a line, `<title>` into `metadata.title`), JSON
//! lines (`.jsonl`/`.ndjson`/`.json`, with configurable text and id field names). Any of them
//! may be gzip or zstd compressed; the magic bytes decide. Decoding changes only what it must:
//! a byte-order mark is removed (UTF-16 with a BOM is decoded), CRLF and CR become LF, invalid
//! UTF-8 is replaced with U+FFFD and counted in `metadata.invalid_utf8` (and an escaped half of a
//! surrogate pair in a JSON line in `metadata.lone_surrogates`). Empty, white-space-only
//! and binary files are quarantined with the reason.
//!
//! Ids are derived from the input's name (its path relative to the directory given, that
//! directory's name first) and, inside a JSON-lines file, the line number: `seeds/a.txt`,
//! `dump/part-0.jsonl:17`. A JSON line's own id is kept as `metadata.source_id`.
//!
//! # Example
//!
//! ```
//! use chaff_ingest::{Config, Item, ingest_reader};
//! use chaff_record::JsonlWriter;
//!
//! let input = "{\"text\": \"Hello.\"}\n{\"text\": 3}\n";
//! let mut out = JsonlWriter::new(Vec::new());
//! let mut n_quarantined = 0;
//! ingest_reader(&Config::default(), input.as_bytes(), "stdin", None, 1024, |items| {
//!     for item in items {
//!         match item {
//!             Item::Record(record) => out.write(&record)?,
//!             Item::Quarantined(_) => n_quarantined += 1,
//!         }
//!     }
//!     Ok::<(), chaff_record::Error>(())
//! })
//! .unwrap();
//! assert_eq!(n_quarantined, 1);
//! assert!(String::from_utf8(out.finish().unwrap()).unwrap().contains("\"id\":\"stdin:1\""));
//! ```

mod decode;
mod discover;
mod html;
mod jsonl;

use std::io::Read;

use chaff_record::{Quarantined, Record, Source};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use discover::{Input, detect, discover};

/// Configuration of ingest; every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The field of a JSON line that holds the text. Default `"text"` (Dolma, datatrove).
    pub text_field: String,
    /// The field of a JSON line that holds its own id, kept as `metadata.source_id`.
    /// Default `"id"`.
    pub id_field: String,
    /// Largest single-document file (text or HTML, after decompression), and largest JSON file
    /// read whole (an array, or objects spread over lines), in bytes; a larger one is
    /// quarantined as `too_large`, never truncated. Default 64 MiB.
    pub max_doc_bytes: u64,
    /// Longest JSON line, in bytes; a longer one is quarantined as `line_too_long`.
    /// Default 64 MiB.
    pub max_line_bytes: usize,
    /// JSON-lines files larger than this on disk are streamed a batch of lines at a time;
    /// smaller ones are read whole, in parallel with other files. Default 4 MiB.
    pub stream_above_bytes: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            text_field: "text".to_owned(),
            id_field: "id".to_owned(),
            max_doc_bytes: 64 << 20,
            max_line_bytes: 64 << 20,
            stream_above_bytes: 4 << 20,
        }
    }
}

/// The format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One document: the file's text.
    Text,
    /// One document: the page's visible text.
    Html,
    /// One document a line: a JSON object with a text field.
    Jsonl,
}

/// The compression of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// None.
    None,
    /// gzip (multi-member streams too).
    Gzip,
    /// Zstandard.
    Zstd,
}

/// What ingest yields: a document, or an input (or line) that is not one.
#[derive(Debug, Clone, PartialEq)]
// Nearly every item is a record; boxing it would cost an allocation per document.
#[allow(clippy::large_enum_variant)]
pub enum Item {
    /// A document.
    Record(Record),
    /// An input or line that could not be read as a document, with the reason.
    Quarantined(Quarantined),
}

/// What can stop ingest before it reads anything.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A path given does not exist or cannot be read at all.
    #[error("{path}: no such file or directory")]
    Missing {
        /// The path as given.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn quarantine(name: &str, line: Option<u64>, kind: &str, error: String) -> Item {
    Item::Quarantined(Quarantined {
        source: Source {
            path: name.to_owned(),
            line,
            offset: None,
        },
        stage: "ingest".to_owned(),
        kind: kind.to_owned(),
        error,
    })
}

/// Reads `inputs` in order and hands their items to `on_batch`, about `batch_size` documents
/// at a time. Single-document files and small JSON-lines files are decoded in parallel; large
/// JSON-lines files are streamed, their lines parsed in parallel a batch at a time, so memory
/// is bounded by the batch, not by a file. The order of items is the order of inputs, then of
/// lines, at any thread count.
///
/// Ingest itself never fails: every problem becomes a quarantined item. The only errors are
/// the callback's own, which stop the run.
pub fn ingest<E>(
    config: &Config,
    inputs: &[Input],
    batch_size: usize,
    mut on_batch: impl FnMut(Vec<Item>) -> Result<(), E>,
) -> Result<(), E> {
    let batch_size = batch_size.max(1);
    // Files are grouped until the group holds about a batch of documents or 64 MiB.
    let group_bytes: u64 = 64 << 20;
    let mut group: Vec<&Input> = Vec::new();
    let mut bytes_in_group = 0u64;
    for input in inputs {
        let size = std::fs::metadata(&input.path).map_or(0, |m| m.len());
        let streams = input.problem.is_none()
            && input.format == Format::Jsonl
            && (size > config.stream_above_bytes
                || (input.compression != Compression::None
                    && size > config.stream_above_bytes / 8));
        if streams {
            flush(config, &mut group, &mut on_batch)?;
            bytes_in_group = 0;
            jsonl::stream_file(config, input, batch_size, &mut on_batch)?;
            continue;
        }
        group.push(input);
        bytes_in_group += size;
        if group.len() >= batch_size || bytes_in_group >= group_bytes {
            flush(config, &mut group, &mut on_batch)?;
            bytes_in_group = 0;
        }
    }
    flush(config, &mut group, &mut on_batch)
}

fn flush<E>(
    config: &Config,
    group: &mut Vec<&Input>,
    on_batch: &mut impl FnMut(Vec<Item>) -> Result<(), E>,
) -> Result<(), E> {
    if group.is_empty() {
        return Ok(());
    }
    let items: Vec<Vec<Item>> = group
        .par_iter()
        .map(|input| read_whole_input(config, input))
        .collect();
    group.clear();
    on_batch(items.into_iter().flatten().collect())
}

/// Reads one input whole: a single document, or every line of a small JSON-lines file.
fn read_whole_input(config: &Config, input: &Input) -> Vec<Item> {
    if let Some(problem) = &input.problem {
        return vec![quarantine(&input.name, None, "unreadable", problem.clone())];
    }
    let file = match std::fs::File::open(&input.path) {
        Ok(file) => file,
        Err(err) => {
            return vec![quarantine(
                &input.name,
                None,
                "io",
                format!("cannot open: {err}"),
            )];
        }
    };
    if input.format == Format::Jsonl {
        let mut items = Vec::new();
        // A callback that cannot fail; the Result only satisfies the shared signature.
        let _ = jsonl::stream_reader(
            config,
            file,
            &input.name,
            input.compression,
            usize::MAX,
            &mut |batch: Vec<Item>| -> Result<(), std::convert::Infallible> {
                items.extend(batch);
                Ok(())
            },
        );
        return items;
    }
    vec![read_document(
        config,
        file,
        &input.name,
        input.format,
        input.compression,
    )]
}

/// Reads a single-document stream (text or HTML), capped at `max_doc_bytes`.
fn read_document(
    config: &Config,
    reader: impl Read + Send,
    name: &str,
    format: Format,
    compression: Compression,
) -> Item {
    let (reader, found) = match decode::decompress(reader, compression) {
        Ok(opened) => opened,
        Err(err) if err.kind() == std::io::ErrorKind::InvalidData => {
            return quarantine(
                name,
                None,
                "decompress",
                format!("cannot decompress: {err}"),
            );
        }
        Err(err) => return quarantine(name, None, "io", format!("cannot read: {err}")),
    };
    let mut bytes = Vec::new();
    if let Err(err) = reader
        .take(config.max_doc_bytes + 1)
        .read_to_end(&mut bytes)
    {
        let kind = if found == Compression::None {
            "io"
        } else {
            "decompress"
        };
        return quarantine(
            name,
            None,
            kind,
            format!("read failed after {} bytes: {err}", bytes.len()),
        );
    }
    if bytes.len() as u64 > config.max_doc_bytes {
        return quarantine(
            name,
            None,
            "too_large",
            format!(
                "document larger than max_doc_bytes ({} bytes); not truncated, not ingested",
                config.max_doc_bytes
            ),
        );
    }
    let n_bytes = bytes.len();
    let decoded = match decode::decode_document(&bytes, format) {
        Ok(decoded) => decoded,
        Err(refusal) => return quarantine(name, None, refusal.kind, refusal.message),
    };
    drop(bytes);
    let mut record = Record::new(
        name,
        "",
        Source {
            path: name.to_owned(),
            line: None,
            offset: None,
        },
    );
    let text = decode::normalise_newlines(decoded.text);
    let text = if format == Format::Html {
        let page = html::page_text(&text);
        if let Some(title) = page.title {
            record.metadata.insert("title".into(), title.into());
        }
        if let Some(language) = page.language {
            record.metadata.insert("language".into(), language.into());
        }
        if let Some(url) = page.url {
            record.metadata.insert("url".into(), url.into());
        }
        // Always present for a page (empty when it has no links): clean then knows it may
        // weigh link density.
        record.spans.insert(
            "links".to_owned(),
            page.links
                .iter()
                .map(|&(start, end)| chaff_record::Span::new(start, end))
                .collect(),
        );
        if !page.preformatted.is_empty() {
            record.spans.insert(
                "preformatted".to_owned(),
                page.preformatted
                    .iter()
                    .map(|&(start, end)| chaff_record::Span::new(start, end))
                    .collect(),
            );
        }
        if page.text.trim().is_empty() {
            return quarantine(
                name,
                None,
                "empty",
                "the page has no visible text".to_owned(),
            );
        }
        page.text
    } else {
        text
    };
    record.text = text;
    let format_name = match format {
        Format::Text => "text",
        Format::Html => "html",
        Format::Jsonl => "jsonl",
    };
    record.metadata.insert("format".into(), format_name.into());
    record.metadata.insert("bytes".into(), n_bytes.into());
    if decoded.encoding != "UTF-8" {
        record
            .metadata
            .insert("encoding".into(), decoded.encoding.into());
    }
    if decoded.n_invalid > 0 {
        record
            .metadata
            .insert("invalid_utf8".into(), decoded.n_invalid.into());
    }
    Item::Record(record)
}

/// Whether standard input holds JSON: its first byte other than white space (after a
/// byte-order mark) opens an object, or an array whose first item is an object.
fn looks_like_json(head: &[u8]) -> bool {
    let head = head
        .strip_prefix(jsonl::BOM)
        .unwrap_or(head)
        .trim_ascii_start();
    match head.split_first() {
        Some((b'{', _)) => true,
        Some((b'[', rest)) => rest.trim_ascii_start().starts_with(b"{"),
        _ => false,
    }
}

/// Reads one stream (standard input, a socket), named `name` in ids and errors. With no
/// `format`, a stream whose first non-blank byte is `{` (or `[` and then `{`) is JSON, anything
/// else one text document.
pub fn ingest_reader<E>(
    config: &Config,
    reader: impl Read + Send,
    name: &str,
    format: Option<Format>,
    batch_size: usize,
    mut on_batch: impl FnMut(Vec<Item>) -> Result<(), E>,
) -> Result<(), E> {
    let (mut reader, _) = match decode::decompress(reader, Compression::None) {
        Ok(opened) => opened,
        Err(err) => {
            return on_batch(vec![quarantine(
                name,
                None,
                "decompress",
                format!("cannot decompress: {err}"),
            )]);
        }
    };
    let format = match format {
        Some(format) => format,
        None => match reader.fill_buf() {
            Ok(head) if looks_like_json(head) => Format::Jsonl,
            Ok(head) if looks_like_html(head) => Format::Html,
            _ => Format::Text,
        },
    };
    if format == Format::Jsonl {
        return jsonl::stream_reader(
            config,
            reader,
            name,
            Compression::None,
            batch_size,
            &mut on_batch,
        );
    }
    on_batch(vec![read_document(
        config,
        reader,
        name,
        format,
        Compression::None,
    )])
}

fn looks_like_html(head: &[u8]) -> bool {
    let start: Vec<u8> = head
        .trim_ascii_start()
        .iter()
        .take(64)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}
