//! The special functions the customer-base models need, in log space where it matters.
//!
//! Everything goes through `libm` (pure Rust): `f64::ln` calls the platform's C library, whose last
//! bit may differ between platforms, and scores must be bit-identical in Rust, C and WASM.

/// Most terms a power series may take before it is declared not to converge. With `z < 1` the
/// series below shrink at least like `z^n`; this bound is reached only for `z` within about 1e-5 of 1.
const MAX_TERMS: u32 = 1_000_000;

pub(crate) fn ln(x: f64) -> f64 {
    libm::log(x)
}

pub(crate) fn exp(x: f64) -> f64 {
    libm::exp(x)
}

pub(crate) fn ln_1p(x: f64) -> f64 {
    libm::log1p(x)
}

/// `ln Γ(x)` for `x > 0`.
pub(crate) fn ln_gamma(x: f64) -> f64 {
    libm::lgamma_r(x).0
}

/// The digamma function `ψ(x) = d/dx ln Γ(x)` for `x > 0`: the recurrence `ψ(x) = ψ(x+1) − 1/x`
/// up to 10, then the asymptotic series (error below 1e-15).
pub(crate) fn digamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    let series =
        f * (1.0 / 12.0 - f * (1.0 / 120.0 - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f / 132.0))));
    result + ln(x) - 0.5 / x - series
}

/// The trigamma function `ψ'(x)` for `x > 0`, for the fits' Hessians: the recurrence
/// `ψ'(x) = ψ'(x+1) + 1/x²` up to 10, then the asymptotic series (error below 1e-16).
pub(crate) fn trigamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 10.0 {
        result += 1.0 / (x * x);
        x += 1.0;
    }
    let (t, t2) = (1.0 / x, 1.0 / (x * x));
    let series = t
        * t2
        * (1.0 / 6.0
            - t2 * (1.0 / 30.0
                - t2 * (1.0 / 42.0
                    - t2 * (1.0 / 30.0
                        - t2 * (5.0 / 66.0 - t2 * (691.0 / 2730.0 - t2 * 7.0 / 6.0))))));
    result + t + 0.5 * t2 + series
}

/// `ln(e^a + e^b)` without overflow.
pub(crate) fn ln_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + ln_1p(exp(lo - hi))
}

/// `1 / (1 + e^x)`, for any `x`.
pub(crate) fn one_over_one_plus_exp(x: f64) -> f64 {
    if x > 0.0 {
        let e = exp(-x);
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + exp(x))
    }
}

/// `(1 - e^{-k·l}) / k`, which tends to `l` as `k` tends to 0: no division by zero near `k = 0`.
pub(crate) fn one_minus_exp_over(k: f64, l: f64) -> f64 {
    if k.abs() < 1e-10 {
        l
    } else {
        -libm::expm1(-k * l) / k
    }
}

/// `Σ_{n≥0} t_n` where `t_0 = first` and `t_{n+1} = t_n · ratio(n)`, for series whose ratio tends to
/// `z < 1` (hypergeometric series). Stops once the remaining tail is below 1e-16 of the sum, bounded
/// by a geometric series; `None` if it does not converge within [`MAX_TERMS`].
pub(crate) fn power_series(first: f64, z: f64, ratio: impl Fn(f64) -> f64) -> Option<f64> {
    let (mut term, mut sum) = (first, first);
    for n in 0..MAX_TERMS {
        let q = ratio(f64::from(n));
        term *= q;
        sum += term;
        let shrink = q.abs().max(z);
        if shrink < 1.0 && term.abs() <= 1e-16 * sum.abs() * (1.0 - shrink) {
            return sum.is_finite().then_some(sum);
        }
        if term == 0.0 {
            return sum.is_finite().then_some(sum);
        }
    }
    None
}

