//! MinHash signatures and LSH bands.
//!
//! Each shingle's 64-bit hash is folded to a 32-bit key `x` (high half XOR low half). Each of
//! the `n` permutations is then a multiply-add-shift hash `h_i(x) = (a_i·x + b_i) mod 2^64 >> 32`
//! with random 64-bit `a_i`, `b_i`: Dietzfelbinger's scheme, strongly universal (2-independent)
//! on 32-bit keys, the same guarantee as the textbook `(a·x + b) mod p` that datatrove uses, at
//! a fraction of the cost: one 64-bit multiply, an add and a shift, no reduction. The minimum
//! over a document's shingles is kept. `a_i` and `b_i` come from a SplitMix64 stream seeded by
//! `Config::seed`, so signatures are the same on every machine and every run.

use xxhash_rust::xxh3::xxh3_64;

/// The permutation parameters for `n` hashes from `seed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permutations {
    a: Vec<u64>,
    b: Vec<u64>,
}

pub(crate) fn splitmix64(state: &mut u64) -> u64 {
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
            a.push(splitmix64(&mut state));
            b.push(splitmix64(&mut state));
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
        let keys: Vec<u32> = shingles.iter().map(|&s| fold_key(s)).collect();
        signature_of_keys(&self.a, &self.b, &keys)
    }
}

/// The MinHash signature of folded keys under the permutations `(a, b)`: the hot loop of the
/// stage. On a CPU with AVX2 (detected at run time), [`avx2::signature_of_keys`] runs it eight
/// keys at a time; elsewhere [`portable_signature`]. Both compute the same integers, so the
/// signature is the same on every CPU (a test holds each version to the plain definition).
fn signature_of_keys(a_all: &[u64], b_all: &[u64], keys: &[u32]) -> Vec<u32> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the one requirement of calling a `#[target_feature(enable = "avx2")]`
        // function is a CPU with AVX2, checked just above. The only `unsafe` outside tests.
        #[allow(unsafe_code)]
        return unsafe { avx2::signature_of_keys(a_all, b_all, keys) };
    }
    portable_signature(a_all, b_all, keys)
}

/// [`signature_of_keys`] in plain Rust.
#[inline(always)]
fn portable_signature(a_all: &[u64], b_all: &[u64], keys: &[u32]) -> Vec<u32> {
    let mut signature = Vec::with_capacity(a_all.len());
    // Four permutations at a time over every key, so that four independent multiplies are in
    // flight and `a`, `b` and the four running minima stay in registers.
    let mut a_blocks = a_all.chunks_exact(4);
    let mut b_blocks = b_all.chunks_exact(4);
    for (a, b) in (&mut a_blocks).zip(&mut b_blocks) {
        let (a0, a1, a2, a3) = (a[0], a[1], a[2], a[3]);
        // Adding 2^63 to `b` flips the top bit of the hash, which turns unsigned order into
        // signed order: the running minimum is then a signed one, which SSE2 compares
        // directly. The bit is flipped back below.
        let flip = |b: u64| b.wrapping_add(1 << 63);
        let (b0, b1, b2, b3) = (flip(b[0]), flip(b[1]), flip(b[2]), flip(b[3]));
        let mut m = [i32::MAX; 4];
        for &x in keys {
            m[0] = m[0].min(multiply_shift(a0, x, b0) as i32);
            m[1] = m[1].min(multiply_shift(a1, x, b1) as i32);
            m[2] = m[2].min(multiply_shift(a2, x, b2) as i32);
            m[3] = m[3].min(multiply_shift(a3, x, b3) as i32);
        }
        signature.extend(m.iter().map(|&v| (v as u32) ^ 0x8000_0000));
    }
    remaining_permutations(
        a_blocks.remainder(),
        b_blocks.remainder(),
        keys,
        &mut signature,
    );
    signature
}

/// The permutations left over when their number is not a multiple of the block, one at a time.
#[inline(always)]
fn remaining_permutations(a: &[u64], b: &[u64], keys: &[u32], signature: &mut Vec<u32>) {
    for (&a, &b) in a.iter().zip(b) {
        let minimum = keys.iter().map(|&x| multiply_shift(a, x, b)).min();
        signature.push(minimum.unwrap_or(u32::MAX));
    }
}

