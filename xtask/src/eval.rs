//! `cargo xtask eval cleaneval`: clean's word-level precision and recall against the text people
//! kept, on the CleanEval pages in `../shared/corpora/cleaneval` (not part of the repository),
//! side by side with datatrove's C4 line filter and jusText fed the same text.
//!
//! Pages are ingested (HTML as visible text, one block a line) with the release `chaff`
//! binary; that one file is then cleaned by chaff and by each peer (`bench/peers/cleaneval.py`,
//! in the benchmark's virtual environment). Each output is scored against `GoldStandard/N.txt`
//! with its `URL:` line and `<p>`/`<h>`/`<l>` markers removed, as bags of lower-cased words per
//! page, and the per-page precision, recall and F1 are averaged. The ingested text alone is the
//! no-cleaning baseline. Both sets are scored: `final` (681 pages with gold) and `dev` (58).
//! The table goes to stdout and `target/eval/cleaneval.md`, the figures to
//! `target/eval/cleaneval.json`; `cargo xtask bench` includes the table in `BENCHMARKS.md`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
fn bag(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

fn gold_text(raw: &str) -> String {
    let body = raw
        .strip_prefix("URL:")
        .map_or(raw, |rest| rest.split_once('\n').map_or("", |(_, b)| b));
    let body = body
        .replace("<p>", " ")
        .replace("<h>", " ")
        .replace("<l>", " ");
    // Some gold files keep HTML entities (`the BBC&#039;s`): read them as the text they are.
    html_escape::decode_html_entities(&body).into_owned()
}

/// Mean precision, recall and F1 over the pages of a JSON-lines file that have a gold text.
fn score(records: &Path, gold_dir: &Path) -> anyhow::Result<(usize, f64, f64, f64)> {
    let text = std::fs::read_to_string(records)
        .with_context(|| format!("cannot read {}", records.display()))?;
    let (mut n, mut sum_p, mut sum_r, mut sum_f) = (0usize, 0.0, 0.0, 0.0);
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line)?;
        let path = record["source"]["path"].as_str().unwrap_or_default();
        let Some(stem) = Path::new(path).file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let Ok(gold_raw) = std::fs::read(gold_dir.join(format!("{stem}.txt"))) else {
            continue;
        };
        let gold = bag(&gold_text(&String::from_utf8_lossy(&gold_raw)));
        let kept = if record.get("dropped").is_some() {
            ""
        } else {
            record["text"].as_str().unwrap_or_default()
        };
        let got = bag(kept);
        let common: usize = got
            .iter()
            .map(|(w, &c)| c.min(gold.get(w).copied().unwrap_or(0)))
            .sum();
        let precision = common as f64 / got.values().sum::<usize>().max(1) as f64;
        let recall = common as f64 / gold.values().sum::<usize>().max(1) as f64;
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        n += 1;
        sum_p += precision;
        sum_r += recall;
        sum_f += f1;
    }
    if n == 0 {
        bail!("no page of {} has a gold text", records.display());
    }
    let n_f = n as f64;
    Ok((n, sum_p / n_f, sum_r / n_f, sum_f / n_f))
}

/// One scored output: what made it, its mean scores and its speed.
struct Scored {
    tool: String,
    n_pages: usize,
    precision: f64,
    recall: f64,
    f1: f64,
    mb_per_s: Option<f64>,
}

/// The CleanEval sets under `root`: `final` and `dev` when they are there.
fn sets(corpus: &Path) -> Vec<(String, PathBuf)> {
    ["final", "dev"]
        .iter()
        .map(|name| ((*name).to_owned(), corpus.join(name)))
        .filter(|(_, dir)| dir.join("input").is_dir())
        .collect()
}

