//! Hamiltonian GPs against independent GPs on the two simplest tasks of Greydanus, Dzamba and
//! Yosinski, "Hamiltonian neural networks" (NeurIPS 2019): the ideal mass–spring H = q² + p²
//! and the ideal pendulum H = 3(1 − cos q) + p², with q̇ = ∂H/∂p, ṗ = −∂H/∂q.
//!
//! Protocol (ours, not the paper's): 3 training trajectories per system from random initial
//! states at radius 0.2–1 (mass–spring) or 1.3–2.3 (pendulum) in the (q, p) plane, 12 states each
//! over t ∈ [0, 3] taken from the exact flow, with the time derivatives (q̇, ṗ) observed with
//! noise σ = 0.1 (the paper's noise level; no finite differences). Models: a Hamiltonian GP (a
//! latent H with a squared-exponential kernel, channels q̇ = `H[q]`, ṗ = `H[p]`) and independent GPs
//! for q̇ and ṗ (one shared squared-exponential kernel). Both are rolled out with the same
//! integrator (implicit midpoint, dt = 0.05) for 3,000 steps from 5 held-out initial states;
//! reported: the trajectory's mean squared error against the exact flow, and the drift of the
//! true energy along the rollout (mean squared and largest).

use noether_infer::format::number;
use noether_infer::plot::{curves, Curves, Marks};
use noether_infer::{Data, Fitted, InferError, Kernel, Latent, Problem, Rollout, Trajectory};
use noether_likelihood::rollout::{integrate, Method};
use rand::{Rng, SeedableRng};
use std::path::Path;

/// A system: its name, energy, flow and the radii of its initial states.
#[derive(Clone, Copy, Debug)]
pub struct System {
    /// Its name.
    pub name: &'static str,
    /// H(q, p).
    pub energy: fn(f64, f64) -> f64,
    /// (q̇, ṗ).
    pub flow: fn(f64, f64) -> (f64, f64),
    /// The radii initial states are drawn at.
    pub radius: (f64, f64),
}

/// The ideal mass–spring, H = q² + p².
pub const SPRING: System = System {
    name: "mass-spring",
    energy: |q, p| q * q + p * p,
    flow: |q, p| (2.0 * p, -2.0 * q),
    radius: (0.2, 1.0),
};

/// The ideal pendulum, H = 3(1 − cos q) + p².
pub const PENDULUM: System = System {
    name: "pendulum",
    energy: |q, p| 3.0 * (1.0 - q.cos()) + p * p,
    flow: |q, p| (2.0 * p, -3.0 * q.sin()),
    radius: (1.3, 2.3),
};

/// The HNN paper's energy MSE on its two-body task (HNN, baseline), for orientation only: its
/// protocol differs.
pub const HNN_TWO_BODY: (f64, f64) = (3.9e-5, 6.3e-2);

/// The noise of the observed time derivatives.
pub const NOISE: f64 = 0.1;

/// The exact flow from `x0`, sampled every `dt` for `steps` steps (RK4 with 20 sub-steps).
pub fn exact(sys: System, x0: [f64; 2], dt: f64, steps: usize) -> Vec<f64> {
    let mut f = |x: &[f64], v: &mut [f64]| {
        let (a, b) = (sys.flow)(x[0], x[1]);
        v[0] = a;
        v[1] = b;
    };
    let fine = integrate(&mut f, &x0, dt / 20.0, steps * 20, Method::Rk4, &[])
        .expect("the exact flows are smooth");
    fine.chunks(2).step_by(20).flatten().copied().collect()
}

/// A random initial state at a radius in the system's range.
fn initial(sys: System, rng: &mut impl Rng) -> [f64; 2] {
    let r = rng.random_range(sys.radius.0..sys.radius.1);
    let a = rng.random_range(0.0..std::f64::consts::TAU);
    [r * a.cos(), r * a.sin()]
}

/// One model's rollouts and their errors.
#[derive(Debug)]
pub struct Scores {
    /// The rollouts, one per held-out state.
    pub rollouts: Vec<Trajectory>,
    /// Mean squared error of the state against the exact flow, over steps and states.
    pub trajectory_mse: f64,
    /// Mean squared drift of the true energy along the rollouts.
    pub energy_mse: f64,
    /// The largest |drift| of the true energy.
    pub energy_max: f64,
}

