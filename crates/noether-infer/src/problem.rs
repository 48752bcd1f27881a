//! The problem description: the JSON file format and, being its serde form, the Rust builder.

use noether_likelihood::fit::FitOptions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// An initial value: a number, or `{"value": v, "fixed": true}` (kept, not learned), or, for an
/// operator coefficient, `{"value": v, "positive": true}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Init {
    /// A number, learned from the data.
    Value(f64),
    /// A number with options.
    Spec(InitSpec),
}

/// An initial value with options (`{"value": v, "fixed": true}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitSpec {
    /// The initial value.
    pub value: f64,
    /// Keep it at `value`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fixed: bool,
    /// Constrain it to be positive (operator coefficients; kernel parameters always are).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub positive: bool,
}

impl Init {
    /// The value.
    pub fn value(&self) -> f64 {
        match self {
            Init::Value(v) | Init::Spec(InitSpec { value: v, .. }) => *v,
        }
    }

    /// Kept, not learned.
    pub fn fixed(&self) -> bool {
        matches!(self, Init::Spec(InitSpec { fixed: true, .. }))
    }

    /// Constrained positive.
    pub fn positive(&self) -> bool {
        matches!(self, Init::Spec(InitSpec { positive: true, .. }))
    }

    /// The same options with another value.
    pub fn with_value(&self, v: f64) -> Init {
        match self {
            Init::Value(_) => Init::Value(v),
            Init::Spec(s) => Init::Spec(InitSpec {
                value: v,
                ..s.clone()
            }),
        }
    }

    /// A coefficient constrained to be positive, starting at `v`.
    pub fn positive_at(v: f64) -> Init {
        Init::Spec(InitSpec {
            value: v,
            fixed: false,
            positive: true,
        })
    }

    /// A value kept fixed.
    pub fn fixed_at(v: f64) -> Init {
        Init::Spec(InitSpec {
            value: v,
            fixed: true,
            positive: false,
        })
    }
}

impl From<f64> for Init {
    fn from(v: f64) -> Self {
        Init::Value(v)
    }
}

/// One lengthscale per input (in input order), or one shared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Lengthscales {
    /// One per input.
    PerInput(Vec<Init>),
    /// One shared by all inputs.
    Shared(Init),
}

/// The kernels a latent may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KernelName {
    /// Squared exponential.
    Se,
    /// Matérn 3/2 (operators of order ≤ 1).
    Matern32,
    /// Matérn 5/2 (operators of order ≤ 2).
    Matern52,
    /// Rational quadratic (needs `alpha`).
    Rq,
    /// Periodic (needs `period`).
    Periodic,
}

/// A latent function and its kernel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latent {
    /// The kernel.
    pub kernel: KernelName,
    /// Initial variance σ².
    pub variance: Init,
    /// Initial lengthscales.
    pub lengthscales: Lengthscales,
    /// The rational quadratic's α.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<Init>,
    /// The periodic kernel's period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Init>,
}

impl Latent {
    /// A latent with the given kernel, variance and lengthscales.
    pub fn new(
        kernel: KernelName,
        variance: impl Into<Init>,
        lengthscales: Lengthscales,
    ) -> Latent {
        Latent {
            kernel,
            variance: variance.into(),
            lengthscales,
            alpha: None,
            period: None,
        }
    }

    /// A squared-exponential latent with one lengthscale per input.
    pub fn se(variance: f64, lengthscales: &[f64]) -> Latent {
        Latent::new(
            KernelName::Se,
            variance,
            Lengthscales::PerInput(lengthscales.iter().map(|&l| l.into()).collect()),
        )
    }
}

/// Where a channel's observations come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Data {
    /// A CSV whose header holds the input names and `y`.
    Csv(PathBuf),
    /// A CSV table, with y taken from a named column.
    Column {
        /// The file.
        csv: PathBuf,
        /// The column holding the observations.
        y: String,
    },
    /// Points and observations written out.
    Inline {
        /// One row of input values per observation.
        x: Vec<Vec<f64>>,
        /// The observations.
        y: Vec<f64>,
    },
}

impl Data {
    /// Inline data from points (one slice per observation) and observations.
    pub fn inline(x: Vec<Vec<f64>>, y: Vec<f64>) -> Data {
        Data::Inline { x, y }
    }

