//! The NLML and its gradient against scikit-learn and finite differences, the posterior, the
//! recovery of problem E4's coefficient, and factorisation failures.

use noether_kernels::KernelSpec;
use noether_likelihood::fit::{fit, FitOptions};
use noether_likelihood::laplace::laplace;
use noether_likelihood::problems::{heat_e4, heat_u};
use noether_likelihood::NUGGET;
use noether_likelihood::{LikelihoodError, Model};

/// Reference from scikit-learn 1.9.1, with noether's nugget (1e-8 × the mean prior variance, here
/// 1e-8 σ²) as a fixed white-noise term inside the scaled kernel:
/// `GaussianProcessRegressor(ConstantKernel(1.7) * (RBF(0.35) + WhiteKernel(1e-8,
/// noise_level_bounds="fixed")) + WhiteKernel(0.01), optimizer=None, alpha=0.0).fit(X,
/// y).log_marginal_likelihood(theta, eval_gradient=True)` on the data below, which returns the log
/// likelihood and its gradient with respect to (ln σ², ln ℓ, ln noise).
#[test]
fn nlml_and_gradient_match_scikit_learn() {
    let x = vec![0.0, 0.13, 0.29, 0.41, 0.58, 0.66, 0.83, 1.0];
    let y = vec![0.2, 0.9, 1.3, 0.8, -0.1, -0.6, -1.1, -0.4];
    let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[]).unwrap();
    m.add_channel("u", "u", x, y, 0.01).unwrap();
    m.set("u.variance", 1.7).unwrap();
    m.set("u.lengthscale", 0.35).unwrap();
    let v = m.values();
    let e = m.nlml(&v, true).unwrap();
    let lml = -4.28430528949338;
    let dlog = [
        0.31055834603648513,
        -3.3651595487732835,
        -0.23655276156800625,
    ];
    assert!(
        (e.nlml + lml).abs() <= 1e-8 * lml.abs(),
        "{} vs {}",
        e.nlml,
        -lml
    );
    for i in 0..3 {
        // d NLML / d p = −(d LML / d ln p) / p
        let expect = -dlog[i] / v[i];
        assert!(
            (e.gradient[i] - expect).abs() <= 1e-8 * expect.abs(),
            "{i}: {} vs {expect}",
            e.gradient[i]
        );
    }
    assert_eq!(e.jitter, 0.0);
}

fn check_gradient(m: &Model, v: &[f64]) {
    let e = m.nlml(v, true).unwrap();
    for i in 0..v.len() {
        let h = 1e-6 * v[i].abs().max(1e-3);
        let mut p = v.to_vec();
        p[i] = v[i] + h;
        let up = m.nlml(&p, false).unwrap().nlml;
        p[i] = v[i] - h;
        let dn = m.nlml(&p, false).unwrap().nlml;
        let fd = (up - dn) / (2.0 * h);
        assert!(
            (fd - e.gradient[i]).abs() <= 1e-5 * (1.0 + e.gradient[i].abs()),
            "{}: exact {} vs finite difference {fd}",
            m.param_names()[i],
            e.gradient[i]
        );
    }
}

#[test]
fn gradient_matches_finite_differences_on_operator_problems() {
    // The heat problem E4, away from any optimum.
    let m = heat_e4(12, 10, 3, 0.7).unwrap();
    check_gradient(&m, &[1.3, 0.8, 0.35, 0.7, 0.05, 0.2]);
    // Matérn 5/2 with a derivative channel and a coordinate-dependent coefficient.
    let mut m = Model::new(&["x"], &[("u", KernelSpec::matern52(false))], &[("b", 0.4)]).unwrap();
    let xs: Vec<f64> = (0..9).map(|i| i as f64 / 8.0).collect();
    m.add_channel(
        "u",
        "u",
        xs.clone(),
        xs.iter().map(|x| (3.0 * x).sin()).collect(),
        0.01,
    )
    .unwrap();
    m.add_channel(
        "g",
        "u_x + b*x*u",
        xs.iter().map(|x| x + 0.03).collect(),
        xs.iter().map(|x| x.cos()).collect(),
        0.02,
    )
    .unwrap();
    check_gradient(&m, &[0.9, 0.3, 0.4, 0.01, 0.02]);
    // Two latents: the multi-fidelity form rho*u1 + u2.
    let mut m = Model::new(
        &["x"],
        &[
            ("u1", KernelSpec::se(false)),
            ("u2", KernelSpec::matern32(false)),
        ],
        &[("rho", 0.8)],
    )
    .unwrap();
    m.add_channel(
        "lo",
        "u1",
        xs.clone(),
        xs.iter().map(|x| x * x).collect(),
        0.01,
    )
    .unwrap();
    m.add_channel(
        "hi",
        "rho*u1 + u2",
        xs.iter().map(|x| x + 0.05).collect(),
        xs.iter().map(|x| 0.7 * x * x + x).collect(),
        0.01,
    )
    .unwrap();
    check_gradient(&m, &[1.1, 0.5, 0.6, 0.4, 0.8, 0.01, 0.03]);
}

