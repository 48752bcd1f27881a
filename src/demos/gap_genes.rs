//! The real Drosophila gap-gene data (`data/gap_genes/`): learn the decay λ and the diffusion α
//! of u_t + λu − αu_xx = f for Hb, Kr, Gt and Kni, each from its concentrations u and production
//! terms f at the same 580 points (10 times × 58 positions), and compare with the values of
//! Raissi & Karniadakis (2017), §4.6.

use super::with_error;
use noether_infer::data::Table;
use noether_infer::format::number;
use noether_infer::plot::{bands, fields, Band, Field, Frame, Marks};
use noether_infer::{Data, Fitted, InferError, Init, Latent, Problem};
use noether_likelihood::fit::{Event, StartFrom};
use std::path::Path;

/// The data, compiled in.
pub const CSV: &str = include_str!("../../data/gap_genes/gap_genes.csv");

/// A gene, the authors' fitted (λ, α) and their initial (λ, α).
pub type Published = (&'static str, (f64, f64), (f64, f64));

/// The authors' fitted (λ, α) and their initial values, from their published output files
/// (the table in ../shared/problems/README.md of this project's design notes).
pub const PUBLISHED: [Published; 4] = [
    ("Hb", (0.16058502, 0.36687003), (0.136, 2.25)),
    ("Kr", (0.07973006, 0.44897832), (0.072, 0.55)),
    ("Gt", (0.10842877, 0.45428688), (1.0, 0.17)),
    ("Kni", (0.08067628, 0.26832494), (0.065, 0.51)),
];

/// One gene's result.
#[derive(Debug)]
pub struct Gene {
    /// The gene.
    pub name: &'static str,
    /// The fitted problem.
    pub fitted: Fitted,
    /// λ and its standard error.
    pub lambda: (f64, Option<f64>),
    /// α and its standard error.
    pub alpha: (f64, Option<f64>),
    /// The authors' (λ, α).
    pub published: (f64, f64),
    /// Our NLML at the optimum.
    pub nlml: f64,
    /// The NLML with (λ, α) fixed at the authors' values and everything else refitted from our
    /// optimum, for comparison.
    pub nlml_at_published: Option<f64>,
    /// Whether the fit converged.
    pub converged: bool,
    /// Which start won (`data-driven`, `initial values`, …).
    pub winner: String,
}

/// The observations of one gene: `stride` keeps every stride-th position (1 keeps all 580).
///
/// # Errors
/// Never for the embedded data; a parse error otherwise.
pub fn problem(
    gene: &str,
    stride: usize,
    lambda0: f64,
    alpha0: f64,
    restarts: usize,
) -> Result<Problem, InferError> {
    let t = Table::parse(CSV, "data/gap_genes/gap_genes.csv")?;
    let (ct, cx) = (t.column("t", "time")?, t.column("x", "position")?);
    let cu = t.column(gene, "the gene's concentration")?;
    let cf = t.column(&format!("f_{gene}"), "the gene's production term")?;
    let rows: Vec<&Vec<f64>> = t
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| (i % 58) % stride.max(1) == 0)
        .map(|(_, r)| r)
        .collect();
    let x: Vec<Vec<f64>> = rows.iter().map(|r| vec![r[ct], r[cx]]).collect();
    let u: Vec<f64> = rows.iter().map(|r| r[cu]).collect();
    let f: Vec<f64> = rows.iter().map(|r| r[cf]).collect();
    let var = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / v.len() as f64
    };
    Ok(Problem::new(&["t", "x"])
        .latent("u", Latent::se(var(&u).max(1e-6), &[20.0, 10.0]))
        // Decay and diffusion rates are positive: the coefficients are learned on a log scale.
        .parameter("lam", Init::positive_at(lambda0))
        .parameter("alpha", Init::positive_at(alpha0))
        .channel(
            "u",
            "u",
            Data::inline(x.clone(), u.clone()),
            1e-2 * var(&u).max(1e-6),
        )
        .channel(
            "f",
            "u_t + lam*u - alpha*u_xx",
            Data::inline(x, f.clone()),
            1e-2 * var(&f).max(1e-6),
        )
        .restarts(restarts))
}

/// Fit every gene (all 580 points each when `stride` is 1) from the data-driven start, the
/// authors' initial values and `restarts − 1` seeded restarts; with `compare`, also the NLML at
/// the authors' (λ, α) with everything else refitted from our optimum.
///
/// # Errors
/// A fit failure.
pub fn run(
    stride: usize,
    restarts: usize,
    compare: bool,
    progress: &mut dyn FnMut(&str, Event),
) -> Result<Vec<Gene>, InferError> {
    let mut out = Vec::new();
    for &(name, published, (l0, a0)) in &PUBLISHED {
        let p = problem(name, stride, l0, a0, restarts)?;
        let fitted = p.fit_with(&mut |e| progress(name, e))?;
        let lambda = (
            fitted.parameter("lam").unwrap_or(f64::NAN),
            fitted.std_error("lam"),
        );
        let alpha = (
            fitted.parameter("alpha").unwrap_or(f64::NAN),
            fitted.std_error("alpha"),
        );
        let nlml_at_published = if compare {
            let mut q = fitted.problem.clone().restarts(0);
            q.fit.start = StartFrom::Initial;
            q.parameters
                .insert("lam".into(), Init::fixed_at(published.0));
            q.parameters
                .insert("alpha".into(), Init::fixed_at(published.1));
            Some(q.fit()?.report.best.nlml)
        } else {
            None
        };
        out.push(Gene {
            name,
            lambda,
            alpha,
            published,
            nlml: fitted.report.best.nlml,
            nlml_at_published,
            converged: fitted.report.best.converged,
            winner: fitted.report.best.origin.to_string(),
            fitted,
        });
    }
    Ok(out)
}

