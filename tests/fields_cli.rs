//! Fields and joint posteriors from the command line: what `noether fit` says it built, several
//! `--channel` at once, `--cov`, `--samples`, zero-by-construction operators, and bad field input.

mod common;
use common::{noether, scratch as scratch_in, stderr};

fn scratch(name: &str) -> std::path::PathBuf {
    scratch_in("fields", name)
}

use std::path::{Path, PathBuf};
use std::process::Output;

/// A divergence-free field observed through both components at 25 points.
fn problem(latent: &str) -> String {
    let mut x = Vec::new();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for k in 0..25 {
        let (p, q) = (0.3 + 0.6 * (k / 5) as f64, 0.2 + 0.7 * (k % 5) as f64);
        x.push(format!("[{p}, {q}]"));
        // ψ = sin(p) cos(q): v = (ψ_q, −ψ_p) = (−sin p sin q, −cos p cos q).
        a.push(format!("{}", -(p.sin()) * q.sin()));
        b.push(format!("{}", -(p.cos()) * q.cos()));
    }
    let x = x.join(", ");
    format!(
        r#"{{"inputs": ["x", "y"], "latents": {{"v": {latent}}},
            "channels": [
              {{"name": "vx", "operator": "v[x]", "data": {{"x": [{x}], "y": [{}]}}, "noise": 1e-4}},
              {{"name": "vy", "operator": "v[y]", "data": {{"x": [{x}], "y": [{}]}}, "noise": 1e-4}}],
            "fit": {{"restarts": 0}}}}"#,
        a.join(", "),
        b.join(", ")
    )
}

fn fit(dir: &Path, latent: &str) -> (PathBuf, Output) {
    std::fs::write(dir.join("p.json"), problem(latent)).unwrap();
    let result = dir.join("r.json");
    let o = noether(&[
        "fit",
        dir.join("p.json").to_str().unwrap(),
        "--out",
        result.to_str().unwrap(),
    ]);
    (result, o)
}

const FIELD: &str =
    r#"{"field": "divergence_free", "kernel": "se", "variance": 1, "lengthscales": [1, 1]}"#;

#[test]
fn fit_says_what_the_field_is_built_from_and_predict_gives_joint_columns() {
    let dir = scratch("joint");
    let (result, o) = fit(&dir, FIELD);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("field v (divergence_free): v[x] = d(v, y), v[y] = -d(v, x)"),
        "{}",
        stderr(&o)
    );
    let r = result.to_str().unwrap();
    let cov = dir.join("cov.csv");
    let o = noether(&[
        "predict",
        r,
        "--channel",
        "v",
        "--channel",
        "div=d(v[x], x) + d(v[y], y)",
        "--grid",
        "x=1:2:2,y=1",
        "--cov",
        cov.to_str().unwrap(),
        "--samples",
        "2",
        "--seed",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout.clone()).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "x,y,v[x].mean,v[x].std,v[y].mean,v[y].std,div.mean,div.std,v[x].sample1,v[x].sample2,v[y].sample1,v[y].sample2,div.sample1,div.sample2"
    );
    for line in lines {
        let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        let (p, q) = (v[0], v[1]);
        assert!((v[2] + p.sin() * q.sin()).abs() < 0.05, "{line}");
        assert!((v[4] + p.cos() * q.cos()).abs() < 0.05, "{line}");
        assert_eq!((v[6], v[7]), (0.0, 0.0));
        assert!(v[12].abs() < 1e-12 && v[13].abs() < 1e-12, "{line}");
    }
    assert!(stderr(&o).contains("note: `div` is zero by construction"));
    let c = std::fs::read_to_string(&cov).unwrap();
    assert_eq!(c.lines().count(), 7);
    assert!(c.starts_with("row,v[x]@1,v[x]@2,v[y]@1,v[y]@2,div@1,div@2\n"));
    // The joint covariance's diagonal is the stds squared.
    let std: Vec<f64> = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let first: f64 = c
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!((first - std[3] * std[3]).abs() <= 1e-12 + 1e-9 * first);
}

#[test]
fn bad_fields_and_kernels_are_one_line() {
    let dir = scratch("bad");
    for (latent, want) in [
        (
            r#"{"field": "divergence_free", "inputs": ["x"], "kernel": "se", "variance": 1, "lengthscales": 1}"#,
            "latents.v.inputs: a divergence_free field needs at least 2 inputs; `v` has 1",
        ),
        (
            r#"{"field": "curl", "kernel": "se", "variance": 1, "lengthscales": 1}"#,
            r#"latents.v.field: "curl_free", "divergence_free", "hamiltonian" or "dissipative_hamiltonian""#,
        ),
        (
            r#"{"field": "curl_free", "inputs": ["x", "w"], "kernel": "se", "variance": 1, "lengthscales": 1}"#,
            "latents.v.inputs[1]: `w` is not an input",
        ),
        (
            r#"{"kernel": {"sum": []}}"#,
            "latents.v.kernel.sum: a sum with no terms",
        ),
        (
            r#"{"kernel": {"product": [{"kernel": "se", "variance": 1}]}}"#,
            "latents.v.kernel.product[0]: the se kernel needs initial `lengthscales`",
        ),
        (
            r#"{"kernel": {"sum": [{"kernel": "se", "variance": 1, "lengthscales": 1, "period": 2}]}}"#,
            "latents.v.kernel.sum[0]: the se kernel has no `period` (only periodic has)",
        ),
        (
            r#"{"kernel": "linear", "variance": 1, "offset": -1}"#,
            "latents.v.offset: must be a positive finite number",
        ),
    ] {
        let (result, o) = fit(&dir, latent);
        let e = stderr(&o);
        assert!(!o.status.success() && !result.exists(), "{latent}");
        assert!(e.lines().count() == 1 && e.contains(want), "{latent}: {e}");
    }
    // A component that does not exist, and the field without a component.
    let text = problem(FIELD).replace("\"v[y]\"", "\"v[w]\"");
    std::fs::write(dir.join("p.json"), text).unwrap();
    let o = noether(&["fit", dir.join("p.json").to_str().unwrap()]);
    assert!(
        stderr(&o).contains(
            "channels[1] (vy).operator: `v[w]`: the field `v` has the components v[x], v[y]"
        ),
        "{}",
        stderr(&o)
    );
    let text = problem(FIELD).replace("\"v[y]\"", "\"v\"");
    std::fs::write(dir.join("p.json"), text).unwrap();
    let o = noether(&["fit", dir.join("p.json").to_str().unwrap()]);
    assert!(
        stderr(&o).contains("`v` is a vector field: write one of its components (v[x], v[y])"),
        "{}",
        stderr(&o)
    );
}
