//! Sharded fits with the Hilbert-space basis: the data enter the likelihood only through
//! per-channel sums (the Gram matrices G_kl of the operators' terms, the projections g_k, Σ y² and
//! the counts), and sums over disjoint shards of the rows add up to the sums over all of them.
//! `noether stats` computes a shard's sums, `noether merge` adds shards, and `noether fit --stats`
//! fits from merged sums without the O(N M²) pass over the data — so any scheduler (a Slurm
//! array, Spark, Kubernetes) can run the shards. The result equals the single-process fit to
//! rounding.
//!
//! What still reads every row: the model itself (the box, the default priors, the data's
//! hashes), which costs a read of the files, not a pass through the basis.

use crate::build::BasisPass;
use crate::problem::Problem;
use crate::result::{sha256_file, Fitted};
use crate::InferError;
use noether_likelihood::fit::Event;
use noether_likelihood::hilbert::RawSums;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version of the statistics format.
pub const STATS_FORMAT: u32 = 1;

/// A shard's (or several merged shards') sums, as `noether stats` writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    /// The format's version ([`STATS_FORMAT`]).
    pub noether_stats: u32,
    /// The version of noether that wrote them.
    pub noether_version: String,
    /// The SHA-256 of the problem (its JSON form without `fit`): shards of other problems do not
    /// merge.
    pub problem_sha256: String,
    /// The SHA-256 of every data file, in the problem's order.
    pub data_sha256: Vec<String>,
    /// Each channel's number of rows (all of them, not the shard's).
    pub rows_per_channel: Vec<usize>,
    /// The row ranges `[lo, hi)` these sums cover, sorted, disjoint.
    pub rows: Vec<[usize; 2]>,
    /// The basis: functions per input.
    pub per_input: Vec<usize>,
    /// The box's half-widths per input.
    pub half_widths: Vec<f64>,
    /// Every channel's sums.
    pub sums: Vec<RawSums>,
}

impl Problem {
    /// The problem's fingerprint for statistics: the SHA-256 of its JSON form without `fit`.
    fn stats_key(&self) -> Result<(String, Vec<String>), InferError> {
        use sha2::Digest as _;
        let mut v = serde_json::to_value(self).expect("problems serialise");
        if let Some(o) = v.as_object_mut() {
            o.remove("fit");
        }
        let text = serde_json::to_string(&v).expect("values serialise");
        let key = sha2::Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let files = self
            .data_files()
            .iter()
            .map(|p| sha256_file(p))
            .collect::<Result<_, _>>()?;
        Ok((key, files))
    }

    /// The rows of shard `k` of `n` (0 ≤ k < n): the data's rows (the longest channel's) cut
    /// into `n` ranges of equal size within one, the k-th of them. What `--rows K/N` and
    /// `--rows env` (the rank and size an MPI or Slurm launcher sets) ask for.
    ///
    /// # Errors
    /// `n` = 0, `k` ≥ `n`, more shards than rows; any file or data error.
    pub fn shard_rows(&self, k: usize, n: usize) -> Result<(usize, usize), InferError> {
        if n == 0 || k >= n {
            return Err(InferError::field(
                "--rows",
                format!("shard {k} of {n}: give K/N with 0 ≤ K < N"),
            ));
        }
        let top = (0..self.channels.len())
            .map(|i| self.channel_data(i).map(|(_, y)| y.len()))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .max()
            .unwrap_or(0);
        if n > top {
            return Err(InferError::field(
                "--rows",
                format!("{n} shards of {top} rows: use at most {top}"),
            ));
        }
        // Row boundaries k·top/n, rounded down: sizes differ by at most one.
        let cut = |k: usize| (k as u128 * top as u128 / n as u128) as usize;
        Ok((cut(k), cut(k + 1)))
    }

    /// The sums over rows `lo..hi` of every channel's data (a channel with fewer rows gives what
    /// it has in the range), on the basis the problem's `approximation` asks for, with the box of
    /// all the data.
    ///
    /// # Errors
    /// A problem without a basis; an empty or inverted range; any problem, file or data error.
    pub fn stats(&self, lo: usize, hi: usize) -> Result<Stats, InferError> {
        if lo >= hi {
            return Err(InferError::field(
                "--rows",
                format!("{lo}:{hi} is empty: give A:B with A < B"),
            ));
        }
        let model = self.model_with(BasisPass::Rows(lo, hi))?;
        let h = model.basis().expect("a basis was asked for");
        let (problem_sha256, data_sha256) = self.stats_key()?;
        let rows_per_channel: Vec<usize> = (0..self.channels.len())
            .map(|i| self.channel_data(i).map(|(_, y)| y.len()))
            .collect::<Result<_, _>>()?;
        let top = rows_per_channel.iter().copied().max().unwrap_or(0);
        if lo >= top {
            return Err(InferError::field(
                "--rows",
                format!("{lo}:{hi} starts past the last row of every channel ({top} rows at most)"),
            ));
        }
        Ok(Stats {
            noether_stats: STATS_FORMAT,
            noether_version: env!("CARGO_PKG_VERSION").to_string(),
            problem_sha256,
            data_sha256,
            rows_per_channel,
            rows: vec![[lo, hi.min(top)]],
            per_input: h.per_input.clone(),
            half_widths: h.half_widths().to_vec(),
            sums: h.sums(&model),
        })
    }

