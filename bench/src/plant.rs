//! Planted near duplicates of known similarity, and the scoring of a tool's verdicts on them.
//!
//! `chaff-bench plant` copies a share of the real documents of a corpus, each copy changed by
//! one seeded transformation (see [`KINDS`]), and puts each copy at a random place after its
//! source (so that the earliest-kept policy keeps the source, and a tool timed on a prefix of
//! the corpus still meets planted pairs). For every copy it
//! writes the ground truth: source, copy, transformation and the exact word 5-gram Jaccard
//! similarity of the two texts ([`shingle_set`]: lower-cased runs of letters and digits, every
//! distinct 5-gram). Everything is a pure function of the input and the seed.
//!
//! `chaff-bench score` reads the planted corpus, the truth and one file of reported pairs per
//! tool (JSON lines `[a, b]`, 0-based line numbers of the corpus) and prints, per tool:
//! - **precision**: the share of reported pairs whose exact Jaccard reaches the threshold;
//! - **recall**: the share of planted pairs at or above the threshold whose two documents end
//!   in one connected component of the reported pairs (the copy marked a duplicate of its
//!   source, or both in one cluster);
//! - F1, and the found share per transformation.

use std::collections::HashMap;
use std::io::{BufRead as _, BufWriter, Write as _};
use std::path::Path;

use anyhow::{Context as _, bail};
use serde_json::{Map, Value, json};
use xxhash_rust::xxh3::xxh3_64;

/// Words per shingle of the ground-truth similarity.
pub const SHINGLE_WORDS: usize = 5;
/// A document needs this many words to get a planted copy.
const MIN_WORDS: usize = 50;

/// The transformations, drawn uniformly for each copy.
pub const KINDS: [&str; 11] = [
    "rewrap",
    "requote",
    "boilerplate",
    "edit-1%",
    "edit-3%",
    "edit-5%",
    "edit-10%",
    "truncate-95%",
    "truncate-85%",
    "truncate-70%",
    "rewrap+requote+edit-1%",
];

/// Lines a web page or a mailing list adds around an article; one header and one footer are
/// drawn for each `boilerplate` copy.
const HEADERS: [&str; 4] = [
    "Home | News | Business | Markets | Opinion | Sign in | Subscribe",
    "Advertisement\nSkip to main content",
    "This message was forwarded to you by a friend. View it in your browser.",
    "Share this article: Facebook Twitter LinkedIn Email Print",
];
const FOOTERS: [&str; 4] = [
    "Subscribe to our newsletter to get the latest stories delivered to your inbox every morning. You can unsubscribe at any time.",
    "Copyright (c) All rights reserved. This material may not be published, broadcast, rewritten or redistributed without permission.",
    "_______________________________________________\nThis list is archived at the usual place. To unsubscribe, send a message with the word unsubscribe in the subject line.",
    "Related stories\nRead more about this topic\nMost popular this week\nLeave a comment",
];

/// SplitMix64: a small, well-known, seeded generator (no dependency, stable across versions).
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// The lower-cased runs of letters and digits of `text`.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The sorted, distinct hashes of the word 5-grams of `text` (all its words as one shingle
/// when it has fewer than five).
pub fn shingle_set(text: &str) -> Vec<u64> {
    let words = words(text);
    let mut set: Vec<u64> = if words.len() < SHINGLE_WORDS {
        if words.is_empty() {
            Vec::new()
        } else {
            vec![xxh3_64(words.join(" ").as_bytes())]
        }
    } else {
        words
            .windows(SHINGLE_WORDS)
            .map(|w| xxh3_64(w.join(" ").as_bytes()))
            .collect()
    };
    set.sort_unstable();
    set.dedup();
    set
}

