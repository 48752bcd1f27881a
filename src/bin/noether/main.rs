//! The `noether` command line: fit a problem file, predict from a result, evaluate the NLML, and
//! run the demo on embedded data.

use clap::{Parser, Subcommand};
use noether::progress::say;
use std::path::PathBuf;
use std::process::ExitCode;

/// Progress and summaries go to stderr; if stderr is gone there is no one to tell, so a failed
/// write there is ignored rather than a panic (what `eprintln!` does).
macro_rules! say {
    ($($t:tt)*) => {
        say(&format!($($t)*))
    };
}

mod common;
mod demo;
mod discover;
mod fit;
mod outputs;
mod plot;
mod predict;
mod rollout;
mod shard;

use common::Voice;

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
        /// The rows: `A:B` (from A up to, not including, B; 0 is the first data row), `K/N`
        /// (shard K of N equal shards, 0 ≤ K < N) or `env` (the shard of this process's rank
        /// under mpirun or srun).
        #[arg(long, allow_hyphen_values = true)]
        rows: String,
        /// Write the statistics here, whole or not at all; `{rank}` becomes the shard's number.
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
        /// The step size (with --times, the largest step).
        #[arg(long, allow_hyphen_values = true)]
        dt: f64,
        /// The number of steps.
        #[arg(long, required_unless_present = "times")]
        steps: Option<usize>,
        /// Report the state at these times instead (a file of increasing times, one per line, an
        /// optional header first; the first is the time of --from): uneven times, such as the
        /// frames of a recording with dropped ones, each reached in steps of at most --dt.
        #[arg(long, conflicts_with = "steps")]
        times: Option<PathBuf>,
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
    /// Discover a channel's law (the problem's `discover` block): fit every candidate law from
    /// the library of terms, rank them by approximate log evidence, print the ranking and the
    /// winner as text and LaTeX, and the candidates as JSON (or write them to --out).
    Discover {
        /// The problem file (JSON) with a `discover` block.
        problem: PathBuf,
        /// Write the ranked candidates here, whole or not at all, instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seed of the candidates' restarts (overrides the file's `fit.seed`).
        #[arg(long)]
        seed: Option<u64>,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let voice = Voice {
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    if let Err(e) = outputs::check_outputs(&cli.command) {
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
        } => fit::fit(
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
            shard::stats(problem, rows, out, voice).map_err(|e| e.in_file(problem))
        }
        Command::Merge { parts, out } => shard::merge(parts, out, voice),
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
        } => predict::predict(
            result,
            &predict::Request {
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
        } => plot::plot(
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
            times,
            method,
            velocities,
            out,
        } => rollout::rollout(
            result,
            from,
            *dt,
            (*steps, times.as_deref()),
            method.as_deref(),
            velocities,
            out.as_deref(),
            voice,
        ),
        Command::Nlml { problem, repeat } => {
            fit::nlml(problem, *repeat).map_err(|e| e.in_file(problem))
        }
        Command::Demo {
            out,
            restarts,
            seed,
        } => demo::demo(out, *restarts, *seed, voice),
        Command::Discover { problem, out, seed } => {
            discover::discover(problem, out.as_deref(), *seed, voice)
                .map_err(|e| e.in_file(problem))
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("noether: {e}");
            ExitCode::FAILURE
        }
    }
}
