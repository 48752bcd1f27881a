//! `noether discover`: which law explains the data, every candidate ranked by its evidence.

use crate::common::{emit, json, Voice};
use noether_infer::format::number;
use noether_infer::{InferError, Problem};
use std::path::Path;

/// How many of the ranked laws the summary lists (the file has them all).
const SHOWN: usize = 10;

pub(crate) fn discover(
    path: &Path,
    out: Option<&Path>,
    seed: Option<u64>,
    voice: Voice,
) -> Result<(), InferError> {
    let mut problem = Problem::from_file(path)?;
    if let Some(s) = seed {
        problem.fit.seed = s;
    }
    let spec = problem.discover.clone().ok_or_else(|| InferError::Field {
        field: "discover".into(),
        message: "the problem has no `discover` block: add one naming the channel and the library, e.g. \"discover\": {\"channel\": \"law\", \"terms\": [\"u\", \"u_t\"], \"required\": [\"u_tt\"]}".into(),
    })?;
    let size = problem.discovery_size(&spec)?;
    voice.say(&format!(
        "noether discover {}: the law of channel `{}`, library {} ({} term{}), required {}; {}",
        path.display(),
        spec.channel,
        spec.terms.join(", "),
        spec.terms.len(),
        if spec.terms.len() == 1 { "" } else { "s" },
        if spec.required.is_empty() {
            "none".to_string()
        } else {
            spec.required.join(", ")
        },
        size.map_or("a greedy forward–backward search".to_string(), |n| format!(
            "{n} candidate{} to fit",
            if n == 1 { "" } else { "s" }
        ))
    ));
    let mut fitted = 0usize;
    let d = problem.discover_with(&spec, &mut |c| {
        fitted += 1;
        {
            let score = c.log_evidence.map_or("failed".to_string(), |l| {
                format!("log evidence {}", number(l, 6))
            });
            voice.say(&format!(
                "  candidate {fitted:>3}: {:<40} {score} ({} s, {} evaluations){}",
                c.terms.join(" + "),
                number(c.seconds, 3),
                c.evaluations,
                if c.degenerate { ", degenerate" } else { "" }
            ));
        }
    })?;
    voice.say(&format!(
        "\n  {} candidates ({} search) in {} s, {} s per candidate on one core\n",
        d.candidates.len(),
        d.search,
        number(d.seconds, 3),
        number(d.seconds_per_candidate, 3)
    ));
    for (k, line) in d.table().lines().enumerate() {
        if k <= SHOWN {
            voice.say(&format!("  {line}"));
        }
    }
    if d.candidates.len() > SHOWN {
        voice.say(&format!(
            "  … {} more in the output",
            d.candidates.len() - SHOWN
        ));
    }
    let best = d.best();
    voice.say(&format!("\n  law: {}\n  LaTeX: {}", best.law, best.latex));
    for (term, e) in &best.parameters {
        if !e.fixed {
            voice.say(&format!(
                "    {term:<16} {} ± {}",
                number(e.value, 6),
                e.std_error
                    .map_or("not identifiable".to_string(), |s| number(s, 3))
            ));
        }
    }
    for n in d.notes.iter().chain(&best.notes) {
        voice.say(&format!("  note: {n}"));
    }
    match out {
        Some(o) => d.save(o),
        None => emit(None, &json(&d)),
    }
}
