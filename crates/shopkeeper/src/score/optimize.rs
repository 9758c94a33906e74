//! Minimisation for maximum-likelihood fits: Nelder-Mead where only values are at hand, Newton's
//! method where the gradient and Hessian are analytic.
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

/// Most Newton iterations; the likelihoods here converge in about ten.
const MAX_NEWTON_ITERATIONS: u32 = 500;
/// The gradient's largest component at which Newton's method has converged (the objective is a mean
/// log-likelihood per customer, so this does not depend on the data's size).
const GRADIENT_TOLERANCE: f64 = 1e-9;
/// The Newton decrement, relative to the value, at which Newton's method has converged.
const DECREMENT_TOLERANCE: f64 = 1e-13;
/// Longest step per coordinate: the search is in log space, so a factor of e^4 per parameter.
const MAX_STEP: f64 = 4.0;

/// Newton's method with a backtracking (Armijo) line search: `f(x, gradient, hessian)` returns the
/// value and writes the gradient and the row-major Hessian. Where the Hessian is not positive
/// definite (far from the maximum) the step is damped toward the gradient's. Used where both are
/// analytic and cheap next to the value: a third to a tenth of BFGS's evaluations here.
pub(crate) fn newton(
    start: &[f64],
    f: &mut impl FnMut(&[f64], &mut [f64], &mut [f64]) -> f64,
) -> Minimum {
    let n = start.len();
    let mut x = start.to_vec();
    let (mut g, mut h) = (alloc::vec![0.0; n], alloc::vec![0.0; n * n]);
    let mut fx = f(&x, &mut g, &mut h);
    let (mut next, mut g_next, mut h_next) = (
        alloc::vec![0.0; n],
        alloc::vec![0.0; n],
        alloc::vec![0.0; n * n],
    );
    let finite = |v: f64, g: &[f64]| v.is_finite() && g.iter().all(|c| c.is_finite());
    let stop = |point: Vec<f64>, value: f64, iterations: u32, converged: bool| Minimum {
        point,
        value,
        iterations,
        converged,
    };
    if !finite(fx, &g) {
        return stop(x, f64::INFINITY, 0, false);
    }
    for iteration in 0..MAX_NEWTON_ITERATIONS {
        if g.iter().all(|c| c.abs() <= GRADIENT_TOLERANCE) {
            return stop(x, fx, iteration, true);
        }
        let d = damped_newton_step(&h, &g);
        let slope: f64 = d.iter().zip(&g).map(|(a, b)| a * b).sum();
        // The Newton decrement: twice the decrease the step promises. Below the value's rounding
        // (a sum over a million customers carries ~1e-13 of it) the line search cannot judge
        // the step, and the parameters are within ~1e-7 of the maximum: take it and stop.
        if -slope <= DECREMENT_TOLERANCE * fx.abs().max(1.0) {
            for i in 0..n {
                next[i] = x[i] + d[i];
            }
            let fn_next = f(&next, &mut g_next, &mut h_next);
            if finite(fn_next, &g_next) && fn_next <= fx + DECREMENT_TOLERANCE * fx.abs() {
                return stop(next, fn_next, iteration + 1, true);
            }
            let flat = g.iter().all(|c| c.abs() <= 1e-6);
            return stop(x, fx, iteration, flat);
        }
        let longest = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut t = if longest > MAX_STEP {
            MAX_STEP / longest
        } else {
            1.0
        };
        let mut fn_next;
        loop {
            for i in 0..n {
                next[i] = x[i] + t * d[i];
            }
            fn_next = f(&next, &mut g_next, &mut h_next);
            if finite(fn_next, &g_next) && fn_next <= fx + 1e-4 * t * slope {
                break;
            }
            t *= 0.5;
            if t < 1e-14 {
                // No descent along the step: a minimum to within rounding.
                let flat = g.iter().all(|c| c.abs() <= 1e-6);
                return stop(x, fx, iteration, flat);
            }
        }
        // Stalled at rounding level: the value no longer moves and neither does the point.
        let stalled = (fx - fn_next).abs() <= 1e-15 * fx.abs().max(1.0)
            && (0..n).all(|i| (next[i] - x[i]).abs() <= 1e-10);
        core::mem::swap(&mut x, &mut next);
        core::mem::swap(&mut g, &mut g_next);
        core::mem::swap(&mut h, &mut h_next);
        fx = fn_next;
        if stalled {
            let flat = g.iter().all(|c| c.abs() <= 1e-6);
            return stop(x, fx, iteration + 1, flat);
        }
    }
    stop(x, fx, MAX_NEWTON_ITERATIONS, false)
}

/// Solves `(H + λI)·d = −g` for the smallest `λ` in 0, 1e-8·s, 1e-7·s, ... (`s` the Hessian's
/// largest diagonal magnitude) at which `H + λI` is positive definite: the Newton step where the
/// objective is convex, a shorter step along the gradient where it is not. Always a descent
/// direction (for a non-zero gradient).
fn damped_newton_step(h: &[f64], g: &[f64]) -> Vec<f64> {
    let n = g.len();
    let scale = (0..n).fold(1e-300f64, |m, i| m.max(h[i * n + i].abs()));
    let mut lambda = 0.0;
    loop {
        if let Some(d) = cholesky_solve(h, lambda, g) {
            return d.into_iter().map(|v| -v).collect();
        }
        lambda = if lambda == 0.0 {
            1e-8 * scale
        } else {
            lambda * 10.0
        };
        if !lambda.is_finite() {
            return g.iter().map(|v| -v).collect();
        }
    }
}

/// `(H + λI)⁻¹·g` by Cholesky factorisation; `None` unless `H + λI` is positive definite.
fn cholesky_solve(h: &[f64], lambda: f64, g: &[f64]) -> Option<Vec<f64>> {
    let n = g.len();
    let mut l = alloc::vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = h[i * n + j] + if i == j { lambda } else { 0.0 };
            sum -= (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
            if i == j {
                if !(sum > 0.0 && sum.is_finite()) {
                    return None;
                }
                l[i * n + i] = libm::sqrt(sum);
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    // L·y = g, then Lᵀ·z = y.
    let mut y = alloc::vec![0.0; n];
    for i in 0..n {
        y[i] = (g[i] - (0..i).map(|k| l[i * n + k] * y[k]).sum::<f64>()) / l[i * n + i];
    }
    for i in (0..n).rev() {
        y[i] = (y[i] - (i + 1..n).map(|k| l[k * n + i] * y[k]).sum::<f64>()) / l[i * n + i];
    }
    Some(y)
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
    fn newton_finds_the_minimum_of_the_rosenbrock_valley() {
        let m = newton(&[-1.2, 1.0], &mut |x, g, h| {
            g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
            g[1] = 200.0 * (x[1] - x[0] * x[0]);
            h.copy_from_slice(&[
                2.0 - 400.0 * x[1] + 1200.0 * x[0] * x[0],
                -400.0 * x[0],
                -400.0 * x[0],
                200.0,
            ]);
            (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
        });
        assert!(m.converged, "{m:?}");
        assert!(
            (m.point[0] - 1.0).abs() < 1e-6 && (m.point[1] - 1.0).abs() < 1e-6,
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
