//! `report.html`: one self-contained file. Every piece of document text goes through
//! `encode_text`/`encode_double_quoted_attribute`, so input cannot inject markup, and a
//! Content-Security-Policy forbids the page any network or external asset.
//!
//! Everything inline is capped, so the page stays small at any corpus size: the first
//! [`crate::dedup_view::SHOWN`] clusters, [`crate::PAIRS_SHOWN`] side-by-side pairs,
//! [`RULES_SHOWN`] rules, the configured number of documents and dropped documents, and a
//! shared-sentence matrix of [`crate::dedup_view::MATRIX_DOCS`] documents. The rest is in
//! `report.json`.
//!
//! The page's only scripts are its own: one, first in `<head>`, counts script errors into the
//! `data-errors` attribute of `<html>`; the last, at the end of `<body>`, sets `data-ready`.
//! The browser test reads both from the DOM headless chromium dumps.

use std::fmt::Write as _;

use chaff_record::Span;
use html_escape::{encode_double_quoted_attribute as attr, encode_text};

use crate::{DuplicatePair, Report, StageFigures};

/// Rules listed in the HTML at most (those that removed the most characters).
pub(crate) const RULES_SHOWN: usize = 40;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:auto;padding:1rem;color:#222;background:#fff}\
h1{font-size:1.6rem;margin:.2rem 0}h2{margin-top:2rem;border-bottom:1px solid #ddd}nav a{margin-right:.7rem;white-space:nowrap}\
.scroll{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;margin:.5rem 0}\
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.ex{min-width:16rem}\
.chart{display:block;width:100%;max-width:36rem;height:auto}\
.bar{background:#3a7d5c;height:.8rem;display:inline-block}.bad{color:#b00;font-weight:bold}\
code{background:#f4f4f4;padding:0 .2rem;overflow-wrap:break-word}td.ex code{overflow-wrap:anywhere}\
.text{white-space:pre-wrap;overflow-wrap:anywhere}.s0{background:#eef4ff}.s1{background:#fff4e0}del{color:#a33}del.cut{text-decoration-thickness:2px;background:#fbeaea}ul.removed{list-style:none;padding-left:.5rem}ul.removed li{padding-left:.4rem;margin:.2rem 0}\
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:.8rem}\
.pair .text{max-height:24rem;overflow:auto;border:1px solid #ddd;padding:.4rem;margin:0;font-size:.9rem}\
.pair h4{margin:.3rem 0}mark{background:#ffe27a}\
#shared-matrix th{font-weight:normal;white-space:nowrap}#shared-matrix a{color:inherit}#shared-matrix td{min-width:2rem}\
pre{overflow-x:auto;background:#f7f7f7;padding:.5rem}\
@media(max-width:40rem){body{padding:.5rem;font-size:14px}.pair{grid-template-columns:minmax(0,1fr)}}";

/// Counts script errors (and failed resource loads) into `data-errors` on `<html>`.
const ERROR_HOOK: &str = "(function(){var n=0;function count(){n+=1;\
document.documentElement.setAttribute('data-errors',String(n));}\
window.addEventListener('error',count,true);window.addEventListener('unhandledrejection',count);})();";

/// Opens a pair's shared sentences when its matrix cell is clicked; marks the page as run.
const READY: &str = "document.querySelectorAll('#shared-matrix a').forEach(function(a){\
a.addEventListener('click',function(){var d=document.getElementById(a.getAttribute('href').slice(1));\
if(d){d.open=true;}});});document.documentElement.setAttribute('data-ready','1');";

/// No network, no external assets: only the page's own inline styles and scripts.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// Renders the page; `write!` into a `String` cannot fail, so its results are ignored.
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
         <title>chaff run report</title><style>{STYLE}</style><script>{ERROR_HOOK}</script></head><body>\
         <header><h1>chaff run report</h1><nav><a href=\"#funnel\">funnel</a><a href=\"#rules\">rules</a>\
         <a href=\"#dedup\">dedup</a><a href=\"#documents\">documents</a><a href=\"#run\">run facts</a></nav></header>"
    );
    let totals = &report.totals;
    let n_dropped: u64 = totals.dropped.values().sum();
    let (identity, identity_attr) = match report.check_identity() {
        Ok(()) => ("<span>holds</span>".to_owned(), "holds"),
        Err(err) => (
            format!(
                "<span class=\"bad\">FAILS: {}</span>",
                encode_text(&err.to_string())
            ),
            "fails",
        ),
    };
    let _ = write!(
        out,
        "<p id=\"identity\" data-identity=\"{identity_attr}\">{} documents ingested: {} kept, {} dropped; {} inputs quarantined. \
         Accounting identity (ingested = kept + dropped, and for every stage in = out + dropped): {identity}.</p>",
        thousands(totals.ingested),
        thousands(totals.kept),
        thousands(n_dropped),
        thousands(totals.quarantined)
    );

    funnel(&mut out, report);
    rules(&mut out, report);
    drops(&mut out, report, n_dropped);

    if !report.run.quarantined.is_empty() {
        let _ = write!(
            out,
            "<section id=\"quarantine\"><h2>Quarantined inputs</h2><ul>"
        );
        for entry in &report.run.quarantined {
            let _ = write!(
                out,
                "<li><code>{}</code> ({}): {}</li>",
                encode_text(&entry.source.to_string()),
                encode_text(&entry.kind),
                encode_text(&entry.error)
            );
        }
        let _ = write!(out, "</ul></section>");
    }

    dedup(&mut out, report);
    documents(&mut out, report);
    run_facts(&mut out, report);
    let _ = writeln!(out, "<script>{READY}</script></body></html>");
    out
}

/// `12345` as `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes for people: `15.6 kB`, `2.1 GB`.
fn human_bytes(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// One bar row of the funnel chart.
struct ChartRow<'a> {
    label: &'a str,
    /// Into the stage (none for the final output row).
    into: Option<u64>,
    out: u64,
    tooltip: String,
}

/// One panel of the funnel chart: its name, how its numbers print, its rows.
type Metric<'a> = (&'a str, fn(u64) -> String, Vec<ChartRow<'a>>);

/// The funnel as a chart (inline SVG) and as a table.
fn funnel(out: &mut String, report: &Report) {
    let stages = &report.run.stages;
    let totals = &report.totals;
    let _ = write!(
        out,
        "<section id=\"funnel\"><h2>Funnel</h2><p>What went into and came out of every stage; \
         the pale part of a bar is what the stage dropped or removed.</p>"
    );
    let dropped_text = |stage: &StageFigures| -> String {
        stage
            .dropped
            .iter()
            .map(|(reason, n)| format!("{reason}: {}", thousands(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut metrics: Vec<Metric> = Vec::new();
    let docs: Vec<ChartRow> = stages
        .iter()
        .map(|s| ChartRow {
            label: &s.name,
            into: Some(s.docs_in),
            out: s.docs_out,
            tooltip: format!(
                "{}: {} documents in, {} out{}",
                s.name,
                thousands(s.docs_in),
                thousands(s.docs_out),
                if s.dropped.is_empty() {
                    String::new()
                } else {
                    format!("; dropped {}", dropped_text(s))
                }
            ),
        })
        .collect();
    metrics.push(("documents", thousands as fn(u64) -> String, docs));
    let bytes: Vec<ChartRow> = stages
        .iter()
        .map(|s| ChartRow {
            label: &s.name,
            into: Some(s.bytes_in),
            out: s.bytes_out,
            tooltip: format!(
                "{}: {} bytes in, {} out",
                s.name,
                thousands(s.bytes_in),
                thousands(s.bytes_out)
            ),
        })
        .collect();
    metrics.push(("bytes of text", human_bytes, bytes));
    // Paragraphs and sentences, for the stages whose runner counted them.
    for (name, get) in [
        (
            "paragraphs",
            (|s: &StageFigures| s.paragraphs_out) as fn(&StageFigures) -> Option<u64>,
        ),
        ("sentences", |s: &StageFigures| s.sentences_out),
    ] {
        let mut previous: Option<u64> = None;
        let mut rows = Vec::new();
        for stage in stages {
            if let Some(n) = get(stage) {
                rows.push(ChartRow {
                    label: &stage.name,
                    into: previous,
                    out: n,
                    tooltip: format!("{}: {} {name} out", stage.name, thousands(n)),
                });
            }
            previous = get(stage);
        }
        if !rows.is_empty() {
            metrics.push((name, thousands as fn(u64) -> String, rows));
        }
    }
    let footnote = format!(
        "kept: {} documents, {}, {} paragraphs, {} sentences",
        thousands(totals.kept),
        human_bytes(totals.kept_bytes),
        thousands(totals.kept_paragraphs),
        thousands(totals.kept_sentences)
    );
    chart(out, &metrics, &footnote);

    let has_paragraphs = stages.iter().any(|s| s.paragraphs_out.is_some());
    let has_sentences = stages.iter().any(|s| s.sentences_out.is_some());
    let _ = write!(
        out,
        "<div class=\"scroll\"><table id=\"funnel-table\"><tr><th>stage</th><th class=\"n\">docs in</th>\
         <th class=\"n\">docs out</th><th>dropped</th><th class=\"n\">bytes in</th><th class=\"n\">bytes out</th>\
         <th class=\"n\">paragraphs out</th><th class=\"n\">sentences out</th></tr>"
    );
    let optional = |n: Option<u64>, shown: bool| match n {
        Some(n) if shown => thousands(n),
        _ => String::new(),
    };
    for stage in stages {
        let _ = write!(
            out,
            "<tr data-stage=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            attr(&stage.name),
            encode_text(&stage.name),
            thousands(stage.docs_in),
            thousands(stage.docs_out),
            encode_text(&dropped_text(stage)),
            thousands(stage.bytes_in),
            thousands(stage.bytes_out),
            optional(stage.paragraphs_out, has_paragraphs),
            optional(stage.sentences_out, has_sentences),
        );
    }
    let _ = write!(
        out,
        "<tr data-stage=\"kept\"><th>kept</th><td class=\"n\"></td><td class=\"n\">{}</td><td></td><td class=\"n\"></td>\
         <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></table></div></section>",
        thousands(totals.kept),
        thousands(totals.kept_bytes),
        thousands(totals.kept_paragraphs),
        thousands(totals.kept_sentences)
    );
}

/// Horizontal bar panels, one per metric: per row a pale bar for what went in and a dark one
/// for what came out, over the same scale.
fn chart(out: &mut String, metrics: &[Metric], footnote: &str) {
    const WIDTH: u32 = 480;
    const LABEL: u32 = 64;
    const VALUE: u32 = 136;
    const ROW: u32 = 22;
    const TITLE: u32 = 26;
    const BARS: f64 = (WIDTH - LABEL - VALUE) as f64;
    let height: u32 = 28
        + 24
        + metrics
            .iter()
            .map(|(_, _, rows)| TITLE + ROW * rows.len() as u32 + 8)
            .sum::<u32>();
    let _ = write!(
        out,
        "<svg id=\"funnel-chart\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         role=\"img\" aria-label=\"funnel: documents and bytes into and out of every stage\" \
         font-family=\"system-ui,sans-serif\" font-size=\"13\">\
         <rect x=\"{LABEL}\" y=\"6\" width=\"12\" height=\"12\" fill=\"#c9dcef\"/><text x=\"{}\" y=\"16\">in</text>\
         <rect x=\"{}\" y=\"6\" width=\"12\" height=\"12\" fill=\"#3a7d5c\"/><text x=\"{}\" y=\"16\">out</text>",
        LABEL + 16,
        LABEL + 44,
        LABEL + 60
    );
    let mut y: u32 = 28;
    for (name, format, rows) in metrics {
        let widest = rows
            .iter()
            .map(|r| r.into.unwrap_or(0).max(r.out))
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let _ = write!(
            out,
            "<g class=\"panel\" data-metric=\"{}\"><text x=\"0\" y=\"{}\" font-weight=\"bold\">{}</text>",
            attr(name),
            y + 17,
            encode_text(name)
        );
        y += TITLE;
        for row in rows {
            let scale = |n: u64| (n as f64 / widest * BARS).round();
            let _ = write!(
                out,
                "<g data-stage=\"{}\"><title>{}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                attr(row.label),
                encode_text(&row.tooltip),
                LABEL - 6,
                y + 15,
                encode_text(row.label)
            );
            if let Some(into) = row.into {
                let _ = write!(
                    out,
                    "<rect x=\"{LABEL}\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"#c9dcef\"/>",
                    y + 2,
                    scale(into)
                );
            }
            let _ = write!(
                out,
                "<rect x=\"{LABEL}\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"#3a7d5c\"/>",
                y + 2,
                scale(row.out)
            );
            let value = match row.into {
                Some(into) if into != row.out => format!("{} → {}", format(into), format(row.out)),
                _ => format(row.out),
            };
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\">{}</text></g>",
                WIDTH - VALUE + 6,
                y + 15,
                encode_text(&value)
            );
            y += ROW;
        }
        let _ = write!(out, "</g>");
        y += 8;
    }
    let _ = write!(
        out,
        "<text id=\"funnel-kept\" x=\"0\" y=\"{}\">{}</text></svg>",
        y + 14,
        encode_text(footnote)
    );
}

fn rules(out: &mut String, report: &Report) {
    if report.rules.is_empty() {
        return;
    }
    let mut shown: Vec<(&String, &crate::RuleFigures)> = report.rules.iter().collect();
    if shown.len() > RULES_SHOWN {
        shown.sort_by(|a, b| b.1.chars_removed.cmp(&a.1.chars_removed).then(a.0.cmp(b.0)));
        shown.truncate(RULES_SHOWN);
        shown.sort_by(|a, b| a.0.cmp(b.0));
    }
    let _ = write!(
        out,
        "<section id=\"rules\"><h2>What the rules removed</h2><div class=\"scroll\"><table id=\"rules-table\">\
         <tr><th>stage</th><th>rule</th><th class=\"n\">documents</th><th class=\"n\">edits</th>\
         <th class=\"n\">characters removed</th><th>examples</th></tr>"
    );
    for (name, rule) in &shown {
        let examples: Vec<String> = rule
            .examples
            .iter()
            .map(|e| format!("<code>{}</code>", encode_text(&e.original)))
            .collect();
        let _ = write!(
            out,
            "<tr data-rule=\"{}\"><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"ex\">{}</td></tr>",
            attr(name),
            encode_text(&rule.stage),
            encode_text(name),
            thousands(rule.docs),
            thousands(rule.edits),
            rule.chars_removed,
            examples.join("<br>")
        );
    }
    let _ = write!(out, "</table></div>");
    if report.rules.len() > shown.len() {
        let _ = write!(
            out,
            "<p>… and {} more rules in <code>report.json</code>.</p>",
            report.rules.len() - shown.len()
        );
    }
    let _ = write!(out, "</section>");
}

fn drops(out: &mut String, report: &Report, n_dropped: u64) {
    if report.drops.is_empty() {
        return;
    }
    let open = if report.drops.len() <= 20 {
        " open"
    } else {
        ""
    };
    let _ = write!(
        out,
        "<section id=\"drops\"><h2>Dropped documents</h2><details{open}><summary>{} listed</summary><ul>",
        report.drops.len()
    );
    for drop in &report.drops {
        let _ = write!(
            out,
            "<li data-id=\"{}\"><code>{}</code>: {} / {}",
            attr(&drop.id),
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
    let _ = write!(out, "</ul></details>");
    let listed = report.drops.len() as u64;
    if n_dropped > listed {
        let _ = write!(
            out,
            "<p>… and {} more in <code>dropped.jsonl</code>.</p>",
            thousands(n_dropped - listed)
        );
    }
    let _ = write!(out, "</section>");
}

/// `text` with the code-point spans `marks` wrapped in `<mark>`, all escaped.
fn marked(text: &str, marks: &[Span]) -> String {
    let starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    let byte_at = |i: usize| starts.get(i).copied().unwrap_or(text.len());
    let mut out = String::new();
    let mut at = 0usize;
    for span in marks {
        if span.start < at || span.end > starts.len() || span.is_empty() {
            continue;
        }
        out.push_str(&encode_text(&text[byte_at(at)..byte_at(span.start)]));
        out.push_str("<mark>");
        out.push_str(&encode_text(&text[byte_at(span.start)..byte_at(span.end)]));
        out.push_str("</mark>");
        at = span.end;
    }
    out.push_str(&encode_text(&text[byte_at(at)..]));
    out
}

fn pair_view(out: &mut String, pair: &DuplicatePair) {
    let _ = write!(
        out,
        "<div class=\"pair-view\" data-representative=\"{}\" data-duplicate=\"{}\">\
         <p>Dropped <code>{}</code> ({}, similarity {:.3}; {:.0}% of its words in shared {}-word runs) \
         against the kept <code>{}</code>:</p><div class=\"pair\">\
         <div><h4>kept <code>{}</code></h4><p class=\"text\">{}</p></div>\
         <div><h4>dropped <code>{}</code></h4><p class=\"text\">{}</p></div></div></div>",
        attr(&pair.representative),
        attr(&pair.duplicate),
        encode_text(&pair.duplicate),
        encode_text(&pair.method),
        pair.similarity,
        pair.duplicate_shared_words * 100.0,
        crate::SHARED_NGRAM_WORDS,
        encode_text(&pair.representative),
        encode_text(&pair.representative),
        marked(&pair.representative_text, &pair.representative_shared),
        encode_text(&pair.duplicate),
        marked(&pair.duplicate_text, &pair.duplicate_shared),
    );
}

fn dedup(out: &mut String, report: &Report) {
    let Some(view) = crate::dedup_view::DedupView::read(&report.run.dedup) else {
        return;
    };
    let _ = write!(
        out,
        "<section id=\"dedup\"><h2>Dedup</h2><div class=\"scroll\"><table id=\"dedup-figures\">"
    );
    for (label, value) in &view.figures {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            encode_text(label),
            encode_text(value)
        );
    }
    let _ = write!(out, "</table></div>");
    if !view.clusters.is_empty() {
        let _ = write!(out, "<h3>Duplicate clusters</h3><ul id=\"clusters\">");
        for cluster in &view.clusters {
            let _ = write!(
                out,
                "<li data-representative=\"{}\">kept <code>{}</code><ul>",
                attr(&cluster.representative),
                encode_text(&cluster.representative)
            );
            for member in &cluster.members {
                let _ = write!(
                    out,
                    "<li data-member=\"{}\">dropped <code>{}</code> ({}, similarity {:.3})</li>",
                    attr(&member.id),
                    encode_text(&member.id),
                    encode_text(&member.method),
                    member.similarity
                );
            }
            let _ = write!(out, "</ul></li>");
        }
        let _ = write!(out, "</ul>");
        if view.n_clusters as usize > view.clusters.len() {
            let _ = write!(
                out,
                "<p>… and {} more clusters (up to 1,000 listed in <code>report.json</code>).</p>",
                thousands(view.n_clusters - view.clusters.len() as u64)
            );
        }
    }
    if !report.pairs.is_empty() {
        let _ = write!(
            out,
            "<h3>Dropped duplicates beside their representatives</h3><div id=\"pairs\">\
             <p>One dropped member of each of the first {} against the document kept for it; \
             text in {}-word runs that both hold is <mark>marked</mark>.</p>",
            if report.pairs.len() == 1 {
                "cluster".to_owned()
            } else {
                format!("{} clusters", report.pairs.len())
            },
            crate::SHARED_NGRAM_WORDS
        );
        for pair in &report.pairs {
            pair_view(out, pair);
        }
        let _ = write!(out, "</div>");
    }
    if view.histogram.iter().any(|&n| n > 0) {
        let widest = view.histogram.iter().copied().max().unwrap_or(1).max(1);
        let _ = write!(
            out,
            "<h3>Similarity of candidate pairs (threshold {:.2})</h3><div class=\"scroll\"><table id=\"histogram\">",
            view.threshold
        );
        for (bin, &n) in view.histogram.iter().enumerate() {
            let low = bin as f64 / view.histogram.len() as f64;
            let width = n * 200 / widest;
            let high = (bin + 1) as f64 / view.histogram.len() as f64;
            let mark = if low <= view.threshold + 1e-9 && view.threshold < high - 1e-9 {
                " ← threshold"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<tr><td class=\"n\">{low:.2}</td><td class=\"n\">{}</td><td><span class=\"bar\" style=\"width:{width}px\"></span>{mark}</td></tr>",
                thousands(n)
            );
        }
        let _ = write!(out, "</table></div>");
    }
    let (docs, cells) = view.matrix();
    if !docs.is_empty() {
        let widest = cells.iter().flatten().copied().max().unwrap_or(1).max(1);
        let _ = write!(
            out,
            "<h3>Who shares sentences with whom</h3><p>Sentences shared between kept documents \
             (the {} documents sharing the most); a cell counts the shared sentences of both documents. \
             Click a cell for the sentences.</p>\
             <div class=\"scroll\"><table id=\"shared-matrix\"><tr><th></th>",
            docs.len()
        );
        for (k, _) in docs.iter().enumerate() {
            let _ = write!(out, "<th class=\"n\">{}</th>", k + 1);
        }
        let _ = write!(out, "</tr>");
        for (i, doc) in docs.iter().enumerate() {
            let _ = write!(
                out,
                "<tr data-doc=\"{}\"><th>{} <code>{}</code></th>",
                attr(doc),
                i + 1,
                encode_text(doc)
            );
            for (j, &n) in cells[i].iter().enumerate() {
                let alpha = if n == 0 {
                    0.0
                } else {
                    0.15 + 0.85 * n as f64 / widest as f64
                };
                let (lo, hi) = (i.min(j), i.max(j));
                let cell = if n == 0 || i == j {
                    String::new()
                } else {
                    format!("<a href=\"#shared-{lo}-{hi}\">{n}</a>")
                };
                let title = if n == 0 || i == j {
                    String::new()
                } else {
                    format!(
                        " title=\"{}\"",
                        attr(&format!("{doc} × {}: {n} shared sentences", docs[j]))
                    )
                };
                let ink = if alpha > 0.6 { ";color:#fff" } else { "" };
                let _ = write!(
                    out,
                    "<td class=\"n\"{title} style=\"background:rgba(200,80,40,{alpha:.2}){ink}\">{cell}</td>"
                );
            }
            let _ = write!(out, "</tr>");
        }
        let _ = write!(out, "</table></div>");
        // Each pair in the matrix, most shared sentences first, with the sentences the report
        // kept for it.
        let mut listed: Vec<(usize, usize, u64)> = Vec::new();
        for (i, row) in cells.iter().enumerate() {
            for (j, &n) in row.iter().enumerate().skip(i + 1) {
                if n > 0 {
                    listed.push((i, j, n));
                }
            }
        }
        listed.sort_by(|x, y| y.2.cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
        let _ = write!(out, "<div id=\"shared-sentences\">");
        for (i, j, n) in listed {
            let sentences = report
                .shared_sentences
                .iter()
                .find(|p| (p.a == docs[i] && p.b == docs[j]) || (p.a == docs[j] && p.b == docs[i]));
            let _ = write!(
                out,
                "<details id=\"shared-{i}-{j}\"><summary>{} <code>{}</code> and {} <code>{}</code>: {n} shared sentences</summary>",
                i + 1,
                encode_text(&docs[i]),
                j + 1,
                encode_text(&docs[j])
            );
            match sentences {
                Some(shared) if !shared.sentences.is_empty() => {
                    let _ = write!(
                        out,
                        "<p>Some of <code>{}</code>'s sentences that <code>{}</code> also holds:</p><ul>",
                        encode_text(&shared.a),
                        encode_text(&shared.b)
                    );
                    for sentence in &shared.sentences {
                        let _ = write!(out, "<li>{}</li>", encode_text(sentence));
                    }
                    let _ = write!(out, "</ul>");
                }
                _ => {
                    let _ = write!(
                        out,
                        "<p>The sentences are not listed here (the report keeps them for the first {} pairs); \
                         see <code>dedup.shared_sentences</code> in <code>kept.jsonl</code>.</p>",
                        crate::SHARED_PAIRS_LISTED
                    );
                }
            }
            let _ = write!(out, "</details>");
        }
        let _ = write!(out, "</div>");
    }
    let _ = write!(out, "</section>");
}

fn documents(out: &mut String, report: &Report) {
    if report.documents.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section id=\"documents\"><h2>Documents</h2><p>The first {} documents, sentences shaded in turn, \
         what the stages removed struck through where it stood (hover for the rule); below each, the same removals listed.</p>",
        report.documents.len()
    );
    for doc in &report.documents {
        let _ = write!(
            out,
            "<details class=\"doc\" data-id=\"{}\"><summary><code>{}</code>: {}</summary><p class=\"text\">",
            attr(&doc.id),
            encode_text(&doc.id),
            encode_text(&doc.verdict)
        );
        let chars: Vec<(usize, char)> = doc.text.char_indices().collect();
        let byte_at = |i: usize| chars.get(i).map_or(doc.text.len(), |c| c.0);
        // Removed text goes back in place, struck through and coloured by its rule.
        let mut marks: Vec<(usize, usize)> = doc
            .removed_at
            .iter()
            .enumerate()
            .filter_map(|(i, at)| at.map(|at| (at.min(chars.len()), i)))
            .collect();
        marks.sort_unstable();
        let mut next_mark = 0usize;
        let mut emit = |out: &mut String, from: usize, to: usize, marks_at_end: bool| {
            let mut cur = from;
            while let Some(&(at, i)) = marks.get(next_mark) {
                if at > to || (at == to && !marks_at_end) {
                    break;
                }
                let at = at.max(cur);
                let _ = write!(out, "{}", encode_text(&doc.text[byte_at(cur)..byte_at(at)]));
                if let Some((stage, rule, original)) = doc.removed.get(i) {
                    let _ = write!(
                        out,
                        "<del class=\"cut\" title=\"{}/{}\" style=\"color:hsl({},60%,35%)\">{}</del>",
                        attr(stage),
                        attr(rule),
                        rule_hue(rule),
                        encode_text(original)
                    );
                }
                cur = at;
                next_mark += 1;
            }
            let _ = write!(out, "{}", encode_text(&doc.text[byte_at(cur)..byte_at(to)]));
        };
        let mut at = 0usize;
        for (k, span) in doc.sentences.iter().enumerate() {
            if span.start < at || span.start > span.end || span.end > chars.len() {
                continue;
            }
            emit(out, at, span.start, true);
            let class = if k % 2 == 0 { "s0" } else { "s1" };
            let _ = write!(out, "<span class=\"{class}\">");
            emit(out, span.start, span.end, false);
            let _ = write!(out, "</span>");
            at = span.end;
        }
        emit(out, at, chars.len(), true);
        let _ = write!(out, "</p>");
        if !doc.removed.is_empty() {
            let _ = write!(out, "<ul class=\"removed\">");
            for (stage, rule, original) in &doc.removed {
                let _ = write!(
                    out,
                    "<li style=\"border-left:.3rem solid hsl({},60%,42%)\"><code>{}/{}</code> <del style=\"color:hsl({0},60%,35%)\">{}</del></li>",
                    rule_hue(rule),
                    encode_text(stage),
                    encode_text(rule),
                    encode_text(original)
                );
            }
            let _ = write!(out, "</ul>");
        }
        let _ = write!(out, "</details>");
    }
    let _ = write!(out, "</section>");
}

/// A hue for a rule, the same on every page (FNV-1a of its name).
fn rule_hue(rule: &str) -> u64 {
    let hash = rule.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash % 360
}

fn run_facts(out: &mut String, report: &Report) {
    let run = &report.run;
    let _ = write!(
        out,
        "<section id=\"run\"><h2>Run facts</h2><ul><li>chaff {}</li><li>threads: {}</li><li>wall time: {:.3} s</li>",
        encode_text(&run.version),
        run.threads,
        run.wall_seconds
    );
    if let Some(bytes) = run.peak_rss_bytes {
        let _ = write!(out, "<li>peak memory: {:.1} MB</li>", bytes as f64 / 1e6);
    }
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
    let _ = write!(out, "</ul>");
    if !run.config.is_null() {
        let config = serde_json::to_string_pretty(&run.config).unwrap_or_default();
        let _ = write!(
            out,
            "<details><summary>configuration</summary><pre>{}</pre></details>",
            encode_text(&config)
        );
    }
    let _ = write!(out, "</section>");
}
