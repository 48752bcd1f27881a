//! The parameter space: natural values ↔ the free, unconstrained values the optimiser moves, with
//! the Jacobian and log-Jacobian of the map. Fitting, the Laplace step and any sampler share it.
//!
//! A positive parameter is mapped by `p = floor + e^θ`: it can approach its floor but never reach
//! it, so a learned noise variance never underflows to 0 (which a result file could not be
//! predicted from). The floors are documented where parameters are created ([`Model::new`],
//! [`Model::add_channel`]).

use crate::model::Model;

/// The floor of kernel hyperparameters and positive coefficients: the smallest positive normal
/// number is 2.2e-308, so anything learned stays a positive, finite, normal number.
pub const TINY: f64 = 1e-300;

/// The floor of a noise variance relative to the mean square of its channel's observations.
pub const NOISE_FLOOR: f64 = 1e-12;

/// How a parameter is mapped to the unconstrained space the optimiser works in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transform {
    /// θ = p: any real value.
    Identity,
    /// p = floor + e^θ: p > floor ≥ 0.
    Log {
        /// The value p stays above.
        floor: f64,
    },
}

impl Transform {
    /// The log transform with the default floor [`TINY`].
    pub const POSITIVE: Transform = Transform::Log { floor: TINY };

    /// Natural value → optimiser value. A value at or below a floor maps to the floor's far end
    /// (a finite, very negative θ), never to NaN.
    pub fn to_free(self, p: f64) -> f64 {
        match self {
            Transform::Identity => p,
            Transform::Log { floor } => (p - floor).max(f64::MIN_POSITIVE).ln(),
        }
    }

    /// Optimiser value → natural value.
    pub fn to_natural(self, t: f64) -> f64 {
        match self {
            Transform::Identity => t,
            Transform::Log { floor } => floor + t.exp(),
        }
    }

    /// dp/dθ at the natural value p.
    pub fn jacobian(self, p: f64) -> f64 {
        match self {
            Transform::Identity => 1.0,
            Transform::Log { floor } => p - floor,
        }
    }

    /// Whether the parameter is constrained positive.
    pub fn is_positive(self) -> bool {
        matches!(self, Transform::Log { .. })
    }
}

/// The free parameters of a model and the map between their natural and free values; fixed
/// parameters keep the values of `base`.
#[derive(Clone, Debug)]
pub struct Space {
    /// Indices (into the model's parameters) of the free parameters, in order.
    pub free: Vec<usize>,
    transforms: Vec<Transform>,
    base: Vec<f64>,
}

impl Space {
    /// The space of `model`'s free parameters, fixed ones held at `base` (natural units, one value
    /// per parameter).
    ///
    /// # Panics
    /// If `base` does not hold one value per parameter.
    #[track_caller]
    pub fn new(model: &Model, base: &[f64]) -> Space {
        let params = model.params();
        assert_eq!(base.len(), params.len(), "one value per parameter");
        Space {
            free: (0..params.len()).filter(|&i| !params[i].fixed).collect(),
            transforms: params.iter().map(|p| p.transform).collect(),
            base: base.to_vec(),
        }
    }

    /// The number of free parameters.
    pub fn dim(&self) -> usize {
        self.free.len()
    }

    /// The free coordinates of a full natural vector.
    pub fn to_free(&self, natural: &[f64]) -> Vec<f64> {
        self.free
            .iter()
            .map(|&i| self.transforms[i].to_free(natural[i]))
            .collect()
    }

    /// The full natural vector at free coordinates θ.
    pub fn to_natural(&self, theta: &[f64]) -> Vec<f64> {
        let mut v = self.base.clone();
        for (k, &i) in self.free.iter().enumerate() {
            v[i] = self.transforms[i].to_natural(theta[k]);
        }
        v
    }

    /// dp/dθ of each free parameter at a full natural vector.
    pub fn jacobian(&self, natural: &[f64]) -> Vec<f64> {
        self.free
            .iter()
            .map(|&i| self.transforms[i].jacobian(natural[i]))
            .collect()
    }

    /// log |det dp/dθ|: what a density in natural units gains when it is written over θ.
    pub fn log_jacobian(&self, natural: &[f64]) -> f64 {
        self.jacobian(natural).iter().map(|j| j.abs().ln()).sum()
    }

    /// A natural-unit gradient (one entry per parameter) as a gradient over θ.
    pub fn gradient_to_free(&self, natural: &[f64], gradient: &[f64]) -> Vec<f64> {
        self.free
            .iter()
            .zip(self.jacobian(natural))
            .map(|(&i, j)| gradient[i] * j)
            .collect()
    }

    /// The transform of free coordinate k.
    pub fn transform(&self, k: usize) -> Transform {
        self.transforms[self.free[k]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_transform_round_trips_and_never_reaches_its_floor() {
        let t = Transform::Log { floor: 1e-6 };
        for p in [2e-6, 1.0, 3.5e4] {
            let back = t.to_natural(t.to_free(p));
            assert!((back - p).abs() <= 1e-15 * p, "{p} -> {back}");
        }
        assert!(t.to_natural(-1e4) > 0.0 && t.to_natural(-1e4) == 1e-6);
        assert!(t.to_free(0.0).is_finite() && t.to_free(1e-6).is_finite());
        // dp/dθ by central differences.
        let th = 0.3;
        let h = 1e-6;
        let fd = (t.to_natural(th + h) - t.to_natural(th - h)) / (2.0 * h);
        assert!((fd - t.jacobian(t.to_natural(th))).abs() < 1e-8);
    }
}
