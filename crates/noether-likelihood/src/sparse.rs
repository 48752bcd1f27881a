//! Variational inducing points (Titsias 2009, the collapsed bound "VFE") for any operator model:
//! M inducing values of every latent at points Z; the blocks K_zz = k(Z, Z), K_zx = L'k(Z, x) and
//! the diagonal of LL'k(x, x) come from compiled programs like the exact blocks. With
//! Q = K_xz K_zz⁻¹ K_zx and Λ the noise (plus nugget) on the diagonal, the objective is
//!
//! ```text
//! NLML_vfe = ½ yᵀ(Q + Λ)⁻¹y + ½ log|Q + Λ| + (N/2) log 2π + ½ Σᵢ (Kᵢᵢ − Qᵢᵢ)/λᵢ,
//! ```
//!
//! an upper bound on the exact NLML, equal to it when Z holds the data. Everything is computed
//! through V = L_z⁻¹K_zx (M × N) and B = I + VΛ⁻¹Vᵀ (M × M) in O(N M²) time and O(N M) memory;
//! its gradient contracts the adjoints ∂NLML/∂K_zz (M × M), ∂NLML/∂K_zx (M × N) and
//! ∂NLML/∂Kᵢᵢ with the programs' parameter derivatives, pair by pair: no N × N matrix appears.

use crate::factor::{cholesky_with_jitter, JitterPolicy};
use crate::model::{compile_pair, prior_block, prior_diagonal, Model, PairProgram};
use crate::nlml::Evaluation;
use crate::LikelihoodError;
use faer::Mat;
use noether_kernels::compile::Shape;
use noether_kernels::operator::Operator;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

/// Inducing points on the latents, with the compiled blocks they need.
#[derive(Clone, Debug)]
pub struct Inducing {
    /// The inducing inputs, row-major (the same for every latent).
    pub z: Vec<f64>,
    /// Their number.
    pub m: usize,
    /// Per latent: k(Z, Z).
    zz: Vec<PairProgram>,
    /// Per (latent, channel): Cov(g_l(Z), L_c g(x_c)).
    zx: Vec<Vec<PairProgram>>,
    /// Per channel: Var(L_c g(x)) at its own points.
    diag: Vec<PairProgram>,
}

/// The largest jitter K_zz carries, relative to its mean diagonal, when it needs conditioning
/// (1e-12 and 1e-10 are tried first).
pub const INDUCING_JITTER: f64 = 1e-8;

/// The most inducing values (points × latents) the dense M × M algebra is asked to hold.
pub const MAX_INDUCING: usize = 20_000;

impl Model {
    /// Inducing points at `z` (row-major, one point per `dim` numbers) on every latent.
    ///
    /// # Errors
    /// Points of the wrong dimension; more inducing values than [`MAX_INDUCING`]; a kernel that
    /// does not support an operator.
    pub fn inducing(&mut self, z: Vec<f64>) -> Result<Inducing, LikelihoodError> {
        let d = self.dim();
        if d == 0 || !z.len().is_multiple_of(d) || z.is_empty() {
            return Err(LikelihoodError::Data {
                channel: "inducing points".into(),
                message: format!(
                    "{} numbers is not a whole number of {d}-dimensional points",
                    z.len()
                ),
            });
        }
        let m = z.len() / d;
        if m * self.latents.len() > MAX_INDUCING {
            return Err(LikelihoodError::Data {
                channel: "inducing points".into(),
                message: format!(
                    "{m} points × {} latents is more than {MAX_INDUCING} inducing values",
                    self.latents.len()
                ),
            });
        }
        let mut zz = Vec::new();
        let mut zx = Vec::new();
        for l in 0..self.latents.len() {
            let id = Operator::identity(&mut self.graph, l, &self.latents[l]);
            zz.push(compile_pair(
                &mut self.graph,
                &self.kernels,
                &self.latents,
                &id,
                &id,
            )?);
            let mut row = Vec::new();
            for c in 0..self.channels.len() {
                let op = self.channels[c].operator.clone();
                row.push(compile_pair(
                    &mut self.graph,
                    &self.kernels,
                    &self.latents,
                    &id,
                    &op,
                )?);
            }
            zx.push(row);
        }
        let mut diag = Vec::new();
        for c in 0..self.channels.len() {
            let op = self.channels[c].operator.clone();
            diag.push(compile_pair(
                &mut self.graph,
                &self.kernels,
                &self.latents,
                &op,
                &op,
            )?);
        }
        Ok(Inducing { z, m, zz, zx, diag })
    }
}

