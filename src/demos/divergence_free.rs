//! Jidling et al. (2017), §5.1: a divergence-free field learned from noisy samples of both
//! components, by a divergence-free GP (a stream function ψ with v = (ψ_y, −ψ_x)) and by
//! independent GPs per component sharing one kernel, over repeated random designs.
//!
//! True field (a = 0.01): f₁ = e^{−a x₁x₂}(a x₁ sin(x₁x₂) − x₁ cos(x₁x₂)),
//! f₂ = e^{−a x₁x₂}(x₂ cos(x₁x₂) − a x₂ sin(x₁x₂)); 50 uniform random inputs on [0, 4]², noise
//! standard deviation 1e-4 on both components; the RMS error over both components on a 20 × 20
//! grid.

use noether_infer::format::number;
use noether_infer::plot::{fields, quivers, Arrows, Field, Frame, Marks};
use noether_infer::{Data, FieldKind, Fitted, InferError, Init, Kernel, Latent, Problem};
use rand::{Rng, SeedableRng};
use std::path::Path;

/// Mean and median RMSE over 50 designs of a NumPy reproduction (the reference):
/// (divergence-free, independent).
pub const REFERENCE_MEAN: (f64, f64) = (0.42, 1.43);
/// The medians of the same reproduction.
pub const REFERENCE_MEDIAN: (f64, f64) = (0.37, 1.58);

/// The true field.
pub fn field(x1: f64, x2: f64) -> (f64, f64) {
    let a = 0.01;
    let e = (-a * x1 * x2).exp();
    (
        e * (a * x1 * (x1 * x2).sin() - x1 * (x1 * x2).cos()),
        e * (x2 * (x1 * x2).cos() - a * x2 * (x1 * x2).sin()),
    )
}

/// The noise standard deviation of the simulated measurements.
pub const NOISE_SD: f64 = 1e-4;

/// One design's problem: the divergence-free model (`constrained`) or independent GPs with one
/// shared kernel.
pub fn problem(x: &[f64], y1: &[f64], y2: &[f64], constrained: bool) -> Problem {
    // The noise is the simulation's, known: fixed.
    let noise = Init::fixed_at(NOISE_SD * NOISE_SD);
    let p = Problem::new(&["x1", "x2"]);
    let p = if constrained {
        p.latent(
            "v",
            Latent::se(1.0, &[1.0, 1.0]).field(FieldKind::DivergenceFree),
        )
        .channel("f1", "v[x1]", Data::from_rows(x, 2, y1), noise.clone())
        .channel("f2", "v[x2]", Data::from_rows(x, 2, y2), noise)
    } else {
        p.latent("g1", Latent::se(1.0, &[1.0, 1.0]))
            .latent("g2", Latent::with_kernel(Kernel::SameAs("g1".into())))
            .channel("f1", "g1", Data::from_rows(x, 2, y1), noise.clone())
            .channel("f2", "g2", Data::from_rows(x, 2, y2), noise)
    };
    p.restarts(2)
}

/// The 20 × 20 grid over [0, 4]², row-major, x₁ the slow index.
pub fn grid(side: usize) -> Vec<f64> {
    super::grid(side).iter().map(|v| 4.0 * v).collect()
}

/// RMS error over both components on the grid.
fn rmse(f: &Fitted, components: [&str; 2], g: &[f64]) -> Result<f64, InferError> {
    let (p1, p2) = (f.predict(components[0], g)?, f.predict(components[1], g)?);
    let mut s = 0.0;
    for (k, p) in g.chunks(2).enumerate() {
        let (t1, t2) = field(p[0], p[1]);
        s += (p1.mean[k] - t1).powi(2) + (p2.mean[k] - t2).powi(2);
    }
    Ok((s / (2 * p1.mean.len()) as f64).sqrt())
}

/// One design: inputs, noisy observations, both fits and their errors.
#[derive(Debug)]
pub struct Design {
    /// The inputs, row-major.
    pub x: Vec<f64>,
    /// The divergence-free fit.
    pub constrained: Fitted,
    /// The independent fit.
    pub independent: Fitted,
    /// RMSE of the divergence-free GP.
    pub rmse_constrained: f64,
    /// RMSE of the independent GPs.
    pub rmse_independent: f64,
}

/// What the run measured over all designs.
#[derive(Debug)]
pub struct Report {
    /// Every design, in order (design k is drawn from seed `seed + k`).
    pub designs: Vec<Design>,
    /// The grid side.
    pub side: usize,
}