/// `ln ₂F₁(a, b; a + 1; z)` for `a > 0`, `b > 0`, `0 ≤ z < 1` (the Pareto/NBD likelihood's form),
/// through Euler's transformation `₂F₁(a, b; a+1; z) = (1-z)^{1-b} ₂F₁(1, a+1-b; a+1; z)`, whose
/// terms shrink at least like `z^n`.
pub(crate) fn ln_hyp2f1_a_b_a1(a: f64, b: f64, z: f64) -> Option<f64> {
    let c = a + 1.0;
    let s = power_series(1.0, z, |n| (c - b + n) / (c + n) * z)?;
    Some((1.0 - b) * ln_1p(-z) + ln(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `₂F₁(a, b; c; z)` by its plain series, the reference for the transformed forms.
    fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
        power_series(1.0, z, |n| (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z).unwrap()
    }

    #[test]
    fn the_series_agrees_with_closed_forms() {
        // ₂F₁(1, 1; 2; z) = -ln(1 - z) / z
        for z in [0.1, 0.5, 0.9, 0.99] {
            let want = -ln(1.0 - z) / z;
            assert!((hyp2f1(1.0, 1.0, 2.0, z) - want).abs() < 1e-12 * want);
            let got = exp(ln_hyp2f1_a_b_a1(1.0, 1.0, z).unwrap());
            assert!((got - want).abs() < 1e-12 * want, "{z}: {got} vs {want}");
        }
        // ₂F₁(a, b; b; z) = (1 - z)^{-a}
        let got = hyp2f1(2.5, 3.0, 3.0, 0.3);
        assert!((got - libm::pow(0.7, -2.5)).abs() < 1e-12);
    }

    #[test]
    fn the_transformed_form_matches_the_plain_series() {
        for (a, b, z) in [(3.2, 1.7, 0.4), (40.5, 0.3, 0.8), (0.5, 12.0, 0.2)] {
            let want = hyp2f1(a, b, a + 1.0, z);
            let got = exp(ln_hyp2f1_a_b_a1(a, b, z).unwrap());
            assert!(
                (got - want).abs() < 1e-11 * want,
                "{a} {b} {z}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn helpers_are_stable_at_their_edges() {
        assert_eq!(ln_add_exp(f64::NEG_INFINITY, 2.0), 2.0);
        assert!((ln_add_exp(1000.0, 1000.0) - (1000.0 + ln(2.0))).abs() < 1e-12);
        assert_eq!(one_over_one_plus_exp(1000.0), 0.0);
        assert_eq!(one_over_one_plus_exp(-1000.0), 1.0);
        assert!((one_minus_exp_over(1e-12, 3.0) - 3.0).abs() < 1e-9);
        assert!((one_minus_exp_over(0.5, 2.0) - (1.0 - exp(-1.0)) / 0.5).abs() < 1e-15);
        assert!((ln_gamma(5.0) - ln(24.0)).abs() < 1e-14);
        // ψ(1) = −γ (Euler–Mascheroni), ψ(x + 1) = ψ(x) + 1/x.
        assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-13);
        for x in [0.01, 0.7, 3.3, 40.0, 1e6] {
            assert!((digamma(x + 1.0) - digamma(x) - 1.0 / x).abs() < 1e-10 * (1.0 / x).max(1.0));
        }
        // ψ'(1) = π²/6, ψ'(x) = ψ'(x + 1) + 1/x², and ψ' is ψ's derivative.
        assert!((trigamma(1.0) - core::f64::consts::PI.powi(2) / 6.0).abs() < 1e-14);
        for x in [0.01, 0.7, 3.3, 9.99, 40.0, 1e6] {
            let step = trigamma(x) - trigamma(x + 1.0) - 1.0 / (x * x);
            assert!(step.abs() < 1e-12 * trigamma(x), "{x}");
            let h = 1e-5 * x;
            let numeric = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
            assert!((numeric - trigamma(x)).abs() < 1e-6 * trigamma(x), "{x}");
        }
    }
}
