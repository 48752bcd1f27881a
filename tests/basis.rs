//! The Hilbert-space basis from the problem file: a fit of the README's heat problem through
//! `"approximation": {"basis": …}`, its result read back by `predict`, and the bad inputs.

mod common;
use common::{predict_grid, refused, run_in, scratch, stderr};
use std::path::{Path, PathBuf};

fn heat(name: &str, approximation: serde_json::Value) -> PathBuf {
    let dir = scratch("basis", name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/heat");
    for f in ["u.csv", "all.csv"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("problem.json")).unwrap()).unwrap();
    p["approximation"] = approximation;
    std::fs::write(dir.join("p.json"), p.to_string()).unwrap();
    dir
}

#[test]
fn a_basis_fits_the_heat_problem_and_predicts() {
    // E4's 20 + 20 points: ℓ_t ≈ 1.4, ℓ_x ≈ 0.25 over half-ranges of 0.5; c = 10 in t and 3 in x
    // and 12 × 24 functions resolve both (the default c from the initial ℓ = 1 is 6.4 in both).
    let dir = heat(
        "fit",
        serde_json::json!({"per_input": [12, 24], "boundary_factor": [10, 3]}),
    );
    let o = run_in(&dir, &["fit", "p.json", "--out", "r.json"]);
    let e = stderr(&o);
    assert!(
        e.contains("approximation: the Hilbert-space basis, 288 functions (12 × 24 per input)"),
        "{e}"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).unwrap()).unwrap();
    let a = r["parameters"]["a"]["value"].as_f64().unwrap();
    // The exact fit of these data: a = 0.99968 ± 1.0e-3.
    assert!((a - 0.99968).abs() < 1e-3, "a = {a}");
    assert!(r["approximation"]["basis"].is_array());
    let o = predict_grid(&dir, "r.json", "u", "t=0.5,x=0.25");
    let line = String::from_utf8_lossy(&o.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let mean: f64 = line.split(',').nth(2).unwrap().parse().unwrap();
    // u = e^{−t} sin 2πx.
    assert!((mean - (-0.5f64).exp()).abs() < 1e-2, "{line}");
    // The default box from a basis size alone notes the lengthscales it does not fit.
    let dir = heat("notes", serde_json::json!({"basis": 100}));
    let o = run_in(&dir, &["fit", "p.json", "--out", "r.json"]);
    assert!(
        stderr(&o).contains("note: u.lengthscales."),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_bases_are_one_line_and_write_nothing() {
    for (approx, field, why) in [
        (
            serde_json::json!({"basis": 0}),
            "approximation.basis",
            "at least 1 function",
        ),
        (
            serde_json::json!({"per_input": [4]}),
            "approximation.per_input",
            "one positive count per input",
        ),
        (
            serde_json::json!({"basis": 10, "per_input": [4, 4]}),
            "approximation.basis",
            "makes 16",
        ),
        (
            serde_json::json!({"basis": 16, "boundary_factor": 1}),
            "approximation",
            "must exceed 1",
        ),
        (
            serde_json::json!({"basis": 16, "boundary_factor": [2, 2, 2]}),
            "approximation",
            "one per input",
        ),
        (
            serde_json::json!({"basis": 16, "inducing": 4}),
            "approximation",
            "not both",
        ),
        (
            serde_json::json!({"basis": 4_000_000_000u64}),
            "approximation",
            "use fewer",
        ),
        (
            serde_json::json!({"per_input": [100_000_000_000u64, 100_000_000_000u64]}),
            "approximation.per_input",
            "more functions than can be counted",
        ),
        (
            serde_json::json!({"basis": 16, "boundary_factor": "wide"}),
            "approximation.boundary_factor",
            "a number, or a list of numbers",
        ),
    ] {
        let dir = heat("bad", approx.clone());
        refused(
            &dir,
            &["fit", "p.json", "--out", "r.json", "--quiet"],
            field,
            why,
        );
    }
    // A kernel without a spectral density names itself and what works.
    let dir = heat("rq", serde_json::json!({"basis": 16}));
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("p.json")).unwrap()).unwrap();
    p["latents"]["u"]["kernel"] = "rq".into();
    p["latents"]["u"]["alpha"] = 1.0.into();
    std::fs::write(dir.join("p.json"), p.to_string()).unwrap();
    refused(
        &dir,
        &["fit", "p.json", "--out", "r.json", "--quiet"],
        "rational quadratic kernel of `u`",
        "use se, matern32, matern52",
    );
}

