//! `report.html` in a real browser: the seed run (plus a hostile document) through the whole
//! pipeline, the page loaded in headless chromium, its DOM checked after the scripts ran, and
//! screenshots saved under `target/` for a person to look at.
//!
//! Without chromium the test says so and passes, unless `CI` is set: `.ci/run` installs
//! Debian's chromium, so there a missing browser is a failure. `CHAFF_CHROMIUM` names another
//! browser binary.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chaff::config::Config;
use chaff::pipeline::{self, layout};
use chaff::progress::Progress;

/// The two seeds that carry the same article: one cluster, the first kept.
const SAME_ARTICLE: [&str; 2] = [
    "seeds/000_4ceee4a1cd8c8d9e.txt",
    "seeds/001_d721fddbd53c6c4e.txt",
];

/// Markup in a document's text that would run if the page let it through: each payload leaves
/// a trace in the DOM (the title, an attribute, an element) when it executes. Clean strips the
/// raw tags (they reach the page as removed text); the entity-encoded ones it decodes, so they
/// reach the page as the document's own text.
const HOSTILE: &str = "A hostile document tests the report page, which must show its markup as text.\n\n\
Entities: &lt;script&gt;document.title='pwned'&lt;/script&gt; and \
&lt;img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1')\"&gt; decode to markup.\n\n\
<script>document.title='pwned';alert(1)</script> The script tag before this sentence must stay text.\n\n\
An image follows: <img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1');alert(1)\"> and then more words in the sentence.\n\n\
A division with an event attribute: <div onmouseover=\"alert(1)\" id=\"injected\">hover over me</div> ends this paragraph.\n\n\
It closes with a plain sentence, so that enough ordinary text is left to keep the document.\n";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `CARGO_TARGET_DIR` (relative to the workspace if relative), else the workspace's `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace().join(dir),
        _ => workspace().join("target"),
    }
}

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHAFF_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs headless chromium on `page` with `extra` arguments; returns (stdout, stderr).
fn chromium(binary: &Path, scratch: &Path, page: &Path, extra: &[String]) -> (String, String) {
    let stdout_path = scratch.join("stdout.txt");
    let stderr_path = scratch.join("stderr.txt");
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("profile").display()
        ))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));
    // A hung browser must not hang the test suite.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within two minutes: {extra:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(status.success(), "chromium failed ({status}):\n{stderr}");
    (stdout, stderr)
}

/// The page's messages to the console, as chromium logs them to stderr.
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE") || line.contains("Uncaught"))
        .collect()
}

/// The opening tag of the first element `<name` in `dom`.
fn start_tag<'a>(dom: &'a str, name: &str) -> &'a str {
    let at = dom
        .find(&format!("<{name}"))
        .unwrap_or_else(|| panic!("no <{name}> in the page"));
    let end = at + dom[at..].find('>').unwrap();
    &dom[at..=end]
}

/// The element starting at the first match of `opening` (a start tag's prefix), up to its
/// matching close tag `</name>`, counting nested elements of the same name.
fn element<'a>(dom: &'a str, opening: &str, name: &str) -> &'a str {
    let start = dom
        .find(opening)
        .unwrap_or_else(|| panic!("no {opening} in the page"));
    let (open, close) = (format!("<{name}"), format!("</{name}>"));
    let mut depth = 0usize;
    let mut at = start;
    loop {
        let next_open = dom[at + 1..].find(&open).map(|i| i + at + 1);
        let next_close = dom[at..]
            .find(&close)
            .map(|i| i + at)
            .unwrap_or_else(|| panic!("{opening} is never closed"));
        match next_open {
            Some(o) if o < next_close => {
                depth += 1;
                at = o;
            }
            _ => {
                if depth == 0 {
                    return &dom[start..next_close + close.len()];
                }
                depth -= 1;
                at = next_close + 1;
            }
        }
    }
}