    /// Fit from merged statistics instead of a pass over the data: they must be this problem's,
    /// of the data as they are now, and cover every row of every channel.
    ///
    /// # Errors
    /// Statistics of another problem, version or data, or with rows missing; as
    /// [`Problem::fit`].
    pub fn fit_with_stats(
        &self,
        stats: &Stats,
        shown: &str,
        progress: &mut dyn FnMut(Event),
    ) -> Result<Fitted, InferError> {
        self.check_stats(stats, shown)?;
        let model = self.model_with(BasisPass::Sums(&stats.sums))?;
        if model
            .basis()
            .map(|h| (h.per_input.clone(), h.half_widths().to_vec()))
            != Some((stats.per_input.clone(), stats.half_widths.clone()))
        {
            return Err(InferError::field(
                shown.to_string(),
                "the statistics are for another basis or box than the problem's",
            ));
        }
        self.fit_model(model, progress)
    }

    /// Whether `stats` (named `shown`) can stand for this problem's data: this problem's, of the
    /// data as they are now, every row of every channel covered.
    ///
    /// # Errors
    /// Saying which of these fails.
    pub fn check_stats(&self, stats: &Stats, shown: &str) -> Result<(), InferError> {
        let (key, files) = self.stats_key()?;
        let bad = |m: String| Err(InferError::field(shown.to_string(), m));
        if stats.problem_sha256 != key {
            return bad("these statistics are of another problem (its SHA-256 differs): compute them with this problem file".into());
        }
        if stats.data_sha256 != files {
            return bad(
                "the data files changed since these statistics were computed: compute them again"
                    .into(),
            );
        }
        let rows: Vec<usize> = (0..self.channels.len())
            .map(|i| self.channel_data(i).map(|(_, y)| y.len()))
            .collect::<Result<_, _>>()?;
        let covered = covered_to(&stats.rows);
        if let Some((i, n)) = rows.iter().enumerate().find(|(_, n)| covered < **n) {
            return bad(format!(
                "the statistics cover rows {} of channel `{}`, which has {n}: merge the missing shards",
                show_rows(&stats.rows),
                self.channels[i].name
            ));
        }
        Ok(())
    }
}

/// How far from row 0 sorted, disjoint ranges cover without a gap.
fn covered_to(rows: &[[usize; 2]]) -> usize {
    let mut end = 0;
    for r in rows {
        if r[0] > end {
            break;
        }
        end = end.max(r[1]);
    }
    end
}

fn show_rows(rows: &[[usize; 2]]) -> String {
    rows.iter()
        .map(|r| format!("{}:{}", r[0], r[1]))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Stats {
    /// Read a statistics file.
    ///
    /// # Errors
    /// A file that cannot be read, is not JSON of this form (a truncated file), or is of another
    /// format version.
    pub fn from_file(path: &Path) -> Result<Stats, InferError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| InferError::Io {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let head: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            InferError::field(
                shown.clone(),
                format!("not a statistics file written by `noether stats` ({e})"),
            )
        })?;
        if head
            .get("noether_stats")
            .and_then(serde_json::Value::as_u64)
            != Some(u64::from(STATS_FORMAT))
        {
            return Err(InferError::field(
                shown,
                format!(
                    "not statistics of format {STATS_FORMAT} (written by another version of noether, or not by `noether stats`): compute them again"
                ),
            ));
        }
        serde_json::from_value(head)
            .map_err(|e| InferError::field(shown, format!("malformed statistics ({e})")))
    }

    /// Write the statistics, whole or not at all.
    ///
    /// # Errors
    /// [`InferError::Io`] naming the file.
    pub fn save(&self, path: &Path) -> Result<(), InferError> {
        let text = serde_json::to_string(self).expect("statistics serialise") + "\n";
        crate::write_atomic(path, text.as_bytes())
    }

    /// Add shards of one problem, one basis and one version of the data: their rows must not
    /// overlap. `names` name the shards in errors.
    ///
    /// # Errors
    /// Shards of different problems, data, bases or versions; overlapping rows.
    pub fn merge(parts: &[(String, Stats)]) -> Result<Stats, InferError> {
        let Some(((first_name, first), rest)) = parts.split_first() else {
            return Err(InferError::field("merge", "no statistics to merge"));
        };
        let mut out = first.clone();
        for (name, s) in rest {
            let differs = |what: &str| {
                Err(InferError::field(
                    name.clone(),
                    format!(
                        "its {what} differs from {first_name}'s: these shards are not of one fit"
                    ),
                ))
            };
            if s.problem_sha256 != first.problem_sha256 {
                return differs("problem");
            }
            if s.data_sha256 != first.data_sha256 || s.rows_per_channel != first.rows_per_channel {
                return differs("data");
            }
            if s.per_input != first.per_input || s.half_widths != first.half_widths {
                return differs("basis or box");
            }
            if s.noether_version != first.noether_version {
                return differs("noether version");
            }
            for r in &s.rows {
                if let Some(o) = out.rows.iter().find(|q| r[0] < q[1] && q[0] < r[1]) {
                    return Err(InferError::field(
                        name.clone(),
                        format!(
                            "rows {}:{} overlap rows {}:{} of another shard: each row must be in one shard",
                            r[0], r[1], o[0], o[1]
                        ),
                    ));
                }
            }
            for (a, b) in out.sums.iter_mut().zip(&s.sums) {
                a.add(b).map_err(|m| InferError::field(name.clone(), m))?;
            }
            out.rows.extend(s.rows.iter().copied());
        }
        out.rows.sort_unstable();
        Ok(out)
    }
}
