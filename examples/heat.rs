//! Problem E4 of Raissi & Karniadakis (2017): learn a in u_t − a u_xx = f.
//!
//! Run: `cargo run --release --example heat`. Writes `figures/heat/heat_u.png`.

use noether::demos::heat;
use noether::progress::{Progress, Show};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Twenty noise-free points of u and twenty of f on seeded Latin-hypercube designs of
    //    [0, 1]², u = e^{−t} sin 2πx, f = (4π² − 1) e^{−t} sin 2πx; fit a, the SE kernel's
    //    hyperparameters and both noise variances, from a data-driven start and two restarts.
    let mut progress = Progress::new("heat", Show::for_stderr(false), false);
    let r = heat::run(2, 0, 50, &mut |e| progress.event(e))?;
    progress.finish();
    // 2. Compare with the paper: a with its Laplace standard error, and the relative L2 errors
    //    of the posterior means of u and f on a 50 × 50 grid.
    print!("{}", heat::table(&r));
    // 3. The figure: exact u, posterior mean, absolute error and posterior std over (t, x).
    let dir = Path::new("figures/heat");
    std::fs::create_dir_all(dir)?;
    for f in heat::figures(&r, dir)? {
        println!("wrote {f}");
    }
    Ok(())
}
