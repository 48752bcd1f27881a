//! The code behind the examples in `examples/` and `noether demo`: each demo builds its problem,
//! fits it, measures what the papers measured and draws its figures. The examples run them at
//! full size; the tests run them small and check what they print.

pub mod derivatives;
pub mod divergence_free;
pub mod forward_poisson;
pub mod gap_genes;
pub mod hamiltonian;
pub mod heat;
pub mod integro_differential;
pub mod laplacian_4d;
pub mod magnetic_field;
pub mod poisson_dirichlet;
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