/// Jaccard similarity of two sorted, distinct sets (1 for two empty sets).
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Joins each paragraph's lines and wraps it again at `width` columns.
fn rewrap(text: &str, width: usize) -> String {
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
        } else {
            current.extend(line.split_whitespace());
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    let mut out = String::with_capacity(text.len());
    for (n, paragraph) in paragraphs.iter().enumerate() {
        if n > 0 {
            out.push_str("\n\n");
        }
        let mut column = 0;
        for word in paragraph {
            let length = word.chars().count();
            if column > 0 && column + 1 + length > width {
                out.push('\n');
                column = 0;
            } else if column > 0 {
                out.push(' ');
                column += 1;
            }
            out.push_str(word);
            column += length;
        }
    }
    out
}

/// Straight quotes to curly ones, or, when the text already has curly ones, back to straight.
fn requote(text: &str) -> String {
    if text.contains(['\u{201C}', '\u{201D}', '\u{2018}', '\u{2019}']) {
        return text
            .replace(['\u{201C}', '\u{201D}'], "\"")
            .replace(['\u{2018}', '\u{2019}'], "'");
    }
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut open = true;
    let mut previous = ' ';
    for c in text.chars() {
        match c {
            '"' => {
                out.push(if open { '\u{201C}' } else { '\u{201D}' });
                open = !open;
            }
            '\'' if previous.is_alphanumeric() => out.push('\u{2019}'),
            '\'' => out.push('\u{2018}'),
            _ => out.push(c),
        }
        previous = c;
    }
    out
}

/// Edits about `percent` % of the words (replaced by another word of the text, deleted, or
/// preceded by an inserted one), keeping the lines.
fn edit(text: &str, percent: usize, rng: &mut Rng) -> String {
    let vocabulary: Vec<&str> = text.split_whitespace().collect();
    let p = percent as f64 / 100.0;
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut tokens: Vec<&str> = Vec::new();
        for token in line.split_whitespace() {
            if rng.chance(p) {
                match rng.below(3) {
                    0 => tokens.push(vocabulary[rng.below(vocabulary.len())]),
                    1 => {}
                    _ => {
                        tokens.push(vocabulary[rng.below(vocabulary.len())]);
                        tokens.push(token);
                    }
                }
            } else {
                tokens.push(token);
            }
        }
        out.push_str(&tokens.join(" "));
    }
    out
}

/// The text cut before the first word past `percent` % of its words.
fn truncate(text: &str, percent: usize) -> String {
    let starts: Vec<usize> = text
        .char_indices()
        .filter(|&(at, c)| {
            !c.is_whitespace() && (at == 0 || text[..at].ends_with(char::is_whitespace))
        })
        .map(|(at, _)| at)
        .collect();
    let keep = starts.len() * percent / 100;
    match starts.get(keep) {
        Some(&cut) => text[..cut].trim_end().to_owned(),
        None => text.to_owned(),
    }
}

/// One planted copy of `text` by transformation `kind`.
pub fn transform(text: &str, kind: &str, rng: &mut Rng) -> String {
    match kind {
        "rewrap" => rewrap(text, 50 + rng.below(40)),
        "requote" => requote(text),
        "boilerplate" => format!(
            "{}\n\n{}\n\n{}",
            HEADERS[rng.below(HEADERS.len())],
            text.trim_end(),
            FOOTERS[rng.below(FOOTERS.len())]
        ),
        "rewrap+requote+edit-1%" => {
            let width = 50 + rng.below(40);
            edit(&requote(&rewrap(text, width)), 1, rng)
        }
        other => {
            let percent = other
                .trim_end_matches('%')
                .rsplit('-')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            if other.starts_with("edit-") {
                edit(text, percent, rng)
            } else {
                truncate(text, percent)
            }
        }
    }
}