#[test]
fn posterior_mean_interpolates_noise_free_data_and_variances_are_nonnegative() {
    let m = heat_e4(15, 15, 1, 1.0).unwrap();
    let mut v = m.values();
    v[1] = 0.8;
    v[2] = 0.3;
    let n = v.len();
    v[n - 2] = 1e-10;
    v[n - 1] = 1e-10;
    let mut post = m.posterior(&v).unwrap();
    let ch = &m.channels()[0];
    let p = post.predict("u", &ch.x, false).unwrap();
    for (i, (mu, y)) in p.mean.iter().zip(&ch.y).enumerate() {
        assert!(
            (mu - y).abs() <= 1e-5 * (1.0 + y.abs()),
            "point {i}: {mu} vs {y}"
        );
        assert!(p.variance[i] >= 0.0 && p.variance[i] < 1e-6);
    }
    let grid: Vec<f64> = (0..100)
        .flat_map(|i| [(i % 10) as f64 / 9.0, (i / 10) as f64 / 9.0])
        .collect();
    for op in ["u", "u_x", "u_t - a*u_xx"] {
        let p = post.predict(op, &grid, true).unwrap();
        assert!(
            p.variance.iter().all(|&s| s >= 0.0 && s.is_finite()),
            "{op}"
        );
        let c = p.covariance.unwrap();
        for i in 0..100 {
            assert!(
                (c[i * 100 + i].max(0.0) - p.variance[i]).abs() <= 1e-8 * (1.0 + p.variance[i])
            );
        }
    }
    let samples = post.sample("u", &grid[..20], 3, 9).unwrap();
    assert_eq!(samples.len(), 3);
    assert!(samples.iter().flatten().all(|s| s.is_finite()));
}

/// Problem E4 of Raissi & Karniadakis (2017): u_t − α u_xx = f, α = 1, u = e^{−t} sin 2πx,
/// 20 + 20 noise-free points. The authors report α = 0.999943.
#[test]
fn heat_coefficient_is_recovered_with_a_standard_error() {
    let mut m = heat_e4(20, 20, 0, 0.5).unwrap();
    let r = fit(
        &mut m,
        &FitOptions {
            restarts: 1,
            ..FitOptions::default()
        },
        &mut |_| {},
    )
    .unwrap();
    let a = m.index_of("a").unwrap();
    // Achieved: α = 1.000248 ± 1.6e-4.
    assert!(
        (r.best.values[a] - 1.0).abs() < 1e-3,
        "alpha = {}",
        r.best.values[a]
    );
    let u = laplace(&m, &r.best.values, &Default::default()).unwrap();
    let se = u.std_errors[a].expect("alpha is identifiable");
    assert!(se > 1e-5 && se < 1e-3, "standard error {se}");
    assert!(r.starts.len() == 2 && r.evaluations > 10);
    // Predict u where it was not observed, against the exact solution.
    let mut post = m.posterior(&r.best.values).unwrap();
    let p = post.predict("u", &[0.5, 0.25, 0.2, 0.6], false).unwrap();
    assert!((p.mean[0] - heat_u(0.5, 0.25)).abs() < 2e-3);
    assert!((p.mean[1] - heat_u(0.2, 0.6)).abs() < 2e-3);
}

