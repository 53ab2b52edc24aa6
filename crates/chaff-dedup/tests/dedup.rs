//! Dedup on the seeds, on small hand-made corpora for each level, and the LSH maths.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use chaff_dedup::{
    Config, Permutations, UnionFind, candidate_probability, dedup_all, estimated_jaccard,
};
use chaff_record::{Record, Source, offsets};

fn record(id: &str, text: &str) -> Record {
    Record::new(
        id,
        text,
        Source {
            path: id.to_owned(),
            ..Source::default()
        },
    )
}

/// A made-up five-letter word, different for each `i` in the ranges used here. Letters only:
/// dedup folds digits to 0, so numbered words would all look alike.
fn made_up_word(i: usize) -> String {
    let mut n = i * 7919 + 13;
    (0..5)
        .map(|_| {
            let c = (b'a' + (n % 26) as u8) as char;
            n /= 26;
            c
        })
        .collect()
}

/// Verdicts, one document a line, then each shared sentence with who shares it.
fn render(records: &[Record]) -> String {
    let mut out = String::new();
    for record in records {
        let dedup = record.dedup.as_ref().unwrap();
        write!(out, "{}: {:?}", record.id, dedup.status).unwrap();
        if let Some(of) = &dedup.duplicate_of {
            write!(
                out,
                " of {of} by {:?} at {:.4}",
                dedup.method.unwrap(),
                dedup.similarity.unwrap()
            )
            .unwrap();
        }
        if let Some(cluster) = &dedup.cluster {
            write!(out, " (cluster {} of {})", cluster.id, cluster.size).unwrap();
        }
        if let Some(dropped) = &record.dropped {
            write!(out, " dropped: {}", dropped.reason).unwrap();
        }
        writeln!(out).unwrap();
        for shared in &dedup.shared_sentences {
            let sentence = offsets::slice(&record.text, shared.span).unwrap();
            let with: Vec<String> = shared
                .with
                .iter()
                .map(|w| format!("{} {:.2}", w.id, w.score))
                .collect();
            writeln!(out, "    shared with {}: {sentence}", with.join(", ")).unwrap();
        }
        for edit in record.edits.iter().filter(|e| e.stage == "dedup") {
            writeln!(
                out,
                "    cut {} (first copy in {}): {:?}",
                edit.rule,
                edit.first_copy.as_deref().unwrap_or("?"),
                edit.original
            )
            .unwrap();
        }
    }
    out
}

const BASE: &str = "The regional council voted on Tuesday to build a new bridge across the river, ending a debate that had lasted for more than ten years and divided the two towns on either bank. Supporters said the bridge would cut travel times for thousands of commuters, while opponents warned about the cost and the damage to the wetlands downstream.";

