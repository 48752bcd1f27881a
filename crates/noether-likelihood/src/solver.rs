//! The solver seam: how a [`Model`] (the specification: graph, latents, channels, parameters)
//! is turned into a likelihood and a posterior.
//!
//! A solver is a value built from the model. It evaluates the NLML and its gradient
//! ([`Solver::nlml`]) and conditions on the data ([`Solver::condition`]); predictions, joint
//! predictions, samples and rollouts go through what it returns ([`Conditioned`], wrapped by
//! [`crate::posterior::Posterior`]). Three implement it:
//!
//! | solver | module | cost of an evaluation | what it lacks |
//! |---|---|---|---|
//! | [`Exact`] | `nlml.rs` | O(N³) | nothing |
//! | [`crate::sparse::Inducing`] | [`crate::sparse`] | O(N M²) | known means, conditioning on zeros, full covariances, compiled mean functions |
//! | [`crate::hilbert::Hilbert`] | [`crate::hilbert`] | O(M³) after one O(N M²) pass (O(N M) more per channel with a known mean) | compiled mean functions, sharded sums of a channel with a known mean (declared faces become its walls; fractional terms converge only algebraically in the box) |
//!
//! [`Model::solver`] is the one place that decides which solver a model gets (from what
//! [`Model::approximate`] or [`Model::use_basis`] set); everything else asks it. A feature a
//! solver lacks is a [`LikelihoodError::Unsupported`] naming the solver ([`Solver::require`]).
//!
//! A fourth solver (a state-space or a structured-kernel-interpolation solver, say) is one more
//! variant of [`Choice`], one more implementation of [`Solver`] and one more variant of
//! [`Conditioned`] with its predictions in [`crate::posterior`]; the fit, the Laplace step, the
//! sampler and discovery go through the trait and need no change.

use crate::factor::JitterPolicy;
use crate::model::Model;
use crate::nlml::{Evaluation, Factored};
use crate::LikelihoodError;

/// What a solver may lack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Operators with latent-free parts and latents with known means.
    KnownMeans,
    /// Conditioning on channels of exact zeros rather than observing them
    /// ([`Model::constraint_rows`]).
    ConditionOnZeros,
    /// The data-driven start ([`crate::start`]), which needs the exact posterior.
    DataStart,
    /// Full posterior covariances of one target at many points.
    FullCovariance,
    /// The representer weights α = K⁻¹y: compiled mean functions (rollouts), term means.
    Weights,
}

impl Feature {
    /// What the feature is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Feature::KnownMeans => "a known mean (an operator or latent with a latent-free part)",
            Feature::ConditionOnZeros => "conditioning on channels of exact zeros",
            Feature::DataStart => "the data-driven start",
            Feature::FullCovariance => "a full covariance of one target (ask for a joint prediction)",
            Feature::Weights => {
                "this (it gives means, variances and joint covariances; rollouts and term means need the exact likelihood)"
            }
        }
    }
}

/// How a model's likelihood is evaluated and its posterior formed.
pub trait Solver: std::fmt::Debug + Send + Sync {
    /// The solver's name, for messages ("the exact likelihood", "inducing points", …).
    fn name(&self) -> &'static str;

    /// Whether the solver has `feature`.
    fn supports(&self, feature: Feature) -> bool;

    /// Whether the jitter an evaluation reports was added to the data's own covariance (so
    /// that it may mean two observations at one point with too little noise). Inducing points
    /// jitter K_zz, the inducing points' covariance, which says nothing about the data.
    fn jitters_the_data(&self) -> bool {
        false
    }

    /// Whether its NLML carries round-off noise above the fit's default tolerances: the
    /// inducing-point bound, whose V = L_z⁻¹K_zx inherits K_zz's condition (±0.5 nats at
    /// 1,000 points on 45,000 observations). The fit then also stops when the quasi-Newton
    /// step's predicted decrease is below its cost tolerance.
    fn noisy(&self) -> bool {
        false
    }

    /// The NLML at `values` (natural units) with its gradient if asked.
    ///
    /// # Errors
    /// A covariance that cannot be factored, values at which the model is not evaluable.
    fn nlml(
        &self,
        model: &Model,
        values: &[f64],
        gradient: bool,
        policy: &JitterPolicy,
    ) -> Result<Evaluation, LikelihoodError>;

    /// Condition on the data at `values`: what every prediction rests on.
    ///
    /// # Errors
    /// As [`Solver::nlml`].
    fn condition(
        &self,
        model: &Model,
        values: &[f64],
        policy: &JitterPolicy,
    ) -> Result<Conditioned, LikelihoodError>;

