//! Maximum-likelihood fitting: L-BFGS (our driver over argmin's More–Thuente line search) in the free parameter space
//! ([`crate::space`]) from a data-driven start ([`crate::start`]), the user's initial values and
//! seeded restarts around them and across broad default ranges.

use crate::factor::JitterPolicy;
use crate::lbfgs::{self, Stop};
use crate::model::Model;
use crate::objective::ObjectiveKind;
use crate::space::Space;
use crate::LikelihoodError;
use std::cell::RefCell;

/// Where the first start comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartFrom {
    /// A start estimated from the data (the default): each latent's kernel fitted to the channels
    /// that observe it directly, then the coefficients that enter the operators linearly by
    /// least squares on the posterior means of the operators' terms. The user's initial values
    /// are the second start, and fill in what the data cannot estimate.
    #[default]
    Data,
    /// The user's initial values.
    Initial,
}

/// Settings of a fit. Defaults: a data-driven start, then 4 restarts (the user's initial values,
/// then alternately a perturbation of the data-driven start and a draw from broad default
/// ranges), seed 0, 500 iterations, stop when max |∂NLML/∂θ| ≤ 1e-5 or an iteration lowers the
/// NLML by at most 1e-9 relative, perturbations of standard deviation 1 in the free space,
/// L-BFGS memory 10, the default jitter policy; with `method: "nuts"`, 4 chains of 500 warm-up
/// iterations and 500 draws.
///
/// Its serde form is the `fit` object of a problem file: every field optional.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitOptions {
    /// Starts after the first, at most [`FitOptions::MAX_RESTARTS`].
    pub restarts: usize,
    /// Seed of the restarts.
    pub seed: u64,
    /// Where the first start comes from.
    pub start: StartFrom,
    /// Iteration limit per start, at most [`FitOptions::MAX_ITERS`].
    pub max_iters: u64,
    /// Stop when the largest |∂objective/∂θ| in the free space is at most this.
    pub tol_grad: f64,
    /// Stop when an iteration lowers the objective by at most `tol_cost · max(|objective|, 1)`.
    pub tol_cost: f64,
    /// Standard deviation of a restart's perturbation in the free space (scaled by max(1, |θ|)
    /// for coefficients), at most 100.
    pub perturbation: f64,
    /// L-BFGS memory: the number of curvature pairs kept, 1 to [`FitOptions::MAX_MEMORY`].
    pub memory: usize,
    /// Jitter policy of every factorisation.
    pub jitter: JitterPolicy,
    /// What is maximised: the posterior (the default) or the likelihood alone.
    pub objective: ObjectiveKind,
    /// Whether channels of exact zeros (a law without a source, a constraint) are conditioned
    /// on (the default) or observed ([`Model::constraint_rows`]).
    pub zeros: Zeros,
    /// How the fit ends: at the optimum (`"optimize"`, the default) or with posterior draws
    /// (`"nuts"`, [`crate::sample`]).
    pub method: crate::sample::Method,
    /// NUTS chains, run in parallel (default 4).
    pub chains: usize,
    /// NUTS warm-up iterations per chain (default 500).
    pub warmup: u64,
    /// NUTS draws kept per chain (default 500).
    pub draws: u64,
}

/// How a fit treats channels of exact zeros with no known mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Zeros {
    /// Condition on them: the objective is −log p(data | L u = 0) (the default).
    #[default]
    Condition,
    /// Observe them: −log p(data, 0), as for any channel.
    Observe,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            restarts: 4,
            seed: 0,
            start: StartFrom::Data,
            max_iters: 500,
            tol_grad: 1e-5,
            tol_cost: 1e-9,
            perturbation: 1.0,
            memory: 10,
            jitter: JitterPolicy::default(),
            objective: ObjectiveKind::Posterior,
            zeros: Zeros::Condition,
            method: crate::sample::Method::Optimize,
            chains: 4,
            warmup: 500,
            draws: 500,
        }
    }
}