/// The posterior of u and u_x from observations of u and u_x, against a dense computation with
/// the squared-exponential derivative kernels written out by hand and nalgebra's Cholesky (an
/// independent path: no symbolic engine, no compiled program, no faer).
#[test]
fn posterior_matches_an_independent_dense_computation() {
    let (s2, l, nu, nd) = (1.3f64, 0.4f64, 1e-3, 2e-3);
    let xu: [f64; 6] = [0.05, 0.2, 0.45, 0.6, 0.8, 0.95];
    let xd: [f64; 4] = [0.1, 0.35, 0.7, 0.9];
    let yu: Vec<f64> = xu.iter().map(|x| (3.0 * x).sin()).collect();
    let yd: Vec<f64> = xd.iter().map(|x| 3.0 * (3.0 * x).cos()).collect();
    let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[]).unwrap();
    m.add_channel("u", "u", xu.to_vec(), yu.clone(), nu)
        .unwrap();
    m.add_channel("d", "u_x", xd.to_vec(), yd.clone(), nd)
        .unwrap();
    m.set("u.variance", s2).unwrap();
    m.set("u.lengthscale", l).unwrap();
    // k(x, x') = s² e^{−r²/2ℓ²}, r = x − x': ∂_x' k = s² r/ℓ² e, ∂_x k = −s² r/ℓ² e,
    // ∂_x ∂_x' k = s² (1/ℓ² − r²/ℓ⁴) e.
    let k = |a: f64, b: f64, da: bool, db: bool| {
        let r = a - b;
        let e = s2 * (-r * r / (2.0 * l * l)).exp();
        match (da, db) {
            (false, false) => e,
            (false, true) => r / (l * l) * e,
            (true, false) => -r / (l * l) * e,
            (true, true) => (1.0 / (l * l) - r * r / l.powi(4)) * e,
        }
    };
    let obs: Vec<(f64, bool)> = xu
        .iter()
        .map(|&x| (x, false))
        .chain(xd.iter().map(|&x| (x, true)))
        .collect();
    let n = obs.len();
    let kk = nalgebra::DMatrix::from_fn(n, n, |i, j| {
        k(obs[i].0, obs[j].0, obs[i].1, obs[j].1)
            + if i == j {
                // Noise, and the nugget: NUGGET × the channel's prior variance (s² for u,
                // s²/ℓ² for u_x).
                if obs[i].1 {
                    nd + NUGGET * s2 / (l * l)
                } else {
                    nu + NUGGET * s2
                }
            } else {
                0.0
            }
    });
    let y = nalgebra::DVector::from_iterator(n, yu.iter().chain(&yd).copied());
    let chol = nalgebra::Cholesky::new(kk).unwrap();
    let alpha = chol.solve(&y);
    let at = [0.15, 0.5, 0.85];
    let mut post = m.posterior(&m.values()).unwrap();
    for (target, deriv) in [("u", false), ("u_x", true)] {
        let p = post.predict(target, &at, true).unwrap();
        let ks =
            nalgebra::DMatrix::from_fn(n, at.len(), |i, j| k(obs[i].0, at[j], obs[i].1, deriv));
        let mean = ks.transpose() * &alpha;
        let kss =
            nalgebra::DMatrix::from_fn(at.len(), at.len(), |a, b| k(at[a], at[b], deriv, deriv));
        let cov = kss - ks.transpose() * chol.solve(&ks);
        let c = p.covariance.unwrap();
        for a in 0..at.len() {
            assert!(
                (p.mean[a] - mean[a]).abs() < 1e-10 * (1.0 + mean[a].abs()),
                "{target} mean {a}: {} vs {}",
                p.mean[a],
                mean[a]
            );
            assert!(
                (p.variance[a] - cov[(a, a)]).abs() < 1e-10 * s2 / (l * l),
                "{target} variance {a}"
            );
            for b in 0..at.len() {
                assert!(
                    (c[a * at.len() + b] - cov[(a, b)]).abs() < 1e-10 * s2 / (l * l),
                    "{target} covariance {a},{b}"
                );
            }
        }
    }
}

