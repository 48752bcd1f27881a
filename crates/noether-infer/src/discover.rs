//! Law discovery: which operator explains the data.
//!
//! A problem names a channel whose operator is to be discovered and a library of candidate
//! terms (`"discover": {"channel": "law", "terms": ["u", "u_t", "t*u"], "required": ["u_tt"],
//! "max_terms": 2}`). Each candidate law is the required terms (coefficient 1: they fix the
//! law's scale) plus a subset of the library, each chosen term with a coefficient learned with
//! the kernel. Every candidate is fitted and scored by an approximate log evidence,
//!
//! ```text
//! log Z ≈ log p(y | θ̂, φ̂) + log p(θ̂) + log p(φ̂) + (k/2) log 2π + ½ log det Σ_φ,
//! ```
//!
//! the optimised log posterior plus the Laplace term over the k coefficients φ (Σ_φ their block
//! of the inverse Hessian of the negative log posterior, so the hyperparameters θ are profiled
//! out at their optimum, which every candidate shares in kind and number). A homogeneous law
//! (a channel of zeros) is conditioned on, so the evidence is that of the data under the prior
//! that obeys the candidate law at the channel's points.
//!
//! The coefficients need proper priors for the evidence to mean anything (with a flat prior
//! any added term would cost nothing): each chosen term's coefficient has the prior N(0, s²)
//! with s = `prior_scale` × the ratio of the sizes of what the library must explain (the
//! channel's data less the required terms) and of the term — RMS values of posterior means at
//! the channel's points under the model fitted to the other channels' data (a g-prior: the
//! coefficient that would make the term explain it alone, on the function the data describe), or
//! prior standard deviations where no other channel has data. An extra term with no effect then costs about log(s/SE) nats, the Occam
//! factor. Say `"prior_scale": 10` to make the razor stricter (by log 10 = 2.3 nats a term), 0.1
//! to make it looser.

use crate::result::Estimate;
use crate::{InferError, Init, InitSpec, Problem};
use noether_likelihood::objective::ObjectiveKind;
use noether_likelihood::sample::Method;
use noether_likelihood::{format, parallel, Prior};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// The most candidates the exhaustive search fits unless asked to by `"search": "exhaustive"`.
pub const EXHAUSTIVE_AUTO: usize = 256;

/// The most candidates the exhaustive search fits at all.
pub const EXHAUSTIVE_MAX: usize = 4096;

/// The most terms in a library.
pub const MAX_LIBRARY: usize = 64;

/// How the candidate laws are searched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Search {
    /// Exhaustive up to [`EXHAUSTIVE_AUTO`] candidates; beyond, greedy when `max_terms` is given
    /// (the default).
    #[default]
    Auto,
    /// Every subset of at most `max_terms` library terms (up to [`EXHAUSTIVE_MAX`]).
    Exhaustive,
    /// Forward–backward: from the required terms alone, add the term that raises the evidence
    /// most, then drop any term whose removal raises it, until neither helps.
    Greedy,
}

/// The `discover` block of a problem file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discover {
    /// The channel whose operator is discovered (its own `operator` is what `noether fit` fits;
    /// discovery replaces it by each candidate).
    pub channel: String,
    /// The library of candidate terms: linear, coefficient-free operators of the latents
    /// (`u`, `u_t`, `t*u_x`, `d(x*u, x)`).
    pub terms: Vec<String>,
    /// Terms in every candidate with coefficient 1 (they fix the law's scale; may be empty only
    /// when the channel has data other than zeros).
    #[serde(default)]
    pub required: Vec<String>,
    /// The most library terms in a candidate (default: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_terms: Option<usize>,
    /// How the candidates are searched.
    #[serde(default)]
    pub search: Search,
    /// The coefficients' prior scale relative to the natural one (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub prior_scale: f64,
    /// Starts of each candidate's fit after the first (default 1: the data-driven start, then
    /// the optimum of the best nested candidate with one term fewer, or the initial values);
    /// the problem's `fit.restarts` is what `noether fit` uses.
    #[serde(default = "one_restart", skip_serializing_if = "is_one_restart")]
    pub restarts: usize,
    /// Laws within this many nats of the best are reported as indistinguishable, and the
    /// simplest of them ranks first (default 2: between laws that both hold exactly on every
    /// solution, noise alone moved the evidence by up to 1.85 nats in the oscillator example;
    /// Jeffreys's "barely worth mentioning" ends at 1.15, Kass & Raftery's "positive" at 3).
    #[serde(default = "two", skip_serializing_if = "is_two")]
    pub margin: f64,
}

fn one() -> f64 {
    1.0
}

fn is_one(v: &f64) -> bool {
    *v == 1.0
}

fn two() -> f64 {
    2.0
}

fn is_two(v: &f64) -> bool {
    *v == 2.0
}

fn one_restart() -> usize {
    1
}

fn is_one_restart(v: &usize) -> bool {
    *v == 1
}

impl Discover {
    /// A discovery of `channel`'s law from `terms`, with `required` terms of coefficient 1.
    pub fn new(channel: &str, terms: &[&str], required: &[&str]) -> Discover {
        Discover {
            channel: channel.into(),
            terms: terms.iter().map(|t| t.to_string()).collect(),
            required: required.iter().map(|t| t.to_string()).collect(),
            max_terms: None,
            search: Search::Auto,
            prior_scale: 1.0,
            restarts: 1,
            margin: 2.0,
        }
    }

