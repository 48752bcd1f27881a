//! Jidling et al. (2017), §5.2, on real magnetometer data: a curl-free GP against independent GPs
//! per component, 500 random training and 1,000 random test points, over 10 random splits.
//!
//! Run: `cargo run --release --example magnetic_field`. Writes `figures/magnetic_field/`.

use noether::demos::magnetic_field;
use noether_infer::format::number;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. For each of 10 seeded splits: 500 training rows (1,500 observations: mx, my, mz) and
    //    1,000 test rows; the curl-free field v = ∇φ, φ with a squared-exponential kernel (one
    //    lengthscale) plus a linear kernel (the constant background field), against independent
    //    GPs per component with a squared-exponential kernel plus a constant, one kernel shared;
    //    noise variances learned; a data-driven start and one restart each.
    let t0 = std::time::Instant::now();
    let r = magnetic_field::run(10, 500, 1000, 0, &mut |line| {
        eprintln!("  {line} ({:.0} s)", t0.elapsed().as_secs_f64())
    })?;
    // 2. RMSE beside the reference.
    print!("{}", magnetic_field::table(&r));
    // 3. The curl of the curl-free posterior mean, relative to its derivative terms.
    println!(
        "  largest |curl| of the curl-free posterior mean, relative: {}",
        number(magnetic_field::curl(&r)?, 3)
    );
    // 4. The horizontal field on a slice, and its uncertainty, with the training positions.
    let dir = Path::new("figures/magnetic_field");
    std::fs::create_dir_all(dir)?;
    for f in magnetic_field::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
