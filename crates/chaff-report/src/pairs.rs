//! Side-by-side views of a dropped duplicate against its representative, with the text they
//! share marked.
//!
//! The builder sees records one at a time, in input order, so it pairs them as they come: it
//! holds the texts of the first [`PAIRS_SHOWN`] cluster representatives (the clusters the dedup
//! summary lists first, as it lists them in input order of their representatives) and of at most
//! as many duplicates that arrive before their representative. Everything else is only counted;
//! memory stays bounded whatever the corpus size.

use std::collections::HashSet;

use chaff_record::{Record, Span};
use serde::{Deserialize, Serialize};

use crate::cut;

/// Clusters shown side by side (the first ones, in input order of their representatives).
pub const PAIRS_SHOWN: usize = 5;
/// Longest text held per side, in characters; longer texts are cut with `…`.
pub const PAIR_CHARS: usize = 8_000;
/// Words in the n-grams compared to find shared text.
pub const SHARED_NGRAM_WORDS: usize = 5;

/// A dropped duplicate and the representative it duplicates, with the shared text marked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DuplicatePair {
    /// The kept document.
    pub representative: String,
    /// The dropped one.
    pub duplicate: String,
    /// How dedup found it (`exact`, `minhash`).
    pub method: String,
    /// Its similarity to the representative, by the method's measure.
    pub similarity: f64,
    /// The representative's final text (cut to [`PAIR_CHARS`] characters).
    pub representative_text: String,
    /// The duplicate's text as dropped (cut likewise).
    pub duplicate_text: String,
    /// Code-point spans of `representative_text` inside word 5-grams the duplicate also has.
    pub representative_shared: Vec<Span>,
    /// Code-point spans of `duplicate_text` inside word 5-grams the representative also has.
    pub duplicate_shared: Vec<Span>,
    /// The share of the duplicate's words inside shared 5-grams, in `[0, 1]`.
    pub duplicate_shared_words: f64,
}

/// A record's id and (cut) text, held until its partner arrives.
#[derive(Debug, Clone)]
struct Held {
    id: String,
    text: String,
    /// For a duplicate: what it duplicates, how, how similar.
    of: String,
    method: String,
    similarity: f64,
}

/// The pairing state of the builder.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pairing {
    /// The first representatives seen (at most [`PAIRS_SHOWN`]).
    first_representatives: HashSet<String>,
    /// Those of them still waiting for a duplicate.
    representatives: Vec<Held>,
    /// Duplicates seen before their representative (at most [`PAIRS_SHOWN`]).
    early_duplicates: Vec<Held>,
    /// The pairs made, in the order of their representatives' clusters' first complete pair.
    pub(crate) pairs: Vec<DuplicatePair>,
}

impl Pairing {
    pub(crate) fn observe(&mut self, record: &Record) {
        let Some(dedup) = record.dedup.as_ref() else {
            return;
        };
        let is_representative = !record.is_dropped()
            && dedup
                .cluster
                .as_ref()
                .is_some_and(|cluster| cluster.id == record.id);
        if is_representative {
            if self.first_representatives.len() >= PAIRS_SHOWN {
                return;
            }
            self.first_representatives.insert(record.id.clone());
            if self.first_representatives.len() >= PAIRS_SHOWN {
                // No later representative is shown, so no early duplicate can pair any more
                // (except this one's).
                self.early_duplicates.retain(|d| d.of == record.id);
            }
            let text = cut(&record.text, PAIR_CHARS);
            match self.early_duplicates.iter().position(|d| d.of == record.id) {
                Some(at) => {
                    let duplicate = self.early_duplicates.swap_remove(at);
                    self.pairs.push(pair(&record.id, &text, duplicate));
                }
                None => self.representatives.push(Held {
                    id: record.id.clone(),
                    text,
                    of: String::new(),
                    method: String::new(),
                    similarity: 0.0,
                }),
            }
            return;
        }
        let Some(of) = dedup.duplicate_of.as_ref() else {
            return;
        };
        // A member that joined its cluster through another member (`via`) was not verified
        // against the representative, and its similarity is to that member: not shown here.
        if !record.is_dropped() || dedup.via.is_some() {
            return;
        }
        let held = || Held {
            id: record.id.clone(),
            text: cut(&record.text, PAIR_CHARS),
            of: of.clone(),
            method: dedup
                .method
                .and_then(|m| serde_json::to_value(m).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            similarity: dedup.similarity.unwrap_or(0.0),
        };
        if self.first_representatives.contains(of) {
            if let Some(at) = self.representatives.iter().position(|r| &r.id == of) {
                let representative = self.representatives.swap_remove(at);
                self.pairs
                    .push(pair(&representative.id, &representative.text, held()));
            }
        } else if self.first_representatives.len() < PAIRS_SHOWN
            && self.early_duplicates.len() < PAIRS_SHOWN
            && !self.early_duplicates.iter().any(|d| &d.of == of)
        {
            self.early_duplicates.push(held());
        }
    }
}

fn pair(representative: &str, representative_text: &str, duplicate: Held) -> DuplicatePair {
    let (representative_shared, duplicate_shared, duplicate_shared_words) =
        shared_spans(representative_text, &duplicate.text);
    DuplicatePair {
        representative: representative.to_owned(),
        duplicate: duplicate.id,
        method: duplicate.method,
        similarity: duplicate.similarity,
        representative_text: representative_text.to_owned(),
        duplicate_text: duplicate.text,
        representative_shared,
        duplicate_shared,
        duplicate_shared_words,
    }
}

/// The words of `text`: code-point spans of runs of non-space, with a normalised key
/// (lowercase letters and digits only).
fn words(text: &str) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut key = String::new();
    let mut n = 0;
    for (i, c) in text.chars().enumerate() {
        n = i + 1;
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((Span::new(s, i), std::mem::take(&mut key)));
            }
        } else {
            start.get_or_insert(i);
            key.extend(c.to_lowercase().filter(|c| c.is_alphanumeric()));
        }
    }
    if let Some(s) = start {
        out.push((Span::new(s, n), key));
    }
    out
}