    /// At most `n` library terms per candidate.
    pub fn max_terms(mut self, n: usize) -> Discover {
        self.max_terms = Some(n);
        self
    }

    /// This search.
    pub fn search(mut self, s: Search) -> Discover {
        self.search = s;
        self
    }
}

/// One candidate law, fitted and scored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Its terms: the required ones, then the chosen library terms in library order.
    pub terms: Vec<String>,
    /// Each term's coefficient ± its Laplace standard error (required terms: 1, fixed).
    pub parameters: BTreeMap<String, Estimate>,
    /// The approximate log evidence (None when the fit failed).
    pub log_evidence: Option<f64>,
    /// Its log evidence less the highest (0 for that candidate, negative for the others).
    pub difference: Option<f64>,
    /// The NLML at the optimum.
    pub nlml: Option<f64>,
    /// The Bayesian information criterion, 2·NLML + (free parameters)·log(observations), for
    /// comparison (lower is better).
    pub bic: Option<f64>,
    /// The law as text (`u_tt + 0.5012·u_t + 9.003·u = 0`).
    pub law: String,
    /// The law in LaTeX.
    pub latex: String,
    /// Seconds its fit took (on one core).
    pub seconds: f64,
    /// Objective evaluations of its fit.
    pub evaluations: u64,
    /// What went wrong or looks doubtful: a failed or degenerate fit, a coefficient the data
    /// cannot identify.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Whether the fit's optimum is a collapse ([`noether_likelihood::Model::degenerate`]):
    /// ranked below every proper fit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub degenerate: bool,
}

/// What `noether discover` writes: every candidate fitted, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    /// The version of noether that wrote it.
    pub noether_version: String,
    /// The channel whose law was discovered.
    pub channel: String,
    /// The required terms.
    pub required: Vec<String>,
    /// The library.
    pub library: Vec<String>,
    /// `exhaustive` or `greedy`.
    pub search: String,
    /// The standard deviation of each library term's coefficient prior N(0, s²).
    pub prior_scales: BTreeMap<String, f64>,
    /// The margin (nats) within which laws are reported as indistinguishable.
    pub margin: f64,
    /// Every candidate fitted, best first.
    pub candidates: Vec<Candidate>,
    /// How the prior scales were set, ties within the margin, candidates that failed.
    pub notes: Vec<String>,
    /// Seconds for the whole discovery (wall clock).
    pub seconds: f64,
    /// The mean seconds of one candidate's fit (on one core).
    pub seconds_per_candidate: f64,
}

impl Discovery {
    /// The best candidate.
    pub fn best(&self) -> &Candidate {
        &self.candidates[0]
    }

    /// The result as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Write it to `path`, whole or not at all.
    ///
    /// # Errors
    /// [`InferError::Io`] naming the file.
    pub fn save(&self, path: &std::path::Path) -> Result<(), InferError> {
        crate::write_atomic(path, (self.to_json() + "\n").as_bytes())
    }

    /// The ranking as a text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:>4}  {:>12}  {:>9}  {:>10}  law\n",
            "rank", "log evidence", "Δ", "BIC"
        );
        for (k, c) in self.candidates.iter().enumerate() {
            let num =
                |v: Option<f64>, d: usize| v.map_or("—".to_string(), |v| format!("{v:.d$}"));
            out += &format!(
                "{:>4}  {:>12}  {:>9}  {:>10}  {}{}\n",
                k + 1,
                num(c.log_evidence, 2),
                num(c.difference, 2),
                num(c.bic, 1),
                c.law,
                if c.degenerate { "  (degenerate)" } else { "" }
            );
        }
        out
    }
}

/// The checked form of a `discover` block.
struct Plan {
    channel: usize,
    /// The channel's name as the user wrote it.
    channel_name: String,
    terms: Vec<String>,
    required: Vec<String>,
    max_terms: usize,
    greedy: bool,
    names: Vec<String>,
    zero: bool,
    restarts: usize,
    /// Each library term's complexity: twice its derivative order, plus 1 when its
    /// coefficient varies with an input (`t*u_t`: 3).
    complexity: Vec<u32>,
}

