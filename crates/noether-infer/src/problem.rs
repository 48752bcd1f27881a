//! The problem description: the JSON file format and, being its serde form, the Rust builder.

use noether_likelihood::fit::FitOptions;
use noether_likelihood::Prior;
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
    /// Its prior (the default when absent: see `noether_likelihood::prior`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<Prior>,
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

    /// The prior given for it, if any.
    pub fn prior(&self) -> Option<Prior> {
        match self {
            Init::Spec(InitSpec { prior, .. }) => *prior,
            Init::Value(_) => None,
        }
    }

    /// The same value and options with a prior.
    pub fn with_prior(&self, prior: Prior) -> Init {
        let mut s = match self {
            Init::Value(v) => InitSpec {
                value: *v,
                fixed: false,
                positive: false,
                prior: None,
            },
            Init::Spec(s) => s.clone(),
        };
        s.prior = Some(prior);
        Init::Spec(s)
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
            prior: None,
        })
    }

    /// A value kept fixed.
    pub fn fixed_at(v: f64) -> Init {
        Init::Spec(InitSpec {
            value: v,
            fixed: true,
            positive: false,
            prior: None,
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

/// A base kernel's name in a problem file (`"se"`, `"matern52"` …): one of the kernel crate's
/// families ([`noether_kernels::family::registry`]), read and written as the family's key, so
/// that a family added there is a name here.
#[derive(Clone, Copy)]
pub struct KernelName(&'static dyn noether_kernels::BaseFamily);

impl KernelName {
    /// The squared exponential (`se`).
    pub const SE: KernelName = KernelName(&noether_kernels::family::se::SquaredExponential);
    /// The constant kernel (`constant`).
    pub const CONSTANT: KernelName = KernelName(&noether_kernels::family::constant::Constant);
    /// The linear kernel (`linear`).
    pub const LINEAR: KernelName = KernelName(&noether_kernels::family::linear::Linear);

    /// The family with problem-file name `key`.
    ///
    /// # Examples
    /// ```
    /// use noether_infer::KernelName;
    /// assert_eq!(KernelName::named("se"), Some(KernelName::SE));
    /// assert!(KernelName::named("gaussian").is_none());
    /// ```
    pub fn named(key: &str) -> Option<KernelName> {
        noether_kernels::family::lookup(key).map(KernelName)
    }

    /// Every name, in the registry's order.
    pub fn all() -> Vec<KernelName> {
        noether_kernels::family::registry()
            .iter()
            .map(|&f| KernelName(f))
            .collect()
    }

    /// The family it names, as the kernel crate declares it ([`noether_kernels::Family`]):
    /// its name, hyperparameters and what it supports, in one place.
    pub fn family(self) -> noether_kernels::Family {
        self.0.declares()
    }

    /// The name as written in a problem file.
    pub fn as_str(self) -> &'static str {
        self.family().key
    }

    /// The kernel family it names, with one lengthscale per input (`ard`) or one shared, and
    /// with its optional hyperparameters (the linear kernel's `offset`) when `optional`.
    pub fn spec(self, ard: bool, optional: bool) -> noether_kernels::KernelSpec {
        noether_kernels::KernelSpec::Base(noether_kernels::Base {
            family: self.0,
            ard,
            optional,
        })
    }

    /// Whether the kernel has lengthscales.
    pub fn has_lengthscales(self) -> bool {
        self.family().lengthscales
    }

    /// The kernel's own hyperparameters besides `variance` and `lengthscales` (name, role,
    /// whether required): the one table that validation, reading, writing, model building and
    /// result writing consult (all are positive), as the family declares it.
    pub fn own_parameters(self) -> &'static [noether_kernels::family::Hyper] {
        self.family().own
    }
}

impl PartialEq for KernelName {
    fn eq(&self, other: &KernelName) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for KernelName {}

impl std::fmt::Debug for KernelName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KernelName({})", self.as_str())
    }
}

impl Serialize for KernelName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for KernelName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<KernelName, D::Error> {
        let key = String::deserialize(d)?;
        KernelName::named(&key).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown kernel `{key}` (one of {})",
                noether_kernels::family::keys(|_| true)
            ))
        })
    }
}

/// A base kernel with its initial hyperparameters.
#[derive(Clone, Debug, PartialEq)]
pub struct BaseKernel {
    /// Which kernel.
    pub name: KernelName,
    /// Initial variance σ².
    pub variance: Init,
    /// Initial lengthscales (every kernel but `constant` and `linear`).
    pub lengthscales: Option<Lengthscales>,
    /// The kernel's own hyperparameters by name ([`KernelName::own_parameters`]): the rational
    /// quadratic's `alpha`, the periodic kernel's `period`, the linear kernel's `offset`.
    pub own: BTreeMap<String, Init>,
}

impl BaseKernel {
    /// One of the kernel's own hyperparameters.
    pub fn own(&self, key: &str) -> Option<&Init> {
        self.own.get(key)
    }
}