/// One system's data, fits and scores.
#[derive(Debug)]
pub struct Report {
    /// The system.
    pub system: System,
    /// The training states.
    pub states: Vec<(f64, f64)>,
    /// The Hamiltonian GP.
    pub hamiltonian: Fitted,
    /// The independent GPs.
    pub independent: Fitted,
    /// Held-out initial states.
    pub held_out: Vec<[f64; 2]>,
    /// The exact trajectories from them.
    pub exact: Vec<Vec<f64>>,
    /// Scores of the Hamiltonian GP.
    pub scores_h: Scores,
    /// Scores of the independent GPs.
    pub scores_i: Scores,
    /// Step size and steps of the rollouts.
    pub dt: f64,
}

fn score(sys: System, runs: Vec<Trajectory>, exact: &[Vec<f64>]) -> Scores {
    let (mut se, mut n, mut de, mut dn, mut dmax) = (0.0, 0usize, 0.0, 0usize, 0.0f64);
    for (t, e) in runs.iter().zip(exact) {
        let h0 = (sys.energy)(t.states[0], t.states[1]);
        for (x, y) in t.states.chunks(2).zip(e.chunks(2)) {
            se += (x[0] - y[0]).powi(2) + (x[1] - y[1]).powi(2);
            n += 2;
            let d = (sys.energy)(x[0], x[1]) - h0;
            de += d * d;
            dn += 1;
            dmax = dmax.max(d.abs());
        }
    }
    Scores {
        rollouts: runs,
        trajectory_mse: se / n as f64,
        energy_mse: de / dn as f64,
        energy_max: dmax,
    }
}

/// Fit both models to `n_traj` trajectories of `per` states each and roll them out from
/// `held_out` states for `steps` steps of `dt`.
///
/// # Errors
/// A fit or rollout failure.
pub fn run(
    sys: System,
    n_traj: usize,
    per: usize,
    held_out: usize,
    dt: f64,
    steps: usize,
    seed: u64,
) -> Result<Report, InferError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut x = Vec::new();
    let (mut dq, mut dp) = (Vec::new(), Vec::new());
    for _ in 0..n_traj {
        let x0 = initial(sys, &mut rng);
        // `per` states evenly over t ∈ [0, 3]: every (3 / (per − 1)) of the exact flow.
        let h = 3.0 / (per.max(2) - 1) as f64;
        let path = exact(sys, x0, h, per - 1);
        for s in path.chunks(2) {
            let (a, b) = (sys.flow)(s[0], s[1]);
            let z: [f64; 2] = [
                rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng),
                rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng),
            ];
            x.extend_from_slice(s);
            dq.push(a + NOISE * z[0]);
            dp.push(b + NOISE * z[1]);
        }
    }
    let noise = NOISE * NOISE;
    let hamiltonian = Problem::new(&["q", "p"])
        .latent("H", Latent::se(1.0, &[1.0, 1.0]).hamiltonian(&[("q", "p")]))
        .channel("dq", "H[q]", Data::from_rows(&x, 2, &dq), noise)
        .channel("dp", "H[p]", Data::from_rows(&x, 2, &dp), noise)
        .restarts(2)
        .seed(seed)
        .fit()?;
    let independent = Problem::new(&["q", "p"])
        .latent("fq", Latent::se(1.0, &[1.0, 1.0]))
        .latent("fp", Latent::with_kernel(Kernel::SameAs("fq".into())))
        .channel("dq", "fq", Data::from_rows(&x, 2, &dq), noise)
        .channel("dp", "fp", Data::from_rows(&x, 2, &dp), noise)
        .restarts(2)
        .seed(seed)
        .fit()?;
    let starts: Vec<[f64; 2]> = (0..held_out).map(|_| initial(sys, &mut rng)).collect();
    let exacts: Vec<Vec<f64>> = starts.iter().map(|&s| exact(sys, s, dt, steps)).collect();
    let roll =
        |f: &Fitted, velocities: Vec<(String, String)>| -> Result<Vec<Trajectory>, InferError> {
            let model = if velocities.is_empty() {
                "Hamiltonian GP"
            } else {
                "independent GPs"
            };
            starts
                .iter()
                .map(|s| {
                    let at = format!("{}, {model}, rollout from ({}, {})", sys.name, s[0], s[1]);
                    f.rollout(&Rollout {
                        from: vec![("q".into(), s[0]), ("p".into(), s[1])],
                        dt,
                        steps,
                        method: Some(Method::ImplicitMidpoint),
                        velocities: velocities.clone(),
                        times: vec![],
                    })
                    .map_err(|e| match e {
                        InferError::Field { field, message } => InferError::Field {
                            field: format!("{at}: {field}"),
                            message,
                        },
                        e => e,
                    })
                })
                .collect()
        };
    let runs_h = roll(&hamiltonian, vec![])?;
    let runs_i = roll(
        &independent,
        vec![("q".into(), "fq".into()), ("p".into(), "fp".into())],
    )?;
    Ok(Report {
        system: sys,
        states: x.chunks(2).map(|s| (s[0], s[1])).collect(),
        scores_h: score(sys, runs_h, &exacts),
        scores_i: score(sys, runs_i, &exacts),
        hamiltonian,
        independent,
        held_out: starts,
        exact: exacts,
        dt,
    })
}

