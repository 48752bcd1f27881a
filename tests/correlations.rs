//! Correlated coefficients: when the data determine only a combination of two coefficients, the
//! fit says so, with the combination.

use noether::infer::{Data, Latent, Problem};
use std::f64::consts::PI;

/// a·u_xx + b·u_yy = f with u = sin πx cos 2πy: u is an eigenfunction of both terms
/// (u_xx = −π²u, u_yy = −4π²u), so f = −π²(a + 4b)u determines only a + 4b.
#[test]
fn coefficients_the_data_determine_only_in_combination_are_reported_as_correlated() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let u = |x: f64, y: f64| (PI * x).sin() * (2.0 * PI * y).cos();
    let pts = |rng: &mut rand::rngs::StdRng, n: usize| -> Vec<f64> {
        (0..2 * n).map(|_| rng.random::<f64>()).collect()
    };
    let (xu, xf) = (pts(&mut rng, 30), pts(&mut rng, 30));
    let yu: Vec<f64> = xu.chunks(2).map(|p| u(p[0], p[1])).collect();
    // a = 1, b = 1: f = −5π² u.
    let yf: Vec<f64> = xf
        .chunks(2)
        .map(|p| -5.0 * PI * PI * u(p[0], p[1]))
        .collect();
    let fitted = Problem::new(&["x", "y"])
        .latent("u", Latent::se(1.0, &[0.3, 0.3]))
        .parameter("a", 0.5)
        .parameter("b", 2.0)
        .channel("u", "u", Data::from_rows(&xu, 2, &yu), 1e-6)
        .channel("f", "a*u_xx + b*u_yy", Data::from_rows(&xf, 2, &yf), 1e-6)
        .restarts(2)
        .fit()
        .unwrap();
    let rho = fitted.correlation("a", "b").expect("both estimated");
    assert!(rho < -0.95, "rho = {rho}");
    let r = fitted.result();
    assert_eq!(r.correlations["a"]["b"], rho);
    let note = r
        .notes
        .iter()
        .find(|n| n.starts_with("a and b are strongly correlated"))
        .expect("a note on a and b");
    // The combination the data determine is a + 4b = 5 (the note's weight of b within 10 %).
    let (a, b) = (
        fitted.parameter("a").unwrap(),
        fitted.parameter("b").unwrap(),
    );
    assert!((a + 4.0 * b - 5.0).abs() < 5e-3, "a + 4b = {}", a + 4.0 * b);
    let k: f64 = note
        .split("best determined: a + ")
        .nth(1)
        .and_then(|s| s.split('·').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{note}"));
    assert!((k - 4.0).abs() < 0.4, "{note}");
}
