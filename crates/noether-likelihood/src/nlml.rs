//! Covariance assembly, the negative log marginal likelihood and its exact gradient.
//!
//! NLML = ½ yᵀK⁻¹y + ½ log|K| + (n/2) log 2π, and ∂NLML/∂p = ½ tr((K⁻¹ − ααᵀ) ∂K/∂p) with α = K⁻¹y
//! (Rasmussen & Williams 2006, eqs. 2.30 and 5.9). The trace is accumulated while the entries of
//! ∂K/∂p are produced, block by block and column by column on all cores: no n × n derivative
//! matrix is ever stored.

use crate::factor::{cholesky_with_jitter, Factor, JitterPolicy};
use crate::model::Block;
use crate::model::Model;
use crate::LikelihoodError;
use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::Mat;
use noether_kernels::compile::{Batch, Bound, Program, Shape, Workspace};
use noether_kernels::KernelSpec;
use rayon::prelude::*;

/// Every channel's covariance carries a nugget of this much times its mean prior variance, as a
/// smooth, always-present form of jitter: with noise variances near their floors, the condition
/// number of K is then at most about n / NUGGET, so the NLML is a smooth function of the parameters
/// rather than rounding noise (which no line search can descend).
pub const NUGGET: f64 = 1e-8;

/// The most memory the dense matrices of one evaluation may take: 24 GiB, this project's machine.
/// An exact GP at 30,000 observations needs 20 GiB.
pub const MAX_DENSE_BYTES: f64 = 24.0 * 1024.0 * 1024.0 * 1024.0;

/// The one memory refusal every solver makes before allocating its dense matrices: `doubles`
/// f64s in all (every matrix that lives at once, counted by the caller), growing with `count`
/// (how many, of what), refused above [`MAX_DENSE_BYTES`] as [`LikelihoodError::TooLarge`]
/// naming `what` needs them and `fix`, rather than aborting on allocation.
pub(crate) fn refuse_memory(
    doubles: f64,
    (n, of): (usize, &str),
    what: &str,
    fix: &str,
) -> Result<(), LikelihoodError> {
    let bytes = 8.0 * doubles;
    if bytes > MAX_DENSE_BYTES {
        return Err(LikelihoodError::TooLarge {
            n,
            of: of.into(),
            what: what.into(),
            fix: fix.into(),
            gib: bytes / f64::from(1u32 << 30),
        });
    }
    Ok(())
}

/// One evaluation of the NLML.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The negative log marginal likelihood.
    pub nlml: f64,
    /// ∂NLML/∂p for every parameter, in natural units (zeros when not asked for).
    pub gradient: Vec<f64>,
    /// The relative diagonal jitter the Cholesky factorisation needed.
    pub jitter: f64,
}

/// The factored covariance of a model at one parameter vector.
#[derive(Debug)]
pub struct Factored {
    /// The Cholesky factor.
    pub factor: Factor,
    /// α = K⁻¹ r.
    pub alpha: Vec<f64>,
    /// The stacked residuals r = y − μ: the observations less each channel's known mean (the
    /// observations themselves where there is none).
    pub y: Vec<f64>,
    /// The observations of the constraint channels ([`Model::constraint_rows`]) and their own
    /// covariance block (noise included, lower triangle, column-major), where the NLML is
    /// conditioned on them.
    pub(crate) constraint: Option<(Vec<usize>, Vec<f64>)>,
}

/// The fewest columns of an n × n matrix one parallel task takes: about 8,192 entries, so that
/// at small n (the tens of points of a sampler's every step) the columns run on one thread
/// rather than spend their time in rayon's hand-offs, and at large n every core still gets
/// many tasks.
fn min_columns(n: usize) -> usize {
    (8192 / n.max(1)).max(1)
}

impl Model {
    /// The stacked observations of all channels.
    pub fn stacked_y(&self) -> Vec<f64> {
        self.channels
            .iter()
            .flat_map(|c| c.y.iter().copied())
            .collect()
    }

    /// The stacked observations less each channel's known mean at `values`.
    pub fn residuals(&self, values: &[f64]) -> Vec<f64> {
        let gp = &values[..self.num_graph_params()];
        let d = self.dim();
        let mut r = Vec::with_capacity(self.num_observations());
        for c in &self.channels {
            match &c.mean {
                None => r.extend_from_slice(&c.y),
                Some(m) => {
                    let (mu, _) = m.eval(gp, &c.x, d, false);
                    r.extend(c.y.iter().zip(&mu).map(|(y, m)| y - m));
                }
            }
        }
        r
    }

