//! The `noether` command line.

use clap::{Parser, Subcommand};
use noether::likelihood::fit::{fit, FitOptions};
use noether::likelihood::laplace::laplace;
use noether::likelihood::problems::{heat_e4, heat_f, heat_u};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "noether",
    version,
    about = "Learn linear differential operators from data with Gaussian processes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Learn α of the heat equation u_t − α u_xx = f (problem E4 of Raissi & Karniadakis 2017) from
    /// 20 + 20 noise-free points generated from the exact solution, and compare with the paper.
    Demo {
        /// Restarts after the initial values.
        #[arg(long, default_value_t = 2)]
        restarts: usize,
        /// Seed of the design and of the restarts.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

/// The value the authors report for problem E4 (Raissi & Karniadakis 2017, §4).
const PUBLISHED_ALPHA: f64 = 0.999943;

fn demo(restarts: usize, seed: u64) -> Result<(), String> {
    let mut model = heat_e4(20, 20, seed, 0.5).map_err(|e| e.to_string())?;
    eprintln!(
        "noether demo: u_t - a*u_xx = f, 20 u + 20 f points, SE kernel, {} starts",
        restarts + 1
    );
    let opts = FitOptions {
        restarts,
        seed,
        ..FitOptions::default()
    };
    let report = fit(&mut model, &opts, &mut |s| {
        eprintln!(
            "  start {}: NLML {:.6} after {} iterations ({} evaluations), {}",
            s.start, s.nlml, s.iterations, s.evaluations, s.termination
        )
    })
    .map_err(|e| e.to_string())?;
    let unc = laplace(&model, &report.best.values, &opts.jitter).map_err(|e| e.to_string())?;
    let a = model.index_of("a").map_err(|e| e.to_string())?;
    // Relative L2 errors of the posterior means of u and f on a 50 × 50 grid.
    let grid: Vec<f64> = (0..2500)
        .flat_map(|k| [(k / 50) as f64 / 49.0, (k % 50) as f64 / 49.0])
        .collect();
    let mut post = model
        .posterior(&report.best.values)
        .map_err(|e| e.to_string())?;
    let rel = |pred: &[f64], exact: &dyn Fn(f64, f64) -> f64| {
        let (mut num, mut den) = (0.0, 0.0);
        for (p, x) in pred.iter().zip(grid.chunks(2)) {
            let e = exact(x[0], x[1]);
            num += (p - e) * (p - e);
            den += e * e;
        }
        (num / den).sqrt()
    };
    let pu = post.predict("u", &grid, false).map_err(|e| e.to_string())?;
    let pf = post
        .predict("u_t - a*u_xx", &grid, false)
        .map_err(|e| e.to_string())?;
    let (eu, ef) = (rel(&pu.mean, &heat_u), rel(&pf.mean, &heat_f));
    eprintln!();
    eprintln!("  {:<22} {:>22} {:>12}", "quantity", "noether", "published");
    let se = unc.std_errors[a].map_or("not identifiable".to_string(), |s| format!("{s:.2e}"));
    eprintln!(
        "  {:<22} {:>22} {:>12}",
        "alpha",
        format!("{:.6} ± {se}", report.best.values[a]),
        PUBLISHED_ALPHA
    );
    eprintln!(
        "  {:<22} {:>22.2e} {:>12}",
        "rel. L2 error of u", eu, "1.25e-3"
    );
    eprintln!(
        "  {:<22} {:>22.2e} {:>12}",
        "rel. L2 error of f", ef, "4.17e-3"
    );
    if !report.best.converged {
        eprintln!(
            "  warning: the best start did not converge ({})",
            report.best.termination
        );
    }
    let params: serde_json::Map<String, serde_json::Value> = model
        .params()
        .iter()
        .zip(&unc.std_errors)
        .map(|(p, s)| {
            (
                p.name.clone(),
                serde_json::json!({"value": p.value, "std_error": s}),
            )
        })
        .collect();
    let out = serde_json::json!({
        "problem": "E4: u_t - a*u_xx = f, u = exp(-t) sin(2 pi x)",
        "nlml": report.best.nlml,
        "parameters": params,
        "published_alpha": PUBLISHED_ALPHA,
        "relative_l2_error": {"u": eu, "f": ef},
        "optimizer": {"starts": report.starts.len(), "evaluations": report.evaluations,
                      "converged": report.best.converged, "termination": report.best.termination,
                      "gradient_norm": report.best.gradient_norm},
        "jitter": report.best.jitter,
        "unidentifiable": unc.unidentifiable,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { restarts, seed } => demo(restarts, seed),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("noether: {e}");
            ExitCode::FAILURE
        }
    }
}