/// A latent's kernel: a base kernel, a sum or product of kernels (each with its own
/// hyperparameters), or the kernel and hyperparameters of another latent, shared.
#[derive(Clone, Debug, PartialEq)]
pub enum Kernel {
    /// A base kernel.
    Base(BaseKernel),
    /// k₁ + k₂ + …; the hyperparameters of term i are named `<latent>.i.…`.
    Sum(Vec<Kernel>),
    /// k₁ · k₂ · …; the hyperparameters of factor i are named `<latent>.i.…`.
    Product(Vec<Kernel>),
    /// The kernel of the named latent, with the same hyperparameters (learned once).
    SameAs(String),
}

impl Kernel {
    /// The longest initial lengthscale of input `k` among the kernel's terms, if it has one.
    pub fn initial_lengthscale(&self, k: usize) -> Option<f64> {
        match self {
            Kernel::Base(b) => match &b.lengthscales {
                Some(Lengthscales::PerInput(v)) => v.get(k).map(Init::value),
                Some(Lengthscales::Shared(i)) => Some(i.value()),
                None => None,
            },
            Kernel::Sum(parts) | Kernel::Product(parts) => parts
                .iter()
                .filter_map(|p| p.initial_lengthscale(k))
                .reduce(f64::max),
            Kernel::SameAs(_) => None,
        }
    }

    /// A base kernel with a variance and lengthscales (none for `constant` and `linear`).
    pub fn base(
        name: KernelName,
        variance: impl Into<Init>,
        lengthscales: Option<Lengthscales>,
    ) -> Kernel {
        Kernel::Base(BaseKernel {
            name,
            variance: variance.into(),
            lengthscales,
            own: BTreeMap::new(),
        })
    }

    /// This base kernel with one of its own hyperparameters (`alpha`, `period`, `offset`) set;
    /// a sum, product or shared kernel is returned unchanged.
    pub fn with(mut self, key: &str, init: impl Into<Init>) -> Kernel {
        if let Kernel::Base(b) = &mut self {
            b.own.insert(key.to_string(), init.into());
        }
        self
    }

    /// A squared exponential with one lengthscale per input.
    pub fn se(variance: f64, lengthscales: &[f64]) -> Kernel {
        Kernel::base(
            KernelName::SE,
            variance,
            Some(Lengthscales::PerInput(
                lengthscales.iter().map(|&l| l.into()).collect(),
            )),
        )
    }

    /// A constant kernel σ².
    pub fn constant(variance: f64) -> Kernel {
        Kernel::base(KernelName::CONSTANT, variance, None)
    }

    /// A linear kernel σ² x·x'.
    pub fn linear(variance: f64) -> Kernel {
        Kernel::base(KernelName::LINEAR, variance, None)
    }

    /// Visit every hyperparameter's initial value with its model name (`u.variance`,
    /// `u.0.lengthscales.x`) and its field in the problem file (`latents.u.variance`,
    /// `latents.u.kernel.sum[0].lengthscales[1]`): the one place validation, model building and
    /// result writing learn a kernel's hyperparameters from. `field` is the path of the object
    /// holding `kernel`.
    pub fn visit_mut(
        &mut self,
        name: &str,
        field: &str,
        inputs: &[String],
        f: &mut dyn FnMut(String, &mut Init, String),
    ) {
        let form = if matches!(self, Kernel::Sum(_)) {
            "sum"
        } else {
            "product"
        };
        match self {
            Kernel::Base(b) => {
                f(
                    format!("{name}.variance"),
                    &mut b.variance,
                    format!("{field}.variance"),
                );
                match &mut b.lengthscales {
                    Some(Lengthscales::Shared(i)) => f(
                        format!("{name}.lengthscale"),
                        i,
                        format!("{field}.lengthscales"),
                    ),
                    Some(Lengthscales::PerInput(v)) => {
                        for (k, (i, inp)) in v.iter_mut().zip(inputs).enumerate() {
                            f(
                                format!("{name}.lengthscales.{inp}"),
                                i,
                                format!("{field}.lengthscales[{k}]"),
                            );
                        }
                    }
                    None => {}
                }
                for (key, i) in b.own.iter_mut() {
                    f(format!("{name}.{key}"), i, format!("{field}.{key}"));
                }
            }
            Kernel::Sum(parts) | Kernel::Product(parts) => {
                for (k, part) in parts.iter_mut().enumerate() {
                    part.visit_mut(
                        &format!("{name}.{k}"),
                        &format!("{field}.kernel.{form}[{k}]"),
                        inputs,
                        f,
                    );
                }
            }
            Kernel::SameAs(_) => {}
        }
    }
}

