//! Starting points: one estimated from the data, and seeded restarts around it and across broad
//! default ranges.
//!
//! The data-driven start is gradient matching (as in Ramsay et al. 2007 for ODE parameters, and
//! Calderhead, Girolami & Lawrence 2009 with GPs): first each latent's kernel is fitted to the
//! channels that observe the latent directly; its posterior then gives the mean of every term of
//! every other channel's operator at that channel's points, and the coefficients that enter the
//! operators linearly follow by least squares of the channel's data on those means. What the
//! data cannot estimate (a latent observed only through operators, a coefficient that enters
//! nonlinearly, a sign the least squares gets wrong for a positive coefficient) keeps the user's
//! initial value.

use crate::fit::{pick_best, run_starts, FitOptions, Origin, StartFrom};
use crate::format::number;
use crate::model::{Model, ParamKind};
use crate::space::Space;
use crate::LikelihoodError;
use noether_kernels::expr::{Env, ParamId, Var};
use noether_kernels::Role;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

pub(crate) fn variance(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / v.len().max(1) as f64
}

/// The mean of the squares of `v` (0 for none).
pub fn mean_square(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>() / v.len().max(1) as f64
}

/// The channels whose operator is exactly latent `l` itself.
fn direct_channels(model: &Model, l: usize) -> Vec<usize> {
    (0..model.channels.len())
        .filter(|&c| {
            let t = &model.channels[c].operator.terms;
            t.len() == 1
                && t[0].latent == l
                && t[0].is_identity()
                && model.graph.as_const(t[0].coeff) == Some(1.0)
        })
        .collect()
}

/// Whether some channel observes latent `l`'s values (times known factors, `((m) + x*(1 - x)*u)`)
/// with no derivative, transform or unknown coefficient: its data are in the latent's units.
pub(crate) fn observes_values(model: &Model, l: usize) -> bool {
    own_channels(model, l).iter().any(|&c| {
        model.channels[c]
            .operator
            .terms
            .iter()
            .all(|t| t.order() == 0)
    })
}

/// The channels that observe latent `l` alone through an operator without unknown coefficients
/// or transforms (`psi_x`, `-psi_t` of a field's potential): what a latent no channel observes
/// directly can be fitted to.
fn own_channels(model: &Model, l: usize) -> Vec<usize> {
    let np = model.num_graph_params();
    (0..model.channels.len())
        .filter(|&c| {
            let t = &model.channels[c].operator.terms;
            !t.is_empty()
                && t.iter().all(|t| {
                    t.latent == l
                        && !t.transforms()
                        && (0..np).all(|p| {
                            !model
                                .graph
                                .depends_on(t.coeff, Var::Param(ParamId(p as u32)))
                        })
                })
        })
        .collect()
}

/// The spread of every input over the points of `channels` (1 where it does not vary).
pub(crate) fn ranges(model: &Model, channels: &[usize]) -> Vec<f64> {
    let d = model.dim();
    (0..d)
        .map(|k| {
            let (lo, hi) = channels
                .iter()
                .flat_map(|&c| model.channels[c].x.iter().skip(k).step_by(d.max(1)))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            if hi > lo {
                hi - lo
            } else {
                1.0
            }
        })
        .collect()
}

/// The scale a latent's values have: the variance of the data that observe it directly, else of
/// all the data.
pub(crate) fn value_scale(model: &Model, l: usize) -> f64 {
    let direct = direct_channels(model, l);
    let chans: Vec<usize> = if direct.is_empty() {
        (0..model.channels.len()).collect()
    } else {
        direct
    };
    let y: Vec<f64> = chans
        .iter()
        .flat_map(|&c| model.channels[c].y.iter().copied())
        .collect();
    let v = variance(&y);
    if v > 0.0 && v.is_finite() {
        v
    } else {
        mean_square(&y).max(1.0)
    }
}

/// The data scale of latent `l` ([`value_scale`]) shared among its kernel's variances.
pub(crate) fn variance_share(model: &Model, l: usize) -> f64 {
    let nvar = model.kernels[l]
        .roles
        .iter()
        .filter(|r| **r == Role::Variance)
        .count()
        .max(1);
    value_scale(model, l) / nvar as f64
}

