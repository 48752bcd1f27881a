//! Fitting a problem, the result JSON, predictions and the NLML report.

use crate::problem::{Lengthscales, Problem};
use crate::InferError;
use noether_likelihood::fit::{fit, Event, FitReport, Origin, StartReport};
use noether_likelihood::laplace::{laplace, Uncertainty};
use noether_likelihood::posterior::Prediction;
use noether_likelihood::{Model, ParamKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A fitted value and its standard error (Laplace approximation; absent when the parameter was
/// fixed or the data cannot identify it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The value.
    pub value: f64,
    /// Its standard error, in the same units.
    pub std_error: Option<f64>,
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
    /// Best NLML reached.
    pub nlml: f64,
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

/// The result of `noether fit`: its JSON form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitResult {
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
    /// The problem with the fitted values as initial values and absolute data paths.
    pub problem: Problem,
}

impl FitResult {
    /// Read a result file written by `noether fit`.
    ///
    /// # Errors
    /// As [`Problem::from_file`].
    pub fn from_file(path: &Path) -> Result<FitResult, InferError> {
        let mut r: FitResult = crate::build::read_json(path)?;
        r.problem.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(r)
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
        let mut model = self.model()?;
        let opts = self.fit.clone();
        let report = fit(&mut model, &opts, progress).map_err(InferError::model("fit"))?;
        let uncertainty = laplace(&model, &report.best.values, &opts.jitter)
            .map_err(InferError::model("uncertainty"))?;
        let problem = self.with_fitted_values(&model);
        Ok(Fitted {
            problem,
            model,
            report,
            uncertainty,
        })
    }

    /// This problem with the model's current values as its initial values, paths made absolute.
    fn with_fitted_values(&self, m: &Model) -> Problem {
        let mut p = self.with_absolute_paths();
        let v = |name: &str| {
            m.params()[m
                .index_of(name)
                .expect("the model has every problem parameter")]
            .value
        };
        let inputs = p.inputs.clone();
        for (n, l) in p.latents.iter_mut() {
            l.variance = l.variance.with_value(v(&format!("{n}.variance")));
            l.lengthscales = match &l.lengthscales {
                Lengthscales::Shared(i) => {
                    Lengthscales::Shared(i.with_value(v(&format!("{n}.lengthscale"))))
                }
                Lengthscales::PerInput(ls) => Lengthscales::PerInput(
                    ls.iter()
                        .zip(&inputs)
                        .map(|(i, inp)| i.with_value(v(&format!("{n}.lengthscales.{inp}"))))
                        .collect(),
                ),
            };
            l.alpha = l
                .alpha
                .as_ref()
                .map(|a| a.with_value(v(&format!("{n}.alpha"))));
            l.period = l
                .period
                .as_ref()
                .map(|a| a.with_value(v(&format!("{n}.period"))));
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
        predict_with(self, &model, target, points)
    }
}

fn predict_with(
    p: &Problem,
    model: &Model,
    target: &str,
    points: &[f64],
) -> Result<Prediction, InferError> {
    let op = p
        .channels
        .iter()
        .find(|c| c.name == target)
        .map_or(target, |c| c.operator.as_str());
    let mut post = model
        .posterior(&model.values())
        .map_err(InferError::model("posterior"))?;
    post.predict(op, points, false)
        .map_err(InferError::model(format!("predict `{target}`")))
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
        predict_with(&self.problem, &self.model, target, points)
    }

    /// The result in its JSON form.
    pub fn result(&self) -> FitResult {
        let m = &self.model;
        let mut parameters = BTreeMap::new();
        let mut kernels: BTreeMap<String, BTreeMap<String, Estimate>> = BTreeMap::new();
        let mut noise = BTreeMap::new();
        for (i, p) in m.params().iter().enumerate() {
            let est = Estimate {
                value: p.value,
                std_error: self.uncertainty.std_errors[i],
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
        FitResult {
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
            unidentifiable: self.uncertainty.unidentifiable.clone(),
            problem: self.problem.clone(),
        }
    }
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
