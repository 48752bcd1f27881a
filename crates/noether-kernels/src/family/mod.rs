//! The base kernel families, one file each, and their registry.
//!
//! A family declares, in its own file, everything the rest of the project asks of it
//! ([`BaseFamily`]): its name and title, its hyperparameters besides the variance and the
//! lengthscales (name, role, whether a problem must give it; all are positive, learned on the log
//! scale, with the default priors of their role), the operator orders it supports, whether it is
//! stationary, decays or is bounded, its spectral density where stationary, the explicit columns
//! it becomes in a Hilbert basis where it is not, its expression k(x, x') and its closed-form
//! transforms where it has them. The problem-file reader, validation, results, the docs table,
//! the Hilbert solver and the kernel tests iterate [`registry`]; adding a family is one file here,
//! one line in [`registry`], and its tests.

use crate::expr::{ExprId, Graph, ParamId};
use crate::kernel::Role;
use crate::spectral::SpectralDensity;

pub mod constant;
pub mod linear;
pub mod matern;
pub mod periodic;
pub mod rq;
pub mod se;

/// One hyperparameter a family declares besides its variance and lengthscales.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    /// Its name after the kernel's prefix (`alpha` in `u.alpha`).
    pub name: &'static str,
    /// Its LaTeX symbol.
    pub latex: &'static str,
    /// What it does (the default prior and the data-driven start follow the role).
    pub role: Role,
    /// Whether a problem must give it; an optional one is built only when given
    /// ([`Base::optional`]).
    pub required: bool,
}

/// An explicit column a non-stationary family contributes to a Hilbert basis, with the
/// hyperparameter (a name after the prefix) that weights it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Column {
    /// The constant function 1, weighted by this variance.
    Constant(&'static str),
    /// Each input x_d, weighted by this variance.
    Linear(&'static str),
}

/// What a base kernel family declares, in one place: the reader, validation, the results, the
/// docs table and the kernel tests consult it ([`crate::KernelSpec::family`], [`registry`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Family {
    /// Its name in a problem file (`se`).
    pub key: &'static str,
    /// Its name in messages (`squared exponential`).
    pub title: &'static str,
    /// Whether it has lengthscales (one per input, or one shared).
    pub lengthscales: bool,
    /// Its hyperparameters besides the variance and the lengthscales.
    pub own: &'static [Hyper],
    /// The highest per-argument operator order it supports (`None`: unlimited).
    pub max_order: Option<usize>,
    /// Whether it depends on its arguments through their differences alone.
    pub stationary: bool,
    /// Whether it and every derivative vanish as its arguments move apart.
    pub decays: bool,
    /// Whether |k(x, x')| ≤ k(x, x) is bounded over all x (a product with a decaying kernel
    /// then decays).
    pub bounded: bool,
    /// Its spectral density, where it has one here.
    pub density: Option<SpectralDensity>,
    /// Without a density: the explicit columns it is in a Hilbert basis (empty: none).
    pub columns: &'static [Column],
}

/// A base kernel family: what it declares and how it builds itself.
pub trait BaseFamily: Sync + 'static {
    /// Its declaration.
    fn declares(&self) -> Family;

    /// k(x, x') built into `g`, its parameters named `<prefix>.variance`, `<prefix>.lengthscale`
    /// (shared) or `<prefix>.lengthscales.<input>`, then `<prefix>.<own>`, the variance created
    /// first.
    fn build(&self, g: &mut Graph, prefix: &str, base: &Base) -> ExprId;

    /// Where the family has closed-form integrals and fractional derivatives
    /// ([`crate::Kernel::transformed`]): its variance and the lengthscale of each input, already
    /// built under `prefix`.
    fn closed_form(
        &self,
        _g: &mut Graph,
        _prefix: &str,
        _base: &Base,
    ) -> Option<(ParamId, Vec<ParamId>)> {
        None
    }
}

/// Every base family, in the order messages and the docs list them.
pub fn registry() -> &'static [&'static dyn BaseFamily] {
    &[
        &se::SquaredExponential,
        &matern::Matern32,
        &matern::Matern52,
        &rq::RationalQuadratic,
        &periodic::Periodic,
        &constant::Constant,
        &linear::Linear,
    ]
}

