//! A pendulum with friction, recorded at 6 Hz: Hamiltonian, dissipative Hamiltonian and
//! independent GPs learn its dynamics from the first 444 states and are judged on the last 111,
//! by the protocol of the Hamiltonian-neural-network paper (Greydanus, Dzamba & Yosinski 2019) on
//! Schmidt & Lipson's real recording: forward differences of consecutive states as the targets,
//! the test L2 (mean squared error) of the predicted derivatives on the test states, and the
//! energy MSE of a rollout from the first test state over the test period.
//!
//! The recording itself is not shipped by any package this project can install, so it is
//! simulated with the dynamics least squares finds in it (θ̇ = ω, ω̇ = −1.29 sin θ − 0.009 ω, the
//! energy E = ω²/2 + 1.29 (1 − cos θ) starting at 1.17), with measurement noise of sd 0.01 on θ
//! and on ω.

use noether_infer::format::number;
use noether_infer::plot::{curves, Curves, Marks};
use noether_infer::{Data, InferError, Kernel, Latent, Problem, Rollout};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// ω̇ = −K sin θ − Γ ω.
pub const K: f64 = 1.29;
/// The friction.
pub const GAMMA: f64 = 0.009;
/// The sampling rate (Hz).
pub const RATE: f64 = 6.0;
/// States recorded; the first `TRAIN` train, the rest test.
pub const STATES: usize = 555;
/// Training states.
pub const TRAIN: usize = 444;
/// The measurement noise sd on θ and ω.
pub const NOISE: f64 = 0.01;

/// The published figures on the real recording (HNN paper, Table 1, "Real pendulum"): test loss
/// and energy MSE of the baseline network and the HNN (×10⁻³), and noether's Hamiltonian and
/// independent GPs as measured on the real data by this project before (the numbers).
pub const PUBLISHED: [(&str, f64, f64); 4] = [
    ("baseline network (HNN paper)", 7.0e-3, 390e-3),
    ("HNN (HNN paper)", 6.0e-3, 14e-3),
    ("Hamiltonian GP (noether, real recording)", 9.3e-3, 28e-3),
    ("independent GPs (noether, real recording)", 1.4e-3, 372e-3),
];

/// The true energy.
pub fn energy(q: f64, p: f64) -> f64 {
    0.5 * p * p + K * (1.0 - q.cos())
}

fn flow(q: f64, p: f64) -> (f64, f64) {
    (p, -K * q.sin() - GAMMA * p)
}

/// The noise-free states at 6 Hz from (θ₀, 0) with E = 1.17, by RK4 with 100 steps a frame.
pub fn truth(states: usize) -> Vec<[f64; 2]> {
    let q0 = (1.0 - 1.17 / K).acos();
    let (mut q, mut p) = (q0, 0.0);
    let sub = 100;
    let h = 1.0 / (RATE * sub as f64);
    let mut out = vec![[q, p]];
    for _ in 1..states {
        for _ in 0..sub {
            let k1 = flow(q, p);
            let k2 = flow(q + 0.5 * h * k1.0, p + 0.5 * h * k1.1);
            let k3 = flow(q + 0.5 * h * k2.0, p + 0.5 * h * k2.1);
            let k4 = flow(q + h * k3.0, p + h * k3.1);
            q += h / 6.0 * (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0);
            p += h / 6.0 * (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1);
        }
        out.push([q, p]);
    }
    out
}

/// The recording: the truth with seeded noise.
pub fn recording(states: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    truth(states)
        .into_iter()
        .map(|[q, p]| {
            let a: f64 = StandardNormal.sample(&mut rng);
            let b: f64 = StandardNormal.sample(&mut rng);
            [q + NOISE * a, p + NOISE * b]
        })
        .collect()
}

