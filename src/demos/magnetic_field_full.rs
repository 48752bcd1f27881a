//! The whole magnetometer data set (16,782 positions × 3 components), the three solvers side by
//! side: the curl-free model of [`super::magnetic_field`] fitted to 90 % of the positions (45,312
//! observations) with inducing points (the variational bound) and with the Hilbert-space basis,
//! tested on the other 10 %, against the exact curl-free GP on random subsets of the training
//! positions and independent per-component GPs with inducing points ([`Plan`]).
//!
//! Protocol: the exact curl-free GP on 500 random training positions gives the starting values
//! of the larger exact fits and of the bound (with M inducing points placed by k-means; its
//! seconds count the starting fit); the basis starts from the problem's initial values. Each
//! model's seconds are its fit and its predictions of the held-out positions; its memory is the
//! process's peak resident set over them, which includes what the earlier models' fits still
//! hold (the quick run's 400-point model peaks at 577 MiB, the full run's at 934 MiB).

use super::magnetic_field::{load, problem, rmse};
use noether_infer::format::number;
use noether_infer::plot::{fields, Field, Marks};
use noether_infer::{Approximation, Fitted, InferError, PerInput, Problem};
use noether_likelihood::fit::StartFrom;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::Path;
use std::time::Instant;

/// One model's fit and score.
#[derive(Debug)]
pub struct Scored {
    /// What it is.
    pub name: String,
    /// Training positions.
    pub n_train: usize,
    /// RMS error on the test positions.
    pub rmse: f64,
    /// Seconds to fit.
    pub seconds: f64,
    /// Evaluations of the objective.
    pub evaluations: u64,
    /// The process's peak resident memory during the fit and predictions, MiB (NaN where the
    /// system cannot say).
    pub peak_mib: f64,
    /// The fit.
    pub fitted: Fitted,
}

/// The run.
#[derive(Debug)]
pub struct Report {
    /// Every model, in the table's order.
    pub models: Vec<Scored>,
    /// Test positions.
    pub n_test: usize,
}

/// What to compare on one seeded 90/10 split.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Training positions of the exact fit whose values start the others.
    pub start: usize,
    /// Training positions of further exact fits.
    pub exact: Vec<usize>,
    /// Inducing points of the curl-free model on every training position.
    pub inducing: Vec<usize>,
    /// Functions per input of the Hilbert-space basis (box 1.3 × the data's half-range) on every
    /// training position.
    pub basis: Vec<usize>,
    /// Inducing points on each latent of independent per-component GPs, if any.
    pub independent: Option<usize>,
    /// The split's seed.
    pub seed: u64,
}

impl Plan {
    /// The example's comparison: exact on 500, 1,000 and 2,000 random training positions;
    /// 400 and 1,000 inducing points; the basis at 10³, 12³ and 14³ functions; independent GPs
    /// with 133 inducing points each (399 values, the 400-point model's budget).
    pub fn example() -> Plan {
        Plan {
            start: 500,
            exact: vec![1000, 2000],
            inducing: vec![400, 1000],
            basis: vec![10, 12, 14],
            independent: Some(133),
            seed: 0,
        }
    }
}

/// Fit `p` from its initial values only, with at most `iters` iterations and a relative cost
/// tolerance of 1e-6 (the NLML is of order 10⁵ here: 0.1 nats), timed.
fn fit(p: Problem, iters: u64) -> Result<(Fitted, f64), InferError> {
    let mut p = p.restarts(0);
    p.fit.start = StartFrom::Initial;
    p.fit.max_iters = iters;
    p.fit.tol_cost = 1e-6;
    let t = Instant::now();
    let f = p.fit()?;
    Ok((f, t.elapsed().as_secs_f64()))
}

