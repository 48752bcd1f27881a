//! The model: latents with kernels, unknown operator coefficients, observation channels with
//! data and noise, and the compiled covariance blocks between every pair of channels.

use crate::prior::{Prior, PriorSource};
use crate::replicates::Replicates;
use crate::space::{Transform, NOISE_FLOOR};
use crate::LikelihoodError;
use noether_kernels::apply::covariance;
use noether_kernels::compile::Program;
use noether_kernels::expr::{ExprId, Graph, ParamId, Var};
use noether_kernels::operator::{Names, Operator};
use noether_kernels::{Kernel, KernelSpec};

/// What a parameter is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A kernel hyperparameter of a latent.
    Kernel {
        /// The latent.
        latent: String,
    },
    /// An unknown operator coefficient.
    Coefficient,
    /// The noise variance of a channel.
    Noise {
        /// The channel.
        channel: String,
    },
}

/// One parameter of the model.
#[derive(Clone, Debug)]
pub struct Param {
    /// Its name (`u.variance`, `a`, `noise.f`).
    pub name: String,
    /// Its current value in natural units.
    pub value: f64,
    /// Its transform.
    pub transform: Transform,
    /// Kept at its value, not learned.
    pub fixed: bool,
    /// What it is.
    pub kind: ParamKind,
    /// Its prior density ([`crate::prior`]).
    pub prior: Prior,
    /// Whether the prior was given or is the documented default.
    pub prior_source: PriorSource,
}

/// One observation channel: `y = L g(x) + ε`, ε ~ N(0, σ²).
#[derive(Clone, Debug)]
pub struct Channel {
    /// Its name.
    pub name: String,
    /// Its operator.
    pub operator: Operator,
    /// Input points, row-major, `dim` numbers each.
    pub x: Vec<f64>,
    /// Observations, one per point.
    pub y: Vec<f64>,
    /// Where the observations came from (a file, `inline data`), for messages.
    pub source: String,
    /// The label of each observation in its source (a CSV line, an index), for messages.
    pub rows: Vec<usize>,
    /// The known mean of what the channel observes (its operator's latent-free part), compiled
    /// with its parameter derivatives.
    pub(crate) mean: Option<MeanProgram>,
    /// Observations at one point merged into their mean ([`crate::replicates`]); `None` where
    /// every point was distinct.
    pub(crate) replicates: Option<Replicates>,
}

/// A channel's known mean μ(x; φ) compiled with its derivatives by the parameters it depends on.
#[derive(Clone, Debug)]
pub(crate) struct MeanProgram {
    /// Outputs: μ, then ∂μ/∂p for each of `params`.
    pub(crate) program: Program,
    pub(crate) params: Vec<usize>,
}

impl MeanProgram {
    pub(crate) fn new(graph: &mut Graph, e: ExprId) -> MeanProgram {
        let (grads, params) = param_gradients(graph, e);
        let mut outputs = vec![e];
        outputs.extend(grads);
        MeanProgram {
            program: Program::compile(graph, &outputs),
            params,
        }
    }

    /// μ at each point (row-major, `dim` numbers each), and with `grad` its derivatives
    /// (`grads[k][i]` by `params[k]` at point i).
    pub(crate) fn eval(
        &self,
        gp: &[f64],
        x: &[f64],
        dim: usize,
        grad: bool,
    ) -> (Vec<f64>, Vec<Vec<f64>>) {
        let bound = self.program.bind(gp);
        let n = x.len() / dim.max(1);
        let mut mu = Vec::with_capacity(n);
        let mut grads = vec![Vec::with_capacity(n); if grad { self.params.len() } else { 0 }];
        for i in 0..n {
            let p = &x[i * dim..(i + 1) * dim];
            let out = self.program.eval_pair(&bound, p, p);
            mu.push(out[0]);
            for (k, g) in grads.iter_mut().enumerate() {
                g.push(out[k + 1]);
            }
        }
        (mu, grads)
    }
}

impl Channel {
    /// `channel `f` (all.csv row 13)`: where observation `i` came from.
    pub fn describe(&self, i: usize) -> String {
        format!(
            "channel `{}` ({} row {})",
            self.name,
            self.source,
            self.rows.get(i).copied().unwrap_or(i + 1)
        )
    }
}