    /// `Ok` if the solver has `feature`, else the structured error naming the solver.
    ///
    /// # Errors
    /// [`LikelihoodError::Unsupported`].
    fn require(&self, feature: Feature) -> Result<(), LikelihoodError> {
        if self.supports(feature) {
            Ok(())
        } else {
            Err(LikelihoodError::Unsupported {
                solver: self.name().into(),
                what: feature.describe().into(),
            })
        }
    }
}

/// The dense Cholesky solver: the exact likelihood and posterior.
#[derive(Clone, Copy, Debug, Default)]
pub struct Exact;

impl Solver for Exact {
    fn name(&self) -> &'static str {
        "the exact likelihood"
    }

    fn supports(&self, _: Feature) -> bool {
        true
    }

    fn jitters_the_data(&self) -> bool {
        true
    }

    fn nlml(
        &self,
        model: &Model,
        values: &[f64],
        gradient: bool,
        policy: &JitterPolicy,
    ) -> Result<Evaluation, LikelihoodError> {
        model.exact_nlml(values, gradient, policy)
    }

    fn condition(
        &self,
        model: &Model,
        values: &[f64],
        policy: &JitterPolicy,
    ) -> Result<Conditioned, LikelihoodError> {
        Ok(Conditioned::Exact(model.factor(values, policy)?))
    }
}

impl Solver for crate::sparse::Inducing {
    fn name(&self) -> &'static str {
        "inducing points"
    }

    fn supports(&self, feature: Feature) -> bool {
        !matches!(
            feature,
            Feature::KnownMeans
                | Feature::ConditionOnZeros
                | Feature::DataStart
                | Feature::FullCovariance
                | Feature::Weights
        )
    }

    fn noisy(&self) -> bool {
        true
    }

    fn nlml(
        &self,
        model: &Model,
        values: &[f64],
        gradient: bool,
        _: &JitterPolicy,
    ) -> Result<Evaluation, LikelihoodError> {
        crate::sparse::Inducing::nlml(self, model, values, gradient)
    }

    fn condition(
        &self,
        model: &Model,
        values: &[f64],
        _: &JitterPolicy,
    ) -> Result<Conditioned, LikelihoodError> {
        Ok(Conditioned::Inducing(self.factor(model, values)?))
    }
}

impl Solver for crate::hilbert::Hilbert {
    fn name(&self) -> &'static str {
        "the Hilbert-space basis"
    }

    fn supports(&self, feature: Feature) -> bool {
        !matches!(feature, Feature::DataStart | Feature::Weights)
    }

    fn nlml(
        &self,
        model: &Model,
        values: &[f64],
        gradient: bool,
        _: &JitterPolicy,
    ) -> Result<Evaluation, LikelihoodError> {
        crate::hilbert::Hilbert::nlml(self, model, values, gradient)
    }

    fn condition(
        &self,
        model: &Model,
        values: &[f64],
        _: &JitterPolicy,
    ) -> Result<Conditioned, LikelihoodError> {
        Ok(Conditioned::Basis(self.factor(model, values)?))
    }
}

/// Which solver a model uses: what [`Model::approximate`] and [`Model::use_basis`] set, and
/// [`Model::solver`] reads.
#[derive(Clone, Debug, Default)]
pub enum Choice {
    /// The exact likelihood (the default).
    #[default]
    Exact,
    /// The variational bound with inducing points.
    Inducing(crate::sparse::Inducing),
    /// The Hilbert-space basis.
    Basis(crate::hilbert::Hilbert),
}

/// What a solver's conditioning on the data gives: the factorisation every prediction rests
/// on.
#[derive(Debug)]
pub enum Conditioned {
    /// The exact Cholesky factor and α = K⁻¹y.
    Exact(Factored),
    /// The bound's factors.
    Inducing(crate::sparse::SparseFactor),
    /// The basis weights' posterior.
    Basis(crate::hilbert::HilbertFactor),
}

impl Conditioned {
    /// The relative jitter the factorisation needed.
    pub fn jitter(&self) -> f64 {
        match self {
            Conditioned::Exact(f) => f.factor.jitter,
            Conditioned::Inducing(f) => f.jitter,
            Conditioned::Basis(_) => 0.0,
        }
    }
}

impl Model {
    /// The solver this model's likelihood and posterior go through: the one place the choice
    /// is read.
    pub fn solver(&self) -> &dyn Solver {
        match &self.choice {
            Choice::Exact => &Exact,
            Choice::Inducing(i) => i,
            Choice::Basis(h) => h,
        }
    }
}
