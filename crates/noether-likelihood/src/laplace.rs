//! Parameter uncertainty by the Laplace approximation.
//!
//! At the optimum θ̂ of the NLML (in the free, transformed space), the posterior of θ under a flat
//! prior is approximately N(θ̂, H⁻¹), H the Hessian of the NLML. H is built from central
//! differences of the exact gradient (forward differences past [`FORWARD_DIFFERENCES`]
//! observations) and symmetrised. Standard errors are mapped to natural
//! units by the delta method (`se_p = |dp/dθ| se_θ`). A direction in which H is not positive
//! (the data do not pin the parameters down) is reported: the parameters that make it up are
//! listed as not identifiable and get no standard error.

use crate::factor::JitterPolicy;
use crate::model::Model;
use crate::objective::ObjectiveKind;
use crate::space::{Space, Transform};
use crate::LikelihoodError;

/// The uncertainty of every parameter at a fitted point.
#[derive(Clone, Debug)]
pub struct Uncertainty {
    /// Standard error of each parameter in natural units: None for fixed parameters and for
    /// those the data cannot identify.
    pub std_errors: Vec<Option<f64>>,
    /// The free parameters (indices into the model's parameters), in the order of `covariance`.
    pub free: Vec<usize>,
    /// Covariance of the free parameters in the transformed space (row-major).
    pub covariance: Vec<f64>,
    /// The Hessian's eigenvalues, smallest first.
    pub eigenvalues: Vec<f64>,
    /// Names of parameters the data cannot identify.
    pub unidentifiable: Vec<String>,
}

/// Past this many observations the Hessian is built from forward differences of the gradient
/// (m + 1 evaluations for m free parameters) rather than central ones (2m): there one
/// evaluation costs seconds (45,000 observations with 1,000 inducing points: 5 s), and the
/// forward difference's O(h) error, h = 1e-4 in the free space, moves a standard error by about
/// 1e-4 of itself.
pub const FORWARD_DIFFERENCES: usize = 10_000;

/// The curvature of the NLML in the free space at a point: a pseudo-inverse of its Hessian over
/// the directions the data inform, and the parameters that make up the flat directions.
pub(crate) struct Curvature {
    pub(crate) free: Vec<usize>,
    pub(crate) cov: nalgebra::DMatrix<f64>,
    pub(crate) flagged: Vec<bool>,
    pub(crate) eigenvalues: Vec<f64>,
}

impl Curvature {
    /// The Newton decrement gᵀH⁺g of a free-space gradient: twice the decrease of the NLML that a
    /// Newton step would still achieve.
    pub(crate) fn decrement(&self, g: &[f64]) -> f64 {
        let g = nalgebra::DVector::from_column_slice(g);
        (g.transpose() * &self.cov * &g)[(0, 0)]
    }
}

/// The Hessian of the NLML in the free space at `values` (central differences of the exact
/// gradient, symmetrised) and its pseudo-inverse.
pub(crate) fn curvature(
    model: &Model,
    values: &[f64],
    policy: &JitterPolicy,
    kind: ObjectiveKind,
) -> Curvature {
    curvature_from(model, values, None, policy, kind)
}

