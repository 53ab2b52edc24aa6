//! The `chaff` binary as a user runs it: pipes between stages, exit codes, configuration.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn chaff() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chaff"));
    command.arg("--quiet");
    command
}

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/seeds")
}

/// Runs `command` with `input` on standard input.
fn pipe(mut command: Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    output
}

fn lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn stages_compose_with_pipes() {
    let ingested = chaff().arg("ingest").arg(seeds()).output().unwrap();
    assert!(
        ingested.status.success(),
        "{}",
        String::from_utf8_lossy(&ingested.stderr)
    );
    assert_eq!(lines(&ingested.stdout).len(), 5);

    let mut clean = chaff();
    clean.arg("clean");
    let cleaned = pipe(clean, &ingested.stdout);
    assert!(
        cleaned.status.success(),
        "{}",
        String::from_utf8_lossy(&cleaned.stderr)
    );

    let mut segment = chaff();
    segment.arg("segment");
    let segmented = pipe(segment, &cleaned.stdout);
    assert!(
        segmented.status.success(),
        "{}",
        String::from_utf8_lossy(&segmented.stderr)
    );

    let mut dedup = chaff();
    dedup.arg("dedup");
    let deduped = pipe(dedup, &segmented.stdout);
    assert!(
        deduped.status.success(),
        "{}",
        String::from_utf8_lossy(&deduped.stderr)
    );
    let records = lines(&deduped.stdout);
    assert_eq!(
        records.len(),
        5,
        "a pipe carries dropped records on, so none disappear"
    );
    for record in &records {
        assert!(
            record.get("dedup").is_some() || record.get("dropped").is_some(),
            "{record}"
        );
    }
}

/// A line that is not a record (bad JSON, a span past the end of the text or running
/// backwards) is skipped with a warning naming the file and line, or written to `--quarantine`,
/// and every other record goes on, through every per-record command.
#[test]
fn a_bad_line_names_the_file_and_line_and_the_rest_goes_on() {
    let good = |id: &str| {
        format!(
            "{{\"id\":\"{id}\",\"text\":\"Some words here.\",\"source\":{{\"path\":\"p\"}},\"schema_version\":1}}\n"
        )
    };
    let input = format!(
        "{}not json\n{}{}{}",
        good("a"),
        r#"{"id":"x","text":"Short.","source":{"path":"p"},"spans":{"sentences":[[4,2]]},"schema_version":1}"#.to_owned() + "\n",
        r#"{"id":"y","text":"Short.","source":{"path":"p"},"spans":{"words":[[0,99]]},"schema_version":1}"#.to_owned() + "\n",
        good("b"),
    );
    for command in ["clean", "segment", "dedup"] {
        let mut stage = chaff();
        stage.arg(command);
        let output = pipe(stage, input.as_bytes());
        assert_eq!(output.status.code(), Some(0), "{command}");
        let ids: Vec<String> = lines(&output.stdout)
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, ["a", "b"], "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("3 input lines were not records"),
            "{command}: {stderr}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let quarantine = dir.path().join("bad.jsonl");
    let mut clean = chaff();
    clean.arg("clean").arg("--quarantine").arg(&quarantine);
    let output = pipe(clean, input.as_bytes());
    assert_eq!(output.status.code(), Some(0));
    let entries = lines(&std::fs::read(&quarantine).unwrap());
    let summary: Vec<String> = entries
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["source"]["path"], e["source"]["line"], e["kind"]
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "\"<stdin>\" 2 \"malformed_record\"",
            "\"<stdin>\" 3 \"invalid_spans\"",
            "\"<stdin>\" 4 \"invalid_spans\""
        ]
    );
    assert!(
        entries[1]["error"]
            .as_str()
            .unwrap()
            .contains("span [4, 2] of spans.sentences"),
        "{entries:?}"
    );
}

#[test]
fn run_writes_the_layout_and_strict_fails_on_quarantine() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(
        input.join("a.txt"),
        "One small document about nothing much.\n",
    )
    .unwrap();
    std::fs::write(input.join("empty.txt"), "").unwrap();
    let out = dir.path().join("out");
    let status = chaff()
        .arg("run")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    for name in [
        "kept.jsonl",
        "dropped.jsonl",
        "quarantine.jsonl",
        "report.json",
        "report.md",
        "report.html",
    ] {
        assert!(out.join(name).exists(), "{name}");
    }
    let status = chaff()
        .arg("run")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .arg("--strict")
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
}

#[test]
fn no_readable_input_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let output = chaff()
        .arg("run")
        .arg(dir.path().join("missing"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn default_config_round_trips_through_the_binary() {
    let output = chaff().args(["config", "--default"]).output().unwrap();
    assert!(output.status.success());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chaff.toml");
    std::fs::write(&path, &output.stdout).unwrap();
    let effective = chaff()
        .arg("--config")
        .arg(&path)
        .arg("config")
        .output()
        .unwrap();
    assert!(
        effective.status.success(),
        "{}",
        String::from_utf8_lossy(&effective.stderr)
    );
}

#[test]
fn ingest_reads_standard_input() {
    let mut ingest = chaff();
    ingest.args(["ingest", "-"]);
    let output = pipe(
        ingest,
        b"{\"id\":\"x\",\"text\":\"From a pipe.\"}\nnot json\n",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records = lines(&output.stdout);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["id"], "<stdin>:1");
}