/// `chaff-bench plant`: writes the planted corpus and its ground truth; prints a summary.
pub fn plant(
    input: &Path,
    out: &Path,
    truth: &Path,
    seed: u64,
    share: f64,
    n_copies: usize,
) -> anyhow::Result<()> {
    let documents = read_documents(input)?;
    let mut rng = Rng::new(seed);
    let mut copies: Vec<(usize, &str, String)> = Vec::new();
    for (index, (_, text)) in documents.iter().enumerate() {
        let eligible = words(text).len() >= MIN_WORDS;
        // Up to `n_copies` copies, each drawn alone (the first draw is the one a single copy
        // makes). Draw for every document, eligible or not, so a change of MIN_WORDS moves few
        // draws.
        for copy in 0..n_copies.max(1) as u64 {
            let chosen = rng.chance(share);
            let kind = KINDS[rng.below(KINDS.len())];
            let mut own = Rng::new(
                seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    ^ copy.wrapping_mul(0xD1B5_4A32_D192_ED03),
            );
            if chosen && eligible {
                copies.push((index, kind, transform(text, kind, &mut own)));
            }
        }
    }
    // Each copy goes at a random place after its source (before original number `at`, or at
    // the end), so that a tool timed on a prefix of the corpus still meets planted pairs.
    let n_real = documents.len();
    let mut placed: Vec<(usize, u64, usize)> = copies
        .iter()
        .enumerate()
        .map(|(n, (source, _, _))| (source + 1 + rng.below(n_real - source), rng.next_u64(), n))
        .collect();
    placed.sort_unstable();
    let mut line_of_copy = vec![0usize; copies.len()];
    let mut order: Vec<(bool, usize)> = Vec::with_capacity(n_real + copies.len());
    let mut next = placed.iter().peekable();
    for original in 0..=n_real {
        while let Some(&&(at, _, n)) = next.peek() {
            if at != original {
                break;
            }
            line_of_copy[n] = order.len();
            order.push((true, n));
            next.next();
        }
        if original < n_real {
            order.push((false, original));
        }
    }
    let mut line_of_original = vec![0usize; n_real];
    for (line, &(is_copy, n)) in order.iter().enumerate() {
        if !is_copy {
            line_of_original[n] = line;
        }
    }
    let mut writer = BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
    );
    let copy_id = |n: usize| format!("{}~planted{n}", documents[copies[n].0].0);
    for &(is_copy, n) in &order {
        let (id, text) = if is_copy {
            (copy_id(n), copies[n].2.as_str())
        } else {
            (documents[n].0.clone(), documents[n].1.as_str())
        };
        writeln!(writer, "{}", json!({ "id": id, "text": text }))?;
    }
    let mut truth_writer = BufWriter::new(
        std::fs::File::create(truth)
            .with_context(|| format!("cannot create {}", truth.display()))?,
    );
    let mut by_kind: Map<String, Value> = Map::new();
    let mut n_at_threshold = 0;
    for (n, (source, kind, text)) in copies.iter().enumerate() {
        let similarity = jaccard(&shingle_set(&documents[*source].1), &shingle_set(text));
        if similarity >= 0.8 {
            n_at_threshold += 1;
        }
        writeln!(
            truth_writer,
            "{}",
            json!({
                "source": line_of_original[*source],
                "copy": line_of_copy[n],
                "source_id": documents[*source].0,
                "copy_id": copy_id(n),
                "kind": kind,
                "jaccard": similarity,
            })
        )?;
        let entry = by_kind
            .entry((*kind).to_owned())
            .or_insert_with(|| json!(0));
        *entry = json!(entry.as_u64().unwrap_or(0) + 1);
    }
    writer.flush()?;
    truth_writer.flush()?;
    println!(
        "{}",
        json!({
            "n_real_docs": documents.len(),
            "n_planted": copies.len(),
            "n_docs": documents.len() + copies.len(),
            "n_planted_at_threshold": n_at_threshold,
            "by_kind": by_kind,
            "seed": seed,
            "share": share,
            "copies": n_copies,
        })
    );
    Ok(())
}