impl FitOptions {
    /// The most restarts a fit may ask for: each is a whole optimisation.
    pub const MAX_RESTARTS: usize = 1000;
    /// The most iterations per start.
    pub const MAX_ITERS: u64 = 1_000_000;
    /// The largest L-BFGS memory: past a few dozen pairs nothing is gained.
    pub const MAX_MEMORY: usize = 1000;

    /// Check the settings before any numerics run.
    ///
    /// # Errors
    /// [`LikelihoodError::BadValue`] naming the setting (`fit.memory`, `fit.jitter.factor`).
    pub fn validate(&self) -> Result<(), LikelihoodError> {
        let bad = |name: &str, value: f64, reason: &str| {
            Err(LikelihoodError::bad_value(
                format!("fit.{name}"),
                value,
                reason,
            ))
        };
        if self.restarts > Self::MAX_RESTARTS {
            return bad(
                "restarts",
                self.restarts as f64,
                &format!("at most {} restarts", Self::MAX_RESTARTS),
            );
        }
        if self.max_iters == 0 || self.max_iters > Self::MAX_ITERS {
            return bad(
                "max_iters",
                self.max_iters as f64,
                &format!("must be from 1 to {}", Self::MAX_ITERS),
            );
        }
        if !(self.tol_grad >= 0.0 && self.tol_grad.is_finite()) {
            return bad("tol_grad", self.tol_grad, "must be a finite number ≥ 0");
        }
        if !(self.tol_cost >= 0.0 && self.tol_cost.is_finite()) {
            return bad("tol_cost", self.tol_cost, "must be a finite number ≥ 0");
        }
        if !(0.0..=100.0).contains(&self.perturbation) {
            return bad("perturbation", self.perturbation, "must be from 0 to 100");
        }
        if self.memory == 0 || self.memory > Self::MAX_MEMORY {
            return bad(
                "memory",
                self.memory as f64,
                &format!("L-BFGS needs a memory from 1 to {}", Self::MAX_MEMORY),
            );
        }
        self.jitter.validate()?;
        self.sampling().validate()
    }

    /// The sampler's settings: chains, warm-up, draws and the fit's seed.
    pub fn sampling(&self) -> crate::sample::SampleOptions {
        crate::sample::SampleOptions {
            chains: self.chains,
            warmup: self.warmup,
            draws: self.draws,
            seed: self.seed,
            ..crate::sample::SampleOptions::default()
        }
    }

    pub(crate) fn settings(&self) -> lbfgs::Settings {
        lbfgs::Settings {
            memory: self.memory,
            max_iters: self.max_iters,
            tol_grad: self.tol_grad,
            tol_cost: self.tol_cost,
            noisy: false,
        }
    }
}

/// Where a start's parameter values came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Estimated from the data.
    DataDriven,
    /// The user's initial values.
    Initial,
    /// A seeded perturbation of the first start.
    Perturbed,
    /// A seeded draw from broad default ranges (variances and lengthscales set by the data's
    /// spread, coefficients around the first start).
    Broad,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::DataDriven => "data-driven",
            Origin::Initial => "initial values",
            Origin::Perturbed => "perturbed",
            Origin::Broad => "broad",
        })
    }
}

/// The outcome of one start.
#[derive(Clone, Debug)]
pub struct StartReport {
    /// 0, 1, 2, … in the order the starts ran.
    pub start: usize,
    /// Where its initial values came from.
    pub origin: Origin,
    /// The NLML at the starting point (None when it could not be evaluated).
    pub initial_nlml: Option<f64>,
    /// The NLML at the best point.
    pub nlml: f64,
    /// The objective minimised ([`crate::objective`]: the NLML less the log prior, or the NLML
    /// alone) at the best point.
    pub objective: f64,
    /// Why the best point looks like a collapse ([`Model::degenerate`]), if it does.
    pub degenerate: Option<String>,
    /// All parameter values at the best point, natural units, in the model's order.
    pub values: Vec<f64>,
    /// The parameters' names (`a`, `u.variance`, `noise.f`), in the order of `values`.
    pub names: Vec<String>,
    /// L-BFGS iterations.
    pub iterations: u64,
    /// NLML-and-gradient evaluations.
    pub evaluations: u64,
    /// Why it stopped.
    pub termination: String,
    /// Whether it reached a minimum, as far as the tests can tell.
    pub converged: bool,
    /// The largest |∂NLML/∂θ| at the best point (free space).
    pub gradient_norm: f64,
    /// The relative jitter at the best point.
    pub jitter: f64,
    /// ∂objective/∂p at the best point, natural units, one entry per parameter (empty where
    /// the fit did not evaluate it): the Laplace step starts its differences from it.
    pub gradient: Vec<f64>,
}

