//! Problem E4 of Raissi & Karniadakis (2017): learn a in u_t − a u_xx = f.
//!
//! Run: `cargo run --release --example heat`. Writes `figures/heat/heat_u.png`.

use noether::demos::{heat, with_error};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Twenty noise-free points of u and twenty of f on seeded Latin-hypercube designs of
    //    [0, 1]², u = e^{−t} sin 2πx, f = (4π² − 1) e^{−t} sin 2πx; fit a, the SE kernel's
    //    hyperparameters and both noise variances, from a data-driven start and two restarts.
    let r = heat::run(2, 0, 50, &mut |e| {
        if let noether_likelihood::fit::Event::Start(s) = e {
            eprintln!(
                "start {} ({}): NLML {:.6}, {}",
                s.start, s.origin, s.nlml, s.termination
            )
        }
    })?;
    // 2. Compare with the paper: a with its Laplace standard error, and the relative L2 errors
    //    of the posterior means of u and f on a 50 × 50 grid.
    println!("{:<32} {:>24} {:>12}", "quantity", "noether", "published");
    println!(
        "{:<32} {:>24} {:>12}",
        "a",
        with_error(r.a, r.a_std_error),
        heat::PUBLISHED_A
    );
    println!(
        "{:<32} {:>24.2e} {:>12.2e}",
        "relative L2 error of u",
        r.error_u,
        heat::PUBLISHED_ERRORS.0
    );
    println!(
        "{:<32} {:>24.2e} {:>12.2e}",
        "relative L2 error of f",
        r.error_f,
        heat::PUBLISHED_ERRORS.1
    );
    // 3. The figure: exact u, posterior mean, absolute error and posterior std over (t, x).
    let dir = Path::new("figures/heat");
    std::fs::create_dir_all(dir)?;
    for f in heat::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
