//! Ingest over every fixture, one behaviour a file, plus the cases too large to commit.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chaff_ingest::{Config, Format, Input, Item, discover, ingest, ingest_reader};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn collect(config: &Config, inputs: &[Input], batch_size: usize) -> Vec<Item> {
    let mut items = Vec::new();
    ingest(config, inputs, batch_size, |batch| {
        items.extend(batch);
        Ok::<(), ()>(())
    })
    .unwrap();
    items
}

/// Every item of a JSON-lines stream, read with the default configuration.
fn read_stream(input: &[u8], name: &str) -> Vec<Item> {
    let mut items = Vec::new();
    ingest_reader(&Config::default(), input, name, None, 1024, |batch| {
        items.extend(batch);
        Ok::<(), ()>(())
    })
    .unwrap();
    items
}

/// One line an item: the record or quarantine entry as JSON.
fn render(items: &[Item]) -> String {
    let mut out = String::new();
    for item in items {
        match item {
            Item::Record(record) => writeln!(
                out,
                "record      {}",
                serde_json::to_string(record).unwrap()
            ),
            Item::Quarantined(entry) => {
                writeln!(out, "quarantined {}", serde_json::to_string(entry).unwrap())
            }
        }
        .unwrap();
    }
    out
}

/// Ingests one file, named by its file name so snapshots do not depend on the checkout's path.
fn check(path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    render(&collect(
        &Config::default(),
        &[Input::new(path.to_path_buf(), name)],
        1024,
    ))
}

#[test]
fn every_ingest_fixture() {
    insta::glob!("../../../fixtures/ingest", "*.*", |path| {
        insta::assert_snapshot!(check(path));
    });
}

#[test]
fn every_seed() {
    insta::glob!("../../../fixtures/seeds", "*.txt", |path| {
        insta::assert_snapshot!(check(path));
    });
}

#[test]
fn directories_are_sorted_named_from_their_root_and_unique() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    std::fs::create_dir_all(root.join("b/inner")).unwrap();
    std::fs::create_dir_all(root.join("a")).unwrap();
    for name in ["b/inner/z.txt", "b/y.txt", "a/x.txt", "c d é.txt"] {
        std::fs::write(root.join(name), "Some text.").unwrap();
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(&root, root.join("b/loop")).unwrap();
    let inputs = discover(&[root.clone(), root.join("a/x.txt")]).unwrap();
    let rendered: Vec<String> = inputs
        .iter()
        .map(|i| match &i.problem {
            None => i.name.clone(),
            Some(problem) => format!("{} ({problem})", i.name),
        })
        .collect();
    let given = root.join("a/x.txt").display().to_string();
    assert_eq!(
        rendered[..4],
        [
            "corpus/a/x.txt",
            "corpus/b/inner/z.txt",
            "corpus/b/loop (symlink loop: the link points back to a directory above it)",
            "corpus/b/y.txt"
        ]
    );
    assert_eq!(rendered[4..], ["corpus/c d é.txt".to_owned(), given]);

    let items = collect(&Config::default(), &inputs, 2);
    let quarantined: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Item::Quarantined(q) => Some(format!("{} {}", q.source, q.kind)),
            Item::Record(_) => None,
        })
        .collect();
    assert_eq!(quarantined, ["corpus/b/loop unreadable"]);
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    let err = discover(&[PathBuf::from("/no/such/place")]).unwrap_err();
    assert_eq!(err.to_string(), "/no/such/place: no such file or directory");
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let inputs = discover(&[fixtures().join("ingest"), fixtures().join("seeds")]).unwrap();
    let run = |threads: usize, batch: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| render(&collect(&Config::default(), &inputs, batch)))
    };
    let one = run(1, 1024);
    assert_eq!(one, run(2, 1024));
    assert_eq!(
        one,
        run(2, 3),
        "batch size must not change the items or their order"
    );
}

#[test]
fn a_50_mb_single_line_file() {
    let dir = tempfile::tempdir().unwrap();
    let line = "word ".repeat(10 << 20);
    std::fs::write(dir.path().join("huge.txt"), &line).unwrap();
    let mut jsonl = std::fs::File::create(dir.path().join("huge.jsonl")).unwrap();
    write!(jsonl, "{{\"text\":\"{line}\"}}\n{{\"text\":\"small\"}}\n").unwrap();
    drop(jsonl);

    let config = Config {
        max_line_bytes: 1 << 20,
        ..Config::default()
    };
    let inputs = discover(&[dir.path().join("huge.txt"), dir.path().join("huge.jsonl")]).unwrap();
    let items = collect(&config, &inputs, 1024);
    assert_eq!(items.len(), 3);
    let Item::Record(record) = &items[0] else {
        panic!("the text file is one document: {:?}", items[0])
    };
    assert_eq!(record.text.len(), 50 << 20);
    let Item::Quarantined(entry) = &items[1] else {
        panic!("the long line is quarantined")
    };
    assert_eq!(
        (entry.kind.as_str(), entry.source.line),
        ("line_too_long", Some(1))
    );
    assert!(
        entry.error.contains("exceeds max_line_bytes"),
        "{}",
        entry.error
    );
    let Item::Record(small) = &items[2] else {
        panic!("the line after it still comes out")
    };
    assert_eq!(small.text, "small");

    // Over the document cap, a file is quarantined whole, never truncated.
    let config = Config {
        max_doc_bytes: 1 << 20,
        ..Config::default()
    };
    let items = collect(&config, &inputs[..1], 1024);
    let Item::Quarantined(entry) = &items[0] else {
        panic!("over the cap")
    };
    assert_eq!(entry.kind, "too_large");
}

