//! Declared boundary and initial conditions against the plain physics-informed GP
//! (`noether::demos::ibvp`, case `heat_ibvp`): seeded noisy data, both models with default settings,
//! the coefficient and the errors of u on a 120 × 120 grid.
//!
//! Run: `cargo run --release --example heat_ibvp`. Writes `figures/heat_ibvp/heat_ibvp.png`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    noether::demos::ibvp::example(noether::demos::ibvp::Case::Heat)
}
