//! The `noether` command line: fit a problem file, predict from a result, evaluate the NLML, and
//! run the demo on embedded data.

use clap::{Parser, Subcommand};
use noether::demos::heat;
use noether_infer::data::Table;
use noether_infer::{write_atomic, FitResult, InferError, Problem};
use noether_likelihood::fit::{Event, StartReport};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Progress and summaries go to stderr; if stderr is gone there is no one to tell, so a failed
/// write there is ignored rather than a panic (what `eprintln!` does).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "noether",
    version,
    about = "Learn the coefficients of linear differential operators from data with Gaussian processes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit a problem file: prints the result JSON (or writes it to --out) and progress to stderr.
    Fit {
        /// The problem file (JSON).
        problem: PathBuf,
        /// Write the result here, whole or not at all, instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Restarts after the initial values (overrides the file's `fit.restarts`).
        #[arg(long)]
        restarts: Option<usize>,
        /// Seed of the restarts (overrides the file's `fit.seed`).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// The posterior of a channel or of any operator (`u_x`, `u_t - a*u_xx`) at the points of a CSV.
    Predict {
        /// A result file written by `noether fit`.
        result: PathBuf,
        /// A channel name or an operator expression (a leading minus is fine: `-psi_x`).
        #[arg(long, allow_hyphen_values = true)]
        channel: String,
        /// A CSV whose header holds the input names.
        #[arg(long)]
        at: PathBuf,
        /// Write the predictions here (CSV), whole or not at all, instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The NLML and its gradient at the problem's initial values, as JSON.
    Nlml {
        /// The problem file (JSON).
        problem: PathBuf,
        /// Evaluate this many times and report the mean time per evaluation.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
    /// Learn a in u_t − a u_xx = f (problem E4 of Raissi & Karniadakis 2017) from embedded data
    /// and compare with the paper; writes the result and figures to --out.
    Demo {
        /// The folder for the result and the figures.
        #[arg(long, default_value = "noether-demo")]
        out: PathBuf,
        /// Restarts after the initial values.
        #[arg(long, default_value_t = 2)]
        restarts: usize,
        /// Seed of the design and of the restarts.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

fn show_start(e: Event) {
    if let Event::Start(s) = e {
        show_start_report(s);
    }
}

fn show_start_report(s: &StartReport) {
    let init = s
        .initial_nlml
        .map_or("not evaluable".to_string(), |v| format!("{v:.6}"));
    say!(
        "  start {} ({}): NLML {init} -> {:.6} in {} iterations, {} evaluations; {}",
        s.start,
        s.origin,
        s.nlml,
        s.iterations,
        s.evaluations,
        s.termination
    );
}

fn summary(r: &FitResult) {
    let se = |e: &noether_infer::Estimate| match (e.fixed, e.std_error) {
        (true, _) => "fixed".to_string(),
        (false, Some(s)) => format!("{s:.3e}"),
        (false, None) => "not identifiable".to_string(),
    };
    say!(
        "\n  {:<28} {:>16} {:>18}",
        "parameter",
        "value",
        "standard error"
    );
    for (n, e) in &r.parameters {
        say!("  {n:<28} {:>16.8} {:>18}", e.value, se(e));
    }
    for (l, ps) in &r.kernels {
        for (n, e) in ps {
            say!(
                "  {:<28} {:>16.6e} {:>18}",
                format!("{l}.{n}"),
                e.value,
                se(e)
            );
        }
    }
    for (c, e) in &r.noise {
        say!(
            "  {:<28} {:>16.6e} {:>18}",
            format!("noise.{c}"),
            e.value,
            se(e)
        );
    }
    say!("  NLML {:.6}; jitter {:e}", r.nlml, r.jitter);
    if !r.optimizer.converged {
        say!("  warning: best start: {}", r.optimizer.termination);
    }
    if !r.unidentifiable.is_empty() {
        say!(
            "  note: the data cannot identify {}",
            r.unidentifiable.join(", ")
        );
    }
    for n in &r.notes {
        say!("  note: {n}");
    }
    if let Some(n) = &r.optimizer.start_note {
        say!(
            "  start {} ({}) won; data-driven start: {n}",
            r.optimizer.best_start,
            r.optimizer.best_origin
        );
    }
}

fn emit(out: Option<&Path>, text: &str) -> Result<(), InferError> {
    use std::io::Write as _;
    match out {
        Some(p) => write_atomic(p, text.as_bytes()),
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes())
                .and_then(|_| o.flush())
                .map_err(|e| InferError::Io {
                    path: "standard output".into(),
                    message: e.to_string(),
                })
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("results serialise") + "\n"
}

fn fit(
    path: &Path,
    out: Option<&Path>,
    restarts: Option<usize>,
    seed: Option<u64>,
) -> Result<(), InferError> {
    // A result file refits from its fitted values: its problem holds them as initial values.
    let mut problem = if is_result(path) {
        let mut p = FitResult::from_file(path)?.problem;
        p.fit.start = noether_likelihood::fit::StartFrom::Initial;
        say!(
            "{} is a result: refitting from its fitted values",
            path.display()
        );
        p
    } else {
        Problem::from_file(path)?
    };
    if let Some(r) = restarts {
        problem.fit.restarts = r;
    }
    if let Some(s) = seed {
        problem.fit.seed = s;
    }
    problem.validate()?;
    let starts = problem.fit.restarts.saturating_add(1);
    say!(
        "noether fit {}: {starts} start{}",
        path.display(),
        if starts == 1 { "" } else { "s" }
    );
    let fitted = problem.fit_with(&mut show_start)?;
    let result = fitted.result();
    summary(&result);
    emit(out, &json(&result))
}

fn predict(result: &Path, target: &str, at: &Path, out: Option<&Path>) -> Result<(), InferError> {
    if top_level_keys(result).is_some_and(|k| k.contains(&"channels".to_string())) {
        return Err(InferError::Field {
            field: result.display().to_string(),
            message: format!(
                "this is a problem file, not a result: fit it first (`noether fit {} --out result.json`), then predict from result.json",
                result.display()
            ),
        });
    }
    let r = FitResult::from_file(result)?;
    let table = Table::read(at)?;
    if table.rows.is_empty() {
        return Err(InferError::Field {
            field: table.path.clone(),
            message: "no points to predict at: the file has a header and no rows".into(),
        });
    }
    let points = table.points(&r.problem.inputs)?;
    let p = r.problem.predict(target, &points).map_err(|e| match e {
        InferError::Model {
            source: source @ noether_likelihood::LikelihoodError::NonFinitePrediction { point, .. },
            ..
        } => InferError::Field {
            field: format!(
                "{}, row {}",
                table.path,
                table.lines.get(point).copied().unwrap_or(point + 2)
            ),
            message: source.to_string(),
        },
        e => e,
    })?;
    let d = r.problem.inputs.len();
    let mut csv = format!("{},mean,std\n", r.problem.inputs.join(","));
    for (k, pt) in points.chunks(d).enumerate() {
        let coords: Vec<String> = pt.iter().map(|v| v.to_string()).collect();
        csv += &format!(
            "{},{},{}\n",
            coords.join(","),
            p.mean[k],
            p.variance[k].sqrt()
        );
    }
    emit(out, &csv)
}

/// The keys of a JSON file's top-level object, if it is one (a problem has `channels`, a result
/// `problem` and `nlml`).
fn top_level_keys(path: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(v.as_object()?.keys().cloned().collect())
}

fn is_result(path: &Path) -> bool {
    top_level_keys(path)
        .is_some_and(|k| k.iter().any(|x| x == "problem") && k.iter().any(|x| x == "nlml"))
}

/// The most evaluations `nlml --repeat` makes.
const MAX_REPEAT: usize = 100_000;

fn nlml(path: &Path, repeat: usize) -> Result<(), InferError> {
    if repeat == 0 || repeat > MAX_REPEAT {
        return Err(InferError::Field {
            field: "--repeat".into(),
            message: format!("must be from 1 to {MAX_REPEAT}, got {repeat}"),
        });
    }
    let report = Problem::from_file(path)?.nlml(repeat)?;
    emit(None, &json(&report))
}

fn demo(out: &Path, restarts: usize, seed: u64) -> Result<(), InferError> {
    say!("noether demo: u_t - a*u_xx = f (problem E4), 20 u + 20 f noise-free points, SE kernel, {} starts", restarts + 1);
    let r = heat::run(restarts, seed, 50, &mut show_start)?;
    // The folder's result and figures are written whole or not at all: on a failure part-way,
    // what this run wrote is removed again.
    let existed = out.exists();
    let listing = |d: &Path| -> std::collections::BTreeSet<PathBuf> {
        std::fs::read_dir(d)
            .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    };
    let before = listing(out);
    let written = (|| {
        std::fs::create_dir_all(out).map_err(|e| InferError::Io {
            path: out.display().to_string(),
            message: e.to_string(),
        })?;
        let result = r.fitted.result();
        write_atomic(&out.join("result.json"), json(&result).as_bytes())?;
        let figures = heat::figures(&r, out)?;
        Ok::<_, InferError>((result, figures))
    })();
    let (result, figures) = match written {
        Ok(w) => w,
        Err(e) => {
            if existed {
                for p in listing(out).difference(&before) {
                    let _ = std::fs::remove_file(p);
                }
            } else {
                let _ = std::fs::remove_dir_all(out);
            }
            return Err(e);
        }
    };
    say!(
        "\n  {:<34} {:>22} {:>12}",
        "quantity",
        "noether",
        "published"
    );
    let se = r
        .a_std_error
        .map_or("not identifiable".into(), |s| format!("{s:.2e}"));
    say!(
        "  {:<34} {:>22} {:>12}",
        "a",
        format!("{:.6} ± {se}", r.a),
        heat::PUBLISHED_A
    );
    say!(
        "  {:<34} {:>22.2e} {:>12.2e}",
        "relative L2 error of u, 50 × 50",
        r.error_u,
        heat::PUBLISHED_ERRORS.0
    );
    say!(
        "  {:<34} {:>22.2e} {:>12.2e}",
        "relative L2 error of f, 50 × 50",
        r.error_f,
        heat::PUBLISHED_ERRORS.1
    );
    if !result.optimizer.converged {
        say!("  note: {}", result.optimizer.termination);
    }
    say!(
        "\n  wrote {} and {}",
        out.join("result.json").display(),
        figures.join(", ")
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = match &cli.command {
        Command::Fit {
            problem,
            out,
            restarts,
            seed,
        } => fit(problem, out.as_deref(), *restarts, *seed).map_err(|e| e.in_file(problem)),
        Command::Predict {
            result,
            channel,
            at,
            out,
        } => predict(result, channel, at, out.as_deref()),
        Command::Nlml { problem, repeat } => nlml(problem, *repeat).map_err(|e| e.in_file(problem)),
        Command::Demo {
            out,
            restarts,
            seed,
        } => demo(out, *restarts, *seed),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("noether: {e}");
            ExitCode::FAILURE
        }
    }
}
