//! The NLML and its gradient with inducing points against the exact likelihood, on problem E4
//! (heat: u_t − a u_xx = f, N/2 points of u and N/2 of f): time of one evaluation and the peak
//! memory of the process, as JSON lines, one case per child process (so each peak is its own).
//!
//! `cargo bench --bench sparse` runs every case: the bound at N = 10⁴ and 5 × 10⁴ with M = 500
//! and 1000, the exact NLML at N = 2,500, 5,000 and 10⁴, and the Hilbert-space basis (12 × 24 =
//! 288 functions, the box 10 × 3 times the data's half-range, as in `hilbert_heat`) at N = 10⁴,
//! 10⁵ and 10⁶, whose evaluations after the one pass over the data should not depend on N.
//! Against M at N = 10⁴: the bound at M = 250, 500 and 1000, the basis at 128, 288, 800 and
//! 2,048 functions.
//! `cargo bench --bench sparse -- --one N M` runs one (M = 0: exact; `--one N basis` the basis,
//! `--one N basisAxB` a basis of A × B functions).

use noether_likelihood::problems::heat_e4;
use noether_likelihood::sparse::kmeans;
use std::time::Instant;

/// The Hilbert-space basis of `per[0] × per[1]` functions at N observations: the pass over the
/// data, then one evaluation.
fn basis(n: usize, per: [usize; 2]) {
    let mut model = heat_e4(n / 2, n / 2, 0, 0.8).expect("the problem builds");
    let setup = Instant::now();
    model.use_basis(&per, &[10.0, 3.0]).expect("the basis");
    let setup = setup.elapsed().as_secs_f64();
    let v = model.values();
    let _ = model.nlml(&v, true).expect("evaluates");
    let reps = 20;
    let t = Instant::now();
    let mut e = model.nlml(&v, true).expect("evaluates");
    for _ in 1..reps {
        e = model.nlml(&v, true).expect("evaluates");
    }
    let secs = t.elapsed().as_secs_f64() / reps as f64;
    println!(
        "{{\"case\": \"basis\", \"n\": {n}, \"m\": {}, \"seconds_nlml_and_gradient\": {secs:.5}, \"setup_seconds\": {setup:.3}, \"peak_mib\": {:.0}, \"nlml\": {:.6}}}",
        per[0] * per[1],
        noether::demos::peak_memory_mib(),
        e.nlml
    );
}

fn one(n: usize, m: usize) {
    let mut model = heat_e4(n / 2, n / 2, 0, 0.8).expect("the problem builds");
    let setup = Instant::now();
    if m > 0 {
        let pts: Vec<f64> = model.channels().iter().flat_map(|c| c.x.clone()).collect();
        model
            .approximate(kmeans(&pts, 2, m, 0))
            .expect("inducing points");
    }
    let setup = setup.elapsed().as_secs_f64();
    let v = model.values();
    // One warm-up evaluation (thread pools, page faults), then the timed one.
    let _ = model.nlml(&v, true).expect("evaluates");
    let t = Instant::now();
    let e = model.nlml(&v, true).expect("evaluates");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{{\"case\": \"{}\", \"n\": {n}, \"m\": {m}, \"seconds_nlml_and_gradient\": {secs:.4}, \"setup_seconds\": {setup:.3}, \"peak_mib\": {:.0}, \"nlml\": {:.6}}}",
        if m > 0 { "bound" } else { "exact" },
        noether::demos::peak_memory_mib(),
        e.nlml
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let n: usize = args[i + 1].parse().expect("N");
        if let Some(per) = args[i + 2].strip_prefix("basis") {
            // `basis` (12 × 24) or `basisAxB`.
            let per = per.split_once('x').map_or([12, 24], |(a, b)| {
                [a.parse().expect("A"), b.parse().expect("B")]
            });
            basis(n, per);
        } else {
            one(n, args[i + 2].parse().expect("M"));
        }
        return;
    }
    let me = std::env::current_exe().expect("the bench binary");
    let cases = [
        (2_500, "0"),
        (5_000, "0"),
        (10_000, "0"),
        (10_000, "500"),
        (10_000, "1000"),
        (50_000, "500"),
        (50_000, "1000"),
        (10_000, "basis"),
        (100_000, "basis"),
        (1_000_000, "basis"),
        // Against M at N = 10⁴: the bound at M = 250 (500 and 1000 above), the basis at
        // 8 × 16 = 128, 20 × 40 = 800 and 32 × 64 = 2048 functions (288 above).
        (10_000, "250"),
        (10_000, "basis8x16"),
        (10_000, "basis20x40"),
        (10_000, "basis32x64"),
    ];
    for (n, m) in cases {
        if std::env::args().any(|a| a == "--basis") && !m.starts_with("basis") {
            continue;
        }
        let out = std::process::Command::new(&me)
            .args(["--one", &n.to_string(), m])
            .output()
            .expect("the child runs");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            println!(
                "{{\"case\": \"failed\", \"n\": {n}, \"m\": {m}, \"error\": {:?}}}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
        }
    }
}
