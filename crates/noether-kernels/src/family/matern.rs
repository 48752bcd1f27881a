//! The Matérn family at ν = 3/2 and 5/2: `σ² (1 + √3 r) e^{−√3 r}` and
//! `σ² (1 + √5 r + 5r²/3) e^{−√5 r}`, `r = √s`. Operators of order ≤ 1 and ≤ 2 per argument; the
//! Student-t-like spectral density.

use super::{scaled_sq_dist, variance_param, with_variance, Base, BaseFamily, Family};
use crate::expr::{ExprId, Graph, RadialFamily};
use crate::spectral::SpectralDensity;
use crate::KernelSpec;

/// Matérn ν = 3/2.
pub struct Matern32;

/// Matérn ν = 5/2.
pub struct Matern52;

fn declares(key: &'static str, title: &'static str, radial: RadialFamily, nu: f64) -> Family {
    Family {
        key,
        title,
        lengthscales: true,
        own: &[],
        max_order: Some(radial.smoothness()),
        stationary: true,
        decays: true,
        bounded: true,
        density: Some(SpectralDensity::Matern { nu }),
        columns: &[],
    }
}

fn build(g: &mut Graph, prefix: &str, base: &Base, radial: RadialFamily) -> ExprId {
    variance_param(g, prefix);
    let s = scaled_sq_dist(g, prefix, base.ard);
    let f = g.radial(radial, 0, s);
    with_variance(g, prefix, f)
}

impl BaseFamily for Matern32 {
    fn declares(&self) -> Family {
        declares("matern32", "Matérn 3/2", RadialFamily::Matern32, 1.5)
    }
    fn build(&self, g: &mut Graph, prefix: &str, base: &Base) -> ExprId {
        build(g, prefix, base, RadialFamily::Matern32)
    }
}

impl BaseFamily for Matern52 {
    fn declares(&self) -> Family {
        declares("matern52", "Matérn 5/2", RadialFamily::Matern52, 2.5)
    }
    fn build(&self, g: &mut Graph, prefix: &str, base: &Base) -> ExprId {
        build(g, prefix, base, RadialFamily::Matern52)
    }
}

impl KernelSpec {
    /// Matérn ν = 3/2, with one lengthscale per input (`ard`) or one shared.
    pub fn matern32(ard: bool) -> KernelSpec {
        KernelSpec::Base(Base {
            family: &Matern32,
            ard,
            optional: false,
        })
    }

    /// Matérn ν = 5/2, with one lengthscale per input (`ard`) or one shared.
    pub fn matern52(ard: bool) -> KernelSpec {
        KernelSpec::Base(Base {
            family: &Matern52,
            ard,
            optional: false,
        })
    }
}
