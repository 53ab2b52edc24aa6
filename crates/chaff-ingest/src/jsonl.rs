//! JSON lines: streamed a batch of lines at a time, parsed in parallel.

use std::io::Read;

use chaff_record::{Line, LineReader, Record, Source};
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::{Compression, Config, Input, Item, decode, quarantine};

/// Lines are handed to the parser in groups of at most this many bytes, whatever the count.
const GROUP_BYTES: usize = 64 << 20;

/// Deepest nesting of arrays and objects a line may have, its own object counted. serde_json
/// reads at most 128 levels; a record puts the line's fields one level deeper (under
/// `metadata`), and a line nested deeper than this would make a record no stage can read
/// back.
pub(crate) const MAX_LINE_DEPTH: usize = 126;

/// Streams one JSON-lines file.
pub(crate) fn stream_file<E>(
    config: &Config,
    input: &Input,
    batch_size: usize,
    on_batch: &mut impl FnMut(Vec<Item>) -> Result<(), E>,
) -> Result<(), E> {
    match std::fs::File::open(&input.path) {
        Ok(file) => stream_reader(
            config,
            file,
            &input.name,
            input.compression,
            batch_size,
            on_batch,
        ),
        Err(err) => on_batch(vec![quarantine(
            &input.name,
            None,
            "io",
            format!("cannot open: {err}"),
        )]),
    }
}

struct RawLine {
    number: u64,
    /// Which value on its line this is, from 0: always 0 in JSON lines; in a JSON file read
    /// whole, a second object on one line gets 1 (and the id `NAME:LINE.2`).
    nth: u32,
    offset: Option<u64>,
    bytes: Vec<u8>,
}

/// Streams JSON lines from `reader`, parsing each group of lines in parallel. A read or
/// decompression error ends the file with a quarantine entry naming the line it stopped at;
/// the lines before it are kept.
pub(crate) fn stream_reader<E>(
    config: &Config,
    reader: impl Read + Send,
    name: &str,
    compression: Compression,
    batch_size: usize,
    on_batch: &mut impl FnMut(Vec<Item>) -> Result<(), E>,
) -> Result<(), E> {
    let (reader, found) = match decode::decompress(reader, compression) {
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
    let mut reader = reader;
    match layout(&mut reader) {
        Ok(Layout::Lines) => stream_lines(config, reader, name, found, batch_size, on_batch),
        Ok(layout) => match read_whole_json(config, reader, name, found, layout) {
            Whole::Items(items) => on_batch(items),
            // An array followed by more lines: JSON lines whose first line is an array.
            Whole::Lines(bytes) => stream_lines(
                config,
                std::io::Cursor::new(bytes),
                name,
                found,
                batch_size,
                on_batch,
            ),
        },
        Err(err) => on_batch(vec![quarantine(
            name,
            Some(1),
            read_error_kind(found),
            format!("read failed at the start: {err}"),
        )]),
    }
}

/// The JSON-lines loop of [`stream_reader`], on the decompressed stream.
fn stream_lines<E>(
    config: &Config,
    reader: impl std::io::BufRead,
    name: &str,
    found: Compression,
    batch_size: usize,
    on_batch: &mut impl FnMut(Vec<Item>) -> Result<(), E>,
) -> Result<(), E> {
    let mut lines = LineReader::new(reader, config.max_line_bytes);
    let mut group: Vec<RawLine> = Vec::new();
    let mut group_bytes = 0usize;
    let mut buf = Vec::new();
    let mut n_lines = 0u64;
    let mut n_items = 0u64;
    loop {
        let (stop, trailing) = match lines.next_line(&mut buf) {
            Ok(None) => (true, None),
            Ok(Some(Line::Text { number, offset })) => {
                n_lines = number;
                if number == 1 && buf.starts_with(BOM) {
                    buf.drain(..BOM.len());
                }
                if !buf.iter().all(u8::is_ascii_whitespace) {
                    group_bytes += buf.len();
                    group.push(RawLine {
                        number,
                        nth: 0,
                        offset: (found == Compression::None).then_some(offset),
                        bytes: std::mem::take(&mut buf),
                    });
                }
                if group.len() < batch_size && group_bytes < GROUP_BYTES {
                    continue;
                }
                (false, None)
            }
            Ok(Some(Line::TooLong { number, len, .. })) => {
                n_lines = number;
                let message = format!(
                    "line of {len} bytes exceeds max_line_bytes ({})",
                    config.max_line_bytes
                );
                (
                    false,
                    Some(quarantine(name, Some(number), "line_too_long", message)),
                )
            }
            Err(err) => {
                let kind = read_error_kind(found);
                let message = format!(
                    "read failed after line {n_lines}: {err}; the lines before it were kept"
                );
                (
                    true,
                    Some(quarantine(name, Some(n_lines + 1), kind, message)),
                )
            }
        };
        let mut items: Vec<Item> = group
            .par_drain(..)
            .map(|line| parse_line(config, name, &line))
            .collect();
        group_bytes = 0;
        items.extend(trailing);
        if stop && n_items == 0 && items.is_empty() {
            let message = if n_lines == 0 {
                "empty file"
            } else {
                "only blank lines"
            };
            items.push(quarantine(name, None, "empty", message.to_owned()));
        }
        n_items += items.len() as u64;
        if !items.is_empty() {
            on_batch(items)?;
        }
        if stop {
            return Ok(());
        }
    }
}

/// The UTF-8 byte-order mark, removed from the start of a file.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The quarantine kind of a failed read: `decompress` when the stream was compressed (the
/// damage is most likely there), else `io`.
fn read_error_kind(found: Compression) -> &'static str {
    if found == Compression::None {
        "io"
    } else {
        "decompress"
    }
}