#[test]
fn sharded_statistics_merge_and_fit_as_one_pass() {
    let dir = heat(
        "shards",
        serde_json::json!({"per_input": [8, 12], "boundary_factor": [10, 3]}),
    );
    // Noise held at 1e-4: with E4's exact data a learned noise falls to its floor, where the
    // collapsed NLML is a difference of terms near 1e13 and the two orders of summation differ
    // in its last bits.
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("p.json")).unwrap()).unwrap();
    for c in p["channels"].as_array_mut().unwrap() {
        c["noise"] = serde_json::json!({"value": 1e-4, "fixed": true});
    }
    std::fs::write(dir.join("p.json"), p.to_string()).unwrap();
    // Three shards of uneven size; the last range runs past the end.
    for (rows, out) in [
        ("0:7", "a.stats"),
        ("7:12", "b.stats"),
        ("12:100", "c.stats"),
    ] {
        run_in(&dir, &["stats", "p.json", "--rows", rows, "--out", out]);
    }
    run_in(
        &dir,
        &[
            "merge",
            "c.stats",
            "a.stats",
            "b.stats",
            "--out",
            "all.stats",
        ],
    );
    run_in(
        &dir,
        &[
            "fit",
            "p.json",
            "--stats",
            "all.stats",
            "--out",
            "sharded.json",
        ],
    );
    run_in(&dir, &["fit", "p.json", "--out", "one.json"]);
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    let (s, o) = (read("sharded.json"), read("one.json"));
    let (ns, no) = (s["nlml"].as_f64().unwrap(), o["nlml"].as_f64().unwrap());
    // Equal sums give equal NLMLs to 1e-10 at equal parameters (the likelihood crate's test); two
    // fits stop where their own iterates meet the tolerances, within 1e-6 of each other here.
    assert!((ns - no).abs() < 1e-6 * no.abs().max(1.0), "{ns} vs {no}");
    let (a1, a2) = (
        s["parameters"]["a"]["value"].as_f64().unwrap(),
        o["parameters"]["a"]["value"].as_f64().unwrap(),
    );
    assert!((a1 - a2).abs() < 1e-5, "{a1} vs {a2}");
    // A shard missing, shards overlapping, a truncated file, a bad range, no basis: one line,
    // nothing written.
    run_in(&dir, &["merge", "a.stats", "b.stats", "--out", "ab.stats"]);
    refused(
        &dir,
        &["fit", "p.json", "--stats", "ab.stats", "--out", "x.json"],
        "ab.stats",
        "merge the missing shards",
    );
    refused(
        &dir,
        &["merge", "a.stats", "all.stats", "--out", "x.stats"],
        "all.stats",
        "overlap",
    );
    let text = std::fs::read_to_string(dir.join("a.stats")).unwrap();
    std::fs::write(dir.join("cut.stats"), &text[..text.len() / 2]).unwrap();
    refused(
        &dir,
        &["fit", "p.json", "--stats", "cut.stats", "--out", "x.json"],
        "cut.stats",
        "not a statistics file",
    );
    refused(
        &dir,
        &["stats", "p.json", "--rows", "5:3", "--out", "x.stats"],
        "--rows",
        "empty",
    );
    refused(
        &dir,
        &["stats", "p.json", "--rows", "five", "--out", "x.stats"],
        "--rows",
        "A:B",
    );
    refused(
        &dir,
        &["merge", "a.stats", "b.stats", "--out", "a.stats"],
        "--out",
        "destroy",
    );
    refused(
        &dir,
        &["stats", "p.json", "--rows", "0:5", "--out", "u.csv"],
        "--out",
        "destroy",
    );
    let exact = heat("shards-exact", serde_json::Value::Null);
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(exact.join("p.json")).unwrap()).unwrap();
    p.as_object_mut().unwrap().remove("approximation");
    std::fs::write(exact.join("p.json"), p.to_string()).unwrap();
    refused(
        &exact,
        &["stats", "p.json", "--rows", "0:5", "--out", "x.stats"],
        "approximation",
        "basis",
    );
    // Statistics of another problem (another basis box) are refused.
    let other = heat(
        "shards-other",
        serde_json::json!({"per_input": [8, 12], "boundary_factor": [9, 3]}),
    );
    std::fs::copy(dir.join("all.stats"), other.join("all.stats")).unwrap();
    refused(
        &other,
        &["fit", "p.json", "--stats", "all.stats", "--out", "x.json"],
        "all.stats",
        "another problem",
    );
}

