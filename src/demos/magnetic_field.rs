//! Jidling et al. (2017), §5.2, on the real magnetometer data (`data/magnetic_field/`): a
//! curl-free GP (a field v = ∇φ with φ squared exponential plus a linear potential, the constant
//! background field) against independent GPs per component (squared exponential plus a
//! constant each, one shared kernel), from 500 random training points, RMS error on 1,000 random
//! test points, over repeated random splits.
//!
//! A magnetic field is H = −∇φ; the sign is absorbed in φ here (the channels observe `v[x]`).

use noether_infer::data::Table;
use noether_infer::format::number;
use noether_infer::plot::{fields, quivers, Arrows, Field, Frame, Marks};
use noether_infer::{
    Data, FieldKind, Fitted, InferError, Kernel, KernelName, Latent, Lengthscales, Problem,
};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::Path;

/// The data, embedded (1.3 MB; provenance in `data/magnetic_field/README.md`).
pub const CSV: &str = include_str!("../../data/magnetic_field/magnetic_field.csv");

/// RMSE of a NumPy reproduction (mean of 10 splits): (curl-free, independent).
pub const REFERENCE: (f64, f64) = (0.0334, 0.0364);

/// The data as (positions row-major, readings row-major), 3 numbers each.
///
/// # Errors
/// A CSV that does not parse (never, for the embedded file).
pub fn load() -> Result<(Vec<f64>, Vec<f64>), InferError> {
    let t = Table::parse(CSV, "data/magnetic_field/magnetic_field.csv")?;
    let pos = t.points(&["x".into(), "y".into(), "z".into()])?;
    let field = t.points(&["mx".into(), "my".into(), "mz".into()])?;
    Ok((pos, field))
}

fn se_shared(variance: f64, lengthscale: f64) -> Kernel {
    Kernel::base(
        KernelName::SE,
        variance,
        Some(Lengthscales::Shared(lengthscale.into())),
    )
}

/// The curl-free problem (`constrained`) or the independent one, on the rows `train`.
pub fn problem(pos: &[f64], h: &[f64], train: &[usize], constrained: bool) -> Problem {
    let x: Vec<Vec<f64>> = train
        .iter()
        .map(|&i| pos[3 * i..3 * i + 3].to_vec())
        .collect();
    let comp = |c: usize| -> Vec<f64> { train.iter().map(|&i| h[3 * i + c]).collect() };
    let p = Problem::new(&["x", "y", "z"]);
    let names = ["mx", "my", "mz"];
    let p = if constrained {
        let phi = Latent::with_kernel(Kernel::Sum(vec![se_shared(0.05, 0.5), Kernel::linear(0.1)]))
            .field(FieldKind::CurlFree);
        let mut p = p.latent("phi", phi);
        for (c, s) in ["x", "y", "z"].iter().enumerate() {
            p = p.channel(
                names[c],
                &format!("phi[{s}]"),
                Data::inline(x.clone(), comp(c)),
                1e-3,
            );
        }
        p
    } else {
        let g = Latent::with_kernel(Kernel::Sum(vec![
            se_shared(0.05, 0.5),
            Kernel::constant(0.1),
        ]));
        let mut p = p
            .latent("gx", g)
            .latent("gy", Latent::with_kernel(Kernel::SameAs("gx".into())))
            .latent("gz", Latent::with_kernel(Kernel::SameAs("gx".into())));
        for (c, l) in ["gx", "gy", "gz"].iter().enumerate() {
            p = p.channel(names[c], l, Data::inline(x.clone(), comp(c)), 1e-3);
        }
        p
    };
    p.restarts(1)
}

/// One split's fits and errors.
#[derive(Debug)]
pub struct Split {
    /// Training rows.
    pub train: Vec<usize>,
    /// The curl-free fit.
    pub constrained: Fitted,
    /// The independent fit.
    pub independent: Fitted,
    /// RMSE of the curl-free GP on the test rows.
    pub rmse_constrained: f64,
    /// RMSE of the independent GPs.
    pub rmse_independent: f64,
}

