//! A pendulum with friction at 6 Hz (`noether::demos::real_pendulum`): Hamiltonian, dissipative
//! Hamiltonian and independent GPs, test L2 of the derivatives and energy MSE of rollouts, beside
//! the Hamiltonian-neural-network paper's numbers on the real recording; then the energy MSE over
//! ten seeded recordings.
//!
//! Run: `cargo run --release --example real_pendulum [STRIDE] [SEEDS]` (default 1: all 443
//! training differences; 10 seeds). Writes `figures/real_pendulum/real_pendulum.png`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    use noether::demos::real_pendulum::{figure, run, seeds_table, table, Protocol};
    let mut args = std::env::args().skip(1);
    let stride = args.next().map_or(Ok(1), |s| s.parse())?;
    let seeds: u64 = args.next().map_or(Ok(10), |s| s.parse())?;
    let started = std::time::Instant::now();
    let reports = [Protocol::Forward, Protocol::Midpoint]
        .into_iter()
        .map(|p| run(p, stride, 0, &mut |s| eprintln!("{s}")))
        .collect::<Result<Vec<_>, _>>()?;
    println!("real_pendulum: θ̇ = ω, ω̇ = −1.29 sin θ − 0.009 ω recorded at 6 Hz with noise sd 0.01; 444 states to train, 111 to test; seed 0\n");
    print!("{}", table(&reports));
    let dir = std::path::Path::new("figures/real_pendulum");
    std::fs::create_dir_all(dir)?;
    let path = dir.join("real_pendulum.png");
    figure(&reports[1], &path)?;
    let more = (0..seeds)
        .map(|s| run(Protocol::Midpoint, stride, s, &mut |_| {}))
        .collect::<Result<Vec<_>, _>>()?;
    println!("\n{}", seeds_table(&more));
    println!("wall clock {:.0} s", started.elapsed().as_secs_f64());
    println!("wrote {}", path.display());
    Ok(())
}
