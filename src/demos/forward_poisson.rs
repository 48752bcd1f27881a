//! A forward problem: u_xx + u_yy = f on [0, 1]², from f at interior points and u on the
//! boundary; the posterior of u, with its uncertainty, against the exact solution
//! u = sin πx sin 2πy + xy (so f = −5π² sin πx sin 2πy).

use super::{grid, relative_l2};
use noether_infer::plot::{fields, Field, Frame, Marks};
use noether_infer::{Data, Fitted, InferError, Latent, Prediction, Problem};
use noether_likelihood::problems::latin_hypercube;
use rand::SeedableRng;
use std::f64::consts::PI;
use std::path::Path;

/// The exact solution.
pub fn u(x: f64, y: f64) -> f64 {
    (PI * x).sin() * (2.0 * PI * y).sin() + x * y
}

/// Its Laplacian.
pub fn f(x: f64, y: f64) -> f64 {
    -5.0 * PI * PI * (PI * x).sin() * (2.0 * PI * y).sin()
}

/// What the run measured.
#[derive(Debug)]
pub struct Report {
    /// The fitted problem (kernel hyperparameters and noise only: nothing in the operator is
    /// unknown).
    pub fitted: Fitted,
    /// Relative L2 error of the posterior mean of u on the grid.
    pub error_u: f64,
    /// Largest absolute error on the grid.
    pub max_error: f64,
    /// Fraction of grid points where the exact u is within ± 2 posterior std.
    pub coverage: f64,
    /// The posterior of u on the grid.
    pub u_on_grid: Prediction,
    /// Grid side.
    pub side: usize,
    /// Interior points where f was observed.
    pub interior: Vec<(f64, f64)>,
    /// Boundary points where u was observed.
    pub boundary: Vec<(f64, f64)>,
}

/// `n_f` interior points (Latin hypercube, seeded) and `n_b` boundary points per side.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(n_f: usize, n_b: usize, side: usize, seed: u64) -> Result<Report, InferError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let xf = latin_hypercube(n_f, 2, &mut rng);
    let interior: Vec<(f64, f64)> = xf.chunks(2).map(|p| (p[0], p[1])).collect();
    let s: Vec<f64> = (0..n_b).map(|i| i as f64 / n_b as f64).collect();
    let boundary: Vec<(f64, f64)> = s
        .iter()
        .flat_map(|&t| [(t, 0.0), (1.0, t), (1.0 - t, 1.0), (0.0, 1.0 - t)])
        .collect();
    let rows = |pts: &[(f64, f64)], g: fn(f64, f64) -> f64| {
        Data::inline(
            pts.iter().map(|p| vec![p.0, p.1]).collect(),
            pts.iter().map(|p| g(p.0, p.1)).collect(),
        )
    };
    let problem = Problem::new(&["x", "y"])
        .latent("u", Latent::se(1.0, &[0.3, 0.3]))
        .channel("boundary", "u", rows(&boundary, u), 1e-4)
        .channel("f", "u_xx + u_yy", rows(&interior, f), 1e-4)
        .restarts(1)
        .seed(seed);
    let fitted = problem.fit()?;
    let g = grid(side);
    let p = fitted.predict("u", &g)?;
    let exact: Vec<f64> = g.chunks(2).map(|q| u(q[0], q[1])).collect();
    let max_error = p
        .mean
        .iter()
        .zip(&exact)
        .map(|(m, e)| (m - e).abs())
        .fold(0.0, f64::max);
    let coverage = p
        .mean
        .iter()
        .zip(&exact)
        .zip(&p.variance)
        .filter(|((m, e), v)| (*m - *e).abs() <= 2.0 * v.sqrt())
        .count() as f64
        / exact.len() as f64;
    Ok(Report {
        error_u: relative_l2(&p.mean, &exact),
        max_error,
        coverage,
        u_on_grid: p,
        side,
        fitted,
        interior,
        boundary,
    })
}

/// Exact u, posterior mean, absolute error and posterior std, with the observation points.
///
/// # Errors
/// A file that cannot be written.
pub fn figures(r: &Report, dir: &Path) -> Result<Vec<String>, InferError> {
    let g = grid(r.side);
    let exact: Vec<f64> = g.chunks(2).map(|q| u(q[0], q[1])).collect();
    let err: Vec<f64> = r
        .u_on_grid
        .mean
        .iter()
        .zip(&exact)
        .map(|(m, e)| (m - e).abs())
        .collect();
    let std: Vec<f64> = r.u_on_grid.variance.iter().map(|v| v.sqrt()).collect();
    let marks = [
        Marks::new("f observed (interior)", &r.interior),
        Marks::new("u observed (boundary)", &r.boundary),
    ];
    let path = dir.join("forward_poisson.png");
    let panels = [
        Field::grid("exact u", "u", &exact, &marks),
        Field::grid("posterior mean of u", "u", &r.u_on_grid.mean, &marks),
        Field::grid("absolute error of the mean", "|error|", &err, &marks),
        Field::grid("posterior standard deviation", "std of u", &std, &marks),
    ];
    fields(&path, &Frame::unit(r.side), &panels, 2, ("x", "y"))?;
    Ok(vec![path.display().to_string()])
}
