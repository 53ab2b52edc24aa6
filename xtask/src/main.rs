//! Developer automation for chaff, run as `cargo xtask <command>`.
//!
//! - `run [--input PATH] [--out DIR] [--release] [-- ARGS…]`: the whole pipeline through the
//!   `chaff` binary; with no input it runs on the embedded corpus in `fixtures/seeds` and keeps
//!   every stage's output.
//! - `bless [--check]`: regenerate the insta snapshots and list the ones that changed; with
//!   `--check`, fail on any stale snapshot instead.
//! - `eval cleaneval`: clean scored against CleanEval's gold text.
//! - `bench [--quick]`: the benchmark harness; writes `BENCHMARKS.md` and
//!   `target/bench/results.json`.
//!
//! It has no dependencies beyond anyhow, so it builds in a second.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

mod bench;
mod eval;
mod mojibake;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    match args.first().map(String::as_str) {
        Some("run") => run(&root, &args[1..]),
        Some("bless") => bless(&root, &args[1..]),
        Some("eval") => match args.get(1).map(String::as_str) {
            Some("cleaneval") => eval::cleaneval(&root, &args[2..]),
            Some("mojibake") => mojibake::mojibake(&root, &args[2..]),
            Some("cleanportaleval") => eval::cleanportaleval(&root, &args[2..]),
            _ => bail!(
                "usage: cargo xtask eval cleaneval [--corpus DIR] | cargo xtask eval mojibake"
            ),
        },
        Some("bench") => bench::bench(&root, &args[1..]),
        Some("help" | "--help" | "-h") | None => {
            println!("{}", HELP.trim());
            Ok(())
        }
        Some(other) => bail!("unknown command {other:?}\n\n{}", HELP.trim()),
    }
}

const HELP: &str = "
cargo xtask run [--input PATH] [--out DIR] [--release] [-- CHAFF-RUN-ARGS…]
    Run the whole pipeline. Defaults: input fixtures/seeds (stage outputs kept),
    output target/chaff. Prints where the outputs are.
cargo xtask bless [--check]
    Regenerate the insta snapshots, then list the snapshot files that changed.
    --check: fail if any snapshot is stale, with the command to fix it.
cargo xtask eval cleaneval [--corpus DIR]   (DIR holds final/ and dev/; default ../shared/corpora/cleaneval)
    Clean's word-level precision, recall and F1 on CleanEval (../shared/corpora), with the
    no-cleaning baseline.
cargo xtask eval cleanportaleval [--corpus DIR]
    The whole pipeline on CleanPortalEval's 70 news-portal pages (../shared/corpora): what
    dedup's paragraph level adds to clean, scored against the gold text.
cargo xtask eval mojibake
    Clean's mojibake rule against ftfy's own test cases (fetched from PyPI into target/eval),
    with ftfy itself in the same run.
cargo xtask bench [--quick]
    Build in release, prepare the corpora in target/bench-data, install the Python peers in
    target/bench-venv, time chaff and the peers, write BENCHMARKS.md and
    target/bench/results.json. --quick: a few MB per corpus, short peer budgets.
";

/// The workspace root: the parent of this crate's manifest directory.
fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let mut input: Option<PathBuf> = None;
    let mut out = root.join("target").join("chaff");
    let mut release = false;
    let mut passthrough: Vec<String> = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--input" => input = Some(PathBuf::from(iter.next().context("--input needs a path")?)),
            "--out" => out = PathBuf::from(iter.next().context("--out needs a directory")?),
            "--release" => release = true,
            "--" => passthrough.extend(iter.by_ref().cloned()),
            other => bail!("unknown argument {other:?}\n\n{}", HELP.trim()),
        }
    }
    let embedded = input.is_none();
    let input = input.unwrap_or_else(|| root.join("fixtures").join("seeds"));
    let mut command = cargo();
    command
        .current_dir(root)
        .args(["run", "--quiet", "--package", "chaff"]);
    if release {
        command.arg("--release");
    }
    command
        .arg("--")
        .arg("run")
        .arg(&input)
        .arg("--out")
        .arg(&out);
    if embedded {
        command.arg("--keep-stages");
    }
    command.args(&passthrough);
    let status = command.status().context("cannot start cargo")?;
    if !status.success() {
        bail!("the pipeline failed ({status})");
    }
    println!("outputs: {}", out.display());
    println!("report:  {}", out.join("report.html").display());
    Ok(())
}

fn bless(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => bail!("usage: cargo xtask bless [--check]"),
    };
    let mut command = cargo();
    command
        .current_dir(root)
        .args(["test", "--workspace", "--quiet"]);
    if check {
        command.env("INSTA_UPDATE", "no");
    } else {
        // Write every changed snapshot in place; CI's `CI=true` would otherwise forbid it.
        command.env("INSTA_UPDATE", "always").env_remove("CI");
    }
    let status = command.status().context("cannot start cargo test")?;
    if check {
        if !status.success() {
            bail!(
                "tests or snapshots are stale; run `cargo xtask bless`, then read every changed .snap file before committing it"
            );
        }
        println!("every snapshot is up to date");
        return Ok(());
    }
    let changed = Command::new("git")
        .current_dir(root)
        .args([
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--",
            "*.snap",
        ])
        .output()
        .context("cannot run git status")?;
    let changed = String::from_utf8_lossy(&changed.stdout);
    if changed.trim().is_empty() {
        println!("no snapshot changed");
    } else {
        println!("changed snapshots (read every one before committing):");
        print!("{changed}");
    }
    if !status.success() {
        bail!("some tests failed for reasons other than snapshots ({status})");
    }
    Ok(())
}
