//! `noether predict`.

use crate::common::*;
use noether_infer::data::Table;
use noether_infer::grid::{parse_axes, Grid};
use noether_infer::InferError;
use std::path::Path;

/// What `noether predict` is asked for, besides the points.
pub(crate) struct Request<'a> {
    pub(crate) channels: &'a [String],
    pub(crate) cov: Option<&'a Path>,
    pub(crate) samples: Option<usize>,
    pub(crate) seed: u64,
    pub(crate) with_noise: bool,
}

/// The most joint samples `--samples` draws.
pub(crate) const MAX_SAMPLES: usize = 10_000;
/// The most values a joint covariance (`--cov`, `--samples`) may cover: its matrix is this squared.
pub(crate) const MAX_JOINT: usize = 10_000;

pub(crate) fn predict(
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
