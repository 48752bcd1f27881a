//! Symmetries and boundary factors hold exactly in every posterior sample; Hamiltonian fields
//! and rollouts refuse bad input with one clear message.

use noether::infer::{Data, Latent, Problem, Rollout, Symmetry};

fn points(n: usize) -> Vec<f64> {
    (0..n)
        .flat_map(|k| {
            let a = 0.37 * k as f64 + 0.1;
            [
                a.sin().abs() * 0.9 + 0.05,
                (1.7 * a).cos().abs() * 0.9 + 0.05,
            ]
        })
        .collect()
}

/// Even, odd and swap symmetries: joint samples at x and at its image agree (or are opposite)
/// to rounding.
#[test]
fn symmetric_kernels_give_symmetric_samples() {
    let x = points(15);
    let y: Vec<f64> = x.chunks(2).map(|p| (2.0 * p[0]).cos() + p[1]).collect();
    let at = [0.3, 0.2, -0.3, 0.2, 0.7, 0.9, -0.7, 0.9, 0.2, 0.3];
    // Points 0 and 1 are mirror images, and so are 2 and 3; point 4 has none.
    for (s, sign) in [
        (Symmetry::Even("x".into()), 1.0),
        (Symmetry::Odd("x".into()), -1.0),
    ] {
        let p = Problem::new(&["x", "y"])
            .latent("u", Latent::se(1.0, &[0.5, 0.5]).symmetric(s.clone()))
            .channel("u", "u", Data::from_rows(&x, 2, &y), 1e-3);
        let (_, j) = p.predict_joint(&["u", "u_x"], &at).unwrap();
        let m = at.len() / 2;
        for sample in std::iter::once(j.mean.clone()).chain(j.samples(4, 2).unwrap()) {
            let scale = sample.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            for (a, b) in [(0, 1), (2, 3)] {
                // u(x) = sign·u(−x); u_x(x) = −sign·u_x(−x).
                assert!(
                    (sample[a] - sign * sample[b]).abs() <= 1e-10 * scale,
                    "{s:?}"
                );
                assert!(
                    (sample[m + a] + sign * sample[m + b]).abs() <= 1e-10 * scale,
                    "{s:?}"
                );
            }
        }
    }
    let p = Problem::new(&["x", "y"])
        .latent(
            "u",
            Latent::se(1.0, &[0.5, 0.5]).symmetric(Symmetry::Swap("x".into(), "y".into())),
        )
        .channel("u", "u", Data::from_rows(&x, 2, &y), 1e-3);
    let (_, j) = p.predict_joint(&["u"], &[0.3, 0.8, 0.8, 0.3]).unwrap();
    for s in j.samples(4, 1).unwrap() {
        assert!((s[0] - s[1]).abs() <= 1e-10 * s[0].abs().max(s[1].abs()));
    }
}

/// u = x(1 − x)y(1 − y)·g: every sample, and every derivative along the boundary, is zero on
/// the boundary to rounding.
#[test]
fn boundary_factor_samples_vanish_on_the_boundary() {
    let x = points(20);
    let f: Vec<f64> = x.chunks(2).map(|p| (3.0 * p[0]).sin() + p[1]).collect();
    let p = Problem::new(&["x", "y"])
        .latent(
            "u",
            Latent::se(1.0, &[0.3, 0.3]).times("x*(1 - x)*y*(1 - y)"),
        )
        .channel("f", "-u_xx - u_yy", Data::from_rows(&x, 2, &f), 1e-4);
    let edge = [0.0, 0.3, 1.0, 0.6, 0.25, 0.0, 0.8, 1.0, 0.5, 0.5];
    let (_, j) = p.predict_joint(&["u", "u_y"], &edge).unwrap();
    for s in std::iter::once(j.mean.clone()).chain(j.samples(5, 3).unwrap()) {
        let scale = s[4].abs().max(1e-300);
        // u at the four boundary points; u_y at the two on the left and right sides.
        for k in [0, 1, 2, 3, 5, 6] {
            assert!(s[k].abs() <= 1e-10 * scale.max(s[9].abs()), "{k}: {}", s[k]);
        }
    }
    let bad = Problem::new(&["x", "y"])
        .latent("u", Latent::se(1.0, &[0.3, 0.3]).times("x*(1 - x)*a"))
        .channel("f", "u", Data::from_rows(&x, 2, &f), 1e-4);
    let e = bad.model().unwrap_err().to_string();
    assert!(
        e.contains("latents.u.times: `x*(1 - x)*a` is not a function of the inputs"),
        "{e}"
    );
}

