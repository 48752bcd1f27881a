//! Fitting a problem, the result JSON, predictions and the NLML report.

use crate::problem::{Data, Problem};
use crate::InferError;
use noether_likelihood::fit::{fit, Event, FitReport, Origin, StartReport};
use noether_likelihood::laplace::{laplace_from, Uncertainty};
use noether_likelihood::objective::ObjectiveKind;
use noether_likelihood::posterior::{JointPrediction, Prediction};
use noether_likelihood::sample::{Draws, Method, Summary};
use noether_likelihood::{Model, ParamKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A fitted value and its standard error (Laplace approximation; absent when the parameter was
/// fixed or the data cannot identify it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The value.
    pub value: f64,
    /// Its standard error, in the same units.
    pub std_error: Option<f64>,
    /// Kept at its value, not learned (so it has no standard error).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fixed: bool,
    /// The prior the fit used, where it is proper (given, or the documented default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<noether_likelihood::Prior>,
    /// With `fit.method: "nuts"`: the posterior from the draws (mean, sd, the central 95 %
    /// interval, R-hat, bulk and tail effective sample sizes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posterior: Option<Summary>,
}

/// One optimiser start, as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartSummary {
    /// 0, 1, 2, … in the order the starts ran.
    pub start: usize,
    /// Where its initial values came from.
    pub origin: Origin,
    /// NLML at the starting point.
    pub initial_nlml: Option<f64>,
    /// NLML at its best point.
    pub nlml: f64,
    /// The objective minimised at its best point (the NLML less the log prior, or the NLML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<f64>,
    /// Why its best point looks like a collapse, if it does (such a start never wins over a
    /// proper one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degenerate: Option<String>,
    /// Iterations.
    pub iterations: u64,
    /// NLML evaluations.
    pub evaluations: u64,
    /// Whether it converged.
    pub converged: bool,
    /// Why it stopped.
    pub termination: String,
    /// Gradient norm at its best point (free space).
    pub gradient_norm: f64,
}

impl From<&StartReport> for StartSummary {
    fn from(s: &StartReport) -> Self {
        StartSummary {
            start: s.start,
            origin: s.origin,
            initial_nlml: s.initial_nlml,
            nlml: s.nlml,
            objective: Some(s.objective),
            degenerate: s.degenerate.clone(),
            iterations: s.iterations,
            evaluations: s.evaluations,
            converged: s.converged,
            termination: s.termination.clone(),
            gradient_norm: s.gradient_norm,
        }
    }
}

/// The optimiser's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerReport {
    /// Every start.
    pub starts: Vec<StartSummary>,
    /// The start that gave the best NLML.
    pub best_start: usize,
    /// Where the winning start came from.
    pub best_origin: Origin,
    /// What the data-driven start estimated, or why there was none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_note: Option<String>,
    /// Evaluations over all starts.
    pub evaluations: u64,
    /// Whether the best start converged.
    pub converged: bool,
    /// Why the best start stopped.
    pub termination: String,
    /// Gradient norm at the optimum (free space).
    pub gradient_norm: f64,
}

/// What the inducing-point approximation did, in a result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApproximationReport {
    /// Inducing values (points × latents); 0 for a basis.
    #[serde(default)]
    pub inducing_values: usize,
    /// The Hilbert-space basis: functions per input and the box's factor per input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<(Vec<usize>, Vec<f64>)>,
    /// The bound's NLML at the optimum (the result's `nlml`).
    pub bound: f64,
    /// The exact NLML at the same values, where the data are small enough to compute it
    /// (at most 4,000 observations): the bound lies above it by what the approximation loses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_nlml: Option<f64>,
}

/// What the sampler did, in a result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplingReport {
    /// The sampler.
    pub sampler: String,
    /// Chains.
    pub chains: usize,
    /// Warm-up iterations per chain (discarded).
    pub warmup: u64,
    /// Draws requested per chain.
    pub draws: u64,
    /// Draws kept, by chain (fewer than requested when a chain was cut short).
    pub kept: Vec<usize>,
    /// Divergent transitions after warm-up, by chain.
    pub divergences: Vec<usize>,
    /// E-BFMI, by chain.
    pub ebfmi: Vec<f64>,
    /// The adapted step size, by chain.
    pub step_sizes: Vec<f64>,
    /// Density-and-gradient evaluations over all chains, warm-up included.
    pub gradient_evaluations: u64,
    /// Wall time of the sampling.
    pub seconds: f64,
    /// Kept draws per second.
    pub draws_per_second: f64,
    /// What the diagnostics flag (R-hat ≥ 1.01, ESS < 400, divergences, E-BFMI < 0.3, chains cut
    /// short), as sentences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The thinned draws that `predict` and `plot` mix ([`MIXTURE_DRAWS`] of them, spread evenly
    /// over the chains): parameter names (every parameter, the model's order) and one full vector
    /// of values per draw.
    pub mixture: Mixture,
}

/// Thinned posterior draws, as full parameter vectors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mixture {
    /// Every parameter's name, in the order of each vector.
    pub names: Vec<String>,
    /// One vector per draw.
    pub values: Vec<Vec<f64>>,
}

/// The number of thinned draws a sampled result keeps for predictions: the predictive mean and
/// variance are the mixture's, mean of the per-draw means and mean of the per-draw variances plus
/// the variance of the means, over this many draws.
pub const MIXTURE_DRAWS: usize = 100;

/// The most observations at which a fit with inducing points or a basis also reports the exact
/// NLML.
pub const EXACT_COMPARISON_MAX: usize = 4000;

/// The same where an operator has a fractional term: each of its covariances is a numerically
/// evaluated integral, about a hundred times the cost of another kernel's (2,000 observations
/// took 50 s to compare after a 2-s basis fit).
pub const EXACT_COMPARISON_MAX_FRACTIONAL: usize = 400;

