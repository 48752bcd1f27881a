//! The user's layer of noether: the problem description (a JSON file, or the same thing built in
//! Rust), loading CSV data with errors that name the file, row and column, fitting with standard
//! errors, the result JSON, and predictions of any operator of the latents.
//!
//! A problem file:
//! ```json
//! {
//!   "inputs": ["t", "x"],
//!   "latents": { "u": {"kernel": "se", "variance": 1.0, "lengthscales": [0.5, 0.5]} },
//!   "parameters": {"a": 2.0},
//!   "channels": [
//!     {"name": "u", "operator": "u",            "data": "u.csv", "noise": 1e-3},
//!     {"name": "f", "operator": "u_t - a*u_xx", "data": {"csv": "all.csv", "y": "f_obs"}, "noise": 1e-3}
//!   ],
//!   "fit": {"restarts": 4, "seed": 0}
//! }
//! ```
//! Paths are relative to the file. Any initial value may be `{"value": v, "fixed": true}`, and an
//! operator coefficient `{"value": v, "positive": true}`. `data` is a CSV whose header holds the
//! input names and `y`, or `{"csv": path, "y": column}`, or inline `{"x": [[...]], "y": [...]}`.
//! Kernels: `se`, `matern32`, `matern52`, `rq` (needs `alpha`), `periodic` (needs `period`).

#![warn(missing_docs)]

pub mod boundary;
mod build;
pub mod data;
pub mod discover;
mod error;
mod field;
pub mod formula;
pub mod grid;
mod json;
pub mod plot;
mod problem;
mod result;
pub mod rollout;
pub mod stats;

pub use boundary::{Boundary, Condition};
pub use discover::{Candidate, Discover, Discovery, Search};
pub use error::InferError;
pub use field::Expansion;
pub use noether_likelihood::fit::FitOptions;
pub use noether_likelihood::format;
pub use noether_likelihood::posterior::{JointPrediction, Prediction};
pub use problem::{
    Approximation, BaseKernel, ChannelSpec, Data, FieldKind, Init, InitSpec, Kernel, KernelName,
    Latent, Lengthscales, PerInput, Placement, Problem, Symmetry,
};
pub use result::{
    ApproximationReport, Estimate, FitResult, Fitted, Mixture, NlmlReport, OptimizerReport,
    SamplingReport, StartSummary, MIXTURE_DRAWS,
};
pub use rollout::{Rollout, Trajectory};
pub use stats::Stats;

/// Write a file whole or not at all: into a temporary file beside it, then renamed over it.
///
/// # Errors
/// [`InferError::Io`] naming the file; the temporary file is removed.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), InferError> {
    let io = |e: std::io::Error| InferError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("not a file name")))?;
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

/// Problem E4 of Raissi & Karniadakis (2017), u_t − a u_xx = f with a = 1, u = e^{−t} sin 2πx, as
/// a problem with inline data: `n_u` and `n_f` noise-free points on seeded Latin-hypercube
/// designs, SE kernel with one lengthscale per input, initial a = 0.5 and noise variances 1e-3.
pub fn heat_problem(n_u: usize, n_f: usize, seed: u64) -> Problem {
    let [xu, yu, xf, yf] = noether_likelihood::problems::heat_e4_data(n_u, n_f, seed);
    Problem::new(&["t", "x"])
        .latent("u", Latent::se(1.0, &[1.0, 1.0]))
        .parameter("a", 0.5)
        .channel("u", "u", Data::from_rows(&xu, 2, &yu), 1e-3)
        .channel("f", "u_t - a*u_xx", Data::from_rows(&xf, 2, &yf), 1e-3)
        .seed(seed)
}