impl Channel {
    /// Whether its data are exact zeros of an operator with no known part (a law without a
    /// source, a constraint): a channel a fit conditions on rather than observes
    /// ([`Model::constraint_rows`]). A law applied to a known mean stays observed: p(0) then
    /// holds what the mean says of the coefficients (conditioned on, the declared heat fit's
    /// a fell from within 2.4 % to 1.0–2.2 on four seeds).
    pub fn is_constraint(&self) -> bool {
        self.mean.is_none() && self.y.iter().all(|v| *v == 0.0)
    }

    /// How repeated observations of one point were merged, if any were.
    pub fn replicates(&self) -> Option<&Replicates> {
        self.replicates.as_ref()
    }

    /// The factor on the noise variance of observation `i`: 1/n for the mean of n observations
    /// of one point.
    pub(crate) fn noise_weight(&self, i: usize) -> f64 {
        self.replicates.as_ref().map_or(1.0, |r| 1.0 / r.counts[i])
    }

    /// The number of observations (distinct points, after repeated ones were merged).
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether it holds no observation.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}

/// The compiled covariance between channels c1 ≤ c2.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    pub(crate) c1: usize,
    pub(crate) c2: usize,
    pub(crate) value: Program,
    /// Outputs: ∂/∂p for each parameter index in `params` (graph parameters it depends on).
    pub(crate) grad: Program,
    pub(crate) params: Vec<usize>,
}

/// ∂e/∂p for every graph parameter p that `e` depends on, with those parameters' indices: what
/// the covariance blocks and the known means compile beside their values.
pub(crate) fn param_gradients(graph: &mut Graph, e: ExprId) -> (Vec<ExprId>, Vec<usize>) {
    let mut grads = Vec::new();
    let mut params = Vec::new();
    for p in 0..graph.num_params() {
        let v = Var::Param(ParamId(p as u32));
        if graph.depends_on(e, v) {
            grads.push(graph.diff(e, v));
            params.push(p);
        }
    }
    (grads, params)
}

/// The compiled covariance `Cov(L₁ g(x), L₂ g(x'))` of two operators: its value, and a second
/// program whose outputs are its derivatives by each of `params`.
#[derive(Clone, Debug)]
pub(crate) struct PairProgram {
    pub(crate) value: Program,
    pub(crate) grad: Program,
    pub(crate) params: Vec<usize>,
}

/// Compile the covariance of two operators, with its parameter derivatives: the one place
/// that builds covariance blocks, for the exact likelihood's channel pairs and the inducing
/// points' blocks alike.
pub(crate) fn compile_pair(
    graph: &mut Graph,
    kernels: &[Kernel],
    latents: &[String],
    l1: &Operator,
    l2: &Operator,
) -> Result<PairProgram, LikelihoodError> {
    let e = covariance(graph, kernels, latents, l1, l2)?;
    let (grads, params) = param_gradients(graph, e);
    let value = Program::compile(graph, &[e]);
    let grad = Program::compile(graph, &grads);
    Ok(PairProgram {
        value,
        grad,
        params,
    })
}

/// The prior covariance of `l1` at the points `a` against `l2` at the points `b`, at the graph
/// parameters `gp`, row-major (entry i·|b| + j): the one place a prediction's prior block is
/// compiled and filled, for every solver (the exact posterior's cross-covariances, variances
/// and joint covariances; the inducing points' K_z* and their joint priors). Entries that
/// overflowed between points so far apart that every latent's kernel has underflowed to 0 there
/// are 0 ([`far_apart`]); other non-finite entries stay, for the caller to report.
pub(crate) fn prior_block(
    model: &Model,
    graph: &mut Graph,
    gp: &[f64],
    (l1, a): (&Operator, &[f64]),
    (l2, b): (&Operator, &[f64]),
) -> Result<Vec<f64>, LikelihoodError> {
    let e = covariance(graph, &model.kernels, &model.latents, l1, l2)?;
    let prog = Program::compile(graph, &[e]);
    let mut out = prog.fill(&prog.bind(gp), a, b).swap_remove(0);
    if out.iter().any(|v| !v.is_finite()) {
        far_apart(model, graph, gp, (l1, a), (l2, b), &mut out);
    }
    Ok(out)
}

