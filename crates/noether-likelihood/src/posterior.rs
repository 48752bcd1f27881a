//! The posterior of any operator of the latents, observed or not, at new points.
//!
//! With K the covariance of all observations and K* the cross-covariance between the target
//! L* g(x*) and the observations, the posterior is Gaussian with mean K*ᵀα and covariance
//! K** − K*ᵀ K⁻¹ K* (Rasmussen & Williams 2006, eqs. 2.25–2.26), for any linear operator L*.

use crate::factor::JitterPolicy;
use crate::model::{prior_block, prior_diagonal, Model};
use crate::nlml::Factored;
use crate::solver::{Conditioned, Feature, Solver};
use crate::LikelihoodError;
use faer::linalg::solvers::Solve;
use faer::Mat;
use noether_kernels::apply::covariance;
use noether_kernels::compile::Program;
use noether_kernels::expr::Graph;
use noether_kernels::operator::Operator;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// The posterior of a fitted model at fixed parameter values.
#[derive(Debug)]
pub struct Posterior<'m> {
    model: &'m Model,
    values: Vec<f64>,
    /// What the model's solver conditioned on ([`crate::solver`]).
    fact: Conditioned,
    graph: Graph,
}

/// A prediction at m points.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// Posterior mean.
    pub mean: Vec<f64>,
    /// Posterior variance (≥ 0).
    pub variance: Vec<f64>,
    /// The full posterior covariance, row-major m × m, when asked for.
    pub covariance: Option<Vec<f64>>,
    /// The operator is 0 on every latent (the divergence of a divergence-free field): mean and
    /// variance are exactly 0 by construction.
    pub zero: bool,
}

/// The posterior means of several operators as a function of one point, compiled once: what a
/// rollout evaluates at every step.
#[derive(Debug)]
pub struct MeanFunction {
    /// Per channel: the program (one output per target), its bound parameters, the channel's
    /// points and the slice of α that weights them.
    parts: Vec<(Program, noether_kernels::compile::Bound, Vec<f64>, Vec<f64>)>,
    workspaces: Vec<noether_kernels::compile::Workspace>,
    /// The targets' known means (their latent-free parts), one output per target.
    offsets: Option<(Program, noether_kernels::compile::Bound)>,
    targets: usize,
    dim: usize,
}

/// The known mean (latent-free part) of `op` at each point, if it has one.
pub(crate) fn offset_values(
    graph: &mut Graph,
    op: &Operator,
    gp: &[f64],
    points: &[f64],
    dim: usize,
) -> Option<Vec<f64>> {
    let e = op.offset?;
    let prog = Program::compile(graph, &[e]);
    let bound = prog.bind(gp);
    Some(
        points
            .chunks(dim.max(1))
            .map(|p| prog.eval_pair(&bound, p, p)[0])
            .collect(),
    )
}

impl MeanFunction {
    /// The number of targets (outputs of [`MeanFunction::eval`]).
    pub fn len(&self) -> usize {
        self.targets
    }

    /// Whether there are no targets.
    pub fn is_empty(&self) -> bool {
        self.targets == 0
    }

    /// The posterior mean of every target at `x` (one number per input) into `out`.
    ///
    /// # Panics
    /// If `x` or `out` has the wrong length.
    #[track_caller]
    pub fn eval(&mut self, x: &[f64], out: &mut [f64]) {
        assert!(x.len() == self.dim && out.len() == self.targets);
        out.fill(0.0);
        if let Some((prog, bound)) = &self.offsets {
            out.copy_from_slice(&prog.eval_pair(bound, x, x));
        }
        for ((prog, bound, xs, alpha), ws) in self.parts.iter().zip(self.workspaces.iter_mut()) {
            prog.visit(
                bound,
                ws,
                x,
                xs,
                0..1,
                noether_kernels::compile::Shape::Full,
                |b| {
                    for (k, o) in out.iter_mut().enumerate() {
                        let v = b.output(k);
                        *o += v
                            .iter()
                            .zip(&alpha[b.col0..b.col0 + b.len])
                            .map(|(a, w)| a * w)
                            .sum::<f64>();
                    }
                },
            );
        }
    }
}