/// k-means (Lloyd's algorithm from a seeded k-means++ start, at most 50 rounds) of `points`
/// (row-major, `dim` numbers each) into `m` centres: the usual placement of inducing points.
pub fn kmeans(points: &[f64], dim: usize, m: usize, seed: u64) -> Vec<f64> {
    let n = points.len() / dim.max(1);
    let m = m.min(n).max(1);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let p = |i: usize| &points[i * dim..(i + 1) * dim];
    let d2 = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
    let mut centres: Vec<f64> = p(rng.random_range(0..n)).to_vec();
    let mut near = vec![f64::INFINITY; n];
    while centres.len() / dim < m {
        let last = &centres[centres.len() - dim..];
        for i in 0..n {
            near[i] = near[i].min(d2(p(i), last));
        }
        let total: f64 = near.iter().sum();
        let mut r = rng.random_range(0.0..1.0) * total;
        let mut pick = n - 1;
        for (i, w) in near.iter().enumerate() {
            r -= w;
            if r <= 0.0 {
                pick = i;
                break;
            }
        }
        centres.extend_from_slice(p(pick));
    }
    let mut assign = vec![0usize; n];
    for _ in 0..50 {
        let changed: usize = assign
            .par_iter_mut()
            .enumerate()
            .map(|(i, a)| {
                // The first nearest centre, each distance computed once (`min_by` computed
                // two per comparison: half of a 1,000-centre fit's set-up on 15,000 points).
                let q = p(i);
                let mut best = 0;
                let mut nearest = f64::INFINITY;
                for (j, c) in centres.chunks_exact(dim).enumerate() {
                    let d = d2(q, c);
                    if d < nearest {
                        nearest = d;
                        best = j;
                    }
                }
                let c = usize::from(best != *a);
                *a = best;
                c
            })
            .sum();
        let mut sums = vec![0.0; m * dim];
        let mut counts = vec![0usize; m];
        for i in 0..n {
            counts[assign[i]] += 1;
            for k in 0..dim {
                sums[assign[i] * dim + k] += p(i)[k];
            }
        }
        for j in 0..m {
            if counts[j] > 0 {
                for k in 0..dim {
                    centres[j * dim + k] = sums[j * dim + k] / counts[j] as f64;
                }
            }
        }
        if changed == 0 {
            break;
        }
    }
    centres
}

/// The factored quantities of the bound at one parameter vector, shared by the NLML, its
/// gradient and predictions.
#[derive(Debug)]
pub struct SparseFactor {
    /// Cholesky factor of K_zz (+ jitter), M_tot × M_tot.
    pub lz: Mat<f64>,
    /// Cholesky factor of B = I + VΛ⁻¹Vᵀ.
    pub lb: Mat<f64>,
    /// V = L_z⁻¹K_zx.
    pub v: Mat<f64>,
    /// Λ: noise plus nugget per observation.
    pub lambda: Vec<f64>,
    /// The prior variances Kᵢᵢ.
    pub kdiag: Vec<f64>,
    /// Each channel's share of B − I, V_cΛ_c⁻¹V_cᵀ (lower half).
    pub per_channel: Vec<Mat<f64>>,
    /// c = L_B⁻¹VΛ⁻¹y.
    pub c: Vec<f64>,
    /// The jitter K_zz needed, relative to its mean diagonal.
    pub jitter: f64,
    /// Q_ii = ‖V_i‖², the Nyström approximation's diagonal.
    pub qdiag: Vec<f64>,
    /// The jitter K_zz carries when it needed conditioning, relative to its mean diagonal (0,
    /// 1e-12, 1e-10 or [`INDUCING_JITTER`]).
    pub inducing_jitter: f64,
}

/// V with column i times `scale(i)`, the columns in parallel (an element-wise closure over
/// M × N entries cost a second per evaluation at N = 45,000, M = 1,000).
fn scaled_columns(v: &Mat<f64>, scale: impl Fn(usize) -> f64 + Sync) -> Mat<f64> {
    let mut out = v.clone();
    out.par_col_chunks_mut(1)
        .enumerate()
        .for_each(|(i, mut col)| {
            let s = scale(i);
            for a in 0..col.nrows() {
                col[(a, 0)] *= s;
            }
        });
    out
}

/// ‖column i‖² of V for every column, in parallel.
fn column_norms(v: &Mat<f64>) -> Vec<f64> {
    (0..v.ncols())
        .into_par_iter()
        .map(|i| v.col(i).iter().map(|x| x * x).sum())
        .collect()
}

fn mat_from(rows: usize, cols: usize, f: impl Fn(usize, usize) -> f64) -> Mat<f64> {
    Mat::from_fn(rows, cols, f)
}

