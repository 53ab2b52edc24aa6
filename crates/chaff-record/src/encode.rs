//! The JSON line of a record, written by hand: byte for byte what serde_json writes for
//! [`Record`] (tests hold the two together), without serde's per-field machinery, and with
//! strings scanned for bytes to escape eight at a time. Numbers inside `metadata` and unknown
//! fields, the floats of `dedup` and its enums are still written by serde_json.

use serde_json::{Map, Value};

use crate::{Dedup, Edit, Record, Span};

/// Appends `record` as one JSON object (no newline) to `out`.
pub(crate) fn record(record: &Record, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    // Room for the whole line at once (a string grows by a sixth for escapes, a span takes at
    // most 16 bytes in practice, an edit's fields about 60), so that it is seldom grown.
    let n_spans: usize = record.spans.values().map(Vec::len).sum();
    let edits: usize = record
        .edits
        .iter()
        .map(|e| e.original.len() + e.rule.len() + 64)
        .sum();
    let text = record.text.len() + record.id.len() + record.source.path.len();
    out.reserve(text + text / 6 + n_spans * 16 + edits + 256);
    field(b"{\"id\":", &record.id, out);
    field(b",\"text\":", &record.text, out);
    field(b",\"source\":{\"path\":", &record.source.path, out);
    if let Some(line) = record.source.line {
        out.extend_from_slice(b",\"line\":");
        number(line, out);
    }
    if let Some(offset) = record.source.offset {
        out.extend_from_slice(b",\"offset\":");
        number(offset, out);
    }
    out.push(b'}');
    if !record.metadata.is_empty() {
        out.extend_from_slice(b",\"metadata\":");
        object(&record.metadata, out)?;
    }
    if !record.spans.is_empty() {
        out.extend_from_slice(b",\"spans\":");
        separated(out, b"{}", &record.spans, |(name, spans), out| {
            string(name, out);
            out.push(b':');
            separated(out, b"[]", spans.iter(), |&span, out| {
                span_pair(span, out);
                Ok(())
            })
        })?;
    }
    if !record.edits.is_empty() {
        out.extend_from_slice(b",\"edits\":");
        separated(out, b"[]", &record.edits, |edit, out| {
            self::edit(edit, out);
            Ok(())
        })?;
    }
    if let Some(dedup) = &record.dedup {
        out.extend_from_slice(b",\"dedup\":");
        self::dedup(dedup, out)?;
    }
    if let Some(dropped) = &record.dropped {
        field(b",\"dropped\":{\"stage\":", &dropped.stage, out);
        field(b",\"reason\":", &dropped.reason, out);
        if let Some(detail) = &dropped.detail {
            field(b",\"detail\":", detail, out);
        }
        out.push(b'}');
    }
    out.extend_from_slice(b",\"schema_version\":");
    number(u64::from(record.schema_version), out);
    for (key, value) in &record.extra {
        out.push(b',');
        string(key, out);
        out.push(b':');
        self::value(value, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// A JSON value as serde_json writes it compactly; numbers by serde_json itself.
fn value(value: &Value, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => serde_json::to_writer(&mut *out, number)?,
        Value::String(text) => string(text, out),
        Value::Array(items) => separated(out, b"[]", items, self::value)?,
        Value::Object(fields) => object(fields, out)?,
    }
    Ok(())
}

fn object(fields: &Map<String, Value>, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    separated(out, b"{}", fields, |(key, item), out| {
        string(key, out);
        out.push(b':');
        value(item, out)
    })
}

/// `brackets[0]`, each item written by `write` with commas between, `brackets[1]`.
fn separated<T>(
    out: &mut Vec<u8>,
    brackets: &[u8; 2],
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(T, &mut Vec<u8>) -> Result<(), serde_json::Error>,
) -> Result<(), serde_json::Error> {
    out.push(brackets[0]);
    for (k, item) in items.into_iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        write(item, out)?;
    }
    out.push(brackets[1]);
    Ok(())
}

/// Every record of a run has a verdict, and most of the shared sentences' figures are here.
/// The enums and the floats are written by serde_json (the floats' shortest form is its own).
fn dedup(dedup: &Dedup, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    out.extend_from_slice(b"{\"status\":");
    serde_json::to_writer(&mut *out, &dedup.status)?;
    if let Some(of) = &dedup.duplicate_of {
        field(b",\"duplicate_of\":", of, out);
    }
    if let Some(method) = &dedup.method {
        out.extend_from_slice(b",\"method\":");
        serde_json::to_writer(&mut *out, method)?;
    }
    if let Some(similarity) = dedup.similarity {
        out.extend_from_slice(b",\"similarity\":");
        serde_json::to_writer(&mut *out, &similarity)?;
    }
    if let Some(via) = &dedup.via {
        field(b",\"via\":", via, out);
    }
    if let Some(cluster) = &dedup.cluster {
        field(b",\"cluster\":{\"id\":", &cluster.id, out);
        out.extend_from_slice(b",\"size\":");
        number(cluster.size, out);
        out.push(b'}');
    }
    if !dedup.shared_sentences.is_empty() {
        out.extend_from_slice(b",\"shared_sentences\":");
        separated(out, b"[]", &dedup.shared_sentences, |shared, out| {
            out.extend_from_slice(b"{\"span\":");
            span_pair(shared.span, out);
            out.extend_from_slice(b",\"with\":");
            separated(out, b"[]", &shared.with, |with, out| {
                field(b"{\"id\":", &with.id, out);
                out.extend_from_slice(b",\"score\":");
                serde_json::to_writer(&mut *out, &with.score)?;
                out.push(b'}');
                Ok(())
            })?;
            out.push(b'}');
            Ok(())
        })?;
    }
    out.push(b'}');
    Ok(())
}

fn edit(edit: &Edit, out: &mut Vec<u8>) {
    field(b"{\"stage\":", &edit.stage, out);
    field(b",\"rule\":", &edit.rule, out);
    out.extend_from_slice(b",\"span\":");
    span_pair(edit.span, out);
    field(b",\"original\":", &edit.original, out);
    if let Some(first_copy) = &edit.first_copy {
        field(b",\"first_copy\":", first_copy, out);
    }
    out.push(b'}');
}

/// `prefix` (the punctuation and key before a value, `,"rule":`) and then `text` as a string.
fn field(prefix: &[u8], text: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(prefix);
    string(text, out);
}

fn span_pair(span: Span, out: &mut Vec<u8>) {
    out.push(b'[');
    number(span.start as u64, out);
    out.push(b',');
    number(span.end as u64, out);
    out.push(b']');
}

fn number(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A JSON string as serde_json writes it: `"` and `\` escaped with a backslash, the control
/// characters below U+0020 as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00XX` (lower-case hex),
/// everything else (DEL and all of non-ASCII included) as it is.
pub(crate) fn string(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = next_escape(bytes, at) {
        out.extend_from_slice(&bytes[copied..found]);
        let byte = bytes[found];
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0xF)]);
            }
        }
        copied = found + 1;
        at = found + 1;
    }
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'"');
}

