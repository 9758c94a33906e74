//! The standard normal by the ziggurat method (Marsaglia and Tsang, 2000, 128 layers): one
//! 64-bit draw, a multiplication and a comparison for 35 values in 36, no logarithm or cosine
//! (Box-Muller took both for every value, most of an adaptive decision's draws). Exact like
//! Box-Muller: the layers cover the density, and the rare wedge and tail draws test against it.
//! `spec/learning.md` documents the steps and the table's recurrence; the Python model in
//! `spec/vectors/tools/model.py` computes the same table and draws.

use super::Stream;

/// Where the tail begins.
const R: f64 = 3.442619855899;
/// The layers' right edges, each layer of area `V = 9.91256303526217e-3`: `X[0] = V / f(R)` (the
/// base layer's width, tail included), `X[1] = R`, `X[i] = sqrt(-2 ln(V / X[i-1] + f(X[i-1])))`
/// up to `X[127]`, and `X[128] = 0`, where `f(x) = exp(-x^2 / 2)`. Written out, as the Python model computes it (CPython's `math`), so
/// no table is computed at run time and no binding depends on its `libm`'s last bit: `libm`'s
/// recurrence drifts from `X[41]` on by a few units in the last place (a test checks 13 digits).
const X: [f64; 129] = [
    3.7130862467425505,
    3.442619855899,
    3.2230849845811416,
    3.0832288582168683,
    2.9786962526477803,
    2.894344007021529,
    2.8231253505489105,
    2.761169372387177,
    2.7061135731218195,
    2.6564064112613597,
    2.6109722484318474,
    2.569033625924938,
    2.5300096723888275,
    2.493454522095372,
    2.4590181774118305,
    2.42642064553375,
    2.3954342780110625,
    2.3658713701176386,
    2.3375752413392368,
    2.310413683698763,
    2.2842740596774718,
    2.2590595738691985,
    2.2346863955909795,
    2.2110814088787034,
    2.188180432076049,
    2.165926793748922,
    2.1442701823603953,
    2.1231657086739766,
    2.1025731351892385,
    2.082456237992017,
    2.0627822745083084,
    2.0435215366550676,
    2.0246469733773855,
    2.006133869963472,
    1.98795957412762,
    1.9701032608543265,
    1.9525457295535567,
    1.9352692282966228,
    1.9182573008645099,
    1.901494653105151,
    1.884967035707759,
    1.8686611409944887,
    1.8525645117280911,
    1.836665460258446,
    1.8209529965961255,
    1.8054167642192285,
    1.7900469825998586,
    1.7748343955860695,
    1.7597702248995934,
    1.7448461281138004,
    1.7300541605637305,
    1.7153867407136676,
    1.7008366185699169,
    1.6863968467791681,
    1.672060754097601,
    1.6578219209540241,
    1.6436741568628686,
    1.6296114794706347,
    1.615628095043161,
    1.6017183802213781,
    1.5878768648905761,
    1.5740982160230008,
    1.560377222366169,
    1.5467087798599104,
    1.5330878776740433,
    1.5195095847659401,
    1.5059690368632033,
    1.492461423781354,
    1.4789819769899242,
    1.4655259573427108,
    1.4520886428892246,
    1.4386653166845635,
    1.42525125451406,
    1.4118417124470577,
    1.3984319141310053,
    1.3850170377326518,
    1.3715922024273426,
    1.3581524543301435,
    1.344692751753547,
    1.3312079496656273,
    1.317692783209414,
    1.3041418501286168,
    1.2905495919261964,
    1.2769102735601556,
    1.263217961454621,
    1.2494664995730682,
    1.2356494832633627,
    1.2217602305399964,
    1.2077917504159497,
    1.1937367078331287,
    1.1795873846639882,
    1.1653356361647524,
    1.1509728421488674,
    1.1364898520131608,
    1.1218769225825422,
    1.107123647534036,
    1.0922188769072774,
    1.0771506248928957,
    1.0619059636948243,
    1.0464709007640454,
    1.0308302360681956,
    1.0149673952513305,
    0.9988642334929836,
    0.982500803515429,
    0.9658550794011499,
    0.9489026255113064,
    0.9316161966151508,
    0.9139652510230323,
    0.8959153525809377,
    0.8774274291129234,
    0.8584568431938132,
    0.8389522142975774,
    0.8188539067003573,
    0.7980920606440569,
    0.7765839878947599,
    0.7542306644540556,
    0.7309119106424888,
    0.7064796113354365,
    0.6807479186691546,
    0.6534786387399752,
    0.6243585973360507,
    0.5929629424714483,
    0.5586921784081852,
    0.5206560387620606,
    0.4774378372966898,
    0.4265479863554235,
    0.36287143109703196,
    0.27232086481396467,
    0.0,
];