/// Initial kernel values for latent `l` in `model` at data scale: lengthscales `factor` × the
/// inputs' spread, the variance shared among the kernel's variance parameters. Shape parameters
/// keep `values`.
fn scaled_kernel(model: &Model, l: usize, factor: f64, values: &mut [f64]) {
    let k = &model.kernels[l];
    let all: Vec<usize> = (0..model.channels.len()).collect();
    let r = ranges(model, &all);
    let v = variance_share(model, l);
    for (p, role) in k.params.iter().zip(&k.roles) {
        let i = p.index();
        if model.params[i].fixed {
            continue;
        }
        match role {
            Role::Variance => values[i] = v,
            Role::Lengthscale(Some(d)) => values[i] = factor * r[*d],
            Role::Lengthscale(None) => values[i] = factor * mean(&r),
            Role::Shape => {}
        }
    }
}

/// The data-driven start at `base` (the user's values, which fill in what the data cannot
/// estimate), and a line saying what was estimated.
///
/// # Errors
/// No channel observes a latent directly; a sub-fit that fails; a start that cannot be evaluated.
pub fn data_driven(
    model: &Model,
    base: &[f64],
    opts: &FitOptions,
) -> Result<(Vec<f64>, String), LikelihoodError> {
    let mut values = base.to_vec();
    let mut note = Vec::new();
    let mut posts = Vec::new();
    let sub_opts = FitOptions {
        start: StartFrom::Initial,
        restarts: 0,
        ..opts.clone()
    };
    let mut fitted_latents = Vec::new();
    let residuals = model.residuals(base);
    let offsets = model.offsets();
    for l in 0..model.latents.len() {
        let mut direct = direct_channels(model, l);
        let through_operator = direct.is_empty();
        if through_operator {
            direct = own_channels(model, l);
        }
        if direct.is_empty() {
            posts.push(None);
            continue;
        }
        let name = &model.latents[l];
        let mut sub = Model::new(
            model.inputs(),
            &[(name.as_str(), model.specs[l].clone())],
            &[],
        )?;
        for &c in &direct {
            let ch = &model.channels[c];
            // The data less their known mean at the user's values.
            let y = residuals[offsets[c]..offsets[c + 1]].to_vec();
            let v = variance(&y).max(1e-12 * mean_square(&y)).max(1e-300);
            let op = if through_operator {
                ch.operator.to_canonical_text(&model.graph, &model.latents)
            } else {
                name.clone()
            };
            sub.add_channel(&ch.name, &op, ch.x.clone(), y, 1e-2 * v)?;
        }
        // Shape parameters and fixed values come from the user's.
        let mut sv = sub.values();
        for i in 0..sub.params.len() {
            if let Ok(j) = model.index_of(&sub.params[i].name) {
                let fixed = model.params[j].fixed;
                sub.params[i].fixed = fixed;
                if fixed || !matches!(sub.params[i].kind, ParamKind::Noise { .. }) {
                    sv[i] = base[j];
                }
            }
        }
        let mut starts = Vec::new();
        for factor in [0.3, 0.1, 1.0] {
            let mut v = sv.clone();
            scaled_kernel(&sub, 0, factor, &mut v);
            starts.push((Origin::DataDriven, v));
        }
        let reports = run_starts(&sub, &sub_opts, starts, &mut |_| {});
        let best = pick_best(&reports).ok_or_else(|| LikelihoodError::NotEvaluable {
            what: format!("the kernel of `{name}` cannot be fitted to its own data"),
        })?;
        sub.set_values(&best.values);
        for p in &sub.params {
            let j = model.index_of(&p.name)?;
            values[j] = p.value;
        }
        fitted_latents.push(name.clone());
        posts.push(Some(sub));
    }
    if fitted_latents.is_empty() {
        return Err(LikelihoodError::NotEvaluable {
            what: "no channel observes a latent directly".into(),
        });
    }
    note.push(format!(
        "kernels of {} fitted to the channels observing them",
        fitted_latents.join(", ")
    ));
    // The u-only optimum can sit in another basin than the joint one (short-lived changes in
    // time look like noise to u alone but not to f = u_t + …): screen the fitted lengthscales
    // scaled down, by the joint NLML at the start gradient matching gives for each.
    let d = model.dim();
    let mut patterns = vec![vec![1.0; d]];
    for f in [0.5, 0.25] {
        patterns.push(vec![f; d]);
        if d > 1 {
            for k in 0..d {
                let mut m = vec![1.0; d];
                m[k] = f;
                patterns.push(m);
            }
        }
    }
    let matcher = Matcher::new(model);
    let mut best: Option<(f64, Vec<f64>, Vec<String>)> = None;
    let mut last_err = None;
    for pattern in &patterns {
        let mut subs = posts.clone();
        let mut v = values.clone();
        for sub in subs.iter_mut().flatten() {
            let k = &sub.kernels[0];
            let mut sv = sub.values();
            for (p, role) in k.params.iter().zip(&k.roles) {
                let i = p.index();
                if sub.params[i].fixed {
                    continue;
                }
                match role {
                    Role::Lengthscale(Some(d)) => sv[i] *= pattern[*d],
                    Role::Lengthscale(None) => sv[i] *= mean(pattern),
                    _ => {}
                }
            }
            sub.set_values(&sv);
            for p in &sub.params {
                v[model.index_of(&p.name)?] = p.value;
            }
        }
        match matcher.apply(model, &subs, v) {
            Ok((v, matched)) => match model.nlml_with(&v, false, &opts.jitter) {
                Ok(e) if best.as_ref().is_none_or(|b| e.nlml < b.0) => {
                    best = Some((e.nlml, v, matched));
                }
                Ok(_) => {}
                Err(e) => last_err = Some(e),
            },
            Err(e) => last_err = Some(e),
        }
    }
    let Some((_, values, matched)) = best else {
        return Err(last_err.unwrap_or(LikelihoodError::NoData));
    };
    note.extend(matched);
    Ok((values, note.join("; ")))
}

