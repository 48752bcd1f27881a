//! The periodic kernel: `σ² exp(−2 Σ_d sin²(π (x_d − x'_d)/p)/ℓ_d²)` with one period p. Any
//! operator order; bounded, but it does not decay.

use super::{lengthscales, own, variance_param, with_variance, Base, BaseFamily, Family, Hyper};
use crate::expr::{ExprId, Graph};
use crate::kernel::Role;
use crate::KernelSpec;

/// The periodic family.
pub struct Periodic;

const PERIOD: Hyper = Hyper {
    name: "period",
    latex: "p",
    role: Role::Shape,
    required: true,
};

impl BaseFamily for Periodic {
    fn declares(&self) -> Family {
        Family {
            key: "periodic",
            title: "periodic",
            lengthscales: true,
            own: &[PERIOD],
            max_order: None,
            stationary: true,
            decays: false,
            bounded: true,
            density: None,
            columns: &[],
        }
    }

    fn build(&self, g: &mut Graph, prefix: &str, base: &Base) -> ExprId {
        variance_param(g, prefix);
        let period = own(g, prefix, &PERIOD);
        let p = g.p(period);
        let ls = lengthscales(g, prefix, base.ard);
        let mut terms = Vec::new();
        for (d, &l) in ls.iter().enumerate() {
            let (x, y) = (g.x(d), g.y(d));
            let diff = g.sub(x, y);
            let arg = g.product(&[(diff, 1.0), (p, -1.0)]);
            let arg = g.scale(std::f64::consts::PI, arg);
            let s = g.sin(arg);
            let l = g.p(l);
            terms.push((-2.0, g.product(&[(s, 2.0), (l, -2.0)])));
        }
        let e = g.linear(0.0, &terms);
        let e = g.exp(e);
        with_variance(g, prefix, e)
    }
}

impl KernelSpec {
    /// The periodic kernel, with one lengthscale per input (`ard`) or one shared.
    pub fn periodic(ard: bool) -> KernelSpec {
        KernelSpec::Base(Base {
            family: &Periodic,
            ard,
            optional: false,
        })
    }
}
