//! Repeated observations at one input point, merged into one.
//!
//! A channel that observes the same point n times (y₁ … yₙ, each with noise σ²) carries exactly
//! the information of one observation ȳ with noise σ²/n plus the scatter S = Σ(yᵢ − ȳ)² about
//! that mean, since
//!
//! ∏ᵢ N(yᵢ | f, σ²) = N(ȳ | f, σ²/n) · (2πσ²)^{−(n−1)/2} n^{−1/2} exp(−S / 2σ²).
//!
//! The merged model's covariance therefore has σ²/nᵢ on the diagonal, and the NLML gains the
//! term Σᵢ[(nᵢ − 1)/2 · log 2πσ² + ½ log nᵢ] + S/(2σ²), which depends on the noise variance only.
//! Nothing is approximated: the NLML, its gradient and every prediction equal those of the
//! unmerged data (checked in this crate's tests; the nugget, a device of conditioning and not
//! noise, is added once to each distinct point), but the covariance is no longer singular to
//! rounding (thousands of identical rows made a tiny noise unidentifiable and a coefficient
//! wrong), and its size is the number of distinct points.

use std::collections::HashMap;

/// How a channel's observations were merged: one entry per distinct point.
#[derive(Clone, Debug, PartialEq)]
pub struct Replicates {
    /// How many observations each distinct point holds.
    pub counts: Vec<f64>,
    /// The index, among the observations as given, of each distinct point's first one.
    pub first: Vec<usize>,
    /// The number of observations as given.
    pub original: usize,
    /// Σ (nᵢ − 1): the observations the merge removed.
    pub extra: f64,
    /// Σᵢ ½ log nᵢ.
    pub half_log_counts: f64,
    /// S: the sum of squared deviations of the observations from their point's mean.
    pub scatter: f64,
}

/// The observations (`x` row-major, `dim` numbers a point) merged by identical points: the
/// distinct points in order of first appearance, their mean observations, and the record of the
/// merge; `None` where every point is distinct.
pub(crate) fn merge(x: &[f64], y: &[f64], dim: usize) -> Option<(Vec<f64>, Vec<f64>, Replicates)> {
    let key = |i: usize| -> Vec<u64> {
        // +0 and −0 are one point.
        x[i * dim..(i + 1) * dim]
            .iter()
            .map(|v| (v + 0.0).to_bits())
            .collect()
    };
    let mut index: HashMap<Vec<u64>, usize> = HashMap::with_capacity(y.len());
    let mut group = Vec::with_capacity(y.len());
    let mut first = Vec::new();
    for i in 0..y.len() {
        let next = first.len();
        let g = *index.entry(key(i)).or_insert(next);
        if g == next {
            first.push(i);
        }
        group.push(g);
    }
    if first.len() == y.len() {
        return None;
    }
    let m = first.len();
    let mut counts = vec![0.0; m];
    let mut sums = vec![0.0; m];
    for (i, &g) in group.iter().enumerate() {
        counts[g] += 1.0;
        sums[g] += y[i];
    }
    let means: Vec<f64> = sums.iter().zip(&counts).map(|(s, n)| s / n).collect();
    let scatter = group
        .iter()
        .enumerate()
        .map(|(i, &g)| (y[i] - means[g]).powi(2))
        .sum();
    let xs = first
        .iter()
        .flat_map(|&i| x[i * dim..(i + 1) * dim].iter().copied())
        .collect();
    let rep = Replicates {
        extra: (y.len() - m) as f64,
        half_log_counts: counts.iter().map(|n| 0.5 * n.ln()).sum(),
        counts,
        first,
        original: y.len(),
        scatter,
    };
    Some((xs, means, rep))
}