/// How the recording becomes derivative data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// The HNN paper's: the forward difference (x_{i+1} − x_i)·rate as the derivative at x_i. It
    /// is the derivative at the interval's midpoint, half a frame later: at 6 Hz it carries
    /// (Δt/2)·ẍ, which on a pendulum reads as a damping of about Δt·K/2 = 0.11.
    Forward,
    /// A trajectory as data (`{"trajectory": …, "rate_of": …}`): the same difference at the
    /// midpoint state (x_i + x_{i+1})/2, second-order accurate.
    Midpoint,
}

/// The differences over the intervals starting at `range`: points and the two targets.
fn differences(
    rec: &[[f64; 2]],
    range: std::ops::Range<usize>,
    protocol: Protocol,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut x, mut dq, mut dp) = (Vec::new(), Vec::new(), Vec::new());
    for i in range {
        match protocol {
            Protocol::Forward => x.extend_from_slice(&rec[i]),
            Protocol::Midpoint => {
                x.extend(rec[i].iter().zip(&rec[i + 1]).map(|(a, b)| 0.5 * (a + b)))
            }
        }
        dq.push((rec[i + 1][0] - rec[i][0]) * RATE);
        dp.push((rec[i + 1][1] - rec[i][1]) * RATE);
    }
    (x, dq, dp)
}

/// The velocity of each input as an operator, for a model without a Hamiltonian field.
type Velocities = Vec<(String, String)>;

/// One model's scores.
#[derive(Clone, Debug)]
pub struct Score {
    /// The model.
    pub name: String,
    /// Mean squared error of the predicted (θ̇, ω̇) against the test targets.
    pub test_l2: f64,
    /// Mean squared error of the true energy along the rollout against the true trajectory's.
    pub energy_mse: f64,
    /// The rollout (θ, ω) at the test frames.
    pub rollout: Vec<[f64; 2]>,
    /// Seconds to fit.
    pub seconds: f64,
    /// Learned damping rate ± SE (dissipative model).
    pub damping: Option<(f64, Option<f64>)>,
}

/// The three models' scores, with the true and recorded test trajectories.
#[derive(Clone, Debug)]
pub struct Report {
    /// How the derivatives were taken.
    pub protocol: Protocol,
    /// Hamiltonian, dissipative, independent.
    pub scores: Vec<Score>,
    /// The noise-free test trajectory.
    pub truth: Vec<[f64; 2]>,
    /// The recording.
    pub recording: Vec<[f64; 2]>,
    /// The energy of the recording's first and last training state.
    pub energy_fall: (f64, f64),
}

