//! A field known to be even in x, learned from noisy data on x > 0 only: a kernel made
//! invariant under x ↦ −x (`"symmetry": {"even": "x"}`) against the plain kernel, judged by the
//! error on x < 0, where neither saw data.
//!
//! u(x, y) = e^{−x²} cos 3x + x² sin 2y, even in x; 30 points on (0, 1.5] × [0, 1], noise sd 0.05.

use noether_infer::format::number;
use noether_infer::plot::{fields, Field, Frame, Marks};
use noether_infer::{Data, Fitted, InferError, Latent, Problem, Symmetry};
use rand::{Rng, SeedableRng};
use std::path::Path;

/// The field.
pub fn u(x: f64, y: f64) -> f64 {
    (-x * x).exp() * (3.0 * x).cos() + x * x * (2.0 * y).sin()
}

/// The noise standard deviation.
pub const NOISE: f64 = 0.05;

/// What the run measured.
#[derive(Debug)]
pub struct Report {
    /// The symmetric fit.
    pub symmetric: Fitted,
    /// The plain fit.
    pub plain: Fitted,
    /// RMS error on x < 0 (symmetric, plain).
    pub rmse_left: (f64, f64),
    /// RMS error on x > 0 (symmetric, plain).
    pub rmse_right: (f64, f64),
    /// The largest |mean(x, y) − mean(−x, y)| of the symmetric posterior, relative to the
    /// largest |mean|.
    pub asymmetry: f64,
    /// The training points.
    pub points: Vec<(f64, f64)>,
    /// Grid side.
    pub side: usize,
}

/// The grid over [−1.5, 1.5] × [0, 1], row-major, x the slow index.
pub fn frame(side: usize) -> Frame {
    Frame {
        nx: side,
        ny: side,
        x: (-1.5, 1.5),
        y: (0.0, 1.0),
    }
}

/// Fit both models to `n` seeded points.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(n: usize, side: usize, seed: u64) -> Result<Report, InferError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let (a, b) = (rng.random_range(0.0..1.5), rng.random_range(0.0..1.0));
        let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
        x.extend([a, b]);
        y.push(u(a, b) + NOISE * z);
    }
    let fit = |l: Latent| {
        Problem::new(&["x", "y"])
            .latent("u", l)
            .channel("u", "u", Data::from_rows(&x, 2, &y), NOISE * NOISE)
            .restarts(2)
            .seed(seed)
            .fit()
    };
    let symmetric = fit(Latent::se(1.0, &[0.5, 0.5]).symmetric(Symmetry::Even("x".into())))?;
    let plain = fit(Latent::se(1.0, &[0.5, 0.5]))?;
    let g = frame(side).points();
    let exact: Vec<f64> = g.chunks(2).map(|p| u(p[0], p[1])).collect();
    let rmse = |f: &Fitted, left: bool| -> Result<f64, InferError> {
        let p = f.predict("u", &g)?;
        let (mut s, mut n) = (0.0, 0);
        for (k, q) in g.chunks(2).enumerate() {
            if (q[0] < 0.0) == left && q[0] != 0.0 {
                s += (p.mean[k] - exact[k]).powi(2);
                n += 1;
            }
        }
        Ok((s / n as f64).sqrt())
    };
    let mirrored: Vec<f64> = g.chunks(2).flat_map(|q| [-q[0], q[1]]).collect();
    let (a, b) = (
        symmetric.predict("u", &g)?,
        symmetric.predict("u", &mirrored)?,
    );
    let scale = a.mean.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let asymmetry = a
        .mean
        .iter()
        .zip(&b.mean)
        .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()))
        / scale;
    Ok(Report {
        rmse_left: (rmse(&symmetric, true)?, rmse(&plain, true)?),
        rmse_right: (rmse(&symmetric, false)?, rmse(&plain, false)?),
        asymmetry,
        symmetric,
        plain,
        points: x.chunks(2).map(|p| (p[0], p[1])).collect(),
        side,
    })
}

/// The table the example prints.
pub fn table(r: &Report) -> String {
    let row = |a: &str, b: String, c: String| format!("  {a:<36} {b:>14} {c:>14}\n");
    [
        row("RMS error", "even kernel".into(), "plain kernel".into()),
        row(
            "x < 0 (no data)",
            number(r.rmse_left.0, 3),
            number(r.rmse_left.1, 3),
        ),
        row(
            "x > 0 (the data's side)",
            number(r.rmse_right.0, 3),
            number(r.rmse_right.1, 3),
        ),
        format!(
            "  largest |mean(x, y) − mean(−x, y)| of the even posterior, relative: {}\n",
            number(r.asymmetry, 3)
        ),
    ]
    .concat()
}

/// The exact field and both posterior means over [−1.5, 1.5] × [0, 1], with the data.
///
/// # Errors
/// A prediction failure or a file that cannot be written.
pub fn figures(r: &Report, dir: &Path) -> Result<Vec<String>, InferError> {
    let fr = frame(r.side);
    let g = fr.points();
    let exact: Vec<f64> = g.chunks(2).map(|p| u(p[0], p[1])).collect();
    let s = r.symmetric.predict("u", &g)?;
    let p = r.plain.predict("u", &g)?;
    let marks = [Marks::new("data", &r.points)];
    let path = dir.join("symmetric.png");
    fields(
        &path,
        &fr,
        &[
            Field::grid("exact u (even in x)", "u", &exact, &marks),
            Field::grid("even kernel: posterior mean", "u", &s.mean, &marks),
            Field::grid("plain kernel: posterior mean", "u", &p.mean, &marks),
        ],
        3,
        ("x", "y"),
    )?;
    Ok(vec![path.display().to_string()])
}
