//! `noether stats` and `noether merge`: a sharded fit's sums.

use crate::common::*;
use noether_infer::format::number;
use noether_infer::{InferError, Problem};
use std::path::{Path, PathBuf};

/// The launcher's rank and size, from the variables Open MPI, MPICH (and Intel MPI) and Slurm
/// set for each process they start: what `--rows env` reads.
fn launcher_rank() -> Option<(usize, usize, &'static str)> {
    let pairs = [
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "Open MPI"),
        ("PMI_RANK", "PMI_SIZE", "MPICH"),
        ("PMIX_RANK", "PMIX_SIZE", "PMIx"),
        ("SLURM_PROCID", "SLURM_NTASKS", "Slurm"),
        (
            "SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_COUNT",
            "a Slurm array",
        ),
    ];
    pairs.iter().find_map(|(r, n, who)| {
        let rank = std::env::var(r).ok()?.trim().parse().ok()?;
        let size = std::env::var(n).ok()?.trim().parse().ok()?;
        Some((rank, size, *who))
    })
}

/// `noether stats`: one shard's sums. `rows` is `A:B` (rows A up to B), `K/N` (shard K of N,
/// from 0) or `env` (the shard of this process's rank under an MPI or Slurm launcher); `{rank}`
/// in `out` becomes the shard's number.
pub(crate) fn stats(path: &Path, rows: &str, out: &Path, voice: Voice) -> Result<(), InferError> {
    let bad = || {
        InferError::Field {
        field: "--rows".into(),
        message: format!(
            "`{rows}` is not A:B (rows A up to B, A < B), K/N (shard K of N, 0 ≤ K < N) or env (the launcher's rank and size)"
        ),
    }
    };
    let whole = |s: &str| s.trim().parse::<usize>().map_err(|_| bad());
    let problem = Problem::from_file(path)?;
    let (a, b, shard) = if rows.trim() == "env" {
        let (k, n, who) = launcher_rank().ok_or_else(|| InferError::Field {
            field: "--rows".into(),
            message: "env: no launcher's rank and size found (OMPI_COMM_WORLD_RANK/SIZE, PMI_RANK/SIZE, PMIX_RANK/SIZE, SLURM_PROCID/NTASKS or SLURM_ARRAY_TASK_ID/COUNT); run under mpirun or srun, or give K/N".into(),
        })?;
        let (a, b) = problem.shard_rows(k, n).map_err(|e| match e {
            InferError::Field { field, message } => InferError::Field {
                field,
                message: format!("env ({who}): {message}"),
            },
            e => e,
        })?;
        (a, b, Some(k))
    } else if let Some((k, n)) = rows.split_once('/') {
        let (k, n) = (whole(k)?, whole(n)?);
        let (a, b) = problem.shard_rows(k, n)?;
        (a, b, Some(k))
    } else {
        let (a, b) = rows.split_once(':').ok_or_else(bad)?;
        (whole(a)?, whole(b)?, None)
    };
    let out = match shard {
        Some(k) => {
            let named = PathBuf::from(out.to_string_lossy().replace("{rank}", &k.to_string()));
            // The shard's own path, checked as the template was.
            crate::outputs::check_outputs(&crate::Command::Stats {
                problem: path.to_path_buf(),
                rows: rows.to_string(),
                out: named.clone(),
            })?;
            named
        }
        None => out.to_path_buf(),
    };
    let t = std::time::Instant::now();
    let s = problem.stats(a, b)?;
    s.save(&out)?;
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