    /// ∂NLML/∂p += −Σ_i α_i ∂μ_i/∂p: what the known means add to the gradient.
    fn mean_gradient(&self, values: &[f64], alpha: &[f64], grad: &mut [f64]) {
        let gp = &values[..self.num_graph_params()];
        let d = self.dim();
        let offsets = self.offsets();
        for (c, ch) in self.channels.iter().enumerate() {
            let Some(m) = &ch.mean else { continue };
            let (_, dmu) = m.eval(gp, &ch.x, d, true);
            let a = &alpha[offsets[c]..offsets[c + 1]];
            for (k, &p) in m.params.iter().enumerate() {
                grad[p] -= dmu[k].iter().zip(a).map(|(u, v)| u * v).sum::<f64>();
            }
        }
    }

    fn bind_all(&self, values: &[f64], grad: bool) -> Vec<Bound> {
        let gp = &values[..self.num_graph_params()];
        self.blocks
            .iter()
            .map(|b| {
                if grad {
                    b.grad.bind(gp)
                } else {
                    b.value.bind(gp)
                }
            })
            .collect()
    }

    fn workspaces(&self, grad: bool) -> Vec<Workspace> {
        self.blocks
            .iter()
            .map(|b| {
                if grad {
                    b.grad.workspace()
                } else {
                    b.value.workspace()
                }
            })
            .collect()
    }

    /// The channel a stacked index belongs to, and its index inside it.
    fn locate(offsets: &[usize], col: usize) -> (usize, usize) {
        let c = offsets.partition_point(|&o| o <= col) - 1;
        (c, col - offsets[c])
    }

    /// Visit, for column `col` of the stacked covariance (point i of channel c1), every block
    /// (c1, c2 ≥ c1) over row i, restricted to the lower triangle of the whole matrix: the blocks'
    /// upper triangle when c2 = c1, all of it otherwise. `visit(block, row offset of c2, batch)`.
    fn visit_column(
        &self,
        programs: fn(&Block) -> &Program,
        bounds: &[Bound],
        ws: &mut [Workspace],
        offsets: &[usize],
        col: usize,
        mut visit: impl FnMut(&Block, usize, &Batch),
    ) {
        let (c1, i) = Self::locate(offsets, col);
        for (bi, b) in self.blocks.iter().enumerate().filter(|(_, b)| b.c1 == c1) {
            let (xs, ys) = (&self.channels[c1].x, &self.channels[b.c2].x);
            let shape = if b.c2 == c1 {
                Shape::Upper
            } else {
                Shape::Full
            };
            let o2 = offsets[b.c2];
            programs(b).visit(&bounds[bi], &mut ws[bi], xs, ys, i..i + 1, shape, |batch| {
                visit(b, o2, batch)
            });
        }
    }

    /// The covariance matrix of all observations, noise included: the lower triangle, stored
    /// column-major (n × n).
    ///
    /// # Panics
    /// If `values` does not hold one value per parameter.
    #[track_caller]
    pub fn covariance_lower(&self, values: &[f64]) -> Vec<f64> {
        let mut k = self.kernel_lower(values);
        self.add_noise(&mut k, values);
        k
    }

    /// [`Model::covariance_lower`] without noise or nugget.
    #[track_caller]
    fn kernel_lower(&self, values: &[f64]) -> Vec<f64> {
        assert_eq!(values.len(), self.params.len(), "one value per parameter");
        let n = self.num_observations();
        let offsets = self.offsets();
        let bounds = self.bind_all(values, false);
        let mut k = vec![0.0; n * n];
        k.par_chunks_mut(n.max(1))
            .with_min_len(min_columns(n))
            .enumerate()
            .for_each_init(
                || self.workspaces(false),
                |ws, (col, out)| {
                    self.visit_column(
                        |b| &b.value,
                        &bounds,
                        ws,
                        &offsets,
                        col,
                        |_, o2, batch| {
                            out[o2 + batch.col0..o2 + batch.col0 + batch.len]
                                .copy_from_slice(batch.output(0));
                        },
                    );
                },
            );
        k
    }

