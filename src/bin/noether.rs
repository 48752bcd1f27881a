//! The `noether` command line: fit a problem file, predict from a result, evaluate the NLML, and
//! run the demo on embedded data.

use clap::{Parser, Subcommand};
use noether::demos::heat;
use noether::progress::{say, Progress, Show};
use noether_infer::data::Table;
use noether_infer::format::number;
use noether_infer::formula::Formula;
use noether_infer::grid::{parse_axes, Axis, Grid};
use noether_infer::plot::{bands, fields, Band, Field, Frame, Marks};
use noether_infer::{FitResult, InferError, Prediction, Problem};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Progress and summaries go to stderr; if stderr is gone there is no one to tell, so a failed
/// write there is ignored rather than a panic (what `eprintln!` does).
macro_rules! say {
    ($($t:tt)*) => {
        say(&format!($($t)*))
    };
}

#[derive(Parser)]
#[command(
    name = "noether",
    version,
    about = "Learn the coefficients of linear differential operators from data with Gaussian processes"
)]
struct Cli {
    /// Show nothing on stderr but errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also show every iteration's parameter values, by name.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit a problem file (or refit a result from its fitted values): prints the result JSON (or
    /// writes it to --out), progress and a summary to stderr.
    Fit {
        /// The problem file (JSON), or a result file to refit.
        problem: PathBuf,
        /// Write the result here, whole or not at all, instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Restarts after the first start (overrides the file's `fit.restarts`).
        #[arg(long)]
        restarts: Option<usize>,
        /// Seed of the restarts and of the sampler (overrides the file's `fit.seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// With `fit.method: "nuts"`: write every posterior draw here (CSV: chain, draw, one
        /// column per sampled parameter), whole or not at all.
        #[arg(long)]
        draws: Option<PathBuf>,
        /// With a Hilbert-space basis: fit from these merged statistics (`noether stats`, `noether
        /// merge`) instead of a pass over the data.
        #[arg(long)]
        stats: Option<PathBuf>,
    },
    /// With a Hilbert-space basis (`"approximation": {"basis": M}`): the sums over rows A:B of
    /// every channel's data, for a sharded fit (`noether merge`, then `noether fit --stats`).
    Stats {
        /// The problem file (JSON).
        problem: PathBuf,
        /// The rows, `A:B` (from A up to, not including, B; 0 is the first data row).
        #[arg(long)]
        rows: String,
        /// Write the statistics here, whole or not at all.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add the statistics of shards of one problem (disjoint rows).
    Merge {
        /// The shards' statistics files.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Write the merged statistics here, whole or not at all.
        #[arg(long)]
        out: PathBuf,
    },
    /// The posterior of a channel or of any operator (`u_x`, `u_t - a*u_xx`) at the points of a
    /// CSV (`--at`) or on a grid (`--grid`). Predictions exclude observation noise unless
    /// `--with-noise`.
    #[command(group(clap::ArgGroup::new("points").required(true).args(["at", "grid"])))]
    Predict {
        /// A result file written by `noether fit`.
        result: PathBuf,
        /// What to predict: a channel name, an operator (`u_x`, a leading minus is fine: `-psi_x`)
        /// or a field latent (all its components); `NAME=EXPR` names the output columns. Repeat
        /// for several: columns `NAME.mean,NAME.std` for each, in order.
        #[arg(long = "channel", allow_hyphen_values = true, required = true)]
        channels: Vec<String>,
        /// Write the joint posterior covariance of every predicted value here (CSV).
        #[arg(long)]
        cov: Option<PathBuf>,
        /// Add this many joint posterior samples as columns `NAME.sample1`, … (seeded).
        #[arg(long)]
        samples: Option<usize>,
        /// Seed of the samples.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// A CSV whose header holds the input names; `-` reads it from standard input.
        #[arg(long)]
        at: Option<PathBuf>,
        /// A grid instead of a CSV: `t=0:1:50,x=0:1:50` (NAME=FROM:TO:COUNT or NAME=VALUE for
        /// every input).
        #[arg(long, allow_hyphen_values = true)]
        grid: Option<String>,
        /// Add the channel's fitted noise variance to the predictive variance (the spread of a
        /// new observation rather than of the latent quantity).
        #[arg(long)]
        with_noise: bool,
        /// Write the predictions here (CSV), whole or not at all, instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Draw the posterior of a channel or operator: over one input, the mean with a ± 2 std band
    /// and the data observing it; over two, heat maps of mean and std with the training points.
    Plot {
        /// A result file written by `noether fit`.
        result: PathBuf,
        /// A channel name or an operator expression.
        #[arg(long, allow_hyphen_values = true)]
        channel: String,
        /// Ranges of the inputs to plot over (default: the data's range, 200 points for one
        /// input, 60 × 60 for two): `x=0:1:100`.
        #[arg(long, allow_hyphen_values = true)]
        grid: Option<String>,
        /// Values for the other inputs: `z=0.5,w=1`.
        #[arg(long, allow_hyphen_values = true)]
        fix: Option<String>,
        /// The exact solution, as a formula of the inputs, for synthetic problems:
        /// `exp(-t)*sin(2*pi*x)`.
        #[arg(long, allow_hyphen_values = true)]
        truth: Option<String>,
        /// The figure: PNG, or SVG by the extension (default: the channel's name, `.png`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Roll the fitted posterior-mean dynamics forward from a state: a hamiltonian field's flow
    /// (with the learned energy at every step), or the named velocity of every input.
    Rollout {
        /// A result file written by `noether fit`.
        result: PathBuf,
        /// The initial state, every input: `q=1,p=0`.
        #[arg(long, allow_hyphen_values = true)]
        from: String,
        /// The step size.
        #[arg(long, allow_hyphen_values = true)]
        dt: f64,
        /// The number of steps.
        #[arg(long)]
        steps: usize,
        /// leapfrog, implicit-midpoint (the default for a hamiltonian field) or rk4 (otherwise).
        #[arg(long)]
        method: Option<String>,
        /// The velocity of an input as a channel or operator, `q=fq` (repeat for each input);
        /// not needed for a hamiltonian field.
        #[arg(long = "velocity", allow_hyphen_values = true)]
        velocities: Vec<String>,
        /// Write the trajectory here (CSV: step, t, the inputs, the energy), whole or not at all,
        /// instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The NLML (negative log marginal likelihood) and its gradient at the problem's initial
    /// values, as JSON.
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
        /// Restarts after the first start.
        #[arg(long, default_value_t = 2)]
        restarts: usize,
        /// Seed of the design and of the restarts.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

/// How the user asked to be told things.
#[derive(Clone, Copy)]
struct Voice {
    quiet: bool,
    verbose: bool,
}

impl Voice {
    fn progress(self, label: &str) -> Progress {
        Progress::new(label, Show::for_stderr(self.quiet), self.verbose)
    }

    fn say(self, text: &str) {
        if !self.quiet {
            say(text);
        }
    }
}

/// The fitted values with their standard errors, and what the user should know about the fit.
fn summary(r: &FitResult) -> Vec<String> {
    let se = |e: &noether_infer::Estimate| match (e.fixed, e.std_error) {
        (true, _) => "fixed".to_string(),
        (false, Some(s)) => number(s, 4),
        (false, None) => "not identifiable".to_string(),
    };
    let sampled = r.sampling.is_some();
    let mut out = vec![if sampled {
        format!(
            "\n  {:<28} {:>14} {:>18} {:>14} {:>12} {:>25} {:>7} {:>6} {:>6}",
            "parameter",
            "optimum",
            "Laplace error",
            "posterior mean",
            "sd",
            "95 % interval",
            "R-hat",
            "ESS b",
            "ESS t"
        )
    } else {
        format!(
            "\n  {:<28} {:>14} {:>18}",
            "parameter", "value", "standard error"
        )
    }];
    let mut row = |name: String, e: &noether_infer::Estimate| {
        let mut line = format!("  {name:<28} {:>14} {:>18}", number(e.value, 6), se(e));
        if let Some(p) = &e.posterior {
            line += &format!(
                " {:>14} {:>12} {:>25} {:>7.3} {:>6.0} {:>6.0}",
                number(p.mean, 6),
                number(p.sd, 3),
                format!(
                    "[{}, {}]",
                    number(p.interval95[0], 4),
                    number(p.interval95[1], 4)
                ),
                p.rhat,
                p.ess_bulk,
                p.ess_tail
            );
        }
        out.push(line);
    };
    for (n, e) in &r.parameters {
        row(n.clone(), e);
    }
    for (l, ps) in &r.kernels {
        for (n, e) in ps {
            row(format!("{l}.{n}"), e);
        }
    }
    for (c, e) in &r.noise {
        row(format!("noise.{c}"), e);
    }
    out.push(format!(
        "  NLML {}; jitter {}",
        number(r.nlml, 8),
        number(r.jitter, 2)
    ));
    if let Some((per, c)) = r.approximation.as_ref().and_then(|a| a.basis.as_ref()) {
        out.push(format!(
            "  approximation: the Hilbert-space basis, {} functions ({} per input) on the box {} × the data's half-range{}",
            per.iter().product::<usize>(),
            per.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" × "),
            c.iter().map(|v| number(*v, 3)).collect::<Vec<_>>().join(" × "),
            r.approximation.as_ref().and_then(|a| a.exact_nlml).map_or(String::new(), |e| format!(
                "; the exact NLML at these values is {}",
                number(e, 8)
            ))
        ));
    } else if let Some(a) = &r.approximation {
        out.push(format!(
            "  approximation: {} inducing values; the NLML above is the variational bound{}",
            a.inducing_values,
            a.exact_nlml.map_or(String::new(), |e| format!(
                "; the exact NLML at these values is {} ({} below)",
                number(e, 8),
                number(a.bound - e, 3)
            ))
        ));
    }
    if let Some(sm) = &r.sampling {
        out.push(format!(
            "  sampling: {}; {} chains × {} draws after {} warm-up; {} gradient evaluations in {} s ({} draws/s); divergences {}; E-BFMI {}",
            sm.sampler,
            sm.chains,
            sm.draws,
            sm.warmup,
            sm.gradient_evaluations,
            number(sm.seconds, 3),
            number(sm.draws_per_second, 3),
            sm.divergences.iter().sum::<usize>(),
            sm.ebfmi.iter().map(|e| number(*e, 2)).collect::<Vec<_>>().join(", ")
        ));
        out.push(format!(
            "  predictions from this result mix {} thinned draws",
            sm.mixture.values.len()
        ));
        for w in &sm.warnings {
            out.push(format!("  warning: {w}"));
        }
    }
    if !r.optimizer.converged {
        out.push(format!(
            "  warning: best start: {}",
            r.optimizer.termination
        ));
    }
    if !r.unidentifiable.is_empty() {
        out.push(format!(
            "  note: the data cannot identify {}",
            r.unidentifiable.join(", ")
        ));
    }
    for n in &r.notes {
        out.push(format!("  note: {n}"));
    }
    if let Some(n) = &r.optimizer.start_note {
        out.push(format!(
            "  start {} ({}) won; data-driven start: {n}",
            r.optimizer.best_start, r.optimizer.best_origin
        ));
    }
    out
}

fn emit(out: Option<&Path>, text: &str) -> Result<(), InferError> {
    use std::io::Write as _;
    match out {
        Some(p) => noether_infer::write_atomic(p, text.as_bytes()),
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

/// `noether stats`: one shard's sums.
fn stats(path: &Path, rows: &str, out: &Path, voice: Voice) -> Result<(), InferError> {
    let bad = || InferError::Field {
        field: "--rows".into(),
        message: format!("`{rows}` is not A:B (two whole numbers, A < B)"),
    };
    let (a, b) = rows.split_once(':').ok_or_else(bad)?;
    let (a, b): (usize, usize) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    let problem = Problem::from_file(path)?;
    let t = std::time::Instant::now();
    let s = problem.stats(a, b)?;
    s.save(out)?;
    voice.say(&format!(
        "noether stats {}: rows {a}:{} of {} channel{} ({} functions) in {} s -> {}",
        path.display(),
        s.rows[0][1],
        s.sums.len(),
        if s.sums.len() == 1 { "" } else { "s" },
        s.per_input.iter().product::<usize>(),
        number(t.elapsed().as_secs_f64(), 3),
        out.display()
    ));
    Ok(())
}

/// `noether merge`: add shards.
fn merge(parts: &[PathBuf], out: &Path, voice: Voice) -> Result<(), InferError> {
    let read = parts
        .iter()
        .map(|p| Ok((p.display().to_string(), noether_infer::Stats::from_file(p)?)))
        .collect::<Result<Vec<_>, InferError>>()?;
    let m = noether_infer::Stats::merge(&read)?;
    m.save(out)?;
    voice.say(&format!(
        "noether merge: {} shards, rows {} -> {}",
        parts.len(),
        m.rows
            .iter()
            .map(|r| format!("{}:{}", r[0], r[1]))
            .collect::<Vec<_>>()
            .join(", "),
        out.display()
    ));
    Ok(())
}

fn fit(
    path: &Path,
    out: Option<&Path>,
    restarts: Option<usize>,
    seed: Option<u64>,
    draws: Option<&Path>,
    stats: Option<&Path>,
    voice: Voice,
) -> Result<(), InferError> {
    // A result file refits from its fitted values: its problem holds them as initial values.
    let mut problem = if is_result(path) {
        let r = FitResult::from_file(path)?;
        for c in r.data_changes() {
            voice.say(&format!("warning: {c}"));
        }
        let mut p = r.problem;
        p.fit.start = noether_likelihood::fit::StartFrom::Initial;
        voice.say(&format!(
            "{} is a result: refitting from its fitted values",
            path.display()
        ));
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
    let sampling = problem.fit.method == noether_likelihood::sample::Method::Nuts;
    if draws.is_some() && !sampling {
        return Err(InferError::Field {
            field: "--draws".into(),
            message:
                "there are draws only with \"fit\": {\"method\": \"nuts\"} in the problem file"
                    .into(),
        });
    }
    let merged = stats.map(noether_infer::Stats::from_file).transpose()?;
    if let (Some(s), Some(p)) = (&merged, stats) {
        problem.check_stats(s, &p.display().to_string())?;
    }
    let starts = problem.fit.restarts.saturating_add(1);
    voice.say(&format!(
        "noether fit {}: {starts} start{}",
        path.display(),
        if starts == 1 { "" } else { "s" }
    ));
    for line in problem
        .describe_fields()
        .into_iter()
        .chain(problem.describe_conditions())
        .chain(
            problem
                .condition_warnings()
                .into_iter()
                .map(|w| format!("warning: {w}")),
        )
    {
        voice.say(&format!("  {line}"));
    }
    let mut progress = voice.progress(&path.display().to_string());
    let fitted = match (&merged, stats) {
        (Some(s), Some(p)) => {
            problem.fit_with_stats(s, &p.display().to_string(), &mut |e| progress.event(e))
        }
        _ => problem.fit_with(&mut |e| progress.event(e)),
    };
    progress.finish();
    let fitted = fitted?;
    let result = fitted.result();
    if let (Some(path), Some(d)) = (draws, &fitted.draws) {
        let mut text = format!(
            "chain,draw,{}\n",
            d.names
                .iter()
                .map(|n| csv_field(n))
                .collect::<Vec<_>>()
                .join(",")
        );
        for (c, chain) in d.chains.iter().enumerate() {
            for (i, v) in chain.iter().enumerate() {
                let row: Vec<String> = v.iter().map(|x| x.to_string()).collect();
                text += &format!("{c},{i},{}\n", row.join(","));
            }
        }
        noether_infer::write_atomic(path, text.as_bytes())?;
    }
    for line in summary(&result) {
        voice.say(&line);
    }
    match out {
        Some(o) => result.save(o),
        None => {
            let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            emit(None, &result.relative_to(&here).to_json())
        }
    }
}

/// A result file, refusing a problem file with what to run instead; warns of data files that
/// changed since the fit.
fn load_result(path: &Path, voice: Voice) -> Result<FitResult, InferError> {
    if top_level_keys(path).is_some_and(|k| k.contains(&"channels".to_string())) {
        return Err(InferError::Field {
            field: path.display().to_string(),
            message: format!(
                "this is a problem file, not a result: fit it first (`noether fit {} --out result.json`), then use result.json",
                path.display()
            ),
        });
    }
    let r = FitResult::from_file(path)?;
    for c in r.data_changes() {
        voice.say(&format!("warning: {c}"));
    }
    Ok(r)
}

/// The posterior of `target` at `points`, a non-finite value named by where its point came from.
fn posterior(
    r: &FitResult,
    target: &str,
    points: &[f64],
    place: &dyn Fn(usize) -> String,
) -> Result<Prediction, InferError> {
    r.predict(target, points)
        .map_err(|e| nonfinite_at(e, place))
}

/// A non-finite prediction named by where its point came from (`at.csv, row 3`).
fn nonfinite_at(e: InferError, place: &dyn Fn(usize) -> String) -> InferError {
    match e {
        InferError::Model {
            source: source @ noether_likelihood::LikelihoodError::NonFinitePrediction { point, .. },
            ..
        } => InferError::Field {
            field: place(point),
            message: source.to_string(),
        },
        e => e,
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (an operator such as
/// `d(v[x], x)` as a column name).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// What `noether predict` is asked for, besides the points.
struct Request<'a> {
    channels: &'a [String],
    cov: Option<&'a Path>,
    samples: Option<usize>,
    seed: u64,
    with_noise: bool,
}

/// The most joint samples `--samples` draws.
const MAX_SAMPLES: usize = 10_000;
/// The most values a joint covariance (`--cov`, `--samples`) may cover: its matrix is this squared.
const MAX_JOINT: usize = 10_000;

fn predict(
    result: &Path,
    req: &Request,
    at: Option<&Path>,
    grid: Option<&str>,
    out: Option<&Path>,
    voice: Voice,
) -> Result<(), InferError> {
    let r = load_result(result, voice)?;
    let inputs = &r.problem.inputs;
    // NAME=EXPR names the columns; an operator has no `=`.
    let mut named: Vec<(Option<String>, String)> = Vec::new();
    for c in req.channels {
        match c.split_once('=') {
            Some((n, e)) => {
                let n = n.trim();
                let ok = n.chars().next().is_some_and(|f| f.is_ascii_alphabetic())
                    && n.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.');
                if !ok || e.trim().is_empty() {
                    return Err(InferError::Field {
                        field: "--channel".into(),
                        message: format!("`{c}`: write NAME=EXPR with a name of letters, digits, `_` and `.`, or just EXPR"),
                    });
                }
                if named.iter().any(|(m, _)| m.as_deref() == Some(n)) {
                    return Err(InferError::Field {
                        field: "--channel".into(),
                        message: format!("the column name `{n}` is given twice"),
                    });
                }
                named.push((Some(n.to_string()), e.trim().to_string()));
            }
            None => named.push((None, c.trim().to_string())),
        }
    }
    if let Some(k) = req.samples {
        if k == 0 || k > MAX_SAMPLES {
            return Err(InferError::Field {
                field: "--samples".into(),
                message: format!("must be from 1 to {MAX_SAMPLES}, got {k}"),
            });
        }
    }
    let noise_of = |target: &str| -> Result<f64, InferError> {
        if !req.with_noise {
            return Ok(0.0);
        }
        let Some(c) = r.problem.channels.iter().find(|c| c.name == target) else {
            return Err(InferError::Field {
                field: "--with-noise".into(),
                message: format!(
                    "`{target}` is not a channel, so it has no noise variance; name a channel ({})",
                    r.problem
                        .channels
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        };
        Ok(r.noise.get(&c.name).map_or(0.0, |e| e.value))
    };
    let noises = named
        .iter()
        .map(|(_, e)| noise_of(e))
        .collect::<Result<Vec<_>, _>>()?;
    let (points, place): (Vec<f64>, Box<dyn Fn(usize) -> String>) = match (at, grid) {
        (_, Some(spec)) => {
            let g = Grid::new(inputs, &parse_axes(spec, "--grid")?, "--grid")?;
            let pts = g.points();
            let d = inputs.len();
            let shown = pts.clone();
            (
                pts,
                Box::new(move |k| {
                    let p: Vec<String> = shown[k * d..(k + 1) * d]
                        .iter()
                        .map(|v| v.to_string())
                        .collect();
                    format!("--grid, point ({})", p.join(", "))
                }),
            )
        }
        (Some(at), None) => {
            let table = if at == Path::new("-") {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
                    InferError::Io {
                        path: "standard input".into(),
                        message: e.to_string(),
                    }
                })?;
                Table::parse(&text, "standard input")?
            } else {
                Table::read(at)?
            };
            if table.rows.is_empty() {
                return Err(InferError::Field {
                    field: table.path.clone(),
                    message: "no points to predict at: the file has a header and no rows".into(),
                });
            }
            let pts = table.points(inputs)?;
            (
                pts,
                Box::new(move |k| {
                    format!(
                        "{}, row {}",
                        table.path,
                        table.lines.get(k).copied().unwrap_or(k + 2)
                    )
                }),
            )
        }
        (None, None) => unreachable!("clap requires --at or --grid"),
    };
    let d = inputs.len();
    let m = points.len() / d.max(1);
    let exprs: Vec<&str> = named.iter().map(|(_, e)| e.as_str()).collect();
    // Every predicted quantity: its column label, mean, std, whether it is zero by
    // construction; labels of a field's components follow the field's given name.
    let mut columns: Vec<(String, Vec<f64>, Vec<f64>, bool)> = Vec::new();
    let joint = req.cov.is_some() || req.samples.is_some();
    let mut draws: Vec<Vec<f64>> = Vec::new();
    let relabel = |label: &str, expr: &str, name: &Option<String>| match name {
        Some(n) => match label.strip_prefix(expr) {
            Some(rest) => format!("{n}{rest}"),
            None => n.clone(),
        },
        None => label.to_string(),
    };
    if joint {
        let labels_of: Vec<Vec<(String, String)>> = named
            .iter()
            .map(|(_, e)| r.problem.prediction_targets(e))
            .collect::<Result<_, _>>()?;
        let total: usize = labels_of.iter().map(Vec::len).sum::<usize>() * m;
        if total > MAX_JOINT {
            return Err(InferError::Field {
                field: if req.cov.is_some() { "--cov" } else { "--samples" }.into(),
                message: format!(
                    "a joint covariance of {total} values (quantities × points) is too large; at most {MAX_JOINT}: predict at fewer points"
                ),
            });
        }
        let (labels, jp) = r
            .predict_joint(&exprs, &points)
            .map_err(|e| nonfinite_at(e, &place))?;
        let mut k = 0;
        for (((name, expr), noise), parts) in named.iter().zip(&noises).zip(&labels_of) {
            for _ in parts {
                let mean = jp.mean[k * m..(k + 1) * m].to_vec();
                let std = (0..m)
                    .map(|j| (jp.std(k, j).powi(2) + noise).sqrt())
                    .collect();
                columns.push((relabel(&labels[k], expr, name), mean, std, jp.zero[k]));
                k += 1;
            }
        }
        if let Some(c) = req.cov {
            let heads: Vec<String> = columns
                .iter()
                .flat_map(|col| (1..=m).map(move |j| format!("{}@{j}", col.0)))
                .collect();
            let n = heads.len();
            let heads: Vec<String> = heads.iter().map(|h| csv_field(h)).collect();
            let mut text = format!("row,{}\n", heads.join(","));
            for (i, h) in heads.iter().enumerate() {
                let row: Vec<String> = jp.covariance[i * n..(i + 1) * n]
                    .iter()
                    .map(|v| v.to_string())
                    .collect();
                text += &format!("{h},{}\n", row.join(","));
            }
            noether_infer::write_atomic(c, text.as_bytes())?;
        }
        if let Some(count) = req.samples {
            draws = jp
                .samples(count, req.seed)
                .map_err(|source| InferError::Model {
                    context: "joint samples".into(),
                    source,
                })?;
        }
    } else {
        let each = r
            .predict_each(&exprs, &points)
            .map_err(|e| nonfinite_at(e, &place))?;
        let mut it = each.into_iter();
        for ((name, expr), noise) in named.iter().zip(&noises) {
            for _ in r.problem.prediction_targets(expr)? {
                let (label, p) = it.next().expect("one prediction per target");
                let std = p.variance.iter().map(|v| (v + noise).sqrt()).collect();
                columns.push((relabel(&label, expr, name), p.mean, std, p.zero));
            }
        }
    }
    for col in &columns {
        if col.3 {
            voice.say(&format!(
                "note: `{}` is zero by construction (the operator simplifies to 0 on every latent): its mean and std are exactly 0",
                col.0
            ));
        }
    }
    // One unnamed scalar quantity keeps the plain `mean,std` columns, unless an input has one
    // of their names: then they are `QUANTITY.mean`, `QUANTITY.std` as for several quantities.
    let plain = columns.len() == 1
        && named[0].0.is_none()
        && !inputs
            .iter()
            .any(|i| i == "mean" || i == "std" || i.starts_with("sample"));
    let mut heads: Vec<String> = inputs.clone();
    for col in &columns {
        if plain {
            heads.extend(["mean".to_string(), "std".to_string()]);
        } else {
            heads.extend([format!("{}.mean", col.0), format!("{}.std", col.0)]);
        }
    }
    for col in &columns {
        for s in 1..=draws.len() {
            heads.push(if plain {
                format!("sample{s}")
            } else {
                format!("{}.sample{s}", col.0)
            });
        }
    }
    unique_columns(
        &heads,
        "--channel",
        "each --channel once, and name one that clashes (--channel NAME=EXPR)",
    )?;
    let heads: Vec<String> = heads.iter().map(|h| csv_field(h)).collect();
    let mut csv = heads.join(",") + "\n";
    for (j, pt) in points.chunks(d).enumerate() {
        let mut row: Vec<String> = pt.iter().map(|v| v.to_string()).collect();
        for col in &columns {
            row.push(col.1[j].to_string());
            row.push(col.2[j].to_string());
        }
        for k in 0..columns.len() {
            for draw in &draws {
                row.push(draw[k * m + j].to_string());
            }
        }
        csv += &(row.join(",") + "\n");
    }
    emit(out, &csv)
}

/// The first of `candidates` that is not `taken`, or the last one with `_` appended until it
/// is free.
fn fresh(candidates: &[&str], taken: &[String]) -> String {
    let free = |c: &str| !taken.iter().any(|t| t == c);
    if let Some(c) = candidates.iter().find(|c| free(c)) {
        return (*c).to_string();
    }
    let mut c = candidates.last().map_or("column", |c| c).to_string();
    while !free(&c) {
        c.push('_');
    }
    c
}

/// Refuse a CSV whose header names a column twice: the first repeated name, and `fix`.
fn unique_columns(heads: &[String], field: &str, fix: &str) -> Result<(), InferError> {
    for (k, h) in heads.iter().enumerate() {
        if let Some(j) = heads[..k].iter().position(|g| g == h) {
            return Err(InferError::Field {
                field: field.into(),
                message: format!(
                    "the output would have two columns named `{h}` (columns {} and {}): {fix}",
                    j + 1,
                    k + 1
                ),
            });
        }
    }
    Ok(())
}

/// A channel's points (row-major) and observations.
type ChannelData = (Vec<f64>, Vec<f64>);

/// Each input's (smallest, largest) value.
type Ranges = Vec<(f64, f64)>;

/// The smallest and largest value of each input over every channel's data, rounded out, and the
/// data.
fn data_ranges(r: &FitResult) -> Result<(Ranges, Vec<ChannelData>), InferError> {
    let d = r.problem.inputs.len();
    let mut ranges = vec![(f64::INFINITY, f64::NEG_INFINITY); d];
    let mut data = Vec::new();
    for i in 0..r.problem.channels.len() {
        let (x, y) = r.problem.channel_data(i)?;
        for p in x.chunks(d) {
            for (k, v) in p.iter().enumerate() {
                ranges[k] = (ranges[k].0.min(*v), ranges[k].1.max(*v));
            }
        }
        data.push((x, y));
    }
    for r in &mut ranges {
        if r.0.partial_cmp(&r.1) != Some(std::cmp::Ordering::Less) {
            let c = if r.0.is_finite() { r.0 } else { 0.0 };
            *r = (c - 0.5, c + 0.5);
        }
        // Out to round values: [0.0117, 0.989] is shown as [0, 1].
        let t = noether_infer::format::ticks(r.0, r.1, 5);
        if let [a, b, ..] = t[..] {
            let step = b - a;
            *r = ((r.0 / step).floor() * step, (r.1 / step).ceil() * step);
        }
    }
    Ok((ranges, data))
}

fn plot(
    result: &Path,
    target: &str,
    grid: Option<&str>,
    fix: Option<&str>,
    truth: Option<&str>,
    out: Option<&Path>,
    voice: Voice,
) -> Result<(), InferError> {
    let r = load_result(result, voice)?;
    let inputs = r.problem.inputs.clone();
    let mut axes: Vec<Axis> = match grid {
        Some(g) => parse_axes(g, "--grid")?,
        None => vec![],
    };
    if let Some(f) = fix {
        for a in parse_axes(f, "--fix")? {
            if a.count != 1 {
                return Err(InferError::Field {
                    field: "--fix".into(),
                    message: format!(
                        "`{}` takes one value (`{}=0.5`); ranges go in --grid",
                        a.input, a.input
                    ),
                });
            }
            if axes.iter().any(|b| b.input == a.input) {
                return Err(InferError::Field {
                    field: "--fix".into(),
                    message: format!("`{}` is also in --grid", a.input),
                });
            }
            axes.push(a);
        }
    }
    // Names are checked before any data are read.
    for a in &axes {
        if !inputs.contains(&a.input) {
            let option = if fix.is_some_and(|f| {
                parse_axes(f, "--fix").is_ok_and(|v| v.iter().any(|b| b.input == a.input))
            }) {
                "--fix"
            } else {
                "--grid"
            };
            return Err(InferError::Field {
                field: option.into(),
                message: format!(
                    "`{}` is not an input (the inputs are {})",
                    a.input,
                    inputs.join(", ")
                ),
            });
        }
    }
    let truth_text = truth;
    let truth = truth
        .map(|t| Formula::parse(t, &inputs, "--truth"))
        .transpose()?;
    let free: Vec<usize> = (0..inputs.len())
        .filter(|&i| {
            axes.iter()
                .find(|a| a.input == inputs[i])
                .is_none_or(|a| a.count > 1)
        })
        .collect();
    if free.len() > 2 || free.is_empty() {
        let fixed: Vec<&str> = free[2.min(free.len())..]
            .iter()
            .map(|&i| inputs[i].as_str())
            .collect();
        return Err(InferError::Field {
            field: "--fix".into(),
            message: if free.is_empty() {
                "every input has one value: leave one or two to plot over".into()
            } else {
                format!(
                    "`{target}` is a function of {}; a plot shows one or two: fix the rest, e.g. --fix {}",
                    free.iter().map(|&i| inputs[i].as_str()).collect::<Vec<_>>().join(", "),
                    fixed.iter().map(|n| format!("{n}=0.5")).collect::<Vec<_>>().join(",")
                )
            },
        });
    }
    let (ranges, data) = data_ranges(&r)?;
    let default_count = if free.len() == 1 { 200 } else { 60 };
    for &i in &free {
        if !axes.iter().any(|a| a.input == inputs[i]) {
            axes.push(Axis {
                input: inputs[i].clone(),
                from: ranges[i].0,
                to: ranges[i].1,
                count: default_count,
            });
        }
    }
    let g = Grid::new(&inputs, &axes, "--grid")?;
    let pts = g.points();
    let d = inputs.len();
    let place = |k: usize| {
        let p: Vec<String> = pts[k * d..(k + 1) * d]
            .iter()
            .map(|v| v.to_string())
            .collect();
        format!("plot grid, point ({})", p.join(", "))
    };
    let p = posterior(&r, target, &pts, &place)?;
    let std: Vec<f64> = p.variance.iter().map(|v| v.sqrt()).collect();
    let exact: Option<Vec<f64>> = truth
        .as_ref()
        .map(|f| pts.chunks(d).map(|x| f.eval(x)).collect());
    if let Some(e) = &exact {
        // A truth that is not finite is missing where it is so, never drawn as a value: none
        // at all is nothing to compare with.
        let bad: Vec<usize> = (0..e.len()).filter(|&k| !e[k].is_finite()).collect();
        if let Some(&k) = bad.first() {
            let what = format!(
                "`{}` is {} at the {}",
                truth_text.unwrap_or(""),
                e[k],
                place(k).replace("plot grid, point", "grid point")
            );
            if bad.len() == e.len() {
                return Err(InferError::Field {
                    field: "--truth".into(),
                    message: format!("{what} and is not finite at any point of the grid: there is nothing to compare with"),
                });
            }
            voice.say(&format!(
                "note: --truth: {what} and at {} of the {} grid points in all: drawn as missing there",
                bad.len(),
                e.len()
            ));
        }
    }
    // Data on the slice: points whose fixed inputs are within 1 % of that input's data range.
    let fixed: Vec<(usize, f64)> = (0..d)
        .filter(|i| !free.contains(i))
        .map(|i| (i, g.axes[i].from))
        .collect();
    let on_slice = |x: &[f64]| {
        fixed
            .iter()
            .all(|&(i, v)| (x[i] - v).abs() <= 0.01 * (ranges[i].1 - ranges[i].0))
    };
    let slice = if fixed.is_empty() {
        String::new()
    } else {
        format!(
            " at {}",
            fixed
                .iter()
                .map(|&(i, v)| format!("{} = {}", inputs[i], noether_infer::format::tick(v)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let name: String = target
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = out.map_or_else(|| PathBuf::from(format!("{name}.png")), Path::to_path_buf);
    if free.len() == 1 {
        let k = free[0];
        let xs = g.axes[k].values();
        let observing = r.problem.channels_observing(target);
        let points: Vec<Vec<(f64, f64)>> = observing
            .iter()
            .map(|&c| {
                let (x, y) = &data[c];
                x.chunks(d)
                    .zip(y)
                    .filter(|(p, _)| on_slice(p))
                    .map(|(p, &v)| (p[k], v))
                    .collect()
            })
            .collect();
        let marks: Vec<Marks> = observing
            .iter()
            .zip(&points)
            .map(|(&c, p)| Marks::new(format!("{} data", r.problem.channels[c].name), p))
            .collect();
        let band = Band {
            label: format!("posterior of {target}{slice}"),
            quantity: target.to_string(),
            x: &xs,
            mean: &p.mean,
            std: &std,
            exact: exact.as_deref(),
            marks: &marks,
        };
        bands(&path, "", &inputs[k], &[band])?;
    } else {
        let (a, b) = (free[0], free[1]);
        let frame = Frame {
            nx: g.axes[a].count,
            ny: g.axes[b].count,
            x: (g.axes[a].from, g.axes[a].to),
            y: (g.axes[b].from, g.axes[b].to),
        };
        let points: Vec<Vec<(f64, f64)>> = data
            .iter()
            .map(|(x, _)| {
                x.chunks(d)
                    .filter(|p| on_slice(p))
                    .map(|p| (p[a], p[b]))
                    .collect()
            })
            .collect();
        let marks: Vec<Marks> = r
            .problem
            .channels
            .iter()
            .zip(&points)
            .map(|(c, p)| Marks::new(format!("{} observed", c.name), p))
            .collect();
        let titles = [
            format!("posterior mean of {target}{slice}"),
            format!("posterior std of {target}"),
            format!("truth: {}", truth_text.unwrap_or("")),
            "absolute error of the mean".to_string(),
        ];
        let err: Option<Vec<f64>> = exact
            .as_ref()
            .map(|e| e.iter().zip(&p.mean).map(|(e, m)| (e - m).abs()).collect());
        let bar_std = format!("std of {target}");
        let mut panels = vec![
            Field::grid(&titles[0], target, &p.mean, &marks),
            Field::grid(&titles[1], &bar_std, &std, &marks),
        ];
        if let (Some(e), Some(err)) = (&exact, &err) {
            panels.push(Field::grid(&titles[2], target, e, &marks));
            panels.push(Field::grid(&titles[3], "|error|", err, &marks));
        }
        fields(&path, &frame, &panels, 2, (&inputs[a], &inputs[b]))?;
    }
    voice.say(&format!("wrote {}", path.display()));
    Ok(())
}

fn rollout(
    result: &Path,
    from: &str,
    dt: f64,
    steps: usize,
    method: Option<&str>,
    velocities: &[String],
    out: Option<&Path>,
    voice: Voice,
) -> Result<(), InferError> {
    let r = load_result(result, voice)?;
    let from = parse_axes(from, "--from")?
        .into_iter()
        .map(|a| {
            if a.count == 1 {
                Ok((a.input, a.from))
            } else {
                Err(InferError::Field {
                    field: "--from".into(),
                    message: format!("`{}` takes one value (`{}=1.0`)", a.input, a.input),
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let method = method
        .map(|m| {
            noether_infer::rollout::Method::from_name(m).ok_or_else(|| InferError::Field {
                field: "--method".into(),
                message: format!("`{m}`: leapfrog, implicit-midpoint or rk4"),
            })
        })
        .transpose()?;
    let velocities = velocities
        .iter()
        .map(|v| match v.split_once('=') {
            Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                Ok((a.trim().to_string(), b.trim().to_string()))
            }
            _ => Err(InferError::Field {
                field: "--velocity".into(),
                message: format!("`{v}`: write INPUT=EXPR (q=fq)"),
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let t = r.problem.rollout(&noether_infer::Rollout {
        from,
        dt,
        steps,
        method,
        velocities,
    })?;
    let d = t.inputs.len();
    // The step and elapsed-time columns take names no input or energy has: `t`, else `time`,
    // else `elapsed` (a rollout over an input named `t`).
    let mut taken: Vec<String> = t.inputs.clone();
    if let Some((name, _)) = &t.energy {
        taken.push(name.clone());
    }
    let step = fresh(&["step", "step_index", "rollout_step"], &taken);
    taken.push(step.clone());
    let time = fresh(&["t", "time", "elapsed", "rollout_time"], &taken);
    let mut heads = vec![step, time];
    heads.extend(t.inputs.iter().cloned());
    if let Some((name, _)) = &t.energy {
        heads.push(name.clone());
    }
    unique_columns(&heads, "rollout", "rename the energy or the input")?;
    let mut csv = heads.join(",") + "\n";
    for (k, x) in t.states.chunks(d).enumerate() {
        let mut row = vec![k.to_string(), (k as f64 * dt).to_string()];
        row.extend(x.iter().map(|v| v.to_string()));
        if let Some((_, h)) = &t.energy {
            row.push(h[k].to_string());
        }
        csv += &(row.join(",") + "\n");
    }
    emit(out, &csv)?;
    voice.say(&format!(
        "noether rollout: {steps} steps of {dt} with {}{}",
        t.method,
        t.energy.as_ref().map_or(String::new(), |(n, h)| format!(
            "; learned energy {n} from {} to {} (drift {})",
            number(h[0], 7),
            number(h[h.len() - 1], 7),
            number(h[h.len() - 1] - h[0], 3)
        ))
    ));
    Ok(())
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

fn demo(out: &Path, restarts: usize, seed: u64, voice: Voice) -> Result<(), InferError> {
    voice.say(&format!("noether demo: u_t - a*u_xx = f (problem E4), 20 u + 20 f noise-free points, SE kernel, {} starts", restarts + 1));
    let mut progress = voice.progress("demo");
    let r = heat::run(restarts, seed, 50, &mut |e| progress.event(e));
    progress.finish();
    let r = r?;
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
        result.save(&out.join("result.json"))?;
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
    // The comparison is the demo's output: it goes to stdout, even with --quiet.
    let mut text = heat::table(&r);
    if !result.optimizer.converged {
        text += &format!("  note: {}\n", result.optimizer.termination);
    }
    emit(None, &text)?;
    voice.say(&format!(
        "\n  wrote {} and {}",
        out.join("result.json").display(),
        figures.join(", ")
    ));
    Ok(())
}

/// A path as the file system resolves it, whether or not the file exists yet: the canonical
/// folder and the file name.
fn resolved(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = p.canonicalize() {
        return Some(c);
    }
    let abs = std::path::absolute(p).ok()?;
    let parent = abs.parent()?.canonicalize().ok()?;
    Some(parent.join(abs.file_name()?))
}

/// Refuse an output option that names one of the command's inputs (the problem or result being
/// read, a data file it reads, the points of `--at`) or another output: writing it would destroy
/// what is being read, or keep only one of two outputs.
fn check_outputs(command: &Command) -> Result<(), InferError> {
    let data_of = |file: &Path| -> Vec<PathBuf> {
        if is_result(file) {
            FitResult::from_file(file)
                .map(|r| r.problem.data_files())
                .unwrap_or_default()
        } else {
            Problem::from_file(file)
                .map(|p| p.data_files())
                .unwrap_or_default()
        }
    };
    let (main, outputs, at): (&Path, Vec<(&str, &Path)>, Option<&Path>) = match command {
        Command::Fit {
            problem,
            out,
            draws,
            stats,
            ..
        } => (
            problem,
            out.iter()
                .map(|o| ("--out", o.as_path()))
                .chain(draws.iter().map(|d| ("--draws", d.as_path())))
                .collect(),
            stats.as_deref(),
        ),
        Command::Stats { problem, out, .. } => (problem, vec![("--out", out.as_path())], None),
        Command::Merge { parts, out } => {
            let Some(r) = resolved(out) else {
                return Ok(());
            };
            if let Some(p) = parts.iter().find(|p| resolved(p).as_ref() == Some(&r)) {
                return Err(InferError::Field {
                    field: "--out".into(),
                    message: format!(
                        "`{}` is one of the shards being merged; writing there would destroy it: choose another path",
                        p.display()
                    ),
                });
            }
            return Ok(());
        }
        Command::Predict {
            result,
            cov,
            at,
            out,
            ..
        } => (
            result,
            cov.iter()
                .map(|c| ("--cov", c.as_path()))
                .chain(out.iter().map(|o| ("--out", o.as_path())))
                .collect(),
            at.as_deref().filter(|a| *a != Path::new("-")),
        ),
        Command::Plot { result, out, .. } | Command::Rollout { result, out, .. } => (
            result,
            out.iter().map(|o| ("--out", o.as_path())).collect(),
            None,
        ),
        _ => return Ok(()),
    };
    if outputs.is_empty() {
        return Ok(());
    }
    let mut inputs: Vec<(PathBuf, String)> = vec![(
        main.to_path_buf(),
        format!("the file `{}` being read", main.display()),
    )];
    inputs.extend(
        data_of(main)
            .into_iter()
            .map(|d| (d.clone(), format!("a data file of {}", main.display()))),
    );
    if let Some(a) = at {
        let what = if matches!(command, Command::Fit { .. }) {
            "the statistics of --stats"
        } else {
            "the points of --at"
        };
        inputs.push((a.to_path_buf(), what.into()));
    }
    let inputs: Vec<(PathBuf, String)> = inputs
        .into_iter()
        .filter_map(|(p, what)| resolved(&p).map(|r| (r, what)))
        .collect();
    let mut seen: Vec<(PathBuf, &str)> = Vec::new();
    for (option, path) in outputs {
        let Some(r) = resolved(path) else { continue };
        if let Some((_, what)) = inputs.iter().find(|(i, _)| *i == r) {
            return Err(InferError::Field {
                field: option.into(),
                message: format!(
                    "`{}` is {what}; writing there would destroy it: choose another path",
                    path.display()
                ),
            });
        }
        if let Some((_, other)) = seen.iter().find(|(s, _)| *s == r) {
            return Err(InferError::Field {
                field: option.into(),
                message: format!(
                    "`{}` is also the path of {other}: only one of them would be kept; give each its own path",
                    path.display()
                ),
            });
        }
        seen.push((r, option));
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let voice = Voice {
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    if let Err(e) = check_outputs(&cli.command) {
        say!("noether: {e}");
        return ExitCode::FAILURE;
    }
    let done = match &cli.command {
        Command::Fit {
            problem,
            out,
            restarts,
            seed,
            draws,
            stats: st,
        } => fit(
            problem,
            out.as_deref(),
            *restarts,
            *seed,
            draws.as_deref(),
            st.as_deref(),
            voice,
        )
        .map_err(|e| e.in_file(problem)),
        Command::Stats { problem, rows, out } => {
            stats(problem, rows, out, voice).map_err(|e| e.in_file(problem))
        }
        Command::Merge { parts, out } => merge(parts, out, voice),
        Command::Predict {
            result,
            channels,
            cov,
            samples,
            seed,
            at,
            grid,
            with_noise,
            out,
        } => predict(
            result,
            &Request {
                channels,
                cov: cov.as_deref(),
                samples: *samples,
                seed: *seed,
                with_noise: *with_noise,
            },
            at.as_deref(),
            grid.as_deref(),
            out.as_deref(),
            voice,
        ),
        Command::Plot {
            result,
            channel,
            grid,
            fix,
            truth,
            out,
        } => plot(
            result,
            channel,
            grid.as_deref(),
            fix.as_deref(),
            truth.as_deref(),
            out.as_deref(),
            voice,
        ),
        Command::Rollout {
            result,
            from,
            dt,
            steps,
            method,
            velocities,
            out,
        } => rollout(
            result,
            from,
            *dt,
            *steps,
            method.as_deref(),
            velocities,
            out.as_deref(),
            voice,
        ),
        Command::Nlml { problem, repeat } => nlml(problem, *repeat).map_err(|e| e.in_file(problem)),
        Command::Demo {
            out,
            restarts,
            seed,
        } => demo(out, *restarts, *seed, voice),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("noether: {e}");
            ExitCode::FAILURE
        }
    }
}
