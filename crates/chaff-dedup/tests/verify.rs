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

/// Forty documents, each with a copy that edits one word in every `step` (steps 30 to 45:
/// exact Jaccard of the 5-gram shingles about 0.72 to 0.85), so that many pairs fall near the
/// 0.8 threshold, on both sides.
fn near_threshold_corpus() -> Vec<Record> {
    let mut records = Vec::new();
    for k in 0..40 {
        let base = words(120, k + 10);
        let step = 30 + k % 16;
        let mut copy = base.clone();
        for i in (step / 2..copy.len()).step_by(step) {
            copy[i] = format!("{}q", copy[i]);
        }
        for (n, text) in [base.join(" "), copy.join(" ")].into_iter().enumerate() {
            records.push(Record::new(format!("k{k:02}-{n}"), text, Source::default()));
        }
    }
    records
}

#[test]
fn borderline_pairs_are_decided_by_their_shingle_sets() {
    let config = Config::default();
    let records = near_threshold_corpus();
    let index = || {
        let mut index = Index::new(&config);
        for (ordinal, record) in records.iter().enumerate() {
            index.insert(ordinal as u64, &record.id, signature(&config, record));
        }
        index
    };
    let mut asked = Vec::new();
    let Ok(plan) = index().finish_with(|wanted| {
        asked = wanted.to_vec();
        Ok::<_, std::convert::Infallible>(chaff_dedup::shingle_sets(&config, &records, wanted))
    });
    let estimate_only = index().finish();
    let (mut rechecked, mut flipped) = (0, 0);
    for (pair, plain) in plan
        .candidate_pairs()
        .iter()
        .zip(estimate_only.candidate_pairs())
    {
        assert_eq!((&pair.a, &pair.b), (&plain.a, &plain.b));
        assert_eq!(plain.exact_jaccard, None);
        assert_eq!(plain.accepted, plain.estimated_jaccard >= config.threshold);
        if config.is_borderline(pair.estimated_jaccard) {
            let exact = pair.exact_jaccard.expect("a borderline pair is rechecked");
            let set = |id: &str| {
                let record = records.iter().find(|r| r.id == id).unwrap();
                chaff_dedup::shingle_set(&config, record)
            };
            let truth = exact_jaccard(&set(&pair.a), &set(&pair.b));
            assert!((exact - truth).abs() < 1e-4, "{pair:?} {truth}");
            assert_eq!(pair.accepted, exact >= config.threshold, "{pair:?}");
            rechecked += 1;
            flipped += usize::from(pair.accepted != plain.accepted);
        } else {
            assert_eq!(pair.exact_jaccard, None, "{pair:?}");
            assert_eq!(pair.accepted, plain.accepted);
        }
    }
    println!(
        "{rechecked} borderline pairs rechecked, {flipped} decided otherwise than by the estimate"
    );
    assert!(rechecked >= 5, "{rechecked}");
    assert!(flipped >= 1, "{flipped}");
    // Only the documents of borderline pairs were asked for, once each, in order.
    assert!(!asked.is_empty() && asked.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(plan.summary().n_rechecked_docs, asked.len() as u64);
    assert_eq!(estimate_only.summary().n_rechecked_docs, 0);
}

#[test]
fn the_margin_includes_its_ends_and_nothing_when_zero() {
    let config = Config::default();
    assert_eq!(config.recheck_margin, 0.05);
    // 84 of 112 hashes agree: 0.75, the lower end of the default margin around 0.8.
    for k in [84, 85, 89, 90, 95] {
        assert!(config.is_borderline(k as f64 / 112.0), "{k}/112");
    }
    for k in [83, 96, 112, 0] {
        assert!(!config.is_borderline(k as f64 / 112.0), "{k}/112");
    }
    assert!(config.is_borderline(0.85) && config.is_borderline(0.75));
    let off = Config {
        recheck_margin: 0.0,
        ..Config::default()
    };
    assert!(!off.is_borderline(0.8));
}
