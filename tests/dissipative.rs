//! Dissipative Hamiltonian fields: the flow (J − R)∇H with a learned damping rate. Every
//! posterior sample and every rollout state has dH/dt = −γ (∂H/∂p)² ≤ 0; with zero damping the
//! field is the Hamiltonian one; the damping's gradient agrees with finite differences; bad
//! damping declarations are one line naming the field.

mod common;
use common::{noether, scratch, stderr};
use noether::infer::{Data, Init, Latent, Problem, Rollout};
use rand::{Rng, SeedableRng};

/// A damped oscillator, H = (q² + p²)/2, q̇ = p, ṗ = −q − γp with γ = 0.3, observed at `n`
/// seeded states with noise sd 0.01.
fn data(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let x: Vec<f64> = (0..2 * n).map(|_| rng.random_range(-1.5..1.5)).collect();
    let noise = |rng: &mut rand::rngs::StdRng| 0.01 * rng.random_range(-1.73..1.73);
    let dq = x.chunks(2).map(|s| s[1] + noise(&mut rng)).collect();
    let dp = x
        .chunks(2)
        .map(|s| -s[0] - 0.3 * s[1] + noise(&mut rng))
        .collect();
    (x, dq, dp)
}

fn problem(gamma: Init, dissipative: bool) -> Problem {
    let (x, dq, dp) = data(30, 1);
    let h = Latent::se(1.0, &[1.5, 1.5]);
    let h = if dissipative {
        h.dissipative(&[("q", "p")], &[("p", "gamma")])
    } else {
        h.hamiltonian(&[("q", "p")])
    };
    let p = Problem::new(&["q", "p"])
        .latent("H", h)
        .channel("dq", "H[q]", Data::from_rows(&x, 2, &dq), 1e-4)
        .channel("dp", "H[p]", Data::from_rows(&x, 2, &dp), 1e-4);
    if dissipative {
        p.parameter("gamma", gamma)
    } else {
        p
    }
}

#[test]
fn the_damping_is_learned_and_every_sample_loses_energy() {
    let fitted = problem(Init::Value(0.1), true).restarts(1).fit().unwrap();
    let g = fitted.parameter("gamma").unwrap();
    let se = fitted.std_error("gamma").unwrap();
    // Achieved: γ = 0.3038 ± 0.0034.
    assert!((g - 0.3).abs() < 0.015 && se < 0.01, "γ = {g} ± {se}");
    // Joint posterior samples of the flow and the energy's gradient at scattered states.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let at: Vec<f64> = (0..40).map(|_| rng.random_range(-2.0..2.0)).collect();
    let targets = ["H[q]", "H[p]", "d(H, q)", "d(H, p)"];
    let (_, j) = fitted.predict_joint(&targets, &at).unwrap();
    let m = at.len() / 2;
    let samples = j.samples(50, 3).unwrap();
    for s in &samples {
        for k in 0..m {
            let (fq, fp, hq, hp) = (s[k], s[m + k], s[2 * m + k], s[3 * m + k]);
            let scale = 1.0 + hq.abs().max(hp.abs()).powi(2);
            // The flow is (J − R)∇H in every sample, so dH/dt = −γ H_p² ≤ 0.
            assert!((fq - hp).abs() < 1e-6 * scale.sqrt(), "{fq} vs {hp}");
            assert!((fp + hq + g * hp).abs() < 1e-6 * scale.sqrt(), "{fp}");
            let dhdt = hq * fq + hp * fp;
            assert!(dhdt <= 1e-6 * scale, "dH/dt = {dhdt} at sample state {k}");
        }
    }
    // Along a rollout of the posterior mean, at every state.
    let traj = fitted
        .rollout(&Rollout {
            from: vec![("q".into(), 1.0), ("p".into(), 0.0)],
            dt: 0.05,
            steps: 200,
            method: None,
            velocities: vec![],
            times: vec![],
        })
        .unwrap();
    let (_, e) = traj.energy.clone().unwrap();
    let states = &traj.states;
    let grad = fitted
        .predict_joint(&["d(H, q)", "d(H, p)", "H[q]", "H[p]"], states)
        .unwrap()
        .1;
    let n = states.len() / 2;
    for k in 0..n {
        let (hq, hp, fq, fp) = (
            grad.mean[k],
            grad.mean[n + k],
            grad.mean[2 * n + k],
            grad.mean[3 * n + k],
        );
        assert!(
            hq * fq + hp * fp <= 1e-9 * (1.0 + hp * hp),
            "dH/dt > 0 at step {k}"
        );
    }
    // The learned energy falls step by step over the rollout (implicit midpoint: to O(dt³) a
    // step), like e^{−γt}: by t = 10 the true energy has fallen to about 5 % of its start.
    let worst = (1..n)
        .map(|k| e[k] - e[k - 1])
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        worst <= 1e-6 * (e[0] - e[n - 1]).abs(),
        "the energy rose by {worst} in a step"
    );
    assert!(e[0] - e[n - 1] > 0.3, "{} → {}", e[0], e[n - 1]);
}

