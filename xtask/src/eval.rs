//! `cargo xtask eval cleaneval`: clean's word-level precision and recall against the text people
//! kept, on the CleanEval pages in `../shared/corpora/cleaneval` (not part of the repository).
//!
//! Pages are ingested (HTML as visible text, one block a line) and cleaned with the release
//! `chaff` binary; each output is scored against `GoldStandard/N.txt` with its `URL:` line and
//! `<p>`/`<h>`/`<l>` markers removed, as bags of lower-cased words per page, and the per-page
//! precision, recall and F1 are averaged. The same scores for the ingested text alone are the
//! no-cleaning baseline. The peers (datatrove's C4 filter, jusText) are run by the benchmark
//! harness, not here.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

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
    body.replace("<p>", " ")
        .replace("<h>", " ")
        .replace("<l>", " ")
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

pub(crate) fn cleaneval(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let corpus = match args {
        [] => root.join("../shared/corpora/cleaneval/final"),
        [flag, dir] if flag == "--corpus" => Path::new(dir).to_path_buf(),
        _ => bail!("usage: cargo xtask eval cleaneval [--corpus DIR]"),
    };
    if !corpus.join("input").is_dir() {
        bail!(
            "the CleanEval corpus is missing: {} has no input/ (it lives in ../shared/corpora, beside the repository)",
            corpus.display()
        );
    }
    let status = crate::cargo()
        .current_dir(root)
        .args(["build", "--release", "--quiet", "--package", "chaff"])
        .status()
        .context("cannot start cargo")?;
    if !status.success() {
        bail!("building chaff failed");
    }
    let chaff = root.join("target/release/chaff");
    let out = root.join("target/eval");
    std::fs::create_dir_all(&out)?;
    let ingested = out.join("cleaneval.ingest.jsonl");
    let cleaned = out.join("cleaneval.clean.jsonl");
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
    run(&[
        "ingest".as_ref(),
        corpus.join("input").as_os_str(),
        "-o".as_ref(),
        ingested.as_os_str(),
        "--quarantine".as_ref(),
        out.join("cleaneval.quarantine.jsonl").as_os_str(),
    ])?;
    run(&[
        "clean".as_ref(),
        ingested.as_os_str(),
        "-o".as_ref(),
        cleaned.as_os_str(),
    ])?;
    let gold = corpus.join("GoldStandard");
    println!("| text | pages | precision | recall | F1 |\n|---|---:|---:|---:|---:|");
    for (name, path) in [
        ("ingest only (no cleaning)", &ingested),
        ("chaff clean", &cleaned),
    ] {
        let (n, p, r, f) = score(path, &gold)?;
        println!("| {name} | {n} | {p:.3} | {r:.3} | {f:.3} |");
    }
    Ok(())
}
