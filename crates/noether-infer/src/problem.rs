//! The problem description: the JSON file format and, being its serde form, the Rust builder.

use noether_likelihood::fit::FitOptions;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// An initial value: a number, or `{"value": v, "fixed": true}` (kept, not learned), or, for an
/// operator coefficient, `{"value": v, "positive": true}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
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

/// One documented form each: a number, or an object of options (never an array, which serde
/// would otherwise read as the object's fields in order: `[2.0, true]` as "fixed 2").
impl<'de> Deserialize<'de> for Init {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Init;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an initial value: a number or {\"value\": v, \"fixed\": bool, \"positive\": bool}")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Init, E> {
                Ok(Init::Value(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Init, E> {
                Ok(Init::Value(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Init, E> {
                Ok(Init::Value(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Init, A::Error> {
                InitSpec::deserialize(MapAccessDeserializer::new(m)).map(Init::Spec)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Lengthscales {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A list is one initial value per input; anything else is one shared initial value, in
        // the forms `Init` accepts.
        let v = serde_json::Value::deserialize(d)?;
        let r = if v.is_array() {
            serde_json::from_value(v).map(Lengthscales::PerInput)
        } else {
            serde_json::from_value(v).map(Lengthscales::Shared)
        };
        r.map_err(de::Error::custom)
    }
}

/// The object form of `data`: which fields are present decides the kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataObject {
    csv: Option<PathBuf>,
    y: Option<serde_json::Value>,
    x: Option<Vec<Vec<f64>>>,
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Data;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("data: a CSV path, {\"csv\": path, \"y\": column} or {\"x\": [[...]], \"y\": [...]}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Data, E> {
                if v.is_empty() {
                    return Err(E::custom("data: the CSV path is empty"));
                }
                Ok(Data::Csv(PathBuf::from(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Data, A::Error> {
                let o = DataObject::deserialize(MapAccessDeserializer::new(m))?;
                match (o.csv, o.x, o.y) {
                    (Some(csv), None, Some(serde_json::Value::String(y))) if !y.is_empty() => {
                        Ok(Data::Column { csv, y })
                    }
                    (Some(_), None, _) => Err(de::Error::custom(
                        "data: with \"csv\", \"y\" names the column of observations (a non-empty string)",
                    )),
                    (None, Some(x), Some(y)) => {
                        let y: Vec<f64> = serde_json::from_value(y).map_err(|_| {
                            de::Error::custom("data: \"y\" must be a list of numbers, one per row of \"x\"")
                        })?;
                        Ok(Data::Inline { x, y })
                    }
                    (None, Some(_), None) => Err(de::Error::custom(
                        "data: inline data need \"y\", a list of numbers",
                    )),
                    (Some(_), Some(_), _) => Err(de::Error::custom(
                        "data: give either \"csv\" or \"x\", not both",
                    )),
                    (None, None, _) => Err(de::Error::custom(
                        "data: an object needs \"csv\" (a file) or \"x\" (inline points)",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}