/// How a JSON file lays out its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One object a line (JSON lines): streamed.
    Lines,
    /// One array of objects (`[{…}, {…}]`, on one line or many): read whole.
    Array,
    /// Objects spread over several lines each (pretty-printed), one after another: read whole.
    Spread,
}

/// Tells the layout from the start of the stream, without consuming it: an array when the
/// first byte other than white space (and a byte-order mark) is `[`; objects spread over lines
/// when the first line that is not blank is a lone `{`; else JSON lines (whose bad lines are
/// then quarantined one by one).
fn layout(reader: &mut impl std::io::BufRead) -> std::io::Result<Layout> {
    let head = reader.fill_buf()?;
    let head = head.strip_prefix(BOM).unwrap_or(head);
    let start = head.trim_ascii_start();
    match start.first() {
        Some(b'[') => Ok(Layout::Array),
        // Pretty-printers (serde_json, Python's `json.dumps(indent=…)`, jq) put the opening
        // brace alone on the first line; a JSON line cut short stays a line of its own.
        Some(b'{') if start[1..].starts_with(b"\n") || start[1..].starts_with(b"\r\n") => {
            Ok(Layout::Spread)
        }
        _ => Ok(Layout::Lines),
    }
}

/// Reads a JSON file laid out as an array or as objects spread over lines whole (at most
/// `max_doc_bytes`), and turns each object into a record as a JSON line would be, numbered by
/// the line it starts on. A syntax error ends the file with a quarantine entry naming its line
/// and column; the objects before it are kept. A complete array followed by more is given back
/// as [`Whole::Lines`].
fn read_whole_json(
    config: &Config,
    reader: impl Read,
    name: &str,
    found: Compression,
    layout: Layout,
) -> Whole {
    let mut bytes = Vec::new();
    if let Err(err) = reader
        .take(config.max_doc_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        let kind = read_error_kind(found);
        return Whole::Items(vec![quarantine(
            name,
            None,
            kind,
            format!("read failed after {} bytes: {err}", bytes.len()),
        )]);
    }
    if bytes.len() as u64 > config.max_doc_bytes {
        return Whole::Items(vec![quarantine(
            name,
            None,
            "too_large",
            format!(
                "a JSON file that is not one object a line is read whole, and this one is larger \
                 than max_doc_bytes ({}); write it as JSON lines",
                config.max_doc_bytes
            ),
        )]);
    }
    let body = bytes.strip_prefix(BOM).unwrap_or(&bytes);
    let mut values: Vec<&serde_json::value::RawValue> = Vec::new();
    let mut failure = None;
    match layout {
        Layout::Array => {
            let mut de = serde_json::Deserializer::from_slice(body);
            match serde::de::DeserializeSeed::deserialize(Items(&mut values), &mut de) {
                Ok(()) => {
                    if de.end().is_err() {
                        return Whole::Lines(bytes);
                    }
                }
                Err(err) => failure = Some(err),
            }
        }
        _ => {
            for value in serde_json::Deserializer::from_slice(body).into_iter() {
                match value {
                    Ok(value) => values.push(value),
                    Err(err) => {
                        failure = Some(err);
                        break;
                    }
                }
            }
        }
    }
    let base = body.as_ptr() as usize;
    let mut raw_lines = Vec::with_capacity(values.len());
    let (mut line, mut counted_to, mut last_line, mut nth) = (1u64, 0usize, 0u64, 0u32);
    for value in values {
        let at = (value.get().as_ptr() as usize)
            .saturating_sub(base)
            .min(body.len());
        line += memchr::memchr_iter(b'\n', &body[counted_to..at]).count() as u64;
        counted_to = at;
        nth = if line == last_line { nth + 1 } else { 0 };
        last_line = line;
        raw_lines.push(RawLine {
            number: line,
            nth,
            offset: (found == Compression::None)
                .then_some((at + (bytes.len() - body.len())) as u64),
            bytes: value.get().as_bytes().to_vec(),
        });
    }
    let mut items: Vec<Item> = raw_lines
        .par_iter()
        .map(|line| match parse_line(config, name, line) {
            Item::Record(mut record) => {
                record.metadata.insert("format".into(), "json".into());
                Item::Record(record)
            }
            other => other,
        })
        .collect();
    if let Some(err) = failure {
        let message = format!(
            "not valid JSON from line {} on; the objects before it were kept, nothing after it \
             was read: {err}",
            err.line()
        );
        items.push(quarantine(
            name,
            Some(err.line() as u64),
            "malformed_json",
            message,
        ));
    } else if items.is_empty() {
        items.push(quarantine(
            name,
            None,
            "empty",
            "a JSON array with no objects".to_owned(),
        ));
    }
    Whole::Items(items)
}

