//! Field latents and kernel algebra: laws hold exactly in posterior means and joint samples, the
//! joint posterior agrees with single predictions, and bad field input is one clear message.

use noether::infer::{Data, FieldKind, Kernel, KernelName, Latent, Lengthscales, Problem};

/// A smooth 2-D divergence-free field (Jidling et al. 2017, §5.1, a = 0.01).
fn jidling(x1: f64, x2: f64) -> (f64, f64) {
    let a = 0.01;
    let e = (-a * x1 * x2).exp();
    (
        e * (a * x1 * (x1 * x2).sin() - x1 * (x1 * x2).cos()),
        e * (x2 * (x1 * x2).cos() - a * x2 * (x1 * x2).sin()),
    )
}

fn design(n: usize, d: usize, seed: u64) -> Vec<f64> {
    // A deterministic scatter in [0, 4]^d (a scrambled lattice).
    (0..n * d)
        .map(|k| {
            let v = ((k as u64 * 2654435761 + seed * 97) % 1000) as f64 / 1000.0;
            4.0 * v
        })
        .collect()
}

fn kernel(name: KernelName, d: usize) -> Kernel {
    let ls = Lengthscales::PerInput(vec![1.0.into(); d]);
    match name.as_str() {
        "rq" => Kernel::base(name, 1.0, Some(ls)).with("alpha", 2.0),
        _ => Kernel::base(name, 1.0, Some(ls)),
    }
}

/// A 2-D divergence-free field fitted to both components; the divergence of its posterior mean
/// and of joint samples vanishes to rounding, for three kernels.
#[test]
fn divergence_free_posteriors_are_divergence_free_in_2d() {
    let x = design(30, 2, 1);
    let (f1, f2): (Vec<f64>, Vec<f64>) = x.chunks(2).map(|p| jidling(p[0], p[1])).unzip();
    for name in ["se", "matern52", "rq"].map(|k| KernelName::named(k).unwrap()) {
        let p = Problem::new(&["x1", "x2"])
            .latent(
                "v",
                Latent::with_kernel(kernel(name, 2)).field(FieldKind::DivergenceFree),
            )
            .channel("v1", "v[x1]", Data::from_rows(&x, 2, &f1), 1e-4)
            .channel("v2", "v[x2]", Data::from_rows(&x, 2, &f2), 1e-4);
        let at = design(12, 2, 7);
        let div = "d(v[x1], x1) + d(v[x2], x2)";
        let zero = p.predict(div, &at).unwrap();
        assert!(zero.zero && zero.mean.iter().all(|&m| m == 0.0));
        let (labels, j) = p
            .predict_joint(&["d(v[x1], x1)", "d(v[x2], x2)"], &at)
            .unwrap();
        assert_eq!(labels, ["d(v[x1], x1)", "d(v[x2], x2)"]);
        let m = at.len() / 2;
        let scale = j.mean.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for k in 0..m {
            let sum = j.mean[k] + j.mean[m + k];
            assert!(
                sum.abs() <= 1e-10 * scale,
                "{name:?}: mean divergence {sum} vs {scale}"
            );
        }
        for s in j.samples(5, 3).unwrap() {
            let scale = s.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            for k in 0..m {
                let sum = s[k] + s[m + k];
                assert!(
                    sum.abs() <= 1e-10 * scale,
                    "{name:?}: sample divergence {sum}"
                );
            }
        }
    }
}

