//! Problem E5 of Raissi & Karniadakis (2017): a (u_x1x1 + u_x2x2 + u_x3x3 + u_x4x4) = f in four
//! dimensions, a = 1, u = sin 2πx₂ · sin 2πx₃, f = −8π² sin 2πx₂ sin 2πx₃, from 30 + 30 noise-free
//! points on Latin-hypercube designs of [0, 1]⁴.

use super::{grid, relative_l2};
use noether_infer::plot::{fields, Field, Frame};
use noether_infer::{Data, Fitted, InferError, Latent, Problem};
use noether_likelihood::problems::latin_hypercube;
use rand::{Rng, SeedableRng};
use std::f64::consts::PI;
use std::path::Path;

/// u = sin 2πx₂ sin 2πx₃.
pub fn u(p: &[f64]) -> f64 {
    (2.0 * PI * p[1]).sin() * (2.0 * PI * p[2]).sin()
}

/// f = Δu = −8π² u.
pub fn f(p: &[f64]) -> f64 {
    -8.0 * PI * PI * u(p)
}

/// What the run measured.
#[derive(Debug)]
pub struct Report {
    /// The fitted problem.
    pub fitted: Fitted,
    /// Learned a.
    pub a: f64,
    /// Its standard error.
    pub a_std_error: Option<f64>,
    /// Relative L2 error of the posterior mean of u on held-out points.
    pub error_u: f64,
    /// How many held-out points.
    pub held_out: usize,
}

/// Fit with `n` points of u and of f, then measure on `held_out` random points.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(n: usize, held_out: usize, restarts: usize, seed: u64) -> Result<Report, InferError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let xu = latin_hypercube(n, 4, &mut rng);
    let xf = latin_hypercube(n, 4, &mut rng);
    let yu: Vec<f64> = xu.chunks(4).map(u).collect();
    let yf: Vec<f64> = xf.chunks(4).map(f).collect();
    let problem = Problem::new(&["x1", "x2", "x3", "x4"])
        .latent("u", Latent::se(1.0, &[1.0, 0.3, 0.3, 1.0]))
        .parameter("a", 0.5)
        .channel("u", "u", Data::from_rows(&xu, 4, &yu), 1e-3)
        .channel(
            "f",
            "a*(d(u, x1, 2) + d(u, x2, 2) + d(u, x3, 2) + d(u, x4, 2))",
            Data::from_rows(&xf, 4, &yf),
            1e-3,
        )
        .restarts(restarts)
        .seed(seed);
    let fitted = problem.fit()?;
    let test: Vec<f64> = (0..4 * held_out).map(|_| rng.random::<f64>()).collect();
    let p = fitted.predict("u", &test)?;
    let exact: Vec<f64> = test.chunks(4).map(u).collect();
    Ok(Report {
        a: fitted.parameter("a").unwrap_or(f64::NAN),
        a_std_error: fitted.std_error("a"),
        error_u: relative_l2(&p.mean, &exact),
        held_out,
        fitted,
    })
}

/// The slice x₁ = x₄ = ½ over (x₂, x₃): exact u, posterior mean, posterior standard deviation.
///
/// # Errors
/// A prediction failure or a file that cannot be written.
pub fn figures(r: &Report, dir: &Path, side: usize) -> Result<Vec<String>, InferError> {
    let pts: Vec<f64> = grid(side)
        .chunks(2)
        .flat_map(|p| [0.5, p[0], p[1], 0.5])
        .collect();
    let pred = r.fitted.predict("u", &pts)?;
    let exact: Vec<f64> = pts.chunks(4).map(u).collect();
    let std: Vec<f64> = pred.variance.iter().map(|v| v.sqrt()).collect();
    let path = dir.join("laplacian_4d.png");
    let panels = [
        Field::grid("exact u at x1 = x4 = 0.5", "u", &exact, &[]),
        Field::grid("posterior mean of u", "u", &pred.mean, &[]),
        Field::grid("posterior standard deviation", "std of u", &std, &[]),
    ];
    fields(&path, &Frame::unit(side), &panels, 3, ("x2", "x3"))?;
    Ok(vec![path.display().to_string()])
}
