//! MinHash signatures and LSH bands.
//!
//! Each of the `n` permutations is a universal hash `h_i(x) = (a_i·x + b_i) mod p` with
//! `p = 2^61 − 1` (a Mersenne prime, so the reduction is two shifts and an add), applied to the
//! 64-bit shingle hash; the minimum over a document's shingles is kept, truncated to 32 bits.
//! `a_i` and `b_i` come from a SplitMix64 stream seeded by `Config::seed`, so signatures are
//! the same on every machine and every run.

use xxhash_rust::xxh3::xxh3_64;

const MERSENNE_61: u64 = (1 << 61) - 1;

/// The permutation parameters for `n` hashes from `seed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permutations {
    a: Vec<u64>,
    b: Vec<u64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Permutations {
    /// `n` permutations drawn from `seed`.
    pub fn new(n: usize, seed: u64) -> Permutations {
        let mut state = seed;
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        for _ in 0..n {
            a.push(splitmix64(&mut state) % (MERSENNE_61 - 1) + 1);
            b.push(splitmix64(&mut state) % MERSENNE_61);
        }
        Permutations { a, b }
    }

    /// Number of permutations.
    pub fn len(&self) -> usize {
        self.a.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    /// The signature of a set of shingle hashes (`u32::MAX` everywhere for an empty set).
    pub fn signature(&self, shingles: &[u64]) -> Vec<u32> {
        if shingles.is_empty() {
            return vec![u32::MAX; self.a.len()];
        }
        let xs: Vec<u64> = shingles.iter().map(|&s| s % MERSENNE_61).collect();
        // The hot loop of the stage, one permutation at a time over every shingle: `a`, `b`
        // and the running minimum stay in registers, and each step is one 64×64→128 multiply
        // and one Mersenne reduction.
        self.a
            .iter()
            .zip(&self.b)
            .map(|(&a, &b)| {
                let mut minimum = u64::MAX;
                for &x in &xs {
                    let value = affine_mod_mersenne(a, x, b);
                    if value < minimum {
                        minimum = value;
                    }
                }
                minimum as u32
            })
            .collect()
    }
}

/// `(a·x + b) mod (2^61 − 1)` for `a, x, b < 2^61 − 1`, reduced once: with `p = 2^61 − 1`,
/// `v = a·x + b ≤ p(p − 1)`, so `v >> 61 < p − 1` and `(v & p) + (v >> 61) < 2p − 1`, which one
/// conditional subtraction (written as a minimum, so no branch) brings below `p`.
#[inline(always)]
fn affine_mod_mersenne(a: u64, x: u64, b: u64) -> u64 {
    let v = u128::from(a) * u128::from(x) + u128::from(b);
    let r = ((v as u64) & MERSENNE_61) + ((v >> 61) as u64);
    r.min(r.wrapping_sub(MERSENNE_61))
}

/// The fraction of positions where two signatures agree: the MinHash estimate of Jaccard.
pub fn estimated_jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len() as f64
}

/// The Jaccard similarity of two sorted sets without repeats: shared over all.
pub fn exact_jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    }
}

/// The hash of band `band` (rows `band*rows .. (band+1)*rows`) of a signature.
pub fn band_hash(signature: &[u32], band: usize, rows: usize) -> u64 {
    let end = band
        .saturating_add(1)
        .saturating_mul(rows)
        .min(signature.len());
    let start = band.saturating_mul(rows).min(end);
    let mut bytes = Vec::with_capacity((end - start) * 4 + 2);
    bytes.extend_from_slice(&(band as u16).to_le_bytes());
    for value in &signature[start..end] {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    xxh3_64(&bytes)
}

/// The probability that a pair of Jaccard similarity `s` shares at least one of `bands` bands
/// of `rows` rows: `1 − (1 − s^rows)^bands`, the LSH S-curve.
pub fn candidate_probability(s: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook reduction, with a 128-bit remainder: what the fast path must equal.
    fn reference(a: u64, x: u64, b: u64) -> u64 {
        ((u128::from(a) * u128::from(x) + u128::from(b)) % u128::from(MERSENNE_61)) as u64
    }

    #[test]
    fn the_mersenne_reduction_is_exact() {
        let mut state = 7u64;
        let p = MERSENNE_61;
        let edges = [0, 1, 2, p / 2, p - 2, p - 1];
        for &a in &edges[1..] {
            for &x in &edges {
                for &b in &edges {
                    assert_eq!(
                        affine_mod_mersenne(a, x, b),
                        reference(a, x, b),
                        "{a} {x} {b}"
                    );
                }
            }
        }
        for _ in 0..100_000 {
            let a = splitmix64(&mut state) % (p - 1) + 1;
            let x = splitmix64(&mut state) % p;
            let b = splitmix64(&mut state) % p;
            assert_eq!(
                affine_mod_mersenne(a, x, b),
                reference(a, x, b),
                "{a} {x} {b}"
            );
        }
    }
}