/// `(id, text)` of every line of an ingest-input JSON-lines file.
pub fn read_documents(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut documents = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let mut object: Map<String, Value> = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a JSON object", path.display(), n + 1))?;
        let text = match object.remove("text") {
            Some(Value::String(text)) => text,
            _ => bail!("{}:{}: no \"text\" string", path.display(), n + 1),
        };
        let id = match object.remove("id") {
            Some(Value::String(id)) => id,
            _ => format!("line-{}", n + 1),
        };
        documents.push((id, text));
    }
    Ok(documents)
}

/// One ground-truth pair.
pub(crate) struct Planted {
    pub(crate) source: usize,
    pub(crate) copy: usize,
    pub(crate) kind: String,
    pub(crate) jaccard: f64,
}

/// The ground truth `chaff-bench plant` wrote.
pub(crate) fn read_truth(truth: &Path) -> anyhow::Result<Vec<Planted>> {
    let truth_text = std::fs::read_to_string(truth)
        .with_context(|| format!("cannot read {}", truth.display()))?;
    let mut planted = Vec::new();
    for line in truth_text.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line)?;
        planted.push(Planted {
            source: value["source"].as_u64().context("truth without source")? as usize,
            copy: value["copy"].as_u64().context("truth without copy")? as usize,
            kind: value["kind"].as_str().unwrap_or_default().to_owned(),
            jaccard: value["jaccard"].as_f64().unwrap_or(0.0),
        });
    }
    Ok(planted)
}

/// The pairs of a pairs file (JSON lines `[a, b]`, `path` its name in errors), in file order.
pub(crate) fn parse_pairs(text: &str, path: &Path) -> anyhow::Result<Vec<(usize, usize)>> {
    let mut pairs = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line)?;
        let (Some(a), Some(b)) = (value[0].as_u64(), value[1].as_u64()) else {
            bail!("{}: a line is not [a, b]", path.display());
        };
        pairs.push((a as usize, b as usize));
    }
    Ok(pairs)
}

/// The root of `x`'s set in a union-find held as a map of parents, compressing the path.
pub(crate) fn find(parent: &mut HashMap<usize, usize>, mut x: usize) -> usize {
    let mut path = Vec::new();
    while let Some(&p) = parent.get(&x) {
        if p == x {
            break;
        }
        path.push(x);
        x = p;
    }
    for node in path {
        parent.insert(node, x);
    }
    x
}

