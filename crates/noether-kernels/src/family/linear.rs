//! The linear kernel `σ² Σ_d x_d x'_d`, plus a constant `σ₀²` (its optional `offset`). Any operator
//! order (derivatives past the first vanish); in a Hilbert basis it is the columns x_d (and 1).

use super::{own, variance_param, with_variance, Base, BaseFamily, Column, Family, Hyper};
use crate::expr::{ExprId, Graph};
use crate::kernel::Role;
use crate::KernelSpec;

/// The linear family.
pub struct Linear;

const OFFSET: Hyper = Hyper {
    name: "offset",
    latex: "\\sigma_0^2",
    role: Role::Variance,
    required: false,
};

impl BaseFamily for Linear {
    fn declares(&self) -> Family {
        Family {
            key: "linear",
            title: "linear",
            lengthscales: false,
            own: &[OFFSET],
            max_order: None,
            stationary: false,
            decays: false,
            bounded: false,
            density: None,
            columns: &[Column::Linear("variance"), Column::Constant("offset")],
        }
    }

    fn build(&self, g: &mut Graph, prefix: &str, base: &Base) -> ExprId {
        variance_param(g, prefix);
        let c = base.builds(&OFFSET).then(|| own(g, prefix, &OFFSET));
        let mut terms = Vec::new();
        for d in 0..g.dim() {
            let (x, y) = (g.x(d), g.y(d));
            terms.push((1.0, g.mul(x, y)));
        }
        let dot = g.linear(0.0, &terms);
        let k = with_variance(g, prefix, dot);
        match c {
            Some(c) => {
                let c = g.p(c);
                g.add(k, c)
            }
            None => k,
        }
    }
}

impl KernelSpec {
    /// The linear kernel σ² x·x', with its constant term σ₀² when `offset` is true.
    pub fn linear(offset: bool) -> KernelSpec {
        KernelSpec::Base(Base {
            family: &Linear,
            ard: false,
            optional: offset,
        })
    }
}
