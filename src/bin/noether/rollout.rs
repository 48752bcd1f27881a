//! `noether rollout`.

use crate::common::*;
use noether_infer::format::number;
use noether_infer::grid::parse_axes;
use noether_infer::InferError;
use std::path::Path;

/// The times of `--times`: one number per line (the first field of a CSV line), an optional
/// header first, increasing and finite; a bad line named.
fn read_times(path: &Path) -> Result<Vec<f64>, InferError> {
    let text = std::fs::read_to_string(path).map_err(|e| InferError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut out: Vec<f64> = Vec::new();
    let bad = |line: usize, message: String| InferError::Field {
        field: format!("--times {}, line {line}", path.display()),
        message,
    };
    let mut header = true;
    for (k, line) in text.lines().enumerate() {
        let field = line.split(',').next().unwrap_or("").trim();
        if field.is_empty() {
            continue;
        }
        match field.parse::<f64>() {
            Ok(v) if v.is_finite() => {
                if let Some(&last) = out.last() {
                    if v <= last {
                        return Err(bad(
                            k + 1,
                            format!("{v} is not after {last}: times must increase"),
                        ));
                    }
                }
                out.push(v);
            }
            Ok(v) => return Err(bad(k + 1, format!("{v}: times must be finite numbers"))),
            Err(_) if header && out.is_empty() => {}
            Err(_) => return Err(bad(k + 1, format!("`{field}` is not a number"))),
        }
        header = false;
    }
    if out.len() < 2 {
        return Err(InferError::Field {
            field: format!("--times {}", path.display()),
            message: format!(
                "{} time(s): give the time of --from and at least one more",
                out.len()
            ),
        });
    }
    Ok(out)
}

pub(crate) fn rollout(
    result: &Path,
    from: &str,
    dt: f64,
    (steps, times): (Option<usize>, Option<&Path>),
    method: Option<&str>,
    velocities: &[String],
    out: Option<&Path>,
    voice: Voice,
) -> Result<(), InferError> {
    let times = times.map(read_times).transpose()?.unwrap_or_default();
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
        steps: steps.unwrap_or(0),
        method,
        velocities,
        times,
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
        let mut row = vec![k.to_string(), t.times[k].to_string()];
        row.extend(x.iter().map(|v| v.to_string()));
        if let Some((_, h)) = &t.energy {
            row.push(h[k].to_string());
        }
        csv += &(row.join(",") + "\n");
    }
    emit(out, &csv)?;
    voice.say(&format!(
        "noether rollout: {} with {}{}",
        if t.times.len() == steps.unwrap_or(0) + 1 {
            format!("{} steps of {dt}", t.times.len() - 1)
        } else {
            format!(
                "{} times from {} to {} in steps of at most {dt}",
                t.times.len(),
                t.times[0],
                t.times[t.times.len() - 1]
            )
        },
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