/// The prior variance of `op` at each of `points`: [`prior_block`]'s diagonal, without the
/// block.
pub(crate) fn prior_diagonal(
    model: &Model,
    graph: &mut Graph,
    gp: &[f64],
    op: &Operator,
    points: &[f64],
) -> Result<Vec<f64>, LikelihoodError> {
    let e = covariance(graph, &model.kernels, &model.latents, op, op)?;
    let prog = Program::compile(graph, &[e]);
    let bound = prog.bind(gp);
    Ok(points
        .chunks(model.dim().max(1))
        .map(|p| prog.eval_pair(&bound, p, p)[0])
        .collect())
}

/// Zero the entries of a block (`out[i·|b| + j]` between `a`'s point i and `b`'s point j) that
/// overflowed between points so far apart that the kernel of every latent involved has
/// underflowed to 0 there: for kernels that decay ([`KernelSpec::decays`]) the covariance of any
/// operator is 0 too (a polynomial times e^{−r²/2}), and a prediction far from all data is the
/// prior's. Other non-finite entries stay, to be reported.
fn far_apart(
    model: &Model,
    graph: &mut Graph,
    gp: &[f64],
    (l1, a): (&Operator, &[f64]),
    (l2, b): (&Operator, &[f64]),
    out: &mut [f64],
) {
    let d = model.dim();
    let mut latents: Vec<usize> = l1.terms.iter().chain(&l2.terms).map(|t| t.latent).collect();
    latents.sort_unstable();
    latents.dedup();
    if !latents.iter().all(|&l| model.specs[l].decays()) {
        return;
    }
    let progs: Vec<Program> = latents
        .iter()
        .map(|&l| {
            let id = Operator::identity(graph, l, &model.latents[l]);
            covariance(graph, &model.kernels, &model.latents, &id, &id)
                .map(|e| Program::compile(graph, &[e]))
        })
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    if progs.len() != latents.len() {
        return;
    }
    let bound: Vec<_> = progs.iter().map(|p| p.bind(gp)).collect();
    let n = b.len() / d.max(1);
    for (k, v) in out.iter_mut().enumerate() {
        if v.is_finite() {
            continue;
        }
        let (p, x) = (
            &a[(k / n) * d..(k / n + 1) * d],
            &b[(k % n) * d..(k % n + 1) * d],
        );
        if progs
            .iter()
            .zip(&bound)
            .all(|(prog, bd)| prog.eval_pair(bd, p, x)[0] == 0.0)
        {
            *v = 0.0;
        }
    }
}

/// A Gaussian-process model over latent functions observed through linear operators.
///
/// # Examples
/// ```
/// use noether_likelihood::Model;
/// use noether_kernels::KernelSpec;
/// let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[])?;
/// m.add_channel("u", "u", vec![0.0, 0.5, 1.0], vec![0.0, 1.0, 0.0], 1e-4)?;
/// assert_eq!(m.param_names(), ["u.variance", "u.lengthscale", "noise.u"]);
/// let e = m.nlml(&m.values(), true)?;
/// assert!(e.nlml.is_finite() && e.gradient.len() == 3);
/// # Ok::<(), noether_likelihood::LikelihoodError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Model {
    pub(crate) graph: Graph,
    pub(crate) latents: Vec<String>,
    pub(crate) kernels: Vec<Kernel>,
    pub(crate) specs: Vec<KernelSpec>,
    pub(crate) coefficients: Vec<String>,
    pub(crate) channels: Vec<Channel>,
    pub(crate) params: Vec<Param>,
    pub(crate) blocks: Vec<Block>,
    /// The solver: exact, inducing points or a Hilbert-space basis ([`crate::solver`]).
    pub(crate) choice: crate::solver::Choice,
    /// For each channel whose data are all zero: its prior variance at the first start of the
    /// fit ([`Model::scale_zero_channels`]), by channel index.
    pub(crate) zero_scales: Vec<(usize, f64)>,
    /// Whether channels of exact zeros without a known mean (a law without a source, a
    /// constraint) are conditioned on rather than observed ([`Model::set_condition_on_zeros`]).
    pub(crate) condition_on_zeros: bool,
}

