//! A forward problem: u_xx + u_yy = f on [0, 1]² from f inside and u on the boundary.
//!
//! Run: `cargo run --release --example forward_poisson`. Writes `figures/forward_poisson/`.

use noether::demos::forward_poisson;
use noether_infer::format::number;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. f = −5π² sin πx sin 2πy at 60 interior points (Latin hypercube, seed 0) and
    //    u = sin πx sin 2πy + xy at 10 points per side of the boundary; nothing in the operator is
    //    unknown, so only the kernel's hyperparameters and the noise are fitted.
    let r = forward_poisson::run(60, 10, 50, 0)?;
    // 2. How close the posterior mean is, and how honest its uncertainty.
    println!("{:<44} {:>12}", "quantity", "noether");
    println!(
        "{:<44} {:>12}",
        "relative L2 error of u, 50 × 50 grid",
        number(r.error_u, 3)
    );
    println!(
        "{:<44} {:>12}",
        "largest absolute error",
        number(r.max_error, 3)
    );
    println!(
        "{:<44} {:>12}",
        "fraction of grid within ± 2 posterior std",
        number(r.coverage, 3)
    );
    // 3. Exact u, posterior mean, absolute error, posterior std.
    let dir = Path::new("figures/forward_poisson");
    std::fs::create_dir_all(dir)?;
    for f in forward_poisson::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
