//! The spectral integrals behind fractional derivatives of the squared exponential.
//!
//! For a stationary kernel the Weyl fractional derivative D^ν acts on the spectrum as (iω)^ν, so
//! for the squared exponential k(τ) = σ² e^{−τ²/2ℓ²} (spectral density ℓ√(2π) e^{−ℓ²ω²/2}, per
//! unit variance) the covariance of D^{ν₁}u(x) and D^{ν₂}u(y) is, with τ = x − y,
//!
//! ```text
//! (1/π) ∫₀^∞ ω^{ν₁+ν₂} ℓ√(2π) e^{−ℓ²ω²/2} cos(ωτ + (ν₁ − ν₂)π/2) dω
//!   = √(2/π) ℓ^{−(ν₁+ν₂)} J₀(ν₁ + ν₂, (ν₁ − ν₂)π/2, τ/ℓ),
//! J_m(n, φ, t) = ∫₀^∞ sⁿ (ln s)^m e^{−s²/2} cos(s t + φ) ds.
//! ```
//!
//! The family is closed under differentiation: ∂J_m/∂t = J_m(n + 1, φ + π/2, t),
//! ∂J_m/∂φ = J_m(n, φ + π/2, t), ∂J_m/∂n = J_{m+1}(n, φ, t), so the graph differentiates it like
//! any other node. At integer orders it reproduces the ordinary derivatives of the kernel.
//!
//! It also holds the spectral densities of the stationary base kernels ([`SpectralDensity`],
//! from [`crate::KernelSpec::spectral_density`]): what the Hilbert-space solver weights its basis
//! functions by.

/// J_m(n, φ, t), for n > −1, to about 1e-12 relative to the integral's scale.
///
/// The range splits at s = 1: on [0, 1] the substitution s = u^{1/(n+1)} removes the power
/// singularity (sⁿ ds = du/(n + 1)) and tanh–sinh quadrature absorbs the logarithm; on [1, 13]
/// (e^{−s²/2} < 1e-36 beyond) composite 10-point Gauss–Legendre with panels no wider than 0.5
/// or a third of a period of cos(st).
pub fn j(m: u8, n: f64, phi: f64, t: f64) -> f64 {
    if !(n > -1.0 && n.is_finite() && phi.is_finite() && t.is_finite()) {
        return f64::NAN;
    }
    let f = |s: f64| {
        let l = if m == 0 { 1.0 } else { s.ln().powi(m as i32) };
        l * (-0.5 * s * s).exp() * (s * t + phi).cos()
    };
    // [0, 1]: s = u^{1/(n+1)}, ∫₀¹ sⁿ g(s) ds = (1/(n+1)) ∫₀¹ g(u^{1/(n+1)}) du.
    let p = 1.0 / (n + 1.0);
    let near = p * tanh_sinh(&|u: f64| f(u.powf(p)), 0.0, 1.0);
    // [1, 13]: smooth, oscillating with period 2π/|t|.
    let width = (0.5f64).min(2.0 * std::f64::consts::PI / (3.0 * t.abs().max(1e-300)));
    let panels = (12.0 / width).ceil() as usize;
    let h = 12.0 / panels as f64;
    let mut far = 0.0;
    for k in 0..panels {
        let a = 1.0 + k as f64 * h;
        far += gauss_legendre(&|s: f64| s.powf(n) * f(s), a, a + h);
    }
    near + far
}

/// 10-point Gauss–Legendre on [a, b] (nodes and weights as tabulated, Abramowitz & Stegun 25.4).
#[allow(clippy::excessive_precision)]
fn gauss_legendre(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const X: [f64; 5] = [
        0.148_874_338_981_631_2,
        0.433_395_394_129_247_2,
        0.679_409_568_299_024_4,
        0.865_063_366_688_984_5,
        0.973_906_528_517_171_7,
    ];
    const W: [f64; 5] = [
        0.295_524_224_714_752_9,
        0.269_266_719_309_996_4,
        0.219_086_362_515_982_0,
        0.149_451_349_150_580_6,
        0.066_671_344_308_688_1,
    ];
    let (c, r) = (0.5 * (a + b), 0.5 * (b - a));
    let mut s = 0.0;
    for k in 0..5 {
        s += W[k] * (f(c - r * X[k]) + f(c + r * X[k]));
    }
    s * r
}

