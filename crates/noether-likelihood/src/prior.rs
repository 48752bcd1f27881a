//! Priors of parameters, and the defaults derived from the data.
//!
//! Every parameter carries a prior density p(θ) in natural units. The fit maximises the log
//! posterior, log p(y | θ) + Σ log p(θ_i), over the free parameters (with
//! `fit.objective: "likelihood"`, the likelihood alone); the Laplace step takes the Hessian of the
//! same objective. Densities are normalised, so that a log posterior can serve as an evidence.
//!
//! Defaults (weakly informative, from the data; Gelman et al. 2017, "The prior can often only be
//! understood in the context of the likelihood", and the lengthscale priors of Betancourt 2017,
//! "Robust Gaussian processes in Stan", which keep a lengthscale between the data's spacing and a
//! few times its extent):
//! - a lengthscale of input x: log ℓ ~ N(μ, σ²) centred between the typical spacing
//!   h = E / max(1, N^(1/D) − 1) and 2E (E the extent of x over all points, N the number of
//!   points, D the number of inputs): μ = ½ log(2hE), σ = max(½ log(2E/h), 3), wide on purpose
//!   (an input the data do not depend on keeps a long lengthscale);
//! - a kernel variance: log σ² ~ N(log v, 3²), v the variance of the data that observe the
//!   latent directly, shared among the kernel's variances; flat for a latent no channel observes
//!   directly (a potential, an energy: its variance is in other units than any data's);
//! - a noise variance: half-normal with scale v_c, the variance of the channel's data (flat for a
//!   small noise, so that exact data keep a small one; a noise above the data's variance is
//!   unlikely); for a channel whose data are all zero (a law without a source, a constraint), v_c
//!   is the channel's prior variance at the first start of the fit, and the noise is kept above
//!   10⁻⁶ v_c;
//! - an operator coefficient: flat (so that published reproductions keep their numbers).
//!
//! A lengthscale driven to 10¹⁰⁰, or a variance to 10⁻⁶⁰, then costs thousands of nats: the
//! collapses a likelihood alone allows (a signal that vanishes with its noise) cannot win.

use serde::{Deserialize, Serialize};

/// A prior density of one parameter, in natural units.
///
/// Its serde form: `"flat"`, `{"normal": [m, s]}`, `{"lognormal": [m, s]}` (log p ~ N(m, s²)),
/// `{"half_normal": s}`, `{"inverse_gamma": [a, b]}` (density ∝ p^(−a−1) e^(−b/p)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Prior {
    /// A constant density (improper): the likelihood alone.
    #[default]
    Flat,
    /// Normal with mean m and standard deviation s.
    Normal(f64, f64),
    /// log p ~ N(m, s²): a positive parameter whose scale is known to a factor e^s.
    #[serde(rename = "lognormal")]
    LogNormal(f64, f64),
    /// |N(0, s²)| on p > 0.
    HalfNormal(f64),
    /// Inverse gamma with shape a and scale b on p > 0.
    InverseGamma(f64, f64),
}

use noether_kernels::spectral::LN_SQRT_2PI;

impl Prior {
    /// Check the prior's own numbers, and that it fits a parameter that is (`positive`) or is
    /// not constrained positive.
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn validate(&self, positive: bool) -> Result<(), String> {
        let scale = |s: f64, what: &str| {
            if s.is_finite() && s > 0.0 {
                Ok(())
            } else {
                Err(format!("{what} must be a positive finite number, got {s}"))
            }
        };
        let finite = |m: f64, what: &str| {
            if m.is_finite() {
                Ok(())
            } else {
                Err(format!("{what} must be a finite number, got {m}"))
            }
        };
        match *self {
            Prior::Flat => Ok(()),
            Prior::Normal(m, s) => {
                finite(m, "the normal prior's mean")?;
                scale(s, "the normal prior's standard deviation")
            }
            Prior::LogNormal(m, s) => {
                finite(m, "the lognormal prior's mean of log")?;
                scale(s, "the lognormal prior's standard deviation of log")?;
                Self::positive_only(positive, self.name())
            }
            Prior::HalfNormal(s) => {
                scale(s, "the half_normal prior's scale")?;
                Self::positive_only(positive, self.name())
            }
            Prior::InverseGamma(a, b) => {
                scale(a, "the inverse_gamma prior's shape a")?;
                scale(b, "the inverse_gamma prior's scale b")?;
                Self::positive_only(positive, self.name())
            }
        }
    }

    fn positive_only(positive: bool, name: &str) -> Result<(), String> {
        if positive {
            Ok(())
        } else {
            Err(format!("a {name} prior is for a positive parameter; this one can take any sign (give it {{\"positive\": true}}, or a normal prior)"))
        }
    }

