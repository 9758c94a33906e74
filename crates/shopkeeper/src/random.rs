//! The documented, platform-independent hash and random numbers behind control groups,
//! tie-breaks and Thompson sampling: the same inputs give the same bits in every binding.
//!
//! `std`'s `DefaultHasher` and ahash may change between versions and platforms, and crates such
//! as `rand_distr` may change their algorithms between minor versions; a customer's control-group
//! assignment and a logged propensity must not. So: FNV-1a (64-bit) reads bytes, the SplitMix64
//! finalizer spreads them, a SplitMix64 stream draws numbers, and the transcendental functions come
//! from `libm` (bit-identical everywhere). `spec/catalog.md` and `spec/learning.md` give test values.

mod ziggurat;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// FNV-1a over `parts`, with a 0xff byte after each part (never in UTF-8 text), so `("ab", "c")`
/// and `("a", "bc")` differ.
pub(crate) fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash = FNV_OFFSET;
    for part in parts {
        for &byte in part.iter().chain(&[0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    }
    hash
}

/// The SplitMix64 finalizer: a bijection that mixes every input bit into every output bit.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A SplitMix64 stream (Vigna's reference generator seeded with `seed`): the k-th number, from 1,
/// is `mix(seed + (k - 1) * GOLDEN)`, wrapping.
#[derive(Clone, Debug)]
pub(crate) struct Stream(u64);

impl Stream {
    pub(crate) fn new(seed: u64) -> Self {
        Stream(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let out = mix(self.0);
        self.0 = self.0.wrapping_add(GOLDEN);
        out
    }

    /// Uniform in (0, 1]: `(top 53 bits + 0.5) / 2^53`, never 0 (so its logarithm is finite); the
    /// largest input rounds to exactly 1.
    pub(crate) fn open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang (2000), with their squeeze; for shape < 1, `Gamma(shape + 1) *
    /// u^(1/shape)` (the `u` drawn first). At most 64 proposals (each is accepted with probability
    /// above 0.95); should all fail, the mode `d` is returned, so the time is bounded. No
    /// recursion and no loop depends on the shape, so even a shape the callers reject (0,
    /// negative, NaN: they check, see `learn::check_shapes`) returns at once, as NaN or a number.
    pub(crate) fn gamma(&mut self, shape: f64) -> f64 {
        let (shape, boost) = if shape < 1.0 {
            (shape + 1.0, libm::pow(self.open01(), 1.0 / shape))
        } else {
            (shape, 1.0)
        };
        self.gamma_at_least_one(shape) * boost
    }

    /// Marsaglia and Tsang's method, for shape >= 1.
    fn gamma_at_least_one(&mut self, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / libm::sqrt(9.0 * d);
        for _ in 0..64 {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.open01();
            // The squeeze accepts most proposals without a logarithm; it lies inside the region
            // the full test accepts, so it changes which value is returned only by rounding.
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 || libm::log(u) < 0.5 * x2 + d - d * v + d * libm::log(v)
            {
                return d * v;
            }
        }
        d
    }

    /// Beta(a, b) as `X / (X + Y)` with X ~ Gamma(a), Y ~ Gamma(b), drawn in that order.
    pub(crate) fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        let y = self.gamma(b);
        if x + y > 0.0 {
            x / (x + y)
        } else {
            a / (a + b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_published_test_values() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; here with the 0xff separator appended.
        let mut plain = FNV_OFFSET;
        for byte in b"a" {
            plain ^= u64::from(*byte);
            plain = plain.wrapping_mul(FNV_PRIME);
        }
        assert_eq!(plain, 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
    }

    #[test]
    fn splitmix_matches_its_reference_output() {
        // The reference SplitMix64 (Vigna) seeded with 0: first output 0xe220a8397b1dcdaf.
        assert_eq!(Stream::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn beta_draws_match_the_documented_test_values() {
        // spec/learning.md; computed by an independent Python implementation.
        for (seed, a, b, want) in [
            (1, 1.0, 1.0, 0.08295601099389606),
            (42, 2.0, 18.0, 0.015596638712202444),
            (7, 0.5, 0.5, 0.44218175364817786),
            (123_456_789, 31.0, 11.0, 0.7559287849980013),
        ] {
            let got = Stream::new(seed).beta(a, b);
            assert!(
                (got - want).abs() < 1e-12,
                "beta({a}, {b}) of seed {seed}: {got}"
            );
        }
    }

    fn moments(draw: impl FnMut() -> f64, n: usize) -> (f64, f64) {
        let xs: alloc::vec::Vec<f64> = core::iter::repeat_with(draw).take(n).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        (mean, var)
    }

    #[test]
    fn any_shape_returns_at_once() {
        // The callers reject these shapes; the draw itself must still end (it once recursed
        // forever on a shape such as -1e20, where shape + 1 == shape).
        for shape in [
            -1e20,
            -1.0,
            0.0,
            f64::NAN,
            f64::NEG_INFINITY,
            f64::INFINITY,
            1e300,
        ] {
            let _ = Stream::new(3).gamma(shape);
            let _ = Stream::new(3).beta(shape, 1.0);
        }
    }

    /// Marsaglia and Tsang's test without the squeeze: the draw as it was before the squeeze.
    fn gamma_without_squeeze(s: &mut Stream, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / libm::sqrt(9.0 * d);
        for _ in 0..64 {
            let x = s.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = s.open01();
            if libm::log(u) < 0.5 * x * x + d - d * v + d * libm::log(v) {
                return d * v;
            }
        }
        d
    }

    #[test]
    fn the_squeeze_returns_what_the_full_test_returns() {
        // The squeeze only skips logarithms: over many draws and shapes, every value and every
        // stream position is the same as without it.
        for shape in [1.0, 1.5, 3.0, 10.0, 250.0, 1e5] {
            let (mut a, mut b) = (Stream::new(17), Stream::new(17));
            for _ in 0..50_000 {
                let (x, y) = (a.gamma(shape), gamma_without_squeeze(&mut b, shape));
                assert_eq!(x.to_bits(), y.to_bits(), "gamma({shape})");
            }
            assert_eq!(a.0, b.0);
        }
    }

    #[test]
    fn draws_have_the_right_moments() {
        let n = 200_000;
        let mut s = Stream::new(7);
        let (m, v) = moments(|| s.normal(), n);
        assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.02, "normal {m} {v}");
        for shape in [0.3, 1.0, 2.5, 40.0] {
            let mut s = Stream::new(11);
            let (m, v) = moments(|| s.gamma(shape), n);
            assert!((m / shape - 1.0).abs() < 0.02, "gamma({shape}) mean {m}");
            assert!((v / shape - 1.0).abs() < 0.05, "gamma({shape}) var {v}");
        }
        for (a, b) in [(1.0, 1.0), (2.0, 18.0), (0.5, 0.5), (300.0, 700.0)] {
            let mut s = Stream::new(13);
            let (m, v) = moments(|| s.beta(a, b), n);
            let (mean, var) = (a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1.0)));
            assert!(
                (m - mean).abs() < 0.01 * mean.max(0.05),
                "beta({a},{b}) mean {m} vs {mean}"
            );
            assert!(
                (v / var - 1.0).abs() < 0.05,
                "beta({a},{b}) var {v} vs {var}"
            );
        }
    }
}