    /// Add each channel's noise, and the nugget: NUGGET × the channel's mean prior variance.
    fn add_noise(&self, k: &mut [f64], values: &[f64]) {
        let n = self.num_observations();
        let extra = self.noise_diagonal(values, |i| k[i * n + i]);
        for (i, e) in extra.into_iter().enumerate() {
            k[i * n + i] += e;
        }
    }

    /// What every solver adds to each observation's prior variance `prior(i)` (stacked index):
    /// its channel's noise σ²_c w_i (w_i = 1/(observations merged at i)) and the nugget
    /// NUGGET × the channel's mean prior variance. The one place both are formed.
    pub(crate) fn noise_diagonal(&self, values: &[f64], prior: impl Fn(usize) -> f64) -> Vec<f64> {
        let offsets = self.offsets();
        let mut out = vec![0.0; self.num_observations()];
        for (c, ch) in self.channels.iter().enumerate() {
            let r = offsets[c]..offsets[c + 1];
            let mean = r.clone().map(&prior).sum::<f64>() / r.len().max(1) as f64;
            let noise = values[self.noise_index(c)];
            for (j, i) in r.enumerate() {
                out[i] = noise * ch.noise_weight(j) + NUGGET * mean;
            }
        }
        out
    }

    /// The noises' and the nugget's share of the gradient, from `adjoint[i]` = ∂NLML/∂(the
    /// diagonal variance of observation i) (stacked): ∂NLML/∂σ²_c = Σ_i adjoint_i w_i plus the
    /// merged points' own term `ds[c]` ([`Model::replicate_terms`]), into `grad`. The nugget NUGGET·mean_c(K_ii) moves with every
    /// kernel parameter; its share is NUGGET·Σ_c adjoint / n_c on each K_ii of the channel,
    /// which this adds to `adjoint` for the caller's pass over ∂K_ii/∂p.
    pub(crate) fn noise_gradient(&self, ds: &[f64], adjoint: &mut [f64], grad: &mut [f64]) {
        let offsets = self.offsets();
        for (c, ch) in self.channels.iter().enumerate() {
            let r = offsets[c]..offsets[c + 1];
            let weighted: f64 = r
                .clone()
                .enumerate()
                .map(|(j, i)| adjoint[i] * ch.noise_weight(j))
                .sum();
            grad[self.noise_index(c)] += weighted + ds[c];
            let total: f64 = adjoint[r.clone()].iter().sum();
            let extra = NUGGET * total / r.len().max(1) as f64;
            for a in &mut adjoint[r] {
                *a += extra;
            }
        }
    }

