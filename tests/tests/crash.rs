//! Crash safety of `chaff run`: the binary is killed with SIGKILL at several points of a run
//! (after fixed delays, and when a given output first appears). After every kill, any output
//! that exists under its final name is complete (byte-identical to the output of an
//! uninterrupted run); a rerun into the same directory then finishes and produces the same
//! bytes in every output as the uninterrupted run (timings aside).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chaff::pipeline::layout;
use common::{assert_same_outputs, is_temporary, output_files, temporary_files, without_timings};

/// The `chaff` binary of this build. The tests package cannot depend on another package's
/// binary, so it is built here (a no-op when `cargo test --workspace` has built it already).
fn chaff_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/crash-<hash>
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let target_dir = profile_dir.parent().unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--quiet", "--package", "chaff", "--bin", "chaff"])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name() == Some("release".as_ref()) {
        build.arg("--release");
    }
    let status = build.status().unwrap();
    assert!(status.success(), "cannot build the chaff binary");
    let binary = profile_dir.join(format!("chaff{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.exists(), "no binary at {}", binary.display());
    binary
}

/// A corpus that takes a debug build a second or two: 1,200 JSON lines in three files, with
/// exact and near duplicates, plus a few bad inputs so that the quarantine is not empty.
fn write_corpus(root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    let mut state = 9u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ren", "tu", "sa", "ve", "dor", "pi", "nel", "ox", "ar", "bu", "ce",
        "fi", "gun",
    ];
    let mut previous = String::new();
    for part in 0..3 {
        let file = std::fs::File::create(root.join(format!("part-{part}.jsonl"))).unwrap();
        let mut out = std::io::BufWriter::new(file);
        for line in 0..400 {
            let text = match line % 10 {
                // An exact copy of the line before.
                3 => previous.clone(),
                // A near copy: one word added.
                7 => previous.replacen(' ', " also ", 1),
                _ => {
                    let n_words = 40 + next() % 80;
                    let mut text = String::new();
                    for i in 0..n_words {
                        for _ in 0..1 + next() % 3 {
                            text.push_str(SYLLABLES[(next() % 16) as usize]);
                        }
                        text.push_str(if i % 15 == 14 { ". " } else { " " });
                    }
                    text.push_str(&format!("Part {part}, line {line}."));
                    text
                }
            };
            writeln!(out, "{}", serde_json::json!({ "text": text })).unwrap();
            previous = text;
        }
        writeln!(out, "{{\"text\": \"a line cut sho").unwrap();
    }
    std::fs::write(root.join("empty.txt"), "").unwrap();
    std::fs::write(root.join("binary.bin"), [0u8, 159, 146, 150, 0, 1]).unwrap();
}

fn spawn(binary: &Path, input: &Path, config: &Path, out: &Path) -> Child {
    Command::new(binary)
        .arg("--threads")
        .arg("2")
        .arg("--quiet")
        .arg("--config")
        .arg(config)
        .arg("run")
        .arg("--keep-stages")
        .arg("--out")
        .arg(out)
        .arg(input)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn run_to_completion(binary: &Path, input: &Path, config: &Path, out: &Path) {
    let output = spawn(binary, input, config, out)
        .wait_with_output()
        .unwrap();
    assert!(
        output.status.success(),
        "chaff run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// When to kill the run.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// This long after the start.
    After(Duration),
    /// As soon as this output exists under its final name (or the run ended).
    WhenExists(&'static str),
}

#[test]
fn a_killed_run_leaves_no_partial_output_and_a_rerun_matches() {
    let binary = chaff_binary();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus");
    write_corpus(&input);
    let config = dir.path().join("chaff.toml");
    std::fs::write(&config, "[run]\nbatch_size = 100\n").unwrap();

    let reference = dir.path().join("reference");
    run_to_completion(&binary, &input, &config, &reference);
    let reference_files = output_files(&reference);
    assert!(temporary_files(&reference).is_empty());
    assert!(reference_files.len() >= 11, "{:?}", reference_files.keys());

    let points = [
        KillPoint::After(Duration::ZERO),
        KillPoint::After(Duration::from_millis(50)),
        KillPoint::After(Duration::from_millis(300)),
        KillPoint::WhenExists(layout::QUARANTINE),
        KillPoint::WhenExists(layout::KEPT),
        KillPoint::WhenExists(layout::REPORT_JSON),
    ];
    let mut n_interrupted = 0;
    for (i, point) in points.iter().enumerate() {
        let out = dir.path().join(format!("killed-{i}"));
        let started = Instant::now();
        let mut child = spawn(&binary, &input, &config, &out);
        loop {
            let due = match point {
                KillPoint::After(delay) => started.elapsed() >= *delay,
                KillPoint::WhenExists(name) => out.join(name).exists(),
            };
            if due || child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        // SIGKILL: no destructor, no cleanup runs.
        let _ = child.kill();
        let status = child.wait().unwrap();
        let ended_after = started.elapsed();
        let finished = status.success();
        if !finished {
            n_interrupted += 1;
        }

        // Whatever exists under a final name is complete.
        if out.exists() {
            for (name, bytes) in output_files(&out) {
                let expected = reference_files
                    .get(&name)
                    .unwrap_or_else(|| panic!("{point:?}: unexpected file {name}"));
                assert!(
                    without_timings(&name, &bytes, false)
                        == without_timings(&name, expected, false),
                    "{point:?}: {name} exists but is not the complete output ({} of {} bytes)",
                    bytes.len(),
                    expected.len()
                );
            }
            for name in temporary_files(&out) {
                assert!(is_temporary(&name));
            }
        }

        // A rerun into the same directory finishes with the same outputs.
        run_to_completion(&binary, &input, &config, &out);
        assert_same_outputs(&reference, &out, false, &format!("rerun after {point:?}"));
        let leftovers = temporary_files(&out);
        assert!(
            leftovers.is_empty(),
            "{point:?}: the rerun left {leftovers:?} behind"
        );
        eprintln!(
            "{point:?}: {} after {ended_after:?}; {} temporary files left behind",
            if finished { "finished" } else { "killed" },
            leftovers.len()
        );
    }
    // The fixed delays fall well inside a run of a couple of seconds.
    assert!(
        n_interrupted >= 2,
        "only {n_interrupted} kills landed before the run ended; the test proves little"
    );
}

/// A file whose name starts with a dash is an input after `--`, not an option.
#[test]
fn a_leading_dash_input_after_double_dash() {
    let binary = chaff_binary();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("-dash.txt"),
        "A document named with a dash.\n",
    )
    .unwrap();
    let output = Command::new(&binary)
        .args(["--quiet", "run", "--out", "out", "--", "-dash.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let kept = common::read_records(&dir.path().join("out").join(layout::KEPT));
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].source.path, "-dash.txt");
}
