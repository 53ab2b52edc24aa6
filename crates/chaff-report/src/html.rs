//! `report.html`: one self-contained file. Every piece of document text goes through
//! `encode_text`/`encode_double_quoted_attribute`, so input cannot inject markup.

use std::fmt::Write as _;

use html_escape::encode_text;

use crate::Report;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;color:#222}\
table{border-collapse:collapse;margin:.5rem 0;display:block;overflow-x:auto}\
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}td.n{text-align:right}\
.bar{background:#4a7;height:.8rem;display:inline-block}.bad{color:#b00;font-weight:bold}\
code{background:#f4f4f4;padding:0 .2rem}\
.text{white-space:pre-wrap}.s0{background:#eef4ff}.s1{background:#fff4e0}del{color:#a33}";

/// Renders the page; `write!` into a `String` cannot fail, so its results are ignored.
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>chaff run report</title><style>{STYLE}</style></head><body>\
         <h1>chaff run report</h1>"
    );
    let totals = &report.totals;
    let n_dropped: u64 = totals.dropped.values().sum();
    let identity = match report.check_identity() {
        Ok(()) => "<span>holds</span>".to_owned(),
        Err(err) => format!(
            "<span class=\"bad\">FAILS: {}</span>",
            encode_text(&err.to_string())
        ),
    };
    let _ = write!(
        out,
        "<p id=\"identity\">{} documents ingested: {} kept, {} dropped; {} inputs quarantined. \
         Accounting identity: {identity}.</p>",
        totals.ingested, totals.kept, n_dropped, totals.quarantined
    );

    let _ = write!(
        out,
        "<h2>Funnel</h2><table id=\"funnel\"><tr><th>stage</th><th>docs in</th><th>docs out</th><th></th><th>bytes out</th></tr>"
    );
    let widest = report
        .run
        .stages
        .iter()
        .map(|s| s.docs_in.max(s.docs_out))
        .max()
        .unwrap_or(1)
        .max(1);
    for stage in &report.run.stages {
        let width = 100 * stage.docs_out / widest;
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><span class=\"bar\" style=\"width:{width}px\"></span></td><td class=\"n\">{}</td></tr>",
            encode_text(&stage.name),
            stage.docs_in,
            stage.docs_out,
            stage.bytes_out
        );
    }
    let _ = write!(out, "</table>");

    if !report.rules.is_empty() {
        let _ = write!(
            out,
            "<h2>What the rules removed</h2><table id=\"rules\"><tr><th>stage</th><th>rule</th><th>documents</th><th>edits</th><th>characters removed</th><th>examples</th></tr>"
        );
        for (name, rule) in &report.rules {
            let examples: Vec<String> = rule
                .examples
                .iter()
                .map(|e| format!("<code>{}</code>", encode_text(&e.original)))
                .collect();
            let _ = write!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                encode_text(&rule.stage),
                encode_text(name),
                rule.docs,
                rule.edits,
                rule.chars_removed,
                examples.join("<br>")
            );
        }
        let _ = write!(out, "</table>");
    }

    if !report.drops.is_empty() {
        let _ = write!(out, "<h2>Dropped documents</h2><ul id=\"drops\">");
        for drop in &report.drops {
            let _ = write!(
                out,
                "<li><code>{}</code>: {} / {}",
                encode_text(&drop.id),
                encode_text(&drop.stage),
                encode_text(&drop.reason)
            );
            if let Some(of) = &drop.duplicate_of {
                let _ = write!(out, ", duplicate of <code>{}</code>", encode_text(of));
            }
            if let Some(similarity) = drop.similarity {
                let _ = write!(out, " (similarity {similarity:.3})");
            }
            let _ = write!(out, "</li>");
        }
        let _ = write!(out, "</ul>");
    }

    if !report.run.quarantined.is_empty() {
        let _ = write!(out, "<h2>Quarantined inputs</h2><ul id=\"quarantine\">");
        for entry in &report.run.quarantined {
            let _ = write!(
                out,
                "<li><code>{}</code> ({}): {}</li>",
                encode_text(&entry.source.to_string()),
                encode_text(&entry.kind),
                encode_text(&entry.error)
            );
        }
        let _ = write!(out, "</ul>");
    }

    if let Some(view) = crate::dedup_view::DedupView::read(&report.run.dedup) {
        let _ = write!(out, "<h2>Dedup</h2><table id=\"dedup\">");
        for (label, value) in &view.figures {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                encode_text(label),
                encode_text(value)
            );
        }
        let _ = write!(out, "</table>");
        if !view.clusters.is_empty() {
            let _ = write!(out, "<h3>Duplicate clusters</h3><ul id=\"clusters\">");
            for cluster in &view.clusters {
                let _ = write!(
                    out,
                    "<li>kept <code>{}</code><ul>",
                    encode_text(&cluster.representative)
                );
                for member in &cluster.members {
                    let _ = write!(
                        out,
                        "<li>dropped <code>{}</code> ({}, similarity {:.3})</li>",
                        encode_text(&member.id),
                        encode_text(&member.method),
                        member.similarity
                    );
                }
                let _ = write!(out, "</ul></li>");
            }
            let _ = write!(out, "</ul>");
        }
        if view.histogram.iter().any(|&n| n > 0) {
            let widest = view.histogram.iter().copied().max().unwrap_or(1).max(1);
            let _ = write!(
                out,
                "<h3>Similarity of candidate pairs (threshold {:.2})</h3><table id=\"histogram\">",
                view.threshold
            );
            for (bin, &n) in view.histogram.iter().enumerate() {
                let low = bin as f64 / view.histogram.len() as f64;
                let width = n * 200 / widest;
                let _ = write!(
                    out,
                    "<tr><td>{low:.2}</td><td class=\"n\">{n}</td><td><span class=\"bar\" style=\"width:{width}px\"></span></td></tr>"
                );
            }
            let _ = write!(out, "</table>");
        }
        let (docs, cells) = view.matrix();
        if !docs.is_empty() {
            let widest = cells.iter().flatten().copied().max().unwrap_or(1).max(1);
            let _ = write!(
                out,
                "<h3>Who shares sentences with whom</h3><table id=\"shared-matrix\"><tr><th></th>"
            );
            for (k, _) in docs.iter().enumerate() {
                let _ = write!(out, "<th>{}</th>", k + 1);
            }
            let _ = write!(out, "</tr>");
            for (i, doc) in docs.iter().enumerate() {
                let _ = write!(
                    out,
                    "<tr><th>{} <code>{}</code></th>",
                    i + 1,
                    encode_text(doc)
                );
                for &n in &cells[i] {
                    let alpha = if n == 0 {
                        0.0
                    } else {
                        0.15 + 0.85 * n as f64 / widest as f64
                    };
                    let _ = write!(
                        out,
                        "<td class=\"n\" style=\"background:rgba(200,80,40,{alpha:.2})\">{}</td>",
                        if n == 0 { String::new() } else { n.to_string() }
                    );
                }
                let _ = write!(out, "</tr>");
            }
            let _ = write!(out, "</table>");
        }
    }

    if !report.documents.is_empty() {
        let _ = write!(
            out,
            "<h2>Documents</h2><p>The first {} documents, sentences shaded in turn; below each, what the stages removed.</p>",
            report.documents.len()
        );
        for doc in &report.documents {
            let _ = write!(
                out,
                "<details class=\"doc\"><summary><code>{}</code>: {}</summary><p class=\"text\">",
                encode_text(&doc.id),
                encode_text(&doc.verdict)
            );
            let chars: Vec<(usize, char)> = doc.text.char_indices().collect();
            let byte_at = |i: usize| chars.get(i).map_or(doc.text.len(), |c| c.0);
            let mut at = 0usize;
            for (k, span) in doc.sentences.iter().enumerate() {
                if span.start < at || span.end > chars.len() {
                    continue;
                }
                let _ = write!(
                    out,
                    "{}",
                    encode_text(&doc.text[byte_at(at)..byte_at(span.start)])
                );
                let class = if k % 2 == 0 { "s0" } else { "s1" };
                let _ = write!(
                    out,
                    "<span class=\"{class}\">{}</span>",
                    encode_text(&doc.text[byte_at(span.start)..byte_at(span.end)])
                );
                at = span.end;
            }
            let _ = write!(out, "{}</p>", encode_text(&doc.text[byte_at(at)..]));
            if !doc.removed.is_empty() {
                let _ = write!(out, "<ul class=\"removed\">");
                for (stage, rule, original) in &doc.removed {
                    let _ = write!(
                        out,
                        "<li><code>{}/{}</code> <del>{}</del></li>",
                        encode_text(stage),
                        encode_text(rule),
                        encode_text(original)
                    );
                }
                let _ = write!(out, "</ul>");
            }
            let _ = write!(out, "</details>");
        }
    }

    let run = &report.run;
    let _ = write!(
        out,
        "<h2>Run facts</h2><ul id=\"run\"><li>chaff {}</li><li>threads: {}</li><li>wall time: {:.3} s</li>",
        encode_text(&run.version),
        run.threads,
        run.wall_seconds
    );
    for input in &run.inputs {
        let _ = write!(out, "<li>input: <code>{}</code></li>", encode_text(input));
    }
    for stage in &run.stages {
        let _ = write!(
            out,
            "<li>{}: {:.3} s, {:.1} MB/s</li>",
            encode_text(&stage.name),
            stage.seconds,
            stage.mb_per_second()
        );
    }
    for warning in &run.warnings {
        let _ = write!(out, "<li class=\"bad\">{}</li>", encode_text(warning));
    }
    let _ = writeln!(out, "</ul></body></html>");
    out
}
