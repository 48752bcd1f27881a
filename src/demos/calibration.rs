//! Do the 95 % intervals cover the truth 95 % of the time? Seeded noisy data sets of two small
//! problems, each fitted with the defaults and then sampled with NUTS; the coverage of the Laplace
//! intervals (optimum ± 1.96 standard errors, hyperparameters plugged in) against NUTS's (the
//! central 95 % of the draws, every hyperparameter integrated over), with the binomial band.
//!
//! - oscillator: u_xx + a u_x + b u = f on x ∈ [0, 4], a = 0.7, b = 3, u = sin 1.5x + 0.3x (so
//!   f = 0.75 sin 1.5x + 1.05 cos 1.5x + 0.9x + 0.21), 20 values of u with noise sd 0.02 and 25
//!   of f with sd 0.1;
//! - heat: u_t − a u_xx = f on (t, x) ∈ [0, 1]², a = 0.5, u = e^{−t} sin πx (so f = (a π² − 1) u),
//!   30 values of u with noise sd 0.01 and 30 of f with sd 0.05.
//!
//! Those are the fixed u ([`Truth::Fixed`]); with [`Truth::Drawn`] each data set's u is instead
//! a draw from the model's own prior, on the same designs with the same noise, so that the
//! model is right and what is measured is the sampler's calibration alone.
//!
//! Designs are uniform at random. Over R data sets, the coverage c of a calibrated interval has
//! standard deviation sqrt(0.95 · 0.05 / R): at R = 203 the band 95 % ± 1.96 of them is ± 3 %.

use crate::demos::with_error;
use noether_infer::format::number;
use noether_infer::plot::{curves, Curves};
use noether_infer::{Data, InferError, Init, Latent, Problem};
use noether_likelihood::posterior::JointPrediction;
use noether_likelihood::sample::{Method, Summary};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::path::Path;
use std::time::Instant;

/// One of the two problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// u_xx + a u_x + b u = f.
    Oscillator,
    /// u_t − a u_xx = f.
    Heat,
}

impl Case {
    /// Its name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Case::Oscillator => "oscillator",
            Case::Heat => "heat",
        }
    }

    /// The coefficients and their true values.
    pub fn truth(self) -> &'static [(&'static str, f64)] {
        match self {
            Case::Oscillator => &[("a", 0.7), ("b", 3.0)],
            Case::Heat => &[("a", 0.5)],
        }
    }
}

/// Where a data set's u comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    /// The fixed functions in the module's header: the study the figures came from. The
    /// model is then misspecified by as much as the squared exponential misdescribes that u.
    Fixed,
    /// A fresh draw from the model's own prior for every data set: u a squared-exponential GP
    /// with variance 1 and lengthscale 1 (heat: 1 in t and 0.5 in x), observed jointly with
    /// f = L u under the true coefficients, with the same designs and noise. Here the model is
    /// right, so calibrated intervals must cover 95 % (simulation-based calibration, Talts et
    /// al. 2018): this tests the sampler and the posterior it samples, apart from the model.
    Drawn,
}

impl Truth {
    /// Its name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Truth::Fixed => "u fixed",
            Truth::Drawn => "u drawn from the prior",
        }
    }
}

/// The sampler's settings for a study: chains, and warm-up and kept draws per chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chains {
    /// Chains, run in parallel.
    pub chains: usize,
    /// Warm-up draws per chain.
    pub warmup: u64,
    /// Kept draws per chain.
    pub draws: u64,
}

impl Chains {
    /// The example's: 4 chains of 500 + 500.
    pub const STUDY: Chains = Chains {
        chains: 4,
        warmup: 500,
        draws: 500,
    };
}