/// `chaff-bench score`: precision, recall and F1 of each tool's pairs against the truth.
pub fn score(
    input: &Path,
    truth: &Path,
    tools: &[(String, std::path::PathBuf, Option<usize>)],
    threshold: f64,
) -> anyhow::Result<()> {
    let documents = read_documents(input)?;
    let planted = read_truth(truth)?;
    let n_positive_all = planted.iter().filter(|p| p.jaccard >= threshold).count();
    let mut shingles: HashMap<usize, Vec<u64>> = HashMap::new();
    let mut results = Map::new();
    for (tool, path, docs_done) in tools {
        // A tool that stopped early is scored on the planted pairs of the prefix it did.
        let done = docs_done.unwrap_or(documents.len());
        let planted: Vec<&Planted> = planted
            .iter()
            .filter(|p| p.source < done && p.copy < done)
            .collect();
        let n_positive = planted.iter().filter(|p| p.jaccard >= threshold).count();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                results.insert(
                    tool.clone(),
                    json!({ "error": format!("cannot read {}: {error}", path.display()) }),
                );
                continue;
            }
        };
        let mut pairs: Vec<(usize, usize)> = parse_pairs(&text, path)?
            .into_iter()
            .filter(|&(a, b)| a != b && a < documents.len() && b < documents.len())
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut parent: HashMap<usize, usize> = HashMap::new();
        let mut n_right = 0usize;
        let mut wrong_similarity = 0.0;
        for &(a, b) in &pairs {
            for x in [a, b] {
                shingles
                    .entry(x)
                    .or_insert_with(|| shingle_set(&documents[x].1));
            }
            let similarity = jaccard(&shingles[&a], &shingles[&b]);
            if similarity >= threshold {
                n_right += 1;
            } else {
                wrong_similarity += similarity;
            }
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                parent.insert(ra.max(rb), ra.min(rb));
            }
        }
        let mut found_positive = 0usize;
        let mut kinds: Map<String, Value> = Map::new();
        for p in planted.iter().copied() {
            let found = find(&mut parent, p.source) == find(&mut parent, p.copy);
            if found && p.jaccard >= threshold {
                found_positive += 1;
            }
            let entry = kinds.entry(p.kind.clone()).or_insert_with(
                || json!({ "n": 0, "found": 0, "jaccard_sum": 0.0, "n_at_threshold": 0 }),
            );
            entry["n"] = json!(entry["n"].as_u64().unwrap_or(0) + 1);
            entry["found"] = json!(entry["found"].as_u64().unwrap_or(0) + u64::from(found));
            entry["jaccard_sum"] = json!(entry["jaccard_sum"].as_f64().unwrap_or(0.0) + p.jaccard);
            entry["n_at_threshold"] = json!(
                entry["n_at_threshold"].as_u64().unwrap_or(0) + u64::from(p.jaccard >= threshold)
            );
        }
        let precision = if pairs.is_empty() {
            1.0
        } else {
            n_right as f64 / pairs.len() as f64
        };
        let recall = found_positive as f64 / n_positive.max(1) as f64;
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        let n_wrong = pairs.len() - n_right;
        results.insert(
            tool.clone(),
            json!({
                "n_pairs": pairs.len(),
                "n_pairs_at_threshold": n_right,
                "mean_jaccard_of_wrong_pairs": if n_wrong > 0 { wrong_similarity / n_wrong as f64 } else { 0.0 },
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "n_planted_found": found_positive,
                "n_planted_scored": n_positive,
                "n_docs_done": done,
                "by_kind": kinds,
            }),
        );
    }
    println!(
        "{}",
        json!({
            "threshold": threshold,
            "n_docs": documents.len(),
            "n_planted": planted.len(),
            "n_planted_at_threshold": n_positive_all,
            "tools": results,
        })
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "The company said on Tuesday that it would \"buy back\" shares,\nand the board's vote\nwas unanimous.\n\nA second paragraph follows here with more words in it.";

    #[test]
    fn transformations_keep_or_change_the_words_as_named() {
        let mut rng = Rng::new(1);
        let base = shingle_set(TEXT);
        for kind in ["rewrap", "requote"] {
            let copy = transform(TEXT, kind, &mut rng);
            assert_ne!(copy, TEXT, "{kind}");
            assert!(
                (jaccard(&base, &shingle_set(&copy)) - 1.0).abs() < 1e-12,
                "{kind}: {copy}"
            );
        }
        assert!(requote(TEXT).contains('\u{201C}'));
        assert_eq!(requote(&requote(TEXT)), TEXT);
        let cut = transform(TEXT, "truncate-70%", &mut rng);
        assert!(TEXT.starts_with(&cut) && cut.len() < TEXT.len());
        let boiler = transform(TEXT, "boilerplate", &mut rng);
        assert!(boiler.contains(TEXT.trim_end()));
        assert!(jaccard(&base, &shingle_set(&boiler)) < 1.0);
    }

    #[test]
    fn jaccard_of_sets() {
        assert!((jaccard(&[1, 2, 3], &[2, 3, 4]) - 0.5).abs() < 1e-12);
        assert!((jaccard(&[], &[]) - 1.0).abs() < 1e-12);
        assert!(jaccard(&[1], &[]).abs() < 1e-12);
    }

    #[test]
    fn the_generator_is_seeded() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let x: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let y: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_eq!(x, y);
        assert_eq!(
            edit(TEXT, 10, &mut Rng::new(3)),
            edit(TEXT, 10, &mut Rng::new(3))
        );
    }
}
