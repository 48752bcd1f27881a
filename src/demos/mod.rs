//! The code behind the examples in `examples/` and `noether demo`: each demo builds its problem,
//! fits it, measures what the papers measured and draws its figures. The examples run them at
//! full size; the tests run them small and check what they print.

pub mod calibration;
pub mod derivatives;
pub mod discover;
pub mod divergence_free;
pub mod forward_poisson;
pub mod fractional;
pub mod gap_genes;
pub mod hamiltonian;
pub mod heat;
pub mod hilbert_heat;
pub mod ibvp;
pub mod integro_differential;
pub mod laplacian_4d;
pub mod magnetic_field;
pub mod magnetic_field_full;
pub mod mass_conservation;
pub mod poisson_dirichlet;
pub mod real_pendulum;
pub mod sparse_heat;
pub mod symmetric;

/// `side × side` points over [0, 1]², row-major, the first coordinate the slow index.
pub fn grid(side: usize) -> Vec<f64> {
    let s = (side.max(2) - 1) as f64;
    (0..side * side)
        .flat_map(|k| [(k / side) as f64 / s, (k % side) as f64 / s])
        .collect()
}

/// ‖p − e‖ / ‖e‖.
pub fn relative_l2(pred: &[f64], exact: &[f64]) -> f64 {
    let num: f64 = pred.iter().zip(exact).map(|(p, e)| (p - e) * (p - e)).sum();
    let den: f64 = exact.iter().map(|e| e * e).sum();
    (num / den).sqrt()
}

/// A value with its standard error, as the examples print it (`1.000189 ± 4.67e-04`).
pub fn with_error(v: f64, se: Option<f64>) -> String {
    use noether_infer::format::number;
    match se {
        Some(s) => format!("{} ± {}", number(v, 7), number(s, 3)),
        None => format!("{} (not identifiable)", number(v, 7)),
    }
}

/// The exact u and f of a 1-D problem.
pub type Exact = (fn(f64) -> f64, fn(f64) -> f64);

/// The posteriors of the channels `u` and `f` of a 1-D problem over [0, 1] with ± 2 std bands,
/// the exact curves and each channel's data, as one figure at `path`: the integro-differential
/// and fractional examples draw theirs with it.
///
/// # Errors
/// A prediction failure or a file that cannot be written.
pub fn u_and_f(
    fitted: &noether_infer::Fitted,
    exact: Exact,
    title: &str,
    path: &std::path::Path,
) -> Result<Vec<String>, noether_infer::InferError> {
    use noether_infer::plot::{bands, Band, Marks};
    let xs: Vec<f64> = (0..200).map(|i| i as f64 / 199.0).collect();
    let mut curves = Vec::new();
    for (c, name, g) in [(0, "u", exact.0), (1, "f", exact.1)] {
        let p = fitted.predict(name, &xs)?;
        let std: Vec<f64> = p.variance.iter().map(|v| v.sqrt()).collect();
        let ex: Vec<f64> = xs.iter().map(|&x| g(x)).collect();
        let (x, y) = fitted.problem.channel_data(c)?;
        let data: Vec<(f64, f64)> = x.into_iter().zip(y).collect();
        curves.push((name, p.mean, std, ex, data));
    }
    let marks: Vec<[Marks; 1]> = curves
        .iter()
        .map(|c| [Marks::new(format!("{} data", c.0), &c.4)])
        .collect();
    let panels: Vec<Band> = curves
        .iter()
        .zip(&marks)
        .map(|(c, m)| Band {
            label: c.0.into(),
            quantity: c.0.into(),
            x: &xs,
            mean: &c.1,
            std: &c.2,
            exact: Some(&c.3),
            marks: m,
        })
        .collect();
    bands(path, title, "x", &panels)?;
    Ok(vec![path.display().to_string()])
}

/// A 1-D problem on [0, 1]: a squared-exponential latent u, a channel `u` observing it at `n_u`
/// uniform points and a channel `f` observing `operator` at `n_f`, from the exact functions with
/// Gaussian noise of the given standard deviations (seeded). Noise-free channels keep a fixed
/// noise variance of 1e-8; noisy ones learn theirs. Add the operator's parameters to it.
pub fn u_and_f_problem(
    n_u: usize,
    n_f: usize,
    exact: Exact,
    noise: (f64, f64),
    operator: &str,
    seed: u64,
) -> noether_infer::Problem {
    use noether_infer::{Data, Init, Latent, Problem};
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut draw = |n: usize, g: fn(f64) -> f64, sd: f64| {
        let x: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..1.0)).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&v| {
                let z: f64 =
                    rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
                g(v) + sd * z
            })
            .collect();
        (x, y)
    };
    let (xu, yu) = draw(n_u, exact.0, noise.0);
    let (xf, yf) = draw(n_f, exact.1, noise.1);
    let var = |sd: f64| -> Init {
        if sd == 0.0 {
            Init::fixed_at(1e-8)
        } else {
            Init::Value(sd * sd)
        }
    };
    Problem::new(&["x"])
        .latent("u", Latent::se(1.0, &[0.3]))
        .channel("u", "u", Data::from_rows(&xu, 1, &yu), var(noise.0))
        .channel("f", operator, Data::from_rows(&xf, 1, &yf), var(noise.1))
        .restarts(4)
        .seed(seed)
}

/// The process's peak resident memory, MiB (Linux: `VmHWM` of `/proc/self/status`; NaN where
/// the system cannot say): since the start, or since the last [`reset_peak_memory`].
pub fn peak_memory_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Forget the process's peak resident memory so far (Linux: `/proc/self/clear_refs`), so that
/// the next [`peak_memory_mib`] is what came after.
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The mean and the sample standard deviation of values (0 for fewer than two).
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    (m, s)
}