/// The problem on data set `seed`, with the sampler's settings.
///
/// # Errors
/// Only for [`Truth::Drawn`]: the prior's covariance cannot be built or factored.
pub fn problem(case: Case, truth: Truth, seed: u64, chains: Chains) -> Result<Problem, InferError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1000 + seed);
    let pi = std::f64::consts::PI;
    // Each channel's design, its values under the fixed u, those values with noise, and the
    // noise sd; the random numbers are drawn in the order of the study's first runs.
    type Set = (Vec<f64>, Vec<f64>, Vec<f64>, f64);
    let (inputs, dim, sets): (&[&str], usize, [Set; 2]) = match case {
        Case::Oscillator => {
            let u = |x: f64| (1.5 * x).sin() + 0.3 * x;
            let f = |x: f64| 0.75 * (1.5 * x).sin() + 1.05 * (1.5 * x).cos() + 0.9 * x + 0.21;
            let mut draw = |n: usize, g: &dyn Fn(f64) -> f64, sd: f64| {
                let noise = Normal::new(0.0, sd).expect("sd");
                let x: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..4.0)).collect();
                let y: Vec<f64> = x.iter().map(|&x| g(x)).collect();
                let noisy = y.iter().map(|v| v + noise.sample(&mut rng)).collect();
                (x, y, noisy, sd)
            };
            (&["x"], 1, [draw(20, &u, 0.02), draw(25, &f, 0.1)])
        }
        Case::Heat => {
            let u = move |t: f64, x: f64| (-t).exp() * (pi * x).sin();
            let f = move |t: f64, x: f64| (0.5 * pi * pi - 1.0) * u(t, x);
            let mut draw = |n: usize, g: &dyn Fn(f64, f64) -> f64, sd: f64| {
                let noise = Normal::new(0.0, sd).expect("sd");
                let mut x = Vec::with_capacity(2 * n);
                let mut y = Vec::with_capacity(n);
                let mut noisy = Vec::with_capacity(n);
                for _ in 0..n {
                    let (t, s) = (rng.random_range(0.0..1.0), rng.random_range(0.0..1.0));
                    x.extend([t, s]);
                    y.push(g(t, s));
                    noisy.push(g(t, s) + noise.sample(&mut rng));
                }
                (x, y, noisy, sd)
            };
            (&["t", "x"], 2, [draw(30, &u, 0.01), draw(30, &f, 0.05)])
        }
    };
    let build = |values: [&[f64]; 2]| {
        let mut p = Problem::new(inputs).latent("u", Latent::se(1.0, &vec![1.0; dim]));
        let law = match case {
            Case::Oscillator => {
                p = p
                    .parameter("a", Init::Value(0.5))
                    .parameter("b", Init::Value(1.0));
                "u_xx + a*u_x + b*u"
            }
            Case::Heat => {
                p = p.parameter("a", Init::Value(1.0));
                "u_t - a*u_xx"
            }
        };
        p.channel("u", "u", Data::from_rows(&sets[0].0, dim, values[0]), 1e-3)
            .channel("f", law, Data::from_rows(&sets[1].0, dim, values[1]), 1e-3)
            .seed(seed)
    };
    let mut p = match truth {
        Truth::Fixed => build([&sets[0].2, &sets[1].2]),
        Truth::Drawn => {
            // The joint prior of both channels, noise included, at the true values.
            let mut model = build([&sets[0].1, &sets[1].1]).model()?;
            let ells: &[(&str, f64)] = match case {
                Case::Oscillator => &[("u.lengthscales.x", 1.0)],
                Case::Heat => &[("u.lengthscales.t", 1.0), ("u.lengthscales.x", 0.5)],
            };
            let settings = ells.iter().chain(case.truth()).copied().chain([
                ("u.variance", 1.0),
                ("noise.u", sets[0].3 * sets[0].3),
                ("noise.f", sets[1].3 * sets[1].3),
            ]);
            let prior_of = |source| InferError::Model {
                context: "the prior the data are drawn from".into(),
                source,
            };
            for (name, v) in settings {
                model.set(name, v).map_err(prior_of)?;
            }
            let n = model.num_observations();
            let lower = model.covariance_lower(&model.values());
            let prior = JointPrediction {
                targets: vec!["u".into(), "f".into()],
                points: n,
                mean: vec![0.0; n],
                covariance: (0..n * n)
                    .map(|k| {
                        let (i, j) = (k / n, k % n);
                        lower[i.min(j) * n + i.max(j)]
                    })
                    .collect(),
                zero: vec![false; n],
            };
            let y = prior.samples(1, 5000 + seed).map_err(prior_of)?.remove(0);
            let (yu, yf) = y.split_at(sets[0].1.len());
            build([yu, yf])
        }
    };
    p.fit.method = Method::Nuts;
    p.fit.chains = chains.chains;
    p.fit.warmup = chains.warmup;
    p.fit.draws = chains.draws;
    Ok(p)
}

/// One data set's intervals.
#[derive(Clone, Debug)]
pub struct Trial {
    /// Each coefficient: the optimum and its Laplace standard error.
    pub laplace: Vec<(f64, Option<f64>)>,
    /// Each coefficient's posterior from the draws.
    pub nuts: Vec<Summary>,
    /// Seconds to the optimum (with the Laplace step) and for the sampling.
    pub seconds: (f64, f64),
    /// The largest R-hat and the smallest bulk ESS over every sampled parameter.
    pub mixing: (f64, f64),
    /// Divergent transitions after warm-up.
    pub divergences: usize,
    /// Gradient evaluations of the sampling.
    pub gradients: u64,
}

