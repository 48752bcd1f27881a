//! The one inference layer: the objective that the optimiser and its multi-start driver, the
//! data-driven start, the Laplace step (and a sampler or an evidence after them) share.
//!
//! In natural units the objective is the negative log posterior up to its normalising constant,
//! `NLML(θ) − Σ_i log p_i(θ_i)` over the free parameters (with `fit.objective: "likelihood"`,
//! the NLML alone). A density over the free coordinates t of [`crate::space`] adds the
//! log-Jacobian `Σ log |dθ_i/dt_i|` ([`Model::log_posterior_free`]): that is what a sampler
//! draws from and what a Laplace evidence integrates; the optimiser maximises the posterior in
//! natural units, so that its optimum does not depend on the transforms.

use crate::factor::JitterPolicy;
use crate::model::{Model, ParamKind};
use crate::prior::{Prior, PriorSource};
use crate::space::{Space, Transform, TINY};
use crate::LikelihoodError;
use noether_kernels::Role;

/// What a fit maximises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectiveKind {
    /// The posterior: the likelihood times every parameter's prior (the default).
    #[default]
    Posterior,
    /// The marginal likelihood alone (priors ignored).
    Likelihood,
}

/// One evaluation of the objective.
#[derive(Clone, Debug)]
pub struct Scored {
    /// The objective: `nlml − log_prior`.
    pub value: f64,
    /// The negative log marginal likelihood.
    pub nlml: f64,
    /// Σ log p_i(θ_i) over the free parameters (0 for the likelihood objective).
    pub log_prior: f64,
    /// ∂value/∂θ for every parameter, natural units (zeros when not asked for).
    pub gradient: Vec<f64>,
    /// The relative jitter the factorisation needed.
    pub jitter: f64,
}

/// The least standard deviation of log ℓ in a lengthscale's default prior: wide, so that an
/// input the data do not depend on may keep a lengthscale far beyond its extent (exact data
/// with irrelevant inputs interpolate better so), while a lengthscale of 1e100 still costs
/// thousands of nats.
pub const LENGTHSCALE_SPREAD: f64 = 3.0;

/// The relative floor of a zero-data channel's noise variance: this times the channel's prior
/// variance at the first start.
pub const ZERO_DATA_FLOOR: f64 = 1e-6;

impl Model {
    /// Σ log p_i(θ_i) over the free parameters and its gradient (natural units, one entry per
    /// parameter).
    pub fn log_prior(&self, values: &[f64]) -> (f64, Vec<f64>) {
        let mut total = 0.0;
        let mut grad = vec![0.0; self.params.len()];
        for (i, p) in self.params.iter().enumerate() {
            if p.fixed {
                continue;
            }
            let (l, d) = p.prior.log_density(values[i]);
            total += l;
            grad[i] = d;
        }
        (total, grad)
    }

    /// The objective at `values` (natural units), with its gradient if asked.
    ///
    /// # Errors
    /// As [`Model::nlml_with`]; a point outside a prior's support.
    pub fn score(
        &self,
        values: &[f64],
        gradient: bool,
        policy: &JitterPolicy,
        kind: ObjectiveKind,
    ) -> Result<Scored, LikelihoodError> {
        let e = self.nlml_with(values, gradient, policy)?;
        let (log_prior, lp_grad) = match kind {
            ObjectiveKind::Posterior => self.log_prior(values),
            ObjectiveKind::Likelihood => (0.0, vec![0.0; values.len()]),
        };
        if !log_prior.is_finite() {
            return Err(LikelihoodError::NotEvaluable {
                what: "a parameter outside its prior's support".into(),
            });
        }
        let mut g = e.gradient;
        if gradient {
            for (gi, d) in g.iter_mut().zip(&lp_grad) {
                *gi -= d;
            }
        }
        Ok(Scored {
            value: e.nlml - log_prior,
            nlml: e.nlml,
            log_prior,
            gradient: g,
            jitter: e.jitter,
        })
    }

    /// The log posterior density over the free coordinates t of `space` (up to its constant),
    /// log-Jacobians included, and its gradient in t: what a sampler draws from.
    ///
    /// # Errors
    /// As [`Model::score`].
    pub fn log_posterior_free(
        &self,
        space: &Space,
        t: &[f64],
        policy: &JitterPolicy,
    ) -> Result<(f64, Vec<f64>), LikelihoodError> {
        let nat = space.to_natural(t);
        let s = self.score(&nat, true, policy, ObjectiveKind::Posterior)?;
        let mut g: Vec<f64> = space
            .gradient_to_free(&nat, &s.gradient)
            .into_iter()
            .map(|v| -v)
            .collect();
        // d/dt log(dθ/dt) is 1 for θ = floor + e^t.
        for (k, gk) in g.iter_mut().enumerate() {
            if space.transform(k).is_positive() {
                *gk += 1.0;
            }
        }
        Ok((-s.value + space.log_jacobian(&nat), g))
    }