#[test]
fn hamiltonian_and_rollout_bad_input_is_one_clear_message() {
    let x = points(10);
    let y: Vec<f64> = x.chunks(2).map(|p| p[0]).collect();
    let with = |pairs: &[(&str, &str)]| {
        Problem::new(&["q", "p"])
            .latent("H", Latent::se(1.0, &[1.0, 1.0]).hamiltonian(pairs))
            .channel("dq", "H[q]", Data::from_rows(&x, 2, &y), 1e-3)
    };
    let e = |p: Problem| p.model().unwrap_err().to_string();
    assert!(e(with(&[("q", "z")])).contains("latents.H.pairs[0]: `z` is not an input"));
    assert!(e(with(&[("q", "q")])).contains("`q` is in two pairs, or twice in one"));
    assert!(e(with(&[])).contains("a hamiltonian field needs at least one [q, p] pair"));
    let ok = with(&[("q", "p")]);
    let roll = |from: Vec<(&str, f64)>, dt: f64, steps: usize| {
        ok.rollout(&Rollout {
            from: from.into_iter().map(|(a, b)| (a.to_string(), b)).collect(),
            dt,
            steps,
            method: None,
            velocities: vec![],
            times: vec![],
        })
        .unwrap_err()
        .to_string()
    };
    assert!(roll(vec![("q", 1.0)], 0.1, 10).contains("--from: no value for `p`"));
    assert!(roll(vec![("q", 1.0), ("p", 0.0)], 0.0, 10).contains("--dt: must be a positive"));
    assert!(roll(vec![("q", 1.0), ("p", 0.0)], 0.1, 0).contains("--steps: must be from 1"));
    assert!(roll(vec![("q", 1.0), ("z", 0.0)], 0.1, 5).contains("`z` is not an input"));
    // H alone is the energy; its derivative written directly works too.
    assert!(ok.predict("H", &[0.5, 0.5]).is_ok());
    assert!(ok.predict("H_p", &[0.5, 0.5]).is_ok());
}

/// Rotation invariance in the (x, y) plane: samples at a point and at its rotations agree to
/// rounding; any other kernel, or a second place in the list, is refused.
#[test]
fn rotation_invariant_samples_are_invariant() {
    let x = points(15);
    let y: Vec<f64> = x
        .chunks(2)
        .map(|p| (p[0] * p[0] + p[1] * p[1]).sqrt().sin())
        .collect();
    let rot = Symmetry::Rotation("x".into(), "y".into());
    let shared = Latent::new(
        noether::infer::KernelName::SE,
        1.0,
        noether::infer::Lengthscales::Shared(0.5.into()),
    );
    let p = Problem::new(&["x", "y"])
        .latent("u", shared.clone().symmetric(rot.clone()))
        .channel("u", "u", Data::from_rows(&x, 2, &y), 1e-3);
    let r = 0.8f64;
    let at: Vec<f64> = [0.0, 1.0, 2.5, 4.0]
        .iter()
        .flat_map(|a: &f64| [r * a.cos(), r * a.sin()])
        .collect();
    let (_, j) = p.predict_joint(&["u"], &at).unwrap();
    for s in std::iter::once(j.mean.clone()).chain(j.samples(4, 5).unwrap()) {
        for k in 1..4 {
            assert!((s[k] - s[0]).abs() <= 1e-10 * s[0].abs().max(1e-3), "{s:?}");
        }
    }
    let e = Problem::new(&["x", "y"])
        .latent("u", Latent::se(1.0, &[0.5, 0.5]).symmetric(rot.clone()))
        .channel("u", "u", Data::from_rows(&x, 2, &y), 1e-3)
        .model()
        .unwrap_err()
        .to_string();
    assert!(e.contains("latents.u.symmetry[0]: rotation invariance is built for the se kernel with one shared lengthscale"), "{e}");
}
