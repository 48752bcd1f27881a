//! A 1-D function learned from its values and from a few observations of its derivative.
//!
//! Run: `cargo run --release --example derivatives`. Writes `figures/derivatives/`.

use noether::demos::derivatives;
use noether_infer::format::number;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Ten values of u = sin 3x + x/2 on [0, 2] with noise sd 0.05, and four slopes u_x with
    //    noise sd 0.1 (seed 0); both channels share one latent u, so each informs the other.
    let r = derivatives::run(10, 4, 0)?;
    // 2. Errors of the posterior means of u and u_x over 200 points, and the band's coverage.
    println!(
        "{:<8} {:>12} {:>24}",
        "target", "RMS error", "within ± 2 std (frac.)"
    );
    for (name, rmse, coverage) in [
        ("u", r.rmse.0, r.coverage.0),
        ("u_x", r.rmse.1, r.coverage.1),
    ] {
        println!(
            "{name:<8} {:>12} {:>24}",
            number(rmse, 3),
            number(coverage, 3)
        );
    }
    // 3. Both posteriors with their bands, the exact curves and the data.
    let dir = Path::new("figures/derivatives");
    std::fs::create_dir_all(dir)?;
    for f in derivatives::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