    /// Set a parameter's prior (natural units).
    ///
    /// # Errors
    /// An unknown name; a prior whose numbers are bad or whose support does not fit the
    /// parameter.
    pub fn set_prior(&mut self, name: &str, prior: Prior) -> Result<(), LikelihoodError> {
        let i = self.index_of(name)?;
        prior
            .validate(self.params[i].transform.is_positive())
            .map_err(|reason| LikelihoodError::BadValue {
                name: format!("{name} (its prior)"),
                value: self.params[i].value,
                reason,
            })?;
        let (l, _) = prior.log_density(self.params[i].value);
        if !l.is_finite() {
            return Err(LikelihoodError::BadValue {
                name: name.into(),
                value: self.params[i].value,
                reason: format!("its initial value is outside the support of its {prior} prior"),
            });
        }
        self.params[i].prior = prior;
        self.params[i].prior_source = PriorSource::User;
        Ok(())
    }

    /// Whether channel `c`'s observations are all exactly zero (a law without a source, a
    /// constraint).
    pub fn is_zero_data(&self, c: usize) -> bool {
        self.channels[c].y.iter().all(|v| *v == 0.0)
    }

    /// Recompute the documented default priors ([`crate::prior`]) of every parameter that has
    /// no prior of its own, from the data as they are now.
    pub(crate) fn refresh_default_priors(&mut self) {
        let d = self.dim();
        let all: Vec<usize> = (0..self.channels.len()).collect();
        let extents = crate::start::ranges(self, &all);
        let n = self.num_observations().max(1) as f64;
        let per_side = (n.powf(1.0 / d.max(1) as f64) - 1.0).max(1.0);
        // log of the ±1σ anchors of each input's lengthscale: the spacing and twice the extent.
        let anchors: Vec<(f64, f64)> = extents
            .iter()
            .map(|&e| ((e / per_side).ln(), (2.0 * e).ln()))
            .collect();
        let lognormal = |(a, b): (f64, f64)| {
            Prior::LogNormal(0.5 * (a + b), (0.5 * (b - a)).max(LENGTHSCALE_SPREAD))
        };
        let mut set = Vec::new();
        for (l, k) in self.kernels.iter().enumerate() {
            let v = crate::start::variance_share(self, l);
            // A latent seen only through operators (a potential, an energy) has a variance in
            // other units than its data's: no scale to centre a prior on.
            let observed = crate::start::observes_values(self, l);
            for (p, role) in k.params.iter().zip(&k.roles) {
                let prior = match role {
                    Role::Variance if observed => Prior::LogNormal(v.ln(), 3.0),
                    Role::Variance => Prior::Flat,
                    Role::Lengthscale(Some(i)) => lognormal(anchors[*i]),
                    Role::Lengthscale(None) => {
                        let m = anchors.len().max(1) as f64;
                        let a = anchors.iter().map(|a| a.0).sum::<f64>() / m;
                        let b = anchors.iter().map(|a| a.1).sum::<f64>() / m;
                        lognormal((a, b))
                    }
                    Role::Shape => Prior::Flat,
                };
                set.push((p.index(), prior));
            }
        }
        for c in 0..self.channels.len() {
            if self.is_zero_data(c) {
                continue;
            }
            let y = &self.channels[c].y;
            let v = crate::start::variance(y);
            let v = if v > 0.0 {
                v
            } else {
                crate::start::mean_square(y)
            };
            set.push((self.noise_index(c), Prior::HalfNormal(v)));
        }
        for (i, prior) in set {
            let p = &mut self.params[i];
            if p.prior_source == PriorSource::Default
                && p.transform.is_positive()
                && prior.log_density(p.value).0.is_finite()
            {
                p.prior = prior;
            }
        }
    }

