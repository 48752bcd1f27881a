//! Maximum-likelihood fitting: L-BFGS with More–Thuente line search (argmin) in the transformed
//! space, from the user's initial values and from seeded random perturbations of them.

use crate::factor::JitterPolicy;
use crate::model::{Model, Transform};
use crate::LikelihoodError;
use argmin::core::{
    CostFunction, Error as ArgminError, Executor, Gradient, State, TerminationReason,
    TerminationStatus,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use std::cell::RefCell;

/// Settings of a fit. Defaults: 4 restarts after the initial values, seed 0, 500 iterations,
/// gradient tolerance 1e-6, cost tolerance 1e-12, perturbations of standard deviation 1 in the
/// free space (a factor of e for positive parameters), the default jitter policy.
///
/// Its serde form is the `fit` object of a problem file: every field optional.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitOptions {
    /// Starts after the first (which uses the initial values).
    pub restarts: usize,
    /// Seed of the perturbations.
    pub seed: u64,
    /// Iteration limit per start.
    pub max_iters: u64,
    /// L-BFGS gradient-norm tolerance (free space).
    pub tol_grad: f64,
    /// L-BFGS relative cost-change tolerance.
    pub tol_cost: f64,
    /// Standard deviation of a restart's perturbation in the free space (scaled by max(1, |θ|)
    /// for coefficients).
    pub perturbation: f64,
    /// L-BFGS memory.
    pub memory: usize,
    /// Jitter policy of every factorisation.
    pub jitter: JitterPolicy,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            restarts: 4,
            seed: 0,
            max_iters: 500,
            tol_grad: 1e-6,
            tol_cost: 1e-12,
            perturbation: 1.0,
            memory: 10,
            jitter: JitterPolicy::default(),
        }
    }
}

impl FitOptions {
    /// Check the settings before any numerics run.
    ///
    /// # Errors
    /// [`LikelihoodError::BadValue`] naming the setting.
    pub fn validate(&self) -> Result<(), LikelihoodError> {
        let bad = |name: &str, value: f64, reason: &str| {
            Err(LikelihoodError::BadValue {
                name: format!("fit.{name}"),
                value,
                reason: reason.into(),
            })
        };
        if self.max_iters == 0 {
            return bad("max_iters", 0.0, "at least one iteration is needed");
        }
        if !(self.tol_grad >= 0.0 && self.tol_grad.is_finite()) {
            return bad("tol_grad", self.tol_grad, "must be a finite number ≥ 0");
        }
        if !(self.tol_cost >= 0.0 && self.tol_cost.is_finite()) {
            return bad("tol_cost", self.tol_cost, "must be a finite number ≥ 0");
        }
        if !(self.perturbation >= 0.0 && self.perturbation.is_finite()) {
            return bad(
                "perturbation",
                self.perturbation,
                "must be a finite number ≥ 0",
            );
        }
        if self.memory == 0 {
            return bad("memory", 0.0, "L-BFGS needs a memory of at least 1");
        }
        Ok(())
    }
}

/// The outcome of one start.
#[derive(Clone, Debug)]
pub struct StartReport {
    /// 0 for the user's initial values, then 1, 2, … for perturbed starts.
    pub start: usize,
    /// The NLML at the starting point (None when it could not be evaluated).
    pub initial_nlml: Option<f64>,
    /// The best NLML reached.
    pub nlml: f64,
    /// All parameter values at the best point, natural units.
    pub values: Vec<f64>,
    /// L-BFGS iterations.
    pub iterations: u64,
    /// NLML-and-gradient evaluations.
    pub evaluations: u64,
    /// Why it stopped.
    pub termination: String,
    /// Whether the optimiser reported convergence.
    pub converged: bool,
    /// The gradient norm at the best point (free space).
    pub gradient_norm: f64,
    /// The relative jitter at the best point.
    pub jitter: f64,
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
}

/// A value returned for points where the NLML cannot be evaluated: large enough that the line
/// search backs off, finite so that it never sees a NaN.
const PENALTY: f64 = 1e100;

/// A start whose line search stalls counts as converged when a Newton step from there would lower
/// the NLML by at most this much (in nats: a likelihood ratio within 1e-6).
pub const NEWTON_DECREASE: f64 = 1e-6;

/// The last evaluation: θ, cost, gradient, jitter. argmin asks for cost and gradient
/// separately at the same point; one NLML evaluation serves both.
type Cached = (Vec<f64>, f64, Vec<f64>, f64);

struct Objective<'m> {
    model: &'m Model,
    free: Vec<usize>,
    base: Vec<f64>,
    policy: JitterPolicy,
    /// The last evaluation: θ, cost, gradient, jitter.
    cache: RefCell<Option<Cached>>,
    best: RefCell<Option<(Vec<f64>, f64)>>,
    evals: RefCell<u64>,
}