#[test]
fn zero_damping_is_the_hamiltonian_field() {
    let fixed = problem(Init::fixed_at(0.0), true);
    let plain = problem(Init::Value(0.0), false);
    let (a, b) = (fixed.nlml(1).unwrap(), plain.nlml(1).unwrap());
    assert!(
        (a.nlml - b.nlml).abs() < 1e-9 * (1.0 + b.nlml.abs()),
        "{} vs {}",
        a.nlml,
        b.nlml
    );
    let at = [0.3, -0.7, 1.1, 0.4];
    for t in ["H[q]", "H[p]", "H"] {
        let (pa, pb) = (
            fixed.predict(t, &at).unwrap(),
            plain.predict(t, &at).unwrap(),
        );
        for k in 0..2 {
            assert!((pa.mean[k] - pb.mean[k]).abs() < 1e-10, "{t}");
        }
    }
}

#[test]
fn the_damping_gradient_matches_finite_differences() {
    let at = |g: f64| problem(Init::Value(g), true);
    let g0 = 0.25;
    let report = at(g0).nlml(1).unwrap();
    let h = 1e-5;
    let fd = (at(g0 + h).nlml(1).unwrap().nlml - at(g0 - h).nlml(1).unwrap().nlml) / (2.0 * h);
    let exact = report.gradient["gamma"];
    assert!(
        (exact - fd).abs() < 1e-5 * (1.0 + fd.abs()),
        "{exact} vs {fd}"
    );
}