    /// Inline data from row-major points with `dim` numbers each.
    ///
    /// # Panics
    /// If `dim` is 0.
    #[track_caller]
    pub fn from_rows(points: &[f64], dim: usize, y: &[f64]) -> Data {
        Data::Inline {
            x: points.chunks(dim).map(<[f64]>::to_vec).collect(),
            y: y.to_vec(),
        }
    }

    /// Inline data from nalgebra: one row of `x` per observation.
    pub fn from_nalgebra(x: &nalgebra::DMatrix<f64>, y: &nalgebra::DVector<f64>) -> Data {
        Data::Inline {
            x: x.row_iter().map(|r| r.iter().copied().collect()).collect(),
            y: y.iter().copied().collect(),
        }
    }
}

/// An observation channel: `y = L g(x) + ε`, ε ~ N(0, noise).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    /// Its name.
    pub name: String,
    /// The operator (see the operator grammar).
    pub operator: String,
    /// Its data.
    pub data: Data,
    /// Initial noise variance.
    pub noise: Init,
}

/// A problem: inputs, latents with kernels, unknown coefficients, channels with data, settings.
///
/// This is both the problem file's format and the Rust builder.
///
/// # Examples
/// ```
/// use noether_infer::{ChannelSpec, Data, Latent, Problem};
/// let x: Vec<f64> = (0..8).map(|i| i as f64 / 7.0).collect();
/// let problem = Problem::new(&["x"])
///     .latent("u", Latent::se(1.0, &[0.3]))
///     .parameter("k", 1.0)
///     .channel("u", "u", Data::from_rows(&x, 1, &x.iter().map(|v| (3.0 * v).sin()).collect::<Vec<_>>()), 1e-4)
///     .channel("g", "u_x + k*u", Data::from_rows(&x, 1, &x.iter().map(|v| 3.0 * (3.0 * v).cos() + 2.0 * (3.0 * v).sin()).collect::<Vec<_>>()), 1e-4)
///     .restarts(1);
/// let fitted = problem.fit()?;
/// assert!((fitted.parameter("k").unwrap() - 2.0).abs() < 0.1);
/// # Ok::<(), noether_infer::InferError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    /// Input coordinate names, in order.
    pub inputs: Vec<String>,
    /// Latent functions by name.
    pub latents: BTreeMap<String, Latent>,
    /// Unknown operator coefficients and their initial values.
    #[serde(default)]
    pub parameters: BTreeMap<String, Init>,
    /// Observation channels.
    pub channels: Vec<ChannelSpec>,
    /// Optimiser settings (every field optional; see `FitOptions` for the defaults).
    #[serde(default)]
    pub fit: FitOptions,
    /// The folder relative paths are taken from (the problem file's folder; not serialised).
    #[serde(skip)]
    pub base: PathBuf,
}

impl Problem {
    /// An empty problem over named inputs.
    pub fn new<S: AsRef<str>>(inputs: &[S]) -> Problem {
        Problem {
            inputs: inputs.iter().map(|s| s.as_ref().to_string()).collect(),
            latents: BTreeMap::new(),
            parameters: BTreeMap::new(),
            channels: Vec::new(),
            fit: FitOptions::default(),
            base: PathBuf::from("."),
        }
    }

    /// Add a latent function.
    pub fn latent(mut self, name: &str, latent: Latent) -> Problem {
        self.latents.insert(name.to_string(), latent);
        self
    }

    /// Add an unknown operator coefficient.
    pub fn parameter(mut self, name: &str, init: impl Into<Init>) -> Problem {
        self.parameters.insert(name.to_string(), init.into());
        self
    }

    /// Add an observation channel.
    pub fn channel(
        mut self,
        name: &str,
        operator: &str,
        data: Data,
        noise: impl Into<Init>,
    ) -> Problem {
        self.channels.push(ChannelSpec {
            name: name.into(),
            operator: operator.into(),
            data,
            noise: noise.into(),
        });
        self
    }

    /// Set the number of restarts.
    pub fn restarts(mut self, n: usize) -> Problem {
        self.fit.restarts = n;
        self
    }

    /// Set the seed of the restarts.
    pub fn seed(mut self, s: u64) -> Problem {
        self.fit.seed = s;
        self
    }
}
