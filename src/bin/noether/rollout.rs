//! `noether rollout`.

use crate::common::*;
use noether_infer::format::number;
use noether_infer::grid::parse_axes;
use noether_infer::InferError;
use std::path::Path;

pub(crate) fn rollout(
    result: &Path,
    from: &str,
    dt: f64,
    steps: usize,
    method: Option<&str>,
    velocities: &[String],
    out: Option<&Path>,
    voice: Voice,
) -> Result<(), InferError> {
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
        steps,
        method,
        velocities,
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
        let mut row = vec![k.to_string(), (k as f64 * dt).to_string()];
        row.extend(x.iter().map(|v| v.to_string()));
        if let Some((_, h)) = &t.energy {
            row.push(h[k].to_string());
        }
        csv += &(row.join(",") + "\n");
    }
    emit(out, &csv)?;
    voice.say(&format!(
        "noether rollout: {steps} steps of {dt} with {}{}",
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