/// The result of `noether fit`: its JSON form, and a saved model (`noether predict`, `noether
/// plot` and `noether fit` read it back).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitResult {
    /// The version of noether that wrote it.
    #[serde(default)]
    pub noether_version: String,
    /// The SHA-256 of every data file the fit read, by its path as written in `problem`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data_sha256: BTreeMap<String, String>,
    /// The NLML at the optimum.
    pub nlml: f64,
    /// Operator coefficients.
    pub parameters: BTreeMap<String, Estimate>,
    /// Kernel hyperparameters by latent (`variance`, `lengthscales.t` or `lengthscale`, `alpha`,
    /// `period`).
    pub kernels: BTreeMap<String, BTreeMap<String, Estimate>>,
    /// Noise variances by channel.
    pub noise: BTreeMap<String, Estimate>,
    /// The optimiser's report.
    pub optimizer: OptimizerReport,
    /// The relative diagonal jitter the factorisation needed at the optimum.
    pub jitter: f64,
    /// Parameters the data cannot identify (the Hessian is flat along them).
    pub unidentifiable: Vec<String>,
    /// Correlations between the estimated parameters (Laplace approximation), by name; only
    /// parameters with a standard error appear.
    #[serde(default)]
    pub correlations: BTreeMap<String, BTreeMap<String, f64>>,
    /// Pairs so strongly correlated (|ρ| > 0.95) that the data determine a combination of them
    /// rather than each one, as sentences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// With inducing points: how many, the bound and (for small data) the exact NLML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximation: Option<ApproximationReport>,
    /// With `fit.method: "nuts"`: the sampler's report and the thinned draws predictions mix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<SamplingReport>,
    /// The problem with the fitted values as initial values; data paths relative to the result
    /// file when it was saved with [`FitResult::save`] (absolute otherwise).
    pub problem: Problem,
}

impl FitResult {
    /// Read a result file written by `noether fit`.
    ///
    /// # Errors
    /// As [`Problem::from_file`].
    pub fn from_file(path: &Path) -> Result<FitResult, InferError> {
        let mut r: FitResult = crate::json::read_json(path, crate::json::RESULT_OBJECTS)?;
        r.problem.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        r.check_consistent(&path.display().to_string())?;
        Ok(r)
    }

    /// This result with its data paths written relative to `dir` (the folder the result will be
    /// saved in), so that the result can move together with its data.
    pub fn relative_to(&self, dir: &Path) -> FitResult {
        let mut r = self.clone();
        let base = r.problem.base.clone();
        let rel = |p: &Path| relative_path(&base.join(p), dir);
        for c in &mut r.problem.channels {
            match &mut c.data {
                Data::Csv(path)
                | Data::Column { csv: path, .. }
                | Data::Trajectory {
                    trajectory: path, ..
                } => *path = rel(path),
                Data::Inline { .. } => {}
            }
        }
        r.data_sha256 = self
            .data_sha256
            .iter()
            .map(|(p, h)| (rel(Path::new(p)).display().to_string(), h.clone()))
            .collect();
        r.problem.base = dir.to_path_buf();
        r
    }

    /// Write the result to `path` (whole or not at all), its data paths relative to the file.
    ///
    /// # Errors
    /// [`InferError::Io`] naming the file.
    pub fn save(&self, path: &Path) -> Result<(), InferError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        crate::write_atomic(path, self.relative_to(dir).to_json().as_bytes())
    }

    /// The result as pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("results serialise") + "\n"
    }

    /// One sentence for each data file that is missing or changed since the fit (its SHA-256
    /// differs from the one recorded), naming the file.
    pub fn data_changes(&self) -> Vec<String> {
        self.data_sha256
            .iter()
            .filter_map(|(p, h)| {
                let path = self.problem.base.join(p);
                match sha256_file(&path) {
                    Ok(now) if &now == h => None,
                    Ok(_) => Some(format!(
                        "{} changed since the fit (its SHA-256 differs from the result's): the posterior conditions on the data as they are now, with hyperparameters fitted to the old",
                        path.display()
                    )),
                    Err(e) => Some(e.to_string()),
                }
            })
            .collect()
    }

    /// The fitted value of a parameter by its model name (`a`, `u.variance`, `noise.f`).
    fn value_of(&self, name: &str) -> Option<f64> {
        if let Some(e) = self.parameters.get(name) {
            return Some(e.value);
        }
        if let Some(c) = name.strip_prefix("noise.") {
            if let Some(e) = self.noise.get(c) {
                return Some(e.value);
            }
        }
        let (l, key) = name.split_once('.')?;
        self.kernels.get(l)?.get(key).map(|e| e.value)
    }

    /// A result holds its fitted values twice: in `parameters`, `kernels` and `noise`, and as the
    /// initial values of `problem`. Predictions come from `problem`; refuse a file whose copies
    /// disagree (an edit to one of them) rather than silently ignore the edit.
    fn check_consistent(&self, shown: &str) -> Result<(), InferError> {
        let missing = std::cell::RefCell::new(None);
        let rebuilt = self.problem.with_values(&|name: &str| {
            self.value_of(name).unwrap_or_else(|| {
                missing.borrow_mut().get_or_insert_with(|| name.to_string());
                f64::NAN
            })
        });
        if let Some(name) = missing.into_inner() {
            return Err(InferError::field(
                format!("{shown}: {name}"),
                "the problem has this parameter but the result lists no fitted value for it",
            ));
        }
        let a = serde_json::to_value(&rebuilt).expect("problems serialise");
        let b = serde_json::to_value(&self.problem).expect("problems serialise");
        if a != b {
            let at = first_difference(&a, &b, "problem");
            return Err(InferError::field(
                format!("{shown}: {at}"),
                "the fitted values in `parameters`, `kernels` or `noise` disagree with the problem's copy (was the file edited?); edit both, or fit again",
            ));
        }
        Ok(())
    }
}

