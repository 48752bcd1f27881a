//! The rational quadratic: `σ² (1 + s/(2α))^{−α}`, a scale mixture of squared exponentials. Any
//! operator order; no spectral density here.

use super::{own, scaled_sq_dist, variance_param, with_variance, Base, BaseFamily, Family, Hyper};
use crate::expr::{ExprId, Graph};
use crate::kernel::Role;
use crate::KernelSpec;

/// The rational quadratic family.
pub struct RationalQuadratic;

const ALPHA: Hyper = Hyper {
    name: "alpha",
    latex: "\\alpha",
    role: Role::Shape,
    required: true,
};

impl BaseFamily for RationalQuadratic {
    fn declares(&self) -> Family {
        Family {
            key: "rq",
            title: "rational quadratic",
            lengthscales: true,
            own: &[ALPHA],
            max_order: None,
            stationary: true,
            decays: true,
            bounded: true,
            density: None,
            columns: &[],
        }
    }

    fn build(&self, g: &mut Graph, prefix: &str, base: &Base) -> ExprId {
        variance_param(g, prefix);
        let s = scaled_sq_dist(g, prefix, base.ard);
        let alpha = own(g, prefix, &ALPHA);
        let a = g.p(alpha);
        // (1 + s/(2α))^(−α)
        let q = g.product(&[(s, 1.0), (a, -1.0)]);
        let b = g.linear(1.0, &[(0.5, q)]);
        let ex = g.neg(a);
        let k = g.pow(b, ex);
        with_variance(g, prefix, k)
    }
}

impl KernelSpec {
    /// The rational quadratic, with one lengthscale per input (`ard`) or one shared.
    pub fn rq(ard: bool) -> KernelSpec {
        KernelSpec::Base(Base {
            family: &RationalQuadratic,
            ard,
            optional: false,
        })
    }
}