impl Trial {
    /// Whether the Laplace and the NUTS 95 % intervals of coefficient `k` hold `truth`.
    pub fn covers(&self, k: usize, truth: f64) -> (bool, bool) {
        let lap = match self.laplace[k] {
            (v, Some(se)) => (v - 1.96 * se..=v + 1.96 * se).contains(&truth),
            (_, None) => false,
        };
        let [lo, hi] = self.nuts[k].interval95;
        (lap, (lo..=hi).contains(&truth))
    }
}

/// Fit and sample data set `seed`.
///
/// # Errors
/// A fit or sampling failure.
pub fn trial(case: Case, truth: Truth, seed: u64, chains: Chains) -> Result<Trial, InferError> {
    let p = problem(case, truth, seed, chains)?;
    let t0 = Instant::now();
    let mut opt = p.clone();
    opt.fit.method = Method::Optimize;
    let fitted = opt.fit()?;
    let t_fit = t0.elapsed().as_secs_f64();
    let sampled = p.sample()?;
    let d = sampled.draws.as_ref().expect("sampled");
    let summaries = d.summaries();
    let mut laplace = Vec::new();
    let mut nuts = Vec::new();
    for (name, _) in case.truth() {
        laplace.push((
            fitted.parameter(name).expect("coefficient"),
            fitted.std_error(name),
        ));
        let k = d.names.iter().position(|n| n == name).expect("sampled");
        nuts.push(summaries[k].clone());
    }
    Ok(Trial {
        laplace,
        nuts,
        seconds: (t_fit, d.seconds),
        mixing: summaries.iter().fold((1.0f64, f64::INFINITY), |(r, e), s| {
            (r.max(s.rhat), e.min(s.ess_bulk))
        }),
        divergences: d.divergences.iter().sum(),
        gradients: d.gradient_evaluations,
    })
}

/// The binomial band of a 95 % interval's coverage over `r` data sets: 95 % ± 1.96 sd.
pub fn band(r: usize) -> (f64, f64) {
    let sd = (0.95 * 0.05 / r.max(1) as f64).sqrt();
    (0.95 - 1.96 * sd, 0.95 + 1.96 * sd)
}

/// The coverage of Laplace and NUTS for coefficient `k` over `trials`.
pub fn coverage(trials: &[Trial], k: usize, truth: f64) -> (f64, f64) {
    let n = trials.len().max(1) as f64;
    let (mut l, mut s) = (0.0, 0.0);
    for t in trials {
        let (a, b) = t.covers(k, truth);
        l += f64::from(u8::from(a));
        s += f64::from(u8::from(b));
    }
    (l / n, s / n)
}

/// The table the example prints for one problem.
pub fn table(case: Case, truth: Truth, trials: &[Trial], failed: usize) -> String {
    let r = trials.len();
    if r == 0 {
        // No coverage to show: 0 % and an ESS of inf would read as results.
        return format!(
            "{} ({}): no data set could be fitted ({failed} failed)\n",
            case.name(),
            truth.name()
        );
    }
    let (lo, hi) = band(r);
    let mut out = format!(
        "{} ({}): {r} data sets{}; binomial band of a calibrated 95 % interval [{:.1} %, {:.1} %]\n",
        case.name(),
        truth.name(),
        if failed > 0 {
            format!(" ({failed} more failed and are left out)")
        } else {
            String::new()
        },
        100.0 * lo,
        100.0 * hi
    );
    out += &format!(
        "  {:<12} {:>10} {:>10} {:>14} {:>14}\n",
        "coefficient", "Laplace", "NUTS", "Laplace inside", "NUTS inside"
    );
    for (k, (name, truth)) in case.truth().iter().enumerate() {
        let (l, s) = coverage(trials, k, *truth);
        let inside = |c: f64| if (lo..=hi).contains(&c) { "yes" } else { "no" };
        out += &format!(
            "  {:<12} {:>9.1}% {:>9.1}% {:>14} {:>14}\n",
            format!("{name} = {truth}"),
            100.0 * l,
            100.0 * s,
            inside(l),
            inside(s)
        );
    }
    let mean = |f: &dyn Fn(&Trial) -> f64| trials.iter().map(f).sum::<f64>() / r.max(1) as f64;
    let rhat = trials.iter().map(|t| t.mixing.0).fold(1.0, f64::max);
    let ess = trials
        .iter()
        .map(|t| t.mixing.1)
        .fold(f64::INFINITY, f64::min);
    let flagged = trials
        .iter()
        .filter(|t| t.mixing.0 >= 1.01 || t.mixing.1 < 400.0 || t.divergences > 0)
        .count();
    out += &format!(
        "  seconds per data set: optimum and Laplace {}, NUTS {} ({} gradient evaluations, {} per second); largest R-hat {:.3}, smallest bulk ESS {:.0}; {flagged} of {r} sampled fits flagged (R-hat ≥ 1.01, ESS < 400 or a divergence), {} divergences in all\n",
        number(mean(&|t| t.seconds.0), 3),
        number(mean(&|t| t.seconds.1), 3),
        number(mean(&|t| t.gradients as f64), 3),
        number(mean(&|t| t.gradients as f64 / t.seconds.1), 3),
        rhat,
        ess,
        trials.iter().map(|t| t.divergences).sum::<usize>()
    );
    if let Some(t) = trials.first() {
        for (k, (name, _)) in case.truth().iter().enumerate() {
            let s = &t.nuts[k];
            out += &format!(
                "  data set 0, {name}: optimum {} (Laplace), posterior mean {} ± {} [{}, {}] (NUTS)\n",
                with_error(t.laplace[k].0, t.laplace[k].1),
                number(s.mean, 6),
                number(s.sd, 3),
                number(s.interval95[0], 5),
                number(s.interval95[1], 5)
            );
        }
    }
    out
}