/// A fitted problem: the model at its optimum, the optimiser's report and the uncertainty.
#[derive(Debug)]
pub struct Fitted {
    /// The problem with fitted values as its initial values and absolute paths.
    pub problem: Problem,
    /// The model at the fitted values.
    pub model: Model,
    /// The optimiser's report.
    pub report: FitReport,
    /// The Laplace approximation at the optimum.
    pub uncertainty: Uncertainty,
    /// The SHA-256 of every data file the fit read, by its absolute path.
    pub data_sha256: BTreeMap<PathBuf, String>,
    /// With inducing points: the report of the approximation.
    pub approximation: Option<ApproximationReport>,
    /// With `fit.method: "nuts"`: the posterior draws.
    pub draws: Option<Draws>,
}

impl Problem {
    /// Fit the problem: every free parameter by maximum marginal likelihood, then standard errors.
    ///
    /// # Errors
    /// Any problem, file or data error; a fit in which no start could be evaluated.
    pub fn fit(&self) -> Result<Fitted, InferError> {
        self.fit_with(&mut |_| {})
    }

    /// [`Problem::fit`], telling `progress` of every iteration and every finished start.
    ///
    /// # Errors
    /// As [`Problem::fit`].
    pub fn fit_with(&self, progress: &mut dyn FnMut(Event)) -> Result<Fitted, InferError> {
        self.fit_model(self.model()?, progress)
    }

    /// [`Problem::fit_with`] on a model already built (its basis's sums from shards, say).
    pub(crate) fn fit_model(
        &self,
        mut model: Model,
        progress: &mut dyn FnMut(Event),
    ) -> Result<Fitted, InferError> {
        let opts = self.fit.clone();
        let report = fit(&mut model, &opts, progress).map_err(InferError::model("fit"))?;
        let uncertainty = laplace_from(
            &model,
            &report.best.values,
            Some(&report.best.gradient),
            &opts.jitter,
            opts.objective,
        )
        .map_err(InferError::model("uncertainty"))?;
        let draws = match opts.method {
            Method::Optimize => None,
            Method::Nuts => {
                // Jitter the chains' starts by the Laplace standard deviations in the free space.
                let m = uncertainty.free.len();
                let spread: Vec<f64> = (0..m)
                    .map(|k| uncertainty.covariance[k * m + k].max(0.0).sqrt())
                    .collect();
                Some(
                    noether_likelihood::sample::sample(
                        &model,
                        &report.best.values,
                        Some(&spread),
                        &opts.sampling(),
                        &opts.jitter,
                    )
                    .map_err(InferError::model("posterior draws"))?,
                )
            }
        };
        let problem = self.with_fitted_values(&model);
        let data_sha256 = problem
            .data_files()
            .into_iter()
            .map(|p| Ok((p.clone(), sha256_file(&p)?)))
            .collect::<Result<_, InferError>>()?;
        // The exact NLML at the fitted values, where it is affordable, to show what the
        // approximation costs in fit.
        let exact_nlml = || {
            let fractional = model
                .channels()
                .iter()
                .any(|c| c.operator.terms.iter().any(|t| t.fractional.is_some()));
            let most = if fractional {
                EXACT_COMPARISON_MAX_FRACTIONAL
            } else {
                EXACT_COMPARISON_MAX
            };
            (model.num_observations() <= most)
                .then(|| {
                    model
                        .exact()
                        .nlml(&model.values(), false)
                        .ok()
                        .map(|e| e.nlml)
                })
                .flatten()
        };
        let approximation = model
            .approximation()
            .map(|ind| ApproximationReport {
                inducing_values: ind.size(&model),
                basis: None,
                bound: report.best.nlml,
                exact_nlml: exact_nlml(),
            })
            .or_else(|| {
                model.basis().map(|h| ApproximationReport {
                    inducing_values: 0,
                    basis: Some((h.per_input.clone(), h.boundary_factor.clone())),
                    bound: report.best.nlml,
                    exact_nlml: exact_nlml(),
                })
            });
        Ok(Fitted {
            problem,
            model,
            report,
            uncertainty,
            data_sha256,
            approximation,
            draws,
        })
    }

    /// [`Problem::fit`] ending with posterior draws of every free parameter by NUTS
    /// (`fit.method: "nuts"`; chains, warm-up and draws from `fit`).
    ///
    /// # Errors
    /// As [`Problem::fit`]; a density that cannot be evaluated at the optimum.
    pub fn sample(&self) -> Result<Fitted, InferError> {
        let mut p = self.clone();
        p.fit.method = Method::Nuts;
        p.fit()
    }

    /// This problem with the model's current values as its initial values, paths made absolute.
    fn with_fitted_values(&self, m: &Model) -> Problem {
        self.with_absolute_paths().with_values(&|name: &str| {
            m.params()[m
                .index_of(name)
                .expect("the model has every problem parameter")]
            .value
        })
    }

    /// This problem with its initial values taken from another fit of the same model (another
    /// data set, the exact likelihood on a subset): every parameter the fit has; the rest keep
    /// theirs.
    pub fn starting_from(&self, fitted: &Fitted) -> Problem {
        let mut p = self.clone();
        let inputs = p.inputs.clone();
        let take = |name: &str, init: &mut crate::Init| {
            if let Some(v) = fitted.parameter(name) {
                *init = init.with_value(v);
            }
        };
        for (n, l) in p.latents.iter_mut() {
            l.kernel
                .visit_mut(n, "", &inputs, &mut |name, init, _| take(&name, init));
        }
        for (n, i) in p.parameters.iter_mut() {
            take(n, i);
        }
        for c in p.channels.iter_mut() {
            take(&format!("noise.{}", c.name), &mut c.noise);
        }
        p
    }