/// A vector field built from potentials, so that it obeys a law exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// v = ∇φ: curl-free, from one scalar potential (any dimension).
    CurlFree,
    /// v_i = Σ_j ∂_j A_ij with A antisymmetric: divergence-free (the stream function in 2-D,
    /// the curl of a vector potential in 3-D).
    DivergenceFree,
    /// A Hamiltonian H(q, p) over canonical pairs: the flow `H[q]` = ∂H/∂p, `H[p]` = −∂H/∂q
    /// conserves H; the bare name is the energy H itself.
    Hamiltonian,
    /// A dissipative Hamiltonian (a port-Hamiltonian system without input): the flow (J − R)∇H
    /// with R diagonal, one learned non-negative damping rate γ per damped momentum (`damping`):
    /// `H[q]` = ∂H/∂p, `H[p]` = −∂H/∂q − γ_p ∂H/∂p, so that dH/dt = −Σ γ_p (∂H/∂p)² ≤ 0 along
    /// every sample.
    DissipativeHamiltonian,
}

impl FieldKind {
    /// A Hamiltonian field, conservative or dissipative (over canonical pairs, with an energy).
    pub fn is_hamiltonian(self) -> bool {
        matches!(
            self,
            FieldKind::Hamiltonian | FieldKind::DissipativeHamiltonian
        )
    }
}

/// A symmetry of a latent, built into its kernel so that every sample has it exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Symmetry {
    /// f(…, −x, …) = f(…, x, …).
    Even(String),
    /// f(…, −x, …) = −f(…, x, …).
    Odd(String),
    /// f is unchanged when two inputs are exchanged.
    Swap(String, String),
    /// f is unchanged by rotations in the plane of two inputs (the `se` kernel with one shared
    /// lengthscale only: its exact angular average).
    Rotation(String, String),
}

/// A latent function: its kernel and, for a vector field, the law it obeys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawKernel", into = "RawKernel")]
pub struct Latent {
    /// The kernel (of the potentials, for a field).
    pub kernel: Kernel,
    /// For a vector-valued latent: the constraint its components obey.
    pub field: Option<FieldKind>,
    /// For a field: the inputs it is a field over (default: all).
    pub inputs: Option<Vec<String>>,
    /// For a Hamiltonian field: the canonical pairs (q, p) of inputs.
    pub pairs: Option<Vec<(String, String)>>,
    /// For a dissipative Hamiltonian field: each damped momentum and the parameter that is its
    /// damping rate (`{"p": "gamma"}`).
    pub damping: BTreeMap<String, String>,
    /// Symmetries built into the kernel, applied in order.
    pub symmetry: Vec<Symmetry>,
    /// A known factor m(x) of the latent: u = m·g with g the GP, so that u vanishes exactly
    /// where m does (`x*(1-x)` for u = 0 at x = 0 and x = 1). On a field, of its potential.
    pub times: Option<String>,
    /// A known mean μ(x; φ), a formula of the inputs and the problem's parameters: u = μ + m·g.
    /// Every operator applied to u applies to μ symbolically. On a field, of its potential.
    pub mean: Option<String>,
    /// Boundary and initial conditions by input ([`crate::boundary`]).
    pub boundary: BTreeMap<String, crate::boundary::Boundary>,
}

impl Latent {
    /// A latent with the given base kernel, variance and lengthscales.
    pub fn new(
        kernel: KernelName,
        variance: impl Into<Init>,
        lengthscales: Lengthscales,
    ) -> Latent {
        Latent::with_kernel(Kernel::base(kernel, variance, Some(lengthscales)))
    }

    /// A latent with any kernel.
    pub fn with_kernel(kernel: Kernel) -> Latent {
        Latent {
            kernel,
            field: None,
            inputs: None,
            pairs: None,
            damping: BTreeMap::new(),
            symmetry: Vec::new(),
            times: None,
            mean: None,
            boundary: BTreeMap::new(),
        }
    }

    /// A squared-exponential latent with one lengthscale per input.
    pub fn se(variance: f64, lengthscales: &[f64]) -> Latent {
        Latent::with_kernel(Kernel::se(variance, lengthscales))
    }

    /// This latent as a vector field obeying `kind` over all inputs.
    pub fn field(mut self, kind: FieldKind) -> Latent {
        self.field = Some(kind);
        self
    }

    /// This latent times a known factor of the inputs (a boundary factor): u = m(x)·g.
    pub fn times(mut self, factor: &str) -> Latent {
        self.times = Some(factor.to_string());
        self
    }

    /// This latent with a known mean (a formula of the inputs and parameters): u = mean + m·g.
    pub fn mean(mut self, formula: &str) -> Latent {
        self.mean = Some(formula.to_string());
        self
    }

    /// This latent with the conditions of one input ([`crate::boundary::Boundary`]).
    pub fn boundary(mut self, input: &str, b: crate::boundary::Boundary) -> Latent {
        self.boundary.insert(input.to_string(), b);
        self
    }

