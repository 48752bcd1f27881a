//! −Δu = f on the unit square with u = 0 on the boundary, from f alone: the boundary condition
//! through the kernel (u = x(1 − x)y(1 − y)·g) against boundary points.
//!
//! Run: `cargo run --release --example poisson_dirichlet`. Writes `figures/poisson_dirichlet/`.

use noether::demos::poisson_dirichlet;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. f = 5π² sin πx sin 2πy at 40 interior points (Latin hypercube, seed 0); the factor model
    //    sees nothing else; the other gets 10 points per side of u = 0 too.
    let r = poisson_dirichlet::run(40, 10, 50, 0)?;
    // 2. Errors on a 50 × 50 grid and the largest |u| on the boundary.
    print!("{}", poisson_dirichlet::table(&r));
    let dir = Path::new("figures/poisson_dirichlet");
    std::fs::create_dir_all(dir)?;
    for f in poisson_dirichlet::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