impl Model {
    /// A model over named inputs, with latents and their kernels, and unknown operator
    /// coefficients with their initial values. Kernel hyperparameters start at 1 (set them with
    /// [`Model::set`]); all are positive (log transform); coefficients are free.
    ///
    /// # Errors
    /// [`LikelihoodError::Duplicate`] for a name used twice.
    pub fn new<S: AsRef<str>>(
        inputs: &[S],
        latents: &[(&str, KernelSpec)],
        coefficients: &[(&str, f64)],
    ) -> Result<Model, LikelihoodError> {
        let mut graph = Graph::new(inputs);
        let mut seen: Vec<String> = graph.inputs().to_vec();
        let mut check = |n: &str| {
            if seen.iter().any(|s| s == n) {
                Err(LikelihoodError::Duplicate {
                    name: n.to_string(),
                })
            } else {
                seen.push(n.to_string());
                Ok(())
            }
        };
        let mut params = Vec::new();
        let mut kernels = Vec::new();
        for (name, spec) in latents {
            check(name)?;
            let k = spec.build(&mut graph, name);
            for &p in &k.params {
                if (p.0 as usize) < params.len() {
                    // Shared with a latent built before (a kernel built under its name).
                    continue;
                }
                let pname = graph.param_name(p).to_string();
                // A shared kernel's parameters belong to the latent they are named after.
                let owner = pname.split('.').next().unwrap_or(name).to_string();
                params.push(Param {
                    name: pname,
                    value: 1.0,
                    transform: Transform::POSITIVE,
                    fixed: false,
                    kind: ParamKind::Kernel { latent: owner },
                    prior: Prior::Flat,
                    prior_source: PriorSource::Default,
                });
            }
            kernels.push(k);
        }
        for (name, v) in coefficients {
            check(name)?;
            graph.param(name);
            params.push(Param {
                name: name.to_string(),
                value: *v,
                transform: Transform::Identity,
                fixed: false,
                kind: ParamKind::Coefficient,
                prior: Prior::Flat,
                prior_source: PriorSource::Default,
            });
        }
        Ok(Model {
            graph,
            latents: latents.iter().map(|l| l.0.to_string()).collect(),
            kernels,
            specs: latents.iter().map(|l| l.1.clone()).collect(),
            coefficients: coefficients.iter().map(|c| c.0.to_string()).collect(),
            channels: Vec::new(),
            params,
            blocks: Vec::new(),
            choice: crate::solver::Choice::Exact,
            zero_scales: Vec::new(),
            condition_on_zeros: true,
        })
    }

    /// Use inducing points at `z` (row-major) on every latent: from now on the NLML, its gradient
    /// and the fit use the variational bound, in O(N M²) time and O(N M) memory.
    ///
    /// # Errors
    /// As [`Model::inducing`]; inducing points before the channels are added.
    pub fn approximate(&mut self, z: Vec<f64>) -> Result<(), LikelihoodError> {
        if self.channels.is_empty() {
            return Err(LikelihoodError::NoData);
        }
        if let Some(c) = self.channels.iter().find(|c| c.mean.is_some()) {
            return Err(LikelihoodError::Unsupported {
                solver: "inducing points".into(),
                what: format!(
                    "a known mean (channel `{}` observes `{}`, which has a latent-free part); fit it with the exact likelihood",
                    c.name, c.operator.text
                ),
            });
        }
        let ind = self.inducing(z)?;
        self.choice = crate::solver::Choice::Inducing(ind);
        Ok(())
    }

    /// Use the Hilbert-space basis of `per_input[d]` functions in each input on the box
    /// `boundary_factor` times the data's half-range ([`crate::hilbert`]): from now on the NLML,
    /// its gradient and the posterior are the reduced-rank ones. Call it after the channels are
    /// added (the data enter the basis's sums once, here).
    ///
    /// # Errors
    /// As [`crate::hilbert::Hilbert::new`]; [`LikelihoodError::Unsupported`] with inducing
    /// points.
    pub fn use_basis(
        &mut self,
        per_input: &[usize],
        boundary_factor: &[f64],
    ) -> Result<(), LikelihoodError> {
        self.use_basis_from(per_input, boundary_factor, crate::hilbert::Source::Model)
    }

    /// [`Model::use_basis`] with the sums over the data from `source`: a shard's observations,
    /// or sums merged from shards. The box is always the model's data's.
    ///
    /// # Errors
    /// As [`Model::use_basis`]; sums that do not fit the model.
    pub fn use_basis_from(
        &mut self,
        per_input: &[usize],
        boundary_factor: &[f64],
        source: crate::hilbert::Source,
    ) -> Result<(), LikelihoodError> {
        self.use_basis_walled(per_input, boundary_factor, &[], source)
    }