impl Replicates {
    /// The NLML's extra term at noise variance `s2`, and its derivative by `s2`.
    pub(crate) fn term(&self, s2: f64) -> (f64, f64) {
        let two_pi = 2.0 * std::f64::consts::PI;
        (
            0.5 * self.extra * (two_pi * s2).ln() + self.half_log_counts + 0.5 * self.scatter / s2,
            0.5 * self.extra / s2 - 0.5 * self.scatter / (s2 * s2),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_identical_points_in_order() {
        let x = [0.0, 1.0, 0.0, -0.0, 1.0, 2.0];
        let y = [1.0, 2.0, 3.0, 5.0, 4.0, 6.0];
        // Points: 0 (rows 0, 2, 3 — −0 is 0), 1 (rows 1, 4), 2 (row 5).
        let (xs, ys, r) = merge(&x, &y, 1).unwrap();
        assert_eq!(xs, vec![0.0, 1.0, 2.0]);
        assert_eq!(ys, vec![3.0, 3.0, 6.0]);
        assert_eq!(r.counts, vec![3.0, 2.0, 1.0]);
        assert_eq!(r.first, vec![0, 1, 5]);
        assert_eq!(r.extra, 3.0);
        // (1−3)² + (3−3)² + (5−3)² + (2−3)² + (4−3)² = 10.
        assert_eq!(r.scatter, 10.0);
        assert!(merge(&[0.0, 1.0], &[1.0, 2.0], 1).is_none());
    }

    #[test]
    fn the_term_is_the_factorisation_of_the_product_of_normals() {
        // n observations of one point with prior f ~ N(0, k): the exact NLML of the n-vector
        // against the merged one's plus the term.
        let y = [0.3, -0.1, 0.7, 0.2];
        let (k, s2) = (1.7, 0.25);
        let n = y.len();
        // Exact: K = k 11ᵀ + s2 I, det = s2^{n-1}(s2 + n k), K⁻¹ = (I − k/(s2+nk) 11ᵀ)/s2.
        let sum: f64 = y.iter().sum();
        let ss: f64 = y.iter().map(|v| v * v).sum();
        let quad = (ss - k * sum * sum / (s2 + n as f64 * k)) / s2;
        let logdet = (n as f64 - 1.0) * s2.ln() + (s2 + n as f64 * k).ln();
        let l2p = (2.0 * std::f64::consts::PI).ln();
        let exact = 0.5 * quad + 0.5 * logdet + 0.5 * n as f64 * l2p;
        let x = vec![0.5; n];
        let (_, ym, r) = merge(&x, &y, 1).unwrap();
        let v = k + s2 / n as f64;
        let merged = 0.5 * ym[0] * ym[0] / v + 0.5 * v.ln() + 0.5 * l2p;
        let (t, dt) = r.term(s2);
        assert!(
            (merged + t - exact).abs() < 1e-12,
            "{} vs {exact}",
            merged + t
        );
        let h = 1e-6;
        let fd = (r.term(s2 + h).0 - r.term(s2 - h).0) / (2.0 * h);
        assert!((fd - dt).abs() < 1e-7 * dt.abs().max(1.0));
    }

    #[test]
    fn a_merged_model_equals_the_unmerged_one() {
        use crate::Model;
        use noether_kernels::KernelSpec;
        // The same data twice: once with exact repeats (merged), once with the repeats moved by
        // 1e-9 (a kernel change of 1e-18 relative, so not merged and otherwise equal).
        let build = |shift: f64| {
            let mut m = Model::new(&["x"], &[("u", KernelSpec::se(false))], &[("a", 0.7)]).unwrap();
            let xs = [0.1, 0.1, 0.1, 0.5, 0.9, 0.9];
            let x: Vec<f64> = xs
                .iter()
                .enumerate()
                .map(|(i, v)| v + shift * i as f64)
                .collect();
            let y = vec![0.3, 0.35, 0.28, -0.2, 0.6, 0.55];
            m.add_channel("u", "u", x, y, 0.01).unwrap();
            m.add_channel(
                "f",
                "u_xx - a*u",
                vec![0.2, 0.2, 0.7],
                vec![0.1, 0.3, -0.4],
                0.05,
            )
            .unwrap();
            m
        };
        let (merged, plain) = (build(0.0), build(1e-9));
        assert_eq!(merged.channels()[0].len(), 3);
        assert_eq!(merged.channels()[1].len(), 2);
        assert_eq!(plain.channels()[0].len(), 6);
        let v = merged.values();
        let (a, b) = (
            merged.nlml(&v, true).unwrap(),
            plain.nlml(&v, true).unwrap(),
        );
        // The nugget (1e-8 of the prior variance) is added once per row in the one and once per
        // distinct point in the other: that is the whole difference.
        assert!(
            (a.nlml - b.nlml).abs() < 1e-6 * b.nlml.abs().max(1.0),
            "{} vs {}",
            a.nlml,
            b.nlml
        );
        for (p, (ga, gb)) in a.gradient.iter().zip(&b.gradient).enumerate() {
            assert!(
                (ga - gb).abs() < 1e-5 * gb.abs().max(1.0),
                "parameter {p}: {ga} vs {gb}"
            );
        }
        // The inducing-point bound too (the collapsed bound factorises the same way).
        let (mut ms, mut ps) = (merged.clone(), plain.clone());
        ms.approximate(vec![0.0, 0.5, 1.0]).unwrap();
        ps.approximate(vec![0.0, 0.5, 1.0]).unwrap();
        let (sa, sb) = (ms.nlml(&v, true).unwrap(), ps.nlml(&v, true).unwrap());
        assert!(
            (sa.nlml - sb.nlml).abs() < 1e-6 * sb.nlml.abs().max(1.0),
            "bound: {} vs {}",
            sa.nlml,
            sb.nlml
        );
        for (p, (ga, gb)) in sa.gradient.iter().zip(&sb.gradient).enumerate() {
            assert!(
                (ga - gb).abs() < 1e-5 * gb.abs().max(1.0),
                "bound, parameter {p}: {ga} vs {gb}"
            );
        }
        // And the merged gradient against finite differences, in the noise variances above all.
        for p in 0..v.len() {
            let h = 1e-6 * v[p].abs().max(1e-3);
            let (mut up, mut dn) = (v.clone(), v.clone());
            up[p] += h;
            dn[p] -= h;
            let fd = (merged.nlml(&up, false).unwrap().nlml
                - merged.nlml(&dn, false).unwrap().nlml)
                / (2.0 * h);
            assert!(
                (fd - a.gradient[p]).abs() < 1e-5 * fd.abs().max(1.0),
                "parameter {p}: {fd} vs {}",
                a.gradient[p]
            );
        }
    }
}
