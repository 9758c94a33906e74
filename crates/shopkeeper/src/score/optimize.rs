//! Nelder-Mead minimisation, for maximum-likelihood fits.
//!
//! Hand-written rather than a dependency: the optimisation crates (argmin and friends) need `std`,
//! and the fits here are smooth 3- and 4-parameter problems in log space, where the simplex method
//! (the one the reference implementation, Python `lifetimes`, uses through SciPy) converges from
//! default starting values without gradients. The simplex is restarted at its best point until a
//! restart no longer improves the objective, which guards against a collapsed simplex.

use alloc::vec::Vec;

/// Where the minimisation stopped.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Minimum {
    pub point: Vec<f64>,
    pub value: f64,
    pub iterations: u32,
    pub converged: bool,
}

const MAX_ITERATIONS: u32 = 20_000;
const MAX_RESTARTS: u32 = 5;
/// Relative spread of the simplex's values at which it has converged.
const TOLERANCE: f64 = 1e-13;
/// Largest distance between vertices (in log-parameter space) at which it has converged: values
/// alone can tie across a wide simplex.
const X_TOLERANCE: f64 = 1e-9;

/// Minimises `f` from `start`; a point where `f` is not finite counts as infinitely bad.
pub(crate) fn minimize(start: &[f64], mut f: impl FnMut(&[f64]) -> f64) -> Minimum {
    let mut eval = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut best = start.to_vec();
    let mut best_value = eval(&best);
    let mut iterations = 0;
    let mut converged = false;
    for _ in 0..=MAX_RESTARTS {
        let (point, value, used, done) = simplex(&best, &mut eval, MAX_ITERATIONS - iterations);
        iterations += used;
        let improved = value < best_value - TOLERANCE * best_value.abs().max(1.0);
        if value <= best_value {
            best = point;
            best_value = value;
        }
        converged = done;
        if !done || !improved || iterations >= MAX_ITERATIONS {
            break;
        }
    }
    Minimum {
        point: best,
        value: best_value,
        iterations,
        converged: converged && best_value.is_finite(),
    }
}

/// One run of the simplex method (standard coefficients), from a simplex of steps 0.5 around
/// `start`. Returns the best vertex, its value, the iterations used and whether it converged.
fn simplex(
    start: &[f64],
    f: &mut impl FnMut(&[f64]) -> f64,
    budget: u32,
) -> (Vec<f64>, f64, u32, bool) {
    let n = start.len();
    let mut vertices: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    vertices.push((start.to_vec(), f(start)));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += 0.5;
        let v = f(&x);
        vertices.push((x, v));
    }
    let along = |from: &[f64], to: &[f64], t: f64| -> Vec<f64> {
        from.iter().zip(to).map(|(a, b)| a + t * (b - a)).collect()
    };
    for iteration in 0..budget {
        vertices.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (lo, hi) = (vertices[0].1, vertices[n].1);
        let flat = (hi - lo).abs() <= TOLERANCE * lo.abs().max(1e-300) || hi == lo;
        let small = vertices[1..].iter().all(|(x, _)| {
            x.iter()
                .zip(&vertices[0].0)
                .all(|(a, b)| (a - b).abs() <= X_TOLERANCE)
        });
        if flat && small {
            let (x, v) = vertices.swap_remove(0);
            return (x, v, iteration, lo.is_finite());
        }
        let mut centroid = alloc::vec![0.0; n];
        for (x, _) in &vertices[..n] {
            for (c, xi) in centroid.iter_mut().zip(x) {
                *c += xi / n as f64;
            }
        }
        let worst = vertices[n].0.clone();
        let reflected = along(&centroid, &worst, -1.0);
        let fr = f(&reflected);
        if fr < vertices[0].1 {
            let expanded = along(&centroid, &worst, -2.0);
            let fe = f(&expanded);
            vertices[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < vertices[n - 1].1 {
            vertices[n] = (reflected, fr);
        } else {
            let (target, t) = if fr < vertices[n].1 {
                (&reflected, 0.5)
            } else {
                (&worst, 0.5)
            };
            let contracted = along(&centroid, target, t);
            let fc = f(&contracted);
            if fc < vertices[n].1.min(fr) {
                vertices[n] = (contracted, fc);
            } else {
                let best = vertices[0].0.clone();
                for (x, v) in vertices.iter_mut().skip(1) {
                    *x = along(&best, x, 0.5);
                    *v = f(x);
                }
            }
        }
    }
    vertices.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, v) = vertices.swap_remove(0);
    (x, v, budget, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_valley() {
        let m = minimize(&[-1.2, 1.0], |x| {
            (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
        });
        assert!(m.converged);
        assert!(
            (m.point[0] - 1.0).abs() < 1e-5 && (m.point[1] - 1.0).abs() < 1e-5,
            "{m:?}"
        );
    }

    #[test]
    fn treats_non_finite_values_as_infinitely_bad() {
        let m = minimize(&[3.0], |x| {
            if x[0] < 0.0 {
                f64::NAN
            } else {
                (x[0] - 0.25).powi(2)
            }
        });
        assert!((m.point[0] - 0.25).abs() < 1e-6, "{m:?}");
    }
}
