//! Posterior sampling from the command line: `fit.method: "nuts"` in a problem file, the
//! posterior in the result, `--draws`, predictions that mix the draws, and bad settings.

mod common;
use common::{refused, run_in, scratch, stderr};
use std::path::Path;

/// The README's heat problem in `dir`, its `fit` object replaced by `fit`.
fn heat_problem(dir: &Path, fit: &str) {
    for f in ["u.csv", "all.csv"] {
        std::fs::copy(Path::new("tests/data/heat").join(f), dir.join(f)).unwrap();
    }
    let text = std::fs::read_to_string("tests/data/heat/problem.json").unwrap();
    let text = text.replace(
        r#""fit": {"restarts": 1, "seed": 0}"#,
        &format!(r#""fit": {fit}"#),
    );
    assert!(text.contains(fit));
    std::fs::write(dir.join("problem.json"), text).unwrap();
}

#[test]
fn a_sampled_fit_reports_the_posterior_writes_draws_and_predicts_from_their_mixture() {
    let dir = scratch("sampling", "cli");
    heat_problem(
        &dir,
        r#"{"restarts": 1, "seed": 0, "method": "nuts", "chains": 2, "warmup": 200, "draws": 200}"#,
    );
    let o = run_in(
        &dir,
        &["fit", "problem.json", "--out", "r.json", "--draws", "d.csv"],
    );
    let e = stderr(&o);
    assert!(e.contains("posterior mean") && e.contains("R-hat"), "{e}");
    assert!(e.contains("sampling: NUTS"), "{e}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).unwrap()).unwrap();
    let a = &r["parameters"]["a"];
    let post = &a["posterior"];
    let (mean, sd) = (post["mean"].as_f64().unwrap(), post["sd"].as_f64().unwrap());
    let [lo, hi] = [0, 1].map(|i| post["interval95"][i].as_f64().unwrap());
    // E4 (a = 1, noise-free data): the posterior sits on the truth, its interval around its mean.
    assert!((mean - 1.0).abs() < 0.02 && sd > 0.0 && sd < 0.02, "{post}");
    assert!(lo < mean && mean < hi, "{post}");
    assert!(post["rhat"].as_f64().unwrap() < 1.05, "{post}");
    assert!(post["ess_bulk"].as_f64().unwrap() > 50.0, "{post}");
    let s = &r["sampling"];
    assert_eq!(s["chains"], 2);
    assert_eq!(s["kept"][0], 200);
    assert_eq!(s["mixture"]["values"].as_array().unwrap().len(), 100);
    // Every draw: chain, draw, one column per free parameter.
    let draws = std::fs::read_to_string(dir.join("d.csv")).unwrap();
    let mut lines = draws.lines();
    let head = lines.next().unwrap();
    assert!(
        head.starts_with("chain,draw,") && head.contains(",a,"),
        "{head}"
    );
    assert_eq!(lines.count(), 400);
    // Predictions mix the draws: finite, and close to the optimum's.
    let o = run_in(
        &dir,
        &[
            "predict",
            "r.json",
            "--channel",
            "u",
            "--grid",
            "t=0.5,x=0:1:5",
        ],
    );
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    for row in text.lines().skip(1) {
        let v: Vec<f64> = row.split(',').map(|x| x.parse().unwrap()).collect();
        let exact = (-0.5f64).exp() * (2.0 * std::f64::consts::PI * v[1]).sin();
        assert!(
            v[3] > 0.0 && (v[2] - exact).abs() < 5.0 * v[3] + 1e-3,
            "{row}"
        );
    }
    run_in(
        &dir,
        &["plot", "r.json", "--channel", "u", "--out", "u.png"],
    );
}

#[test]
fn bad_sampler_settings_are_one_line_and_write_nothing() {
    let dir = scratch("sampling", "bad");
    for (fit, field, why) in [
        (r#"{"method": "mcmc"}"#, "method", "nuts"),
        (r#"{"method": "nuts", "chains": 0}"#, "fit.chains", "from 1"),
        (
            r#"{"method": "nuts", "draws": 1000000000}"#,
            "fit.draws",
            "1000000",
        ),
        (r#"{"method": "nuts", "warmup": -3}"#, "warmup", ""),
    ] {
        heat_problem(&dir, fit);
        refused(
            &dir,
            &["fit", "problem.json", "--out", "r.json"],
            field,
            why,
        );
    }
    heat_problem(&dir, r#"{"restarts": 0}"#);
    refused(
        &dir,
        &["fit", "problem.json", "--out", "r.json", "--draws", "d.csv"],
        "--draws",
        "method",
    );
    refused(
        &dir,
        &["fit", "problem.json", "--out", "r.json", "--draws", "u.csv"],
        "--draws",
        "destroy",
    );
}
