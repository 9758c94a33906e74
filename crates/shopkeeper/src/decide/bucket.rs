//! The documented, platform-independent hash behind control groups and tie-breaks.
//!
//! `std`'s `DefaultHasher` and ahash may change between versions and platforms; a customer's
//! control-group assignment must not. FNV-1a (64-bit) reads the bytes and the SplitMix64 finalizer
//! spreads them, so similar ids ("c1", "c2") land far apart. `spec/catalog.md` gives test values.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

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
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A customer's place in `[0, 1)` for a salt: uniform over customers, stable for a customer.
/// The control group is every customer whose place is below its share.
pub fn control_bucket(salt: &str, customer: &str) -> f64 {
    let bits = mix(fnv1a(&[salt.as_bytes(), customer.as_bytes()])) >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// The tie-break key of an offer under a request's seed: offers whose scores are equal are ranked
/// by this key (ascending), then by their place in the catalog.
pub(crate) fn tie_key(seed: u64, id_hash: u64) -> u64 {
    mix(seed ^ id_hash)
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
    fn the_documented_test_values_hold() {
        // spec/catalog.md
        assert_eq!(fnv1a(&[b"q4", b"customer-1"]), 0x6bac_dcb7_77b0_8058);
        assert_eq!(
            control_bucket("q4", "customer-1"),
            3_235_664_544_476_252.0 / (1u64 << 53) as f64
        );
        assert_eq!(tie_key(0, fnv1a(&[b"t1"])), 0xb071_9afb_16d7_4caf);
    }

    #[test]
    fn buckets_are_uniform_enough() {
        let n = 20_000;
        let below = (0..n)
            .filter(|i| control_bucket("salt", &alloc::format!("customer-{i}")) < 0.1)
            .count();
        // 10% of 20,000 is 2,000 with a standard deviation of about 42.
        assert!((1_800..2_200).contains(&below), "{below}");
    }
}