impl Objective<'_> {
    fn natural(&self, theta: &[f64]) -> Vec<f64> {
        let mut v = self.base.clone();
        for (k, &i) in self.free.iter().enumerate() {
            v[i] = self.model.params[i].transform.to_natural(theta[k]);
        }
        v
    }

    fn evaluate(&self, theta: &[f64]) -> (f64, Vec<f64>, f64) {
        if let Some((t, c, g, j)) = self.cache.borrow().as_ref() {
            if t.as_slice() == theta {
                return (*c, g.clone(), *j);
            }
        }
        *self.evals.borrow_mut() += 1;
        let nat = self.natural(theta);
        let out = if nat.iter().all(|v| v.is_finite()) {
            self.model.nlml_with(&nat, true, &self.policy).ok()
        } else {
            None
        };
        let (c, g, j) = match out {
            Some(e) if e.nlml.is_finite() && e.gradient.iter().all(|g| g.is_finite()) => {
                let g: Vec<f64> = self
                    .free
                    .iter()
                    .map(|&i| e.gradient[i] * self.model.params[i].transform.jacobian(nat[i]))
                    .collect();
                (e.nlml, g, e.jitter)
            }
            _ => (PENALTY, vec![0.0; theta.len()], f64::NAN),
        };
        *self.cache.borrow_mut() = Some((theta.to_vec(), c, g.clone(), j));
        if c < PENALTY && self.best.borrow().as_ref().is_none_or(|b| c < b.1) {
            *self.best.borrow_mut() = Some((theta.to_vec(), c));
        }
        (c, g, j)
    }
}

/// argmin owns its problem; this borrows ours, so that the cache and the best point outlive the run.
struct Problem<'a, 'm>(&'a Objective<'m>);

impl CostFunction for Problem<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, ArgminError> {
        Ok(self.0.evaluate(p).0)
    }
}

impl Gradient for Problem<'_, '_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        Ok(self.0.evaluate(p).1)
    }
}

fn reason_text(r: &TerminationReason) -> String {
    match r {
        TerminationReason::SolverConverged => "converged".into(),
        TerminationReason::MaxItersReached => "iteration limit reached".into(),
        other => other.text().to_string(),
    }
}

/// Run L-BFGS from `x0`. More–Thuente gives up when the quasi-Newton direction stops being a
/// descent direction, which near a nearly singular covariance happens long before a stationary
/// point; L-BFGS is then resumed from the best point with its memory cleared, as long as each
/// resumption still lowers the NLML (up to 20 times, within the iteration limit).
fn run_lbfgs(obj: &Objective, x0: Vec<f64>, opts: &FitOptions) -> (u64, String, bool) {
    let mut from = x0;
    let mut iterations = 0;
    let mut last = f64::INFINITY;
    for _resume in 0..20 {
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), opts.memory)
            .with_tolerance_grad(opts.tol_grad)
            .and_then(|s| s.with_tolerance_cost(opts.tol_cost))
            .expect("tolerances validated");
        let budget = opts.max_iters.saturating_sub(iterations).max(1);
        let run = Executor::new(Problem(obj), solver)
            .configure(|st| st.param(from.clone()).max_iters(budget))
            .run();
        let (iters, text, converged) = match run {
            Ok(res) => {
                let st = res.state();
                match st.get_termination_status() {
                    TerminationStatus::Terminated(r) => (
                        st.get_iter(),
                        reason_text(r),
                        *r == TerminationReason::SolverConverged,
                    ),
                    TerminationStatus::NotTerminated => {
                        (st.get_iter(), "not terminated".into(), false)
                    }
                }
            }
            Err(e) => (0, format!("stopped: {e}"), false),
        };
        iterations += iters;
        let best = obj.best.borrow().clone();
        let stalled = text.contains("descent direction");
        match best {
            Some((theta, c))
                if stalled && c < last - 1e-10 * (1.0 + c.abs()) && iterations < opts.max_iters =>
            {
                last = c;
                from = theta;
            }
            _ => return (iterations, text, converged),
        }
    }
    (iterations, "line search stalled 20 times".into(), false)
}

