//! Jidling et al. (2017), §5.1: a divergence-free field from 50 noisy samples of both
//! components, a divergence-free GP against independent GPs, over 50 random designs (as the reference).
//!
//! Run: `cargo run --release --example divergence_free`. Writes `figures/divergence_free/`.

use noether::demos::divergence_free;
use noether_infer::format::number;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. For each of 50 seeded designs: 50 uniform random inputs on [0, 4]², both components
    //    observed with noise sd 1e-4 (fixed: the simulation's); a divergence-free GP (stream
    //    function with an SE kernel) and independent GPs sharing one SE kernel, each from a
    //    data-driven start and two restarts.
    let t0 = std::time::Instant::now();
    let r = divergence_free::run(50, 50, 20, 0)?;
    eprintln!(
        "{} designs fitted in {:.0} s",
        r.designs.len(),
        t0.elapsed().as_secs_f64()
    );
    // 2. RMS error over both components on a 20 × 20 grid, beside the reference reproduction.
    print!("{}", divergence_free::table(&r));
    // 3. The divergence of each posterior mean on the grid, relative to its derivative terms.
    let (con, ind) = divergence_free::divergences(&r, 0)?;
    println!(
        "  largest |divergence| of the posterior mean, relative (design 0): divergence-free {}, independent {}",
        number(con, 3),
        number(ind, 3)
    );
    // 4. Arrows of the true field and both means; the divergence of each mean.
    let dir = Path::new("figures/divergence_free");
    std::fs::create_dir_all(dir)?;
    for f in divergence_free::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