/// The signature loop in AVX2 instructions. AVX2 has no 64-bit multiply: the compiler builds
/// one out of 32-bit multiplies, four keys at a time. Only the high 32 bits of
/// `a·x + b (mod 2^64)` are wanted, and with `a = a_hi·2^32 + a_lo` they are
/// `high32(a_lo·x + b) + low32(a_hi·x) (mod 2^32)`: one widening multiply (`a_lo·x` is exact in
/// 64 bits) and one low 32-bit multiply, which takes eight keys at once. So eight keys cost
/// two widening multiplies (even and odd lanes), one low multiply and an unsigned 32-bit
/// minimum, for the same integers as [`multiply_shift`].
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_add_epi64, _mm256_blend_epi32, _mm256_cvtsi256_si32,
        _mm256_min_epu32, _mm256_mul_epu32, _mm256_mullo_epi32, _mm256_permute2x128_si256,
        _mm256_set1_epi32, _mm256_set1_epi64x, _mm256_setr_epi32, _mm256_shuffle_epi32,
        _mm256_srli_epi64,
    };

    /// Permutations handled together over each run of eight keys.
    const BLOCK: usize = 4;

    #[target_feature(enable = "avx2")]
    pub(super) fn signature_of_keys(a_all: &[u64], b_all: &[u64], keys: &[u32]) -> Vec<u32> {
        let Some(&first) = keys.first() else {
            return vec![u32::MAX; a_all.len()];
        };
        // Eight keys to a vector, the last eight filled up with the first key: a key twice
        // cannot change a minimum. (Kept as plain `u32`s: a vector of `__m256i` would be an
        // allocation aligned to 32 bytes, which the allocator serves from fresh pages. Copying
        // the keys costs less than the alternative without the copy, a padded last eight
        // handled after the loop: 1.08 against 1.19 billion instructions on the quick planted
        // corpus.)
        let mut padded = Vec::with_capacity(keys.len().div_ceil(8) * 8);
        padded.extend_from_slice(keys);
        padded.resize(keys.len().div_ceil(8) * 8, first);
        let mut signature = Vec::with_capacity(a_all.len());
        let mut a_blocks = a_all.chunks_exact(BLOCK);
        let mut b_blocks = b_all.chunks_exact(BLOCK);
        for (a, b) in (&mut a_blocks).zip(&mut b_blocks) {
            // `a_lo` and `a_hi` in every 32-bit lane (the widening multiply reads the low half
            // of each 64-bit lane), `b` in every 64-bit lane.
            let a_lo: [__m256i; BLOCK] = std::array::from_fn(|i| _mm256_set1_epi32(a[i] as i32));
            let a_hi: [__m256i; BLOCK] =
                std::array::from_fn(|i| _mm256_set1_epi32((a[i] >> 32) as i32));
            let b: [__m256i; BLOCK] = std::array::from_fn(|i| _mm256_set1_epi64x(b[i] as i64));
            let mut minimum = [_mm256_set1_epi32(-1); BLOCK];
            for k in padded.chunks_exact(8) {
                let k: [i32; 8] = std::array::from_fn(|i| k[i] as i32);
                let x = _mm256_setr_epi32(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]);
                // The odd lanes' keys moved down to where the widening multiply reads them.
                let x_odd = _mm256_srli_epi64::<32>(x);
                for i in 0..BLOCK {
                    let even = _mm256_add_epi64(_mm256_mul_epu32(a_lo[i], x), b[i]);
                    let odd = _mm256_add_epi64(_mm256_mul_epu32(a_lo[i], x_odd), b[i]);
                    // high32(a_lo·x + b) of every key in its own lane: the even keys' moved
                    // down, the odd keys' already in place.
                    let high =
                        _mm256_blend_epi32::<0b1010_1010>(_mm256_srli_epi64::<32>(even), odd);
                    let hash = _mm256_add_epi32(high, _mm256_mullo_epi32(a_hi[i], x));
                    minimum[i] = _mm256_min_epu32(minimum[i], hash);
                }
            }
            signature.extend(minimum.map(|v| least_lane(v)));
        }
        super::remaining_permutations(
            a_blocks.remainder(),
            b_blocks.remainder(),
            keys,
            &mut signature,
        );
        signature
    }

    /// The least of the eight unsigned 32-bit lanes.
    #[target_feature(enable = "avx2")]
    fn least_lane(v: __m256i) -> u32 {
        let v = _mm256_min_epu32(v, _mm256_permute2x128_si256::<1>(v, v));
        let v = _mm256_min_epu32(v, _mm256_shuffle_epi32::<0b01_00_11_10>(v));
        let v = _mm256_min_epu32(v, _mm256_shuffle_epi32::<0b10_11_00_01>(v));
        _mm256_cvtsi256_si32(v) as u32
    }
}

/// A 64-bit shingle hash as a 32-bit key.
#[inline(always)]
fn fold_key(hash: u64) -> u32 {
    (hash ^ (hash >> 32)) as u32
}