/// The table the example prints.
pub fn table(genes: &[Gene]) -> String {
    let mut s = format!(
        "{:<5} {:>26} {:>12} {:>26} {:>12} {:>10} {:>22}  {}\n",
        "gene",
        "λ (noether)",
        "λ (paper)",
        "α (noether)",
        "α (paper)",
        "NLML",
        "NLML at paper's (λ, α)",
        "winning start"
    );
    for g in genes {
        s += &format!(
            "{:<5} {:>26} {:>12} {:>26} {:>12} {:>10} {:>22}  {}{}\n",
            g.name,
            with_error(g.lambda.0, g.lambda.1),
            number(g.published.0, 6),
            with_error(g.alpha.0, g.alpha.1),
            number(g.published.1, 6),
            number(g.nlml, 7),
            g.nlml_at_published.map_or("—".into(), |v| number(v, 7)),
            g.winner,
            if g.converged { "" } else { " (not converged)" }
        );
    }
    s
}

/// For Hb: the data and the posterior mean of u and f over (t, x), and the posterior of u at a
/// few times as curves with ± 2 std bands.
///
/// # Errors
/// A prediction failure or a file that cannot be written.
pub fn figures(hb: &Gene, dir: &Path) -> Result<Vec<String>, InferError> {
    let frame = Frame {
        nx: 50,
        ny: 58,
        x: (0.0, 68.0),
        y: (35.0, 92.0),
    };
    let pts = frame.points();
    let mu = hb.fitted.predict("u", &pts)?;
    let mf = hb.fitted.predict("f", &pts)?;
    let (Data::Inline { x, y: u }, Data::Inline { y: f, .. }) = (
        &hb.fitted.problem.channels[0].data,
        &hb.fitted.problem.channels[1].data,
    ) else {
        return Err(InferError::Field {
            field: "channels".into(),
            message: "gap-gene data are inline".into(),
        });
    };
    let at: Vec<(f64, f64)> = x.iter().map(|p| (p[0], p[1])).collect();
    let maps = dir.join("gap_genes_hb.png");
    let panels = [
        Field {
            title: "Hb data u",
            bar: "u (a.u.)",
            values: u,
            marks: &[],
            at: Some(&at),
        },
        Field::grid("posterior mean of u", "u (a.u.)", &mu.mean, &[]),
        Field {
            title: "production term f",
            bar: "f (a.u./min)",
            values: f,
            marks: &[],
            at: Some(&at),
        },
        Field::grid(
            "posterior mean of u_t + λu − αu_xx",
            "f (a.u./min)",
            &mf.mean,
            &[],
        ),
    ];
    fields(&maps, &frame, &panels, 2, ("t (min)", "x (% egg length)"))?;
    // Curves at two times between the measured ones (where the band shows) and one measured.
    let xs: Vec<f64> = (0..120).map(|i| 35.0 + 57.0 * i as f64 / 119.0).collect();
    let mut preds = Vec::new();
    let times = [5.5, 17.5, 37.0];
    for &t in &times {
        let p: Vec<f64> = xs.iter().flat_map(|&x| [t, x]).collect();
        preds.push(hb.fitted.predict("u", &p)?);
    }
    let points: Vec<Vec<(f64, f64)>> = times
        .iter()
        .map(|&t| {
            at.iter()
                .zip(u)
                .filter(|(p, _)| p.0 == t)
                .map(|(p, &v)| (p.1, v))
                .collect()
        })
        .collect();
    let stds: Vec<Vec<f64>> = preds
        .iter()
        .map(|p| p.variance.iter().map(|v| v.sqrt()).collect())
        .collect();
    let marks: Vec<[Marks; 1]> = points.iter().map(|p| [Marks::new("data", p)]).collect();
    let panels: Vec<Band> = (0..3)
        .map(|k| Band {
            label: if points[k].is_empty() {
                format!("Hb at t = {} min (not measured)", times[k])
            } else {
                format!("Hb at t = {} min", times[k])
            },
            quantity: "u (a.u.)".into(),
            x: &xs,
            mean: &preds[k].mean,
            std: &stds[k],
            exact: None,
            marks: &marks[k],
        })
        .collect();
    let curves = dir.join("gap_genes_hb_times.png");
    bands(
        &curves,
        "Hb: posterior of u with ± 2 std, and the data",
        "x (% egg length)",
        &panels,
    )?;
    Ok(vec![
        maps.display().to_string(),
        curves.display().to_string(),
    ])
}