    /// This latent with a symmetry built into its kernel.
    pub fn symmetric(mut self, s: Symmetry) -> Latent {
        self.symmetry.push(s);
        self
    }

    /// This latent as a dissipative Hamiltonian over canonical pairs (q, p) of inputs, each
    /// `(momentum, parameter)` of `damping` a damping rate (a parameter of the problem).
    pub fn dissipative(self, pairs: &[(&str, &str)], damping: &[(&str, &str)]) -> Latent {
        let mut l = self.hamiltonian(pairs);
        l.field = Some(FieldKind::DissipativeHamiltonian);
        l.damping = damping
            .iter()
            .map(|(p, g)| (p.to_string(), g.to_string()))
            .collect();
        l
    }

    /// This latent as a Hamiltonian over canonical pairs (q, p) of inputs.
    pub fn hamiltonian(mut self, pairs: &[(&str, &str)]) -> Latent {
        self.field = Some(FieldKind::Hamiltonian);
        self.pairs = Some(
            pairs
                .iter()
                .map(|(q, p)| (q.to_string(), p.to_string()))
                .collect(),
        );
        self
    }
}

/// The JSON form of a latent or of a term of a sum or product: an object with `kernel`, and for
/// a base kernel `variance`, `lengthscales` and the kernel's own hyperparameters; a latent may
/// add `field` and `inputs`.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
struct RawKernel(serde_json::Map<String, serde_json::Value>);

fn kernel_forms() -> String {
    format!(
        "kernels: {}; or {{\"sum\": [...]}}, {{\"product\": [...]}}, {{\"same_as\": latent}}",
        noether_kernels::family::keys(|_| true)
    )
}

