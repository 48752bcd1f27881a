//! Posterior sampling of every free parameter (operator coefficients, kernel hyperparameters,
//! noise variances) with the No-U-Turn sampler of nuts-rs (the sampler behind nutpie; Hoffman &
//! Gelman 2014, with Stan's multinomial trajectories and a diagonal mass matrix adapted in
//! warm-up).
//!
//! The density is the inference layer's ([`Model::log_posterior_free`]): the log posterior over
//! the free coordinates of [`crate::space`], log-Jacobians included, with the exact gradient. A
//! point where it cannot be evaluated (a covariance that is not positive definite, a parameter
//! outside a prior's support) is a recoverable error: nuts-rs counts the trajectory as a
//! divergence and stays where it was. Chains start at the optimum (chain 0) and at seeded points
//! around it (the others, half a Laplace standard deviation away in each free coordinate), run in
//! parallel, and are seeded from the fit's seed and their number. The diagnostics are
//! [`crate::diagnostics`]'s.

use crate::diagnostics;
use crate::factor::JitterPolicy;
use crate::model::Model;
use crate::space::Space;
use crate::LikelihoodError;
use nuts_rs::{Chain, CpuLogpFunc, CpuMath, DiagNutsSettings, HasDims, LogpError, Settings};
use std::collections::HashMap;

/// How a fit ends: at the optimum (with Laplace errors), or with posterior draws after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Maximise the objective; standard errors by the Laplace approximation (the default).
    #[default]
    Optimize,
    /// Then draw from the posterior of every free parameter with NUTS.
    Nuts,
}

/// Sampler settings: chains, warm-up iterations and draws per chain, the seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleOptions {
    /// Chains, run in parallel.
    pub chains: usize,
    /// Warm-up (tuning) iterations per chain: step size and mass matrix adaptation, discarded.
    pub warmup: u64,
    /// Draws kept per chain.
    pub draws: u64,
    /// The seed of the chains' generators and jittered starts.
    pub seed: u64,
    /// The largest tree depth: at most 2^depth leapfrog steps per draw.
    pub max_depth: u64,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            chains: 4,
            warmup: 500,
            draws: 500,
            seed: 0,
            max_depth: 10,
        }
    }
}

/// A parameter's posterior from the draws.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Posterior mean.
    pub mean: f64,
    /// Posterior standard deviation.
    pub sd: f64,
    /// The central 95 % interval: the 2.5 % and 97.5 % quantiles of the draws.
    pub interval95: [f64; 2],
    /// Rank-normalised split R-hat.
    pub rhat: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Tail effective sample size.
    pub ess_tail: f64,
}

/// The draws of every free parameter, with what the sampler did.
#[derive(Clone, Debug)]
pub struct Draws {
    /// The sampled parameters' names, in the order of each draw's values.
    pub names: Vec<String>,
    /// Their indices among the model's parameters.
    pub free: Vec<usize>,
    /// Natural values: chain → draw → parameter.
    pub chains: Vec<Vec<Vec<f64>>>,
    /// The Hamiltonian at each kept draw, by chain (for E-BFMI).
    pub energies: Vec<Vec<f64>>,
    /// Divergent transitions after warm-up, by chain.
    pub divergences: Vec<usize>,
    /// The step size each chain adapted to.
    pub step_sizes: Vec<f64>,
    /// Density-and-gradient evaluations over all chains, warm-up included.
    pub gradient_evaluations: u64,
    /// Wall time of the sampling.
    pub seconds: f64,
    /// Chains that stopped before their last draw, and why.
    pub cut_short: Vec<String>,
    /// The settings.
    pub options: SampleOptions,
}

/// The density nuts-rs samples: the log posterior over the free coordinates.
struct Density<'m> {
    model: &'m Model,
    space: Space,
    policy: JitterPolicy,
}

/// A point where the density cannot be evaluated: a divergence, not the end of the chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct NotEvaluable(String);

impl LogpError for NotEvaluable {
    fn is_recoverable(&self) -> bool {
        true
    }
}

impl HasDims for Density<'_> {
    fn dim_sizes(&self) -> HashMap<String, u64> {
        [(
            "unconstrained_parameter".to_string(),
            self.space.dim() as u64,
        )]
        .into_iter()
        .collect()
    }
}