fn ngram_hash(words: &[(Span, String)]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for (_, key) in words {
        key.hash(&mut hasher);
    }
    hasher.finish()
}

/// Spans of `a` and of `b` covered by word n-grams both texts hold, merged, and the share of
/// `b`'s words they cover. Texts shorter than one n-gram are compared whole.
pub(crate) fn shared_spans(a: &str, b: &str) -> (Vec<Span>, Vec<Span>, f64) {
    let (wa, wb) = (words(a), words(b));
    let n = SHARED_NGRAM_WORDS.min(wa.len()).min(wb.len()).max(1);
    let grams = |w: &[(Span, String)]| -> HashSet<u64> { w.windows(n).map(ngram_hash).collect() };
    let (ga, gb) = (grams(&wa), grams(&wb));
    let marked = |w: &[(Span, String)], other: &HashSet<u64>| -> Vec<bool> {
        let mut marks = vec![false; w.len()];
        for (i, window) in w.windows(n).enumerate() {
            if other.contains(&ngram_hash(window)) {
                marks[i..i + n].iter_mut().for_each(|m| *m = true);
            }
        }
        marks
    };
    let (ma, mb) = (marked(&wa, &gb), marked(&wb, &ga));
    let share = if wb.is_empty() {
        0.0
    } else {
        mb.iter().filter(|&&m| m).count() as f64 / wb.len() as f64
    };
    (merge(&wa, &ma), merge(&wb, &mb), share)
}

/// Marked words joined into spans; neighbouring marked words join across the space between.
fn merge(words: &[(Span, String)], marks: &[bool]) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut previous_marked = false;
    for ((span, _), &marked) in words.iter().zip(marks) {
        if marked {
            match spans.last_mut() {
                Some(last) if previous_marked => last.end = span.end,
                _ => spans.push(*span),
            }
        }
        previous_marked = marked;
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_five_grams_are_marked_on_both_sides() {
        let a = "Alpha beta gamma delta epsilon zeta. Only in a here.";
        let b = "Something else. alpha Beta gamma delta, epsilon zeta!";
        let (sa, sb, share) = shared_spans(a, b);
        let text = |t: &str, s: &Span| t.chars().skip(s.start).take(s.len()).collect::<String>();
        assert_eq!(
            sa.iter().map(|s| text(a, s)).collect::<Vec<_>>(),
            ["Alpha beta gamma delta epsilon zeta."]
        );
        assert_eq!(
            sb.iter().map(|s| text(b, s)).collect::<Vec<_>>(),
            ["alpha Beta gamma delta, epsilon zeta!"]
        );
        assert!((share - 6.0 / 8.0).abs() < 1e-9, "{share}");
    }

    #[test]
    fn nothing_shared_marks_nothing() {
        let (sa, sb, share) = shared_spans("one two three four five", "six seven eight nine ten");
        assert!(sa.is_empty() && sb.is_empty());
        assert_eq!(share, 0.0);
        let (sa, sb, _) = shared_spans("", "");
        assert!(sa.is_empty() && sb.is_empty());
    }
}