/// Scores chaff and the peers on every CleanEval set under `corpus`; returns the Markdown
/// table and the raw figures. `python` runs the peers (None: they are reported as not run).
pub(crate) fn cleaneval_table(
    root: &Path,
    chaff: &Path,
    corpus: &Path,
    python: Option<&Path>,
) -> anyhow::Result<(String, Value)> {
    let sets = sets(corpus);
    if sets.is_empty() {
        bail!(
            "the CleanEval corpus is missing: {} has neither final/input nor dev/input (it lives in ../shared/corpora, beside the repository)",
            corpus.display()
        );
    }
    let out = root.join("target").join("eval");
    std::fs::create_dir_all(&out)?;
    let run = |args: &[&std::ffi::OsStr]| -> anyhow::Result<f64> {
        let started = Instant::now();
        let status = Command::new(chaff)
            .arg("--quiet")
            .args(args)
            .status()
            .context("cannot run chaff")?;
        if !status.success() {
            bail!("chaff {args:?} failed");
        }
        Ok(started.elapsed().as_secs_f64())
    };
    let mut markdown = String::from(
        "| set | text | pages | precision | recall | F1 | MB/s |\n|---|---|---:|---:|---:|---:|---:|\n",
    );
    let mut figures = Vec::new();
    for (set, dir) in &sets {
        let ingested = out.join(format!("cleaneval-{set}.ingest.jsonl"));
        let cleaned = out.join(format!("cleaneval-{set}.clean.jsonl"));
        run(&[
            "ingest".as_ref(),
            dir.join("input").as_os_str(),
            "-o".as_ref(),
            ingested.as_os_str(),
            "--quarantine".as_ref(),
            out.join(format!("cleaneval-{set}.quarantine.jsonl"))
                .as_os_str(),
        ])?;
        let n_bytes = text_bytes(&ingested)?;
        let chaff_seconds = run(&[
            "--threads".as_ref(),
            "1".as_ref(),
            "clean".as_ref(),
            ingested.as_os_str(),
            "-o".as_ref(),
            cleaned.as_os_str(),
        ])?;
        let gold = dir.join("GoldStandard");
        let mut rows: Vec<(String, PathBuf, Option<f64>)> = vec![
            (
                "ingest only (no cleaning)".to_owned(),
                ingested.clone(),
                None,
            ),
            (
                "**chaff clean**".to_owned(),
                cleaned,
                Some(n_bytes as f64 / 1e6 / chaff_seconds),
            ),
        ];
        let mut notes = Vec::new();
        match python {
            None => notes.push("peers not run: no Python environment".to_owned()),
            Some(python) => {
                let peer_out = out.join(format!("cleaneval-{set}-peers"));
                std::fs::create_dir_all(&peer_out)?;
                let output = Command::new(python)
                    .arg(root.join("bench").join("peers").join("cleaneval.py"))
                    .arg("--input")
                    .arg(&ingested)
                    .arg("--out-dir")
                    .arg(&peer_out)
                    .output()
                    .context("cannot run bench/peers/cleaneval.py")?;
                let stdout = String::from_utf8_lossy(&output.stdout);
                let timing: Value = stdout
                    .lines()
                    .last()
                    .and_then(|line| serde_json::from_str(line).ok())
                    .unwrap_or_else(|| {
                        json!({ "error": String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("no output").to_owned() })
                    });
                for (tool, label) in [
                    ("datatrove_c4_lines", "datatrove C4 line filter"),
                    ("datatrove_c4", "datatrove C4 filter, its page drops on"),
                    ("justext", "jusText"),
                ] {
                    match timing.get(tool) {
                        Some(t) if t.get("error").is_none() => rows.push((
                            label.to_owned(),
                            peer_out.join(format!("{tool}.jsonl")),
                            t["mb_per_s"].as_f64(),
                        )),
                        other => notes.push(format!(
                            "{label} failed: {}",
                            other
                                .and_then(|t| t.get("error"))
                                .or_else(|| timing.get("error"))
                                .map_or_else(|| "no result".to_owned(), ToString::to_string)
                        )),
                    }
                }
            }
        }
        for (tool, path, mb_per_s) in rows {
            let (n, p, r, f) = score(&path, &gold)?;
            let scored = Scored {
                tool,
                n_pages: n,
                precision: p,
                recall: r,
                f1: f,
                mb_per_s,
            };
            markdown.push_str(&format!(
                "| {set} | {} | {} | {:.3} | {:.3} | {:.3} | {} |\n",
                scored.tool,
                scored.n_pages,
                scored.precision,
                scored.recall,
                scored.f1,
                scored
                    .mb_per_s
                    .map_or("–".to_owned(), |v| format!("{v:.1}"))
            ));
            figures.push(json!({
                "set": set,
                "tool": scored.tool.trim_matches('*'),
                "pages": scored.n_pages,
                "precision": scored.precision,
                "recall": scored.recall,
                "f1": scored.f1,
                "mb_per_s": scored.mb_per_s,
            }));
        }
        for note in notes {
            markdown.push_str(&format!("\n{set}: {note}\n"));
        }
    }
    markdown.push_str(concat!(
        "\nWord-level precision and recall per page against the gold text (bags of lower-cased ",
        "words), averaged over pages. Every tool gets the same ingested text. MB/s: one thread; ",
        "chaff's figure is the `chaff clean` process on the file (JSON in and out included), the ",
        "peers' their own work only.\n",
    ));
    let value = json!({ "cleaneval": figures });
    std::fs::write(out.join("cleaneval.md"), &markdown)?;
    std::fs::write(
        out.join("cleaneval.json"),
        serde_json::to_string_pretty(&value)?,
    )?;
    Ok((markdown, value))
}