impl CpuLogpFunc for Density<'_> {
    type LogpError = NotEvaluable;
    type ExpandedVector = Vec<f64>;
    type FlowParameters = ();

    fn dim(&self) -> usize {
        self.space.dim()
    }

    fn logp(&mut self, position: &[f64], grad: &mut [f64]) -> Result<f64, NotEvaluable> {
        if position.iter().any(|t| !t.is_finite()) {
            return Err(NotEvaluable("a coordinate is not finite".into()));
        }
        let (lp, g) = self
            .model
            .log_posterior_free(&self.space, position, &self.policy)
            .map_err(|e| NotEvaluable(e.to_string()))?;
        if !lp.is_finite() || g.iter().any(|v| !v.is_finite()) {
            return Err(NotEvaluable("the log posterior is not finite".into()));
        }
        grad.copy_from_slice(&g);
        Ok(lp)
    }

    fn expand_vector<R: nuts_rs::rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        position: &[f64],
    ) -> Result<Vec<f64>, nuts_rs::CpuMathError> {
        Ok(position.to_vec())
    }
}

impl SampleOptions {
    /// The most chains.
    pub const MAX_CHAINS: usize = 64;
    /// The most warm-up iterations or draws per chain.
    pub const MAX_PER_CHAIN: u64 = 1_000_000;
    /// The most iterations over all chains.
    pub const MAX_TOTAL: u64 = 10_000_000;

    /// Check the settings.
    ///
    /// # Errors
    /// [`LikelihoodError::BadValue`] naming the setting (`fit.chains`, `fit.draws`).
    pub fn validate(&self) -> Result<(), LikelihoodError> {
        let bad = |name: &str, v: f64, why: String| {
            Err(LikelihoodError::bad_value(format!("fit.{name}"), v, &why))
        };
        if self.chains == 0 || self.chains > Self::MAX_CHAINS {
            return bad(
                "chains",
                self.chains as f64,
                format!("must be from 1 to {}", Self::MAX_CHAINS),
            );
        }
        if self.draws < 4 || self.draws > Self::MAX_PER_CHAIN {
            return bad(
                "draws",
                self.draws as f64,
                format!(
                    "must be from 4 (the diagnostics split each chain) to {}",
                    Self::MAX_PER_CHAIN
                ),
            );
        }
        if self.warmup > Self::MAX_PER_CHAIN {
            return bad(
                "warmup",
                self.warmup as f64,
                format!("at most {}", Self::MAX_PER_CHAIN),
            );
        }
        let total = (self.warmup + self.draws) * self.chains as u64;
        if total > Self::MAX_TOTAL {
            return bad(
                "draws",
                self.draws as f64,
                format!(
                    "chains × (warmup + draws) = {total} iterations; at most {}",
                    Self::MAX_TOTAL
                ),
            );
        }
        if !(1..=15).contains(&self.max_depth) {
            return bad(
                "max_depth",
                self.max_depth as f64,
                "must be from 1 to 15".into(),
            );
        }
        Ok(())
    }
}

