//! Problem E4 at scale, exact against the Hilbert-space basis (`noether::demos::hilbert_heat`):
//! 1,000 + 1,000 noisy points, the coefficient, the NLML at the exact optimum, and the time to a
//! fitted model for each.
//!
//! Run: `cargo run --release --example hilbert_heat`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    noether::demos::hilbert_heat::example()
}