/// `noether stats p.json --rows ROWS --out x{rank}.stats` in `dir`, with no launcher's rank
/// variables in its environment.
fn stats_without_launcher(dir: &Path, rows: &str) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_noether"));
    c.args(["stats", "p.json", "--rows", rows, "--out", "x{rank}.stats"]);
    for v in [
        "OMPI_COMM_WORLD_RANK",
        "PMI_RANK",
        "PMIX_RANK",
        "SLURM_PROCID",
        "SLURM_ARRAY_TASK_ID",
    ] {
        c.env_remove(v);
    }
    c.current_dir(dir).output().unwrap()
}

/// Shards by rank: `--rows K/N` and `--rows env` under the variables an MPI or Slurm launcher
/// sets cut the rows into equal shards whose merge is the one pass, `{rank}` naming each file.
#[test]
fn shards_by_rank_under_a_launcher_merge_to_the_one_pass() {
    let dir = heat(
        "shards-rank",
        serde_json::json!({"per_input": [8, 12], "boundary_factor": [10, 3]}),
    );
    // Three ranks as Open MPI would start them, one as Slurm would: the variables decide.
    for k in 0..3 {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_noether"))
            .args([
                "stats",
                "p.json",
                "--rows",
                "env",
                "--out",
                "part{rank}.stats",
            ])
            .env("OMPI_COMM_WORLD_RANK", k.to_string())
            .env("OMPI_COMM_WORLD_SIZE", "3")
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(dir.join(format!("part{k}.stats")).exists());
    }
    run_in(
        &dir,
        &[
            "merge",
            "part0.stats",
            "part1.stats",
            "part2.stats",
            "--out",
            "env.stats",
        ],
    );
    // The same shards as K/N, and the whole as one shard: equal sums.
    for k in 0..3 {
        let rows = format!("{k}/3");
        run_in(
            &dir,
            &[
                "stats",
                "p.json",
                "--rows",
                &rows,
                "--out",
                "kn{rank}.stats",
            ],
        );
    }
    run_in(
        &dir,
        &[
            "merge",
            "kn0.stats",
            "kn1.stats",
            "kn2.stats",
            "--out",
            "kn.stats",
        ],
    );
    run_in(
        &dir,
        &["stats", "p.json", "--rows", "0/1", "--out", "one.stats"],
    );
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    assert_eq!(read("env.stats")["rows"], read("kn.stats")["rows"]);
    assert_eq!(read("env.stats")["sums"], read("kn.stats")["sums"]);
    let rows: Vec<[usize; 2]> = serde_json::from_value(read("kn.stats")["rows"].clone()).unwrap();
    assert_eq!(rows.first().unwrap()[0], 0);
    for w in rows.windows(2) {
        assert_eq!(w[0][1], w[1][0], "contiguous shards: {rows:?}");
    }
    run_in(
        &dir,
        &["fit", "p.json", "--stats", "kn.stats", "--out", "r.json"],
    );
    // No launcher, a rank past the size, more shards than rows: one line, nothing written.
    let o = stats_without_launcher(&dir, "env");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("mpirun"));
    refused(
        &dir,
        &["stats", "p.json", "--rows", "3/3", "--out", "x.stats"],
        "--rows",
        "0 ≤ K < N",
    );
    refused(
        &dir,
        &["stats", "p.json", "--rows", "0/100000", "--out", "x.stats"],
        "--rows",
        "shards of",
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..proptest::prelude::ProptestConfig::default() })]

    /// Any `--rows` (ranges, shards, `env`, garbage, huge or negative numbers) with a `{rank}`
    /// output: never a panic; either a statistics file is written, or one line names `--rows`
    /// and nothing in the folder changes.
    #[test]
    fn any_rows_is_a_shard_or_one_line(rows in "(env|[0-9]{0,3}[:/][0-9]{0,3}|-?[0-9]{1,20}[:/]-?[0-9]{1,20}|[ a-z:/0-9]{0,8})") {
        let dir = heat(
            "shards-prop",
            serde_json::json!({"per_input": [6, 8], "boundary_factor": [10, 3]}),
        );
        let before = common::snapshot(&dir);
        let o = stats_without_launcher(&dir, &rows);
        let e = stderr(&o);
        proptest::prop_assert!(!e.contains("panicked"), "{rows:?}: {e}");
        if o.status.success() {
            let after = common::snapshot(&dir);
            proptest::prop_assert_eq!(after.len(), before.len() + 1, "{:?}: one file written", rows);
            for f in std::fs::read_dir(&dir).unwrap() {
                let p = f.unwrap().path();
                if p.extension().is_some_and(|x| x == "stats") {
                    std::fs::remove_file(p).unwrap();
                }
            }
        } else {
            proptest::prop_assert_eq!(e.lines().count(), 1, "{:?}: {}", rows, e);
            proptest::prop_assert!(e.contains("--rows"), "{:?}: {}", rows, e);
            proptest::prop_assert!(common::snapshot(&dir) == before, "{:?} changed a file", rows);
        }
    }
}