    /// [`Model::use_basis_from`] with declared walls: input d's box is `walls[d]` where it is
    /// `Some`, with the eigenfunctions of its faces' conditions
    /// ([`crate::hilbert::Hilbert::with_walls`]).
    ///
    /// # Errors
    /// As [`Model::use_basis_from`]; walls the data lie beyond.
    pub fn use_basis_walled(
        &mut self,
        per_input: &[usize],
        boundary_factor: &[f64],
        walls: &[Option<crate::hilbert::Walls>],
        source: crate::hilbert::Source,
    ) -> Result<(), LikelihoodError> {
        if self.approximation().is_some() {
            return Err(LikelihoodError::Unsupported {
                solver: "the Hilbert-space basis".into(),
                what: "inducing points as well".into(),
            });
        }
        self.choice = crate::solver::Choice::Basis(crate::hilbert::Hilbert::with_walls(
            self,
            per_input,
            boundary_factor,
            walls,
            source,
        )?);
        Ok(())
    }

    /// The Hilbert-space basis in use, if any.
    pub fn basis(&self) -> Option<&crate::hilbert::Hilbert> {
        match &self.choice {
            crate::solver::Choice::Basis(h) => Some(h),
            _ => None,
        }
    }

    /// This model without its inducing points: the exact likelihood, for comparison.
    pub fn exact(&self) -> Model {
        let mut m = self.clone();
        m.choice = crate::solver::Choice::Exact;
        m
    }

    /// The inducing points in use, if the model is approximated.
    pub fn approximation(&self) -> Option<&crate::sparse::Inducing> {
        match &self.choice {
            crate::solver::Choice::Inducing(i) => Some(i),
            _ => None,
        }
    }

    /// The names operators may use.
    pub fn names(&self) -> Names {
        Names {
            latents: self.latents.clone(),
            parameters: self.coefficients.clone(),
        }
    }

    /// Parse an operator against this model's inputs, latents and coefficients.
    ///
    /// # Errors
    /// The parser's errors ([`noether_kernels::KernelError`]).
    pub fn parse_operator(&mut self, text: &str) -> Result<Operator, LikelihoodError> {
        let names = self.names();
        Ok(Operator::parse(text, &mut self.graph, &names)?)
    }

