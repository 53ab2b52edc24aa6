//! End-to-end tests live in `tests/`. This library holds the invariant checks that the fuzz
//! targets (`fuzz/`, cargo-fuzz) and the replay test (`tests/fuzz_replay.rs`, run by
//! `cargo test`) share, so a crash the fuzzer finds is replayed through the very same code.
//!
//! Each check takes arbitrary bytes and panics when an invariant the stage documents fails.

use chaff_record::{OnError, ReadOptions, Record, RecordReader, RecordStage, Source, Span};

/// A check: panics when an invariant fails for this input.
pub type Check = fn(&[u8]);

/// The fuzz targets, by the name of their directory under `fixtures/fuzz/`.
pub const TARGETS: [(&str, Check); 4] = [
    ("record_reader", record_reader),
    ("ingest", ingest),
    ("clean", clean),
    ("segment", segment),
];

/// `RecordReader` over any bytes never panics; with `OnError::Skip` it reads to the end;
/// every record it yields encodes to a line it reads back unchanged (after one normalisation),
/// and rebuilding its original text fails cleanly or succeeds; its spill frame decodes to the
/// same record, and the bytes themselves as a spill frame decode or fail cleanly.
pub fn record_reader(data: &[u8]) {
    let options = ReadOptions {
        on_error: OnError::Skip,
        max_line_bytes: 1 << 12,
    };
    let mut reader = RecordReader::new(data, "fuzz", options);
    for item in reader.by_ref() {
        let Ok(record) = item else { continue };
        let mut once = Vec::new();
        chaff_record::encode_record(&record, &mut once).expect("a record read encodes");
        let again = chaff_record::parse_record(&once, "fuzz", 1).expect("an encoded record reads");
        let mut twice = Vec::new();
        chaff_record::encode_record(&again, &mut twice).expect("a record read encodes");
        assert_eq!(
            String::from_utf8_lossy(&once),
            String::from_utf8_lossy(&twice)
        );
        let _ = chaff_record::rebuild_original(&record);
        // The spill's binary form gives the same record back.
        let mut frame = Vec::new();
        chaff_record::spill::encode(&record, &mut frame).expect("a record read spills");
        let mut payload = Vec::new();
        let read = chaff_record::spill::FrameReader::new(&frame[..])
            .next_frame(&mut payload)
            .expect("a spilled frame reads");
        assert!(read);
        let back = chaff_record::spill::decode(&payload, 1).expect("a spilled record decodes");
        assert_eq!(back, record);
    }
    // Any bytes as a spill frame: a record or an error, never a panic.
    let _ = chaff_record::spill::decode(data, 1);
}

/// Ingest of any bytes under any name never panics, yields items for the input only, never
/// a record with blank text, and every item names the input.
pub fn ingest(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (name_len, rest) = match rest.split_first() {
        Some((&n, rest)) => ((n % 16) as usize, rest),
        None => (0, rest),
    };
    let (name_bytes, body) = rest.split_at(name_len.min(rest.len()));
    let name = String::from_utf8_lossy(name_bytes).into_owned();
    let _ = chaff_ingest::detect(&name);
    let format = match selector % 4 {
        0 => None,
        1 => Some(chaff_ingest::Format::Text),
        2 => Some(chaff_ingest::Format::Html),
        _ => Some(chaff_ingest::Format::Jsonl),
    };
    let config = chaff_ingest::Config {
        max_doc_bytes: 1 << 20,
        max_line_bytes: 1 << 16,
        ..chaff_ingest::Config::default()
    };
    let batch_size = 1 + (selector as usize >> 2) % 8;
    let mut n_items = 0usize;
    chaff_ingest::ingest_reader(&config, body, &name, format, batch_size, |items| {
        for item in items {
            n_items += 1;
            match item {
                chaff_ingest::Item::Record(record) => {
                    assert_eq!(record.source.path, name);
                    assert!(!record.text.trim().is_empty(), "a record with blank text");
                    assert!(!record.is_dropped());
                    let mut line = Vec::new();
                    chaff_record::encode_record(&record, &mut line).expect("encodes");
                    chaff_record::parse_record(&line, "fuzz", 1)
                        .expect("a record ingest made reads back");
                }
                chaff_ingest::Item::Quarantined(entry) => {
                    assert_eq!(entry.source.path, name);
                    assert!(!entry.kind.is_empty() && !entry.error.is_empty());
                }
            }
        }
        Ok::<(), ()>(())
    })
    .expect("the callback never fails");
    assert!(n_items > 0, "an input yields at least one item");
}