/// L⁻¹ R for lower-triangular L.
fn lower_solve(l: &Mat<f64>, mut r: Mat<f64>) -> Mat<f64> {
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(
        l.as_ref(),
        r.as_mut(),
        faer::Par::rayon(0),
    );
    r
}

/// L⁻ᵀ R for lower-triangular L.
fn lower_t_solve(l: &Mat<f64>, mut r: Mat<f64>) -> Mat<f64> {
    faer::linalg::triangular_solve::solve_upper_triangular_in_place(
        l.transpose(),
        r.as_mut(),
        faer::Par::rayon(0),
    );
    r
}

impl Inducing {
    /// The number of inducing values (points × latents).
    pub fn size(&self, model: &Model) -> usize {
        self.m * model.latents.len()
    }

    /// K_zz (block-diagonal over the latents) and K_zx at `values`.
    fn blocks(&self, model: &Model, values: &[f64]) -> (Mat<f64>, Mat<f64>, Vec<f64>) {
        let gp = &values[..model.num_graph_params()];
        let (m, nl) = (self.m, model.latents.len());
        let n = model.num_observations();
        let offsets = model.offsets();
        let mut kzz = Mat::<f64>::zeros(m * nl, m * nl);
        for l in 0..nl {
            let b = self.zz[l]
                .value
                .fill(&self.zz[l].value.bind(gp), &self.z, &self.z);
            for a in 0..m {
                for c in 0..m {
                    kzz[(l * m + a, l * m + c)] = b[0][a * m + c];
                }
            }
        }
        let mut kzx = Mat::<f64>::zeros(m * nl, n);
        let d = model.dim().max(1);
        for l in 0..nl {
            for (c, ch) in model.channels.iter().enumerate() {
                let p = &self.zx[l][c].value;
                let bound = p.bind(gp);
                let len = ch.len();
                // Row-major M × len, rows in parallel, then one blocked copy into K_zx's
                // column-major block.
                let mut b = vec![0.0; m * len];
                b.par_chunks_mut(len.max(1)).enumerate().for_each_init(
                    || p.workspace(),
                    |ws, (a, row)| {
                        let za = &self.z[a * d..(a + 1) * d];
                        p.visit(&bound, ws, za, &ch.x, 0..1, Shape::Full, |bt| {
                            row[bt.col0..bt.col0 + bt.len].copy_from_slice(bt.output(0));
                        });
                    },
                );
                kzx.as_mut()
                    .submatrix_mut(l * m, offsets[c], m, len)
                    .copy_from(faer::MatRef::from_row_major_slice(&b, m, len));
            }
        }
        let mut kdiag = vec![0.0; n];
        for (c, ch) in model.channels.iter().enumerate() {
            let p = &self.diag[c].value;
            let own = p.diagonal(&p.bind(gp), &ch.x);
            kdiag[offsets[c]..offsets[c] + ch.len()].copy_from_slice(&own[0]);
        }
        (kzz, kzx, kdiag)
    }

