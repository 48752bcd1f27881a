//! The errors of the likelihood crate.

use noether_kernels::KernelError;
use thiserror::Error;

/// What can go wrong while assembling, factoring, optimising or predicting.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq)]
pub enum LikelihoodError {
    /// An operator or kernel problem.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// The covariance matrix could not be factored even with the largest jitter.
    #[error(
        "the covariance matrix is not positive definite (pivot {pivot} of {n}) even with jitter {jitter:.3e} × mean diagonal; duplicate points or a degenerate kernel make it singular"
    )]
    NotPositiveDefinite {
        /// The failing pivot.
        pivot: usize,
        /// The matrix size.
        n: usize,
        /// The largest relative jitter tried.
        jitter: f64,
    },
    /// A name the model does not know.
    #[error("unknown parameter `{name}`; known: {known}")]
    UnknownParameter {
        /// The name.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// A name given twice.
    #[error("the name `{name}` is declared twice")]
    Duplicate {
        /// The name.
        name: String,
    },
    /// Data of the wrong shape.
    #[error("channel `{channel}`: {message}")]
    Data {
        /// The channel.
        channel: String,
        /// What is wrong.
        message: String,
    },
    /// A value that is not finite, or outside its parameter's domain.
    #[error("parameter `{name}` = {} is not allowed: {reason}", show(*value))]
    BadValue {
        /// The parameter.
        name: String,
        /// Its value.
        value: f64,
        /// Why not.
        reason: String,
    },
    /// The model has no observations.
    #[error("the model has no channel with data")]
    NoData,
    /// Every optimisation start failed.
    #[error("no optimisation start could be evaluated: {source}")]
    AllStartsFailed {
        /// Why the NLML could not be evaluated (at the user's initial values where that failed).
        #[source]
        source: Box<LikelihoodError>,
    },
    /// A prediction that is not a finite number, or has a clearly negative variance.
    #[error("the posterior of `{target}` at point {} is not a number: mean {mean}, variance {variance}{}", point + 1, if *variance < 0.0 { " (the covariance is too ill-conditioned to predict there)" } else { "" })]
    NonFinitePrediction {
        /// The operator predicted.
        target: String,
        /// The 0-based index of the point.
        point: usize,
        /// The posterior mean there.
        mean: f64,
        /// The posterior variance there.
        variance: f64,
    },
    /// A problem whose dense matrices would not fit in memory: refused before allocating
    /// (one check, in `nlml.rs`, that every solver asks).
    #[error(
        "{n} {of} need {gib:.0} GiB for {what}, more than this machine may use (24 GiB); {fix}"
    )]
    TooLarge {
        /// How many of what the size grows with.
        n: usize,
        /// What is counted (`observations`, `basis functions`).
        of: String,
        /// What needs the memory.
        what: String,
        /// What to do instead.
        fix: String,
        /// The memory needed, GiB.
        gib: f64,
    },
    /// A feature the chosen solver does not have.
    #[error("not supported with {solver}: {what}")]
    Unsupported {
        /// The solver (`inducing points`).
        solver: String,
        /// What it lacks, and what to do.
        what: String,
    },
    /// Something that should be a number is not (a NaN or infinite NLML, gradient, mean or
    /// variance).
    #[error("{what}")]
    NotEvaluable {
        /// What, and where.
        what: String,
    },
}

impl LikelihoodError {
    /// [`LikelihoodError::BadValue`] for a setting or parameter.
    pub(crate) fn bad_value(
        name: impl Into<String>,
        value: f64,
        reason: impl Into<String>,
    ) -> Self {
        LikelihoodError::BadValue {
            name: name.into(),
            value,
            reason: reason.into(),
        }
    }
}

/// A number as a person reads it: plain where that is short, in exponent form where it is not
/// (`1e300`, not three hundred digits).
pub(crate) fn show(v: f64) -> String {
    if v == 0.0 || (1e-4..1e6).contains(&v.abs()) || !v.is_finite() {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}