/// The table the example prints: one row per system and model.
pub fn table(reports: &[Report]) -> String {
    let mut s = format!(
        "  {:<12} {:<16} {:>16} {:>18} {:>18}\n",
        "system", "model", "trajectory MSE", "energy drift MSE", "largest |drift|"
    );
    for r in reports {
        for (model, sc) in [
            ("Hamiltonian GP", &r.scores_h),
            ("independent GPs", &r.scores_i),
        ] {
            s += &format!(
                "  {:<12} {:<16} {:>16} {:>18} {:>18}\n",
                r.system.name,
                model,
                number(sc.trajectory_mse, 3),
                number(sc.energy_mse, 3),
                number(sc.energy_max, 3)
            );
        }
    }
    s += &format!(
        "  for orientation only (its own two-body task and protocol): the HNN paper's energy MSE {} (HNN) vs {} (baseline network)\n",
        number(HNN_TWO_BODY.0, 2),
        number(HNN_TWO_BODY.1, 2)
    );
    s
}

/// Phase portraits (the exact flow and both rollouts from the first held-out state, with the
/// training states) and the true energy along each rollout.
///
/// # Errors
/// A file that cannot be written.
pub fn figures(r: &Report, dir: &Path) -> Result<Vec<String>, InferError> {
    let pairs = |v: &[f64]| -> Vec<(f64, f64)> { v.chunks(2).map(|s| (s[0], s[1])).collect() };
    let phase = [
        ("exact".to_string(), pairs(&r.exact[0])),
        (
            "Hamiltonian GP".to_string(),
            pairs(&r.scores_h.rollouts[0].states),
        ),
        (
            "independent GPs".to_string(),
            pairs(&r.scores_i.rollouts[0].states),
        ),
    ];
    let e = |v: &[f64]| -> Vec<(f64, f64)> {
        let h0 = (r.system.energy)(v[0], v[1]);
        v.chunks(2)
            .enumerate()
            .map(|(k, s)| (k as f64 * r.dt, (r.system.energy)(s[0], s[1]) - h0))
            .collect()
    };
    let energy = [
        ("exact".to_string(), e(&r.exact[0])),
        (
            "Hamiltonian GP".to_string(),
            e(&r.scores_h.rollouts[0].states),
        ),
        (
            "independent GPs".to_string(),
            e(&r.scores_i.rollouts[0].states),
        ),
    ];
    let marks = [Marks::new("training states", &r.states)];
    let t1 = format!("{}: phase portrait", r.system.name);
    let t2 = format!("{}: drift of the true energy", r.system.name);
    let path = dir.join(format!("hamiltonian_{}.png", r.system.name));
    curves(
        &path,
        &[
            Curves {
                title: &t1,
                labels: ("q", "p"),
                series: &phase,
                marks: &marks,
            },
            Curves {
                title: &t2,
                labels: ("t", "H(t) − H(0)"),
                series: &energy,
                marks: &[],
            },
        ],
    )?;
    Ok(vec![path.display().to_string()])
}