/// Tanh–sinh quadrature on [a, b]: exact to rounding for integrands analytic inside with
/// integrable endpoint singularities (here a logarithm at 0).
fn tanh_sinh(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let (c, r) = (0.5 * (a + b), 0.5 * (b - a));
    let h = 1.0 / 16.0;
    let half_pi = std::f64::consts::FRAC_PI_2;
    let mut s = 0.0;
    // |k h| ≤ 4 covers the nodes down to 1e-300 from the ends; weights below that vanish.
    for k in -64i32..=64 {
        let x = k as f64 * h;
        let u = half_pi * x.sinh();
        let (ch, th) = (u.cosh(), u.tanh());
        let w = half_pi * x.cosh() / (ch * ch);
        // The distance to the nearer end, computed without cancellation.
        let gap = 1.0 / (u.abs().exp() * ch);
        let at = if th < 0.0 { a + r * gap } else { b - r * gap };
        if gap <= 0.0 || !(at > a && at < b) {
            continue;
        }
        let v = f(at);
        if v.is_finite() {
            s += w * v;
        }
    }
    let _ = c;
    s * h * r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn integer_orders_are_the_gaussian_and_its_derivatives() {
        for &t in &[0.0f64, 0.4, 1.7, -2.3, 6.0] {
            let g = (PI / 2.0).sqrt() * (-0.5 * t * t).exp();
            // J₀(0, 0, t) = √(π/2) e^{−t²/2}.
            assert!((j(0, 0.0, 0.0, t) - g).abs() < 1e-12, "t={t}");
            // J₀(1, π/2, t) = −∫ s e^{−s²/2} sin(st) = −t √(π/2) e^{−t²/2}.
            assert!((j(0, 1.0, PI / 2.0, t) + t * g).abs() < 1e-12, "t={t}");
            // J₀(2, 0, t) = (1 − t²) √(π/2) e^{−t²/2}.
            assert!(
                (j(0, 2.0, 0.0, t) - (1.0 - t * t) * g).abs() < 1e-11,
                "t={t}"
            );
        }
    }

    #[test]
    fn derivatives_are_members_of_the_family() {
        for &(n, phi, t) in &[(0.41, 0.3, 0.7), (1.83, -0.9, 2.2), (2.5, 1.2, -1.4)] {
            let h = 1e-5;
            let dt = (j(0, n, phi, t + h) - j(0, n, phi, t - h)) / (2.0 * h);
            assert!((dt - j(0, n + 1.0, phi + PI / 2.0, t)).abs() < 1e-8);
            let dn = (j(0, n + h, phi, t) - j(0, n - h, phi, t)) / (2.0 * h);
            assert!(
                (dn - j(1, n, phi, t)).abs() < 1e-8,
                "{dn} {}",
                j(1, n, phi, t)
            );
            let dn2 = (j(1, n + h, phi, t) - j(1, n - h, phi, t)) / (2.0 * h);
            assert!((dn2 - j(2, n, phi, t)).abs() < 1e-7);
        }
    }
}

/// ln √(2π).
pub const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// log Γ(a) for a > 0 (Lanczos, g = 7, 9 terms: relative error below 1e-13).
pub fn ln_gamma(a: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if a < 0.5 {
        // Reflection: Γ(a)Γ(1 − a) = π / sin(πa).
        return (std::f64::consts::PI / (std::f64::consts::PI * a).sin()).ln() - ln_gamma(1.0 - a);
    }
    let x = a - 1.0;
    let mut s = G[0];
    for (i, &g) in G.iter().enumerate().skip(1) {
        s += g / (x + i as f64);
    }
    let t = x + 7.5;
    LN_SQRT_2PI + (x + 0.5) * t.ln() - t + s.ln()
}

/// The spectral density of a stationary base kernel, per unit of its variance, in d inputs with
/// one lengthscale each (Rasmussen & Williams 2006, §4.2):
/// - squared exponential: S(ω) = σ² (2π)^{d/2} Π ℓ_d e^{−½ Σ ℓ_d² ω_d²};
/// - Matérn ν: S(ω) = σ² 2^d π^{d/2} Γ(ν + d/2) (2ν)^ν / Γ(ν) Π ℓ_d (2ν + Σ ℓ_d² ω_d²)^{−(ν + d/2)}.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpectralDensity {
    /// The squared exponential's Gaussian spectrum.
    SquaredExponential,
    /// Matérn with smoothness ν (3/2, 5/2): a Student-t-like spectrum.
    Matern {
        /// The smoothness ν.
        nu: f64,
    },
}

impl SpectralDensity {
    /// log S(ω) for `variance` and `lengthscales` (one per input) at the frequency vector `omega`,
    /// with ∂ log S/∂ℓ_d for each input (∂ log S/∂ log σ² is 1).
    ///
    /// # Examples
    /// ```
    /// use noether_kernels::spectral::SpectralDensity;
    /// // At ω = 0 the 1-D squared exponential's density is σ² ℓ √(2π).
    /// let (log_s, _) = SpectralDensity::SquaredExponential.log_density(2.0, &[0.5], &[0.0]);
    /// assert!((log_s.exp() - 2.0 * 0.5 * (2.0 * std::f64::consts::PI).sqrt()).abs() < 1e-12);
    /// ```
    pub fn log_density(
        &self,
        variance: f64,
        lengthscales: &[f64],
        omega: &[f64],
    ) -> (f64, Vec<f64>) {
        let d = omega.len() as f64;
        let q: f64 = lengthscales
            .iter()
            .zip(omega)
            .map(|(l, w)| l * l * w * w)
            .sum();
        let log_prod: f64 = lengthscales.iter().map(|l| l.ln()).sum();
        match *self {
            SpectralDensity::SquaredExponential => {
                let s = variance.ln() + 0.5 * d * (2.0 * std::f64::consts::PI).ln() + log_prod
                    - 0.5 * q;
                let dl = lengthscales
                    .iter()
                    .zip(omega)
                    .map(|(l, w)| 1.0 / l - l * w * w)
                    .collect();
                (s, dl)
            }
            SpectralDensity::Matern { nu } => {
                let p = nu + 0.5 * d;
                let c = d * 2f64.ln() + 0.5 * d * std::f64::consts::PI.ln() + ln_gamma(p)
                    - ln_gamma(nu)
                    + nu * (2.0 * nu).ln();
                let s = variance.ln() + c + log_prod - p * (2.0 * nu + q).ln();
                let dl = lengthscales
                    .iter()
                    .zip(omega)
                    .map(|(l, w)| 1.0 / l - p * 2.0 * l * w * w / (2.0 * nu + q))
                    .collect();
                (s, dl)
            }
        }
    }
}
