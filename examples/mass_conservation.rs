//! A substance diffusing in a closed container (`noether::demos::mass_conservation`): a plain GP
//! on the density, the physics-informed GP with u_t = D u_xx, and the continuity equation built
//! into a divergence-free (u, J) field with no flux through the walls and Fick's law as a
//! channel of zeros; D ± SE and the drift of the total mass over time for each.
//!
//! Run: `cargo run --release --example mass_conservation`. Writes
//! `figures/mass_conservation/mass_conservation.png` and `mass_over_time.png`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    noether::demos::mass_conservation::example()
}
