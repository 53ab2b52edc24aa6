//! Replays every input kept under `fixtures/fuzz/<target>/` (crashes the fuzzers found, and a
//! few seeds) through the same checks the cargo-fuzz targets in `fuzz/` run. This is what CI
//! runs; the fuzzers themselves are a developer tool (see `fuzz/README.md`).
#![allow(clippy::unwrap_used)]

use std::path::Path;

#[test]
fn every_fuzz_fixture_replays_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fuzz");
    let mut n_replayed = 0;
    let mut failures = Vec::new();
    for (target, check) in chaff_tests::TARGETS {
        let dir = root.join(target);
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_file())
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            n_replayed += 1;
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failures.push(format!("{target}: {}", path.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz fixtures that fail: {failures:#?}"
    );
    eprintln!("{n_replayed} fuzz fixtures replayed");
}
