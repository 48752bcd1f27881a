//! Hamiltonian GPs against independent GPs on the mass–spring and pendulum tasks of the HNN
//! paper (Greydanus et al. 2019): rollouts of 3,000 steps from held-out states, trajectory error
//! and the drift of the true energy.
//!
//! Run: `cargo run --release --example hamiltonian`. Writes `figures/hamiltonian/`.

use noether::demos::hamiltonian::{self, PENDULUM, SPRING};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Per system: 3 trajectories × 12 states with (q̇, ṗ) observed at noise 0.1; a
    //    Hamiltonian GP and independent GPs; both rolled out by the implicit midpoint rule with
    //    dt = 0.05 for 3,000 steps (t = 150) from 5 held-out initial states.
    let t0 = std::time::Instant::now();
    let reports = [SPRING, PENDULUM]
        .into_iter()
        .map(|s| hamiltonian::run(s, 3, 12, 5, 0.05, 3000, 0))
        .collect::<Result<Vec<_>, _>>()?;
    eprintln!(
        "fitted and rolled out in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    // 2. The table.
    print!("{}", hamiltonian::table(&reports));
    // 3. Phase portraits and energy drift.
    let dir = Path::new("figures/hamiltonian");
    std::fs::create_dir_all(dir)?;
    for r in &reports {
        for f in hamiltonian::figures(r, dir)? {
            println!("wrote {f}");
        }
    }
    Ok(())
}
