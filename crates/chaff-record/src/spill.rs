//! A compact binary form of a record, for files a program writes and reads back itself (the
//! pipeline's spill between its two passes).
//!
//! Not an interchange format: the layout may change with any version, and nothing outside one
//! run should keep it. It exists because JSON encoding and decoding of large records (long
//! texts, spans, edit logs) was the largest cost of spilling; this form copies strings as
//! they are, writes numbers as LEB128 varints, and keeps JSON only for the free-form parts
//! (`metadata`, `dedup`, unknown fields), so a record reads back equal to what was written.
//!
//! A frame is the payload's length as 8 little-endian bytes, then the payload.
//!
//! ```
//! use chaff_record::spill::{decode, encode, FrameReader};
//! use chaff_record::{Record, Source};
//!
//! let record = Record::new("doc-1", "Hello.", Source::default());
//! let mut frames = Vec::new();
//! encode(&record, &mut frames).unwrap();
//! let mut reader = FrameReader::new(&frames[..]);
//! let mut payload = Vec::new();
//! assert!(reader.next_frame(&mut payload).unwrap());
//! assert_eq!(decode(&payload, 1).unwrap(), record);
//! assert!(!reader.next_frame(&mut payload).unwrap());
//! ```

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::{Map, Value};

use crate::{Dedup, Dropped, Edit, Error, Record, Source, Span};

/// Appends `record` as one frame to `out`.
pub fn encode(record: &Record, out: &mut Vec<u8>) -> Result<(), Error> {
    let frame_start = out.len();
    out.extend_from_slice(&[0; 8]);
    put_str(out, &record.id);
    put_str(out, &record.text);
    put_str(out, &record.source.path);
    put_opt_u64(out, record.source.line);
    put_opt_u64(out, record.source.offset);
    put_json_map(out, &record.metadata)?;
    put_len(out, record.spans.len());
    for (name, spans) in &record.spans {
        put_str(out, name);
        put_len(out, spans.len());
        for span in spans {
            put_span(out, *span);
        }
    }
    put_len(out, record.edits.len());
    for edit in &record.edits {
        put_str(out, &edit.stage);
        put_str(out, &edit.rule);
        put_span(out, edit.span);
        put_str(out, &edit.original);
        put_opt_str(out, edit.first_copy.as_deref());
    }
    match &record.dedup {
        None => out.push(0),
        Some(dedup) => {
            out.push(1);
            let json = serde_json::to_vec(dedup).map_err(Error::Encode)?;
            put_bytes(out, &json);
        }
    }
    match &record.dropped {
        None => out.push(0),
        Some(dropped) => {
            out.push(1);
            put_str(out, &dropped.stage);
            put_str(out, &dropped.reason);
            put_opt_str(out, dropped.detail.as_deref());
        }
    }
    put_u64(out, u64::from(record.schema_version));
    put_json_map(out, &record.extra)?;
    let len = (out.len() - frame_start - 8) as u64;
    out[frame_start..frame_start + 8].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// A stage name as read back: the pipeline's own stages borrowed, any other owned.
fn stage_name(name: String) -> std::borrow::Cow<'static, str> {
    match name.as_str() {
        "clean" => "clean".into(),
        "dedup" => "dedup".into(),
        _ => name.into(),
    }
}

/// Reads one record back from a frame's payload. `number` (the frame's 1-based place in its
/// file) names it in errors.
pub fn decode(payload: &[u8], number: u64) -> Result<Record, Error> {
    let mut input = Input {
        bytes: payload,
        number,
    };
    let id = input.string()?;
    let text = input.string()?;
    let source = Source {
        path: input.string()?,
        line: input.opt_u64()?,
        offset: input.opt_u64()?,
    };
    let metadata = input.json_map()?;
    let mut spans = BTreeMap::new();
    for _ in 0..input.len()? {
        let name = input.string()?;
        let n = input.len()?;
        let mut list = Vec::with_capacity(n.min(input.bytes.len()));
        for _ in 0..n {
            list.push(input.span()?);
        }
        spans.insert(name, list);
    }
    let n_edits = input.len()?;
    let mut edits = Vec::with_capacity(n_edits.min(input.bytes.len()));
    for _ in 0..n_edits {
        edits.push(Edit {
            stage: stage_name(input.string()?),
            rule: input.string()?.into(),
            span: input.span()?,
            original: input.string()?,
            first_copy: input.opt_string()?,
        });
    }
    let dedup: Option<Dedup> = match input.byte()? {
        0 => None,
        _ => Some(
            serde_json::from_slice(input.bytes()?)
                .map_err(|err| input.error(&format!("dedup: {err}")))?,
        ),
    };
    let dropped = match input.byte()? {
        0 => None,
        _ => Some(Dropped {
            stage: input.string()?,
            reason: input.string()?,
            detail: input.opt_string()?,
        }),
    };
    let schema_version =
        u32::try_from(input.u64()?).map_err(|_| input.error("schema_version out of range"))?;
    let extra = input.json_map()?;
    if !input.bytes.is_empty() {
        return Err(input.error("bytes left after the record"));
    }
    Ok(Record {
        id,
        text,
        source,
        metadata,
        spans,
        edits,
        dedup,
        dropped,
        schema_version,
        extra,
    })
}

