//! Problems E1 and E2 of Raissi & Karniadakis (2017): the integro-differential equation
//! u_x + α u + β ∫₀ˣ u(ξ) dξ = f with α = 2, β = 5 and u = sin 2πx, so
//! f = 2π cos 2πx + 2 sin 2πx + (5/π) sin² πx. E1: 4 points of u and 3 of f, noise-free. E2: 14
//! and 10 points with noise sd 0.1 on u and 0.5 on f. The paper does not report its learned
//! values; the truth is the reference.

use noether_infer::format::number;
use noether_infer::{Fitted, InferError, Problem};
use std::f64::consts::PI;
use std::path::Path;

/// The true coefficients (α, β).
pub const TRUTH: (f64, f64) = (2.0, 5.0);

/// u.
pub fn u(x: f64) -> f64 {
    (2.0 * PI * x).sin()
}

/// f = u_x + 2u + 5∫₀ˣu.
pub fn f(x: f64) -> f64 {
    2.0 * PI * (2.0 * PI * x).cos() + 2.0 * (2.0 * PI * x).sin() + 5.0 / PI * (PI * x).sin().powi(2)
}

/// A design: `n_u` and `n_f` uniform points on [0, 1], noise sds, seeded.
pub fn problem(n_u: usize, n_f: usize, noise: (f64, f64), seed: u64) -> Problem {
    super::u_and_f_problem(
        n_u,
        n_f,
        (u, f),
        noise,
        "u_x + alpha*u + beta*int(u, x)",
        seed,
    )
    .parameter("alpha", 1.0)
    .parameter("beta", 1.0)
}

/// One fit's coefficients with their standard errors.
#[derive(Debug)]
pub struct Fit {
    /// The design's seed.
    pub seed: u64,
    /// The fit.
    pub fitted: Fitted,
    /// α and its standard error.
    pub alpha: (f64, Option<f64>),
    /// β and its standard error.
    pub beta: (f64, Option<f64>),
}

impl Fit {
    /// Both coefficients within `rel` (relative) of the truth.
    pub fn within(&self, rel: f64) -> bool {
        (self.alpha.0 - TRUTH.0).abs() <= rel * TRUTH.0
            && (self.beta.0 - TRUTH.1).abs() <= rel * TRUTH.1
    }

    /// Both ± 2 standard-error intervals cover the truth.
    pub fn covers(&self) -> bool {
        let c = |(v, s): (f64, Option<f64>), t: f64| s.is_some_and(|s| (v - t).abs() <= 2.0 * s);
        c(self.alpha, TRUTH.0) && c(self.beta, TRUTH.1)
    }
}

/// Fit one design.
///
/// # Errors
/// A fit failure.
pub fn fit(n_u: usize, n_f: usize, noise: (f64, f64), seed: u64) -> Result<Fit, InferError> {
    let fitted = problem(n_u, n_f, noise, seed).fit()?;
    Ok(Fit {
        seed,
        alpha: (
            fitted.parameter("alpha").unwrap_or(f64::NAN),
            fitted.std_error("alpha"),
        ),
        beta: (
            fitted.parameter("beta").unwrap_or(f64::NAN),
            fitted.std_error("beta"),
        ),
        fitted,
    })
}

/// `designs` seeded designs (seeds 0, 1, …) of one problem.
///
/// # Errors
/// A fit failure.
pub fn survey(
    n_u: usize,
    n_f: usize,
    noise: (f64, f64),
    designs: u64,
) -> Result<Vec<Fit>, InferError> {
    (0..designs).map(|s| fit(n_u, n_f, noise, s)).collect()
}

fn with_error(v: (f64, Option<f64>)) -> String {
    super::with_error(v.0, v.1)
}

/// The table the example prints: E1 on the first design whose optimum lies within 1 % of the
/// truth, how often designs succeed, and E2's fits and coverage.
pub fn table(e1: &[Fit], e2: &[Fit]) -> String {
    let mut s = format!(
        "  {:<46} {:>24} {:>24}\n",
        "problem", "α (truth 2)", "β (truth 5)"
    );
    let ok: Vec<&Fit> = e1.iter().filter(|f| f.within(0.01)).collect();
    if let Some(f) = ok.first() {
        s += &format!(
            "  {:<46} {:>24} {:>24}\n",
            format!("E1, 4 u + 3 f noise-free (design seed {})", f.seed),
            with_error(f.alpha),
            with_error(f.beta)
        );
    }
    s += &format!(
        "  E1: {} of {} random designs reach an optimum within 1 % of the truth\n",
        ok.len(),
        e1.len()
    );
    if let Some(f) = e2.first() {
        s += &format!(
            "  {:<46} {:>24} {:>24}\n",
            format!("E2, 14 u + 10 f noisy (design seed {})", f.seed),
            with_error(f.alpha),
            with_error(f.beta)
        );
    }
    let cover = e2.iter().filter(|f| f.covers()).count();
    let mean = |g: &dyn Fn(&Fit) -> f64| e2.iter().map(g).sum::<f64>() / e2.len().max(1) as f64;
    s += &format!(
        "  E2 over {} designs: mean α {}, mean β {}; both ± 2 SE intervals cover the truth in {} of {}\n",
        e2.len(),
        number(mean(&|f| f.alpha.0), 4),
        number(mean(&|f| f.beta.0), 4),
        cover,
        e2.len()
    );
    s += "  published: the paper reports no learned values for E1 and E2\n";
    s
}

/// The posteriors of u and of f for one fit, with the data and the exact curves.
///
/// # Errors
/// A prediction failure or a file that cannot be written.
pub fn figures(fit: &Fit, name: &str, dir: &Path) -> Result<Vec<String>, InferError> {
    super::u_and_f(
        &fit.fitted,
        (u, f),
        &format!(
            "{name}: u_x + αu + β∫₀ˣu = f, α = {}, β = {}",
            number(fit.alpha.0, 4),
            number(fit.beta.0, 4)
        ),
        &dir.join(format!("{name}.png")),
    )
}