    /// Factor the bound's matrices at `values`.
    ///
    /// # Errors
    /// [`LikelihoodError::NotPositiveDefinite`] when K_zz cannot be factored even with jitter;
    /// [`LikelihoodError::NotEvaluable`] for a covariance that is not finite.
    pub fn factor(&self, model: &Model, values: &[f64]) -> Result<SparseFactor, LikelihoodError> {
        let n = model.num_observations();
        if n == 0 {
            return Err(LikelihoodError::NoData);
        }
        // About six N × M matrices live at once (K_zx, V and the gradient's work).
        crate::nlml::refuse_memory(
            6.0 * n as f64 * self.size(model) as f64,
            (n, "observations"),
            &format!("{} inducing values", self.size(model)),
            "use fewer inducing points",
        )?;
        let (kzz, kzx, kdiag) = self.blocks(model, values);
        if kzx.col_iter().any(|c| c.iter().any(|v| !v.is_finite()))
            || kdiag.iter().any(|v| !v.is_finite())
        {
            return Err(LikelihoodError::NotEvaluable {
                what: "the covariance between the inducing points and the data at these parameters"
                    .into(),
            });
        }
        let mt = kzz.nrows();
        // Close inducing points make K_zz ill-conditioned, and an inaccurate V = L_z⁻¹K_zx can
        // push Qᵢᵢ above Kᵢᵢ, which breaks the bound. When that happens, K_zz is factored again
        // with INDUCING_JITTER × its mean diagonal added (inducing values observed with that
        // much noise are still valid inducing variables, so the result is still an upper bound
        // on the exact NLML).
        let mean_diag = (0..mt).map(|a| kzz[(a, a)]).sum::<f64>() / mt.max(1) as f64;
        let policy = JitterPolicy {
            start: 1e-8,
            ..JitterPolicy::default()
        };
        // V = L_z⁻¹K_zx is solved in a copy of K_zx, kept for a retry with jitter (filling K_zx
        // again costs more than the copy where second derivatives are observed).
        let attempt =
            |extra: f64, kzx: Mat<f64>| -> Result<(Mat<f64>, Mat<f64>, f64), LikelihoodError> {
                let mut zz: Vec<f64> = (0..mt * mt).map(|k| kzz[(k % mt, k / mt)]).collect();
                for a in 0..mt {
                    zz[a * mt + a] += extra * mean_diag;
                }
                let fz = cholesky_with_jitter(&mut zz, mt, &policy)?;
                let lz = fz.llt.L().to_owned();
                let v = lower_solve(&lz, kzx);
                Ok((lz, v, fz.jitter))
            };
        let (mut lz, mut v, mut jitter) = attempt(0.0, kzx.clone())?;
        let mut inducing_jitter = 0.0;
        let mut qdiag = column_norms(&v);
        let exceeds = |q: &[f64]| {
            q.iter()
                .zip(&kdiag)
                .any(|(q, k)| *q > k * (1.0 + 1e-9) + 1e-300)
        };
        // The smallest of 1e-12, 1e-10 and INDUCING_JITTER (relative to the mean diagonal) that
        // brings every Qᵢᵢ back under Kᵢᵢ: a channel that amplifies K_zz's small eigenvalues (a
        // second derivative observed with little noise) pays for every bit of jitter.
        if jitter > 0.0 || exceeds(&qdiag) {
            for extra in [1e-12, 1e-10, INDUCING_JITTER] {
                (lz, v, jitter) = attempt(extra, kzx.clone())?;
                inducing_jitter = extra;
                qdiag = column_norms(&v);
                if !exceeds(&qdiag) {
                    break;
                }
            }
        }
        let lambda = model.noise_diagonal(values, |i| kdiag[i]);
        // B = I + (VΛ^{-1/2})(VΛ^{-1/2})ᵀ: its lower half only (the factorisation reads no
        // more), half a product's work.
        // Per channel: B_c = V_cΛ_c⁻¹V_cᵀ (lower halves), kept for the gradient's traces.
        let offsets = model.offsets();
        // Where each channel's λ is one number (no merged repeats), B_c = V_cV_cᵀ/λ_c needs no
        // scaled copy of V.
        let uniform = model.channels.iter().all(|c| c.replicates.is_none());
        let vs = (!uniform).then(|| scaled_columns(&v, |i| 1.0 / lambda[i].sqrt()));
        let vs_ref = vs.as_ref().unwrap_or(&v);
        let mut b = Mat::<f64>::identity(mt, mt);
        let mut per_channel = Vec::with_capacity(model.channels.len());
        for c in 0..model.channels.len() {
            let (o, len) = (offsets[c], offsets[c + 1] - offsets[c]);
            let mut bc = Mat::<f64>::zeros(mt, mt);
            let scale = match (uniform, lambda.get(o)) {
                (true, Some(l)) => 1.0 / l,
                _ => 1.0,
            };
            faer::linalg::matmul::triangular::matmul(
                bc.as_mut(),
                faer::linalg::matmul::triangular::BlockStructure::TriangularLower,
                faer::Accum::Replace,
                vs_ref.as_ref().subcols(o, len),
                faer::linalg::matmul::triangular::BlockStructure::Rectangular,
                vs_ref.as_ref().subcols(o, len).transpose(),
                faer::linalg::matmul::triangular::BlockStructure::Rectangular,
                scale,
                faer::Par::rayon(0),
            );
            b += &bc;
            per_channel.push(bc);
        }
        drop(vs);
        let mut bb: Vec<f64> = (0..mt * mt).map(|k| b[(k % mt, k / mt)]).collect();
        let fb = cholesky_with_jitter(&mut bb, mt, &JitterPolicy::default())?;
        let lb = fb.llt.L().to_owned();
        let y = model.stacked_y();
        // VΛ⁻¹y as one product (a row-wise sum over V's columns would stride through memory).
        let yl = mat_from(n, 1, |i, _| y[i] / lambda[i]);
        let c = lower_solve(&lb, &v * &yl);
        Ok(SparseFactor {
            lz,
            lb,
            v,
            lambda,
            kdiag,
            per_channel,
            c: (0..mt).map(|a| c[(a, 0)]).collect(),
            jitter: jitter.max(inducing_jitter),
            inducing_jitter,
            qdiag,
        })
    }

