//! Inducing points on the 2,000-point heat problem: the bound approaches the exact NLML and the
//! learned coefficient the exact one as nested inducing sets grow.
//!
//! Run: `cargo run --release --example sparse_heat`.

use noether::demos::sparse_heat;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1000 + 1000 noisy points of problem E4; the exact fit, then M = 50 … 800 nested inducing
    // points (the first M of a seeded shuffle of the inputs).
    //    Then the Hilbert-space basis at 6 × 12, 12 × 24 and 16 × 32 functions on the box 10 × 3
    //    times the data's half-range (as in `hilbert_heat`).
    let c = [10.0, 3.0];
    let r = sparse_heat::run(
        1000,
        &[50, 100, 200, 400, 800],
        &[([6, 12], c), ([12, 24], c), ([16, 32], c)],
        0,
    )?;
    print!("{}", sparse_heat::table(&r));
    Ok(())
}
