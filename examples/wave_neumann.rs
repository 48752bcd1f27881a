//! Declared boundary and initial conditions against the plain physics-informed GP
//! (`noether::demos::ibvp`, case `wave_neumann`).
//!
//! Run: `cargo run --release --example wave_neumann`. Writes `figures/wave_neumann/wave_neumann.png`.

use noether::demos::ibvp::{self, Case};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Seeded noisy data (u with sd 0.01, the law's channel), both models with default settings.
    let case = Case::Wave;
    let (n_u, n_f) = case.sizes();
    let r = ibvp::run(case, n_u, n_f, 120, 0)?;
    // 2. The coefficient and the errors of u on a 120 × 120 grid, plain against declared.
    print!("{}", ibvp::table(&r));
    // 3. The figure: exact u, the declared model's mean, and both models' errors.
    let dir = Path::new("figures/wave_neumann");
    std::fs::create_dir_all(dir)?;
    for f in ibvp::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