    /// Factor the covariance at `values` and solve for α = K⁻¹y.
    ///
    /// # Errors
    /// [`LikelihoodError::NoData`]; [`LikelihoodError::NotPositiveDefinite`] when even the
    /// largest jitter fails.
    pub fn factor(
        &self,
        values: &[f64],
        policy: &JitterPolicy,
    ) -> Result<Factored, LikelihoodError> {
        let n = self.num_observations();
        if n == 0 {
            return Err(LikelihoodError::NoData);
        }
        // The covariance, its inverse and the gradient's weights are n × n each.
        refuse_memory(
            3.0 * (n as f64) * (n as f64),
            (n, "observations"),
            "the exact covariance and its inverse",
            "use fewer observations, or inducing points (\"approximation\": {\"inducing\": 1000})",
        )?;
        let mut k = self.kernel_lower(values);
        if let Some(e) = self.blame_nonfinite(&k, values) {
            return Err(e);
        }
        self.add_noise(&mut k, values);
        let constraint = self.constraint_rows().map(|rows| {
            let m = rows.len();
            let mut b = vec![0.0; m * m];
            for (cj, &j) in rows.iter().enumerate() {
                for (ci, &i) in rows.iter().enumerate().skip(cj) {
                    b[cj * m + ci] = k[j * n + i];
                }
            }
            (rows, b)
        });
        let factor = cholesky_with_jitter(&mut k, n, policy)?;
        let y = self.residuals(values);
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            let (c, j) = Self::locate(&self.offsets(), i);
            return Err(LikelihoodError::NotEvaluable {
                what: format!(
                    "the known mean of {} is not finite at these parameters",
                    self.channels[c].describe(j)
                ),
            });
        }
        let ym = Mat::from_fn(n, 1, |i, _| y[i]);
        let a = factor.llt.solve(&ym);
        let alpha = (0..n).map(|i| a[(i, 0)]).collect();
        Ok(Factored {
            factor,
            alpha,
            y,
            constraint,
        })
    }

    /// The error for a prior covariance `k` (lower triangle, no noise) with an entry that is not
    /// finite, naming the observation at fault: one whose own prior variance is not finite if
    /// there is one (a pole of a factor or coefficient there, a point past a kernel's range),
    /// else the first pair; with the parameters at the edge of the floating-point range, or
    /// what else makes a covariance overflow.
    fn blame_nonfinite(&self, k: &[f64], values: &[f64]) -> Option<LikelihoodError> {
        let n = self.num_observations();
        let offsets = self.offsets();
        let diag = (0..n).find(|&i| !k[i * n + i].is_finite());
        let (a, b) = match diag {
            Some(i) => (i, i),
            None => {
                let bad = k.iter().position(|v| !v.is_finite())?;
                (bad % n, bad / n)
            }
        };
        let value = k[b * n + a];
        let (c1, i1) = Self::locate(&offsets, a);
        let (c2, i2) = Self::locate(&offsets, b);
        let what = if a == b {
            format!("the prior variance of {}", self.channels[c1].describe(i1))
        } else {
            format!(
                "the covariance between {} and {}",
                self.channels[c1].describe(i1),
                self.channels[c2].describe(i2)
            )
        };
        let d = self.dim();
        let point = |c: usize, i: usize| &self.channels[c].x[i * d..(i + 1) * d];
        // Parameters at the edge of the floating-point range are the usual cause.
        let suspects: Vec<String> = self
            .params
            .iter()
            .zip(values)
            .filter(|(p, v)| {
                !v.is_finite() || v.abs() > 1e100 || (p.transform.is_positive() && v.abs() < 1e-100)
            })
            .map(|(p, v)| format!("{} = {v:e}", p.name))
            .collect();
        // A rotation-invariant kernel's Bessel function overflows past r r'/ℓ² ≈ 700.
        let mut ranges = Vec::new();
        for (l, spec) in self.specs.iter().enumerate() {
            if let KernelSpec::RotationSe { plane: (p, q) } = spec {
                let name = format!("{}.lengthscale", self.latents[l]);
                let Some(li) = self.params.iter().position(|x| x.name == name) else {
                    continue;
                };
                let r = |x: &[f64]| x[*p].hypot(x[*q]);
                let z = r(point(c1, i1)) * r(point(c2, i2)) / (values[li] * values[li]);
                if z.is_nan() || z > 700.0 {
                    ranges.push(format!(
                        "the rotation-invariant kernel of `{}` is evaluated past its range there (r r'/ℓ² = {z:.3e}, above about 700): rescale the inputs `{}` and `{}` or start `{name}` longer",
                        self.latents[l], self.graph.inputs()[*p], self.graph.inputs()[*q]
                    ));
                }
            }
        }
        let why = if !ranges.is_empty() {
            format!(": {}", ranges.join("; "))
        } else if !suspects.is_empty() {
            format!(", where {} overflowed", suspects.join(", "))
        } else {
            let p: Vec<String> = point(c1, i1).iter().map(|v| format!("{v}")).collect();
            format!(
                " (at the point ({})): a factor (`times`), a known mean or an operator coefficient that is not finite there (1/x at x = 0, log of a negative number), or inputs so large that the kernel overflows",
                p.join(", ")
            )
        };
        Some(LikelihoodError::NotEvaluable {
            what: format!("{what} is {value} at these parameters{why}"),
        })
    }

    /// The NLML at `values` (natural units, one per parameter), with its gradient if asked.
    ///
    /// # Errors
    /// As [`Model::factor`].
    pub fn nlml(&self, values: &[f64], gradient: bool) -> Result<Evaluation, LikelihoodError> {
        self.nlml_with(values, gradient, &JitterPolicy::default())
    }

    /// [`Model::nlml`] with a given jitter policy.
    ///
    /// # Errors
    /// As [`Model::factor`].
    pub fn nlml_with(
        &self,
        values: &[f64],
        gradient: bool,
        policy: &JitterPolicy,
    ) -> Result<Evaluation, LikelihoodError> {
        self.solver().nlml(self, values, gradient, policy)
    }

    /// The NLML's term for observations merged at one point ([`crate::replicates`]), summed over
    /// the channels, and its derivative by each channel's noise variance. (The nugget is a
    /// device of conditioning, added once to each distinct point's variance, not noise: were it
    /// in this term, a large kernel variance would buy noise for nothing, and a fit on thousands
    /// of repeats would put their scatter there.)
    pub(crate) fn replicate_terms(&self, values: &[f64]) -> (f64, Vec<f64>) {
        let mut total = 0.0;
        let mut ds = vec![0.0; self.channels.len()];
        for (c, ch) in self.channels.iter().enumerate() {
            if let Some(r) = &ch.replicates {
                let (t, dt) = r.term(values[self.noise_index(c)]);
                total += t;
                ds[c] = dt;
            }
        }
        (total, ds)
    }

    /// The observations (stacked indices) of the channels conditioned on rather than observed:
    /// channels of exact zeros with no known mean (a law without a source, a constraint), when
    /// some other channel has data. `None` when there are none, or conditioning is off.
    ///
    /// Observed, zeros of L u are evidence for any prior under which L u is small: the joint
    /// likelihood p(y, 0) grows without bound as the prior variance of L u shrinks (a lengthscale
    /// running to infinity, a coefficient to 0). Conditioned on, they are not evidence at all:
    /// the objective is −log p(y | L u = 0) = −log p(y, 0) + log p(0), which judges each prior
    /// by how well, once made to satisfy the law, it explains the data. The posterior is the
    /// same either way.
    pub fn constraint_rows(&self) -> Option<Vec<usize>> {
        if !self.condition_on_zeros
            || !self
                .solver()
                .supports(crate::solver::Feature::ConditionOnZeros)
        {
            return None;
        }
        let offsets = self.offsets();
        let is_constraint = |c: &crate::Channel| c.is_constraint();
        let rows: Vec<usize> = self
            .channels
            .iter()
            .enumerate()
            .filter(|(_, c)| is_constraint(c))
            .flat_map(|(c, _)| offsets[c]..offsets[c + 1])
            .collect();
        let others = self.channels.iter().any(|c| !is_constraint(c));
        (!rows.is_empty() && others).then_some(rows)
    }

    /// Condition on or observe the constraint channels ([`Model::constraint_rows`]); on by
    /// default.
    pub fn set_condition_on_zeros(&mut self, on: bool) {
        self.condition_on_zeros = on;
    }

    /// The exact solver's NLML.
    pub(crate) fn exact_nlml(
        &self,
        values: &[f64],
        gradient: bool,
        policy: &JitterPolicy,
    ) -> Result<Evaluation, LikelihoodError> {
        let f = self.factor(values, policy)?;
        let n = f.y.len();
        let l = f.factor.llt.L();
        let half_logdet: f64 = (0..n).map(|i| l[(i, i)].ln()).sum();
        let quad: f64 = f.y.iter().zip(&f.alpha).map(|(a, b)| a * b).sum();
        let (mut rep, mut ds) = self.replicate_terms(values);
        if f.constraint.is_some() {
            // The constraints' merged zeros are conditioned on with them: their term goes too.
            for (c, ch) in self.channels.iter().enumerate() {
                if let (Some(r), true) = (&ch.replicates, ch.is_constraint()) {
                    rep -= r.term(values[self.noise_index(c)]).0;
                    ds[c] = 0.0;
                }
            }
        }
        let l2p = (2.0 * std::f64::consts::PI).ln();
        let mut nlml = 0.5 * quad + half_logdet + 0.5 * n as f64 * l2p + rep;
        // Conditioned on the constraints: less their own NLML, −log p(0) (with the same jitter
        // policy; their residuals are exact zeros, so only the determinant remains).
        let cond = match &f.constraint {
            Some((rows, b)) => {
                let m = rows.len();
                let mut b = b.clone();
                let fz = cholesky_with_jitter(&mut b, m, policy)?;
                let lz = fz.llt.L();
                let half: f64 = (0..m).map(|i| lz[(i, i)].ln()).sum();
                // Their residuals: 0 less a known mean, where the law has one.
                let rz = Mat::from_fn(m, 1, |i, _| f.y[rows[i]]);
                let az = fz.llt.solve(&rz);
                let az: Vec<f64> = (0..m).map(|i| az[(i, 0)]).collect();
                let quad_z: f64 = (0..m).map(|i| az[i] * rz[(i, 0)]).sum();
                nlml -= 0.5 * quad_z + half + 0.5 * m as f64 * l2p;
                Some((rows, fz, az))
            }
            None => None,
        };
        let mut grad = vec![0.0; self.params.len()];
        if gradient {
            let kinv = f.factor.llt.inverse();
            // W = K⁻¹ − ααᵀ, lower triangle, column-major.
            let mut w = vec![0.0; n * n];
            w.par_chunks_mut(n)
                .with_min_len(min_columns(n))
                .enumerate()
                .for_each(|(c, col)| {
                    for r in c..n {
                        col[r] = kinv[(r, c)] - f.alpha[r] * f.alpha[c];
                    }
                });
            // Less the constraints' own W_z = K_zz⁻¹ − α_z α_zᵀ.
            if let Some((rows, fz, az)) = &cond {
                let zinv = fz.llt.inverse();
                for (cj, &j) in rows.iter().enumerate() {
                    for (ci, &i) in rows.iter().enumerate().skip(cj) {
                        w[j * n + i] -= zinv[(ci, cj)] - az[ci] * az[cj];
                    }
                }
            }
            // ∂NLML/∂K_ii = ½ W_ii; the pass below takes ½ W, so the nugget's share goes on
            // W's diagonal doubled back.
            let mut adjoint: Vec<f64> = (0..n).map(|i| 0.5 * w[i * n + i]).collect();
            self.noise_gradient(&ds, &mut adjoint, &mut grad);
            for (i, a) in adjoint.into_iter().enumerate() {
                w[i * n + i] = 2.0 * a;
            }
            self.accumulate_gradient(values, &w, &mut grad);
            // The mean's share, −αᵀ∂μ/∂p, less the constraints' own −α_zᵀ∂μ_z/∂p.
            let mut alpha = f.alpha.clone();
            if let Some((rows, _, az)) = &cond {
                for (k, &i) in rows.iter().enumerate() {
                    alpha[i] -= az[k];
                }
            }
            self.mean_gradient(values, &alpha, &mut grad);
        }
        Ok(Evaluation {
            nlml,
            gradient: grad,
            jitter: f.factor.jitter,
        })
    }

    /// grad[p] = ½ Σ_ij W_ij ∂K_ij/∂p over the kernel-graph parameters, from the lower triangle
    /// of W, without storing ∂K/∂p.
    fn accumulate_gradient(&self, values: &[f64], w: &[f64], grad: &mut [f64]) {
        let n = self.num_observations();
        let offsets = self.offsets();
        let bounds = self.bind_all(values, true);
        let np = self.num_graph_params();
        // Each column's contribution is kept apart and the columns are summed in order, so that
        // the gradient does not depend on how the work was split between threads: a fit is
        // reproducible bit for bit.
        let mut per_column = vec![0.0; n * np];
        per_column
            .par_chunks_mut(np.max(1))
            .zip(w.par_chunks(n))
            .with_min_len(min_columns(n))
            .enumerate()
            .for_each_init(
                || {
                    (
                        self.workspaces(true),
                        vec![0.0; noether_kernels::compile::BATCH],
                    )
                },
                |(ws, wv), (col, (acc, wcol))| {
                    let (c1, i) = Self::locate(&offsets, col);
                    self.visit_column(
                        |b| &b.grad,
                        &bounds,
                        ws,
                        &offsets,
                        col,
                        |b, o2, batch| {
                            // Off-diagonal entries stand for themselves and their mirror image.
                            let w = &wcol[o2 + batch.col0..o2 + batch.col0 + batch.len];
                            for (k, v) in w.iter().enumerate() {
                                wv[k] = 2.0 * v;
                            }
                            if b.c2 == c1 && batch.col0 == i {
                                wv[0] *= 0.5;
                            }
                            for (k, &p) in b.params.iter().enumerate() {
                                acc[p] += batch
                                    .output(k)
                                    .iter()
                                    .zip(&wv[..batch.len])
                                    .map(|(a, b)| a * b)
                                    .sum::<f64>();
                            }
                        },
                    );
                },
            );
        let mut total = vec![0.0; np];
        for acc in per_column.chunks(np.max(1)) {
            for (t, a) in total.iter_mut().zip(acc) {
                *t += a;
            }
        }
        for p in 0..np {
            grad[p] = 0.5 * total[p];
        }
    }
}