/// Cleaning any text never panics, and its edit log undoes to the input exactly, with and
/// without link spans (the first four bytes place two of them).
pub fn clean(data: &[u8]) {
    let (head, body) = data.split_at(data.len().min(4));
    let text = String::from_utf8_lossy(body).into_owned();
    let config = chaff_clean::Config::default();

    let cleaned = chaff_clean::clean_text(&config, &text);
    let mut record = Record::new("fuzz", cleaned.text, Source::default());
    record.edits = cleaned.edits;
    let rebuilt = chaff_record::rebuild_original(&record).expect("the edit log undoes");
    assert_eq!(rebuilt, text, "clean_text + rebuild != input");

    let n_chars = text.chars().count();
    let mut record = Record::new("fuzz", text.clone(), Source::default());
    let links: Vec<Span> = head
        .chunks(2)
        .filter(|pair| pair.len() == 2)
        .map(|pair| {
            let start = (pair[0] as usize * n_chars) / 256;
            let end = (start + pair[1] as usize).min(n_chars);
            Span::new(start, end)
        })
        .collect();
    record.spans.insert("links".to_owned(), links);
    let record = config.apply(record);
    let rebuilt = chaff_record::rebuild_original(&record).expect("the edit log undoes");
    assert_eq!(rebuilt, text, "clean (with links) + rebuild != input");
}

/// Segmenting any text never panics, and its spans hold what segment documents: in bounds,
/// non-empty, in order and disjoint, never starting or ending on white space; sentences inside
/// paragraphs; words with a letter or digit; the stage and the functions agree.
pub fn segment(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let config = chaff_segment::Config { words: true };
    let chars: Vec<char> = text.chars().collect();
    let check = |what: &str, spans: &[Span]| {
        let mut previous_end = 0;
        for span in spans {
            assert!(
                span.start < span.end && span.end <= chars.len(),
                "{what}: {span:?} out of bounds or empty"
            );
            assert!(
                span.start >= previous_end,
                "{what}: {span:?} overlaps or is out of order"
            );
            assert!(
                !chars[span.start].is_whitespace() && !chars[span.end - 1].is_whitespace(),
                "{what}: {span:?} starts or ends on white space"
            );
            previous_end = span.end;
        }
    };
    let paragraphs = chaff_segment::paragraphs(&text);
    let sentences = chaff_segment::sentences(&config, &text);
    let words = chaff_segment::words(&text);
    check("paragraphs", &paragraphs);
    check("sentences", &sentences);
    check("words", &words);
    for sentence in &sentences {
        assert!(
            paragraphs
                .iter()
                .any(|p| p.start <= sentence.start && sentence.end <= p.end),
            "sentence {sentence:?} crosses a paragraph"
        );
    }
    for word in &words {
        assert!(
            chars[word.start..word.end]
                .iter()
                .any(|c| c.is_alphanumeric()),
            "word {word:?} has no letter or digit"
        );
    }
    let record = config.apply(Record::new("fuzz", text.clone(), Source::default()));
    assert_eq!(record.spans["paragraphs"], paragraphs);
    assert_eq!(record.spans["sentences"], sentences);
    assert_eq!(record.spans["words"], words);
    assert_eq!(record.text, text);
}