/// A fixed pseudo-random stream in [0, 1) (a 64-bit LCG), for designs that do not move.
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Every prediction in `pr` at the points `at` (two inputs each) is 0 with no variance: what a
/// wall imposes.
fn held_at_walls(pr: &noether::infer::Prediction, at: &[f64], what: &str) {
    for (k, p) in at.chunks(2).enumerate() {
        assert!(
            pr.mean[k].abs() < 1e-10 && pr.variance[k] < 1e-18,
            "{what} at {p:?}: {} ± {}",
            pr.mean[k],
            pr.variance[k]
        );
    }
}

/// Declared faces become the basis's walls: with Dirichlet (sines) or Neumann (cosines) sides
/// on x ∈ [0, π], every posterior sample meets them, the heat coefficient is learned as with the
/// exact solver and the same declarations, and the fit says what it built.
#[test]
fn declared_faces_are_the_basis_walls() {
    use noether::infer::{
        Approximation, Boundary, Condition, Data, Init, Latent, PerInput, Problem,
    };
    use std::f64::consts::PI;
    // The third case lifts the walls' values off 0 with a known mean (u = 1 and 2 at the
    // faces): the basis carries u − mean, and the sums of the residuals y − mean.
    for (cond, u, mean) in [
        (
            Condition::Dirichlet,
            (|t: f64, x: f64| (-t).exp() * x.sin()) as fn(f64, f64) -> f64,
            None,
        ),
        (
            Condition::Neumann,
            |t: f64, x: f64| (-t).exp() * x.cos(),
            None,
        ),
        (
            Condition::Dirichlet,
            |t: f64, x: f64| (-t).exp() * x.sin() + 1.0 + x / PI,
            Some("1 + x/pi"),
        ),
    ] {
        // 40 noisy u (a fixed pseudo-random design) and 40 zeros of the law on a grid.
        let mut r = uniform(11);
        let mut xu = Vec::new();
        let mut yu = Vec::new();
        for _ in 0..40 {
            let (t, x) = (r(), PI * r());
            xu.extend([t, x]);
            yu.push(u(t, x) + 0.01 * (r() - 0.5));
        }
        let xf: Vec<f64> = (0..40)
            .flat_map(|k| {
                [
                    ((k / 8) as f64 + 0.5) / 5.0,
                    PI * ((k % 8) as f64 + 0.5) / 8.0,
                ]
            })
            .collect();
        let mut latent =
            Latent::se(1.0, &[1.0, 1.0]).boundary("x", Boundary::faces(0.0, PI, [Some(cond); 2]));
        if let Some(m) = mean {
            latent = latent.mean(m);
        }
        let p = Problem::new(&["t", "x"])
            .latent("u", latent)
            .parameter("a", Init::Value(0.5))
            .channel("u", "u", Data::from_rows(&xu, 2, &yu), 1e-3)
            .channel(
                "f",
                "u_t - a*u_xx",
                Data::from_rows(&xf, 2, &vec![0.0; 40]),
                1e-3,
            )
            .restarts(0);
        let exact = p.fit().unwrap();
        let pb = p
            .clone()
            .approximate(Approximation::basis(&[10, 16], PerInput::One(3.0)));
        // Faces the basis cannot wall (one face, a Cauchy face): one line saying what it builds.
        for faces in [
            Boundary::faces(0.0, PI, [Some(cond), None]),
            Boundary::faces(0.0, PI, [Some(Condition::Cauchy), Some(cond)]),
        ] {
            let mut q = pb.clone();
            q.latents
                .get_mut("u")
                .unwrap()
                .boundary
                .insert("x".into(), faces);
            let e = q.model().map(|_| ()).unwrap_err().to_string();
            assert!(
                e.starts_with("latents.u.boundary.x:") && e.contains("the basis's walls"),
                "{e}"
            );
        }
        let basis = pb.fit().unwrap();
        let (ae, ab) = (exact.parameter("a").unwrap(), basis.parameter("a").unwrap());
        eprintln!("{cond:?}: a = {ab} (basis) vs {ae} (exact)");
        assert!(
            (ab - 1.0).abs() < 0.02 && (ab - ae).abs() < 0.01,
            "{cond:?}: basis a = {ab}, exact a = {ae}"
        );
        let text = pb.describe_conditions().join("\n");
        assert!(text.contains("the basis's walls"), "{text}");
        // The posterior at the walls: u (Dirichlet) or u_x (Neumann) is 0 with no variance.
        let target = match (cond, mean) {
            (Condition::Dirichlet, None) => "u".to_string(),
            (Condition::Dirichlet, Some(m)) => format!("u - ({m})"),
            _ => "u_x".to_string(),
        };
        let at = [0.2, 0.0, 0.7, 0.0, 0.4, PI, 0.9, PI];
        let pr = basis.predict(&target, &at).unwrap();
        held_at_walls(&pr, &at, &format!("{cond:?} {target}"));
    }
}

