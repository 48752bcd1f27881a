//! NUTS draws against the posterior they should follow: a brute-force integral over one free
//! parameter, and the Laplace approximation where the posterior is nearly Gaussian.

use noether_kernels::KernelSpec;
use noether_likelihood::factor::JitterPolicy;
use noether_likelihood::problems::heat_e4;
use noether_likelihood::sample::{sample, SampleOptions};
use noether_likelihood::space::Space;
use noether_likelihood::Model;

/// Mean, sd and the 2.5 % / 97.5 % quantiles of parameter `i` under the density
/// exp(log_posterior_free) over its one free coordinate, by the trapezoid rule on a fine grid.
fn brute_force(m: &Model, i: usize, lo: f64, hi: f64) -> (f64, f64, f64, f64) {
    let base = m.values();
    let space = Space::new(m, &base);
    assert_eq!(space.dim(), 1);
    let pol = JitterPolicy::default();
    let n = 4001;
    let ts: Vec<f64> = (0..n)
        .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
        .collect();
    let lp: Vec<f64> = ts
        .iter()
        .map(|t| {
            m.log_posterior_free(&space, &[*t], &pol)
                .map_or(f64::NEG_INFINITY, |r| r.0)
        })
        .collect();
    let top = lp.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = lp.iter().map(|l| (l - top).exp()).collect();
    // The grid must cover the mass: the ends are negligible.
    assert!(
        w[0] < 1e-12 && w[n - 1] < 1e-12,
        "widen the grid: {} {}",
        w[0],
        w[n - 1]
    );
    let th: Vec<f64> = ts.iter().map(|t| space.to_natural(&[*t])[i]).collect();
    let z: f64 = w.iter().sum();
    let mean = w.iter().zip(&th).map(|(w, t)| w * t).sum::<f64>() / z;
    let var = w
        .iter()
        .zip(&th)
        .map(|(w, t)| w * (t - mean).powi(2))
        .sum::<f64>()
        / z;
    let mut cum = 0.0;
    let (mut q1, mut q2) = (f64::NAN, f64::NAN);
    for k in 0..n {
        cum += w[k] / z;
        if q1.is_nan() && cum >= 0.025 {
            q1 = th[k];
        }
        if q2.is_nan() && cum >= 0.975 {
            q2 = th[k];
        }
    }
    (mean, var.sqrt(), q1, q2)
}

/// E4 with noise of sd 0.01 on u and 0.05 on f, fitted.
fn noisy_e4(n_u: usize, n_f: usize, seed: u64) -> Model {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let [xu, yu, xf, yf] = noether_likelihood::problems::heat_e4_data(n_u, n_f, seed);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed + 100);
    let mut noisy = |y: Vec<f64>, sd: f64| -> Vec<f64> {
        let n = Normal::new(0.0, sd).unwrap();
        y.into_iter().map(|v| v + n.sample(&mut rng)).collect()
    };
    let (yu, yf) = (noisy(yu, 0.01), noisy(yf, 0.05));
    let mut m = Model::new(&["t", "x"], &[("u", KernelSpec::se(true))], &[("a", 0.7)]).unwrap();
    m.add_channel("u", "u", xu, yu, 1e-3).unwrap();
    m.add_channel("f", "u_t - a*u_xx", xf, yf, 1e-3).unwrap();
    let o = noether_likelihood::fit::FitOptions {
        restarts: 1,
        ..Default::default()
    };
    noether_likelihood::fit::fit(&mut m, &o, &mut |_| {}).unwrap();
    m
}

/// The draws' summary against the integral's mean, sd and quantiles: the mean within 0.1 sd,
/// the sd within `sd_tol` relative, each end of the interval within 0.2 sd.
fn agrees(
    s: &noether_likelihood::sample::Summary,
    (mean, sd, q1, q2): (f64, f64, f64, f64),
    sd_tol: f64,
) {
    assert!(
        (s.mean - mean).abs() < 0.1 * sd,
        "mean {} vs {mean} (sd {sd})",
        s.mean
    );
    assert!((s.sd / sd - 1.0).abs() < sd_tol, "sd {} vs {sd}", s.sd);
    for (end, q) in s.interval95.iter().zip([q1, q2]) {
        assert!((end - q).abs() < 0.2 * sd, "{:?} vs {q}", s.interval95);
    }
}

fn opts(draws: u64) -> SampleOptions {
    SampleOptions {
        chains: 4,
        warmup: 400,
        draws,
        seed: 3,
        ..SampleOptions::default()
    }
}

