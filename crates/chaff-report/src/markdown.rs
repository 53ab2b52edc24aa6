//! `report.md`.

use std::fmt::Write as _;

use crate::Report;

/// Renders the summary; `write!` into a `String` cannot fail, so its results are ignored.
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    let totals = &report.totals;
    let _ = writeln!(out, "# chaff run report\n");
    let identity = match report.check_identity() {
        Ok(()) => "holds".to_owned(),
        Err(err) => format!("**FAILS**: {err}"),
    };
    let n_dropped: u64 = totals.dropped.values().sum();
    let _ = writeln!(
        out,
        "{} documents ingested: {} kept, {} dropped; {} inputs quarantined. Accounting identity (ingested = kept + dropped): {identity}.\n",
        totals.ingested, totals.kept, n_dropped, totals.quarantined
    );

    let _ = writeln!(out, "## Totals\n\n| what | count |\n|---|---:|");
    let _ = writeln!(out, "| ingested | {} |", totals.ingested);
    let _ = writeln!(out, "| kept | {} |", totals.kept);
    let _ = writeln!(out, "| kept bytes | {} |", totals.kept_bytes);
    let _ = writeln!(out, "| kept paragraphs | {} |", totals.kept_paragraphs);
    let _ = writeln!(out, "| kept sentences | {} |", totals.kept_sentences);
    for (reason, n) in &totals.dropped {
        let _ = writeln!(out, "| dropped: {reason} | {n} |");
    }
    let _ = writeln!(out, "| quarantined inputs | {} |\n", totals.quarantined);

    let _ = writeln!(out, "## Funnel\n");
    let _ = writeln!(
        out,
        "| stage | docs in | bytes in | docs out | bytes out | dropped |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
    for stage in &report.run.stages {
        let dropped: Vec<String> = stage
            .dropped
            .iter()
            .map(|(reason, n)| format!("{reason}: {n}"))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            stage.name,
            stage.docs_in,
            stage.bytes_in,
            stage.docs_out,
            stage.bytes_out,
            dropped.join(", ")
        );
    }
    let _ = writeln!(out);

    if !report.rules.is_empty() {
        let _ = writeln!(out, "## What the rules removed\n");
        let _ = writeln!(
            out,
            "| stage | rule | documents | edits | characters removed |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|");
        for (name, rule) in &report.rules {
            let _ = writeln!(
                out,
                "| {} | `{name}` | {} | {} | {} |",
                rule.stage, rule.docs, rule.edits, rule.chars_removed
            );
        }
        let _ = writeln!(out);
        for (name, rule) in &report.rules {
            if rule.examples.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### `{name}`\n");
            for example in &rule.examples {
                let _ = writeln!(
                    out,
                    "- `{}`: {}",
                    example.id,
                    code_span(&one_line(&example.original))
                );
            }
            let _ = writeln!(out);
        }
    }

    if !report.drops.is_empty() {
        let _ = writeln!(out, "## Dropped documents\n");
        for drop in &report.drops {
            let _ = write!(out, "- `{}`: {} / {}", drop.id, drop.stage, drop.reason);
            if let Some(of) = &drop.duplicate_of {
                let _ = write!(out, ", duplicate of `{of}`");
            }
            if let Some(similarity) = drop.similarity {
                let _ = write!(out, " (similarity {similarity:.3})");
            }
            let _ = writeln!(out);
        }
        let listed = report.drops.len() as u64;
        if n_dropped > listed {
            let _ = writeln!(
                out,
                "- … and {} more (see `dropped.jsonl`)",
                n_dropped - listed
            );
        }
        let _ = writeln!(out);
    }

    if !report.run.quarantined.is_empty() {
        let _ = writeln!(out, "## Quarantined inputs\n");
        for entry in &report.run.quarantined {
            let _ = writeln!(
                out,
                "- `{}` ({}): {}",
                entry.source,
                entry.kind,
                one_line(&entry.error)
            );
        }
        let _ = writeln!(out);
    }

    if let Some(view) = crate::dedup_view::DedupView::read(&report.run.dedup) {
        let _ = writeln!(out, "## Dedup\n\n| figure | value |\n|---|---:|");
        for (label, value) in &view.figures {
            let _ = writeln!(out, "| {label} | {value} |");
        }
        let _ = writeln!(out);
        if !view.clusters.is_empty() {
            let _ = writeln!(out, "### Duplicate clusters\n");
            for cluster in &view.clusters {
                let _ = writeln!(out, "- kept `{}`", cluster.representative);
                for member in &cluster.members {
                    let _ = writeln!(
                        out,
                        "  - dropped `{}` ({}, similarity {:.3})",
                        member.id, member.method, member.similarity
                    );
                }
            }
            if view.n_clusters as usize > view.clusters.len() {
                let _ = writeln!(
                    out,
                    "- … and {} more clusters (up to 1,000 listed in `report.json`)",
                    view.n_clusters as usize - view.clusters.len()
                );
            }
            let _ = writeln!(out);
        }
        if !report.pairs.is_empty() {
            let _ = writeln!(
                out,
                "### Dropped duplicates beside their representatives\n\nShown side by side in `report.html`, text in shared {}-word runs marked.\n",
                crate::SHARED_NGRAM_WORDS
            );
            for pair in &report.pairs {
                let _ = writeln!(
                    out,
                    "- `{}` against `{}`: {:.0}% of its words in shared runs",
                    pair.duplicate,
                    pair.representative,
                    pair.duplicate_shared_words * 100.0
                );
            }
            let _ = writeln!(out);
        }
        if view.histogram.iter().any(|&n| n > 0) {
            let _ = writeln!(
                out,
                "### Similarity of candidate pairs (threshold {:.2})\n\n```",
                view.threshold
            );
            let widest = view.histogram.iter().copied().max().unwrap_or(1).max(1);
            for (bin, &n) in view.histogram.iter().enumerate() {
                let low = bin as f64 / view.histogram.len() as f64;
                let bar = "#".repeat(((n * 40).div_ceil(widest)) as usize);
                let _ = writeln!(out, "{low:.2} {n:>7} {bar}");
            }
            let _ = writeln!(out, "```\n");
        }
        if !view.shared.is_empty() {
            let _ = writeln!(out, "### Who shares sentences with whom\n");
            let _ = writeln!(
                out,
                "| document | document | shared sentences |\n|---|---|---:|"
            );
            for pair in view.shared.iter().take(crate::dedup_view::SHOWN) {
                let _ = writeln!(out, "| `{}` | `{}` | {} |", pair.a, pair.b, pair.sentences);
            }
            let _ = writeln!(out);
        }
    }

    if !report.run.warnings.is_empty() {
        let _ = writeln!(out, "## Warnings\n");
        for warning in &report.run.warnings {
            let _ = writeln!(out, "- {}", one_line(warning));
        }
        let _ = writeln!(out);
    }

    let run = &report.run;
    let _ = writeln!(out, "## Run facts\n");
    let _ = writeln!(out, "- chaff {}", run.version);
    let _ = writeln!(
        out,
        "- inputs: {}",
        run.inputs
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(out, "- threads: {}", run.threads);
    let _ = writeln!(out, "- wall time: {:.3} s", run.wall_seconds);
    if let Some(bytes) = run.peak_rss_bytes {
        let _ = writeln!(out, "- peak memory: {:.1} MB", bytes as f64 / 1e6);
    }
    for stage in &run.stages {
        let _ = writeln!(
            out,
            "- {}: {:.3} s, {:.1} MB/s",
            stage.name,
            stage.seconds,
            stage.mb_per_second()
        );
    }
    out
}

fn one_line(text: &str) -> String {
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.replace('|', "\\|")
}

/// A Markdown code span that shows `text` literally, whatever backticks it holds.
fn code_span(text: &str) -> String {
    let mut longest_run = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest_run = longest_run.max(run);
    }
    let fence = "`".repeat(longest_run + 1);
    format!("{fence} {text} {fence}")
}