/// Draw from the posterior of `model`'s free parameters, starting at `at` (natural values, one
/// per parameter: the optimum), the other chains jittered by half of `spread` (standard
/// deviations in the free coordinates; 0.1 where absent).
///
/// # Errors
/// Bad settings; nothing free to sample; a density that cannot be evaluated at the optimum.
pub fn sample(
    model: &Model,
    at: &[f64],
    spread: Option<&[f64]>,
    opts: &SampleOptions,
    policy: &JitterPolicy,
) -> Result<Draws, LikelihoodError> {
    use nuts_rs::rand::SeedableRng as _;
    use rand::SeedableRng as _;
    use rand_distr::Distribution as _;
    opts.validate()?;
    let space = Space::new(model, at);
    let dim = space.dim();
    if dim == 0 {
        return Err(LikelihoodError::NotEvaluable {
            what: "posterior draws: every parameter is fixed, so there is nothing to sample".into(),
        });
    }
    // A parameter at its floor (a noise variance the data drive to it) has a free coordinate
    // near −708, where the log-Jacobian is −∞: start it at 1.5 × its floor.
    let mut t0 = space.to_free(at);
    for (k, t) in t0.iter_mut().enumerate() {
        if let crate::space::Transform::Log { floor } = space.transform(k) {
            if floor > 0.0 {
                *t = t.max((0.5 * floor).ln());
            }
        }
    }
    model
        .log_posterior_free(&space, &t0, policy)
        .map_err(|e| LikelihoodError::NotEvaluable {
            what: format!("the log posterior at the optimum, where sampling starts ({e})"),
        })?;
    let names: Vec<String> = space
        .free
        .iter()
        .map(|&i| model.params()[i].name.clone())
        .collect();
    let sd: Vec<f64> = (0..dim)
        .map(|k| {
            spread
                .and_then(|s| s.get(k).copied())
                .filter(|v| v.is_finite() && *v > 0.0)
                .unwrap_or(0.1)
                .min(1.0)
        })
        .collect();
    let settings = DiagNutsSettings {
        num_tune: opts.warmup,
        num_draws: opts.draws,
        maxdepth: opts.max_depth,
        num_chains: opts.chains,
        seed: opts.seed,
        ..DiagNutsSettings::default()
    };
    let started = std::time::Instant::now();
    let run_chain = |c: usize| -> ChainRun {
        let seed = opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (c as u64 + 1);
        let mut jitter_rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut rng = nuts_rs::rand::rngs::StdRng::seed_from_u64(seed.rotate_left(17));
        let density = Density {
            model,
            space: space.clone(),
            policy: *policy,
        };
        let mut out = ChainRun::default();
        let mut chain = match settings.new_chain(c as u64, CpuMath::new(density), &mut rng) {
            Ok(ch) => ch,
            Err(e) => {
                out.cut_short = Some(format!("chain {c} could not be built: {e}"));
                return out;
            }
        };
        // Chain 0 starts at the optimum; the others half a standard deviation around it, halved
        // again until the density can be evaluated there.
        let mut scale = if c == 0 { 0.0 } else { 0.5 };
        let mut placed = false;
        let mut why = String::new();
        for _ in 0..8 {
            let start: Vec<f64> = t0
                .iter()
                .zip(&sd)
                .map(|(t, s)| {
                    let z: f64 = rand_distr::StandardNormal.sample(&mut jitter_rng);
                    t + scale * s * z
                })
                .collect();
            match chain.set_position(&start) {
                Ok(()) => {
                    placed = true;
                    break;
                }
                Err(e) => why = e.to_string(),
            }
            scale *= 0.5;
        }
        if !placed {
            if let Err(e) = chain.set_position(&t0) {
                out.cut_short = Some(format!(
                    "chain {c} could not start at the optimum ({e}; jittered: {why})"
                ));
                return out;
            }
        }
        let total = opts.warmup + opts.draws;
        for i in 0..total {
            match chain.expanded_draw() {
                Ok((x, _, stats, progress)) => {
                    out.gradients += progress.num_gradients;
                    if !progress.tuning {
                        out.draws.push(space.to_natural(&x));
                        out.energies.push(stats.point.energy);
                        out.divergences += usize::from(progress.diverging);
                        out.step_size = progress.step_size;
                    }
                }
                Err(e) => {
                    out.cut_short = Some(format!(
                        "chain {c} stopped after {i} of {total} iterations: {e}"
                    ));
                    break;
                }
            }
        }
        out
    };
    // All chains at once (one thread each, on one-thread pools: crate::parallel).
    let runs: Vec<ChainRun> =
        crate::parallel::map((0..opts.chains).collect(), opts.chains, |_, c| run_chain(c))
            .into_iter()
            .enumerate()
            .map(|(c, r)| {
                r.unwrap_or_else(|| ChainRun {
                    cut_short: Some(format!("chain {c} failed")),
                    ..ChainRun::default()
                })
            })
            .collect();
    let free = space.free.clone();
    let keep = |v: Vec<f64>| -> Vec<f64> { free.iter().map(|&i| v[i]).collect() };
    let mut draws = Draws {
        names,
        free: free.clone(),
        chains: Vec::new(),
        energies: Vec::new(),
        divergences: Vec::new(),
        step_sizes: Vec::new(),
        gradient_evaluations: 0,
        seconds: started.elapsed().as_secs_f64(),
        cut_short: Vec::new(),
        options: *opts,
    };
    for r in runs {
        draws.gradient_evaluations += r.gradients;
        draws.chains.push(r.draws.into_iter().map(keep).collect());
        draws.energies.push(r.energies);
        draws.divergences.push(r.divergences);
        draws.step_sizes.push(r.step_size);
        draws.cut_short.extend(r.cut_short);
    }
    if draws.chains.iter().all(|c| c.len() < 4) {
        return Err(LikelihoodError::NotEvaluable {
            what: format!(
                "posterior draws: no chain kept 4 draws ({})",
                draws.cut_short.join("; ")
            ),
        });
    }
    Ok(draws)
}

/// What one chain produced.
#[derive(Default)]
struct ChainRun {
    draws: Vec<Vec<f64>>,
    energies: Vec<f64>,
    divergences: usize,
    step_size: f64,
    gradients: u64,
    cut_short: Option<String>,
}

/// The R-hat at or above which a parameter's chains count as not mixed (Vehtari et al. 2021).
pub const RHAT_WARN: f64 = 1.01;
/// The bulk or tail effective sample size below which a summary is not trusted.
pub const ESS_WARN: f64 = 400.0;
/// The E-BFMI below which a chain explores its energy levels too slowly (Betancourt 2016).
pub const EBFMI_WARN: f64 = 0.3;

