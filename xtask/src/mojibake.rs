//! `cargo xtask eval mojibake`: clean's `mojibake` rule on ftfy's own test cases.
//!
//! The cases ship in ftfy's source distribution (`tests/test_cases.json`), which the harness
//! fetches from PyPI with the benchmark's virtual environment (`pip download --no-binary`)
//! into `target/eval/ftfy-sdist/`; nothing of it is committed. Each case ftfy expects to pass
//! is cleaned by the release `chaff clean` with every rule but `mojibake` switched off, and by
//! ftfy's own `fix_text` in the same run. ftfy straightens curly quotes by default and chaff
//! keeps them, so outputs are compared with quotes straightened on both sides. A case is
//! right (the expected text), wrong (changed, but not into the expected text) or untouched.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

const FTFY: &str = "ftfy==6.3.1";

fn straight(text: &str) -> String {
    text.replace(['“', '”', '„'], "\"")
        .replace(['‘', '’', '‚'], "'")
}

pub(crate) fn mojibake(root: &Path, args: &[String]) -> anyhow::Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask eval mojibake");
    }
    let chaff = crate::eval::build_chaff(root)?;
    let mut notes = Vec::new();
    let Some(python) = crate::bench::prepare_venv(root, &mut notes) else {
        bail!("no Python environment for ftfy: {notes:?}");
    };
    let out = root.join("target").join("eval");
    let sdist = out.join("ftfy-sdist");
    std::fs::create_dir_all(&sdist)?;
    let cases_path = out.join("ftfy_test_cases.json");
    if !cases_path.exists() {
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
            ])
            .arg(FTFY)
            .arg("-d")
            .arg(&sdist)
            .status()
            .context("cannot run pip download")?;
        if !status.success() {
            bail!("pip download {FTFY} failed ({status})");
        }
        let status = Command::new(&python)
            .arg("-c")
            .arg(
                "import glob, sys, tarfile\n\
                 archive = tarfile.open(glob.glob(sys.argv[1] + '/ftfy-*.tar.gz')[0])\n\
                 member = next(m for m in archive.getmembers() if m.name.endswith('tests/test_cases.json'))\n\
                 open(sys.argv[2], 'wb').write(archive.extractfile(member).read())",
            )
            .arg(&sdist)
            .arg(&cases_path)
            .status()
            .context("cannot extract ftfy's test cases")?;
        if !status.success() {
            bail!("extracting tests/test_cases.json from the ftfy sdist failed");
        }
    }
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&cases_path)?)?;
    let cases: Vec<&Value> = cases.iter().filter(|c| c["expect"] == "pass").collect();

    // chaff: every rule off but mojibake.
    let records = out.join("ftfy_cases.jsonl");
    let mut lines = String::new();
    for (i, case) in cases.iter().enumerate() {
        let record = json!({ "id": i.to_string(), "text": case["original"], "source": { "path": "ftfy_test_cases.json" }, "schema_version": 1 });
        lines.push_str(&record.to_string());
        lines.push('\n');
    }
    std::fs::write(&records, lines)?;
    let disabled: Vec<String> = chaff_clean::RULES
        .iter()
        .filter(|r| **r != "mojibake")
        .map(|r| format!("{r:?}"))
        .collect();
    let config = out.join("mojibake_only.toml");
    std::fs::write(
        &config,
        format!(
            "[clean]\ndisabled_rules = [{}]\nmin_words = 0\n",
            disabled.join(", ")
        ),
    )?;
    let cleaned = out.join("ftfy_cases.clean.jsonl");
    let status = Command::new(&chaff)
        .arg("--quiet")
        .arg("--config")
        .arg(&config)
        .arg("clean")
        .arg(&records)
        .arg("-o")
        .arg(&cleaned)
        .status()
        .context("cannot run chaff")?;
    if !status.success() {
        bail!("chaff clean failed ({status})");
    }
    let mut by_chaff = vec![String::new(); cases.len()];
    for line in std::fs::read_to_string(&cleaned)?.lines() {
        let record: Value = serde_json::from_str(line)?;
        let index: usize = record["id"].as_str().unwrap_or_default().parse()?;
        if let Some(slot) = by_chaff.get_mut(index) {
            slot.push_str(record["text"].as_str().unwrap_or_default());
        }
    }

    // ftfy itself, in the same run.
    let output = Command::new(&python)
        .arg("-c")
        .arg(
            "import json, sys, ftfy\n\
             cases = [c for c in json.load(open(sys.argv[1])) if c['expect'] == 'pass']\n\
             print(json.dumps([ftfy.fix_text(c['original']) for c in cases]))",
        )
        .arg(&cases_path)
        .output()
        .context("cannot run ftfy")?;
    let by_ftfy: Vec<String> = serde_json::from_slice(&output.stdout).unwrap_or_default();

    println!(
        "ftfy's test cases it expects to pass ({} of them), quotes compared straight:\n",
        cases.len()
    );
    println!("| tool | right | wrong | untouched |\n|---|---:|---:|---:|");
    for (tool, outputs) in [
        ("chaff clean, `mojibake` only", &by_chaff),
        ("ftfy.fix_text (every fix on)", &by_ftfy),
    ] {
        if outputs.len() != cases.len() {
            println!("| {tool} | – | – | – |");
            continue;
        }
        let (mut right, mut wrong, mut untouched) = (0, 0, 0);
        for (case, got) in cases.iter().zip(outputs) {
            let original = case["original"].as_str().unwrap_or_default();
            let fixed = case["fixed"].as_str().unwrap_or_default();
            if straight(got) == straight(fixed) {
                right += 1;
            } else if got == original {
                untouched += 1;
            } else {
                wrong += 1;
            }
        }
        println!("| {tool} | {right} | {wrong} | {untouched} |");
    }
    Ok(())
}
