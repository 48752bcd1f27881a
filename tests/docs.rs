//! The problem-file reference (docs/problem_file.md) stays true: its example parses and
//! validates, every field a problem or result has is documented, and the defaults it states are
//! the code's.

use noether::infer::{FitOptions, Problem};
use std::path::Path;

fn reference() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/problem_file.md"))
        .unwrap()
}

/// The first cell of every table row, without its backquotes.
fn documented(text: &str) -> Vec<(String, Vec<String>)> {
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect();
            (cells[0].trim_matches('`').to_string(), cells)
        })
        .collect()
}

fn example() -> Problem {
    let text = reference();
    let start = text.find("```json\n").unwrap() + 8;
    let end = start + text[start..].find("```").unwrap();
    serde_json::from_str(&text[start..end]).unwrap()
}

#[test]
fn the_example_parses_and_validates() {
    let p = example();
    p.validate().unwrap();
    assert_eq!(p.latents.len(), 3);
    assert_eq!(
        p.fit,
        FitOptions::default(),
        "the example writes out the defaults"
    );
}

#[test]
fn every_field_is_documented_with_the_codes_default() {
    let rows = documented(&reference());
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    let p = serde_json::to_value(example()).unwrap();
    for key in p.as_object().unwrap().keys() {
        assert!(names.contains(&key.as_str()), "top-level `{key}`");
    }
    for latent in p["latents"].as_object().unwrap().values() {
        for key in latent.as_object().unwrap().keys() {
            assert!(names.contains(&key.as_str()), "latent field `{key}`");
        }
    }
    for key in p["channels"][0].as_object().unwrap().keys() {
        assert!(names.contains(&key.as_str()), "channel field `{key}`");
    }
    let defaults = serde_json::to_value(FitOptions::default()).unwrap();
    let mut leaves = Vec::new();
    for (k, v) in defaults.as_object().unwrap() {
        match v.as_object() {
            Some(o) => leaves.extend(
                o.iter()
                    .map(|(k2, v2)| (format!("fit.{k}.{k2}"), v2.clone())),
            ),
            None => leaves.push((format!("fit.{k}"), v.clone())),
        }
    }
    for (name, value) in leaves {
        let row = rows
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("`{name}` is not documented"));
        let stated: serde_json::Value = serde_json::from_str(&row.1[2])
            .unwrap_or_else(|_| panic!("`{name}`: default `{}` is not JSON", row.1[2]));
        assert_eq!(stated, value, "the default of `{name}`");
    }
}

#[test]
fn every_result_field_is_documented() {
    let fitted = noether::infer::heat_problem(6, 6, 0)
        .restarts(0)
        .fit()
        .unwrap();
    let approximated = noether::infer::heat_problem(6, 6, 0)
        .restarts(0)
        .approximate(noether::infer::Approximation::kmeans(6))
        .fit()
        .unwrap();
    let rows = documented(&reference());
    for f in [fitted, approximated] {
        let r = serde_json::to_value(f.result()).unwrap();
        for key in r.as_object().unwrap().keys() {
            assert!(rows.iter().any(|(n, _)| n == key), "result field `{key}`");
        }
    }
}
