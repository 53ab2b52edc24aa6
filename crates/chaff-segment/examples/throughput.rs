//! Sentence segmentation throughput on the Reuters-21578 bodies (from `../shared/corpora`) and
//! on adversarial paragraphs that would expose any super-linear step.
//!
//! `cargo run --release -p chaff-segment --example throughput [path/to/reuters21578]`
//! Without the corpus it says so and times only the adversarial inputs.

use std::time::Instant;

fn time(label: &str, text: &str) {
    let config = chaff_segment::Config::default();
    let started = Instant::now();
    let n_sentences = chaff_segment::sentences(&config, text).len();
    let seconds = started.elapsed().as_secs_f64();
    let megabytes = text.len() as f64 / 1e6;
    println!(
        "{label:<28} {megabytes:>8.2} MB {n_sentences:>9} sentences {seconds:>8.3} s {:>8.1} MB/s",
        megabytes / seconds
    );
}

fn main() {
    let directory = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/corpora/reuters21578".to_owned());
    let mut bodies = String::new();
    match std::fs::read_dir(&directory) {
        Ok(entries) => {
            let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for path in paths
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "sgm"))
            {
                let Ok(bytes) = std::fs::read(path) else {
                    continue;
                };
                let sgml = String::from_utf8_lossy(&bytes);
                for piece in sgml.split("<BODY>").skip(1) {
                    let body = piece.split("</BODY>").next().unwrap_or_default();
                    bodies.push_str(&body.replace("&lt;", "<").replace("&amp;", "&"));
                    bodies.push_str("\n\n");
                }
            }
        }
        Err(error) => {
            println!("no corpus at {directory} ({error}): timing adversarial inputs only")
        }
    }
    if !bodies.is_empty() {
        time("reuters bodies x1", &bodies);
        time("reuters bodies x4", &bodies.repeat(4));
    }
    let size = 2_000_000;
    time("one paragraph 'Mr. '", &"Mr. ".repeat(size / 4));
    time("one paragraph 'a.'", &"a.".repeat(size / 2));
    time("one paragraph 'A.B'", &"A.B".repeat(size / 3));
    time("one paragraph '1. x '", &"1. x ".repeat(size / 5));
    time("one paragraph '(x. Y '", &"(x. Y ".repeat(size / 6));
    time("one paragraph 'w '", &"w ".repeat(size / 2));
    time("one paragraph 'U.S. The '", &"U.S. The ".repeat(size / 9));
    time("one paragraph 'x.Ya'", &"x.Ya".repeat(size / 4));
    time("lines 'word\\n'", &"Word word word\n".repeat(size / 15));
}