/// What [`read_whole_json`] made of a file.
enum Whole {
    /// Its records and quarantine entries.
    Items(Vec<Item>),
    /// A complete array followed by more: JSON lines after all, to be read line by line.
    Lines(Vec<u8>),
}

/// Collects the items of a JSON array into the vector it holds as they are read, so that the
/// items before a syntax error are kept.
struct Items<'v, 'de>(&'v mut Vec<&'de serde_json::value::RawValue>);

impl<'de> serde::de::DeserializeSeed<'de> for Items<'_, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Items<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element()? {
            self.0.push(item);
        }
        Ok(())
    }
}

/// One JSON line to a record, or to a quarantine entry naming the line.
fn parse_line(config: &Config, name: &str, line: &RawLine) -> Item {
    // Valid UTF-8 (nearly every line) is parsed where it lies; a line with invalid bytes is
    // repaired into a copy first, and the repairs counted.
    let repaired;
    let (text, n_invalid) = match std::str::from_utf8(&line.bytes) {
        Ok(text) => (text, 0),
        Err(_) => {
            repaired = decode::lossy_utf8(&line.bytes);
            (repaired.text.as_str(), repaired.n_invalid)
        }
    };
    // A `\uD800`-style escape of half a surrogate pair (what Python's `json.dumps` writes for
    // a string cut inside a pair) is not JSON that serde_json accepts: such escapes are made
    // U+FFFD and counted, on the error path only.
    let mut parsed = serde_json::from_str(text);
    let mut n_lone_surrogates = 0;
    if parsed.is_err()
        && let Some((patched, n)) = repair_lone_surrogates(text)
    {
        parsed = serde_json::from_str(&patched);
        n_lone_surrogates = n;
    }
    let mut object: Map<String, Value> = match parsed {
        Ok(Value::Object(object)) => object,
        Ok(other) => {
            return quarantine(
                name,
                Some(line.number),
                "malformed_json",
                format!(
                    "line {} is JSON but not an object ({})",
                    line.number,
                    kind_of(&other)
                ),
            );
        }
        Err(err) => {
            return quarantine(
                name,
                Some(line.number),
                "malformed_json",
                format!("line {} is not valid JSON: {err}", line.number),
            );
        }
    };
    let depth = 1 + object.values().map(nesting_depth).max().unwrap_or(0);
    if depth > MAX_LINE_DEPTH {
        return quarantine(
            name,
            Some(line.number),
            "too_deep",
            format!(
                "line {} nests arrays and objects {depth} levels deep; a record holds at most {MAX_LINE_DEPTH}",
                line.number
            ),
        );
    }
    let text = match object.remove(&config.text_field) {
        Some(Value::String(text)) => text,
        Some(other) => {
            return quarantine(
                name,
                Some(line.number),
                "no_text",
                format!(
                    "field {:?} is {}, not a string",
                    config.text_field,
                    kind_of(&other)
                ),
            );
        }
        None => {
            return quarantine(
                name,
                Some(line.number),
                "no_text",
                format!(
                    "no field {:?} (set ingest.text_field for another name)",
                    config.text_field
                ),
            );
        }
    };
    let text = decode::normalise_newlines(text);
    if text.trim().is_empty() {
        return quarantine(
            name,
            Some(line.number),
            "empty",
            "the text is empty or white space".to_owned(),
        );
    }
    let id = if line.nth == 0 {
        format!("{name}:{}", line.number)
    } else {
        format!("{name}:{}.{}", line.number, line.nth + 1)
    };
    let source = Source {
        path: name.to_owned(),
        line: Some(line.number),
        offset: line.offset,
    };
    let mut record = Record::new(id, text, source);
    let mut metadata = Map::new();
    if let Some(source_id) = object.remove(&config.id_field) {
        metadata.insert("source_id".into(), source_id);
    }
    // The line's own metadata object is merged; every other field is kept under its name, so
    // nothing a Dolma or datatrove file carried is lost.
    if let Some(Value::Object(inner)) = object.remove("metadata") {
        for (key, value) in inner {
            metadata.entry(key).or_insert(value);
        }
    }
    for (key, value) in object {
        if metadata.contains_key(&key) {
            metadata.insert(format!("source_{key}"), value);
        } else {
            metadata.insert(key, value);
        }
    }
    metadata.insert("format".into(), "jsonl".into());
    if n_invalid > 0 {
        metadata.insert("invalid_utf8".into(), n_invalid.into());
    }
    if n_lone_surrogates > 0 {
        metadata.insert("lone_surrogates".into(), n_lone_surrogates.into());
    }
    record.metadata = metadata;
    Item::Record(record)
}