    /// The mean prior variance (kernel diagonal, noise excluded) of each channel at its points.
    ///
    /// # Errors
    /// A covariance that cannot be evaluated at `values`.
    pub fn prior_variances(&self, values: &[f64]) -> Result<Vec<f64>, LikelihoodError> {
        let gp = &values[..self.num_graph_params()];
        let d = self.dim();
        let mut out = Vec::with_capacity(self.channels.len());
        for (c, ch) in self.channels.iter().enumerate() {
            let b = self
                .blocks
                .iter()
                .find(|b| b.c1 == c && b.c2 == c)
                .expect("every channel has its own block");
            let bound = b.value.bind(gp);
            let mut sum = 0.0;
            for i in 0..ch.len() {
                let p = &ch.x[i * d..(i + 1) * d];
                sum += b.value.eval_pair(&bound, p, p)[0];
            }
            let m = sum / ch.len().max(1) as f64;
            if !m.is_finite() {
                return Err(LikelihoodError::NotEvaluable {
                    what: format!("the prior variance of channel `{}`", ch.name),
                });
            }
            out.push(m);
        }
        Ok(out)
    }

    /// Give every channel whose data are all zero a noise floor and a default noise prior scaled
    /// by its prior variance at `values` (normally the first start), so that its noise cannot
    /// vanish together with the signal ([`Model::lift_to_floors`] then moves starts above it).
    /// Returns a note for each such channel.
    pub fn scale_zero_channels(&mut self, values: &[f64]) -> Vec<String> {
        let zero: Vec<usize> = (0..self.channels.len())
            .filter(|&c| self.is_zero_data(c))
            .collect();
        if zero.is_empty() {
            return Vec::new();
        }
        let Ok(vars) = self.prior_variances(values) else {
            return vec!["channels with all-zero data could not be scaled at the first start: their noise floor stays at 1e-300".into()];
        };
        let mut notes = Vec::new();
        self.zero_scales.clear();
        for c in zero {
            let s0 = vars[c].max(TINY);
            self.zero_scales.push((c, s0));
            let i = self.noise_index(c);
            let floor = (ZERO_DATA_FLOOR * s0).max(TINY);
            let p = &mut self.params[i];
            if p.fixed {
                continue;
            }
            p.transform = Transform::Log { floor };
            if p.prior_source == PriorSource::Default {
                p.prior = Prior::HalfNormal(s0);
            }
            notes.push(format!(
                "channel `{}` observes zeros only (a law without a source, or a constraint): its noise variance is kept above {} ({:.0e} × its prior variance {} at the first start){}",
                self.channels[c].name,
                crate::format::number(floor, 3),
                ZERO_DATA_FLOOR,
                crate::format::number(s0, 3),
                if p.prior_source == PriorSource::Default {
                    format!(", with the prior {}", p.prior)
                } else {
                    String::new()
                }
            ));
        }
        notes
    }

    /// The noise variances (by parameter index) of all-zero channels that sit within 10 × their
    /// floor at `values`: the law's zeros are met to within the floor, which is as intended; the
    /// Laplace step finds no curvature there.
    pub fn zero_noise_at_floor(&self, values: &[f64]) -> Vec<usize> {
        (0..self.channels.len())
            .filter(|&c| self.is_zero_data(c))
            .map(|c| self.noise_index(c))
            .filter(|&i| {
                matches!(self.params[i].transform, Transform::Log { floor } if values[i] <= 10.0 * floor)
            })
            .collect()
    }

    /// Raise the noise of every all-zero channel in a start to at least 100 × its floor, so that
    /// no start begins where its noise is stuck at the floor.
    pub fn lift_to_floors(&self, values: &mut [f64]) {
        for c in (0..self.channels.len()).filter(|&c| self.is_zero_data(c)) {
            let i = self.noise_index(c);
            if let (Transform::Log { floor }, false) =
                (self.params[i].transform, self.params[i].fixed)
            {
                values[i] = values[i].max(100.0 * floor);
            }
        }
    }

