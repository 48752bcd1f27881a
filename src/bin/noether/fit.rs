//! `noether fit` and `noether nlml`.

use crate::common::*;
use noether_infer::format::number;
use noether_infer::{FitResult, InferError, Problem};
use std::path::{Path, PathBuf};

/// The fitted values with their standard errors, and what the user should know about the fit.
pub(crate) fn summary(r: &FitResult) -> Vec<String> {
    let se = |e: &noether_infer::Estimate| match (e.fixed, e.std_error) {
        (true, _) => "fixed".to_string(),
        (false, Some(s)) => number(s, 4),
        (false, None) => "not identifiable".to_string(),
    };
    let sampled = r.sampling.is_some();
    let mut out = vec![if sampled {
        format!(
            "\n  {:<28} {:>14} {:>18} {:>14} {:>12} {:>25} {:>7} {:>6} {:>6}",
            "parameter",
            "optimum",
            "Laplace error",
            "posterior mean",
            "sd",
            "95 % interval",
            "R-hat",
            "ESS b",
            "ESS t"
        )
    } else {
        format!(
            "\n  {:<28} {:>14} {:>18}",
            "parameter", "value", "standard error"
        )
    }];
    let mut row = |name: String, e: &noether_infer::Estimate| {
        let mut line = format!("  {name:<28} {:>14} {:>18}", number(e.value, 6), se(e));
        if let Some(p) = &e.posterior {
            line += &format!(
                " {:>14} {:>12} {:>25} {:>7.3} {:>6.0} {:>6.0}",
                number(p.mean, 6),
                number(p.sd, 3),
                format!(
                    "[{}, {}]",
                    number(p.interval95[0], 4),
                    number(p.interval95[1], 4)
                ),
                p.rhat,
                p.ess_bulk,
                p.ess_tail
            );
        }
        out.push(line);
    };
    for (n, e) in &r.parameters {
        row(n.clone(), e);
    }
    for (l, ps) in &r.kernels {
        for (n, e) in ps {
            row(format!("{l}.{n}"), e);
        }
    }
    for (c, e) in &r.noise {
        row(format!("noise.{c}"), e);
    }
    out.push(format!(
        "  NLML {}; jitter {}",
        number(r.nlml, 8),
        number(r.jitter, 2)
    ));
    if let Some((per, c)) = r.approximation.as_ref().and_then(|a| a.basis.as_ref()) {
        out.push(format!(
            "  approximation: the Hilbert-space basis, {} functions ({} per input) on the box {} × the data's half-range{}",
            per.iter().product::<usize>(),
            per.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" × "),
            c.iter().map(|v| number(*v, 3)).collect::<Vec<_>>().join(" × "),
            r.approximation.as_ref().and_then(|a| a.exact_nlml).map_or(String::new(), |e| format!(
                "; the exact NLML at these values is {}",
                number(e, 8)
            ))
        ));
    } else if let Some(a) = &r.approximation {
        out.push(format!(
            "  approximation: {} inducing values; the NLML above is the variational bound{}",
            a.inducing_values,
            a.exact_nlml.map_or(String::new(), |e| format!(
                "; the exact NLML at these values is {} ({} below)",
                number(e, 8),
                number(a.bound - e, 3)
            ))
        ));
    }
    if let Some(sm) = &r.sampling {
        out.push(format!(
            "  sampling: {}; {} chains × {} draws after {} warm-up; {} gradient evaluations in {} s ({} draws/s); divergences {}; E-BFMI {}",
            sm.sampler,
            sm.chains,
            sm.draws,
            sm.warmup,
            sm.gradient_evaluations,
            number(sm.seconds, 3),
            number(sm.draws_per_second, 3),
            sm.divergences.iter().sum::<usize>(),
            sm.ebfmi.iter().map(|e| number(*e, 2)).collect::<Vec<_>>().join(", ")
        ));
        out.push(format!(
            "  predictions from this result mix {} thinned draws",
            sm.mixture.values.len()
        ));
        for w in &sm.warnings {
            out.push(format!("  warning: {w}"));
        }
    }
    if !r.optimizer.converged {
        out.push(format!(
            "  warning: best start: {}",
            r.optimizer.termination
        ));
    }
    if !r.unidentifiable.is_empty() {
        out.push(format!(
            "  note: the data cannot identify {}",
            r.unidentifiable.join(", ")
        ));
    }
    for n in &r.notes {
        out.push(format!("  note: {n}"));
    }
    if let Some(n) = &r.optimizer.start_note {
        out.push(format!(
            "  start {} ({}) won; data-driven start: {n}",
            r.optimizer.best_start, r.optimizer.best_origin
        ));
    }
    out
}