/// Fit both models on `designs` seeded designs of `n` points each.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(designs: usize, n: usize, side: usize, seed: u64) -> Result<Report, InferError> {
    let g = grid(side);
    let mut out = Vec::new();
    for k in 0..designs {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed + k as u64);
        let x: Vec<f64> = (0..2 * n).map(|_| rng.random_range(0.0..4.0)).collect();
        let noise = |rng: &mut rand::rngs::StdRng| {
            let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
            NOISE_SD * z
        };
        let mut y1 = Vec::new();
        let mut y2 = Vec::new();
        for p in x.chunks(2) {
            let (a, b) = field(p[0], p[1]);
            y1.push(a + noise(&mut rng));
            y2.push(b + noise(&mut rng));
        }
        let constrained = problem(&x, &y1, &y2, true).seed(seed + k as u64).fit()?;
        let independent = problem(&x, &y1, &y2, false).seed(seed + k as u64).fit()?;
        let rmse_constrained = rmse(&constrained, ["v[x1]", "v[x2]"], &g)?;
        let rmse_independent = rmse(&independent, ["g1", "g2"], &g)?;
        out.push(Design {
            x,
            constrained,
            independent,
            rmse_constrained,
            rmse_independent,
        });
    }
    Ok(Report { designs: out, side })
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// The table the example prints: mean and median RMSE of both models beside the reference, and
/// in how many designs the constraint wins.
pub fn table(r: &Report) -> String {
    let c: Vec<f64> = r.designs.iter().map(|d| d.rmse_constrained).collect();
    let i: Vec<f64> = r.designs.iter().map(|d| d.rmse_independent).collect();
    let wins = c.iter().zip(&i).filter(|(a, b)| a < b).count();
    let row = |q: &str, a: String, b: String, c: String, d: String| {
        format!("  {q:<28} {a:>12} {b:>12} {c:>14} {d:>14}\n")
    };
    [
        row(
            &format!("RMSE over {} designs", c.len()),
            "div-free".into(),
            "independent".into(),
            "div-free (ref)".into(),
            "indep. (ref)".into(),
        ),
        row(
            "mean",
            number(mean(&c), 3),
            number(mean(&i), 3),
            number(REFERENCE_MEAN.0, 3),
            number(REFERENCE_MEAN.1, 3),
        ),
        row(
            "median",
            number(median(&c), 3),
            number(median(&i), 3),
            number(REFERENCE_MEDIAN.0, 3),
            number(REFERENCE_MEDIAN.1, 3),
        ),
        format!(
            "  the divergence-free GP is better in {wins} of {} designs\n",
            c.len()
        ),
    ]
    .concat()
}

/// The largest |divergence| of each posterior mean on the grid (divergence-free, independent),
/// relative to the largest derivative term, for design `k`.
///
/// # Errors
/// A prediction failure.
pub fn divergences(r: &Report, k: usize) -> Result<(f64, f64), InferError> {
    let g = grid(r.side);
    let d = &r.designs[k];
    let rel = |f: &Fitted, a: &str, b: &str| -> Result<f64, InferError> {
        let (pa, pb) = (f.predict(a, &g)?, f.predict(b, &g)?);
        let scale = pa
            .mean
            .iter()
            .chain(&pb.mean)
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let worst = pa
            .mean
            .iter()
            .zip(&pb.mean)
            .fold(0.0f64, |m, (x, y)| m.max((x + y).abs()));
        Ok(worst / scale)
    };
    Ok((
        rel(&d.constrained, "d(v[x1], x1)", "d(v[x2], x2)")?,
        rel(&d.independent, "d(g1, x1)", "d(g2, x2)")?,
    ))
}

/// Arrows of the true field and both posterior means with the training inputs, and heat maps of
/// the divergence of each posterior mean, for the first design.
///
/// # Errors
/// A prediction failure or a file that cannot be written.
pub fn figures(r: &Report, dir: &Path) -> Result<Vec<String>, InferError> {
    let d = &r.designs[0];
    // Arrows on a coarser grid than the error's, so that each can be seen.
    let g = grid(13);
    let at: Vec<(f64, f64)> = g.chunks(2).map(|p| (p[0], p[1])).collect();
    let truth: Vec<(f64, f64)> = at.iter().map(|&(a, b)| field(a, b)).collect();
    let pair = |f: &Fitted, a: &str, b: &str| -> Result<Vec<(f64, f64)>, InferError> {
        let (pa, pb) = (f.predict(a, &g)?, f.predict(b, &g)?);
        Ok(pa.mean.into_iter().zip(pb.mean).collect())
    };
    let con = pair(&d.constrained, "v[x1]", "v[x2]")?;
    let ind = pair(&d.independent, "g1", "g2")?;
    let train: Vec<(f64, f64)> = d.x.chunks(2).map(|p| (p[0], p[1])).collect();
    let marks = [Marks::new("training inputs", &train)];
    let arrows = dir.join("divergence_free_field.png");
    let t_con = format!(
        "divergence-free GP (RMSE {})",
        number(d.rmse_constrained, 3)
    );
    let t_ind = format!("independent GPs (RMSE {})", number(d.rmse_independent, 3));
    quivers(
        &arrows,
        (0.0, 4.0),
        (0.0, 4.0),
        &[
            Arrows {
                title: "true field",
                at: &at,
                vectors: &truth,
                marks: &[],
            },
            Arrows {
                title: &t_con,
                at: &at,
                vectors: &con,
                marks: &marks,
            },
            Arrows {
                title: &t_ind,
                at: &at,
                vectors: &ind,
                marks: &marks,
            },
        ],
        ("x1", "x2"),
    )?;
    // The divergence of each posterior mean: identically 0 for the constrained GP (predicted as
    // the sum of its two derivative terms, to show the rounding), not for the independent.
    let fine = grid(r.side);
    let sum = |f: &Fitted, a: &str, b: &str| -> Result<Vec<f64>, InferError> {
        let (pa, pb) = (f.predict(a, &fine)?, f.predict(b, &fine)?);
        Ok(pa.mean.iter().zip(&pb.mean).map(|(x, y)| x + y).collect())
    };
    let div_con = sum(&d.constrained, "d(v[x1], x1)", "d(v[x2], x2)")?;
    let div_ind = sum(&d.independent, "d(g1, x1)", "d(g2, x2)")?;
    let maps = dir.join("divergence_free_divergence.png");
    let frame = Frame {
        nx: r.side,
        ny: r.side,
        x: (0.0, 4.0),
        y: (0.0, 4.0),
    };
    fields(
        &maps,
        &frame,
        &[
            Field::grid(
                "divergence of the divergence-free mean",
                "∇·v",
                &div_con,
                &marks,
            ),
            Field::grid(
                "divergence of the independent mean",
                "∇·v",
                &div_ind,
                &marks,
            ),
        ],
        2,
        ("x1", "x2"),
    )?;
    Ok(vec![
        arrows.display().to_string(),
        maps.display().to_string(),
    ])
}
