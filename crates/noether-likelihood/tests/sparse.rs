//! The VFE bound: equal to the exact NLML with the inducing points at the data, above it and
//! rising to it as M grows, and its gradient against finite differences.

use noether_kernels::KernelSpec;
use noether_likelihood::problems::heat_e4;
use noether_likelihood::sparse::kmeans;
use noether_likelihood::Model;

fn regression() -> Model {
    // Points far enough apart for K_zz to factor without jitter at this lengthscale.
    let x: Vec<f64> = (0..16).map(|i| i as f64 * 0.2).collect();
    let y: Vec<f64> = x.iter().map(|v| (2.0 * v).sin() + 0.1 * v).collect();
    let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[]).unwrap();
    m.add_channel("u", "u", x, y, 1e-2).unwrap();
    m.set("u.lengthscale", 0.25).unwrap();
    m
}

#[test]
fn with_inducing_points_at_the_data_the_bound_is_the_exact_nlml() {
    let mut m = regression();
    let v = m.values();
    bound_is_exact_at_the_data(&mut m, &v);
}

#[test]
fn the_bound_lies_above_and_rises_to_the_exact_nlml_on_an_operator_problem() {
    let mut m = heat_e4(30, 30, 0, 0.8).unwrap();
    let v = m.values();
    let exact = m.nlml(&v, false).unwrap().nlml;
    let pts: Vec<f64> = m.channels().iter().flat_map(|c| c.x.clone()).collect();
    let mut last = f64::INFINITY;
    for k in [5, 15, 40] {
        let ind = m.inducing(kmeans(&pts, 2, k, 0)).unwrap();
        let b = ind.nlml(&m, &v, false).unwrap().nlml;
        assert!(
            b >= exact - 1e-6 * exact.abs(),
            "M = {k}: {b} below the exact {exact}"
        );
        assert!(b <= last + 1e-9, "M = {k}: {b} after {last}");
        last = b;
    }
}

#[test]
fn the_gradient_of_the_bound_matches_finite_differences() {
    let mut m = heat_e4(25, 25, 1, 0.8).unwrap();
    let pts: Vec<f64> = m.channels().iter().flat_map(|c| c.x.clone()).collect();
    let ind = m.inducing(kmeans(&pts, 2, 12, 3)).unwrap();
    let mut v = m.values();
    // Away from the defaults, so that every term matters.
    for (p, x) in m.params().iter().zip(v.iter_mut()) {
        if p.name.starts_with("noise") {
            *x = 3e-3;
        }
        if p.name == "a" {
            *x = 0.7;
        }
    }
    gradient_matches_finite_differences(&m, &ind, &v);
}

/// The bound's gradient at `v` against central differences, 1e-5 relative.
fn gradient_matches_finite_differences(
    m: &Model,
    ind: &noether_likelihood::sparse::Inducing,
    v: &[f64],
) {
    let e = ind.nlml(m, v, true).unwrap();
    for i in 0..v.len() {
        let h = 1e-6 * v[i].abs().max(1e-3);
        let at = |d: f64| {
            let mut w = v.to_vec();
            w[i] += d;
            ind.nlml(m, &w, false).unwrap().nlml
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        let name = &m.params()[i].name;
        assert!(
            (fd - e.gradient[i]).abs() < 1e-5 * fd.abs().max(1.0),
            "{name}: {fd} vs {}",
            e.gradient[i]
        );
    }
}

/// With the inducing points at the (distinct) data points, the bound is the exact NLML, gradient
/// included.
fn bound_is_exact_at_the_data(m: &mut Model, v: &[f64]) {
    let z = m.channels()[0].x.clone();
    let ind = m.inducing(z).unwrap();
    let exact = m.nlml(v, true).unwrap();
    let vfe = ind.nlml(m, v, true).unwrap();
    assert_eq!(vfe.jitter, 0.0);
    assert!(
        (vfe.nlml - exact.nlml).abs() < 1e-8 * exact.nlml.abs().max(1.0),
        "{} vs {}",
        vfe.nlml,
        exact.nlml
    );
    for (a, b) in vfe.gradient.iter().zip(&exact.gradient) {
        assert!((a - b).abs() < 1e-5 * b.abs().max(1.0), "{a} vs {b}");
    }
}

/// Repeated observations merged into one (a channel's λ_i no longer one number): with the
/// inducing points at the distinct data points the bound is the exact NLML, gradient included,
/// and with fewer its gradient matches finite differences (the bound's path for channels whose
/// noise differs from point to point).
#[test]
fn the_bound_with_merged_repeats_is_exact_at_the_data_and_its_gradient_is_right() {
    for every in [false, true] {
        merged_repeats(every);
    }
}

/// Points 3 and 7 observed twice more and point 12 once more (`every`: every point twice).
fn merged_repeats(every: bool) {
    let x: Vec<f64> = (0..16).map(|i| i as f64 * 0.2).collect();
    let mut xs = x.clone();
    let mut ys: Vec<f64> = x.iter().map(|v| (2.0 * v).sin() + 0.1 * v).collect();
    let repeats: Vec<(usize, f64)> = if every {
        (0..16).map(|i| (i, 0.03 * (i as f64).cos())).collect()
    } else {
        vec![(3, 0.05), (3, -0.02), (7, 0.03), (7, 0.01), (12, -0.04)]
    };
    for (i, dy) in repeats {
        xs.push(x[i]);
        ys.push(ys[i] + dy);
    }
    let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[]).unwrap();
    m.add_channel("u", "u", xs, ys, 1e-2).unwrap();
    m.set("u.lengthscale", 0.25).unwrap();
    assert!(m.channels()[0].replicates().is_some());
    let v = m.values();
    bound_is_exact_at_the_data(&mut m, &v);
    let pts = m.channels()[0].x.clone();
    let ind = m.inducing(kmeans(&pts, 1, 6, 0)).unwrap();
    gradient_matches_finite_differences(&m, &ind, &v);
}

