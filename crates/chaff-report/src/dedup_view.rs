//! The dedup stage's summary, read from the JSON it writes, for the Markdown and HTML views.
//!
//! The report does not depend on the dedup crate: it reads the documented fields of its
//! summary and shows what it finds; missing fields show as nothing.

use serde_json::Value;

/// Clusters and document pairs shown inline; the rest stay in `report.json`.
pub(crate) const SHOWN: usize = 20;
/// Documents in the shared-sentence matrix at most.
pub(crate) const MATRIX_DOCS: usize = 12;

pub(crate) struct Member {
    pub id: String,
    pub method: String,
    pub similarity: f64,
}

pub(crate) struct ClusterView {
    pub representative: String,
    pub members: Vec<Member>,
}

pub(crate) struct SharedPair {
    pub a: String,
    pub b: String,
    pub sentences: u64,
}

pub(crate) struct DedupView {
    pub figures: Vec<(&'static str, String)>,
    pub clusters: Vec<ClusterView>,
    pub n_clusters: u64,
    pub shared: Vec<SharedPair>,
    pub histogram: Vec<u64>,
    pub threshold: f64,
}

fn number(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(|v| {
        v.as_u64()
            .map(|n| n.to_string())
            .or_else(|| v.as_f64().map(|x| format!("{x:.1}")))
    })
}

impl DedupView {
    pub(crate) fn read(summary: &Value) -> Option<DedupView> {
        if !summary.is_object() {
            return None;
        }
        let labels = [
            ("documents indexed", "n_docs"),
            ("exact duplicates", "n_exact_duplicates"),
            ("near duplicates", "n_near_duplicates"),
            ("clusters", "n_clusters"),
            ("largest cluster", "largest_cluster"),
            ("candidate pairs", "n_candidate_pairs"),
            ("verified pairs", "n_verified_pairs"),
            ("rejected pairs", "n_rejected_pairs"),
            (
                "pairs decided by exact Jaccard near the threshold",
                "n_rechecked_pairs",
            ),
            ("documents read again for them", "n_rechecked_docs"),
            ("members joined through another member", "n_linked_members"),
            ("members split off their cluster", "n_split_members"),
            ("clusters that reached the size cap", "n_capped_clusters"),
            ("members regrouped past the cap", "n_cap_regrouped"),
            ("shared sentence pairs", "n_shared_sentence_pairs"),
            ("index bytes per document", "index_bytes_per_doc"),
        ];
        let mut figures: Vec<(&'static str, String)> = labels
            .iter()
            .filter_map(|(label, key)| number(summary, key).map(|v| (*label, v)))
            .collect();
        if let Some(removed) = summary.get("paragraphs_removed").and_then(Value::as_object) {
            for (rule, n) in removed {
                if rule == "boilerplate_paragraph" {
                    figures.push(("paragraphs removed as boilerplate", n.to_string()));
                } else if rule == "repeated_paragraph" {
                    figures.push(("paragraphs removed as repeats", n.to_string()));
                }
            }
        }
        let text =
            |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        let clusters = summary
            .get("clusters")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .take(SHOWN)
                    .map(|c| ClusterView {
                        representative: text(c, "representative"),
                        members: c
                            .get("members")
                            .and_then(Value::as_array)
                            .map(|m| {
                                m.iter()
                                    .map(|m| Member {
                                        id: text(m, "id"),
                                        method: text(m, "method"),
                                        similarity: m
                                            .get("similarity")
                                            .and_then(Value::as_f64)
                                            .unwrap_or(0.0),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let shared = summary
            .get("shared_pairs")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|p| SharedPair {
                        a: text(p, "a"),
                        b: text(p, "b"),
                        sentences: p.get("sentences_a").and_then(Value::as_u64).unwrap_or(0)
                            + p.get("sentences_b").and_then(Value::as_u64).unwrap_or(0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let histogram = summary
            .get("similarity_histogram")
            .and_then(Value::as_array)
            .map(|h| h.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        Some(DedupView {
            figures,
            clusters,
            n_clusters: summary
                .get("n_clusters")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            shared,
            histogram,
            threshold: summary
                .get("threshold")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
        })
    }

    /// The documents of the shared-sentence matrix (those in the most shared sentences) and
    /// the matrix itself: sentences shared between row and column documents.
    pub(crate) fn matrix(&self) -> (Vec<String>, Vec<Vec<u64>>) {
        let mut weight: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        for pair in &self.shared {
            *weight.entry(&pair.a).or_default() += pair.sentences;
            *weight.entry(&pair.b).or_default() += pair.sentences;
        }
        let mut docs: Vec<(&str, u64)> = weight.into_iter().collect();
        docs.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
        let mut docs: Vec<String> = docs
            .into_iter()
            .take(MATRIX_DOCS)
            .map(|(d, _)| d.to_owned())
            .collect();
        docs.sort();
        let index = |id: &str| docs.iter().position(|d| d == id);
        let mut cells = vec![vec![0u64; docs.len()]; docs.len()];
        for pair in &self.shared {
            if let (Some(i), Some(j)) = (index(&pair.a), index(&pair.b)) {
                cells[i][j] += pair.sentences;
                cells[j][i] += pair.sentences;
            }
        }
        (docs, cells)
    }
}
