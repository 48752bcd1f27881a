//! Marginal likelihood, optimisation, posterior and parameter uncertainty for Gaussian processes
//! observed through linear operators.
//!
//! A [`Model`] holds latents with kernels, unknown operator coefficients and observation channels
//! `y_c = L_c g(x) + ε_c`. From it this crate computes the negative log marginal likelihood and its
//! exact gradient ([`Model::nlml`]), fits all parameters by L-BFGS with restarts ([`fit`]), predicts
//! any operator of the latents with uncertainty ([`posterior`]) and gives standard errors of the
//! learned coefficients by the Laplace approximation ([`laplace`]).

#![warn(missing_docs)]

pub mod diagnostics;
mod error;
pub mod factor;
pub mod fit;
pub mod format;
pub mod hilbert;
pub mod laplace;
mod lbfgs;
mod model;
mod nlml;
pub mod objective;
pub mod parallel;
pub mod posterior;
pub mod prior;
pub mod problems;
pub mod replicates;
pub mod rollout;
pub mod sample;
pub mod solver;
pub mod space;
pub mod sparse;
pub mod start;

pub use error::LikelihoodError;
pub use model::{Channel, Model, Param, ParamKind};
pub use nlml::{Evaluation, Factored, MAX_DENSE_BYTES, NUGGET};
pub use prior::{Prior, PriorSource};
pub use replicates::Replicates;
pub use space::Transform;