impl Draws {
    /// The chains the diagnostics use: every chain cut to the shortest full one (chains with
    /// fewer than 4 draws left out).
    fn usable(&self) -> Vec<&Vec<Vec<f64>>> {
        let full: Vec<&Vec<Vec<f64>>> = self.chains.iter().filter(|c| c.len() >= 4).collect();
        full
    }

    /// One parameter's chains (by its position in `names`), cut to a common length.
    pub fn parameter(&self, k: usize) -> Vec<Vec<f64>> {
        let usable = self.usable();
        let n = usable.iter().map(|c| c.len()).min().unwrap_or(0);
        usable
            .iter()
            .map(|c| c[..n].iter().map(|d| d[k]).collect())
            .collect()
    }

    /// Every parameter's posterior summary and diagnostics, in the order of `names`.
    pub fn summaries(&self) -> Vec<Summary> {
        (0..self.names.len())
            .map(|k| {
                let chains = self.parameter(k);
                let mut all: Vec<f64> = chains.iter().flatten().copied().collect();
                all.sort_by(f64::total_cmp);
                let n = all.len() as f64;
                let mean = all.iter().sum::<f64>() / n;
                let var = all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
                Summary {
                    mean,
                    sd: var.sqrt(),
                    interval95: [
                        diagnostics::quantile(&all, 0.025),
                        diagnostics::quantile(&all, 0.975),
                    ],
                    rhat: diagnostics::rhat(&chains),
                    ess_bulk: diagnostics::ess_bulk(&chains),
                    ess_tail: diagnostics::ess_tail(&chains),
                }
            })
            .collect()
    }

    /// E-BFMI of each chain.
    pub fn ebfmi(&self) -> Vec<f64> {
        self.energies
            .iter()
            .map(|e| diagnostics::ebfmi(e))
            .collect()
    }

    /// Kept draws per second of wall time, over all chains.
    pub fn draws_per_second(&self) -> f64 {
        self.chains.iter().map(Vec::len).sum::<usize>() as f64 / self.seconds.max(1e-12)
    }

    /// A sentence for each thing the diagnostics flag, naming the parameter or chain and what to
    /// try.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, s) in self.names.iter().zip(self.summaries()) {
            if s.rhat.is_nan() || s.rhat >= RHAT_WARN {
                out.push(format!(
                    "{name}: R-hat {:.3} ≥ {RHAT_WARN}: the chains disagree; run more warm-up and draws, or give {name} a prior (or fix it) if the data cannot pin it down",
                    s.rhat
                ));
            }
            let ess = s.ess_bulk.min(s.ess_tail);
            if ess.is_nan() || ess < ESS_WARN {
                out.push(format!(
                    "{name}: effective sample size {:.0} (bulk {:.0}, tail {:.0}) < {ESS_WARN}: its mean and interval are uncertain; run more draws",
                    ess, s.ess_bulk, s.ess_tail
                ));
            }
        }
        let divergent: usize = self.divergences.iter().sum();
        if divergent > 0 {
            out.push(format!(
                "{divergent} divergent transition{} after warm-up (by chain: {}): the sampler could not follow the posterior's curvature; the draws may be biased. Try more warm-up, or priors that keep the hyperparameters away from where the covariance degenerates",
                if divergent == 1 { "" } else { "s" },
                self.divergences
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for (c, e) in self.ebfmi().iter().enumerate() {
            if e.is_nan() || *e < EBFMI_WARN {
                out.push(format!(
                    "chain {c}: E-BFMI {e:.2} < {EBFMI_WARN}: the chain moves slowly between energy levels (heavy tails); a reparametrisation or tighter priors help"
                ));
            }
        }
        out.extend(
            self.cut_short
                .iter()
                .map(|c| format!("{c}: its draws are cut short")),
        );
        out
    }

    /// Up to `count` draws spread evenly over all chains (thinned), as full natural vectors with
    /// the fixed parameters at `base`.
    pub fn thinned(&self, count: usize, base: &[f64]) -> Vec<Vec<f64>> {
        let all: Vec<&Vec<f64>> = self.chains.iter().flatten().collect();
        if all.is_empty() || count == 0 {
            return Vec::new();
        }
        let k = count.min(all.len());
        (0..k)
            .map(|j| {
                let d = all[j * all.len() / k];
                let mut v = base.to_vec();
                for (&i, x) in self.free.iter().zip(d) {
                    v[i] = *x;
                }
                v
            })
            .collect()
    }
}
