//! Declared boundary and initial conditions against the plain physics-informed GP
//! (`noether::demos::ibvp`, case `helmholtz_mixed`): seeded noisy data, both models with default settings,
//! the coefficient and the errors of u on a 120 × 120 grid.
//!
//! Run: `cargo run --release --example helmholtz_mixed`. Writes `figures/helmholtz_mixed/helmholtz_mixed.png`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    noether::demos::ibvp::example(noether::demos::ibvp::Case::Helmholtz)
}
