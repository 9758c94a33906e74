//! BG/NBD's log-likelihood over a population, with its gradient and Hessian, grouped so that one
//! evaluation costs one exponential per distinct repeat customer and little else.
//!
//! Per customer, `ll = A1 + A2 − (r+x)·ln(α+T) + ln(1 + e^d)` with
//! `d = ln a − ln(b+x−1) + (r+x)·(ln(α+T) − ln(α+t_x))` for repeat customers (the last term is 0
//! without repeats). The log-gammas in `A1 + A2` depend on the frequency alone, so they are taken
//! once per distinct frequency; `ln(α+T)` and `ln(α+t_x)` once per distinct age and recency
//! (summaries count days, so a population has few); the age term is summed per age. What is left
//! per customer is `ln(1 + e^d)` for repeat customers, grouped by (frequency, recency, age).

use alloc::vec::Vec;

use super::bgnbd::BgNbd;
use super::fit;
use super::special::{digamma, exp, ln, ln_1p, ln_gamma, trigamma};
use super::Summary;
use crate::Error;

/// Repeat customers who share a frequency, recency and age, as indices into the distinct values.
struct Group {
    frequency: usize,
    recency: usize,
    age: usize,
    customers: f64,
}

/// A population's summaries, grouped for the likelihood.
pub(crate) struct Population {
    pub(crate) customers: usize,
    /// Distinct frequencies of repeat customers, and their customers.
    frequencies: Vec<(f64, f64)>,
    /// Distinct ages, their customers and the sum of those customers' frequencies.
    ages: Vec<(f64, f64, f64)>,
    /// Distinct recencies of repeat customers, in increasing order.
    recencies: Vec<f64>,
    /// By recency, then frequency and age.
    repeat: Vec<Group>,
}

/// Where `value` is in the sorted `values` (it is there).
fn position<T: Ord>(values: &[T], value: &T) -> usize {
    values.binary_search(value).unwrap_or(0)
}

/// The runs of equal values in `sorted`: each value once, with how many times it occurs.
fn runs<T: PartialEq + Copy>(sorted: &[T]) -> Vec<(T, f64)> {
    let mut runs: Vec<(T, f64)> = Vec::new();
    for v in sorted {
        match runs.last_mut() {
            Some((last, count)) if last == v => *count += 1.0,
            _ => runs.push((*v, 1.0)),
        }
    }
    runs
}

impl Population {
    /// Checks every summary and groups them; errors without summaries or without a repeat
    /// purchase. Sorting does the grouping: every age, and the repeat customers by (recency,
    /// frequency, age), so the distinct recencies come out in order (looking each customer's
    /// recency up in a table of a few hundred thousand would cost a cache miss per step).
    pub(crate) fn new(summaries: &[Summary]) -> Result<Self, Error> {
        for s in summaries {
            s.validate()?;
        }
        if summaries.is_empty() {
            return Err(fit::nothing_to_fit("customers"));
        }
        // Bit patterns of non-negative floats sort as the floats do.
        let mut ages: Vec<u64> = summaries.iter().map(|s| s.age.to_bits()).collect();
        ages.sort_unstable();
        let ages = runs(&ages);
        let mut keys: Vec<(u64, u32, u64)> = (summaries.iter().filter(|s| s.frequency > 0))
            .map(|s| (s.recency.to_bits(), s.frequency, s.age.to_bits()))
            .collect();
        if keys.is_empty() {
            return Err(fit::no_repeat_purchase("bgnbd"));
        }
        keys.sort_unstable();
        let mut frequencies: Vec<u32> = keys.iter().map(|k| k.1).collect();
        frequencies.sort_unstable();
        let frequencies = runs(&frequencies);
        let age_values: Vec<u64> = ages.iter().map(|a| a.0).collect();
        let frequency_values: Vec<u32> = frequencies.iter().map(|f| f.0).collect();
        let mut age_frequencies = alloc::vec![0.0; ages.len()];
        let (mut recencies, mut repeat) = (Vec::new(), Vec::new());
        for ((recency, frequency, age), customers) in runs(&keys) {
            if recencies.last() != Some(&recency) {
                recencies.push(recency);
            }
            let age = position(&age_values, &age);
            age_frequencies[age] += customers * f64::from(frequency);
            repeat.push(Group {
                frequency: position(&frequency_values, &frequency),
                recency: recencies.len() - 1,
                age,
                customers,
            });
        }
        Ok(Population {
            customers: summaries.len(),
            frequencies: (frequencies.iter())
                .map(|(x, n)| (f64::from(*x), *n))
                .collect(),
            ages: (ages.iter().zip(age_frequencies))
                .map(|((t, n), x)| (f64::from_bits(*t), *n, x))
                .collect(),
            recencies: recencies.iter().map(|t| f64::from_bits(*t)).collect(),
            repeat,
        })
    }

