//! Convergence diagnostics of Markov chains, as Stan and ArviZ compute them (nuts-rs computes
//! none):
//!
//! - the rank-normalised split R-hat, the larger of the R-hats of the rank-normalised draws and of
//!   their folded ranks |θ − median| (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021,
//!   "Rank-normalization, folding, and localization: an improved R̂ for assessing convergence of
//!   MCMC", Bayesian Analysis 16(2), §4.1–4.2);
//! - the bulk effective sample size (of the rank-normalised split chains) and the tail effective
//!   sample size (the smaller of those of the indicators θ ≤ q₅ % and θ ≤ q₉₅ %), §4.3, each by
//!   Geyer's initial monotone sequence over the chains' combined autocorrelations, as Stan's
//!   `compute_effective_sample_size` does (Stan Reference Manual, "Effective sample size");
//! - E-BFMI, the energy Bayesian fraction of missing information of one chain,
//!   Σ (E_n − E_{n−1})² / Σ (E_n − Ē)² (Betancourt 2016, "Diagnosing suboptimal cotangent
//!   disintegrations in Hamiltonian Monte Carlo", eq. 8): below 0.3 the momentum resampling
//!   cannot move the chain across the energy levels it needs.
//!
//! Each function takes the chains of one parameter (chains of equal length, at least 4 draws).

/// Φ⁻¹(p) for 0 < p < 1, by Acklam's rational approximation (relative error below 1.2e-9):
/// what the rank normalisation needs.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The q-quantile of sorted values, interpolated linearly between order statistics (R's type 7,
/// NumPy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Every chain cut into its first and second halves (the middle draw of an odd chain dropped).
fn split(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = chains.iter().map(Vec::len).min().unwrap_or(0);
    let half = n / 2;
    chains
        .iter()
        .flat_map(|c| [c[..half].to_vec(), c[n - half..n].to_vec()])
        .collect()
}

fn pooled_sorted(chains: &[Vec<f64>]) -> Vec<f64> {
    let mut all: Vec<f64> = chains.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    all
}

/// The draws replaced by the normal scores of their pooled ranks, Φ⁻¹((r − 3/8)/(S + 1/4)), ties
/// given their average rank.
fn rank_normalise(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut idx: Vec<(f64, usize, usize)> = chains
        .iter()
        .enumerate()
        .flat_map(|(c, v)| v.iter().enumerate().map(move |(i, x)| (*x, c, i)))
        .collect();
    idx.sort_by(|a, b| a.0.total_cmp(&b.0));
    let s = idx.len() as f64;
    let mut out: Vec<Vec<f64>> = chains.iter().map(|c| vec![0.0; c.len()]).collect();
    let mut k = 0;
    while k < idx.len() {
        let mut e = k;
        while e + 1 < idx.len() && idx[e + 1].0 == idx[k].0 {
            e += 1;
        }
        // Ranks are 1-based; the tied block k..=e shares their mean.
        let rank = 0.5 * ((k + 1) + (e + 1)) as f64;
        let z = normal_quantile((rank - 0.375) / (s + 0.25));
        for &(_, c, i) in &idx[k..=e] {
            out[c][i] = z;
        }
        k = e + 1;
    }
    out
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// W (the mean within-chain variance) and var⁺ = (N−1)/N W + B/N of chains of one length.
fn variances(chains: &[Vec<f64>]) -> (f64, f64) {
    let n = chains[0].len() as f64;
    let m = chains.len() as f64;
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let w = chains
        .iter()
        .zip(&means)
        .map(|(c, mu)| c.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0))
        .sum::<f64>()
        / m;
    let grand = mean(&means);
    let b_over_n = if m > 1.0 {
        means.iter().map(|x| (x - grand).powi(2)).sum::<f64>() / (m - 1.0)
    } else {
        0.0
    };
    (w, (n - 1.0) / n * w + b_over_n)
}