/// The run over all splits.
#[derive(Debug)]
pub struct Report {
    /// Each split (split k is drawn from seed `seed + k`).
    pub splits: Vec<Split>,
    /// Test points per split.
    pub n_test: usize,
}

/// RMS error of the three components `comps` of a fit at the rows `test`.
///
/// # Errors
/// A prediction failure.
pub fn rmse(
    f: &Fitted,
    comps: [&str; 3],
    pos: &[f64],
    h: &[f64],
    test: &[usize],
) -> Result<f64, InferError> {
    let at: Vec<f64> = test
        .iter()
        .flat_map(|&i| pos[3 * i..3 * i + 3].to_vec())
        .collect();
    let mut s = 0.0;
    // One posterior for the three components: its factorisation (with a basis, an M³ inverse)
    // is built once.
    for (c, (_, p)) in f.predict_each(&comps, &at)?.iter().enumerate() {
        for (k, &i) in test.iter().enumerate() {
            s += (p.mean[k] - h[3 * i + c]).powi(2);
        }
    }
    Ok((s / (3 * test.len()) as f64).sqrt())
}

/// `splits` random splits of `n_train` training and `n_test` test rows, both models on each.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(
    splits: usize,
    n_train: usize,
    n_test: usize,
    seed: u64,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, InferError> {
    let (pos, h) = load()?;
    let rows = pos.len() / 3;
    let mut out = Vec::new();
    for k in 0..splits {
        let mut idx: Vec<usize> = (0..rows).collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed + k as u64);
        idx.shuffle(&mut rng);
        let (train, test) = (
            idx[..n_train].to_vec(),
            idx[n_train..n_train + n_test].to_vec(),
        );
        let constrained = problem(&pos, &h, &train, true)
            .seed(seed + k as u64)
            .fit()?;
        let independent = problem(&pos, &h, &train, false)
            .seed(seed + k as u64)
            .fit()?;
        let rmse_constrained = rmse(
            &constrained,
            ["phi[x]", "phi[y]", "phi[z]"],
            &pos,
            &h,
            &test,
        )?;
        let rmse_independent = rmse(&independent, ["gx", "gy", "gz"], &pos, &h, &test)?;
        progress(&format!(
            "split {k}: RMSE curl-free {}, independent {}",
            number(rmse_constrained, 4),
            number(rmse_independent, 4)
        ));
        out.push(Split {
            train,
            constrained,
            independent,
            rmse_constrained,
            rmse_independent,
        });
    }
    Ok(Report {
        splits: out,
        n_test,
    })
}

/// The table the example prints.
pub fn table(r: &Report) -> String {
    let n = r.splits.len().max(1) as f64;
    let c = r.splits.iter().map(|s| s.rmse_constrained).sum::<f64>() / n;
    let i = r.splits.iter().map(|s| s.rmse_independent).sum::<f64>() / n;
    let wins = r
        .splits
        .iter()
        .filter(|s| s.rmse_constrained < s.rmse_independent)
        .count();
    let ls: Vec<String> = r
        .splits
        .iter()
        .filter_map(|s| s.constrained.parameter("phi.0.lengthscale"))
        .map(|v| number(v, 3))
        .collect();
    format!(
        "  {:<36} {:>12} {:>12}\n  {:<36} {:>12} {:>12}\n  {:<36} {:>12} {:>12}\n  curl-free better in {wins} of {} splits; fitted lengthscales of φ (m): {}\n",
        format!("RMSE on {} test points", r.n_test),
        "curl-free",
        "independent",
        format!("noether, mean of {} splits", r.splits.len()),
        number(c, 3),
        number(i, 3),
        "reference (NumPy, mean of 10 splits)",
        number(REFERENCE.0, 3),
        number(REFERENCE.1, 3),
        r.splits.len(),
        ls.join(", ")
    )
}