    /// The bound's NLML at `values`, with its gradient if asked.
    ///
    /// # Errors
    /// As [`Inducing::factor`].
    pub fn nlml(
        &self,
        model: &Model,
        values: &[f64],
        gradient: bool,
    ) -> Result<Evaluation, LikelihoodError> {
        let f = self.factor(model, values)?;
        let n = f.lambda.len();
        let mt = f.lz.nrows();
        let y = model.stacked_y();
        // yᵀ(Q + Λ)⁻¹y as ‖Λ^{-1/2}(y − Vᵀβ)‖² + ‖β‖² with β = B⁻¹VΛ⁻¹y = L_B⁻ᵀc: a sum of
        // squares, minimised by β, so an error in β (B is ill-conditioned when noise variances
        // are small) changes it only to second order, where yᵀΛ⁻¹y − ‖c‖² would cancel.
        let cm = mat_from(mt, 1, |a, _| f.c[a]);
        let beta = lower_t_solve(&f.lb, cm);
        let vtb = f.v.transpose() * &beta;
        let resid: f64 = (0..n)
            .map(|i| (y[i] - vtb[(i, 0)]).powi(2) / f.lambda[i])
            .sum();
        let bb: f64 = (0..mt).map(|a| beta[(a, 0)] * beta[(a, 0)]).sum();
        let logdet_b: f64 = (0..mt).map(|a| f.lb[(a, a)].ln()).sum::<f64>() * 2.0;
        let logdet_l: f64 = f.lambda.iter().map(|l| l.ln()).sum();
        let qdiag = &f.qdiag;
        let trace: f64 = (0..n).map(|i| (f.kdiag[i] - qdiag[i]) / f.lambda[i]).sum();
        let rep = model.replicate_terms(values).0;
        let nlml = 0.5 * (resid + bb)
            + 0.5 * (logdet_b + logdet_l)
            + 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln()
            + 0.5 * trace
            + rep;
        let mut grad = vec![0.0; model.params.len()];
        if gradient {
            self.gradient(model, values, &f, &y, qdiag, &mut grad);
        }
        Ok(Evaluation {
            nlml,
            gradient: grad,
            jitter: f.jitter,
        })
    }

    /// K_z* (M_tot × points): the covariance of every latent's inducing values with `op` at
    /// `points`, for predictions.
    fn cross_to(
        &self,
        model: &Model,
        gp: &[f64],
        graph: &mut noether_kernels::expr::Graph,
        op: &Operator,
        points: &[f64],
    ) -> Result<Mat<f64>, LikelihoodError> {
        let (m, nl) = (self.m, model.latents.len());
        let np = points.len() / model.dim().max(1);
        let mut kzs = Mat::<f64>::zeros(m * nl, np);
        for l in 0..nl {
            let id = Operator::identity(graph, l, &model.latents[l]);
            let b = prior_block(model, graph, gp, (&id, &self.z), (op, points))?;
            for a in 0..m {
                for j in 0..np {
                    kzs[(l * m + a, j)] = b[a * np + j];
                }
            }
        }
        Ok(kzs)
    }

    /// The posterior of `op` at `points` under the bound: mean K_*z w with w = L_z⁻ᵀL_B⁻ᵀc, and
    /// variance k_** − ‖a‖² + ‖L_B⁻¹a‖² with a = L_z⁻¹k_z* (Titsias 2009, eq. 6).
    ///
    /// # Errors
    /// A kernel that does not support the operator; a mean or variance that is not finite.
    pub fn predict(
        &self,
        model: &Model,
        values: &[f64],
        f: &SparseFactor,
        graph: &mut noether_kernels::expr::Graph,
        op: &Operator,
        points: &[f64],
    ) -> Result<crate::posterior::Prediction, LikelihoodError> {
        let gp = &values[..model.num_graph_params()];
        let (m, nl) = (self.m, model.latents.len());
        let d = model.dim();
        let np = points.len() / d.max(1);
        let mt = m * nl;
        let kzs = self.cross_to(model, gp, graph, op, points)?;
        let priors = prior_diagonal(model, graph, gp, op, points)?;
        let a = lower_solve(&f.lz, kzs);
        // K_*z L_z⁻ᵀ L_B⁻ᵀ c = aᵀ (L_B⁻ᵀ c).
        let lbc = lower_t_solve(&f.lb, mat_from(mt, 1, |k, _| f.c[k]));
        let b = lower_solve(&f.lb, a.clone());
        let mut mean = Vec::with_capacity(np);
        let mut variance = Vec::with_capacity(np);
        for j in 0..np {
            let mu: f64 = (0..mt).map(|k| a[(k, j)] * lbc[(k, 0)]).sum();
            let prior = priors[j];
            let aa: f64 = (0..mt).map(|k| a[(k, j)] * a[(k, j)]).sum();
            let bb: f64 = (0..mt).map(|k| b[(k, j)] * b[(k, j)]).sum();
            let var = prior - aa + bb;
            if !(mu.is_finite() && var.is_finite()) || var < -1e-3 * prior.abs() {
                return Err(LikelihoodError::NonFinitePrediction {
                    target: op.text.clone(),
                    point: j,
                    mean: mu,
                    variance: var,
                });
            }
            mean.push(mu);
            variance.push(var.max(0.0));
        }
        Ok(crate::posterior::Prediction {
            mean,
            variance,
            covariance: None,
            zero: op.is_zero(),
        })
    }

