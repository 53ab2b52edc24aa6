//! Helpers shared by the reliability tests (`hostile.rs`, `crash.rs`): running the pipeline,
//! reading its outputs, and comparing two output directories with the timings taken out.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chaff::config::Config;
use chaff::pipeline;
use chaff::progress::Progress;
use chaff_record::{Quarantined, ReadOptions, Record, RecordReader};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Runs the pipeline in a pool of `threads` workers; an error comes back as its rendered chain.
pub fn run_in_pool(
    threads: usize,
    config: &Config,
    inputs: &[PathBuf],
    out: &Path,
) -> Result<chaff::pipeline::RunOutcome, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| pipeline::run(config, inputs, out, &Progress::hidden()))
        .map_err(|err| format!("{err:#}"))
}

pub fn read_records(path: &Path) -> Vec<Record> {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    RecordReader::new(file, path.display().to_string(), ReadOptions::default())
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn read_quarantine(path: &Path) -> Vec<Quarantined> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Whether a name in an output directory is a partial file (`.chaff-partial-*`), not an
/// output.
pub fn is_temporary(name: &str) -> bool {
    name.starts_with(chaff::pipeline::PARTIAL_PREFIX)
}

/// Every entry under `dir`, by path relative to it, sorted; directories end with `/`.
/// Symlinks are listed, not followed.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let entry = entry.unwrap();
            let relative = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if entry.file_type().unwrap().is_dir() {
                names.push(format!("{relative}/"));
                pending.push(entry.path());
            } else {
                names.push(relative);
            }
        }
    }
    names.sort();
    names
}

/// Every output file under `dir` (partial files left out), by path relative to `dir`.
pub fn output_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(dir)
        .into_iter()
        .filter(|relative| {
            let name = relative.rsplit('/').next().unwrap_or(relative);
            !relative.ends_with('/') && !is_temporary(name)
        })
        .map(|relative| {
            let bytes = std::fs::read(dir.join(&relative)).unwrap();
            (relative, bytes)
        })
        .collect()
}

/// Temporary files left in `dir` (not in subdirectories).
pub fn temporary_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| is_temporary(name))
        .collect();
    names.sort();
    names
}

/// The bytes of an output with every timing replaced by a fixed mark: wall and stage seconds
/// and throughput in `report.json`, `report.md` and `report.html`. With `threads`, the thread
/// count too. Other files are returned as they are.
pub fn without_timings(name: &str, bytes: &[u8], threads: bool) -> Vec<u8> {
    if name.ends_with("report.json") {
        let mut value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let run = &mut value["run"];
        run["wall_seconds"] = 0.into();
        if let Some(run) = run.as_object_mut() {
            run.remove("peak_rss_bytes");
        }
        if threads {
            run["threads"] = 0.into();
        }
        if let Some(stages) = run["stages"].as_array_mut() {
            for stage in stages {
                stage["seconds"] = 0.into();
            }
        }
        return serde_json::to_vec_pretty(&value).unwrap();
    }
    if name.ends_with("report.md") || name.ends_with("report.html") {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let seconds = regex::Regex::new(r"\d+\.\d{3} s\b").unwrap();
        let throughput = regex::Regex::new(r"\d+\.\d MB/s").unwrap();
        let text = seconds.replace_all(&text, "T s");
        let text = throughput.replace_all(&text, "R MB/s");
        let memory = regex::Regex::new(r"peak memory: \d+\.\d MB").unwrap();
        let mut text = memory.replace_all(&text, "peak memory: M MB").into_owned();
        if threads {
            let thread_count = regex::Regex::new(r"threads: \d+").unwrap();
            text = thread_count.replace_all(&text, "threads: N").into_owned();
        }
        return text.into_bytes();
    }
    bytes.to_vec()
}

/// Asserts two output directories hold the same files with the same bytes, timings aside.
pub fn assert_same_outputs(expected: &Path, actual: &Path, threads: bool, what: &str) {
    let expected_files = output_files(expected);
    let actual_files = output_files(actual);
    assert_eq!(
        expected_files.keys().collect::<Vec<_>>(),
        actual_files.keys().collect::<Vec<_>>(),
        "{what}: the output files differ"
    );
    for (name, expected_bytes) in &expected_files {
        let a = without_timings(name, expected_bytes, threads);
        let b = without_timings(name, &actual_files[name], threads);
        assert!(a == b, "{what}: {name} differs");
    }
}
