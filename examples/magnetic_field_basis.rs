//! The whole magnetometer training set with the Hilbert-space basis: the curl-free model of
//! `noether::demos::magnetic_field` on all 15,104 training positions (45,312 observations) of
//! the seeded 90/10 split that `magnetic_field_full` uses, with 14 functions per input (2,744 in
//! all) on a box 1.3 times the data's half-range, from the problem's initial values; held-out
//! RMSE against the exact curl-free GP on 500 random training positions.
//!
//! Run: `cargo run --release --example magnetic_field_basis [PER_INPUT] [FACTOR]`.

use noether::demos::magnetic_field::{load, problem, rmse};
use noether::infer::{Approximation, PerInput};
use noether::likelihood::fit::StartFrom;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let per: usize = args.next().map_or(Ok(14), |s| s.parse())?;
    let c: f64 = args.next().map_or(Ok(1.3), |s| s.parse())?;
    let (pos, h) = load()?;
    let rows = pos.len() / 3;
    let mut idx: Vec<usize> = (0..rows).collect();
    idx.shuffle(&mut rand::rngs::StdRng::seed_from_u64(0));
    let n_test = rows / 10;
    let (test, train) = (idx[..n_test].to_vec(), idx[n_test..].to_vec());
    let comps = ["phi[x]", "phi[y]", "phi[z]"];
    let t = Instant::now();
    let exact = problem(&pos, &h, &train[..500], true).fit()?;
    let (s_exact, e_exact) = (
        t.elapsed().as_secs_f64(),
        rmse(&exact, comps, &pos, &h, &test)?,
    );
    let mut p = problem(&pos, &h, &train, true)
        .approximate(Approximation::basis(&[per, per, per], PerInput::One(c)))
        .restarts(0);
    p.fit.start = StartFrom::Initial;
    p.fit.max_iters = 60;
    p.fit.tol_cost = 1e-6;
    let t = Instant::now();
    let f = p.fit()?;
    let s_fit = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let e = rmse(&f, comps, &pos, &h, &test)?;
    let s_pred = t.elapsed().as_secs_f64();
    println!(
        "magnetic_field_basis: {} training positions, {n_test} held out",
        train.len()
    );
    println!("  {:<44} {:>8} {:>9}", "model", "RMSE", "seconds");
    println!(
        "  {:<44} {:>8.4} {:>9.1}",
        "exact curl-free, 500 positions", e_exact, s_exact
    );
    println!(
        "  {:<44} {:>8.4} {:>9.1}",
        format!("curl-free, basis {per}³ = {}, c = {c}", per * per * per),
        e,
        s_fit + s_pred
    );
    println!(
        "  (fit {s_fit:.1} s in {} evaluations, the pass over the data included; predictions {s_pred:.1} s)",
        f.report.evaluations
    );
    for n in f
        .result()
        .notes
        .iter()
        .filter(|n| n.contains("lengthscale"))
    {
        println!("  note: {n}");
    }
    Ok(())
}