impl StartReport {
    /// The value at the best point of a parameter by name.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.values[i])
    }

    /// (name, value) pairs at the best point, in the model's order.
    pub fn named_values(&self) -> impl Iterator<Item = (&str, f64)> {
        named(&self.names, &self.values)
    }
}

/// Parameter names paired with their values.
fn named<'a>(names: &'a [String], values: &'a [f64]) -> impl Iterator<Item = (&'a str, f64)> {
    names.iter().map(String::as_str).zip(values.iter().copied())
}

/// One iteration of one start, as the progress callback sees it.
#[derive(Clone, Debug)]
pub struct IterationReport<'a> {
    /// The start.
    pub start: usize,
    /// Its origin.
    pub origin: Origin,
    /// Iterations so far in this start.
    pub iteration: u64,
    /// The objective now (the NLML less the log prior, or the NLML alone).
    pub objective: f64,
    /// The lowest objective over all starts so far.
    pub best: f64,
    /// Evaluations so far in this start.
    pub evaluations: u64,
    /// The parameter names, in the model's order.
    pub names: &'a [String],
    /// The parameter values now, natural units.
    pub values: &'a [f64],
}

impl IterationReport<'_> {
    /// (name, value) pairs now, in the model's order.
    pub fn named_values(&self) -> impl Iterator<Item = (&str, f64)> {
        named(self.names, self.values)
    }
}

/// What a fit tells its progress callback.
#[derive(Clone, Debug)]
pub enum Event<'a> {
    /// The fit began estimating a start from the data (sub-fits of each latent's kernel, then
    /// gradient matching); `starts` is how many L-BFGS starts follow.
    Estimating {
        /// L-BFGS starts to come.
        starts: usize,
    },
    /// The starts are chosen and L-BFGS begins; `starts` is how many.
    Starting {
        /// L-BFGS starts to come.
        starts: usize,
    },
    /// A start finished an iteration.
    Iteration(IterationReport<'a>),
    /// A start finished.
    Start(&'a StartReport),
}

/// The outcome of a fit: the best start (its `values` are the fitted parameters) and all starts.
#[derive(Clone, Debug)]
pub struct FitReport {
    /// The start with the lowest NLML.
    pub best: StartReport,
    /// Every start's result, in order.
    pub starts: Vec<StartReport>,
    /// Evaluations over all starts.
    pub evaluations: u64,
    /// What the data-driven start did, or why there is none.
    pub start_note: Option<String>,
}

/// A start counts as converged when a Newton step from where it stopped would lower the NLML by
/// at most this much (in nats: a likelihood ratio within 1e-6).
pub const NEWTON_DECREASE: f64 = 1e-6;

/// The NLML over the free parameters of a model, counting evaluations (the optimiser remembers
/// the points it has evaluated).
struct ModelObjective<'m> {
    model: &'m Model,
    space: Space,
    policy: JitterPolicy,
    kind: ObjectiveKind,
    evals: RefCell<u64>,
    /// (natural values, NLML, jitter) of the first and the latest evaluations: the report's
    /// NLMLs at the start and at the end are read here rather than evaluated again (on 45,000
    /// observations with 1,000 inducing points each costs seconds).
    seen: RefCell<Vec<Seen>>,
}

