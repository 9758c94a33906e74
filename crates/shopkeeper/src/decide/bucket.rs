//! Control-group buckets and tie-break keys, from the documented hash of [`crate::random`]:
//! FNV-1a reads the bytes and the SplitMix64 finalizer spreads them, so similar ids ("c1", "c2")
//! land far apart. `spec/catalog.md` gives test values.

use crate::random::{fnv1a, mix};

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