/// In 3-D the field is built from three potentials A_xy, A_xz, A_yz sharing one set of
/// hyperparameters; its divergence is zero in the mean and in samples. A curl-free field's
/// curl is zero too.
#[test]
fn fields_in_3d_obey_their_laws() {
    let x = design(20, 3, 2);
    let v: Vec<[f64; 3]> = x
        .chunks(3)
        .map(|p| [p[1].sin(), p[2].cos(), (p[0] * 0.5).sin()])
        .collect();
    let col = |i: usize| v.iter().map(|r| r[i]).collect::<Vec<_>>();
    let at = design(8, 3, 9);
    for (kind, law, parts) in [
        (
            FieldKind::DivergenceFree,
            "d(v[x], x) + d(v[y], y) + d(v[z], z)",
            vec!["d(v[x], x)", "d(v[y], y)", "d(v[z], z)"],
        ),
        (
            FieldKind::CurlFree,
            "d(v[z], y) - d(v[y], z)",
            vec!["d(v[z], y)", "d(v[y], z)"],
        ),
    ] {
        let p = Problem::new(&["x", "y", "z"])
            .latent("v", Latent::se(1.0, &[1.5, 1.5, 1.5]).field(kind))
            .channel("vx", "v[x]", Data::from_rows(&x, 3, &col(0)), 1e-3)
            .channel("vy", "v[y]", Data::from_rows(&x, 3, &col(1)), 1e-3)
            .channel("vz", "v[z]", Data::from_rows(&x, 3, &col(2)), 1e-3);
        assert!(p.predict(law, &at).unwrap().zero, "{kind:?}");
        let (_, j) = p.predict_joint(&parts, &at).unwrap();
        let m = at.len() / 3;
        let sign = if kind == FieldKind::CurlFree {
            -1.0
        } else {
            1.0
        };
        let combine = |s: &[f64], k: usize| {
            (0..parts.len())
                .map(|t| {
                    if t == 1 {
                        sign * s[t * m + k]
                    } else {
                        s[t * m + k]
                    }
                })
                .sum::<f64>()
        };
        let check = |s: &[f64], what: &str| {
            let scale = s.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            for k in 0..m {
                assert!(
                    combine(s, k).abs() <= 1e-10 * scale,
                    "{kind:?} {what}: {}",
                    combine(s, k)
                );
            }
        };
        check(&j.mean, "mean");
        for s in j.samples(3, 1).unwrap() {
            check(&s, "sample");
        }
        if kind == FieldKind::DivergenceFree {
            let names: Vec<String> = p.model().unwrap().param_names();
            assert!(names.contains(&"v.variance".to_string()), "{names:?}");
            assert!(
                !names.iter().any(|n| n.starts_with("v_x_y.")),
                "shared: {names:?}"
            );
        }
    }
}

/// The joint posterior's diagonal is the single predictions, stacked.
#[test]
fn joint_covariance_diagonal_equals_single_predictions() {
    let x = design(25, 2, 3);
    let (f1, f2): (Vec<f64>, Vec<f64>) = x.chunks(2).map(|p| jidling(p[0], p[1])).unzip();
    let p = Problem::new(&["x1", "x2"])
        .latent(
            "v",
            Latent::se(1.0, &[1.0, 1.0]).field(FieldKind::DivergenceFree),
        )
        .channel("v1", "v[x1]", Data::from_rows(&x, 2, &f1), 1e-3)
        .channel("v2", "v[x2]", Data::from_rows(&x, 2, &f2), 1e-3);
    let at = design(6, 2, 5);
    let (labels, j) = p.predict_joint(&["v", "v1"], &at).unwrap();
    assert_eq!(labels, ["v[x1]", "v[x2]", "v1"]);
    let m = at.len() / 2;
    for (t, target) in ["v[x1]", "v[x2]", "v1"].iter().enumerate() {
        let single = p.predict(target, &at).unwrap();
        for k in 0..m {
            assert!(
                (j.mean[t * m + k] - single.mean[k]).abs() <= 1e-10 * (1.0 + single.mean[k].abs())
            );
            let var = j.covariance[(t * m + k) * 3 * m + t * m + k];
            assert!(
                (var - single.variance[k]).abs() <= 1e-9 * (1e-12 + single.variance[k]),
                "{target}: {var} vs {}",
                single.variance[k]
            );
        }
    }
}

