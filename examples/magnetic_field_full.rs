//! The whole magnetometer data set, the three solvers side by side: the curl-free GP on 90 % of
//! the 16,782 positions (45,312 observations) exactly on subsets, with inducing points and with
//! the Hilbert-space basis, tested on the other 10 %.
//!
//! Run: `cargo run --release --example magnetic_field_full [quick]` (about 8 minutes; `quick`
//! about 2). Writes `figures/magnetic_field_full/`.

use noether::demos::magnetic_field_full;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A seeded 90/10 split; the exact curl-free GP on 500, 1,000 and 2,000 random training
    //    positions; the curl-free GP on all 15,104 training positions with 400 and 1,000
    //    inducing points (k-means), from the 500-position fit's values; the same with the
    //    Hilbert-space basis at 10³, 12³ and 14³ functions; independent GPs with 133 inducing
    //    points on each of their three latents (399 inducing values, the 400-point budget).
    // `-- quick` runs 500 exact, 400 inducing points and the 14³ basis only.
    let mut plan = magnetic_field_full::Plan::example();
    if std::env::args().any(|a| a == "quick") {
        plan.exact.clear();
        plan.inducing = vec![400];
        plan.basis = vec![14];
        plan.independent = None;
    }
    let r = magnetic_field_full::run(&plan, &mut |line| eprintln!("  {line}"))?;
    print!("{}", magnetic_field_full::table(&r));
    let dir = Path::new("figures/magnetic_field_full");
    std::fs::create_dir_all(dir)?;
    for f in magnetic_field_full::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
