//! The errors of the kernel crate.

use thiserror::Error;

/// What can go wrong while parsing operators, building kernels or applying one to the other.
#[non_exhaustive]
#[derive(Debug, Error, Clone, PartialEq)]
pub enum KernelError {
    /// The operator text does not follow the grammar.
    #[error("cannot parse operator `{text}` at column {column}: {message}")]
    Syntax {
        /// The operator text.
        text: String,
        /// 1-based column of the problem.
        column: usize,
        /// What was expected or found.
        message: String,
    },
    /// A name that is neither an input, a latent, a parameter nor a derivative of a latent.
    #[error(
        "unknown name `{name}` at column {column} of `{text}`; known inputs: [{inputs}], latents: [{latents}], parameters: [{parameters}]"
    )]
    UnknownName {
        /// The operator text.
        text: String,
        /// The unknown name.
        name: String,
        /// 1-based column of the name.
        column: usize,
        /// Input names, comma-separated.
        inputs: String,
        /// Latent names, comma-separated.
        latents: String,
        /// Parameter names, comma-separated.
        parameters: String,
    },
    /// The operator is not linear in the latent functions.
    #[error("operator `{text}` is not linear in the latent functions: the term `{term}` at column {column} {reason}")]
    Nonlinear {
        /// The operator text.
        text: String,
        /// The offending term.
        term: String,
        /// 1-based column of the term.
        column: usize,
        /// Why it is not linear.
        reason: String,
    },
    /// An operator whose order exceeds what a kernel can be differentiated to.
    #[error(
        "the term `{term}` differentiates latent `{latent}` to order {order}, but its {kernel} kernel supports operators of order at most {max}"
    )]
    OrderTooHigh {
        /// The operator term (printed).
        term: String,
        /// The latent function.
        latent: String,
        /// Its kernel.
        kernel: String,
        /// The order asked for.
        order: usize,
        /// The highest order supported.
        max: usize,
    },
    /// A kernel was given the wrong number of lengthscales.
    #[error(
        "kernel of `{latent}` needs {expected} lengthscales (one per input) but was given {got}"
    )]
    LengthscaleCount {
        /// The latent function.
        latent: String,
        /// Number of inputs.
        expected: usize,
        /// Number given.
        got: usize,
    },
    /// Input names that can be read together in more than one way, so that a derivative suffix
    /// such as `u_xx` is ambiguous.
    #[error("the input names {names} make derivative suffixes ambiguous: `{suffix}` reads as {first} and as {second}; rename an input (or write derivatives as d(u, x, 2))")]
    AmbiguousInputs {
        /// The inputs involved, quoted and comma-separated.
        names: String,
        /// A suffix with two readings.
        suffix: String,
        /// One reading (`x·x`).
        first: String,
        /// Another (`xx`).
        second: String,
    },
    /// An operator past the parser's limits (nesting depth, derivative order, a number too large).
    #[error("operator `{text}` at column {column}: {message}")]
    TooLarge {
        /// The operator text (shortened when long).
        text: String,
        /// 1-based column.
        column: usize,
        /// Which limit, and its value.
        message: String,
    },
    #[error("the term `{term}` needs the kernel integrated or fractionally differentiated, which noether has for the squared exponential only (and not both in one input); `{latent}` has the {kernel} kernel")]
    /// An integral of a latent whose kernel has no closed-form integral here.
    NoClosedForm {
        /// The term.
        term: String,
        /// Its latent.
        latent: String,
        /// The latent's kernel.
        kernel: String,
    },
    /// A name is used twice (an input that is also a parameter, say).
    #[error("the name `{name}` is used both as {first} and as {second}")]
    NameClash {
        /// The name.
        name: String,
        /// Its first role.
        first: String,
        /// Its second role.
        second: String,
    },
}