/// sqrt(var⁺ / W) of chains as given (already split): 1 for chains that are all one constant,
/// infinite for constant chains that disagree.
fn rhat_basic(chains: &[Vec<f64>]) -> f64 {
    let (w, var_plus) = variances(chains);
    if w == 0.0 {
        return if var_plus == 0.0 { 1.0 } else { f64::INFINITY };
    }
    (var_plus / w).sqrt()
}

/// The rank-normalised split R-hat of one parameter's chains: the larger of the bulk and the
/// folded (tail) values. Near 1 when the chains agree; at least 1.01 is a warning.
pub fn rhat(chains: &[Vec<f64>]) -> f64 {
    let s = split(chains);
    if s.is_empty() || s[0].len() < 2 {
        return f64::NAN;
    }
    let bulk = rhat_basic(&rank_normalise(&s));
    let med = quantile(&pooled_sorted(&s), 0.5);
    let folded: Vec<Vec<f64>> = s
        .iter()
        .map(|c| c.iter().map(|x| (x - med).abs()).collect())
        .collect();
    let tail = rhat_basic(&rank_normalise(&folded));
    bulk.max(tail)
}

/// The effective sample size of chains as given (already split), by Geyer's initial monotone
/// sequence (Stan's estimator, capped at S·log10 S for antithetic chains).
fn ess_basic(chains: &[Vec<f64>]) -> f64 {
    let m = chains.len();
    let n = chains[0].len();
    let total = (m * n) as f64;
    if n < 4 {
        return f64::NAN;
    }
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    // The mean over chains of the autocovariance at lag t (1/N normalisation).
    let acov = |t: usize| -> f64 {
        chains
            .iter()
            .zip(&means)
            .map(|(c, mu)| {
                (0..n - t)
                    .map(|i| (c[i] - mu) * (c[i + t] - mu))
                    .sum::<f64>()
                    / n as f64
            })
            .sum::<f64>()
            / m as f64
    };
    let mean_var = acov(0) * n as f64 / (n as f64 - 1.0);
    let mut var_plus = mean_var * (n as f64 - 1.0) / n as f64;
    if m > 1 {
        let g = mean(&means);
        var_plus += means.iter().map(|x| (x - g).powi(2)).sum::<f64>() / (m as f64 - 1.0);
    }
    if var_plus == 0.0 {
        // Constant draws: nothing varies, so nothing is estimated; report the count.
        return total;
    }
    let rho_at = |t: usize| 1.0 - (mean_var - acov(t)) / var_plus;
    let mut rho = vec![0.0; n + 2];
    rho[0] = 1.0;
    let mut even = 1.0;
    let mut odd = rho_at(1);
    rho[1] = odd;
    let mut s = 1;
    while s + 4 < n && even + odd > 0.0 {
        even = rho_at(s + 1);
        odd = rho_at(s + 2);
        if even + odd >= 0.0 {
            rho[s + 1] = even;
            rho[s + 2] = odd;
        }
        s += 2;
    }
    let max_s = s;
    if even > 0.0 {
        rho[max_s + 1] = even;
    }
    // Geyer's initial monotone sequence.
    let mut t = 1;
    while t + 3 <= max_s {
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
            rho[t + 1] = 0.5 * (rho[t - 1] + rho[t]);
            rho[t + 2] = rho[t + 1];
        }
        t += 2;
    }
    let tau = -1.0 + 2.0 * rho[..max_s].iter().sum::<f64>() + rho[max_s + 1];
    (total / tau).min(total * total.log10())
}

/// The bulk effective sample size: of the rank-normalised split chains.
pub fn ess_bulk(chains: &[Vec<f64>]) -> f64 {
    let s = split(chains);
    if s.is_empty() || s[0].len() < 4 {
        return f64::NAN;
    }
    ess_basic(&rank_normalise(&s))
}

