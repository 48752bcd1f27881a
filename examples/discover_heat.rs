//! Law discovery by evidence against sparse regression on the heat equation
//! (`noether::demos::discover`): u_t = u_xx from 500 scattered noisy values of u in (t, x), the
//! library u, u_x, u_xx, u_xxx, u_xxxx, x·u with u_t required, at 1, 5 and 20 % noise.
//!
//! Run: `cargo run --release --example discover_heat [SEEDS] [LAW_POINTS]` (default 10 seeds, 100
//! points of the law's zeros). Writes `figures/discover_heat/discover_heat.png`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seeds = args.next().map_or(Ok(10), |s| s.parse())?;
    let n_law = args.next().map_or(Ok(100), |s| s.parse())?;
    noether::demos::discover::heat_example(seeds, n_law)
}