    /// The joint posterior of several operators at `points` under the bound: means aₜᵀL_B⁻ᵀc and
    /// covariances K_st − a_sᵀa_t + b_sᵀb_t with a_t = L_z⁻¹K_z,t and b_t = L_B⁻¹a_t, stacked
    /// target-major as in [`crate::posterior::JointPrediction`].
    ///
    /// # Errors
    /// A kernel that does not support an operator.
    pub fn predict_joint(
        &self,
        model: &Model,
        values: &[f64],
        f: &SparseFactor,
        graph: &mut noether_kernels::expr::Graph,
        ops: &[Operator],
        points: &[f64],
    ) -> Result<(Vec<f64>, Vec<f64>), LikelihoodError> {
        let gp = &values[..model.num_graph_params()];
        let (m, nl) = (self.m, model.latents.len());
        let d = model.dim();
        let np = points.len() / d.max(1);
        let mt = m * nl;
        let lbc = lower_t_solve(&f.lb, mat_from(mt, 1, |k, _| f.c[k]));
        let mut a_all = Vec::new();
        let mut b_all = Vec::new();
        let mut mean = Vec::with_capacity(ops.len() * np);
        for op in ops {
            let kzs = self.cross_to(model, gp, graph, op, points)?;
            let a = lower_solve(&f.lz, kzs);
            let b = lower_solve(&f.lb, a.clone());
            mean.extend((0..np).map(|j| (0..mt).map(|k| a[(k, j)] * lbc[(k, 0)]).sum::<f64>()));
            a_all.push(a);
            b_all.push(b);
        }
        let size = ops.len() * np;
        let mut cov = vec![0.0; size * size];
        for s in 0..ops.len() {
            for t in s..ops.len() {
                let prior = prior_block(model, graph, gp, (&ops[s], points), (&ops[t], points))?;
                let aa = a_all[s].transpose() * &a_all[t];
                let bb = b_all[s].transpose() * &b_all[t];
                for i in 0..np {
                    for j in 0..np {
                        let c = prior[i * np + j] - aa[(i, j)] + bb[(i, j)];
                        let (r, q) = (s * np + i, t * np + j);
                        cov[r * size + q] = c;
                        cov[q * size + r] = c;
                    }
                }
            }
        }
        if let Some(k) =
            (0..size).find(|&k| !(mean[k].is_finite() && cov[k * size + k].is_finite()))
        {
            return Err(LikelihoodError::NonFinitePrediction {
                target: ops[k / np.max(1)].text.clone(),
                point: k % np.max(1),
                mean: mean[k],
                variance: cov[k * size + k],
            });
        }
        Ok((mean, cov))
    }