/// `line` with every `\uXXXX` escape of an unpaired surrogate (a high half not followed by a
/// `\u` escape of a low half, or a low half on its own) written as `\uFFFD`, and how many there
/// were; `None` when there are none. Escapes are read in order, so an escaped backslash (`\\`)
/// before a `u` is not taken for an escape.
fn repair_lone_surrogates(line: &str) -> Option<(String, u64)> {
    let bytes = line.as_bytes();
    let escape_at = |i: usize| -> Option<u16> {
        let hex = bytes.get(i..i + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' || !hex[2..].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let is_high = |unit: u16| (0xD800..0xDC00).contains(&unit);
    let is_low = |unit: u16| (0xDC00..0xE000).contains(&unit);
    let mut out: Option<String> = None;
    let mut n = 0;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = escape_at(i) else {
            // Any other escape is two bytes (`\\`, `\"`, `\n` …).
            i += 2;
            continue;
        };
        if is_high(unit) && escape_at(i + 6).is_some_and(is_low) {
            i += 12;
            continue;
        }
        if is_high(unit) || is_low(unit) {
            let patched = out.get_or_insert_with(|| String::with_capacity(line.len()));
            patched.push_str(&line[copied..i]);
            patched.push_str("\\uFFFD");
            copied = i + 6;
            n += 1;
        }
        i += 6;
    }
    let mut patched = out?;
    patched.push_str(&line[copied..]);
    Some((patched, n))
}

/// Levels of arrays and objects in `value` (0 for a scalar), without recursion.
fn nesting_depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(value, 0usize)];
    while let Some((value, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(fields) => Box::new(fields.values()),
            _ => continue,
        };
        deepest = deepest.max(depth + 1);
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    deepest
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
