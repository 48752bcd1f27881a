//! Inducing points on an operator problem of 2,000 points: problem E4 (heat, u_t − a u_xx = f)
//! with 1,000 points of u and 1,000 of f observed with noise (sd 0.01 on u and 0.1 on f, about
//! 1 % of each channel's scale). The exact GP is fitted first; then, for growing nested sets of
//! inducing points (the first M of a seeded shuffle of the data's inputs), the bound at the exact
//! optimum's values and the bound's own fit. At fixed values the bound can only fall as nested
//! sets grow; it approaches the exact NLML, and the learned a approaches the exact one. Beside
//! the bound, the Hilbert-space basis ([`noether_likelihood::hilbert`]) at growing numbers of
//! functions: its NLML at the exact optimum's values and its own fit.

use noether_infer::format::number;
use noether_kernels::KernelSpec;
use noether_likelihood::fit::{fit, FitOptions, StartFrom};
use noether_likelihood::problems::heat_e4_data;
use noether_likelihood::{LikelihoodError, Model};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// One size of inducing set.
#[derive(Debug)]
pub struct Row {
    /// Inducing points.
    pub m: usize,
    /// The bound at the exact optimum's values.
    pub bound_at_exact: f64,
    /// The bound at its own optimum.
    pub bound: f64,
    /// The learned a.
    pub a: f64,
    /// Seconds of the fit.
    pub seconds: f64,
}

/// The exact fit and every inducing-set size.
#[derive(Debug)]
pub struct Report {
    /// The exact NLML at its optimum.
    pub exact_nlml: f64,
    /// The exact a.
    pub exact_a: f64,
    /// Seconds of the exact fit.
    pub exact_seconds: f64,
    /// One row per M.
    pub rows: Vec<Row>,
    /// One row per basis (`m`: its functions in all; `bound_at_exact`: its NLML at the exact
    /// optimum's values, not a bound).
    pub basis_rows: Vec<Row>,
}

/// E4 with `n` + `n` noisy points (seeded), its exact fit, fits with the first M of a shuffle
/// of the inputs for each M in `sizes`, and with each basis in `bases` (functions per input,
/// boundary factor per input).
///
/// # Errors
/// A fit failure.
pub fn run(
    n: usize,
    sizes: &[usize],
    bases: &[([usize; 2], [f64; 2])],
    seed: u64,
) -> Result<Report, LikelihoodError> {
    let [xu, yu, xf, yf] = heat_e4_data(n, n, seed);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed + 7);
    let normal = Normal::new(0.0, 1.0).expect("a standard normal");
    let mut m = Model::new(&["t", "x"], &[("u", KernelSpec::se(true))], &[("a", 0.5)])?;
    for (name, op, x, y, sd) in [("u", "u", xu, yu, 0.01), ("f", "u_t - a*u_xx", xf, yf, 0.1)] {
        let y: Vec<f64> = y.iter().map(|v| v + sd * normal.sample(&mut rng)).collect();
        m.add_channel(name, op, x, y, sd * sd)?;
    }
    let opts = FitOptions {
        restarts: 0,
        start: StartFrom::Initial,
        ..FitOptions::default()
    };
    let t = std::time::Instant::now();
    let mut exact = m.clone();
    let r = fit(&mut exact, &opts, &mut |_| {})?;
    let exact_seconds = t.elapsed().as_secs_f64();
    let ai = exact.index_of("a")?;
    let pts: Vec<f64> = exact.channels().iter().flat_map(|c| c.x.clone()).collect();
    let mut order: Vec<usize> = (0..pts.len() / 2).collect();
    order.shuffle(&mut rng);
    let mut rows = Vec::new();
    for &k in sizes {
        let z: Vec<f64> = order[..k]
            .iter()
            .flat_map(|&i| [pts[2 * i], pts[2 * i + 1]])
            .collect();
        let mut s = exact.clone();
        s.approximate(z)?;
        let bound_at_exact = s.nlml(&r.best.values, false)?.nlml;
        let t = std::time::Instant::now();
        let rs = fit(&mut s, &opts, &mut |_| {})?;
        rows.push(Row {
            m: k,
            bound_at_exact,
            bound: rs.best.nlml,
            a: rs.best.values[ai],
            seconds: t.elapsed().as_secs_f64(),
        });
    }
    let mut basis_rows = Vec::new();
    for (per, c) in bases {
        let t = std::time::Instant::now();
        let mut h = exact.clone();
        h.use_basis(per, c)?;
        let at_exact = h.nlml(&r.best.values, false)?.nlml;
        let rh = fit(&mut h, &opts, &mut |_| {})?;
        basis_rows.push(Row {
            m: per.iter().product(),
            bound_at_exact: at_exact,
            bound: rh.best.nlml,
            a: rh.best.values[ai],
            // The pass over the data included.
            seconds: t.elapsed().as_secs_f64(),
        });
    }
    Ok(Report {
        exact_nlml: r.best.nlml,
        exact_a: r.best.values[ai],
        exact_seconds,
        rows,
        basis_rows,
    })
}

/// The table the example prints.
pub fn table(r: &Report) -> String {
    let mut s = format!(
        "  {:<22} {:>22} {:>16} {:>12} {:>10}\n",
        "solver", "NLML at exact values", "fitted NLML", "a", "seconds"
    );
    let rows = r
        .rows
        .iter()
        .map(|row| (format!("{} inducing points", row.m), row));
    let basis = r
        .basis_rows
        .iter()
        .map(|row| (format!("basis, {} functions", row.m), row));
    for (name, row) in rows.chain(basis) {
        s += &format!(
            "  {:<22} {:>22} {:>16} {:>12} {:>10}\n",
            name,
            number(row.bound_at_exact, 7),
            number(row.bound, 7),
            number(row.a, 7),
            number(row.seconds, 3)
        );
    }
    s += &format!(
        "  {:<22} {:>22} {:>16} {:>12} {:>10}\n",
        "exact",
        number(r.exact_nlml, 7),
        number(r.exact_nlml, 7),
        number(r.exact_a, 7),
        number(r.exact_seconds, 3)
    );
    s
}