/// A sum of kernels is the sum of its parts, a product the product: the NLML of a model whose
/// latent is u = a + b with independent latents equals that of one latent with the sum kernel.
#[test]
fn kernel_sums_match_their_parts() {
    let x: Vec<f64> = (0..12).map(|i| i as f64 / 11.0).collect();
    let y: Vec<f64> = x.iter().map(|v| (4.0 * v).sin() + 0.3 * v).collect();
    let sum = Problem::new(&["x"])
        .latent(
            "u",
            Latent::with_kernel(Kernel::Sum(vec![
                Kernel::se(0.7, &[0.3]),
                Kernel::linear(0.2),
            ])),
        )
        .channel("u", "u", Data::from_rows(&x, 1, &y), 1e-3);
    let parts = Problem::new(&["x"])
        .latent("a", Latent::se(0.7, &[0.3]))
        .latent("b", Latent::with_kernel(Kernel::linear(0.2)))
        .channel("u", "a + b", Data::from_rows(&x, 1, &y), 1e-3);
    let (s, p) = (sum.nlml(1).unwrap(), parts.nlml(1).unwrap());
    assert!(
        (s.nlml - p.nlml).abs() < 1e-10 * s.nlml.abs(),
        "{} vs {}",
        s.nlml,
        p.nlml
    );
    let names = sum.model().unwrap().param_names();
    assert_eq!(
        names,
        [
            "u.0.variance",
            "u.0.lengthscales.x",
            "u.1.variance",
            "noise.u"
        ]
    );
    // same_as: one set of hyperparameters for two latents.
    let shared = Problem::new(&["x"])
        .latent("a", Latent::se(0.7, &[0.3]))
        .latent("b", Latent::with_kernel(Kernel::SameAs("a".into())))
        .channel("u", "a + b", Data::from_rows(&x, 1, &y), 1e-3);
    assert_eq!(
        shared.model().unwrap().param_names(),
        ["a.variance", "a.lengthscales.x", "noise.u"]
    );
}

#[test]
fn bad_fields_and_kernels_are_one_clear_message() {
    let x = vec![0.0, 0.0, 1.0, 1.0];
    let y = vec![0.5, 0.2];
    let base = || {
        Problem::new(&["x", "y"])
            .latent("v", Latent::se(1.0, &[1.0, 1.0]).field(FieldKind::CurlFree))
    };
    let e = |p: Problem| p.model().unwrap_err().to_string();
    let one = Problem::new(&["x"])
        .latent("v", Latent::se(1.0, &[1.0]).field(FieldKind::CurlFree))
        .channel("c", "v[x]", Data::from_rows(&[0.0, 1.0], 1, &y), 1e-3);
    assert!(e(one).contains("a curl_free field needs at least 2 inputs; `v` has 1"));
    let w = base().channel("c", "v[w]", Data::from_rows(&x, 2, &y), 1e-3);
    assert!(e(w).contains("`v[w]`: the field `v` has the components v[x], v[y]"));
    let bare = base().channel("c", "v + v[x]", Data::from_rows(&x, 2, &y), 1e-3);
    assert!(e(bare).contains("`v` is a vector field: write one of its components (v[x], v[y])"));
    let empty = Problem::new(&["x"])
        .latent("u", Latent::with_kernel(Kernel::Sum(vec![])))
        .channel("c", "u", Data::from_rows(&[0.0, 1.0], 1, &y), 1e-3);
    assert!(e(empty).contains("latents.u.kernel.sum: a sum with no terms"));
    let json = r#"{"inputs": ["x"], "latents": {"u": {"kernel": {"sum": []}}},
        "channels": [{"name": "c", "operator": "u", "data": {"x": [[0]], "y": [1]}, "noise": 1}]}"#;
    let err = serde_json::from_str::<Problem>(json)
        .unwrap_err()
        .to_string();
    assert!(err.contains("kernel.sum: a sum with no terms"), "{err}");
    let json = r#"{"inputs": ["x"], "latents": {"u": {"kernel": {"sum": [{"kernel": "linear", "variance": 1, "lengthscales": 1}]}}},
        "channels": [{"name": "c", "operator": "u", "data": {"x": [[0]], "y": [1]}, "noise": 1}]}"#;
    let err = serde_json::from_str::<Problem>(json)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("kernel.sum[0]: the linear kernel has no lengthscales"),
        "{err}"
    );
    let same = Problem::new(&["x"])
        .latent("u", Latent::with_kernel(Kernel::SameAs("w".into())))
        .channel("c", "u", Data::from_rows(&[0.0, 1.0], 1, &y), 1e-3);
    assert!(e(same).contains("latents.u.kernel.same_as: `w` is not a latent"));
    let scalar = Problem::new(&["x"])
        .latent("u", Latent::se(1.0, &[1.0]))
        .channel("c", "u[x]", Data::from_rows(&[0.0, 1.0], 1, &y), 1e-3);
    assert!(e(scalar).contains("`u` is not a field latent"));
}