/// Reads frames one at a time.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
}

impl<R: Read> FrameReader<R> {
    /// A reader over `inner` (buffer a file with a `BufReader`).
    pub fn new(inner: R) -> FrameReader<R> {
        FrameReader { inner }
    }

    /// Reads the next frame's payload into `payload` (cleared first): `Ok(false)` at the end of
    /// input, an error if the input ends inside a frame.
    pub fn next_frame(&mut self, payload: &mut Vec<u8>) -> std::io::Result<bool> {
        payload.clear();
        let mut header = [0u8; 8];
        let mut got = 0;
        while got < header.len() {
            match self.inner.read(&mut header[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => got += n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        let len = u64::from_le_bytes(header);
        (&mut self.inner).take(len).read_to_end(payload)?;
        if payload.len() as u64 != len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(true)
    }
}

fn put_u64(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    put_u64(out, len as u64);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_bytes(out, text.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => out.push(0),
        Some(text) => {
            out.push(1);
            put_str(out, text);
        }
    }
}

fn put_opt_u64(out: &mut Vec<u8>, value: Option<u64>) {
    match value {
        None => out.push(0),
        Some(value) => {
            out.push(1);
            put_u64(out, value);
        }
    }
}

fn put_span(out: &mut Vec<u8>, span: Span) {
    put_u64(out, span.start as u64);
    put_u64(out, span.end as u64);
}

/// An empty map as an empty byte string, any other as its JSON.
fn put_json_map(out: &mut Vec<u8>, map: &Map<String, Value>) -> Result<(), Error> {
    if map.is_empty() {
        put_len(out, 0);
    } else {
        let json = serde_json::to_vec(map).map_err(Error::Encode)?;
        put_bytes(out, &json);
    }
    Ok(())
}

/// The unread rest of a payload.
struct Input<'a> {
    bytes: &'a [u8],
    number: u64,
}

impl<'a> Input<'a> {
    fn error(&self, detail: &str) -> Error {
        Error::Spill {
            frame: self.number,
            detail: detail.to_owned(),
        }
    }

    fn byte(&mut self) -> Result<u8, Error> {
        let (&first, rest) = self
            .bytes
            .split_first()
            .ok_or_else(|| self.error("cut short"))?;
        self.bytes = rest;
        Ok(first)
    }

    fn u64(&mut self) -> Result<u64, Error> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.error("varint too long"))
    }