pub(crate) fn fit(
    path: &Path,
    out: Option<&Path>,
    restarts: Option<usize>,
    seed: Option<u64>,
    draws: Option<&Path>,
    stats: Option<&Path>,
    voice: Voice,
) -> Result<(), InferError> {
    // A result file refits from its fitted values: its problem holds them as initial values.
    let mut problem = if is_result(path) {
        let r = FitResult::from_file(path)?;
        for c in r.data_changes() {
            voice.say(&format!("warning: {c}"));
        }
        let mut p = r.problem;
        p.fit.start = noether_likelihood::fit::StartFrom::Initial;
        voice.say(&format!(
            "{} is a result: refitting from its fitted values",
            path.display()
        ));
        p
    } else {
        Problem::from_file(path)?
    };
    if let Some(r) = restarts {
        problem.fit.restarts = r;
    }
    if let Some(s) = seed {
        problem.fit.seed = s;
    }
    problem.validate()?;
    let sampling = problem.fit.method == noether_likelihood::sample::Method::Nuts;
    if draws.is_some() && !sampling {
        return Err(InferError::Field {
            field: "--draws".into(),
            message:
                "there are draws only with \"fit\": {\"method\": \"nuts\"} in the problem file"
                    .into(),
        });
    }
    let merged = stats.map(noether_infer::Stats::from_file).transpose()?;
    if let (Some(s), Some(p)) = (&merged, stats) {
        problem.check_stats(s, &p.display().to_string())?;
    }
    let starts = problem.fit.restarts.saturating_add(1);
    voice.say(&format!(
        "noether fit {}: {starts} start{}",
        path.display(),
        if starts == 1 { "" } else { "s" }
    ));
    for line in problem
        .describe_fields()
        .into_iter()
        .chain(problem.describe_conditions())
        .chain(
            problem
                .condition_warnings()
                .into_iter()
                .map(|w| format!("warning: {w}")),
        )
    {
        voice.say(&format!("  {line}"));
    }
    let mut progress = voice.progress(&path.display().to_string());
    let fitted = match (&merged, stats) {
        (Some(s), Some(p)) => {
            problem.fit_with_stats(s, &p.display().to_string(), &mut |e| progress.event(e))
        }
        _ => problem.fit_with(&mut |e| progress.event(e)),
    };
    progress.finish();
    let fitted = fitted?;
    let result = fitted.result();
    if let (Some(path), Some(d)) = (draws, &fitted.draws) {
        let mut text = format!(
            "chain,draw,{}\n",
            d.names
                .iter()
                .map(|n| csv_field(n))
                .collect::<Vec<_>>()
                .join(",")
        );
        for (c, chain) in d.chains.iter().enumerate() {
            for (i, v) in chain.iter().enumerate() {
                let row: Vec<String> = v.iter().map(|x| x.to_string()).collect();
                text += &format!("{c},{i},{}\n", row.join(","));
            }
        }
        noether_infer::write_atomic(path, text.as_bytes())?;
    }
    for line in summary(&result) {
        voice.say(&line);
    }
    match out {
        Some(o) => result.save(o),
        None => {
            let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            emit(None, &result.relative_to(&here).to_json())
        }
    }
}

/// The most evaluations `nlml --repeat` makes.
pub(crate) const MAX_REPEAT: usize = 100_000;

pub(crate) fn nlml(path: &Path, repeat: usize) -> Result<(), InferError> {
    if repeat == 0 || repeat > MAX_REPEAT {
        return Err(InferError::Field {
            field: "--repeat".into(),
            message: format!("must be from 1 to {MAX_REPEAT}, got {repeat}"),
        });
    }
    let report = Problem::from_file(path)?.nlml(repeat)?;
    emit(None, &json(&report))
}
