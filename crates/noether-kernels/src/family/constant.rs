//! The constant kernel `σ²`: every derivative of it is 0, so it only models a constant offset of
//! the latent itself. In a Hilbert basis it is the column 1.

use super::{variance_param, Base, BaseFamily, Column, Family};
use crate::expr::{ExprId, Graph};
use crate::KernelSpec;

/// The constant family.
pub struct Constant;

impl BaseFamily for Constant {
    fn declares(&self) -> Family {
        Family {
            key: "constant",
            title: "constant",
            lengthscales: false,
            own: &[],
            max_order: None,
            stationary: true,
            decays: false,
            bounded: true,
            density: None,
            columns: &[Column::Constant("variance")],
        }
    }

    fn build(&self, g: &mut Graph, prefix: &str, _base: &Base) -> ExprId {
        let v = variance_param(g, prefix);
        g.p(v)
    }
}

impl KernelSpec {
    /// The constant kernel σ².
    pub fn constant() -> KernelSpec {
        KernelSpec::Base(Base {
            family: &Constant,
            ard: false,
            optional: false,
        })
    }
}