#[test]
fn report_html_in_headless_chromium() {
    let Some(binary) = find_chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but no chromium was found: .ci/run installs Debian's chromium \
             (apt-get install chromium); CHAFF_CHROMIUM names another binary"
        );
        eprintln!(
            "SKIPPED report_html_in_headless_chromium: no chromium found \
             (install Debian's chromium, or set CHAFF_CHROMIUM); this fails when CI is set"
        );
        return;
    };

    // The seeds and one hostile document, through the whole pipeline.
    let dir = tempfile::tempdir().unwrap();
    let hostile = dir.path().join("hostile");
    std::fs::create_dir(&hostile).unwrap();
    std::fs::write(hostile.join("evil.txt"), HOSTILE).unwrap();
    let out = dir.path().join("out");
    let inputs = [workspace().join("fixtures/seeds"), hostile];
    let outcome = pipeline::run(&Config::default(), &inputs, &out, &Progress::hidden()).unwrap();
    outcome.report.check_identity().unwrap();
    let page = out.join(layout::REPORT_HTML);
    let scratch = dir.path().join("chromium");
    std::fs::create_dir(&scratch).unwrap();

    let (dom, stderr) = chromium(
        &binary,
        &scratch,
        &page,
        &[
            "--dump-dom".to_owned(),
            "--virtual-time-budget=2000".to_owned(),
        ],
    );

    // The page ran to its end, with no script error and nothing logged to the console.
    let html_tag = start_tag(&dom, "html");
    assert!(
        html_tag.contains("data-ready=\"1\""),
        "the page's script did not run to the end: {html_tag}"
    );
    assert!(
        !html_tag.contains("data-errors"),
        "the page counted script errors: {html_tag}\n{}",
        console_lines(&stderr).join("\n")
    );
    let console = console_lines(&stderr);
    assert!(
        console.is_empty(),
        "the page logged to the console:\n{}",
        console.join("\n")
    );

    // The funnel, as a chart and as a table, with every stage.
    let chart = element(&dom, "<svg id=\"funnel-chart\"", "svg");
    let table = element(&dom, "<table id=\"funnel-table\"", "table");
    for stage in pipeline::STAGES {
        let marker = format!("data-stage=\"{stage}\"");
        assert!(chart.contains(&marker), "no {stage} in the funnel chart");
        assert!(table.contains(&marker), "no {stage} in the funnel table");
    }
    assert!(chart.contains("data-metric=\"documents\""));
    assert!(chart.contains("data-metric=\"bytes of text\""));

    // The cluster of the two same-article seeds, and the two side by side with shared text
    // marked.
    let clusters = element(&dom, "<ul id=\"clusters\"", "ul");
    let cluster = element(
        clusters,
        &format!("<li data-representative=\"{}\"", SAME_ARTICLE[0]),
        "li",
    );
    assert!(
        cluster.contains(&format!("data-member=\"{}\"", SAME_ARTICLE[1])),
        "{cluster}"
    );
    let pair = element(
        &dom,
        &format!(
            "<div class=\"pair-view\" data-representative=\"{}\" data-duplicate=\"{}\"",
            SAME_ARTICLE[0], SAME_ARTICLE[1]
        ),
        "div",
    );
    assert!(pair.contains("<mark>"), "nothing marked shared: {pair}");

    // The shared-quote matrix, with at least one pair sharing sentences, listed on demand.
    let matrix = element(&dom, "<table id=\"shared-matrix\"", "table");
    assert!(matrix.contains("shared sentences"), "{matrix}");
    assert!(
        matrix.contains("<a href=\"#shared-"),
        "no cell links to its sentences"
    );
    let sentences = element(&dom, "<div id=\"shared-sentences\"", "div");
    assert!(
        sentences.contains("<details id=\"shared-") && sentences.contains("<li>"),
        "no shared sentence listed: {sentences}"
    );

    // The hostile document is shown, as text: none of its markup became an element or ran.
    assert!(
        dom.contains("data-id=\"hostile/evil.txt\""),
        "the hostile document is not on the page"
    );
    assert!(
        !html_tag.contains("data-pwned"),
        "an event handler from a document ran"
    );
    assert!(
        dom.contains("<title>chaff run report</title>"),
        "a script from a document ran"
    );
    assert!(
        !dom.contains("<img"),
        "a document's <img> became an element"
    );
    assert!(
        !dom.contains("<div onmouseover"),
        "a document's <div> became an element"
    );
    assert_eq!(
        dom.matches("<script").count(),
        2,
        "a script element other than the page's own two"
    );
    assert!(
        dom.contains("&lt;img src=x onerror="),
        "the payload is not shown as text"
    );
    assert!(dom.contains("&lt;script&gt;document.title"));
    let evil = element(
        &dom,
        "<details class=\"doc\" data-id=\"hostile/evil.txt\"",
        "details",
    );
    // Removed text is struck through in place (`<del class="cut">`): the text without it is
    // the document's final text.
    let mut final_text = String::new();
    let mut rest: &str = evil;
    while let Some(start) = rest.find("<del class=\"cut\"") {
        final_text.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</del>")
            .map_or("", |end| &rest[start + end + "</del>".len()..]);
    }
    final_text.push_str(rest);
    assert!(
        final_text.contains("Entities: &lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "the decoded markup is not the document's text: {evil}"
    );
    assert!(
        evil.contains("<del class=\"cut\" title=\"clean/script_style\""),
        "removed text is not struck through in place: {evil}"
    );

    // Screenshots for people: a laptop and a phone.
    let target = target_dir();
    std::fs::create_dir_all(&target).unwrap();
    for (name, size) in [
        ("report-screenshot.png", "1280,2400"),
        ("report-screenshot-phone.png", "390,2400"),
    ] {
        let shot = target.join(name);
        let _ = std::fs::remove_file(&shot);
        chromium(
            &binary,
            &scratch,
            &page,
            &[
                format!("--screenshot={}", shot.display()),
                format!("--window-size={size}"),
                "--virtual-time-budget=2000".to_owned(),
            ],
        );
        let png = std::fs::read(&shot).unwrap();
        assert!(
            png.len() > 10_000 && png.starts_with(b"\x89PNG"),
            "{} is not a picture of the page",
            shot.display()
        );
        eprintln!("screenshot: {}", shot.display());
    }
}