/// Gradient matching: the coefficients that enter the operators linearly, by least squares of
/// each channel's data on the posterior means of its operator's terms, and every such channel's
/// noise from a tenth of the misfit. What does not depend on the kernel (which coefficients are
/// linear, the derivatives of the operators' coefficients by them) is worked out once.
struct Matcher {
    g: noether_kernels::expr::Graph,
    /// The channels that do not observe a latent directly.
    others: Vec<usize>,
    /// The coefficients that enter every operator linearly: all second derivatives vanish.
    linear: Vec<usize>,
    /// For each of `others`, each term, each of `linear`: ∂(term coefficient)/∂φ.
    derivs: Vec<Vec<Vec<noether_kernels::expr::ExprId>>>,
    /// For each of `others`: its known mean (offset), and ∂offset/∂φ for each of `linear`.
    offsets: Vec<
        Option<(
            noether_kernels::expr::ExprId,
            Vec<noether_kernels::expr::ExprId>,
        )>,
    >,
}

impl Matcher {
    fn new(model: &Model) -> Matcher {
        let direct: Vec<usize> = (0..model.latents.len())
            .flat_map(|l| direct_channels(model, l))
            .collect();
        // A channel with a fractional term is left out: its terms' means depend on the unknown
        // order, which gradient matching cannot treat as a linear coefficient.
        let others: Vec<usize> = (0..model.channels.len())
            .filter(|c| !direct.contains(c))
            .filter(|&c| {
                model.channels[c]
                    .operator
                    .terms
                    .iter()
                    .all(|t| t.fractional.is_none())
            })
            .collect();
        let mut g = model.graph.clone();
        let coefs: Vec<usize> = (0..model.params.len())
            .filter(|&i| {
                matches!(model.params[i].kind, ParamKind::Coefficient) && !model.params[i].fixed
            })
            .collect();
        let pid = |i: usize| Var::Param(ParamId(i as u32));
        let mut linear = Vec::new();
        'coef: for &k in &coefs {
            for &c in &others {
                let op = &model.channels[c].operator;
                for e in op.terms.iter().map(|t| t.coeff).chain(op.offset) {
                    let dk = g.diff(e, pid(k));
                    for &m in &coefs {
                        let dkm = g.diff(dk, pid(m));
                        if g.as_const(dkm) != Some(0.0) {
                            continue 'coef;
                        }
                    }
                }
            }
            linear.push(k);
        }
        // Per channel: ∂(term coefficient)/∂φ for each term, and the known mean with its ∂/∂φ.
        let (derivs, offsets) = others
            .iter()
            .map(|&c| {
                let op = &model.channels[c].operator;
                let d = |g: &mut noether_kernels::expr::Graph, e| {
                    linear
                        .iter()
                        .map(|&k| g.diff(e, pid(k)))
                        .collect::<Vec<_>>()
                };
                let terms = op.terms.iter().map(|t| d(&mut g, t.coeff)).collect();
                (terms, op.offset.map(|o| (o, d(&mut g, o))))
            })
            .unzip();
        Matcher {
            g,
            others,
            linear,
            derivs,
            offsets,
        }
    }

    /// The start at `values` with `subs[l]`, latent l's model fitted to its own data.
    fn apply(
        &self,
        model: &Model,
        subs: &[Option<Model>],
        mut values: Vec<f64>,
    ) -> Result<(Vec<f64>, Vec<String>), LikelihoodError> {
        let (g, others, linear) = (&self.g, &self.others, &self.linear);
        let mut note = Vec::new();
        let mut posteriors = Vec::new();
        for s in subs {
            posteriors.push(match s {
                Some(m) => Some(m.posterior(&m.values())?),
                None => None,
            });
        }
        // The means of every term of every other channel at its points.
        let mut means: Vec<Vec<Vec<f64>>> = Vec::new();
        for &c in others {
            let ch = &model.channels[c];
            let mut per_term = Vec::new();
            for t in &ch.operator.terms {
                per_term.push(match &mut posteriors[t.latent] {
                    Some(p) => p.term_mean(0, &t.orders, &t.integrals, &ch.x)?,
                    None => vec![0.0; ch.len()],
                });
            }
            means.push(per_term);
        }
        let np = model.num_graph_params();
        let mut at = values[..np].to_vec();
        for &k in linear {
            at[k] = 0.0;
        }
        // Rows: y_i − Σ_j a_j(x_i) m_j(x_i) = Σ_k (Σ_j b_jk(x_i) m_j(x_i)) φ_k, weighted by 1/sd(y).
        let d = model.dim();
        let mut rows: Vec<Vec<f64>> = Vec::new();
        let mut rhs = Vec::new();
        for (oi, &c) in others.iter().enumerate() {
            let ch = &model.channels[c];
            let y = &ch.y;
            // A channel of zeros (a law without a source) is weighted by the scale of its
            // terms' means instead of its data's.
            let spread = match variance(y) {
                v if v > 0.0 => v,
                _ => means[oi].iter().map(|m| mean_square(m)).sum::<f64>(),
            };
            let w = 1.0 / spread.max(1e-300).sqrt();
            let terms = &ch.operator.terms;
            let derivs = &self.derivs[oi];
            for i in 0..ch.len() {
                let p = &ch.x[i * d..(i + 1) * d];
                let env = Env {
                    x: p,
                    y: p,
                    params: &at,
                };
                let mut row = vec![0.0; linear.len()];
                let mut r = y[i];
                // The known mean: its part without the linear coefficients, and their factors.
                if let Some((o, dos)) = &self.offsets[oi] {
                    r -= g.eval(*o, &env);
                    for (k, &e) in dos.iter().enumerate() {
                        row[k] += g.eval(e, &env);
                    }
                }
                for (j, t) in terms.iter().enumerate() {
                    let mj = means[oi][j][i];
                    r -= g.eval(t.coeff, &env) * mj;
                    for (k, &e) in derivs[j].iter().enumerate() {
                        row[k] += g.eval(e, &env) * mj;
                    }
                }
                rows.push(row.iter().map(|v| v * w).collect());
                rhs.push(r * w);
            }
        }
        if !linear.is_empty() && !rows.is_empty() {
            let a = nalgebra::DMatrix::from_fn(rows.len(), linear.len(), |i, k| rows[i][k]);
            let b = nalgebra::DVector::from_vec(rhs);
            let finite = a.iter().chain(b.iter()).all(|v| v.is_finite());
            if finite {
                let svd = a.svd(true, true);
                let tol = 1e-10 * svd.singular_values.max();
                if let Ok(phi) = svd.solve(&b, tol) {
                    let mut est = Vec::new();
                    for (k, &i) in linear.iter().enumerate() {
                        let v = phi[k];
                        let ok =
                            v.is_finite() && (!model.params[i].transform.is_positive() || v > 0.0);
                        if ok {
                            values[i] = v;
                            est.push(format!("{} = {}", model.params[i].name, number(v, 5)));
                        } else {
                            est.push(format!(
                                "{} kept at {} (least squares gave {})",
                                model.params[i].name,
                                number(values[i], 5),
                                number(v, 4)
                            ));
                        }
                    }
                    note.push(format!("by gradient matching {}", est.join(", ")));
                }
            }
        }
        // The noise of every other channel: the mean square misfit of the matched operator.
        let residuals = model.residuals(&values);
        let offsets = model.offsets();
        for (oi, &c) in others.iter().enumerate() {
            let ch = &model.channels[c];
            let ni = model.noise_index(c);
            if model.params[ni].fixed {
                continue;
            }
            let gp = &values[..np];
            let y = &residuals[offsets[c]..offsets[c + 1]];
            let mut ss = 0.0;
            for i in 0..ch.len() {
                let p = &ch.x[i * d..(i + 1) * d];
                let env = Env {
                    x: p,
                    y: p,
                    params: gp,
                };
                let fit: f64 = ch
                    .operator
                    .terms
                    .iter()
                    .enumerate()
                    .map(|(j, t)| g.eval(t.coeff, &env) * means[oi][j][i])
                    .sum();
                ss += (y[i] - fit).powi(2);
            }
            // The misfit includes the error of the estimated derivatives. Starting the noise at a
            // tenth of it trusts the operator: the optimiser then explains the channel through the
            // law rather than as noise (on the gap-gene Hb data the misfit itself leads to an optimum
            // 150 nats worse, with noise.f 19 against 1.4).
            let ms = 0.1 * ss / ch.len() as f64;
            let lo = 1e-6 * mean_square(&ch.y);
            let v = ms.max(lo);
            if v.is_finite() && v > 0.0 {
                values[ni] = v;
            }
        }
        Ok((values, note))
    }
}