/// One evaluation the fit made: natural values, NLML, jitter and the objective's gradient
/// (natural units).
type Seen = (Vec<f64>, f64, f64, Vec<f64>);

impl ModelObjective<'_> {
    /// The NLML and jitter at `values`, from an evaluation already made or a new one.
    fn nlml_at(&self, values: &[f64]) -> Option<(f64, f64)> {
        if let Some((_, nlml, jitter, _)) = self.recall(values) {
            return Some((nlml, jitter));
        }
        self.model
            .nlml_with(values, false, &self.policy)
            .ok()
            .map(|e| (e.nlml, e.jitter))
    }

    /// An evaluation already made at `values`, if any.
    fn recall(&self, values: &[f64]) -> Option<Seen> {
        // The start's values come back from the free space within rounding.
        let same = |v: &[f64]| {
            v.iter()
                .zip(values)
                .all(|(a, b)| (a - b).abs() <= 1e-14 * a.abs().max(b.abs()))
        };
        self.seen.borrow().iter().find(|(v, ..)| same(v)).cloned()
    }
}

impl lbfgs::Objective for ModelObjective<'_> {
    fn value_and_gradient(&self, theta: &[f64]) -> Option<(f64, Vec<f64>)> {
        *self.evals.borrow_mut() += 1;
        let nat = self.space.to_natural(theta);
        let scored = nat
            .iter()
            .all(|v| v.is_finite())
            .then(|| self.model.score(&nat, true, &self.policy, self.kind).ok())
            .flatten()
            .filter(|e| e.value.is_finite() && e.gradient.iter().all(|g| g.is_finite()))?;
        let mut seen = self.seen.borrow_mut();
        if seen.len() >= 4 {
            // Keep the first (the start) and the three latest.
            seen.remove(1);
        }
        seen.push((
            nat.clone(),
            scored.nlml,
            scored.jitter,
            scored.gradient.clone(),
        ));
        Some((
            scored.value,
            self.space.gradient_to_free(&nat, &scored.gradient),
        ))
    }
}