#[test]
fn matrix_that_cannot_be_factored_is_an_error_not_a_panic() {
    // A negative multiple of a kernel is no covariance: no jitter can save it.
    let k = KernelSpec::Scaled(-1.0, Box::new(KernelSpec::se(false)));
    let mut m = Model::new(&["x"], &[("u", k)], &[]).unwrap();
    m.add_channel("u", "u", vec![0.0, 0.5, 1.0], vec![1.0, 2.0, 3.0], 1e-6)
        .unwrap();
    let err = m.nlml(&m.values(), true).unwrap_err();
    assert!(
        matches!(err, LikelihoodError::NotPositiveDefinite { .. }),
        "{err}"
    );
    let err = fit(&mut m, &FitOptions::default(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("not positive definite"), "{err}");
}

/// Duplicate points without noise would make K singular; the nugget (1e-8 × the prior variance)
/// keeps it factorable without jitter, and the NLML matches the closed form of a model whose noise
/// is the nugget.
#[test]
fn noise_free_duplicates_factor_thanks_to_the_nugget() {
    let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[]).unwrap();
    m.add_channel("u", "u", vec![0.1, 0.1, 0.7], vec![1.0, 1.0, 2.0], 1e-300)
        .unwrap();
    let e = m.nlml(&m.values(), true).unwrap();
    assert!(e.jitter == 0.0 && e.nlml.is_finite(), "{e:?}");
    // The repeated point is merged (noether_likelihood::replicates): σ² = ℓ = 1, two distinct
    // points with y = (1, 2), K = R + diag(1e-300/2, 1e-300) + NUGGET I with
    // R_ij = exp(−(x_i − x_j)²/2), plus the merged pair's term ½ log(2π·1e-300) + ½ log 2 (their
    // scatter is 0).
    assert_eq!(m.channels()[0].len(), 2);
    let x = [0.1, 0.7];
    let kk = nalgebra::DMatrix::from_fn(2, 2, |i, j| {
        (-(x[i] - x[j]) * (x[i] - x[j]) / 2.0f64).exp()
            + if i == j {
                1e-300 / [2.0, 1.0][i] + NUGGET
            } else {
                0.0
            }
    });
    let yv = nalgebra::DVector::from_vec(vec![1.0, 2.0]);
    let ch = nalgebra::Cholesky::new(kk).unwrap();
    let logdet: f64 = 2.0 * ch.l().diagonal().iter().map(|v| v.ln()).sum::<f64>();
    let l2p = (2.0 * std::f64::consts::PI).ln();
    let exact = 0.5 * yv.dot(&ch.solve(&yv))
        + 0.5 * logdet
        + l2p
        + 0.5 * (l2p + 1e-300f64.ln())
        + 0.5 * 2f64.ln();
    // K's condition number is about 1e8: agreement to 1e-6 relative.
    assert!(
        (e.nlml - exact).abs() < 1e-6 * exact.abs(),
        "{} vs {exact}",
        e.nlml
    );
}

#[test]
fn bad_data_and_names_are_errors() {
    let mut m = Model::new(&["t", "x"], &[("u", KernelSpec::se(true))], &[("a", 1.0)]).unwrap();
    assert!(matches!(
        m.add_channel("u", "u", vec![0.0; 3], vec![1.0, 2.0], 1e-3),
        Err(LikelihoodError::Data { .. })
    ));
    assert!(matches!(
        m.add_channel("u", "u", vec![0.0; 2], vec![f64::NAN], 1e-3),
        Err(LikelihoodError::Data { .. })
    ));
    assert!(matches!(
        m.add_channel("u", "u", vec![], vec![], 1e-3),
        Err(LikelihoodError::Data { .. })
    ));
    assert!(m
        .add_channel("u", "u*u_x", vec![0.0; 2], vec![1.0], 1e-3)
        .is_err());
    assert!(matches!(
        m.set("u.lengthscales.t", -1.0),
        Err(LikelihoodError::BadValue { .. })
    ));
    assert!(matches!(
        m.set("b", 1.0),
        Err(LikelihoodError::UnknownParameter { .. })
    ));
    assert!(matches!(
        Model::new(&["t"], &[("t", KernelSpec::matern32(false))], &[]),
        Err(LikelihoodError::Duplicate { .. })
    ));
}

mod random_operators {
    use super::*;
    use proptest::prelude::*;

    /// An operator built from up to three terms on u over inputs (t, x), each a derivative of
    /// order ≤ 2 times a coefficient that is a constant, an unknown parameter, or an input.
    fn operator() -> impl Strategy<Value = String> {
        let term = (
            prop::sample::select(vec!["u", "u_t", "u_x", "u_xx", "u_tx"]),
            prop::sample::select(vec!["1", "a", "b", "0.5*x", "a*b", "exp(a)", "(1+t)"]),
        )
            .prop_map(|(d, c)| format!("{c}*{d}"));
        prop::collection::vec(term, 1..4).prop_map(|ts| ts.join(" + "))
    }