/// The tail effective sample size: the smaller of those of the indicators θ ≤ q₅ % and
/// θ ≤ q₉₅ % over the split chains.
pub fn ess_tail(chains: &[Vec<f64>]) -> f64 {
    let s = split(chains);
    if s.is_empty() || s[0].len() < 4 {
        return f64::NAN;
    }
    let sorted = pooled_sorted(&s);
    [0.05, 0.95]
        .iter()
        .map(|&q| {
            let cut = quantile(&sorted, q);
            let ind: Vec<Vec<f64>> = s
                .iter()
                .map(|c| c.iter().map(|x| f64::from(u8::from(*x <= cut))).collect())
                .collect();
            ess_basic(&ind)
        })
        .fold(f64::INFINITY, f64::min)
}

/// E-BFMI of one chain's energies (the Hamiltonian at each draw).
pub fn ebfmi(energy: &[f64]) -> f64 {
    if energy.len() < 2 {
        return f64::NAN;
    }
    let mu = mean(energy);
    let num: f64 = energy.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    let den: f64 = energy.iter().map(|e| (e - mu).powi(2)).sum();
    num / den
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn chains(m: usize, n: usize, phi: f64, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..m)
            .map(|_| {
                let mut x: f64 = StandardNormal.sample(&mut rng);
                (0..n)
                    .map(|_| {
                        let e: f64 = StandardNormal.sample(&mut rng);
                        x = phi * x + (1.0 - phi * phi).sqrt() * e;
                        x
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn normal_quantile_matches_tables() {
        // Φ⁻¹ at 0.975, 0.95, 0.5, 0.001 (Abramowitz & Stegun, table 26.5).
        for (p, z) in [
            (0.975, 1.959963984540054),
            (0.95, 1.6448536269514722),
            (0.5, 0.0),
            (0.001, -3.090232306167813),
        ] {
            assert!((normal_quantile(p) - z).abs() < 1e-8, "{p}");
        }
    }

    #[test]
    fn independent_chains_have_rhat_near_one_and_full_ess() {
        let c = chains(4, 1000, 0.0, 1);
        let r = rhat(&c);
        assert!(r < 1.01, "{r}");
        let b = ess_bulk(&c);
        assert!((3200.0..4800.0).contains(&b), "bulk {b}");
        let t = ess_tail(&c);
        assert!((2800.0..5200.0).contains(&t), "tail {t}");
    }

    #[test]
    fn an_ar1_chain_has_the_ess_of_its_autocorrelation() {
        // x_t = φ x_{t−1} + ε: the integrated autocorrelation time is (1 + φ)/(1 − φ) = 19 at
        // φ = 0.9, so 4 chains of 5,000 draws carry 20,000/19 ≈ 1,053 independent draws.
        let c = chains(4, 5000, 0.9, 2);
        let b = ess_bulk(&c);
        assert!((800.0..1350.0).contains(&b), "bulk {b}");
    }

    #[test]
    fn chains_that_disagree_or_differ_in_scale_are_caught() {
        let mut c = chains(4, 1000, 0.0, 3);
        for x in &mut c[0] {
            *x += 1.0;
        }
        assert!(rhat(&c) > 1.1, "location: {}", rhat(&c));
        // Same centre, one chain 3 times as wide: only the folded R-hat sees it.
        let mut c = chains(4, 1000, 0.0, 4);
        for x in &mut c[1] {
            *x *= 3.0;
        }
        assert!(rhat(&c) > 1.05, "scale: {}", rhat(&c));
        // A chain that drifts: its halves disagree.
        let mut c = chains(2, 1000, 0.0, 5);
        for (i, x) in c[0].iter_mut().enumerate() {
            *x += 4.0 * i as f64 / 1000.0;
        }
        assert!(rhat(&c) > 1.1, "drift: {}", rhat(&c));
    }

    #[test]
    fn ebfmi_of_independent_energies_is_about_two_and_of_a_slow_walk_small() {
        let c = chains(1, 5000, 0.0, 6);
        let e = ebfmi(&c[0]);
        assert!((1.8..2.2).contains(&e), "{e}");
        let c = chains(1, 5000, 0.95, 7);
        assert!(ebfmi(&c[0]) < 0.3, "{}", ebfmi(&c[0]));
    }

    #[test]
    fn quantile_interpolates() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 4.0);
    }
}