fn kernel_from_raw(
    mut r: serde_json::Map<String, serde_json::Value>,
    at: &str,
) -> Result<Kernel, String> {
    // `at` is the path of the object holding `kernel` ("" for the latent itself, whose base
    // kernel's fields sit beside `kernel`).
    let path = |key: &str| {
        if at.is_empty() {
            key.to_string()
        } else {
            format!("{at}.{key}")
        }
    };
    let form = path("kernel");
    let at = if at.is_empty() { "kernel" } else { at };
    let take = |r: &mut serde_json::Map<String, serde_json::Value>, key: &str| r.remove(key);
    let init = |v: serde_json::Value, key: &str| -> Result<Init, String> {
        serde_json::from_value(v).map_err(|e| format!("{}: {e}", path(key)))
    };
    let Some(kind) = take(&mut r, "kernel") else {
        return Err(format!("{at}: `kernel` is required ({})", kernel_forms()));
    };
    match kind {
        serde_json::Value::String(ref s) => {
            let name: KernelName = serde_json::from_value(kind.clone())
                .map_err(|_| format!("{at}: unknown kernel `{s}` ({})", kernel_forms()))?;
            let variance = take(&mut r, "variance")
                .ok_or_else(|| format!("{at}: the {s} kernel needs an initial `variance`"))
                .and_then(|v| init(v, "variance"))?;
            let lengthscales = match (name.has_lengthscales(), take(&mut r, "lengthscales")) {
                (true, None) => {
                    return Err(format!("{at}: the {s} kernel needs initial `lengthscales`"))
                }
                (false, Some(_)) => {
                    return Err(format!("{at}: the {s} kernel has no lengthscales"))
                }
                (_, Some(v)) => Some(
                    serde_json::from_value(v)
                        .map_err(|e| format!("{}: {e}", path("lengthscales")))?,
                ),
                (false, None) => None,
            };
            let mut own = BTreeMap::new();
            for &noether_kernels::family::Hyper {
                name: key,
                required,
                ..
            } in name.own_parameters()
            {
                match take(&mut r, key) {
                    Some(v) => {
                        own.insert(key.to_string(), init(v, key)?);
                    }
                    None if required => {
                        return Err(format!("{at}: the {s} kernel needs an initial `{key}`"))
                    }
                    None => {}
                }
            }
            if let Some(key) = r.keys().next() {
                let owner = KernelName::all()
                    .into_iter()
                    .find(|k| k.own_parameters().iter().any(|p| p.name == key));
                return Err(match owner {
                    Some(k) => format!(
                        "{at}: the {s} kernel has no `{key}` (only {} has)",
                        k.as_str()
                    ),
                    None => format!("{at}: unknown field `{key}`"),
                });
            }
            Ok(Kernel::Base(BaseKernel {
                name,
                variance,
                lengthscales,
                own,
            }))
        }
        serde_json::Value::Object(o) if o.len() == 1 => {
            let (key, v) = o.into_iter().next().expect("one entry");
            if let Some(e) = r.keys().next() {
                return Err(format!(
                    "{at}: `{e}` belongs inside the kernel{}",
                    if key == "same_as" {
                        " it names"
                    } else {
                        "s of each term"
                    }
                ));
            }
            match key.as_str() {
                "sum" | "product" => {
                    let serde_json::Value::Array(terms) = v else {
                        return Err(format!("{form}.{key}: a list of kernels"));
                    };
                    if terms.is_empty() {
                        return Err(format!("{form}.{key}: a {key} with no terms"));
                    }
                    let parts = terms
                        .into_iter()
                        .enumerate()
                        .map(|(i, t)| {
                            let here = format!("{form}.{key}[{i}]");
                            let serde_json::Value::Object(t) = t else {
                                return Err(format!("{here}: a kernel object"));
                            };
                            if t.contains_key("field") || t.contains_key("inputs") {
                                return Err(format!(
                                    "{here}: `field` and `inputs` belong to the latent, not to a term"
                                ));
                            }
                            kernel_from_raw(t, &here)
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(if key == "sum" {
                        Kernel::Sum(parts)
                    } else {
                        Kernel::Product(parts)
                    })
                }
                "same_as" => match v {
                    serde_json::Value::String(n) if !n.is_empty() => Ok(Kernel::SameAs(n)),
                    _ => Err(format!("{form}.same_as: the name of another latent")),
                },
                _ => Err(format!(
                    "{at}: `{key}` is not a kernel form ({})",
                    kernel_forms()
                )),
            }
        }
        _ => Err(format!("{at}: {}", kernel_forms())),
    }
}

fn kernel_to_raw(k: Kernel) -> serde_json::Map<String, serde_json::Value> {
    fn value<T: Serialize>(v: &T) -> serde_json::Value {
        serde_json::to_value(v).expect("initial values serialise")
    }
    let mut m = serde_json::Map::new();
    match k {
        Kernel::Base(b) => {
            m.insert("kernel".into(), b.name.as_str().into());
            m.insert("variance".into(), value(&b.variance));
            if let Some(l) = &b.lengthscales {
                m.insert("lengthscales".into(), value(l));
            }
            for (key, i) in &b.own {
                m.insert(key.clone(), value(i));
            }
        }
        Kernel::Sum(p) => {
            let terms: Vec<serde_json::Value> = p
                .into_iter()
                .map(|k| serde_json::Value::Object(kernel_to_raw(k)))
                .collect();
            m.insert("kernel".into(), serde_json::json!({ "sum": terms }));
        }
        Kernel::Product(p) => {
            let terms: Vec<serde_json::Value> = p
                .into_iter()
                .map(|k| serde_json::Value::Object(kernel_to_raw(k)))
                .collect();
            m.insert("kernel".into(), serde_json::json!({ "product": terms }));
        }
        Kernel::SameAs(n) => {
            m.insert("kernel".into(), serde_json::json!({ "same_as": n }));
        }
    }
    m
}

const SYMMETRY: &str =
    "symmetry: {\"even\": input}, {\"odd\": input}, {\"swap\": [input, input]}, or a list of them";

impl TryFrom<RawKernel> for Latent {
    type Error = String;
    fn try_from(RawKernel(mut r): RawKernel) -> Result<Latent, String> {
        let field: Option<FieldKind> = r
            .remove("field")
            .map(|v| {
                serde_json::from_value(v).map_err(|_| {
                    "field: \"curl_free\", \"divergence_free\", \"hamiltonian\" or \"dissipative_hamiltonian\"".to_string()
                })
            })
            .transpose()?;
        let inputs: Option<Vec<String>> = r
            .remove("inputs")
            .map(|v| serde_json::from_value(v).map_err(|e| format!("inputs: {e}")))
            .transpose()?;
        let pairs: Option<Vec<(String, String)>> = r
            .remove("pairs")
            .map(|v| {
                serde_json::from_value(v)
                    .map_err(|_| "pairs: a list of [q, p] pairs of input names".to_string())
            })
            .transpose()?;
        let damping: BTreeMap<String, String> = match r.remove("damping") {
            None => BTreeMap::new(),
            Some(v) => serde_json::from_value(v).map_err(|_| {
                "damping: each damped momentum and the parameter that is its rate, {\"p\": \"gamma\"}".to_string()
            })?,
        };
        let times: Option<String> = match r.remove("times") {
            None => None,
            Some(serde_json::Value::String(t)) if !t.trim().is_empty() => Some(t),
            Some(_) => {
                return Err("times: a formula of the inputs (\"x*(1-x)\")".into());
            }
        };
        let mean: Option<String> = match r.remove("mean") {
            None => None,
            Some(serde_json::Value::String(t)) if !t.trim().is_empty() => Some(t),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                return Err(
                    "mean: a formula of the inputs and parameters (\"1 + M*x\", or a number)"
                        .into(),
                );
            }
        };
        let boundary: BTreeMap<String, crate::boundary::Boundary> = match r.remove("boundary") {
            None => BTreeMap::new(),
            Some(v) => serde_json::from_value(v).map_err(|e| {
                format!("boundary: by input, {{\"at\": [lower, upper], \"conditions\": [..]}} or {{\"period\": P}} (conditions: dirichlet, neumann, cauchy, no_flux, null): {e}")
            })?,
        };
        let symmetry: Vec<Symmetry> = match r.remove("symmetry") {
            None => Vec::new(),
            Some(serde_json::Value::Array(v)) => v
                .into_iter()
                .map(serde_json::from_value)
                .collect::<Result<_, _>>()
                .map_err(|_| SYMMETRY.to_string())?,
            Some(v) => vec![serde_json::from_value(v).map_err(|_| SYMMETRY.to_string())?],
        };
        if inputs.is_some()
            && !matches!(field, Some(FieldKind::CurlFree | FieldKind::DivergenceFree))
        {
            return Err("`inputs` is for a curl_free or divergence_free field latent".into());
        }
        if pairs.is_some() != field.is_some_and(FieldKind::is_hamiltonian) {
            return Err(
                "a hamiltonian field needs `pairs` ([[\"q\", \"p\"]]), and only it has them".into(),
            );
        }
        if !damping.is_empty() && field != Some(FieldKind::DissipativeHamiltonian) {
            return Err(
                "`damping` is for a dissipative_hamiltonian field (\"field\": \"dissipative_hamiltonian\")".into(),
            );
        }
        // A base kernel's fields sit beside `kernel` in the latent; its path is the latent's.
        let kernel = kernel_from_raw(r, "")?;
        Ok(Latent {
            kernel,
            field,
            inputs,
            pairs,
            damping,
            symmetry,
            times,
            mean,
            boundary,
        })
    }
}

impl From<Latent> for RawKernel {
    fn from(l: Latent) -> RawKernel {
        let mut r = kernel_to_raw(l.kernel);
        if let Some(f) = l.field {
            r.insert("field".into(), serde_json::to_value(f).expect("serialises"));
        }
        if let Some(i) = l.inputs {
            r.insert("inputs".into(), i.into());
        }
        match l.symmetry.len() {
            0 => {}
            1 => {
                r.insert(
                    "symmetry".into(),
                    serde_json::to_value(&l.symmetry[0]).expect("symmetries serialise"),
                );
            }
            _ => {
                r.insert(
                    "symmetry".into(),
                    serde_json::to_value(&l.symmetry).expect("symmetries serialise"),
                );
            }
        }
        if let Some(t) = l.times {
            r.insert("times".into(), t.into());
        }
        if let Some(m) = l.mean {
            r.insert("mean".into(), m.into());
        }
        if !l.boundary.is_empty() {
            r.insert(
                "boundary".into(),
                serde_json::to_value(&l.boundary).expect("conditions serialise"),
            );
        }
        if let Some(p) = l.pairs {
            r.insert(
                "pairs".into(),
                serde_json::to_value(p).expect("pairs serialise"),
            );
        }
        if !l.damping.is_empty() {
            r.insert(
                "damping".into(),
                serde_json::to_value(l.damping).expect("damping serialises"),
            );
        }
        RawKernel(r)
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
    /// A recorded trajectory: a CSV with a time column and every input (the state), whose
    /// channel observes the rate of change of one state column. Each pair of consecutive rows
    /// gives one observation: the difference quotient (s₂ − s₁)/(t₂ − t₁) at the midpoint state
    /// (x₁ + x₂)/2, second-order accurate in the interval (its error Δt² s⃛/24). Intervals may be
    /// uneven (dropped frames). With state noise of sd σ, the quotient's noise has sd √2·σ/Δt, and
    /// consecutive quotients are correlated (−½); the midpoint state carries noise σ/√2, which the
    /// model does not see.
    Trajectory {
        /// The file.
        trajectory: PathBuf,
        /// The time column.
        time: String,
        /// The state column whose rate is observed (an input).
        rate_of: String,
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
    /// Inducing points instead of the exact likelihood, for large data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximation: Option<Approximation>,
    /// Law discovery: the channel whose operator `noether discover` searches for, and the library
    /// of candidate terms ([`crate::discover`]). `noether fit` ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discover: Option<crate::discover::Discover>,
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
            approximation: None,
            discover: None,
            base: PathBuf::from("."),
        }
    }

    /// Discover the law of a channel from a library of terms ([`crate::discover`]).
    pub fn discovering(mut self, d: crate::discover::Discover) -> Problem {
        self.discover = Some(d);
        self
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

    /// Fit with inducing points (the variational bound) instead of the exact likelihood.
    pub fn approximate(mut self, a: Approximation) -> Problem {
        self.approximation = Some(a);
        self
    }
}

/// Where inducing points go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// k-means centres of all observation points (seeded k-means++, Lloyd's iterations): they
    /// follow the data's density.
    #[default]
    Kmeans,
    /// A regular grid over the data's bounding box with at most M points (and at most one per
    /// observation): values are added to the input whose spacing is widest while the product
    /// stays within M, so a square box gets about M^(1/d) values per input.
    Grid,
}

/// One number for every input, or one each.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PerInput {
    /// The same for every input.
    One(f64),
    /// One per input, in input order.
    Each(Vec<f64>),
}

