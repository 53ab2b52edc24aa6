//! Why chaff missed the planted pairs it missed: `chaff-bench misses`.
//!
//! A planted pair at or above the threshold (by the ground truth's words, see [`crate::plant`])
//! that chaff's reported pairs do not join is put down to the first of these that holds:
//! 1. **normalisation**: by chaff's words (the normalisation: digits to `0`, punctuation
//!    to space, diacritics removed, British endings folded) the pair's exact Jaccard is below the
//!    threshold, so verification rejects it by design;
//! 2. **never a candidate**: the two signatures share no band, so LSH never offers the pair
//!    (at 14 bands of 8 rows a pair at 0.8 is a candidate 92% of the time);
//! 3. **estimate outside the margin**: a candidate whose MinHash estimate falls below the
//!    recheck margin, so the estimate rejects it without a look at the shingle sets;
//! 4. **never compared** (when the stage's candidate pairs are given): the two share a band, but
//!    their bucket is so full that they are more than `max_bucket_pairs` apart in it, and no
//!    other band brings them together;
//! 5. **clustering**: the pair was compared and would verify, but the two documents end in
//!    different clusters: a member joins its cluster's representative directly or through one
//!    member that did, never through a chain, and one of the two is further than that.
//!
//! The categories are computed from the documents alone with chaff's own functions, so they
//! explain a default-configuration run; they do not re-run the stage.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context as _, bail};
use chaff_record::{Record, RecordStage as _, Source};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::plant::{find, parse_pairs, read_truth};

/// `chaff-bench misses`: prints the count of missed planted pairs per cause, as JSON.
pub fn misses(
    input: &Path,
    truth: &Path,
    pairs: &Path,
    candidates: Option<&Path>,
) -> anyhow::Result<()> {
    let config = chaff_dedup::Config::default();
    let documents = crate::plant::read_documents(input)?;
    let read = |path: &Path| -> anyhow::Result<Vec<(usize, usize)>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        parse_pairs(&text, path)
    };
    let mut parent: HashMap<usize, usize> = HashMap::new();
    for (a, b) in read(pairs)? {
        let (a, b) = (find(&mut parent, a), find(&mut parent, b));
        if a != b {
            parent.insert(a.max(b), a.min(b));
        }
    }
    let mut missed: Vec<(usize, usize, String)> = Vec::new();
    let mut n_positive = 0usize;
    for planted in read_truth(truth)? {
        if planted.jaccard < config.threshold {
            continue;
        }
        n_positive += 1;
        let (source, copy) = (planted.source, planted.copy);
        if source >= documents.len() || copy >= documents.len() {
            bail!("{}: pair {source}, {copy} past the corpus", truth.display());
        }
        if find(&mut parent, source) != find(&mut parent, copy) {
            missed.push((source, copy, planted.kind));
        }
    }
    // The candidate pairs the stage compared, when given.
    let compared: Option<HashSet<(usize, usize)>> = match candidates {
        None => None,
        Some(path) => Some(
            read(path)?
                .into_iter()
                .map(|(a, b)| (a.min(b), a.max(b)))
                .collect(),
        ),
    };
    let segment = chaff_segment::Config::default();
    let permutations = chaff_dedup::Permutations::new(config.bands * config.rows, config.seed);
    let record = |i: usize| {
        let (id, text) = &documents[i];
        segment.apply(Record::new(id.clone(), text.as_str(), Source::default()))
    };
    let causes: Vec<(&'static str, String)> = missed
        .par_iter()
        .map(|(source, copy, kind)| {
            let (a, b) = (
                chaff_dedup::shingle_set(&config, &record(*source)),
                chaff_dedup::shingle_set(&config, &record(*copy)),
            );
            let cause = if chaff_dedup::exact_jaccard(&a, &b) < config.threshold {
                "normalisation"
            } else {
                let (sa, sb) = (permutations.signature(&a), permutations.signature(&b));
                let candidate = (0..config.bands).any(|band| {
                    let rows = band * config.rows..(band + 1) * config.rows;
                    sa[rows.clone()] == sb[rows]
                });
                let estimate = chaff_dedup::estimated_jaccard(&sa, &sb);
                if !candidate {
                    "never_candidate"
                } else if estimate < config.threshold && !config.is_borderline(estimate) {
                    "estimate_outside_margin"
                } else if compared
                    .as_ref()
                    .is_some_and(|set| !set.contains(&(*source.min(copy), *source.max(copy))))
                {
                    "never_compared"
                } else {
                    "clustering"
                }
            };
            (cause, kind.clone())
        })
        .collect();
    let mut by_cause: serde_json::Map<String, Value> = serde_json::Map::new();
    for cause in [
        "normalisation",
        "never_candidate",
        "estimate_outside_margin",
        "never_compared",
        "clustering",
    ] {
        let mut by_kind: std::collections::BTreeMap<&str, u64> = Default::default();
        for (c, kind) in &causes {
            if *c == cause {
                *by_kind.entry(kind.as_str()).or_default() += 1;
            }
        }
        by_cause.insert(
            cause.to_owned(),
            json!({ "n": by_kind.values().sum::<u64>(), "by_kind": by_kind }),
        );
    }
    println!(
        "{}",
        json!({
            "threshold": config.threshold,
            "n_planted_at_threshold": n_positive,
            "n_missed": missed.len(),
            "by_cause": by_cause,
        })
    );
    Ok(())
}