/// The running coverage of each coefficient over the data sets, Laplace against NUTS, with the
/// binomial band, one panel per coefficient of both problems.
///
/// # Errors
/// A file that cannot be written.
pub fn figure(results: &[(Case, Truth, Vec<Trial>)], path: &Path) -> Result<(), InferError> {
    let mut titles = Vec::new();
    let mut all_series = Vec::new();
    for (case, source, trials) in results {
        for (k, (name, truth)) in case.truth().iter().enumerate() {
            let r = trials.len();
            // The first few coverages are too noisy to draw, but a short run still shows.
            let first = if r >= 20 { 10 } else { 1 };
            let (mut l, mut s) = (0.0, 0.0);
            let mut lap = Vec::new();
            let mut nuts = Vec::new();
            for (i, t) in trials.iter().enumerate() {
                let (a, b) = t.covers(k, *truth);
                l += f64::from(u8::from(a));
                s += f64::from(u8::from(b));
                let n = (i + 1) as f64;
                if i + 1 >= first {
                    lap.push((n, 100.0 * l / n));
                    nuts.push((n, 100.0 * s / n));
                }
            }
            // The band as one outline: its upper edge out, its lower edge back.
            let mut outline: Vec<(f64, f64)> = (first..=r)
                .map(|n| (n as f64, 100.0 * band(n).1.min(1.0)))
                .collect();
            outline.extend(
                (first..=r)
                    .rev()
                    .map(|n| (n as f64, 100.0 * band(n).0.max(0.0))),
            );
            all_series.push(vec![
                (
                    "nominal 95 %".to_string(),
                    vec![(first as f64, 95.0), (r as f64, 95.0)],
                ),
                ("Laplace (plug-in)".to_string(), lap),
                ("NUTS".to_string(), nuts),
                ("binomial band".to_string(), outline),
            ]);
            titles.push(format!(
                "{}, {}: {name} = {truth}",
                case.name(),
                source.name()
            ));
        }
    }
    let panels: Vec<Curves> = titles
        .iter()
        .zip(&all_series)
        .map(|(t, s)| Curves {
            title: t,
            labels: ("data sets", "coverage of the 95 % interval (%)"),
            series: s,
            marks: &[],
        })
        .collect();
    curves(path, &panels)
}

/// What the example does: `r` data sets of each problem under each of `truths`, 4 chains of
/// 500 + 500; the tables and the figure in `figures/calibration/`.
///
/// # Errors
/// A file that cannot be written.
pub fn example(r: usize, truths: &[Truth]) -> Result<(), Box<dyn std::error::Error>> {
    if r == 0 {
        return Err("the study needs at least one data set".into());
    }
    let dir = Path::new("figures").join("calibration");
    std::fs::create_dir_all(&dir)?;
    let mut results = Vec::new();
    for &truth in truths {
        for case in [Case::Oscillator, Case::Heat] {
            let mut trials = Vec::new();
            let mut failed = 0;
            for seed in 0..r as u64 {
                match trial(case, truth, seed, Chains::STUDY) {
                    Ok(t) => trials.push(t),
                    Err(e) => {
                        failed += 1;
                        eprintln!("{} ({}) data set {seed}: {e}", case.name(), truth.name());
                    }
                }
                if (seed + 1) % 20 == 0 {
                    eprintln!(
                        "{} ({}): {} of {r} data sets",
                        case.name(),
                        truth.name(),
                        seed + 1
                    );
                }
            }
            print!("{}", table(case, truth, &trials, failed));
            results.push((case, truth, trials));
        }
    }
    let path = dir.join("calibration.png");
    figure(&results, &path)?;
    println!("wrote {}", path.display());
    Ok(())
}