/// Predictions under the bound with Z at the data are the exact ones; with fewer inducing points
/// they stay close where the data are dense.
#[test]
fn predictions_with_inducing_points_match_the_exact_ones_at_the_data() {
    let m = regression();
    let mut s = m.clone();
    s.approximate(m.channels()[0].x.clone()).unwrap();
    let at = [0.1, 0.95, 1.7, 2.9];
    let v = m.values();
    for target in ["u", "u_x"] {
        let e = m
            .posterior(&v)
            .unwrap()
            .predict(target, &at, false)
            .unwrap();
        let a = s
            .posterior(&v)
            .unwrap()
            .predict(target, &at, false)
            .unwrap();
        for j in 0..at.len() {
            assert!(
                (e.mean[j] - a.mean[j]).abs() < 1e-8 * (1.0 + e.mean[j].abs()),
                "{target}"
            );
            // K_zz's jitter (1e-8 of its mean diagonal) shows in the variances at about 1e-6.
            assert!(
                (e.variance[j] - a.variance[j]).abs() < 1e-5 * (1e-6 + e.variance[j]),
                "{target}: {} vs {}",
                e.variance[j],
                a.variance[j]
            );
        }
    }
    // Joint predictions too: the full covariance of u and u_x.
    let e = m
        .posterior(&v)
        .unwrap()
        .predict_joint(&["u", "u_x"], &at)
        .unwrap();
    let a = s
        .posterior(&v)
        .unwrap()
        .predict_joint(&["u", "u_x"], &at)
        .unwrap();
    let scale = e.covariance.iter().fold(0.0f64, |x, c| x.max(c.abs()));
    for (x, y) in e.covariance.iter().zip(&a.covariance) {
        assert!((x - y).abs() < 1e-5 * scale, "{x} vs {y}");
    }
    for (x, y) in e.mean.iter().zip(&a.mean) {
        assert!((x - y).abs() < 1e-8 * (1.0 + x.abs()));
    }
    // The approximated model's NLML is the bound.
    let b = s.nlml(&v, false).unwrap().nlml;
    assert!((b - m.nlml(&v, false).unwrap().nlml).abs() < 1e-8 * b.abs());
}

/// The solver seam: one choice decides the NLML and the posterior, and what a solver lacks is a
/// structured error naming it.
#[test]
fn the_solver_seam_names_the_solver_that_lacks_a_feature() {
    use noether_likelihood::solver::Feature;
    use noether_likelihood::LikelihoodError;
    let mut m = regression();
    assert_eq!(m.solver().name(), "the exact likelihood");
    let v = m.values();
    let exact = m.nlml(&v, false).unwrap().nlml;
    let z = m.channels()[0].x.clone();
    m.approximate(z).unwrap();
    assert_eq!(m.solver().name(), "inducing points");
    // At the data, the bound is the exact NLML: the seam routes the evaluation.
    assert!((m.nlml(&v, false).unwrap().nlml - exact).abs() < 1e-8 * exact.abs().max(1.0));
    for f in [
        Feature::KnownMeans,
        Feature::ConditionOnZeros,
        Feature::DataStart,
        Feature::FullCovariance,
        Feature::Weights,
    ] {
        match m.solver().require(f) {
            Err(e @ LikelihoodError::Unsupported { .. }) => {
                let s = e.to_string();
                assert!(s.contains("inducing points"), "{s}");
                assert!(s.contains(f.describe()), "{s}");
            }
            other => panic!("{f:?}: {other:?}"),
        }
    }
    // Through the conditioned object: a full covariance and the weights are refused by name.
    let mut post = m.posterior(&v).unwrap();
    let e = post
        .predict("u", &[0.1, 0.2], true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("inducing points") && e.contains("full covariance"),
        "{e}"
    );
    let e = post.mean_function(&["u"]).unwrap_err().to_string();
    assert!(
        e.contains("inducing points") && e.contains("rollouts"),
        "{e}"
    );
    // Back to the exact solver: everything is there.
    let exact_model = m.exact();
    assert_eq!(exact_model.solver().name(), "the exact likelihood");
    assert!(exact_model.solver().require(Feature::Weights).is_ok());
}