/// `(a·x + b) mod 2^64 >> 32` for a 32-bit key `x`: strongly universal on 32-bit keys.
#[inline(always)]
fn multiply_shift(a: u64, x: u32, b: u64) -> u32 {
    (a.wrapping_mul(u64::from(x)).wrapping_add(b) >> 32) as u32
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
    // Without a branch on which side moves: the hashes are random, so a branch there would be
    // mispredicted about every other step, and the merge would take several times as long.
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        shared += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
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

    /// The signature, whichever version of the loop runs (AVX2 where the CPU has it, the
    /// portable loop elsewhere), is the plain definition: per permutation, the least
    /// `(a·x + b) mod 2^64 >> 32` over the folded keys. Key counts on both sides of the
    /// eight-key vector, permutation counts on both sides of the block of four.
    #[test]
    fn the_signature_is_the_plain_definition_in_every_version() {
        let mut state = 5u64;
        for (n_hashes, n_shingles) in [
            (112, 1),
            (112, 7),
            (112, 8),
            (112, 9),
            (112, 1000),
            (5, 33),
            (1, 2),
            (13, 64),
            (3, 17),
        ] {
            let permutations = Permutations::new(n_hashes, 42);
            let shingles: Vec<u64> = (0..n_shingles).map(|_| splitmix64(&mut state)).collect();
            let plain: Vec<u32> = permutations
                .a
                .iter()
                .zip(&permutations.b)
                .map(|(&a, &b)| {
                    shingles
                        .iter()
                        .map(|&s| multiply_shift(a, fold_key(s), b))
                        .min()
                        .unwrap_or(u32::MAX)
                })
                .collect();
            assert_eq!(
                permutations.signature(&shingles),
                plain,
                "{n_hashes} {n_shingles}"
            );
            let keys: Vec<u32> = shingles.iter().map(|&s| fold_key(s)).collect();
            let (a, b) = (&permutations.a, &permutations.b);
            assert_eq!(portable_signature(a, b, &keys), plain, "portable");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                #[allow(unsafe_code)]
                // SAFETY: the CPU has AVX2, checked just above.
                let avx2 = unsafe { avx2::signature_of_keys(a, b, &keys) };
                assert_eq!(avx2, plain, "avx2");
            }
        }
    }

    /// Keys and parameters at the edges of the arithmetic: the carry out of the low half of
    /// `a_lo·x + b`, all-ones keys and parameters, zero.
    #[test]
    fn the_vector_loop_carries_like_the_plain_one() {
        let edge = [
            0u64,
            1,
            0xFFFF_FFFF,
            0x1_0000_0000,
            0xFFFF_FFFF_FFFF_FFFF,
            1 << 63,
        ];
        let keys: Vec<u32> = vec![0, 1, 2, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 12_345, 99];
        for &a in &edge {
            for &b in &edge {
                let (a4, b4) = (vec![a; 4], vec![b; 4]);
                let plain = keys.iter().map(|&x| multiply_shift(a, x, b)).min();
                let plain = vec![plain.unwrap_or(u32::MAX); 4];
                assert_eq!(portable_signature(&a4, &b4, &keys), plain, "{a} {b}");
                assert_eq!(signature_of_keys(&a4, &b4, &keys), plain, "{a} {b}");
            }
        }
    }

    /// Strong universality in practice: over many random parameter draws, two fixed distinct
    /// keys land on each pair of values about equally often, so for a pair of keys the chance
    /// that the first hashes below the second is one half, whatever the keys.
    #[test]
    fn a_pair_of_keys_is_ordered_either_way_half_the_time() {
        let mut state = 11u64;
        for (x, y) in [
            (1u32, 2u32),
            (0, 0xFFFF_FFFF),
            (12_345, 12_346),
            (7, 1 << 31),
        ] {
            let n = 20_000;
            let below = (0..n)
                .filter(|_| {
                    let (a, b) = (splitmix64(&mut state), splitmix64(&mut state));
                    multiply_shift(a, x, b) < multiply_shift(a, y, b)
                })
                .count();
            let share = below as f64 / f64::from(n);
            assert!((share - 0.5).abs() < 0.02, "{x} {y}: {share}");
        }
    }

    /// The estimate is unbiased: over many seeds, the mean agreement of two signatures is the
    /// true Jaccard of the two sets, at every level of similarity.
    #[test]
    fn the_estimate_is_unbiased() {
        let mut state = 5u64;
        for &(shared, own) in &[(100usize, 100usize), (160, 20), (180, 10), (60, 70)] {
            let common: Vec<u64> = (0..shared).map(|_| splitmix64(&mut state)).collect();
            let mut a = common.clone();
            let mut b = common;
            a.extend((0..own).map(|_| splitmix64(&mut state)));
            b.extend((0..own).map(|_| splitmix64(&mut state)));
            let truth = shared as f64 / (shared + 2 * own) as f64;
            let n_seeds = 400;
            let mean = (0..n_seeds)
                .map(|seed| {
                    let permutations = Permutations::new(112, seed);
                    estimated_jaccard(&permutations.signature(&a), &permutations.signature(&b))
                })
                .sum::<f64>()
                / f64::from(n_seeds as u32);
            // 400 × 112 draws: the standard error of the mean is below 0.003.
            assert!(
                (mean - truth).abs() < 0.012,
                "{shared}/{own}: {mean} vs {truth}"
            );
        }
    }

    #[test]
    fn keys_fold_both_halves() {
        assert_eq!(fold_key(0x0000_0001_0000_0000), 1);
        assert_eq!(fold_key(0xFFFF_FFFF_FFFF_FFFF), 0);
        assert_eq!(fold_key(0xABCD_0000_0000_ABCD), 0xABCD_ABCD);
    }
}
