//! A substance diffusing in a closed container: mass conserved through the kernel.
//!
//! x ∈ [0, 1], t ∈ [0, 2], no flux through the walls, u = 1 + e^{−π²Dt} cos πx +
//! ½ e^{−4π²Dt} cos 2πx with D = 0.1 (a solution of u_t = D u_xx with u_x = 0 at both walls,
//! total mass ∫₀¹ u dx = 1 at every time). 40 noisy density values (sd 0.01), seeded.
//!
//! Three models of the same data:
//! - **plain**: a GP on u alone (squared exponential, default settings);
//! - **physics-informed**: the same GP with the law u_t − D u_xx = 0 as a channel of zeros, D
//!   learned, no boundary conditions;
//! - **conserving**: the continuity equation u_t + J_x = 0 built in, as a space-time
//!   divergence-free field (u, J) = (ψ_x, −ψ_t) over (t, x) with no flux at x = 0 and 1 (ψ is
//!   M·x plus a GP times x(1 − x), so J = 0 on the walls and ∫₀¹ u dx = ψ(t, 1) − ψ(t, 0) = M in
//!   every sample, M learned) and Fick's law J + D u_x = 0 as a channel of zeros, D learned.
//!
//! The total mass of each posterior mean is integrated by 48-point Gauss–Legendre quadrature
//! (exact to rounding for these smooth means), at 41 times.

use noether_infer::format::number;
use noether_infer::plot::{curves, fields, Curves, Field, Frame, Marks};
use noether_infer::{
    Boundary, Condition, Data, FieldKind, Fitted, InferError, Init, Latent, Problem,
};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::f64::consts::PI;
use std::path::Path;

/// The diffusion coefficient of the data.
pub const D: f64 = 0.1;

/// The exact density.
pub fn density(t: f64, x: f64) -> f64 {
    let k = PI * PI * D * t;
    1.0 + (-k).exp() * (PI * x).cos() + 0.5 * (-4.0 * k).exp() * (2.0 * PI * x).cos()
}

/// The exact flux J = −D u_x.
pub fn flux(t: f64, x: f64) -> f64 {
    let k = PI * PI * D * t;
    D * PI * ((-k).exp() * (PI * x).sin() + (-4.0 * k).exp() * (2.0 * PI * x).sin())
}

/// Gauss–Legendre nodes and weights on [0, 1] (Newton's method on P_n, Golub–Welsch's starting
/// guesses cos(π(i − ¼)/(n + ½))).
pub fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    (1..=n)
        .map(|i| {
            let mut z = (PI * (i as f64 - 0.25) / (n as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, z);
                for k in 2..=n {
                    let k = k as f64;
                    (p0, p1) = (p1, ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p0) / k);
                }
                dp = n as f64 * (z * p1 - p0) / (z * z - 1.0);
                let step = p1 / dp;
                z -= step;
                if step.abs() < 1e-16 {
                    break;
                }
            }
            let w = 2.0 / ((1.0 - z * z) * dp * dp);
            (0.5 * (1.0 + z), 0.5 * w)
        })
        .collect()
}

/// What one model reached.
#[derive(Debug)]
pub struct Outcome {
    /// Its name.
    pub name: &'static str,
    /// The fit.
    pub fitted: Fitted,
    /// D ± SE, where the model has D.
    pub d: Option<(f64, Option<f64>)>,
    /// The total mass of the posterior mean at each of [`Report::times`].
    pub mass: Vec<f64>,
    /// (max − min) / mean of `mass`.
    pub drift: f64,
    /// Mean |posterior mean of u − u| on the grid.
    pub error: f64,
    /// The posterior mean of u on the grid.
    pub u: Vec<f64>,
    /// The posterior mean of J on the grid, where the model has J.
    pub j: Option<Vec<f64>>,
}

/// The three models on one data set.
#[derive(Debug)]
pub struct Report {
    /// Plain, physics-informed, conserving.
    pub models: Vec<Outcome>,
    /// The times the mass is measured at.
    pub times: Vec<f64>,
    /// The observation points.
    pub points: Vec<(f64, f64)>,
    /// The grid's frame (t, x).
    pub frame: Frame,
    /// The exact density on the grid.
    pub exact: Vec<f64>,
}

