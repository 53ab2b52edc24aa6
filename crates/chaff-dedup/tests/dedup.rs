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
        if let Some(via) = &dedup.via {
            write!(out, " via {via}").unwrap();
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

/// A text of `n` made-up words with `changes` words replaced, each change at its own place
/// five words or more from any other, so that each removes exactly five shingles: two texts
/// `k` changes apart have an exact shingle Jaccard of `(n − 4 − 5k) / (n − 4 + 5k)`.
fn changed_text(n: usize, changes: std::ops::Range<usize>) -> String {
    let mut words: Vec<String> = (0..n).map(made_up_word).collect();
    for change in changes {
        words[5 + change * 5] = made_up_word(100_000 + change);
    }
    words.join(" ")
}

/// A near duplicate of a near duplicate of the kept document, not similar enough to the kept
/// document itself: the representative check alone splits it off; joining through the member
/// it verified against keeps it in the cluster, naming that member. One step only: what is
/// similar only to such a member is not joined.
#[test]
fn a_member_joins_through_the_member_it_verified_against() {
    // 1,000 words, 996 shingles: 13 changes apart is 0.877, 26 apart 0.769, 39 apart 0.673.
    let records = vec![
        record("r", &changed_text(1000, 0..0)),
        record("s", &changed_text(1000, 0..13)),
        record("c", &changed_text(1000, 0..26)),
        record("d", &changed_text(1000, 0..39)),
    ];
    let config = Config {
        shared_sentences: false,
        paragraphs: false,
        exact_jaccard: true,
        ..Config::default()
    };
    let (joined, summary) = dedup_all(&config, records.clone());
    insta::assert_snapshot!(render(&joined), @r"
    r: Kept (cluster r of 3)
    s: Duplicate of r by Minhash at 0.8775 (cluster r of 3) dropped: duplicate
    c: Duplicate of r by Minhash at 0.8775 via s (cluster r of 3) dropped: duplicate
    d: Kept
    ");
    assert_eq!(summary.n_linked_members, 1);
    assert_eq!(summary.n_split_members, 1);
    assert_eq!(summary.clusters[0].members[1].via.as_deref(), Some("s"));
    let reason = &joined[2].dropped.as_ref().unwrap().detail;
    assert_eq!(
        reason.as_deref(),
        Some("near duplicate of s (similarity 0.877), itself a near duplicate of r")
    );
    // The representative alone: c is split off and grouped again with d, its own near
    // duplicate.
    let (alone, summary) = dedup_all(
        &Config {
            join_through_members: false,
            ..config.clone()
        },
        records.clone(),
    );
    insta::assert_snapshot!(render(&alone), @r"
    r: Kept (cluster r of 2)
    s: Duplicate of r by Minhash at 0.8775 (cluster r of 2) dropped: duplicate
    c: Kept (cluster c of 2)
    d: Duplicate of c by Minhash at 0.8775 (cluster c of 2) dropped: duplicate
    ");
    assert_eq!(summary.n_linked_members, 0);
    // The estimate decides the same way here, and every thread count gives the same plan.
    let estimate = Config {
        exact_jaccard: false,
        ..config
    };
    let at = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| render(&dedup_all(&estimate, records.clone()).0))
    };
    let one = at(1);
    assert!(one.contains("c: Duplicate of r by Minhash at") && one.contains("via s"));
    assert_eq!(one, at(3));
}

/// Joining through members cannot get past the cluster cap: a hub, spokes that verify against
/// it and, for each spoke, an outer document that verifies only against its spoke. Without a
/// cap they are one cluster (every outer through its spoke); with a cap of ten (the hub and its
/// seven spokes leave room for two outers), no cluster is larger and every joined member names
/// a member of its own cluster.
#[test]
fn joining_through_members_stays_under_the_cap() {
    // Spoke i changes 13 words of the hub's (0.877); its outer 13 more (0.877 to the spoke,
    // 0.769 to the hub, further from everything else).
    let n_spokes = 7;
    let mut records = vec![record("hub", &changed_text(1000, 0..0))];
    for i in 0..n_spokes {
        records.push(record(
            &format!("spoke{i}"),
            &changed_text(1000, i * 26..i * 26 + 13),
        ));
    }
    for i in 0..n_spokes {
        records.push(record(
            &format!("outer{i}"),
            &changed_text(1000, i * 26..i * 26 + 26),
        ));
    }
    let config = Config {
        shared_sentences: false,
        paragraphs: false,
        exact_jaccard: true,
        max_cluster_docs: 0,
        ..Config::default()
    };
    let (uncapped, summary) = dedup_all(&config, records.clone());
    assert_eq!(summary.largest_cluster, 1 + 2 * n_spokes as u64);
    assert_eq!(summary.n_linked_members, n_spokes as u64);
    for r in &uncapped[1 + n_spokes..] {
        let dedup = r.dedup.as_ref().unwrap();
        assert_eq!(dedup.duplicate_of.as_deref(), Some("hub"));
        assert_eq!(dedup.via.as_deref(), Some(&*r.id.replace("outer", "spoke")));
    }
    let (capped, summary) = dedup_all(
        &Config {
            max_cluster_docs: 10,
            ..config
        },
        records,
    );
    assert_eq!(summary.largest_cluster, 10);
    assert_eq!((summary.n_capped_clusters, summary.n_cap_regrouped), (1, 5));
    assert!(summary.n_linked_members > 0);
    let verdict = |id: &str| {
        capped
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.dedup.clone())
            .unwrap()
    };
    for r in &capped {
        let dedup = r.dedup.as_ref().unwrap();
        if let Some(cluster) = &dedup.cluster {
            assert!(cluster.size <= 10, "{dedup:?}");
        }
        let Some(of) = &dedup.duplicate_of else {
            continue;
        };
        assert!(dedup.similarity.unwrap() >= 0.8, "{dedup:?}");
        // The kept document is kept; `via` is a member of the same cluster.
        assert!(verdict(of).duplicate_of.is_none(), "{dedup:?}");
        if let Some(via) = &dedup.via {
            assert_eq!(verdict(via).duplicate_of.as_ref(), Some(of), "{dedup:?}");
            assert_eq!(verdict(via).via, None, "{dedup:?}");
        }
    }
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
