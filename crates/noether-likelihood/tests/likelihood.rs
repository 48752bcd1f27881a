//! The NLML and its gradient against scikit-learn and finite differences, the posterior, the
//! recovery of problem E4's coefficient, and factorisation failures.

use noether_kernels::KernelSpec;
use noether_likelihood::fit::{fit, FitOptions};
use noether_likelihood::laplace::laplace;
use noether_likelihood::problems::{heat_e4, heat_u};
use noether_likelihood::{LikelihoodError, Model};

/// Reference from scikit-learn 1.5.2:
/// `GaussianProcessRegressor(ConstantKernel(1.7) * RBF(0.35) + WhiteKernel(0.01), optimizer=None,
/// alpha=0.0).fit(X, y).log_marginal_likelihood(theta, eval_gradient=True)` on the data below, which returns
/// the log likelihood and its gradient with respect to (ln σ², ln ℓ, ln noise).
#[test]
fn nlml_and_gradient_match_scikit_learn() {
    let x = vec![0.0, 0.13, 0.29, 0.41, 0.58, 0.66, 0.83, 1.0];
    let y = vec![0.2, 0.9, 1.3, 0.8, -0.1, -0.6, -1.1, -0.4];
    let mut m = Model::new(
        &["x"],
        &[("u", KernelSpec::SquaredExponential { ard: false })],
        &[],
    )
    .unwrap();
    m.add_channel("u", "u", x, y, 0.01).unwrap();
    m.set("u.variance", 1.7).unwrap();
    m.set("u.lengthscale", 0.35).unwrap();
    let v = m.values();
    let e = m.nlml(&v, true).unwrap();
    let lml = -4.284304887354876;
    let dlog = [
        0.31055908950061983,
        -3.3651586536638995,
        -0.23655136523455775,
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
    let mut m = Model::new(
        &["x"],
        &[("u", KernelSpec::Matern52 { ard: false })],
        &[("b", 0.4)],
    )
    .unwrap();
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
            ("u1", KernelSpec::SquaredExponential { ard: false }),
            ("u2", KernelSpec::Matern32 { ard: false }),
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
    assert!(
        (r.best.values[a] - 1.0).abs() < 1e-2,
        "alpha = {}",
        r.best.values[a]
    );
    let u = laplace(&m, &r.best.values, &Default::default()).unwrap();
    let se = u.std_errors[a].expect("alpha is identifiable");
    assert!(se > 0.0 && se < 0.05, "standard error {se}");
    assert!(r.starts.len() == 2 && r.evaluations > 10);
    // Predict u where it was not observed, against the exact solution.
    let mut post = m.posterior(&r.best.values).unwrap();
    let p = post.predict("u", &[0.5, 0.25, 0.2, 0.6], false).unwrap();
    assert!((p.mean[0] - heat_u(0.5, 0.25)).abs() < 2e-2);
    assert!((p.mean[1] - heat_u(0.2, 0.6)).abs() < 2e-2);
}

#[test]
fn matrix_that_cannot_be_factored_is_an_error_not_a_panic() {
    // A negative multiple of a kernel is no covariance: no jitter can save it.
    let k = KernelSpec::Scaled(
        -1.0,
        Box::new(KernelSpec::SquaredExponential { ard: false }),
    );
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

#[test]
fn noise_free_duplicates_factor_with_reported_jitter() {
    let mut m = Model::new(
        &["x"],
        &[("u", KernelSpec::SquaredExponential { ard: false })],
        &[],
    )
    .unwrap();
    m.add_channel("u", "u", vec![0.1, 0.1, 0.7], vec![1.0, 1.0, 2.0], 1e-300)
        .unwrap();
    let e = m.nlml(&m.values(), true).unwrap();
    assert!(e.jitter > 0.0 && e.nlml.is_finite());
}

#[test]
fn bad_data_and_names_are_errors() {
    let mut m = Model::new(
        &["t", "x"],
        &[("u", KernelSpec::SquaredExponential { ard: true })],
        &[("a", 1.0)],
    )
    .unwrap();
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
        Model::new(&["t"], &[("t", KernelSpec::Matern32 { ard: false })], &[]),
        Err(LikelihoodError::Duplicate { .. })
    ));
}