/// The three problems on `n` seeded noisy density values, Fick's law at `n_law` points.
pub fn problems(n: usize, n_law: usize, seed: u64) -> [Problem; 3] {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 0.01).expect("sd");
    let mut design = |k: usize| -> Vec<f64> {
        (0..k)
            .flat_map(|_| [rng.random_range(0.0..2.0), rng.random_range(0.0..1.0)])
            .collect()
    };
    let (x, z) = (design(n), design(n_law));
    let y: Vec<f64> = x
        .chunks(2)
        .map(|p| density(p[0], p[1]))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|v| v + noise.sample(&mut rng))
        .collect();
    let rho = || Data::from_rows(&x, 2, &y);
    let zeros = || Data::from_rows(&z, 2, &vec![0.0; n_law]);
    let plain = Problem::new(&["t", "x"])
        .latent("u", Latent::se(1.0, &[1.0, 0.3]))
        .channel("rho", "u", rho(), 1e-3)
        .seed(seed);
    let informed = Problem::new(&["t", "x"])
        .latent("u", Latent::se(1.0, &[1.0, 0.3]))
        .parameter("D", Init::positive_at(0.5))
        .channel("rho", "u", rho(), 1e-3)
        .channel("law", "u_t - D*u_xx", zeros(), 1e-3)
        .seed(seed);
    let walls = Boundary::faces(0.0, 1.0, [Some(Condition::NoFlux), Some(Condition::NoFlux)]);
    let conserving = Problem::new(&["t", "x"])
        .latent(
            "v",
            Latent::se(1.0, &[1.0, 0.3])
                .field(FieldKind::DivergenceFree)
                .mean("M*x")
                .boundary("x", walls),
        )
        .parameter("M", 0.5)
        .parameter("D", Init::positive_at(0.5))
        .channel("rho", "v[t]", rho(), 1e-3)
        .channel("fick", "v[x] + D*d(v[t], x)", zeros(), 1e-3)
        .seed(seed);
    [plain, informed, conserving]
}

/// Fit the three models and measure them, with `side × side` grid points for the errors.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(n: usize, n_law: usize, side: usize, seed: u64) -> Result<Report, InferError> {
    let frame = Frame {
        nx: side,
        ny: side,
        x: (0.0, 2.0),
        y: (0.0, 1.0),
    };
    let grid = frame.points();
    let exact: Vec<f64> = grid.chunks(2).map(|q| density(q[0], q[1])).collect();
    let times: Vec<f64> = (0..=40).map(|k| 0.05 * k as f64).collect();
    let rule = gauss_legendre(48);
    let quad: Vec<f64> = times
        .iter()
        .flat_map(|&t| rule.iter().flat_map(move |&(x, _)| [t, x]))
        .collect();
    let [plain, informed, conserving] = problems(n, n_law, seed);
    let (x, _) = plain.channel_data(0)?;
    let points = x.chunks(2).map(|p| (p[0], p[1])).collect();
    let mut models = Vec::new();
    for (name, problem, u, j) in [
        ("plain GP on u", plain, "u", None),
        ("physics-informed", informed, "u", None),
        ("conserving field", conserving, "v[t]", Some("v[x]")),
    ] {
        let fitted = problem.fit()?;
        let on_grid = fitted.predict(u, &grid)?.mean;
        let error = on_grid
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / exact.len() as f64;
        let at_nodes = fitted.predict(u, &quad)?.mean;
        let mass: Vec<f64> = at_nodes
            .chunks(rule.len())
            .map(|c| c.iter().zip(&rule).map(|(v, (_, w))| v * w).sum())
            .collect();
        let (lo, hi) = mass
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &m| {
                (a.min(m), b.max(m))
            });
        let average = mass.iter().sum::<f64>() / mass.len() as f64;
        let j = j
            .map(|j| fitted.predict(j, &grid))
            .transpose()?
            .map(|p| p.mean);
        let d = fitted.parameter("D").map(|v| (v, fitted.std_error("D")));
        models.push(Outcome {
            name,
            d,
            drift: (hi - lo) / average.abs(),
            mass,
            error,
            u: on_grid,
            j,
            fitted,
        });
    }
    Ok(Report {
        models,
        times,
        points,
        frame,
        exact,
    })
}

