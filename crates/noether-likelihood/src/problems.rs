//! Published benchmark problems, generated from their exact solutions.
//!
//! From Raissi & Karniadakis, "Machine learning of linear differential equations using Gaussian
//! processes", J. Comput. Phys. 348 (2017) 683–693, as set up in the authors' public code: inputs
//! are Latin-hypercube samples of [0, 1]^D, the kernel is a squared exponential with one
//! lengthscale per input, and the initial noise variance is 1e-3.

use crate::model::Model;
use crate::LikelihoodError;
use noether_kernels::KernelSpec;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::f64::consts::PI;

/// `n` Latin-hypercube points in [0, 1]^d, row-major: each coordinate takes one value in each of
/// the n strata, in a random order.
pub fn latin_hypercube(n: usize, d: usize, rng: &mut impl Rng) -> Vec<f64> {
    let mut out = vec![0.0; n * d];
    for k in 0..d {
        let mut strata: Vec<usize> = (0..n).collect();
        strata.shuffle(rng);
        for (i, s) in strata.into_iter().enumerate() {
            out[i * d + k] = (s as f64 + rng.random::<f64>()) / n as f64;
        }
    }
    out
}

/// Problem E4's exact solution u(t, x) = e^{−t} sin 2πx.
pub fn heat_u(t: f64, x: f64) -> f64 {
    (-t).exp() * (2.0 * PI * x).sin()
}

/// Problem E4's forcing f = u_t − u_xx = (4π² − 1) e^{−t} sin 2πx.
pub fn heat_f(t: f64, x: f64) -> f64 {
    (4.0 * PI * PI - 1.0) * heat_u(t, x)
}

/// Problem E4's data: `[x_u, u, x_f, f]`, points row-major over (t, x), on Latin-hypercube
/// designs drawn with `seed`, noise-free.
pub fn heat_e4_data(n_u: usize, n_f: usize, seed: u64) -> [Vec<f64>; 4] {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let xu = latin_hypercube(n_u, 2, &mut rng);
    let xf = latin_hypercube(n_f, 2, &mut rng);
    let yu: Vec<f64> = xu.chunks(2).map(|p| heat_u(p[0], p[1])).collect();
    let yf: Vec<f64> = xf.chunks(2).map(|p| heat_f(p[0], p[1])).collect();
    [xu, yu, xf, yf]
}

/// Problem E4: u_t − α u_xx = f on inputs (t, x), α = 1, with `n_u` observations of u and `n_f` of
/// f, noise-free, on Latin-hypercube designs drawn with `seed`. The model starts from σ² = 1,
/// ℓ = (1, 1), α = `alpha0` and noise variances 1e-3.
///
/// # Errors
/// Never for valid sizes; the model constructor's errors otherwise.
pub fn heat_e4(n_u: usize, n_f: usize, seed: u64, alpha0: f64) -> Result<Model, LikelihoodError> {
    let [xu, yu, xf, yf] = heat_e4_data(n_u, n_f, seed);
    let mut m = Model::new(
        &["t", "x"],
        &[("u", KernelSpec::se(true))],
        &[("a", alpha0)],
    )?;
    m.add_channel("u", "u", xu, yu, 1e-3)?;
    m.add_channel("f", "u_t - a*u_xx", xf, yf, 1e-3)?;
    Ok(m)
}