    /// Add an observation channel: `y = L g(x) + ε` with initial noise variance `noise`. `x` holds
    /// the points row-major (`dim` numbers each).
    ///
    /// # Errors
    /// A bad operator, data of the wrong shape, non-finite values, a name used twice, an operator
    /// past a kernel's supported order.
    pub fn add_channel(
        &mut self,
        name: &str,
        operator: &str,
        x: Vec<f64>,
        y: Vec<f64>,
        noise: f64,
    ) -> Result<(), LikelihoodError> {
        let data = |m: String| LikelihoodError::Data {
            channel: name.to_string(),
            message: m,
        };
        if self.channels.iter().any(|c| c.name == name) {
            return Err(LikelihoodError::Duplicate {
                name: name.to_string(),
            });
        }
        let d = self.graph.dim();
        if y.is_empty() {
            return Err(data("no observations".into()));
        }
        if x.len() != y.len() * d {
            return Err(data(format!(
                "{} observations need {} input numbers ({} per point), got {}",
                y.len(),
                y.len() * d,
                d,
                x.len()
            )));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(data(format!(
                "input of point {} is not finite ({})",
                i / d + 1,
                x[i]
            )));
        }
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(data(format!(
                "observation {} is not finite ({})",
                i + 1,
                y[i]
            )));
        }
        if !(noise.is_finite() && noise > 0.0) {
            return Err(data(format!(
                "initial noise variance must be positive and finite, got {noise}"
            )));
        }
        let mean_square = y.iter().map(|v| v * v).sum::<f64>() / y.len() as f64;
        let operator = self.parse_operator(operator)?;
        let (x, y, replicates) = match crate::replicates::merge(&x, &y, d) {
            Some((x, y, r)) => (x, y, Some(r)),
            None => (x, y, None),
        };
        if operator.offset.is_some() {
            let solver = self.solver();
            if !solver.supports(crate::solver::Feature::KnownMeans) {
                return Err(LikelihoodError::Unsupported {
                    solver: solver.name().into(),
                    what: format!("a known mean (`{}` has a latent-free part)", operator.text),
                });
            }
        }
        // An operator that annihilates the kernel (the derivative of a constant kernel, the
        // second derivative of a linear one) observes 0 whatever the latent: its data could only
        // be fitted as noise.
        let own = covariance(
            &mut self.graph,
            &self.kernels,
            &self.latents,
            &operator,
            &operator,
        )?;
        if self.graph.as_const(own) == Some(0.0) {
            let kernels: Vec<String> = operator
                .terms
                .iter()
                .map(|t| {
                    format!(
                        "`{}` ({})",
                        self.latents[t.latent],
                        self.specs[t.latent].name()
                    )
                })
                .collect();
            return Err(data(format!(
                "`{}` is zero by construction under the kernel of {}: every sample of the prior has {} = 0, so these data could only be fitted as noise; give the latent a kernel that `{}` does not annihilate (se, matern52, or a sum with one)",
                operator.text,
                kernels.join(" and "),
                operator.text,
                operator.text
            )));
        }
        let mean = operator
            .offset
            .map(|e| MeanProgram::new(&mut self.graph, e));
        if let Some(mp) = &mean {
            // A known mean that is not finite on the data cannot be fitted: say where.
            let gp: Vec<f64> = self.params[..self.graph.num_params()]
                .iter()
                .map(|p| p.value)
                .collect();
            let (mu, _) = mp.eval(&gp, &x, d, false);
            if let Some(i) = mu.iter().position(|v| !v.is_finite()) {
                return Err(data(format!(
                    "the known mean of `{}` is {} at point {} ({:?})",
                    operator.text,
                    mu[i],
                    i + 1,
                    &x[i * d..(i + 1) * d]
                )));
            }
        }
        self.channels.push(Channel {
            name: name.to_string(),
            operator,
            rows: (1..=y.len()).collect(),
            source: "observation".into(),
            x,
            y,
            mean,
            replicates,
        });
        // The floor keeps a learned noise variance positive (a variance of exactly 0 cannot be
        // predicted from), far below any noise a measurement has.
        let floor = (NOISE_FLOOR * mean_square)
            .max(crate::space::TINY)
            .min(0.5 * noise);
        self.params.push(Param {
            name: format!("noise.{name}"),
            value: noise,
            transform: Transform::Log { floor },
            fixed: false,
            kind: ParamKind::Noise {
                channel: name.to_string(),
            },
            prior: Prior::Flat,
            prior_source: PriorSource::Default,
        });
        self.refresh_default_priors();
        self.compile_blocks()?;
        // Inducing points compiled before this channel need its blocks too, and a basis's sums
        // built before it its data.
        match std::mem::take(&mut self.choice) {
            crate::solver::Choice::Exact => {}
            crate::solver::Choice::Inducing(ind) => {
                self.choice = crate::solver::Choice::Inducing(self.inducing(ind.z)?);
            }
            crate::solver::Choice::Basis(h) => self.use_basis(&h.per_input, &h.boundary_factor)?,
        }
        Ok(())
    }

    /// Compile the blocks between the newest channel and every channel before it (itself
    /// included); the blocks among earlier channels are already compiled.
    fn compile_blocks(&mut self) -> Result<(), LikelihoodError> {
        let c2 = self.channels.len() - 1;
        for c1 in 0..=c2 {
            let PairProgram {
                value,
                grad,
                params,
            } = compile_pair(
                &mut self.graph,
                &self.kernels,
                &self.latents,
                &self.channels[c1].operator,
                &self.channels[c2].operator,
            )?;
            self.blocks.push(Block {
                c1,
                c2,
                value,
                grad,
                params,
            });
        }
        Ok(())
    }

    /// Say where a channel's observations came from (a file and its row labels), so that
    /// messages about them can name the row.
    ///
    /// # Errors
    /// An unknown channel; a label list of the wrong length.
    pub fn set_source(
        &mut self,
        channel: &str,
        source: &str,
        rows: Vec<usize>,
    ) -> Result<(), LikelihoodError> {
        let c = self
            .channels
            .iter_mut()
            .find(|c| c.name == channel)
            .ok_or_else(|| LikelihoodError::Data {
                channel: channel.into(),
                message: "no such channel".into(),
            })?;
        let given = c.replicates.as_ref().map_or(c.y.len(), |r| r.original);
        if rows.len() != given {
            return Err(LikelihoodError::Data {
                channel: channel.into(),
                message: format!("{} row labels for {given} observations", rows.len()),
            });
        }
        c.source = source.into();
        // A merged point is labelled by its first observation.
        c.rows = match &c.replicates {
            Some(r) => r.first.iter().map(|&i| rows[i]).collect(),
            None => rows,
        };
        Ok(())
    }

    /// The channels.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// The latent names.
    pub fn latents(&self) -> &[String] {
        &self.latents
    }

    /// The input names.
    pub fn inputs(&self) -> &[String] {
        self.graph.inputs()
    }

    /// The number of input coordinates.
    pub fn dim(&self) -> usize {
        self.graph.dim()
    }

    /// The parameters, kernel hyperparameters and coefficients first (in the kernel graph's
    /// order), then one noise variance per channel.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The parameter names in order.
    pub fn param_names(&self) -> Vec<String> {
        self.params.iter().map(|p| p.name.clone()).collect()
    }

    /// The current values of all parameters, in natural units.
    pub fn values(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.value).collect()
    }

    /// The index of a parameter.
    ///
    /// # Errors
    /// [`LikelihoodError::UnknownParameter`] listing the known names.
    pub fn index_of(&self, name: &str) -> Result<usize, LikelihoodError> {
        self.params
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| LikelihoodError::UnknownParameter {
                name: name.to_string(),
                known: self.param_names().join(", "),
            })
    }

    /// Set a parameter's value.
    ///
    /// # Errors
    /// An unknown name; a non-finite value; a non-positive value for a positive parameter.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), LikelihoodError> {
        let i = self.index_of(name)?;
        let bad = |reason: &str| LikelihoodError::bad_value(name, value, reason);
        if !value.is_finite() {
            return Err(bad("not finite"));
        }
        if self.params[i].transform.is_positive() && value <= 0.0 {
            return Err(bad("it must be positive"));
        }
        self.params[i].value = value;
        Ok(())
    }

    /// Keep a parameter at its value (true) or learn it (false).
    ///
    /// # Errors
    /// An unknown name.
    pub fn fix(&mut self, name: &str, fixed: bool) -> Result<(), LikelihoodError> {
        let i = self.index_of(name)?;
        self.params[i].fixed = fixed;
        Ok(())
    }

    /// Constrain an operator coefficient to be positive (log transform).
    ///
    /// # Errors
    /// An unknown name, or a current value that is not positive.
    pub fn make_positive(&mut self, name: &str) -> Result<(), LikelihoodError> {
        let i = self.index_of(name)?;
        if self.params[i].value <= 0.0 {
            return Err(LikelihoodError::BadValue {
                name: name.to_string(),
                value: self.params[i].value,
                reason: "a positive parameter needs a positive initial value".into(),
            });
        }
        self.params[i].transform = Transform::POSITIVE;
        Ok(())
    }

    /// Set all parameter values at once (natural units).
    ///
    /// # Panics
    /// If `values` does not have one value per parameter.
    #[track_caller]
    pub fn set_values(&mut self, values: &[f64]) {
        assert_eq!(values.len(), self.params.len());
        for (p, &v) in self.params.iter_mut().zip(values) {
            p.value = v;
        }
    }

    /// The total number of observations.
    pub fn num_observations(&self) -> usize {
        self.channels.iter().map(Channel::len).sum()
    }

    /// Where each channel starts in the stacked observation vector.
    pub(crate) fn offsets(&self) -> Vec<usize> {
        let mut o = Vec::with_capacity(self.channels.len() + 1);
        let mut acc = 0;
        for c in &self.channels {
            o.push(acc);
            acc += c.len();
        }
        o.push(acc);
        o
    }

    /// The number of kernel-graph parameters (hyperparameters and coefficients).
    pub(crate) fn num_graph_params(&self) -> usize {
        self.graph.num_params()
    }

    /// Index of the noise parameter of channel `c`.
    pub(crate) fn noise_index(&self, c: usize) -> usize {
        self.graph.num_params() + c
    }

    /// The kernel graph (for building prediction operators).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The kernels of the latents.
    pub fn kernels(&self) -> &[Kernel] {
        &self.kernels
    }

    /// The kernel specifications of the latents, in order.
    pub fn kernel_specs(&self) -> &[KernelSpec] {
        &self.specs
    }
}