    fn len(&mut self) -> Result<usize, Error> {
        usize::try_from(self.u64()?).map_err(|_| self.error("length out of range"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let len = self.len()?;
        if len > self.bytes.len() {
            return Err(self.error("cut short"));
        }
        let (bytes, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(bytes)
    }

    fn string(&mut self) -> Result<String, Error> {
        let bytes = self.bytes()?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| self.error("string is not UTF-8"))
    }

    fn opt_string(&mut self) -> Result<Option<String>, Error> {
        match self.byte()? {
            0 => Ok(None),
            _ => self.string().map(Some),
        }
    }

    fn opt_u64(&mut self) -> Result<Option<u64>, Error> {
        match self.byte()? {
            0 => Ok(None),
            _ => self.u64().map(Some),
        }
    }

    fn span(&mut self) -> Result<Span, Error> {
        Ok(Span::new(self.len()?, self.len()?))
    }

    fn json_map(&mut self) -> Result<Map<String, Value>, Error> {
        let bytes = self.bytes()?;
        if bytes.is_empty() {
            return Ok(Map::new());
        }
        serde_json::from_slice(bytes).map_err(|err| self.error(&format!("JSON: {err}")))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{Cluster, DedupMethod, DedupStatus, SharedSentence, SharedWith};

    /// A record with every field set, odd values included.
    pub(crate) fn full_record() -> Record {
        let mut record = Record::new(
            "a/b.jsonl:7",
            "Zwölf Boxkämpfer jagen Viktor.\n\u{0}\u{1F600}",
            Source {
                path: "a/b.jsonl".into(),
                line: Some(7),
                offset: Some(u64::MAX),
            },
        );
        record.metadata.insert("title".into(), Value::from("T"));
        record.metadata.insert(
            "big".into(),
            serde_json::json!([1.5e300, -0.0, 18446744073709551616.0]),
        );
        record.spans.insert(
            "sentences".into(),
            vec![Span::new(0, 30), Span::new(31, usize::MAX)],
        );
        record.spans.insert("words".into(), Vec::new());
        record.edits.push(Edit {
            stage: "clean".into(),
            rule: "hard_wrap".into(),
            span: Span::new(40, 41),
            original: "\n".into(),
            first_copy: None,
        });
        record.edits.push(Edit {
            stage: "dedup".into(),
            rule: "repeated_paragraph".into(),
            span: Span::new(3, 3),
            original: "Quelle: \"x\"".into(),
            first_copy: Some("doc-0".into()),
        });
        record.dedup = Some(Dedup {
            status: DedupStatus::Duplicate,
            duplicate_of: Some("doc-0".into()),
            via: Some("doc-2".into()),
            method: Some(DedupMethod::Minhash),
            similarity: Some(0.8125),
            cluster: Some(Cluster {
                id: "doc-0".into(),
                size: 3,
            }),
            shared_sentences: vec![SharedSentence {
                span: Span::new(0, 30),
                with: vec![SharedWith {
                    id: "doc-9".into(),
                    score: 0.5,
                }],
            }],
        });
        record.drop_with("dedup", "near_duplicate", Some("of doc-0".into()));
        record
            .extra
            .insert("warc".into(), serde_json::json!({"a": [null, true]}));
        record
    }

    #[test]
    fn every_field_reads_back() {
        for record in [full_record(), Record::new("", "", Source::default())] {
            let mut frames = Vec::new();
            encode(&record, &mut frames).unwrap();
            encode(&record, &mut frames).unwrap();
            let mut reader = FrameReader::new(&frames[..]);
            let mut payload = Vec::new();
            for number in 1..=2 {
                assert!(reader.next_frame(&mut payload).unwrap());
                assert_eq!(decode(&payload, number).unwrap(), record);
            }
            assert!(!reader.next_frame(&mut payload).unwrap());
        }
    }

    #[test]
    fn damaged_frames_are_errors_not_panics() {
        let mut frames = Vec::new();
        encode(&full_record(), &mut frames).unwrap();
        // Cut anywhere: the reader reports the frame cut short.
        for cut in 1..frames.len() {
            let mut reader = FrameReader::new(&frames[..cut]);
            let mut payload = Vec::new();
            assert!(reader.next_frame(&mut payload).is_err(), "cut at {cut}");
        }
        // A payload cut or grown: the decoder says which frame.
        let payload = &frames[8..];
        for cut in 0..payload.len() {
            let err = decode(&payload[..cut], 4).unwrap_err();
            assert!(err.to_string().contains("frame 4"), "{err}");
        }
        let mut longer = payload.to_vec();
        longer.push(0);
        assert!(decode(&longer, 1).is_err());
        // Any byte changed: an error or some record, never a panic.
        for at in 0..payload.len() {
            let mut changed = payload.to_vec();
            changed[at] ^= 0xFF;
            let _ = decode(&changed, 1);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any record reads back equal; the JSON form of it does too, so the two agree.
        #[test]
        fn records_read_back_equal(
            id in ".{0,12}",
            text in ".{0,80}",
            line in proptest::option::of(any::<u64>()),
            spans in proptest::collection::vec((0usize..1 << 40, 0usize..1 << 40), 0..6),
            edits in proptest::collection::vec((".{0,6}", ".{0,10}", any::<usize>(), proptest::option::of(".{0,5}")), 0..6),
            dropped in proptest::option::of((".{0,5}", ".{0,5}", proptest::option::of(".{0,5}"))),
            metadata in proptest::collection::btree_map("[a-z]{1,4}", ".{0,6}", 0..3),
        ) {
            let mut record = Record::new(id, text, Source { path: "p".into(), line, offset: None });
            record.spans.insert("s".into(), spans.iter().map(|&(a, b)| Span::new(a, b)).collect());
            record.edits = edits
                .into_iter()
                .map(|(rule, original, at, first_copy)| Edit {
                    stage: "clean".into(),
                    rule: rule.into(),
                    span: Span::new(at, at),
                    original,
                    first_copy,
                })
                .collect();
            record.dropped = dropped.map(|(stage, reason, detail)| Dropped { stage, reason, detail });
            record.metadata = metadata.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
            let mut frames = Vec::new();
            encode(&record, &mut frames).unwrap();
            let mut payload = Vec::new();
            prop_assert!(FrameReader::new(&frames[..]).next_frame(&mut payload).unwrap());
            prop_assert_eq!(decode(&payload, 1).unwrap(), record);
        }
    }
}