/// The first byte at or after `from` that a JSON string must escape (`"`, `\`, or below
/// 0x20). Eight bytes at a time: in each term below the lowest flagged byte is a true match
/// (a borrow only runs upwards from a byte that matched), so the lowest flag of the three is.
#[inline]
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = from;
    while at + 8 <= bytes.len() {
        let mut block = [0u8; 8];
        block.copy_from_slice(&bytes[at..at + 8]);
        let x = u64::from_le_bytes(block);
        let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let flags = below_space
            | zero_byte(x ^ (ONES * u64::from(b'"')))
            | zero_byte(x ^ (ONES * u64::from(b'\\')));
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .map(|k| at + k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn serde_string(text: &str) -> Vec<u8> {
        serde_json::to_vec(text).unwrap()
    }

    #[test]
    fn every_byte_value_escapes_as_serde_json_does() {
        for c in (0u32..0x300).filter_map(char::from_u32) {
            for place in 0..10 {
                let mut text: String = "abcdefghij".into();
                text.insert(place, c);
                let mut ours = Vec::new();
                string(&text, &mut ours);
                assert_eq!(ours, serde_string(&text), "{c:?} at {place}");
            }
        }
    }

    fn both(record: &Record) -> (String, String) {
        let mut ours = Vec::new();
        crate::encode_record(record, &mut ours).unwrap();
        let mut theirs = serde_json::to_vec(record).unwrap();
        theirs.push(b'\n');
        (
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs).unwrap(),
        )
    }

    /// Every field set (floats, nested metadata, unknown fields, a shared sentence), and none.
    #[test]
    fn whole_records_encode_as_serde_json_does() {
        let mut unknown_named_like_a_field = Record::new("x", "y", crate::Source::default());
        unknown_named_like_a_field
            .extra
            .insert("zeta".into(), serde_json::json!(1.0e-7));
        unknown_named_like_a_field
            .extra
            .insert("alpha".into(), serde_json::json!("\u{1}"));
        unknown_named_like_a_field.metadata.insert(
            "k\"\n\u{7f}".into(),
            serde_json::json!({"x": [1, -2, 3.25, 1e20, "é\t", {"": null}], "y": false}),
        );
        let mut exact_copy = crate::spill::tests::full_record();
        if let Some(dedup) = exact_copy.dedup.as_mut() {
            dedup.method = Some(crate::DedupMethod::Exact);
            dedup.similarity = Some(1.0);
            dedup.via = None;
            dedup.cluster = None;
            dedup.shared_sentences.clear();
        }
        exact_copy.dropped = Some(crate::Dropped {
            stage: "dedup".into(),
            reason: "duplicate".into(),
            detail: None,
        });
        let mut kept = Record::new("k", "text", crate::Source::default());
        kept.dedup = Some(Dedup {
            status: crate::DedupStatus::Kept,
            duplicate_of: None,
            method: None,
            similarity: Some(0.1 + 0.2),
            via: None,
            cluster: None,
            shared_sentences: vec![crate::SharedSentence {
                span: Span::new(1, 2),
                with: vec![
                    crate::SharedWith {
                        id: "a\"b".into(),
                        score: 1.0 / 3.0,
                    },
                    crate::SharedWith {
                        id: String::new(),
                        score: 1e-300,
                    },
                ],
            }],
        });
        for record in [
            crate::spill::tests::full_record(),
            Record::new("", "", crate::Source::default()),
            unknown_named_like_a_field,
            exact_copy,
            kept,
        ] {
            let (ours, theirs) = both(&record);
            assert_eq!(ours, theirs);
        }
    }

    fn text() -> impl Strategy<Value = String> {
        "(\\PC|[\\x00-\\x1f\"\\\\]){0,24}"
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn random_records_encode_as_serde_json_does(
            id in text(),
            body in text(),
            path in text(),
            line in proptest::option::of(any::<u64>()),
            spans in proptest::collection::btree_map(text(), proptest::collection::vec((any::<usize>(), any::<usize>()), 0..4), 0..3),
            edits in proptest::collection::vec((text(), text(), any::<usize>(), text(), proptest::option::of(text())), 0..4),
        ) {
            let mut record = Record::new(id, body, crate::Source { path, line, offset: None });
            record.spans = spans
                .into_iter()
                .map(|(name, list)| (name, list.into_iter().map(|(s, e)| Span::new(s, e)).collect()))
                .collect();
            record.edits = edits
                .into_iter()
                .map(|(stage, rule, at, original, first_copy)| Edit {
                    stage: stage.into(),
                    rule: rule.into(),
                    span: Span::new(at, at),
                    original,
                    first_copy,
                })
                .collect();
            let (ours, theirs) = both(&record);
            prop_assert_eq!(ours, theirs);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn strings_escape_as_serde_json_does(text in "(\\PC|[\\x00-\\x1f\"\\\\\u{7f}\u{80}-\u{10ffff}]){0,80}") {
            let mut ours = Vec::new();
            string(&text, &mut ours);
            prop_assert_eq!(ours, serde_string(&text));
        }
    }
}
