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

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context as _, bail};
use chaff_record::{Record, RecordStage as _, Source};
use rayon::prelude::*;
use serde_json::{Value, json};

fn find(parent: &mut HashMap<usize, usize>, mut x: usize) -> usize {
    while let Some(&up) = parent.get(&x) {
        if up == x {
            break;
        }
        x = up;
    }
    x
}

/// `chaff-bench misses`: prints the count of missed planted pairs per cause, as JSON.
pub fn misses(
    input: &Path,
    truth: &Path,
    pairs: &Path,
    candidates: Option<&Path>,
) -> anyhow::Result<()> {
    let config = chaff_dedup::Config::default();
    let documents = crate::plant::read_documents(input)?;
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let text = std::fs::read_to_string(pairs)
        .with_context(|| format!("cannot read {}", pairs.display()))?;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line)?;
        let (Some(a), Some(b)) = (value[0].as_u64(), value[1].as_u64()) else {
            bail!("{}: a line is not [a, b]", pairs.display());
        };
        let (a, b) = (find(&mut parent, a as usize), find(&mut parent, b as usize));
        if a != b {
            parent.insert(a.max(b), a.min(b));
        }
    }
    let truth_text = std::fs::read_to_string(truth)
        .with_context(|| format!("cannot read {}", truth.display()))?;
    let mut missed: Vec<(usize, usize, String)> = Vec::new();
    let mut n_positive = 0usize;
    for line in truth_text.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line)?;
        let (Some(source), Some(copy), Some(jaccard)) = (
            value["source"].as_u64(),
            value["copy"].as_u64(),
            value["jaccard"].as_f64(),
        ) else {
            bail!(
                "{}: a line without source, copy or jaccard",
                truth.display()
            );
        };
        if jaccard < config.threshold {
            continue;
        }
        n_positive += 1;
        let (source, copy) = (source as usize, copy as usize);
        if source >= documents.len() || copy >= documents.len() {
            bail!("{}: pair {source}, {copy} past the corpus", truth.display());
        }
        if find(&mut parent, source) != find(&mut parent, copy) {
            let kind = value["kind"].as_str().unwrap_or_default().to_owned();
            missed.push((source, copy, kind));
        }
    }
    // The candidate pairs the stage compared, when given.
    let compared: Option<std::collections::HashSet<(usize, usize)>> = match candidates {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let mut set = std::collections::HashSet::new();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let value: Value = serde_json::from_str(line)?;
                let (Some(a), Some(b)) = (value[0].as_u64(), value[1].as_u64()) else {
                    bail!("{}: a line is not [a, b]", path.display());
                };
                let (a, b) = (a as usize, b as usize);
                set.insert((a.min(b), a.max(b)));
            }
            Some(set)
        }
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
                if !candidate {
                    "never_candidate"
                } else if chaff_dedup::estimated_jaccard(&sa, &sb) < config.threshold
                    && !config.is_borderline(chaff_dedup::estimated_jaccard(&sa, &sb))
                {
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
