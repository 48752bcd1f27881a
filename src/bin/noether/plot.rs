//! `noether plot`.

use crate::common::*;
use noether_infer::formula::Formula;
use noether_infer::grid::{parse_axes, Axis, Grid};
use noether_infer::plot::{bands, fields, Band, Field, Frame, Marks};
use noether_infer::{FitResult, InferError};
use std::path::{Path, PathBuf};

/// A channel's points (row-major) and observations.
pub(crate) type ChannelData = (Vec<f64>, Vec<f64>);

/// Each input's (smallest, largest) value.
pub(crate) type Ranges = Vec<(f64, f64)>;

/// The smallest and largest value of each input over every channel's data, rounded out, and the
/// data.
pub(crate) fn data_ranges(r: &FitResult) -> Result<(Ranges, Vec<ChannelData>), InferError> {
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

pub(crate) fn plot(
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