    #[allow(clippy::needless_range_loop)]
    fn gradient(
        &self,
        model: &Model,
        values: &[f64],
        f: &SparseFactor,
        y: &[f64],
        qdiag: &[f64],
        grad: &mut [f64],
    ) {
        let n = f.lambda.len();
        let mt = f.lz.nrows();
        let (lam, v) = (&f.lambda, &f.v);
        // β = L_B⁻ᵀ c; α = Λ⁻¹y − Λ⁻¹Vᵀβ = (Q + Λ)⁻¹y.
        let cm = mat_from(mt, 1, |a, _| f.c[a]);
        let beta = lower_t_solve(&f.lb, cm);
        let vtb = v.transpose() * &beta;
        let alpha: Vec<f64> = (0..n).map(|i| (y[i] - vtb[(i, 0)]) / lam[i]).collect();
        let eye = Mat::<f64>::identity(mt, mt);
        let binv = lower_t_solve(&f.lb, lower_solve(&f.lb, eye.clone()));
        // diag((Q + Λ)⁻¹)_i = 1/λ_i − t_i/λ_i with t_i = V_iᵀB⁻¹V_i/λ_i. What the gradient
        // needs of it are its sums over each channel, plain and weighted by w_i (the noise's
        // derivative, the nugget's share). Σ_{i∈c} t_i = tr(B⁻¹B_c), M² work from B_c's lower
        // half; only merged repeats (w_i ≠ 1, λ_i ≠ λ_c) need their own t_i, from L_B⁻¹ on
        // their columns alone (M² each). Every other point of a channel has λ_i = λ_c and
        // w_i = 1, so it carries the channel's remaining sum in equal shares and both sums are
        // exact, without the M × N triangular solve that every column's own t_i would cost.
        let offsets = model.offsets();
        let merged: Vec<usize> = model
            .channels
            .iter()
            .enumerate()
            .flat_map(|(c, ch)| {
                let o = offsets[c];
                (0..ch.len())
                    .filter(move |&j| ch.noise_weight(j) != 1.0)
                    .map(move |j| o + j)
            })
            .collect();
        let mut t_merged = vec![0.0; n];
        if !merged.is_empty() {
            let cols = mat_from(mt, merged.len(), |a, k| v[(a, merged[k])]);
            let x = lower_solve(&f.lb, cols);
            for (k, &i) in merged.iter().enumerate() {
                let s: f64 = x.col(k).iter().map(|q| q * q).sum();
                t_merged[i] = s / lam[i];
            }
        }
        let mut sinv = vec![0.0; n];
        for (c, bc) in f.per_channel.iter().enumerate() {
            let r = offsets[c]..offsets[c + 1];
            // tr(B⁻¹B_c) from B_c's lower half.
            let mut tr = 0.0;
            for j in 0..mt {
                tr += binv[(j, j)] * bc[(j, j)];
                for i in j + 1..mt {
                    tr += 2.0 * binv[(i, j)] * bc[(i, j)];
                }
            }
            let ch = &model.channels[c];
            let mut rest = Vec::with_capacity(r.len());
            for (j, i) in r.clone().enumerate() {
                if ch.noise_weight(j) != 1.0 {
                    sinv[i] = (1.0 - t_merged[i]) / lam[i];
                    tr -= t_merged[i];
                } else {
                    rest.push(i);
                }
            }
            if let Some(&first) = rest.first() {
                let share = (rest.len() as f64 - tr) / lam[first] / rest.len() as f64;
                for i in rest {
                    sinv[i] = share;
                }
            }
        }
        // H = ∂NLML/∂Q = ½(Q+Λ)⁻¹ − ½ααᵀ − ½Λ⁻¹ (the last from the trace term), and
        // V(Q + Λ)⁻¹ = B⁻¹VΛ⁻¹, so VH = ½(B⁻¹ − I)VΛ⁻¹ − ½(Vα)αᵀ. Then
        //   ∂NLML/∂K_zx = 2 L_z⁻ᵀ(VH) = L_z⁻ᵀ(B⁻¹ − I)·VΛ⁻¹ − (L_z⁻ᵀVα)αᵀ,
        // one M × M by M × N product, and, as VΛ⁻¹Vᵀ = B − I,
        //   (VH)Vᵀ = ½(B⁻¹ − I)(B − I) − ½(Vα)(Vα)ᵀ = ½(2I − B − B⁻¹) − ½(Vα)(Vα)ᵀ,
        // M × M work only: ∂NLML/∂K_zz = −L_z⁻ᵀ (VH)Vᵀ L_z⁻¹.
        let bmat = &f.lb * f.lb.transpose();
        let alpha_m = mat_from(n, 1, |i, _| alpha[i]);
        let va = v * &alpha_m;
        let cz = lower_t_solve(&f.lz, &binv - &eye);
        let w = lower_t_solve(&f.lz, va.clone());
        // Kept transposed (N × M_tot), so that the visits below, which run over the
        // observations for one inducing value, read it down a column, not across a row.
        // (VΛ⁻¹)ᵀ = Λ⁻¹Vᵀ: the product is taken with Vᵀ and its rows scaled by 1/λ_i below
        // (no scaled copy of V).
        let mut dzx_t = v.transpose() * cz.transpose();
        dzx_t
            .par_col_chunks_mut(1)
            .enumerate()
            .for_each(|(a, mut col)| {
                // Halved: the visits below take 2·dzx, as they took 2 L_z⁻ᵀ(VH).
                for i in 0..n {
                    col[(i, 0)] = 0.5 * (col[(i, 0)] / lam[i] - w[(a, 0)] * alpha[i]);
                }
            });
        let s = mat_from(mt, mt, |a, b| {
            let two_i = if a == b { 2.0 } else { 0.0 };
            0.5 * (two_i - bmat[(a, b)] - binv[(a, b)]) - 0.5 * va[(a, 0)] * va[(b, 0)]
        });
        let t = lower_t_solve(&f.lz, s);
        let dzz_t = lower_t_solve(&f.lz, t.transpose().to_owned());
        // dzz = −(L_z⁻ᵀ S L_z⁻¹) = −dzz_tᵀ.
        // ∂NLML/∂λ_i and ∂NLML/∂K_ii.
        let dlam: Vec<f64> = (0..n)
            .map(|i| {
                0.5 * sinv[i]
                    - 0.5 * alpha[i] * alpha[i]
                    - 0.5 * (f.kdiag[i] - qdiag[i]) / (lam[i] * lam[i])
            })
            .collect();
        // λ_i = σ²_c·w_i + the nugget: the noises' share, and the nugget's on ∂NLML/∂K_ii.
        let ds = model.replicate_terms(values).1;
        let mut dl = dlam.clone();
        model.noise_gradient(&ds, &mut dl, grad);
        let dkdiag: Vec<f64> = (0..n).map(|i| 0.5 / lam[i] + dl[i] - dlam[i]).collect();
        let gp = &values[..model.num_graph_params()];
        let (m, nl) = (self.m, model.latents.len());
        // K_zz blocks. The jitter INDUCING_JITTER·mean(diag K_zz) moves with the kernel
        // parameters too: its share is INDUCING_JITTER·tr(adjoint)/M_tot on the diagonal.
        let trace_adj: f64 = (0..mt).map(|a| -dzz_t[(a, a)]).sum();
        let jitter_share = f.inducing_jitter * trace_adj / mt.max(1) as f64;
        for l in 0..nl {
            let pp = &self.zz[l];
            let bound = pp.grad.bind(gp);
            let mut ws = pp.grad.workspace();
            pp.grad
                .visit(&bound, &mut ws, &self.z, &self.z, 0..m, Shape::Full, |b| {
                    for k in 0..pp.params.len() {
                        let out = b.output(k);
                        let mut acc = 0.0;
                        for j in 0..b.len {
                            let mut w = -dzz_t[(l * m + b.col0 + j, l * m + b.row)];
                            if b.col0 + j == b.row {
                                w += jitter_share;
                            }
                            acc += w * out[j];
                        }
                        grad[pp.params[k]] += acc;
                    }
                });
        }
        // K_zx blocks, rows in parallel.
        for l in 0..nl {
            for (c, ch) in model.channels.iter().enumerate() {
                let pp = &self.zx[l][c];
                let bound = pp.grad.bind(gp);
                let o = offsets[c];
                // One partial sum per row, added in row order: the same result on any number
                // of threads.
                let rows: Vec<Vec<f64>> = (0..m)
                    .into_par_iter()
                    .map_init(
                        || pp.grad.workspace(),
                        |ws, a| {
                            let col = dzx_t
                                .col(l * m + a)
                                .try_as_col_major()
                                .expect("contiguous")
                                .as_slice();
                            let mut acc = vec![0.0; pp.params.len()];
                            pp.grad
                                .visit(&bound, ws, &self.z, &ch.x, a..a + 1, Shape::Full, |b| {
                                    for k in 0..pp.params.len() {
                                        let out = b.output(k);
                                        let mut s = 0.0;
                                        for j in 0..b.len {
                                            s += 2.0 * col[o + b.col0 + j] * out[j];
                                        }
                                        acc[k] += s;
                                    }
                                });
                            acc
                        },
                    )
                    .collect();
                let mut partial = vec![0.0; pp.params.len()];
                for r in &rows {
                    for (p, v) in partial.iter_mut().zip(r) {
                        *p += v;
                    }
                }
                for k in 0..pp.params.len() {
                    grad[pp.params[k]] += partial[k];
                }
            }
        }
        // The diagonal.
        for (c, ch) in model.channels.iter().enumerate() {
            let pp = &self.diag[c];
            let out = pp.grad.diagonal(&pp.grad.bind(gp), &ch.x);
            for (k, o) in out.iter().enumerate() {
                let adj = &dkdiag[offsets[c]..offsets[c] + ch.len()];
                grad[pp.params[k]] += adj.iter().zip(o).map(|(a, b)| a * b).sum::<f64>();
            }
        }
    }
}