    /// Why the parameter values look like a collapse, if they do: a kernel variance below 1e-6
    /// of its data's scale while the noise of a channel with data sits within 10 × its floor (a
    /// lengthscale far beyond its input's extent is no sign of one: exact data with an input
    /// they do not depend on ask for it); or a channel of zeros (a law without a
    /// source) whose prior variance fell below 1e-2 of what it was at the first start, so that
    /// the prior satisfies the law alone. (A zero channel's noise at its floor is no sign of
    /// one: exact zeros ask for it.)
    pub fn degenerate(&self, values: &[f64]) -> Option<String> {
        let mut why = Vec::new();
        if !self.zero_scales.is_empty() {
            if let Ok(vars) = self.prior_variances(values) {
                for &(c, s0) in &self.zero_scales {
                    if vars[c] < 1e-2 * s0 {
                        why.push(format!(
                            "the prior variance of channel `{}` fell from {:.1e} to {:.1e}, so the prior satisfies its law alone",
                            self.channels[c].name, s0, vars[c]
                        ));
                    }
                }
            }
        }
        let at_floor: Vec<String> = (0..self.channels.len())
            .filter(|&c| !self.is_zero_data(c))
            .filter_map(|c| {
                let i = self.noise_index(c);
                match self.params[i].transform {
                    Transform::Log { floor }
                        if !self.params[i].fixed && values[i] <= 10.0 * floor =>
                    {
                        Some(self.params[i].name.clone())
                    }
                    _ => None,
                }
            })
            .collect();
        if !at_floor.is_empty() {
            let vanished: Vec<String> = self
                .kernels
                .iter()
                .enumerate()
                .flat_map(|(l, k)| {
                    let scale = crate::start::value_scale(self, l);
                    k.params
                        .iter()
                        .zip(&k.roles)
                        .filter(move |(p, role)| {
                            **role == Role::Variance
                                && !self.params[p.index()].fixed
                                && values[p.index()] < 1e-6 * scale
                        })
                        .map(|(p, _)| {
                            format!(
                                "{} = {:.1e}",
                                self.params[p.index()].name,
                                values[p.index()]
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            if !vanished.is_empty() {
                why.push(format!(
                    "{} while {} sit at their floors (the signal vanished with the noise)",
                    vanished.join(", "),
                    at_floor.join(", ")
                ));
            }
        }
        (!why.is_empty()).then(|| format!("a degenerate optimum: {}", why.join("; ")))
    }

    /// The kind of each parameter's prior, for reports: (name, prior, source).
    pub fn priors(&self) -> Vec<(String, Prior, PriorSource)> {
        self.params
            .iter()
            .map(|p| (p.name.clone(), p.prior, p.prior_source))
            .collect()
    }

    /// Whether parameter `i` is a noise variance.
    pub fn is_noise(&self, i: usize) -> bool {
        matches!(self.params[i].kind, ParamKind::Noise { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use noether_kernels::KernelSpec;

    /// The objective's gradient (priors included) against central differences, and the free
    /// density's gradient (log-Jacobians included) likewise.
    #[test]
    fn objective_gradients_match_finite_differences() {
        let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[("a", 0.7)]).unwrap();
        let x: Vec<f64> = (0..12).map(|i| i as f64 / 11.0).collect();
        let y: Vec<f64> = x.iter().map(|v| (3.0 * v).sin()).collect();
        let f: Vec<f64> = x
            .iter()
            .map(|v| 3.0 * (3.0 * v).cos() + 0.7 * (3.0 * v).sin() + 0.5)
            .collect();
        m.add_channel("u", "u", x.clone(), y, 1e-3).unwrap();
        m.add_channel("f", "u_x + a*u + 0.5*a*x", x, f, 1e-2)
            .unwrap();
        m.set_prior("a", Prior::Normal(0.0, 2.0)).unwrap();
        m.set("u.lengthscale", 0.4).unwrap();
        let v = m.values();
        let pol = JitterPolicy::default();
        let s = m.score(&v, true, &pol, ObjectiveKind::Posterior).unwrap();
        assert!(s.log_prior.is_finite() && s.log_prior != 0.0);
        for i in 0..v.len() {
            let h = 1e-6 * v[i].abs().max(1e-3);
            let mut vp = v.clone();
            vp[i] += h;
            let mut vm = v.clone();
            vm[i] -= h;
            let fp = m
                .score(&vp, false, &pol, ObjectiveKind::Posterior)
                .unwrap()
                .value;
            let fm = m
                .score(&vm, false, &pol, ObjectiveKind::Posterior)
                .unwrap()
                .value;
            let fd = (fp - fm) / (2.0 * h);
            assert!(
                (fd - s.gradient[i]).abs() < 1e-5 * (1.0 + fd.abs()),
                "{}: fd {fd} vs {}",
                m.params[i].name,
                s.gradient[i]
            );
        }
        let space = Space::new(&m, &v);
        let t = space.to_free(&v);
        let (l0, g) = m.log_posterior_free(&space, &t, &pol).unwrap();
        assert!(l0.is_finite());
        for k in 0..t.len() {
            let h = 1e-5;
            let mut tp = t.clone();
            tp[k] += h;
            let mut tm = t.clone();
            tm[k] -= h;
            let fd = (m.log_posterior_free(&space, &tp, &pol).unwrap().0
                - m.log_posterior_free(&space, &tm, &pol).unwrap().0)
                / (2.0 * h);
            assert!(
                (fd - g[k]).abs() < 1e-5 * (1.0 + fd.abs()),
                "{k}: {fd} vs {}",
                g[k]
            );
        }
    }
}