/// `count` seeded restarts around `first`: alternately a perturbation of it in the free space
/// (standard deviation `opts.perturbation`, scaled by max(1, |θ|) for coefficients) and a draw
/// from broad ranges (variances 0.1–10 × the data's, lengthscales 0.05–2 × the inputs' spread,
/// noise variances 1e-6–0.1 × the data's mean square, coefficients perturbed as above).
pub fn restarts(
    model: &Model,
    first: &[f64],
    count: usize,
    opts: &FitOptions,
) -> Vec<(Origin, Vec<f64>)> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    let normal = Normal::new(0.0, 1.0).expect("unit normal");
    let space = Space::new(model, first);
    let theta0 = space.to_free(first);
    let all: Vec<usize> = (0..model.channels.len()).collect();
    let r = ranges(model, &all);
    let log_uniform = |rng: &mut rand::rngs::StdRng, lo: f64, hi: f64| {
        (lo.ln() + (hi.ln() - lo.ln()) * rng.random::<f64>()).exp()
    };
    let mut out = Vec::with_capacity(count);
    for s in 0..count {
        let mut perturbed = first.to_vec();
        let theta: Vec<f64> = theta0
            .iter()
            .enumerate()
            .map(|(k, &t)| {
                let scale = if space.transform(k).is_positive() {
                    1.0
                } else {
                    t.abs().max(1.0)
                };
                t + opts.perturbation * scale * normal.sample(&mut rng)
            })
            .collect();
        let nat = space.to_natural(&theta);
        for &i in &space.free {
            perturbed[i] = nat[i];
        }
        if s % 2 == 0 {
            out.push((Origin::Perturbed, perturbed));
            continue;
        }
        // Broad: coefficients as perturbed, kernel and noise parameters drawn at data scale.
        let mut v = perturbed;
        for (l, k) in model.kernels.iter().enumerate() {
            let scale = value_scale(model, l);
            for (p, role) in k.params.iter().zip(&k.roles) {
                let i = p.index();
                if model.params[i].fixed {
                    continue;
                }
                v[i] = match role {
                    Role::Variance => scale * log_uniform(&mut rng, 0.1, 10.0),
                    Role::Lengthscale(Some(d)) => r[*d] * log_uniform(&mut rng, 0.05, 2.0),
                    Role::Lengthscale(None) => mean(&r) * log_uniform(&mut rng, 0.05, 2.0),
                    Role::Shape => v[i],
                };
            }
        }
        for c in 0..model.channels.len() {
            let i = model.noise_index(c);
            if !model.params[i].fixed {
                let ms = mean_square(&model.channels[c].y).max(1e-300);
                v[i] = ms * log_uniform(&mut rng, 1e-6, 1e-1);
            }
        }
        out.push((Origin::Broad, v));
    }
    out
}