/// Bytes of `text` in a JSON-lines file of records.
fn text_bytes(path: &Path) -> anyhow::Result<usize> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut n = 0;
    for line in text.lines() {
        let record: Value = serde_json::from_str(line)?;
        n += record["text"].as_str().map_or(0, str::len);
    }
    Ok(n)
}

pub(crate) fn cleaneval(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let corpus = match args {
        [] => root.join("../shared/corpora/cleaneval"),
        [flag, dir] if flag == "--corpus" => Path::new(dir).to_path_buf(),
        _ => bail!("usage: cargo xtask eval cleaneval [--corpus DIR]"),
    };
    let chaff = build_chaff(root)?;
    let mut notes = Vec::new();
    let python = crate::bench::prepare_venv(root, &mut notes);
    for note in &notes {
        eprintln!("eval: {note}");
    }
    let (markdown, _) = cleaneval_table(root, &chaff, &corpus, python.as_deref())?;
    print!("{markdown}");
    Ok(())
}

/// Builds the release `chaff` binary; its path.
pub(crate) fn build_chaff(root: &Path) -> anyhow::Result<PathBuf> {
    let status = crate::cargo()
        .current_dir(root)
        .args(["build", "--release", "--quiet", "--package", "chaff"])
        .status()
        .context("cannot start cargo")?;
    if !status.success() {
        bail!("building chaff failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release").join("chaff"))
}

/// `cargo xtask eval cleanportaleval`: the paragraph level of dedup on real pages. The 70
/// CleanPortalEval pages come from 4 news sites whose pages share navigation, footers and
/// teasers; chaff runs the whole pipeline over them, and the text it keeps is scored as in
/// CleanEval, next to ingest alone and clean alone (which sees one page at a time).
pub(crate) fn cleanportaleval(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let corpus = match args {
        [] => root.join("../shared/corpora/cleanportaleval"),
        [flag, dir] if flag == "--corpus" => Path::new(dir).to_path_buf(),
        _ => bail!("usage: cargo xtask eval cleanportaleval [--corpus DIR]"),
    };
    if !corpus.join("input").is_dir() {
        bail!(
            "the CleanPortalEval corpus is missing: {} has no input/ (it lives in ../shared/corpora, beside the repository)",
            corpus.display()
        );
    }
    let chaff = build_chaff(root)?;
    let out = root.join("target").join("eval").join("cleanportaleval");
    std::fs::create_dir_all(&out)?;
    let run = |args: &[&std::ffi::OsStr]| -> anyhow::Result<()> {
        let status = Command::new(&chaff)
            .arg("--quiet")
            .args(args)
            .status()
            .context("cannot run chaff")?;
        if !status.success() {
            bail!("chaff {args:?} failed");
        }
        Ok(())
    };
    let input = corpus.join("input");
    let ingested = out.join("ingest.jsonl");
    let cleaned = out.join("clean.jsonl");
    let run_dir = out.join("run");
    run(&[
        "ingest".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        ingested.as_os_str(),
    ])?;
    run(&[
        "clean".as_ref(),
        ingested.as_os_str(),
        "-o".as_ref(),
        cleaned.as_os_str(),
    ])?;
    run(&[
        "run".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        run_dir.as_os_str(),
    ])?;
    // The run's final texts: kept and dropped records together (a dropped page keeps nothing).
    let final_texts = out.join("final.jsonl");
    let mut all = std::fs::read_to_string(run_dir.join("kept.jsonl"))?;
    all.push_str(&std::fs::read_to_string(run_dir.join("dropped.jsonl")).unwrap_or_default());
    std::fs::write(&final_texts, all)?;
    let gold = corpus.join("GoldStandard");
    println!("| text | pages | precision | recall | F1 |\n|---|---:|---:|---:|---:|");
    for (name, path) in [
        ("ingest only (no cleaning)", &ingested),
        ("chaff clean (one page at a time)", &cleaned),
        (
            "**chaff run** (clean, segment, dedup with paragraphs)",
            &final_texts,
        ),
    ] {
        let (n, p, r, f) = score(path, &gold)?;
        println!("| {name} | {n} | {p:.3} | {r:.3} | {f:.3} |");
    }
    let edits = std::fs::read_to_string(run_dir.join("kept.jsonl"))?;
    let (mut n_boilerplate, mut n_repeated) = (0usize, 0usize);
    for line in edits.lines() {
        let record: Value = serde_json::from_str(line)?;
        for edit in record["edits"].as_array().into_iter().flatten() {
            match edit["rule"].as_str() {
                Some("boilerplate_paragraph") => n_boilerplate += 1,
                Some("repeated_paragraph") => n_repeated += 1,
                _ => {}
            }
        }
    }
    println!(
        "\ndedup removed {n_boilerplate} boilerplate paragraphs (in at least `boilerplate_min_docs` pages) and {n_repeated} repeated paragraphs."
    );
    Ok(())
}
