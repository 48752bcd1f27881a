//! A 1-D function learned from noisy values and a few noisy observations of its derivative;
//! the posterior of u and of u_x with ± 2 standard-deviation bands.
//!
//! u(x) = sin 3x + x/2 on [0, 2]; values with noise sd 0.05, slopes with noise sd 0.1.

use noether_infer::plot::{bands, Band, Marks};
use noether_infer::{Data, Fitted, InferError, Latent, Lengthscales, Problem};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::path::Path;

/// u(x) = sin 3x + x/2.
pub fn u(x: f64) -> f64 {
    (3.0 * x).sin() + 0.5 * x
}

/// u'(x) = 3 cos 3x + 1/2.
pub fn du(x: f64) -> f64 {
    3.0 * (3.0 * x).cos() + 0.5
}

/// What the run measured.
#[derive(Debug)]
pub struct Report {
    /// The fitted problem.
    pub fitted: Fitted,
    /// Observations of u.
    pub values: Vec<(f64, f64)>,
    /// Observations of u_x.
    pub slopes: Vec<(f64, f64)>,
    /// The evaluation grid.
    pub grid: Vec<f64>,
    /// Root-mean-square error of the posterior mean of u and of u_x on the grid.
    pub rmse: (f64, f64),
    /// Fraction of grid points where the exact u and u_x lie within ± 2 posterior std.
    pub coverage: (f64, f64),
    /// Posterior (mean, std) of u and of u_x on the grid.
    pub posterior: [(Vec<f64>, Vec<f64>); 2],
}

/// Fit from `n_values` noisy values and `n_slopes` noisy slopes, seeded.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(n_values: usize, n_slopes: usize, seed: u64) -> Result<Report, InferError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (nv, ns) = (
        Normal::new(0.0, 0.05).expect("sd > 0"),
        Normal::new(0.0, 0.1).expect("sd > 0"),
    );
    let values: Vec<(f64, f64)> = (0..n_values)
        .map(|_| {
            let x = rng.random_range(0.0..2.0);
            (x, u(x) + nv.sample(&mut rng))
        })
        .collect();
    let slopes: Vec<(f64, f64)> = (0..n_slopes)
        .map(|_| {
            let x = rng.random_range(0.0..2.0);
            (x, du(x) + ns.sample(&mut rng))
        })
        .collect();
    let split = |v: &[(f64, f64)]| -> Data {
        Data::inline(
            v.iter().map(|p| vec![p.0]).collect(),
            v.iter().map(|p| p.1).collect(),
        )
    };
    let problem = Problem::new(&["x"])
        .latent(
            "u",
            Latent::new(
                noether_infer::KernelName::SE,
                1.0,
                Lengthscales::Shared(0.5.into()),
            ),
        )
        .channel("u", "u", split(&values), 1e-2)
        .channel("slope", "u_x", split(&slopes), 1e-2)
        .restarts(2)
        .seed(seed);
    let fitted = problem.fit()?;
    let grid: Vec<f64> = (0..200).map(|i| 2.0 * i as f64 / 199.0).collect();
    let mut posterior = Vec::new();
    let mut rmse = Vec::new();
    let mut coverage = Vec::new();
    for (target, exact) in [("u", u as fn(f64) -> f64), ("u_x", du)] {
        let p = fitted.predict(target, &grid)?;
        let std: Vec<f64> = p.variance.iter().map(|v| v.sqrt()).collect();
        let ex: Vec<f64> = grid.iter().map(|&x| exact(x)).collect();
        rmse.push(
            (p.mean
                .iter()
                .zip(&ex)
                .map(|(m, e)| (m - e).powi(2))
                .sum::<f64>()
                / grid.len() as f64)
                .sqrt(),
        );
        coverage.push(
            p.mean
                .iter()
                .zip(&ex)
                .zip(&std)
                .filter(|((m, e), s)| (*m - *e).abs() <= 2.0 * **s)
                .count() as f64
                / grid.len() as f64,
        );
        posterior.push((p.mean, std));
    }
    let [pu, px]: [(Vec<f64>, Vec<f64>); 2] = posterior.try_into().expect("two targets");
    Ok(Report {
        fitted,
        values,
        slopes,
        grid,
        rmse: (rmse[0], rmse[1]),
        coverage: (coverage[0], coverage[1]),
        posterior: [pu, px],
    })
}

/// The posterior of u and of u_x with their bands, the exact curves and the data.
///
/// # Errors
/// A file that cannot be written.
pub fn figures(r: &Report, dir: &Path) -> Result<Vec<String>, InferError> {
    let eu: Vec<f64> = r.grid.iter().map(|&x| u(x)).collect();
    let ex: Vec<f64> = r.grid.iter().map(|&x| du(x)).collect();
    let path = dir.join("derivatives.png");
    let values = [Marks::new("observed u", &r.values)];
    let slopes = [Marks::new("observed u_x", &r.slopes)];
    let panels = [
        Band {
            label: "u(x) = sin 3x + x/2".into(),
            quantity: "u".into(),
            x: &r.grid,
            mean: &r.posterior[0].0,
            std: &r.posterior[0].1,
            exact: Some(&eu),
            marks: &values,
        },
        Band {
            label: "u_x, from 4 noisy slopes".into(),
            quantity: "u_x".into(),
            x: &r.grid,
            mean: &r.posterior[1].0,
            std: &r.posterior[1].1,
            exact: Some(&ex),
            marks: &slopes,
        },
    ];
    bands(
        &path,
        "values of u and a few slopes u_x, learned jointly",
        "x",
        &panels,
    )?;
    Ok(vec![path.display().to_string()])
}
