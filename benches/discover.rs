//! Time to a discovered law: the size, a library of 6 terms with `max_terms` 3 (42
//! candidate laws) on 100 + 100 observations, printed as one JSON line: seconds in all (wall
//! clock, both cores), seconds per candidate (one core), evaluations, and the time to build the
//! candidates' models (symbolic kernels and compiled programs) for comparison.
//!
//! `cargo bench --bench discover`.

use noether::demos::discover::{oscillator_data, oscillator_problem};
use noether_infer::Discover;
use std::time::Instant;

/// The oscillator's 5-term library of the example plus t·u_tt.
const TERMS: [&str; 6] = ["u", "u_t", "u_ttt", "t*u", "t*u_t", "t*u_tt"];

fn main() {
    let (t, y) = oscillator_data(100, 0.10, 0);
    let p = oscillator_problem(&t, &y, 100, 0)
        .discovering(Discover::new("law", &TERMS, &["u_tt"]).max_terms(3));
    let started = Instant::now();
    let d = p.discover().expect("the discovery runs");
    let seconds = started.elapsed().as_secs_f64();
    for n in &d.notes {
        eprintln!("note: {n}");
    }
    let evaluations: u64 = d.candidates.iter().map(|c| c.evaluations).sum();
    // Building one candidate's model, the largest (three terms), alone.
    let mut q = p.clone();
    q.discover = None;
    q.channels[1].operator = "u_tt + a*u_ttt + b*t*u_t + c*t*u_tt".into();
    for (k, v) in [("a", 0.0), ("b", 0.0), ("c", 0.0)] {
        q.parameters.insert(k.into(), v.into());
    }
    let built = Instant::now();
    let reps = 5;
    for _ in 0..reps {
        q.model().expect("the model builds");
    }
    let model_seconds = built.elapsed().as_secs_f64() / reps as f64;
    println!(
        "{{\"case\": \"oscillator, 6 terms, max 3, 100 + 100\", \"candidates\": {}, \"seconds\": {seconds:.3}, \"seconds_per_candidate\": {:.4}, \"evaluations\": {evaluations}, \"model_build_seconds\": {model_seconds:.4}, \"best\": \"{}\"}}",
        d.candidates.len(),
        d.seconds_per_candidate,
        d.best().law
    );
}
