//! The squared exponential: `σ² exp(−½ s)`, `s = Σ_d (x_d − x'_d)²/ℓ_d²`. Any operator order; the
//! Gaussian spectral density; integrals and Weyl fractional derivatives in closed form.

use super::{scaled_sq_dist, variance_param, with_variance, Base, BaseFamily, Family};
use crate::expr::{ExprId, Graph, ParamId};
use crate::spectral::SpectralDensity;
use crate::KernelSpec;

/// The squared exponential family.
pub struct SquaredExponential;

impl BaseFamily for SquaredExponential {
    fn declares(&self) -> Family {
        Family {
            key: "se",
            title: "squared exponential",
            lengthscales: true,
            own: &[],
            max_order: None,
            stationary: true,
            decays: true,
            bounded: true,
            density: Some(SpectralDensity::SquaredExponential),
            columns: &[],
        }
    }

    fn build(&self, g: &mut Graph, prefix: &str, base: &Base) -> ExprId {
        variance_param(g, prefix);
        let s = scaled_sq_dist(g, prefix, base.ard);
        let e = g.scale(-0.5, s);
        let e = g.exp(e);
        with_variance(g, prefix, e)
    }

    fn closed_form(
        &self,
        g: &mut Graph,
        prefix: &str,
        base: &Base,
    ) -> Option<(ParamId, Vec<ParamId>)> {
        let v = variance_param(g, prefix);
        Some((v, super::lengthscales(g, prefix, base.ard)))
    }
}

impl KernelSpec {
    /// The squared exponential, with one lengthscale per input (`ard`) or one shared.
    pub fn se(ard: bool) -> KernelSpec {
        KernelSpec::Base(Base {
            family: &SquaredExponential,
            ard,
            optional: false,
        })
    }
}

/// The squared exponential with variance `v` and per-input lengthscales `ls`, with ∫₀ over the
/// inputs where `ix` (first argument) or `iy` (second) is 1 and Weyl fractional derivatives of
/// orders `fx` and `fy` in one input each ([`crate::Kernel::transformed`]). Per input, with
/// φ(s) = exp(−s²/2ℓ²), G₁(s) = ℓ√(π/2) erf(s/(√2 ℓ)) = ∫₀ˢ φ and
/// G₂(s) = ℓ²[(s/ℓ)√(π/2) erf(s/(√2 ℓ)) + φ(s) − 1] = ∫₀ˢ G₁:
/// ∫₀ˣ φ(ξ − y) dξ = G₁(x − y) + G₁(y), and ∫₀ˣ∫₀ʸ φ(ξ − η) = G₂(x) + G₂(y) − G₂(x − y); a
/// fractional pair's factor is `√(2/π) ℓ^{−n} J₀(n, φ, (x − y)/ℓ)` with n = ν₁ + ν₂ and
/// φ = (ν₁ − ν₂)π/2 ([`crate::spectral`]). None when an input has both an integral and a
/// fractional derivative.
pub(crate) fn transformed(
    g: &mut Graph,
    (v, ls): (ParamId, &[ParamId]),
    ix: &[u8],
    iy: &[u8],
    fx: Option<(usize, ExprId)>,
    fy: Option<(usize, ExprId)>,
) -> Option<ExprId> {
    let mut factors = Vec::with_capacity(ls.len() + 1);
    factors.push((g.p(v), 1.0));
    let c = (std::f64::consts::PI / 2.0).sqrt();
    for (d, &l) in ls.iter().enumerate() {
        let l = g.p(l);
        let (x, y) = (g.x(d), g.y(d));
        let phi = |g: &mut Graph, s: ExprId| {
            let q = g.product(&[(s, 2.0), (l, -2.0)]);
            let e = g.scale(-0.5, q);
            g.exp(e)
        };
        let erf = |g: &mut Graph, s: ExprId| {
            let a = g.product(&[(s, 1.0), (l, -1.0)]);
            let a = g.scale(std::f64::consts::FRAC_1_SQRT_2, a);
            g.erf(a)
        };
        let g1 = |g: &mut Graph, s: ExprId| {
            let e = erf(g, s);
            let t = g.product(&[(l, 1.0), (e, 1.0)]);
            g.scale(c, t)
        };
        let g2 = |g: &mut Graph, s: ExprId| {
            let e = erf(g, s);
            let a = g.product(&[(s, 1.0), (l, 1.0), (e, 1.0)]);
            let p = phi(g, s);
            let l2 = g.product(&[(l, 2.0)]);
            let b = g.product(&[(l2, 1.0), (p, 1.0)]);
            g.linear(0.0, &[(c, a), (1.0, b), (-1.0, l2)])
        };
        let diff = g.sub(x, y);
        let nu = |f: Option<(usize, ExprId)>| f.filter(|f| f.0 == d).map(|f| f.1);
        let (n1, n2) = (nu(fx), nu(fy));
        let (i1, i2) = (
            ix.get(d).copied().unwrap_or(0),
            iy.get(d).copied().unwrap_or(0),
        );
        if n1.is_some() || n2.is_some() {
            if i1 > 0 || i2 > 0 {
                return None;
            }
            let zero = g.constant(0.0);
            let (a, b) = (n1.unwrap_or(zero), n2.unwrap_or(zero));
            let n = g.add(a, b);
            let ph = g.sub(a, b);
            let ph = g.scale(std::f64::consts::FRAC_PI_2, ph);
            let t = g.product(&[(diff, 1.0), (l, -1.0)]);
            let j = g.spectral(0, n, ph, t);
            let minus_n = g.neg(n);
            let scale = g.pow(l, minus_n);
            let f = g.product(&[(j, 1.0), (scale, 1.0)]);
            factors.push((g.scale((2.0 / std::f64::consts::PI).sqrt(), f), 1.0));
            continue;
        }
        let f = match (i1, i2) {
            (0, 0) => phi(g, diff),
            (1, 0) => {
                let a = g1(g, diff);
                let b = g1(g, y);
                g.add(a, b)
            }
            (0, 1) => {
                // ∫₀ʸ φ(x − η) dη = G₁(x) − G₁(x − y).
                let a = g1(g, x);
                let b = g1(g, diff);
                g.sub(a, b)
            }
            _ => {
                let a = g2(g, x);
                let b = g2(g, y);
                let cc = g2(g, diff);
                g.linear(0.0, &[(1.0, a), (1.0, b), (-1.0, cc)])
            }
        };
        factors.push((f, 1.0));
    }
    Some(g.product(&factors))
}