#[test]
fn exact_copies_after_folding_case_and_space() {
    let records = vec![
        record("a", BASE),
        record("b", &BASE.to_uppercase().replace(' ', "  ")),
        record("c", "Something else entirely, about the weather."),
    ];
    let (records, summary) = dedup_all(&Config::default(), records);
    insta::assert_snapshot!(render(&records), @r"
    a: Kept (cluster a of 2)
    b: Duplicate of a by Exact at 1.0000 (cluster a of 2) dropped: duplicate
    c: Kept
    ");
    assert_eq!(summary.n_exact_duplicates, 1);
}

#[test]
fn near_duplicates_are_verified_and_clustered() {
    let edited = BASE.replace("Tuesday", "Wednesday");
    let unrelated = "Farmers in the north reported the best harvest in a decade, helped by a mild spring and steady rain through the summer months, and prices for wheat fell as a result.";
    let records = vec![
        record("a", BASE),
        record("b", &edited),
        record("c", unrelated),
    ];
    let (records, summary) = dedup_all(&Config::default(), records);
    let b = records[1].dedup.as_ref().unwrap();
    assert_eq!(b.duplicate_of.as_deref(), Some("a"));
    assert_eq!(b.method, Some(chaff_record::DedupMethod::Minhash));
    assert!(b.similarity.unwrap() >= 0.8, "{b:?}");
    assert!(!records[2].is_dropped());
    assert_eq!(summary.n_near_duplicates, 1);
    assert!(summary.n_verified_pairs >= 1);

    // The longest-kept policy keeps the longer text.
    let config = Config {
        keep: chaff_dedup::KeepPolicy::Longest,
        ..Config::default()
    };
    let longer = format!("{BASE} The vote was close.");
    let (records, _) = dedup_all(&config, vec![record("a", BASE), record("b", &longer)]);
    assert!(records[0].is_dropped() && !records[1].is_dropped());
}

#[test]
fn a_chain_of_near_duplicates_is_split_at_the_representative() {
    // A chain: each document changes two more words of a 200-word text, so neighbours are
    // about 0.9 similar while the ends of the chain are far apart. LSH joins neighbours;
    // union-find alone would make one cluster of all of them.
    let mut words: Vec<String> = (0..200).map(made_up_word).collect();
    let mut records = Vec::new();
    for step in 0..12 {
        records.push(record(&format!("d{step:02}"), &words.join(" ")));
        for k in 0..2 {
            let at = (step * 2 + k) * 8 % words.len();
            words[at] = made_up_word(1000 + step * 2 + k);
        }
    }
    // Shared sentences off: every document is one long sentence shared with all the others.
    let config = Config {
        shared_sentences: false,
        ..Config::default()
    };
    let (records, summary) = dedup_all(&config, records);
    // The first cluster holds only what verifies against d00; the members split off it are
    // grouped again around a representative of their own, so the far end of the chain is a
    // cluster of its own, not a duplicate of d00 and not lost either.
    insta::assert_snapshot!(render(&records));
    for r in records.iter().filter(|r| r.is_dropped()) {
        let dedup = r.dedup.as_ref().unwrap();
        assert!(dedup.similarity.unwrap() >= 0.8, "{dedup:?}");
    }
    assert!(summary.n_split_members > 0 && summary.n_split_clusters == 1);
    assert!(summary.n_clusters > 1);
    assert_ne!(
        records
            .last()
            .unwrap()
            .dedup
            .as_ref()
            .unwrap()
            .duplicate_of
            .as_deref(),
        Some("d00"),
        "the far end of the chain is not a duplicate of the first"
    );
}

/// A cluster larger than `max_cluster_docs` is cut at the cap in input order; the rest are
/// grouped again around representatives of their own, counted, and nothing is lost.
#[test]
fn clusters_stop_at_the_size_cap() {
    let base: Vec<String> = (0..300).map(made_up_word).collect();
    // Ten near copies: each changes one different word of 300 (Jaccard about 0.97 with any
    // other), none an exact copy.
    let records: Vec<Record> = (0..10)
        .map(|i| {
            let mut words = base.clone();
            words[i * 29] = made_up_word(5000 + i);
            record(&format!("c{i}"), &words.join(" "))
        })
        .collect();
    let config = Config {
        shared_sentences: false,
        paragraphs: false,
        max_cluster_docs: 4,
        ..Config::default()
    };
    let (capped, summary) = dedup_all(&config, records.clone());
    let verdicts: Vec<(String, Option<String>, Option<u64>)> = capped
        .iter()
        .map(|r| {
            let dedup = r.dedup.as_ref().unwrap();
            (
                r.id.clone(),
                dedup.duplicate_of.clone(),
                dedup.cluster.as_ref().map(|c| c.size),
            )
        })
        .collect();
    let of = |id: &str| Some(id.to_owned());
    assert_eq!(
        verdicts,
        vec![
            ("c0".into(), None, Some(4)),
            ("c1".into(), of("c0"), Some(4)),
            ("c2".into(), of("c0"), Some(4)),
            ("c3".into(), of("c0"), Some(4)),
            ("c4".into(), None, Some(4)),
            ("c5".into(), of("c4"), Some(4)),
            ("c6".into(), of("c4"), Some(4)),
            ("c7".into(), of("c4"), Some(4)),
            ("c8".into(), None, Some(2)),
            ("c9".into(), of("c8"), Some(2)),
        ]
    );
    assert_eq!((summary.n_capped_clusters, summary.n_cap_regrouped), (2, 8));
    assert_eq!(summary.n_split_members, 0);
    // Without the cap the ten are one cluster.
    let (uncapped, summary) = dedup_all(
        &Config {
            max_cluster_docs: 0,
            ..config.clone()
        },
        records,
    );
    assert_eq!(uncapped.iter().filter(|r| r.is_dropped()).count(), 9);
    assert_eq!(summary.n_capped_clusters, 0);
    // A cap of one document is refused.
    assert!(
        Config {
            max_cluster_docs: 1,
            ..config
        }
        .validate()
        .is_err()
    );
}

#[test]
fn repeated_and_boilerplate_paragraphs() {
    let footer = "Subscribe to the Valley Courier for daily news.";
    let shared = "The river authority said water levels would stay high for at least another week, and asked residents near the banks to keep sandbags in place until further notice.";
    let docs = [
        // Openings long enough that the two pages sharing `shared` are far from near
        // duplicates (Jaccard about 0.4), whatever the MinHash estimate's noise.
        format!(
            "Storm closes roads in the valley as heavy rain falls for a third day and drivers are told to stay at home unless their journey is essential.\n\n{shared}\n\n{footer}"
        ),
        format!(
            "School reopens after the floods, with pupils returning to classrooms that volunteers spent the weekend cleaning and drying out before the start of term.\n\n{shared}\n\n{footer}"
        ),
        format!("Market returns to the square.\n\n{footer}"),
        format!("Council approves the bridge.\n\n{footer}"),
        format!("Library extends its hours.\n\n{footer}"),
    ];
    // No segment spans: dedup falls back to blank-line paragraphs, so the crate works alone.
    let records = docs
        .iter()
        .enumerate()
        .map(|(i, t)| record(&format!("p{i}"), t))
        .collect();
    let (records, summary) = dedup_all(&Config::default(), records);
    insta::assert_snapshot!(render(&records));
    for r in &records {
        assert!(!r.text.contains(footer), "{}", r.text);
        assert_eq!(
            chaff_record::rebuild_original(r).unwrap(),
            docs[r.id[1..].parse::<usize>().unwrap()]
        );
    }
    assert!(records[0].text.contains(shared) && !records[1].text.contains(shared));
    assert_eq!(
        summary.paragraphs_removed.get("boilerplate_paragraph"),
        Some(&5)
    );
    assert_eq!(
        summary.paragraphs_removed.get("repeated_paragraph"),
        Some(&1)
    );
}

#[test]
fn lsh_s_curve() {
    // The probability that a pair is a candidate, at the default 14 bands of 8 rows.
    assert!(candidate_probability(0.9, 14, 8) >= 0.99);
    assert!(candidate_probability(0.3, 14, 8) < 0.001);
    // Measured over many seeds: pairs of sets with known Jaccard.
    let a: Vec<u64> = (0..1000).collect();
    let high: Vec<u64> = (0..1000)
        .map(|x| if x < 947 { x } else { x + 10_000 })
        .collect(); // J = 0.9
    let low: Vec<u64> = (0..1000)
        .map(|x| if x < 462 { x } else { x + 10_000 })
        .collect(); // J = 0.3
    let (mut n_high, mut n_low, mut error) = (0, 0, 0.0f64);
    let n_seeds = 200;
    for seed in 0..n_seeds {
        let permutations = Permutations::new(112, seed);
        let (sa, sh, sl) = (
            permutations.signature(&a),
            permutations.signature(&high),
            permutations.signature(&low),
        );
        let shares_band = |x: &[u32], y: &[u32]| {
            (0..14).any(|b| chaff_dedup::band_hash(x, b, 8) == chaff_dedup::band_hash(y, b, 8))
        };
        n_high += usize::from(shares_band(&sa, &sh));
        n_low += usize::from(shares_band(&sa, &sl));
        error += (estimated_jaccard(&sa, &sh) - 0.9).abs();
    }
    println!(
        "candidates at J=0.9: {n_high}/{n_seeds}; at J=0.3: {n_low}/{n_seeds}; mean |error| {:.4}",
        error / n_seeds as f64
    );
    assert!(n_high as f64 >= 0.98 * n_seeds as f64);
    assert!(n_low <= 1);
    assert!(error / (n_seeds as f64) < 0.05);
}

#[test]
fn union_find_joins_and_finds() {
    let mut sets = UnionFind::new(6);
    assert!(sets.union(0, 1));
    assert!(sets.union(2, 3));
    assert!(sets.union(1, 3));
    assert!(!sets.union(0, 2));
    assert_eq!(sets.find(0), sets.find(3));
    assert_ne!(sets.find(0), sets.find(4));
    assert_ne!(sets.find(4), sets.find(5));
}
