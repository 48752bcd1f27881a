//! `noether stats` and `noether merge`: a sharded fit's sums.

use crate::common::*;
use noether_infer::format::number;
use noether_infer::{InferError, Problem};
use std::path::{Path, PathBuf};

/// `noether stats`: one shard's sums.
pub(crate) fn stats(path: &Path, rows: &str, out: &Path, voice: Voice) -> Result<(), InferError> {
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
pub(crate) fn merge(parts: &[PathBuf], out: &Path, voice: Voice) -> Result<(), InferError> {
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