/// `exp(-x^2 / 2)`: the density, unnormalised.
fn density(x: f64) -> f64 {
    libm::exp(-0.5 * x * x)
}

impl Stream {
    /// A standard normal value. Up to 64 attempts, each from one `next()`: its low 7 bits pick a
    /// layer `i`, bit 7 the sign, the top 53 bits a uniform `u` (as [`Stream::open01`]); `x = u
    /// X[i]` is returned when `x < X[i+1]`. Otherwise layer 0 draws from the tail beyond `R`
    /// (Marsaglia's method, up to 64 tries, else `R`) and the other layers test the wedge with a
    /// new uniform. After 64 rejected attempts (never seen: each is rejected with probability
    /// under 1.5%) the mode, 0, so the time is bounded.
    pub(crate) fn normal(&mut self) -> f64 {
        for _ in 0..64 {
            let bits = self.next_u64();
            let i = (bits & 127) as usize;
            let sign = if bits & 128 == 0 { 1.0 } else { -1.0 };
            let u = ((bits >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            let x = u * X[i];
            if x < X[i + 1] {
                return sign * x;
            }
            if i == 0 {
                return sign * self.tail();
            }
            let (low, high) = (density(X[i]), density(X[i + 1]));
            if low + self.open01() * (high - low) < density(x) {
                return sign * x;
            }
        }
        0.0
    }

    /// A value beyond `R` with the normal's tail density: `a = -ln(u1) / R`, `b = -ln(u2)` until
    /// `2b > a^2`, then `R + a`.
    fn tail(&mut self) -> f64 {
        for _ in 0..64 {
            let a = -libm::log(self.open01()) / R;
            let b = -libm::log(self.open01());
            if 2.0 * b > a * a {
                return R + a;
            }
        }
        R
    }
}

#[cfg(test)]
mod tests {
    use super::super::GOLDEN;
    use super::*;

    /// The area of each layer.
    const V: f64 = 9.91256303526217e-3;

    #[test]
    fn the_table_is_its_recurrence() {
        let mut x = [0.0; 129];
        x[0] = V / density(R);
        x[1] = R;
        for i in 2..128 {
            x[i] = libm::sqrt(-2.0 * libm::log(V / x[i - 1] + density(x[i - 1])));
        }
        for (i, (computed, written)) in x.iter().zip(X).enumerate() {
            let close = (computed - written).abs() <= 1e-13 * written;
            assert!(close, "X[{i}]: {computed} computed, {written} written");
        }
    }

    #[test]
    fn every_layer_has_the_same_area() {
        for i in 1..127 {
            let area = X[i] * (density(X[i + 1]) - density(X[i]));
            assert!((area - V).abs() < 1e-12 * V, "layer {i}: {area}");
        }
        // The top layer is 1.2e-9 off: R has 13 digits (Marsaglia and Tsang's constant).
        let top = X[127] * (1.0 - density(X[127]));
        assert!((top - V).abs() < 1e-8, "top layer: {top}");
        // The base layer: its rectangle under f(R), then the tail, whose area is
        // sqrt(pi / 2) erfc(R / sqrt(2)).
        let tail =
            libm::sqrt(core::f64::consts::FRAC_PI_2) * libm::erfc(R / core::f64::consts::SQRT_2);
        let base = R * density(R) + tail;
        assert!((base - V).abs() < 1e-12, "base layer: {base}");
    }

    #[test]
    fn the_values_follow_the_normal_distribution() {
        // Kolmogorov-Smirnov against the normal's distribution function: a wrong wedge test,
        // tail or sign moves the empirical one by more than 1.95 / sqrt(n) (p = 0.001).
        let n = 200_000;
        let mut s = Stream::new(11);
        let mut values: alloc::vec::Vec<f64> = (0..n).map(|_| s.normal()).collect();
        values.sort_by(f64::total_cmp);
        let cdf = |x: f64| 0.5 * libm::erfc(-x / core::f64::consts::SQRT_2);
        let distance = (values.iter().enumerate())
            .map(|(i, &x)| {
                let f = cdf(x);
                (f - i as f64 / n as f64).max((i + 1) as f64 / n as f64 - f)
            })
            .fold(0.0, f64::max);
        let statistic = distance * libm::sqrt(n as f64);
        assert!(statistic < 1.95, "sqrt(n) D = {statistic}");
    }

    #[test]
    fn the_wedges_accept_what_lies_under_the_density() {
        // The 64-bit draws a value takes, on average, follow from the table: one per attempt,
        // one more for a wedge test, two per tail try; attempts repeat with the probability that
        // a wedge rejects. A wedge test the wrong way round takes 0.26% more: 13 standard errors
        // over a million values.
        let area = |a: f64, b: f64| {
            let s = libm::sqrt(core::f64::consts::FRAC_PI_2);
            s * (libm::erf(b / core::f64::consts::SQRT_2)
                - libm::erf(a / core::f64::consts::SQRT_2))
        };
        let tail_accepts = R
            * libm::sqrt(core::f64::consts::FRAC_PI_2)
            * libm::exp(R * R / 2.0)
            * libm::erfc(R / core::f64::consts::SQRT_2);
        let (mut accepted, mut used) = (0.0, 0.0);
        for i in 0..128 {
            let quick = X[i + 1] / X[i];
            if i == 0 {
                accepted += 1.0;
                used += 1.0 + (1.0 - quick) * 2.0 / tail_accepts;
            } else {
                let wedge = X[i] - X[i + 1];
                let under = area(X[i + 1], X[i]) - wedge * density(X[i]);
                let accepts = under / (wedge * (density(X[i + 1]) - density(X[i])));
                accepted += quick + (1.0 - quick) * accepts;
                used += 2.0 - quick;
            }
        }
        let expected = used / accepted;
        // The stream's state moves by GOLDEN per draw: its inverse modulo 2^64 counts them.
        let mut inverse = GOLDEN;
        for _ in 0..6 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(GOLDEN.wrapping_mul(inverse)));
        }
        let n = 1_000_000;
        let mut s = Stream::new(5);
        let start = s.0;
        for _ in 0..n {
            s.normal();
        }
        let mean = s.0.wrapping_sub(start).wrapping_mul(inverse) as f64 / n as f64;
        assert!(
            (mean - expected).abs() < 1e-3,
            "{mean} draws per value, {expected} expected"
        );
    }

    #[test]
    fn the_tail_is_drawn_as_often_as_the_normal_reaches_it() {
        // Over a million values, as many lie past R as the normal puts there, and some far past
        // it (the wedges are checked by the draws each value takes, above).
        let mut s = Stream::new(3);
        let (mut beyond, mut max) = (0u32, 0.0f64);
        for _ in 0..1_000_000 {
            let z = s.normal();
            beyond += u32::from(z.abs() > R);
            max = max.max(z.abs());
        }
        // P(|Z| > R) = 5.76e-4: about 576 in a million.
        assert!((450..700).contains(&beyond), "{beyond} beyond R");
        assert!(max > 4.0, "{max}");
    }
}