    /// This problem with every initial value taken from `v` (by model name), options kept.
    pub(crate) fn with_values(&self, v: &dyn Fn(&str) -> f64) -> Problem {
        let mut p = self.clone();
        let inputs = p.inputs.clone();
        for (n, l) in p.latents.iter_mut() {
            l.kernel.visit_mut(n, "", &inputs, &mut |name, init, _| {
                *init = init.with_value(v(&name))
            });
        }
        for (n, i) in p.parameters.iter_mut() {
            *i = i.with_value(v(n));
        }
        for c in p.channels.iter_mut() {
            c.noise = c.noise.with_value(v(&format!("noise.{}", c.name)));
        }
        p
    }

    /// The posterior, at the problem's initial values (a fitted problem's fitted values), of a
    /// channel (by name) or of any operator of the latents, at `points` (row-major).
    ///
    /// # Errors
    /// Any problem or data error; an operator that does not parse.
    pub fn predict(&self, target: &str, points: &[f64]) -> Result<Prediction, InferError> {
        let model = self.model()?;
        predict_with(self, &model, &model.values(), target, points)
    }

    /// [`Fitted::predict_joint`] at the problem's initial values (a fitted problem's fitted
    /// values).
    ///
    /// # Errors
    /// As [`Problem::predict`].
    pub fn predict_joint(
        &self,
        targets: &[&str],
        points: &[f64],
    ) -> Result<(Vec<String>, JointPrediction), InferError> {
        let model = self.model()?;
        predict_joint_with(self, &model, &model.values(), targets, points)
    }
}

/// What a prediction request names, as (label, operator text) pairs: a channel (its operator),
/// a field latent (all its components, labelled `v[x]`, `v[y]`, …) or any operator.
///
/// # Errors
/// A field that does not expand.
pub(crate) fn targets(p: &Problem, target: &str) -> Result<Vec<(String, String)>, InferError> {
    if let Some(l) = p.latents.get(target) {
        if l.field.is_some_and(|k| !k.is_hamiltonian()) {
            let e = p.expansion()?;
            let comps = e.field(target).unwrap_or_default();
            return Ok(comps
                .iter()
                .map(|(s, op)| (format!("{target}[{s}]"), op.clone()))
                .collect());
        }
    }
    let op = p
        .channels
        .iter()
        .find(|c| c.name == target)
        .map_or(target, |c| c.operator.as_str());
    Ok(vec![(target.to_string(), p.expand(op)?)])
}

/// The joint posterior of several targets (channels, fields, operators) at `points`, with the
/// label of each predicted quantity.
fn predict_joint_with(
    p: &Problem,
    model: &Model,
    values: &[f64],
    targets: &[&str],
    points: &[f64],
) -> Result<(Vec<String>, JointPrediction), InferError> {
    let mut labels = Vec::new();
    let mut ops = Vec::new();
    for t in targets {
        for (label, op) in self::targets(p, t)? {
            labels.push(label);
            ops.push(op);
        }
    }
    let refs: Vec<&str> = ops.iter().map(String::as_str).collect();
    let mut post = model
        .posterior(values)
        .map_err(InferError::model("posterior"))?;
    let j = post
        .predict_joint(&refs, points)
        .map_err(InferError::model(format!(
            "predict `{}`",
            targets.join("`, `")
        )))?;
    Ok((labels, j))
}

