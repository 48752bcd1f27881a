//! Law discovery by evidence against sparse regression on the damped oscillator
//! (`noether::demos::discover`): u_tt + 0.5 u_t + 9 u = 0 from 60 scattered noisy values of u,
//! 20 seeds at each of 5, 10, 20 and 40 % noise.
//!
//! Run: `cargo run --release --example discover_oscillator [SEEDS]`. Writes
//! `figures/discover_oscillator/discover_oscillator.png`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seeds = std::env::args().nth(1).map_or(Ok(20), |s| s.parse())?;
    noether::demos::discover::oscillator_example(seeds)
}