#[test]
fn draws_of_one_coefficient_match_the_integral_of_its_posterior() {
    // Noisy E4 with 8 + 8 points, fitted, then only a free: its posterior is exp(−NLML(a))
    // (flat prior).
    let mut m = noisy_e4(8, 8, 1);
    for p in [
        "u.variance",
        "u.lengthscales.t",
        "u.lengthscales.x",
        "noise.u",
        "noise.f",
    ] {
        m.fix(p, true).unwrap();
    }
    let i = m.index_of("a").unwrap();
    let (mean, sd, q1, q2) = brute_force(&m, i, -4.0, 6.0);
    let d = sample(&m, &m.values(), None, &opts(1000), &JitterPolicy::default()).unwrap();
    let s = &d.summaries()[0];
    agrees(s, (mean, sd, q1, q2), 0.1);
    assert!(s.rhat < 1.01 && s.ess_bulk > 400.0, "{s:?}");
    assert_eq!(d.divergences.iter().sum::<usize>(), 0);
}

#[test]
fn draws_of_a_skewed_noise_variance_match_the_integral() {
    // Six observations of a smooth function: the noise variance's posterior (its default
    // log-normal prior times the likelihood, over log σ²) is far from Gaussian in σ².
    let x: Vec<f64> = (0..6).map(|i| i as f64 / 5.0).collect();
    let y: Vec<f64> = x
        .iter()
        .map(|x| (2.0 * x).sin() + 0.1 * (17.0 * x).cos())
        .collect();
    let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[]).unwrap();
    m.add_channel("u", "u", x, y, 0.01).unwrap();
    m.set("u.variance", 0.5).unwrap();
    m.set("u.lengthscale", 0.4).unwrap();
    m.fix("u.variance", true).unwrap();
    m.fix("u.lengthscale", true).unwrap();
    let i = m.index_of("noise.u").unwrap();
    let (mean, sd, q1, q2) = brute_force(&m, i, -25.0, 4.0);
    let d = sample(&m, &m.values(), None, &opts(1500), &JitterPolicy::default()).unwrap();
    let s = &d.summaries()[0];
    agrees(s, (mean, sd, q1, q2), 0.15);
    assert!(
        s.interval95[1] - mean > mean - s.interval95[0],
        "right-skewed: {s:?}"
    );
}

#[test]
fn all_parameters_of_e4_mix_and_agree_with_laplace() {
    // 20 + 20 noisy points: every parameter free, the posterior of a nearly Gaussian.
    let m = noisy_e4(20, 20, 0);
    let at = m.values();
    let lap = noether_likelihood::laplace::laplace_with(
        &m,
        &at,
        &JitterPolicy::default(),
        noether_likelihood::objective::ObjectiveKind::Posterior,
    )
    .unwrap();
    let k = m.index_of("a").unwrap();
    let d = sample(&m, &at, None, &opts(500), &JitterPolicy::default()).unwrap();
    let pos = d.names.iter().position(|n| n == "a").unwrap();
    let s = &d.summaries()[pos];
    let se = lap.std_errors[k].unwrap();
    assert!(s.rhat < 1.05, "{s:?}");
    assert!(
        (s.mean - at[k]).abs() < 0.5 * se,
        "{} vs {} ± {se}",
        s.mean,
        at[k]
    );
    assert!((0.7..1.5).contains(&(s.sd / se)), "sd {} vs se {se}", s.sd);
    assert!(d.gradient_evaluations > 0 && d.draws_per_second() > 0.0);
    assert!(d.ebfmi().iter().all(|e| *e > 0.3), "{:?}", d.ebfmi());
}

#[test]
fn bad_settings_are_named() {
    let m = heat_e4(5, 5, 0, 1.0).unwrap();
    let pol = JitterPolicy::default();
    for (o, word) in [
        (
            SampleOptions {
                chains: 0,
                ..opts(100)
            },
            "fit.chains",
        ),
        (
            SampleOptions {
                draws: 1_000_000_000,
                ..opts(100)
            },
            "fit.draws",
        ),
        (
            SampleOptions {
                draws: 2,
                ..opts(100)
            },
            "fit.draws",
        ),
    ] {
        let e = sample(&m, &m.values(), None, &o, &pol)
            .unwrap_err()
            .to_string();
        assert!(e.contains(word), "{e}");
    }
    let mut fixed = m.clone();
    for p in fixed.param_names() {
        fixed.fix(&p, true).unwrap();
    }
    let e = sample(&fixed, &fixed.values(), None, &opts(100), &pol)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nothing to sample"), "{e}");
}