    /// The log-likelihood under `m`, with its gradient and row-major Hessian with respect to
    /// `(r, alpha, a, b)` written to `gradient` and `hessian`.
    pub(crate) fn ln_likelihood(
        &self,
        m: &BgNbd,
        gradient: &mut [f64],
        hessian: &mut [f64],
    ) -> f64 {
        let BgNbd { r, alpha, a, b } = *m;
        let (mut value, mut g, mut h) = (0.0, [0.0; 4], [[0.0; 4]; 4]);

        // A1 + A2, by frequency: lnΓ(r+x) − lnΓ(r) + r·ln α + lnΓ(a+b) + lnΓ(b+x) − lnΓ(b) − lnΓ(a+b+x).
        let n = self.customers as f64;
        let ln_alpha = ln(alpha);
        value += n * r * ln_alpha;
        g[0] += n * ln_alpha;
        g[1] += n * r / alpha;
        h[0][1] += n / alpha;
        h[1][1] -= n * r / (alpha * alpha);
        let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        let (dg_r, dg_b, dg_ab) = (digamma(r), digamma(b), digamma(a + b));
        let (tg_r, tg_b, tg_ab) = (trigamma(r), trigamma(b), trigamma(a + b));
        // Per frequency: ln a − ln(b+x−1) (in d) and 1/(b+x−1).
        let mut odds = Vec::with_capacity(self.frequencies.len());
        // (Without repeats A1 + A2 = 0.)
        for &(x, customers) in &self.frequencies {
            value += customers
                * (ln_gamma(r + x) - lg_r + lg_ab + ln_gamma(b + x) - lg_b - ln_gamma(a + b + x));
            let d_ab = dg_ab - digamma(a + b + x);
            let t_ab = tg_ab - trigamma(a + b + x);
            g[0] += customers * (digamma(r + x) - dg_r);
            g[2] += customers * d_ab;
            g[3] += customers * (d_ab + digamma(b + x) - dg_b);
            h[0][0] += customers * (trigamma(r + x) - tg_r);
            h[2][2] += customers * t_ab;
            h[2][3] += customers * t_ab;
            h[3][3] += customers * (t_ab + trigamma(b + x) - tg_b);
            odds.push((ln(a) - ln(b + x - 1.0), 1.0 / (b + x - 1.0)));
        }

        // −(r+x)·ln(α+T), by age.
        let mut at_age = Vec::with_capacity(self.ages.len());
        for &(t, customers, frequencies) in &self.ages {
            let (l, u) = (ln(alpha + t), 1.0 / (alpha + t));
            let weight = r * customers + frequencies;
            value -= weight * l;
            g[0] -= customers * l;
            g[1] -= weight * u;
            h[0][1] -= customers * u;
            h[1][1] += weight * u * u;
            at_age.push((l, u));
        }
        let at_recency: Vec<(f64, f64)> = (self.recencies.iter())
            .map(|t| (ln(alpha + t), 1.0 / (alpha + t)))
            .collect();

        // ln(1 + e^d), by group: d's gradient is (D, (r+x)·E, 1/a, −1/(b+x−1)) with
        // D = ln(α+T) − ln(α+t_x) and E = 1/(α+T) − 1/(α+t_x); its Hessian's only non-zero entries
        // are ∂²/∂r∂α = E, ∂²/∂α² = (r+x)·(1/(α+t_x)² − 1/(α+T)²), ∂²/∂a² = −1/a²,
        // ∂²/∂b² = 1/(b+x−1)². With σ = 1/(1 + e^−d), the term adds σ·∇d to the gradient and
        // σ(1−σ)·∇d∇dᵀ + σ·∇²d to the Hessian.
        // The factors 1 + e^−|d| (each in (1, 2]) of single customers multiply into `product`,
        // whose logarithm is taken when it nears overflow: one logarithm per ~1000 groups rather
        // than one each, for a rounding of at most 1e-16 per factor.
        let (mut sigmas, mut sigma_b2, mut product) = (0.0, 0.0, 1.0);
        for group in &self.repeat {
            let x = self.frequencies[group.frequency].0;
            let (ln_odds, inv_b) = odds[group.frequency];
            let ((l_age, u_age), (l_rec, u_rec)) = (at_age[group.age], at_recency[group.recency]);
            let (gap, inverse_gap) = (l_age - l_rec, u_age - u_rec);
            let d = ln_odds + (r + x) * gap;
            // ln(1 + e^d) = max(d, 0) + ln(1 + e^−|d|), the last as a factor of `product`.
            let e = exp(-d.abs());
            let inverse = 1.0 / (1.0 + e);
            let (sigma, sigma_complement) = if d > 0.0 {
                (inverse, e * inverse)
            } else {
                (e * inverse, inverse)
            };
            let w = group.customers;
            value += w * d.max(0.0);
            if w == 1.0 {
                product *= 1.0 + e;
                if product > 1e300 {
                    value += ln(product);
                    product = 1.0;
                }
            } else {
                value += w * ln_1p(e);
            }
            let (ws, curvature) = (w * sigma, w * sigma * sigma_complement);
            let grad_d = [gap, (r + x) * inverse_gap, 1.0 / a, -inv_b];
            for (i, gi) in grad_d.iter().enumerate() {
                g[i] += ws * gi;
                for (j, gj) in grad_d.iter().enumerate().skip(i) {
                    h[i][j] += curvature * gi * gj;
                }
            }
            h[0][1] += ws * inverse_gap;
            h[1][1] += ws * (r + x) * (u_rec * u_rec - u_age * u_age);
            sigmas += ws;
            sigma_b2 += ws * inv_b * inv_b;
        }
        value += ln(product);
        h[2][2] -= sigmas / (a * a);
        h[3][3] += sigma_b2;

        gradient.copy_from_slice(&g);
        for i in 0..4 {
            for j in 0..4 {
                hessian[i * 4 + j] = if j >= i { h[i][j] } else { h[j][i] };
            }
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(frequency: u32, recency: f64, age: f64) -> Summary {
        Summary {
            frequency,
            recency,
            age,
            monetary: 0.0,
        }
    }

    fn population() -> Vec<Summary> {
        let mut all = alloc::vec![s(0, 0.0, 30.0), s(0, 0.0, 30.0), s(0, 0.0, 12.5)];
        all.extend([
            s(1, 3.0, 30.0),
            s(1, 3.0, 30.0),
            s(4, 20.0, 30.0),
            s(2, 12.0, 12.5),
        ]);
        all.extend([s(7, 28.0, 29.0), s(1, 0.5, 12.5), s(3, 3.0, 30.0)]);
        all
    }

    fn at(p: &[f64]) -> BgNbd {
        BgNbd {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
        }
    }

    #[test]
    fn the_grouped_likelihood_is_the_sum_over_customers() {
        let data = population();
        let grouped = Population::new(&data).unwrap();
        for p in [[0.24, 4.4, 0.79, 2.4], [2.0, 0.3, 5.0, 0.2], [1.0; 4]] {
            let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
            let got = grouped.ln_likelihood(&at(&p), &mut g, &mut h);
            let want = at(&p).ln_likelihood(&data);
            assert!(
                (got - want).abs() < 1e-11 * want.abs(),
                "{p:?}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn the_running_product_is_folded_before_it_overflows() {
        // d near 0 for each: factors near 2, whose product passes 1e300 every ~1000 customers.
        let data: Vec<Summary> = (0..5000)
            .map(|i| s(1, 10.0 + f64::from(i) * 1e-3, 10.001 + f64::from(i) * 1e-3))
            .collect();
        let grouped = Population::new(&data).unwrap();
        let model = at(&[0.5, 2.0, 1.0, 1.0]);
        let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
        let got = grouped.ln_likelihood(&model, &mut g, &mut h);
        let want = model.ln_likelihood(&data);
        assert!(
            got.is_finite() && (got - want).abs() < 1e-11 * want.abs(),
            "{got} vs {want}"
        );
    }

    #[test]
    fn the_gradient_and_hessian_are_the_derivatives() {
        let grouped = Population::new(&population()).unwrap();
        let p = [0.6, 3.0, 1.3, 2.2];
        let (mut g, mut h) = ([0.0; 4], [0.0; 16]);
        grouped.ln_likelihood(&at(&p), &mut g, &mut h);
        for i in 0..4 {
            let step = 1e-6 * p[i];
            let (mut up, mut down) = (p, p);
            up[i] += step;
            down[i] -= step;
            let (mut g_up, mut g_down, mut scratch) = ([0.0; 4], [0.0; 4], [0.0; 16]);
            let v_up = grouped.ln_likelihood(&at(&up), &mut g_up, &mut scratch);
            let v_down = grouped.ln_likelihood(&at(&down), &mut g_down, &mut scratch);
            let numeric = (v_up - v_down) / (2.0 * step);
            assert!((numeric - g[i]).abs() < 1e-6 * g[i].abs().max(1.0), "∂{i}");
            for j in 0..4 {
                let numeric = (g_up[j] - g_down[j]) / (2.0 * step);
                let got = h[j * 4 + i];
                assert!(
                    (numeric - got).abs() < 1e-5 * got.abs().max(1.0),
                    "∂{i}∂{j}: {numeric} vs {got}"
                );
            }
        }
    }
}