/// Fit every free parameter of `model` by maximising the marginal likelihood, and store the best
/// values in the model. `progress` is called once per finished start.
///
/// # Errors
/// Invalid options; [`LikelihoodError::AllStartsFailed`] when no start could even evaluate the
/// NLML (the first start's error is given).
pub fn fit(
    model: &mut Model,
    opts: &FitOptions,
    progress: &mut dyn FnMut(&StartReport),
) -> Result<FitReport, LikelihoodError> {
    opts.validate()?;
    let base = model.values();
    // The user's start must be evaluable: its error is the most useful message there is.
    if let Err(e) = model.nlml_with(&base, false, &opts.jitter) {
        return Err(LikelihoodError::AllStartsFailed {
            first: e.to_string(),
        });
    }
    let free: Vec<usize> = (0..model.params.len())
        .filter(|&i| !model.params[i].fixed)
        .collect();
    let theta0: Vec<f64> = free
        .iter()
        .map(|&i| model.params[i].transform.to_free(base[i]))
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    let normal = Normal::new(0.0, 1.0).expect("unit normal");
    let mut starts = Vec::new();
    for s in 0..=opts.restarts {
        let x0: Vec<f64> = if s == 0 {
            theta0.clone()
        } else {
            theta0
                .iter()
                .zip(&free)
                .map(|(&t, &i)| {
                    let scale = match model.params[i].transform {
                        Transform::Log => 1.0,
                        Transform::Identity => t.abs().max(1.0),
                    };
                    t + opts.perturbation * scale * normal.sample(&mut rng)
                })
                .collect()
        };
        let obj = Objective {
            model,
            free: free.clone(),
            base: base.clone(),
            policy: opts.jitter,
            cache: RefCell::new(None),
            best: RefCell::new(None),
            evals: RefCell::new(0),
        };
        let initial = obj.evaluate(&x0).0;
        let initial_nlml = (initial < PENALTY).then_some(initial);
        let (iterations, termination, converged) = if free.is_empty() || initial_nlml.is_none() {
            (
                0,
                if free.is_empty() {
                    "nothing to fit".to_string()
                } else {
                    "start not evaluable".to_string()
                },
                free.is_empty(),
            )
        } else {
            run_lbfgs(&obj, x0.clone(), opts)
        };
        let best = obj.best.borrow().clone();
        let report = match best {
            Some((theta, c)) => {
                let (_, g, jitter) = obj.evaluate(&theta);
                let gnorm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                // More–Thuente gives up when no descent is left in floating point; at a point whose
                // gradient is negligible beside the NLML itself that is a stationary point.
                let stalled = termination.contains("descent direction");
                // More–Thuente gives up when no descent is left in floating point. Whether that
                // is a minimum is for the curvature to say: converged when a Newton step would
                // lower the NLML by less than NEWTON_DECREASE (a unit-free test, unlike |g|).
                let decrease = if stalled && !converged {
                    let nat = obj.natural(&theta);
                    0.5 * crate::laplace::curvature(model, &nat, &opts.jitter).decrement(&g)
                } else {
                    f64::NAN
                };
                let converged = converged || decrease <= NEWTON_DECREASE;
                let termination = match (stalled, converged) {
                    (true, true) => format!(
                        "converged (the line search stalled where a Newton step would lower the NLML by {decrease:.1e})"
                    ),
                    (true, false) => format!(
                        "not converged: the line search found no descent direction, and a Newton step would still lower the NLML by {decrease:.1e}"
                    ),
                    _ => termination,
                };
                StartReport {
                    start: s,
                    initial_nlml,
                    nlml: c,
                    values: obj.natural(&theta),
                    iterations,
                    evaluations: *obj.evals.borrow(),
                    termination,
                    converged,
                    gradient_norm: gnorm,
                    jitter,
                }
            }
            None => StartReport {
                start: s,
                initial_nlml,
                nlml: f64::INFINITY,
                values: obj.natural(&x0),
                iterations,
                evaluations: *obj.evals.borrow(),
                termination,
                converged: false,
                gradient_norm: f64::NAN,
                jitter: f64::NAN,
            },
        };
        progress(&report);
        starts.push(report);
    }
    let min = starts
        .iter()
        .map(|s| s.nlml)
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    // Starts within 1e-6 (relative) of the lowest NLML reach one optimum, as far as the
    // likelihood can tell (a ratio of likelihoods within 1e-4): prefer one that converged.
    let same = |s: &StartReport| s.nlml.is_finite() && s.nlml - min <= 1e-6 * (1.0 + min.abs());
    let best = starts
        .iter()
        .filter(|s| same(s))
        .min_by(|a, b| {
            (!a.converged, a.nlml)
                .partial_cmp(&(!b.converged, b.nlml))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .cloned()
        .ok_or_else(|| LikelihoodError::AllStartsFailed {
            first: starts[0].termination.clone(),
        })?;
    model.set_values(&best.values);
    Ok(FitReport {
        evaluations: starts.iter().map(|s| s.evaluations).sum(),
        best,
        starts,
    })
}