/// [`curvature`] given the objective's gradient at `values` (natural units), if known.
pub(crate) fn curvature_from(
    model: &Model,
    values: &[f64],
    gradient: Option<&[f64]>,
    policy: &JitterPolicy,
    kind: ObjectiveKind,
) -> Curvature {
    let space = Space::new(model, values);
    let free = space.free.clone();
    let m = free.len();
    if m == 0 {
        // Every parameter fixed: nothing to be uncertain about (nalgebra's eigensolver panics
        // on an empty matrix).
        return Curvature {
            free,
            cov: nalgebra::DMatrix::zeros(0, 0),
            flagged: Vec::new(),
            eigenvalues: Vec::new(),
        };
    }
    let theta = space.to_free(values);
    let grad_at = |t: &[f64]| -> Result<Vec<f64>, LikelihoodError> {
        let v = space.to_natural(t);
        let e = model.score(&v, true, policy, kind)?;
        Ok(space.gradient_to_free(&v, &e.gradient))
    };
    // Central differences (2m gradients, error O(h²)) unless evaluations are costly: past
    // FORWARD_DIFFERENCES observations, forward differences from the gradient at the point
    // (m + 1 gradients, error O(h): about 1e-4 relative on a standard error).
    let centre = (model.num_observations() > FORWARD_DIFFERENCES)
        .then(|| match gradient {
            Some(g) if g.len() == values.len() => Some(space.gradient_to_free(values, g)),
            _ => grad_at(&theta).ok(),
        })
        .flatten();
    let mut h = vec![0.0; m * m];
    for j in 0..m {
        // Log-scale parameters are already relative: a fixed step. A parameter driven to the edge
        // of the floating-point range (an irrelevant input's lengthscale near 1e300) may not be
        // evaluable one step further: its column stays zero, and it is reported unidentifiable.
        let step = match space.transform(j) {
            Transform::Log { .. } => 1e-4,
            Transform::Identity => 1e-4 * theta[j].abs().max(1.0),
        };
        let mut tp = theta.clone();
        tp[j] += step;
        let gp = grad_at(&tp);
        if let (Some(g0), Ok(gp)) = (&centre, &gp) {
            for i in 0..m {
                h[i * m + j] = (gp[i] - g0[i]) / step;
            }
            continue;
        }
        tp[j] = theta[j] - step;
        let gm = grad_at(&tp);
        if let (Ok(gp), Ok(gm)) = (gp, gm) {
            for i in 0..m {
                h[i * m + j] = (gp[i] - gm[i]) / (2.0 * step);
            }
        }
    }
    let hs = nalgebra::DMatrix::from_fn(m, m, |i, j| 0.5 * (h[i * m + j] + h[j * m + i]));
    let eig = nalgebra::SymmetricEigen::new(hs);
    let lmax = eig.eigenvalues.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
    // Curvature below this is no information: the likelihood is flat in that direction.
    let tol = 1e-8 * lmax.max(1e-300);
    let mut flagged = vec![false; m];
    let mut cov = nalgebra::DMatrix::<f64>::zeros(m, m);
    for (k, &lam) in eig.eigenvalues.iter().enumerate() {
        let v = eig.eigenvectors.column(k);
        if lam > tol {
            cov += (v * v.transpose()) / lam;
        } else {
            for i in 0..m {
                if v[i].abs() > 0.1 {
                    flagged[i] = true;
                }
            }
        }
    }
    let mut eigenvalues: Vec<f64> = eig.eigenvalues.iter().copied().collect();
    eigenvalues.sort_by(f64::total_cmp);
    Curvature {
        free,
        cov,
        flagged,
        eigenvalues,
    }
}

/// The Laplace approximation at `values` (natural units), normally a fitted optimum.
///
/// # Errors
/// Never at present: a parameter whose neighbourhood cannot be evaluated is reported as not
/// identifiable instead.
pub fn laplace(
    model: &Model,
    values: &[f64],
    policy: &JitterPolicy,
) -> Result<Uncertainty, LikelihoodError> {
    laplace_with(model, values, policy, ObjectiveKind::Likelihood)
}

/// [`laplace`] of the given objective: with [`ObjectiveKind::Posterior`], the Hessian of the
/// negative log posterior (the priors' curvature included).
///
/// # Errors
/// As [`laplace`].
pub fn laplace_with(
    model: &Model,
    values: &[f64],
    policy: &JitterPolicy,
    kind: ObjectiveKind,
) -> Result<Uncertainty, LikelihoodError> {
    laplace_from(model, values, None, policy, kind)
}

/// [`laplace_with`] given the objective's gradient at `values` (natural units, one entry per
/// parameter; a fit's [`crate::fit::StartReport::gradient`]): past [`FORWARD_DIFFERENCES`]
/// observations it saves one evaluation.
///
/// # Errors
/// As [`laplace`].
pub fn laplace_from(
    model: &Model,
    values: &[f64],
    gradient: Option<&[f64]>,
    policy: &JitterPolicy,
    kind: ObjectiveKind,
) -> Result<Uncertainty, LikelihoodError> {
    let params = model.params();
    let Curvature {
        free,
        cov,
        flagged,
        eigenvalues,
    } = curvature_from(model, values, gradient, policy, kind);
    let m = free.len();
    let mut std_errors = vec![None; params.len()];
    for (k, &i) in free.iter().enumerate() {
        if !flagged[k] && cov[(k, k)] > 0.0 {
            std_errors[i] =
                Some(params[i].transform.jacobian(values[i]).abs() * cov[(k, k)].sqrt());
        }
    }
    Ok(Uncertainty {
        std_errors,
        covariance: (0..m * m).map(|r| cov[(r / m, r % m)]).collect(),
        free: free.clone(),
        eigenvalues,
        unidentifiable: free
            .iter()
            .zip(&flagged)
            .filter(|(_, &f)| f)
            .map(|(&i, _)| params[i].name.clone())
            .collect(),
    })
}