/// The curl of the curl-free posterior mean at the test points of split 0, relative to its
/// derivative terms: ∂v_z/∂y − ∂v_y/∂z, ∂v_x/∂z − ∂v_z/∂x, ∂v_y/∂x − ∂v_x/∂y.
///
/// # Errors
/// A prediction failure.
pub fn curl(r: &Report) -> Result<f64, InferError> {
    let (pos, _) = load()?;
    let s = &r.splits[0];
    let at: Vec<f64> = s
        .train
        .iter()
        .take(200)
        .flat_map(|&i| pos[3 * i..3 * i + 3].to_vec())
        .collect();
    let mut worst = 0.0f64;
    let mut scale = 0.0f64;
    for (a, b) in [
        ("d(phi[z], y)", "d(phi[y], z)"),
        ("d(phi[x], z)", "d(phi[z], x)"),
        ("d(phi[y], x)", "d(phi[x], y)"),
    ] {
        let (pa, pb) = (
            s.constrained.predict(a, &at)?,
            s.constrained.predict(b, &at)?,
        );
        for (x, y) in pa.mean.iter().zip(&pb.mean) {
            worst = worst.max((x - y).abs());
            scale = scale.max(x.abs()).max(y.abs());
        }
    }
    Ok(worst / scale)
}

/// The horizontal slice at the median recorded height: a `side × side` frame over the recorded
/// positions' x–y extent, and that height.
pub fn slice(pos: &[f64], side: usize) -> (Frame, f64) {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in pos.chunks(3) {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let mut heights: Vec<f64> = pos.chunks(3).map(|p| p[2]).collect();
    heights.sort_by(f64::total_cmp);
    let z = heights[heights.len() / 2];
    let frame = Frame {
        nx: side,
        ny: side,
        x: (lo[0], hi[0]),
        y: (lo[1], hi[1]),
    };
    (frame, z)
}

/// The predicted horizontal field on the slice at the median recorded height, minus its mean
/// (the background), as arrows with the training positions, and the posterior std of its
/// components.
///
/// # Errors
/// A prediction failure or a file that cannot be written.
pub fn figures(r: &Report, dir: &Path) -> Result<Vec<String>, InferError> {
    let (pos, _) = load()?;
    let s = &r.splits[0];
    let (frame, z) = slice(&pos, 16);
    let g2 = frame.points();
    let at: Vec<f64> = g2.chunks(2).flat_map(|p| [p[0], p[1], z]).collect();
    let px = s.constrained.predict("phi[x]", &at)?;
    let py = s.constrained.predict("phi[y]", &at)?;
    let starts: Vec<(f64, f64)> = g2.chunks(2).map(|p| (p[0], p[1])).collect();
    // The background (the mean over the slice) dominates: draw the anomaly around it.
    let n = px.mean.len() as f64;
    let (bx, by) = (
        px.mean.iter().sum::<f64>() / n,
        py.mean.iter().sum::<f64>() / n,
    );
    let vectors: Vec<(f64, f64)> = px
        .mean
        .iter()
        .zip(&py.mean)
        .map(|(a, b)| (a - bx, b - by))
        .collect();
    let train: Vec<(f64, f64)> = s
        .train
        .iter()
        .map(|&i| (pos[3 * i], pos[3 * i + 1]))
        .collect();
    let marks = [Marks::new("training positions (all heights)", &train)];
    let arrows = dir.join("magnetic_field_slice.png");
    let title = format!(
        "curl-free GP: field − mean ({}, {}), z = {} m",
        number(bx, 2),
        number(by, 2),
        number(z, 3)
    );
    let std_title = format!(
        "posterior std of the horizontal field, z = {} m",
        number(z, 3)
    );
    quivers(
        &arrows,
        frame.x,
        frame.y,
        &[Arrows {
            title: &title,
            at: &starts,
            vectors: &vectors,
            marks: &marks,
        }],
        ("x (m)", "y (m)"),
    )?;
    let std: Vec<f64> = px
        .variance
        .iter()
        .zip(&py.variance)
        .map(|(a, b)| (a + b).sqrt())
        .collect();
    let maps = dir.join("magnetic_field_std.png");
    fields(
        &maps,
        &frame,
        &[Field::grid(&std_title, "std (a.u.)", &std, &marks)],
        1,
        ("x (m)", "y (m)"),
    )?;
    Ok(vec![
        arrows.display().to_string(),
        maps.display().to_string(),
    ])
}
