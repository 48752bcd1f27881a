//! What a fit shows while it runs, on stderr: a progress bar on a terminal (iterations, NLML,
//! best so far, elapsed time), plain lines every few seconds otherwise, nothing when quiet; with
//! `verbose`, every iteration's parameter values by name.
//!
//! ```
//! use noether::progress::{Progress, Show};
//! let problem = noether::infer::heat_problem(8, 8, 0).restarts(0);
//! let mut shown = Progress::new("heat", Show::Quiet, false);
//! let fitted = problem.fit_with(&mut |e| shown.event(e))?;
//! shown.finish();
//! # assert!(fitted.parameter("a").is_some());
//! # Ok::<(), noether::infer::InferError>(())
//! ```

use noether_infer::format::number;
use noether_likelihood::fit::{Event, StartReport};
use std::io::Write as _;
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    /// Nothing.
    Quiet,
    /// A line when a start ends, and a line every few seconds while one runs.
    Lines,
    /// A live progress bar (only with the `cli` feature), with a line when a start ends.
    Bar,
}

impl Show {
    /// A bar when stderr is a terminal (and the `cli` feature is on), lines otherwise; nothing
    /// when `quiet`.
    pub fn for_stderr(quiet: bool) -> Show {
        use std::io::IsTerminal as _;
        if quiet {
            Show::Quiet
        } else if cfg!(feature = "cli") && std::io::stderr().is_terminal() {
            Show::Bar
        } else {
            Show::Lines
        }
    }
}

/// How often [`Show::Lines`] reports a running start.
pub const LINE_EVERY: Duration = Duration::from_secs(5);

/// Write a line to stderr; if stderr is gone there is no one to tell, so a failed write is
/// ignored rather than a panic (what `eprintln!` would do).
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Follows a fit's events and shows them.
pub struct Progress {
    label: String,
    show: Show,
    verbose: bool,
    started: Instant,
    last_line: Instant,
    starts: usize,
    #[cfg(feature = "cli")]
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// Progress for a fit called `label` (a file name, a gene), shown as `show`; `verbose` adds
    /// every iteration's values.
    pub fn new(label: &str, show: Show, verbose: bool) -> Progress {
        Progress {
            label: label.to_string(),
            show,
            verbose: verbose && show != Show::Quiet,
            started: Instant::now(),
            last_line: Instant::now(),
            starts: 0,
            #[cfg(feature = "cli")]
            bar: None,
        }
    }

    /// Show a line (above the bar, when there is one); nothing when quiet.
    pub fn line(&self, text: &str) {
        match self.show {
            Show::Quiet => {}
            #[cfg(feature = "cli")]
            Show::Bar if self.bar.is_some() => {
                if let Some(b) = &self.bar {
                    b.suspend(|| say(text));
                }
            }
            _ => say(text),
        }
    }

    #[cfg(feature = "cli")]
    fn bar(&mut self, len: usize) {
        if self.show != Show::Bar {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let b = indicatif::ProgressBar::new(len as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {prefix} [{elapsed_precise}] start {pos}/{len} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_prefix(self.label.clone());
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        bar.set_length(len as u64);
    }

    #[cfg(feature = "cli")]
    fn message(&self, text: String) {
        if let Some(b) = &self.bar {
            b.set_message(text);
        }
    }

    #[cfg(not(feature = "cli"))]
    fn bar(&mut self, _len: usize) {}

    #[cfg(not(feature = "cli"))]
    fn message(&self, _text: String) {}

    /// Take one event of a fit.
    pub fn event(&mut self, e: Event) {
        if self.show == Show::Quiet {
            return;
        }
        match e {
            Event::Estimating { starts } => {
                self.starts = starts;
                self.bar(starts);
                self.message("estimating a start from the data".into());
                if self.show == Show::Lines {
                    self.line(&format!(
                        "  {}: estimating a start from the data (each latent's kernel, then the coefficients by gradient matching)",
                        self.label
                    ));
                }
            }
            Event::Starting { starts } => {
                self.starts = starts;
                self.bar(starts);
            }
            Event::Iteration(it) => {
                let text = format!(
                    "({}) iteration {}, objective {}, best {}",
                    it.origin,
                    it.iteration,
                    number(it.objective, 7),
                    number(it.best, 7)
                );
                self.message(text.clone());
                if self.verbose {
                    let values: Vec<String> = it
                        .named_values()
                        .map(|(n, v)| format!("{n} = {}", number(v, 6)))
                        .collect();
                    self.line(&format!(
                        "    start {} iteration {}: objective {}; {}",
                        it.start,
                        it.iteration,
                        number(it.objective, 7),
                        values.join(", ")
                    ));
                } else if self.show == Show::Lines && self.last_line.elapsed() >= LINE_EVERY {
                    self.last_line = Instant::now();
                    self.line(&format!(
                        "  {}: start {} of {} {text}; {:.0} s",
                        self.label,
                        it.start,
                        self.starts,
                        self.started.elapsed().as_secs_f64()
                    ));
                }
            }
            Event::Start(s) => {
                self.last_line = Instant::now();
                self.line(&start_line(s));
                #[cfg(feature = "cli")]
                if let Some(b) = &self.bar {
                    b.inc(1);
                }
            }
        }
    }

    /// Remove the bar (call when the fit is over).
    pub fn finish(&mut self) {
        #[cfg(feature = "cli")]
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// One line for a finished start: where it came from, the NLML before and after, the work done
/// and why it stopped.
pub fn start_line(s: &StartReport) -> String {
    let init = s
        .initial_nlml
        .map_or("not evaluable".to_string(), |v| number(v, 7));
    format!(
        "  start {} ({}): NLML {init} -> {} in {} iterations, {} evaluations; {}",
        s.start,
        s.origin,
        number(s.nlml, 7),
        s.iterations,
        s.evaluations,
        s.termination
    )
}