#[test]
fn large_jsonl_files_stream_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..2500 {
        writeln!(file, "{{\"id\":\"{i}\",\"text\":\"Document number {i}.\"}}").unwrap();
    }
    drop(file);
    let config = Config {
        stream_above_bytes: 0,
        ..Config::default()
    };
    let inputs = discover(&[path]).unwrap();
    let mut sizes = Vec::new();
    ingest(&config, &inputs, 1000, |batch| {
        sizes.push(batch.len());
        Ok::<(), ()>(())
    })
    .unwrap();
    assert_eq!(sizes, [1000, 1000, 500]);
}

#[test]
fn streams_are_sniffed() {
    let run = |input: &[u8]| render(&read_stream(input, "<stdin>"));
    insta::assert_snapshot!(run(b"  {\"text\":\"one\"}\n{\"text\":\"two\"}\n"), @r#"
    record      {"id":"<stdin>:1","text":"one","source":{"path":"<stdin>","line":1,"offset":0},"metadata":{"format":"jsonl"},"schema_version":1}
    record      {"id":"<stdin>:2","text":"two","source":{"path":"<stdin>","line":2,"offset":17},"metadata":{"format":"jsonl"},"schema_version":1}
    "#);
    insta::assert_snapshot!(run(b"Plain text\r\nfrom a pipe."), @r#"record      {"id":"<stdin>","text":"Plain text\nfrom a pipe.","source":{"path":"<stdin>"},"metadata":{"format":"text","bytes":24},"schema_version":1}"#);
    insta::assert_snapshot!(run(b""), @r#"quarantined {"source":{"path":"<stdin>"},"stage":"ingest","kind":"empty","error":"empty file"}"#);
}

/// A line may nest as deep as a record can be read back (serde_json stops at 128 levels, and
/// a record holds the line's fields one level down); one level more is quarantined, not turned
/// into a record that breaks every later stage.
#[test]
fn lines_nested_too_deep_for_a_record_are_quarantined() {
    let line = |depth: usize| {
        format!(
            "{{\"text\":\"Nested.\",\"deep\":{}1{}}}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    let input = line(125) + &line(126);
    let items = read_stream(input.as_bytes(), "deep");
    let [Item::Record(record), Item::Quarantined(entry)] = items.as_slice() else {
        panic!("{items:?}");
    };
    let mut encoded = Vec::new();
    chaff_record::encode_record(record, &mut encoded).unwrap();
    let back = chaff_record::parse_record(&encoded, "spill", 1).unwrap();
    assert_eq!(&back, record);
    assert_eq!(entry.kind, "too_deep");
    assert_eq!(entry.source.line, Some(2));
    assert!(entry.error.contains("127 levels"), "{}", entry.error);
}

/// A JSON line with bytes that are not UTF-8 is repaired (U+FFFD each) and the repairs are
/// counted on its record; the valid lines around it are read as they are, uncounted.
/// Python's `json.dumps` writes half a surrogate pair as a `\uD83D`-style escape when a string
/// was cut inside an emoji; serde_json refuses such a line. The halves become U+FFFD and are
/// counted; a whole pair, and an escaped backslash before `u`, are left as they are.
#[test]
fn lone_surrogate_escapes_are_repaired_and_counted() {
    let input = concat!(
        r#"{"id":"a","text":"Cut emoji \ud83d here and a low half \uDE00 too."}"#,
        "\n",
        r#"{"id":"b","text":"Whole pair \ud83d\ude00, a path C:\\ud800x, a high half at the end \ud83d"}"#,
        "\n",
        r#"{"id":"c","text":"Two highs \ud83d\ud83d\ude00 then text."}"#,
        "\n",
        r#"{"id":"d","text":"Plain text."}"#,
        "\n",
    );
    let items = read_stream(input.as_bytes(), "surrogates");
    let expected = [
        (
            "Cut emoji \u{fffd} here and a low half \u{fffd} too.",
            Some(2),
        ),
        (
            "Whole pair \u{1f600}, a path C:\\ud800x, a high half at the end \u{fffd}",
            Some(1),
        ),
        ("Two highs \u{fffd}\u{1f600} then text.", Some(1)),
        ("Plain text.", None),
    ];
    assert_eq!(items.len(), expected.len(), "{items:?}");
    for (item, (text, count)) in items.iter().zip(expected) {
        let Item::Record(record) = item else {
            panic!("{item:?}");
        };
        assert_eq!(record.text, text);
        assert_eq!(
            record.metadata.get("lone_surrogates"),
            count.map(serde_json::Value::from).as_ref()
        );
    }
}

/// A JSON file that is not one object a line (an array, or objects pretty-printed over several
/// lines) is read whole; a cut array keeps the objects before the cut and names the line, an
/// empty one is quarantined as empty, JSON lines that merely start with an array or a cut line
/// are still read line by line, and standard input is taken for JSON when it opens an array of
/// objects.
#[test]
fn json_arrays_and_spread_objects_are_read_whole() {
    // As a file named `.json` is read.
    let read_json = |input: &[u8], name: &str| {
        let mut items = Vec::new();
        ingest_reader(
            &Config::default(),
            input,
            name,
            Some(Format::Jsonl),
            1024,
            |batch| {
                items.extend(batch);
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        items
    };
    let kinds = |items: &[Item]| -> Vec<String> {
        items
            .iter()
            .map(|item| match item {
                Item::Record(record) => format!("record {} {}", record.id, record.text),
                Item::Quarantined(q) => format!("{} {:?} {}", q.kind, q.source.line, q.error),
            })
            .collect()
    };
    // A cut array keeps the objects before the cut.
    let broken = read_json(b"[\n{\"text\": \"one\"},\n{\"text\": \"two\"\n", "broken");
    let broken = kinds(&broken);
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert_eq!(broken[0], "record broken:2 one");
    assert!(
        broken[1].starts_with("malformed_json Some(4) not valid JSON from line 4 on"),
        "{broken:?}"
    );
    // JSON lines whose first line happens to be an array are still read line by line.
    let lines = read_json(b"[1, 2]\n{\"text\": \"ok\"}\n", "lines");
    assert_eq!(
        kinds(&lines),
        [
            "malformed_json Some(1) line 1 is JSON but not an object (an array)",
            "record lines:2 ok"
        ]
    );
    // So are JSON lines whose first line is cut short.
    let cut = read_json(b"{\"text\": \"cut\n{\"text\": \"ok\"}\n", "cut");
    let cut = kinds(&cut);
    assert!(
        cut[0].starts_with("malformed_json Some(1) line 1 is not valid JSON"),
        "{cut:?}"
    );
    assert_eq!(cut[1], "record cut:2 ok");
    let empty = read_json(b"  []\n", "empty");
    assert_eq!(kinds(&empty), ["empty None a JSON array with no objects"]);
    let one_line = read_stream(
        b"\xEF\xBB\xBF[{\"text\": \"a\"}, {\"text\": \"b\"}, {\"text\": \"c\"}]",
        "stdin",
    );
    assert_eq!(
        kinds(&one_line),
        [
            "record stdin:1 a",
            "record stdin:1.2 b",
            "record stdin:1.3 c"
        ]
    );
    // Text that merely opens with a bracket stays text.
    let text = read_stream(b"[Reuters] A story that opens with a bracket.\n", "stdin");
    assert_eq!(
        kinds(&text),
        ["record stdin [Reuters] A story that opens with a bracket.\n"]
    );
}

#[test]
fn invalid_utf8_inside_a_json_line_is_repaired_and_counted() {
    let mut input: Vec<u8> = b"{\"id\":\"a\",\"text\":\"Caf\xc3\xa9 before.\"}\n".to_vec();
    input
        .extend_from_slice(b"{\"id\":\"b\",\"text\":\"Bad \xff\xfe bytes and a cut \xe2\x82.\"}\n");
    input.extend_from_slice(b"{\"id\":\"c\",\"text\":\"Clean after.\"}\n");
    let items = read_stream(input.as_slice(), "mixed");
    let [Item::Record(a), Item::Record(b), Item::Record(c)] = items.as_slice() else {
        panic!("{items:?}");
    };
    assert_eq!(a.text, "Café before.");
    assert_eq!(b.text, "Bad \u{fffd}\u{fffd} bytes and a cut \u{fffd}.");
    assert_eq!(b.metadata.get("invalid_utf8"), Some(&serde_json::json!(3)));
    assert_eq!(c.text, "Clean after.");
    for clean in [a, c] {
        assert_eq!(clean.metadata.get("invalid_utf8"), None);
    }
}