/// Bad damping: one line naming the latent, the momentum or the parameter; nothing written.
#[test]
fn bad_damping_is_one_line() {
    let dir = scratch("dissipative", "bad");
    let (x, dq, dp) = data(10, 2);
    let rows = |y: &[f64]| {
        let mut s = String::from("q,p,y\n");
        for (k, v) in y.iter().enumerate() {
            s += &format!("{},{},{v}\n", x[2 * k], x[2 * k + 1]);
        }
        s
    };
    std::fs::write(dir.join("dq.csv"), rows(&dq)).unwrap();
    std::fs::write(dir.join("dp.csv"), rows(&dp)).unwrap();
    let file = |latent: &str, gamma: &str| {
        format!(
            r#"{{"inputs": ["q", "p"], "latents": {{"H": {{"kernel": "se", "variance": 1.0, "lengthscales": [1.0, 1.0], {latent}}}}},
  "parameters": {{"gamma": {gamma}}},
  "channels": [{{"name": "dq", "operator": "H[q]", "data": "dq.csv", "noise": 1e-4}}, {{"name": "dp", "operator": "H[p]", "data": "dp.csv", "noise": 1e-4}}]}}"#
        )
    };
    let dis = |damping: &str| {
        format!(
            r#""field": "dissipative_hamiltonian", "pairs": [["q", "p"]], "damping": {damping}"#
        )
    };
    let cases = [
        (
            file(&dis(r#"{"q": "gamma"}"#), "0.1"),
            "latents.H.damping.q: `q` is not a momentum",
        ),
        (
            file(&dis(r#"{"p": "gamma"}"#), "-0.1"),
            "parameters.gamma: `gamma` is the damping rate of `p`",
        ),
        (
            file(&dis(r#"{"p": "nu"}"#), "0.1"),
            "latents.H.damping.p: `nu` is not a parameter",
        ),
        (
            file(&dis("{}"), "0.1"),
            "latents.H.damping: a dissipative_hamiltonian field needs",
        ),
        (
            file(
                r#""field": "hamiltonian", "pairs": [["q", "p"]], "damping": {"p": "gamma"}"#,
                "0.1",
            ),
            "`damping` is for a dissipative_hamiltonian field",
        ),
        (
            file(&dis(r#"{"p": 3}"#), "0.1"),
            "damping: each damped momentum",
        ),
    ];
    for (k, (text, why)) in cases.iter().enumerate() {
        let path = dir.join(format!("p{k}.json"));
        std::fs::write(&path, text).unwrap();
        let out = dir.join(format!("r{k}.json"));
        let o = noether(&[
            "fit",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let e = stderr(&o);
        assert!(!o.status.success(), "case {k} succeeded");
        assert_eq!(e.lines().count(), 1, "case {k}: {e}");
        assert!(e.contains(why), "case {k}: {e}");
        assert!(!out.exists(), "case {k} wrote a result");
    }
    // NaN cannot be written in JSON; a leapfrog rollout of a damped field is refused.
    let good = dir.join("good.json");
    std::fs::write(&good, file(&dis(r#"{"p": "gamma"}"#), "0.1")).unwrap();
    let result = dir.join("result.json");
    let o = noether(&[
        "fit",
        good.to_str().unwrap(),
        "--out",
        result.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = noether(&[
        "rollout",
        result.to_str().unwrap(),
        "--from",
        "q=1,p=0",
        "--dt",
        "0.1",
        "--steps",
        "10",
        "--method",
        "leapfrog",
    ]);
    let e = stderr(&o);
    assert!(
        !o.status.success() && e.contains("leapfrog is for a conservative field"),
        "{e}"
    );
}

/// The damped oscillator q̈ + 0.3q̇ + q = 0 from q = 1, p = 0: (q, p) at time t.
fn exact(t: f64) -> (f64, f64) {
    let g = 0.3;
    let w = (1.0f64 - g * g / 4.0).sqrt();
    let e = (-g * t / 2.0).exp();
    (
        e * ((w * t).cos() + g / (2.0 * w) * (w * t).sin()),
        -e * (w * t).sin() / w,
    )
}

/// `noether rollout RESULT --from q=1,p=0 --dt 0.05 --times TIMES`, then `extra`.
fn rollout_at(
    result: &std::path::Path,
    times: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "rollout",
        result.to_str().unwrap(),
        "--from",
        "q=1,p=0",
        "--dt",
        "0.05",
        "--times",
        times.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    noether(&args)
}

/// A recorded trajectory as data (the channels observe the rates of q and p through midpoint
/// differences of consecutive frames, some dropped), and a rollout at the recording's own uneven
/// times, from the command line.
#[test]
fn trajectories_are_data_and_rollouts_follow_uneven_times() {
    let dir = scratch("dissipative", "trajectory");
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    // 5 Hz for 16 s, every 7th frame dropped.
    let times: Vec<f64> = (0..80)
        .filter(|k| k % 7 != 3)
        .map(|k| k as f64 * 0.2)
        .collect();
    let mut csv = String::from("t,q,p\n");
    for &t in &times {
        let (q, p) = exact(t);
        let n = |rng: &mut rand::rngs::StdRng| 1e-4 * rng.random_range(-1.73..1.73);
        csv += &format!("{t},{},{}\n", q + n(&mut rng), p + n(&mut rng));
    }
    std::fs::write(dir.join("rec.csv"), &csv).unwrap();
    let problem = r#"{"inputs": ["q", "p"],
      "latents": {"H": {"kernel": "se", "variance": 1.0, "lengthscales": [1.0, 1.0],
                        "field": "dissipative_hamiltonian", "pairs": [["q", "p"]], "damping": {"p": "gamma"}}},
      "parameters": {"gamma": 0.1},
      "channels": [
        {"name": "dq", "operator": "H[q]", "data": {"trajectory": "rec.csv", "time": "t", "rate_of": "q"}, "noise": 1e-4},
        {"name": "dp", "operator": "H[p]", "data": {"trajectory": "rec.csv", "time": "t", "rate_of": "p"}, "noise": 1e-4}],
      "fit": {"restarts": 1}}"#;
    std::fs::write(dir.join("problem.json"), problem).unwrap();
    let result = dir.join("result.json");
    let o = noether(&[
        "fit",
        dir.join("problem.json").to_str().unwrap(),
        "--out",
        result.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
    let g = r["parameters"]["gamma"]["value"].as_f64().unwrap();
    // Achieved: 0.3030 from the 68 differences.
    assert!((g - 0.3).abs() < 0.01, "γ = {g}");
    // Roll out at the recording's times.
    let tfile = dir.join("times.txt");
    let list: String = std::iter::once("time".to_string())
        .chain(times.iter().map(|t| t.to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&tfile, list).unwrap();
    let traj = dir.join("traj.csv");
    let o = rollout_at(&result, &tfile, &["--out", traj.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&traj).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), times.len());
    let mut worst: f64 = 0.0;
    for (row, &t) in rows.iter().zip(&times) {
        assert!((row[1] - t).abs() < 1e-12, "{row:?}");
        let (q, p) = exact(t);
        worst = worst.max((row[2] - q).abs()).max((row[3] - p).abs());
    }
    // Achieved: the rollout follows the true trajectory to 0.012 over 16 s.
    assert!(worst < 0.03, "largest error {worst}");
    // The learned energy never rises along it.
    let e: Vec<f64> = rows.iter().map(|r| r[4]).collect();
    assert!(e.windows(2).all(|w| w[1] <= w[0] + 1e-6), "{e:?}");

    // --out naming the times file is refused before anything runs.
    common::refused(
        &dir,
        &[
            "rollout",
            "result.json",
            "--from",
            "q=1,p=0",
            "--dt",
            "0.05",
            "--times",
            "times.txt",
            "--out",
            "times.txt",
        ],
        "--out",
        "the times of --times",
    );
    // Hostile: unsorted, non-finite, empty or too short --times; a recording whose time goes
    // back; a rate of a column that is not an input.
    let cases: [(&str, &str); 4] = [
        ("0\n1\n0.5\n", "line 3: 0.5 is not after 1"),
        ("0\ninf\n", "line 2: inf: times must be finite"),
        ("", "0 time(s)"),
        ("0\nabc\n", "line 2: `abc` is not a number"),
    ];
    for (k, (body, why)) in cases.iter().enumerate() {
        let f = dir.join(format!("times{k}.txt"));
        std::fs::write(&f, body).unwrap();
        let o = rollout_at(&result, &f, &[]);
        let e = stderr(&o);
        assert!(
            !o.status.success() && e.lines().count() == 1 && e.contains(why),
            "{k}: {e}"
        );
    }
    std::fs::write(
        dir.join("back.csv"),
        "t,q,p\n0,1,0\n0.2,0.9,-0.2\n0.1,0.8,-0.3\n",
    )
    .unwrap();
    let back = problem.replace("rec.csv", "back.csv");
    std::fs::write(dir.join("back.json"), back).unwrap();
    let o = noether(&["fit", dir.join("back.json").to_str().unwrap()]);
    let e = stderr(&o);
    assert!(
        !o.status.success()
            && e.contains("back.csv, row 4, column `t`")
            && e.contains("must increase"),
        "{e}"
    );
    let wrong = problem.replace(r#""rate_of": "q""#, r#""rate_of": "t""#);
    std::fs::write(dir.join("wrong.json"), wrong).unwrap();
    let o = noether(&["fit", dir.join("wrong.json").to_str().unwrap()]);
    let e = stderr(&o);
    assert!(
        !o.status.success() && e.contains("rate_of: `t` is not an input"),
        "{e}"
    );
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random, mostly hostile, dissipative fields and trajectory data in a problem file: reading
    /// it and building the model never panics, and an error is one line that names its place.
    #[test]
    fn hostile_damping_and_trajectories_never_panic(
        key in prop::sample::select(vec!["p", "q", "x", "", "P"]),
        rate in prop::sample::select(vec!["gamma", "nu", "q", "", "H", "gamma gamma"]),
        gamma in prop::sample::select(vec![0.1, 0.0, -1.0, 1e300, 1e-300, -0.0]),
        fixed in any::<bool>(),
        times in prop::collection::vec(prop::sample::select(vec!["0", "0.1", "0.2", "0.2", "-1", "1e308", "nan", "inf", "x", ""]), 0..6),
        rate_of in prop::sample::select(vec!["q", "p", "t", "y", "", "H"]),
        time in prop::sample::select(vec!["t", "q", "s", ""]),
    ) {
        let dir = std::env::temp_dir().join(format!("noether-hostile-diss-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut csv = String::from("t,q,p\n");
        for (k, t) in times.iter().enumerate() {
            csv += &format!("{t},{},{}\n", 0.1 * k as f64, -0.05 * k as f64);
        }
        std::fs::write(dir.join("rec.csv"), &csv).unwrap();
        let mut damping = serde_json::Map::new();
        damping.insert(key.to_string(), rate.into());
        let problem = serde_json::json!({
            "inputs": ["q", "p"],
            "latents": {"H": {"kernel": "se", "variance": 1.0, "lengthscales": [1.0, 1.0],
                              "field": "dissipative_hamiltonian", "pairs": [["q", "p"]], "damping": damping}},
            "parameters": {"gamma": {"value": gamma, "fixed": fixed}},
            "channels": [
                {"name": "dq", "operator": "H[q]", "data": {"x": [[0.1, 0.2], [0.3, -0.4]], "y": [0.2, -0.4]}, "noise": 1e-3},
                {"name": "dp", "operator": "H[p]", "data": {"trajectory": "rec.csv", "time": time, "rate_of": rate_of}, "noise": 1e-3}
            ]
        });
        let text = problem.to_string();
        let file = dir.join("problem.json");
        std::fs::write(&file, &text).unwrap();
        let outcome = std::panic::catch_unwind(|| match Problem::from_file(&file) {
            Err(e) => Err(e.to_string()),
            Ok(p) => p.model().map(|_| ()).map_err(|e| e.to_string()),
        });
        prop_assert!(outcome.is_ok(), "panicked on {} with {:?}", text, csv);
        if let Ok(Err(e)) = outcome {
            prop_assert!(!e.is_empty() && !e.contains('\n'), "{}", e);
            prop_assert!(
                ["latents", "parameters", "channels", "damping", "rec.csv", "data", "gamma"]
                    .iter()
                    .any(|w| e.contains(w)),
                "an error that names nothing: {} for {} with {:?}", e, text, csv
            );
        }
    }
}

#[test]
fn a_nan_damping_rate_from_rust_is_one_line() {
    let e = problem(Init::Value(f64::NAN), true)
        .fit()
        .unwrap_err()
        .to_string();
    assert!(e.contains("gamma") && !e.contains('\n'), "{e}");
}