/// The table the example prints.
pub fn table(r: &Report) -> String {
    let mut out = format!(
        "mass_conservation: u_t + J_x = 0, J = −D u_x, no flux at x = 0, 1 (truth D = {D}, mass 1)\n  {:<20} {:>22} {:>14} {:>14} {:>12}\n",
        "model", "D ± SE", "mass drift", "mass at t=2", "mean |err|"
    );
    for m in &r.models {
        let d = match m.d {
            Some((v, Some(se))) => format!("{} ± {}", number(v, 4), number(se, 2)),
            Some((v, None)) => format!("{} (not identifiable)", number(v, 4)),
            None => "—".to_string(),
        };
        out += &format!(
            "  {:<20} {:>22} {:>14} {:>14} {:>12}\n",
            m.name,
            d,
            format!("{:.2e}", m.drift),
            number(*m.mass.last().unwrap_or(&f64::NAN), 10),
            number(m.error, 3)
        );
    }
    if let Some(c) = r.models.iter().find(|m| m.j.is_some()) {
        if let Some(d) = c.d {
            out += &format!(
                "  conserving: D off by {} %; mass drift {:.1e} relative (target 1e-9), M = {}\n",
                number(100.0 * (d.0 - D).abs() / D, 3),
                c.drift,
                number(c.fitted.parameter("M").unwrap_or(f64::NAN), 10)
            );
        }
    }
    for m in &r.models {
        if let Some(d) = &m.fitted.report.best.degenerate {
            out += &format!("  {} fit: every start reached {d}\n", m.name);
        }
    }
    out
}

/// Density and flux of the conserving model, the plain model's density error, and the total
/// mass over time of all three.
///
/// # Errors
/// A file that cannot be written.
pub fn figures(r: &Report, dir: &Path) -> Result<Vec<String>, InferError> {
    let marks = [Marks::new("density observed", &r.points)];
    let err =
        |m: &[f64]| -> Vec<f64> { m.iter().zip(&r.exact).map(|(a, b)| (a - b).abs()).collect() };
    let (plain, cons) = (&r.models[0], &r.models[2]);
    let j = cons.j.clone().unwrap_or_default();
    let exact_j: Vec<f64> = r
        .frame
        .points()
        .chunks(2)
        .map(|q| flux(q[0], q[1]))
        .collect();
    let fields_path = dir.join("mass_conservation.png");
    fields(
        &fields_path,
        &r.frame,
        &[
            Field::grid("conserving: density u", "u", &cons.u, &marks),
            Field::grid("conserving: flux J", "J", &j, &marks),
            Field::grid("exact flux J = −D u_x", "J", &exact_j, &marks),
            Field::grid("plain: |error of u|", "|error|", &err(&plain.u), &marks),
            Field::grid("conserving: |error of u|", "|error|", &err(&cons.u), &marks),
            Field::grid("exact density", "u", &r.exact, &marks),
        ],
        3,
        ("t", "x"),
    )?;
    let mut series = vec![(
        "exact (1)".to_string(),
        r.times.iter().map(|&t| (t, 1.0)).collect::<Vec<_>>(),
    )];
    for m in &r.models {
        series.push((
            m.name.to_string(),
            r.times
                .iter()
                .copied()
                .zip(m.mass.iter().copied())
                .collect(),
        ));
    }
    let mass_path = dir.join("mass_over_time.png");
    curves(
        &mass_path,
        &[Curves {
            title: "total mass ∫₀¹ u dx of each posterior mean",
            labels: ("t", "mass"),
            series: &series,
            marks: &[],
        }],
    )?;
    Ok(vec![
        fields_path.display().to_string(),
        mass_path.display().to_string(),
    ])
}

/// The example: 40 density values, Fick's law at 40 points, seed 0, a 120 × 120 grid; the
/// table, and the figures in `figures/mass_conservation/`.
///
/// # Errors
/// A fit, prediction or file failure.
pub fn example() -> Result<(), Box<dyn std::error::Error>> {
    let r = run(40, 40, 120, 0)?;
    print!("{}", table(&r));
    let dir = Path::new("figures").join("mass_conservation");
    std::fs::create_dir_all(&dir)?;
    for f in figures(&r, &dir)? {
        println!("wrote {f}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_and_the_exact_mass() {
        let rule = gauss_legendre(48);
        let w: f64 = rule.iter().map(|r| r.1).sum();
        assert!((w - 1.0).abs() < 1e-14);
        let x9: f64 = rule.iter().map(|(x, w)| w * x.powi(9)).sum();
        assert!((x9 - 0.1).abs() < 1e-14);
        for t in [0.0, 0.7, 2.0] {
            let m: f64 = rule.iter().map(|(x, w)| w * density(t, *x)).sum();
            assert!((m - 1.0).abs() < 1e-13, "{m}");
        }
    }
}