/// The joint posterior of several operators at the same points.
#[derive(Clone, Debug)]
pub struct JointPrediction {
    /// The operators, as given.
    pub targets: Vec<String>,
    /// The number of points.
    pub points: usize,
    /// Posterior means, target-major: target t at point j is `mean[t * points + j]`.
    pub mean: Vec<f64>,
    /// The joint covariance of `mean`'s entries, row-major, (T·m) × (T·m).
    pub covariance: Vec<f64>,
    /// Which targets are zero by construction.
    pub zero: Vec<bool>,
}

impl JointPrediction {
    /// The posterior standard deviation of target `t` at point `j`.
    pub fn std(&self, t: usize, j: usize) -> f64 {
        let k = t * self.points + j;
        self.covariance[k * self.mean.len() + k].max(0.0).sqrt()
    }

    /// `count` joint samples, seeded, each laid out as `mean`. They are drawn through the
    /// covariance's eigendecomposition with eigenvalues below 1e-12 of the largest set to 0, so
    /// that a combination the posterior pins down exactly (the divergence of a divergence-free
    /// field) is exact in every sample too, to rounding.
    ///
    /// # Errors
    /// [`LikelihoodError::NotEvaluable`] when the eigendecomposition fails.
    pub fn samples(&self, count: usize, seed: u64) -> Result<Vec<Vec<f64>>, LikelihoodError> {
        let n = self.mean.len();
        let c = Mat::<f64>::from_fn(n, n, |i, j| {
            0.5 * (self.covariance[i * n + j] + self.covariance[j * n + i])
        });
        let evd =
            c.self_adjoint_eigen(faer::Side::Lower)
                .map_err(|e| LikelihoodError::NotEvaluable {
                    what: format!("the eigendecomposition of the joint covariance ({e:?})"),
                })?;
        let (u, s) = (evd.U(), evd.S().column_vector());
        let top = (0..n).map(|i| s[i]).fold(0.0f64, f64::max);
        let root: Vec<f64> = (0..n)
            .map(|i| if s[i] > 1e-12 * top { s[i].sqrt() } else { 0.0 })
            .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Ok((0..count)
            .map(|_| {
                let z: Vec<f64> = (0..n)
                    .map(|k| {
                        let z: f64 = StandardNormal.sample(&mut rng);
                        root[k] * z
                    })
                    .collect();
                (0..n)
                    .map(|i| self.mean[i] + (0..n).map(|k| u[(i, k)] * z[k]).sum::<f64>())
                    .collect()
            })
            .collect())
    }
}

impl Model {
    /// The posterior at `values` (natural units).
    ///
    /// # Errors
    /// As [`Model::factor`].
    pub fn posterior(&self, values: &[f64]) -> Result<Posterior<'_>, LikelihoodError> {
        let fact = self
            .solver()
            .condition(self, values, &JitterPolicy::default())?;
        Ok(Posterior {
            model: self,
            values: values.to_vec(),
            fact,
            graph: self.graph.clone(),
        })
    }
}

