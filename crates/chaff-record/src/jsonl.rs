//! The JSON-lines codec: a streaming reader that names the file and line of every bad line,
//! and a writer.

use std::io::{BufRead, Write};

use serde::Serialize;

use crate::{Error, Record, SCHEMA_VERSION};

/// What the reader does after a malformed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Yield the error, then end the stream.
    #[default]
    Stop,
    /// Yield the error and go on with the next line; [`RecordReader::n_errors`] counts them.
    Skip,
}

/// Limits and policy of a [`RecordReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// What to do after a bad line.
    pub on_error: OnError,
    /// Longest line accepted, in bytes. A longer line is reported as
    /// [`Error::LineTooLong`] and skipped without being held in memory.
    pub max_line_bytes: usize,
}

/// Default for [`ReadOptions::max_line_bytes`]: 256 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 256 << 20;

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            on_error: OnError::Stop,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Reads raw lines with a length cap, so one huge line cannot take all memory.
///
/// Shared by the record reader and by ingest's JSON-lines decoder.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    max_line_bytes: usize,
    line_number: u64,
    byte_offset: u64,
}

/// One line as read by [`LineReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line within the cap, without its line ending (`\n` or `\r\n`).
    Text {
        /// 1-based line number.
        number: u64,
        /// Byte offset of the line's first byte.
        offset: u64,
    },
    /// A line over the cap; its bytes were consumed and dropped.
    TooLong {
        /// 1-based line number.
        number: u64,
        /// Byte offset of the line's first byte.
        offset: u64,
        /// The line's full length in bytes.
        len: u64,
    },
}

impl<R: BufRead> LineReader<R> {
    /// A reader over `inner` that refuses lines longer than `max_line_bytes`.
    pub fn new(inner: R, max_line_bytes: usize) -> LineReader<R> {
        LineReader {
            inner,
            max_line_bytes,
            line_number: 0,
            byte_offset: 0,
        }
    }

    /// Reads the next line into `buf` (cleared first). `Ok(None)` at the end of input.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<Line>> {
        buf.clear();
        let offset = self.byte_offset;
        let mut len: u64 = 0;
        let mut too_long = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if available.is_empty() {
                if len == 0 {
                    return Ok(None);
                }
                break;
            }
            let (chunk, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..=i], true),
                None => (available, false),
            };
            let n = chunk.len();
            len += n as u64;
            if !too_long {
                if buf.len() + n > self.max_line_bytes.saturating_add(2) {
                    too_long = true;
                    buf.clear();
                    buf.shrink_to(1 << 16);
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            self.inner.consume(n);
            if done {
                break;
            }
        }
        self.line_number += 1;
        self.byte_offset += len;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        if too_long || buf.len() > self.max_line_bytes {
            buf.clear();
            return Ok(Some(Line::TooLong {
                number: self.line_number,
                offset,
                len,
            }));
        }
        Ok(Some(Line::Text {
            number: self.line_number,
            offset,
        }))
    }
}

/// Streams [`Record`]s from JSON lines, one line in memory at a time.
///
/// Blank lines are passed over. Every bad line yields an error naming the file and line.
///
/// ```
/// use chaff_record::{RecordReader, ReadOptions};
/// let input = br#"{"id":"a","text":"Hi.","source":{"path":"a.txt"},"schema_version":1}"#;
/// let records: Vec<_> = RecordReader::new(&input[..], "example.jsonl", ReadOptions::default())
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(records[0].text, "Hi.");
/// ```
#[derive(Debug)]
pub struct RecordReader<R> {
    lines: LineReader<R>,
    name: String,
    on_error: OnError,
    buf: Vec<u8>,
    n_errors: u64,
    done: bool,
}

impl<R: BufRead> RecordReader<R> {
    /// A reader over `inner`; `name` (usually the path) is used in error messages.
    pub fn new(inner: R, name: impl Into<String>, options: ReadOptions) -> RecordReader<R> {
        RecordReader {
            lines: LineReader::new(inner, options.max_line_bytes),
            name: name.into(),
            on_error: options.on_error,
            buf: Vec::new(),
            n_errors: 0,
            done: false,
        }
    }

    /// Number of bad lines seen so far.
    pub fn n_errors(&self) -> u64 {
        self.n_errors
    }

    fn read_one(&mut self) -> Option<Result<Record, Error>> {
        loop {
            let line = match self.lines.next_line(&mut self.buf) {
                Ok(None) => return None,
                Ok(Some(line)) => line,
                Err(source) => {
                    // An I/O error mid-stream leaves the position unknown: always stop.
                    self.done = true;
                    return Some(Err(Error::Io {
                        path: self.name.clone(),
                        source,
                    }));
                }
            };
            match line {
                Line::TooLong { number, len, .. } => {
                    return Some(Err(Error::LineTooLong {
                        path: self.name.clone(),
                        line: number,
                        len,
                        max: self.lines.max_line_bytes,
                    }));
                }
                Line::Text { number, .. } => {
                    if self.buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(parse_record(&self.buf, &self.name, number));
                }
            }
        }
    }
}

/// Parses one JSON line into a record, checking the schema version and that its spans lie
/// inside its text.
pub fn parse_record(line: &[u8], path: &str, line_number: u64) -> Result<Record, Error> {
    let record: Record = serde_json::from_slice(line).map_err(|source| Error::Json {
        path: path.to_owned(),
        line: line_number,
        source,
    })?;
    if record.schema_version == 0 {
        return Err(Error::NoSchema {
            path: path.to_owned(),
            line: line_number,
        });
    }
    if record.schema_version != SCHEMA_VERSION {
        return Err(Error::Schema {
            path: path.to_owned(),
            line: line_number,
            found: record.schema_version,
        });
    }
    record.check_spans().map_err(|detail| Error::Spans {
        path: path.to_owned(),
        line: line_number,
        detail,
    })?;
    Ok(record)
}

impl<R: BufRead> Iterator for RecordReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read_one();
        match &item {
            None => self.done = true,
            Some(Err(_)) => {
                self.n_errors += 1;
                if self.on_error == OnError::Stop {
                    self.done = true;
                }
            }
            Some(Ok(_)) => {}
        }
        item
    }
}

/// Writes values as JSON lines.
///
/// Generic over the value so the same writer serves records, quarantine entries and figures.
#[derive(Debug)]
pub struct JsonlWriter<W: Write> {
    inner: W,
    n_written: u64,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer over `inner`. Wrap files in a `BufWriter`.
    pub fn new(inner: W) -> JsonlWriter<W> {
        JsonlWriter {
            inner,
            n_written: 0,
        }
    }

    /// Writes one value on one line.
    pub fn write<T: Serialize>(&mut self, value: &T) -> Result<(), Error> {
        serde_json::to_writer(&mut self.inner, value).map_err(Error::Encode)?;
        self.inner
            .write_all(b"\n")
            .map_err(|source| Error::Write { source })?;
        self.n_written += 1;
        Ok(())
    }

    /// Number of lines written.
    pub fn n_written(&self) -> u64 {
        self.n_written
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> Result<W, Error> {
        self.inner
            .flush()
            .map_err(|source| Error::Write { source })?;
        Ok(self.inner)
    }
}

/// Encodes one record as a JSON line (with the trailing newline) into `out`: the same bytes
/// as `serde_json::to_writer`, written by a hand encoder that is several times faster on the
/// strings and spans that make up most of a record.
pub fn encode_record(record: &Record, out: &mut Vec<u8>) -> Result<(), Error> {
    crate::encode::record(record, out).map_err(Error::Encode)?;
    out.push(b'\n');
    Ok(())
}