    fn kernel() -> impl Strategy<Value = KernelSpec> {
        prop::sample::select(vec![
            KernelSpec::se(true),
            KernelSpec::matern52(true),
            KernelSpec::rq(false),
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// The exact NLML gradient against central differences, for random operators, kernels,
        /// parameter values and designs (seeded by proptest's own seed).
        #[test]
        fn nlml_gradient_matches_finite_differences(
            op in operator(),
            spec in kernel(),
            logs in prop::collection::vec(-0.7f64..0.7, 7),
            a in -1.5f64..1.5,
            b in 0.2f64..1.5,
            seed in 0u64..1000,
        ) {
            use rand::{Rng, SeedableRng};
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut m = Model::new(&["t", "x"], &[("u", spec)], &[("a", a), ("b", b)]).unwrap();
            let pts = |rng: &mut rand::rngs::StdRng, n: usize| -> Vec<f64> {
                (0..2 * n).map(|_| rng.random::<f64>()).collect()
            };
            let (xu, xf) = (pts(&mut rng, 7), pts(&mut rng, 6));
            let yu: Vec<f64> = (0..7).map(|_| rng.random::<f64>() - 0.5).collect();
            let yf: Vec<f64> = (0..6).map(|_| rng.random::<f64>() - 0.5).collect();
            m.add_channel("u", "u", xu, yu, 1e-2).unwrap();
            if m.add_channel("f", &op, xf, yf, 1e-1).is_err() {
                // An order past the kernel's (Matérn 5/2 with u_xx in both arguments is fine,
                // beyond is refused): nothing to check.
                return Ok(());
            }
            let mut v = m.values();
            let names = m.param_names();
            for (i, n) in names.iter().enumerate() {
                if n != "a" && n != "b" {
                    v[i] *= logs[i % logs.len()].exp();
                }
            }
            check_gradient(&m, &v);
        }
    }
}

/// 35,000 observations would need 27 GiB of dense matrices: refused before any is allocated.
#[test]
fn a_model_too_large_for_memory_is_refused_before_allocating() {
    let n = 35_000;
    let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[]).unwrap();
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    m.add_channel("u", "u", x, vec![0.0; n], 1e-2).unwrap();
    let e = m.nlml(&m.values(), true).unwrap_err().to_string();
    assert!(e.contains("35000 observations need 27 GiB"), "{e}");
}

/// A channel of exact zeros is conditioned on, not observed: the NLML is the joint one less the
/// zeros' own, −log p(y | L u = 0) = −log p(y, 0) + log p(0), and its gradient (the zeros' own
/// W subtracted, their merged repeats' term with them) matches finite differences.
#[test]
fn zeros_of_a_law_are_conditioned_on() {
    let build = |with_u: bool| {
        let mut m = Model::new(&["t", "x"], &[("u", KernelSpec::se(true))], &[("a", 0.7)]).unwrap();
        if with_u {
            let x: Vec<f64> = (0..6)
                .flat_map(|k| [0.15 * k as f64, 0.9 - 0.13 * k as f64])
                .collect();
            let y: Vec<f64> = x.chunks(2).map(|p| (-p[0]).exp() * p[1].sin()).collect();
            m.add_channel("u", "u", x, y, 1e-3).unwrap();
        }
        // Six zeros, one point given twice (merged).
        let z = vec![0.1, 0.2, 0.5, 0.7, 0.8, 0.1, 0.3, 0.9, 0.1, 0.2, 0.6, 0.4];
        m.add_channel("f", "u_t - a*u_xx", z, vec![0.0; 6], 1e-3)
            .unwrap();
        m.set("u.lengthscales.t", 0.8).unwrap();
        m.set("u.lengthscales.x", 0.6).unwrap();
        m
    };
    let mut full = build(true);
    let zeros = build(false);
    assert!(full.constraint_rows().is_some() && zeros.constraint_rows().is_none());
    let v = full.values();
    let cond = full.nlml(&v, false).unwrap().nlml;
    check_gradient(&full, &v);
    full.set_condition_on_zeros(false);
    let joint = full.nlml(&v, false).unwrap().nlml;
    let own = zeros.nlml(&zeros.values(), false).unwrap().nlml;
    assert!(
        (cond - (joint - own)).abs() < 1e-9 * joint.abs().max(1.0),
        "{cond} vs {joint} − {own}"
    );
    check_gradient(&full, &v);
}