/// The family with problem-file name `key`.
///
/// # Examples
/// ```
/// let f = noether_kernels::family::lookup("matern52").unwrap();
/// assert_eq!(f.declares().max_order, Some(2));
/// assert!(noether_kernels::family::lookup("gaussian").is_none());
/// ```
pub fn lookup(key: &str) -> Option<&'static dyn BaseFamily> {
    registry().iter().copied().find(|f| f.declares().key == key)
}

/// The keys of the families that pass `keep`, joined for a message (`se, matern32, matern52`).
pub fn keys(keep: impl Fn(&Family) -> bool) -> String {
    registry()
        .iter()
        .map(|f| f.declares())
        .filter(|f| keep(f))
        .map(|f| f.key)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A base kernel: a family with one lengthscale per input (`ard`) or one shared, and with or
/// without its optional hyperparameters (the linear kernel's offset).
#[derive(Clone, Copy)]
pub struct Base {
    /// The family.
    pub family: &'static dyn BaseFamily,
    /// One lengthscale per input (true) or one shared (false); ignored without lengthscales.
    pub ard: bool,
    /// Whether the optional hyperparameters ([`Hyper::required`] false) are built.
    pub optional: bool,
}

impl Base {
    /// The family's declaration.
    pub fn declares(&self) -> Family {
        self.family.declares()
    }

    /// Whether hyperparameter `h` is built.
    pub fn builds(&self, h: &Hyper) -> bool {
        h.required || self.optional
    }
}

impl PartialEq for Base {
    fn eq(&self, other: &Base) -> bool {
        let same_shape = |b: &Base| {
            let f = b.declares();
            (
                f.key,
                f.lengthscales && b.ard,
                b.optional && f.own.iter().any(|h| !h.required),
            )
        };
        same_shape(self) == same_shape(other)
    }
}

impl std::fmt::Debug for Base {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Base")
            .field("family", &self.declares().key)
            .field("ard", &self.ard)
            .field("optional", &self.optional)
            .finish()
    }
}

/// Create the variance parameter first, so that every kernel lists it first.
pub(crate) fn variance_param(g: &mut Graph, prefix: &str) -> ParamId {
    g.param_with_latex(&format!("{prefix}.variance"), "\\sigma^2")
}

/// σ² · `body`.
pub(crate) fn with_variance(g: &mut Graph, prefix: &str, body: ExprId) -> ExprId {
    let v = variance_param(g, prefix);
    let v = g.p(v);
    g.mul(v, body)
}

/// One of the family's own hyperparameters, as declared.
pub(crate) fn own(g: &mut Graph, prefix: &str, h: &Hyper) -> ParamId {
    g.param_with_latex(&format!("{prefix}.{}", h.name), h.latex)
}

/// The lengthscale parameter of each input (the same one repeated when shared).
pub(crate) fn lengthscales(g: &mut Graph, prefix: &str, ard: bool) -> Vec<ParamId> {
    let inputs: Vec<String> = g.inputs().to_vec();
    if ard {
        inputs
            .iter()
            .map(|n| {
                g.param_with_latex(
                    &format!("{prefix}.lengthscales.{n}"),
                    &format!("\\ell_{{{n}}}"),
                )
            })
            .collect()
    } else {
        let l = g.param_with_latex(&format!("{prefix}.lengthscale"), "\\ell");
        vec![l; inputs.len()]
    }
}

/// `s = Σ_d (x_d − x'_d)² / ℓ_d²`.
pub(crate) fn scaled_sq_dist(g: &mut Graph, prefix: &str, ard: bool) -> ExprId {
    let ls = lengthscales(g, prefix, ard);
    let mut terms = Vec::new();
    for (d, l) in ls.iter().enumerate() {
        let (x, y) = (g.x(d), g.y(d));
        let diff = g.sub(x, y);
        let l = g.p(*l);
        terms.push((1.0, g.product(&[(diff, 2.0), (l, -2.0)])));
    }
    g.linear(0.0, &terms)
}