/// A field's `no_flux` faces become the basis's walls on its potential: Neumann on a curl-free
/// field's φ, Dirichlet on a 2-D divergence-free field's ψ. Nothing flows through them in any
/// sample.
#[test]
fn no_flux_faces_are_walls_on_a_fields_potential() {
    use noether::infer::{
        Approximation, Boundary, Condition, Data, FieldKind, Latent, PerInput, Problem,
    };
    use std::f64::consts::PI;
    let mut r = uniform(3);
    let pts: Vec<f64> = (0..60).map(|_| r()).collect();
    // Curl-free: v = ∇φ with φ = cos πx cos πy; divergence-free: (ψ_y, −ψ_x) with
    // ψ = sin πx sin πy. Both have no normal flow through x = 0 and x = 1.
    type Components = [fn(f64, f64) -> f64; 2];
    let cases: [(FieldKind, Components); 2] = [
        (
            FieldKind::CurlFree,
            [
                |x, y| -PI * (PI * x).sin() * (PI * y).cos(),
                |x, y| -PI * (PI * x).cos() * (PI * y).sin(),
            ],
        ),
        (
            FieldKind::DivergenceFree,
            [
                |x, y| PI * (PI * x).sin() * (PI * y).cos(),
                |x, y| -PI * (PI * x).cos() * (PI * y).sin(),
            ],
        ),
    ];
    for (kind, comps) in cases {
        let mut p = Problem::new(&["x", "y"]).latent(
            "v",
            Latent::se(1.0, &[0.5, 0.5])
                .field(kind)
                .boundary("x", Boundary::faces(0.0, 1.0, [Some(Condition::NoFlux); 2])),
        );
        for (c, name) in ["x", "y"].iter().enumerate() {
            let y: Vec<f64> = pts.chunks(2).map(|q| comps[c](q[0], q[1])).collect();
            p = p.channel(
                &format!("v{name}"),
                &format!("v[{name}]"),
                Data::from_rows(&pts, 2, &y),
                1e-4,
            );
        }
        let p = p
            .restarts(0)
            .approximate(Approximation::basis(&[12, 12], PerInput::One(2.0)));
        let text = p.describe_conditions().join("\n");
        assert!(text.contains("the basis's walls"), "{kind:?}: {text}");
        let f = p.fit().unwrap();
        let at = [0.0, 0.3, 0.0, 0.8, 1.0, 0.1, 1.0, 0.6];
        let pr = f.predict("v[x]", &at).unwrap();
        held_at_walls(&pr, &at, &format!("{kind:?} v[x]"));
        // Inside, the field is learned.
        let inside = f.predict("v[y]", &[0.4, 0.3]).unwrap();
        let truth = comps[1](0.4, 0.3);
        assert!(
            (inside.mean[0] - truth).abs() < 0.05,
            "{kind:?}: {} vs {truth}",
            inside.mean[0]
        );
    }
}