    /// The name as written in a problem file.
    pub fn name(&self) -> &'static str {
        match self {
            Prior::Flat => "flat",
            Prior::Normal(..) => "normal",
            Prior::LogNormal(..) => "lognormal",
            Prior::HalfNormal(_) => "half_normal",
            Prior::InverseGamma(..) => "inverse_gamma",
        }
    }

    /// log p(v) and d log p / dv at v (natural units); −∞ outside the support.
    pub fn log_density(&self, v: f64) -> (f64, f64) {
        match *self {
            Prior::Flat => (0.0, 0.0),
            Prior::Normal(m, s) => {
                let z = (v - m) / s;
                (-0.5 * z * z - s.ln() - LN_SQRT_2PI, -z / s)
            }
            Prior::LogNormal(m, s) => {
                if v <= 0.0 {
                    return (f64::NEG_INFINITY, 0.0);
                }
                let l = v.ln();
                let z = (l - m) / s;
                (-0.5 * z * z - l - s.ln() - LN_SQRT_2PI, (-z / s - 1.0) / v)
            }
            Prior::HalfNormal(s) => {
                if v < 0.0 {
                    return (f64::NEG_INFINITY, 0.0);
                }
                let z = v / s;
                (
                    -0.5 * z * z - s.ln() - LN_SQRT_2PI + std::f64::consts::LN_2,
                    -z / s,
                )
            }
            Prior::InverseGamma(a, b) => {
                if v <= 0.0 {
                    return (f64::NEG_INFINITY, 0.0);
                }
                (
                    a * b.ln() - ln_gamma(a) - (a + 1.0) * v.ln() - b / v,
                    -(a + 1.0) / v + b / (v * v),
                )
            }
        }
    }

    /// Whether the density is proper (integrates to 1).
    pub fn is_proper(&self) -> bool {
        !matches!(self, Prior::Flat)
    }
}

impl std::fmt::Display for Prior {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::format::number;
        match *self {
            Prior::Flat => f.write_str("flat"),
            Prior::Normal(m, s) => write!(f, "normal({}, {})", number(m, 4), number(s, 4)),
            Prior::LogNormal(m, s) => {
                write!(f, "lognormal({}, {})", number(m, 4), number(s, 4))
            }
            Prior::HalfNormal(s) => write!(f, "half_normal({})", number(s, 4)),
            Prior::InverseGamma(a, b) => {
                write!(f, "inverse_gamma({}, {})", number(a, 4), number(b, 4))
            }
        }
    }
}

pub use noether_kernels::spectral::ln_gamma;

/// Where a parameter's prior came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorSource {
    /// Given in the problem.
    User,
    /// The documented default, derived from the data.
    Default,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each density integrates to 1 (trapezoid on a fine log grid) and its derivative matches
    /// central differences.
    #[test]
    fn densities_are_normalised_and_differentiated() {
        let priors = [
            Prior::Normal(0.3, 2.0),
            Prior::LogNormal(0.5, 0.7),
            Prior::HalfNormal(1.5),
            Prior::InverseGamma(3.0, 2.0),
        ];
        for p in priors {
            // ∫ p(v) dv over (0, ∞) (or R for the normal) as ∫ p(e^t) e^t dt.
            let (lo, hi, n) = (-30.0, 6.0, 200_000);
            let h = (hi - lo) / n as f64;
            let mut total = 0.0;
            for k in 0..=n {
                let t = lo + k as f64 * h;
                let w = if k == 0 || k == n { 0.5 } else { 1.0 };
                let v = t.exp();
                total += w * (p.log_density(v).0.exp() * v) * h;
                if matches!(p, Prior::Normal(..)) {
                    total += w * (p.log_density(-v).0.exp() * v) * h;
                }
            }
            assert!((total - 1.0).abs() < 1e-6, "{p}: {total}");
            for v in [0.2, 1.0, 3.7] {
                let e = 1e-6 * v;
                let fd = (p.log_density(v + e).0 - p.log_density(v - e).0) / (2.0 * e);
                let d = p.log_density(v).1;
                assert!(
                    (fd - d).abs() < 1e-6 * (1.0 + d.abs()),
                    "{p} at {v}: {fd} vs {d}"
                );
            }
        }
    }

    #[test]
    fn ln_gamma_matches_known_values() {
        // Γ(1) = Γ(2) = 1, Γ(1/2) = √π, Γ(5) = 24, Γ(0.1) = 9.5135076986687.
        for (a, want) in [
            (1.0, 0.0),
            (2.0, 0.0),
            (0.5, 0.5 * std::f64::consts::PI.ln()),
            (5.0, 24f64.ln()),
            (0.1, 9.513_507_698_668_732f64.ln()),
        ] {
            assert!((ln_gamma(a) - want).abs() < 1e-12, "{a}");
        }
    }

    #[test]
    fn bad_priors_say_why() {
        assert!(Prior::Normal(0.0, 0.0)
            .validate(false)
            .unwrap_err()
            .contains("standard deviation"));
        assert!(Prior::HalfNormal(-1.0).validate(true).is_err());
        assert!(Prior::LogNormal(0.0, 1.0)
            .validate(false)
            .unwrap_err()
            .contains("positive parameter"));
        assert!(Prior::InverseGamma(2.0, 1.0).validate(true).is_ok());
        let p: Prior = serde_json::from_str(r#"{"lognormal": [0, 1]}"#).unwrap();
        assert_eq!(p, Prior::LogNormal(0.0, 1.0));
        let p: Prior = serde_json::from_str(r#""flat""#).unwrap();
        assert_eq!(p, Prior::Flat);
        let p: Prior = serde_json::from_str(r#"{"half_normal": 2}"#).unwrap();
        assert_eq!(p, Prior::HalfNormal(2.0));
    }
}