fn predict_with(
    p: &Problem,
    model: &Model,
    values: &[f64],
    target: &str,
    points: &[f64],
) -> Result<Prediction, InferError> {
    let t = targets(p, target)?;
    if t.len() != 1 {
        return Err(InferError::Field {
            field: format!("predict `{target}`"),
            message: format!(
                "`{target}` is a vector field: predict its components ({}) one at a time, or together with predict_joint",
                t.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let mut post = model
        .posterior(values)
        .map_err(InferError::model("posterior"))?;
    post.predict(&t[0].1, points, false)
        .map_err(InferError::model(format!("predict `{target}`")))
}

impl Problem {
    /// The quantities a prediction target names, as (label, operator): a channel, an operator,
    /// or each component of a field latent (`v[x]`, `v[y]`).
    ///
    /// # Errors
    /// A field that does not expand; a component that does not exist.
    pub fn prediction_targets(&self, target: &str) -> Result<Vec<(String, String)>, InferError> {
        targets(self, target)
    }

    /// The marginal posterior (mean and variance, no cross covariance) of each quantity the
    /// targets name (a field latent names all its components), labelled as in
    /// [`Fitted::predict_joint`].
    ///
    /// # Errors
    /// As [`Problem::predict`].
    pub fn predict_each(
        &self,
        targets: &[&str],
        points: &[f64],
    ) -> Result<Vec<(String, Prediction)>, InferError> {
        let model = self.model()?;
        predict_each_with(self, &model, &model.values(), targets, points)
    }
}

fn predict_each_with(
    p: &Problem,
    model: &Model,
    values: &[f64],
    targets: &[&str],
    points: &[f64],
) -> Result<Vec<(String, Prediction)>, InferError> {
    let mut post = model
        .posterior(values)
        .map_err(InferError::model("posterior"))?;
    let mut out = Vec::new();
    for t in targets {
        for (label, op) in self::targets(p, t)? {
            let pr = post
                .predict(&op, points, false)
                .map_err(InferError::model(format!("predict `{label}`")))?;
            out.push((label, pr));
        }
    }
    Ok(out)
}

/// Running sums of a mixture of Gaussian predictions: Σ means, Σ (variances + means²).
#[derive(Default)]
struct Mixing {
    count: f64,
    mean: Vec<f64>,
    second: Vec<f64>,
}

impl Mixing {
    /// Add one draw's means and covariance (or variances: `cov` of the means' length).
    fn add(&mut self, mean: &[f64], cov: &[f64]) {
        let n = mean.len();
        let full = cov.len() == n * n && n > 1;
        if self.mean.is_empty() {
            self.mean = vec![0.0; n];
            self.second = vec![0.0; cov.len()];
        }
        self.count += 1.0;
        for (a, m) in self.mean.iter_mut().zip(mean) {
            *a += m;
        }
        if full {
            for i in 0..n {
                for j in 0..n {
                    self.second[i * n + j] += cov[i * n + j] + mean[i] * mean[j];
                }
            }
        } else {
            for i in 0..n {
                self.second[i] += cov[i] + mean[i] * mean[i];
            }
        }
    }

    /// The mixture's mean and covariance (or variances): E[μ] and E[Σ + μμᵀ] − E[μ]E[μ]ᵀ.
    fn finish(self) -> (Vec<f64>, Vec<f64>) {
        let n = self.mean.len();
        let c = self.count.max(1.0);
        let mean: Vec<f64> = self.mean.iter().map(|m| m / c).collect();
        let full = self.second.len() == n * n && n > 1;
        let second = if full {
            (0..n * n)
                .map(|k| self.second[k] / c - mean[k / n] * mean[k % n])
                .collect()
        } else {
            (0..n)
                .map(|i| (self.second[i] / c - mean[i] * mean[i]).max(0.0))
                .collect()
        };
        (mean, second)
    }
}

impl FitResult {
    /// The thinned posterior draws of a sampled result, as full parameter vectors in the order of
    /// `model`'s parameters; None for an optimised one.
    ///
    /// # Errors
    /// A draw that lacks one of the model's parameters (an edited file).
    fn mixture_for(&self, model: &Model) -> Result<Option<Vec<Vec<f64>>>, InferError> {
        let Some(s) = &self.sampling else {
            return Ok(None);
        };
        let mx = &s.mixture;
        let order: Vec<usize> = model
            .param_names()
            .iter()
            .map(|n| {
                mx.names.iter().position(|m| m == n).ok_or_else(|| {
                    InferError::field(
                        "sampling.mixture.names",
                        format!("the draws have no value of `{n}`, a parameter of the problem"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let draws: Vec<Vec<f64>> = mx
            .values
            .iter()
            .filter(|v| v.len() == mx.names.len())
            .map(|v| order.iter().map(|&i| v[i]).collect())
            .collect();
        Ok((!draws.is_empty()).then_some(draws))
    }

    /// The posterior of a channel or operator at `points`: at the fitted values, or, for a
    /// sampled result, the mixture over its thinned draws ([`MIXTURE_DRAWS`]).
    ///
    /// # Errors
    /// As [`Problem::predict`].
    pub fn predict(&self, target: &str, points: &[f64]) -> Result<Prediction, InferError> {
        let mut each = self.predict_each(&[target], points)?;
        if each.len() != 1 {
            // A field latent: the single-target call gives the clear message.
            return self.problem.predict(target, points);
        }
        Ok(each.remove(0).1)
    }

    /// [`Problem::predict_each`], mixed over the draws of a sampled result.
    ///
    /// # Errors
    /// As [`Problem::predict`].
    pub fn predict_each(
        &self,
        targets: &[&str],
        points: &[f64],
    ) -> Result<Vec<(String, Prediction)>, InferError> {
        let model = self.problem.model()?;
        let draws = self
            .mixture_for(&model)?
            .unwrap_or_else(|| vec![model.values()]);
        mixed_each(&self.problem, &model, &draws, targets, points)
    }

    /// [`Problem::predict_joint`], mixed over the draws of a sampled result: the mixture's mean
    /// and covariance.
    ///
    /// # Errors
    /// As [`Problem::predict`].
    pub fn predict_joint(
        &self,
        targets: &[&str],
        points: &[f64],
    ) -> Result<(Vec<String>, JointPrediction), InferError> {
        let model = self.problem.model()?;
        let draws = self
            .mixture_for(&model)?
            .unwrap_or_else(|| vec![model.values()]);
        mixed_joint(&self.problem, &model, &draws, targets, points)
    }
}

/// The marginal posteriors of `targets` mixed over parameter vectors `draws` (one vector: the
/// posterior at it).
fn mixed_each(
    p: &Problem,
    model: &Model,
    draws: &[Vec<f64>],
    targets: &[&str],
    points: &[f64],
) -> Result<Vec<(String, Prediction)>, InferError> {
    if let [v] = draws {
        return predict_each_with(p, model, v, targets, points);
    }
    let mut labels = Vec::new();
    let mut mix: Vec<Mixing> = Vec::new();
    let mut zero = Vec::new();
    for v in draws {
        let each = predict_each_with(p, model, v, targets, points)?;
        if mix.is_empty() {
            mix = each.iter().map(|_| Mixing::default()).collect();
            labels = each.iter().map(|e| e.0.clone()).collect();
            zero = each.iter().map(|e| e.1.zero).collect();
        }
        for (m, (_, pr)) in mix.iter_mut().zip(&each) {
            m.add(&pr.mean, &pr.variance);
        }
    }
    Ok(labels
        .into_iter()
        .zip(mix)
        .zip(zero)
        .map(|((l, m), zero)| {
            let (mean, variance) = m.finish();
            (
                l,
                Prediction {
                    mean,
                    variance,
                    covariance: None,
                    zero,
                },
            )
        })
        .collect())
}

/// The joint posterior of `targets` mixed over parameter vectors `draws`: the mixture's mean
/// and covariance.
fn mixed_joint(
    p: &Problem,
    model: &Model,
    draws: &[Vec<f64>],
    targets: &[&str],
    points: &[f64],
) -> Result<(Vec<String>, JointPrediction), InferError> {
    if let [v] = draws {
        return predict_joint_with(p, model, v, targets, points);
    }
    let mut mix = Mixing::default();
    let mut first: Option<(Vec<String>, JointPrediction)> = None;
    for v in draws {
        let (labels, j) = predict_joint_with(p, model, v, targets, points)?;
        mix.add(&j.mean, &j.covariance);
        first.get_or_insert((labels, j));
    }
    let (labels, mut j) = first.ok_or_else(|| InferError::field("sampling.mixture", "no draws"))?;
    let (mean, covariance) = mix.finish();
    j.mean = mean;
    j.covariance = covariance;
    Ok((labels, j))
}

impl Fitted {
    /// A fitted value by name (`a`, `u.variance`, `noise.f`).
    pub fn parameter(&self, name: &str) -> Option<f64> {
        self.model
            .index_of(name)
            .ok()
            .map(|i| self.model.params()[i].value)
    }

    /// The standard error of a fitted value by name.
    pub fn std_error(&self, name: &str) -> Option<f64> {
        self.model
            .index_of(name)
            .ok()
            .and_then(|i| self.uncertainty.std_errors[i])
    }

    /// The posterior of a channel (by name) or any operator of the latents at `points`.
    ///
    /// # Errors
    /// An operator that does not parse; points of the wrong dimension.
    pub fn predict(&self, target: &str, points: &[f64]) -> Result<Prediction, InferError> {
        if self.draws.is_none() {
            return predict_with(
                &self.problem,
                &self.model,
                &self.model.values(),
                target,
                points,
            );
        }
        let mut each = self.predict_each(&[target], points)?;
        if each.len() != 1 {
            return predict_with(
                &self.problem,
                &self.model,
                &self.model.values(),
                target,
                points,
            );
        }
        Ok(each.remove(0).1)
    }

    /// The parameter vectors predictions use: the fitted values, or [`MIXTURE_DRAWS`] thinned
    /// posterior draws of a sampled fit.
    fn prediction_draws(&self) -> Vec<Vec<f64>> {
        let v = self.model.values();
        match &self.draws {
            Some(d) => d.thinned(MIXTURE_DRAWS, &v),
            None => vec![v],
        }
    }

    /// The marginal posterior of each quantity the targets name (as [`Problem::predict_each`]);
    /// for a sampled fit, the mixture over its thinned draws.
    ///
    /// # Errors
    /// As [`Fitted::predict`].
    pub fn predict_each(
        &self,
        targets: &[&str],
        points: &[f64],
    ) -> Result<Vec<(String, Prediction)>, InferError> {
        mixed_each(
            &self.problem,
            &self.model,
            &self.prediction_draws(),
            targets,
            points,
        )
    }

    /// The joint posterior of several targets at `points`: each target a channel, an operator or
    /// a field latent (all its components), with the labels of the predicted quantities
    /// (`v[x]`, `v[y]`, `u_x`); means, the full cross covariance and [`JointPrediction::samples`].
    ///
    /// # Errors
    /// An operator that does not parse; points of the wrong dimension.
    pub fn predict_joint(
        &self,
        targets: &[&str],
        points: &[f64],
    ) -> Result<(Vec<String>, JointPrediction), InferError> {
        mixed_joint(
            &self.problem,
            &self.model,
            &self.prediction_draws(),
            targets,
            points,
        )
    }

    /// The Laplace covariance of the estimated parameters in natural units: their names and the
    /// matrix, row-major. Fixed and unidentifiable parameters are left out.
    pub fn covariance(&self) -> (Vec<String>, Vec<f64>) {
        let u = &self.uncertainty;
        let m = u.free.len();
        let params = self.model.params();
        let keep: Vec<usize> = (0..m)
            .filter(|&k| u.std_errors[u.free[k]].is_some())
            .collect();
        let jac: Vec<f64> = u
            .free
            .iter()
            .map(|&i| params[i].transform.jacobian(params[i].value))
            .collect();
        let names = keep
            .iter()
            .map(|&k| params[u.free[k]].name.clone())
            .collect();
        let mut cov = Vec::with_capacity(keep.len() * keep.len());
        for &a in &keep {
            for &b in &keep {
                cov.push(jac[a] * u.covariance[a * m + b] * jac[b]);
            }
        }
        (names, cov)
    }

    /// The correlation of two estimated parameters (None when either is fixed, unknown or not
    /// identifiable).
    pub fn correlation(&self, a: &str, b: &str) -> Option<f64> {
        let (names, cov) = self.covariance();
        let n = names.len();
        let i = names.iter().position(|x| x == a)?;
        let j = names.iter().position(|x| x == b)?;
        Some(cov[i * n + j] / (cov[i * n + i] * cov[j * n + j]).sqrt())
    }

    fn correlations(&self) -> BTreeMap<String, BTreeMap<String, f64>> {
        let (names, cov) = self.covariance();
        let n = names.len();
        names
            .iter()
            .enumerate()
            .map(|(i, a)| {
                // A correlation that cannot be computed (a zero variance) is left out.
                let row = names
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(j, b)| {
                        (
                            b.clone(),
                            cov[i * n + j] / (cov[i * n + i] * cov[j * n + j]).sqrt(),
                        )
                    })
                    .filter(|(_, r)| r.is_finite())
                    .collect();
                (a.clone(), row)
            })
            .collect()
    }

    /// A sentence for each pair with |ρ| > 0.95, naming the combination the data determine: the
    /// direction of least variance of the pair's 2 × 2 covariance, scaled so that the first
    /// parameter's weight is 1.
    fn correlation_notes(&self) -> Vec<String> {
        let (names, cov) = self.covariance();
        let n = names.len();
        let mut out = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                let (va, vb, c) = (cov[i * n + i], cov[j * n + j], cov[i * n + j]);
                let rho = c / (va * vb).sqrt();
                if rho.is_nan() || rho.abs() <= 0.95 {
                    continue;
                }
                // Smallest eigenvalue of [[va, c], [c, vb]] and its eigenvector (c, λ − va).
                let half = 0.5 * (va + vb);
                let lam = half - (0.25 * (va - vb).powi(2) + c * c).sqrt();
                let (w1, w2) = if c.abs() > 0.0 {
                    (c, lam - va)
                } else {
                    (1.0, 0.0)
                };
                let mut sentence = format!(
                    "{} and {} are strongly correlated (rho = {rho:.3}): the data determine a combination of them, not each one",
                    names[i], names[j]
                );
                if w1.abs() > 1e-12 * w2.abs() {
                    let k = w2 / w1;
                    let (vals_a, vals_b) = (self.parameter(&names[i]), self.parameter(&names[j]));
                    if let (Some(a), Some(b)) = (vals_a, vals_b) {
                        let se = lam.max(0.0).sqrt() * (1.0 + k * k).sqrt();
                        sentence += &format!(
                            "; best determined: {} {} {:.3}·{} = {:.4} ± {:.1e}",
                            names[i],
                            if k < 0.0 { "−" } else { "+" },
                            k.abs(),
                            names[j],
                            a + k * b,
                            se
                        );
                    }
                }
                out.push(sentence);
            }
        }
        out
    }

    /// The result in its JSON form.
    pub fn result(&self) -> FitResult {
        let m = &self.model;
        let mut parameters = BTreeMap::new();
        let mut kernels: BTreeMap<String, BTreeMap<String, Estimate>> = BTreeMap::new();
        let mut noise = BTreeMap::new();
        let summaries = self.draws.as_ref().map(Draws::summaries);
        for (i, p) in m.params().iter().enumerate() {
            let posterior = self
                .draws
                .as_ref()
                .zip(summaries.as_ref())
                .and_then(|(d, s)| d.free.iter().position(|&f| f == i).map(|k| s[k].clone()));
            let est = Estimate {
                posterior,
                value: p.value,
                std_error: self.uncertainty.std_errors[i],
                fixed: p.fixed,
                prior: (p.prior.is_proper()
                    && !p.fixed
                    && self.problem.fit.objective == ObjectiveKind::Posterior)
                    .then_some(p.prior),
            };
            match &p.kind {
                ParamKind::Coefficient => {
                    parameters.insert(p.name.clone(), est);
                }
                ParamKind::Kernel { latent } => {
                    let key = p
                        .name
                        .strip_prefix(&format!("{latent}."))
                        .unwrap_or(&p.name)
                        .to_string();
                    kernels.entry(latent.clone()).or_default().insert(key, est);
                }
                ParamKind::Noise { channel } => {
                    noise.insert(channel.clone(), est);
                }
            }
        }
        let r = &self.report;
        let floored: Vec<String> = m
            .zero_noise_at_floor(&m.values())
            .into_iter()
            .map(|i| m.params()[i].name.clone())
            .collect();
        FitResult {
            noether_version: env!("CARGO_PKG_VERSION").to_string(),
            data_sha256: self
                .data_sha256
                .iter()
                .map(|(p, h)| (p.display().to_string(), h.clone()))
                .collect(),
            nlml: r.best.nlml,
            parameters,
            kernels,
            noise,
            optimizer: OptimizerReport {
                starts: r.starts.iter().map(StartSummary::from).collect(),
                best_start: r.best.start,
                best_origin: r.best.origin,
                start_note: r.start_note.clone(),
                evaluations: r.evaluations,
                converged: r.best.converged,
                termination: r.best.termination.clone(),
                gradient_norm: r.best.gradient_norm,
            },
            jitter: r.best.jitter,
            approximation: self.approximation.clone(),
            sampling: self.draws.as_ref().map(|d| SamplingReport {
                sampler: "NUTS (nuts-rs 0.19: multinomial trajectories, diagonal mass matrix adapted in warm-up)".into(),
                chains: d.options.chains,
                warmup: d.options.warmup,
                draws: d.options.draws,
                kept: d.chains.iter().map(Vec::len).collect(),
                divergences: d.divergences.clone(),
                ebfmi: d.ebfmi(),
                step_sizes: d.step_sizes.clone(),
                gradient_evaluations: d.gradient_evaluations,
                seconds: d.seconds,
                draws_per_second: d.draws_per_second(),
                warnings: d.warnings(),
                mixture: Mixture {
                    names: m.param_names(),
                    values: d.thinned(MIXTURE_DRAWS, &m.values()),
                },
            }),
            unidentifiable: self
                .uncertainty
                .unidentifiable
                .iter()
                .filter(|n| !floored.contains(n))
                .cloned()
                .collect(),
            correlations: self.correlations(),
            notes: {
                let mut notes = self.correlation_notes();
                notes.extend(self.problem.condition_warnings());
                if let Some(h) = m.basis() {
                    let inputs = m.inputs();
                    for p in m.params() {
                        for (d, input) in inputs.iter().enumerate() {
                            let own = p.name.ends_with(&format!(".lengthscales.{input}"))
                                || p.name.ends_with(".lengthscale");
                            if let Some(why) = own.then(|| h.lengthscale_note(d, p.value)).flatten()
                            {
                                notes.push(format!(
                                    "{} = {} (in `{input}`) is {why}",
                                    p.name,
                                    noether_likelihood::format::number(p.value, 4)
                                ));
                            }
                        }
                    }
                }
                if m.constraint_rows().is_some() {
                    let names: Vec<String> = m
                        .channels()
                        .iter()
                        .filter(|c| c.is_constraint())
                        .map(|c| format!("`{}`", c.name))
                        .collect();
                    notes.push(format!(
                        "{} observe{} exact zeros: the fit is conditioned on {} (the objective is −log p(data | zeros), so a prior is not rewarded for making the law trivially true; \"fit\": {{\"zeros\": \"observe\"}} observes them instead)",
                        names.join(", "),
                        if names.len() == 1 { "s" } else { "" },
                        if names.len() == 1 { "it" } else { "them" }
                    ));
                }
                for c in m.channels() {
                    if let Some(rep) = c.replicates() {
                        notes.push(format!(
                            "channel `{}` ({}): {} observations at {} distinct points, merged into one mean each with noise variance / count (the likelihood is unchanged; the scatter about each mean informs noise.{})",
                            c.name, c.source, rep.original, rep.counts.len(), c.name
                        ));
                    }
                }
                if !floored.is_empty() {
                    notes.push(if floored.len() == 1 {
                        format!("{} sits at its floor (1e-6 × its channel's prior variance): the law's zeros are met to within it, as intended, so it has no standard error", floored[0])
                    } else {
                        format!("{} sit at their floors (1e-6 × their channels' prior variances): the laws' zeros are met to within them, as intended, so they have no standard errors", floored.join(", "))
                    });
                }
                if let Some(d) = &r.best.degenerate {
                    notes.push(format!("every start reached {d}: the fit is not trustworthy; give the kernel and noise priors (or fix a noise variance)"));
                }
                notes
            },
            problem: self.problem.clone(),
        }
    }
}

/// The SHA-256 of a file's bytes, in lower-case hexadecimal (as `sha256sum` prints it).
///
/// # Errors
/// [`InferError::Io`] naming the file.
pub fn sha256_file(path: &Path) -> Result<String, InferError> {
    use sha2::Digest as _;
    let bytes = std::fs::read(path).map_err(|e| InferError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// `path` written relative to `dir` (both made absolute and normalised lexically first); the
/// absolute path when they share no root.
pub fn relative_path(path: &Path, dir: &Path) -> PathBuf {
    use std::ffi::OsString;
    use std::path::Component;
    let norm = |p: &Path| -> Option<Vec<OsString>> {
        let p = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        };
        let mut out: Vec<OsString> = Vec::new();
        let mut rooted = 0;
        for c in std::path::absolute(p).ok()?.components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir => {
                    if out.len() > rooted {
                        out.pop();
                    }
                }
                Component::Normal(s) => out.push(s.to_os_string()),
                Component::RootDir | Component::Prefix(_) => {
                    out.push(c.as_os_str().to_os_string());
                    rooted = out.len();
                }
            }
        }
        Some(out)
    };
    let (Some(p), Some(d)) = (norm(path), norm(dir)) else {
        return path.to_path_buf();
    };
    let common = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return path.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

/// The NLML and its gradient at a problem's initial values.
#[derive(Clone, Debug, Serialize)]
pub struct NlmlReport {
    /// The NLML.
    pub nlml: f64,
    /// ∂NLML/∂p for each free parameter, natural units.
    pub gradient: BTreeMap<String, f64>,
    /// Mean wall time of one NLML + gradient evaluation.
    pub seconds_per_eval: f64,
}

impl Problem {
    /// The NLML and its gradient at the initial values, evaluated `repeat` times (at least once)
    /// for the mean time per evaluation.
    ///
    /// # Errors
    /// Any problem, file or data error.
    pub fn nlml(&self, repeat: usize) -> Result<NlmlReport, InferError> {
        let m = self.model()?;
        let v = m.values();
        let start = std::time::Instant::now();
        let mut e = m.nlml(&v, true).map_err(InferError::model("nlml"))?;
        for _ in 1..repeat.max(1) {
            e = m.nlml(&v, true).map_err(InferError::model("nlml"))?;
        }
        let seconds_per_eval = start.elapsed().as_secs_f64() / repeat.max(1) as f64;
        if !e.nlml.is_finite() {
            return Err(InferError::Model {
                context: "nlml".into(),
                source: noether_likelihood::LikelihoodError::NotEvaluable {
                    what: format!("the NLML at the initial values is {}", e.nlml),
                },
            });
        }
        if let Some((p, g)) = m
            .params()
            .iter()
            .zip(&e.gradient)
            .find(|(p, g)| !p.fixed && !g.is_finite())
        {
            return Err(InferError::Model {
                context: "nlml".into(),
                source: noether_likelihood::LikelihoodError::NotEvaluable {
                    what: format!(
                        "the gradient by `{}` (= {}) is {g} at the initial values",
                        p.name, p.value
                    ),
                },
            });
        }
        let gradient = m
            .params()
            .iter()
            .zip(&e.gradient)
            .filter(|(p, _)| !p.fixed)
            .map(|(p, g)| (p.name.clone(), *g))
            .collect();
        Ok(NlmlReport {
            nlml: e.nlml,
            gradient,
            seconds_per_eval,
        })
    }
}

/// The path of the first place two JSON values differ.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> String {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) if va != vb => return first_difference(va, vb, &format!("{at}.{k}")),
                    None => return format!("{at}.{k}"),
                    _ => {}
                }
            }
            at.to_string()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .position(|(p, q)| p != q)
            .map_or(at.to_string(), |i| {
                first_difference(&x[i], &y[i], &format!("{at}[{i}]"))
            }),
        _ => at.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::Mixing;

    #[test]
    fn a_mixture_has_the_mean_of_the_means_and_the_total_variance() {
        // Two equally weighted draws N(0, 1) and N(2, 3) at one point: mean 1, variance
        // (1 + 3)/2 + the variance of the means (1) = 3.
        let mut m = Mixing::default();
        m.add(&[0.0], &[1.0]);
        m.add(&[2.0], &[3.0]);
        let (mean, var) = m.finish();
        assert!((mean[0] - 1.0).abs() < 1e-15 && (var[0] - 3.0).abs() < 1e-14);
        // Joint, two points: the covariance of the means joins the mean covariance.
        let mut m = Mixing::default();
        m.add(&[0.0, 1.0], &[1.0, 0.5, 0.5, 1.0]);
        m.add(&[2.0, -1.0], &[1.0, 0.5, 0.5, 1.0]);
        let (mean, cov) = m.finish();
        assert_eq!(mean, vec![1.0, 0.0]);
        let want = [2.0, -0.5, -0.5, 2.0];
        for (c, w) in cov.iter().zip(want) {
            assert!((c - w).abs() < 1e-14, "{cov:?}");
        }
    }
}
