//! Problem E5 of Raissi & Karniadakis (2017): a Δu = f in four dimensions.
//!
//! Run: `cargo run --release --example laplacian_4d`. Writes `figures/laplacian_4d/`.

use noether::demos::{laplacian_4d, with_error};
use noether_infer::format::number;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Thirty noise-free points of u = sin 2πx₂ sin 2πx₃ and thirty of f = Δu, Latin hypercube
    //    in [0, 1]⁴ (seed 0); learn a (true value 1) with one lengthscale per input.
    let r = laplacian_4d::run(30, 1000, 2, 0)?;
    // 2. a with its standard error, and the error of u on 1000 random held-out points.
    println!("{:<40} {:>24}", "quantity", "noether");
    println!(
        "{:<40} {:>24}",
        "a (true 1; the paper reports none)",
        with_error(r.a, r.a_std_error)
    );
    println!(
        "{:<40} {:>24}",
        format!("relative L2 error of u, {} points", r.held_out),
        number(r.error_u, 3)
    );
    for (n, v) in ["x1", "x2", "x3", "x4"]
        .iter()
        .map(|i| (i, r.fitted.parameter(&format!("u.lengthscales.{i}"))))
    {
        println!(
            "{:<40} {:>24}",
            format!("lengthscale of {n}"),
            number(v.unwrap_or(f64::NAN), 4)
        );
    }
    // 3. The slice x₁ = x₄ = ½: exact u, posterior mean and std.
    let dir = Path::new("figures/laplacian_4d");
    std::fs::create_dir_all(dir)?;
    for f in laplacian_4d::figures(&r, dir, 40)? {
        println!("wrote {f}");
    }
    Ok(())
}