/// An approximation of the likelihood: variational inducing points (Titsias' collapsed bound,
/// `inducing` points on every latent), or the Hilbert-space basis (`basis` functions per latent;
/// [`noether_likelihood::hilbert`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approximation {
    /// Inducing points per latent (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inducing: usize,
    /// How they are placed.
    #[serde(default)]
    pub placement: Placement,
    /// Seed of the k-means start.
    #[serde(default)]
    pub seed: u64,
    /// Basis functions per latent, in all inputs together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<usize>,
    /// Basis functions per input (their product is the basis size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_input: Option<Vec<usize>>,
    /// The box's size relative to the data's half-range: one number or one per input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary_factor: Option<PerInput>,
}

impl<'de> Deserialize<'de> for PerInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let bad = || de::Error::custom("expected a number, or a list of numbers (one per input)");
        match v {
            serde_json::Value::Number(n) => n.as_f64().map(PerInput::One).ok_or_else(bad),
            serde_json::Value::Array(a) => a
                .iter()
                .map(serde_json::Value::as_f64)
                .collect::<Option<Vec<f64>>>()
                .map(PerInput::Each)
                .ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

impl Approximation {
    /// `m` inducing points by k-means, seed 0.
    pub fn kmeans(m: usize) -> Approximation {
        Approximation {
            inducing: m,
            placement: Placement::Kmeans,
            seed: 0,
            basis: None,
            per_input: None,
            boundary_factor: None,
        }
    }

    /// The Hilbert-space basis of `per_input[d]` functions in input d, on the box
    /// `boundary_factor` times the data's half-range (one number, or one per input).
    pub fn basis(per_input: &[usize], boundary_factor: PerInput) -> Approximation {
        Approximation {
            inducing: 0,
            placement: Placement::Kmeans,
            seed: 0,
            basis: per_input.iter().try_fold(1usize, |a, &b| a.checked_mul(b)),
            per_input: Some(per_input.to_vec()),
            boundary_factor: Some(boundary_factor),
        }
    }

    /// The inducing points for observation points `points` (row-major, `dim` each).
    pub fn place(&self, points: &[f64], dim: usize) -> Vec<f64> {
        match self.placement {
            Placement::Kmeans => {
                noether_likelihood::sparse::kmeans(points, dim, self.inducing, self.seed)
            }
            Placement::Grid => {
                let mut lo = vec![f64::INFINITY; dim];
                let mut hi = vec![f64::NEG_INFINITY; dim];
                for p in points.chunks(dim) {
                    for (i, v) in p.iter().enumerate() {
                        lo[i] = lo[i].min(*v);
                        hi[i] = hi[i].max(*v);
                    }
                }
                let counts = grid_counts(&lo, &hi, self.inducing.min(points.len() / dim.max(1)));
                let total: usize = counts.iter().product();
                let mut out = Vec::with_capacity(total * dim);
                for mut idx in 0..total {
                    let mut p = vec![0.0; dim];
                    for i in (0..dim).rev() {
                        let k = counts[i];
                        p[i] = if k == 1 {
                            0.5 * (lo[i] + hi[i])
                        } else {
                            lo[i] + (hi[i] - lo[i]) * (idx % k) as f64 / (k - 1) as f64
                        };
                        idx /= k;
                    }
                    out.extend(p);
                }
                out
            }
        }
    }
}

/// Basis functions per input for `m` in all: as [`grid_counts`], at least one per input.
pub(crate) fn basis_counts(lo: &[f64], hi: &[f64], m: usize) -> Vec<usize> {
    grid_counts(lo, hi, m.max(1))
}

/// Grid values per input for at most `m` points in all: one each to begin with, then one more
/// at a time to the input whose spacing is widest, while the product stays within `m` (an input
/// the data do not spread over keeps one value, its midpoint).
fn grid_counts(lo: &[f64], hi: &[f64], m: usize) -> Vec<usize> {
    let mut counts = vec![1usize; lo.len()];
    loop {
        let total: usize = counts.iter().product();
        let next = (0..lo.len())
            .filter(|&i| hi[i] > lo[i] && total / counts[i] * (counts[i] + 1) <= m)
            .max_by(|&a, &b| {
                let gap = |i: usize| (hi[i] - lo[i]) / counts[i] as f64;
                gap(a).total_cmp(&gap(b))
            });
        match next {
            Some(i) => counts[i] += 1,
            None => return counts,
        }
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
                f.write_str("an initial value: a number or {\"value\": v, \"fixed\": bool, \"positive\": bool, \"prior\": {...}}")
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
    trajectory: Option<PathBuf>,
    time: Option<String>,
    rate_of: Option<String>,
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Data;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("data: a CSV path, {\"csv\": path, \"y\": column}, {\"trajectory\": path, \"time\": column, \"rate_of\": input} or {\"x\": [[...]], \"y\": [...]}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Data, E> {
                if v.is_empty() {
                    return Err(E::custom("data: the CSV path is empty"));
                }
                Ok(Data::Csv(PathBuf::from(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Data, A::Error> {
                let o = DataObject::deserialize(MapAccessDeserializer::new(m))?;
                if let Some(trajectory) = o.trajectory {
                    return match (o.csv, o.x, o.y, o.time, o.rate_of) {
                        (None, None, None, Some(time), Some(rate_of))
                            if !time.is_empty() && !rate_of.is_empty() && trajectory != PathBuf::new() =>
                        {
                            Ok(Data::Trajectory {
                                trajectory,
                                time,
                                rate_of,
                            })
                        }
                        (None, None, None, _, _) => Err(de::Error::custom(
                            "data: a trajectory needs \"time\" (its time column) and \"rate_of\" (the state column whose rate the channel observes), both non-empty, and a non-empty path",
                        )),
                        _ => Err(de::Error::custom(
                            "data: give \"trajectory\" alone with \"time\" and \"rate_of\", not with \"csv\", \"x\" or \"y\"",
                        )),
                    };
                }
                if o.time.is_some() || o.rate_of.is_some() {
                    return Err(de::Error::custom(
                        "data: \"time\" and \"rate_of\" go with \"trajectory\" (a recorded trajectory's CSV)",
                    ));
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The problem file's kernel names and the kernel crate's families are one list: every name
    /// builds its family, in order, and is spelled as the family's key; the hyperparameters the
    /// reader asks for (variance,
    /// lengthscales, the family's own) are the ones the family's kernel has, no more and no
    /// fewer; and the problem-file reference's `kernel` row names every one.
    #[test]
    fn kernel_names_are_the_kernel_families() {
        use noether_kernels::expr::Graph;
        let families = noether_kernels::KernelSpec::families(true);
        assert_eq!(
            KernelName::all()
                .into_iter()
                .map(|n| n.spec(true, true))
                .collect::<Vec<_>>(),
            families
        );
        let docs = include_str!("../../../docs/problem_file.md");
        let row = docs
            .lines()
            .find(|l| l.starts_with("| `kernel` |"))
            .expect("the kernel row");
        for name in KernelName::all() {
            // The reader's spelling is the family's key.
            assert_eq!(
                serde_json::to_string(&name).unwrap(),
                format!("\"{}\"", name.as_str())
            );
            assert!(
                row.contains(&format!("`{}`", name.as_str())),
                "{}",
                name.as_str()
            );
            let mut g = Graph::new(&["x".to_string(), "y".to_string()]);
            name.spec(true, true).build(&mut g, "k");
            let mut built: Vec<String> = g
                .param_names()
                .iter()
                .map(|p| {
                    let p = p.trim_start_matches("k.");
                    p.split('.').next().unwrap_or(p).to_string()
                })
                .collect();
            built.dedup();
            let mut asked = vec!["variance".to_string()];
            if name.has_lengthscales() {
                asked.push("lengthscales".into());
            }
            asked.extend(name.own_parameters().iter().map(|p| p.name.to_string()));
            built.sort();
            asked.sort();
            assert_eq!(built, asked, "{}", name.as_str());
        }
    }

    #[test]
    fn grid_placement_never_exceeds_what_was_asked() {
        // A square: about √M a side.
        assert_eq!(grid_counts(&[0.0, 0.0], &[1.0, 1.0], 100), vec![10, 10]);
        assert_eq!(
            grid_counts(&[0.0, 0.0], &[1.0, 1.0], 3)
                .iter()
                .product::<usize>(),
            3
        );
        // A flat input keeps one value; a long box gets more along its length.
        assert_eq!(grid_counts(&[0.0, 5.0], &[1.0, 5.0], 7), vec![7, 1]);
        assert_eq!(grid_counts(&[0.0, 0.0], &[4.0, 1.0], 8), vec![4, 2]);
        for m in 1..60 {
            for d in 1..4 {
                let c = grid_counts(&vec![0.0; d], &vec![1.0; d], m);
                assert!(c.iter().product::<usize>() <= m, "{m} in {d}-D: {c:?}");
            }
        }
        // Never more than the observations: 5 points, 50 asked.
        let a = Approximation {
            inducing: 50,
            placement: Placement::Grid,
            ..Approximation::kmeans(50)
        };
        let pts = [0.0, 0.0, 1.0, 1.0, 0.5, 0.2, 0.3, 0.9, 0.1, 0.4];
        let z = a.place(&pts, 2);
        assert!(z.len() / 2 <= 5 && !z.is_empty(), "{}", z.len() / 2);
    }
}
