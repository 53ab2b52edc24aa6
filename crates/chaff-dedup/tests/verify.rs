//! Verification of LSH candidates by exact Jaccard on the shingle sets, and the audit of
//! candidate pairs.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use chaff_dedup::{Config, Index, exact_jaccard, signature};
use chaff_record::{Record, Source};

/// A 120-word text of made-up words (letters only: dedup folds digits to 0).
fn words(n: usize, salt: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut x = (i + salt * 1000) * 7919 + 17;
            (0..6)
                .map(|_| {
                    let c = (b'a' + (x % 26) as u8) as char;
                    x /= 26;
                    c
                })
                .collect()
        })
        .collect()
}

/// Candidate pairs of a corpus, one a line, and each document's verdict.
fn check(config: &Config, texts: &[String]) -> String {
    let mut index = Index::new(config);
    for (ordinal, text) in texts.iter().enumerate() {
        let record = Record::new(format!("d{ordinal}"), text.as_str(), Source::default());
        index.insert(ordinal as u64, &record.id, signature(config, &record));
    }
    let plan = index.finish();
    let mut out = String::new();
    for pair in plan.candidate_pairs() {
        writeln!(
            out,
            "{} {} band {}: estimated {:.4}, exact {:?}, accepted {}",
            pair.a, pair.b, pair.band, pair.estimated_jaccard, pair.exact_jaccard, pair.accepted
        )
        .unwrap();
    }
    for (ordinal, text) in texts.iter().enumerate() {
        let record = Record::new(format!("d{ordinal}"), text.as_str(), Source::default());
        let dedup = plan.apply(ordinal as u64, record).dedup.unwrap();
        writeln!(
            out,
            "d{ordinal}: {:?} {:?} {:?}",
            dedup.status, dedup.duplicate_of, dedup.similarity
        )
        .unwrap();
    }
    out
}

#[test]
fn exact_jaccard_of_sorted_sets() {
    assert_eq!(exact_jaccard(&[1, 2, 3, 4], &[2, 3, 4, 5]), 0.6);
    assert_eq!(exact_jaccard(&[], &[]), 0.0);
    assert_eq!(exact_jaccard(&[7], &[7]), 1.0);
}

#[test]
fn candidates_verified_by_exact_jaccard_when_asked() {
    // d1 edits 2 of d0's 120 words (exact Jaccard of the 5-gram shingles 0.90), d3 edits 3
    // (0.83); d1 and d3 are 0.77 to each other. Both verify against d0 and join its cluster. d2
    // is unrelated and never a candidate. The d1–d3 pair shows why `exact_jaccard` exists: at
    // 112 permutations the estimate has a standard error of about 0.04, so a pair at 0.77 can
    // read either side of the 0.8 threshold, while the exact figure always rejects it. The
    // audit shows the estimate and, when asked, the exact figure that decided.
    let base = words(120, 0);
    let edit = |step: usize| {
        let mut edited = base.clone();
        for i in (0..edited.len()).step_by(step) {
            edited[i] = format!("{}x", edited[i]);
        }
        edited.join(" ")
    };
    let texts = vec![base.join(" "), edit(60), words(120, 1).join(" "), edit(40)];
    let estimated = check(&Config::default(), &texts);
    let exact = check(
        &Config {
            exact_jaccard: true,
            ..Config::default()
        },
        &texts,
    );
    insta::assert_snapshot!(format!(
        "estimate decides:\n{estimated}\nexact decides:\n{exact}"
    ));
}