/// Run the comparison `plan`; each line of progress goes to `progress`.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(plan: &Plan, progress: &mut dyn FnMut(&str)) -> Result<Report, InferError> {
    let (pos, h) = load()?;
    let rows = pos.len() / 3;
    let mut idx: Vec<usize> = (0..rows).collect();
    idx.shuffle(&mut rand::rngs::StdRng::seed_from_u64(plan.seed));
    let n_test = rows / 10;
    let (test, train) = (idx[..n_test].to_vec(), idx[n_test..].to_vec());
    let comps_c = ["phi[x]", "phi[y]", "phi[z]"];
    let comps_i = ["gx", "gy", "gz"];
    let mut models: Vec<Scored> = Vec::new();
    let score = |name: String,
                 n_train: usize,
                 f: Fitted,
                 comps: [&str; 3],
                 seconds: f64,
                 progress: &mut dyn FnMut(&str)|
     -> Result<Scored, InferError> {
        let t = Instant::now();
        let rmse = rmse(&f, comps, &pos, &h, &test)?;
        let seconds = seconds + t.elapsed().as_secs_f64();
        let peak = super::peak_memory_mib();
        progress(&format!(
            "{name}, {n_train} positions: RMSE {}, {} s (fit and predictions) in {} evaluations, peak {} MiB",
            number(rmse, 4),
            number(seconds, 3),
            f.report.evaluations,
            number(peak, 3)
        ));
        super::reset_peak_memory();
        Ok(Scored {
            name,
            n_train,
            rmse,
            seconds,
            evaluations: f.report.evaluations,
            peak_mib: peak,
            fitted: f,
        })
    };
    // Exact curl-free on `start` random training positions: the starting values.
    super::reset_peak_memory();
    let t = Instant::now();
    let first = problem(&pos, &h, &train[..plan.start], true).fit()?;
    let s_start = t.elapsed().as_secs_f64();
    models.push(score(
        "exact curl-free".into(),
        plan.start,
        first,
        comps_c,
        s_start,
        progress,
    )?);
    for &n in &plan.exact {
        let (f, s) = fit(
            problem(&pos, &h, &train[..n], true).starting_from(&models[0].fitted),
            100,
        )?;
        let scored = score("exact curl-free".into(), n, f, comps_c, s, progress)?;
        models.push(scored);
    }
    // The bound on every training position, from the starting fit's values (its seconds
    // included).
    for &m in &plan.inducing {
        let full = problem(&pos, &h, &train, true)
            .approximate(Approximation::kmeans(m))
            .starting_from(&models[0].fitted);
        let (f, s) = fit(full, 60)?;
        let scored = score(
            format!("curl-free, {m} inducing points"),
            train.len(),
            f,
            comps_c,
            s + s_start,
            progress,
        )?;
        models.push(scored);
    }
    // The basis on every training position, from the problem's initial values.
    for &per in &plan.basis {
        let p = problem(&pos, &h, &train, true)
            .approximate(Approximation::basis(&[per; 3], PerInput::One(1.3)));
        let (f, s) = fit(p, 60)?;
        models.push(score(
            format!("curl-free, basis {per}³ = {}", per * per * per),
            train.len(),
            f,
            comps_c,
            s,
            progress,
        )?);
    }
    if let Some(mi) = plan.independent {
        let t = Instant::now();
        let start_i = problem(&pos, &h, &train[..plan.start], false).fit()?;
        let p = problem(&pos, &h, &train, false)
            .approximate(Approximation::kmeans(mi))
            .starting_from(&start_i);
        let (fi, _) = fit(p, 60)?;
        let total = t.elapsed().as_secs_f64();
        models.push(score(
            format!("independent, {mi} inducing points each"),
            train.len(),
            fi,
            comps_i,
            total,
            progress,
        )?);
    }
    Ok(Report { models, n_test })
}

/// The table the example prints.
pub fn table(r: &Report) -> String {
    let row = |a: &str, b: String, c: String, d: String, e: String, f: String| {
        format!("  {a:<36} {b:>14} {c:>9} {d:>9} {e:>7} {f:>10}\n")
    };
    let mut s = row(
        "model",
        "training pos.".into(),
        "RMSE".into(),
        "seconds".into(),
        "evals".into(),
        "peak MiB".into(),
    );
    for m in &r.models {
        s += &row(
            &m.name,
            m.n_train.to_string(),
            number(m.rmse, 4),
            number(m.seconds, 3),
            m.evaluations.to_string(),
            number(m.peak_mib, 3),
        );
    }
    s += &format!(
        "  RMSE on {} held-out positions (all three components); seconds: fit and predictions (the inducing fits include their 500-position starting fit); reference (Jidling et al., exact, 500 positions): curl-free 0.0334 vs independent 0.0364 (NumPy, 10 splits); 1,000 inducing points (NumPy): 0.0208\n",
        r.n_test
    );
    s
}

/// The field's magnitude and its uncertainty on the horizontal slice at the median height,
/// from the first model fitted with inducing points.
///
/// # Errors
/// A prediction failure or a file that cannot be written.
pub fn figures(r: &Report, dir: &Path) -> Result<Vec<String>, InferError> {
    let (pos, _) = load()?;
    let Some(scored) = r.models.iter().find(|m| m.name.contains("inducing points")) else {
        return Ok(Vec::new());
    };
    let f = &scored.fitted;
    let (frame, z) = super::magnetic_field::slice(&pos, 40);
    let at: Vec<f64> = frame
        .points()
        .chunks(2)
        .flat_map(|p| [p[0], p[1], z])
        .collect();
    let comps: Vec<_> = ["phi[x]", "phi[y]", "phi[z]"]
        .iter()
        .map(|c| f.predict(c, &at))
        .collect::<Result<_, _>>()?;
    let k = at.len() / 3;
    let magnitude: Vec<f64> = (0..k)
        .map(|j| {
            comps
                .iter()
                .map(|p| p.mean[j] * p.mean[j])
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let std: Vec<f64> = (0..k)
        .map(|j| comps.iter().map(|p| p.variance[j]).sum::<f64>().sqrt())
        .collect();
    // Training positions within 5 cm of the slice.
    let near: Vec<(f64, f64)> = pos
        .chunks(3)
        .filter(|p| (p[2] - z).abs() < 0.05)
        .map(|p| (p[0], p[1]))
        .collect();
    let marks = [Marks::new("positions within 5 cm of the slice", &near)];
    let t1 = format!("|H| at z = {} m ({})", number(z, 3), scored.name);
    let t2 = "posterior std of H".to_string();
    let path = dir.join("magnetic_field_full.png");
    fields(
        &path,
        &frame,
        &[
            Field::grid(&t1, "|H| (a.u.)", &magnitude, &marks),
            Field::grid(&t2, "std (a.u.)", &std, &marks),
        ],
        2,
        ("x (m)", "y (m)"),
    )?;
    Ok(vec![path.display().to_string()])
}
