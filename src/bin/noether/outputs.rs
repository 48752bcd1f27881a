//! Output options that would destroy an input are refused before anything runs.

use crate::common::*;
use noether_infer::{FitResult, InferError, Problem};
use std::path::{Path, PathBuf};

/// A path as the file system resolves it, whether or not the file exists yet: the canonical
/// folder and the file name.
pub(crate) fn resolved(p: &Path) -> Option<PathBuf> {
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
pub(crate) fn check_outputs(command: &crate::Command) -> Result<(), InferError> {
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
        crate::Command::Fit {
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
        crate::Command::Stats { problem, out, .. } => {
            (problem, vec![("--out", out.as_path())], None)
        }
        crate::Command::Discover { problem, out, .. } => (
            problem,
            out.iter().map(|o| ("--out", o.as_path())).collect(),
            None,
        ),
        crate::Command::Merge { parts, out } => {
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
        crate::Command::Predict {
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
        crate::Command::Plot { result, out, .. } => (
            result,
            out.iter().map(|o| ("--out", o.as_path())).collect(),
            None,
        ),
        crate::Command::Rollout {
            result, out, times, ..
        } => (
            result,
            out.iter().map(|o| ("--out", o.as_path())).collect(),
            times.as_deref(),
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
        let what = match command {
            crate::Command::Fit { .. } => "the statistics of --stats",
            crate::Command::Rollout { .. } => "the times of --times",
            _ => "the points of --at",
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
