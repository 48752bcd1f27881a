//! What every subcommand shares: how the user asked to be told things, writing outputs whole,
//! reading results.

use noether::progress::{say, Progress, Show};
use noether_infer::{FitResult, InferError, Prediction};
use std::path::Path;

/// How the user asked to be told things.
#[derive(Clone, Copy)]
pub(crate) struct Voice {
    pub(crate) quiet: bool,
    pub(crate) verbose: bool,
}

impl Voice {
    pub(crate) fn progress(self, label: &str) -> Progress {
        Progress::new(label, Show::for_stderr(self.quiet), self.verbose)
    }

    pub(crate) fn say(self, text: &str) {
        if !self.quiet {
            say(text);
        }
    }
}

pub(crate) fn emit(out: Option<&Path>, text: &str) -> Result<(), InferError> {
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

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("results serialise") + "\n"
}

/// A result file, refusing a problem file with what to run instead; warns of data files that
/// changed since the fit.
pub(crate) fn load_result(path: &Path, voice: Voice) -> Result<FitResult, InferError> {
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

/// A CSV field, quoted when it holds a comma, a quote or a line break (an operator such as
/// `d(v[x], x)` as a column name).
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The keys of a JSON file's top-level object, if it is one (a problem has `channels`, a result
/// `problem` and `nlml`).
pub(crate) fn top_level_keys(path: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(v.as_object()?.keys().cloned().collect())
}

pub(crate) fn is_result(path: &Path) -> bool {
    top_level_keys(path)
        .is_some_and(|k| k.iter().any(|x| x == "problem") && k.iter().any(|x| x == "nlml"))
}

/// The posterior of `target` at `points`, a non-finite value named by where its point came from.
pub(crate) fn posterior(
    r: &FitResult,
    target: &str,
    points: &[f64],
    place: &dyn Fn(usize) -> String,
) -> Result<Prediction, InferError> {
    r.predict(target, points)
        .map_err(|e| nonfinite_at(e, place))
}

/// A non-finite prediction named by where its point came from (`at.csv, row 3`).
pub(crate) fn nonfinite_at(e: InferError, place: &dyn Fn(usize) -> String) -> InferError {
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

/// The first of `candidates` that is not `taken`, or the last one with `_` appended until it
/// is free.
pub(crate) fn fresh(candidates: &[&str], taken: &[String]) -> String {
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
pub(crate) fn unique_columns(heads: &[String], field: &str, fix: &str) -> Result<(), InferError> {
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
