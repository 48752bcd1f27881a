//! Inducing points on the 2,000-point heat problem: the bound approaches the exact NLML and the
//! learned coefficient the exact one as nested inducing sets grow.
//!
//! Run: `cargo run --release --example sparse_heat`.

use noether::demos::sparse_heat;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1000 + 1000 noisy points of problem E4; the exact fit, then M = 50 … 800 nested inducing
    // points (the first M of a seeded shuffle of the inputs).
    let r = sparse_heat::run(1000, &[50, 100, 200, 400, 800], 0)?;
    print!("{}", sparse_heat::table(&r));
    Ok(())
}
