//! Problem E4 of Raissi & Karniadakis (2017): learn a in u_t − a u_xx = f from 20 + 20
//! noise-free points, u = e^{−t} sin 2πx, a = 1. The code behind `noether demo` and
//! `examples/heat.rs`.

use super::{grid, relative_l2};
use noether_infer::plot::{fields, Field, Frame, Marks};
use noether_infer::{heat_problem, Data, Fitted, InferError, Prediction};
use noether_likelihood::problems::{heat_f, heat_u};
use std::path::Path;

/// The value of a the authors report (Raissi & Karniadakis 2017, §4.3).
pub const PUBLISHED_A: f64 = 0.999943;
/// The relative L2 errors of u and f they report.
pub const PUBLISHED_ERRORS: (f64, f64) = (1.25e-3, 4.17e-3);

/// What the heat run measured.
#[derive(Debug)]
pub struct HeatReport {
    /// The fitted problem.
    pub fitted: Fitted,
    /// The learned a.
    pub a: f64,
    /// Its standard error.
    pub a_std_error: Option<f64>,
    /// Relative L2 error of the posterior mean of u on the grid.
    pub error_u: f64,
    /// Relative L2 error of the posterior mean of f on the grid.
    pub error_f: f64,
    /// The grid side.
    pub grid: usize,
    /// The posterior of u on the grid.
    pub u_on_grid: Prediction,
}

/// Fit E4 with `restarts` restarts and the design and restarts drawn from `seed`, then measure the
/// errors on a `side × side` grid.
///
/// # Errors
/// A fit or prediction failure.
pub fn run(
    restarts: usize,
    seed: u64,
    side: usize,
    progress: &mut dyn FnMut(noether_likelihood::fit::Event),
) -> Result<HeatReport, InferError> {
    let problem = heat_problem(20, 20, seed).restarts(restarts);
    let fitted = problem.fit_with(progress)?;
    let g = grid(side);
    let pu = fitted.predict("u", &g)?;
    let pf = fitted.predict("f", &g)?;
    let eu: Vec<f64> = g.chunks(2).map(|p| heat_u(p[0], p[1])).collect();
    let ef: Vec<f64> = g.chunks(2).map(|p| heat_f(p[0], p[1])).collect();
    Ok(HeatReport {
        a: fitted.parameter("a").unwrap_or(f64::NAN),
        a_std_error: fitted.std_error("a"),
        error_u: relative_l2(&pu.mean, &eu),
        error_f: relative_l2(&pf.mean, &ef),
        grid: side,
        u_on_grid: pu,
        fitted,
    })
}

/// The comparison with the paper, as `noether demo` and the example print it.
pub fn table(r: &HeatReport) -> String {
    use noether_infer::format::number;
    let row =
        |q: &str, ours: String, theirs: String| format!("  {q:<34} {ours:>22} {theirs:>12}\n");
    [
        format!(
            "\n{}",
            row("quantity", "noether".into(), "published".into())
        ),
        row(
            "a",
            super::with_error(r.a, r.a_std_error),
            number(PUBLISHED_A, 6),
        ),
        row(
            &format!("relative L2 error of u, {0} × {0}", r.grid),
            number(r.error_u, 3),
            number(PUBLISHED_ERRORS.0, 3),
        ),
        row(
            &format!("relative L2 error of f, {0} × {0}", r.grid),
            number(r.error_f, 3),
            number(PUBLISHED_ERRORS.1, 3),
        ),
    ]
    .concat()
}

/// The figure: exact u, posterior mean, absolute error and posterior standard deviation over
/// (t, x), with the training points of u marked. Returns the files written.
///
/// # Errors
/// A file that cannot be written.
pub fn figures(r: &HeatReport, dir: &Path) -> Result<Vec<String>, InferError> {
    let g = grid(r.grid);
    let exact: Vec<f64> = g.chunks(2).map(|p| heat_u(p[0], p[1])).collect();
    let mean = &r.u_on_grid.mean;
    let abs_err: Vec<f64> = mean
        .iter()
        .zip(&exact)
        .map(|(m, e)| (m - e).abs())
        .collect();
    let std: Vec<f64> = r.u_on_grid.variance.iter().map(|v| v.sqrt()).collect();
    let at = |c: usize| -> Vec<(f64, f64)> {
        match &r.fitted.problem.channels[c].data {
            Data::Inline { x, .. } => x.iter().map(|p| (p[0], p[1])).collect(),
            _ => vec![],
        }
    };
    let (at_u, at_f) = (at(0), at(1));
    let marks = [
        Marks::new("u observed", &at_u),
        Marks::new("f observed", &at_f),
    ];
    let path = dir.join("heat_u.png");
    let panels = [
        Field::grid("exact u = exp(−t) sin(2πx)", "u", &exact, &marks),
        Field::grid("posterior mean of u", "u", mean, &marks),
        Field::grid("absolute error of the mean", "|error|", &abs_err, &marks),
        Field::grid("posterior standard deviation", "std of u", &std, &marks),
    ];
    fields(&path, &Frame::unit(r.grid), &panels, 2, ("t", "x"))?;
    Ok(vec![path.display().to_string()])
}