impl Posterior<'_> {
    /// The relative jitter the factorisation needed.
    pub fn jitter(&self) -> f64 {
        self.fact.jitter()
    }

    /// The exact factorisation (α = K⁻¹y and the Cholesky factor); under another solver, what
    /// needs it says so, naming the solver.
    fn exact(&self) -> Result<&Factored, LikelihoodError> {
        match &self.fact {
            Conditioned::Exact(f) => Ok(f),
            _ => Err(self
                .model
                .solver()
                .require(Feature::Weights)
                .err()
                .unwrap_or(LikelihoodError::NotEvaluable {
                    what: "the exact weights of a solver that has none".into(),
                })),
        }
    }

    /// Predict the operator `target` (a channel's operator, or any operator of the latents such
    /// as `u_x` or `u_t - a*u_xx`) at `points` (row-major), noise-free.
    ///
    /// # Errors
    /// A bad operator; points of the wrong dimension; a mean or variance that is not finite (the
    /// message names the point).
    pub fn predict(
        &mut self,
        target: &str,
        points: &[f64],
        full: bool,
    ) -> Result<Prediction, LikelihoodError> {
        let names = self.model.names();
        let op = Operator::parse_target(target, &mut self.graph, &names)?;
        self.predict_operator(&op, points, full)
    }

    /// The posterior means of `targets` as a compiled function of one point (see
    /// [`MeanFunction`]).
    ///
    /// # Errors
    /// As [`Posterior::predict`].
    pub fn mean_function(&mut self, targets: &[&str]) -> Result<MeanFunction, LikelihoodError> {
        let names = self.model.names();
        let ops = targets
            .iter()
            .map(|t| Operator::parse_target(t, &mut self.graph, &names))
            .collect::<Result<Vec<_>, _>>()?;
        let gp = self.values[..self.model.num_graph_params()].to_vec();
        let offsets = self.model.offsets();
        let mut parts = Vec::new();
        for (c, ch) in self.model.channels.iter().enumerate() {
            let mut exprs = Vec::with_capacity(ops.len());
            for op in &ops {
                exprs.push(covariance(
                    &mut self.graph,
                    &self.model.kernels,
                    &self.model.latents,
                    op,
                    &ch.operator,
                )?);
            }
            let prog = Program::compile(&mut self.graph, &exprs);
            let bound = prog.bind(&gp);
            let alpha = self.exact()?.alpha[offsets[c]..offsets[c + 1]].to_vec();
            parts.push((prog, bound, ch.x.clone(), alpha));
        }
        let workspaces = parts.iter().map(|p| p.0.workspace()).collect();
        let offsets = ops.iter().any(|o| o.offset.is_some()).then(|| {
            let zero = self.graph.constant(0.0);
            let exprs: Vec<_> = ops.iter().map(|o| o.offset.unwrap_or(zero)).collect();
            let prog = Program::compile(&mut self.graph, &exprs);
            let bound = prog.bind(&gp);
            (prog, bound)
        });
        Ok(MeanFunction {
            parts,
            workspaces,
            offsets,
            targets: ops.len(),
            dim: self.model.dim(),
        })
    }

    /// The joint posterior of several operators at `points`: means, the full cross covariance
    /// (every target at every point against every other), and through it joint samples.
    ///
    /// # Errors
    /// As [`Posterior::predict`].
    pub fn predict_joint(
        &mut self,
        targets: &[&str],
        points: &[f64],
    ) -> Result<JointPrediction, LikelihoodError> {
        let names = self.model.names();
        let ops = targets
            .iter()
            .map(|t| Operator::parse_target(t, &mut self.graph, &names))
            .collect::<Result<Vec<_>, _>>()?;
        let t = ops.len();
        let m = match ops.first() {
            Some(op) => self.check_points(op, points)?,
            None => 0,
        };
        let gp = self.values[..self.model.num_graph_params()].to_vec();
        let d = self.model.dim();
        let known: Vec<Option<Vec<f64>>> = ops
            .iter()
            .map(|op| offset_values(&mut self.graph, op, &gp, points, d))
            .collect();
        let add_known = |mean: &mut [f64]| {
            for (t, k) in known.iter().enumerate() {
                if let Some(k) = k {
                    for (j, v) in k.iter().enumerate() {
                        mean[t * m + j] += v;
                    }
                }
            }
        };
        // The approximations give the means and joint covariance themselves.
        let approximate = match (&self.fact, self.model.approximation()) {
            (Conditioned::Inducing(f), Some(ind)) => Some(ind.predict_joint(
                self.model,
                &self.values,
                f,
                &mut self.graph,
                &ops,
                points,
            )?),
            (Conditioned::Basis(_), _) => {
                let (mean, _, covariance) = self.basis_joint(&ops, points, true)?;
                Some((mean, covariance.unwrap_or_default()))
            }
            _ => None,
        };
        if let Some((mut mean, covariance)) = approximate {
            add_known(&mut mean);
            return Ok(JointPrediction {
                targets: targets.iter().map(|s| s.to_string()).collect(),
                points: m,
                mean,
                covariance,
                zero: ops.iter().map(Operator::is_zero).collect(),
            });
        }
        let n = self.exact()?.y.len();
        let mut ks = Vec::with_capacity(t);
        for op in &ops {
            ks.push(self.cross(op, points, m)?);
        }
        let fact = self.exact()?;
        let vs: Vec<Mat<f64>> = ks.iter().map(|k| fact.factor.llt.solve(k)).collect();
        let mut mean: Vec<f64> = Vec::with_capacity(t * m);
        for k in &ks {
            mean.extend(self.mean(k)?);
        }
        add_known(&mut mean);
        let size = t * m;
        let mut cov = vec![0.0; size * size];
        for a in 0..t {
            for b in a..t {
                let prior = prior_block(
                    self.model,
                    &mut self.graph,
                    &gp,
                    (&ops[a], points),
                    (&ops[b], points),
                )?;
                for i in 0..m {
                    for j in 0..m {
                        let reduce: f64 = (0..n).map(|r| ks[a][(r, i)] * vs[b][(r, j)]).sum();
                        let c = prior[i * m + j] - reduce;
                        let (r, q) = (a * m + i, b * m + j);
                        cov[r * size + q] = c;
                        cov[q * size + r] = c;
                    }
                }
            }
        }
        if let Some(k) = cov.iter().position(|v| !v.is_finite()) {
            let (r, q) = (k / size, k % size);
            let (mr, mq) = (m.max(1), m.max(1));
            return Err(LikelihoodError::NotEvaluable {
                what: format!(
                    "the joint covariance of `{}` at point {} and `{}` at point {} is {}",
                    ops[r / mr].text,
                    r % mr + 1,
                    ops[q / mq].text,
                    q % mq + 1,
                    cov[k]
                ),
            });
        }
        for k in 0..size {
            let (tt, j) = (k / m.max(1), k % m.max(1));
            let var = cov[k * size + k];
            if !(mean[k].is_finite() && var.is_finite()) {
                return Err(LikelihoodError::NonFinitePrediction {
                    target: ops[tt].text.clone(),
                    point: j,
                    mean: mean[k],
                    variance: var,
                });
            }
        }
        Ok(JointPrediction {
            targets: targets.iter().map(|s| s.to_string()).collect(),
            points: m,
            mean,
            covariance: cov,
            zero: ops.iter().map(Operator::is_zero).collect(),
        })
    }

    fn check_points(&self, op: &Operator, points: &[f64]) -> Result<usize, LikelihoodError> {
        let d = self.model.dim();
        if !points.len().is_multiple_of(d.max(1)) {
            return Err(LikelihoodError::Data {
                channel: op.text.clone(),
                message: format!(
                    "prediction points need {d} numbers each, got {} numbers",
                    points.len()
                ),
            });
        }
        Ok(points.len() / d.max(1))
    }

    /// Under a Hilbert-space basis: the means (targets × points, target-major), their variances
    /// and, with `full`, their joint covariance, from the weights' posterior: F μ_w and
    /// F Σ_w Fᵀ with F the feature rows (only its diagonal without `full`).
    #[allow(clippy::type_complexity)]
    fn basis_joint(
        &mut self,
        ops: &[Operator],
        points: &[f64],
        full: bool,
    ) -> Result<(Vec<f64>, Vec<f64>, Option<Vec<f64>>), LikelihoodError> {
        let (Conditioned::Basis(f), Some(h)) = (&self.fact, self.model.basis()) else {
            return Err(LikelihoodError::NotEvaluable {
                what: "a basis prediction without a basis".into(),
            });
        };
        let gp = self.values[..self.model.num_graph_params()].to_vec();
        let mut rows = Vec::new();
        for op in ops {
            rows.extend(h.rows(&mut self.graph, op, &gp, points)?);
        }
        let (r, mt) = (rows.len(), f.mean.len());
        let fm = Mat::from_fn(r, mt, |i, j| rows[i][j]);
        let mean: Vec<f64> = rows
            .iter()
            .map(|row| row.iter().zip(&f.mean).map(|(a, b)| a * b).sum())
            .collect();
        let fs = &fm * &f.cov;
        let var: Vec<f64> = (0..r)
            .map(|i| (0..mt).map(|j| fs[(i, j)] * fm[(i, j)]).sum())
            .collect();
        let cov = full.then(|| {
            let c = &fs * fm.transpose();
            (0..r * r).map(|k| c[(k / r, k % r)]).collect::<Vec<f64>>()
        });
        if let Some(k) = (0..r).find(|&k| !(mean[k].is_finite() && var[k].is_finite())) {
            let m = r / ops.len().max(1);
            return Err(LikelihoodError::NonFinitePrediction {
                target: ops[k / m.max(1)].text.clone(),
                point: k % m.max(1),
                mean: mean[k],
                variance: var[k],
            });
        }
        Ok((mean, var, cov))
    }

    /// K*ᵀ: the covariance between every observation and the operator at each point (n × m).
    fn cross(
        &mut self,
        op: &Operator,
        points: &[f64],
        m: usize,
    ) -> Result<Mat<f64>, LikelihoodError> {
        let model = self.model;
        let gp = self.values[..model.num_graph_params()].to_vec();
        let n = self.exact()?.y.len();
        let mut ks = Mat::<f64>::zeros(n, m);
        let offsets = model.offsets();
        for (c, ch) in model.channels.iter().enumerate() {
            let blk = prior_block(
                model,
                &mut self.graph,
                &gp,
                (op, points),
                (&ch.operator, &ch.x),
            )?;
            for j in 0..m {
                for i in 0..ch.len() {
                    ks[(offsets[c] + i, j)] = blk[j * ch.len() + i];
                }
            }
        }
        Ok(ks)
    }

    /// K*ᵀα: the posterior mean at each column of K*ᵀ.
    fn mean(&self, ks: &Mat<f64>) -> Result<Vec<f64>, LikelihoodError> {
        let alpha = &self.exact()?.alpha;
        Ok((0..ks.ncols())
            .map(|j| (0..ks.nrows()).map(|i| ks[(i, j)] * alpha[i]).sum())
            .collect())
    }

    /// The posterior mean of ∂^orders ∫^integrals g_latent at `points`: what the data say of one
    /// operator.
    ///
    /// # Errors
    /// Points of the wrong dimension; a kernel that does not support the order.
    pub fn term_mean(
        &mut self,
        latent: usize,
        orders: &[u8],
        integrals: &[u8],
        points: &[f64],
    ) -> Result<Vec<f64>, LikelihoodError> {
        let one = self.graph.constant(1.0);
        let op = Operator {
            terms: vec![noether_kernels::operator::Term {
                latent,
                orders: orders.to_vec(),
                integrals: integrals.to_vec(),
                fractional: None,
                coeff: one,
            }],
            offset: None,
            text: self.model.latents[latent].clone(),
        };
        let m = self.check_points(&op, points)?;
        let ks = self.cross(&op, points, m)?;
        self.mean(&ks)
    }

    /// [`Posterior::predict`] of an operator already parsed in this posterior's graph.
    ///
    /// # Errors
    /// As [`Posterior::predict`].
    pub fn predict_operator(
        &mut self,
        op: &Operator,
        points: &[f64],
        full: bool,
    ) -> Result<Prediction, LikelihoodError> {
        let mut p = self.predict_latent_part(op, points, full)?;
        // The operator's known mean (its latent-free part), once, whatever the solver.
        let gp = &self.values[..self.model.num_graph_params()];
        if let Some(k) = offset_values(&mut self.graph, op, gp, points, self.model.dim()) {
            p.mean.iter_mut().zip(k).for_each(|(a, b)| *a += b);
        }
        Ok(p)
    }

    /// [`Posterior::predict_operator`] without the operator's known mean.
    fn predict_latent_part(
        &mut self,
        op: &Operator,
        points: &[f64],
        full: bool,
    ) -> Result<Prediction, LikelihoodError> {
        let m = self.check_points(op, points)?;
        if let (Conditioned::Inducing(f), Some(ind)) = (&self.fact, self.model.approximation()) {
            if full {
                ind.require(Feature::FullCovariance)?;
            }
            return ind.predict(self.model, &self.values, f, &mut self.graph, op, points);
        }
        if let Conditioned::Basis(_) = &self.fact {
            let (mean, variance, cov) = self.basis_joint(std::slice::from_ref(op), points, full)?;
            return Ok(Prediction {
                mean,
                variance: variance.into_iter().map(|v| v.max(0.0)).collect(),
                covariance: cov,
                zero: op.is_zero(),
            });
        }
        let gp = self.values[..self.model.num_graph_params()].to_vec();
        let n = self.exact()?.y.len();
        let ks = self.cross(op, points, m)?;
        let mean = self.mean(&ks)?;
        let v = self.exact()?.factor.llt.solve(&ks); // K⁻¹ K*ᵀ
        let priors = prior_diagonal(self.model, &mut self.graph, &gp, op, points)?;
        let reduce = |a: usize, b: usize| -> f64 { (0..n).map(|i| ks[(i, a)] * v[(i, b)]).sum() };
        let mut variance = Vec::with_capacity(m);
        for (j, &prior) in priors.iter().enumerate() {
            let var = prior - reduce(j, j);
            // Rounding leaves a variance a little below 0 where the data pin the value down (the
            // cancellation error is about ε·cond(K)·prior, and cond(K) can reach 1e12); a
            // deficit of a thousandth of the prior is a numerical failure, not a 0.
            if !(mean[j].is_finite() && var.is_finite()) || var < -1e-3 * prior.abs() {
                return Err(LikelihoodError::NonFinitePrediction {
                    target: op.text.clone(),
                    point: j,
                    mean: mean[j],
                    variance: var,
                });
            }
            variance.push(var.max(0.0));
        }
        let covariance = if full {
            let kss = prior_block(self.model, &mut self.graph, &gp, (op, points), (op, points))?;
            let mut c = vec![0.0; m * m];
            for a in 0..m {
                for b in 0..m {
                    c[a * m + b] = kss[a * m + b] - reduce(a, b);
                }
            }
            Some(c)
        } else {
            None
        };
        Ok(Prediction {
            mean,
            variance,
            covariance,
            zero: op.is_zero(),
        })
    }

    /// `count` samples of the posterior of `target` at `points`, seeded.
    ///
    /// # Errors
    /// As [`Posterior::predict`]; a covariance that cannot be factored even with jitter.
    pub fn sample(
        &mut self,
        target: &str,
        points: &[f64],
        count: usize,
        seed: u64,
    ) -> Result<Vec<Vec<f64>>, LikelihoodError> {
        let p = self.predict(target, points, true)?;
        let m = p.mean.len();
        let mut c = p.covariance.unwrap_or_default();
        // Column-major lower triangle for the factorisation: symmetric, so the row-major copy serves.
        let f = crate::factor::cholesky_with_jitter(
            &mut c,
            m,
            &JitterPolicy {
                cap: 1e-6,
                ..JitterPolicy::default()
            },
        )?;
        let l = f.llt.L();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Ok((0..count)
            .map(|_| {
                let z: Vec<f64> = (0..m).map(|_| StandardNormal.sample(&mut rng)).collect();
                (0..m)
                    .map(|i| p.mean[i] + (0..=i).map(|k| l[(i, k)] * z[k]).sum::<f64>())
                    .collect()
            })
            .collect())
    }
}
