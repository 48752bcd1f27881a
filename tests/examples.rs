//! The examples' code, run small enough for CI, with the numbers they print checked and their
//! figures written.

use noether::demos::{derivatives, forward_poisson, gap_genes, heat, laplacian_4d};
use std::path::PathBuf;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("noether-examples-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn is_png(files: &[String]) -> bool {
    files
        .iter()
        .all(|f| std::fs::read(f).is_ok_and(|b| b.starts_with(b"\x89PNG")))
}

/// E4 at the paper's size (20 + 20 points), one start, a 20 × 20 grid.
#[test]
fn heat_example_recovers_a_and_reproduces_the_published_accuracy() {
    let r = heat::run(0, 0, 20, &mut |_| {}).unwrap();
    assert!((r.a - 1.0).abs() < 1e-2, "a = {}", r.a);
    assert!(r.a_std_error.is_some_and(|s| s > 0.0 && s < 1e-2));
    // The paper: 1.25e-3 and 4.17e-3 on its own design; ours must be of the same order.
    assert!(
        r.error_u < 1e-2 && r.error_f < 1e-2,
        "{} {}",
        r.error_u,
        r.error_f
    );
    assert!(is_png(&heat::figures(&r, &dir("heat")).unwrap()));
}

#[test]
fn laplacian_4d_example_recovers_a() {
    let r = laplacian_4d::run(30, 200, 0, 0).unwrap();
    assert!((r.a - 1.0).abs() < 1e-2, "a = {}", r.a);
    assert!(r.a_std_error.is_some());
    assert!(r.error_u < 5e-2, "{}", r.error_u);
    assert!(is_png(&laplacian_4d::figures(&r, &dir("lap"), 12).unwrap()));
}

#[test]
fn forward_poisson_example_solves_the_equation() {
    let r = forward_poisson::run(30, 6, 20, 0).unwrap();
    assert!(r.error_u < 1e-2, "{}", r.error_u);
    assert!(r.coverage > 0.3, "{}", r.coverage);
    assert!(is_png(
        &forward_poisson::figures(&r, &dir("poisson")).unwrap()
    ));
}

#[test]
fn derivatives_example_learns_u_and_its_slope() {
    let r = derivatives::run(10, 4, 0).unwrap();
    assert!(r.rmse.0 < 0.2 && r.rmse.1 < 1.0, "{:?}", r.rmse);
    assert!(r.coverage.0 > 0.4 && r.coverage.1 > 0.6, "{:?}", r.coverage);
    assert!(is_png(&derivatives::figures(&r, &dir("deriv")).unwrap()));
}

/// The real data, every fourth position (150 points a channel), one start per gene.
#[test]
fn gap_gene_example_learns_positive_rates() {
    let genes = gap_genes::run(4, 0, false).unwrap();
    assert_eq!(genes.len(), 4);
    for g in &genes {
        assert!(
            g.lambda.0 > 0.0 && g.lambda.0 < 1.0,
            "{}: λ = {}",
            g.name,
            g.lambda.0
        );
        assert!(g.nlml.is_finite());
    }
    let t = gap_genes::table(&genes);
    assert_eq!(t.lines().count(), 5, "{t}");
    assert!(is_png(&gap_genes::figures(&genes[0], &dir("gap")).unwrap()));
}
