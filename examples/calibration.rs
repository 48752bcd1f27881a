//! Coverage of the 95 % intervals, Laplace against NUTS, over seeded noisy data sets of a damped
//! oscillator and the heat equation (`noether::demos::calibration`).
//!
//! Run: `cargo run --release --example calibration [R]` (R data sets of each problem, default
//! 210: the binomial band is then ± 2.9 %). Writes `figures/calibration/calibration.png`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let r = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(210);
    noether::demos::calibration::example(r)
}
