//! −Δu = f on the unit square with u = 0 on the boundary, learned from f alone: the boundary
//! condition is built into the kernel by a factor that vanishes on the boundary,
//! u = x(1 − x)y(1 − y)·g with g a GP, against the same model without the factor that is given
//! boundary points of u = 0 instead.
//!
//! Exact solution u = sin πx sin 2πy, so f = 5π² sin πx sin 2πy.

use super::relative_l2;
use noether_infer::format::number;
use noether_infer::plot::{fields, Field, Frame, Marks};
use noether_infer::{Data, Fitted, InferError, Init, Latent, Problem};
use noether_likelihood::problems::latin_hypercube;
use rand::SeedableRng;
use std::f64::consts::PI;
use std::path::Path;

/// The exact solution.
pub fn u(x: f64, y: f64) -> f64 {
    (PI * x).sin() * (2.0 * PI * y).sin()
}

/// f = −Δu.
pub fn f(x: f64, y: f64) -> f64 {
    5.0 * PI * PI * u(x, y)
}

/// The boundary factor.
pub const FACTOR: &str = "x*(1 - x)*y*(1 - y)";

/// What the run measured for one model.
#[derive(Debug)]
pub struct Model {
    /// The fit.
    pub fitted: Fitted,
    /// Relative L2 error of the posterior mean of u on the grid.
    pub error: f64,
    /// The largest |posterior mean of u| on the boundary (200 points per side).
    pub boundary: f64,
    /// The posterior mean of u on the grid.
    pub mean: Vec<f64>,
}

/// Both models.
#[derive(Debug)]
pub struct Report {
    /// With the boundary factor, from f alone.
    pub factor: Model,
    /// Without it, from f and boundary points of u = 0.
    pub points: Model,
    /// Interior points where f was observed.
    pub interior: Vec<(f64, f64)>,
    /// Boundary points given to the model without the factor.
    pub boundary: Vec<(f64, f64)>,
    /// Grid side.
    pub side: usize,
}

fn measure(fitted: Fitted, side: usize) -> Result<Model, InferError> {
    let g = super::grid(side);
    let p = fitted.predict("u", &g)?;
    let exact: Vec<f64> = g.chunks(2).map(|q| u(q[0], q[1])).collect();
    let s: Vec<f64> = (0..200).map(|i| i as f64 / 199.0).collect();
    let edge: Vec<f64> = s
        .iter()
        .flat_map(|&t| [t, 0.0, 1.0, t, t, 1.0, 0.0, t])
        .collect();
    let b = fitted.predict("u", &edge)?;
    Ok(Model {
        error: relative_l2(&p.mean, &exact),
        boundary: b.mean.iter().fold(0.0f64, |m, v| m.max(v.abs())),
        mean: p.mean,
        fitted,
    })
}

/// `n_f` interior points of f (Latin hypercube, seeded), noise variance 1e-6 (fixed); the model
/// without the factor also gets `n_b` points per side of u = 0.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(n_f: usize, n_b: usize, side: usize, seed: u64) -> Result<Report, InferError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let xf = latin_hypercube(n_f, 2, &mut rng);
    let yf: Vec<f64> = xf.chunks(2).map(|p| f(p[0], p[1])).collect();
    let interior: Vec<(f64, f64)> = xf.chunks(2).map(|p| (p[0], p[1])).collect();
    let s: Vec<f64> = (0..n_b).map(|i| i as f64 / n_b as f64).collect();
    let boundary: Vec<(f64, f64)> = s
        .iter()
        .flat_map(|&t| [(t, 0.0), (1.0, t), (1.0 - t, 1.0), (0.0, 1.0 - t)])
        .collect();
    let xb: Vec<f64> = boundary.iter().flat_map(|p| [p.0, p.1]).collect();
    // The data are exact: both models keep a noise variance of 1e-6, fixed. (With the noise
    // learned, the fit of the model with boundary points settles at u ≡ 0 with f explained as
    // noise, from the start its all-zero boundary data suggest.)
    let exact = Init::fixed_at(1e-6);
    let factor = Problem::new(&["x", "y"])
        .latent("u", Latent::se(1.0, &[0.3, 0.3]).times(FACTOR))
        .channel(
            "f",
            "-u_xx - u_yy",
            Data::from_rows(&xf, 2, &yf),
            exact.clone(),
        )
        .restarts(2)
        .seed(seed)
        .fit()?;
    let points = Problem::new(&["x", "y"])
        .latent("u", Latent::se(1.0, &[0.3, 0.3]))
        .channel(
            "f",
            "-u_xx - u_yy",
            Data::from_rows(&xf, 2, &yf),
            exact.clone(),
        )
        .channel(
            "b",
            "u",
            Data::from_rows(&xb, 2, &vec![0.0; boundary.len()]),
            exact,
        )
        .restarts(2)
        .seed(seed)
        .fit()?;
    Ok(Report {
        factor: measure(factor, side)?,
        points: measure(points, side)?,
        interior,
        boundary,
        side,
    })
}

/// The table the example prints.
pub fn table(r: &Report) -> String {
    let row = |a: &str, b: String, c: String| format!("  {a:<44} {b:>14} {c:>18}\n");
    [
        row("model", "rel. L2 error".into(), "largest |u| on ∂Ω".into()),
        row(
            &format!("boundary factor {FACTOR}, f only"),
            number(r.factor.error, 3),
            number(r.factor.boundary, 3),
        ),
        row(
            &format!("no factor, f and {} boundary points", r.boundary.len()),
            number(r.points.error, 3),
            number(r.points.boundary, 3),
        ),
    ]
    .concat()
}

/// Posterior means of both models and their errors, with the observation points.
///
/// # Errors
/// A file that cannot be written.
pub fn figures(r: &Report, dir: &Path) -> Result<Vec<String>, InferError> {
    let g = super::grid(r.side);
    let exact: Vec<f64> = g.chunks(2).map(|q| u(q[0], q[1])).collect();
    let err =
        |m: &[f64]| -> Vec<f64> { m.iter().zip(&exact).map(|(a, b)| (a - b).abs()).collect() };
    let (ef, ep) = (err(&r.factor.mean), err(&r.points.mean));
    let m1 = [Marks::new("f observed", &r.interior)];
    let m2 = [
        Marks::new("f observed", &r.interior),
        Marks::new("u = 0 observed", &r.boundary),
    ];
    let path = dir.join("poisson_dirichlet.png");
    fields(
        &path,
        &Frame::unit(r.side),
        &[
            Field::grid(
                "boundary factor: posterior mean of u",
                "u",
                &r.factor.mean,
                &m1,
            ),
            Field::grid("boundary factor: |error|", "|error|", &ef, &m1),
            Field::grid(
                "boundary points: posterior mean of u",
                "u",
                &r.points.mean,
                &m2,
            ),
            Field::grid("boundary points: |error|", "|error|", &ep, &m2),
        ],
        2,
        ("x", "y"),
    )?;
    Ok(vec![path.display().to_string()])
}