/// Fit the three models on every `stride`-th training difference and score them.
///
/// # Errors
/// A fit or rollout failure.
pub fn run(
    protocol: Protocol,
    stride: usize,
    seed: u64,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, InferError> {
    let rec = recording(STATES, seed);
    let truth = truth(STATES);
    let (x, dq, dp) = differences(&rec, 0..TRAIN - 1, protocol);
    let keep = |v: &[f64], w: usize| -> Vec<f64> {
        v.chunks(w)
            .step_by(stride.max(1))
            .flatten()
            .copied()
            .collect()
    };
    let (x, dq, dp) = (keep(&x, 2), keep(&dq, 1), keep(&dp, 1));
    // The targets' noise: √2·σ·rate from the state noise alone.
    let noise = 2.0 * (NOISE * RATE).powi(2);
    let channels = |p: Problem, fq: &str, fp: &str| {
        p.channel("dq", fq, Data::from_rows(&x, 2, &dq), noise)
            .channel("dp", fp, Data::from_rows(&x, 2, &dp), noise)
            .restarts(1)
            .seed(seed)
    };
    let models: Vec<(&str, Problem, Velocities)> = vec![
        (
            "Hamiltonian GP",
            channels(
                Problem::new(&["q", "p"])
                    .latent("H", Latent::se(1.0, &[1.0, 1.0]).hamiltonian(&[("q", "p")])),
                "H[q]",
                "H[p]",
            ),
            vec![],
        ),
        (
            "dissipative Hamiltonian GP",
            channels(
                Problem::new(&["q", "p"])
                    .latent(
                        "H",
                        Latent::se(1.0, &[1.0, 1.0]).dissipative(&[("q", "p")], &[("p", "gamma")]),
                    )
                    .parameter("gamma", 0.05),
                "H[q]",
                "H[p]",
            ),
            vec![],
        ),
        (
            "independent GPs",
            channels(
                Problem::new(&["q", "p"])
                    .latent("fq", Latent::se(1.0, &[1.0, 1.0]))
                    .latent("fp", Latent::with_kernel(Kernel::SameAs("fq".into()))),
                "fq",
                "fp",
            ),
            vec![("q".into(), "fq".into()), ("p".into(), "fp".into())],
        ),
    ];
    let (tx, tq, tp) = differences(&rec, TRAIN..STATES - 1, protocol);
    let test_times: Vec<f64> = (TRAIN..STATES).map(|k| k as f64 / RATE).collect();
    let mut scores = Vec::new();
    for (name, problem, velocities) in models {
        let started = std::time::Instant::now();
        let fitted = problem.fit()?;
        let seconds = started.elapsed().as_secs_f64();
        let (fq, fp) = if velocities.is_empty() {
            ("H[q]", "H[p]")
        } else {
            ("fq", "fp")
        };
        let (pq, pp) = (fitted.predict(fq, &tx)?, fitted.predict(fp, &tx)?);
        let n = tq.len() as f64;
        let test_l2 = (pq
            .mean
            .iter()
            .zip(&tq)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            + pp.mean
                .iter()
                .zip(&tp)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>())
            / (2.0 * n);
        let start = rec[TRAIN];
        let traj = fitted.rollout(&Rollout {
            from: vec![("q".into(), start[0]), ("p".into(), start[1])],
            dt: 0.02,
            steps: 0,
            method: None,
            velocities,
            times: test_times.clone(),
        })?;
        let rollout: Vec<[f64; 2]> = traj.states.chunks(2).map(|s| [s[0], s[1]]).collect();
        let energy_mse = rollout
            .iter()
            .zip(&truth[TRAIN..])
            .map(|(a, b)| (energy(a[0], a[1]) - energy(b[0], b[1])).powi(2))
            .sum::<f64>()
            / rollout.len() as f64;
        let damping = fitted
            .parameter("gamma")
            .map(|g| (g, fitted.std_error("gamma")));
        progress(&format!(
            "{protocol:?}, {name}: test L2 {}, energy MSE {}, {} s",
            number(test_l2, 3),
            number(energy_mse, 3),
            number(seconds, 3)
        ));
        scores.push(Score {
            name: name.into(),
            test_l2,
            energy_mse,
            rollout,
            seconds,
            damping,
        });
    }
    Ok(Report {
        protocol,
        scores,
        truth: truth[TRAIN..].to_vec(),
        recording: rec.clone(),
        energy_fall: (
            energy(rec[0][0], rec[0][1]),
            energy(rec[TRAIN - 1][0], rec[TRAIN - 1][1]),
        ),
    })
}

/// The table, both protocols beside the published numbers.
pub fn table(reports: &[Report]) -> String {
    let mut s = format!(
        "  {:<44} {:>12} {:>14} {:>10}\n",
        "model", "test L2", "energy MSE", "seconds"
    );
    for r in reports {
        s += &format!(
            "  {}\n",
            match r.protocol {
                Protocol::Forward => "forward differences at x_i (the HNN paper's targets):",
                Protocol::Midpoint => "trajectory data: differences at the midpoint states:",
            }
        );
        for sc in &r.scores {
            s += &format!(
                "  {:<44} {:>12} {:>14} {:>10}\n",
                sc.name,
                number(sc.test_l2, 3),
                number(sc.energy_mse, 3),
                number(sc.seconds, 3)
            );
        }
        if let Some((g, se)) = r.scores.iter().find_map(|s| s.damping) {
            s += &format!(
                "  {:<44} learned damping γ = {} (truth {GAMMA})\n",
                "",
                super::with_error(g, se)
            );
        }
    }
    s += "  published, on the real recording:\n";
    for (name, l2, e) in PUBLISHED {
        s += &format!(
            "  {:<44} {:>12} {:>14} {:>10}\n",
            name,
            number(l2, 2),
            number(e, 2),
            "—"
        );
    }
    if let Some(r) = reports.first() {
        s += &format!(
            "  the simulated recording's energy falls from {} to {} over the training states\n",
            number(r.energy_fall.0, 3),
            number(r.energy_fall.1, 3)
        );
    }
    s
}

/// The figure: the phase portrait of the test period (truth, recording, each rollout) and the
/// true energy over time along each.
///
/// # Errors
/// A file that cannot be written.
pub fn figure(r: &Report, path: &std::path::Path) -> Result<(), InferError> {
    let t0 = TRAIN as f64 / RATE;
    let phase = |v: &[[f64; 2]]| v.iter().map(|s| (s[0], s[1])).collect::<Vec<_>>();
    let energy_of = |v: &[[f64; 2]]| {
        v.iter()
            .enumerate()
            .map(|(k, s)| (t0 + k as f64 / RATE, energy(s[0], s[1])))
            .collect::<Vec<_>>()
    };
    let mut portrait = vec![("truth".to_string(), phase(&r.truth))];
    let mut energies = vec![("truth".to_string(), energy_of(&r.truth))];
    for sc in &r.scores {
        portrait.push((sc.name.clone(), phase(&sc.rollout)));
        energies.push((sc.name.clone(), energy_of(&sc.rollout)));
    }
    let train: Vec<(f64, f64)> = r.recording[..TRAIN]
        .iter()
        .step_by(3)
        .map(|s| (s[0], s[1]))
        .collect();
    let marks = [Marks::new("training states (every 3rd)", &train)];
    curves(
        path,
        &[
            Curves {
                title: "phase portrait: rollouts over the test period",
                labels: ("θ", "ω"),
                series: &portrait,
                marks: &marks,
            },
            Curves {
                title: "true energy along each rollout",
                labels: ("t (s)", "E"),
                series: &energies,
                marks: &[],
            },
        ],
    )
}

/// Energy MSE over seeded recordings: each model's median and how often the dissipative GP has
/// the lowest.
pub fn seeds_table(reports: &[Report]) -> String {
    let n = reports.len();
    let mut s = format!(
        "over {n} seeded recordings (trajectory data): energy MSE of the rollout\n  {:<28} {:>12} {:>12} {:>12}\n",
        "model", "median", "lowest", "highest"
    );
    let models = reports.first().map_or(0, |r| r.scores.len());
    for m in 0..models {
        let mut v: Vec<f64> = reports.iter().map(|r| r.scores[m].energy_mse).collect();
        v.sort_by(f64::total_cmp);
        s += &format!(
            "  {:<28} {:>12} {:>12} {:>12}\n",
            reports[0].scores[m].name,
            number(v[n / 2], 3),
            number(v[0], 3),
            number(v[n - 1], 3)
        );
    }
    let wins = reports
        .iter()
        .filter(|r| {
            let d = r.scores[1].energy_mse;
            r.scores.iter().all(|o| o.energy_mse >= d)
        })
        .count();
    let l2 = reports
        .iter()
        .map(|r| r.scores[1].test_l2 / r.scores[2].test_l2)
        .fold(0.0f64, f64::max);
    let gammas: Vec<f64> = reports
        .iter()
        .filter_map(|r| r.scores[1].damping.map(|d| d.0))
        .collect();
    let (gm, gs) = super::mean_sd(&gammas);
    s += &format!(
        "  the dissipative GP has the lowest energy MSE in {wins} of {n}; its test L2 is at most {} × the independent GPs'; γ = {} ± {} over the seeds (truth {GAMMA})\n",
        number(l2, 4),
        number(gm, 4),
        number(gs, 2)
    );
    s
}
