//! Cholesky factorisation with a reported jitter policy.

use crate::LikelihoodError;
use faer::linalg::solvers::{Llt, LltError};
use faer::{MatRef, Side};

/// How much diagonal jitter may be added when a covariance matrix will not factor.
///
/// None at first; on failure, `start × mean diagonal`, then ×`factor` each try, up to `cap ×
/// mean diagonal`. The jitter used is reported with every result.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JitterPolicy {
    /// The first relative jitter tried after a failure.
    pub start: f64,
    /// The growth factor between tries.
    pub factor: f64,
    /// The largest relative jitter.
    pub cap: f64,
}

impl Default for JitterPolicy {
    /// 1e-10, ×10, up to 1e-4.
    fn default() -> Self {
        JitterPolicy {
            start: 1e-10,
            factor: 10.0,
            cap: 1e-4,
        }
    }
}

impl JitterPolicy {
    /// Check that the policy can end: a positive start, a factor above 1, a cap from the start
    /// to 1 (a jitter as large as the mean diagonal would replace the kernel).
    ///
    /// # Errors
    /// [`LikelihoodError::BadValue`] naming the field (`fit.jitter.factor`).
    pub fn validate(&self) -> Result<(), LikelihoodError> {
        let bad = |name: &str, value: f64, reason: &str| {
            Err(LikelihoodError::bad_value(
                format!("fit.jitter.{name}"),
                value,
                reason,
            ))
        };
        if !(self.start > 0.0 && self.start <= 1.0) {
            return bad("start", self.start, "must be a number in (0, 1]");
        }
        if !(self.factor > 1.0 && self.factor.is_finite()) {
            return bad(
                "factor",
                self.factor,
                "must be a finite number above 1, or the jitter never grows",
            );
        }
        if !(self.cap >= self.start && self.cap <= 1.0) {
            return bad(
                "cap",
                self.cap,
                &format!("must be from start ({:e}) to 1", self.start),
            );
        }
        Ok(())
    }
}

/// The most factorisations one call tries: the default policy needs 7.
const MAX_TRIES: usize = 64;

/// A Cholesky factor and the relative jitter that was needed (0 when none).
pub struct Factor {
    /// K + jitter·mean(diag K)·I = L Lᵀ.
    pub llt: Llt<f64>,
    /// The relative jitter used.
    pub jitter: f64,
}

impl std::fmt::Debug for Factor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factor")
            .field("n", &self.llt.L().nrows())
            .field("jitter", &self.jitter)
            .finish()
    }
}

/// Factor the symmetric matrix whose lower triangle is stored column-major in `k` (n × n).
///
/// # Errors
/// [`LikelihoodError::NotPositiveDefinite`] when even the capped jitter fails.
///
/// # Examples
/// ```
/// use noether_likelihood::factor::{cholesky_with_jitter, JitterPolicy};
/// // [[1, 1], [1, 1]] is singular: it factors only with jitter.
/// let mut k = vec![1.0, 1.0, 0.0, 1.0];
/// let f = cholesky_with_jitter(&mut k, 2, &JitterPolicy::default())?;
/// assert!(f.jitter > 0.0);
/// # Ok::<(), noether_likelihood::LikelihoodError>(())
/// ```
pub fn cholesky_with_jitter(
    k: &mut [f64],
    n: usize,
    policy: &JitterPolicy,
) -> Result<Factor, LikelihoodError> {
    let try_factor = |k: &[f64]| MatRef::from_column_major_slice(k, n, n).llt(Side::Lower);
    let mut pivot = match try_factor(k) {
        Ok(llt) => return Ok(Factor { llt, jitter: 0.0 }),
        Err(LltError::NonPositivePivot { index }) => index,
    };
    let mean_diag = (0..n).map(|i| k[i * n + i]).sum::<f64>() / n.max(1) as f64;
    if !mean_diag.is_finite() || mean_diag <= 0.0 {
        return Err(LikelihoodError::NotPositiveDefinite {
            pivot,
            n,
            jitter: 0.0,
        });
    }
    // Options are validated where they are read; a policy built by hand that never reaches its
    // cap (a factor ≤ 1) still ends here, after a bounded number of tries.
    let mut rel = policy.start;
    let mut added = 0.0;
    for _ in 0..MAX_TRIES {
        if !(rel > 0.0 && rel <= policy.cap * (1.0 + 1e-12)) {
            break;
        }
        let step = rel * mean_diag - added;
        for i in 0..n {
            k[i * n + i] += step;
        }
        added = rel * mean_diag;
        match try_factor(k) {
            Ok(llt) => return Ok(Factor { llt, jitter: rel }),
            Err(LltError::NonPositivePivot { index }) => pivot = index,
        }
        rel *= policy.factor;
    }
    Err(LikelihoodError::NotPositiveDefinite {
        pivot,
        n,
        jitter: policy.cap,
    })
}