/// Fit every free parameter of `model` by maximising the marginal likelihood, and store the best
/// values in the model. `progress` hears of every iteration and every finished start.
///
/// # Errors
/// Invalid options; [`LikelihoodError::AllStartsFailed`] when no start could evaluate the NLML,
/// with the error at the user's initial values as its source.
pub fn fit(
    model: &mut Model,
    opts: &FitOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<FitReport, LikelihoodError> {
    opts.validate()?;
    model.set_condition_on_zeros(opts.zeros == Zeros::Condition);
    let base = model.values();
    let at_initial = model.nlml_with(&base, false, &opts.jitter).err();
    let (first, note) = match opts.start {
        StartFrom::Initial => ((Origin::Initial, base.clone()), None),
        // The data-driven start fits exact sub-models of every latent's direct data: not at the
        // sizes inducing points are for.
        StartFrom::Data if !model.solver().supports(crate::solver::Feature::DataStart) => (
            (Origin::Initial, base.clone()),
            Some(format!("no data-driven start with {} (it would fit exact sub-models); the first start is the initial values", model.solver().name())),
        ),
        StartFrom::Data => match estimate(model, &base, opts, progress) {
            Ok((v, note)) => ((Origin::DataDriven, v), Some(note)),
            Err(e) => (
                (Origin::Initial, base.clone()),
                Some(format!(
                    "no data-driven start ({e}); the first start is the initial values"
                )),
            ),
        },
    };
    if let (Some(e), Origin::Initial) = (&at_initial, first.0) {
        return Err(LikelihoodError::AllStartsFailed {
            source: Box::new(e.clone()),
        });
    }
    // Channels whose data are all zero get a noise floor and prior at the scale of their prior
    // variance at the first start.
    let zero_notes = model.scale_zero_channels(&first.1);
    let note = match (note, zero_notes.is_empty()) {
        (n, true) => n,
        (None, false) => Some(zero_notes.join("; ")),
        (Some(n), false) => Some(format!("{n}; {}", zero_notes.join("; "))),
    };
    let mut starts = vec![first.clone()];
    if first.0 == Origin::DataDriven && opts.restarts >= 1 {
        starts.push((Origin::Initial, base.clone()));
    }
    let extra = opts.restarts + 1 - starts.len().min(opts.restarts + 1);
    starts.extend(crate::start::restarts(model, &first.1, extra, opts));
    for (_, v) in &mut starts {
        model.lift_to_floors(v);
    }
    progress(Event::Starting {
        starts: starts.len(),
    });
    let reports = run_starts(model, opts, starts, progress);
    let best = pick_best(&reports);
    let Some(best) = best else {
        let source = at_initial.unwrap_or_else(|| LikelihoodError::NotEvaluable {
            what: format!("every start ({})", reports[0].termination),
        });
        return Err(LikelihoodError::AllStartsFailed {
            source: Box::new(source),
        });
    };
    model.set_values(&best.values);
    Ok(FitReport {
        evaluations: reports.iter().map(|s| s.evaluations).sum(),
        best,
        starts: reports,
        start_note: note,
    })
}

/// The data-driven start, announced to `progress` first (it can take as long as a start).
fn estimate(
    model: &Model,
    base: &[f64],
    opts: &FitOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<(Vec<f64>, String), LikelihoodError> {
    progress(Event::Estimating {
        starts: opts.restarts + 1,
    });
    crate::start::data_driven(model, base, opts)
}

/// Turn a run into a report: a stalled line search counts as converged when a Newton step from
/// its end would lower the NLML by at most [`NEWTON_DECREASE`] (a unit-free test, unlike |g|).
fn judge(
    model: &Model,
    space: &Space,
    opts: &FitOptions,
    start: usize,
    origin: Origin,
    run: Option<lbfgs::Run>,
    obj: &ModelObjective,
    x0: &[f64],
) -> StartReport {
    let names = model.param_names();
    let evaluations = *obj.evals.borrow();
    let Some(run) = run else {
        // Nothing free: the "fit" is the evaluation at the start.
        let at = model.score(x0, false, &opts.jitter, opts.objective).ok();
        return StartReport {
            start,
            origin,
            initial_nlml: at.as_ref().map(|e| e.nlml),
            nlml: at.as_ref().map_or(f64::INFINITY, |e| e.nlml),
            objective: at.as_ref().map_or(f64::INFINITY, |e| e.value),
            degenerate: model.degenerate(x0),
            values: x0.to_vec(),
            names,
            iterations: 0,
            evaluations: 1,
            termination: "nothing to fit: every parameter is fixed".into(),
            converged: at.is_some(),
            gradient_norm: 0.0,
            jitter: at.map_or(f64::NAN, |e| e.jitter),
            gradient: Vec::new(),
        };
    };
    let values = space.to_natural(&run.theta);
    let gnorm = run.gradient.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // What was minimised, as the messages name it.
    let what = match opts.objective {
        ObjectiveKind::Posterior => "objective",
        ObjectiveKind::Likelihood => "NLML",
    };
    let (termination, converged) = match &run.stop {
        Stop::Gradient => (
            format!(
                "converged (largest gradient component {gnorm:.1e} ≤ {:.0e})",
                opts.tol_grad
            ),
            true,
        ),
        Stop::Cost => (
            format!(
                "converged (an iteration lowered the {what} by at most {:.0e} relative)",
                opts.tol_cost
            ),
            true,
        ),
        Stop::Predicted(by) => (
            format!(
                "converged (the next quasi-Newton step would lower the {what} by {by:.1e}, at most {:.0e} relative)",
                opts.tol_cost
            ),
            true,
        ),
        Stop::MaxIters => (
            format!(
                "not converged: the iteration limit ({}) was reached",
                opts.max_iters
            ),
            false,
        ),
        Stop::NotEvaluable => (
            format!("not converged: the {what} cannot be evaluated at the start"),
            false,
        ),
        Stop::LineSearch(why) => {
            let decrease = 0.5
                * crate::laplace::curvature(model, &values, &opts.jitter, opts.objective)
                    .decrement(&run.gradient);
            if decrease <= NEWTON_DECREASE {
                (format!("converged (the line search stalled where a Newton step would lower the {what} by {decrease:.1e})"), true)
            } else {
                (format!("not converged: the line search failed ({why}), and a Newton step would still lower the {what} by {decrease:.1e}"), false)
            }
        }
    };
    let at = obj.nlml_at(&values);
    let jitter = at.map_or(f64::NAN, |e| e.1);
    let gradient = obj.recall(&values).map(|s| s.3).unwrap_or_default();
    StartReport {
        start,
        origin,
        initial_nlml: obj.nlml_at(x0).map(|e| e.0),
        nlml: at.map_or(f64::INFINITY, |e| e.0),
        objective: run.cost,
        degenerate: model.degenerate(&values),
        values,
        names,
        iterations: run.iterations,
        evaluations,
        termination,
        converged,
        gradient_norm: gnorm,
        jitter,
        gradient,
    }
}

/// Run L-BFGS from each start in turn.
pub(crate) fn run_starts(
    model: &Model,
    opts: &FitOptions,
    starts: Vec<(Origin, Vec<f64>)>,
    progress: &mut dyn FnMut(Event),
) -> Vec<StartReport> {
    let names = model.param_names();
    let settings = lbfgs::Settings {
        noisy: model.solver().noisy(),
        ..opts.settings()
    };
    let mut reports: Vec<StartReport> = Vec::new();
    for (s, (origin, x0)) in starts.into_iter().enumerate() {
        let space = Space::new(model, &x0);
        let obj = ModelObjective {
            model,
            space: space.clone(),
            policy: opts.jitter,
            kind: opts.objective,
            evals: RefCell::new(0),
            seen: RefCell::new(Vec::new()),
        };
        let best_before = reports
            .iter()
            .map(|r| r.objective)
            .fold(f64::INFINITY, f64::min);
        let theta0 = space.to_free(&x0);
        let mut on_iter = |it: u64, theta: &[f64], f: f64| {
            let values = space.to_natural(theta);
            progress(Event::Iteration(IterationReport {
                start: s,
                origin,
                iteration: it,
                objective: f,
                best: best_before.min(f),
                evaluations: *obj.evals.borrow(),
                names: &names,
                values: &values,
            }));
        };
        let run =
            (space.dim() > 0).then(|| lbfgs::minimise_with(&obj, theta0, &settings, &mut on_iter));
        let report = judge(model, &space, opts, s, origin, run, &obj, &x0);
        progress(Event::Start(&report));
        reports.push(report);
    }
    reports
}

/// The start with the lowest objective, a proper optimum before a degenerate one
/// ([`Model::degenerate`]); among starts that reach one optimum, one that converged.
pub(crate) fn pick_best(reports: &[StartReport]) -> Option<StartReport> {
    let proper = reports
        .iter()
        .any(|s| s.objective.is_finite() && s.degenerate.is_none());
    let eligible = |s: &StartReport| s.objective.is_finite() && (!proper || s.degenerate.is_none());
    let min = reports
        .iter()
        .filter(|s| eligible(s))
        .map(|s| s.objective)
        .fold(f64::INFINITY, f64::min);
    // Starts within 1e-6 (relative) of the lowest objective reach one optimum, as far as the
    // likelihood can tell (a ratio of likelihoods within 1e-4): prefer one that converged.
    let same = |s: &StartReport| eligible(s) && s.objective - min <= 1e-6 * (1.0 + min.abs());
    reports
        .iter()
        .filter(|s| same(s))
        .min_by(|a, b| {
            (!a.converged, a.objective)
                .partial_cmp(&(!b.converged, b.objective))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .cloned()
}