fn identifiers(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .collect()
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The number of subsets of at most `k` of `n` items (saturating).
fn subsets(n: usize, k: usize) -> usize {
    let mut total: usize = 0;
    let mut c: usize = 1;
    for i in 0..=k.min(n) {
        total = total.saturating_add(c);
        c = c.saturating_mul(n - i) / (i + 1);
    }
    total
}

impl Problem {
    /// Check a `discover` block against the problem and say how it would be searched: the number
    /// of candidates the exhaustive search fits, or `None` for the greedy search (whose count
    /// depends on the data).
    ///
    /// # Errors
    /// As [`Problem::discover`] for a bad block, before any fit.
    pub fn discovery_size(&self, d: &Discover) -> Result<Option<usize>, InferError> {
        self.validate()?;
        let plan = self.plan(d)?;
        // With no required term the empty law is not a candidate.
        let empty = usize::from(plan.required.is_empty());
        Ok((!plan.greedy).then(|| subsets(plan.terms.len(), plan.max_terms) - empty))
    }

    /// Check a `discover` block against the problem.
    fn plan(&self, d: &Discover) -> Result<Plan, InferError> {
        let f = |k: &str| format!("discover.{k}");
        let channel = self
            .channels
            .iter()
            .position(|c| c.name == d.channel)
            .ok_or_else(|| {
                InferError::field(
                    f("channel"),
                    format!(
                        "no channel `{}` (channels: {})",
                        d.channel,
                        self.channels
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        if d.terms.is_empty() {
            return Err(InferError::field(
                f("terms"),
                "the library needs at least one candidate term",
            ));
        }
        if d.terms.len() > MAX_LIBRARY {
            return Err(InferError::field(
                f("terms"),
                format!(
                    "{} terms; a library has at most {MAX_LIBRARY}",
                    d.terms.len()
                ),
            ));
        }
        let expansion = self.expansion()?;
        let latents: Vec<String> = expansion.latents.iter().map(|l| l.0.clone()).collect();
        let raw_latents: Vec<String> = self.latents.keys().cloned().collect();
        let check = |t: &str, field: String| -> Result<(String, u32), InferError> {
            let t = t.trim();
            if t.is_empty() {
                return Err(InferError::field(field, "an empty term"));
            }
            if let Some(p) = identifiers(t)
                .into_iter()
                .find(|w| self.parameters.contains_key(*w))
            {
                return Err(InferError::field(
                    field,
                    format!("the term `{t}` contains the parameter `{p}`: a term's coefficient is learned, so write the term without it"),
                ));
            }
            let parse = |text: &str, latents: &[String]| {
                let mut g = noether_kernels::expr::Graph::new(&self.inputs);
                let names = noether_kernels::operator::Names {
                    latents: latents.to_vec(),
                    parameters: Vec::new(),
                };
                noether_kernels::operator::Operator::parse(text, &mut g, &names)
                    .map_err(|e| InferError::field(field.clone(), e.to_string()))
            };
            if !t.contains('[') {
                let op = parse(t, &raw_latents)?;
                if op.offset.is_some() {
                    return Err(InferError::field(
                        field,
                        format!("the term `{t}` has a part without a latent function: a candidate term is linear in the latents"),
                    ));
                }
                if op.terms.is_empty() {
                    return Err(InferError::field(field, format!("the term `{t}` is zero")));
                }
            }
            let expanded = crate::field::expand_with(&expansion, t).map_err(|e| match e {
                InferError::Field { message, .. } => InferError::field(field.clone(), message),
                e => e,
            })?;
            let op = parse(&expanded, &latents)?;
            let order = op
                .terms
                .iter()
                .map(|term| term.orders.iter().map(|o| u32::from(*o)).sum::<u32>())
                .max()
                .unwrap_or(0);
            let varying = u32::from(
                identifiers(t)
                    .iter()
                    .any(|w| self.inputs.iter().any(|i| i == w)),
            );
            Ok((t.to_string(), 2 * order + varying))
        };
        let mut terms = Vec::new();
        let mut complexity = Vec::new();
        for (i, t) in d.terms.iter().enumerate() {
            let (t, c) = check(t, f(&format!("terms[{i}]")))?;
            complexity.push(c);
            if let Some(j) = terms
                .iter()
                .position(|u: &String| squeeze(u) == squeeze(&t))
            {
                return Err(InferError::field(
                    f(&format!("terms[{i}]")),
                    format!("the term `{t}` is already terms[{j}]"),
                ));
            }
            terms.push(t);
        }
        let mut required = Vec::new();
        for (i, t) in d.required.iter().enumerate() {
            let (t, _) = check(t, f(&format!("required[{i}]")))?;
            if let Some(j) = terms.iter().position(|u| squeeze(u) == squeeze(&t)) {
                return Err(InferError::field(
                    f(&format!("required[{i}]")),
                    format!("the term `{t}` is also terms[{j}]: a term is either required (coefficient 1) or a candidate"),
                ));
            }
            if required.iter().any(|u: &String| squeeze(u) == squeeze(&t)) {
                return Err(InferError::field(
                    f(&format!("required[{i}]")),
                    format!("the term `{t}` is required twice"),
                ));
            }
            required.push(t);
        }
        let n = terms.len();
        let max_terms = match d.max_terms {
            Some(0) => {
                return Err(InferError::field(
                    f("max_terms"),
                    "must be at least 1 (with none, the required terms alone are the law)",
                ))
            }
            Some(k) if k > n => {
                return Err(InferError::field(
                    f("max_terms"),
                    format!("{k} is more than the library's {n} terms"),
                ))
            }
            Some(k) => k,
            None => n,
        };
        let count = subsets(n, max_terms);
        let greedy = match d.search {
            Search::Greedy => true,
            Search::Exhaustive if count > EXHAUSTIVE_MAX => {
                return Err(InferError::field(
                    f("search"),
                    format!("the exhaustive search would fit {count} candidates, more than {EXHAUSTIVE_MAX}: lower `max_terms` or say \"search\": \"greedy\""),
                ))
            }
            Search::Exhaustive => false,
            Search::Auto if count <= EXHAUSTIVE_AUTO => false,
            Search::Auto if d.max_terms.is_some() => true,
            Search::Auto => {
                return Err(InferError::field(
                    f("terms"),
                    format!("a library of {n} terms gives {count} candidates, too many for the exhaustive search (at most {EXHAUSTIVE_AUTO} unless asked): give `max_terms` or \"search\": \"greedy\""),
                ))
            }
        };
        if !(d.prior_scale.is_finite() && d.prior_scale > 0.0) {
            return Err(InferError::field(
                f("prior_scale"),
                format!("must be a positive finite number, got {}", d.prior_scale),
            ));
        }
        if d.restarts > noether_likelihood::fit::FitOptions::MAX_RESTARTS {
            return Err(InferError::field(
                f("restarts"),
                format!(
                    "{} restarts; at most {}",
                    d.restarts,
                    noether_likelihood::fit::FitOptions::MAX_RESTARTS
                ),
            ));
        }
        if !(d.margin.is_finite() && d.margin >= 0.0) {
            return Err(InferError::field(
                f("margin"),
                format!("must be a finite number ≥ 0, got {}", d.margin),
            ));
        }
        if self.fit.objective == ObjectiveKind::Likelihood {
            return Err(InferError::field(
                "fit.objective",
                "discovery needs \"posterior\": the evidence integrates the coefficients' priors",
            ));
        }
        // The coefficients' names: `xi1`, `xi2`, … unless taken.
        let stem = self.free_stem("xi", 1..=n);
        let names = (1..=n).map(|k| format!("{stem}{k}")).collect();
        let data = self.load_channel(channel)?;
        let zero = data.y.iter().all(|v| *v == 0.0);
        if required.is_empty() && zero {
            return Err(InferError::field(
                f("required"),
                format!("channel `{}` observes zeros only, so the law's scale is free (a law times any number is the same law): require at least one term, with coefficient 1", d.channel),
            ));
        }
        Ok(Plan {
            channel,
            channel_name: d.channel.clone(),
            terms,
            required,
            max_terms,
            greedy,
            names,
            zero,
            restarts: d.restarts,
            complexity,
        })
    }

    /// `stem` (extended with `x` until free) such that no `{stem}{k}`, k in `ks`, names an
    /// input, latent, parameter or channel.
    fn free_stem(&self, stem: &str, ks: std::ops::RangeInclusive<usize>) -> String {
        let taken = |s: &str| {
            self.inputs.iter().any(|n| n == s)
                || self.latents.contains_key(s)
                || self.parameters.contains_key(s)
                || self.channels.iter().any(|c| c.name == s)
        };
        let mut stem = stem.to_string();
        while ks.clone().any(|k| taken(&format!("{stem}{k}"))) {
            stem.push('x');
        }
        stem
    }

    /// The problem candidates are built from: no `discover`, an optimising fit, and none of the
    /// parameters that only the discovered channel's own operator used.
    fn discovery_base(&self, plan: &Plan) -> Problem {
        let mut p = self.clone();
        p.discover = None;
        // A channel named like an operator of the latents (`u`) must observe that operator;
        // its candidates observe others: inside the discovery it goes by a name of its own.
        let name = &p.channels[plan.channel].name;
        if p.latents.contains_key(name) || p.derivative_of(name).is_some() {
            let stem = p.free_stem(&format!("{name}_law"), 1..=1);
            p.channels[plan.channel].name = format!("{stem}1");
        }
        p.fit.method = Method::Optimize;
        p.fit.restarts = plan.restarts;
        let mut used: Vec<String> = Vec::new();
        for (i, c) in p.channels.iter().enumerate() {
            if i != plan.channel {
                used.extend(identifiers(&c.operator).into_iter().map(String::from));
            }
        }
        for l in p.latents.values() {
            for s in [&l.mean, &l.times].into_iter().flatten() {
                used.extend(identifiers(s).into_iter().map(String::from));
            }
        }
        p.parameters.retain(|k, _| used.contains(k));
        p
    }

    /// The candidate with library terms `chosen` (by index).
    fn candidate(&self, base: &Problem, plan: &Plan, scales: &[f64], chosen: &[usize]) -> Problem {
        let mut p = base.clone();
        let mut parts: Vec<String> = plan.required.iter().map(|t| format!("({t})")).collect();
        for &j in chosen {
            parts.push(format!("{}*({})", plan.names[j], plan.terms[j]));
            p.parameters.insert(
                plan.names[j].clone(),
                Init::Spec(InitSpec {
                    // With no required term, ξ = 0 is a stationary point of a law with a
                    // source (ξ → −ξ with g → −g leaves the likelihood unchanged): start off it.
                    value: if plan.required.is_empty() {
                        0.1 * scales[j]
                    } else {
                        0.0
                    },
                    fixed: false,
                    positive: false,
                    prior: Some(Prior::Normal(0.0, scales[j])),
                }),
            );
        }
        p.channels[plan.channel].operator = parts.join(" + ");
        let _ = self;
        p
    }

    /// The standard deviation of each term's coefficient prior, and how it was set.
    fn prior_scales(
        &self,
        base: &Problem,
        plan: &Plan,
        factor: f64,
    ) -> Result<(Vec<f64>, String), InferError> {
        let ci = plan.channel;
        // The kernel: fitted to the other channels with data, else the initial values.
        let mut others = base.clone();
        others.channels.remove(ci);
        let has_data = (0..base.channels.len()).filter(|&i| i != ci).any(|i| {
            base.load_channel(i)
                .is_ok_and(|d| d.y.iter().any(|v| *v != 0.0))
        });
        let data = base.load_channel(ci)?;
        let rms = |v: &[f64]| (v.iter().map(|a| a * a).sum::<f64>() / v.len().max(1) as f64).sqrt();
        let mut probe = base.clone();
        let mut how =
            "the prior sd of {against} over the term's, under the latents' initial hyperparameters"
                .to_string();
        let mut fitted_scales = None;
        if has_data {
            let mut used: Vec<String> = Vec::new();
            for c in &others.channels {
                used.extend(identifiers(&c.operator).into_iter().map(String::from));
            }
            others.parameters.retain(|k, _| used.contains(k));
            others.fit.restarts = others.fit.restarts.min(1);
            if let Ok(fitted) = others.fit() {
                let names = others
                    .channels
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                // The terms' sizes on the function the other channels' data describe: the RMS of
                // each term's posterior mean at the channel's points. Like Zellner's g-prior, the
                // coefficient's scale follows its regressor's size; unlike the prior's sd, it does
                // not grow with the derivative order faster than the data's own frequencies do
                // (under the prior, u_ttt's sd is that of its highest frequencies).
                let size = |op: &str| fitted.predict(op, &data.x).map(|p| rms(&p.mean)).ok();
                // What the library's terms must explain: the channel's data less the required
                // terms (all of the required terms for a law without a source; for a law with
                // one, f − u_t, which is mostly f when u_t is small beside it).
                let reference = if plan.required.is_empty() {
                    Some(rms(&data.y))
                } else {
                    fitted
                        .predict(&plan.required.join(" + "), &data.x)
                        .ok()
                        .map(|p| {
                            let r: Vec<f64> =
                                data.y.iter().zip(&p.mean).map(|(y, m)| y - m).collect();
                            rms(&r)
                        })
                };
                if let Some(r) = reference.filter(|r| *r > 0.0 && r.is_finite()) {
                    let sizes: Vec<Option<f64>> = plan.terms.iter().map(|t| size(t)).collect();
                    // A term that vanishes on the fitted function (to 1e-9 of the law's size)
                    // falls back to the prior's rule with the others.
                    if sizes
                        .iter()
                        .all(|v| v.is_some_and(|v| v > 1e-9 * r && v.is_finite()))
                    {
                        fitted_scales = Some(
                            sizes
                                .iter()
                                .map(|v| factor * r / v.unwrap_or(r))
                                .collect::<Vec<f64>>(),
                        );
                        how = format!("the RMS of {{against}} over the term's, each the posterior mean at the channel's points under the fit to the other channels ({names})");
                        if !plan.zero {
                            how = how.replace("{against}", "the channel's data less {against}");
                        }
                    }
                }
                probe = probe.starting_from(&fitted);
                if fitted_scales.is_none() {
                    how = format!("the prior sd of {{against}} over the term's, under the kernel fitted to the other channels ({names})");
                }
            }
        }
        let against = if plan.required.is_empty() {
            "the channel's data".to_string()
        } else {
            format!("the required {}", plan.required.join(" + "))
        };
        let how = how.replace("{against}", &against);
        let note = |how: &str| {
            format!(
                "coefficient priors N(0, s²): s = {factor} × {how}, at channel `{}`'s points",
                plan.channel_name
            )
        };
        if let Some(out) = fitted_scales {
            return Ok((out, note(&how)));
        }
        let d = base.inputs.len();
        let stem = base.free_stem("probe", 0..=plan.terms.len());
        let ones = vec![1.0; data.y.len()];
        let mut ops: Vec<String> = plan.terms.clone();
        if !plan.required.is_empty() {
            ops.push(plan.required.join(" + "));
        }
        let first = probe.channels.len();
        for (k, op) in ops.iter().enumerate() {
            probe = probe.channel(
                &format!("{stem}{k}"),
                op,
                crate::Data::from_rows(&data.x, d, &ones),
                1.0,
            );
        }
        let model = probe.model()?;
        let vars = model
            .prior_variances(&model.values())
            .map_err(InferError::model("discover: the terms' prior variances"))?;
        let reference = if plan.required.is_empty() {
            noether_likelihood::start::mean_square(&data.y)
        } else {
            vars[first + plan.terms.len()]
        };
        let mut out = Vec::new();
        for (j, t) in plan.terms.iter().enumerate() {
            let v = vars[first + j];
            if !(v > 0.0 && v.is_finite() && reference > 0.0 && reference.is_finite()) {
                return Err(InferError::field(
                    format!("discover.terms[{j}]"),
                    format!(
                        "the term `{t}` has prior variance {} at channel `{}`'s points (against {} for the required terms): it cannot be scaled",
                        format::number(v, 3),
                        base.channels[ci].name,
                        format::number(reference, 3)
                    ),
                ));
            }
            out.push(factor * (reference / v).sqrt());
        }
        Ok((out, note(&how)))
    }

    /// Discover the law of the channel named in the problem's `discover` block
    /// ([`crate::discover`]).
    ///
    /// # Errors
    /// A problem without a `discover` block, or any error of the block (naming the field), of the
    /// problem or of its data; a discovery in which no candidate could be fitted.
    pub fn discover(&self) -> Result<Discovery, InferError> {
        let d = self
            .discover
            .clone()
            .ok_or_else(|| InferError::field("discover", "the problem has no `discover` block"))?;
        self.discover_with(&d, &mut |_| {})
    }

    /// [`Problem::discover`] with the block given, telling `progress` of every candidate fitted.
    ///
    /// # Errors
    /// As [`Problem::discover`].
    pub fn discover_with(
        &self,
        spec: &Discover,
        progress: &mut dyn FnMut(&Candidate),
    ) -> Result<Discovery, InferError> {
        let started = Instant::now();
        self.validate()?;
        let plan = self.plan(spec)?;
        let base = self.discovery_base(&plan);
        let (scales, how) = self.prior_scales(&base, &plan, spec.prior_scale)?;
        let mut notes = vec![how];
        if self.fit.method == Method::Nuts {
            notes.push(
                "fit.method \"nuts\" is ignored: candidates are scored at their optima".into(),
            );
        }
        let mut cache: HashMap<u64, Scored> = HashMap::new();
        let workers = parallel::cores();
        let fit_level = |masks: Vec<u64>,
                         cache: &mut HashMap<u64, Scored>,
                         progress: &mut dyn FnMut(&Candidate)| {
            // With no required term, the empty law is no law.
            let todo: Vec<u64> = masks
                .into_iter()
                .filter(|m| !cache.contains_key(m) && (*m != 0 || !plan.required.is_empty()))
                .collect();
            let jobs: Vec<(u64, Problem)> = todo
                .iter()
                .map(|&m| {
                    let chosen = chosen_of(m);
                    let mut p = self.candidate(&base, &plan, &scales, &chosen);
                    // Warm start from the best nested candidate with one term fewer.
                    let parent = chosen
                        .iter()
                        .filter_map(|&j| cache.get(&(m & !(1 << j))))
                        .filter(|s| s.fitted.is_some())
                        .max_by(|a, b| a.rank_key().total_cmp(&b.rank_key()));
                    if let Some(f) = parent.and_then(|s| s.fitted.as_ref()) {
                        p = p.starting_from(f);
                    }
                    (m, p)
                })
                .collect();
            let results =
                parallel::map(jobs, workers, |_, (m, p)| (m, score(&p, &plan, &scales, m)));
            for (k, r) in results.into_iter().enumerate() {
                let m = todo[k];
                let s = match r {
                    Some((_, s)) => s,
                    None => Scored::failed(&plan, m, "the fit panicked".into()),
                };
                progress(&s.candidate);
                cache.insert(m, s);
            }
        };
        let n = plan.terms.len();
        let search;
        if !plan.greedy {
            search = "exhaustive";
            for k in 0..=plan.max_terms {
                let level: Vec<u64> = (0u64..(1u64 << n))
                    .filter(|m| m.count_ones() as usize == k)
                    .collect();
                fit_level(level, &mut cache, progress);
            }
        } else {
            search = "greedy";
            let mut current = 0u64;
            fit_level(vec![0], &mut cache, progress);
            // (Without a required term the search starts from no law at all: every single
            // term is then a step up.)
            for _ in 0..4 * n + 4 {
                let key = |c: &HashMap<u64, Scored>, m: u64| {
                    c.get(&m).map_or(f64::NEG_INFINITY, Scored::rank_key)
                };
                let mut moved = false;
                if (current.count_ones() as usize) < plan.max_terms {
                    let forward: Vec<u64> = (0..n)
                        .filter(|j| current & (1 << j) == 0)
                        .map(|j| current | (1 << j))
                        .collect();
                    fit_level(forward.clone(), &mut cache, progress);
                    if let Some(&best) = forward
                        .iter()
                        .max_by(|a, b| key(&cache, **a).total_cmp(&key(&cache, **b)))
                    {
                        if key(&cache, best) > key(&cache, current) {
                            current = best;
                            moved = true;
                        }
                    }
                }
                loop {
                    let backward: Vec<u64> = (0..n)
                        .filter(|j| current & (1 << j) != 0)
                        .map(|j| current & !(1 << j))
                        .collect();
                    fit_level(backward.clone(), &mut cache, progress);
                    match backward
                        .iter()
                        .max_by(|a, b| key(&cache, **a).total_cmp(&key(&cache, **b)))
                    {
                        Some(&best) if key(&cache, best) > key(&cache, current) => {
                            current = best;
                            moved = true;
                        }
                        _ => break,
                    }
                }
                if !moved {
                    break;
                }
            }
        }
        let mut scored: Vec<Scored> = cache.into_values().collect();
        scored.sort_by(|a, b| {
            b.rank_key()
                .total_cmp(&a.rank_key())
                .then(a.mask.cmp(&b.mask))
        });
        let best = scored
            .first()
            .and_then(|s| s.candidate.log_evidence)
            .ok_or_else(|| {
                InferError::field(
                    "discover",
                    format!(
                        "no candidate could be fitted: {}",
                        scored
                            .first()
                            .and_then(|s| s.candidate.notes.first().cloned())
                            .unwrap_or_default()
                    ),
                )
            })?;
        let seconds_fits: f64 = scored.iter().map(|s| s.candidate.seconds).sum();
        // Within the margin the data cannot tell the laws apart: the simplest of them (fewest
        // terms, then the least complex, then the higher evidence) is ranked first.
        let simplicity = |s: &Scored| {
            let m = chosen_of(s.mask);
            (m.len(), m.iter().map(|&j| plan.complexity[j]).sum::<u32>())
        };
        let tied = |s: &Scored| {
            !s.candidate.degenerate
                && s.candidate
                    .log_evidence
                    .is_some_and(|l| l > best - spec.margin)
        };
        if tied(&scored[0]) {
            let pick = (0..scored.len())
                .filter(|&k| tied(&scored[k]))
                .min_by_key(|&k| (simplicity(&scored[k]), k))
                .unwrap_or(0);
            if pick != 0 {
                notes.push(format!(
                    "ranked first as the simplest law within {} nats of the highest evidence ({}, Δ = {:.2} below it)",
                    spec.margin,
                    scored[0].candidate.terms.join(" + "),
                    scored[pick].candidate.log_evidence.unwrap_or(best) - best
                ));
                let s = scored.remove(pick);
                scored.insert(0, s);
            }
        }
        let mut candidates: Vec<Candidate> = scored.into_iter().map(|s| s.candidate).collect();
        for c in &mut candidates {
            c.difference = c.log_evidence.map(|l| l - best);
        }
        let close: Vec<&Candidate> = candidates[1..]
            .iter()
            .filter(|c| !c.degenerate && c.difference.is_some_and(|d| d > -spec.margin))
            .collect();
        if !close.is_empty() {
            notes.push(format!(
                "the data cannot tell the first law apart from {} within {} nats of the highest evidence: {}",
                if close.len() == 1 { "one other".to_string() } else { format!("{} others", close.len()) },
                spec.margin,
                close
                    .iter()
                    .map(|c| format!("{} (Δ = {:.2})", c.terms.join(" + "), c.difference.unwrap_or(0.0)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        let failed = candidates
            .iter()
            .filter(|c| c.log_evidence.is_none())
            .count();
        if failed > 0 {
            notes.push(format!(
                "{failed} candidate(s) could not be fitted (their notes say why)"
            ));
        }
        if candidates[0]
            .notes
            .iter()
            .any(|n| n.contains("the data do not inform it"))
        {
            notes.push(format!(
                "the first law's coefficients are not informed by the data: does a channel other than `{}` observe the latents in their own units? Without one only the products of the coefficients and the kernel's scale are identified",
                spec.channel
            ));
        }
        if candidates[0].degenerate {
            notes.push("every candidate's fit is degenerate: the ranking means little".into());
        }
        let _ = plan.zero;
        Ok(Discovery {
            noether_version: env!("CARGO_PKG_VERSION").into(),
            channel: spec.channel.clone(),
            required: plan.required.clone(),
            library: plan.terms.clone(),
            search: search.into(),
            prior_scales: plan
                .terms
                .iter()
                .cloned()
                .zip(scales.iter().copied())
                .collect(),
            margin: spec.margin,
            seconds_per_candidate: seconds_fits / candidates.len().max(1) as f64,
            candidates,
            notes,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

fn chosen_of(mask: u64) -> Vec<usize> {
    (0..64).filter(|j| mask & (1 << j) != 0).collect()
}

/// A candidate with what ranking and warm starts need.
struct Scored {
    mask: u64,
    candidate: Candidate,
    fitted: Option<crate::Fitted>,
}

impl Scored {
    fn failed(plan: &Plan, mask: u64, why: String) -> Scored {
        let terms = terms_of(plan, mask);
        Scored {
            mask,
            candidate: Candidate {
                law: terms.join(" + "),
                latex: String::new(),
                terms,
                parameters: BTreeMap::new(),
                log_evidence: None,
                difference: None,
                nlml: None,
                bic: None,
                seconds: 0.0,
                evaluations: 0,
                notes: vec![why],
                degenerate: false,
            },
            fitted: None,
        }
    }

    /// Higher is better: proper fits by evidence, then degenerate ones, then failures.
    fn rank_key(&self) -> f64 {
        match self.candidate.log_evidence {
            None => f64::NEG_INFINITY,
            Some(l) if self.candidate.degenerate => -1e300 + l.clamp(-1e200, 1e200),
            Some(l) => l,
        }
    }
}

fn terms_of(plan: &Plan, mask: u64) -> Vec<String> {
    plan.required
        .iter()
        .cloned()
        .chain(chosen_of(mask).into_iter().map(|j| plan.terms[j].clone()))
        .collect()
}

/// Fit one candidate and score it.
fn score(p: &Problem, plan: &Plan, scales: &[f64], mask: u64) -> Scored {
    let started = Instant::now();
    let fitted = match p.fit() {
        Ok(f) => f,
        Err(e) => {
            let mut s = Scored::failed(plan, mask, e.to_string());
            s.candidate.seconds = started.elapsed().as_secs_f64();
            return s;
        }
    };
    let chosen = chosen_of(mask);
    let mut notes = Vec::new();
    let (names, cov) = fitted.covariance();
    let m = names.len();
    let k = chosen.len();
    let mut sigma = nalgebra::DMatrix::<f64>::zeros(k, k);
    let mut extra = 0.0;
    let mut parameters = BTreeMap::new();
    for t in &plan.required {
        parameters.insert(
            t.clone(),
            Estimate {
                value: 1.0,
                std_error: None,
                fixed: true,
                prior: None,
                posterior: None,
            },
        );
    }
    let at: Vec<Option<usize>> = chosen
        .iter()
        .map(|&j| names.iter().position(|n| *n == plan.names[j]))
        .collect();
    for (a, &ja) in chosen.iter().enumerate() {
        let value = fitted.parameter(&plan.names[ja]).unwrap_or(f64::NAN);
        let se = at[a].map(|i| cov[i * m + i].max(0.0).sqrt());
        if at[a].is_none() {
            notes.push(format!(
                "the coefficient of `{}` cannot be identified from the data: its prior variance stands in for its Laplace variance",
                plan.terms[ja]
            ));
            extra += 2.0 * scales[ja].ln();
        } else if se.is_some_and(|e| (e - scales[ja]).abs() <= 1e-3 * scales[ja])
            && value.abs() <= 1e-6 * scales[ja]
        {
            notes.push(format!(
                "the coefficient of `{}` stayed at its prior (0 ± {}): the data do not inform it",
                plan.terms[ja],
                format::number(scales[ja], 3)
            ));
        }
        parameters.insert(
            plan.terms[ja].clone(),
            Estimate {
                value,
                std_error: se,
                fixed: false,
                prior: Some(Prior::Normal(0.0, scales[ja])),
                posterior: None,
            },
        );
        for (b, _) in chosen.iter().enumerate() {
            if let (Some(i), Some(j)) = (at[a], at[b]) {
                sigma[(a, b)] = cov[i * m + j];
            }
        }
    }
    let ident: Vec<usize> = (0..k).filter(|&a| at[a].is_some()).collect();
    let sub =
        nalgebra::DMatrix::from_fn(ident.len(), ident.len(), |a, b| sigma[(ident[a], ident[b])]);
    let log_det = match sub.clone().cholesky() {
        Some(c) => 2.0 * c.l().diagonal().iter().map(|v| v.ln()).sum::<f64>() + extra,
        None if ident.is_empty() => extra,
        None => {
            notes.push("the coefficients' Laplace covariance is not positive definite: the evidence uses its positive eigenvalues".into());
            sub.symmetric_eigenvalues()
                .iter()
                .filter(|v| **v > 0.0)
                .map(|v| v.ln())
                .sum::<f64>()
                + extra
        }
    };
    let best = &fitted.report.best;
    let log_evidence =
        -best.objective + 0.5 * k as f64 * (2.0 * std::f64::consts::PI).ln() + 0.5 * log_det;
    let degenerate = best.degenerate.is_some();
    if let Some(d) = &best.degenerate {
        notes.push(d.clone());
    }
    if !best.converged {
        notes.push(format!(
            "the best start did not converge ({})",
            best.termination
        ));
    }
    let n_obs = fitted.model.num_observations() as f64;
    let n_free = fitted.uncertainty.free.len() as f64;
    let bic = 2.0 * best.nlml + n_free * n_obs.ln();
    let terms = terms_of(plan, mask);
    let (law, latex) = law_text(plan, &chosen, &parameters);
    Scored {
        mask,
        candidate: Candidate {
            terms,
            parameters,
            log_evidence: log_evidence.is_finite().then_some(log_evidence),
            difference: None,
            nlml: Some(best.nlml),
            bic: bic.is_finite().then_some(bic),
            law,
            latex,
            seconds: started.elapsed().as_secs_f64(),
            evaluations: fitted.report.evaluations,
            notes,
            degenerate,
        },
        fitted: Some(fitted),
    }
}

/// `u_tt + 0.5·u_t + 9·u = 0` and its LaTeX.
fn law_text(
    plan: &Plan,
    chosen: &[usize],
    parameters: &BTreeMap<String, Estimate>,
) -> (String, String) {
    let rhs = if plan.zero {
        "0".to_string()
    } else {
        plan.channel_name.clone()
    };
    let mut text = plan.required.join(" + ");
    let mut tex = plan
        .required
        .iter()
        .map(|t| latex(t))
        .collect::<Vec<_>>()
        .join(" + ");
    for &j in chosen {
        let v = parameters[&plan.terms[j]].value;
        let sign = if v < 0.0 { "−" } else { "+" };
        let (ts, xs) = if text.is_empty() {
            (
                if v < 0.0 { "−" } else { "" },
                if v < 0.0 { "-" } else { "" },
            )
        } else {
            (sign, if v < 0.0 { "-" } else { "+" })
        };
        let num = format::number(v.abs(), 4);
        let sep = if text.is_empty() { "" } else { " " };
        text += &format!(
            "{sep}{ts}{}{num}·{}",
            if ts.is_empty() || text.is_empty() {
                ""
            } else {
                " "
            },
            plan.terms[j]
        );
        tex += &format!(
            "{sep}{xs}{}{num}\\,{}",
            if xs.is_empty() || tex.is_empty() {
                ""
            } else {
                " "
            },
            latex(&plan.terms[j])
        );
    }
    (
        format!("{text} = {rhs}"),
        format!("{tex} = {}", latex(&rhs)),
    )
}

/// A term in LaTeX: `t*u_xx` → `t\,u_{xx}`.
fn latex(t: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if let Some((a, b)) = word.split_once('_') {
            out.push_str(&format!("{a}_{{{b}}}"));
        } else if word == "pi" {
            out.push_str("\\pi");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in t.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            match c {
                '*' => out.push_str("\\,"),
                ' ' => {}
                c => out.push(c),
            }
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_and_latex() {
        assert_eq!(subsets(6, 3), 42);
        assert_eq!(subsets(5, 5), 32);
        assert!(subsets(70, 70) > EXHAUSTIVE_MAX);
        assert_eq!(latex("t*u_xx"), "t\\,u_{xx}");
        assert_eq!(latex("u_tt"), "u_{tt}");
    }
}
