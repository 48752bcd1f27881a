//! Coverage of the 95 % intervals, Laplace against NUTS, over seeded noisy data sets of a damped
//! oscillator and the heat equation (`noether::demos::calibration`), with u fixed and with u
//! drawn from the model's own prior.
//!
//! Run: `cargo run --release --example calibration [R] [fixed|drawn|both]` (R data sets of each
//! problem, default 210: the binomial band is then ± 2.9 %; default both). Writes
//! `figures/calibration/calibration.png`.

use noether::demos::calibration::Truth;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let r = match args.next() {
        None => 210,
        Some(s) => match s.parse::<usize>() {
            Ok(r) if r > 0 => r,
            _ => {
                return Err(
                    format!("R must be a whole number of data sets, at least 1, not {s:?}").into(),
                )
            }
        },
    };
    let truths: &[Truth] = match args.next().as_deref() {
        None | Some("both") => &[Truth::Fixed, Truth::Drawn],
        Some("fixed") => &[Truth::Fixed],
        Some("drawn") => &[Truth::Drawn],
        Some(other) => return Err(format!("expected fixed, drawn or both, not {other:?}").into()),
    };
    noether::demos::calibration::example(r, truths)
}
